//! The template function map: Istio's own functions (`pkg/kube/inject/template.go`), the sprig
//! functions its templates use, and the internal helpers of the [`super::rewrite`] pass, each with
//! Go's semantics. Where Go's typed parameters would reject an untyped `nil`, the zero value of the
//! parameter type is used (gotmpl cannot tell a Go nil-safe getter's zero value from a missing one).

use super::convert::untyped;
use super::gofmt::{quote as go_quote, sprint};
use super::istio_funcs::*;
use super::marshal::{is_empty, marshal, proto_to_json, to_go_json};
use super::pure::{Results, PURE};
use super::rewrite::{resolve_field, FIELD_FN, PRINT_FN};
use super::typed::{self, Tag};
use gotmpl::{FuncMap, TemplateError, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

type R = gotmpl::Result<Value>;

pub(super) fn err(msg: String) -> TemplateError {
    TemplateError::Exec(msg)
}

fn arg<'a>(args: &'a [Value], i: usize, f: &str) -> gotmpl::Result<&'a Value> {
    args.get(i).ok_or_else(|| {
        err(format!(
            "wrong number of args for {f}: want at least {}, got {}",
            i + 1,
            args.len()
        ))
    })
}

pub(super) fn exact(args: &[Value], n: usize, f: &str) -> gotmpl::Result<()> {
    if args.len() != n {
        return Err(err(format!(
            "wrong number of args for {f}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// A `string` parameter.
pub(super) fn string(v: &Value, f: &str) -> gotmpl::Result<String> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        Value::Nil => Ok(String::new()),
        other => Err(err(format!(
            "wrong type for value in {f}; expected string; got {}",
            other.type_name()
        ))),
    }
}

/// An `int` parameter.
fn int(v: &Value, f: &str) -> gotmpl::Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Uint(u) => Ok(*u as i64),
        Value::Float(x) if x.fract() == 0.0 => Ok(*x as i64),
        other => Err(err(format!(
            "wrong type for value in {f}; expected int; got {}",
            other.type_name()
        ))),
    }
}

fn s(x: impl Into<Arc<str>>) -> Value {
    Value::String(x.into())
}

fn string_map(m: BTreeMap<Arc<str>, Value>) -> Value {
    let v = Value::Map(Arc::new(m));
    typed::tag(&v, Tag::StrMap);
    v
}

/// A `map[string]string` parameter (nil: empty).
fn str_map<'a>(v: &'a Value, f: &str) -> gotmpl::Result<Option<&'a BTreeMap<Arc<str>, Value>>> {
    match v {
        Value::Map(m) => Ok(Some(m)),
        Value::Nil => Ok(None),
        other => Err(err(format!(
            "wrong type for value in {f}; expected map[string]string; got {}",
            other.type_name()
        ))),
    }
}

/// sprig's `strval`.
fn strval(v: &Value) -> String {
    match v {
        Value::String(x) => x.to_string(),
        other => sprint(other),
    }
}

/// sprig's `empty`: Go zero values, empty collections; a struct is never empty.
fn empty(v: &Value) -> bool {
    match v {
        Value::Map(_) if matches!(typed::tag_of(v), Some(Tag::K8s(_) | Tag::Proto(_))) => false,
        _ => is_empty(v),
    }
}

fn pad_lines_after_first(spaces: i64, source: &str) -> String {
    let pad = " ".repeat(spaces.unsigned_abs() as usize);
    source
        .split('\n')
        .enumerate()
        .map(|(i, l)| {
            if i > 0 {
                format!("{pad}{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn sprig_indent(spaces: i64, v: &str) -> String {
    let pad = " ".repeat(spaces.max(0) as usize);
    format!("{pad}{}", v.replace('\n', &format!("\n{pad}")))
}

fn merge_maps(args: &[Value], f: &str) -> gotmpl::Result<Option<BTreeMap<Arc<str>, Value>>> {
    if args.is_empty() {
        return Ok(None);
    }
    let mut out = BTreeMap::new();
    for a in args {
        if let Some(m) = str_map(a, f)? {
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Some(out))
}

/// Every function the templates may call, by name.
pub(crate) fn func_map() -> FuncMap {
    let mut m = FuncMap::new();
    let mut add = |name: &'static str, f: fn(&[Value]) -> R| {
        if PURE.contains(&name) {
            // Called on data converted once, the result is the one of the first call.
            let pure = move |a: &[Value]| match a {
                [one] => Results::call(name, one, || f(a)),
                _ => f(a),
            };
            m.insert(name.to_string(), Arc::new(pure));
        } else {
            m.insert(name.to_string(), Arc::new(f));
        }
    };
    // internal helpers of the rewrite pass
    add(FIELD_FN, |a| {
        let mut v = arg(a, 0, FIELD_FN)?.clone();
        for name in &a[1..] {
            v = resolve_field(&v, name.as_str().unwrap_or("")).map_err(err)?;
        }
        Ok(v)
    });
    add(PRINT_FN, |a| match arg(a, 0, PRINT_FN)? {
        Value::Nil => Ok(Value::Nil),
        Value::String(x) => Ok(Value::String(x.clone())),
        other => Ok(s(sprint(other))),
    });
    // Go builtin override: a map[string]string yields "" for a missing key
    add("index", |a| {
        let mut v = arg(a, 0, "index")?.clone();
        if a.len() < 2 {
            return Err(err("wrong number of args for index: want at least 2".into()));
        }
        for k in &a[1..] {
            let string_map = matches!(typed::tag_of(&v), Some(Tag::StrMap));
            v = match (&v, k) {
                (Value::Map(m), Value::String(key)) if string_map => {
                    m.get(&**key).cloned().unwrap_or_else(|| s(""))
                }
                _ => v.index(k)?,
            };
        }
        Ok(v)
    });
    // Istio
    add("formatDuration", |a| {
        Ok(s(format_duration(arg(a, 0, "formatDuration")?)))
    });
    add("isset", |a| {
        exact(a, 2, "isset")?;
        let key = string(&a[1], "isset")?;
        Ok(Value::Bool(
            str_map(&a[0], "isset")?.is_some_and(|m| m.contains_key(key.as_str())),
        ))
    });
    add("excludeInboundPort", |a| {
        exact(a, 2, "excludeInboundPort")?;
        Ok(s(exclude_inbound_port(
            &a[0],
            &string(&a[1], "excludeInboundPort")?,
        )))
    });
    add("includeInboundPorts", |a| {
        Ok(s(container_ports(arg(a, 0, "includeInboundPorts")?, false)))
    });
    add("applicationPorts", |a| {
        Ok(s(container_ports(arg(a, 0, "applicationPorts")?, true)))
    });
    add("kubevirtInterfaces", |a| {
        Ok(s(string(
            arg(a, 0, "kubevirtInterfaces")?,
            "kubevirtInterfaces",
        )?))
    });
    add("excludeInterfaces", |a| {
        Ok(s(string(
            arg(a, 0, "excludeInterfaces")?,
            "excludeInterfaces",
        )?))
    });
    add("annotation", |a| {
        exact(a, 3, "annotation")?;
        let name = string(&a[1], "annotation")?;
        let ann = resolve_field(&a[0], "Annotations").map_err(err)?;
        match ann.field(&name) {
            Some(v) => Ok(s(strval(v))),
            None => Ok(s(sprint(&a[2]))),
        }
    });
    add("valueOrDefault", |a| {
        exact(a, 2, "valueOrDefault")?;
        Ok(match &a[0] {
            Value::Nil => a[1].clone(),
            Value::String(x) if x.is_empty() => a[1].clone(),
            v => v.clone(),
        })
    });
    add("toJSON", |a| match arg(a, 0, "toJSON")? {
        Value::Nil => Ok(s("{}")),
        v => Ok(s(marshal(v))),
    });
    add("fromJSON", |a| {
        let text = string(arg(a, 0, "fromJSON")?, "fromJSON")?;
        Ok(match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(j) => untyped(&j, true),
            Err(_) => s("{}"),
        })
    });
    add("structToJSON", |a| match arg(a, 0, "structToJSON")? {
        Value::Nil => Ok(s("{}")),
        v => Ok(s(marshal(v))),
    });
    add("protoToJSON", |a| {
        Ok(s(proto_to_json(arg(a, 0, "protoToJSON")?)))
    });
    add("toYaml", |a| {
        Ok(s(crate::goyaml::to_yaml(&to_go_json(arg(a, 0, "toYaml")?))))
    });
    add("indent", |a| {
        exact(a, 2, "indent")?;
        Ok(s(pad_lines_after_first(
            int(&a[0], "indent")?,
            &string(&a[1], "indent")?,
        )))
    });
    add("directory", |a| {
        let p = string(arg(a, 0, "directory")?, "directory")?;
        Ok(s(p.rfind('/').map_or("", |i| &p[..=i])))
    });
    add("contains", |a| {
        exact(a, 2, "contains")?;
        Ok(Value::Bool(
            string(&a[1], "contains")?.contains(&string(&a[0], "contains")?),
        ))
    });
    add("toLower", |a| {
        Ok(s(string(arg(a, 0, "toLower")?, "toLower")?.to_lowercase()))
    });
    add("appendMultusNetwork", |a| {
        exact(a, 2, "appendMultusNetwork")?;
        Ok(s(append_multus_network(
            &string(&a[0], "appendMultusNetwork")?,
            &string(&a[1], "appendMultusNetwork")?,
        )))
    });
    add("env", |a| {
        exact(a, 2, "env")?;
        let key = string(&a[0], "env")?;
        match std::env::var(&key) {
            Ok(v) if !v.is_empty() => Ok(s(v)),
            _ => Ok(s(string(&a[1], "env")?)),
        }
    });
    add("omit", |a| {
        let dict = str_map(arg(a, 0, "omit")?, "omit")?;
        let keys: Vec<String> = a[1..]
            .iter()
            .map(|k| string(k, "omit"))
            .collect::<Result<_, _>>()?;
        let out = dict
            .map(|d| {
                d.iter()
                    .filter(|(k, _)| !keys.iter().any(|x| x == &***k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(string_map(out))
    });
    add("strdict", |a| {
        let mut out = BTreeMap::new();
        for pair in a.chunks(2) {
            let key = string(&pair[0], "strdict")?;
            let val = match pair.get(1) {
                Some(v) => string(v, "strdict")?,
                None => String::new(),
            };
            out.insert(Arc::from(key.as_str()), s(val));
        }
        Ok(string_map(out))
    });
    add("toJsonMap", |a| match merge_maps(a, "toJsonMap")? {
        Some(m) => Ok(s(marshal(&Value::Map(Arc::new(m))))),
        None => Ok(s("null")),
    });
    add("mergeMaps", |a| {
        Ok(merge_maps(a, "mergeMaps")?.map_or(Value::Nil, string_map))
    });
    add("omitNil", |a| Ok(omit_nil(arg(a, 0, "omitNil")?)));
    add("otelResourceAttributes", |a| {
        Ok(s(otel_resource_attributes(a)?))
    });
    // sprig
    add("quote", |a| {
        Ok(s(a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| go_quote(&strval(v)))
            .collect::<Vec<_>>()
            .join(" ")))
    });
    add("default", |a| {
        let d = arg(a, 0, "default")?;
        match a.get(1) {
            Some(given) if !empty(given) => Ok(given.clone()),
            _ => Ok(d.clone()),
        }
    });
    add("nindent", |a| {
        exact(a, 2, "nindent")?;
        Ok(s(format!(
            "\n{}",
            sprig_indent(int(&a[0], "nindent")?, &string(&a[1], "nindent")?)
        )))
    });
    add("list", |a| Ok(Value::List(a.to_vec().into())));
    add("append", |a| {
        exact(a, 2, "append")?;
        match &a[0] {
            Value::List(l) => {
                let mut out = l.to_vec();
                out.push(a[1].clone());
                Ok(Value::List(out.into()))
            }
            other => Err(err(format!("cannot push on type {}", other.type_name()))),
        }
    });
    add("join", |a| {
        exact(a, 2, "join")?;
        let sep = string(&a[0], "join")?;
        let parts: Vec<String> = match &a[1] {
            Value::Nil => Vec::new(),
            Value::List(l) => l
                .iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(strval)
                .collect(),
            other => vec![strval(other)],
        };
        Ok(s(parts.join(&sep)))
    });
    add("trunc", |a| {
        exact(a, 2, "trunc")?;
        let (c, text) = (int(&a[0], "trunc")?, string(&a[1], "trunc")?);
        let b = text.as_bytes();
        let n = b.len() as i64;
        let out = if c < 0 && n + c > 0 {
            &b[(n + c) as usize..]
        } else if c >= 0 && n > c {
            &b[..c as usize]
        } else {
            b
        };
        Ok(s(String::from_utf8_lossy(out).into_owned()))
    });
    add("trimAll", |a| {
        exact(a, 2, "trimAll")?;
        let cut: Vec<char> = string(&a[0], "trimAll")?.chars().collect();
        Ok(s(
            string(&a[1], "trimAll")?.trim_matches(|c| cut.contains(&c))
        ))
    });
    m
}
