//! Istio's own template functions whose logic goes beyond a line (`pkg/kube/inject/template.go`):
//! port lists, Multus networks, OpenTelemetry resource attributes, `omitNil`, durations.

use super::funcs::{err, exact, string};
use super::gofmt::sprint;
use super::rewrite::resolve_field;
use super::typed;
use gotmpl::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) fn container_ports(containers: &Value, skip_proxy: bool) -> String {
    let mut parts = Vec::new();
    if let Value::List(cs) = containers {
        for c in cs.iter() {
            if skip_proxy && c.field("Name").and_then(Value::as_str) == Some("istio-proxy") {
                continue;
            }
            if let Some(Value::List(ports)) = c.field("Ports") {
                for p in ports.iter() {
                    let proto = p.field("Protocol").and_then(Value::as_str).unwrap_or("");
                    if proto == "UDP" || proto == "SCTP" {
                        continue;
                    }
                    parts.push(sprint(p.field("ContainerPort").unwrap_or(&Value::Int(0))));
                }
            }
        }
    }
    parts.join(",")
}

pub(super) fn exclude_inbound_port(port: &Value, excluded: &str) -> String {
    let port = sprint(port).trim().to_string();
    if port.is_empty() || port == "0" {
        return excluded.to_string();
    }
    let mut out = Vec::new();
    for p in excluded.split(',') {
        if p == port {
            return excluded.to_string();
        }
        let p = p.trim();
        if !p.is_empty() {
            out.push(p.to_string());
        }
    }
    out.push(port);
    out.join(",")
}

pub(super) fn append_multus_network(existing: &str, network: &str) -> String {
    if existing.is_empty() {
        return network.to_string();
    }
    if let Some(i) = existing.rfind(']') {
        let Ok(nets) =
            serde_json::from_str::<Vec<serde_json::Map<String, serde_json::Value>>>(existing)
        else {
            return existing.to_string();
        };
        let (ns, name) = network.split_once('/').unwrap_or(("", network));
        for net in &nets {
            if net.get("name").and_then(|n| n.as_str()) == Some(name) {
                let net_ns = match net.get("namespace") {
                    None | Some(serde_json::Value::Null) => Some(""),
                    Some(v) => v.as_str(),
                };
                if net_ns == Some(ns) {
                    return existing.to_string();
                }
            }
        }
        let add = if ns.is_empty() {
            format!(", {{\"name\": \"{name}\"}}")
        } else {
            format!(", {{\"name\": \"{name}\", \"namespace\": \"{ns}\"}}")
        };
        return format!("{}{add}{}", &existing[..i], &existing[i..]);
    }
    if existing.split(',').any(|n| n.trim() == network) {
        return existing.to_string();
    }
    format!("{existing}, {network}")
}

pub(super) fn image_tag_digest(image: &str) -> (String, String) {
    let (image, digest) = match image.find('@') {
        Some(i) => (&image[..i], image[i + 1..].to_string()),
        None => (image, String::new()),
    };
    let slash = image.rfind('/').map_or(-1, |i| i as i64);
    let tag = match image.rfind(':') {
        Some(c) if c as i64 > slash => image[c + 1..].to_string(),
        _ => String::new(),
    };
    (tag, digest)
}

pub(super) fn otel_resource_attributes(args: &[Value]) -> gotmpl::Result<String> {
    exact(args, 5, "otelResourceAttributes")?;
    let providers = match resolve_field(&args[0], "ExtensionProviders").map_err(err)? {
        Value::List(l) => l.to_vec(),
        _ => Vec::new(),
    };
    let enabled = providers.iter().any(|p| {
        let otel = p
            .field("Opentelemetry")
            .or_else(|| p.field("Provider").and_then(|x| x.field("Opentelemetry")));
        matches!(
            otel.and_then(|o| o.field("ServiceAttributeEnrichment")),
            Some(Value::String(e)) if &**e == "OTEL_SEMANTIC_CONVENTIONS"
        ) || matches!(
            otel.and_then(|o| o.field("ServiceAttributeEnrichment")),
            Some(Value::Int(1))
        )
    });
    if !enabled {
        return Ok(String::new());
    }
    let get = |m: &Value, k: &str| -> String {
        m.field(k).and_then(Value::as_str).unwrap_or("").to_string()
    };
    let (ann, labels, ns) = (
        &args[1],
        &args[2],
        string(&args[3], "otelResourceAttributes")?,
    );
    let containers = match &args[4] {
        Value::List(l) => l.to_vec(),
        _ => Vec::new(),
    };
    let mut attrs = Vec::new();
    let v = get(ann, "resource.opentelemetry.io/service.namespace");
    if !v.is_empty() {
        attrs.push(format!("service.namespace={v}"));
    } else if !ns.is_empty() {
        attrs.push(format!("service.namespace={ns}"));
    }
    let (av, lv) = (
        get(ann, "resource.opentelemetry.io/service.version"),
        get(labels, "app.kubernetes.io/version"),
    );
    if !av.is_empty() {
        attrs.push(format!("service.version={av}"));
    } else if !lv.is_empty() {
        attrs.push(format!("service.version={lv}"));
    } else if containers.len() == 1 {
        let (tag, digest) = image_tag_digest(&get(&containers[0], "Image"));
        match (tag.is_empty(), digest.is_empty()) {
            (false, false) => attrs.push(format!("service.version={tag}@{digest}")),
            (true, false) => attrs.push(format!("service.version={digest}")),
            (false, true) => attrs.push(format!("service.version={tag}")),
            (true, true) => {}
        }
    }
    let id = get(ann, "resource.opentelemetry.io/service.instance.id");
    if !id.is_empty() {
        attrs.push(format!("service.instance.id={id}"));
    } else if let Some(first) = containers.first() {
        attrs.push(format!(
            "service.instance.id={ns}.$(POD_NAME).{}",
            get(first, "Name")
        ));
    }
    Ok(attrs.join(","))
}

/// Istio's `omitNil`: drops nil entries from `map[string]any` and `[]any`, recursively; a collection
/// left empty by that becomes nil. Collections without nil are returned untouched.
pub(super) fn omit_nil(v: &Value) -> Value {
    fn has_nil(v: &Value) -> bool {
        match v {
            Value::Nil => true,
            Value::Map(m) if typed::tag_of(v).is_none() => m.values().any(has_nil),
            Value::List(l) => l.iter().any(has_nil),
            _ => false,
        }
    }
    if !has_nil(v) {
        return v.clone();
    }
    match v {
        Value::Map(m) => {
            let out: BTreeMap<Arc<str>, Value> = m
                .iter()
                .map(|(k, x)| (k.clone(), omit_nil(x)))
                .filter(|(_, x)| !matches!(x, Value::Nil))
                .collect();
            if out.is_empty() {
                Value::Nil
            } else {
                Value::Map(Arc::new(out))
            }
        }
        Value::List(l) => {
            let out: Vec<Value> = l
                .iter()
                .map(omit_nil)
                .filter(|x| !matches!(x, Value::Nil))
                .collect();
            if out.is_empty() {
                Value::Nil
            } else {
                Value::List(out.into())
            }
        }
        _ => Value::Nil,
    }
}

/// Go's `time.Duration.String` for a protobuf duration value.
pub(super) fn format_duration(v: &Value) -> String {
    let (secs, nanos) = match v {
        Value::Map(_) => (
            v.field("Seconds").and_then(Value::as_int).unwrap_or(0),
            v.field("Nanos").and_then(Value::as_int).unwrap_or(0),
        ),
        Value::String(x) => crate::config::proto::duration::Duration::parse(x)
            .map_or((0, 0), |d| (d.seconds, i64::from(d.nanos))),
        _ => (0, 0),
    };
    let total = secs as i128 * 1_000_000_000 + nanos as i128;
    if total == 0 {
        return "0s".into();
    }
    let neg = total < 0;
    let u = total.unsigned_abs();
    let body = if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        format!("{}{unit}", frac(u, div))
    } else {
        let (h, rem) = (u / 3_600_000_000_000, u % 3_600_000_000_000);
        let (m, rem) = (rem / 60_000_000_000, rem % 60_000_000_000);
        let sec = format!("{}s", frac(rem, 1_000_000_000));
        match (h, m) {
            (0, 0) => sec,
            (0, m) => format!("{m}m{sec}"),
            (h, m) => format!("{h}h{m}m{sec}"),
        }
    };
    format!("{}{body}", if neg { "-" } else { "" })
}

pub(super) fn frac(v: u128, div: u128) -> String {
    let (i, f) = (v / div, v % div);
    if f == 0 {
        return i.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{f:0width$}");
    format!("{i}.{}", f.trim_end_matches('0'))
}
