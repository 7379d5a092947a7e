//! Istio's process-wide feature switches that change what the injector produces, read once
//! from an environment given by the caller (no process environment is touched here).
//!
//! | variable | default | effect |
//! |---|---|---|
//! | `ENABLE_NATIVE_SIDECARS` | `auto` | `true`: the proxy is always a native sidecar (init container with `restartPolicy: Always`); `false`: never; `auto`: when the pod's node (or, for an unscheduled pod, every node) runs kubelet 1.33 or later. Exactly `true`, `false` or `auto`; any other value, the empty string included, means `false` (Istio warns). The pod annotation `sidecar.istio.io/nativeSidecar` still wins per pod. |
//! | `COMPLIANCE_POLICY` | empty | passed unchanged to templates as `.CompliancePolicy` (`fips-140-2`, `fips-140-3`, `pqc` are the values Istio knows). |
//! | `PLATFORM` | empty | `openshift` makes the webhook read the pod's Namespace for its UID/GID ranges (`openshift.io/sa.scc.uid-range`, `…supplemental-groups`) to choose the proxy UID/GID, and reset a proxy `runAsUser`/`runAsGroup` equal to the application's. Other values (`gcp`, …) change nothing in injection. |
//!
//! Istio's template function `env KEY DEFAULT` also reads the process environment (empty
//! value → default); it should use the same lookup as this module.

use std::collections::HashMap;

/// `ENABLE_NATIVE_SIDECARS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeSidecarMode {
    Auto,
    Enabled,
    Disabled,
}

/// The kubelet version of one node, as reported in `status.nodeInfo.kubeletVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub name: String,
    pub kubelet_version: String,
}

/// The first Kubernetes minor version with native sidecars enabled by default (stable).
pub const NATIVE_SIDECAR_MIN_MINOR: u64 = 33;

impl NativeSidecarMode {
    /// Istio's reading: exact strings only; anything else is `Disabled` with a warning.
    pub fn parse(value: Option<&str>) -> (NativeSidecarMode, Option<String>) {
        match value {
            None | Some("auto") => (NativeSidecarMode::Auto, None),
            Some("true") => (NativeSidecarMode::Enabled, None),
            Some("false") => (NativeSidecarMode::Disabled, None),
            Some(other) => (
                NativeSidecarMode::Disabled,
                Some(format!(
                    "unknown value for ENABLE_NATIVE_SIDECARS: {other:?}, defaulting to false"
                )),
            ),
        }
    }

    /// Whether a pod gets a native sidecar (before its `sidecar.istio.io/nativeSidecar`
    /// annotation is considered). `nodes` is `None` when the cluster's nodes are not known
    /// (kube-inject without a cluster): only `Enabled` says yes then. With nodes known and
    /// `Auto`: the pod's node decides when it is named and listed; otherwise every node must
    /// run kubelet 1.33 or later (an unreadable version counts as too old).
    pub fn decide(self, pod_node_name: Option<&str>, nodes: Option<&[NodeInfo]>) -> bool {
        match self {
            NativeSidecarMode::Disabled => false,
            NativeSidecarMode::Enabled => true,
            NativeSidecarMode::Auto => {
                let Some(nodes) = nodes else { return false };
                if let Some(name) = pod_node_name.filter(|n| !n.is_empty()) {
                    if let Some(node) = nodes.iter().find(|n| n.name == name) {
                        return supports_native_sidecars(&node.kubelet_version);
                    }
                }
                nodes
                    .iter()
                    .all(|n| supports_native_sidecars(&n.kubelet_version))
            }
        }
    }
}

/// Whether a kubelet version (`v1.33.0`, `1.34.1-gke.100`, …) has minor >= 33, reading the
/// version like hashicorp/go-version (missing segments are 0).
pub fn supports_native_sidecars(kubelet_version: &str) -> bool {
    minor_version(kubelet_version).is_some_and(|m| m >= NATIVE_SIDECAR_MIN_MINOR)
}

fn minor_version(v: &str) -> Option<u64> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let end = v.find(['-', '+']).unwrap_or(v.len());
    let (numbers, rest) = v.split_at(end);
    if numbers.is_empty() || numbers.ends_with('.') || (rest.starts_with('-') && rest.len() == 1) {
        return None;
    }
    let mut segments = numbers.split('.');
    let parsed: Option<Vec<u64>> = segments
        .by_ref()
        .map(|s| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        })
        .collect();
    let parsed = parsed?;
    Some(parsed.get(1).copied().unwrap_or(0))
}

/// The switches, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    pub native_sidecars: NativeSidecarMode,
    /// `.CompliancePolicy` in templates.
    pub compliance_policy: String,
    pub platform: String,
    /// Problems found while reading (unknown values).
    pub warnings: Vec<String>,
}

impl Default for Features {
    fn default() -> Self {
        Features::from_lookup(&|_| None)
    }
}

impl Features {
    /// Reads the switches through `lookup` (`None`: the variable is not set).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Features {
        let native = lookup("ENABLE_NATIVE_SIDECARS");
        let (native_sidecars, warning) = NativeSidecarMode::parse(native.as_deref());
        Features {
            native_sidecars,
            compliance_policy: lookup("COMPLIANCE_POLICY").unwrap_or_default(),
            platform: lookup("PLATFORM").unwrap_or_default(),
            warnings: warning.into_iter().collect(),
        }
    }

    /// Reads the switches from a map of environment variables.
    pub fn from_map(env: &HashMap<String, String>) -> Features {
        Features::from_lookup(&|k| env.get(k).cloned())
    }

    pub fn is_openshift(&self) -> bool {
        self.platform == "openshift"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(pairs: &[(&str, &str)]) -> Features {
        Features::from_map(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults() {
        let f = Features::default();
        assert_eq!(f.native_sidecars, NativeSidecarMode::Auto);
        assert_eq!(f.compliance_policy, "");
        assert!(!f.is_openshift());
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn exact_strings_only() {
        assert_eq!(
            features(&[("ENABLE_NATIVE_SIDECARS", "true")]).native_sidecars,
            NativeSidecarMode::Enabled
        );
        assert_eq!(
            features(&[("ENABLE_NATIVE_SIDECARS", "false")]).native_sidecars,
            NativeSidecarMode::Disabled
        );
        let f = features(&[("ENABLE_NATIVE_SIDECARS", "True")]);
        assert_eq!(f.native_sidecars, NativeSidecarMode::Disabled);
        assert_eq!(f.warnings.len(), 1);
        assert_eq!(
            features(&[("ENABLE_NATIVE_SIDECARS", "")]).native_sidecars,
            NativeSidecarMode::Disabled
        );
        let f = features(&[
            ("PLATFORM", "openshift"),
            ("COMPLIANCE_POLICY", "fips-140-3"),
        ]);
        assert!(f.is_openshift());
        assert_eq!(f.compliance_policy, "fips-140-3");
        assert!(!features(&[("PLATFORM", "OpenShift")]).is_openshift());
    }

    #[test]
    fn auto_detection_follows_kubelet_versions() {
        let nodes = |versions: &[&str]| -> Vec<NodeInfo> {
            versions
                .iter()
                .enumerate()
                .map(|(i, v)| NodeInfo {
                    name: format!("node-{}", i + 1),
                    kubelet_version: v.to_string(),
                })
                .collect()
        };
        let auto = NativeSidecarMode::Auto;
        let modern = nodes(&["v1.33.0", "v1.34.0"]);
        assert!(auto.decide(None, Some(&modern)));
        let mixed = nodes(&["v1.33.0", "v1.28.0"]);
        assert!(!auto.decide(None, Some(&mixed)));
        assert!(
            auto.decide(Some("node-1"), Some(&mixed)),
            "the pod's node decides"
        );
        assert!(!auto.decide(Some("node-2"), Some(&mixed)));
        assert!(
            !auto.decide(Some("elsewhere"), Some(&mixed)),
            "unknown node: all nodes decide"
        );
        assert!(!auto.decide(None, None), "no cluster: auto is off");
        assert!(NativeSidecarMode::Enabled.decide(None, None));
        assert!(!NativeSidecarMode::Disabled.decide(None, Some(&modern)));
        assert!(!auto.decide(None, Some(&nodes(&["garbage"]))));
    }

    #[test]
    fn version_parsing() {
        assert!(supports_native_sidecars("v1.33.0"));
        assert!(supports_native_sidecars("1.34.2-gke.1000"));
        assert!(supports_native_sidecars("v1.40"));
        assert!(!supports_native_sidecars("v1.32.9"));
        assert!(!supports_native_sidecars("v1"));
        assert!(!supports_native_sidecars(""));
    }
}
