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
use super::compare::{compare, Comparison};
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
            log.push(format!(
                "{family} transaction failed and changed nothing: {e}"
            ));
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
    // (state the last failed write was based on, its error)
    let mut failed: Option<(Option<SavedState>, ApplyError)> = None;
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
            Write::Failed(e) => failed = Some((None, e)),
        }
    }
    for _ in 0..ATTEMPTS {
        let saved = t.save()?;
        let current = parse_state(family, &saved)?;
        let comparison = compare(&current, &desired, names);
        if let Some((before, e)) = failed.take() {
            let unmoved = match &before {
                Some(b) => *b == current,
                None => comparison == Comparison::Absent,
            };
            if unmoved {
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
            Write::Failed(e) => failed = Some((Some(current), e)),
        }
    }
    let last = failed
        .map(|(_, e)| e.to_string())
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
mod tests {
    use std::cell::RefCell;

    use super::super::canon::NumericIds;
    use super::*;

    /// Scripted iptables: successive save outputs and restore results.
    struct Script {
        knowledge: Knowledge,
        saves: RefCell<Vec<String>>,
        restores: RefCell<Vec<Result<String, String>>>,
        written: RefCell<Vec<String>>,
    }

    impl Script {
        fn new(knowledge: Knowledge, saves: &[&str], restores: Vec<Result<&str, &str>>) -> Self {
            Script {
                knowledge,
                saves: RefCell::new(saves.iter().rev().map(|s| s.to_string()).collect()),
                restores: RefCell::new(
                    restores
                        .into_iter()
                        .rev()
                        .map(|r| r.map(str::to_string).map_err(str::to_string))
                        .collect(),
                ),
                written: RefCell::new(Vec::new()),
            }
        }
    }

    impl Tables for Script {
        fn knowledge(&self) -> Knowledge {
            self.knowledge
        }
        fn save(&self) -> Result<String, ApplyError> {
            Ok(self.saves.borrow_mut().pop().expect("unexpected save"))
        }
        fn restore(&self, input: &str) -> Result<String, ApplyError> {
            self.written.borrow_mut().push(input.to_string());
            self.restores
                .borrow_mut()
                .pop()
                .expect("unexpected restore")
                .map_err(|stderr| ApplyError::Command {
                    program: "iptables-restore --noflush".into(),
                    status: "exit status: 1".into(),
                    stderr,
                })
        }
        fn restore_command(&self) -> String {
            "iptables-restore --noflush".into()
        }
    }

    const PAYLOAD: &str = "* nat\n-N ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN\nCOMMIT\n";
    const APPLIED: &str = "*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\nCOMMIT\n";
    const TAINTED: &str = "*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -d 10.99.0.0/16 -j RETURN\nCOMMIT\n";
    const EMPTY: &str = "*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
    /// What the restore lists after committing PAYLOAD.
    const LISTING: &str = "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-N ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n";
    /// ... and after a concurrent run committed it a second time.
    const LISTING_TWICE: &str = "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-N ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n";
    const TWICE: &str = "*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\nCOMMIT\n";

    fn run(s: &Script, mode: Mode) -> (Result<Action, ApplyError>, Vec<String>) {
        let mut log = Vec::new();
        let r = apply_family(s, Family::V4, PAYLOAD, mode, &NumericIds, &mut log);
        (r, log)
    }

    #[test]
    fn clean_namespace_is_written_with_one_restore_and_no_save() {
        let s = Script::new(Knowledge::NoOwnedChains, &[], vec![Ok(LISTING)]);
        let (r, log) = run(&s, Mode::default());
        assert_eq!(r.unwrap(), Action::Created);
        assert_eq!(
            s.written.borrow().as_slice(),
            [format!("{PAYLOAD}*nat\n-S\nCOMMIT\n")]
        );
        assert!(
            log.iter()
                .any(|l| l.starts_with("final IPv4 rules of table nat")),
            "{log:?}"
        );
    }

    #[test]
    fn desired_state_already_present_writes_nothing() {
        let s = Script::new(Knowledge::Unknown, &[APPLIED], vec![]);
        let (r, log) = run(&s, Mode::default());
        assert_eq!(r.unwrap(), Action::Unchanged);
        assert!(s.written.borrow().is_empty());
        assert!(
            log.last().unwrap().contains(":ISTIO_OUTPUT - [0:0]"),
            "the current state is logged"
        );
    }

    #[test]
    fn drift_without_reconcile_is_an_error_naming_the_rule() {
        let s = Script::new(Knowledge::Unknown, &[TAINTED], vec![]);
        let e = run(&s, Mode::default()).0.unwrap_err().to_string();
        assert!(
            e.contains(
                "chain ISTIO_OUTPUT, rule 1: found `-A ISTIO_OUTPUT -d 10.99.0.0/16 -j RETURN`"
            ),
            "{e}"
        );
        assert!(e.ends_with("rerun with --reconcile to replace them"), "{e}");
        assert!(s.written.borrow().is_empty());
    }

    #[test]
    fn drift_with_reconcile_is_replaced_in_one_transaction() {
        let s = Script::new(Knowledge::Unknown, &[TAINTED], vec![Ok(LISTING)]);
        let mode = Mode {
            reconcile: true,
            ..Mode::default()
        };
        assert_eq!(run(&s, mode).0.unwrap(), Action::Replaced);
        let written = s.written.borrow();
        assert!(written[0].starts_with("*nat\n:ISTIO_OUTPUT - [0:0]\n-D OUTPUT -j ISTIO_OUTPUT\n"));
    }

    #[test]
    fn force_apply_rewrites_even_an_equal_state() {
        let s = Script::new(Knowledge::Unknown, &[APPLIED], vec![Ok(LISTING)]);
        let mode = Mode {
            force_apply: true,
            ..Mode::default()
        };
        assert_eq!(run(&s, mode).0.unwrap(), Action::Replaced);
    }

    #[test]
    fn losing_a_race_on_a_fresh_namespace_ends_unchanged() {
        let s = Script::new(
            Knowledge::NoOwnedChains,
            &[APPLIED],
            vec![Err("iptables-restore: line 2 failed")],
        );
        assert_eq!(run(&s, Mode::default()).0.unwrap(), Action::Unchanged);
    }

    #[test]
    fn copies_committed_by_a_concurrent_run_are_collapsed() {
        let s = Script::new(
            Knowledge::NoOwnedChains,
            &[TWICE],
            vec![Ok(LISTING_TWICE), Ok(LISTING)],
        );
        let (r, log) = run(&s, Mode::default());
        assert_eq!(r.unwrap(), Action::Created);
        let written = s.written.borrow();
        assert_eq!(written.len(), 2);
        assert!(
            written[1].contains("-D OUTPUT -j ISTIO_OUTPUT\n-D OUTPUT -j ISTIO_OUTPUT\n"),
            "{}",
            written[1]
        );
        assert!(log
            .iter()
            .any(|l| l.contains("another writer committed at the same time")));
    }

    #[test]
    fn copies_found_before_any_write_are_a_drift() {
        let s = Script::new(Knowledge::Unknown, &[TWICE], vec![]);
        let e = run(&s, Mode::default()).0.unwrap_err();
        assert!(matches!(e, ApplyError::Drift { .. }), "{e}");
    }

    #[test]
    fn a_failure_on_an_unmoved_state_is_reported_with_stderr() {
        let s = Script::new(
            Knowledge::NoOwnedChains,
            &[EMPTY],
            vec![Err("Couldn't load match `owner'")],
        );
        let e = run(&s, Mode::default()).0.unwrap_err().to_string();
        assert!(e.ends_with("Couldn't load match `owner'"), "{e}");
        assert_eq!(s.written.borrow().len(), 1, "no blind retry");
    }

    #[test]
    fn a_state_that_keeps_moving_gives_up_after_bounded_attempts() {
        let moving: Vec<String> = (0..ATTEMPTS)
            .map(|i| TAINTED.replace("10.99.0.0/16", &format!("10.{i}.0.0/16")))
            .collect();
        let saves: Vec<&str> = moving.iter().map(String::as_str).collect();
        let s = Script::new(
            Knowledge::Unknown,
            &saves,
            vec![Err("line 3 failed"); ATTEMPTS],
        );
        let mode = Mode {
            reconcile: true,
            ..Mode::default()
        };
        let e = run(&s, mode).0.unwrap_err();
        assert!(
            matches!(
                e,
                ApplyError::Contended {
                    attempts: ATTEMPTS,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn empty_payload_touches_nothing() {
        let s = Script::new(Knowledge::Unknown, &[], vec![]);
        let mut log = Vec::new();
        let r = apply_family(&s, Family::V6, "", Mode::default(), &NumericIds, &mut log);
        assert_eq!(r.unwrap(), Action::NothingPlanned);
    }

    #[test]
    fn cleanup_removes_ours_or_reports_nothing() {
        let s = Script::new(Knowledge::Unknown, &[TAINTED], vec![Ok(LISTING)]);
        let mut log = Vec::new();
        let r = cleanup_family(&s, Family::V4, None, &NumericIds, &mut log);
        assert_eq!(r.unwrap(), Action::Removed);
        assert!(s.written.borrow()[0]
            .contains("-D OUTPUT -j ISTIO_OUTPUT\n-F ISTIO_OUTPUT\n-X ISTIO_OUTPUT\n"));
        let clean = Script::new(Knowledge::Unknown, &[EMPTY], vec![]);
        let r = cleanup_family(&clean, Family::V4, None, &NumericIds, &mut log);
        assert_eq!(r.unwrap(), Action::NothingToRemove);
        let fresh = Script::new(Knowledge::NoOwnedChains, &[], vec![]);
        let r = cleanup_family(&fresh, Family::V4, None, &NumericIds, &mut log);
        assert_eq!(r.unwrap(), Action::NothingToRemove);
    }
}
