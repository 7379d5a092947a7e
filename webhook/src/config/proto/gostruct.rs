//! A canonical message seen as the Go struct protoc-gen-go generates for it, which is what
//! Istio's templates walk (`.ProxyConfig.DiscoveryAddress`). The exact convention is documented
//! in [`crate::config::template_data`].

use serde_json::{Map, Value};

use super::decode::Message;
use super::duration::Duration;
use super::schema::{schema, Cardinality, FieldDesc, FieldType, MessageDesc, Scalar, WellKnown};

/// The Go view of a set message: every field under its Go name, in declaration order.
pub fn message_view(desc: &MessageDesc, msg: &Message) -> Value {
    let mut out = Map::with_capacity(desc.fields.len());
    let mut done_oneofs = vec![false; desc.oneofs.len()];
    for field in &desc.fields {
        if let Some(o) = field.oneof {
            if done_oneofs[o] {
                continue;
            }
            done_oneofs[o] = true;
            let oneof = &desc.oneofs[o];
            let set = oneof.fields.iter().find_map(|&i| {
                let member = &desc.fields[i];
                msg.get(&member.json_name).map(|v| (member, v))
            });
            let view = match set {
                Some((member, v)) => {
                    let mut wrapper = Map::with_capacity(1);
                    wrapper.insert(member.go_name.clone(), value_view(&member.ty, v));
                    Value::Object(wrapper)
                }
                None => Value::Null,
            };
            out.insert(oneof.go_name.clone(), view);
            continue;
        }
        out.insert(
            field.go_name.clone(),
            field_view(field, msg.get(&field.json_name)),
        );
    }
    Value::Object(out)
}

fn field_view(field: &FieldDesc, v: Option<&Value>) -> Value {
    match field.cardinality {
        Cardinality::Repeated => Value::Array(
            v.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|item| value_view(&field.ty, item))
                .collect(),
        ),
        Cardinality::Map => match v.and_then(Value::as_object) {
            Some(map) if !map.is_empty() => Value::Object(
                map.iter()
                    .map(|(k, item)| (k.clone(), value_view(&field.ty, item)))
                    .collect(),
            ),
            _ => Value::Null,
        },
        Cardinality::Single => match v {
            Some(v) => value_view(&field.ty, v),
            None => unset_view(&field.ty),
        },
    }
}

/// What Go holds for a field that is not set.
fn unset_view(ty: &FieldType) -> Value {
    match ty {
        FieldType::Scalar(s) => zero_scalar(*s),
        FieldType::Enum(e) => Value::String(
            schema()
                .enumeration(e)
                .zero_name()
                .unwrap_or("0")
                .to_string(),
        ),
        FieldType::Message(_) | FieldType::WellKnown(_) => Value::Null,
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

fn value_view(ty: &FieldType, v: &Value) -> Value {
    match ty {
        FieldType::Scalar(_) => v.clone(),
        FieldType::Enum(_) => match v {
            Value::String(_) => v.clone(),
            // An unknown number: Go's String() prints the number.
            other => Value::String(other.to_string()),
        },
        FieldType::Message(m) => match v {
            Value::Object(inner) => message_view(schema().message(m), inner),
            _ => Value::Null,
        },
        FieldType::WellKnown(w) => well_known_view(*w, v),
    }
}

fn single(name: &str, v: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(name.to_string(), v);
    Value::Object(m)
}

fn well_known_view(w: WellKnown, v: &Value) -> Value {
    match w {
        WellKnown::Duration => {
            let d = v
                .as_str()
                .and_then(|s| Duration::parse(s).ok())
                .unwrap_or(Duration {
                    seconds: 0,
                    nanos: 0,
                });
            let mut m = Map::with_capacity(2);
            m.insert("Seconds".into(), Value::from(d.seconds));
            m.insert("Nanos".into(), Value::from(d.nanos));
            Value::Object(m)
        }
        WellKnown::Wrapper(_) => single("Value", v.clone()),
        WellKnown::Struct => struct_view(v),
        WellKnown::ListValue => list_view(v),
        WellKnown::Value => single("Kind", kind_view(v)),
        WellKnown::IntOrString => {
            let mut m = Map::with_capacity(3);
            match v {
                Value::String(_) => {
                    m.insert("Type".into(), Value::from(1));
                    m.insert("IntVal".into(), Value::Null);
                    m.insert("StrVal".into(), single("Value", v.clone()));
                }
                other => {
                    m.insert("Type".into(), Value::from(0));
                    m.insert("IntVal".into(), single("Value", other.clone()));
                    m.insert("StrVal".into(), Value::Null);
                }
            }
            Value::Object(m)
        }
    }
}

fn struct_view(v: &Value) -> Value {
    let fields = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, item)| (k.clone(), single("Kind", kind_view(item))))
                .collect()
        })
        .unwrap_or_default();
    single("Fields", Value::Object(fields))
}

fn list_view(v: &Value) -> Value {
    let values = v
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| single("Kind", kind_view(item)))
                .collect()
        })
        .unwrap_or_default();
    single("Values", Value::Array(values))
}

/// The set member of `structpb.Value`'s `Kind` oneof.
fn kind_view(v: &Value) -> Value {
    match v {
        Value::Null => single("NullValue", Value::from(0)),
        Value::Bool(b) => single("BoolValue", Value::Bool(*b)),
        Value::Number(n) => single("NumberValue", Value::from(n.as_f64().unwrap_or_default())),
        Value::String(_) => single("StringValue", v.clone()),
        Value::Array(_) => single("ListValue", list_view(v)),
        Value::Object(_) => single("StructValue", struct_view(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode_message;
    use super::super::schema::PROXY_CONFIG;
    use super::*;
    use serde_json::json;

    fn view(input: Value) -> Value {
        let desc = schema().message(PROXY_CONFIG);
        message_view(
            desc,
            &decode_message(desc, &input, "", &mut Vec::new()).unwrap(),
        )
    }

    #[test]
    fn unset_fields_read_as_go_zero_values() {
        let v = view(json!({}));
        assert_eq!(v["DiscoveryAddress"], "");
        assert_eq!(v["StatusPort"], 0);
        assert_eq!(v["InterceptionMode"], "REDIRECT");
        assert_eq!(v["HoldApplicationUntilProxyStarts"], Value::Null);
        assert_eq!(v["Tracing"], Value::Null);
        assert_eq!(v["ProxyMetadata"], Value::Null);
        assert_eq!(v["ExtraStatTags"], json!([]));
        assert_eq!(v["ClusterName"], Value::Null);
        assert!(v.get("ServiceCluster").is_none());
    }

    #[test]
    fn set_fields_take_go_shapes() {
        let v = view(json!({
            "serviceCluster": "istio-proxy",
            "drainDuration": "1.5s",
            "holdApplicationUntilProxyStarts": false,
            "interceptionMode": "TPROXY",
            "proxyMetadata": {"A": "1"},
            "tracing": {"tlsSettings": {"caCertificates": "/a/b.pem"}}
        }));
        assert_eq!(v["ClusterName"], json!({"ServiceCluster": "istio-proxy"}));
        assert_eq!(
            v["DrainDuration"],
            json!({"Seconds": 1, "Nanos": 500000000})
        );
        assert_eq!(
            v["HoldApplicationUntilProxyStarts"],
            json!({"Value": false})
        );
        assert_eq!(v["InterceptionMode"], "TPROXY");
        assert_eq!(v["ProxyMetadata"], json!({"A": "1"}));
        assert_eq!(v["Tracing"]["TlsSettings"]["CaCertificates"], "/a/b.pem");
        assert_eq!(v["Tracing"]["Tracer"], Value::Null);
        assert_eq!(v["Tracing"]["Sampling"], json!(0.0));
    }
}
