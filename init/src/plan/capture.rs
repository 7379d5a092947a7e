//! The order of the whole rule set, as Istio builds it: interface short-circuits,
//! invalid-packet drop, the redirect chains, inbound capture, the `ISTIO_OUTPUT` chain,
//! DNS capture, outbound destinations, and finally the TPROXY marks.

use super::builder::{Rules, Table};
use super::chains;
use super::{dns, inbound, outbound};
use crate::config::{Config, InterceptionMode};

pub(super) fn build(cfg: &Config, r: &mut Rules) {
    let tproxy = cfg.interception_mode == InterceptionMode::Tproxy;
    exclude_interfaces(cfg, r, tproxy);
    for iface in &cfg.kube_virt_interfaces {
        r.insert(Table::Nat, "PREROUTING", 1, &["-i", iface, "-j", "RETURN"]);
    }
    if cfg.drop_invalid {
        let invalid = [
            "-m",
            "conntrack",
            "--ctstate",
            "INVALID",
            "-j",
            chains::DROP,
        ];
        r.append(Table::Mangle, "PREROUTING", &invalid);
        r.append(Table::Mangle, chains::DROP, &["-j", "DROP"]);
    }
    redirect_chains(cfg, r);
    inbound::capture(cfg, r, tproxy);
    let dns = cfg.dns_capture();
    outbound::output_chain(cfg, r, dns);
    if dns {
        dns::capture(cfg, r);
    }
    outbound::destinations(cfg, r);
    if tproxy {
        inbound::tproxy_marks(cfg, r);
    }
}

/// Traffic of excluded interfaces leaves the capture chains at once (nat, and mangle
/// too in TPROXY mode).
fn exclude_interfaces(cfg: &Config, r: &mut Rules, tproxy: bool) {
    let tables: &[Table] = match tproxy {
        true => &[Table::Nat, Table::Mangle],
        false => &[Table::Nat],
    };
    for &table in tables {
        for iface in &cfg.exclude_interfaces {
            r.append(table, "PREROUTING", &["-i", iface, "-j", "RETURN"]);
            r.append(table, "OUTPUT", &["-o", iface, "-j", "RETURN"]);
        }
    }
}

/// The tunnel port bypass and the two REDIRECT chains (outbound and inbound port).
fn redirect_chains(cfg: &Config, r: &mut Rules) {
    let tunnel = cfg.inbound_tunnel_port.to_string();
    r.append(
        Table::Nat,
        chains::INBOUND,
        &["-p", "tcp", "--dport", &tunnel, "-j", "RETURN"],
    );
    let proxy = cfg.proxy_port.to_string();
    r.append(
        Table::Nat,
        chains::REDIRECT,
        &["-p", "tcp", "-j", "REDIRECT", "--to-ports", &proxy],
    );
    let inbound = cfg.inbound_capture_port.to_string();
    let to_inbound = ["-p", "tcp", "-j", "REDIRECT", "--to-ports", &inbound];
    r.append(Table::Nat, chains::IN_REDIRECT, &to_inbound);
}
