//! The checks Istio runs on a mesh config after applying the `mesh` YAML
//! (`agent.ValidateMeshConfig`), for the fields the injector and the proxy bootstrap depend
//! on: listen and proxy ports, connect and protocol-detection timeouts, the default
//! ProxyConfig (paths, service cluster, drain duration, discovery and collector addresses,
//! auth policy, private key provider) and the trust domain and its aliases.
//!
//! Not checked (Istio checks them, they never affect injection): locality and zone-aware load
//! balancing, TLS settings and defaults, service settings, default traffic and retry policies,
//! connection settings.

use serde_json::Value;

use super::error::ConfigError;
use super::mesh::MeshConfig;
use super::proto::duration::Duration;
use super::selector::dns_label;

const MS: i128 = 1_000_000;
const SECOND: i128 = 1_000_000_000;
const HOUR: i128 = 3600 * SECOND;

/// Validates `mesh`; all problems are reported together.
pub(crate) fn validate_mesh(mesh: &MeshConfig) -> Result<(), ConfigError> {
    let msg = mesh.message();
    let mut errs: Vec<String> = Vec::new();
    let int = |v: &Value, key: &str| v.get(key).and_then(Value::as_i64).unwrap_or(0);
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let root = Value::Object(msg.clone());

    if let Err(e) = port(int(&root, "proxyListenPort")) {
        errs.push(format!("proxyListenPort: {e}"));
    }
    let connect = duration(&root, "connectTimeout");
    if let Err(e) = plain_duration(connect).and_then(|_| {
        if !(MS..=HOUR).contains(&connect) {
            Err("must be between 1ms and 1h".to_string())
        } else {
            Ok(())
        }
    }) {
        errs.push(format!("connectTimeout: {e}"));
    }
    let detection = duration(&root, "protocolDetectionTimeout");
    if detection != 0 && detection % MS != 0 {
        errs.push("protocolDetectionTimeout: only durations to ms precision are supported".into());
    }

    match root.get("defaultConfig") {
        None => errs.push("defaultConfig: missing default config".into()),
        Some(pc) => {
            let mut pc_err = |e: String| errs.push(format!("defaultConfig.{e}"));
            if text(pc, "configPath").is_empty() {
                pc_err("configPath: config path must be set".into());
            }
            if text(pc, "binaryPath").is_empty() {
                pc_err("binaryPath: binary path must be set".into());
            }
            match (pc.get("serviceCluster"), pc.get("tracingServiceName")) {
                (Some(Value::String(s)), _) if s.is_empty() => {
                    pc_err("serviceCluster: service cluster must be specified".into())
                }
                (None, None) => pc_err(
                    "serviceCluster: oneof service cluster or tracing service name must be specified"
                        .into(),
                ),
                _ => {}
            }
            let drain = duration(pc, "drainDuration");
            if let Err(e) = plain_duration(drain) {
                pc_err(format!("drainDuration: {e}"));
            } else if drain % SECOND != 0 {
                pc_err(
                    "drainDuration: drain time only supports durations to seconds precision".into(),
                );
            }
            let discovery = text(pc, "discoveryAddress");
            if discovery.is_empty() {
                pc_err("discoveryAddress: discovery address must be set to the proxy discovery service".into());
            } else if let Err(e) = proxy_address(&discovery) {
                pc_err(format!("discoveryAddress: {e}"));
            }
            for key in ["statsdUdpAddress", "envoyMetricsServiceAddress"] {
                let addr = text(pc, key);
                if !addr.is_empty() {
                    if let Err(e) = proxy_address(&addr) {
                        pc_err(format!("{key}: {e}"));
                    }
                }
            }
            for key in ["envoyMetricsService", "envoyAccessLogService"] {
                let addr = pc.get(key).map(|s| text(s, "address")).unwrap_or_default();
                if !addr.is_empty() {
                    if let Err(e) = proxy_address(&addr) {
                        pc_err(format!("{key}.address: {e}"));
                    }
                }
            }
            if let Some(tracing) = pc.get("tracing") {
                for tracer in ["lightstep", "zipkin", "datadog"] {
                    if let Some(t) = tracing.get(tracer) {
                        let addr = text(t, "address");
                        let res = if addr.is_empty() {
                            Err("address is required".to_string())
                        } else {
                            proxy_address(&addr)
                        };
                        if let Err(e) = res {
                            pc_err(format!("tracing.{tracer}.address: {e}"));
                        }
                    }
                }
            }
            if let Err(e) = port(int(pc, "proxyAdminPort")) {
                pc_err(format!("proxyAdminPort: {e}"));
            }
            match pc.get("controlPlaneAuthPolicy") {
                None => {}
                Some(Value::String(p)) if p == "MUTUAL_TLS" || p == "NONE" => {}
                Some(other) => pc_err(format!(
                    "controlPlaneAuthPolicy: unrecognized control plane auth policy {other}"
                )),
            }
            if let Err(e) = port(int(pc, "statusPort")) {
                pc_err(format!("statusPort: {e}"));
            }
            if let Some(pkp) = pc.get("privateKeyProvider") {
                let provider = pkp.get("cryptomb").or_else(|| pkp.get("qat"));
                match provider {
                    None => pc_err("privateKeyProvider: unknown private key provider".into()),
                    Some(p) => match p.get("pollDelay") {
                        None => pc_err("privateKeyProvider: pollDelay is required".into()),
                        Some(_) if duration(p, "pollDelay") == 0 => {
                            pc_err("privateKeyProvider: pollDelay must be non zero".into())
                        }
                        _ => {}
                    },
                }
            }
        }
    }

    if let Err(e) = trust_domain(mesh.trust_domain()) {
        errs.push(format!("trustDomain: {e}"));
    }
    for (i, alias) in root
        .get("trustDomainAliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Err(e) = trust_domain(alias.as_str().unwrap_or("")) {
            errs.push(format!("trustDomainAliases[{i}]: {e}"));
        }
    }

    if errs.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::invalid("mesh", errs.join("; ")))
    }
}

fn duration(v: &Value, key: &str) -> i128 {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| Duration::parse(s).ok())
        .map_or(0, |d| d.total_nanos())
}

/// Istio's `ValidateDuration`: at least 1ms, whole milliseconds.
fn plain_duration(nanos: i128) -> Result<(), String> {
    if nanos < MS {
        Err("duration must be greater than 1ms".into())
    } else if nanos % MS != 0 {
        Err("only durations to ms precision are supported".into())
    } else {
        Ok(())
    }
}

fn port(p: i64) -> Result<(), String> {
    if (1..=65535).contains(&p) {
        Ok(())
    } else {
        Err(format!("port number {p} must be in the range 1..65535"))
    }
}

/// `host:port` where host is a DNS name or an IP address.
fn proxy_address(addr: &str) -> Result<(), String> {
    let (host, port_text) =
        split_host_port(addr).ok_or_else(|| format!("unable to split {addr:?}"))?;
    let p: i64 = port_text
        .parse()
        .map_err(|_| format!("port ({port_text}) is not a number"))?;
    port(p)?;
    if fqdn(host) || host.parse::<std::net::IpAddr>().is_ok() {
        Ok(())
    } else {
        Err(format!("{host:?} is not a valid hostname or an IP address"))
    }
}

fn split_host_port(addr: &str) -> Option<(&str, &str)> {
    if let Some(rest) = addr.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        return Some((host, tail.strip_prefix(':')?));
    }
    let (host, port) = addr.rsplit_once(':')?;
    (!host.contains(':')).then_some((host, port))
}

fn fqdn(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.last().is_some_and(|tld| tld.parse::<i64>().is_ok()) {
        return false;
    }
    parts
        .iter()
        .enumerate()
        .all(|(i, label)| (i == parts.len() - 1 && label.is_empty()) || dns_label(label))
}

fn trust_domain(domain: &str) -> Result<(), String> {
    if domain.is_empty() {
        return Err("empty domain name not allowed".into());
    }
    let parts: Vec<&str> = domain.split('.').collect();
    let ok = parts
        .iter()
        .enumerate()
        .all(|(i, label)| (i == parts.len() - 1 && label.is_empty()) || dns_label(label));
    if ok {
        Ok(())
    } else {
        Err(format!("trust domain name {domain:?} invalid"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(yaml: &str) -> String {
        MeshConfig::parse(yaml).unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_valid() {
        assert!(validate_mesh(&MeshConfig::defaults()).is_ok());
    }

    #[test]
    fn rejects_what_istio_rejects() {
        assert!(err_of("proxyListenPort: 0").contains("proxyListenPort: port number 0"));
        assert!(err_of("connectTimeout: 2h").contains("connectTimeout"));
        assert!(err_of("defaultConfig: {drainDuration: 1500ms}").contains("seconds precision"));
        assert!(err_of("defaultConfig: {discoveryAddress: nohost}").contains("discoveryAddress"));
        assert!(err_of("defaultConfig: {statusPort: 70000}").contains("defaultConfig.statusPort"));
        assert!(err_of("trustDomain: Bad_Domain").contains("trustDomain"));
        assert!(err_of("defaultConfig: {tracing: {zipkin: {}}}").contains("address is required"));
    }

    #[test]
    fn accepts_ip_and_dns_addresses() {
        assert!(proxy_address("10.0.0.1:15012").is_ok());
        assert!(proxy_address("[::1]:15012").is_ok());
        assert!(proxy_address("istiod.istio-system.svc:15012").is_ok());
        assert!(proxy_address("istiod:0").is_err());
    }
}
