//! The webhook against the local control plane: `meshinject` built from this
//! workspace, a serving certificate generated with `openssl` for 127.0.0.1,
//! `meshinject serve` run as a local process (stopped by pid), the
//! MutatingWebhookConfiguration that points the API server at it, and the
//! injector ConfigMaps loaded with kubectl.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::kube::{ControlPlane, KubeError};

/// Path to a `meshinject` built from this workspace (same profile as the
/// running test); `MESHINJECT_BIN` overrides it.
pub fn meshinject() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var_os("MESHINJECT_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::build::workspace_bin("webhook", "meshinject"))
    })
}

/// The workspace root (for `webhook/defaults` and `../shared/conformance`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> KubeError {
    let what = what.into();
    move |source| KubeError::Io { what, source }
}

fn run(cmd: &mut Command) -> Result<String, KubeError> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(io(shown.clone()))?;
    if !out.status.success() {
        return Err(KubeError::Command {
            command: shown,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A self-signed serving certificate (its own CA) for IP 127.0.0.1 and
/// DNS `localhost`.
#[derive(Debug, Clone)]
pub struct ServingCert {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The certificate in base64, for `caBundle`.
    pub ca_bundle: String,
}

impl ServingCert {
    pub fn generate(dir: &Path) -> Result<ServingCert, KubeError> {
        let (cert, key) = (dir.join("webhook.crt"), dir.join("webhook.key"));
        run(Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert))?;
        let ca_bundle = run(Command::new("openssl")
            .args(["base64", "-A", "-in"])
            .arg(&cert))?
        .trim()
        .to_string();
        Ok(ServingCert {
            cert,
            key,
            ca_bundle,
        })
    }
}

/// A free TCP port on 127.0.0.1 for a server (see [`crate::kube::free_port`]).
pub fn free_port() -> u16 {
    crate::kube::free_port().expect("a free port")
}

/// A running `meshinject serve`; stopped (SIGTERM by pid, then SIGKILL) on
/// [`Webhook::stop`] or drop.
#[derive(Debug)]
pub struct Webhook {
    child: Option<Child>,
    pub port: u16,
    pub monitoring_port: u16,
    pub log: PathBuf,
    args: Vec<String>,
}

impl Webhook {
    /// Starts `meshinject serve --port <port> --kubeconfig <plane> EXTRA`
    /// (see [`Webhook::new`]) and waits for `/readyz`.
    pub fn start(plane: &ControlPlane, port: u16, extra: &[&str]) -> Result<Webhook, KubeError> {
        let mut w = Webhook::serve(plane, port, extra);
        w.restart()?;
        Ok(w)
    }

    /// `meshinject serve --port <port> --kubeconfig <plane> EXTRA`, not
    /// started yet.
    pub fn serve(plane: &ControlPlane, port: u16, extra: &[&str]) -> Webhook {
        let mut args = vec![
            "serve".to_string(),
            "--port".into(),
            port.to_string(),
            "--kubeconfig".into(),
            plane.kubeconfig.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Webhook::new(plane, port, args)
    }

    /// Starts `meshinject ARGS` (see [`Webhook::new`]) and waits for `/readyz`.
    pub fn start_args(
        plane: &ControlPlane,
        port: u16,
        args: Vec<String>,
    ) -> Result<Webhook, KubeError> {
        let mut w = Webhook::new(plane, port, args);
        w.restart()?;
        Ok(w)
    }

    /// `meshinject ARGS --listen-address 127.0.0.1 --monitoring-port <free>`
    /// (ARGS serve on `port`), not started yet.
    pub fn new(plane: &ControlPlane, port: u16, mut args: Vec<String>) -> Webhook {
        let monitoring_port = free_port();
        args.extend([
            "--listen-address".into(),
            "127.0.0.1".into(),
            "--monitoring-port".into(),
            monitoring_port.to_string(),
        ]);
        Webhook {
            child: None,
            port,
            monitoring_port,
            log: plane.dir().join(format!("meshinject-{port}.log")),
            args,
        }
    }

    /// Starts the process again with the same flags (after [`Webhook::stop`])
    /// and waits for `/readyz`; a process that does not get ready is stopped.
    pub fn restart(&mut self) -> Result<(), KubeError> {
        self.spawn()?;
        let ready = self.wait_ready(Duration::from_secs(30));
        if ready.is_err() {
            self.stop();
        }
        ready
    }

    /// Starts the process with the same flags, without waiting for it.
    pub fn spawn(&mut self) -> Result<(), KubeError> {
        self.stop();
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(io(format!("opening {}", self.log.display())))?;
        let err = out.try_clone().map_err(io("duplicating a log file"))?;
        let child = Command::new(meshinject())
            .args(&self.args)
            // The plane has no nodes and is v1.20, which refuses sidecars
            // as init containers: decide it here rather than from nodes.
            .env("ENABLE_NATIVE_SIDECARS", "false")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(io("starting meshinject serve"))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until `/readyz` answers 200; fails if the process exits or
    /// `timeout` passes first.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<(), KubeError> {
        let start = Instant::now();
        loop {
            if self.get("/readyz").is_some_and(|(code, _)| code == 200) {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                return Err(KubeError::Exited {
                    name: "meshinject serve".into(),
                    status: status.to_string(),
                    log: self.log.clone(),
                    tail: self.log_text(),
                });
            }
            if start.elapsed() > timeout {
                return Err(KubeError::Timeout {
                    what: "meshinject serve /readyz".into(),
                    secs: timeout.as_secs(),
                    log: self.log.clone(),
                    tail: self.log_text(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A plain-HTTP GET on the monitoring port: status code and body.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.monitoring_port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let code = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
        Some((code, body))
    }

    /// The value of an unlabelled metric on `/metrics`.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let (_, body) = self.get("/metrics")?;
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }

    /// SIGTERM by pid, SIGKILL after 10 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Creates or replaces the MutatingWebhookConfiguration `name` calling
/// `url` with `ca_bundle` (base64, may be empty), for namespaces labelled
/// `istio-injection=enabled`.
pub fn register(
    plane: &ControlPlane,
    name: &str,
    url: &str,
    ca_bundle: &str,
    failure_policy: &str,
) -> Result<(), KubeError> {
    let ca = if ca_bundle.is_empty() {
        String::new()
    } else {
        format!(", \"caBundle\": \"{ca_bundle}\"")
    };
    let doc = format!(
        r#"{{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
  "metadata": {{"name": "{name}"}},
  "webhooks": [{{"name": "sidecar-injector.meshinject.test",
    "clientConfig": {{"url": "{url}"{ca}}},
    "rules": [{{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}}],
    "namespaceSelector": {{"matchLabels": {{"istio-injection": "enabled"}}}},
    "objectSelector": {{"matchExpressions": [{{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}}]}},
    "sideEffects": "None", "admissionReviewVersions": ["v1", "v1beta1"],
    "failurePolicy": "{failure_policy}", "timeoutSeconds": 10}}]}}"#
    );
    plane.kubectl(&["apply", "-f", "-"], Some(&doc)).map(drop)
}

/// Creates or replaces the ConfigMaps `istio-sidecar-injector` (`config`,
/// `values`) and `istio` (`mesh`) in istio-system from the given texts.
pub fn load_config(
    plane: &ControlPlane,
    config: &str,
    values: &str,
    mesh: &str,
) -> Result<(), KubeError> {
    let cm = |name: &str, data: serde_json::Value| {
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "istio-system"}, "data": data})
        .to_string()
    };
    let _ = plane.kubectl(&["create", "namespace", "istio-system"], None);
    plane.kubectl(
        &["apply", "-f", "-"],
        Some(&cm("istio", serde_json::json!({ "mesh": mesh }))),
    )?;
    plane.kubectl(
        &["apply", "-f", "-"],
        Some(&cm(
            "istio-sidecar-injector",
            serde_json::json!({"config": config, "values": values}),
        )),
    )?;
    Ok(())
}

/// Replaces only the `values` key of `istio-sidecar-injector`.
pub fn set_values(plane: &ControlPlane, values: &str) -> Result<(), KubeError> {
    set_values_in(plane, "istio-system", values)
}

/// Replaces only the `values` key of `istio-sidecar-injector` in `ns`.
pub fn set_values_in(plane: &ControlPlane, ns: &str, values: &str) -> Result<(), KubeError> {
    let patch = serde_json::json!({"data": {"values": values}}).to_string();
    plane
        .kubectl(
            &[
                "-n",
                ns,
                "patch",
                "configmap",
                "istio-sidecar-injector",
                "--type=merge",
                "-p",
                &patch,
            ],
            None,
        )
        .map(drop)
}

/// `meshinject kube-inject -f <file>` with the given configuration files:
/// the injected stream.
pub fn kube_inject(file: &Path, config: &Path, values: &Path, mesh: &Path) -> String {
    let out = Command::new(meshinject())
        .arg("kube-inject")
        .arg("-f")
        .arg(file)
        .arg("--injectConfigFile")
        .arg(config)
        .arg("--valuesFile")
        .arg(values)
        .arg("--meshConfigFile")
        .arg(mesh)
        .output()
        .expect("running meshinject kube-inject");
    assert!(
        out.status.success(),
        "meshinject kube-inject -f {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("kube-inject prints UTF-8")
}

/// `kubectl run` a bare pod (image `hello:1.0`, `extra` flags such as
/// `--labels=…` or `--annotations=…`) and return what the API server stored.
pub fn run_pod(plane: &ControlPlane, ns: &str, name: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "-n",
        ns,
        "run",
        name,
        "--image=hello:1.0",
        "--restart=Never",
    ];
    args.extend(extra);
    plane
        .kubectl(&args, None)
        .unwrap_or_else(|e| panic!("kubectl run {ns}/{name}: {e}"));
    plane
        .kubectl_json(&["-n", ns, "get", "pod", name])
        .unwrap_or_else(|e| panic!("get pod {ns}/{name}: {e}"))
}

/// The first pod of namespace `ns` matching `selector` (may be empty) once
/// one exists (a controller creates them shortly after their owner).
pub fn first_pod(plane: &ControlPlane, ns: &str, selector: &str) -> serde_json::Value {
    plane
        .eventually(Duration::from_secs(60), || {
            let mut args = vec!["-n", ns, "get", "pods"];
            if !selector.is_empty() {
                args.extend(["-l", selector]);
            }
            let list = plane.kubectl_json(&args).ok()?;
            list["items"].as_array()?.first().cloned()
        })
        .unwrap_or_else(|| {
            panic!(
                "no pod in {ns} ({selector}); events:\n{:?}",
                plane.kubectl(&["-n", ns, "get", "events"], None)
            )
        })
}
