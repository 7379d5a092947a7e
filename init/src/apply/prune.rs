//! Deleting the iptables-nft tables a `--cleanup-only` left empty, so that
//! the network namespace is as it was before mesh-init ran: iptables-nft
//! creates a table (with its base chains) on first write and never removes
//! it, and `iptables-save` would go on printing it.
//!
//! Only the tables mesh-init writes to ([`Table::ALL`]) are candidates, and
//! only when nf_tables says they hold nothing at all: no rule, no set, map,
//! stateful object or flowtable, no flags, and no chain but iptables'
//! built-in base chains with policy ACCEPT. Such a table filters nothing, so
//! deleting it changes no packet's fate. The check reads the ruleset over
//! netlink (it also sees what `nft` put there, which iptables-save cannot
//! show) after taking the ruleset generation; the deletions go in one
//! nfnetlink batch stamped with that generation, so the kernel applies all
//! of them or none, and refuses the batch (`ERESTART`) if anything changed
//! since the check; the check then runs again. Legacy (x_tables) tables
//! cannot be unloaded and are left alone.

use std::fmt;
use std::io;

use thiserror::Error;

use super::backend::Family;
use super::nfnl::{
    nfproto, nft_family, nft_type, split, Message, Received, Socket, NFNL_MSG_BATCH_BEGIN,
    NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES, NLM_F_ACK, NLM_F_REQUEST,
};
use super::rules::is_builtin;
use super::ruleset::{self, NftChain, NftTable, NF_ACCEPT};
use crate::plan::builder::Table;

const NFT_MSG_DELTABLE: u16 = 2;
const NFTA_TABLE_NAME: u16 = 1;
const NFNL_BATCH_GENID: u16 = 1;

/// The sequence number of a batch start (the dumps before it use 1-4).
const BATCH_SEQ: u32 = 100;

/// How often the check runs when the ruleset keeps changing under it.
const ATTEMPTS: usize = 5;

/// A table and its family, for messages.
pub type FamilyTable = (Family, String);

fn describe(tables: &[FamilyTable]) -> String {
    tables
        .iter()
        .map(|(f, t)| format!("table {t} of family {} ({f})", nft_family(*f)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Error)]
pub enum PruneError {
    #[error("cannot read the nf_tables {what} over netlink to find iptables-nft tables left empty: {source}")]
    Read {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot delete the empty iptables-nft {}: {source}", describe(.tables))]
    Delete {
        tables: Vec<FamilyTable>,
        #[source]
        source: io::Error,
    },
}

/// Why a table stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    Flags(u32),
    Chain(String),
    Policy(String),
    Objects,
    Rules(usize),
}

impl fmt::Display for Keep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Keep::Flags(x) => write!(f, "it has table flags {x:#x}"),
            Keep::Chain(c) => write!(f, "it holds chain {c}, not an iptables built-in chain"),
            Keep::Policy(c) => write!(f, "the policy of its chain {c} is not ACCEPT"),
            Keep::Objects => f.write_str("it holds sets, stateful objects or flowtables"),
            Keep::Rules(n) => write!(f, "it holds {n} rule(s)"),
        }
    }
}

/// Whether a table mesh-init writes to.
pub fn candidate(name: &str) -> bool {
    Table::ALL.iter().any(|t| t.name() == name)
}

/// Judges `table` by its own attributes and its chains (`chains` may list
/// other tables' too); its rules are counted afterwards.
pub fn judge(table: &NftTable, chains: &[NftChain]) -> Result<(), Keep> {
    if table.flags != 0 {
        return Err(Keep::Flags(table.flags));
    }
    let mut count = 0;
    for c in chains.iter().filter(|c| c.table == table.name) {
        count += 1;
        if !c.base || !is_builtin(&c.name) {
            return Err(Keep::Chain(c.name.clone()));
        }
        if c.policy != Some(NF_ACCEPT) {
            return Err(Keep::Policy(c.name.clone()));
        }
    }
    if table.objects != count {
        return Err(Keep::Objects);
    }
    Ok(())
}

/// One batch deleting `tables`, valid only in generation `genid`. Sequence
/// numbers: `seq` for the batch start, `seq + 1 + i` for `tables[i]`.
pub fn delete_batch(genid: u32, tables: &[FamilyTable], seq: u32) -> Vec<u8> {
    let mut out = Message::new(
        NFNL_MSG_BATCH_BEGIN,
        NLM_F_REQUEST,
        seq,
        libc::AF_UNSPEC as u8,
        NFNL_SUBSYS_NFTABLES,
    )
    .attr_be32(NFNL_BATCH_GENID, genid)
    .finish();
    for (i, (family, name)) in tables.iter().enumerate() {
        out.extend(
            Message::new(
                nft_type(NFT_MSG_DELTABLE),
                NLM_F_REQUEST | NLM_F_ACK,
                seq + 1 + i as u32,
                nfproto(*family),
                0,
            )
            .attr_str(NFTA_TABLE_NAME, name)
            .finish(),
        );
    }
    let end = seq + 1 + tables.len() as u32;
    out.extend(
        Message::new(
            NFNL_MSG_BATCH_END,
            NLM_F_REQUEST,
            end,
            libc::AF_UNSPEC as u8,
            NFNL_SUBSYS_NFTABLES,
        )
        .finish(),
    );
    out
}

/// The kernel's answer to a delete batch so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Pending,
    Committed,
    /// The batch was refused as a whole (nothing deleted): `seq` is the
    /// message the error is about.
    Refused {
        seq: u32,
        errno: i32,
    },
}

/// Collects the acknowledgements of a [`delete_batch`] of `count` tables.
#[derive(Debug)]
pub struct Acks {
    seq: u32,
    count: usize,
    acked: usize,
}

impl Acks {
    pub fn new(seq: u32, count: usize) -> Acks {
        Acks {
            seq,
            count,
            acked: 0,
        }
    }

    /// Takes one received message into account. Any error refuses the
    /// whole batch; so does a commit failure, which the kernel reports
    /// on the batch start before the per-message acknowledgements.
    pub fn feed(&mut self, msg: &Received<'_>) -> io::Result<Answer> {
        let ours = msg.seq >= self.seq && msg.seq <= self.seq + 1 + self.count as u32;
        match msg.error()? {
            Some(code) if code != 0 && ours => {
                return Ok(Answer::Refused {
                    seq: msg.seq,
                    errno: -code,
                })
            }
            Some(0) if ours && msg.seq != self.seq => self.acked += 1,
            _ => {}
        }
        Ok(if self.acked >= self.count {
            Answer::Committed
        } else {
            Answer::Pending
        })
    }
}

fn read_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> PruneError {
    let what = what.into();
    move |source| PruneError::Read { what, source }
}

/// The tables of `family` that can go, logging why the others stay.
fn empty_tables_of(
    socket: &mut Socket,
    family: Family,
    log: &mut Vec<String>,
) -> Result<Vec<FamilyTable>, PruneError> {
    let of = |what: &str| format!("{what} of family {} ({family})", nft_family(family));
    let tables = ruleset::tables(socket, family).map_err(read_error(of("tables")))?;
    let chains = ruleset::chains(socket, family).map_err(read_error(of("chains")))?;
    let mut out = Vec::new();
    for table in tables.iter().filter(|t| candidate(&t.name)) {
        let kept = match judge(table, &chains) {
            Err(why) => Some(why),
            Ok(()) => {
                let rules = ruleset::count_rules(socket, family, &table.name)
                    .map_err(read_error(of(&format!("rules of table {}", table.name))))?;
                (rules > 0).then_some(Keep::Rules(rules))
            }
        };
        match kept {
            None => out.push((family, table.name.clone())),
            Some(why) => log.push(format!(
                "{family} iptables-nft table {} left in place: {why}",
                table.name
            )),
        }
    }
    Ok(out)
}

/// Deletes, in one batch, the tables mesh-init writes to that hold nothing
/// (see the module doc) in the nf_tables families of `families`. Returns
/// what it deleted. A table that fills up between the check and the delete
/// is kept and logged, not an error.
pub fn empty_tables(
    families: &[Family],
    log: &mut Vec<String>,
) -> Result<Vec<FamilyTable>, PruneError> {
    for _ in 0..ATTEMPTS {
        let mut socket = Socket::open().map_err(read_error("ruleset"))?;
        let genid = ruleset::generation(&mut socket).map_err(read_error("ruleset generation"))?;
        // Why tables stay, logged once the outcome of this attempt is final.
        let mut kept = Vec::new();
        let mut doomed = Vec::new();
        for family in families {
            doomed.extend(empty_tables_of(&mut socket, *family, &mut kept)?);
        }
        if doomed.is_empty() {
            log.append(&mut kept);
            return Ok(doomed);
        }
        let refused = delete(&mut socket, genid, &doomed).map_err(|source| PruneError::Delete {
            tables: doomed.clone(),
            source,
        })?;
        let Some((seq, errno)) = refused else {
            log.append(&mut kept);
            log.push(format!(
                "deleted the empty iptables-nft {}",
                describe(&doomed)
            ));
            return Ok(doomed);
        };
        match errno {
            libc::ERESTART | libc::ENOENT => log.push(format!(
                "the nf_tables ruleset changed while checking {}; nothing deleted, checking again",
                describe(&doomed)
            )),
            libc::EBUSY | libc::ENOTEMPTY => {
                log.append(&mut kept);
                log.push(format!(
                    "{} no longer empty ({}); nothing deleted",
                    describe(&doomed),
                    io::Error::from_raw_os_error(errno)
                ));
                return Ok(Vec::new());
            }
            _ => {
                let at = seq.checked_sub(BATCH_SEQ + 1).map(|i| i as usize);
                let tables = match at.and_then(|i| doomed.get(i)) {
                    Some(one) => vec![one.clone()],
                    None => doomed,
                };
                return Err(PruneError::Delete {
                    tables,
                    source: io::Error::from_raw_os_error(errno),
                });
            }
        }
    }
    log.push(format!(
        "the nf_tables ruleset kept changing during {ATTEMPTS} checks; empty iptables-nft tables left in place"
    ));
    Ok(Vec::new())
}

/// Sends one batch deleting `doomed` if the ruleset is still at generation
/// `genid`, and waits for the kernel's verdict: `None` when it was
/// committed, else the message refused and the errno (the batch then
/// changed nothing).
pub fn delete(
    socket: &mut Socket,
    genid: u32,
    doomed: &[FamilyTable],
) -> io::Result<Option<(u32, i32)>> {
    socket.send(&delete_batch(genid, doomed, BATCH_SEQ))?;
    let mut acks = Acks::new(BATCH_SEQ, doomed.len());
    loop {
        let dgram = socket.recv()?;
        if dgram.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        for msg in split(dgram)? {
            match acks.feed(&msg)? {
                Answer::Pending => {}
                Answer::Committed => return Ok(None),
                Answer::Refused { seq, errno } => return Ok(Some((seq, errno))),
            }
        }
    }
}

#[cfg(test)]
mod tests;
