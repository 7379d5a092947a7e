//! The decisions for one address family: read the state (or know it is
//! clean), compare with the payload, and write at most one restore
//! transaction. Written against [`Tables`] so that every branch is tested
//! without iptables.
//!
//! Concurrency: runs of mesh-init in one network namespace are serialized
//! by [`super::lock`]. Against other writers, the first write of a payload
//! keeps its `-N` lines, so a racing transaction usually fails as a whole;
//! the state is then read again and judged. iptables-nft can however replay a
//! transaction that lost a race against a fresh cache and skip `-N` for
//! chains that now exist, committing the rules a second time. Every write is
//! therefore verified against the listing the same restore prints after its
//! COMMIT; when our own write left the desired rules duplicated, they are
//! collapsed with one replace transaction (no `--reconcile` needed: only
//! copies of our rules go). A write that fails while the state did not move
//! is a real error and is reported with the restore's stderr.

use super::backend::{Family, Knowledge};
use super::canon::NameResolver;
use super::compare::{compare, Comparison, Detail};
use super::error::ApplyError;
use super::rules::{parse_payload, parse_save, Payload, SavedState};
use super::txn::{create, listed_tables, listing_state, remove, replace, split_listing};

/// How many transactions a run attempts when other writers keep moving the state.
pub const ATTEMPTS: usize = 5;

/// The iptables of one family, as the flow needs them.
pub trait Tables {
    /// What detection learnt without reading the state.
    fn knowledge(&self) -> Knowledge;
    /// The full `iptables-save` text.
    fn save(&self) -> Result<String, ApplyError>;
    /// Runs one `iptables-restore --noflush` transaction, returning its stdout.
    fn restore(&self, input: &str) -> Result<String, ApplyError>;
    /// The restore command line, for the logs.
    fn restore_command(&self) -> String;
}

/// What a run did to one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Our chains did not exist; the payload was written.
    Created,
    /// Exactly the desired rules were already in place; nothing was written.
    Unchanged,
    /// Differing rules of ours were replaced (`--reconcile`, `--force-apply`).
    Replaced,
    /// Our chains and jumps were removed (`--cleanup-only`).
    Removed,
    /// `--cleanup-only` found nothing of ours.
    NothingToRemove,
    /// The payload of this family is empty; nothing was read or written.
    NothingPlanned,
}

/// Flags that change how a drift is handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mode {
    pub reconcile: bool,
    pub force_apply: bool,
}

fn parse_state(family: Family, text: &str) -> Result<SavedState, ApplyError> {
    parse_save(text).map_err(|source| ApplyError::Parse {
        family,
        what: "iptables-save output",
        source,
    })
}

fn log_final(
    log: &mut Vec<String>,
    family: Family,
    t: &dyn Tables,
    stdout: &str,
    tables: &[String],
) {
    let by = t.restore_command();
    match split_listing(stdout, tables) {
        Some(parts) => {
            for (table, rules) in parts {
                log.push(format!(
                    "final {family} rules of table {table} (listed by {by} after COMMIT):\n{rules}"
                ));
            }
        }
        None => log.push(format!(
            "final {family} rules (listed by {by} after COMMIT):\n{}",
            stdout.trim_end()
        )),
    }
}

/// The result of one transaction.
enum Write {
    /// Committed; the state listed right after the commit, when readable.
    Done(Option<SavedState>),
    Failed(ApplyError),
}

fn write(t: &dyn Tables, family: Family, input: &str, what: &str, log: &mut Vec<String>) -> Write {
    log.push(format!(
        "{what} {family} rules with {}:\n{}",
        t.restore_command(),
        input.trim_end()
    ));
    match t.restore(input) {
        Ok(stdout) => {
            let tables = listed_tables(input);
            log_final(log, family, t, &stdout, &tables);
            Write::Done(listing_state(&stdout, &tables))
        }
        Err(e) => {
            log.push(format!("{family} write failed: {e}"));
            Write::Failed(e)
        }
    }
}

/// Whether the state listed after our commit is the desired one; `None`
/// (unreadable listing) is trusted, as the transaction did commit.
fn verified(
    listed: Option<&SavedState>,
    desired: &Payload,
    names: &dyn NameResolver,
    family: Family,
    log: &mut Vec<String>,
) -> bool {
    match listed.map(|state| compare(state, desired, names)) {
        None | Some(Comparison::Equal) => true,
        Some(_) => {
            log.push(format!(
                "{family} rules after this write differ from the desired rules: another writer committed at the same time; checking again"
            ));
            false
        }
    }
}

/// Whether the state holds part of the desired rules and nothing else of ours: what a
/// create that failed leaves when `iptables-restore` committed its first tables (it commits
/// table by table) before one failed.
fn partly_written(c: &Comparison) -> bool {
    matches!(c, Comparison::Different(diffs) if diffs
        .iter()
        .all(|d| matches!(d.detail, Detail::MissingChain | Detail::Missing { .. })))
}

/// Removes what a failed create committed, so that the family is left as it was.
fn undo_partial(
    t: &dyn Tables,
    family: Family,
    current: &SavedState,
    desired: &Payload,
    names: &dyn NameResolver,
    log: &mut Vec<String>,
) {
    log.push(format!(
        "{family}: iptables-restore committed part of the failed write (it commits table by table); removing that part"
    ));
    if let Some(input) = remove(current, Some(desired), names) {
        if let Write::Failed(e) = write(t, family, &input, "removing", log) {
            log.push(format!(
                "{family}: the committed part could not be removed ({e}); remove it with --cleanup-only"
            ));
        }
    }
}

/// Brings our part of the family to `payload_text`.
pub fn apply_family(
    t: &dyn Tables,
    family: Family,
    payload_text: &str,
    mode: Mode,
    names: &dyn NameResolver,
    log: &mut Vec<String>,
) -> Result<Action, ApplyError> {
    let desired = parse_payload(payload_text).map_err(|source| ApplyError::Parse {
        family,
        what: "payload",
        source,
    })?;
    if desired.is_empty() {
        log.push(format!(
            "no {family} rules planned; {family} left untouched"
        ));
        return Ok(Action::NothingPlanned);
    }
    // (state the last failed write was based on, its error, whether it was a create)
    let mut failed: Option<(Option<SavedState>, ApplyError, bool)> = None;
    // what our last committed (but unverified) write did
    let mut wrote: Option<Action> = None;
    if t.knowledge() == Knowledge::NoOwnedChains {
        log.push(format!(
            "no ISTIO_* chains exist for {family}; writing without reading the state first"
        ));
        match write(t, family, &create(payload_text, &desired), "writing", log) {
            Write::Done(listed) if verified(listed.as_ref(), &desired, names, family, log) => {
                return Ok(Action::Created)
            }
            Write::Done(_) => wrote = Some(Action::Created),
            Write::Failed(e) => failed = Some((None, e, true)),
        }
    }
    for _ in 0..ATTEMPTS {
        let saved = t.save()?;
        let current = parse_state(family, &saved)?;
        let comparison = compare(&current, &desired, names);
        if let Some((before, e, created)) = failed.take() {
            let unmoved = match &before {
                Some(b) => *b == current,
                None => comparison == Comparison::Absent,
            };
            if unmoved {
                return Err(e);
            }
            if created && partly_written(&comparison) {
                undo_partial(t, family, &current, &desired, names, log);
                return Err(e);
            }
        }
        let (input, action, what) = match comparison {
            Comparison::Equal if wrote.is_some() => {
                log.push(format!("{family} rules are now as desired"));
                return Ok(wrote.unwrap_or(Action::Created));
            }
            Comparison::Absent => (create(payload_text, &desired), Action::Created, "writing"),
            Comparison::Equal if !mode.force_apply => {
                log.push(format!(
                    "{family} rules are already in place; nothing written. current {family} state:\n{}",
                    saved.trim_end()
                ));
                return Ok(Action::Unchanged);
            }
            Comparison::Equal => (
                replace(&current, &desired, names),
                Action::Replaced,
                "--force-apply: rewriting",
            ),
            Comparison::Duplicated(_) if wrote.is_some() => (
                replace(&current, &desired, names),
                wrote.unwrap_or(Action::Created),
                "collapsing the copies concurrent runs committed of",
            ),
            Comparison::Different(diffs) | Comparison::Duplicated(diffs)
                if mode.reconcile || mode.force_apply =>
            {
                let list: Vec<String> = diffs.iter().map(ToString::to_string).collect();
                log.push(format!(
                    "{family} ISTIO_* rules differ from the desired rules:\n  {}",
                    list.join("\n  ")
                ));
                (
                    replace(&current, &desired, names),
                    Action::Replaced,
                    "replacing",
                )
            }
            Comparison::Different(differences) | Comparison::Duplicated(differences) => {
                return Err(ApplyError::Drift {
                    family,
                    differences,
                })
            }
        };
        match write(t, family, &input, what, log) {
            Write::Done(listed) if verified(listed.as_ref(), &desired, names, family, log) => {
                return Ok(action)
            }
            Write::Done(_) => wrote = Some(action),
            Write::Failed(e) => failed = Some((Some(current), e, action == Action::Created)),
        }
    }
    let last = failed
        .map(|(_, e, _)| e.to_string())
        .unwrap_or_else(|| "the rules kept changing after each write".to_string());
    Err(ApplyError::Contended {
        family,
        attempts: ATTEMPTS,
        last,
    })
}

/// Removes our chains and jumps of the family. With the payload, built-in
/// chain rules equal to its rules are removed too.
pub fn cleanup_family(
    t: &dyn Tables,
    family: Family,
    payload_text: Option<&str>,
    names: &dyn NameResolver,
    log: &mut Vec<String>,
) -> Result<Action, ApplyError> {
    let desired = match payload_text {
        Some(text) => Some(parse_payload(text).map_err(|source| ApplyError::Parse {
            family,
            what: "payload",
            source,
        })?),
        None => None,
    };
    if t.knowledge() == Knowledge::NoOwnedChains {
        log.push(format!(
            "no ISTIO_* chains exist for {family}; nothing to remove"
        ));
        return Ok(Action::NothingToRemove);
    }
    let mut failed: Option<(SavedState, ApplyError)> = None;
    for _ in 0..ATTEMPTS {
        let saved = t.save()?;
        let current = parse_state(family, &saved)?;
        if let Some((before, e)) = failed.take() {
            if before == current {
                return Err(e);
            }
        }
        let Some(input) = remove(&current, desired.as_ref(), names) else {
            log.push(format!(
                "nothing of ours in {family}; nothing removed. current {family} state:\n{}",
                saved.trim_end()
            ));
            return Ok(Action::NothingToRemove);
        };
        match write(t, family, &input, "removing", log) {
            Write::Done(_) => return Ok(Action::Removed),
            Write::Failed(e) => failed = Some((current, e)),
        }
    }
    Err(ApplyError::Contended {
        family,
        attempts: ATTEMPTS,
        last: failed.map(|(_, e)| e.to_string()).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;
