//! Benchmark: wall time of `mesh-init` applying the default sidecar
//! configuration in a fresh network namespace, against the floor (one bare
//! `iptables-restore --noflush` of the same payload) and against one
//! `iptables` process per rule, measured in the same run.
//!
//! `cargo run --release -p e2e --bin mesh-init-bench -- [REPETITIONS]` as root.
//! mesh-init is measured as `Dockerfile.init` builds it (release, statically
//! linked; built on first use), or the binary named by `MESH_INIT_BIN`.
//!
//! Every measurement gets its own fresh namespace, created before the clock
//! starts; the measured process is started directly from a thread that has
//! entered the namespace (no `ip netns exec` in the timing). The three
//! methods are interleaved so that machine noise hits them alike, each
//! result is checked afterwards, and medians are reported per backend.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e::build::mesh_init_shipped as mesh_init;
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

/// A row of the report: label, median, minimum.
fn row(label: &str, (median, min): (Duration, Duration)) {
    println!("  {label:<46} {:>9}  {:>9}", ms(median), ms(min));
}

fn median_f64(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .map_or(50, |n| n.parse().expect("REPETITIONS must be a number"));
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
    let methods = [Method::MeshInit, Method::Restore, Method::PerRule];
    for backend in ["nft", "legacy"] {
        // warm-up (page cache, modules), not counted
        for m in methods {
            measure(m, backend, &payload, &per_rule);
        }
        // One row per repetition: the three methods back to back, rotated.
        let mut rows: Vec<[Duration; 3]> = Vec::with_capacity(reps);
        for rep in 0..reps {
            let mut row = [Duration::ZERO; 3];
            for k in 0..3 {
                let i = (rep + k) % 3;
                row[i] = measure(methods[i], backend, &payload, &per_rule);
            }
            rows.push(row);
        }
        let column = |i: usize| stats(&mut rows.iter().map(|r| r[i]).collect::<Vec<_>>());
        let (mi, rs, pr) = (column(0), column(1), column(2));
        println!("\nbackend {backend}{:>49}  {:>9}", "median", "min");
        row("mesh-init (detect, apply, log final rules)", mi);
        row(&format!("bare iptables-{backend}-restore --noflush"), rs);
        row(&format!("one iptables-{backend} process per rule"), pr);
        let paired_floor = median_f64(
            rows.iter()
                .map(|r| r[0].as_secs_f64() / r[1].as_secs_f64())
                .collect(),
        );
        let paired_rules = median_f64(
            rows.iter()
                .map(|r| r[2].as_secs_f64() / r[0].as_secs_f64())
                .collect(),
        );
        println!(
            "  mesh-init / bare restore = {:.2}x (target <= 1.5x); per-rule / mesh-init = {:.1}x (target >= 10x)",
            mi.0.as_secs_f64() / rs.0.as_secs_f64(),
            pr.0.as_secs_f64() / mi.0.as_secs_f64()
        );
        println!(
            "  (median of the per-repetition ratios: {paired_floor:.2}x and {paired_rules:.1}x)"
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nload average at the end: {} (on {} CPUs)",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
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
