//! The validated, typed configuration of `mesh-init`, built from the parsed command line
//! ([`crate::cli::Cli`]) and the facts Istio takes from the machine ([`HostFacts`]).
//! Every bad value becomes a [`ConfigError`] naming the flag (or environment variable)
//! and the value; [`Config`]'s `Display` is the effective configuration for the log.

use std::fmt;
use std::time::Duration;

use ipnet::Ipv4Net;
use thiserror::Error;

use crate::cli::{Cli, Setting};

mod host;
mod values;

pub use host::{detect_ipv6, passwd_uid, resolv_conf_servers, HostFacts};
pub use values::{CidrList, DnsServer, Invalid, Item};

/// Istio's default proxy uid when `$ENVOY_USER` does not exist.
pub const DEFAULT_PROXY_UID: u32 = 1337;

/// How inbound connections reach the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterceptionMode {
    /// NAT `REDIRECT` to the inbound capture port (Istio's default, also for `""`).
    Redirect,
    /// Mangle-table `TPROXY`, keeping the original destination and source.
    Tproxy,
}

/// Which inbound ports are captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundPorts {
    /// `*`: every port, except the configured exclusions.
    All,
    /// These ports only; an empty list turns inbound capture off.
    Only(Vec<u16>),
}

/// Which outbound destinations are captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundRanges {
    /// `*`: every destination.
    All,
    /// These CIDRs only; an empty list captures no destination by range.
    Only(CidrList),
}

/// Whose outbound traffic is captured, by the process's group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerGroups {
    /// Every group except these (`ISTIO_OUTBOUND_OWNER_GROUPS=*`).
    AllExcept(Vec<String>),
    /// Only these groups.
    Only(Vec<String>),
}

/// The iptables backend forced by `--force-iptables-binary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IptablesBinary {
    Legacy,
    Nft,
}

/// A configuration that cannot be used; nothing has been written when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("invalid value {value:?} for {setting}: {reason}")]
    InvalidValue {
        setting: String,
        value: String,
        reason: Invalid,
    },
    #[error(
        "ISTIO_OUTBOUND_OWNER_GROUPS={include:?} and ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE={exclude:?} \
         are both set: the exclude list only applies when ISTIO_OUTBOUND_OWNER_GROUPS is \"*\""
    )]
    OwnerGroupsConflict { include: String, exclude: String },
    #[error(
        "--native-nftables is not supported: mesh-init programs iptables rules (drop the flag)"
    )]
    NativeNftables,
    #[error("cannot read /etc/resolv.conf for DNS capture (--redirect-dns): {0}")]
    ResolvConf(String),
    #[error("cannot tell whether the pod uses IPv6: {0}; pass --ipv6 or --no-ipv6")]
    Ipv6Detection(String),
}

/// Everything `mesh-init` needs to plan and apply the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Outbound capture port (`-p`, 15001).
    pub proxy_port: u16,
    /// Inbound capture port (`-z`, 15006).
    pub inbound_capture_port: u16,
    /// Inbound tunnel port, never captured (`-e`, 15008).
    pub inbound_tunnel_port: u16,
    /// Proxy uids, whose traffic is not captured (`-u`).
    pub proxy_uids: Vec<u32>,
    /// Proxy gids, whose traffic is not captured (`-g`).
    pub proxy_gids: Vec<u32>,
    pub interception_mode: InterceptionMode,
    /// Packet mark of TPROXY-intercepted traffic (`-t`, 1337).
    pub inbound_tproxy_mark: u32,
    /// Policy routing table of TPROXY-intercepted traffic (`-r`, 133).
    pub inbound_tproxy_route_table: u32,
    /// Captured inbound ports (`-b`).
    pub inbound_ports: InboundPorts,
    /// Inbound ports excluded when [`InboundPorts::All`] (`-d`).
    pub inbound_ports_exclude: Vec<u16>,
    /// Outbound ports always captured (`-q`).
    pub outbound_ports_include: Vec<u16>,
    /// Outbound ports never captured, TCP and UDP (`-o`).
    pub outbound_ports_exclude: Vec<u16>,
    /// Captured outbound destinations (`-i`).
    pub outbound_ranges_include: OutboundRanges,
    /// Outbound destinations never captured (`-x`).
    pub outbound_ranges_exclude: CidrList,
    pub owner_groups: OwnerGroups,
    /// Interfaces whose inbound traffic is treated as outbound (`-k`).
    pub kube_virt_interfaces: Vec<String>,
    /// Interfaces never captured (`-c`).
    pub exclude_interfaces: Vec<String>,
    /// The application's loopback range (`ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR`).
    pub ipv4_loopback_cidr: Ipv4Net,
    pub iptables_probe_port: u16,
    pub probe_timeout: Duration,
    pub dry_run: bool,
    pub skip_rule_apply: bool,
    pub run_validation: bool,
    /// `--redirect-dns` as given; see [`Config::dns_capture`] for its effect.
    pub redirect_dns: bool,
    pub capture_all_dns: bool,
    pub drop_invalid: bool,
    pub dual_stack: bool,
    /// Whether IPv6 rules are planned and applied.
    pub enable_ipv6: bool,
    /// IPv4 resolvers to capture, as written in the rules.
    pub dns_servers_v4: Vec<DnsServer>,
    /// IPv6 resolvers to capture, as written in the rules.
    pub dns_servers_v6: Vec<DnsServer>,
    /// Network namespace (path) to enter before applying; `None` for the current one.
    pub network_namespace: Option<String>,
    pub cni_mode: bool,
    pub reconcile: bool,
    pub cleanup_only: bool,
    pub force_apply: bool,
    pub force_iptables_binary: Option<IptablesBinary>,
}

fn invalid<T>(setting: &Setting<T>, value: &str) -> impl FnOnce(Invalid) -> ConfigError {
    let setting = setting.label();
    let value = value.to_string();
    move |reason| ConfigError::InvalidValue {
        setting,
        value,
        reason,
    }
}

/// Parse one string setting with `parse`, naming the setting in the error.
fn typed<T>(
    s: &Setting<String>,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<T, ConfigError> {
    // The error is only built on failure: labels cost formatting.
    parse(&s.value).map_err(|reason| invalid(s, &s.value)(reason))
}

impl Config {
    /// Validate `cli` and complete it with `host` facts, as Istio does: the proxy uid
    /// from `$ENVOY_USER`, IPv6 from the pod's addresses unless `--ipv6`/`--no-ipv6`,
    /// DNS servers from resolv.conf unless `--dns-servers` (only when DNS is captured by
    /// server address).
    pub fn from_cli(cli: &Cli, host: &dyn HostFacts) -> Result<Config, ConfigError> {
        if cli.native_nftables.value {
            return Err(ConfigError::NativeNftables);
        }
        let proxy_uids = match cli.proxy_uid.value.is_empty() {
            true => vec![host
                .user_uid(&cli.envoy_user.value)
                .unwrap_or(DEFAULT_PROXY_UID)],
            false => typed(&cli.proxy_uid, values::ids)?,
        };
        let proxy_gids = match cli.proxy_gid.value.is_empty() {
            true => proxy_uids.clone(),
            false => typed(&cli.proxy_gid, values::ids)?,
        };
        let interception_mode = typed(&cli.inbound_interception_mode, |m| match m {
            "" | "REDIRECT" => Ok(InterceptionMode::Redirect),
            "TPROXY" => Ok(InterceptionMode::Tproxy),
            _ => Err(Invalid::InterceptionMode),
        })?;
        let inbound_ports = typed(&cli.inbound_ports, |v| match v.trim() {
            "*" => Ok(InboundPorts::All),
            _ if values::split(v).contains(&"*") => Err(Invalid::WildcardNotAlone),
            _ => values::ports(v).map(InboundPorts::Only),
        })?;
        let outbound_ranges_include = typed(&cli.service_cidr, |v| match v.trim() {
            "*" => Ok(OutboundRanges::All),
            _ => values::cidrs(v).map(OutboundRanges::Only),
        })?;
        let outbound_ranges_exclude = typed(&cli.service_exclude_cidr, |v| {
            values::reject_wildcard(v)?;
            values::cidrs(v)
        })?;
        let enable_ipv6 = match cli.ipv6.value {
            Some(v) => v,
            None => {
                let addrs = host
                    .local_addrs()
                    .map_err(|e| ConfigError::Ipv6Detection(e.to_string()))?;
                detect_ipv6(&addrs, cli.dual_stack.value).ok_or_else(|| {
                    ConfigError::Ipv6Detection(
                        "no address that is not loopback or link-local".into(),
                    )
                })?
            }
        };
        let (dns_servers_v4, dns_servers_v6) = dns_servers(cli, host)?;
        let force_iptables_binary = typed(&cli.force_iptables_binary, |v| match v {
            "" => Ok(None),
            "legacy" => Ok(Some(IptablesBinary::Legacy)),
            "nft" => Ok(Some(IptablesBinary::Nft)),
            _ => Err(Invalid::IptablesBinary),
        })?;
        let probe_port = &cli.iptables_probe_port;
        if probe_port.value == 0 {
            return Err(invalid(probe_port, "0")(Invalid::PortOutOfRange(Item(
                None,
            ))));
        }
        Ok(Config {
            proxy_port: typed(&cli.envoy_port, values::port)?,
            inbound_capture_port: typed(&cli.inbound_capture_port, values::port)?,
            inbound_tunnel_port: typed(&cli.inbound_tunnel_port, values::port)?,
            proxy_uids,
            proxy_gids,
            interception_mode,
            inbound_tproxy_mark: typed(&cli.inbound_tproxy_mark, values::nonzero_u32)?,
            inbound_tproxy_route_table: typed(
                &cli.inbound_tproxy_route_table,
                values::nonzero_u32,
            )?,
            inbound_ports,
            inbound_ports_exclude: typed(&cli.local_exclude_ports, values::exclude_ports)?,
            outbound_ports_include: typed(&cli.outbound_ports, values::ports)?,
            outbound_ports_exclude: typed(
                &cli.local_outbound_ports_exclude,
                values::exclude_ports,
            )?,
            outbound_ranges_include,
            outbound_ranges_exclude,
            owner_groups: owner_groups(cli)?,
            kube_virt_interfaces: typed(&cli.kube_virt_interfaces, values::interfaces)?,
            exclude_interfaces: typed(&cli.exclude_interfaces, values::interfaces)?,
            ipv4_loopback_cidr: typed(&cli.ipv4_loopback_cidr, values::ipv4_loopback)?,
            iptables_probe_port: probe_port.value,
            probe_timeout: cli.probe_timeout.value,
            dry_run: cli.dry_run.value,
            skip_rule_apply: cli.skip_rule_apply.value,
            run_validation: cli.run_validation.value,
            redirect_dns: cli.redirect_dns.value,
            capture_all_dns: cli.capture_all_dns.value,
            drop_invalid: cli.drop_invalid.value,
            dual_stack: cli.dual_stack.value,
            enable_ipv6,
            dns_servers_v4,
            dns_servers_v6,
            network_namespace: Some(cli.network_namespace.value.clone()).filter(|n| !n.is_empty()),
            cni_mode: cli.cni_mode.value,
            reconcile: cli.reconcile.value,
            cleanup_only: cli.cleanup_only.value,
            force_apply: cli.force_apply.value,
            force_iptables_binary,
        })
    }

    /// Whether DNS is captured: `--redirect-dns`, and either `--capture-all-dns` or at
    /// least one resolver (Istio turns DNS capture off, with a warning, otherwise).
    pub fn dns_capture(&self) -> bool {
        self.redirect_dns
            && (self.capture_all_dns
                || !self.dns_servers_v4.is_empty()
                || !self.dns_servers_v6.is_empty())
    }
}

/// Resolvers split by family: `--dns-servers` verbatim, else resolv.conf when Istio
/// would read it (DNS redirected by server address), else none.
fn dns_servers(
    cli: &Cli,
    host: &dyn HostFacts,
) -> Result<(Vec<DnsServer>, Vec<DnsServer>), ConfigError> {
    let servers = match &cli.dns_servers.value {
        Some(list) => values::dns_servers(list).map_err(|r| invalid(&cli.dns_servers, list)(r))?,
        None if cli.redirect_dns.value && !cli.capture_all_dns.value => {
            let text = host
                .resolv_conf()
                .map_err(|e| ConfigError::ResolvConf(e.to_string()))?;
            resolv_conf_servers(&text)
        }
        None => Vec::new(),
    };
    Ok(servers.into_iter().partition(|s| s.addr.is_ipv4()))
}

/// Istio allows at most this many groups in an include list (one rule matches them all).
const MAX_OWNER_GROUPS_INCLUDE: usize = 64;

fn owner_groups(cli: &Cli) -> Result<OwnerGroups, ConfigError> {
    let (include, exclude) = (&cli.owner_groups_include, &cli.owner_groups_exclude);
    let excluded = typed(exclude, |v| {
        values::reject_wildcard(v)?;
        values::groups(v)
    })?;
    if include.value.trim() == "*" {
        return Ok(OwnerGroups::AllExcept(excluded));
    }
    if !excluded.is_empty() {
        return Err(ConfigError::OwnerGroupsConflict {
            include: include.value.clone(),
            exclude: exclude.value.clone(),
        });
    }
    let included = typed(include, values::groups)?;
    if included.len() > MAX_OWNER_GROUPS_INCLUDE {
        let count = included.len();
        return Err(invalid(include, &include.value)(Invalid::TooManyGroups(
            count,
        )));
    }
    Ok(OwnerGroups::Only(included))
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The effective configuration, one `NAME=value` line per variable, in the spirit of
/// Istio's configuration print (lists comma-separated, `*` for "all").
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.interception_mode {
            InterceptionMode::Redirect => "REDIRECT",
            InterceptionMode::Tproxy => "TPROXY",
        };
        let inbound = match &self.inbound_ports {
            InboundPorts::All => "*".to_string(),
            InboundPorts::Only(ports) => join(ports),
        };
        let ranges = match &self.outbound_ranges_include {
            OutboundRanges::All => "*".to_string(),
            OutboundRanges::Only(list) => list.to_string(),
        };
        let (groups_in, groups_out) = match &self.owner_groups {
            OwnerGroups::AllExcept(g) => ("*".to_string(), join(g)),
            OwnerGroups::Only(g) => (join(g), String::new()),
        };
        let binary = match self.force_iptables_binary {
            None => "",
            Some(IptablesBinary::Legacy) => "legacy",
            Some(IptablesBinary::Nft) => "nft",
        };
        let dns: Vec<&DnsServer> = self
            .dns_servers_v4
            .iter()
            .chain(&self.dns_servers_v6)
            .collect();
        let lines: [(&str, String); 38] = [
            ("PROXY_PORT", self.proxy_port.to_string()),
            (
                "PROXY_INBOUND_CAPTURE_PORT",
                self.inbound_capture_port.to_string(),
            ),
            ("PROXY_TUNNEL_PORT", self.inbound_tunnel_port.to_string()),
            ("PROXY_UID", join(&self.proxy_uids)),
            ("PROXY_GID", join(&self.proxy_gids)),
            ("INBOUND_INTERCEPTION_MODE", mode.to_string()),
            ("INBOUND_TPROXY_MARK", self.inbound_tproxy_mark.to_string()),
            (
                "INBOUND_TPROXY_ROUTE_TABLE",
                self.inbound_tproxy_route_table.to_string(),
            ),
            ("INBOUND_PORTS_INCLUDE", inbound),
            ("INBOUND_PORTS_EXCLUDE", join(&self.inbound_ports_exclude)),
            ("OUTBOUND_OWNER_GROUPS_INCLUDE", groups_in),
            ("OUTBOUND_OWNER_GROUPS_EXCLUDE", groups_out),
            ("OUTBOUND_IP_RANGES_INCLUDE", ranges),
            (
                "OUTBOUND_IP_RANGES_EXCLUDE",
                self.outbound_ranges_exclude.to_string(),
            ),
            ("OUTBOUND_PORTS_INCLUDE", join(&self.outbound_ports_include)),
            ("OUTBOUND_PORTS_EXCLUDE", join(&self.outbound_ports_exclude)),
            ("KUBE_VIRT_INTERFACES", self.kube_virt_interfaces.join(",")),
            ("EXCLUDE_INTERFACES", self.exclude_interfaces.join(",")),
            (
                "HOST_IPV4_LOOPBACK_CIDR",
                self.ipv4_loopback_cidr.to_string(),
            ),
            ("ENABLE_INBOUND_IPV6", self.enable_ipv6.to_string()),
            ("DUAL_STACK", self.dual_stack.to_string()),
            ("DNS_CAPTURE", self.redirect_dns.to_string()),
            ("DNS_CAPTURE_EFFECTIVE", self.dns_capture().to_string()),
            ("CAPTURE_ALL_DNS", self.capture_all_dns.to_string()),
            ("DNS_SERVERS", join(&dns)),
            ("DROP_INVALID", self.drop_invalid.to_string()),
            ("DRY_RUN", self.dry_run.to_string()),
            ("SKIP_RULE_APPLY", self.skip_rule_apply.to_string()),
            ("RUN_VALIDATION", self.run_validation.to_string()),
            ("IPTABLES_PROBE_PORT", self.iptables_probe_port.to_string()),
            ("PROBE_TIMEOUT", format!("{:?}", self.probe_timeout)),
            (
                "NETWORK_NAMESPACE",
                self.network_namespace.clone().unwrap_or_default(),
            ),
            ("CNI_MODE", self.cni_mode.to_string()),
            ("RECONCILE", self.reconcile.to_string()),
            ("CLEANUP_ONLY", self.cleanup_only.to_string()),
            ("FORCE_APPLY", self.force_apply.to_string()),
            ("FORCE_IPTABLES_BINARY", binary.to_string()),
            ("NATIVE_NFTABLES", "false".to_string()),
        ];
        for (name, value) in lines {
            writeln!(f, "{name}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
