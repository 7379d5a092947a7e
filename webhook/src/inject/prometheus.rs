//! Prometheus metrics merging: the app's `prometheus.io/*` scrape settings
//! move into the proxy's `ISTIO_PROMETHEUS_ANNOTATIONS` and the pod is
//! re-annotated to be scraped on the agent's status port, as Istio does.
//!
//! Annotation names are compared in Prometheus' sanitised form
//! (`prometheus.io/port` and `prometheus_io_port` are the same key).

use serde_json::{json, Map, Value};

use super::pod::{self, PROXY};
use super::probes::parse_go_bool;
use crate::gojson;

const SCRAPE: &str = "prometheus_io_scrape";
const PORT: &str = "prometheus_io_port";
const PATH: &str = "prometheus_io_path";
const TARGETS: &str = "prometheus_istio_io_scrape_targets";
const SECURE_PORT: &str = "prometheus_istio_io_secure_port";
const MERGE_ANNOTATION: &str = "prometheus.istio.io/merge-metrics";
/// Env var that hands the app's scrape settings to the agent.
pub const SCRAPE_ENV: &str = "ISTIO_PROMETHEUS_ANNOTATIONS";

/// Ports the Istio data plane owns, with the reason shown to users.
const RESERVED: [(&str, &str); 9] = [
    ("15000", "Envoy admin"),
    ("15001", "outbound traffic capture"),
    ("15004", "pilot debug"),
    ("15006", "inbound traffic capture"),
    ("15008", "HBONE tunnel"),
    ("15020", "pilot-agent status / merged Prometheus"),
    ("15021", "Envoy health"),
    ("15053", "DNS proxy"),
    ("15090", "Envoy Prometheus (already merged)"),
];

/// Why metrics merging refused the pod's scrape settings.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrometheusError {
    #[error("invalid prometheus scrape {what}: invalid {port_kind} {port:?}")]
    InvalidPort {
        what: &'static str,
        port_kind: &'static str,
        port: String,
    },
    #[error("invalid prometheus scrape {what}: {port_kind} {port} conflicts with agent port")]
    AgentPort {
        what: &'static str,
        port_kind: &'static str,
        port: String,
    },
    #[error("invalid prometheus scrape {what}: {port_kind} {port} is reserved for Istio ({reason}) and cannot be scraped")]
    Reserved {
        what: &'static str,
        port_kind: &'static str,
        port: String,
        reason: &'static str,
    },
}

/// Prometheus' label-name sanitising: every character outside
/// `[a-zA-Z0-9_]` becomes `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn find_annotation<'a>(pod: &'a Value, key: &str) -> Option<&'a str> {
    pod::meta_map(pod, "annotations")?
        .iter()
        .find(|(k, _)| sanitize(k) == key)
        .and_then(|(_, v)| v.as_str())
}

/// The pod's current `prometheus.io/port`, in any spelling.
pub fn port_annotation(pod: &Value) -> Option<&str> {
    find_annotation(pod, PORT)
}

/// Removes every spelling of the scrape annotations Istio manages.
pub fn clear(pod: &mut Value) {
    let annotations = pod::meta_map_mut(pod, "annotations");
    annotations.retain(|k, _| !matches!(sanitize(k).as_str(), SCRAPE | PORT | PATH | TARGETS));
}

/// Applies metrics merging. `mesh_merge` is the mesh's
/// `enablePrometheusMerge` when set.
pub fn apply(
    pod: &mut Value,
    mesh_merge: Option<bool>,
    status_port: i64,
) -> Result<(), PrometheusError> {
    let scrape = find_annotation(pod, SCRAPE)
        .and_then(parse_go_bool)
        .unwrap_or(true);
    let merge = pod::annotation(pod, MERGE_ANNOTATION)
        .and_then(parse_go_bool)
        .or(mesh_merge)
        .unwrap_or(true);
    if !scrape || !merge {
        return Ok(());
    }
    let target = status_port.to_string();
    if port_annotation(pod) == Some(target.as_str()) {
        return Ok(()); // already merged (re-injection) or set by the user to the agent
    }
    let config = scrape_config(pod);
    if let Some(targets) = config.get("targets").and_then(Value::as_array) {
        for t in targets {
            check_port(
                t["port"].as_str().unwrap_or(""),
                &target,
                "targets",
                "target port",
            )?;
        }
    } else if let Some(port) = config
        .get("port")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        check_port(port, &target, "configuration", "port")?;
    }
    let empty = config.iter().all(|(k, v)| match k.as_str() {
        "targets" => false,
        _ => v.as_str() == Some(""),
    });
    if !empty {
        if let Some(proxy) = pod::find_any_mut(pod, PROXY) {
            push_env(proxy, SCRAPE_ENV, gojson::object_to_string(&config));
        }
    }
    clear(pod);
    let annotations = pod::meta_map_mut(pod, "annotations");
    annotations.insert("prometheus.io/port".into(), json!(target));
    annotations.insert("prometheus.io/path".into(), json!("/stats/prometheus"));
    annotations.insert("prometheus.io/scrape".into(), json!("true"));
    Ok(())
}

/// Sets `prometheus.istio.io/secure-port` from the proxy's
/// `ENVOY_SECURE_MERGED_METRICS_PORT`, unless the user set it.
pub fn apply_secure_port(pod: &mut Value) {
    if find_annotation(pod, SECURE_PORT).is_some() {
        return;
    }
    let Some((_, proxy)) = pod::find_any(pod, PROXY) else {
        return;
    };
    let port = proxy
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| pod::name(e) == "ENVOY_SECURE_MERGED_METRICS_PORT")
        .and_then(|e| e.get("value").and_then(Value::as_str))
        .filter(|v| !v.is_empty() && *v != "0")
        .map(str::to_string);
    if let Some(port) = port {
        pod::meta_map_mut(pod, "annotations")
            .insert("prometheus.istio.io/secure-port".into(), json!(port));
    }
}

/// Istio's `PrometheusScrapeConfiguration` in its JSON field order; with
/// targets, the legacy port and path come from the first target.
fn scrape_config(pod: &Value) -> Map<String, Value> {
    let (mut scrape, mut path, mut port, mut targets) =
        (String::new(), String::new(), String::new(), None);
    for (k, v) in pod::meta_map(pod, "annotations").into_iter().flatten() {
        let v = v.as_str().unwrap_or("").to_string();
        match sanitize(k).as_str() {
            PORT => port = v,
            SCRAPE => scrape = v,
            PATH => path = v,
            TARGETS => targets = parse_targets(&v),
            _ => {}
        }
    }
    if let Some(first) = targets
        .as_ref()
        .and_then(|t: &Vec<(String, String)>| t.first())
    {
        port = first.0.clone();
        path = first.1.clone();
    }
    let mut m = Map::new();
    m.insert("scrape".into(), json!(scrape));
    m.insert("path".into(), json!(path));
    m.insert("port".into(), json!(port));
    if let Some(t) = targets.filter(|t| !t.is_empty()) {
        let list = t
            .into_iter()
            .map(|(port, path)| json!({"port": port, "path": path}))
            .collect();
        m.insert("targets".into(), Value::Array(list));
    }
    m
}

/// `port:path` pairs, comma separated; an empty path means `/metrics`.
/// A malformed list is ignored as a whole (Istio logs and drops it).
fn parse_targets(raw: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (port, path) = entry.split_once(':').unwrap_or((entry, ""));
        let port = port.trim();
        if port.is_empty() {
            return None;
        }
        let path = if path.trim().is_empty() {
            "/metrics"
        } else {
            path.trim()
        };
        out.push((port.to_string(), path.to_string()));
    }
    Some(out)
}

fn check_port(
    port: &str,
    agent: &str,
    what: &'static str,
    port_kind: &'static str,
) -> Result<(), PrometheusError> {
    let canon = match port.parse::<i64>() {
        Ok(n) if (1..=65535).contains(&n) => n.to_string(),
        _ => {
            return Err(PrometheusError::InvalidPort {
                what,
                port_kind,
                port: port.into(),
            })
        }
    };
    if canon == agent {
        return Err(PrometheusError::AgentPort {
            what,
            port_kind,
            port: port.into(),
        });
    }
    if let Some((_, reason)) = RESERVED.iter().find(|(p, _)| *p == canon) {
        return Err(PrometheusError::Reserved {
            what,
            port_kind,
            port: port.into(),
            reason,
        });
    }
    Ok(())
}

fn push_env(container: &mut Value, name: &str, value: String) {
    let env = pod::object_mut(container)
        .entry("env")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = env {
        list.push(json!({"name": name, "value": value}));
    } else {
        *env = json!([{"name": name, "value": value}]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(annotations: Value) -> Value {
        json!({"metadata": {"annotations": annotations}, "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}})
    }

    fn proxy_env(pod: &Value) -> Option<&str> {
        pod["spec"]["containers"][1]["env"][0]["value"].as_str()
    }

    #[test]
    fn moves_app_settings_to_env_and_points_at_agent() {
        let mut p = pod(
            json!({"prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics"}),
        );
        apply(&mut p, None, 15020).unwrap();
        assert_eq!(
            proxy_env(&p),
            Some(r#"{"scrape":"true","path":"/metrics","port":"8080"}"#)
        );
        let a = &p["metadata"]["annotations"];
        assert_eq!(a["prometheus.io/port"], "15020");
        assert_eq!(a["prometheus.io/path"], "/stats/prometheus");
        assert_eq!(a["prometheus.io/scrape"], "true");
    }

    #[test]
    fn without_app_settings_only_annotations_are_added() {
        let mut p = pod(json!({}));
        apply(&mut p, None, 15020).unwrap();
        assert_eq!(proxy_env(&p), None);
        assert_eq!(p["metadata"]["annotations"]["prometheus.io/port"], "15020");
    }

    #[test]
    fn scrape_false_annotation_or_mesh_off_leaves_pod_alone() {
        let mut p = pod(json!({"prometheus.io/scrape": "false"}));
        let before = p.clone();
        apply(&mut p, None, 15020).unwrap();
        assert_eq!(p, before);
        let mut q = pod(json!({}));
        let before = q.clone();
        apply(&mut q, Some(false), 15020).unwrap();
        assert_eq!(q, before);
    }

    #[test]
    fn targets_set_legacy_fields_from_first_target() {
        let mut p = pod(
            json!({"prometheus.istio.io/scrape-targets": "8080, 9100:/custom-metrics", "prometheus.io/scrape": "true"}),
        );
        apply(&mut p, None, 15020).unwrap();
        assert_eq!(
            proxy_env(&p),
            Some(
                r#"{"scrape":"true","path":"/metrics","port":"8080","targets":[{"port":"8080","path":"/metrics"},{"port":"9100","path":"/custom-metrics"}]}"#
            )
        );
        assert!(p["metadata"]["annotations"]
            .get("prometheus.istio.io/scrape-targets")
            .is_none());
    }

    #[test]
    fn reserved_and_agent_ports_are_refused() {
        let mut p = pod(json!({"prometheus.io/port": "15090"}));
        let e = apply(&mut p, None, 15020).unwrap_err();
        assert!(
            e.to_string()
                .contains("reserved for Istio (Envoy Prometheus"),
            "{e}"
        );
        let mut q = pod(json!({"prometheus.io/port": "abc"}));
        assert!(matches!(
            apply(&mut q, None, 15020),
            Err(PrometheusError::InvalidPort { .. })
        ));
    }

    #[test]
    fn sanitized_spellings_are_recognised() {
        assert_eq!(sanitize("prometheus.io/port"), "prometheus_io_port");
        let mut p = pod(json!({"prometheus_io_port": "8080"}));
        apply(&mut p, None, 15020).unwrap();
        assert!(p["metadata"]["annotations"]
            .get("prometheus_io_port")
            .is_none());
    }

    #[test]
    fn secure_port_comes_from_proxy_env_unless_set() {
        let mut p = pod(json!({}));
        p["spec"]["containers"][1]["env"] =
            json!([{"name": "ENVOY_SECURE_MERGED_METRICS_PORT", "value": "15091"}]);
        apply_secure_port(&mut p);
        assert_eq!(
            p["metadata"]["annotations"]["prometheus.istio.io/secure-port"],
            "15091"
        );
    }
}
