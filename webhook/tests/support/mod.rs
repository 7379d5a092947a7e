//! Shared harness for the server tests: certificates and config files in
//! a scratch directory, a server started on free loopback ports, and a
//! real HTTPS client (rustls + hyper) that keeps its connection.

#![allow(dead_code)]

pub mod corpus;
pub mod pods;
pub mod template_data;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, crypto::ring, pki_types::ServerName, RootCertStore};
use webhook::config::Features;
use webhook::server::{self, selfsigned, Options, Running};

/// A fresh scratch directory.
pub fn scratch(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "meshinject-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `path` atomically (a rename, as a ConfigMap volume update is).
pub fn write_atomic(path: &Path, text: &[u8]) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A CA and a serving pair for `localhost`, in PEM.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn pki() -> Pki {
    let s = selfsigned::generate(&["localhost".to_string()]).unwrap();
    Pki {
        ca_pem: s.ca_pem,
        cert_pem: s.cert_chain_pem,
        key_pem: s.key_pem,
    }
}

/// A client configuration trusting `ca_pem` only.
pub fn client_config(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

/// A running server with its files.
pub struct Harness {
    pub running: Running,
    pub dir: PathBuf,
    pub pki: Pki,
    pub client: Arc<rustls::ClientConfig>,
}

impl Harness {
    pub fn config_dir(&self) -> PathBuf {
        self.dir.join("inject")
    }

    pub async fn connect(&self) -> Conn {
        Conn::open(self.running.https_addr, self.client.clone(), "localhost").await
    }

    /// One request on a new connection.
    pub async fn post(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (u16, Bytes) {
        self.connect().await.post(path, content_type, body).await
    }

    /// A review of `pod` on a new connection; the decoded response.
    pub async fn review(&self, version: &str, uid: &str, pod: &Value) -> Value {
        let (status, body) = self
            .post(
                "/inject",
                Some("application/json"),
                review_body(version, uid, pod),
            )
            .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    pub async fn metrics(&self) -> String {
        http_get(self.running.monitoring_addr, "/metrics").await.1
    }

    /// The value of one metric series.
    pub async fn metric(&self, series: &str) -> f64 {
        metric_value(&self.metrics().await, series)
    }
}

pub fn metric_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{series} not exported"))
        .parse()
        .unwrap()
}

/// Starts a server over the corpus' base configuration (mounted-files
/// mode) with a fresh certificate; `None` when the corpus is absent.
pub async fn start(features: Features, tweak: impl FnOnce(&mut Options)) -> Option<Harness> {
    let corpus = corpus::dir()?;
    let dir = scratch("serve");
    let inject = dir.join("inject");
    std::fs::create_dir_all(&inject).unwrap();
    std::fs::copy(corpus.join("base/config.yaml"), inject.join("config")).unwrap();
    std::fs::copy(corpus.join("base/values.json"), inject.join("values")).unwrap();
    std::fs::copy(corpus.join("base/mesh.yaml"), dir.join("mesh")).unwrap();
    let pki = pki();
    std::fs::write(dir.join("cert.pem"), &pki.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &pki.key_pem).unwrap();
    let mut opts = Options {
        listen_address: [127, 0, 0, 1].into(),
        port: 0,
        monitoring_port: 0,
        tls_cert: Some(dir.join("cert.pem")),
        tls_key: Some(dir.join("key.pem")),
        inject_config_dir: Some(inject),
        mesh_config_file: Some(dir.join("mesh")),
        reload_interval: Duration::from_millis(100),
        drain_timeout: Duration::from_secs(5),
        ..Options::default()
    };
    tweak(&mut opts);
    let running = server::start(opts, features).await.expect("server starts");
    let client = client_config(&pki.ca_pem, rustls::DEFAULT_VERSIONS);
    let h = Harness {
        running,
        dir,
        pki,
        client,
    };
    wait_until(Duration::from_secs(10), || async {
        http_get(h.running.monitoring_addr, "/readyz").await.0 == 200
    })
    .await
    .expect("server ready within 10 s");
    Some(h)
}

/// Polls `cond` every 50 ms until it holds or `limit` passes.
pub async fn wait_until<F, Fut>(limit: Duration, mut cond: F) -> Result<(), ()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if cond().await {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One kept-alive HTTPS connection (HTTP/1.1).
pub struct Conn {
    sender: hyper::client::conn::http1::SendRequest<
        http_body_util::combinators::BoxBody<Bytes, std::io::Error>,
    >,
    /// The server's leaf certificate (DER) as presented on this connection.
    pub peer_cert: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr, cfg: Arc<rustls::ClientConfig>, name: &str) -> Conn {
        Self::try_open(addr, cfg, name)
            .await
            .expect("tls connection")
    }

    pub async fn try_open(
        addr: SocketAddr,
        cfg: Arc<rustls::ClientConfig>,
        name: &str,
    ) -> std::io::Result<Conn> {
        let tcp = TcpStream::connect(addr).await?;
        let connector = tokio_rustls::TlsConnector::from(cfg);
        let tls = connector
            .connect(ServerName::try_from(name.to_string()).unwrap(), tcp)
            .await?;
        let peer_cert = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(conn);
        Ok(Conn { sender, peer_cert })
    }

    /// Sends a request with a streamed body; returns the status and body.
    pub async fn send(
        &mut self,
        req: hyper::Request<http_body_util::combinators::BoxBody<Bytes, std::io::Error>>,
    ) -> (u16, Bytes) {
        self.sender.ready().await.unwrap();
        let resp = self.sender.send_request(req).await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.into_body().collect().await.unwrap().to_bytes())
    }

    pub async fn post(
        &mut self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (u16, Bytes) {
        let mut b = hyper::Request::post(path).header("host", "localhost");
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        let body = Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed();
        self.send(b.body(body).unwrap()).await
    }
}

/// A plain-HTTP GET (monitoring port).
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// An AdmissionReview request body for `pod`.
pub fn review_body(version: &str, uid: &str, pod: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": version,
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": pod["metadata"]["namespace"].as_str().unwrap_or("default"),
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": pod,
        }
    }))
    .unwrap()
}

/// A request body the test sends frame by frame.
type BodyFrames = tokio::sync::mpsc::Sender<Result<hyper::body::Frame<Bytes>, std::io::Error>>;

/// The rest of a review whose body is still arriving ([`half_sent_review`]).
pub struct RestOfBody {
    frames: BodyFrames,
    rest: Vec<u8>,
}

impl RestOfBody {
    /// Sends the second half of the body and ends it.
    pub async fn send(self) {
        let frame = hyper::body::Frame::data(Bytes::from(self.rest));
        self.frames.send(Ok(frame)).await.unwrap();
    }
}

/// A review request of [`hello_pod`] with uid `uid` whose body is still
/// arriving: its first half is on its way, the rest is sent by
/// [`RestOfBody::send`].
pub async fn half_sent_review(
    uid: &str,
) -> (
    hyper::Request<http_body_util::combinators::BoxBody<Bytes, std::io::Error>>,
    RestOfBody,
) {
    let (frames, rx) = tokio::sync::mpsc::channel(4);
    let mut body = review_body(webhook::admission::V1, uid, &hello_pod());
    let req = hyper::Request::post("/inject")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("content-length", body.len().to_string())
        .body(BodyExt::boxed(http_body_util::StreamBody::new(
            futures_util::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|f| (f, rx)) }),
        )))
        .unwrap();
    let rest = body.split_off(body.len() / 2);
    let first = hyper::body::Frame::data(Bytes::from(body));
    frames.send(Ok(first)).await.unwrap();
    (req, RestOfBody { frames, rest })
}

/// Asserts that a review with uid `uid` was answered with a patch.
pub fn assert_patched_review(status: u16, body: &[u8], uid: &str) {
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(body));
    let r: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(r["response"]["uid"], uid);
    assert_eq!(r["response"]["patchType"], "JSONPatch");
}

/// A plain pod as a ReplicaSet creates it.
pub fn hello_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"generateName": "hello-7d4f5-", "namespace": "default",
            "labels": {"app": "hello", "pod-template-hash": "7d4f5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "hello-7d4f5", "controller": true, "uid": "u"}]},
        "spec": {"containers": [{"name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0",
            "ports": [{"name": "http", "containerPort": 80}]}]}
    })
}

/// The decoded JSON patch of a response (`None`: no patch).
pub fn patch_of(review: &Value) -> Option<json_patch::Patch> {
    use base64::Engine as _;
    let b64 = review["response"]["patch"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    Some(serde_json::from_slice(&bytes).unwrap())
}

/// `pod` with the response's patch applied.
pub fn patched(pod: &Value, review: &Value) -> Value {
    let mut p = pod.clone();
    if let Some(patch) = patch_of(review) {
        json_patch::patch(&mut p, &patch).expect("the patch applies to the request's pod");
    }
    p
}

/// The `istio-init` container's arguments in `pod`.
pub fn init_args(pod: &Value) -> Vec<String> {
    pod["spec"]["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == "istio-init")
        .and_then(|c| c["args"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(String::from))
        .collect()
}
