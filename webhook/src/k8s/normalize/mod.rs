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

#[cfg(test)]
mod tests;
mod yaml;

use serde_json::{Map, Number, Value};

use super::quantity::{Quantity, QuantityError};
use super::schema::{schema, Field, Schema, Ty};
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

/// Why a value cannot be decoded into its Go type.
#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    /// The requested type is not in the schema.
    #[error("unknown kubernetes type {0:?}")]
    UnknownType(String),
    /// A JSON value of the wrong kind.
    #[error("{path}: cannot decode {found} into a Go {expected}")]
    Type {
        /// Field path, e.g. `spec.containers[0].name`.
        path: String,
        /// The Go type expected there.
        expected: &'static str,
        /// The JSON kind found.
        found: &'static str,
    },
    /// A number that does not fit the Go integer type.
    #[error("{path}: number {number} does not fit a Go {expected}")]
    Range {
        /// Field path.
        path: String,
        /// The number as written.
        number: String,
        /// The Go type expected there.
        expected: &'static str,
    },
    /// A malformed resource quantity.
    #[error("{path}: {source}")]
    Quantity {
        /// Field path.
        path: String,
        /// What is wrong with the quantity (names the value).
        #[source]
        source: QuantityError,
    },
    /// A malformed timestamp.
    #[error("{path}: invalid time {value:?}: {reason}")]
    Time {
        /// Field path.
        path: String,
        /// The timestamp text.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
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

/// [`normalize`] with an explicit [`Source`].
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
        path: String::new(),
    };
    let taken = std::mem::take(value);
    *value = Value::Object(ctx.decode_struct(idx, taken)?);
    Ok(())
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
    path: String,
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

/// Go's `omitempty` test on an already-normalised value of type `ty`.
fn is_empty(ty: &Ty, v: &Value) -> bool {
    match (ty, v) {
        (Ty::Struct(_) | Ty::Quantity | Ty::IntOrString | Ty::Time | Ty::Object, _) => false,
        (_, Value::Null) => true,
        (Ty::Str, Value::String(s)) => s.is_empty(),
        (Ty::I32 | Ty::I64, Value::Number(n)) => n.as_i64() == Some(0),
        (Ty::Bool, Value::Bool(b)) => !b,
        (Ty::List(_), Value::Array(a)) => a.is_empty(),
        (Ty::Map(_), Value::Object(m)) => m.is_empty(),
        _ => false,
    }
}

impl Ctx {
    fn path(&self) -> String {
        match self.path.strip_prefix('.') {
            Some(p) => p.to_string(),
            None if self.path.is_empty() => "<root>".to_string(),
            None => self.path.clone(),
        }
    }

    fn type_err(&self, ty: &Ty, found: &Value) -> NormalizeError {
        NormalizeError::Type {
            path: self.path(),
            expected: go_name(ty),
            found: json_kind(found),
        }
    }

    fn decode_struct(
        &mut self,
        idx: usize,
        v: Value,
    ) -> Result<Map<String, Value>, NormalizeError> {
        let td = self.schema.get(idx);
        let entries = match v {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => return Err(self.type_err(&Ty::Struct(idx), &other)),
        };
        // One slot per field, emitted in Go's declaration order as json.Marshal does.
        let mut slots: Vec<Option<Value>> = vec![None; td.fields.len()];
        let mut seen = vec![false; td.fields.len()];
        for (key, val) in entries {
            let Some((fi, field)) = td.decode_field(&key) else {
                continue;
            };
            seen[fi] = true;
            let mark = self.path.len();
            self.path.push('.');
            self.path.push_str(field.json);
            let decoded = self.decode_field(field, val);
            self.path.truncate(mark);
            slots[fi] = decoded?;
        }
        for (fi, field) in td.fields.iter().enumerate() {
            if !seen[fi] {
                slots[fi] = self.zero_field(field)?;
            }
        }
        let mut out = Map::new();
        for (field, slot) in td.fields.iter().zip(slots) {
            if let Some(v) = slot {
                out.insert(field.json.to_string(), v);
            }
        }
        Ok(out)
    }

    /// Decodes a present field; `None` when Go would omit it.
    fn decode_field(&mut self, field: &Field, val: Value) -> Result<Option<Value>, NormalizeError> {
        let v = self.decode_value(&field.ty, val)?;
        let omit = (field.omitempty && is_empty(&field.ty, &v)) || (field.omitzero && v.is_null());
        Ok((!omit).then_some(v))
    }

    /// What Go marshals for a field the input did not set; `None` when omitted.
    fn zero_field(&mut self, field: &Field) -> Result<Option<Value>, NormalizeError> {
        if field.omitzero {
            return Ok(None);
        }
        let zero = self.decode_value(&field.ty, Value::Null)?;
        Ok((!(field.omitempty && is_empty(&field.ty, &zero))).then_some(zero))
    }

    /// Decodes `val` (possibly null) into `ty` and returns what Go marshals for it.
    fn decode_value(&mut self, ty: &Ty, val: Value) -> Result<Value, NormalizeError> {
        match ty {
            Ty::Str => self.decode_str(ty, val),
            Ty::I32 | Ty::I64 => self.decode_int(ty, val),
            Ty::Bool => match val {
                Value::Null => Ok(Value::Bool(false)),
                Value::Bool(_) => Ok(val),
                other => Err(self.type_err(ty, &other)),
            },
            Ty::Quantity => match val {
                Value::Array(_) | Value::Object(_) => Err(self.type_err(ty, &val)),
                _ => Quantity::from_json(&val)
                    .map(|q| Value::String(q.to_string()))
                    .map_err(|source| NormalizeError::Quantity {
                        path: self.path(),
                        source,
                    }),
            },
            Ty::IntOrString => match val {
                Value::Null => Ok(Value::from(0)),
                Value::String(_) => Ok(val),
                Value::Number(_) => self.decode_int(&Ty::I32, val),
                other => Err(self.type_err(ty, &other)),
            },
            Ty::Time => match val {
                Value::Null => Ok(Value::Null),
                Value::String(s) => match normalize_rfc3339(&s) {
                    Ok(Some(t)) => Ok(Value::String(t)),
                    Ok(None) => Ok(Value::Null),
                    Err(reason) => Err(NormalizeError::Time {
                        path: self.path(),
                        value: s,
                        reason,
                    }),
                },
                other => Err(self.type_err(ty, &other)),
            },
            Ty::Any => Ok(val),
            Ty::Object => self.decode_embedded(val),
            Ty::Struct(idx) => Ok(Value::Object(self.decode_struct(*idx, val)?)),
            Ty::Ptr(inner) => match val {
                Value::Null => Ok(Value::Null),
                other => self.decode_value(inner, other),
            },
            Ty::List(elem) => match val {
                Value::Null => Ok(Value::Null),
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.into_iter().enumerate() {
                        let mark = self.path.len();
                        self.path.push_str(&format!("[{i}]"));
                        let decoded = self.decode_value(elem, item);
                        self.path.truncate(mark);
                        out.push(decoded?);
                    }
                    Ok(Value::Array(out))
                }
                other => Err(self.type_err(ty, &other)),
            },
            Ty::Map(elem) => match val {
                Value::Null => Ok(Value::Null),
                Value::Object(entries) => {
                    let mut out = Map::new();
                    for (k, item) in entries {
                        let mark = self.path.len();
                        self.path.push('.');
                        self.path.push_str(&k);
                        let decoded = self.decode_value(elem, item);
                        self.path.truncate(mark);
                        out.insert(k, decoded?);
                    }
                    Ok(Value::Object(out))
                }
                other => Err(self.type_err(ty, &other)),
            },
        }
    }

    fn decode_str(&self, ty: &Ty, val: Value) -> Result<Value, NormalizeError> {
        match val {
            Value::Null => Ok(Value::String(String::new())),
            Value::String(_) => Ok(val),
            Value::Number(n) if self.source == Source::Yaml => {
                Ok(Value::String(yaml_number_to_string(&n)))
            }
            Value::Bool(b) if self.source == Source::Yaml => Ok(Value::String(b.to_string())),
            other => Err(self.type_err(ty, &other)),
        }
    }

    fn decode_int(&self, ty: &Ty, val: Value) -> Result<Value, NormalizeError> {
        let n = match val {
            Value::Null => return Ok(Value::from(0)),
            Value::Number(n) => n,
            other => return Err(self.type_err(ty, &other)),
        };
        let (lo, hi) = match ty {
            Ty::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        let as_int = n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= -9.2e18 && *f <= 9.2e18)
                .map(|f| f as i64)
        });
        match as_int {
            Some(i) if (lo..=hi).contains(&i) => Ok(Value::Number(Number::from(i))),
            _ => Err(NormalizeError::Range {
                path: self.path(),
                number: n.to_string(),
                expected: go_name(ty),
            }),
        }
    }

    /// A `runtime.RawExtension` list item: decoded when its kind is known, else kept.
    fn decode_embedded(&mut self, val: Value) -> Result<Value, NormalizeError> {
        let kind = val
            .get("kind")
            .and_then(Value::as_str)
            .and_then(injectable_kind);
        match kind.and_then(|k| self.schema.lookup(k)) {
            Some(idx) => Ok(Value::Object(self.decode_struct(idx, val)?)),
            None => Ok(val),
        }
    }
}
