//! Load generator for `meshinject serve`:
//! `cargo build --release -p webhook --bin meshinject --example bench_server &&
//!  target/release/examples/bench_server [CORPUS_DIR] [--seconds N]`.
//!
//! Starts the release `meshinject serve` as a child process on loopback
//! (mounted-files configuration from the corpus' base, a generated
//! certificate), drives HTTPS keep-alive load at concurrency 1, 16 and 64
//! with the hello pod (one connection per client, requests back to back),
//! and reports requests per second, p50 and p99 latency and the server's
//! peak RSS (VmHWM). Then the same against `meshinject serve --noop`, a
//! responder that decodes the review and allows it without injecting, on
//! the same TLS stack: the floor. Prints injection/floor throughput ratios.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

fn hello_review() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "bench", "namespace": "default", "operation": "CREATE",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "object": {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"generateName": "hello-7d4f5-", "namespace": "default", "labels": {"app": "hello", "pod-template-hash": "7d4f5"},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "hello-7d4f5", "controller": true, "uid": "u"}]},
                "spec": {"containers": [{"name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0",
                    "ports": [{"name": "http", "containerPort": 80}]}]}}}
    }))
    .unwrap()
}

struct Server {
    child: Child,
    https: SocketAddr,
}

impl Server {
    fn start(bin: &Path, dir: &Path, noop: bool) -> Server {
        let (port, mon) = (free_port(), free_port());
        let mut cmd = Command::new(bin);
        cmd.args([
            "serve",
            "--listen-address",
            "127.0.0.1",
            "--log-level",
            "warn",
        ])
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
}

async fn run_phase(
    addr: SocketAddr,
    cfg: Arc<rustls::ClientConfig>,
    body: Bytes,
    concurrency: usize,
    warmup: Duration,
    measure: Duration,
    expect: &'static str,
) -> Phase {
    let start = Instant::now() + warmup;
    let end = start + measure;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (cfg, body) = (cfg.clone(), body.clone());
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
                        .body(Full::new(body.clone()))
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
                    if t0 >= start {
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
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Phase {
        rps: all.len() as f64 / measure.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut corpus =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/inject");
    let mut seconds = 5.0;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--seconds N")
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
    let body = Bytes::from(hello_review());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (warmup, measure) = (Duration::from_secs(1), Duration::from_secs_f64(seconds));
    let levels = [1usize, 16, 64];
    println!(
        "meshinject serve benchmark: hello pod, HTTPS keep-alive, {seconds} s per level after 1 s warm-up, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut results = Vec::new();
    for (label, noop, expect) in [
        ("inject", false, "JSONPatch"),
        ("floor (--noop)", true, "\"allowed\":true"),
    ] {
        let server = Server::start(&bin, &dir, noop);
        let mut row = Vec::new();
        for &c in &levels {
            let p = rt.block_on(run_phase(
                server.https,
                cfg.clone(),
                body.clone(),
                c,
                warmup,
                measure,
                expect,
            ));
            println!(
                "{label:<15} c={c:<3} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  server peak RSS {:>5.1} MiB",
                p.rps,
                p.p50.as_secs_f64() * 1e3,
                p.p99.as_secs_f64() * 1e3,
                server.peak_rss_mib()
            );
            row.push(p.rps);
        }
        results.push(row);
    }
    for (i, c) in levels.iter().enumerate() {
        println!(
            "ratio inject/floor c={c:<3} {:.2}",
            results[0][i] / results[1][i]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
