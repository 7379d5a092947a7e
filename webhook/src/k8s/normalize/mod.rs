//! The Go typed round trip of a Kubernetes object: what `json.Unmarshal` into the k8s.io/api
//! struct followed by `json.Marshal` does to a JSON value, as a pure function.
//!
//! Driven by the [`schema`](super::schema) table. Effects, all as in Go:
//! - unknown fields are dropped (keys match the json tag exactly, else case-insensitively);
//! - `omitempty` fields that decode to an empty value (`null`, `""`, `0`, `false`, `[]`, `{}`,
//!   nil pointer) are dropped; fields without it are emitted even when absent (`containers:
//!   null`, `replicas: 0`, `service: null`);
//! - non-pointer struct fields are always emitted (`resources: {}`, `strategy: {}`,
//!   `status: {}`, `metadata: {}`), `creationTimestamp` is dropped when zero (`omitzero`);
//! - resource quantities are canonicalised (`2000m` → `"2"`), a missing `divisor` becomes `"0"`,
//!   IntOrString values are kept as given, timestamps are printed in UTC;
//! - values of the wrong JSON type are errors naming the field path, like Go's decoder.
//!
//! Struct fields come out in Go's declaration order, as `json.Marshal` writes them (Istio
//! stores marshalled containers in the `proxy.istio.io/overrides` annotation). Objects of kinds the schema does not model are left untouched.

mod error;
#[cfg(test)]
mod shape_tests;
mod structs;
#[cfg(test)]
mod tests;
mod yaml;

use serde_json::{Number, Value};

pub use error::NormalizeError;

use super::quantity::{Quantity, QuantityError};
use super::schema::{schema, Schema, Ty};
use super::time::normalize_rfc3339;
use yaml::yaml_number_to_string;

/// Where the value came from, which decides how scalars decode into Go string fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// JSON read with `encoding/json` (admission requests, strategic-merge results): a number
    /// or boolean where Go expects a string is an error.
    #[default]
    Json,
    /// YAML read with `sigs.k8s.io/yaml` into a typed object (kube-inject input): numbers and
    /// booleans become strings where Go expects a string.
    Yaml,
}

/// The schema type Istio's kube-inject decodes an object of this `kind` into, if any.
///
/// Istio registers its kinds as unversioned types, so the lookup goes by kind alone: an
/// `extensions/v1beta1` Deployment or a `batch/v1beta1` CronJob decodes like the v1 type.
pub fn injectable_kind(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "Pod",
        "ReplicationController" => "ReplicationController",
        "Deployment" => "Deployment",
        "DaemonSet" => "DaemonSet",
        "ReplicaSet" => "ReplicaSet",
        "Job" => "Job",
        "CronJob" => "CronJob",
        "StatefulSet" => "StatefulSet",
        "List" => "List",
        "DeploymentConfig" => "DeploymentConfig",
        _ => return None,
    })
}

/// Normalises `value` as the Go type named `type_name` (`"Pod"`, `"PodSpec"`,
/// `"PodTemplateSpec"`, `"Deployment"`, `"CronJob"`, `"Container"`, …) read from JSON.
pub fn normalize(type_name: &str, value: &mut Value) -> Result<(), NormalizeError> {
    normalize_with(type_name, value, Source::Json)
}

/// [`normalize`] with an explicit [`Source`]. On error `value` is left `null`.
///
/// The value is rewritten in place: a part that already is what Go would marshal (the usual
/// case once an object has been normalised, e.g. after a strategic merge that touched a few
/// fields) is checked without being rebuilt.
pub fn normalize_with(
    type_name: &str,
    value: &mut Value,
    source: Source,
) -> Result<(), NormalizeError> {
    let s = schema();
    let idx = s
        .lookup(type_name)
        .ok_or_else(|| NormalizeError::UnknownType(type_name.to_string()))?;
    let mut ctx = Ctx {
        schema: s,
        source,
        slots: Vec::new(),
        kept: Vec::new(),
        order: Vec::new(),
    };
    ctx.decode_struct(idx, value).map_err(|e| {
        *value = Value::Null;
        e.finish()
    })
}

/// Normalises an object whose `kind` kube-inject knows ([`injectable_kind`]); returns `false`
/// and leaves the value untouched for any other object.
pub fn normalize_object(value: &mut Value, source: Source) -> Result<bool, NormalizeError> {
    match value
        .get("kind")
        .and_then(Value::as_str)
        .and_then(injectable_kind)
    {
        Some(type_name) => normalize_with(type_name, value, source).map(|()| true),
        None => Ok(false),
    }
}

struct Ctx {
    schema: &'static Schema,
    source: Source,
    /// The field of every key of the structs being decoded, innermost last (see the `structs` module).
    slots: Vec<u16>,
    /// Scratch lists of the struct being rebuilt (its entries, their order), kept for their
    /// allocations.
    kept: Vec<(String, Value)>,
    order: Vec<u64>,
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn go_name(ty: &Ty) -> &'static str {
    match ty {
        Ty::Str => "string",
        Ty::I32 => "int32",
        Ty::I64 => "int64",
        Ty::Bool => "bool",
        Ty::Quantity => "resource.Quantity",
        Ty::IntOrString => "intstr.IntOrString",
        Ty::Time => "metav1.Time",
        Ty::Any | Ty::Object => "value",
        Ty::Struct(_) | Ty::Ptr(_) => "struct",
        Ty::List(_) => "slice",
        Ty::Map(_) => "map",
    }
}

impl Ctx {
    fn type_err(&self, ty: &Ty, found: &Value) -> NormalizeError {
        NormalizeError::Type {
            path: String::new(),
            expected: go_name(ty),
            found: json_kind(found),
        }
    }

    /// Decodes `val` (possibly null) in place into `ty`, leaving what Go marshals for it.
    fn decode_value(&mut self, ty: &Ty, val: &mut Value) -> Result<(), NormalizeError> {
        match ty {
            Ty::Str => self.decode_str(ty, val),
            Ty::I32 | Ty::I64 => self.decode_int(ty, val),
            Ty::Bool => match val {
                Value::Null => {
                    *val = Value::Bool(false);
                    Ok(())
                }
                Value::Bool(_) => Ok(()),
                other => Err(self.type_err(ty, other)),
            },
            Ty::Quantity => match val {
                Value::String(s) if Quantity::kept_verbatim(s) => Ok(()),
                Value::Array(_) | Value::Object(_) => Err(self.type_err(ty, val)),
                _ => {
                    let q =
                        Quantity::from_json(val).map_err(|source| NormalizeError::Quantity {
                            path: String::new(),
                            source,
                        })?;
                    let text = q.to_string();
                    if val.as_str() != Some(text.as_str()) {
                        *val = Value::String(text);
                    }
                    Ok(())
                }
            },
            Ty::IntOrString => match val {
                Value::Null => {
                    *val = Value::from(0);
                    Ok(())
                }
                Value::String(_) => Ok(()),
                Value::Number(_) => self.decode_int(&Ty::I32, val),
                other => Err(self.type_err(ty, other)),
            },
            Ty::Time => match val {
                Value::Null => Ok(()),
                Value::String(s) => match normalize_rfc3339(s) {
                    Ok(Some(t)) => {
                        if *s != t {
                            *s = t;
                        }
                        Ok(())
                    }
                    Ok(None) => {
                        *val = Value::Null;
                        Ok(())
                    }
                    Err(reason) => Err(NormalizeError::Time {
                        path: String::new(),
                        value: s.clone(),
                        reason,
                    }),
                },
                other => Err(self.type_err(ty, other)),
            },
            Ty::Any => Ok(()),
            Ty::Object => self.decode_embedded(val),
            Ty::Struct(idx) => self.decode_struct(*idx, val),
            Ty::Ptr(inner) => match val {
                Value::Null => Ok(()),
                other => self.decode_value(inner, other),
            },
            Ty::List(elem) => match val {
                Value::Null => Ok(()),
                Value::Array(items) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.decode_value(elem, item)
                            .map_err(|e| e.within(format_args!("[{i}]")))?;
                    }
                    Ok(())
                }
                other => Err(self.type_err(ty, other)),
            },
            Ty::Map(elem) => match val {
                Value::Null => Ok(()),
                Value::Object(entries) => {
                    for (k, item) in entries.iter_mut() {
                        self.decode_value(elem, item)
                            .map_err(|e| e.within(format_args!(".{k}")))?;
                    }
                    Ok(())
                }
                other => Err(self.type_err(ty, other)),
            },
        }
    }

    fn decode_str(&self, ty: &Ty, val: &mut Value) -> Result<(), NormalizeError> {
        match val {
            Value::Null => *val = Value::String(String::new()),
            Value::String(_) => {}
            Value::Number(n) if self.source == Source::Yaml => {
                *val = Value::String(yaml_number_to_string(n));
            }
            Value::Bool(b) if self.source == Source::Yaml => *val = Value::String(b.to_string()),
            other => return Err(self.type_err(ty, other)),
        }
        Ok(())
    }

    fn decode_int(&self, ty: &Ty, val: &mut Value) -> Result<(), NormalizeError> {
        let n = match val {
            Value::Null => {
                *val = Value::from(0);
                return Ok(());
            }
            Value::Number(n) => n,
            other => return Err(self.type_err(ty, other)),
        };
        let (lo, hi) = match ty {
            Ty::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        if n.as_i64().is_some_and(|i| (lo..=hi).contains(&i)) {
            return Ok(());
        }
        let as_float_int = n
            .as_f64()
            .filter(|f| n.is_f64() && f.fract() == 0.0 && *f >= -9.2e18 && *f <= 9.2e18)
            .map(|f| f as i64);
        match as_float_int {
            Some(i) if (lo..=hi).contains(&i) => {
                *n = Number::from(i);
                Ok(())
            }
            _ => Err(NormalizeError::Range {
                path: String::new(),
                number: n.to_string(),
                expected: go_name(ty),
            }),
        }
    }

    /// A `runtime.RawExtension` list item: decoded when its kind is known, else kept.
    fn decode_embedded(&mut self, val: &mut Value) -> Result<(), NormalizeError> {
        let kind = val
            .get("kind")
            .and_then(Value::as_str)
            .and_then(injectable_kind);
        match kind.and_then(|k| self.schema.lookup(k)) {
            Some(idx) => self.decode_struct(idx, val),
            None => Ok(()),
        }
    }
}
