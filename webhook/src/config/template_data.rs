//! The Go-template view of `.ProxyConfig` and `.MeshConfig`: JSON values shaped like the Go
//! structs protoc-gen-go generates, which is what Istio's templates walk.
//!
//! # Convention (what [`proxy_config`] and [`mesh_config`] produce)
//!
//! For a message, a JSON object holding **every** field of the message, under its Go name, in
//! declaration order:
//!
//! | proto field | key | value when set | value when unset |
//! |---|---|---|---|
//! | scalar `string`/`bool`/ints/floats | Go name (`discovery_address` → `DiscoveryAddress`, `k8s_sa_jwt_path` → `K8SSaJwtPath`) | the value (int64 as a JSON number) | zero: `""`, `false`, `0`, `0.0` |
//! | enum | Go name | value name, e.g. `"TPROXY"` | name of the zero value (`"REDIRECT"`) |
//! | message | Go name | object (this convention, recursively) | `null` (Go nil pointer) |
//! | `google.protobuf.BoolValue`/`Int32Value`/… | Go name | `{"Value": v}` | `null` |
//! | `google.protobuf.Duration` | Go name | `{"Seconds": s, "Nanos": n}` | `null` |
//! | `google.protobuf.Struct` | Go name | `{"Fields": {k: Value}}` | `null` |
//! | `google.protobuf.Value` | Go name | `{"Kind": {"StringValue": s}}` (or `NullValue`, `NumberValue`, `BoolValue`, `StructValue`, `ListValue`) | `null` |
//! | `map<string, T>` | Go name | object of converted values | `null` (Go nil map; also when empty) |
//! | `repeated T` | Go name | array of converted values | `[]` |
//! | oneof `o` with member `m` | Go name of the **oneof** (`cluster_name` → `ClusterName`) | `{"<Go name of m>": value}` (`{"ServiceCluster": "istio-proxy"}`) | `null` |
//!
//! Members of a oneof do not appear as keys of their own. Enum values Istio does not know are
//! printed as their number, in a string.
//!
//! What the templates call as Go methods is not data and is left to the engine:
//! `.X.String` on an enum is the string itself; `.X.GetValue` on a wrapper is `Value`
//! (zero value when the wrapper is `null`); `.GetX` on a message is field `X` (`null` stays
//! `null`, and a getter on `null` yields the zero value of the field: `null` for messages,
//! `""` for strings). `index` on a `null` map yields `""` in Go (a typed nil
//! `map[string]string`).
//!
//! `protoToJSON .ProxyConfig` cannot be computed from this view; use
//! [`ProxyConfig::proto_to_json`].
//!
//! Which ProxyConfig and MeshConfig a pod sees: with kube-inject,
//! [`MeshConfig::apply_proxy_config_annotation`] gives `.MeshConfig` and its
//! `default_config()` is `.ProxyConfig`; with the webhook, `.MeshConfig` is the mesh config
//! unchanged and `.ProxyConfig` is [`ProxyConfig::effective`].
//!
//! `.Values` is [`crate::config::Values::raw`], unconverted. In Go it is a `map[string]any`
//! decoded from JSON, so every number there is a float64 (`{{ .Values.x }}` of 1000000
//! prints `1e+06`; see [`crate::config::gofmt::format_float_g64`]).

use serde_json::Value;

use super::mesh::MeshConfig;
use super::proxy::ProxyConfig;

/// `.ProxyConfig` for templates.
pub fn proxy_config(pc: &ProxyConfig) -> Value {
    pc.template_data()
}

/// `.MeshConfig` for templates.
pub fn mesh_config(mesh: &MeshConfig) -> Value {
    mesh.template_data()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn default_mesh_view_has_the_fields_templates_use() {
        let mesh = mesh_config(&MeshConfig::defaults());
        assert_eq!(mesh["TrustDomain"], "cluster.local");
        assert_eq!(mesh["ProxyListenPort"], 15001);
        assert_eq!(mesh["ProxyInboundListenPort"], 15006);
        assert_eq!(mesh["EnablePrometheusMerge"], json!({"Value": true}));
        assert_eq!(mesh["InboundTrafficPolicy"], json!({"Mode": "PASSTHROUGH"}));
        assert_eq!(
            mesh["DefaultConfig"]["ClusterName"],
            json!({"ServiceCluster": "istio-proxy"})
        );
        assert_eq!(
            mesh["ExtensionProviders"][2]["Provider"],
            json!({"EnvoyFileAccessLog": {"Path": "/dev/stdout", "LogFormat": null, "OmitEmptyValues": false}})
        );
        assert_eq!(mesh["MeshMTLS"], Value::Null);
        assert_eq!(mesh["ConnectTimeout"], json!({"Seconds": 10, "Nanos": 0}));
    }

    #[test]
    fn proxy_view_of_annotated_pod() {
        let pc = ProxyConfig::defaults()
            .merge_annotation("holdApplicationUntilProxyStarts: true\ninterceptionMode: TPROXY\n")
            .unwrap();
        let v = proxy_config(&pc);
        assert_eq!(v["HoldApplicationUntilProxyStarts"], json!({"Value": true}));
        assert_eq!(v["InterceptionMode"], "TPROXY");
        assert_eq!(v["DiscoveryAddress"], "istiod.istio-system.svc:15012");
        assert_eq!(v["Tracing"], Value::Null);
    }
}
