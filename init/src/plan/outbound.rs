//! Outbound capture: the `ISTIO_OUTPUT` chain. First the traffic that must never reach
//! the outbound listener (excluded ports, the proxy's passthrough source, the proxy's
//! own uids and gids, groups not captured), then, after DNS capture, the destinations:
//! loopback and excluded ranges return, included ports and ranges go to
//! `ISTIO_REDIRECT` (also from the virtual interfaces of `-k`).

use std::net::IpAddr;

use super::builder::{Family, Rules, Table, PER_FAMILY};
use super::chains;
use super::inbound::{PASSTHROUGH_V4, PASSTHROUGH_V6};
use crate::config::{Config, OutboundRanges, OwnerGroups};

const LOOPBACK_V6: &str = "::1/128";

pub(super) fn output_chain(cfg: &Config, r: &mut Rules, dns: bool) {
    r.append(Table::Nat, "OUTPUT", &["-j", chains::OUTPUT]);
    for port in &cfg.outbound_ports_exclude {
        let port = port.to_string();
        for proto in ["tcp", "udp"] {
            r.append(
                Table::Nat,
                chains::OUTPUT,
                &["-p", proto, "--dport", &port, "-j", "RETURN"],
            );
        }
    }
    let passthrough = ["-o", "lo", "-s", PER_FAMILY, "-j", "RETURN"];
    r.append_versioned(
        Table::Nat,
        chains::OUTPUT,
        PASSTHROUGH_V4,
        PASSTHROUGH_V6,
        &passthrough,
    );
    let return_local = !includes_loopback(&cfg.outbound_ranges_include);
    for uid in &cfg.proxy_uids {
        proxy_owner(cfg, r, "--uid-owner", *uid, dns, dns, return_local);
    }
    for gid in &cfg.proxy_gids {
        proxy_owner(cfg, r, "--gid-owner", *gid, false, dns, return_local);
    }
    owner_groups(&cfg.owner_groups, r);
}

/// Whether an included range starts at a loopback address: then the application's
/// local traffic is captured, not returned.
fn includes_loopback(ranges: &OutboundRanges) -> bool {
    match ranges {
        OutboundRanges::All => false,
        OutboundRanges::Only(list) => {
            list.v4.iter().any(|n| n.addr().is_loopback())
                || (list.v6.iter()).any(|n| IpAddr::V6(n.addr()).to_canonical().is_loopback())
        }
    }
}

/// The rules for one proxy uid or gid: its loopback calls to a non-local address go to
/// the inbound listener (a call to itself through a service address), other processes'
/// loopback traffic returns, and everything else of the proxy returns.
fn proxy_owner(
    cfg: &Config,
    r: &mut Rules,
    owner: &str,
    id: u32,
    dns_ports: bool,
    dns_return: bool,
    return_local: bool,
) {
    let id = id.to_string();
    let lo = cfg.ipv4_loopback_cidr.to_string();
    let tunnel = cfg.inbound_tunnel_port.to_string();
    let skip = format!("53,{tunnel}");
    let ports: &[&str] = match dns_ports {
        true => &["-m", "multiport", "!", "--dports", &skip],
        false => &["!", "--dport", &tunnel],
    };
    let self_call = [
        &["-o", "lo", "!", "-d", PER_FAMILY, "-p", "tcp"][..],
        ports,
        &["-m", "owner", owner, &id, "-j", chains::IN_REDIRECT],
    ]
    .concat();
    r.append_versioned(Table::Nat, chains::OUTPUT, &lo, LOOPBACK_V6, &self_call);
    if return_local {
        let not_owner = ["-m", "owner", "!", owner, &id, "-j", "RETURN"];
        let local: &[&str] = match dns_return {
            true => &["-o", "lo", "-p", "tcp", "!", "--dport", "53"],
            false => &["-o", "lo"],
        };
        r.append(
            Table::Nat,
            chains::OUTPUT,
            &[local, &not_owner[..]].concat(),
        );
    }
    r.append(
        Table::Nat,
        chains::OUTPUT,
        &["-m", "owner", owner, &id, "-j", "RETURN"],
    );
}

/// Groups whose traffic is not captured return: each excluded group, or in one rule
/// every group that is none of the included ones.
fn owner_groups(groups: &OwnerGroups, r: &mut Rules) {
    match groups {
        OwnerGroups::AllExcept(excluded) => {
            for group in excluded {
                r.append(
                    Table::Nat,
                    chains::OUTPUT,
                    &["-m", "owner", "--gid-owner", group, "-j", "RETURN"],
                );
            }
        }
        OwnerGroups::Only(included) => {
            let mut args: Vec<&str> = Vec::new();
            for group in included {
                args.extend(["-m", "owner", "!", "--gid-owner", group]);
            }
            args.extend(["-j", "RETURN"]);
            r.append(Table::Nat, chains::OUTPUT, &args);
        }
    }
}

/// Destination rules, after DNS capture: loopback and excluded ranges return, then
/// included ports and ranges are redirected.
pub(super) fn destinations(cfg: &Config, r: &mut Rules) {
    let lo = cfg.ipv4_loopback_cidr.to_string();
    let local = ["-d", PER_FAMILY, "-j", "RETURN"];
    r.append_versioned(Table::Nat, chains::OUTPUT, &lo, LOOPBACK_V6, &local);
    let excluded = &cfg.outbound_ranges_exclude;
    let excluded = (excluded.v4.iter().map(|n| (Family::V4, n.to_string())))
        .chain(excluded.v6.iter().map(|n| (Family::V6, n.to_string())));
    for (family, cidr) in excluded {
        r.append_for(
            family,
            Table::Nat,
            chains::OUTPUT,
            &["-d", &cidr, "-j", "RETURN"],
        );
    }
    for port in &cfg.outbound_ports_include {
        let port = port.to_string();
        r.append(
            Table::Nat,
            chains::OUTPUT,
            &["-p", "tcp", "--dport", &port, "-j", chains::REDIRECT],
        );
    }
    match &cfg.outbound_ranges_include {
        OutboundRanges::All => {
            r.append(Table::Nat, chains::OUTPUT, &["-j", chains::REDIRECT]);
            for iface in &cfg.kube_virt_interfaces {
                r.insert(
                    Table::Nat,
                    "PREROUTING",
                    1,
                    &["-i", iface, "-j", chains::REDIRECT],
                );
            }
        }
        OutboundRanges::Only(list) => {
            let included = (list.v4.iter().map(|n| (Family::V4, n.to_string())))
                .chain(list.v6.iter().map(|n| (Family::V6, n.to_string())));
            for (family, cidr) in included {
                for iface in &cfg.kube_virt_interfaces {
                    let virt = ["-i", iface, "-d", &cidr, "-j", chains::REDIRECT];
                    r.insert_for(family, Table::Nat, "PREROUTING", 1, &virt);
                }
                r.append_for(
                    family,
                    Table::Nat,
                    chains::OUTPUT,
                    &["-d", &cidr, "-j", chains::REDIRECT],
                );
            }
        }
    }
}
