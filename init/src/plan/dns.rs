//! DNS capture: TCP and UDP port 53 to the resolvers (or to any address with
//! `--capture-all-dns`) is redirected to the agent's DNS proxy on 15053, and UDP DNS is
//! split into two conntrack zones (raw table) so the proxy's upstream queries and the
//! application's queries never share conntrack entries.

use super::builder::{Family, Rules, Table};
use super::chains;
use crate::config::{Config, DnsServer};

/// Port of the agent's DNS proxy.
const AGENT_DNS_PORT: &str = "15053";

pub(super) fn capture(cfg: &Config, r: &mut Rules) {
    let all = cfg.capture_all_dns;
    let v4 = servers(Family::V4, &cfg.dns_servers_v4, "/32");
    let v6 = servers(Family::V6, &cfg.dns_servers_v6, "/128");
    r.append(Table::Raw, "OUTPUT", &["-j", chains::OUTPUT_DNS]);
    for (family, list) in [(Family::V4, &v4), (Family::V6, &v6)] {
        if all || !list.is_empty() {
            r.append_for(
                family,
                Table::Nat,
                chains::OUTPUT,
                &["-j", chains::OUTPUT_DNS],
            );
        }
    }
    // TCP keeps `--to-ports`, UDP `--to-port`: both spellings are Istio's.
    for (proto, to) in [("tcp", "--to-ports"), ("udp", "--to-port")] {
        let redirect = ["-j", "REDIRECT", to, AGENT_DNS_PORT];
        if all {
            let args = [&["-p", proto, "--dport", "53"][..], &redirect].concat();
            r.append(Table::Nat, chains::OUTPUT_DNS, &args);
            continue;
        }
        for (family, server) in v4.iter().chain(&v6) {
            let args = [&["-p", proto, "--dport", "53", "-d", server][..], &redirect].concat();
            r.append_for(*family, Table::Nat, chains::OUTPUT_DNS, &args);
        }
    }
    conntrack_zones(cfg, r, &v4, &v6);
}

/// Each server with its family and host prefix, as written in the rules.
fn servers(family: Family, list: &[DnsServer], host_bits: &str) -> Vec<(Family, String)> {
    list.iter()
        .map(|s| (family, format!("{}{host_bits}", s.text)))
        .collect()
}

/// Zone 1: the proxy and the resolvers; zone 2: the application and the proxy.
fn conntrack_zones(cfg: &Config, r: &mut Rules, v4: &[(Family, String)], v6: &[(Family, String)]) {
    let owners = (cfg.proxy_uids.iter().map(|u| ("--uid-owner", u)))
        .chain(cfg.proxy_gids.iter().map(|g| ("--gid-owner", g)));
    for (owner, id) in owners {
        let id = id.to_string();
        let upstream = [
            "-p", "udp", "--dport", "53", "-m", "owner", owner, &id, "-j", "CT", "--zone", "1",
        ];
        r.append(Table::Raw, chains::OUTPUT_DNS, &upstream);
        let answers = [
            "-p",
            "udp",
            "--sport",
            AGENT_DNS_PORT,
            "-m",
            "owner",
            owner,
            &id,
            "-j",
            "CT",
            "--zone",
            "2",
        ];
        r.append(Table::Raw, chains::OUTPUT_DNS, &answers);
    }
    if cfg.capture_all_dns {
        r.append(Table::Raw, "PREROUTING", &["-j", chains::INBOUND]);
        r.append(
            Table::Raw,
            chains::OUTPUT_DNS,
            &["-p", "udp", "--dport", "53", "-j", "CT", "--zone", "2"],
        );
        r.append(
            Table::Raw,
            chains::INBOUND,
            &["-p", "udp", "--sport", "53", "-j", "CT", "--zone", "1"],
        );
        return;
    }
    for list in [v4, v6] {
        if let Some((family, _)) = list.first() {
            r.append_for(*family, Table::Raw, "PREROUTING", &["-j", chains::INBOUND]);
        }
        for (family, server) in list {
            let query = [
                "-p", "udp", "--dport", "53", "-d", server, "-j", "CT", "--zone", "2",
            ];
            r.append_for(*family, Table::Raw, chains::OUTPUT_DNS, &query);
            let answer = [
                "-p", "udp", "--sport", "53", "-s", server, "-j", "CT", "--zone", "1",
            ];
            r.append_for(*family, Table::Raw, chains::INBOUND, &answer);
        }
    }
}
