//! Text models of iptables state: the output of `iptables-save` (what the
//! kernel holds) and an `iptables-restore` payload (what we want to add),
//! parsed into tables, chains and rules. Pure; no process is run here.

use thiserror::Error;

/// Chains every iptables table is born with; the rest are user chains.
pub const BUILTIN_CHAINS: [&str; 5] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

/// Whether `chain` is one of the kernel's built-in chains.
pub fn is_builtin(chain: &str) -> bool {
    BUILTIN_CHAINS.contains(&chain)
}

/// How many built-in chains a table has (as `iptables -S` lists their
/// policies), when the table is one iptables knows.
pub fn builtin_count(table: &str) -> Option<usize> {
    match table {
        "filter" | "security" => Some(3),
        "nat" => Some(4),
        "mangle" => Some(5),
        "raw" => Some(2),
        _ => None,
    }
}

/// A parse failure, with the 1-based line it happened on.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("line {line}: {reason}: `{text}`")]
pub struct ParseError {
    pub line: usize,
    pub text: String,
    pub reason: &'static str,
}

/// The state of one address family, as printed by `iptables-save`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedState {
    pub tables: Vec<SavedTable>,
}

/// One `*table` ... `COMMIT` block of `iptables-save`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedTable {
    pub name: String,
    /// Declared chains in save order; built-in ones carry their policy.
    pub chains: Vec<SavedChain>,
    /// Rules in save order (per chain, the kernel's evaluation order).
    pub rules: Vec<SavedRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedChain {
    pub name: String,
    /// `ACCEPT`/`DROP` for built-in chains, `None` for user chains (`-`).
    pub policy: Option<String>,
}

/// One `-A CHAIN SPEC` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedRule {
    pub chain: String,
    /// Everything after the chain name, verbatim.
    pub spec: String,
}

impl SavedState {
    pub fn table(&self, name: &str) -> Option<&SavedTable> {
        self.tables.iter().find(|t| t.name == name)
    }
}

impl SavedTable {
    pub fn has_chain(&self, name: &str) -> bool {
        self.chains.iter().any(|c| c.name == name)
    }

    pub fn rules_of<'a>(&'a self, chain: &'a str) -> impl Iterator<Item = &'a SavedRule> + 'a {
        self.rules.iter().filter(move |r| r.chain == chain)
    }
}

/// A restore payload as produced by the planner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payload {
    pub tables: Vec<PayloadTable>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayloadTable {
    pub name: String,
    /// Chains created by `-N NAME` or `:NAME - [..]`, in payload order.
    pub new_chains: Vec<String>,
    /// `-A`/`-I` lines in payload order.
    pub rules: Vec<PayloadRule>,
}

/// Where a payload rule goes in its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Append,
    /// 1-based insert position.
    Insert(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadRule {
    pub chain: String,
    pub position: Position,
    pub spec: String,
    /// The payload line verbatim (for messages and for replaying it).
    pub line: String,
}

impl Payload {
    pub fn is_empty(&self) -> bool {
        self.tables
            .iter()
            .all(|t| t.new_chains.is_empty() && t.rules.is_empty())
    }

    pub fn table(&self, name: &str) -> Option<&PayloadTable> {
        self.tables.iter().find(|t| t.name == name)
    }
}

impl PayloadTable {
    /// The rules each chain ends up with when the payload is applied to chains
    /// holding none of our rules: appends go last, inserts at their position.
    pub fn chain_sequences(&self) -> Vec<(String, Vec<&PayloadRule>)> {
        let mut out: Vec<(String, Vec<&PayloadRule>)> = Vec::new();
        for chain in &self.new_chains {
            out.push((chain.clone(), Vec::new()));
        }
        for rule in &self.rules {
            let idx = match out.iter().position(|(c, _)| *c == rule.chain) {
                Some(i) => i,
                None => {
                    out.push((rule.chain.clone(), Vec::new()));
                    out.len() - 1
                }
            };
            let seq = &mut out[idx].1;
            match rule.position {
                Position::Append => seq.push(rule),
                Position::Insert(n) => {
                    let at = n.saturating_sub(1).min(seq.len());
                    seq.insert(at, rule);
                }
            }
        }
        out
    }
}

/// Splits `line` into its first word and the rest (trimmed).
fn head(line: &str) -> (&str, &str) {
    match line.split_once(char::is_whitespace) {
        Some((a, b)) => (a, b.trim_start()),
        None => (line, ""),
    }
}

fn err(line: usize, text: &str, reason: &'static str) -> ParseError {
    ParseError {
        line: line + 1,
        text: text.to_string(),
        reason,
    }
}

/// Parses the output of `iptables-save` / `ip6tables-save`.
pub fn parse_save(text: &str) -> Result<SavedState, ParseError> {
    let mut state = SavedState::default();
    let mut current: Option<SavedTable> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('*') {
            if current.is_some() {
                return Err(err(n, line, "table starts before the previous COMMIT"));
            }
            current = Some(SavedTable {
                name: name.trim().to_string(),
                ..SavedTable::default()
            });
            continue;
        }
        let Some(table) = current.as_mut() else {
            return Err(err(n, line, "line outside of a table"));
        };
        if line == "COMMIT" {
            state.tables.extend(current.take());
        } else if let Some(decl) = line.strip_prefix(':') {
            let mut words = decl.split_whitespace();
            let name = words
                .next()
                .ok_or_else(|| err(n, line, "empty chain declaration"))?;
            let policy = words.next().filter(|p| *p != "-").map(str::to_string);
            table.chains.push(SavedChain {
                name: name.to_string(),
                policy,
            });
        } else if let Some(rest) = line.strip_prefix("-A ") {
            let (chain, spec) = head(rest.trim_start());
            table.rules.push(SavedRule {
                chain: chain.to_string(),
                spec: spec.to_string(),
            });
        } else {
            return Err(err(n, line, "unexpected line in iptables-save output"));
        }
    }
    if current.is_some() {
        return Err(err(
            text.lines().count().saturating_sub(1),
            "",
            "missing COMMIT",
        ));
    }
    Ok(state)
}

/// Parses a restore payload (`* table`, `-N`, `:CHAIN`, `-A`, `-I`, `COMMIT`).
pub fn parse_payload(text: &str) -> Result<Payload, ParseError> {
    let mut payload = Payload::default();
    let mut current: Option<PayloadTable> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('*') {
            if current.is_some() {
                return Err(err(n, line, "table starts before the previous COMMIT"));
            }
            current = Some(PayloadTable {
                name: name.trim().to_string(),
                ..PayloadTable::default()
            });
            continue;
        }
        let Some(table) = current.as_mut() else {
            return Err(err(n, line, "payload line outside of a table"));
        };
        if line == "COMMIT" {
            payload.tables.extend(current.take());
            continue;
        }
        if let Some(decl) = line.strip_prefix(':') {
            let name = decl.split_whitespace().next().unwrap_or_default();
            if name.is_empty() {
                return Err(err(n, line, "empty chain declaration"));
            }
            if !is_builtin(name) && !table.new_chains.iter().any(|c| c == name) {
                table.new_chains.push(name.to_string());
            }
            continue;
        }
        let (cmd, rest) = head(line);
        match cmd {
            "-N" | "--new-chain" => {
                let name = rest.split_whitespace().next().unwrap_or_default();
                if name.is_empty() {
                    return Err(err(n, line, "-N without a chain name"));
                }
                if !table.new_chains.iter().any(|c| c == name) {
                    table.new_chains.push(name.to_string());
                }
            }
            "-A" | "--append" => {
                let (chain, spec) = head(rest);
                if chain.is_empty() {
                    return Err(err(n, line, "-A without a chain name"));
                }
                table.rules.push(PayloadRule {
                    chain: chain.to_string(),
                    position: Position::Append,
                    spec: spec.to_string(),
                    line: line.to_string(),
                });
            }
            "-I" | "--insert" => {
                let (chain, rest) = head(rest);
                if chain.is_empty() {
                    return Err(err(n, line, "-I without a chain name"));
                }
                let (maybe_pos, after) = head(rest);
                let (position, spec) = match maybe_pos.parse::<usize>() {
                    Ok(p) if p >= 1 => (Position::Insert(p), after),
                    Ok(_) => return Err(err(n, line, "-I position must be at least 1")),
                    Err(_) => (Position::Insert(1), rest),
                };
                table.rules.push(PayloadRule {
                    chain: chain.to_string(),
                    position,
                    spec: spec.to_string(),
                    line: line.to_string(),
                });
            }
            _ => return Err(err(n, line, "unsupported payload command")),
        }
    }
    if current.is_some() {
        return Err(err(
            text.lines().count().saturating_sub(1),
            "",
            "missing COMMIT",
        ));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAVE: &str = "# Generated by iptables-nft-save v1.8.9 (nf_tables)
*nat
:PREROUTING ACCEPT [3:180]
:OUTPUT DROP [0:0]
:ISTIO_OUTPUT - [0:0]
-A OUTPUT -d 192.0.2.1/32 -j ACCEPT
-A OUTPUT -j ISTIO_OUTPUT
-A ISTIO_OUTPUT -m comment --comment \"two words\" -j RETURN
COMMIT
# Completed
*filter
:INPUT ACCEPT [0:0]
COMMIT
";

    #[test]
    fn save_output_becomes_tables_chains_and_rules() {
        let s = parse_save(SAVE).unwrap();
        assert_eq!(s.tables.len(), 2);
        let nat = s.table("nat").unwrap();
        assert_eq!(nat.chains[1].policy.as_deref(), Some("DROP"));
        assert_eq!(nat.chains[2].policy, None);
        assert!(nat.has_chain("ISTIO_OUTPUT"));
        let out: Vec<_> = nat.rules_of("OUTPUT").map(|r| r.spec.as_str()).collect();
        assert_eq!(out, ["-d 192.0.2.1/32 -j ACCEPT", "-j ISTIO_OUTPUT"]);
        assert_eq!(
            nat.rules[2].spec,
            "-m comment --comment \"two words\" -j RETURN"
        );
        assert!(s.table("filter").unwrap().rules.is_empty());
    }

    #[test]
    fn empty_save_output_is_an_empty_state() {
        assert_eq!(parse_save("").unwrap(), SavedState::default());
    }

    #[test]
    fn truncated_save_output_is_rejected_with_its_line() {
        let e = parse_save("*nat\n:OUTPUT ACCEPT [0:0]\n").unwrap_err();
        assert_eq!(e.reason, "missing COMMIT");
        let e = parse_save("*nat\n-X FOO\nCOMMIT\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn payload_keeps_order_and_insert_positions() {
        let p = parse_payload(
            "* nat\n-N ISTIO_A\n:ISTIO_B - [0:0]\n-A ISTIO_A -j RETURN\n-I PREROUTING 1 -i eth1 -j RETURN\n-I PREROUTING -i eth2 -j RETURN\nCOMMIT\n",
        )
        .unwrap();
        let nat = p.table("nat").unwrap();
        assert_eq!(nat.new_chains, ["ISTIO_A", "ISTIO_B"]);
        assert_eq!(nat.rules[1].position, Position::Insert(1));
        assert_eq!(nat.rules[1].spec, "-i eth1 -j RETURN");
        assert_eq!(nat.rules[2].position, Position::Insert(1));
        assert_eq!(nat.rules[2].spec, "-i eth2 -j RETURN");
    }

    #[test]
    fn chain_sequences_simulate_appends_and_inserts() {
        let p = parse_payload(
            "*nat\n-A PREROUTING -j A\n-I PREROUTING 1 -j B\n-A PREROUTING -j C\n-I PREROUTING 2 -j D\nCOMMIT\n",
        )
        .unwrap();
        let seqs = p.tables[0].chain_sequences();
        let pre: Vec<_> = seqs[0].1.iter().map(|r| r.spec.as_str()).collect();
        assert_eq!(pre, ["-j B", "-j D", "-j A", "-j C"]);
    }

    #[test]
    fn payload_rejects_commands_it_cannot_reason_about() {
        let e = parse_payload("*nat\n-F OUTPUT\nCOMMIT\n").unwrap_err();
        assert_eq!(e.reason, "unsupported payload command");
        assert!(parse_payload("-A OUTPUT -j X\n").is_err());
        assert!(parse_payload("*nat\n-A OUTPUT -j X\n").is_err());
    }

    #[test]
    fn empty_payload_is_empty() {
        assert!(parse_payload("").unwrap().is_empty());
        assert!(!parse_payload("*nat\n-N X\nCOMMIT\n").unwrap().is_empty());
    }
}
