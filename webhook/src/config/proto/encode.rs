//! Printing a canonical message the way Istio's `protomarshal.ToJSON` (legacy Go jsonpb,
//! compact) prints it: fields in declaration order under their JSON names, only set fields,
//! map keys sorted, 64-bit integers quoted, enums by name, durations as `"45s"`, wrappers as
//! their bare value, and strings and floats escaped and formatted as Go's `encoding/json` does.

use serde_json::Value;

use super::decode::Message;
use super::schema::{schema, Cardinality, FieldType, MessageDesc, Scalar, WellKnown};
use crate::gojson::{self, float32, float64};

/// Compact jsonpb JSON of a message.
pub fn to_json(desc: &MessageDesc, msg: &Message) -> String {
    let mut out = String::new();
    write_message(&mut out, desc, msg);
    out
}

fn write_message(out: &mut String, desc: &MessageDesc, msg: &Message) {
    out.push('{');
    let mut first = true;
    for field in &desc.fields {
        let Some(v) = msg.get(&field.json_name) else {
            continue;
        };
        if !first {
            out.push(',');
        }
        first = false;
        gojson::write_string(out, &field.json_name);
        out.push(':');
        match field.cardinality {
            Cardinality::Single => write_value(out, &field.ty, v),
            Cardinality::Repeated => {
                out.push('[');
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_value(out, &field.ty, item);
                }
                out.push(']');
            }
            Cardinality::Map => {
                out.push('{');
                let mut entries: Vec<_> = v.as_object().into_iter().flatten().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (i, (k, item)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    gojson::write_string(out, k);
                    out.push(':');
                    write_value(out, &field.ty, item);
                }
                out.push('}');
            }
        }
    }
    out.push('}');
}

fn write_value(out: &mut String, ty: &FieldType, v: &Value) {
    match ty {
        FieldType::Scalar(s) | FieldType::WellKnown(WellKnown::Wrapper(s)) => {
            write_scalar(out, *s, v)
        }
        FieldType::Enum(_) | FieldType::WellKnown(WellKnown::IntOrString) => gojson::write(out, v),
        FieldType::Message(m) => match v {
            Value::Object(inner) => write_message(out, schema().message(m), inner),
            _ => out.push_str("{}"),
        },
        FieldType::WellKnown(WellKnown::Duration) => match v {
            Value::String(s) => gojson::write_string(out, s),
            _ => out.push_str("\"0s\""),
        },
        // Struct, Value, ListValue: Go's `encoding/json` of the decoded value.
        FieldType::WellKnown(WellKnown::Struct | WellKnown::Value | WellKnown::ListValue) => {
            out.push_str(&gojson::decoded_to_string(v))
        }
    }
}

fn write_scalar(out: &mut String, s: Scalar, v: &Value) {
    match (s, v) {
        (Scalar::Int64 | Scalar::Uint64, Value::Number(n)) => {
            out.push('"');
            out.push_str(&n.to_string());
            out.push('"');
        }
        (Scalar::Double | Scalar::Float, Value::Number(n)) => {
            let f = n.as_f64().unwrap_or_default();
            if s == Scalar::Float {
                out.push_str(&float32(f as f32));
            } else {
                out.push_str(&float64(f));
            }
        }
        (_, other) => gojson::write(out, other),
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode_message;
    use super::super::schema::{MESH_CONFIG, PROXY_CONFIG};
    use super::*;
    use serde_json::json;

    fn encode(name: &str, input: Value) -> String {
        let desc = schema().message(name);
        to_json(
            desc,
            &decode_message(desc, &input, "", &mut Vec::new()).unwrap(),
        )
    }

    #[test]
    fn prints_in_declaration_order_with_sorted_maps() {
        let s = encode(
            PROXY_CONFIG,
            json!({
                "proxyMetadata": {"Z": "1", "A": "<2>"},
                "concurrency": 0,
                "discoveryAddress": "foo:123",
                "holdApplicationUntilProxyStarts": true,
                "drainDuration": "1.5s"
            }),
        );
        assert_eq!(
            s,
            r#"{"drainDuration":"1.500s","discoveryAddress":"foo:123","concurrency":0,"proxyMetadata":{"A":"\u003c2\u003e","Z":"1"},"holdApplicationUntilProxyStarts":true}"#
        );
    }

    #[test]
    fn empty_message_prints_braces() {
        assert_eq!(encode(PROXY_CONFIG, json!({})), "{}");
        assert_eq!(
            encode(PROXY_CONFIG, json!({"tracing": {}})),
            r#"{"tracing":{}}"#
        );
    }

    #[test]
    fn sixty_four_bit_integers_are_quoted_and_doubles_use_go_format() {
        let s = encode(
            PROXY_CONFIG,
            json!({"tracing": {"sampling": 1.0, "stackdriver": {"maxNumberOfAttributes": 200}}}),
        );
        assert_eq!(
            s,
            r#"{"tracing":{"stackdriver":{"maxNumberOfAttributes":"200"},"sampling":1}}"#
        );
    }

    #[test]
    fn struct_values_print_sorted() {
        let s = encode(
            MESH_CONFIG,
            json!({"extensionProviders": [{"name": "x", "envoyFileAccessLog":
                {"logFormat": {"labels": {"b": 2, "a": [true, null]}}}}]}),
        );
        assert_eq!(
            s,
            r#"{"extensionProviders":[{"name":"x","envoyFileAccessLog":{"logFormat":{"labels":{"a":[true,null],"b":2}}}}]}"#
        );
    }
}
