//! `MeshConfig` (ConfigMap `istio`, key `mesh`): Istio's defaults and `ApplyMeshConfig`, the
//! rules by which the `mesh` YAML is laid over them.
//!
//! `ApplyMeshConfig` rules:
//! - each top-level field the YAML sets replaces the default wholesale (lists, maps and
//!   messages included), unknown fields are ignored;
//! - `defaultConfig` (only under that JSON name) is merged into the default ProxyConfig with
//!   the ProxyConfig merge rules ([`crate::config::proxy`]);
//! - `defaultProviders` (only under that name) has its fields replaced one by one;
//! - `extensionProviders` are merged by `name`: a provider with a known name replaces that
//!   provider's settings in place, others are appended;
//! - `trustDomainAliases` are the sorted union of the YAML's and the defaults' aliases;
//! - the result is validated (`mesh_validate`: the subset of `ValidateMeshConfig` that matters here).

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use super::error::ConfigError;
use super::mesh_validate::validate_mesh;
use super::proto::decode::{apply, decode_assignments, decode_message, Message};
use super::proto::encode;
use super::proto::schema::{schema, MessageDesc, DEFAULT_PROVIDERS, MESH_CONFIG};
use super::proxy::ProxyConfig;
use super::yaml::parse_yaml;

/// The ConfigMap key the mesh YAML comes from; error paths start with it.
pub const MESH_KEY: &str = "mesh";

/// A MeshConfig message (canonical proto-JSON inside).
#[derive(Debug, Clone)]
pub struct MeshConfig {
    msg: Message,
    ignored: Vec<String>,
}

impl PartialEq for MeshConfig {
    fn eq(&self, other: &MeshConfig) -> bool {
        self.msg == other.msg
    }
}

pub(crate) fn desc() -> &'static MessageDesc {
    schema().message(MESH_CONFIG)
}

fn build_defaults() -> MeshConfig {
    let mut mesh = json!({

        "enableTracing": true,
        "accessLogFile": "",
        "accessLogEncoding": "TEXT",
        "accessLogFormat": "",
        "enableEnvoyAccessLogService": false,
        "protocolDetectionTimeout": "0s",
        "ingressService": "istio-ingressgateway",
        "ingressControllerMode": "STRICT",
        "ingressClass": "istio",
        "trustDomain": "cluster.local",
        "trustDomainAliases": [],
        "enableAutoMtls": true,
        "outboundTrafficPolicy": {"mode": "ALLOW_ANY"},
        "inboundTrafficPolicy": {"mode": "PASSTHROUGH"},
        "localityLbSetting": {"enabled": true},
        "certificates": [],
        "rootNamespace": "istio-system",
        "proxyListenPort": 15001,
        "proxyInboundListenPort": 15006,
        "connectTimeout": "10s",
        "defaultServiceExportTo": ["*"],
        "defaultVirtualServiceExportTo": ["*"],
        "defaultDestinationRuleExportTo": ["*"],
        "dnsRefreshRate": "60s",
        "serviceSettings": [],
        "enablePrometheusMerge": true,
        "defaultProviders": {},
        "extensionProviders": [
            {"name": "prometheus", "prometheus": {}},
            {"name": "stackdriver", "stackdriver": {}},
            {"name": "envoy", "envoyFileAccessLog": {"path": "/dev/stdout"}}
        ]
    });
    mesh["defaultConfig"] = ProxyConfig::defaults().to_value();
    MeshConfig::from_proto_json(&mesh).expect("valid defaults")
}

impl MeshConfig {
    /// Istio's `DefaultMeshConfig()`, with `DefaultProxyConfig()` as `defaultConfig`.
    pub fn defaults() -> MeshConfig {
        static DEFAULTS: OnceLock<MeshConfig> = OnceLock::new();
        DEFAULTS.get_or_init(build_defaults).clone()
    }

    /// Istio's `ApplyMeshConfigDefaults`: the `mesh` YAML over [`MeshConfig::defaults`].
    pub fn parse(yaml: &str) -> Result<MeshConfig, ConfigError> {
        MeshConfig::defaults().apply_yaml(yaml)
    }

    /// Reads a complete MeshConfig from proto-JSON, without defaults, merging or validation
    /// (e.g. a dump of an effective mesh config).
    pub fn from_proto_json(value: &Value) -> Result<MeshConfig, ConfigError> {
        let mut ignored = Vec::new();
        let msg = decode_message(desc(), value, MESH_KEY, &mut ignored)?;
        Ok(MeshConfig { msg, ignored })
    }

    /// Istio's `ApplyMeshConfig(yaml, self)`.
    pub fn apply_yaml(&self, yaml: &str) -> Result<MeshConfig, ConfigError> {
        let raw = parse_yaml(yaml).map_err(|e| ConfigError::syntax(MESH_KEY, e))?;
        let mut ignored = Vec::new();
        let assignments = decode_assignments(desc(), &raw, MESH_KEY, &mut ignored)?;
        let mut msg = self.msg.clone();
        apply(desc(), &mut msg, assignments);

        // defaultConfig: merged into the previous ProxyConfig, from the JSON name only.
        let prev_pc = self.default_config();
        let raw_field = |name: &str| raw.get(name).filter(|v| !v.is_null());
        let pc = match raw_field("defaultConfig") {
            Some(overlay) => prev_pc.merge_value(overlay, "mesh.defaultConfig")?,
            None => prev_pc,
        };
        msg.insert("defaultConfig".into(), pc.to_value());

        // defaultProviders: the previous message with the given fields replaced.
        let providers_desc = schema().message(DEFAULT_PROVIDERS);
        let mut providers = match self.msg.get("defaultProviders") {
            Some(Value::Object(p)) => p.clone(),
            _ => Map::new(),
        };
        let had_providers = self.msg.contains_key("defaultProviders");
        if let Some(overlay) = raw_field("defaultProviders") {
            let a = decode_assignments(
                providers_desc,
                overlay,
                "mesh.defaultProviders",
                &mut ignored,
            )?;
            apply(providers_desc, &mut providers, a);
        }
        if had_providers || raw_field("defaultProviders").is_some() {
            msg.insert("defaultProviders".into(), Value::Object(providers));
        } else {
            msg.shift_remove("defaultProviders");
        }

        // extensionProviders: merged by name.
        let new_providers = array(&msg, "extensionProviders");
        let mut merged = array(&self.msg, "extensionProviders");
        for p in new_providers {
            let name = p.get("name").cloned().unwrap_or(Value::Null);
            match merged
                .iter_mut()
                .find(|e| e.get("name").cloned().unwrap_or(Value::Null) == name)
            {
                Some(existing) => replace_provider(existing, &p),
                None => merged.push(p),
            }
        }
        set_list(&mut msg, "extensionProviders", merged);

        // trustDomainAliases: sorted union.
        let mut aliases: Vec<String> = array(&msg, "trustDomainAliases")
            .into_iter()
            .chain(array(&self.msg, "trustDomainAliases"))
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        aliases.sort();
        aliases.dedup();
        set_list(
            &mut msg,
            "trustDomainAliases",
            aliases.into_iter().map(Value::String).collect(),
        );

        super::proto::decode::reorder(desc(), &mut msg);
        let mesh = MeshConfig { msg, ignored };
        validate_mesh(&mesh)?;
        Ok(mesh)
    }

    pub(crate) fn message(&self) -> &Message {
        &self.msg
    }

    /// Paths of fields the input set that Istio's API does not know (ignored, as Istio does).
    pub fn ignored_fields(&self) -> &[String] {
        &self.ignored
    }

    /// `defaultConfig` (empty when unset).
    pub fn default_config(&self) -> ProxyConfig {
        match self.msg.get("defaultConfig") {
            Some(Value::Object(pc)) => ProxyConfig::from_message(pc.clone()),
            _ => ProxyConfig::default(),
        }
    }

    /// This mesh config with another `defaultConfig`.
    pub fn with_default_config(&self, pc: &ProxyConfig) -> MeshConfig {
        let mut msg = self.msg.clone();
        msg.insert("defaultConfig".into(), pc.to_value());
        super::proto::decode::reorder(desc(), &mut msg);
        MeshConfig {
            msg,
            ignored: self.ignored.clone(),
        }
    }

    /// Istio's `mesh.ApplyProxyConfig` (what kube-inject does with a pod's
    /// `proxy.istio.io/config` annotation): this mesh config with the annotation merged into
    /// its `defaultConfig`.
    pub fn apply_proxy_config_annotation(
        &self,
        annotation: &str,
    ) -> Result<MeshConfig, ConfigError> {
        let pc = self.default_config().merge_annotation(annotation)?;
        Ok(self.with_default_config(&pc))
    }

    /// The canonical proto-JSON object.
    pub fn to_value(&self) -> Value {
        Value::Object(self.msg.clone())
    }

    /// Compact jsonpb JSON (Istio's `protomarshal.ToJSON`).
    pub fn to_proto_json(&self) -> String {
        encode::to_json(desc(), &self.msg)
    }

    pub fn trust_domain(&self) -> &str {
        self.msg
            .get("trustDomain")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn root_namespace(&self) -> &str {
        self.msg
            .get("rootNamespace")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn proxy_listen_port(&self) -> i32 {
        self.int("proxyListenPort")
    }

    pub fn proxy_inbound_listen_port(&self) -> i32 {
        self.int("proxyInboundListenPort")
    }

    /// `enablePrometheusMerge`, `None` when unset (Istio then merges).
    pub fn enable_prometheus_merge(&self) -> Option<bool> {
        self.msg
            .get("enablePrometheusMerge")
            .and_then(Value::as_bool)
    }

    /// Istio's `InboundTrafficPolicyMode`: `"localhost"` or `"passthrough"`.
    pub fn inbound_traffic_policy_mode(&self) -> &'static str {
        let mode = self
            .msg
            .get("inboundTrafficPolicy")
            .and_then(|p| p.get("mode"))
            .and_then(Value::as_str);
        if mode == Some("LOCALHOST") {
            "localhost"
        } else {
            "passthrough"
        }
    }

    /// Whether some OpenTelemetry extension provider asks for
    /// `OTEL_SEMANTIC_CONVENTIONS` service attributes (the template function
    /// `otelResourceAttributes` does nothing otherwise).
    pub fn otel_semantic_conventions(&self) -> bool {
        array(&self.msg, "extensionProviders").iter().any(|p| {
            p.get("opentelemetry")
                .and_then(|o| o.get("serviceAttributeEnrichment"))
                .and_then(Value::as_str)
                == Some("OTEL_SEMANTIC_CONVENTIONS")
        })
    }

    fn int(&self, key: &str) -> i32 {
        self.msg.get(key).and_then(Value::as_i64).unwrap_or(0) as i32
    }
}

fn array(msg: &Message, key: &str) -> Vec<Value> {
    msg.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn set_list(msg: &mut Message, key: &str, items: Vec<Value>) {
    if items.is_empty() {
        msg.shift_remove(key);
    } else {
        msg.insert(key.to_string(), Value::Array(items));
    }
}

/// Replaces the `provider` oneof of an extension provider with the one of `from`.
fn replace_provider(existing: &mut Value, from: &Value) {
    let provider_desc = schema().message("istio.mesh.v1alpha1.MeshConfig.ExtensionProvider");
    let (Some(target), Some(source)) = (existing.as_object_mut(), from.as_object()) else {
        return;
    };
    let oneof = provider_desc
        .field("prometheus")
        .oneof
        .expect("provider is a oneof");
    for &i in &provider_desc.oneofs[oneof].fields {
        let name = &provider_desc.fields[i].json_name;
        target.shift_remove(name);
        if let Some(v) = source.get(name) {
            target.insert(name.clone(), v.clone());
        }
    }
    super::proto::decode::reorder(provider_desc, target);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_default_proxy_config() {
        let mesh = MeshConfig::defaults();
        assert_eq!(mesh.default_config(), ProxyConfig::defaults());
        assert_eq!(mesh.trust_domain(), "cluster.local");
        assert_eq!(mesh.proxy_listen_port(), 15001);
        assert_eq!(mesh.inbound_traffic_policy_mode(), "passthrough");
        assert_eq!(mesh.enable_prometheus_merge(), Some(true));
    }

    #[test]
    fn top_level_fields_replace_but_default_config_merges() {
        let mesh = MeshConfig::parse(
            "defaultConfig:\n  discoveryAddress: x.y:1\n  proxyMetadata: {A: b}\n\
             defaultServiceExportTo: [a]\noutboundTrafficPolicy: {}\n",
        )
        .unwrap();
        let pc = mesh.default_config();
        assert_eq!(pc.discovery_address(), "x.y:1");
        assert_eq!(
            pc.status_port(),
            15020,
            "the rest of the default ProxyConfig stays"
        );
        assert_eq!(mesh.to_value()["defaultServiceExportTo"], json!(["a"]));
        assert_eq!(mesh.to_value()["outboundTrafficPolicy"], json!({}));
    }

    #[test]
    fn default_config_under_its_proto_name_is_ignored_like_istio() {
        let mesh = MeshConfig::parse("default_config:\n  statusPort: 1234\n").unwrap();
        assert_eq!(mesh.default_config().status_port(), 15020);
    }

    #[test]
    fn extension_providers_merge_by_name_and_aliases_union() {
        let mesh = MeshConfig::parse(
            "extensionProviders:\n- name: envoy\n  envoyFileAccessLog: {path: /tmp/log}\n\
             - name: otel\n  opentelemetry: {service: o, port: 4317, serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS}\n\
             trustDomainAliases: [b.local, a.local]\n",
        )
        .unwrap();
        let names: Vec<_> = mesh.to_value()["extensionProviders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["prometheus", "stackdriver", "envoy", "otel"]);
        assert_eq!(
            mesh.to_value()["extensionProviders"][2]["envoyFileAccessLog"]["path"],
            "/tmp/log"
        );
        assert!(mesh.otel_semantic_conventions());
        assert_eq!(
            mesh.to_value()["trustDomainAliases"],
            json!(["a.local", "b.local"])
        );
    }

    #[test]
    fn default_providers_fields_replace_one_by_one() {
        let base =
            MeshConfig::parse("defaultProviders: {metrics: [prometheus], tracing: [z]}").unwrap();
        let mesh = base
            .apply_yaml("defaultProviders: {tracing: [otel]}")
            .unwrap();
        assert_eq!(
            mesh.to_value()["defaultProviders"],
            json!({"tracing": ["otel"], "metrics": ["prometheus"]})
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = MeshConfig::parse("defaultConfig:\n  proxyMetadata: [a]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "mesh.defaultConfig.proxyMetadata: expected a map, got a list"
        );
        let err = MeshConfig::parse("proxyListenPort: abc").unwrap_err();
        assert!(
            err.to_string().starts_with("mesh.proxyListenPort:"),
            "{err}"
        );
        let err = MeshConfig::parse("a: [").unwrap_err();
        assert!(err.to_string().starts_with("mesh: invalid yaml"), "{err}");
    }

    #[test]
    fn unknown_fields_are_ignored_but_recorded() {
        let mesh = MeshConfig::parse("notAField: 1\ndefaultConfig: {alsoNot: 2}\n").unwrap();
        assert_eq!(mesh, MeshConfig::defaults());
        assert_eq!(
            mesh.ignored_fields(),
            ["mesh.defaultConfig.alsoNot", "mesh.notAField"]
        );
    }

    #[test]
    fn kube_inject_annotation_replaces_default_config() {
        let mesh = MeshConfig::defaults();
        let applied = mesh
            .apply_proxy_config_annotation("holdApplicationUntilProxyStarts: true")
            .unwrap();
        assert_eq!(
            applied
                .default_config()
                .hold_application_until_proxy_starts(),
            Some(true)
        );
        assert_eq!(applied.trust_domain(), mesh.trust_domain());
    }
}
