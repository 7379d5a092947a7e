//! Ordered rule lists per address family, and their rendering as iptables-restore
//! payloads: tables in alphabetical order, empty tables left out, every non-built-in
//! chain declared (`-N`) before the rules — first the chains rules are added to, in
//! order of first use, then chains only jumped to — then the rules in the order they
//! were added, and `COMMIT` closing each table.

use std::collections::{BTreeMap, HashSet};

/// An iptables table. The derived order is the alphabetical order of the names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    Filter,
    Mangle,
    Nat,
    Raw,
}

impl Table {
    /// Every table the planner can write to.
    pub const ALL: [Table; 4] = [Table::Filter, Table::Mangle, Table::Nat, Table::Raw];

    pub fn name(self) -> &'static str {
        match self {
            Table::Filter => "filter",
            Table::Mangle => "mangle",
            Table::Nat => "nat",
            Table::Raw => "raw",
        }
    }
}

/// Chains and targets that exist without a declaration.
const BUILT_IN: [&str; 8] = [
    "INPUT",
    "OUTPUT",
    "FORWARD",
    "PREROUTING",
    "POSTROUTING",
    "ACCEPT",
    "RETURN",
    "DROP",
];

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

/// Placeholder argument replaced by the family's own address in
/// [`Rules::append_versioned`].
pub const PER_FAMILY: &str = "\u{0}per-family-address";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    table: Table,
    chain: String,
    /// The whole rule as written in the payload: `-A CHAIN ...` or `-I CHAIN N ...`.
    words: Vec<String>,
}

/// The rules planned for IPv4 and, when enabled, IPv6.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    v4: Vec<Rule>,
    v6: Option<Vec<Rule>>,
}

fn rule(table: Table, chain: &str, head: &[&str], args: &[&str]) -> Rule {
    Rule {
        table,
        chain: chain.to_string(),
        words: head.iter().chain(args).map(|s| s.to_string()).collect(),
    }
}

impl Rules {
    /// An empty plan; rules for IPv6 are kept only when `ipv6` is set.
    pub fn new(ipv6: bool) -> Rules {
        Rules {
            v4: Vec::new(),
            v6: ipv6.then(Vec::new),
        }
    }

    fn family(&mut self, family: Family) -> Option<&mut Vec<Rule>> {
        match family {
            Family::V4 => Some(&mut self.v4),
            Family::V6 => self.v6.as_mut(),
        }
    }

    /// Append a rule to `chain` for one family (nothing for IPv6 when it is disabled).
    pub fn append_for(&mut self, family: Family, table: Table, chain: &str, args: &[&str]) {
        if let Some(rules) = self.family(family) {
            rules.push(rule(table, chain, &["-A", chain], args));
        }
    }

    /// Insert a rule at `position` (1-based) of `chain` for one family.
    pub fn insert_for(
        &mut self,
        family: Family,
        table: Table,
        chain: &str,
        position: u32,
        args: &[&str],
    ) {
        let pos = position.to_string();
        if let Some(rules) = self.family(family) {
            rules.push(rule(table, chain, &["-I", chain, &pos], args));
        }
    }

    /// Append a rule to `chain` for both families.
    pub fn append(&mut self, table: Table, chain: &str, args: &[&str]) {
        self.append_for(Family::V4, table, chain, args);
        self.append_for(Family::V6, table, chain, args);
    }

    /// Append a rule for both families, with [`PER_FAMILY`] replaced by `v4` in the
    /// IPv4 rule and by `v6` in the IPv6 rule.
    pub fn append_versioned(
        &mut self,
        table: Table,
        chain: &str,
        v4: &str,
        v6: &str,
        args: &[&str],
    ) {
        for (family, addr) in [(Family::V4, v4), (Family::V6, v6)] {
            let args: Vec<&str> = args
                .iter()
                .map(|a| if *a == PER_FAMILY { addr } else { a })
                .collect();
            self.append_for(family, table, chain, &args);
        }
    }

    /// Insert a rule at `position` (1-based) of `chain` for both families.
    pub fn insert(&mut self, table: Table, chain: &str, position: u32, args: &[&str]) {
        self.insert_for(Family::V4, table, chain, position, args);
        self.insert_for(Family::V6, table, chain, position, args);
    }

    /// The IPv4 payload, and the IPv6 payload when IPv6 is enabled.
    pub fn render(&self) -> (String, Option<String>) {
        (render(&self.v4), self.v6.as_deref().map(render))
    }
}

fn declare(tables: &mut BTreeMap<Table, Vec<String>>, table: Table, chain: &str) {
    if !BUILT_IN.contains(&chain) {
        tables.entry(table).or_default().push(format!("-N {chain}"));
    }
}

fn render(rules: &[Rule]) -> String {
    let mut tables: BTreeMap<Table, Vec<String>> = BTreeMap::new();
    let mut known: HashSet<(Table, &str)> = HashSet::new();
    for r in rules {
        if known.insert((r.table, r.chain.as_str())) {
            declare(&mut tables, r.table, &r.chain);
        }
    }
    for r in rules {
        if let [.., jump, target] = r.words.as_slice() {
            if jump == "-j" && known.insert((r.table, target.as_str())) {
                declare(&mut tables, r.table, target);
            }
        }
    }
    for r in rules {
        tables.entry(r.table).or_default().push(r.words.join(" "));
    }
    let mut out = String::new();
    for (table, lines) in tables {
        out.push_str(&format!("* {}\n", table.name()));
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("COMMIT\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_chains_declared_first() {
        let mut r = Rules::new(false);
        r.append(Table::Raw, "OUTPUT", &["-j", "ISTIO_OUTPUT_DNS"]);
        r.append(Table::Nat, "ISTIO_OUTPUT", &["-j", "RETURN"]);
        r.append(Table::Mangle, "PREROUTING", &["-j", "ISTIO_DROP"]);
        r.append(Table::Nat, "OUTPUT", &["-j", "ISTIO_OUTPUT"]);
        let (v4, v6) = r.render();
        assert_eq!(v6, None);
        assert_eq!(
            v4,
            "* mangle\n-N ISTIO_DROP\n-A PREROUTING -j ISTIO_DROP\nCOMMIT\n\
             * nat\n-N ISTIO_OUTPUT\n-A ISTIO_OUTPUT -j RETURN\n-A OUTPUT -j ISTIO_OUTPUT\nCOMMIT\n\
             * raw\n-N ISTIO_OUTPUT_DNS\n-A OUTPUT -j ISTIO_OUTPUT_DNS\nCOMMIT\n"
        );
    }

    #[test]
    fn chains_with_rules_are_declared_before_chains_only_jumped_to() {
        let mut r = Rules::new(false);
        r.append(Table::Nat, "PREROUTING", &["-j", "ISTIO_B"]);
        r.append(Table::Nat, "ISTIO_A", &["-j", "ISTIO_C"]);
        r.append(Table::Nat, "ISTIO_B", &["-j", "ISTIO_A"]);
        let (v4, _) = r.render();
        let decls: Vec<&str> = v4.lines().filter(|l| l.starts_with("-N")).collect();
        assert_eq!(decls, ["-N ISTIO_A", "-N ISTIO_B", "-N ISTIO_C"]);
    }

    #[test]
    fn a_chain_is_declared_once_per_table() {
        let mut r = Rules::new(false);
        r.append(Table::Nat, "ISTIO_INBOUND", &["-j", "RETURN"]);
        r.append(Table::Raw, "PREROUTING", &["-j", "ISTIO_INBOUND"]);
        r.append(Table::Raw, "ISTIO_INBOUND", &["-j", "RETURN"]);
        r.append(Table::Nat, "ISTIO_INBOUND", &["-j", "RETURN"]);
        let (v4, _) = r.render();
        assert_eq!(v4.matches("-N ISTIO_INBOUND").count(), 2);
        // Only a final `-j CHAIN` counts as a jump: targets with options are not chains.
        let mut r = Rules::new(false);
        r.append(
            Table::Nat,
            "ISTIO_REDIRECT",
            &["-j", "REDIRECT", "--to-ports", "15001"],
        );
        r.append(Table::Mangle, "OUTPUT", &["-j", "MARK"]);
        let (v4, _) = r.render();
        assert!(!v4.contains("-N REDIRECT"));
        assert!(
            v4.contains("-N MARK"),
            "a bare final target is declared, as Istio does"
        );
    }

    #[test]
    fn inserts_keep_their_position_and_their_place_in_order() {
        let mut r = Rules::new(true);
        r.append(Table::Nat, "ISTIO_X", &["-j", "RETURN"]);
        r.insert(Table::Nat, "PREROUTING", 1, &["-i", "eth1", "-j", "RETURN"]);
        r.insert_for(Family::V6, Table::Nat, "PREROUTING", 2, &["-j", "RETURN"]);
        let (v4, v6) = r.render();
        assert!(v4.ends_with("-A ISTIO_X -j RETURN\n-I PREROUTING 1 -i eth1 -j RETURN\nCOMMIT\n"));
        assert!(v6
            .unwrap()
            .ends_with("-I PREROUTING 1 -i eth1 -j RETURN\n-I PREROUTING 2 -j RETURN\nCOMMIT\n"));
    }

    #[test]
    fn versioned_rules_take_each_family_address() {
        let mut r = Rules::new(true);
        r.append_versioned(
            Table::Nat,
            "ISTIO_OUTPUT",
            "127.0.0.1/32",
            "::1/128",
            &["-d", PER_FAMILY, "-j", "RETURN"],
        );
        r.append_for(
            Family::V4,
            Table::Nat,
            "ISTIO_OUTPUT",
            &["-d", "10.0.0.0/8", "-j", "RETURN"],
        );
        let (v4, v6) = r.render();
        assert!(
            v4.contains("-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN\n-A ISTIO_OUTPUT -d 10.0.0.0/8")
        );
        let v6 = v6.unwrap();
        assert!(v6.contains("-A ISTIO_OUTPUT -d ::1/128 -j RETURN\nCOMMIT"));
        assert!(!v6.contains("10.0.0.0/8"));
    }

    #[test]
    fn without_ipv6_no_ipv6_rules_are_kept() {
        let mut r = Rules::new(false);
        r.append_for(Family::V6, Table::Nat, "ISTIO_OUTPUT", &["-j", "RETURN"]);
        r.insert_for(Family::V6, Table::Nat, "PREROUTING", 1, &["-j", "RETURN"]);
        assert_eq!(r.render(), (String::new(), None));
    }
}
