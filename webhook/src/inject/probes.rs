//! Application probe rewriting: HTTP, TCP and gRPC probes and lifecycle
//! hooks of the app containers are pointed at the agent's status port, and
//! the originals are handed to the agent in `ISTIO_KUBE_APP_PROBERS`.
//!
//! Istio's behaviour (pkg/kube/inject/app_probe.go) reproduced on JSON pods:
//! the prober document is a map sorted by URL whose values keep the field
//! order of Kubernetes' `HTTPGetAction`, `TCPSocketAction` and `GRPCAction`.

use serde_json::{json, Map, Value};

use super::pod::{self, List, PROXY};
use crate::gojson;

/// Env var carrying the original probes to the agent.
pub const APP_PROBERS_ENV: &str = "ISTIO_KUBE_APP_PROBERS";
/// Annotation that turns rewriting on or off for one pod.
pub const REWRITE_ANNOTATION: &str = "sidecar.istio.io/rewriteAppHTTPProbers";
/// Annotation overriding the status port probes are rewritten to.
pub const STATUS_PORT_ANNOTATION: &str = "status.sidecar.istio.io/port";

const PROBES: [(&str, &str); 3] = [
    ("readinessProbe", "readyz"),
    ("livenessProbe", "livez"),
    ("startupProbe", "startupz"),
];
const HOOKS: [(&str, &str); 2] = [("preStop", "prestopz"), ("postStart", "poststartz")];

/// Whether probes are rewritten: a parseable annotation wins over the
/// `sidecarInjectorWebhook.rewriteAppHTTPProbe` value.
pub fn should_rewrite(pod: &Value, values_setting: bool) -> bool {
    pod::annotation(pod, REWRITE_ANNOTATION)
        .and_then(parse_go_bool)
        .unwrap_or(values_setting)
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Rewrites the pod's probes when enabled and records the originals in the
/// proxy's environment. `mesh_status_port` is the mesh's
/// `defaultConfig.statusPort`.
pub fn apply(pod: &mut Value, values_setting: bool, mesh_status_port: i64) {
    if pod::find_any(pod, PROXY).is_none() || !should_rewrite(pod, values_setting) {
        return;
    }
    if let Some(probers) = dump_app_probers(pod, mesh_status_port) {
        let previously_injected = pod::annotation(pod, super::status::ANNOTATION).is_some();
        if let Some(proxy) = pod::find_any_mut(pod, PROXY) {
            merge_or_append(proxy, previously_injected, probers);
        }
    }
    let status_port = match pod::annotation(pod, STATUS_PORT_ANNOTATION) {
        // Go's Atoi failure leaves 0; annotations are validated before this.
        Some(v) => v.parse::<i64>().unwrap_or(0),
        None => mesh_status_port,
    };
    for which in [List::Containers, List::InitContainers] {
        if let Some(list) = pod::list_mut(pod, which) {
            for c in list.iter_mut().filter(|c| pod::name(c) != PROXY) {
                rewrite_container(c, status_port);
            }
        }
    }
}

/// The prober document for the agent, or `None` when no probe qualifies.
pub fn dump_app_probers(pod: &Value, target_port: i64) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let all = pod::list(pod, List::InitContainers)
        .iter()
        .chain(pod::list(pod, List::Containers));
    for c in all.filter(|c| pod::name(c) != PROXY) {
        let name = pod::name(c);
        let ports = named_ports(c);
        for (field, suffix) in PROBES {
            if let Some(p) = c
                .get(field)
                .and_then(|p| prober(p, true, &ports, target_port))
            {
                out.insert(format!("/app-health/{name}/{suffix}"), p);
            }
        }
        for (field, suffix) in HOOKS {
            let hook = c.get("lifecycle").and_then(|l| l.get(field));
            if let Some(p) = hook.and_then(|h| prober(h, false, &ports, target_port)) {
                out.insert(format!("/app-lifecycle/{name}/{suffix}"), p);
            }
        }
    }
    if out.is_empty() {
        return None;
    }
    out.sort_keys();
    Some(out)
}

fn named_ports(container: &Value) -> Map<String, Value> {
    let mut map = Map::new();
    for p in container
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(n) = p
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            map.insert(
                n.to_string(),
                p.get("containerPort").cloned().unwrap_or(json!(0)),
            );
        }
    }
    map
}

/// One agent prober from a probe (`with_timeout`) or a lifecycle handler.
fn prober(
    handler: &Value,
    with_timeout: bool,
    ports: &Map<String, Value>,
    target_port: i64,
) -> Option<Value> {
    let mut out = Map::new();
    if let Some(http) = handler.get("httpGet").filter(|v| v.is_object()) {
        let port = resolve_port(http.get("port"), ports, target_port)?;
        out.insert("httpGet".into(), http_get_action(http, port));
    } else if let Some(tcp) = handler.get("tcpSocket").filter(|v| v.is_object()) {
        let port = resolve_port(tcp.get("port"), ports, target_port)?;
        let mut t = Map::new();
        t.insert("port".into(), port);
        copy_nonempty(tcp, &mut t, "host");
        out.insert("tcpSocket".into(), Value::Object(t));
    } else if let Some(grpc) = handler
        .get("grpc")
        .filter(|v| v.is_object() && with_timeout)
    {
        let service = grpc.get("service").cloned().unwrap_or(Value::Null);
        let port = grpc.get("port").cloned().unwrap_or(json!(0));
        out.insert("grpc".into(), json!({"port": port, "service": service}));
    } else {
        return None;
    }
    if with_timeout {
        if let Some(t) = handler
            .get("timeoutSeconds")
            .filter(|t| t.as_i64().unwrap_or(0) != 0)
        {
            out.insert("timeoutSeconds".into(), t.clone());
        }
    }
    Some(Value::Object(out))
}

/// Named ports become numbers; a port already equal to the status port
/// means the probe was rewritten before, so it is not dumped again.
fn resolve_port(port: Option<&Value>, ports: &Map<String, Value>, target: i64) -> Option<Value> {
    match port {
        Some(Value::String(name)) => ports.get(name).cloned(),
        Some(Value::Number(n)) if n.as_i64() == Some(target) => None,
        Some(v) => Some(v.clone()),
        None if target == 0 => None,
        None => Some(json!(0)),
    }
}

/// `HTTPGetAction` in Kubernetes' field order.
fn http_get_action(http: &Value, port: Value) -> Value {
    let mut m = Map::new();
    copy_nonempty(http, &mut m, "path");
    m.insert("port".into(), port);
    copy_nonempty(http, &mut m, "host");
    copy_nonempty(http, &mut m, "scheme");
    if let Some(h) = http
        .get("httpHeaders")
        .and_then(Value::as_array)
        .filter(|h| !h.is_empty())
    {
        let headers = h
            .iter()
            .map(|h| json!({"name": h.get("name").cloned().unwrap_or(json!("")), "value": h.get("value").cloned().unwrap_or(json!(""))}))
            .collect();
        m.insert("httpHeaders".into(), Value::Array(headers));
    }
    Value::Object(m)
}

fn copy_nonempty(from: &Value, to: &mut Map<String, Value>, key: &str) {
    if let Some(v) = from
        .get(key)
        .filter(|v| v.as_str() != Some("") && !v.is_null())
    {
        to.insert(key.into(), v.clone());
    }
}

fn merge_or_append(proxy: &mut Value, previously_injected: bool, probers: Map<String, Value>) {
    let env = pod::object_mut(proxy)
        .entry("env")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !env.is_array() {
        *env = Value::Array(Vec::new());
    }
    let Value::Array(env) = env else { return };
    if previously_injected {
        if let Some(existing) = env.iter_mut().find(|e| pod::name(e) == APP_PROBERS_ENV) {
            let old = existing.get("value").and_then(Value::as_str).unwrap_or("");
            let Ok(Value::Object(old)) = serde_json::from_str::<Value>(old) else {
                return; // Istio keeps the env untouched when the old value is unreadable
            };
            let mut merged = probers;
            merged.extend(old);
            merged.sort_keys();
            *existing =
                json!({"name": APP_PROBERS_ENV, "value": gojson::object_to_string(&merged)});
            return;
        }
    }
    env.push(json!({"name": APP_PROBERS_ENV, "value": gojson::object_to_string(&probers)}));
}

fn rewrite_container(c: &mut Value, status_port: i64) {
    let name = pod::name(c).to_string();
    for (field, suffix) in PROBES {
        if let Some(p) = c.get_mut(field).filter(|p| p.is_object()) {
            rewrite_handler(
                p,
                &format!("/app-health/{name}/{suffix}"),
                status_port,
                true,
            );
        }
    }
    for (field, suffix) in HOOKS {
        if let Some(h) = c
            .get_mut("lifecycle")
            .and_then(|l| l.get_mut(field))
            .filter(|h| h.is_object())
        {
            rewrite_handler(
                h,
                &format!("/app-lifecycle/{name}/{suffix}"),
                status_port,
                false,
            );
        }
    }
}

fn rewrite_handler(handler: &mut Value, url: &str, status_port: i64, allow_grpc: bool) {
    let h = pod::object_mut(handler);
    let replaced = if h.get("httpGet").is_some_and(Value::is_object) {
        None
    } else if h.get("tcpSocket").is_some_and(Value::is_object) {
        Some("tcpSocket")
    } else if allow_grpc && h.get("grpc").is_some_and(Value::is_object) {
        Some("grpc")
    } else {
        return;
    };
    if let Some(old) = replaced {
        h.remove(old);
        h.insert("httpGet".into(), json!({}));
    }
    let http = pod::object_mut(h.get_mut("httpGet").expect("httpGet present"));
    http.insert("port".into(), json!(status_port));
    http.insert("path".into(), json!(url));
    if http.get("scheme").and_then(Value::as_str) == Some("HTTPS") {
        http.insert("scheme".into(), json!("HTTP"));
    }
}

#[cfg(test)]
mod tests;
