//! The protobuf field tables (`schema.json`, derived from the field declarations of Istio's API
//! definitions) loaded once, with the three names every field goes by: the proto name
//! (`discovery_address`), the proto-JSON name (`discoveryAddress`) and the name of the field in
//! the Go struct protoc generates (`DiscoveryAddress`).
//!
//! Only facts of the API live in the table: names, types, declaration order (which is the order
//! Go's jsonpb prints fields in) and oneof membership. Field numbers are not kept: nothing here
//! depends on them.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// Full names of the messages this crate reads.
pub(crate) const MESH_CONFIG: &str = "istio.mesh.v1alpha1.MeshConfig";
pub(crate) const PROXY_CONFIG: &str = "istio.mesh.v1alpha1.ProxyConfig";
pub(crate) const DEFAULT_PROVIDERS: &str = "istio.mesh.v1alpha1.MeshConfig.DefaultProviders";
pub(crate) const VALUES: &str = "istio.operator.v1alpha1.Values";

/// Istio's operator type with a hand-written JSON form (a bare string or int32).
pub(crate) const INT_OR_STRING: &str = "istio.operator.v1alpha1.IntOrString";

/// Scalar kinds of protobuf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    Double,
    Float,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Bool,
    String,
    Bytes,
}

impl Scalar {
    fn from_proto(name: &str) -> Option<Scalar> {
        Some(match name {
            "double" => Scalar::Double,
            "float" => Scalar::Float,
            "int32" | "sint32" | "sfixed32" => Scalar::Int32,
            "int64" | "sint64" | "sfixed64" => Scalar::Int64,
            "uint32" | "fixed32" => Scalar::Uint32,
            "uint64" | "fixed64" => Scalar::Uint64,
            "bool" => Scalar::Bool,
            "string" => Scalar::String,
            "bytes" => Scalar::Bytes,
            _ => return None,
        })
    }
}

/// Well-known types of `google.protobuf` that have their own JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WellKnown {
    Duration,
    /// A wrapper message (`google.protobuf.BoolValue` …) around one scalar.
    Wrapper(Scalar),
    Struct,
    Value,
    ListValue,
    /// `istio.operator.v1alpha1.IntOrString` (not from `google.protobuf`, but it also has a
    /// JSON form of its own).
    IntOrString,
}

impl WellKnown {
    fn from_name(name: &str) -> Option<WellKnown> {
        Some(match name {
            "google.protobuf.Duration" => WellKnown::Duration,
            "google.protobuf.BoolValue" => WellKnown::Wrapper(Scalar::Bool),
            "google.protobuf.StringValue" => WellKnown::Wrapper(Scalar::String),
            "google.protobuf.BytesValue" => WellKnown::Wrapper(Scalar::Bytes),
            "google.protobuf.Int32Value" => WellKnown::Wrapper(Scalar::Int32),
            "google.protobuf.Int64Value" => WellKnown::Wrapper(Scalar::Int64),
            "google.protobuf.UInt32Value" => WellKnown::Wrapper(Scalar::Uint32),
            "google.protobuf.UInt64Value" => WellKnown::Wrapper(Scalar::Uint64),
            "google.protobuf.FloatValue" => WellKnown::Wrapper(Scalar::Float),
            "google.protobuf.DoubleValue" => WellKnown::Wrapper(Scalar::Double),
            "google.protobuf.Struct" => WellKnown::Struct,
            "google.protobuf.Value" => WellKnown::Value,
            "google.protobuf.ListValue" => WellKnown::ListValue,
            INT_OR_STRING => WellKnown::IntOrString,
            _ => return None,
        })
    }
}

/// The type of one value of a field (the element type for repeated fields and maps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldType {
    Scalar(Scalar),
    Enum(String),
    Message(String),
    WellKnown(WellKnown),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cardinality {
    Single,
    Repeated,
    /// `map<string, T>` (the only key type these APIs use).
    Map,
}

#[derive(Debug, Clone)]
pub(crate) struct FieldDesc {
    pub proto_name: String,
    pub json_name: String,
    pub go_name: String,
    pub ty: FieldType,
    pub cardinality: Cardinality,
    /// Index into [`MessageDesc::oneofs`] when the field is a member of a oneof.
    pub oneof: Option<usize>,
    /// proto3 `optional`: presence is tracked even for zero values.
    pub explicit_presence: bool,
}

impl FieldDesc {
    /// Whether a set field keeps its presence when its value is the zero value (Go's
    /// `Has`): message fields, oneof members and proto3 `optional` scalars.
    pub fn tracks_presence(&self) -> bool {
        self.cardinality == Cardinality::Single
            && (self.oneof.is_some()
                || self.explicit_presence
                || matches!(self.ty, FieldType::Message(_) | FieldType::WellKnown(_)))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct OneofDesc {
    /// The name of the interface-typed Go field that holds the member set.
    pub go_name: String,
    /// Indices of the member fields, in declaration order.
    pub fields: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct MessageDesc {
    pub full_name: String,
    pub fields: Vec<FieldDesc>,
    pub oneofs: Vec<OneofDesc>,
    by_json: HashMap<String, usize>,
}

impl MessageDesc {
    pub fn field_by_json(&self, json_name: &str) -> Option<(usize, &FieldDesc)> {
        self.by_json.get(json_name).map(|&i| (i, &self.fields[i]))
    }

    pub fn field(&self, json_name: &str) -> &FieldDesc {
        self.field_by_json(json_name)
            .map(|(_, f)| f)
            .unwrap_or_else(|| panic!("{} has no field {json_name}", self.full_name))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct EnumDesc {
    pub values: Vec<(String, i32)>,
}

impl EnumDesc {
    pub fn name_of(&self, number: i64) -> Option<&str> {
        self.values
            .iter()
            .find(|(_, n)| i64::from(*n) == number)
            .map(|(name, _)| name.as_str())
    }

    pub fn number_of(&self, name: &str) -> Option<i32> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

#[derive(Debug)]
pub(crate) struct Schema {
    messages: HashMap<String, MessageDesc>,
    enums: HashMap<String, EnumDesc>,
}

impl Schema {
    pub fn message(&self, full_name: &str) -> &MessageDesc {
        self.messages
            .get(full_name)
            .unwrap_or_else(|| panic!("message {full_name} missing from schema.json"))
    }

    pub fn enumeration(&self, full_name: &str) -> &EnumDesc {
        self.enums
            .get(full_name)
            .unwrap_or_else(|| panic!("enum {full_name} missing from schema.json"))
    }
}

#[derive(Deserialize)]
struct RawSchema {
    messages: HashMap<String, Vec<RawField>>,
    enums: HashMap<String, Vec<(String, i32)>>,
}

#[derive(Deserialize)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    repeated: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    map_key: Option<String>,
    #[serde(default)]
    oneof: Option<String>,
    #[serde(default)]
    json_name: Option<String>,
}

/// The schema, parsed on first use.
pub(crate) fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let raw: RawSchema = serde_json::from_str(include_str!("schema.json"))
            .expect("schema.json is valid (a checked-in table)");
        build(raw)
    })
}

fn build(raw: RawSchema) -> Schema {
    let enums: HashMap<String, EnumDesc> = raw
        .enums
        .into_iter()
        .map(|(name, values)| (name, EnumDesc { values }))
        .collect();
    let mut messages = HashMap::new();
    for (full_name, raw_fields) in raw.messages {
        let mut fields = Vec::with_capacity(raw_fields.len());
        let mut oneofs: Vec<(String, OneofDesc)> = Vec::new();
        for (idx, rf) in raw_fields.into_iter().enumerate() {
            let ty = if let Some(s) = Scalar::from_proto(&rf.ty) {
                FieldType::Scalar(s)
            } else if let Some(w) = WellKnown::from_name(&rf.ty) {
                FieldType::WellKnown(w)
            } else if enums.contains_key(&rf.ty) {
                FieldType::Enum(rf.ty.clone())
            } else {
                FieldType::Message(rf.ty.clone())
            };
            let cardinality = match (&rf.map_key, rf.repeated) {
                (Some(key), _) => {
                    assert_eq!(
                        key, "string",
                        "{full_name}.{}: only string map keys",
                        rf.name
                    );
                    Cardinality::Map
                }
                (None, true) => Cardinality::Repeated,
                (None, false) => Cardinality::Single,
            };
            let oneof = rf.oneof.as_ref().map(|o| {
                if let Some(pos) = oneofs.iter().position(|(n, _)| n == o) {
                    oneofs[pos].1.fields.push(idx);
                    pos
                } else {
                    let go_name = go_name(o);
                    oneofs.push((
                        o.clone(),
                        OneofDesc {
                            go_name,
                            fields: vec![idx],
                        },
                    ));
                    oneofs.len() - 1
                }
            });
            fields.push(FieldDesc {
                json_name: rf.json_name.clone().unwrap_or_else(|| json_name(&rf.name)),
                go_name: go_name(&rf.name),
                proto_name: rf.name,
                ty,
                cardinality,
                oneof,
                explicit_presence: rf.optional,
            });
        }
        let by_json = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.json_name.clone(), i))
            .collect();
        messages.insert(
            full_name.clone(),
            MessageDesc {
                full_name,
                fields,
                oneofs: oneofs.into_iter().map(|(_, o)| o).collect(),
                by_json,
            },
        );
    }
    for msg in messages.values() {
        for f in &msg.fields {
            if let FieldType::Message(m) = &f.ty {
                assert!(
                    messages.contains_key(m),
                    "{}: unknown type {m}",
                    msg.full_name
                );
            }
        }
    }
    Schema { messages, enums }
}

/// protoc's JSON name: underscores dropped, the character after each one upper-cased.
pub(crate) fn json_name(proto_name: &str) -> String {
    let mut out = String::with_capacity(proto_name.len());
    let mut upper = false;
    for c in proto_name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// protoc-gen-go's Go name: each word (a run of lower-case letters after an underscore, a
/// digit or an upper-case letter) capitalised, underscores before lower-case letters dropped,
/// digits kept, a leading underscore written `X`.
pub(crate) fn go_name(proto_name: &str) -> String {
    let b = proto_name.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'_' && i == 0 {
            out.push('X');
        } else if c == b'_' && b.get(i + 1).is_some_and(u8::is_ascii_lowercase) {
            // dropped: the next letter starts a word
        } else if c.is_ascii_digit() {
            out.push(char::from(c));
        } else {
            out.push(char::from(c.to_ascii_uppercase()));
            while let Some(&next) = b.get(i + 1).filter(|n| n.is_ascii_lowercase()) {
                out.push(char::from(next));
                i += 1;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_protoc_rules() {
        assert_eq!(json_name("discovery_address"), "discoveryAddress");
        assert_eq!(json_name("mesh_mTLS"), "meshMTLS");
        assert_eq!(json_name("enable_64bit_trace_id"), "enable64bitTraceId");
        assert_eq!(go_name("discovery_address"), "DiscoveryAddress");
        assert_eq!(go_name("mesh_mTLS"), "MeshMTLS");
        assert_eq!(go_name("k8s_sa_jwt_path"), "K8SSaJwtPath");
        assert_eq!(go_name("enable_64bit_trace_id"), "Enable_64BitTraceId");
        assert_eq!(go_name("_private"), "XPrivate");
        assert_eq!(go_name("matchLabels"), "MatchLabels");
    }

    #[test]
    fn schema_knows_proxy_config() {
        let s = schema();
        let pc = s.message(PROXY_CONFIG);
        let f = pc.field("holdApplicationUntilProxyStarts");
        assert_eq!(f.ty, FieldType::WellKnown(WellKnown::Wrapper(Scalar::Bool)));
        let sc = pc.field("serviceCluster");
        let oneof = &pc.oneofs[sc.oneof.unwrap()];
        assert_eq!(oneof.fields.len(), 2);
        assert_eq!(
            (oneof.go_name.as_str(), sc.go_name.as_str()),
            ("ClusterName", "ServiceCluster")
        );
        assert_eq!(pc.field("proxyMetadata").cardinality, Cardinality::Map);
        let mode = s.enumeration("istio.mesh.v1alpha1.ProxyConfig.InboundInterceptionMode");
        assert_eq!(mode.number_of("REDIRECT"), Some(0));
        assert_eq!(mode.number_of("TPROXY"), Some(1));
        // Values: explicit json_name options are honoured.
        let global = s.message("istio.operator.v1alpha1.GlobalConfig");
        assert!(global.field_by_json("proxy_init").is_some());
    }
}
