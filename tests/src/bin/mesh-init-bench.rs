//! Benchmark: wall time of `mesh-init` applying the default sidecar
//! configuration in a fresh network namespace, against the floor (one bare
//! `iptables-restore --noflush` of the same payload, with the flags mesh-init
//! uses) and against one `iptables` process per rule, measured in the same
//! run, on the nft and the legacy backend.
//!
//! `cargo run --release -p e2e --bin mesh-init-bench -- [REPETITIONS] [--realtime]`
//! as root. mesh-init is built exactly as `Dockerfile.init` builds it (its
//! RUSTFLAGS and cargo profile, read from that file; see `e2e::build`), or
//! taken from `MESH_INIT_BIN`. `--realtime` runs every measured process with
//! the `SCHED_FIFO` policy, which shields the figures from other jobs on a
//! shared machine (they then show the intrinsic costs); without it they
//! include whatever contention the machine has, as a busy node would.
//!
//! Every measurement gets its own fresh namespace, created before the clock
//! starts; every measured process is started the same way, directly from a
//! thread that has entered the namespace (no `ip netns exec` in the timing),
//! with the PATH of the mesh-init image and stderr piped to the benchmark as
//! a container runtime would. One
//! repetition measures every method on both backends, in an order that
//! changes from one repetition to the next, so that machine noise (other
//! jobs, the kernel cleaning up deleted namespaces) hits all of them alike.
//! Each result is checked afterwards. Reported per backend: median, quartiles
//! and minimum of each method, the two ratios of medians, and the medians of
//! the per-repetition ratios.
//!
//! One more row, not part of the targets, splits mesh-init's overhead: the
//! bare restore fed mesh-init's exact input (the payload followed by the
//! listing of its tables that puts the final rules in the log).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e::build::{mesh_init_shipped as mesh_init, ShippedBuild};
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

const BACKENDS: [&str; 2] = ["nft", "legacy"];

/// The PATH of the `debian` images `Dockerfile.init` builds on: every measured
/// process looks its programs up there, as in the shipped image.
const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Method {
    MeshInit,
    Restore,
    PerRule,
    /// The restore of mesh-init's exact input (informational).
    RestoreWithListing,
}

const METHODS: [Method; 4] = [
    Method::MeshInit,
    Method::Restore,
    Method::PerRule,
    Method::RestoreWithListing,
];

/// What every measurement of one backend needs.
struct Inputs {
    payload: String,
    with_listing: String,
    per_rule: Vec<Vec<String>>,
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

/// The payload followed by a `-S` listing of each of its tables, as mesh-init
/// feeds its restore on a fresh pod.
fn with_listing(payload: &str) -> String {
    let mut out = payload.to_string();
    for line in payload.lines() {
        if let Some(t) = line.strip_prefix('*') {
            out.push_str(&format!("*{}\n-S\nCOMMIT\n", t.trim()));
        }
    }
    out
}

/// The legacy backend waits for the xtables lock, as mesh-init's restore does.
fn backend_flags(backend: &str) -> &'static [&'static str] {
    match backend {
        "legacy" => &["--wait=30"],
        _ => &[],
    }
}

fn run(mut cmd: Command, stdin: Option<&str>) {
    cmd.env("PATH", IMAGE_PATH)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
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
fn measure(method: Method, backend: &str, inputs: &Inputs) -> Duration {
    let ns = Netns::new("bench");
    let iptables = format!("iptables-{backend}");
    let restore = |input: &str| {
        let mut c = Command::new(format!("{iptables}-restore"));
        c.arg("--noflush").args(backend_flags(backend));
        run(c, Some(input));
    };
    let elapsed = ns.run(|| {
        let start = Instant::now();
        match method {
            Method::MeshInit => {
                let mut c = Command::new(mesh_init());
                c.args(SIDECAR).args(["--force-iptables-binary", backend]);
                run(c, None);
            }
            Method::Restore => restore(&inputs.payload),
            Method::RestoreWithListing => restore(&inputs.with_listing),
            Method::PerRule => {
                for args in &inputs.per_rule {
                    let mut c = Command::new(&iptables);
                    c.args(args).args(backend_flags(backend));
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
        "{method:?} on {backend} did not install the rules:\n{saved}"
    );
    elapsed
}

/// The `k`-th of the 24 orders of the four methods.
fn order(k: usize) -> [Method; 4] {
    let mut pool: Vec<Method> = METHODS.to_vec();
    let mut out = [Method::MeshInit; 4];
    let mut k = k % 24;
    for (i, slot) in out.iter_mut().enumerate() {
        let radix = 4 - i;
        *slot = pool.remove(k % radix);
        k /= radix;
    }
    out
}

/// Median, first and third quartile, minimum.
struct Summary {
    median: f64,
    q1: f64,
    q3: f64,
    min: f64,
}

fn summary(mut v: Vec<f64>) -> Summary {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Summary {
        median: at(0.5),
        q1: at(0.25),
        q3: at(0.75),
        min: v[0],
    }
}

fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Switches this process, and so every thread and process it starts from now
/// on, to the `SCHED_FIFO` real-time policy.
fn realtime() {
    let param = libc::sched_param { sched_priority: 10 };
    // SAFETY: sched_setscheduler on this process with a valid parameter.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    assert_eq!(
        rc,
        0,
        "cannot switch to SCHED_FIFO: {}",
        std::io::Error::last_os_error()
    );
}

fn main() {
    let mut reps = 100;
    let mut rt = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--realtime" => rt = true,
            n => {
                reps = n
                    .parse()
                    .expect("usage: mesh-init-bench [REPETITIONS] [--realtime]")
            }
        }
    }
    assert!(reps > 0, "REPETITIONS must be at least 1");
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
    let inputs = Inputs {
        with_listing: with_listing(&payload),
        per_rule: per_rule_commands(&payload),
        payload,
    };
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "mesh-init benchmark: default sidecar configuration ({} rules and chains), {reps} repetitions, fresh netns each",
        inputs.per_rule.len()
    );
    match std::env::var_os("MESH_INIT_BIN") {
        Some(_) => println!("mesh-init: {} (MESH_INIT_BIN)", bin.display()),
        None => {
            let build = ShippedBuild::of_dockerfile();
            println!(
                "mesh-init: {} (as Dockerfile.init builds it: --profile {}, RUSTFLAGS=\"{}\")",
                bin.display(),
                build.profile,
                build.rustflags
            );
        }
    }
    println!(
        "load average at the start: {} (on {cpus} CPUs); scheduling: {}",
        load_average(),
        if rt {
            "SCHED_FIFO (--realtime)"
        } else {
            "normal"
        }
    );
    if rt {
        realtime();
    }
    // Warm-up (page cache, kernel modules), not counted.
    for backend in BACKENDS {
        for m in METHODS {
            measure(m, backend, &inputs);
        }
    }
    // times[backend][method][repetition], in seconds
    let mut times = vec![vec![Vec::with_capacity(reps); METHODS.len()]; BACKENDS.len()];
    for rep in 0..reps {
        for b in 0..BACKENDS.len() {
            // Alternate which backend goes first, and go through every order
            // of the methods.
            let b = (b + rep) % BACKENDS.len();
            for m in order(rep / 2) {
                let i = METHODS.iter().position(|x| *x == m).expect("a method");
                times[b][i].push(measure(m, BACKENDS[b], &inputs).as_secs_f64());
            }
        }
    }
    let ms = |s: f64| format!("{:.2} ms", s * 1000.0);
    for (b, backend) in BACKENDS.iter().enumerate() {
        let t = &times[b];
        let s: Vec<Summary> = t.iter().map(|v| summary(v.clone())).collect();
        println!(
            "\nbackend {backend}{:>46}  {:>9}  {:>9}  {:>9}",
            "median", "q1", "q3", "min"
        );
        let labels = [
            "mesh-init (detect, apply, log final rules)".to_string(),
            format!("bare iptables-{backend}-restore --noflush"),
            format!("one iptables-{backend} process per rule"),
            "(bare restore of mesh-init's input + listing)".to_string(),
        ];
        for (label, s) in labels.iter().zip(&s) {
            println!(
                "  {label:<46} {:>9}  {:>9}  {:>9}  {:>9}",
                ms(s.median),
                ms(s.q1),
                ms(s.q3),
                ms(s.min)
            );
        }
        let paired = |num: usize, den: usize| {
            summary(t[num].iter().zip(&t[den]).map(|(n, d)| n / d).collect()).median
        };
        println!(
            "  mesh-init / bare restore = {:.2}x (target <= 1.5x); per-rule / mesh-init = {:.1}x (target >= 10x)",
            s[0].median / s[1].median,
            s[2].median / s[0].median
        );
        println!(
            "  (medians of the per-repetition ratios: {:.2}x and {:.1}x)",
            paired(0, 1),
            paired(2, 0)
        );
    }
    println!(
        "\nload average at the end: {} (on {cpus} CPUs)",
        load_average()
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

    #[test]
    fn every_table_of_the_payload_is_listed_after_it() {
        let input = with_listing("* mangle\n-N A\nCOMMIT\n* nat\n-N B\nCOMMIT\n");
        assert_eq!(
            input,
            "* mangle\n-N A\nCOMMIT\n* nat\n-N B\nCOMMIT\n*mangle\n-S\nCOMMIT\n*nat\n-S\nCOMMIT\n"
        );
    }

    #[test]
    fn the_orders_are_all_permutations() {
        let orders: Vec<[Method; 4]> = (0..24).map(order).collect();
        for o in &orders {
            for m in METHODS {
                assert_eq!(o.iter().filter(|x| **x == m).count(), 1, "{o:?}");
            }
        }
        let distinct: std::collections::BTreeSet<String> =
            orders.iter().map(|o| format!("{o:?}")).collect();
        assert_eq!(distinct.len(), 24);
    }

    #[test]
    fn summary_takes_median_and_quartiles() {
        let s = summary(vec![5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!((s.median, s.q1, s.q3, s.min), (3.0, 2.0, 4.0, 1.0));
    }
}
