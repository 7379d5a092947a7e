//! Encodes template values as Go does: `encoding/json.Marshal` (Kubernetes structs with their JSON
//! names, declaration order and `omitempty`; maps with sorted keys; the text is written by
//! [`crate::gojson`]) and legacy `jsonpb` for protobuf messages (`protoToJSON`, including Istio's
//! removal of ProxyConfig fields that equal the defaults).

use super::proto_schema::{self, M, P};
use super::typed::{self, Tag};
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

/// Istio's `protoToJSON`: ProxyConfig fields equal to Istio's defaults dropped, then legacy `jsonpb`.
pub(crate) fn proto_to_json(v: &Value) -> String {
    match (v, typed::tag_of(v)) {
        (Value::Nil, _) => "{}".to_string(),
        (Value::Map(_), Some(Tag::Proto(m))) => {
            let cleaned = if m.name == "ProxyConfig" {
                clean_proxy_config(v)
            } else {
                v.clone()
            };
            gojson::to_string(&message_json(&cleaned, m))
        }
        _ => gojson::to_string(&generic_proto_json(v)),
    }
}

fn get<'a>(v: &'a Value, field: &str) -> &'a Value {
    v.field(field).unwrap_or(&Value::Nil)
}

fn duration_is(v: &Value, secs: i64) -> bool {
    match v {
        Value::Map(_) => {
            get(v, "Seconds").as_int() == Some(secs) && get(v, "Nanos").as_int().unwrap_or(0) == 0
        }
        Value::String(s) => super::convert::parse_duration(s) == Some((secs, 0)),
        _ => false,
    }
}

/// Istio's `cleanProxyConfig` defaults (mesh.DefaultProxyConfig()).
fn clean_proxy_config(v: &Value) -> Value {
    let Value::Map(m) = v else { return v.clone() };
    let mut m = (**m).clone();
    let mut clear = |name: &str, cond: &dyn Fn(&Value) -> bool, zero: Value| {
        if let Some(cur) = m.get(name) {
            if cond(cur) {
                m.insert(name.into(), zero);
            }
        }
    };
    let is_str = |s: &'static str| move |x: &Value| x.as_str() == Some(s);
    clear(
        "ConfigPath",
        &is_str("./etc/istio/proxy"),
        Value::String("".into()),
    );
    clear(
        "BinaryPath",
        &is_str("/usr/local/bin/envoy"),
        Value::String("".into()),
    );
    clear(
        "ControlPlaneAuthPolicy",
        &is_str("MUTUAL_TLS"),
        Value::String("NONE".into()),
    );
    clear(
        "ClusterName",
        &|x: &Value| get(x, "ServiceCluster").as_str() == Some("istio-proxy"),
        Value::Nil,
    );
    clear("DrainDuration", &|x: &Value| duration_is(x, 45), Value::Nil);
    clear(
        "TerminationDrainDuration",
        &|x: &Value| duration_is(x, 5),
        Value::Nil,
    );
    clear(
        "DiscoveryAddress",
        &is_str("istiod.istio-system.svc:15012"),
        Value::String("".into()),
    );
    clear(
        "ProxyAdminPort",
        &|x: &Value| x.as_int() == Some(15000),
        Value::Int(0),
    );
    clear(
        "StatNameLength",
        &|x: &Value| x.as_int() == Some(189),
        Value::Int(0),
    );
    clear(
        "StatusPort",
        &|x: &Value| x.as_int() == Some(15020),
        Value::Int(0),
    );
    // EnvoyMetricsService, EnvoyAccessLogService, Tracing and Concurrency default to unset: a set
    // value never equals the default, so they are kept.
    let out = Value::Map(std::sync::Arc::new(m));
    if let Some(Tag::Proto(msg)) = typed::tag_of(v) {
        typed::tag(&out, Tag::Proto(msg));
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn message_json(v: &Value, m: &M) -> J {
    let mut out = JMap::new();
    for f in m.fields {
        let fv = match f.oneof {
            Some(oneof) => match get(v, oneof).field(f.go) {
                Some(x) => x,
                None => continue,
            },
            None => get(v, f.go),
        };
        if f.oneof.is_none() && proto_is_zero(fv, f.kind) {
            continue;
        }
        out.insert(f.json.to_string(), proto_field_json(fv, f.kind));
    }
    J::Object(out)
}

fn proto_is_zero(v: &Value, p: P) -> bool {
    match p {
        P::Enum(names) => match v {
            Value::String(s) => names.first().is_some_and(|z| **z == **s),
            Value::Int(i) => *i == 0,
            _ => true,
        },
        P::Wrapper | P::Wrapper64 | P::Duration | P::Msg(_) => matches!(v, Value::Nil),
        _ => is_empty(v),
    }
}

fn proto_field_json(v: &Value, p: P) -> J {
    match p {
        P::Enum(names) => match v {
            Value::Int(i) => names
                .get(*i as usize)
                .map_or(J::from(*i), |n| J::String(n.to_string())),
            _ => to_go_json(v),
        },
        P::Wrapper | P::Wrapper64 => {
            let inner = match v {
                Value::Map(_) => get(v, "Value"),
                _ => v,
            };
            let inner = match inner {
                // an unset Value field of a set wrapper is its zero value
                Value::Nil => Value::Int(0),
                x => x.clone(),
            };
            if p == P::Wrapper64 {
                J::String(to_go_json(&inner).to_string())
            } else {
                to_go_json(&inner)
            }
        }
        P::Duration => match v {
            Value::String(s) => J::String(s.to_string()),
            _ => J::String(format_duration(
                get(v, "Seconds").as_int().unwrap_or(0),
                get(v, "Nanos").as_int().unwrap_or(0),
            )),
        },
        P::Msg(name) => match proto_schema::lookup(name) {
            Some(m) => message_json(v, m),
            None => generic_proto_json(v),
        },
        P::MsgMap(name) => match v {
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, x)| (k.to_string(), proto_field_json(x, P::Msg(name))))
                    .collect(),
            ),
            _ => J::Object(JMap::new()),
        },
        P::List(elem) => match v {
            Value::List(items) => {
                J::Array(items.iter().map(|x| proto_field_json(x, *elem)).collect())
            }
            _ => J::Array(Vec::new()),
        },
        _ => to_go_json(v),
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

/// Protobuf JSON duration text: seconds with 0, 3, 6 or 9 fractional digits.
fn format_duration(secs: i64, nanos: i64) -> String {
    let neg = secs < 0 || nanos < 0;
    let mut x = format!("{}.{:09}", secs.unsigned_abs(), nanos.unsigned_abs());
    for _ in 0..2 {
        if x.ends_with("000") {
            x.truncate(x.len() - 3);
        }
    }
    if let Some(stripped) = x.strip_suffix(".000") {
        x = stripped.to_string();
    }
    format!("{}{x}s", if neg { "-" } else { "" })
}
