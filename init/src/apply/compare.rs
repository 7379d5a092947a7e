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
mod tests;
