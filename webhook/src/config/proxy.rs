//! `ProxyConfig` (mesh `defaultConfig`, overlaid per pod by the `proxy.istio.io/config`
//! annotation): Istio's defaults, its merge rules, the two ways a pod's ProxyConfig is
//! computed (kube-inject and webhook), and the template function `protoToJSON`
//! (`proto_to_json`), which prints a ProxyConfig without its default-valued fields.
//!
//! Merge rules (Istio's `MergeProxyConfig`): every field the overlay sets replaces the base
//! field wholesale, except `proxyMetadata`, whose entries are added over the base entries, and
//! `proxyHeaders`, whose `forwardedClientCert`, `requestId`, `attemptCount`, `server` and
//! `envoyDebugHeaders` fall back to the base when the overlay leaves them unset.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Value};

use super::error::ConfigError;
use super::proto::decode::{apply, decode_assignments, decode_message, Assignment, Message};
use super::proto::encode;
use super::proto::schema::{schema, MessageDesc, PROXY_CONFIG};
use super::yaml::parse_yaml;

/// The pod annotation that overrides the mesh ProxyConfig.
pub const PROXY_CONFIG_ANNOTATION: &str = "proxy.istio.io/config";

/// How inbound traffic reaches the proxy (`ProxyConfig.interceptionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterceptionMode {
    Redirect,
    Tproxy,
    None,
}

impl InterceptionMode {
    /// The enum name Istio prints (`REDIRECT`, `TPROXY`, `NONE`).
    pub fn as_str(self) -> &'static str {
        match self {
            InterceptionMode::Redirect => "REDIRECT",
            InterceptionMode::Tproxy => "TPROXY",
            InterceptionMode::None => "NONE",
        }
    }
}

/// A ProxyConfig message (canonical proto-JSON inside).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProxyConfig {
    msg: Message,
}

pub(crate) fn desc() -> &'static MessageDesc {
    schema().message(PROXY_CONFIG)
}

fn build_defaults() -> ProxyConfig {
    let defaults = json!({
        "configPath": "./etc/istio/proxy",
        "binaryPath": "/usr/local/bin/envoy",
        "serviceCluster": "istio-proxy",
        "drainDuration": "45s",
        "discoveryAddress": "istiod.istio-system.svc:15012",
        "proxyAdminPort": 15000,
        "controlPlaneAuthPolicy": "MUTUAL_TLS",
        "statNameLength": 189,
        "statusPort": 15020,
        "terminationDrainDuration": "5s"
    });
    ProxyConfig::from_proto_json(&defaults, "DefaultProxyConfig").expect("valid defaults")
}

impl ProxyConfig {
    /// Istio's `DefaultProxyConfig()`.
    pub fn defaults() -> ProxyConfig {
        static DEFAULTS: OnceLock<ProxyConfig> = OnceLock::new();
        DEFAULTS.get_or_init(build_defaults).clone()
    }

    /// Reads a ProxyConfig from proto-JSON (unknown fields ignored); errors are located
    /// under `path`.
    pub fn from_proto_json(value: &Value, path: &str) -> Result<ProxyConfig, ConfigError> {
        let msg = decode_message(desc(), value, path, &mut Vec::new())?;
        Ok(ProxyConfig { msg })
    }

    pub(crate) fn from_message(msg: Message) -> ProxyConfig {
        ProxyConfig { msg }
    }

    /// The canonical proto-JSON object (JSON names, set fields only).
    pub fn to_value(&self) -> Value {
        Value::Object(self.msg.clone())
    }

    /// Istio's `MergeProxyConfig`: applies an overlay given as a JSON value (already parsed
    /// YAML); errors are located under `path`.
    pub fn merge_value(&self, overlay: &Value, path: &str) -> Result<ProxyConfig, ConfigError> {
        let assignments = decode_assignments(desc(), overlay, path, &mut Vec::new())?;
        let orig_metadata = self.msg.get("proxyMetadata").cloned();
        let orig_headers = self.msg.get("proxyHeaders").cloned();
        let mut msg = self.msg.clone();
        apply(desc(), &mut msg, assignments);
        merge_metadata(&mut msg, orig_metadata);
        correct_proxy_headers(&mut msg, orig_headers);
        Ok(ProxyConfig { msg })
    }

    /// `MergeProxyConfig` of another ProxyConfig's proto-JSON: the fields `over` has set
    /// (zero values are not set, so they do not override) replace ours, with the metadata and
    /// header rules.
    pub fn overlay(&self, over: &ProxyConfig) -> ProxyConfig {
        let assignments = over
            .msg
            .iter()
            .filter_map(|(k, v)| {
                desc().field_by_json(k).map(|(field, _)| Assignment {
                    field,
                    value: Some(v.clone()),
                })
            })
            .collect();
        let mut msg = self.msg.clone();
        apply(desc(), &mut msg, assignments);
        merge_metadata(&mut msg, self.msg.get("proxyMetadata").cloned());
        correct_proxy_headers(&mut msg, self.msg.get("proxyHeaders").cloned());
        ProxyConfig { msg }
    }

    /// Applies the `proxy.istio.io/config` annotation (YAML or JSON) over this ProxyConfig.
    pub fn merge_annotation(&self, annotation: &str) -> Result<ProxyConfig, ConfigError> {
        let wrap = |reason: String| ConfigError::Annotation {
            annotation: PROXY_CONFIG_ANNOTATION.to_string(),
            reason,
        };
        let overlay = parse_yaml(annotation).map_err(|e| wrap(e.to_string()))?;
        self.merge_value(&overlay, "")
            .map_err(|e| wrap(e.to_string()))
    }

    /// The pod's ProxyConfig as Istio's webhook computes it (`EffectiveProxyConfig` with no
    /// ProxyConfig resources): `DefaultProxyConfig()`, then the fields the mesh `defaultConfig`
    /// sets, then the fields the annotation sets. Fields set to their zero value do not
    /// override (each layer travels as proto-JSON, which omits them).
    ///
    /// Istio's webhook skips an annotation it cannot parse at this point and then fails the
    /// injection with the same parse error when it orders the containers; this returns that
    /// error directly.
    pub fn effective(
        mesh_default: &ProxyConfig,
        annotation: Option<&str>,
    ) -> Result<ProxyConfig, ConfigError> {
        let mut effective = ProxyConfig::effective_without_annotation(mesh_default);
        if let Some(text) = annotation {
            let workload = ProxyConfig::default().merge_annotation(text)?;
            effective = effective.overlay(&workload);
        }
        Ok(effective)
    }

    /// [`ProxyConfig::effective`] for a pod without the annotation.
    pub fn effective_without_annotation(mesh_default: &ProxyConfig) -> ProxyConfig {
        ProxyConfig::defaults().overlay(mesh_default)
    }

    /// The template function `protoToJSON .ProxyConfig` (Istio's `cleanProxyConfig`, then
    /// `protomarshal.ToJSON`): fields equal to Istio's defaults are
    /// dropped first (config path, binary path, auth policy, service cluster, drain durations,
    /// discovery address, admin port, stat name length, status port, empty metadata), then the
    /// rest is printed as compact jsonpb (`{}` when nothing is left).
    pub fn proto_to_json(&self) -> String {
        let defaults = ProxyConfig::defaults();
        let mut msg = self.msg.clone();
        for key in [
            "configPath",
            "binaryPath",
            "controlPlaneAuthPolicy",
            "serviceCluster",
            "drainDuration",
            "terminationDrainDuration",
            "discoveryAddress",
            "envoyMetricsService",
            "envoyAccessLogService",
            "tracing",
            "proxyAdminPort",
            "statNameLength",
            "statusPort",
            "concurrency",
        ] {
            if msg.get(key) == defaults.msg.get(key) {
                msg.shift_remove(key);
            }
        }
        encode::to_json(desc(), &msg)
    }

    /// Compact jsonpb of the whole message (Istio's `protomarshal.ToJSON`).
    pub fn to_proto_json(&self) -> String {
        encode::to_json(desc(), &self.msg)
    }

    pub fn interception_mode(&self) -> InterceptionMode {
        match self.msg.get("interceptionMode").and_then(Value::as_str) {
            Some("TPROXY") => InterceptionMode::Tproxy,
            Some("NONE") => InterceptionMode::None,
            _ => InterceptionMode::Redirect,
        }
    }

    /// `holdApplicationUntilProxyStarts`, `None` when unset.
    pub fn hold_application_until_proxy_starts(&self) -> Option<bool> {
        self.msg
            .get("holdApplicationUntilProxyStarts")
            .and_then(Value::as_bool)
    }

    pub fn status_port(&self) -> i32 {
        self.int("statusPort")
    }

    pub fn proxy_admin_port(&self) -> i32 {
        self.int("proxyAdminPort")
    }

    pub fn discovery_address(&self) -> &str {
        self.str("discoveryAddress")
    }

    /// `concurrency`, `None` when unset.
    pub fn concurrency(&self) -> Option<i32> {
        self.msg
            .get("concurrency")
            .and_then(Value::as_i64)
            .map(|n| n as i32)
    }

    /// `image.imageType`, `None` when `image` is unset (Istio then uses `values.global.variant`).
    pub fn image_type(&self) -> Option<&str> {
        self.msg
            .get("image")
            .map(|img| img.get("imageType").and_then(Value::as_str).unwrap_or(""))
    }

    pub fn proxy_metadata(&self) -> BTreeMap<&str, &str> {
        self.msg
            .get("proxyMetadata")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
            .collect()
    }

    fn int(&self, key: &str) -> i32 {
        self.msg.get(key).and_then(Value::as_i64).unwrap_or(0) as i32
    }

    fn str(&self, key: &str) -> &str {
        self.msg.get(key).and_then(Value::as_str).unwrap_or("")
    }
}

/// Istio's template function `protoToJSON` for a message of type `desc` given as protobuf
/// JSON: read into its canonical form (set fields only), a ProxyConfig printed by
/// [`ProxyConfig::proto_to_json`], any other message as compact jsonpb; `{}` when the JSON does
/// not read as the message (Istio prints `{}` when marshalling fails).
pub(crate) fn proto_to_json(desc: &MessageDesc, value: &Value) -> String {
    let Ok(msg) = decode_message(desc, value, "", &mut Vec::new()) else {
        return "{}".to_string();
    };
    if desc.full_name == PROXY_CONFIG {
        ProxyConfig { msg }.proto_to_json()
    } else {
        encode::to_json(desc, &msg)
    }
}

fn merge_metadata(msg: &mut Message, orig: Option<Value>) {
    let Some(Value::Object(mut merged)) = orig else {
        return;
    };
    if let Some(Value::Object(new)) = msg.get("proxyMetadata") {
        for (k, v) in new {
            merged.insert(k.clone(), v.clone());
        }
    }
    msg.insert("proxyMetadata".into(), Value::Object(merged));
    super::proto::decode::reorder(desc(), msg);
}

fn correct_proxy_headers(msg: &mut Message, orig: Option<Value>) {
    let (Some(Value::Object(orig)), Some(Value::Object(headers))) =
        (orig, msg.get_mut("proxyHeaders"))
    else {
        return;
    };
    let headers_desc = schema().message("istio.mesh.v1alpha1.ProxyConfig.ProxyHeaders");
    for key in [
        "forwardedClientCert",
        "requestId",
        "attemptCount",
        "server",
        "envoyDebugHeaders",
    ] {
        if !headers.contains_key(key) {
            if let Some(v) = orig.get(key) {
                headers.insert(key.to_string(), v.clone());
            }
        }
    }
    super::proto::decode::reorder(headers_desc, headers);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pc(v: Value) -> ProxyConfig {
        ProxyConfig::from_proto_json(&v, "pc").unwrap()
    }

    #[test]
    fn defaults_print_as_empty_proto_json() {
        assert_eq!(ProxyConfig::defaults().proto_to_json(), "{}");
        assert_eq!(
            ProxyConfig::defaults().interception_mode(),
            InterceptionMode::Redirect
        );
        assert_eq!(ProxyConfig::defaults().status_port(), 15020);
    }

    #[test]
    fn annotation_replaces_fields_and_merges_metadata() {
        let base = pc(
            json!({"statusPort": 15020, "proxyMetadata": {"A": "1", "B": "2"},
                            "tracing": {"sampling": 5.0}}),
        );
        let out = base
            .merge_annotation(
                "proxyMetadata:\n  B: x\n  C: zz\ntracing:\n  zipkin: {address: z:1}\n",
            )
            .unwrap();
        assert_eq!(
            out.to_value(),
            json!({"tracing": {"zipkin": {"address": "z:1"}}, "proxyMetadata": {"A": "1", "B": "x", "C": "zz"},
                   "statusPort": 15020})
        );
    }

    #[test]
    fn proxy_headers_fall_back_to_base_members() {
        let base = pc(json!({"proxyHeaders": {"forwardedClientCert": "SANITIZE",
            "server": {"value": "s"}, "preserveHttp1HeaderCase": true}}));
        let out = base
            .merge_annotation(r#"{"proxyHeaders": {"requestId": {"disabled": true}}}"#)
            .unwrap();
        assert_eq!(
            out.to_value()["proxyHeaders"],
            json!({"forwardedClientCert": "SANITIZE", "requestId": {"disabled": true},
                   "server": {"value": "s"}})
        );
    }

    #[test]
    fn bad_annotation_names_the_annotation_and_field() {
        let err = ProxyConfig::defaults()
            .merge_annotation("concurrency: lots")
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("annotation proxy.istio.io/config: concurrency:"),
            "{text}"
        );
        let err = ProxyConfig::defaults()
            .merge_annotation("a: [")
            .unwrap_err();
        assert!(err.to_string().contains("invalid yaml"), "{err}");
    }

    #[test]
    fn effective_config_ignores_zero_values_of_higher_layers() {
        let mesh = pc(json!({"discoveryAddress": "d:1", "interceptionMode": "TPROXY"}));
        let eff = ProxyConfig::effective(
            &mesh,
            Some("interceptionMode: REDIRECT\nstatusPort: 0\nconcurrency: 0"),
        )
        .unwrap();
        // REDIRECT and 0 are zero values: proto-JSON does not carry them, so they do not win.
        assert_eq!(eff.interception_mode(), InterceptionMode::Tproxy);
        assert_eq!(eff.status_port(), 15020);
        assert_eq!(eff.concurrency(), Some(0));
        assert_eq!(eff.discovery_address(), "d:1");
        // The kube-inject merge applies the annotation as written.
        let direct = mesh
            .merge_annotation("interceptionMode: REDIRECT\nstatusPort: 0")
            .unwrap();
        assert_eq!(direct.interception_mode(), InterceptionMode::Redirect);
        assert_eq!(direct.status_port(), 0);
    }

    #[test]
    fn proto_to_json_keeps_only_non_default_fields() {
        let eff = ProxyConfig::effective(
            &ProxyConfig::defaults(),
            Some("discoveryAddress: foo:123\nconcurrency: 0\nproxyMetadata:\n  FOO: bar\n"),
        )
        .unwrap();
        assert_eq!(
            eff.proto_to_json(),
            r#"{"discoveryAddress":"foo:123","concurrency":0,"proxyMetadata":{"FOO":"bar"}}"#
        );
        let held = ProxyConfig::defaults()
            .merge_annotation(r#"{ "holdApplicationUntilProxyStarts": true }"#)
            .unwrap();
        assert_eq!(
            held.proto_to_json(),
            r#"{"holdApplicationUntilProxyStarts":true}"#
        );
        assert_eq!(held.hold_application_until_proxy_starts(), Some(true));
    }
}
