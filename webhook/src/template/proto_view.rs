//! The template's view of the protobuf messages described in [`crate::config::proto::schema`]
//! (Istio's API: names, types, declaration order, oneofs): how a field's value reads as
//! template data ([`P`]), protobuf JSON into the Go view and the Go view into template values
//! ([`proto_json_to_go`], [`proto`]), and back into protobuf JSON ([`to_proto_json`]) for
//! `protoToJSON`.
//!
//! Go view: protoc-gen-go's field names (`DiscoveryAddress`); enums by name; wrappers as
//! `{"Value": v}`; durations as `{"Seconds": s, "Nanos": n}`; a oneof as
//! `{"<OneofGoName>": {"<FieldGoName>": v}}`; maps keep their keys.

use super::convert::{
    boolean, generic_to_go, go_name_of, int, map_value, present, str_map, string, untyped,
};
use super::marshal::to_go_json;
use super::typed::{self, Tag};
use crate::config::proto::duration::Duration;
use crate::config::proto::schema::{
    schema, Cardinality, EnumDesc, FieldDesc, FieldType, MessageDesc, Scalar, WellKnown,
};
use gotmpl::Value;
use serde_json::{json, Map as JMap, Value as J};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How a protobuf value reads in a template.
#[derive(Debug, Clone, Copy)]
pub(crate) enum P {
    Str,
    Int,
    Bool,
    Double,
    Enum(&'static EnumDesc),
    /// A `google.protobuf.*Value` wrapper: `{"Value": v}` in the Go view, bare `v` in protobuf JSON.
    Wrapper,
    /// `google.protobuf.Int64Value`/`UInt64Value`: as [`P::Wrapper`], a JSON string in protobuf JSON.
    Wrapper64,
    /// `google.protobuf.Duration`: `{"Seconds": s, "Nanos": n}` in the Go view, `"1.5s"` in JSON.
    Duration,
    Msg(&'static MessageDesc),
    /// `map<string, scalar>`.
    StrMap,
    MsgMap(&'static MessageDesc),
    /// A repeated field; its elements read as [`P::element`] of the field.
    List(&'static FieldDesc),
    /// A type with a JSON form of its own (`google.protobuf.Struct`, `Value`, Istio's
    /// `IntOrString`): kept as given.
    Any,
}

impl P {
    /// The message called `full_name` (`istio.mesh.v1alpha1.ProxyConfig`).
    pub(crate) fn message(full_name: &str) -> &'static MessageDesc {
        schema().message(full_name)
    }

    /// How field `f` reads.
    pub(crate) fn of(f: &'static FieldDesc) -> P {
        match f.cardinality {
            Cardinality::Single => P::element(f),
            Cardinality::Repeated => P::List(f),
            Cardinality::Map => match &f.ty {
                FieldType::Message(m) => P::MsgMap(P::message(m)),
                _ => P::StrMap,
            },
        }
    }

    /// How one value of field `f` reads (an element of a repeated field).
    pub(crate) fn element(f: &'static FieldDesc) -> P {
        match &f.ty {
            FieldType::Scalar(s) => match s {
                Scalar::String | Scalar::Bytes => P::Str,
                Scalar::Bool => P::Bool,
                Scalar::Double | Scalar::Float => P::Double,
                Scalar::Int32 | Scalar::Int64 | Scalar::Uint32 | Scalar::Uint64 => P::Int,
            },
            FieldType::Enum(e) => P::Enum(schema().enumeration(e)),
            FieldType::Message(m) => P::Msg(P::message(m)),
            FieldType::WellKnown(w) => match w {
                WellKnown::Duration => P::Duration,
                WellKnown::Wrapper(Scalar::Int64 | Scalar::Uint64) => P::Wrapper64,
                WellKnown::Wrapper(_) => P::Wrapper,
                WellKnown::Struct | WellKnown::Value | WellKnown::ListValue => P::Any,
                WellKnown::IntOrString => P::Any,
            },
        }
    }
}

/// The Go name of the oneof field `f` is a member of.
fn oneof_of(msg: &'static MessageDesc, f: &FieldDesc) -> Option<&'static str> {
    f.oneof.map(|i| msg.oneofs[i].go_name.as_str())
}

/// Converts the Go view `j` (absent: `None`) as `p`, producing Go's zero value when absent.
pub(crate) fn proto(j: Option<&J>, p: P) -> Value {
    let j = present(j);
    match p {
        P::Str => string(j.and_then(J::as_str)),
        P::Int => int(j),
        P::Bool => boolean(j),
        P::Double => Value::Float(j.and_then(J::as_f64).unwrap_or(0.0)),
        P::Enum(e) => Value::String(enum_name(j, e).into()),
        P::Wrapper | P::Wrapper64 | P::Duration | P::Any => {
            j.map_or(Value::Nil, |j| untyped(j, false))
        }
        P::Msg(msg) => j.map_or(Value::Nil, |j| message_value(j, msg)),
        P::StrMap => str_map(j),
        P::MsgMap(msg) => match j {
            Some(J::Object(o)) => map_value(
                o.iter()
                    .map(|(k, v)| (Arc::from(k.as_str()), message_value(v, msg)))
                    .collect(),
            ),
            _ => map_value(BTreeMap::new()),
        },
        P::List(f) => match j {
            Some(J::Array(a)) => {
                let elem = P::element(f);
                Value::List(a.iter().map(|x| proto(Some(x), elem)).collect())
            }
            _ => Value::List(Arc::from(Vec::new())),
        },
    }
}

/// An enum value's name (a number names the value with that number); absent: the zero value.
fn enum_name(j: Option<&J>, e: &EnumDesc) -> String {
    match j {
        Some(J::String(s)) => s.clone(),
        Some(J::Number(n)) => n
            .as_i64()
            .and_then(|i| e.name_of(i))
            .map_or_else(|| n.to_string(), str::to_string),
        _ => e.name_of(0).unwrap_or("").to_string(),
    }
}

fn message_value(j: &J, msg: &'static MessageDesc) -> Value {
    let obj = j.as_object();
    let mut m = BTreeMap::new();
    for f in &msg.fields {
        let go = f.go_name.as_str();
        if let Some(oneof) = oneof_of(msg, f) {
            let chosen = obj
                .and_then(|o| o.get(oneof))
                .and_then(J::as_object)
                .and_then(|o| o.get(go));
            if let Some(v) = chosen {
                let mut inner = BTreeMap::new();
                inner.insert(Arc::from(go), proto(Some(v), P::of(f)));
                m.insert(Arc::from(oneof), map_value(inner));
            } else {
                m.entry(Arc::from(oneof)).or_insert(Value::Nil);
            }
            continue;
        }
        m.insert(Arc::from(go), proto(obj.and_then(|o| o.get(go)), P::of(f)));
    }
    if let Some(o) = obj {
        for (k, v) in o {
            if !m.contains_key(k.as_str()) {
                m.insert(Arc::from(k.as_str()), untyped(v, false));
            }
        }
    }
    let v = map_value(m);
    typed::tag(&v, Tag::Proto(msg));
    v
}

/// Converts protobuf JSON (lowerCamel names, bare wrappers, `"1s"` durations) of message
/// `msg` into the Go view.
pub(crate) fn proto_json_to_go(j: &J, msg: &'static MessageDesc) -> J {
    let J::Object(o) = j else {
        return generic_to_go(j);
    };
    let mut out = JMap::new();
    for (k, v) in o {
        let Some(f) = msg
            .fields
            .iter()
            .find(|f| f.json_name == *k || f.go_name == *k)
        else {
            out.insert(go_name_of(k), generic_to_go(v));
            continue;
        };
        let conv = field_to_go(v, P::of(f));
        match oneof_of(msg, f) {
            Some(oneof) => {
                let mut inner = JMap::new();
                inner.insert(f.go_name.clone(), conv);
                out.insert(oneof.to_string(), J::Object(inner));
            }
            None => {
                out.insert(f.go_name.clone(), conv);
            }
        }
    }
    J::Object(out)
}

fn field_to_go(v: &J, p: P) -> J {
    match (p, v) {
        (_, J::Null) => J::Null,
        (P::Wrapper | P::Wrapper64, J::Object(o)) if o.contains_key("Value") => v.clone(),
        (P::Wrapper | P::Wrapper64, _) => {
            let inner = match (p, v) {
                (P::Wrapper64, J::String(s)) => s.parse::<i64>().map_or(v.clone(), J::from),
                _ => v.clone(),
            };
            json!({ "Value": inner })
        }
        (P::Duration, J::String(s)) => match Duration::parse(s) {
            Ok(d) => json!({"Seconds": d.seconds, "Nanos": d.nanos}),
            Err(_) => v.clone(),
        },
        (P::Msg(msg), J::Object(_)) => proto_json_to_go(v, msg),
        (P::MsgMap(msg), J::Object(o)) => J::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), proto_json_to_go(x, msg)))
                .collect(),
        ),
        (P::List(f), J::Array(a)) => {
            let elem = P::element(f);
            J::Array(a.iter().map(|x| field_to_go(x, elem)).collect())
        }
        _ => v.clone(),
    }
}

/// The protobuf JSON of a template value of message `msg` (the inverse of the Go view, for
/// `protoToJSON`): the fields it holds under their JSON names, wrappers bare, durations as
/// text, nil fields left out. Zero values are kept; the decoder that reads this drops them
/// where protobuf does.
pub(crate) fn to_proto_json(v: &Value, msg: &'static MessageDesc) -> J {
    let mut out = JMap::new();
    for f in &msg.fields {
        let fv = match oneof_of(msg, f) {
            Some(oneof) => v.field(oneof).and_then(|o| o.field(&f.go_name)),
            None => v.field(&f.go_name),
        };
        if let Some(j) = fv.and_then(|fv| field_to_proto_json(fv, P::of(f))) {
            out.insert(f.json_name.clone(), j);
        }
    }
    J::Object(out)
}

fn field_to_proto_json(v: &Value, p: P) -> Option<J> {
    Some(match (p, v) {
        (_, Value::Nil) => return None,
        (P::Enum(e), Value::Int(i)) => e.name_of(*i).map_or(J::from(*i), J::from),
        (P::Wrapper | P::Wrapper64, Value::Map(_)) => to_go_json(v.field("Value")?),
        (P::Duration, Value::Map(_)) => {
            let part = |name| v.field(name).and_then(Value::as_int).unwrap_or(0);
            let d = Duration::from_nanos(
                i128::from(part("Seconds")) * 1_000_000_000 + i128::from(part("Nanos")),
            );
            J::String(d.to_json_string())
        }
        (P::Msg(msg), Value::Map(_)) => to_proto_json(v, msg),
        (P::MsgMap(msg), Value::Map(entries)) => J::Object(
            entries
                .iter()
                .map(|(k, x)| (k.to_string(), to_proto_json(x, msg)))
                .collect(),
        ),
        (P::List(f), Value::List(items)) => {
            let elem = P::element(f);
            J::Array(
                items
                    .iter()
                    .filter_map(|x| field_to_proto_json(x, elem))
                    .collect(),
            )
        }
        _ => to_go_json(v),
    })
}
