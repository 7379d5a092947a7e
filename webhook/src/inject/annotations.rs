//! Validation of the pod annotations that steer injection
//! (`traffic.sidecar.istio.io/*`, `sidecar.istio.io/*`, …), done before any
//! template runs so a bad value refuses the pod instead of reaching
//! `mesh-init` or the proxy.
//!
//! Messages follow Istio's wording so operators can search for them; every
//! invalid annotation of the pod is reported, sorted by name.

use std::net::IpAddr;

use serde_json::Value;

use super::pod;

/// Checks of values whose grammar lives elsewhere in the crate (resource
/// quantities, ProxyConfig documents), supplied by the engine.
pub trait ExternalChecks {
    fn quantity(&self, value: &str) -> Result<(), String>;
    fn proxy_config(&self, value: &str) -> Result<(), String>;
}

/// Every invalid annotation of a pod.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{}", .0.join("; "))]
pub struct InvalidAnnotations(pub Vec<String>);

#[derive(Clone, Copy)]
enum Kind {
    InterceptionMode,
    StatusPort,
    UInt32,
    IncludeIpRanges,
    ExcludeIpRanges,
    IncludeInboundPorts,
    PortList(&'static str),
    Interfaces,
    Bool,
    ProxyConfig,
    Quantity,
}

const VALIDATED: [(&str, Kind); 19] = [
    ("sidecar.istio.io/interceptionMode", Kind::InterceptionMode),
    ("status.sidecar.istio.io/port", Kind::StatusPort),
    (
        "readiness.status.sidecar.istio.io/initialDelaySeconds",
        Kind::UInt32,
    ),
    (
        "readiness.status.sidecar.istio.io/periodSeconds",
        Kind::UInt32,
    ),
    (
        "readiness.status.sidecar.istio.io/failureThreshold",
        Kind::UInt32,
    ),
    (
        "traffic.sidecar.istio.io/includeOutboundIPRanges",
        Kind::IncludeIpRanges,
    ),
    (
        "traffic.sidecar.istio.io/excludeOutboundIPRanges",
        Kind::ExcludeIpRanges,
    ),
    (
        "traffic.sidecar.istio.io/includeInboundPorts",
        Kind::IncludeInboundPorts,
    ),
    (
        "traffic.sidecar.istio.io/excludeInboundPorts",
        Kind::PortList("excludeInboundPorts"),
    ),
    (
        "traffic.sidecar.istio.io/excludeOutboundPorts",
        Kind::PortList("excludeOutboundPorts"),
    ),
    (
        "traffic.sidecar.istio.io/excludeInterfaces",
        Kind::Interfaces,
    ),
    (
        "traffic.sidecar.istio.io/kubevirtInterfaces",
        Kind::Interfaces,
    ),
    ("istio.io/reroute-virtual-interfaces", Kind::Interfaces),
    ("prometheus.istio.io/merge-metrics", Kind::Bool),
    ("proxy.istio.io/config", Kind::ProxyConfig),
    ("sidecar.istio.io/proxyCPU", Kind::Quantity),
    ("sidecar.istio.io/proxyMemory", Kind::Quantity),
    ("sidecar.istio.io/proxyCPULimit", Kind::Quantity),
    ("sidecar.istio.io/proxyMemoryLimit", Kind::Quantity),
];

/// Validates every steering annotation of `pod`.
pub fn validate(pod: &Value, external: &dyn ExternalChecks) -> Result<(), InvalidAnnotations> {
    let Some(annotations) = pod::meta_map(pod, "annotations") else {
        return Ok(());
    };
    let mut errors: Vec<(String, String)> = Vec::new();
    for (name, kind) in VALIDATED {
        let Some(value) = annotations.get(name) else {
            continue;
        };
        let value = value.as_str().unwrap_or("");
        if let Err(e) = check(kind, value, external) {
            errors.push((
                name.to_string(),
                format!("invalid value '{value}' for annotation '{name}': {e}"),
            ));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort();
    Err(InvalidAnnotations(
        errors.into_iter().map(|(_, e)| e).collect(),
    ))
}

fn check(kind: Kind, value: &str, external: &dyn ExternalChecks) -> Result<(), String> {
    match kind {
        Kind::InterceptionMode => match value {
            "REDIRECT" | "TPROXY" | "NONE" => Ok(()),
            _ => Err(format!(
                "interceptionMode invalid, use REDIRECT,TPROXY,NONE: {value}"
            )),
        },
        Kind::StatusPort => parse_port(value)
            .map(drop)
            .map_err(|e| format!("excludeInboundPorts invalid: {e}")),
        Kind::UInt32 => value
            .parse::<u32>()
            .map(drop)
            .map_err(|e| format!("parsing {value:?}: {e}")),
        Kind::IncludeIpRanges if value == "*" => Ok(()),
        Kind::IncludeIpRanges => {
            cidr_list(value).map_err(|e| format!("includeIPRanges invalid: {e}"))
        }
        Kind::ExcludeIpRanges => {
            cidr_list(value).map_err(|e| format!("excludeIPRanges invalid: {e}"))
        }
        Kind::IncludeInboundPorts if value == "*" => Ok(()),
        Kind::IncludeInboundPorts => {
            port_list(value).map_err(|e| format!("includeInboundPorts invalid: {e}"))
        }
        Kind::PortList(what) => port_list(value).map_err(|e| format!("{what} invalid: {e}")),
        Kind::Interfaces => interfaces(value),
        Kind::Bool => super::probes::parse_go_bool(value)
            .map(drop)
            .ok_or_else(|| format!("parsing {value:?}: invalid syntax")),
        Kind::ProxyConfig => external.proxy_config(value),
        Kind::Quantity => {
            if value.chars().any(char::is_control) {
                return Err("value contains control characters".into());
            }
            external.quantity(value)
        }
    }
}

/// A port as Istio parses it: decimal, surrounding spaces allowed, 0–65535.
pub fn parse_port(s: &str) -> Result<u16, String> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("failed parsing port '{s}': invalid syntax"));
    }
    t.parse::<u16>()
        .map_err(|_| format!("failed parsing port '{s}': value out of range"))
}

fn port_list(s: &str) -> Result<(), String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(());
    }
    for p in t.split(',') {
        parse_port(p).map_err(|e| format!("failed parsing port '{p}': {e}"))?;
    }
    Ok(())
}

fn cidr_list(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    for c in s.split(',') {
        parse_prefix(c).map_err(|e| format!("failed parsing cidr '{c}': {e}"))?;
    }
    Ok(())
}

/// Go's `netip.ParsePrefix`: an address, `/`, and a decimal length without
/// sign or leading zeros, within the family's width. Host bits may be set.
pub fn parse_prefix(s: &str) -> Result<(IpAddr, u8), String> {
    let (addr, bits) = s
        .split_once('/')
        .ok_or_else(|| format!("netip.ParsePrefix({s:?}): no '/'"))?;
    let ip: IpAddr = addr.parse().map_err(|_| {
        format!("netip.ParsePrefix({s:?}): ParseAddr({addr:?}): unable to parse IP")
    })?;
    let bad_bits = || format!("netip.ParsePrefix({s:?}): bad bits after slash: {bits:?}");
    if bits.is_empty()
        || !bits.bytes().all(|b| b.is_ascii_digit())
        || (bits.len() > 1 && bits.starts_with('0'))
    {
        return Err(bad_bits());
    }
    let n: u8 = bits.parse().map_err(|_| bad_bits())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if n > max {
        return Err(bad_bits());
    }
    Ok((ip, n))
}

fn interfaces(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    for iface in s.split(',').map(str::trim) {
        if iface.is_empty() {
            return Err("empty interface name".into());
        }
        if iface.len() > 15 {
            return Err(format!("interface name {iface:?} too long (max 15 chars)"));
        }
        let mut chars = iface.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            return Err(format!(
                "interface name {iface:?} contains invalid characters"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct NoExternal;
    impl ExternalChecks for NoExternal {
        fn quantity(&self, v: &str) -> Result<(), String> {
            if v == "bad" {
                Err("quantities must match the regular expression".into())
            } else {
                Ok(())
            }
        }
        fn proxy_config(&self, _: &str) -> Result<(), String> {
            Ok(())
        }
    }

    fn pod(annotations: Value) -> Value {
        json!({"metadata": {"annotations": annotations}})
    }

    #[test]
    fn wildcard_is_only_valid_for_includes() {
        assert!(validate(
            &pod(json!({"traffic.sidecar.istio.io/includeOutboundIPRanges": "*"})),
            &NoExternal
        )
        .is_ok());
        let e = validate(
            &pod(json!({"traffic.sidecar.istio.io/excludeOutboundIPRanges": "*"})),
            &NoExternal,
        )
        .unwrap_err();
        assert!(
            e.to_string().to_lowercase().contains("excludeipranges"),
            "{e}"
        );
    }

    #[test]
    fn port_lists_reject_out_of_range_and_words() {
        for bad in ["65536", "abc", "80,", "-1"] {
            let p = pod(json!({"traffic.sidecar.istio.io/excludeInboundPorts": bad}));
            let e = validate(&p, &NoExternal).unwrap_err().to_string();
            assert!(e.contains("excludeInboundPorts invalid"), "{bad}: {e}");
        }
        assert!(validate(
            &pod(json!({"traffic.sidecar.istio.io/includeInboundPorts": " 80,443 "})),
            &NoExternal
        )
        .is_ok());
    }

    #[test]
    fn prefixes_follow_go_rules() {
        assert!(parse_prefix("10.0.0.1/24").is_ok());
        assert!(parse_prefix("::1/128").is_ok());
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/08",
            "10.0.0.256/8",
            "fe80::1%eth0/64",
            "10.0.0.0/+8",
        ] {
            assert!(parse_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_invalid_annotation_is_reported_in_name_order() {
        let p = pod(json!({
            "sidecar.istio.io/proxyCPU": "bad",
            "sidecar.istio.io/interceptionMode": "MAGIC",
            "traffic.sidecar.istio.io/excludeInterfaces": "1eth",
        }));
        let e = validate(&p, &NoExternal).unwrap_err();
        assert_eq!(e.0.len(), 3);
        assert!(e.0[0].contains("sidecar.istio.io/interceptionMode"));
        assert!(e.0[1].contains("sidecar.istio.io/proxyCPU"));
        assert!(e.0[2].contains("contains invalid characters"));
    }
}
