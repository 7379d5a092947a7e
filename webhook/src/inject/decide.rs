//! Whether a pod gets a sidecar: host networking, ignored namespaces, the
//! `sidecar.istio.io/inject` label (then annotation), the never/always
//! selectors, then the injection policy, with Istio's precedence.

use serde_json::{Map, Value};

use super::pod;
use crate::config::{InjectionPolicy as Policy, LabelSelector};

/// Namespaces Istio never injects into.
pub const IGNORED_NAMESPACES: [&str; 4] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];
/// The per-pod switch, as a label (preferred) or an annotation.
pub const INJECT_KEY: &str = "sidecar.istio.io/inject";

/// Why a pod is or is not injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Inject(Reason),
    Skip(Reason),
}

impl Decision {
    pub fn injects(&self) -> bool {
        matches!(self, Decision::Inject(_))
    }
    pub fn reason(&self) -> &Reason {
        match self {
            Decision::Inject(r) | Decision::Skip(r) => r,
        }
    }
}

/// The rule that decided, for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    HostNetwork,
    IgnoredNamespace(String),
    Label(bool),
    Annotation(bool),
    NeverSelector,
    AlwaysSelector,
    PolicyDefault(Policy),
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::HostNetwork => f.write_str("pod uses host networking"),
            Reason::IgnoredNamespace(ns) => write!(f, "namespace {ns} is never injected"),
            Reason::Label(v) => write!(f, "label {INJECT_KEY}={v}"),
            Reason::Annotation(v) => write!(f, "annotation {INJECT_KEY}={v}"),
            Reason::NeverSelector => f.write_str("labels match neverInjectSelector"),
            Reason::AlwaysSelector => f.write_str("labels match alwaysInjectSelector"),
            Reason::PolicyDefault(Policy::Enabled) => f.write_str("policy enabled"),
            Reason::PolicyDefault(Policy::Disabled) => f.write_str("policy disabled"),
            Reason::PolicyDefault(Policy::Invalid(p)) => {
                write!(f, "invalid policy {p:?}: injection disabled")
            }
        }
    }
}

/// Non-fatal findings worth a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    InvalidInjectValue(String),
    InvalidSelector { which: &'static str, error: String },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::InvalidInjectValue(v) => write!(
                f,
                "invalid value for {INJECT_KEY}: {v:?}; only 'true' and 'false' are accepted, falling back to the default policy"
            ),
            Warning::InvalidSelector { which, error } => write!(f, "invalid selector in {which}: {error}"),
        }
    }
}

/// Istio's `injectRequired`. `namespace` is the pod's (already filled from
/// the request when the pod has none).
pub fn decide(
    pod: &Value,
    namespace: &str,
    policy: &Policy,
    never: &[LabelSelector],
    always: &[LabelSelector],
    warnings: &mut Vec<Warning>,
) -> Decision {
    let host_network = pod
        .get("spec")
        .and_then(|s| s.get("hostNetwork"))
        .and_then(Value::as_bool);
    if host_network == Some(true) {
        return Decision::Skip(Reason::HostNetwork);
    }
    if IGNORED_NAMESPACES.contains(&namespace) {
        return Decision::Skip(Reason::IgnoredNamespace(namespace.to_string()));
    }
    let (value, from_label) = match pod::label(pod, INJECT_KEY) {
        Some(v) => (v, true),
        None => (pod::annotation(pod, INJECT_KEY).unwrap_or(""), false),
    };
    let explicit = match value {
        "true" => Some(true),
        "false" => Some(false),
        "" => None,
        other => {
            warnings.push(Warning::InvalidInjectValue(other.to_string()));
            None
        }
    };
    if let Some(v) = explicit {
        let reason = if from_label {
            Reason::Label(v)
        } else {
            Reason::Annotation(v)
        };
        return verdict(policy, v, reason);
    }
    let empty = Map::new();
    let labels = pod::meta_map(pod, "labels").unwrap_or(&empty);
    if first_match(never, labels, "neverInjectSelector", warnings) {
        return verdict(policy, false, Reason::NeverSelector);
    }
    if first_match(always, labels, "alwaysInjectSelector", warnings) {
        return verdict(policy, true, Reason::AlwaysSelector);
    }
    let reason = Reason::PolicyDefault(policy.clone());
    match policy {
        Policy::Enabled => Decision::Inject(reason),
        _ => Decision::Skip(reason),
    }
}

/// An explicit choice counts only under a valid policy.
fn verdict(policy: &Policy, inject: bool, reason: Reason) -> Decision {
    match (policy, inject) {
        (Policy::Invalid(_), _) => Decision::Skip(Reason::PolicyDefault(policy.clone())),
        (_, true) => Decision::Inject(reason),
        (_, false) => Decision::Skip(reason),
    }
}

/// The first selector that matches; selectors Istio cannot build are
/// reported and skipped, empty ones never match.
fn first_match(
    selectors: &[LabelSelector],
    labels: &Map<String, Value>,
    which: &'static str,
    warnings: &mut Vec<Warning>,
) -> bool {
    selectors.iter().any(|s| match s.compile() {
        Ok(sel) => !sel.is_empty() && sel.matches(labels),
        Err(e) => {
            warnings.push(Warning::InvalidSelector {
                which,
                error: e.to_string(),
            });
            false
        }
    })
}

#[cfg(test)]
mod tests;
