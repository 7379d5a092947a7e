//! The table of settings: each flag's long and short name, environment variables in the
//! order they are applied, default (in the flag's own syntax), help, and where in
//! [`Cli`] its value lands. Names, short forms, variables and defaults are Istio's.

use super::{Cli, Slot};

/// One setting of the command line or environment.
#[derive(Debug)]
pub struct Spec {
    /// `--long` name; `None` for environment-only settings.
    pub long: Option<&'static str>,
    pub short: Option<char>,
    /// Environment variables, applied in order (the later wins).
    pub envs: &'static [&'static str],
    /// Default in flag syntax; `None` means "unset".
    pub default: Option<&'static str>,
    pub help: &'static str,
    /// Accepted but left out of `--help` (Istio's logging flags).
    pub hidden: bool,
    pub(crate) slot: fn(&mut Cli) -> Slot<'_>,
}

macro_rules! spec {
    ($id:ident, $long:expr, $short:expr, [$($env:expr),*], $default:expr, $help:expr, |$c:ident| $slot:expr) => {
        pub static $id: Spec = Spec {
            long: $long,
            short: $short,
            envs: &[$($env),*],
            default: $default,
            help: $help,
            hidden: false,
            slot: |$c| $slot,
        };
    };
}

spec!(
    ENVOY_PORT,
    Some("envoy-port"),
    Some('p'),
    [],
    Some("15001"),
    "port to which all outbound TCP traffic is redirected",
    |c| Slot::Str(&mut c.envoy_port)
);
spec!(
    INBOUND_CAPTURE_PORT,
    Some("inbound-capture-port"),
    Some('z'),
    ["INBOUND_CAPTURE_PORT"],
    Some("15006"),
    "port to which all inbound TCP traffic is redirected",
    |c| Slot::Str(&mut c.inbound_capture_port)
);
spec!(
    INBOUND_TUNNEL_PORT,
    Some("inbound-tunnel-port"),
    Some('e'),
    ["INBOUND_TUNNEL_PORT"],
    Some("15008"),
    "inbound tunnel port, never redirected",
    |c| Slot::Str(&mut c.inbound_tunnel_port)
);
spec!(
    PROXY_UID,
    Some("proxy-uid"),
    Some('u'),
    ["PROXY_UID"],
    Some(""),
    "comma-separated uids whose traffic is not redirected (default: uid of $ENVOY_USER, else 1337)",
    |c| Slot::Str(&mut c.proxy_uid)
);
spec!(
    PROXY_GID,
    Some("proxy-gid"),
    Some('g'),
    ["PROXY_GID"],
    Some(""),
    "comma-separated gids whose traffic is not redirected (default: the uids)",
    |c| Slot::Str(&mut c.proxy_gid)
);
spec!(
    INTERCEPTION_MODE,
    Some("istio-inbound-interception-mode"),
    Some('m'),
    ["ISTIO_INBOUND_INTERCEPTION_MODE"],
    Some(""),
    "inbound interception mode: REDIRECT (also when empty) or TPROXY",
    |c| Slot::Str(&mut c.inbound_interception_mode)
);
spec!(
    INBOUND_PORTS,
    Some("istio-inbound-ports"),
    Some('b'),
    ["ISTIO_INBOUND_PORTS"],
    Some(""),
    "comma-separated inbound ports to redirect, \"*\" for all, empty for none",
    |c| Slot::Str(&mut c.inbound_ports)
);
spec!(
    LOCAL_EXCLUDE_PORTS,
    Some("istio-local-exclude-ports"),
    Some('d'),
    ["ISTIO_LOCAL_EXCLUDE_PORTS"],
    Some(""),
    "comma-separated inbound ports not redirected when -b is \"*\"",
    |c| Slot::Str(&mut c.local_exclude_ports)
);
spec!(
    EXCLUDE_INTERFACES,
    Some("istio-exclude-interfaces"),
    Some('c'),
    ["ISTIO_EXCLUDE_INTERFACES"],
    Some(""),
    "comma-separated interfaces whose traffic is never captured",
    |c| Slot::Str(&mut c.exclude_interfaces)
);
spec!(
    SERVICE_CIDR,
    Some("istio-service-cidr"),
    Some('i'),
    ["ISTIO_SERVICE_CIDR"],
    Some(""),
    "comma-separated CIDRs whose outbound traffic is redirected, \"*\" for all, empty for none",
    |c| Slot::Str(&mut c.service_cidr)
);
spec!(
    SERVICE_EXCLUDE_CIDR,
    Some("istio-service-exclude-cidr"),
    Some('x'),
    ["ISTIO_SERVICE_EXCLUDE_CIDR"],
    Some(""),
    "comma-separated CIDRs whose outbound traffic is never redirected",
    |c| Slot::Str(&mut c.service_exclude_cidr)
);
spec!(
    OUTBOUND_PORTS,
    Some("istio-outbound-ports"),
    Some('q'),
    ["ISTIO_OUTBOUND_PORTS"],
    Some(""),
    "comma-separated outbound ports always redirected",
    |c| Slot::Str(&mut c.outbound_ports)
);
spec!(
    LOCAL_OUTBOUND_PORTS_EXCLUDE,
    Some("istio-local-outbound-ports-exclude"),
    Some('o'),
    ["ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE"],
    Some(""),
    "comma-separated outbound ports never redirected",
    |c| Slot::Str(&mut c.local_outbound_ports_exclude)
);
spec!(
    KUBE_VIRT_INTERFACES,
    Some("kube-virt-interfaces"),
    Some('k'),
    ["KUBE_VIRT_INTERFACES"],
    Some(""),
    "comma-separated virtual interfaces whose inbound traffic is treated as outbound",
    |c| Slot::Str(&mut c.kube_virt_interfaces)
);
spec!(
    TPROXY_MARK,
    Some("istio-inbound-tproxy-mark"),
    Some('t'),
    ["ISTIO_INBOUND_TPROXY_MARK"],
    Some("1337"),
    "packet mark of TPROXY-intercepted inbound traffic",
    |c| Slot::Str(&mut c.inbound_tproxy_mark)
);
spec!(
    TPROXY_ROUTE_TABLE,
    Some("istio-inbound-tproxy-route-table"),
    Some('r'),
    ["ISTIO_INBOUND_TPROXY_ROUTE_TABLE"],
    Some("133"),
    "routing table of TPROXY-intercepted inbound traffic",
    |c| Slot::Str(&mut c.inbound_tproxy_route_table)
);
spec!(
    DRY_RUN,
    Some("dry-run"),
    Some('n'),
    ["DRY_RUN"],
    Some("false"),
    "print the iptables-restore payloads instead of applying them",
    |c| Slot::Bool(&mut c.dry_run)
);
spec!(
    IPTABLES_PROBE_PORT,
    Some("iptables-probe-port"),
    None,
    ["IPTABLES_PROBE_PORT"],
    Some("15002"),
    "port the validation listens on",
    |c| Slot::U16(&mut c.iptables_probe_port)
);
spec!(
    PROBE_TIMEOUT,
    Some("probe-timeout"),
    None,
    ["PROBE_TIMEOUT"],
    Some("5s"),
    "validation timeout (Go duration)",
    |c| Slot::Duration(&mut c.probe_timeout)
);
spec!(
    SKIP_RULE_APPLY,
    Some("skip-rule-apply"),
    None,
    ["SKIP_RULE_APPLY"],
    Some("false"),
    "do not apply any rule",
    |c| Slot::Bool(&mut c.skip_rule_apply)
);
spec!(
    RUN_VALIDATION,
    Some("run-validation"),
    None,
    ["RUN_VALIDATION"],
    Some("false"),
    "check that redirection works; exit 126 if not",
    |c| Slot::Bool(&mut c.run_validation)
);
spec!(
    REDIRECT_DNS,
    Some("redirect-dns"),
    None,
    ["REDIRECT_DNS", "ISTIO_META_DNS_CAPTURE"],
    Some("false"),
    "capture DNS traffic to the agent on 15053",
    |c| Slot::Bool(&mut c.redirect_dns)
);
spec!(
    DROP_INVALID,
    Some("drop-invalid"),
    None,
    ["DROP_INVALID", "INVALID_DROP"],
    Some("false"),
    "drop packets in conntrack state INVALID",
    |c| Slot::Bool(&mut c.drop_invalid)
);
spec!(
    DUAL_STACK,
    Some("dual-stack"),
    None,
    ["DUAL_STACK", "ISTIO_DUAL_STACK"],
    Some("false"),
    "dual-stack pod (IPv6 detection prefers an IPv6 address)",
    |c| Slot::Bool(&mut c.dual_stack)
);
spec!(
    CAPTURE_ALL_DNS,
    Some("capture-all-dns"),
    None,
    ["CAPTURE_ALL_DNS"],
    Some("false"),
    "with --redirect-dns, capture all traffic to port 53, not only to the resolvers",
    |c| Slot::Bool(&mut c.capture_all_dns)
);
spec!(
    NETWORK_NAMESPACE,
    Some("network-namespace"),
    None,
    ["NETWORK_NAMESPACE"],
    Some(""),
    "network namespace (path) to program instead of the current one",
    |c| Slot::Str(&mut c.network_namespace)
);
spec!(
    CNI_MODE,
    Some("cni-mode"),
    None,
    ["CNI_MODE"],
    Some("false"),
    "run as part of a CNI plugin (pod-scoped xtables lock)",
    |c| Slot::Bool(&mut c.cni_mode)
);
spec!(
    RECONCILE,
    Some("reconcile"),
    None,
    ["RECONCILE"],
    Some("false"),
    "converge pre-existing, different ISTIO_* rules instead of failing",
    |c| Slot::Bool(&mut c.reconcile)
);
spec!(
    CLEANUP_ONLY,
    Some("cleanup-only"),
    None,
    ["CLEANUP_ONLY"],
    Some("false"),
    "remove every ISTIO_* chain and jump, add nothing",
    |c| Slot::Bool(&mut c.cleanup_only)
);
spec!(
    FORCE_APPLY,
    Some("force-apply"),
    None,
    ["FORCE_APPLY"],
    Some("false"),
    "apply even if the rules seem to be in place",
    |c| Slot::Bool(&mut c.force_apply)
);
spec!(
    NATIVE_NFTABLES,
    Some("native-nftables"),
    None,
    ["NATIVE_NFTABLES"],
    Some("false"),
    "Istio's native nftables mode (not supported by mesh-init)",
    |c| Slot::Bool(&mut c.native_nftables)
);
spec!(
    FORCE_IPTABLES_BINARY,
    Some("force-iptables-binary"),
    None,
    ["FORCE_IPTABLES_BINARY"],
    Some(""),
    "iptables backend to use: legacy or nft (default: detect)",
    |c| Slot::Str(&mut c.force_iptables_binary)
);
spec!(
    IPV6,
    Some("ipv6"),
    None,
    [],
    None,
    "program IPv6 rules too (default: detect from the pod's addresses)",
    |c| Slot::Tristate {
        target: &mut c.ipv6,
        negated: false
    }
);
spec!(
    NO_IPV6,
    Some("no-ipv6"),
    None,
    [],
    None,
    "do not program IPv6 rules",
    |c| Slot::Tristate {
        target: &mut c.ipv6,
        negated: true
    }
);
spec!(
    DNS_SERVERS,
    Some("dns-servers"),
    None,
    [],
    None,
    "comma-separated DNS servers to capture, used verbatim (default: /etc/resolv.conf)",
    |c| Slot::OptStr(&mut c.dns_servers)
);
spec!(
    OWNER_GROUPS,
    None,
    None,
    ["ISTIO_OUTBOUND_OWNER_GROUPS"],
    Some("*"),
    "comma-separated groups (names or gids) whose outbound traffic is redirected, \"*\" for all",
    |c| Slot::Str(&mut c.owner_groups_include)
);
spec!(
    OWNER_GROUPS_EXCLUDE,
    None,
    None,
    ["ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE"],
    Some(""),
    "comma-separated groups whose outbound traffic is not redirected (with \"*\" above)",
    |c| Slot::Str(&mut c.owner_groups_exclude)
);
spec!(
    IPV4_LOOPBACK_CIDR,
    None,
    None,
    ["ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR"],
    Some("127.0.0.1/32"),
    "IPv4 loopback CIDR of the application's local traffic (127.x.x.x, mask /8 to /32)",
    |c| Slot::Str(&mut c.ipv4_loopback_cidr)
);
spec!(
    ENVOY_USER,
    None,
    None,
    ["ENVOY_USER"],
    Some("istio-proxy"),
    "user whose uid is the default --proxy-uid",
    |c| Slot::Str(&mut c.envoy_user)
);

macro_rules! log_flag {
    ($id:ident, $long:expr, $boolean:expr) => {
        pub static $id: Spec = Spec {
            long: Some($long),
            short: None,
            envs: &[],
            default: None,
            help: "Istio agent logging flag, accepted without effect",
            hidden: true,
            slot: |_| Slot::Ignored { boolean: $boolean },
        };
    };
}

log_flag!(LOG_OUTPUT_LEVEL, "log_output_level", false);
log_flag!(LOG_AS_JSON, "log_as_json", true);
log_flag!(LOG_TARGET, "log_target", false);
log_flag!(LOG_STACKTRACE_LEVEL, "log_stacktrace_level", false);
log_flag!(LOG_CALLER, "log_caller", false);

/// Every setting, in the order Istio binds them (which is the order the environment
/// is applied in).
pub static SPECS: &[&Spec] = &[
    &ENVOY_PORT,
    &INBOUND_CAPTURE_PORT,
    &INBOUND_TUNNEL_PORT,
    &PROXY_UID,
    &PROXY_GID,
    &INTERCEPTION_MODE,
    &INBOUND_PORTS,
    &LOCAL_EXCLUDE_PORTS,
    &EXCLUDE_INTERFACES,
    &SERVICE_CIDR,
    &SERVICE_EXCLUDE_CIDR,
    &OUTBOUND_PORTS,
    &LOCAL_OUTBOUND_PORTS_EXCLUDE,
    &KUBE_VIRT_INTERFACES,
    &TPROXY_MARK,
    &TPROXY_ROUTE_TABLE,
    &DRY_RUN,
    &IPTABLES_PROBE_PORT,
    &PROBE_TIMEOUT,
    &SKIP_RULE_APPLY,
    &RUN_VALIDATION,
    &REDIRECT_DNS,
    &DROP_INVALID,
    &DUAL_STACK,
    &CAPTURE_ALL_DNS,
    &NETWORK_NAMESPACE,
    &CNI_MODE,
    &RECONCILE,
    &CLEANUP_ONLY,
    &FORCE_APPLY,
    &NATIVE_NFTABLES,
    &FORCE_IPTABLES_BINARY,
    &IPV6,
    &NO_IPV6,
    &DNS_SERVERS,
    &OWNER_GROUPS,
    &OWNER_GROUPS_EXCLUDE,
    &IPV4_LOOPBACK_CIDR,
    &ENVOY_USER,
    &LOG_OUTPUT_LEVEL,
    &LOG_AS_JSON,
    &LOG_TARGET,
    &LOG_STACKTRACE_LEVEL,
    &LOG_CALLER,
];
