//! Load generator for `meshinject serve`:
//! `cargo build --release -p webhook --bin meshinject --example bench_server &&
//!  target/release/examples/bench_server [CORPUS_DIR] [--seconds N] [--levels 1,16,64]
//!  [--runs inject,inject-distinct,floor] [--client-threads N] [--log-level FILTER]
//!  [--server-arg ARG]...`.
//!
//! Starts the release `meshinject serve` as a child process on loopback
//! (mounted-files configuration from the corpus' base, a generated
//! certificate, the server's default log level `info` unless `--log-level`
//! says otherwise, its log thrown away), drives HTTPS keep-alive load at
//! each concurrency level (one connection per client, requests back to
//! back) and reports requests per second, p50 and p99 latency, the
//! server's peak RSS (VmHWM) and the CPU time server and client spent per
//! request (from /proc: steadier than throughput on a shared machine), and
//! the share of the machine's CPU time the hypervisor gave other guests
//! meanwhile (steal, from /proc/stat: how disturbed the figures are).
//!
//! Three runs, each against a fresh server: `inject`, every request the
//! same hello pod (as a ReplicaSet's pods arrive); `inject-distinct`, every
//! request a different pod (its labels carry a counter), so nothing the
//! server may remember of an earlier request applies; `floor`, the same
//! pod against `meshinject serve --noop`, which decodes the review and
//! allows it without injecting, on the same TLS stack. Prints both
//! injection runs' throughput over the floor's.
//!
//! The client runs on the same machine as the server, unpinned, as a tokio
//! runtime of `--client-threads` workers, default 1: it then never takes
//! more than one core from the server, and one core drives it well past the
//! floor's rate (about 20 us of client CPU per request). Its CPU time per
//! request is printed beside the server's.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio_rustls::rustls::{self, crypto::ring, pki_types::ServerName, RootCertStore};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The review of the hello pod; with `distinct`, its labels carry the
/// placeholder [`SERIAL`] for a per-request counter.
fn hello_review(distinct: bool) -> String {
    let hash = if distinct { SERIAL } else { "7d4f5" };
    serde_json::to_string(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "bench", "namespace": "default", "operation": "CREATE",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "object": {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"generateName": format!("hello-{hash}-"), "namespace": "default", "labels": {"app": "hello", "pod-template-hash": hash},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("hello-{hash}"), "controller": true, "uid": "u"}]},
                "spec": {"containers": [{"name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0",
                    "ports": [{"name": "http", "containerPort": 80}]}]}}}
    }))
    .unwrap()
}

const SERIAL: &str = "SERIAL";

/// Request bodies: always the same one, or the template with a new counter each time.
#[derive(Clone)]
enum Bodies {
    Same(Bytes),
    Distinct(Arc<Vec<String>>, Arc<AtomicU64>),
}

impl Bodies {
    fn next(&self) -> Bytes {
        match self {
            Bodies::Same(b) => b.clone(),
            Bodies::Distinct(parts, counter) => {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                Bytes::from(parts.join(&format!("{n:x}")))
            }
        }
    }
}

/// CPU time (user + system) of process `pid` so far, from /proc (USER_HZ is 100).
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    Duration::from_millis(f.iter().sum::<u64>() * 10)
}

/// The machine's CPU time so far, all of it and the part stolen by the hypervisor (other
/// guests), in USER_HZ ticks, from the `cpu` line of /proc/stat.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|x| x.parse().ok())
        .collect();
    (f.iter().sum(), f.get(7).copied().unwrap_or(0))
}

struct Server {
    child: Child,
    https: SocketAddr,
}

impl Server {
    fn start(bin: &Path, dir: &Path, noop: bool, extra: &[String]) -> Server {
        let (port, mon) = (free_port(), free_port());
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--listen-address", "127.0.0.1"])
            .args(extra)
            .args([
                "--port",
                &port.to_string(),
                "--monitoring-port",
                &mon.to_string(),
            ])
            .arg("--tls-cert")
            .arg(dir.join("cert.pem"))
            .arg("--tls-key")
            .arg(dir.join("key.pem"))
            .arg("--inject-config-dir")
            .arg(dir.join("inject"))
            .arg("--mesh-config-file")
            .arg(dir.join("mesh"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if noop {
            cmd.arg("--noop");
        }
        let child = cmd.spawn().expect("starting meshinject serve");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if readyz(mon) {
                break;
            }
            assert!(Instant::now() < deadline, "server not ready within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            https: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    /// Peak resident set size in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn readyz(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.write_all(b"GET /readyz HTTP/1.0\r\nHost: x\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.0 200") || out.starts_with("HTTP/1.1 200")
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr, cfg: Arc<rustls::ClientConfig>) -> Sender {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let tls = tokio_rustls::TlsConnector::from(cfg)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

struct Phase {
    rps: f64,
    p50: Duration,
    p99: Duration,
    /// CPU time per measured request: server, client.
    server_cpu: Duration,
    client_cpu: Duration,
    /// Share of the machine's CPU time stolen by other guests while measuring.
    steal: f64,
}

struct Load {
    addr: SocketAddr,
    server_pid: String,
    cfg: Arc<rustls::ClientConfig>,
    bodies: Bodies,
    warmup: Duration,
    measure: Duration,
    expect: &'static str,
}

async fn run_phase(load: &Load, concurrency: usize) -> Phase {
    let (addr, expect) = (load.addr, load.expect);
    let start = Instant::now() + load.warmup;
    let end = start + load.measure;
    let cpu = {
        let pid = load.server_pid.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            let before = (cpu_time(&pid), cpu_time("self"), machine_ticks());
            tokio::time::sleep_until(end.into()).await;
            let (total, stolen) = machine_ticks();
            (
                cpu_time(&pid).saturating_sub(before.0),
                cpu_time("self").saturating_sub(before.1),
                stolen.saturating_sub(before.2 .1) as f64
                    / total.saturating_sub(before.2 .0).max(1) as f64,
            )
        })
    };
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (cfg, bodies) = (load.cfg.clone(), load.bodies.clone());
            tokio::spawn(async move {
                let mut sender = connect(addr, cfg).await;
                let mut samples = Vec::new();
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    let req = hyper::Request::post("/inject")
                        .header("host", "localhost")
                        .header("content-type", "application/json")
                        .body(Full::new(bodies.next()))
                        .unwrap();
                    sender.ready().await.unwrap();
                    let resp = sender.send_request(req).await.unwrap();
                    assert_eq!(resp.status(), 200);
                    let out = resp.into_body().collect().await.unwrap().to_bytes();
                    assert!(
                        out.windows(expect.len()).any(|w| w == expect.as_bytes()),
                        "unexpected answer: {}",
                        String::from_utf8_lossy(&out)
                    );
                    if t0 >= start && t0 < end {
                        samples.push(t0.elapsed());
                    }
                }
                samples
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let (server_cpu, client_cpu, steal) = cpu.await.unwrap();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    let n = all.len().max(1) as u32;
    Phase {
        rps: all.len() as f64 / load.measure.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
        server_cpu: server_cpu / n,
        client_cpu: client_cpu / n,
        steal,
    }
}

const USAGE: &str = "usage: bench_server [CORPUS_DIR] [--seconds N] [--levels 1,16,64] \
[--runs inject,inject-distinct,floor] [--client-threads N] [--log-level FILTER] [--server-arg ARG]...";

fn main() {
    let mut args = std::env::args().skip(1);
    let mut corpus =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/inject");
    let mut seconds = 5.0;
    let mut levels = vec![1usize, 16, 64];
    let mut client_threads = 1;
    let mut server_args: Vec<String> = Vec::new();
    let mut runs = vec![
        "inject".to_string(),
        "inject-distinct".into(),
        "floor".into(),
    ];
    while let Some(a) = args.next() {
        let mut value = |what: &str| args.next().unwrap_or_else(|| panic!("{a} {what}"));
        match a.as_str() {
            "--seconds" => seconds = value("N").parse().expect("--seconds N"),
            "--levels" => {
                levels = value("1,16,64")
                    .split(',')
                    .map(|l| l.parse().expect("--levels: numbers"))
                    .collect()
            }
            "--client-threads" => client_threads = value("N").parse().expect("--client-threads N"),
            "--log-level" => server_args.extend(["--log-level".into(), value("FILTER")]),
            "--server-arg" => server_args.push(value("ARG")),
            "--runs" => {
                runs = value("inject,inject-distinct,floor")
                    .split(',')
                    .map(str::to_string)
                    .collect()
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other if other.starts_with('-') => {
                eprintln!("bench_server: unknown option {other}\n{USAGE}");
                std::process::exit(2);
            }
            other => corpus = PathBuf::from(other),
        }
    }
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("meshinject");
    assert!(
        bin.is_file(),
        "{} not built: cargo build --release -p webhook --bin meshinject",
        bin.display()
    );

    let dir = std::env::temp_dir().join(format!("meshinject-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("inject")).unwrap();
    std::fs::copy(corpus.join("base/config.yaml"), dir.join("inject/config"))
        .expect("corpus base/config.yaml");
    std::fs::copy(corpus.join("base/values.json"), dir.join("inject/values")).unwrap();
    std::fs::copy(corpus.join("base/mesh.yaml"), dir.join("mesh")).unwrap();
    let pki = webhook::server::selfsigned::generate(&["localhost".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), &pki.cert_chain_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &pki.key_pem).unwrap();

    let mut roots = RootCertStore::empty();
    {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        roots
            .add(CertificateDer::from_pem_slice(pki.ca_pem.as_bytes()).unwrap())
            .unwrap();
    }
    let cfg = Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let same = Bodies::Same(Bytes::from(hello_review(false)));
    let distinct = {
        let parts = hello_review(true)
            .split(SERIAL)
            .map(str::to_string)
            .collect();
        Bodies::Distinct(Arc::new(parts), Arc::new(AtomicU64::new(0)))
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_threads)
        .enable_all()
        .build()
        .unwrap();
    let (warmup, measure) = (Duration::from_secs(1), Duration::from_secs_f64(seconds));
    println!(
        "meshinject serve benchmark: hello pod, HTTPS keep-alive, {seconds} s per level after 1 s warm-up, \
         {} cores, {client_threads} client threads, server args {server_args:?}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut results = Vec::new();
    for (name, label, noop, bodies, expect) in [
        ("inject", "inject", false, &same, "JSONPatch"),
        (
            "inject-distinct",
            "inject-distinct",
            false,
            &distinct,
            "JSONPatch",
        ),
        ("floor", "floor (--noop)", true, &same, "\"allowed\":true"),
    ] {
        if !runs.iter().any(|r| r == name) {
            continue;
        }
        let server = Server::start(&bin, &dir, noop, &server_args);
        let load = Load {
            addr: server.https,
            server_pid: server.child.id().to_string(),
            cfg: cfg.clone(),
            bodies: bodies.clone(),
            warmup,
            measure,
            expect,
        };
        let mut row = Vec::new();
        for &c in &levels {
            let p = rt.block_on(run_phase(&load, c));
            println!(
                "{label:<16} c={c:<3} {:>7.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  \
                 peak RSS {:>5.1} MiB  CPU/req server {:>4.0} us client {:>4.0} us  steal {:>3.0}%",
                p.rps,
                p.p50.as_secs_f64() * 1e3,
                p.p99.as_secs_f64() * 1e3,
                server.peak_rss_mib(),
                p.server_cpu.as_secs_f64() * 1e6,
                p.client_cpu.as_secs_f64() * 1e6,
                p.steal * 100.0,
            );
            row.push(p.rps);
        }
        results.push((label, row));
    }
    let floor = results
        .iter()
        .find(|(label, _)| label.starts_with("floor"))
        .map(|(_, row)| row.clone())
        .unwrap_or_default();
    for (label, row) in results.iter().filter(|(l, _)| !l.starts_with("floor")) {
        if floor.is_empty() {
            break;
        }
        let ratios: Vec<String> = row
            .iter()
            .zip(&floor)
            .zip(&levels)
            .map(|((r, f), c)| format!("c={c} {:.2}", r / f))
            .collect();
        println!("ratio {label}/floor: {}", ratios.join("  "));
    }
    println!(
        "load average after: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
