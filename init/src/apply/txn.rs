//! The `iptables-restore --noflush` inputs mesh-init writes: create, replace
//! (`--reconcile`) and remove (`--cleanup-only`), each followed by a listing
//! of the tables it touched. Pure.
//!
//! Why replacing leaves no window in which traffic bypasses the proxy: every
//! table is rewritten in one `*table` ... `COMMIT` block. iptables-restore
//! turns a block into a single kernel operation (the legacy backend swaps the
//! whole table blob with one `IPT_SO_SET_REPLACE`; the nft backend sends one
//! netlink batch, which nf_tables applies as one transaction), so a packet
//! traverses either the old or the new table, never a half-written one. Inside
//! the block, `:CHAIN - [0:0]` creates the chain or, under `--noflush`, flushes
//! it when it exists, stale jumps are deleted by their exact saved text, stale
//! chains are deleted once nothing points at them, and the payload's rules are
//! added again. Tables are independent (REDIRECT capture lives in `nat` only;
//! TPROXY capture in `mangle` with its own jumps), so committing them one
//! after another never opens a gap either.
//!
//! The listing block (`*table`, `-S`, `COMMIT`) after the changes makes the
//! same iptables-restore process print the committed rules of every table it
//! touched, so the final state is logged without a second iptables process.

use std::fmt::Write as _;

use super::canon::NameResolver;
use super::compare::{owned, OwnedTable};
use super::rules::{builtin_count, Payload, SavedChain, SavedRule, SavedState, SavedTable};

/// Appends `*table`, `-S`, `COMMIT` for each table.
fn push_listing(out: &mut String, tables: &[String]) {
    for t in tables {
        let _ = write!(out, "*{t}\n-S\nCOMMIT\n");
    }
}

/// Tables a payload writes to, in payload order.
pub fn payload_tables(payload: &Payload) -> Vec<String> {
    payload
        .tables
        .iter()
        .filter(|t| !t.new_chains.is_empty() || !t.rules.is_empty())
        .map(|t| t.name.clone())
        .collect()
}

/// First application: the payload exactly as planned (its `-N` lines fail the
/// whole transaction if a concurrent run created the chains first), then the
/// listing.
pub fn create(payload_text: &str, payload: &Payload) -> String {
    let mut out = payload_text.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    push_listing(&mut out, &payload_tables(payload));
    out
}

/// Replaces our part of every table by the payload, one atomic block per table.
pub fn replace(current: &SavedState, desired: &Payload, names: &dyn NameResolver) -> String {
    let mine = owned(current, Some(desired), names);
    let mut tables: Vec<String> = payload_tables(desired);
    for o in &mine {
        if !tables.iter().any(|t| t == o.name) {
            tables.push(o.name.to_string());
        }
    }
    let mut out = String::new();
    for t in &tables {
        let want = desired.table(t);
        let have = mine.iter().find(|o| o.name == t);
        let _ = writeln!(out, "*{t}");
        let new_chains: &[String] = want.map(|w| w.new_chains.as_slice()).unwrap_or_default();
        for c in new_chains {
            let _ = writeln!(out, ":{c} - [0:0]");
        }
        let stale: Vec<&str> = have
            .map(|h| {
                h.chains
                    .iter()
                    .copied()
                    .filter(|c| !new_chains.iter().any(|n| n == c))
                    .collect()
            })
            .unwrap_or_default();
        for c in &stale {
            let _ = writeln!(out, ":{c} - [0:0]");
        }
        if let Some(h) = have {
            for r in &h.builtin_rules {
                let _ = writeln!(out, "-D {} {}", r.chain, r.spec);
            }
        }
        for c in &stale {
            let _ = writeln!(out, "-X {c}");
        }
        if let Some(w) = want {
            for r in &w.rules {
                let _ = writeln!(out, "{}", r.line);
            }
        }
        out.push_str("COMMIT\n");
    }
    push_listing(&mut out, &tables);
    out
}

/// Removes every chain and built-in rule of ours; `None` when there is none.
/// With `desired`, built-in-chain rules equal to its rules are removed too
/// (e.g. the `-i <nic> -j RETURN` of excluded interfaces).
pub fn remove(
    current: &SavedState,
    desired: Option<&Payload>,
    names: &dyn NameResolver,
) -> Option<String> {
    let mine: Vec<OwnedTable<'_>> = owned(current, desired, names);
    if mine.is_empty() {
        return None;
    }
    let mut out = String::new();
    for o in &mine {
        let _ = writeln!(out, "*{}", o.name);
        for r in &o.builtin_rules {
            let _ = writeln!(out, "-D {} {}", r.chain, r.spec);
        }
        for c in &o.chains {
            let _ = writeln!(out, "-F {c}");
        }
        for c in &o.chains {
            let _ = writeln!(out, "-X {c}");
        }
        out.push_str("COMMIT\n");
    }
    let tables: Vec<String> = mine.iter().map(|o| o.name.to_string()).collect();
    push_listing(&mut out, &tables);
    Some(out)
}

/// The tables an input lists at its end (its `*table`, `-S`, `COMMIT` blocks).
pub fn listed_tables(input: &str) -> Vec<String> {
    let lines: Vec<&str> = input.lines().collect();
    lines
        .windows(3)
        .filter(|w| w[1] == "-S" && w[2] == "COMMIT")
        .filter_map(|w| w[0].strip_prefix('*').map(|t| t.trim().to_string()))
        .collect()
}

/// Splits the `-S` output of the listing blocks into one text per table,
/// using the number of built-in chain policies (`-P`) each table starts with.
/// Returns `None` when the output does not have the expected shape.
pub fn split_listing(stdout: &str, tables: &[String]) -> Option<Vec<(String, String)>> {
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    for t in tables {
        let start = i;
        let limit = builtin_count(t).unwrap_or(usize::MAX);
        let mut policies = 0;
        while i < lines.len() && lines[i].starts_with("-P ") && policies < limit {
            i += 1;
            policies += 1;
        }
        if policies == 0 {
            return None;
        }
        while i < lines.len() && !lines[i].starts_with("-P ") {
            i += 1;
        }
        out.push((t.clone(), lines[start..i].join("\n")));
    }
    (i == lines.len()).then_some(out)
}

/// The state the listing shows, as if read by iptables-save (`-P` and `-N`
/// become chain declarations). `None` when the listing cannot be read.
pub fn listing_state(stdout: &str, tables: &[String]) -> Option<SavedState> {
    let mut state = SavedState::default();
    for (name, text) in split_listing(stdout, tables)? {
        let mut table = SavedTable {
            name,
            ..SavedTable::default()
        };
        for line in text.lines() {
            let mut words = line.splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("-P"), Some(chain), Some(policy)) => table.chains.push(SavedChain {
                    name: chain.to_string(),
                    policy: Some(policy.trim().to_string()),
                }),
                (Some("-N"), Some(chain), None) => table.chains.push(SavedChain {
                    name: chain.to_string(),
                    policy: None,
                }),
                (Some("-A"), Some(chain), spec) => table.rules.push(SavedRule {
                    chain: chain.to_string(),
                    spec: spec.unwrap_or_default().to_string(),
                }),
                _ => return None,
            }
        }
        state.tables.push(table);
    }
    Some(state)
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
COMMIT
";

    const TAINTED: &str = "*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:ISTIO_INBOUND - [0:0]
:ISTIO_OUTPUT - [0:0]
:ISTIO_OLD - [0:0]
-A PREROUTING -p tcp -j ISTIO_INBOUND
-A OUTPUT -d 192.0.2.1/32 -j ACCEPT
-A OUTPUT -j ISTIO_OUTPUT
-A OUTPUT -j ISTIO_OLD
-A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN
-A ISTIO_OUTPUT -d 10.99.0.0/16 -j RETURN
-A ISTIO_OLD -j RETURN
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:ISTIO_DIVERT - [0:0]
-A PREROUTING -j ISTIO_DIVERT
COMMIT
";

    #[test]
    fn create_is_the_payload_then_a_listing_of_its_tables() {
        let p = parse_payload(PAYLOAD).unwrap();
        assert_eq!(create(PAYLOAD, &p), format!("{PAYLOAD}*nat\n-S\nCOMMIT\n"));
    }

    #[test]
    fn replace_rewrites_each_table_in_one_block() {
        let cur = parse_save(TAINTED).unwrap();
        let want = parse_payload(PAYLOAD).unwrap();
        let txn = replace(&cur, &want, &NumericIds);
        let expected = "*nat
:ISTIO_INBOUND - [0:0]
:ISTIO_OUTPUT - [0:0]
:ISTIO_OLD - [0:0]
-D PREROUTING -p tcp -j ISTIO_INBOUND
-D OUTPUT -j ISTIO_OUTPUT
-D OUTPUT -j ISTIO_OLD
-X ISTIO_OLD
-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN
-A PREROUTING -p tcp -j ISTIO_INBOUND
-A OUTPUT -j ISTIO_OUTPUT
-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
COMMIT
*mangle
:ISTIO_DIVERT - [0:0]
-D PREROUTING -j ISTIO_DIVERT
-X ISTIO_DIVERT
COMMIT
*nat
-S
COMMIT
*mangle
-S
COMMIT
";
        assert_eq!(txn, expected);
        assert_eq!(
            txn.matches("COMMIT").count(),
            4,
            "one block per table, plus listings"
        );
        assert!(
            !txn.contains("192.0.2.1"),
            "foreign rules are never touched"
        );
    }

    #[test]
    fn remove_deletes_jumps_then_flushes_then_deletes_chains() {
        let cur = parse_save(TAINTED).unwrap();
        let txn = remove(&cur, None, &NumericIds).unwrap();
        let nat = txn.split("COMMIT").next().unwrap();
        let order: Vec<&str> = nat.lines().collect();
        let pos = |needle: &str| order.iter().position(|l| *l == needle).unwrap();
        assert!(pos("-D OUTPUT -j ISTIO_OLD") < pos("-F ISTIO_OLD"));
        assert!(pos("-F ISTIO_INBOUND") < pos("-X ISTIO_OLD"));
        assert!(pos("-F ISTIO_OLD") < pos("-X ISTIO_INBOUND"));
        assert!(!txn.contains("192.0.2.1"));
        assert!(txn.contains(
            "*mangle\n-D PREROUTING -j ISTIO_DIVERT\n-F ISTIO_DIVERT\n-X ISTIO_DIVERT\nCOMMIT\n"
        ));
    }

    #[test]
    fn remove_with_nothing_ours_writes_nothing() {
        let cur = parse_save("*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j RETURN\nCOMMIT\n").unwrap();
        assert_eq!(remove(&cur, None, &NumericIds), None);
    }

    #[test]
    fn listed_tables_are_read_back_from_an_input() {
        let cur = parse_save(TAINTED).unwrap();
        let want = parse_payload(PAYLOAD).unwrap();
        assert_eq!(
            listed_tables(&replace(&cur, &want, &NumericIds)),
            ["nat", "mangle"]
        );
        assert_eq!(listed_tables(PAYLOAD), Vec::<String>::new());
    }

    #[test]
    fn listing_splits_by_builtin_policies() {
        let out = "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-N ISTIO_DIVERT\n-A ISTIO_DIVERT -j ACCEPT\n-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n";
        let tables = vec!["mangle".to_string(), "nat".to_string()];
        let split = split_listing(out, &tables).unwrap();
        assert_eq!(split[0].0, "mangle");
        assert!(split[0].1.ends_with("-A ISTIO_DIVERT -j ACCEPT"));
        assert_eq!(split[1].1.lines().count(), 4);
        assert_eq!(split_listing("garbage\n", &tables), None);
    }

    #[test]
    fn listing_reads_back_as_the_saved_state() {
        let out = "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT DROP\n-P POSTROUTING ACCEPT\n-N ISTIO_OUTPUT\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\n";
        let from_listing = listing_state(out, &["nat".to_string()]).unwrap();
        let saved = parse_save("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT DROP [3:4]\n:POSTROUTING ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN\nCOMMIT\n").unwrap();
        assert_eq!(from_listing, saved);
        assert_eq!(listing_state("-X FOO\n", &["nat".to_string()]), None);
    }
}
