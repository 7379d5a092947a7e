//! Inbound capture: the `ISTIO_INBOUND` rules for the captured ports, by NAT redirect or
//! by TPROXY (with its `ISTIO_DIVERT` / `ISTIO_TPROXY` chains), and the packet and
//! connection marks TPROXY mode needs so the proxy's own traffic is not captured again.

use super::builder::{Family, Rules, Table, PER_FAMILY};
use super::chains;
use crate::config::{Config, InboundPorts};

/// Mark the proxy puts on its outbound-to-inbound traffic over loopback.
const OUTBOUND_MARK: &str = "1338";
/// Source addresses of the proxy's inbound passthrough connections.
pub(super) const PASSTHROUGH_V4: &str = "127.0.0.6/32";
pub(super) const PASSTHROUGH_V6: &str = "::6/128";

const ESTABLISHED: [&str; 4] = ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"];

pub(super) fn capture(cfg: &Config, r: &mut Rules, tproxy: bool) {
    if cfg.inbound_ports == InboundPorts::Only(Vec::new()) {
        return;
    }
    let mark = cfg.inbound_tproxy_mark.to_string();
    let table = if tproxy {
        r.append(
            Table::Mangle,
            chains::DIVERT,
            &["-j", "MARK", "--set-mark", &mark],
        );
        r.append(Table::Mangle, chains::DIVERT, &["-j", "ACCEPT"]);
        let lo = cfg.ipv4_loopback_cidr.to_string();
        let tproxy_mark = format!("{mark}/0xffffffff");
        let port = cfg.inbound_capture_port.to_string();
        let args = [
            "!",
            "-d",
            PER_FAMILY,
            "-p",
            "tcp",
            "-j",
            "TPROXY",
            "--tproxy-mark",
            &tproxy_mark,
            "--on-port",
            &port,
        ];
        r.append_versioned(Table::Mangle, chains::TPROXY, &lo, "::1/128", &args);
        Table::Mangle
    } else {
        Table::Nat
    };
    r.append(table, "PREROUTING", &["-p", "tcp", "-j", chains::INBOUND]);
    match &cfg.inbound_ports {
        InboundPorts::All => {
            for port in &cfg.inbound_ports_exclude {
                let port = port.to_string();
                r.append(
                    table,
                    chains::INBOUND,
                    &["-p", "tcp", "--dport", &port, "-j", "RETURN"],
                );
            }
            if tproxy {
                let established =
                    [&["-p", "tcp"], &ESTABLISHED[..], &["-j", chains::DIVERT]].concat();
                r.append(Table::Mangle, chains::INBOUND, &established);
                r.append(
                    Table::Mangle,
                    chains::INBOUND,
                    &["-p", "tcp", "-j", chains::TPROXY],
                );
            } else {
                r.append(
                    Table::Nat,
                    chains::INBOUND,
                    &["-p", "tcp", "-j", chains::IN_REDIRECT],
                );
            }
        }
        InboundPorts::Only(ports) => {
            for port in ports {
                let port = port.to_string();
                let dport = ["-p", "tcp", "--dport", port.as_str()];
                if tproxy {
                    let established =
                        [&dport[..], &ESTABLISHED[..], &["-j", chains::DIVERT]].concat();
                    r.append(Table::Mangle, chains::INBOUND, &established);
                    let divert = [&dport[..], &["-j", chains::TPROXY]].concat();
                    r.append(Table::Mangle, chains::INBOUND, &divert);
                } else {
                    let redirect = [&dport[..], &["-j", chains::IN_REDIRECT]].concat();
                    r.append(Table::Nat, chains::INBOUND, &redirect);
                }
            }
        }
    }
}

/// TPROXY mode: keep the inbound mark on the connection, mark the proxy's loopback
/// traffic to the application, and return early from `ISTIO_INBOUND` for traffic that
/// is already the proxy's.
pub(super) fn tproxy_marks(cfg: &Config, r: &mut Rules) {
    let mark = cfg.inbound_tproxy_mark.to_string();
    let lo = cfg.ipv4_loopback_cidr.to_string();
    let save = [
        "-p",
        "tcp",
        "-m",
        "mark",
        "--mark",
        &mark,
        "-j",
        "CONNMARK",
        "--save-mark",
    ];
    r.append(Table::Mangle, "PREROUTING", &save);
    r.append(
        Table::Mangle,
        "OUTPUT",
        &[
            "-p", "tcp", "-o", "lo", "-m", "mark", "--mark", &mark, "-j", "RETURN",
        ],
    );
    let owners = (cfg.proxy_uids.iter().map(|u| ("--uid-owner", u)))
        .chain(cfg.proxy_gids.iter().map(|g| ("--gid-owner", g)));
    for (owner, id) in owners {
        let id = id.to_string();
        let args = [
            "!",
            "-d",
            PER_FAMILY,
            "-p",
            "tcp",
            "-o",
            "lo",
            "-m",
            "owner",
            owner,
            &id,
            "-j",
            "MARK",
            "--set-mark",
            OUTBOUND_MARK,
        ];
        r.append_versioned(Table::Mangle, "OUTPUT", &lo, "::1/128", &args);
    }
    let restore = [
        "-p",
        "tcp",
        "-m",
        "connmark",
        "--mark",
        &mark,
        "-j",
        "CONNMARK",
        "--restore-mark",
    ];
    r.append(Table::Mangle, "OUTPUT", &restore);
    let marked = ["-p", "tcp", "-m", "mark", "--mark", &mark, "-j", "RETURN"];
    r.insert(Table::Mangle, chains::INBOUND, 1, &marked);
    let passthrough = |src| ["-p", "tcp", "-s", src, "-i", "lo", "-j", "RETURN"];
    r.insert_for(
        Family::V4,
        Table::Mangle,
        chains::INBOUND,
        2,
        &passthrough(PASSTHROUGH_V4),
    );
    r.insert_for(
        Family::V6,
        Table::Mangle,
        chains::INBOUND,
        2,
        &passthrough(PASSTHROUGH_V6),
    );
    let not_outbound = [
        "-p",
        "tcp",
        "-i",
        "lo",
        "-m",
        "mark",
        "!",
        "--mark",
        OUTBOUND_MARK,
        "-j",
        "RETURN",
    ];
    r.insert(Table::Mangle, chains::INBOUND, 3, &not_outbound);
}
