//! Builds the gotmpl data from the Go-view JSON of the data contract (see the module doc of
//! [`super`]), filling Go zero values for absent struct fields and recording Go types ([`super::typed`]);
//! and converts Kubernetes JSON into that Go view (protobuf messages: [`super::proto_view`]).

use super::k8s_view::{layout, Layout, K};
use super::proto_view::{self, P};
use super::typed::{self, Tag};
use crate::k8s::schema::{schema, Field, TypeDef};
use gotmpl::Value;
use serde_json::{Map as JMap, Value as J};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// How to read one JSON value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    K8s(K),
    /// A Kubernetes struct, by Go type name.
    K8sStruct(&'static str),
    /// A protobuf message, by full name.
    ProtoMessage(&'static str),
    /// `map[string]any` decoded from JSON: every number is a `float64`.
    Values,
    /// No Go type known: integers stay integers.
    Generic,
}

pub(super) fn map_value(m: BTreeMap<Arc<str>, Value>) -> Value {
    Value::Map(Arc::new(m))
}

/// `""`, shared (strings are immutable, so zero values need not be allocated each time).
fn empty_string() -> Value {
    static EMPTY: OnceLock<Value> = OnceLock::new();
    EMPTY.get_or_init(|| Value::String(Arc::from(""))).clone()
}

/// An empty list, shared.
fn empty_list() -> Value {
    static EMPTY: OnceLock<Value> = OnceLock::new();
    EMPTY
        .get_or_init(|| Value::List(Arc::from(Vec::new())))
        .clone()
}

pub(super) fn string(s: Option<&str>) -> Value {
    match s {
        Some(s) if !s.is_empty() => Value::String(Arc::from(s)),
        _ => empty_string(),
    }
}

pub(super) fn number(n: &serde_json::Number, float: bool) -> Value {
    if float {
        return Value::Float(n.as_f64().unwrap_or(0.0));
    }
    if let Some(i) = n.as_i64() {
        Value::Int(i)
    } else if let Some(u) = n.as_u64() {
        Value::Uint(u)
    } else {
        Value::Float(n.as_f64().unwrap_or(0.0))
    }
}

/// Converts a JSON value without type information.
pub(crate) fn untyped(j: &J, float: bool) -> Value {
    match j {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => number(n, float),
        J::String(s) => Value::String(s.as_str().into()),
        J::Array(a) => Value::List(a.iter().map(|x| untyped(x, float)).collect()),
        J::Object(o) => map_value(
            o.iter()
                .map(|(k, v)| (Arc::from(k.as_str()), untyped(v, float)))
                .collect(),
        ),
    }
}

pub(super) fn str_map(j: Option<&J>) -> Value {
    let m: BTreeMap<Arc<str>, Value> = match j {
        Some(J::Object(o)) => o
            .iter()
            .map(|(k, v)| (Arc::from(k.as_str()), untyped(v, false)))
            .collect(),
        _ => BTreeMap::new(),
    };
    let v = map_value(m);
    typed::tag(&v, Tag::StrMap);
    v
}

/// Converts `j` (absent: `None`) as Go type `ty`, producing Go's zero value when absent.
pub(crate) fn convert(j: Option<&J>, ty: Ty) -> Value {
    match ty {
        Ty::Values => j.map_or(Value::Nil, |j| untyped(j, true)),
        Ty::Generic => j.map_or(Value::Nil, |j| untyped(j, false)),
        Ty::K8s(k) => k8s(j, k),
        Ty::K8sStruct(name) => k8s(j, K::named(name)),
        Ty::ProtoMessage(name) => proto_view::proto(j, P::Msg(P::message(name))),
    }
}

pub(super) fn present(j: Option<&J>) -> Option<&J> {
    j.filter(|j| !j.is_null())
}

/// An integer, `0` when absent.
pub(super) fn int(j: Option<&J>) -> Value {
    j.and_then(J::as_number)
        .map_or(Value::Int(0), |n| number(n, false))
}

/// A boolean, `false` when absent.
pub(super) fn boolean(j: Option<&J>) -> Value {
    Value::Bool(j.and_then(J::as_bool).unwrap_or(false))
}

fn k8s(j: Option<&J>, k: K) -> Value {
    let j = present(j);
    match k {
        K::Str => string(j.and_then(J::as_str)),
        K::Int => int(j),
        K::Bool => boolean(j),
        K::StrMap => str_map(j),
        K::List(elem) => match j {
            Some(J::Array(a)) => {
                let elem = K::of(elem);
                Value::List(a.iter().map(|x| k8s(Some(x), elem)).collect())
            }
            _ => empty_list(),
        },
        K::Struct(idx) => struct_value(j, layout(idx)),
        K::Ptr(idx) => match j {
            Some(_) => struct_value(j, layout(idx)),
            None => Value::Nil,
        },
        K::Any => j.map_or(Value::Nil, |j| untyped(j, false)),
    }
}

fn struct_value(j: Option<&J>, layout: &'static Layout) -> Value {
    let obj = j.and_then(J::as_object);
    let fields = &layout.def.fields;
    let known = layout.sorted.iter().map(|&i| {
        (
            layout.keys[i].clone(),
            k8s(
                obj.and_then(|o| o.get(&*fields[i].go)),
                K::of(&fields[i].ty),
            ),
        )
    });
    let extra = obj
        .into_iter()
        .flatten()
        .filter(|(k, _)| !fields.iter().any(|f| *f.go == **k));
    let extra = extra.map(|(k, v)| (Arc::from(k.as_str()), untyped(v, false)));
    struct_map(layout.def, known.chain(extra))
}

/// A Go struct's map from its entries, known fields first (in key order).
fn struct_map(def: &'static TypeDef, entries: impl Iterator<Item = (Arc<str>, Value)>) -> Value {
    // Keys are unique here and mostly sorted. For a few entries, inserting one by one beats
    // collecting (which buffers and sorts them first); for many, the bulk build wins.
    let m = if entries.size_hint().0 <= 8 {
        let mut m = BTreeMap::new();
        for (k, v) in entries {
            m.insert(k, v);
        }
        m
    } else {
        entries.collect()
    };
    let v = map_value(m);
    typed::tag(&v, Tag::K8s(def));
    v
}

/// Converts Kubernetes JSON (JSON field names) of Go type `k` straight into template data:
/// the same as converting its Go view ([`k8s_json_to_go`]) with [`convert`], in one pass.
pub(crate) fn k8s_direct(j: Option<&J>, k: K) -> Value {
    let j = present(j);
    match (k, j) {
        (K::Struct(idx) | K::Ptr(idx), Some(J::Object(o))) => struct_direct(o, layout(idx)),
        (K::List(elem), Some(J::Array(a))) => match K::of(elem) {
            // Look the element struct up once for the whole list.
            elem @ (K::Struct(idx) | K::Ptr(idx)) => {
                let layout = layout(idx);
                Value::List(
                    a.iter()
                        .map(|x| match x {
                            J::Object(o) => struct_direct(o, layout),
                            _ => k8s_direct(Some(x), elem),
                        })
                        .collect(),
                )
            }
            elem => Value::List(a.iter().map(|x| k8s_direct(Some(x), elem)).collect()),
        },
        _ => self::k8s(j, k),
    }
}

/// Where a struct field's value comes from.
enum Source<'a> {
    Absent,
    /// Its JSON name.
    Json(&'a J),
    /// Another key whose Go name is the field's (only in objects Go would not produce).
    GoView(J),
}

fn struct_direct(o: &JMap<String, J>, layout: &'static Layout) -> Value {
    const MOST: usize = 64;
    let fields = &layout.def.fields;
    if fields.len() <= MOST {
        let mut slots = [None; MOST];
        if place_by_json_name(o, fields, &mut slots) {
            let known = layout.sorted.iter().map(|&i| {
                let kind = K::of(&fields[i].ty);
                let value = match slots[i] {
                    Some(v) => k8s_direct(Some(v), kind),
                    None => k8s(None, kind),
                };
                (layout.keys[i].clone(), value)
            });
            return struct_map(layout.def, known);
        }
    }
    struct_direct_any(o, layout)
}

/// Puts each entry's value in the slot of the field with that JSON name; `false` when a key
/// names no field.
fn place_by_json_name<'j>(
    o: &'j JMap<String, J>,
    fields: &[Field],
    slots: &mut [Option<&'j J>],
) -> bool {
    let mut next = 0;
    for (k, v) in o {
        let i = fields[next.min(fields.len())..]
            .iter()
            .position(|f| f.json == k)
            .map(|i| i + next)
            .or_else(|| fields.iter().position(|f| f.json == k));
        let Some(i) = i else { return false };
        slots[i] = Some(v);
        next = i + 1;
    }
    true
}

/// [`struct_direct`] for any object, with keys that are not JSON field names.
fn struct_direct_any(o: &JMap<String, J>, layout: &'static Layout) -> Value {
    let fields = &layout.def.fields;
    let mut sources: Vec<Source> = (0..fields.len()).map(|_| Source::Absent).collect();
    let mut extra: Vec<(String, &J)> = Vec::new();
    for (k, v) in o {
        if let Some(i) = fields.iter().position(|f| f.json == k) {
            sources[i] = Source::Json(v);
            continue;
        }
        let go = go_name_of(k);
        match fields.iter().position(|f| *f.go == *go) {
            Some(i) => sources[i] = Source::GoView(generic_to_go(v)),
            None => match extra.iter_mut().find(|(g, _)| *g == go) {
                Some(slot) => slot.1 = v,
                None => extra.push((go, v)),
            },
        }
    }
    let known = layout.sorted.iter().map(|&i| {
        let kind = K::of(&fields[i].ty);
        let value = match &sources[i] {
            Source::Absent => k8s(None, kind),
            Source::Json(v) => k8s_direct(Some(v), kind),
            Source::GoView(v) => k8s(Some(v), kind),
        };
        (layout.keys[i].clone(), value)
    });
    let extra = extra
        .into_iter()
        .map(|(g, v)| (Arc::from(g), untyped(&generic_to_go(v), false)));
    struct_map(layout.def, known.chain(extra))
}

/// Go name of a field known only by its JSON name: the first letter upper-cased.
pub(crate) fn go_name_of(json: &str) -> String {
    let mut c = json.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Converts Kubernetes JSON of Go type `k` into the Go view (Go field names).
pub(crate) fn k8s_json_to_go(j: &J, k: K) -> J {
    match (k, j) {
        (K::Struct(idx) | K::Ptr(idx), J::Object(o)) => struct_to_go(o, schema().get(idx)),
        (K::List(elem), J::Array(a)) => {
            let elem = K::of(elem);
            J::Array(a.iter().map(|x| k8s_json_to_go(x, elem)).collect())
        }
        _ => j.clone(),
    }
}

fn struct_to_go(o: &JMap<String, J>, def: &'static TypeDef) -> J {
    let mut out = JMap::new();
    for (k, v) in o {
        match def.fields.iter().find(|f| f.json == k) {
            Some(f) => out.insert(f.go.to_string(), k8s_json_to_go(v, K::of(&f.ty))),
            None => out.insert(go_name_of(k), generic_to_go(v)),
        };
    }
    J::Object(out)
}

pub(super) fn generic_to_go(j: &J) -> J {
    match j {
        J::Object(o) => J::Object(
            o.iter()
                .map(|(k, v)| (go_name_of(k), generic_to_go(v)))
                .collect(),
        ),
        J::Array(a) => J::Array(a.iter().map(generic_to_go).collect()),
        _ => j.clone(),
    }
}
