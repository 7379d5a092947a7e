//! Whole-payload tests for configurations outside the conformance corpus, with the
//! expected rules derived by hand from Istio's rule logic (tools/istio-iptables capture).

use std::io;
use std::net::IpAddr;

use super::*;
use crate::cli::{self, Command};
use crate::config::HostFacts;

struct NoHost;

impl HostFacts for NoHost {
    fn user_uid(&self, _: &str) -> Option<u32> {
        None
    }
    fn resolv_conf(&self) -> io::Result<String> {
        Err(io::Error::other("tests pass --dns-servers"))
    }
    fn local_addrs(&self) -> io::Result<Vec<IpAddr>> {
        Err(io::Error::other("tests pass --ipv6 or --no-ipv6"))
    }
}

fn plan_for(args: &[&str], env: &[(&str, &str)]) -> Plan {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let lookup = |k: &str| {
        env.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    };
    let Ok(Command::Run(cli)) = cli::parse(&args, &lookup) else {
        panic!("{args:?} does not parse")
    };
    plan(&Config::from_cli(&cli, &NoHost).unwrap_or_else(|e| panic!("{e}")))
}

/// Lines of an expected payload, written one rule per line with leading spaces.
fn payload(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn default_sidecar_injection() {
    let plan = plan_for(
        &[
            "istio-iptables",
            "-p",
            "15001",
            "-z",
            "15006",
            "-u",
            "1337",
            "-m",
            "REDIRECT",
            "-i",
            "*",
            "-x",
            "",
            "-b",
            "*",
            "-d",
            "15090,15021,15020",
            "--no-ipv6",
        ],
        &[],
    );
    assert_eq!(plan.ipv6, None);
    assert_eq!(
        plan.ipv4,
        payload(
            "* nat
            -N ISTIO_INBOUND
            -N ISTIO_REDIRECT
            -N ISTIO_IN_REDIRECT
            -N ISTIO_OUTPUT
            -A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN
            -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
            -A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
            -A PREROUTING -p tcp -j ISTIO_INBOUND
            -A ISTIO_INBOUND -p tcp --dport 15090 -j RETURN
            -A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN
            -A ISTIO_INBOUND -p tcp --dport 15020 -j RETURN
            -A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT
            -A OUTPUT -j ISTIO_OUTPUT
            -A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            -A ISTIO_OUTPUT -j ISTIO_REDIRECT
            COMMIT"
        )
    );
}

#[test]
fn capture_all_dns() {
    let plan = plan_for(
        &[
            "--redirect-dns",
            "--capture-all-dns",
            "--no-ipv6",
            "--dns-servers",
            "",
        ],
        &[],
    );
    assert_eq!(
        plan.ipv4,
        payload(
            "* nat
            -N ISTIO_INBOUND
            -N ISTIO_REDIRECT
            -N ISTIO_IN_REDIRECT
            -N ISTIO_OUTPUT
            -N ISTIO_OUTPUT_DNS
            -A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN
            -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
            -A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
            -A OUTPUT -j ISTIO_OUTPUT
            -A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp -m multiport ! --dports 53,15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -p tcp ! --dport 53 -m owner ! --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -p tcp ! --dport 53 -m owner ! --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -j ISTIO_OUTPUT_DNS
            -A ISTIO_OUTPUT_DNS -p tcp --dport 53 -j REDIRECT --to-ports 15053
            -A ISTIO_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-port 15053
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            COMMIT
            * raw
            -N ISTIO_OUTPUT_DNS
            -N ISTIO_INBOUND
            -A OUTPUT -j ISTIO_OUTPUT_DNS
            -A ISTIO_OUTPUT_DNS -p udp --dport 53 -m owner --uid-owner 1337 -j CT --zone 1
            -A ISTIO_OUTPUT_DNS -p udp --sport 15053 -m owner --uid-owner 1337 -j CT --zone 2
            -A ISTIO_OUTPUT_DNS -p udp --dport 53 -m owner --gid-owner 1337 -j CT --zone 1
            -A ISTIO_OUTPUT_DNS -p udp --sport 15053 -m owner --gid-owner 1337 -j CT --zone 2
            -A PREROUTING -j ISTIO_INBOUND
            -A ISTIO_OUTPUT_DNS -p udp --dport 53 -j CT --zone 2
            -A ISTIO_INBOUND -p udp --sport 53 -j CT --zone 1
            COMMIT"
        )
    );
}

#[test]
fn dual_stack_tproxy_with_include_ports_ranges_and_interfaces() {
    let plan = plan_for(
        &[
            "--ipv6",
            "-m",
            "TPROXY",
            "-b",
            "8080",
            "-i",
            "10.0.0.0/8,fd00::/8",
            "-x",
            "10.1.0.0/16",
            "-o",
            "9000",
            "-k",
            "veth0",
            "-c",
            "eth9",
            "--drop-invalid",
        ],
        &[],
    );
    let mangle = |lo: &str, passthrough: &str| {
        format!(
            "* mangle
            -N ISTIO_DROP
            -N ISTIO_DIVERT
            -N ISTIO_TPROXY
            -N ISTIO_INBOUND
            -A PREROUTING -i eth9 -j RETURN
            -A OUTPUT -o eth9 -j RETURN
            -A PREROUTING -m conntrack --ctstate INVALID -j ISTIO_DROP
            -A ISTIO_DROP -j DROP
            -A ISTIO_DIVERT -j MARK --set-mark 1337
            -A ISTIO_DIVERT -j ACCEPT
            -A ISTIO_TPROXY ! -d {lo} -p tcp -j TPROXY --tproxy-mark 1337/0xffffffff --on-port 15006
            -A PREROUTING -p tcp -j ISTIO_INBOUND
            -A ISTIO_INBOUND -p tcp --dport 8080 -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT
            -A ISTIO_INBOUND -p tcp --dport 8080 -j ISTIO_TPROXY
            -A PREROUTING -p tcp -m mark --mark 1337 -j CONNMARK --save-mark
            -A OUTPUT -p tcp -o lo -m mark --mark 1337 -j RETURN
            -A OUTPUT ! -d {lo} -p tcp -o lo -m owner --uid-owner 1337 -j MARK --set-mark 1338
            -A OUTPUT ! -d {lo} -p tcp -o lo -m owner --gid-owner 1337 -j MARK --set-mark 1338
            -A OUTPUT -p tcp -m connmark --mark 1337 -j CONNMARK --restore-mark
            -I ISTIO_INBOUND 1 -p tcp -m mark --mark 1337 -j RETURN
            -I ISTIO_INBOUND 2 -p tcp -s {passthrough} -i lo -j RETURN
            -I ISTIO_INBOUND 3 -p tcp -i lo -m mark ! --mark 1338 -j RETURN
            COMMIT"
        )
    };
    let nat = |lo: &str, passthrough: &str, exclude: &str, include: &str| {
        format!(
            "* nat
            -N ISTIO_INBOUND
            -N ISTIO_REDIRECT
            -N ISTIO_IN_REDIRECT
            -N ISTIO_OUTPUT
            -A PREROUTING -i eth9 -j RETURN
            -A OUTPUT -o eth9 -j RETURN
            -I PREROUTING 1 -i veth0 -j RETURN
            -A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN
            -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
            -A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
            -A OUTPUT -j ISTIO_OUTPUT
            -A ISTIO_OUTPUT -p tcp --dport 9000 -j RETURN
            -A ISTIO_OUTPUT -p udp --dport 9000 -j RETURN
            -A ISTIO_OUTPUT -o lo -s {passthrough} -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d {lo} -p tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d {lo} -p tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -d {lo} -j RETURN
            {exclude}
            -I PREROUTING 1 -i veth0 -d {include} -j ISTIO_REDIRECT
            -A ISTIO_OUTPUT -d {include} -j ISTIO_REDIRECT
            COMMIT"
        )
    };
    let v4 = mangle("127.0.0.1/32", "127.0.0.6/32")
        + "\n"
        + &nat(
            "127.0.0.1/32",
            "127.0.0.6/32",
            "-A ISTIO_OUTPUT -d 10.1.0.0/16 -j RETURN",
            "10.0.0.0/8",
        );
    let v6 = mangle("::1/128", "::6/128") + "\n" + &nat("::1/128", "::6/128", "", "fd00::/8");
    assert_eq!(plan.ipv4, payload(&v4));
    assert_eq!(plan.ipv6.as_deref(), Some(payload(&v6).as_str()));
}

#[test]
fn dns_servers_of_one_family_only_jump_in_that_family() {
    let plan = plan_for(
        &["--ipv6", "--redirect-dns", "--dns-servers", "10.96.0.10"],
        &[],
    );
    let v6 = plan.ipv6.unwrap();
    for line in [
        "-A ISTIO_OUTPUT -j ISTIO_OUTPUT_DNS",
        "-A PREROUTING -j ISTIO_INBOUND",
        "-A ISTIO_OUTPUT_DNS -p udp --dport 53 -d 10.96.0.10/32 -j CT --zone 2",
    ] {
        assert!(plan.ipv4.lines().any(|l| l == line), "IPv4 lacks {line}");
        assert!(!v6.lines().any(|l| l == line), "IPv6 has {line}");
    }
    assert!(v6.contains("* raw\n-N ISTIO_OUTPUT_DNS\n-A OUTPUT -j ISTIO_OUTPUT_DNS\n"));
    assert!(!v6.contains("* nat\n-N ISTIO_INBOUND\n-N ISTIO_REDIRECT\n-N ISTIO_IN_REDIRECT\n-N ISTIO_OUTPUT\n-N ISTIO_OUTPUT_DNS"));
}

#[test]
fn empty_owner_group_list_returns_all_traffic_after_the_proxy_rules() {
    let plan = plan_for(&["--no-ipv6"], &[("ISTIO_OUTBOUND_OWNER_GROUPS", "")]);
    let lines: Vec<&str> = plan.ipv4.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "-A ISTIO_OUTPUT -j RETURN")
        .expect("a bare RETURN");
    assert_eq!(
        lines[at - 1],
        "-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN"
    );
}

#[test]
fn tproxy_all_ports_excludes_in_mangle() {
    let plan = plan_for(
        &["--no-ipv6", "-m", "TPROXY", "-b", "*", "-d", "15020"],
        &[],
    );
    let mangle: Vec<&str> = plan.ipv4.split("* nat").next().unwrap().lines().collect();
    let at = mangle
        .iter()
        .position(|l| *l == "-A PREROUTING -p tcp -j ISTIO_INBOUND")
        .unwrap();
    assert_eq!(
        mangle[at + 1..at + 4],
        [
            "-A ISTIO_INBOUND -p tcp --dport 15020 -j RETURN",
            "-A ISTIO_INBOUND -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT",
            "-A ISTIO_INBOUND -p tcp -j ISTIO_TPROXY",
        ]
    );
    assert!(!plan.ipv4.contains(
        "-A PREROUTING -p tcp -j ISTIO_INBOUND\n-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT"
    ));
}

#[test]
fn a_loopback_include_range_keeps_local_traffic_captured() {
    let with = plan_for(&["--no-ipv6", "-i", "127.1.2.3/32"], &[]);
    let without = plan_for(&["--no-ipv6", "-i", "10.0.0.0/8"], &[]);
    let local_return = "-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN";
    assert!(!with.ipv4.contains(local_return));
    assert!(without.ipv4.contains(local_return));
    assert!(with
        .ipv4
        .contains("-A ISTIO_OUTPUT -d 127.1.2.3/32 -j ISTIO_REDIRECT\n"));
}
