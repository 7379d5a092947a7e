//! Kubernetes `LabelSelector` (`matchLabels` and `matchExpressions` with `In`, `NotIn`,
//! `Exists`, `DoesNotExist`): reading it from the injector config, validating it the way
//! `metav1.LabelSelectorAsSelector` does, and matching pod labels.
//!
//! A selector with no requirement selects everything; Istio's injector skips such entries of
//! `neverInjectSelector`/`alwaysInjectSelector` (see [`Selector::is_empty`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::error::ConfigError;
use super::yaml::string_target;

/// A selector as written in the configuration (not yet validated).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelectorRequirement {
    pub key: String,
    /// As written; validated by [`LabelSelector::compile`].
    pub operator: String,
    pub values: Vec<String>,
}

/// Why a selector is invalid (Istio logs it and ignores that selector).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("{0:?} is not a valid label selector operator")]
    Operator(String),
    #[error("invalid label key {key:?}: {reason}")]
    Key { key: String, reason: String },
    #[error("invalid label value {value:?} for key {key:?}: {reason}")]
    Value {
        key: String,
        value: String,
        reason: String,
    },
    #[error("operator {operator} on key {key:?} needs {needs}")]
    Values {
        key: String,
        operator: &'static str,
        needs: &'static str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Operator,
    values: Vec<String>,
}

/// A validated selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

/// Read access to a set of labels.
pub trait Labels {
    fn label(&self, key: &str) -> Option<&str>;
}

impl Labels for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl Labels for HashMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// Labels as they appear in a pod's JSON (`metadata.labels`); non-string values do not count.
impl Labels for Map<String, Value> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
}

impl LabelSelector {
    /// Reads a selector from JSON (field names matched case-insensitively, scalars read as
    /// strings, as Go's decoder does); type errors are located under `path`.
    pub fn from_json(v: &Value, path: &str) -> Result<LabelSelector, ConfigError> {
        let mut sel = LabelSelector::default();
        let obj = match v {
            Value::Null => return Ok(sel),
            Value::Object(o) => o,
            _ => {
                return Err(ConfigError::invalid(
                    path,
                    "expected a label selector object",
                ))
            }
        };
        for (k, val) in obj {
            if k.eq_ignore_ascii_case("matchLabels") {
                sel.match_labels = string_map(val, &format!("{path}.matchLabels"))?;
            } else if k.eq_ignore_ascii_case("matchExpressions") {
                let items = match val {
                    Value::Null => Vec::new(),
                    Value::Array(a) => a.clone(),
                    _ => {
                        return Err(ConfigError::invalid(
                            format!("{path}.matchExpressions"),
                            "expected a list",
                        ))
                    }
                };
                sel.match_expressions = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| requirement(item, &format!("{path}.matchExpressions[{i}]")))
                    .collect::<Result<_, _>>()?;
            }
        }
        Ok(sel)
    }

    /// Validates the selector (`metav1.LabelSelectorAsSelector`).
    pub fn compile(&self) -> Result<Selector, SelectorError> {
        let mut requirements = Vec::new();
        for (k, v) in &self.match_labels {
            requirements.push(new_requirement(k, Operator::In, std::slice::from_ref(v))?);
        }
        for expr in &self.match_expressions {
            let op = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => return Err(SelectorError::Operator(other.to_string())),
            };
            requirements.push(new_requirement(&expr.key, op, &expr.values)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector { requirements })
    }
}

impl Selector {
    /// True when the selector has no requirement (it would select everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether every requirement holds for `labels`.
    pub fn matches(&self, labels: &dyn Labels) -> bool {
        self.requirements.iter().all(|r| {
            let got = labels.label(&r.key);
            match r.op {
                Operator::In => got.is_some_and(|v| r.values.iter().any(|x| x == v)),
                Operator::NotIn => got.is_none_or(|v| !r.values.iter().any(|x| x == v)),
                Operator::Exists => got.is_some(),
                Operator::DoesNotExist => got.is_none(),
            }
        })
    }
}

fn requirement(v: &Value, path: &str) -> Result<LabelSelectorRequirement, ConfigError> {
    let obj = v.as_object().ok_or_else(|| {
        ConfigError::invalid(path, "expected an object with key, operator and values")
    })?;
    let mut req = LabelSelectorRequirement::default();
    for (k, val) in obj {
        let field_path = format!("{path}.{k}");
        let text = || {
            string_target(val).ok_or_else(|| ConfigError::invalid(&field_path, "expected a string"))
        };
        if k.eq_ignore_ascii_case("key") {
            req.key = text()?;
        } else if k.eq_ignore_ascii_case("operator") {
            req.operator = text()?;
        } else if k.eq_ignore_ascii_case("values") {
            req.values = string_list(val, &field_path)?;
        }
    }
    Ok(req)
}

pub(crate) fn string_map(v: &Value, path: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    match v {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(o) => o
            .iter()
            .map(|(k, val)| {
                string_target(val)
                    .map(|s| (k.clone(), s))
                    .ok_or_else(|| ConfigError::invalid(format!("{path}.{k}"), "expected a string"))
            })
            .collect(),
        _ => Err(ConfigError::invalid(path, "expected a map of strings")),
    }
}

pub(crate) fn string_list(v: &Value, path: &str) -> Result<Vec<String>, ConfigError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, item)| {
                string_target(item).ok_or_else(|| {
                    ConfigError::invalid(format!("{path}[{i}]"), "expected a string")
                })
            })
            .collect(),
        _ => Err(ConfigError::invalid(path, "expected a list of strings")),
    }
}

fn new_requirement(
    key: &str,
    op: Operator,
    values: &[String],
) -> Result<Requirement, SelectorError> {
    validate_key(key)?;
    let name = match op {
        Operator::In => "In",
        Operator::NotIn => "NotIn",
        Operator::Exists => "Exists",
        Operator::DoesNotExist => "DoesNotExist",
    };
    match op {
        Operator::In | Operator::NotIn if values.is_empty() => {
            return Err(SelectorError::Values {
                key: key.to_string(),
                operator: name,
                needs: "at least one value",
            })
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            return Err(SelectorError::Values {
                key: key.to_string(),
                operator: name,
                needs: "no values",
            })
        }
        _ => {}
    }
    for v in values {
        if let Err(reason) = validate_value(v) {
            return Err(SelectorError::Value {
                key: key.to_string(),
                value: v.clone(),
                reason,
            });
        }
    }
    Ok(Requirement {
        key: key.to_string(),
        op,
        values: values.to_vec(),
    })
}

/// A qualified name: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters of
/// alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
fn validate_key(key: &str) -> Result<(), SelectorError> {
    let err = |reason: &str| SelectorError::Key {
        key: key.to_string(),
        reason: reason.to_string(),
    };
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err(err("prefix part must be non-empty"));
        }
        if p.len() > 253 || !p.split('.').all(dns_label) {
            return Err(err("prefix part must be a lowercase DNS subdomain"));
        }
    }
    if name.is_empty() {
        return Err(err("name part must be non-empty"));
    }
    if name.len() > 63 {
        return Err(err("name part must be no more than 63 characters"));
    }
    if !name_chars(name) {
        return Err(err(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ));
    }
    Ok(())
}

fn validate_value(v: &str) -> Result<(), String> {
    if v.len() > 63 {
        return Err("must be no more than 63 characters".into());
    }
    if !v.is_empty() && !name_chars(v) {
        return Err("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".into());
    }
    Ok(())
}

fn name_chars(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// A DNS-1123 label: 1 to 63 lower-case letters, digits and `-`, not starting or ending with `-`.
pub(crate) fn dns_label(l: &str) -> bool {
    let b = l.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sel(v: Value) -> Selector {
        LabelSelector::from_json(&v, "s")
            .unwrap()
            .compile()
            .unwrap()
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let s = sel(json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]
        }));
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "b")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "c")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "a"), ("canary", "")])));
        assert!(!s.matches(&labels(&[("tier", "a")])));
    }

    #[test]
    fn not_in_matches_missing_labels_and_exists_needs_presence() {
        let s = sel(
            json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}),
        );
        assert!(s.matches(&labels(&[])));
        assert!(s.matches(&labels(&[("env", "dev")])));
        assert!(!s.matches(&labels(&[("env", "prod")])));
        let s = sel(json!({"matchExpressions": [{"key": "env", "operator": "Exists"}]}));
        assert!(s.matches(&labels(&[("env", "")])));
        assert!(!s.matches(&labels(&[])));
    }

    #[test]
    fn empty_selector_is_empty() {
        assert!(sel(json!({})).is_empty());
        assert!(!sel(json!({"matchLabels": {"a": "b"}})).is_empty());
    }

    #[test]
    fn validation_errors() {
        let compile = |v: Value| LabelSelector::from_json(&v, "s").unwrap().compile();
        assert_eq!(
            compile(json!({"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]})),
            Err(SelectorError::Operator("in".into()))
        );
        assert!(matches!(
            compile(json!({"matchExpressions": [{"key": "a", "operator": "In"}]})),
            Err(SelectorError::Values { .. })
        ));
        assert!(matches!(
            compile(
                json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})
            ),
            Err(SelectorError::Values { .. })
        ));
        assert!(matches!(
            compile(json!({"matchLabels": {"-bad": "x"}})),
            Err(SelectorError::Key { .. })
        ));
        assert!(matches!(
            compile(json!({"matchLabels": {"a": "bad value"}})),
            Err(SelectorError::Value { .. })
        ));
        assert!(compile(json!({"matchLabels": {"example.com/a_b": "v.1"}})).is_ok());
    }

    #[test]
    fn reads_like_go_decoder() {
        let s = LabelSelector::from_json(&json!({"MatchLabels": {"port": 8080, "on": true}}), "s")
            .unwrap();
        assert_eq!(s.match_labels, labels(&[("on", "true"), ("port", "8080")]));
        let err = LabelSelector::from_json(&json!({"matchLabels": {"a": [1]}}), "cfg.sel[0]")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cfg.sel[0].matchLabels.a: expected a string"
        );
    }
}
