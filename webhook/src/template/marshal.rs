//! Encodes template values as Go does: `encoding/json.Marshal` (Kubernetes structs with their JSON
//! names, declaration order and `omitempty`; maps with sorted keys; the text is written by
//! [`crate::gojson`]) and legacy `jsonpb` for protobuf messages (`protoToJSON`, including Istio's
//! removal of ProxyConfig fields that equal the defaults).

use super::proto_view;
use super::typed::{self, Tag};
use crate::config::proxy;
use crate::gojson;
use crate::k8s::schema::Ty;
use gotmpl::Value;
use serde_json::{Map as JMap, Value as J};

fn float_json(f: f64) -> J {
    serde_json::Number::from_f64(f).map_or(J::Null, J::Number)
}

/// `encoding/json.Marshal` of a template value, as a JSON tree (fields in Go's order).
pub(crate) fn to_go_json(v: &Value) -> J {
    match v {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Uint(u) => J::from(*u),
        Value::Float(f) => float_json(*f),
        Value::String(s) => J::String(s.to_string()),
        Value::List(items) => J::Array(items.iter().map(to_go_json).collect()),
        Value::Map(m) => match typed::tag_of(v) {
            Some(Tag::K8s(def)) => {
                let mut out = JMap::new();
                for f in &def.fields {
                    let fv = m.get(&*f.go).unwrap_or(&Value::Nil);
                    if f.omitempty && !matches!(f.ty, Ty::Struct(_)) && is_empty(fv) {
                        continue;
                    }
                    out.insert(f.json.to_string(), to_go_json(fv));
                }
                J::Object(out)
            }
            _ => J::Object(
                m.iter()
                    .map(|(k, x)| (k.to_string(), to_go_json(x)))
                    .collect(),
            ),
        },
        Value::Function(_) => J::Null,
    }
}

/// Go's notion of an empty value for `omitempty`.
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Uint(u) => *u == 0,
        Value::Float(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Function(_) => false,
    }
}

/// `json.Marshal` text of a template value.
pub(crate) fn marshal(v: &Value) -> String {
    gojson::to_string(&to_go_json(v))
}

/// Istio's `protoToJSON`: a message's protobuf JSON printed by the configuration model
/// ([`crate::config::proxy::proto_to_json`]: ProxyConfig fields equal to Istio's defaults
/// dropped, then legacy `jsonpb`).
pub(crate) fn proto_to_json(v: &Value) -> String {
    match (v, typed::tag_of(v)) {
        (Value::Nil, _) => "{}".to_string(),
        (Value::Map(_), Some(Tag::Proto(msg))) => {
            proxy::proto_to_json(msg, &proto_view::to_proto_json(v, msg))
        }
        _ => gojson::to_string(&generic_proto_json(v)),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Protobuf JSON of a message with no description: Go field names lower-cased at the first letter,
/// `{"Value": v}` wrappers unwrapped.
fn generic_proto_json(v: &Value) -> J {
    match v {
        Value::Map(m) => {
            if m.len() == 1 {
                if let Some(inner) = m.get("Value") {
                    return to_go_json(inner);
                }
            }
            J::Object(
                m.iter()
                    .filter(|(_, x)| !is_empty(x))
                    .map(|(k, x)| (lower_first(k), generic_proto_json(x)))
                    .collect(),
            )
        }
        Value::List(items) => J::Array(items.iter().map(generic_proto_json).collect()),
        _ => to_go_json(v),
    }
}
