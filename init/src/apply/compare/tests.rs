//! Tests of the comparison of our rules with the desired payload.

use super::super::canon::NumericIds;
use super::super::rules::{parse_payload, parse_save};
use super::*;

const PAYLOAD: &str = "* nat
-N ISTIO_INBOUND
-N ISTIO_OUTPUT
-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN
-A PREROUTING -p tcp -j ISTIO_INBOUND
-A OUTPUT -j ISTIO_OUTPUT
-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
-I PREROUTING 1 -i eth9 -j RETURN
COMMIT
";

/// What iptables-save 1.8.9 printed after restoring PAYLOAD over one
/// foreign rule.
const APPLIED: &str = "*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:ISTIO_INBOUND - [0:0]
:ISTIO_OUTPUT - [0:0]
-A PREROUTING -i eth9 -j RETURN
-A PREROUTING -p tcp -j ISTIO_INBOUND
-A OUTPUT -d 192.0.2.1/32 -j ACCEPT
-A OUTPUT -j ISTIO_OUTPUT
-A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN
-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN
COMMIT
";

fn cmp(save: &str) -> Comparison {
    compare(
        &parse_save(save).unwrap(),
        &parse_payload(PAYLOAD).unwrap(),
        &NumericIds,
    )
}

fn differences(save: &str) -> Vec<String> {
    match cmp(save) {
        Comparison::Different(d) => d.iter().map(ToString::to_string).collect(),
        other => panic!("expected differences, got {other:?}"),
    }
}

#[test]
fn applied_payload_is_equal_despite_foreign_rules() {
    assert_eq!(cmp(APPLIED), Comparison::Equal);
}

#[test]
fn state_without_our_chains_is_absent() {
    let foreign = "*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -d 192.0.2.1/32 -j ACCEPT\nCOMMIT\n";
    assert_eq!(cmp(foreign), Comparison::Absent);
    assert_eq!(cmp(""), Comparison::Absent);
}

#[test]
fn an_extra_rule_in_an_istio_chain_is_named() {
    let tainted = APPLIED.replace(
        "-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n",
        "-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n-A ISTIO_OUTPUT -d 10.99.0.0/16 -j RETURN\n",
    );
    assert_eq!(
        differences(&tainted),
        ["table nat, chain ISTIO_OUTPUT, rule 2: unexpected `-A ISTIO_OUTPUT -d 10.99.0.0/16 -j RETURN`"]
    );
}

#[test]
fn a_changed_rule_shows_found_and_expected() {
    let changed = APPLIED.replace("--dport 15008", "--dport 15009");
    let d = differences(&changed);
    assert_eq!(d.len(), 1);
    assert!(d[0].contains("chain ISTIO_INBOUND, rule 1"), "{}", d[0]);
    assert!(d[0].contains("found `-A ISTIO_INBOUND -p tcp -m tcp --dport 15009 -j RETURN`"));
    assert!(d[0].contains("expected `-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN`"));
}

#[test]
fn missing_jump_and_missing_chain_are_reported() {
    let no_jump = APPLIED.replace("-A OUTPUT -j ISTIO_OUTPUT\n", "");
    assert_eq!(
        differences(&no_jump),
        ["table nat, chain OUTPUT, rule 1: missing `-A OUTPUT -j ISTIO_OUTPUT`"]
    );
    let no_chain = "*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\nCOMMIT\n";
    let d = differences(no_chain);
    assert!(
        d.contains(&"table nat: chain ISTIO_INBOUND is missing".to_string()),
        "{d:?}"
    );
}

#[test]
fn stale_chains_and_their_jumps_are_unexpected() {
    let stale = APPLIED
        .replace(
            ":ISTIO_OUTPUT - [0:0]\n",
            ":ISTIO_OUTPUT - [0:0]\n:ISTIO_DROP - [0:0]\n",
        )
        .replace("COMMIT", "-A OUTPUT -j ISTIO_DROP\nCOMMIT");
    let mangle = "*mangle\n:PREROUTING ACCEPT [0:0]\n:ISTIO_DIVERT - [0:0]\n-A PREROUTING -j ISTIO_DIVERT\nCOMMIT\n";
    let d = differences(&format!("{stale}{mangle}"));
    assert!(
        d.contains(
            &"table nat, chain OUTPUT, rule 2: unexpected `-A OUTPUT -j ISTIO_DROP`".to_string()
        ),
        "{d:?}"
    );
    assert!(d.contains(
        &"table nat: chain ISTIO_DROP exists but is not in the desired rules".to_string()
    ));
    assert!(d.contains(
        &"table mangle: chain ISTIO_DIVERT exists but is not in the desired rules".to_string()
    ));
    assert!(d.contains(
        &"table mangle, chain PREROUTING, rule 1: unexpected `-A PREROUTING -j ISTIO_DIVERT`"
            .to_string()
    ));
}

#[test]
fn a_payload_committed_twice_is_recognised_as_duplicated() {
    let twice = APPLIED
        .replace("-A OUTPUT -j ISTIO_OUTPUT\n", "-A OUTPUT -j ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n")
        .replace(
            "-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n",
            "-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n",
        );
    match cmp(&twice) {
        Comparison::Duplicated(d) => {
            let d: Vec<String> = d.iter().map(ToString::to_string).collect();
            assert!(
                d.contains(
                    &"table nat, chain OUTPUT, rule 2: unexpected `-A OUTPUT -j ISTIO_OUTPUT`"
                        .to_string()
                ),
                "{d:?}"
            );
        }
        other => panic!("expected duplicates, got {other:?}"),
    }
}

#[test]
fn a_repetition_plus_anything_else_is_different() {
    let twice_and_taint = APPLIED
        .replace(
            "-A OUTPUT -j ISTIO_OUTPUT\n",
            "-A OUTPUT -j ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n",
        )
        .replace("--dport 15008", "--dport 15009");
    assert!(matches!(cmp(&twice_and_taint), Comparison::Different(_)));
    let half = APPLIED.replace("-A OUTPUT -j ISTIO_OUTPUT\n", "-A OUTPUT -j ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A OUTPUT -j RETURN\n-A OUTPUT -j ISTIO_OUTPUT\n");
    assert!(
        matches!(cmp(&half), Comparison::Duplicated(_)),
        "foreign rules in between do not count"
    );
}

#[test]
fn owned_collects_chains_jumps_and_payload_equal_builtin_rules() {
    let state = parse_save(APPLIED).unwrap();
    let desired = parse_payload(PAYLOAD).unwrap();
    let with = owned(&state, Some(&desired), &NumericIds);
    assert_eq!(with[0].chains, ["ISTIO_INBOUND", "ISTIO_OUTPUT"]);
    let specs: Vec<_> = with[0]
        .builtin_rules
        .iter()
        .map(|r| r.spec.as_str())
        .collect();
    assert_eq!(
        specs,
        [
            "-i eth9 -j RETURN",
            "-p tcp -j ISTIO_INBOUND",
            "-j ISTIO_OUTPUT"
        ]
    );
    let without = owned(&state, None, &NumericIds);
    assert_eq!(
        without[0].builtin_rules.len(),
        2,
        "foreign-looking RETURN is not ours without a payload"
    );
}

#[test]
fn jump_target_reads_jumps_and_gotos() {
    assert_eq!(jump_target("-p tcp -j ISTIO_X").as_deref(), Some("ISTIO_X"));
    assert_eq!(jump_target("-g ISTIO_Y").as_deref(), Some("ISTIO_Y"));
    assert_eq!(jump_target("-d 1.2.3.4/32"), None);
}
