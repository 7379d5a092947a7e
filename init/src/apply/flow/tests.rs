//! Tests of every branch of the per-family flow against scripted iptables.

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
        e.contains("chain ISTIO_OUTPUT, rule 1: found `-A ISTIO_OUTPUT -d 10.99.0.0/16 -j RETURN`"),
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

/// Two tables: `iptables-restore` commits `nat`, then fails on `raw`.
const TWO_TABLES: &str = "* nat\n-N ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN\nCOMMIT\n* raw\n-N ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN\nCOMMIT\n";
const NAT_ONLY: &str = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\nCOMMIT\n";

#[test]
fn a_create_that_fails_after_committing_a_table_is_undone() {
    for knowledge in [Knowledge::NoOwnedChains, Knowledge::Unknown] {
        let saves: &[&str] = match knowledge {
            Knowledge::NoOwnedChains => &[NAT_ONLY],
            _ => &[
                "*raw\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
                NAT_ONLY,
            ],
        };
        let s = Script::new(
            knowledge,
            saves,
            vec![
                Err("line 9: RULE_APPEND failed (No such file or directory)"),
                Ok(""),
            ],
        );
        let mut log = Vec::new();
        let r = apply_family(
            &s,
            Family::V4,
            TWO_TABLES,
            Mode::default(),
            &NumericIds,
            &mut log,
        );
        let e = r.unwrap_err().to_string();
        assert!(
            e.ends_with("RULE_APPEND failed (No such file or directory)"),
            "{e}"
        );
        let written = s.written.borrow();
        assert_eq!(written.len(), 2, "the create, then the undo: {written:?}");
        let undo = &written[1];
        assert!(undo.starts_with("*nat\n"), "{undo}");
        assert!(undo.contains("-D OUTPUT -j ISTIO_OUTPUT\n"), "{undo}");
        assert!(undo.contains("-X ISTIO_OUTPUT\n"), "{undo}");
        assert!(!undo.contains("*raw"), "nothing of ours in raw: {undo}");
        assert!(
            log.iter()
                .any(|l| l.contains("committed part of the failed write")),
            "{log:?}"
        );
    }
}

#[test]
fn a_failed_replace_is_not_undone() {
    // A drift being reconciled: the failed write was no create, so what is there stays.
    let s = Script::new(
        Knowledge::Unknown,
        &[TAINTED, TAINTED],
        vec![Err("Couldn't load match `owner'")],
    );
    let (r, _) = run(
        &s,
        Mode {
            reconcile: true,
            force_apply: false,
        },
    );
    assert!(r.is_err());
    assert_eq!(s.written.borrow().len(), 1);
}
