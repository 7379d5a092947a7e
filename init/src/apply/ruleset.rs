//! The nf_tables ruleset of one family as the kernel lists it over netlink:
//! the ruleset generation, the tables (flags, how many objects they hold),
//! the chains (base or not, policy) and how many rules a table holds. What
//! [`super::prune`] needs to tell an empty iptables-nft table; decoding is
//! pure and unit-tested, the socket is [`super::nfnl`]'s.

use std::io;

use super::backend::Family;
use super::nfnl::{
    attr_string, be32, nfproto, nft_type, split, Attrs, Message, Received, Socket, NLM_F_DUMP,
    NLM_F_REQUEST,
};

const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_GETTABLE: u16 = 1;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_GETCHAIN: u16 = 4;
const NFT_MSG_NEWRULE: u16 = 6;
const NFT_MSG_GETRULE: u16 = 7;
const NFT_MSG_NEWGEN: u16 = 15;
const NFT_MSG_GETGEN: u16 = 16;
const NFTA_TABLE_NAME: u16 = 1;
const NFTA_TABLE_FLAGS: u16 = 2;
const NFTA_TABLE_USE: u16 = 3;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_GEN_ID: u16 = 1;
/// The verdict code of ACCEPT (a chain policy).
pub const NF_ACCEPT: u32 = 1;

/// An nf_tables table as the kernel lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NftTable {
    pub name: String,
    pub flags: u32,
    /// Chains, sets, stateful objects and flowtables it holds.
    pub objects: u32,
}

/// An nf_tables chain as the kernel lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NftChain {
    pub table: String,
    pub name: String,
    /// Attached to a hook (what iptables calls a built-in chain).
    pub base: bool,
    pub policy: Option<u32>,
}

/// The attributes of `msg` when it is nf_tables message `kind`.
fn attrs<'a>(msg: &Received<'a>, kind: u16) -> io::Result<Option<Attrs<'a>>> {
    if msg.kind != nft_type(kind) {
        return Ok(None);
    }
    msg.attrs().map(Some)
}

/// A table of a `NFT_MSG_GETTABLE` dump.
pub fn decode_table(msg: &Received<'_>) -> io::Result<Option<NftTable>> {
    let Some(attrs) = attrs(msg, NFT_MSG_NEWTABLE)? else {
        return Ok(None);
    };
    let mut t = NftTable::default();
    for (kind, v) in attrs {
        match kind {
            NFTA_TABLE_NAME => t.name = attr_string(v),
            NFTA_TABLE_FLAGS => t.flags = be32(v).unwrap_or(u32::MAX),
            NFTA_TABLE_USE => t.objects = be32(v).unwrap_or(u32::MAX),
            _ => {}
        }
    }
    Ok(Some(t))
}

/// A chain of a `NFT_MSG_GETCHAIN` dump.
pub fn decode_chain(msg: &Received<'_>) -> io::Result<Option<NftChain>> {
    let Some(attrs) = attrs(msg, NFT_MSG_NEWCHAIN)? else {
        return Ok(None);
    };
    let mut c = NftChain::default();
    for (kind, v) in attrs {
        match kind {
            NFTA_CHAIN_TABLE => c.table = attr_string(v),
            NFTA_CHAIN_NAME => c.name = attr_string(v),
            NFTA_CHAIN_HOOK => c.base = true,
            NFTA_CHAIN_POLICY => c.policy = be32(v),
            _ => {}
        }
    }
    Ok(Some(c))
}

/// The table of a rule of a `NFT_MSG_GETRULE` dump.
pub fn decode_rule_table(msg: &Received<'_>) -> io::Result<Option<String>> {
    Ok(attrs(msg, NFT_MSG_NEWRULE)?.map(|attrs| {
        attrs
            .iter()
            .find(|(k, _)| *k == NFTA_RULE_TABLE)
            .map(|(_, v)| attr_string(v))
            .unwrap_or_default()
    }))
}

/// The generation of a `NFT_MSG_GETGEN` answer.
pub fn decode_gen(msg: &Received<'_>) -> io::Result<Option<u32>> {
    Ok(attrs(msg, NFT_MSG_NEWGEN)?
        .and_then(|attrs| attrs.iter().find(|(k, _)| *k == NFTA_GEN_ID).map(|a| a.1))
        .and_then(be32))
}

fn dump_request(msg: u16, family: Family, seq: u32) -> Message {
    Message::new(
        nft_type(msg),
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        nfproto(family),
        0,
    )
}

/// The current ruleset generation (of every family: it is per namespace).
pub fn generation(socket: &mut Socket) -> io::Result<u32> {
    let req = Message::new(
        nft_type(NFT_MSG_GETGEN),
        NLM_F_REQUEST,
        1,
        libc::AF_UNSPEC as u8,
        0,
    );
    socket.send(&req.finish())?;
    loop {
        let dgram = socket.recv()?;
        if dgram.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        for msg in split(dgram)? {
            match msg.error()? {
                Some(code) if code != 0 => return Err(io::Error::from_raw_os_error(-code)),
                _ => {}
            }
            if let Some(genid) = decode_gen(&msg)? {
                return Ok(genid);
            }
        }
    }
}

/// Every table of `family`.
pub fn tables(socket: &mut Socket, family: Family) -> io::Result<Vec<NftTable>> {
    let mut out = Vec::new();
    let req = dump_request(NFT_MSG_GETTABLE, family, 2).finish();
    socket.dump(&req, |m| {
        out.extend(decode_table(m)?);
        Ok(())
    })?;
    Ok(out)
}

/// Every chain of `family`.
pub fn chains(socket: &mut Socket, family: Family) -> io::Result<Vec<NftChain>> {
    let mut out = Vec::new();
    let req = dump_request(NFT_MSG_GETCHAIN, family, 3).finish();
    socket.dump(&req, |m| {
        out.extend(decode_chain(m)?);
        Ok(())
    })?;
    Ok(out)
}

/// How many rules `table` of `family` holds.
pub fn count_rules(socket: &mut Socket, family: Family, table: &str) -> io::Result<usize> {
    // The kernel filters by table; an old one that does not is filtered here.
    let req = dump_request(NFT_MSG_GETRULE, family, 4)
        .attr_str(NFTA_RULE_TABLE, table)
        .finish();
    let mut rules = 0;
    socket.dump(&req, |m| {
        rules += usize::from(decode_rule_table(m)?.is_some_and(|t| t == table));
        Ok(())
    })?;
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(msg: u16, build: impl FnOnce(Message) -> Message) -> Vec<u8> {
        build(Message::new(nft_type(msg), 2, 0, 2, 0)).finish()
    }

    #[test]
    fn tables_chains_rules_and_generation_are_decoded() {
        let t = reply(NFT_MSG_NEWTABLE, |m| {
            m.attr_str(NFTA_TABLE_NAME, "nat")
                .attr_be32(NFTA_TABLE_FLAGS, 0)
                .attr_be32(NFTA_TABLE_USE, 2)
                .attr(4, &[0; 8])
        });
        let c = reply(NFT_MSG_NEWCHAIN, |m| {
            m.attr_str(NFTA_CHAIN_TABLE, "nat")
                .attr(2, &[0; 8])
                .attr_str(NFTA_CHAIN_NAME, "OUTPUT")
                .attr(NFTA_CHAIN_HOOK | 0x8000, &[8, 0, 1, 0, 0, 0, 0, 3])
                .attr_be32(NFTA_CHAIN_POLICY, NF_ACCEPT)
        });
        let user = reply(NFT_MSG_NEWCHAIN, |m| {
            m.attr_str(NFTA_CHAIN_TABLE, "nat")
                .attr_str(NFTA_CHAIN_NAME, "FOREIGN")
        });
        let r = reply(NFT_MSG_NEWRULE, |m| {
            m.attr_str(NFTA_RULE_TABLE, "filter").attr_str(2, "INPUT")
        });
        let g = Message::new(nft_type(NFT_MSG_NEWGEN), 0, 1, 0, 0)
            .attr_be32(NFTA_GEN_ID, 0xdead_beef)
            .finish();
        let decoded = split(&t).unwrap();
        assert_eq!(
            decode_table(&decoded[0]).unwrap(),
            Some(NftTable {
                name: "nat".into(),
                flags: 0,
                objects: 2
            })
        );
        assert_eq!(decode_chain(&decoded[0]).unwrap(), None, "not a chain");
        assert_eq!(
            decode_chain(&split(&c).unwrap()[0]).unwrap(),
            Some(NftChain {
                table: "nat".into(),
                name: "OUTPUT".into(),
                base: true,
                policy: Some(NF_ACCEPT)
            })
        );
        assert_eq!(
            decode_chain(&split(&user).unwrap()[0]).unwrap(),
            Some(NftChain {
                table: "nat".into(),
                name: "FOREIGN".into(),
                base: false,
                policy: None
            })
        );
        assert_eq!(
            decode_rule_table(&split(&r).unwrap()[0])
                .unwrap()
                .as_deref(),
            Some("filter")
        );
        assert_eq!(
            decode_gen(&split(&g).unwrap()[0]).unwrap(),
            Some(0xdead_beef)
        );
        assert_eq!(decode_gen(&split(&r).unwrap()[0]).unwrap(), None);
    }
}
