//! The test topology: a "pod" network namespace joined by a veth pair to a
//! "peer" namespace, both dual-stack, and `mesh-init` run inside the pod as
//! an init container would run it.
//!
//! ```text
//!   pod  eth0 10.77.0.2/24 fd77::2/64  ==veth==  peer eth0 10.77.0.1/24 fd77::1/64
//!        routes 10.88.0.0/24, fd88::/64 via peer      + 10.77.0.9 fd77::9 (the excluded host)
//!                                                      + 10.88.0.1 fd88::1 (outside the range)
//! ```

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::build::mesh_init;
use crate::netns::{run_bounded, Netns, Output};

/// How long one `mesh-init` run may take.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Addresses of one family in the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addrs {
    pub pod: &'static str,
    pub peer: &'static str,
    /// A peer address inside the captured range but excluded with `-x`.
    pub excluded: &'static str,
    /// A peer address outside the captured range.
    pub outside: &'static str,
    /// The captured range (`-i`).
    pub subnet: &'static str,
    /// `excluded` as a host CIDR (`-x`).
    pub excluded_cidr: &'static str,
}

pub const V4: Addrs = Addrs {
    pod: "10.77.0.2",
    peer: "10.77.0.1",
    excluded: "10.77.0.9",
    outside: "10.88.0.1",
    subnet: "10.77.0.0/24",
    excluded_cidr: "10.77.0.9/32",
};

pub const V6: Addrs = Addrs {
    pod: "fd77::2",
    peer: "fd77::1",
    excluded: "fd77::9",
    outside: "fd88::1",
    subnet: "fd77::/64",
    excluded_cidr: "fd77::9/128",
};

impl Addrs {
    /// `address:port` of one of these addresses.
    pub fn at(addr: &str, port: u16) -> SocketAddr {
        SocketAddr::new(addr.parse::<IpAddr>().expect("test address"), port)
    }
}

/// The iptables variant a test forces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Nft,
    Legacy,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Nft, Backend::Legacy];

    /// The `--force-iptables-binary` value.
    pub fn flag(self) -> &'static str {
        match self {
            Backend::Nft => "nft",
            Backend::Legacy => "legacy",
        }
    }

    /// e.g. `ip6tables-legacy-save`.
    pub fn save_program(self, ipv6: bool) -> String {
        format!(
            "{}-{}-save",
            if ipv6 { "ip6tables" } else { "iptables" },
            self.flag()
        )
    }

    /// e.g. `iptables-nft`.
    pub fn program(self, ipv6: bool) -> String {
        format!(
            "{}-{}",
            if ipv6 { "ip6tables" } else { "iptables" },
            self.flag()
        )
    }
}

/// iptables-save output without comments and packet counters, for comparing
/// states taken at different times.
pub fn normalize_save(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| match (l.starts_with(':'), l.rfind(" [")) {
            (true, Some(at)) => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Istio's sidecar arguments with `-i include` and `-x exclude`.
pub fn sidecar_args(include: &str, exclude: &str) -> Vec<String> {
    [
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
        include,
        "-x",
        exclude,
        "-b",
        "*",
        "-d",
        "15090,15021,15020",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The pod and its peer.
#[derive(Debug)]
pub struct Pod {
    pub pod: Netns,
    pub peer: Netns,
}

impl Pod {
    /// Creates both namespaces, the veth pair, addresses and routes.
    pub fn new() -> Pod {
        let pod = Netns::new("pod");
        let peer = Netns::new("peer");
        for ns in [&pod, &peer] {
            // No duplicate address detection: IPv6 addresses are usable at once.
            ns.run(|| {
                for f in ["all", "default"] {
                    let p = format!("/proc/sys/net/ipv6/conf/{f}/accept_dad");
                    std::fs::write(&p, "0").unwrap_or_else(|e| panic!("{p}: {e}"));
                }
            });
        }
        pod.ip(&[
            "link",
            "add",
            "eth0",
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            peer.name(),
        ]);
        for (ns, a) in [(&pod, V4.pod), (&peer, V4.peer)] {
            ns.ip(&["addr", "add", &format!("{a}/24"), "dev", "eth0"]);
        }
        for (ns, a) in [(&pod, V6.pod), (&peer, V6.peer)] {
            ns.ip(&["addr", "add", &format!("{a}/64"), "dev", "eth0", "nodad"]);
        }
        peer.ip(&["addr", "add", V4.excluded_cidr, "dev", "eth0"]);
        peer.ip(&["addr", "add", V6.excluded_cidr, "dev", "eth0", "nodad"]);
        peer.ip(&["addr", "add", &format!("{}/32", V4.outside), "dev", "lo"]);
        peer.ip(&["addr", "add", &format!("{}/128", V6.outside), "dev", "lo"]);
        for ns in [&pod, &peer] {
            ns.ip(&["link", "set", "eth0", "up"]);
        }
        pod.ip(&["route", "add", "10.88.0.0/24", "via", V4.peer]);
        pod.ip(&["-6", "route", "add", "fd88::/64", "via", V6.peer]);
        Pod { pod, peer }
    }

    /// Runs `mesh-init args...` inside the pod with a clean environment
    /// (`PATH` and `env` only).
    pub fn mesh_init(&self, args: &[String], env: &[(&str, &str)]) -> Output {
        self.mesh_init_with_path(args, env, PATH)
    }

    /// Like [`Pod::mesh_init`] with a chosen `PATH` for mesh-init.
    pub fn mesh_init_with_path(&self, args: &[String], env: &[(&str, &str)], path: &str) -> Output {
        let mut cmd = self.pod.command(mesh_init());
        cmd.args(args)
            .env_clear()
            .env("PATH", path)
            .envs(env.iter().copied());
        run_bounded(&mut cmd, RUN_LIMIT)
    }

    /// Normalized `*-save` of one variant and family in the pod.
    pub fn save(&self, backend: Backend, ipv6: bool) -> String {
        let mut cmd = self.pod.command(backend.save_program(ipv6));
        let out = run_bounded(&mut cmd, Duration::from_secs(20));
        assert!(
            out.success(),
            "{} failed: {}",
            backend.save_program(ipv6),
            out.stderr
        );
        normalize_save(&out.stdout)
    }

    /// Every variant and family, for "nothing changed" checks.
    pub fn snapshot(&self) -> String {
        let mut all = String::new();
        for b in Backend::ALL {
            for v6 in [false, true] {
                all.push_str(&format!(
                    "== {}\n{}\n",
                    b.save_program(v6),
                    self.save(b, v6)
                ));
            }
        }
        all
    }

    /// Runs `iptables-<backend> <args>` (or ip6tables) inside the pod.
    pub fn iptables(&self, backend: Backend, ipv6: bool, args: &[&str]) {
        let mut cmd = self.pod.command(backend.program(ipv6));
        cmd.args(args);
        let out = run_bounded(&mut cmd, Duration::from_secs(20));
        assert!(
            out.success(),
            "{} {} failed: {}",
            backend.program(ipv6),
            args.join(" "),
            out.stderr
        );
    }
}

impl Default for Pod {
    fn default() -> Self {
        Pod::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_drops_comments_and_counters_only() {
        let save = "# Generated by x\n*nat\n:OUTPUT ACCEPT [12:720]\n:ISTIO_X - [0:0]\n-A OUTPUT -j ISTIO_X\nCOMMIT\n# Completed\n";
        assert_eq!(
            normalize_save(save),
            "*nat\n:OUTPUT ACCEPT\n:ISTIO_X -\n-A OUTPUT -j ISTIO_X\nCOMMIT"
        );
    }
}
