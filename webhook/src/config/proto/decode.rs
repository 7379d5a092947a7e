//! Reading proto-JSON into a message the way Istio's `protomarshal.ApplyJSON` (legacy Go
//! `jsonpb`) does, and applying it over an existing message.
//!
//! Behaviour kept from jsonpb:
//! - a field is found by its proto name or its JSON name (`discovery_address` or
//!   `discoveryAddress`); when both are given the JSON name wins;
//! - unknown fields are ignored (Istio retries with `AllowUnknownFields` after a strict
//!   failure); their paths are reported so callers can log them;
//! - `null` leaves a field untouched, except for `google.protobuf.Value` (which becomes JSON
//!   null) and Istio's `IntOrString` (which becomes 0);
//! - every field present in the input replaces the field of the target wholesale: messages,
//!   lists and maps are not merged; setting one member of a oneof clears the others; setting a
//!   scalar to its zero value clears it;
//! - types are checked: strings must be JSON strings, integers are JSON numbers or quoted
//!   integers, enums are names or numbers, durations use Go's `time.ParseDuration` syntax.
//!
//! A decoded message is a JSON object in canonical form: JSON field names, fields in
//! declaration order, only fields Go's `Has` would report (no zero scalars, empty lists or empty
//! maps), enums by name, durations as jsonpb prints them, wrappers as their bare value.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::duration::Duration;
use super::scalar::{decode_scalar, integer};
use super::schema::{schema, Cardinality, FieldDesc, FieldType, MessageDesc, Scalar, WellKnown};

/// A message in canonical proto-JSON form.
pub type Message = Map<String, Value>;

/// A value that does not fit its field; `path` is the dotted location of the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ProtoError {
    pub path: String,
    pub reason: String,
}

/// One field of the input: its index in the message and its canonical value, or `None` when
/// the input sets it to its zero value (which clears it).
#[derive(Debug, Clone)]
pub struct Assignment {
    pub field: usize,
    pub value: Option<Value>,
}

/// Decodes the fields present in `input` (an object, or null for none).
pub fn decode_assignments(
    desc: &MessageDesc,
    input: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) -> Result<Vec<Assignment>, ProtoError> {
    let obj = match input {
        Value::Null => return Ok(Vec::new()),
        Value::Object(obj) => obj,
        other => return Err(type_error(path, "an object", other)),
    };
    let mut used: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for (idx, field) in desc.fields.iter().enumerate() {
        let mut raw = None;
        for name in [&field.proto_name, &field.json_name] {
            if let Some(v) = obj.get(name.as_str()) {
                used.insert(name.as_str());
                raw = Some(v);
            }
        }
        let Some(raw) = raw else { continue };
        let fpath = child(path, &field.json_name);
        if raw.is_null() && !null_is_a_value(field) {
            continue;
        }
        let value = decode_field(field, raw, &fpath, unknown)?;
        let value = if !field.tracks_presence() && is_zero(field, &value) {
            None
        } else {
            Some(value)
        };
        out.push(Assignment { field: idx, value });
    }
    for name in obj.keys() {
        if !used.contains(name.as_str()) {
            unknown.push(child(path, name));
        }
    }
    Ok(out)
}

/// Applies assignments to `target`, keeping it canonical.
pub fn apply(desc: &MessageDesc, target: &mut Message, assignments: Vec<Assignment>) {
    for a in assignments {
        let field = &desc.fields[a.field];
        if let Some(oneof) = field.oneof {
            for &other in &desc.oneofs[oneof].fields {
                target.shift_remove(&desc.fields[other].json_name);
            }
        }
        match a.value {
            Some(v) => {
                target.insert(field.json_name.clone(), v);
            }
            None => {
                target.shift_remove(&field.json_name);
            }
        }
    }
    reorder(desc, target);
}

/// Decodes `input` into a fresh message.
pub fn decode_message(
    desc: &MessageDesc,
    input: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) -> Result<Message, ProtoError> {
    let assignments = decode_assignments(desc, input, path, unknown)?;
    let mut msg = Message::new();
    apply(desc, &mut msg, assignments);
    Ok(msg)
}

/// Puts the fields of `msg` in declaration order.
pub fn reorder(desc: &MessageDesc, msg: &mut Message) {
    let in_order = msg
        .keys()
        .map(|k| desc.field_by_json(k).map(|(i, _)| i))
        .collect::<Vec<_>>()
        .windows(2)
        .all(|w| w[0] < w[1]);
    if !in_order {
        let mut old = std::mem::take(msg);
        for f in &desc.fields {
            if let Some(v) = old.shift_remove(&f.json_name) {
                msg.insert(f.json_name.clone(), v);
            }
        }
    }
}

pub(crate) fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn null_is_a_value(field: &FieldDesc) -> bool {
    field.cardinality == Cardinality::Single
        && matches!(
            field.ty,
            FieldType::WellKnown(WellKnown::Value | WellKnown::IntOrString)
        )
}

fn is_zero(field: &FieldDesc, v: &Value) -> bool {
    match field.cardinality {
        Cardinality::Repeated => v.as_array().is_some_and(Vec::is_empty),
        Cardinality::Map => v.as_object().is_some_and(Map::is_empty),
        Cardinality::Single => match (&field.ty, v) {
            (FieldType::Enum(e), Value::String(name)) => {
                schema().enumeration(e).number_of(name) == Some(0)
            }
            (_, Value::String(s)) => s.is_empty(),
            (_, Value::Bool(b)) => !b,
            (_, Value::Number(n)) => n.as_f64() == Some(0.0),
            _ => false,
        },
    }
}

fn decode_field(
    field: &FieldDesc,
    raw: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) -> Result<Value, ProtoError> {
    match field.cardinality {
        Cardinality::Single => decode_value(&field.ty, raw, path, unknown),
        Cardinality::Repeated => {
            let items = raw
                .as_array()
                .ok_or_else(|| type_error(path, "a list", raw))?;
            items
                .iter()
                .enumerate()
                .map(|(i, item)| decode_element(&field.ty, item, &format!("{path}[{i}]"), unknown))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        Cardinality::Map => {
            let entries = raw
                .as_object()
                .ok_or_else(|| type_error(path, "a map", raw))?;
            let mut out = Map::with_capacity(entries.len());
            for (k, v) in entries {
                let value = decode_element(&field.ty, v, &child(path, k), unknown)?;
                out.insert(k.clone(), value);
            }
            Ok(Value::Object(out))
        }
    }
}

/// A list element or map value: `null` reads as the zero value of the type.
fn decode_element(
    ty: &FieldType,
    raw: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) -> Result<Value, ProtoError> {
    if raw.is_null() {
        return Ok(match ty {
            FieldType::Scalar(s) => zero_scalar(*s),
            FieldType::Enum(e) => enum_value(e, 0),
            FieldType::Message(_) => Value::Object(Map::new()),
            FieldType::WellKnown(WellKnown::Value) => Value::Null,
            FieldType::WellKnown(WellKnown::IntOrString) => Value::from(0),
            FieldType::WellKnown(WellKnown::Struct) => Value::Object(Map::new()),
            FieldType::WellKnown(WellKnown::ListValue) => Value::Array(Vec::new()),
            FieldType::WellKnown(WellKnown::Duration) => Value::String("0s".into()),
            FieldType::WellKnown(WellKnown::Wrapper(s)) => zero_scalar(*s),
        });
    }
    decode_value(ty, raw, path, unknown)
}

fn decode_value(
    ty: &FieldType,
    raw: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) -> Result<Value, ProtoError> {
    match ty {
        FieldType::Scalar(s) => decode_scalar(*s, raw, path),
        FieldType::Enum(e) => decode_enum(e, raw, path),
        FieldType::Message(m) => {
            decode_message(schema().message(m), raw, path, unknown).map(Value::Object)
        }
        FieldType::WellKnown(w) => decode_well_known(*w, raw, path),
    }
}

fn decode_well_known(w: WellKnown, raw: &Value, path: &str) -> Result<Value, ProtoError> {
    match w {
        WellKnown::Duration => {
            let s = raw
                .as_str()
                .ok_or_else(|| type_error(path, "a duration string such as \"5s\"", raw))?;
            let d = Duration::parse(s).map_err(|reason| ProtoError {
                path: path.to_string(),
                reason,
            })?;
            Ok(Value::String(d.to_json_string()))
        }
        WellKnown::Wrapper(s) => decode_scalar(s, raw, path),
        WellKnown::Struct => match raw {
            Value::Object(_) => Ok(raw.clone()),
            other => Err(type_error(path, "an object", other)),
        },
        WellKnown::ListValue => match raw {
            Value::Array(_) => Ok(raw.clone()),
            other => Err(type_error(path, "a list", other)),
        },
        WellKnown::Value => Ok(raw.clone()),
        WellKnown::IntOrString => match raw {
            Value::String(_) => Ok(raw.clone()),
            Value::Null => Ok(Value::from(0)),
            other => integer(other, i64::from(i32::MIN), i64::from(i32::MAX), path, false)
                .map(Value::from),
        },
    }
}

fn zero_scalar(s: Scalar) -> Value {
    match s {
        Scalar::Bool => Value::Bool(false),
        Scalar::String | Scalar::Bytes => Value::String(String::new()),
        Scalar::Double | Scalar::Float => Value::from(0.0),
        _ => Value::from(0),
    }
}

fn enum_value(enum_name: &str, number: i64) -> Value {
    match schema().enumeration(enum_name).name_of(number) {
        Some(name) => Value::String(name.to_string()),
        None => Value::from(number),
    }
}

fn decode_enum(enum_name: &str, raw: &Value, path: &str) -> Result<Value, ProtoError> {
    let desc = schema().enumeration(enum_name);
    match raw {
        Value::String(name) => {
            if desc.number_of(name).is_some() {
                Ok(raw.clone())
            } else {
                let known: Vec<&str> = desc.values.iter().map(|(n, _)| n.as_str()).collect();
                Err(ProtoError {
                    path: path.to_string(),
                    reason: format!(
                        "unknown value {name:?}, expected one of {}",
                        known.join(", ")
                    ),
                })
            }
        }
        Value::Number(_) => {
            let n = integer(raw, i64::from(i32::MIN), i64::from(i32::MAX), path, false)?;
            Ok(enum_value(enum_name, n))
        }
        other => Err(type_error(path, "an enum name", other)),
    }
}

pub(crate) fn type_error(path: &str, expected: &str, got: &Value) -> ProtoError {
    ProtoError {
        path: path.to_string(),
        reason: format!("expected {expected}, got {}", describe(got)),
    }
}

pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::PROXY_CONFIG;
    use super::*;
    use serde_json::json;

    fn pc(input: Value) -> Result<Message, ProtoError> {
        decode_message(
            schema().message(PROXY_CONFIG),
            &input,
            "pc",
            &mut Vec::new(),
        )
    }

    #[test]
    fn accepts_proto_and_json_names_json_wins() {
        let m = pc(json!({"discovery_address": "a:1", "statusPort": 1})).unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"discoveryAddress": "a:1", "statusPort": 1})
        );
        let m = pc(json!({"discoveryAddress": "json:1", "discovery_address": "proto:1"})).unwrap();
        assert_eq!(m["discoveryAddress"], "json:1");
    }

    #[test]
    fn canonical_form_drops_zero_values_and_orders_fields() {
        let m = pc(json!({
            "statusPort": 0, "proxyMetadata": {}, "extraStatTags": [],
            "interceptionMode": "REDIRECT", "drainDuration": "1m", "concurrency": 0,
            "configPath": "/etc"
        }))
        .unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"configPath": "/etc", "drainDuration": "60s", "concurrency": 0})
        );
    }

    #[test]
    fn integers_accept_quotes_and_integral_floats() {
        assert_eq!(
            pc(json!({"statusPort": "15021"})).unwrap()["statusPort"],
            15021
        );
        assert_eq!(
            pc(json!({"statusPort": 15021.0})).unwrap()["statusPort"],
            15021
        );
        let err = pc(json!({"statusPort": 1.5})).unwrap_err();
        assert_eq!(err.path, "pc.statusPort");
        assert!(pc(json!({"statusPort": "1.0"})).is_err());
        assert!(pc(json!({"statusPort": 4294967296u64})).is_err());
        assert!(pc(json!({"statusPort": true})).is_err());
    }

    #[test]
    fn type_errors_name_the_path() {
        let err = pc(json!({"tracing": {"zipkin": {"address": 7}}})).unwrap_err();
        assert_eq!(err.path, "pc.tracing.zipkin.address");
        assert!(err.reason.contains("expected a string"), "{err}");
        let err = pc(json!({"proxyMetadata": {"A": 1}})).unwrap_err();
        assert_eq!(err.path, "pc.proxyMetadata.A");
        let err = pc(json!({"interceptionMode": "SIDEWAYS"})).unwrap_err();
        assert!(err.reason.contains("REDIRECT, TPROXY, NONE"), "{err}");
        let err = pc(json!({"drainDuration": 45})).unwrap_err();
        assert!(err.reason.contains("duration"), "{err}");
    }

    #[test]
    fn enums_by_number_become_names() {
        assert_eq!(
            pc(json!({"interceptionMode": 1})).unwrap()["interceptionMode"],
            "TPROXY"
        );
    }

    #[test]
    fn unknown_fields_are_ignored_and_reported() {
        let mut unknown = Vec::new();
        let m = decode_message(
            schema().message(PROXY_CONFIG),
            &json!({"bogus": 1, "tracing": {"nope": true}}),
            "pc",
            &mut unknown,
        )
        .unwrap();
        assert_eq!(Value::Object(m), json!({"tracing": {}}));
        assert_eq!(unknown, vec!["pc.tracing.nope", "pc.bogus"]);
    }

    #[test]
    fn null_leaves_fields_alone_and_oneof_members_exclude_each_other() {
        let desc = schema().message(PROXY_CONFIG);
        let mut target = pc(json!({"serviceCluster": "a", "statusPort": 1})).unwrap();
        let a = decode_assignments(
            desc,
            &json!({"statusPort": null, "tracingServiceName": "CANONICAL_NAME_ONLY"}),
            "pc",
            &mut Vec::new(),
        )
        .unwrap();
        apply(desc, &mut target, a);
        assert_eq!(
            Value::Object(target),
            json!({"tracingServiceName": "CANONICAL_NAME_ONLY", "statusPort": 1})
        );
        // A zero-valued oneof member is still set.
        let m = pc(json!({"tracingServiceName": "APP_LABEL_AND_NAMESPACE"})).unwrap();
        assert_eq!(m["tracingServiceName"], "APP_LABEL_AND_NAMESPACE");
    }

    #[test]
    fn wrappers_keep_false() {
        let m = pc(json!({"holdApplicationUntilProxyStarts": false})).unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"holdApplicationUntilProxyStarts": false})
        );
    }
}
