//! Benchmark: wall time of `mesh-init` applying the default sidecar
//! configuration in a fresh network namespace, against the floor (one bare
//! `iptables-restore --noflush` of the same payload) and against one
//! `iptables` process per rule, measured in the same run.
//!
//! `cargo run --release -p e2e --bin mesh-init-bench -- [REPETITIONS]` as root.
//!
//! Every measurement gets its own fresh namespace, created before the clock
//! starts; the measured process is started directly from a thread that has
//! entered the namespace (no `ip netns exec` in the timing). The three
//! methods are interleaved so that machine noise hits them alike, each
//! result is checked afterwards, and medians are reported per backend.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e::build::mesh_init;
use e2e::netns::Netns;

/// Istio's sidecar template arguments (IPv4 pod).
const SIDECAR: &[&str] = &[
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
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    MeshInit,
    Restore,
    PerRule,
}

/// (median, minimum)
fn stats(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[0])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// `iptables` arguments for each payload line (`-t <table>` plus the line).
fn per_rule_commands(payload: &str) -> Vec<Vec<String>> {
    let mut table = String::new();
    let mut out = Vec::new();
    for line in payload.lines().map(str::trim) {
        if let Some(t) = line.strip_prefix('*') {
            table = t.trim().to_string();
        } else if line.starts_with('-') {
            let mut args = vec!["-t".to_string(), table.clone()];
            args.extend(line.split_whitespace().map(String::from));
            out.push(args);
        }
    }
    out
}

fn run(mut cmd: Command, stdin: Option<&str>) {
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .expect("cannot write the payload");
    }
    let out = child.wait_with_output().expect("cannot wait");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One timed application in a fresh namespace.
fn measure(method: Method, backend: &str, payload: &str, per_rule: &[Vec<String>]) -> Duration {
    let ns = Netns::new("bench");
    let iptables = format!("iptables-{backend}");
    let elapsed = ns.run(|| {
        let start = Instant::now();
        match method {
            Method::MeshInit => {
                let mut c = Command::new(mesh_init());
                c.args(SIDECAR).args(["--force-iptables-binary", backend]);
                run(c, None);
            }
            Method::Restore => {
                let mut c = Command::new(format!("{iptables}-restore"));
                c.arg("--noflush");
                if backend == "legacy" {
                    c.arg("--wait=30");
                }
                run(c, Some(payload));
            }
            Method::PerRule => {
                for args in per_rule {
                    let mut c = Command::new(&iptables);
                    c.args(args);
                    if backend == "legacy" {
                        c.arg("--wait=30");
                    }
                    run(c, None);
                }
            }
        }
        start.elapsed()
    });
    // Not timed: the rules must really be there.
    let saved = ns.run(|| {
        Command::new(format!("{iptables}-save"))
            .output()
            .expect("save")
    });
    let saved = String::from_utf8_lossy(&saved.stdout);
    assert!(
        saved.contains("-A OUTPUT -j ISTIO_OUTPUT")
            && saved.contains("-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001"),
        "the measured run did not install the rules:\n{saved}"
    );
    elapsed
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .map_or(30, |n| n.parse().expect("REPETITIONS must be a number"));
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the benchmark creates network namespaces: run it as root"
    );
    let bin = mesh_init();
    let dry = Command::new(bin)
        .args(SIDECAR)
        .arg("--dry-run")
        .output()
        .expect("mesh-init --dry-run");
    assert!(dry.status.success(), "mesh-init --dry-run failed");
    let payload = String::from_utf8(dry.stdout).expect("payload is UTF-8");
    let per_rule = per_rule_commands(&payload);
    println!(
        "mesh-init benchmark: default sidecar configuration ({} rules and chains), {reps} repetitions, fresh netns each",
        per_rule.len()
    );
    println!("mesh-init: {}", bin.display());
    for backend in ["nft", "legacy"] {
        let mut times: [Vec<Duration>; 3] = Default::default();
        let methods = [Method::MeshInit, Method::Restore, Method::PerRule];
        // warm-up (page cache, modules), not counted
        for m in methods {
            measure(m, backend, &payload, &per_rule);
        }
        for rep in 0..reps {
            for k in 0..3 {
                let i = (rep + k) % 3;
                times[i].push(measure(methods[i], backend, &payload, &per_rule));
            }
        }
        let [mut mi, mut rs, mut pr] = times;
        let ((mi, mi_min), (rs, rs_min), (pr, pr_min)) =
            (stats(&mut mi), stats(&mut rs), stats(&mut pr));
        println!("\nbackend {backend}:                                  median      (min)");
        println!(
            "  mesh-init (detect, apply, log final rules)   {:>9}  ({})",
            ms(mi),
            ms(mi_min)
        );
        println!(
            "  bare iptables-{backend}-restore --noflush{:w$}{:>9}  ({})",
            "",
            ms(rs),
            ms(rs_min),
            w = 10 - backend.len()
        );
        println!(
            "  one iptables-{backend} process per rule{:w$}{:>9}  ({})",
            "",
            ms(pr),
            ms(pr_min),
            w = 12 - backend.len()
        );
        println!(
            "  mesh-init / bare restore = {:.2}x (target <= 1.5x); per-rule / mesh-init = {:.1}x (target >= 10x)",
            mi.as_secs_f64() / rs.as_secs_f64(),
            pr.as_secs_f64() / mi.as_secs_f64()
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nload average at the end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_lines_become_one_command_each() {
        let cmds = per_rule_commands("* nat\n-N ISTIO_X\n-A OUTPUT -j ISTIO_X\nCOMMIT\n");
        assert_eq!(
            cmds,
            [
                vec!["-t", "nat", "-N", "ISTIO_X"],
                vec!["-t", "nat", "-A", "OUTPUT", "-j", "ISTIO_X"]
            ]
        );
    }
}
