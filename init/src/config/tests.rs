//! Building the configuration: host facts, precedence, and every class of bad input.

use std::cell::Cell;
use std::collections::HashMap;
use std::io;
use std::net::IpAddr;

use super::*;
use crate::cli::{self, Command};

/// A machine with fixed facts that counts resolv.conf reads.
struct FakeHost {
    users: Vec<(&'static str, u32)>,
    resolv: Option<&'static str>,
    addrs: Vec<&'static str>,
    resolv_reads: Cell<u32>,
}

impl Default for FakeHost {
    fn default() -> Self {
        FakeHost {
            users: Vec::new(),
            resolv: Some("nameserver 10.96.0.10\n"),
            addrs: vec!["127.0.0.1", "10.1.0.5"],
            resolv_reads: Cell::new(0),
        }
    }
}

impl HostFacts for FakeHost {
    fn user_uid(&self, user: &str) -> Option<u32> {
        self.users
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, id)| *id)
    }
    fn resolv_conf(&self) -> io::Result<String> {
        self.resolv_reads.set(self.resolv_reads.get() + 1);
        self.resolv
            .map(str::to_string)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
    fn local_addrs(&self) -> io::Result<Vec<IpAddr>> {
        Ok(self.addrs.iter().map(|a| a.parse().unwrap()).collect())
    }
}

fn build_on(host: &FakeHost, args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    match cli::parse(&args, &|k: &str| env.get(k).cloned()) {
        Ok(Command::Run(cli)) => Config::from_cli(&cli, host),
        other => panic!("{args:?} did not parse to a run: {other:?}"),
    }
}

fn build(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    build_on(&FakeHost::default(), args, env)
}

fn error(args: &[&str], env: &[(&str, &str)]) -> String {
    match build(args, env) {
        Ok(cfg) => panic!("{args:?} {env:?} was accepted: {cfg:?}"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn istio_defaults() {
    let cfg = build(&["--no-ipv6"], &[]).unwrap();
    assert_eq!(
        (
            cfg.proxy_port,
            cfg.inbound_capture_port,
            cfg.inbound_tunnel_port
        ),
        (15001, 15006, 15008)
    );
    assert_eq!(cfg.proxy_uids, [1337]);
    assert_eq!(cfg.proxy_gids, [1337]);
    assert_eq!(cfg.interception_mode, InterceptionMode::Redirect);
    assert_eq!(cfg.inbound_ports, InboundPorts::Only(vec![]));
    assert_eq!(
        cfg.outbound_ranges_include,
        OutboundRanges::Only(CidrList::default())
    );
    assert_eq!(cfg.owner_groups, OwnerGroups::AllExcept(vec![]));
    assert_eq!(cfg.ipv4_loopback_cidr.to_string(), "127.0.0.1/32");
    assert_eq!(
        (cfg.inbound_tproxy_mark, cfg.inbound_tproxy_route_table),
        (1337, 133)
    );
    assert_eq!(
        (cfg.iptables_probe_port, cfg.probe_timeout),
        (15002, Duration::from_secs(5))
    );
    assert_eq!(cfg.force_iptables_binary, None);
    assert_eq!(cfg.network_namespace, None);
}

#[test]
fn proxy_uid_defaults_to_envoy_user_and_gid_to_uid() {
    let host = FakeHost {
        users: vec![("istio-proxy", 1000), ("envoy", 2000)],
        ..FakeHost::default()
    };
    let cfg = build_on(&host, &["--no-ipv6"], &[]).unwrap();
    assert_eq!((cfg.proxy_uids, cfg.proxy_gids), (vec![1000], vec![1000]));
    let cfg = build_on(&host, &["--no-ipv6", "-u", ""], &[("ENVOY_USER", "envoy")]).unwrap();
    assert_eq!(cfg.proxy_uids, [2000]);
    let cfg = build_on(&host, &["--no-ipv6", "-u", "3,4", "-g", "1,2"], &[]).unwrap();
    assert_eq!((cfg.proxy_uids, cfg.proxy_gids), (vec![3, 4], vec![1, 2]));
    let cfg = build_on(&host, &["--no-ipv6"], &[("PROXY_UID", "7")]).unwrap();
    assert_eq!((cfg.proxy_uids, cfg.proxy_gids), (vec![7], vec![7]));
}

#[test]
fn ipv6_is_detected_unless_forced() {
    let v6 = FakeHost {
        addrs: vec!["::1", "fe80::1", "fd00::7", "10.0.0.1"],
        ..FakeHost::default()
    };
    assert!(build_on(&v6, &[], &[]).unwrap().enable_ipv6);
    assert!(!build_on(&v6, &["--no-ipv6"], &[]).unwrap().enable_ipv6);
    let v4_first = FakeHost {
        addrs: vec!["10.0.0.1", "fd00::7"],
        ..FakeHost::default()
    };
    assert!(!build_on(&v4_first, &[], &[]).unwrap().enable_ipv6);
    assert!(
        build_on(&v4_first, &["--dual-stack"], &[])
            .unwrap()
            .enable_ipv6
    );
    assert!(build_on(&v4_first, &["--ipv6"], &[]).unwrap().enable_ipv6);
    let none = FakeHost {
        addrs: vec!["127.0.0.1"],
        ..FakeHost::default()
    };
    let err = build_on(&none, &[], &[]).unwrap_err();
    assert!(matches!(err, ConfigError::Ipv6Detection(_)), "{err}");
    assert!(err.to_string().contains("--ipv6 or --no-ipv6"));
}

#[test]
fn dns_servers_come_from_the_flag_or_resolv_conf() {
    let host = FakeHost {
        resolv: Some("nameserver 10.96.0.10\nnameserver ::127.0.0.53\n"),
        ..FakeHost::default()
    };
    let cfg = build_on(&host, &["--no-ipv6", "--redirect-dns"], &[]).unwrap();
    assert_eq!(host.resolv_reads.get(), 1);
    assert_eq!(cfg.dns_servers_v4[0].text, "10.96.0.10");
    assert_eq!(cfg.dns_servers_v6[0].text, "::7f00:35");
    assert!(cfg.dns_capture());

    let cfg = build_on(
        &host,
        &[
            "--no-ipv6",
            "--redirect-dns",
            "--dns-servers",
            "1.1.1.1,::127.0.0.53",
        ],
        &[],
    )
    .unwrap();
    assert_eq!(cfg.dns_servers_v6[0].text, "::127.0.0.53", "verbatim");
    let cfg = build_on(
        &host,
        &["--no-ipv6", "--redirect-dns", "--dns-servers", ""],
        &[],
    )
    .unwrap();
    assert!(
        !cfg.dns_capture(),
        "no server and no capture-all: DNS capture is off"
    );
    build_on(
        &host,
        &["--no-ipv6", "--redirect-dns", "--capture-all-dns"],
        &[],
    )
    .unwrap();
    build_on(&host, &["--no-ipv6"], &[]).unwrap();
    assert_eq!(
        host.resolv_reads.get(),
        1,
        "read only when DNS is captured by server address"
    );

    let missing = FakeHost {
        resolv: None,
        ..FakeHost::default()
    };
    let err = build_on(&missing, &["--no-ipv6", "--redirect-dns"], &[]).unwrap_err();
    assert!(matches!(err, ConfigError::ResolvConf(_)), "{err}");
}

#[test]
fn ranges_and_ports() {
    let cfg = build(
        &[
            "--no-ipv6",
            "-i",
            "10.0.0.0/8,2001:db8::/32",
            "-x",
            "10.1.0.0/16",
            "-b",
            "*",
            "-d",
            "15090,15021,",
            "-q",
            "80",
            "-o",
            "443",
        ],
        &[],
    )
    .unwrap();
    let OutboundRanges::Only(included) = &cfg.outbound_ranges_include else {
        panic!("{:?}", cfg.outbound_ranges_include)
    };
    assert_eq!((included.v4.len(), included.v6.len()), (1, 1));
    assert_eq!(cfg.outbound_ranges_exclude.v4[0].to_string(), "10.1.0.0/16");
    assert_eq!(cfg.inbound_ports, InboundPorts::All);
    assert_eq!(cfg.inbound_ports_exclude, [15090, 15021]);
    assert_eq!(
        (cfg.outbound_ports_include, cfg.outbound_ports_exclude),
        (vec![80], vec![443])
    );
    let all = build(&["--no-ipv6", "-i", "*", "-m", "TPROXY"], &[]).unwrap();
    assert_eq!(all.outbound_ranges_include, OutboundRanges::All);
    assert_eq!(all.interception_mode, InterceptionMode::Tproxy);
}

#[test]
fn owner_groups() {
    let env = [("ISTIO_OUTBOUND_OWNER_GROUPS", "java,202")];
    assert_eq!(
        build(&["--no-ipv6"], &env).unwrap().owner_groups,
        OwnerGroups::Only(vec!["java".into(), "202".into()])
    );
    let env = [("ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE", "888,ftp")];
    assert_eq!(
        build(&["--no-ipv6"], &env).unwrap().owner_groups,
        OwnerGroups::AllExcept(vec!["888".into(), "ftp".into()])
    );
}

#[test]
fn bad_cidr() {
    assert_eq!(
        error(&["--no-ipv6", "-i", "10.0.0.300/8"], &[]),
        "invalid value \"10.0.0.300/8\" for --istio-service-cidr (-i): invalid CIDR"
    );
    assert_eq!(
        error(&["--no-ipv6", "-x", "10.0.0.0/8,bogus"], &[]),
        "invalid value \"10.0.0.0/8,bogus\" for --istio-service-exclude-cidr (-x): invalid CIDR \"bogus\""
    );
    assert_eq!(
        error(&["--no-ipv6"], &[("ISTIO_SERVICE_CIDR", "10.0.0.0/33")]),
        "invalid value \"10.0.0.0/33\" for ISTIO_SERVICE_CIDR (environment, for --istio-service-cidr): invalid CIDR"
    );
}

#[test]
fn bad_ports() {
    assert_eq!(
        error(&["--no-ipv6", "-p", "70000"], &[]),
        "invalid value \"70000\" for --envoy-port (-p): port out of range (1-65535)"
    );
    assert_eq!(
        error(&["--no-ipv6", "-z", "abc"], &[]),
        "invalid value \"abc\" for --inbound-capture-port (-z): not a port number"
    );
    assert_eq!(
        error(&["--no-ipv6", "-e", "0"], &[]),
        "invalid value \"0\" for --inbound-tunnel-port (-e): port out of range (1-65535)"
    );
    assert_eq!(
        error(&["--no-ipv6", "-b", "80,http"], &[]),
        "invalid value \"80,http\" for --istio-inbound-ports (-b): not a port number \"http\""
    );
    assert_eq!(
        error(&["--no-ipv6", "-q", "80,65536"], &[]),
        "invalid value \"80,65536\" for --istio-outbound-ports (-q): port \"65536\" out of range (1-65535)"
    );
    assert!(error(&["--no-ipv6", "-b", "80,*"], &[]).contains("\"*\" must be the whole value"));
    assert!(
        error(&["--no-ipv6", "--iptables-probe-port", "0"], &[]).contains("--iptables-probe-port")
    );
}

#[test]
fn wildcard_in_exclude_lists() {
    for (args, flag) in [
        (["-x", "*"], "--istio-service-exclude-cidr (-x)"),
        (["-d", "*"], "--istio-local-exclude-ports (-d)"),
        (["-o", "80,*"], "--istio-local-outbound-ports-exclude (-o)"),
    ] {
        let msg = error(&[&["--no-ipv6"][..], &args].concat(), &[]);
        assert!(
            msg.contains(flag) && msg.contains("not allowed in an exclude list"),
            "{msg}"
        );
    }
    let msg = error(
        &["--no-ipv6"],
        &[("ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE", "*")],
    );
    assert_eq!(
        msg,
        "invalid value \"*\" for ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE: \"*\" is not allowed in an exclude list"
    );
}

#[test]
fn both_owner_group_variables() {
    let env = [
        ("ISTIO_OUTBOUND_OWNER_GROUPS", "java"),
        ("ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE", "ftp"),
    ];
    let msg = error(&["--no-ipv6"], &env);
    assert!(
        msg.starts_with(
            "ISTIO_OUTBOUND_OWNER_GROUPS=\"java\" and ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=\"ftp\""
        ),
        "{msg}"
    );
    let many: Vec<String> = (0..65).map(|g| g.to_string()).collect();
    let many = many.join(",");
    let msg = error(&["--no-ipv6"], &[("ISTIO_OUTBOUND_OWNER_GROUPS", &many)]);
    assert!(msg.contains("65 groups given, at most 64"), "{msg}");
}

#[test]
fn unknown_interception_mode() {
    assert_eq!(
        error(&["--no-ipv6", "-m", "tproxy"], &[]),
        "invalid value \"tproxy\" for --istio-inbound-interception-mode (-m): unknown interception mode (expected REDIRECT or TPROXY)"
    );
}

#[test]
fn bad_loopback_cidr() {
    let var = "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR";
    assert_eq!(
        error(&["--no-ipv6"], &[(var, "10.0.0.1/32")]),
        "invalid value \"10.0.0.1/32\" for ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: not an IPv4 loopback CIDR (127.0.0.0/8)"
    );
    assert!(error(&["--no-ipv6"], &[(var, "127.0.0.1/7")]).contains("mask /7 is outside /8 to /32"));
    assert!(error(&["--no-ipv6"], &[(var, "127.0.0.1")]).contains("invalid CIDR"));
}

#[test]
fn other_bad_values() {
    assert!(error(&["--no-ipv6", "-u", "istio"], &[])
        .starts_with("invalid value \"istio\" for --proxy-uid (-u): not a numeric id"));
    assert!(error(&["--no-ipv6", "-g", ","], &[]).ends_with("--proxy-gid (-g): empty list"));
    assert!(error(&["--no-ipv6", "-t", "0"], &[]).contains("--istio-inbound-tproxy-mark (-t)"));
    assert!(
        error(&["--no-ipv6", "-r", "x"], &[]).contains("--istio-inbound-tproxy-route-table (-r)")
    );
    assert!(error(&["--no-ipv6", "-c", "eth0 -j ACCEPT"], &[]).contains("invalid interface name"));
    assert!(error(&["--no-ipv6", "-k", "a/b"], &[]).contains("--kube-virt-interfaces (-k)"));
    assert!(error(&["--no-ipv6", "--dns-servers", "dns.local"], &[])
        .contains("--dns-servers: not an IP address"));
    assert!(
        error(&["--no-ipv6", "--force-iptables-binary", "iptables"], &[])
            .contains("expected legacy or nft")
    );
    assert!(error(&["--no-ipv6", "--native-nftables"], &[])
        .contains("--native-nftables is not supported"));
}

#[test]
fn effective_configuration_lists_every_variable() {
    let cfg = build(
        &[
            "--ipv6",
            "-u",
            "3,4",
            "-i",
            "*",
            "-x",
            "10.0.0.0/8,fd00::/8",
            "--redirect-dns",
            "--dns-servers",
            "10.96.0.10",
        ],
        &[],
    )
    .unwrap();
    let text = cfg.to_string();
    for line in [
        "PROXY_PORT=15001",
        "PROXY_UID=3,4",
        "PROXY_GID=3,4",
        "OUTBOUND_IP_RANGES_INCLUDE=*",
        "OUTBOUND_IP_RANGES_EXCLUDE=10.0.0.0/8,fd00::/8",
        "ENABLE_INBOUND_IPV6=true",
        "DNS_SERVERS=10.96.0.10",
        "INBOUND_INTERCEPTION_MODE=REDIRECT",
        "PROBE_TIMEOUT=5s",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    assert_eq!(text.lines().count(), 38);
}
