//! Comparison of the rules we own in the current state with the desired
//! payload. "Ours" are the `ISTIO_*` chains (and any chain the payload
//! creates), every rule of a built-in chain that jumps into one of them, and
//! every built-in-chain rule that is one of the payload's own rules. Foreign
//! rules never take part in the comparison. Pure.

use std::fmt;

use super::canon::{canonicalize, tokenize, NameResolver};
use super::rules::{
    is_builtin, Payload, PayloadRule, PayloadTable, SavedRule, SavedState, SavedTable,
};

/// Prefix of the chains Istio (and therefore mesh-init) owns.
pub const OWNED_PREFIX: &str = "ISTIO_";

/// What the current state is, relative to the desired payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// None of our chains or rules exist: the payload can be applied as is.
    Absent,
    /// Exactly the desired chains and rules exist: nothing to do.
    Equal,
    /// Our chains hold the desired rules repeated (each chain's sequence
    /// one or more times, at least one more than once): what two identical
    /// transactions committed at the same time leave behind.
    Duplicated(Vec<Difference>),
    /// Some of ours exist but differ from the payload.
    Different(Vec<Difference>),
}

/// One difference, located by table and chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub table: String,
    pub chain: String,
    pub detail: Detail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    MissingChain,
    UnexpectedChain,
    /// 1-based position among our rules of the chain.
    Mismatch {
        position: usize,
        found: String,
        expected: String,
    },
    Missing {
        position: usize,
        expected: String,
    },
    Unexpected {
        position: usize,
        found: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, c) = (&self.table, &self.chain);
        match &self.detail {
            Detail::MissingChain => write!(f, "table {t}: chain {c} is missing"),
            Detail::UnexpectedChain => {
                write!(f, "table {t}: chain {c} exists but is not in the desired rules")
            }
            Detail::Mismatch {
                position,
                found,
                expected,
            } => write!(
                f,
                "table {t}, chain {c}, rule {position}: found `-A {c} {found}`, expected `-A {c} {expected}`"
            ),
            Detail::Missing { position, expected } => write!(
                f,
                "table {t}, chain {c}, rule {position}: missing `-A {c} {expected}`"
            ),
            Detail::Unexpected { position, found } => write!(
                f,
                "table {t}, chain {c}, rule {position}: unexpected `-A {c} {found}`"
            ),
        }
    }
}

/// Our part of one table of the current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedTable<'a> {
    pub name: &'a str,
    /// Our user chains that exist, in save order.
    pub chains: Vec<&'a str>,
    /// Our rules in built-in chains, in save order.
    pub builtin_rules: Vec<&'a SavedRule>,
}

/// Whether two rule specifications are the same rule. Specifications that
/// cannot be canonicalised are compared as text.
pub fn same_rule(a: &str, b: &str, names: &dyn NameResolver) -> bool {
    match (canonicalize(a, names), canonicalize(b, names)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.split_whitespace().eq(b.split_whitespace()),
    }
}

/// The `-j`/`-g` target of a rule, read from its words.
pub fn jump_target(spec: &str) -> Option<String> {
    let words = tokenize(spec).ok()?;
    let at = words
        .iter()
        .position(|w| matches!(w.as_str(), "-j" | "--jump" | "-g" | "--goto"))?;
    words.get(at + 1).cloned()
}

fn is_owned_chain(name: &str, desired: Option<&PayloadTable>) -> bool {
    name.starts_with(OWNED_PREFIX)
        || desired.is_some_and(|d| d.new_chains.iter().any(|c| c == name))
}

/// Our chains and built-in rules in `current`, table by table (tables with
/// nothing of ours are left out). With `desired`, built-in-chain rules equal
/// to one of its rules count as ours too.
pub fn owned<'a>(
    current: &'a SavedState,
    desired: Option<&Payload>,
    names: &dyn NameResolver,
) -> Vec<OwnedTable<'a>> {
    current
        .tables
        .iter()
        .map(|t| owned_in_table(t, desired.and_then(|d| d.table(&t.name)), names))
        .filter(|o| !o.chains.is_empty() || !o.builtin_rules.is_empty())
        .collect()
}

fn owned_in_table<'a>(
    table: &'a SavedTable,
    desired: Option<&PayloadTable>,
    names: &dyn NameResolver,
) -> OwnedTable<'a> {
    let chains = table
        .chains
        .iter()
        .filter(|c| !is_builtin(&c.name) && is_owned_chain(&c.name, desired))
        .map(|c| c.name.as_str())
        .collect();
    let builtin_rules = table
        .rules
        .iter()
        .filter(|r| is_builtin(&r.chain))
        .filter(|r| {
            jump_target(&r.spec).is_some_and(|t| is_owned_chain(&t, desired))
                || desired.is_some_and(|d| {
                    d.rules
                        .iter()
                        .any(|w| w.chain == r.chain && same_rule(&w.spec, &r.spec, names))
                })
        })
        .collect();
    OwnedTable {
        name: &table.name,
        chains,
        builtin_rules,
    }
}

/// Compares our part of `current` with `desired`.
pub fn compare(current: &SavedState, desired: &Payload, names: &dyn NameResolver) -> Comparison {
    let owned_tables = owned(current, Some(desired), names);
    if owned_tables.is_empty() {
        return Comparison::Absent;
    }
    let mut diffs = Vec::new();
    // every difference so far is a whole repetition of a chain's desired rules
    let mut only_repeats = true;
    let empty = SavedTable::default();
    let mut table_names: Vec<&str> = desired.tables.iter().map(|t| t.name.as_str()).collect();
    for o in &owned_tables {
        if !table_names.contains(&o.name) {
            table_names.push(o.name);
        }
    }
    for name in table_names {
        let cur = current.table(name).unwrap_or(&empty);
        let mine = owned_tables.iter().find(|o| o.name == name);
        let want_table = desired.table(name);
        let sequences = want_table.map(|t| t.chain_sequences()).unwrap_or_default();
        let diff = |chain: &str, detail| Difference {
            table: name.to_string(),
            chain: chain.to_string(),
            detail,
        };
        for (chain, want) in &sequences {
            let have: Vec<&SavedRule> = if is_builtin(chain) {
                mine.map(|m| {
                    m.builtin_rules
                        .iter()
                        .copied()
                        .filter(|r| r.chain == *chain)
                        .collect()
                })
                .unwrap_or_default()
            } else if cur.has_chain(chain) {
                cur.rules_of(chain).collect()
            } else {
                diffs.push(diff(chain, Detail::MissingChain));
                only_repeats = false;
                continue;
            };
            if let Some(d) = first_difference(&have, want, names) {
                diffs.push(diff(chain, d));
                only_repeats &= is_repetition(&have, want, names);
            }
        }
        let Some(mine) = mine else { continue };
        let wanted = |c: &str| sequences.iter().any(|(w, _)| w == c);
        for chain in mine.chains.iter().filter(|c| !wanted(c)) {
            diffs.push(diff(chain, Detail::UnexpectedChain));
            only_repeats = false;
        }
        let mut positions: Vec<(&str, usize)> = Vec::new();
        for rule in mine.builtin_rules.iter().filter(|r| !wanted(&r.chain)) {
            let n = match positions.iter_mut().find(|(c, _)| *c == rule.chain) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    positions.push((&rule.chain, 1));
                    1
                }
            };
            diffs.push(diff(
                &rule.chain,
                Detail::Unexpected {
                    position: n,
                    found: rule.spec.clone(),
                },
            ));
            only_repeats = false;
        }
    }
    if diffs.is_empty() {
        Comparison::Equal
    } else if only_repeats {
        Comparison::Duplicated(diffs)
    } else {
        Comparison::Different(diffs)
    }
}

/// Whether `have` is `want` repeated a whole number of times.
fn is_repetition(have: &[&SavedRule], want: &[&PayloadRule], names: &dyn NameResolver) -> bool {
    !want.is_empty()
        && have.len() >= want.len()
        && have.len().is_multiple_of(want.len())
        && have.chunks(want.len()).all(|block| {
            block
                .iter()
                .zip(want)
                .all(|(h, w)| same_rule(&h.spec, &w.spec, names))
        })
}

fn first_difference(
    have: &[&SavedRule],
    want: &[&PayloadRule],
    names: &dyn NameResolver,
) -> Option<Detail> {
    for i in 0..have.len().max(want.len()) {
        let position = i + 1;
        match (have.get(i), want.get(i)) {
            (Some(h), Some(w)) if same_rule(&h.spec, &w.spec, names) => {}
            (Some(h), Some(w)) => {
                return Some(Detail::Mismatch {
                    position,
                    found: h.spec.clone(),
                    expected: w.spec.clone(),
                })
            }
            (Some(h), None) => {
                return Some(Detail::Unexpected {
                    position,
                    found: h.spec.clone(),
                })
            }
            (None, Some(w)) => {
                return Some(Detail::Missing {
                    position,
                    expected: w.spec.clone(),
                })
            }
            (None, None) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
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
                &"table nat, chain OUTPUT, rule 2: unexpected `-A OUTPUT -j ISTIO_DROP`"
                    .to_string()
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
}
