//! Canonical form of one rule specification, so that a rule as the planner
//! writes it (`-o lo -s 127.0.0.6/32 -j RETURN`, `-j MARK --set-mark 1338`)
//! and the same rule as `iptables-save` prints it back (`-s 127.0.0.6/32 -o lo
//! -j RETURN`, `-j MARK --set-xmark 0x53a/0xffffffff`) compare equal.
//!
//! iptables-save reorders the generic matches (`-s -d -i -o -p` first), makes
//! the implicit protocol match explicit (`-m tcp`), prints numbers in hex,
//! masks and CIDRs in full, and spells out default target options. The
//! canonical form undoes exactly that: generic matches as a sorted map, match
//! modules and their options as sorted sets (a rule is the conjunction of its
//! matches, so their order carries no meaning), values normalised.

use std::net::IpAddr;

use thiserror::Error;

/// Resolves user and group names of `-m owner` to ids, because iptables-save
/// prints ids even when the rule was written with names.
pub trait NameResolver {
    fn user(&self, name: &str) -> Option<u32>;
    fn group(&self, name: &str) -> Option<u32>;
}

/// A resolver that knows no names (numeric ids only).
#[derive(Debug, Clone, Copy, Default)]
pub struct NumericIds;

impl NameResolver for NumericIds {
    fn user(&self, _: &str) -> Option<u32> {
        None
    }
    fn group(&self, _: &str) -> Option<u32> {
        None
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CanonError {
    #[error("unterminated quote in rule `{0}`")]
    Quote(String),
    #[error("`{option}` needs a value in rule `{rule}`")]
    MissingValue { option: String, rule: String },
    #[error("unexpected word `{word}` in rule `{rule}`")]
    Stray { word: String, rule: String },
}

/// One option with its values, e.g. `! --dport 15008`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Opt {
    name: String,
    negated: bool,
    values: Vec<String>,
}

/// A match module (`-m owner ...`) or the implicit protocol match.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Match {
    module: String,
    opts: Vec<Opt>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Target {
    goto: bool,
    name: String,
    opts: Vec<Opt>,
}

/// The canonical form of a rule specification (without its chain).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CanonRule {
    /// Generic matches (`s`, `d`, `i`, `o`, `p`, `f`) with negation and value, sorted.
    generic: Vec<(char, bool, String)>,
    matches: Vec<Match>,
    target: Option<Target>,
}

impl CanonRule {
    /// The jump or goto target, e.g. `ISTIO_OUTPUT` or `RETURN`.
    pub fn target(&self) -> Option<&str> {
        self.target.as_ref().map(|t| t.name.as_str())
    }
}

/// Options of the implicit protocol matches (`-p tcp --dport 80`).
const PROTOCOL_OPTIONS: [&str; 8] = [
    "--dport",
    "--sport",
    "--tcp-flags",
    "--syn",
    "--tcp-option",
    "--icmp-type",
    "--icmpv6-type",
    "--chunk-types",
];

/// Modules that own the protocol options themselves.
const PROTOCOL_MODULES: [&str; 6] = ["tcp", "udp", "sctp", "dccp", "icmp", "icmp6"];

/// Options whose value is the default and which iptables-save prints anyway.
const DEFAULT_OPTIONS: [(&str, &str); 4] = [
    ("--nfmask", "4294967295"),
    ("--ctmask", "4294967295"),
    ("--on-ip", "0.0.0.0"),
    ("--on-ip", "::"),
];

/// Splits a rule specification into words, honouring `"..."` quoting as
/// iptables-save writes it (with `\"` escapes).
pub fn tokenize(spec: &str) -> Result<Vec<String>, CanonError> {
    let mut words = Vec::new();
    let mut chars = spec.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '"' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => word.extend(chars.next()),
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => word.push(c),
                }
            }
            if !closed {
                return Err(CanonError::Quote(spec.to_string()));
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
    Ok(words)
}

fn generic_key(word: &str) -> Option<char> {
    Some(match word {
        "-s" | "--source" | "--src" => 's',
        "-d" | "--destination" | "--dst" => 'd',
        "-i" | "--in-interface" => 'i',
        "-o" | "--out-interface" => 'o',
        "-p" | "--protocol" => 'p',
        "-f" | "--fragment" => 'f',
        _ => return None,
    })
}

fn option_alias(name: &str) -> &str {
    match name {
        "--destination-port" => "--dport",
        "--source-port" => "--sport",
        "--destination-ports" => "--dports",
        "--source-ports" => "--sports",
        "--to-port" => "--to-ports",
        "--set-mark" => "--set-xmark",
        other => other,
    }
}

fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// Decimal numbers; `value/mask` with a full 32-bit mask becomes `value`.
fn normalize_number(v: &str) -> Option<String> {
    if let Some((a, b)) = v.split_once('/') {
        let (a, b) = (parse_number(a)?, parse_number(b)?);
        return Some(if b == 0xffff_ffff {
            a.to_string()
        } else {
            format!("{a}/{b}")
        });
    }
    parse_number(v).map(|n| n.to_string())
}

/// `10.1.2.3/24` -> `10.1.2.0/24`, `10.0.0.1` -> `10.0.0.1/32`, IPv6 compressed.
fn normalize_cidr(v: &str) -> String {
    let (addr, len) = match v.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (v, None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return v.to_string();
    };
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => bits,
        Some(l) => match l.parse::<u32>() {
            Ok(n) if n <= bits => n,
            _ => match l.parse::<IpAddr>() {
                // dotted netmask
                Ok(IpAddr::V4(m)) => u32::from(m).count_ones(),
                Ok(IpAddr::V6(m)) => u128::from(m).count_ones(),
                Err(_) => return v.to_string(),
            },
        },
    };
    let net = match ip {
        IpAddr::V4(a) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            IpAddr::from((u32::from(a) & mask).to_be_bytes())
        }
        IpAddr::V6(a) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            IpAddr::from((u128::from(a) & mask).to_be_bytes())
        }
    };
    format!("{net}/{len}")
}

fn normalize_protocol(v: &str) -> String {
    let lower = v.to_ascii_lowercase();
    match lower.as_str() {
        "1" => "icmp".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "58" | "icmpv6" => "ipv6-icmp".into(),
        "132" => "sctp".into(),
        _ => lower,
    }
}

/// The match module a protocol implies (`-p ipv6-icmp` loads `icmp6`).
fn implicit_module(protocol: &str) -> String {
    match protocol {
        "ipv6-icmp" => "icmp6".to_string(),
        other => other.to_string(),
    }
}

fn normalize_value(option: &str, value: &str, names: &dyn NameResolver) -> String {
    match option {
        "--uid-owner" | "--gid-owner" if parse_number(value).is_none() => {
            let id = if option == "--uid-owner" {
                names.user(value)
            } else {
                names.group(value)
            };
            id.map_or_else(|| value.to_string(), |id| id.to_string())
        }
        "--ctstate" | "--state" => {
            let mut states: Vec<&str> = value.split(',').collect();
            states.sort_unstable();
            states.join(",")
        }
        "--on-ip" | "--to-destination" | "--to-source" => value
            .parse::<IpAddr>()
            .map_or_else(|_| value.to_string(), |ip| ip.to_string()),
        _ => normalize_number(value).unwrap_or_else(|| value.to_string()),
    }
}

fn is_option(word: &str) -> bool {
    word.len() > 1 && word.starts_with('-') && parse_number(&word[1..]).is_none()
}

/// Computes the canonical form of `spec` (a rule without `-A CHAIN`).
pub fn canonicalize(spec: &str, names: &dyn NameResolver) -> Result<CanonRule, CanonError> {
    let words = tokenize(spec)?;
    let mut generic: Vec<(char, bool, String)> = Vec::new();
    let mut matches: Vec<Match> = Vec::new();
    let mut current: Option<usize> = None; // index into matches of the last `-m`
    let mut target: Option<Target> = None;
    let mut negated = false;
    let mut i = 0;
    let value_of = |i: usize, option: &str| -> Result<String, CanonError> {
        words
            .get(i + 1)
            .cloned()
            .ok_or_else(|| CanonError::MissingValue {
                option: option.to_string(),
                rule: spec.to_string(),
            })
    };
    while i < words.len() {
        let word = words[i].as_str();
        if word == "!" {
            negated = true;
            i += 1;
            continue;
        }
        if let Some(key) = generic_key(word).filter(|_| target.is_none()) {
            if key == 'f' {
                generic.push((key, negated, String::new()));
                i += 1;
            } else {
                let v = value_of(i, word)?;
                let v = match key {
                    's' | 'd' => normalize_cidr(&v),
                    'p' => normalize_protocol(&v),
                    _ => v,
                };
                generic.push((key, negated, v));
                i += 2;
            }
            negated = false;
            continue;
        }
        match word {
            "-m" | "--match" if target.is_none() => {
                let module = value_of(i, word)?;
                current = Some(match matches.iter().position(|m| m.module == module) {
                    // `-p tcp --dport 1 -m tcp` style repeats join the protocol match
                    Some(idx) if PROTOCOL_MODULES.contains(&module.as_str()) => idx,
                    _ => {
                        matches.push(Match {
                            module,
                            opts: Vec::new(),
                        });
                        matches.len() - 1
                    }
                });
                i += 2;
            }
            "-j" | "--jump" | "-g" | "--goto" => {
                target = Some(Target {
                    goto: word == "-g" || word == "--goto",
                    name: value_of(i, word)?,
                    opts: Vec::new(),
                });
                i += 2;
            }
            "-c" | "--set-counters" => i += 3,
            w if is_option(w) => {
                let name = option_alias(w).to_string();
                let mut values = Vec::new();
                let mut j = i + 1;
                while j < words.len() && words[j] != "!" && !is_option(&words[j]) {
                    values.push(normalize_value(&name, &words[j], names));
                    j += 1;
                }
                let opt = Opt {
                    name,
                    negated,
                    values,
                };
                negated = false;
                i = j;
                if let Some(t) = target.as_mut() {
                    t.opts.push(opt);
                    continue;
                }
                let in_protocol_module = current
                    .map(|idx| PROTOCOL_MODULES.contains(&matches[idx].module.as_str()))
                    .unwrap_or(false);
                let idx = if PROTOCOL_OPTIONS.contains(&opt.name.as_str()) && !in_protocol_module {
                    // implicit protocol match: `-p tcp --dport 80` == `-p tcp -m tcp --dport 80`
                    let proto = generic
                        .iter()
                        .find(|(k, _, _)| *k == 'p')
                        .map(|(_, _, v)| implicit_module(v))
                        .unwrap_or_default();
                    match matches.iter().position(|m| m.module == proto) {
                        Some(idx) => idx,
                        None => {
                            matches.push(Match {
                                module: proto,
                                opts: Vec::new(),
                            });
                            matches.len() - 1
                        }
                    }
                } else if let Some(idx) = current {
                    idx
                } else {
                    return Err(CanonError::Stray {
                        word: w.to_string(),
                        rule: spec.to_string(),
                    });
                };
                matches[idx].opts.push(opt);
            }
            other => {
                return Err(CanonError::Stray {
                    word: other.to_string(),
                    rule: spec.to_string(),
                })
            }
        }
    }
    generic.sort();
    for m in &mut matches {
        m.opts.sort();
    }
    // `-m tcp` with nothing left in it is what `-p tcp` implies anyway
    matches.retain(|m| !(m.opts.is_empty() && PROTOCOL_MODULES.contains(&m.module.as_str())));
    matches.sort();
    if let Some(t) = target.as_mut() {
        t.opts.retain(|o| {
            !(o.values.len() == 1
                && !o.negated
                && DEFAULT_OPTIONS.contains(&(o.name.as_str(), o.values[0].as_str())))
        });
        t.opts.sort();
    }
    Ok(CanonRule {
        generic,
        matches,
        target,
    })
}

#[cfg(test)]
mod tests;
