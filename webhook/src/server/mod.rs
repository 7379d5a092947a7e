//! `meshinject serve`: the admission webhook server. [`start`] wires the
//! pieces (TLS in [`tls`] / [`selfsigned`], configuration sources in
//! `crate::watch`, handlers in [`routes`], accept loops in [`listener`],
//! `caBundle` upkeep in [`cabundle`]) and returns a [`Running`] server that
//! shuts down gracefully.

pub mod cabundle;
pub mod decide;
pub mod listener;
pub mod memo;
pub mod options;
pub mod routes;
pub mod selfsigned;
pub mod tls;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::config::features::NativeSidecarMode;
use crate::config::Features;
use crate::metrics::Metrics;
use crate::watch::kube::{self as kw, ClientError, ConfigMapSource};
use crate::watch::{files, ClusterState, ConfigStore};

pub use options::{Options, OptionsError, HELP};
pub use routes::AppState;
pub use tls::{CertStore, TlsError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("serving certificate: {0}")]
    Tls(#[from] TlsError),
    #[error("generating the self-signed certificate: {0}")]
    SelfSigned(#[from] rcgen::Error),
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("Kubernetes API access: {0}")]
    Kube(#[from] ClientError),
}

/// A started server.
#[derive(Debug)]
pub struct Running {
    /// Where the admission (HTTPS) and monitoring (HTTP) ports listen.
    pub https_addr: SocketAddr,
    pub monitoring_addr: SocketAddr,
    pub state: Arc<AppState>,
    pub certs: Arc<CertStore>,
    /// The CA of `--self-signed` (PEM).
    pub ca_pem: Option<String>,
    shutdown: watch::Sender<bool>,
    shutdown_delay: std::time::Duration,
    servers: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
}

impl Running {
    /// Turns `/readyz` to failing, keeps serving for the shutdown delay, then
    /// stops accepting, lets connections in flight finish (up to the drain
    /// timeout) and stops the watches.
    pub async fn shutdown(self) {
        self.state.shutting_down.store(true, Ordering::Relaxed);
        if !self.shutdown_delay.is_zero() {
            tracing::info!(delay = ?self.shutdown_delay, "not ready; serving until the delay ends");
            tokio::time::sleep(self.shutdown_delay).await;
        }
        let _ = self.shutdown.send(true);
        for s in self.servers {
            let _ = s.await;
        }
        for b in self.background {
            b.abort();
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// Starts the server: loads the certificate, binds both ports, starts the
/// configuration source and the watches. Returns once listening; the
/// server is ready (`/readyz`) when a valid configuration is loaded.
pub async fn start(opts: Options, features: Features) -> Result<Running, ServeError> {
    let metrics = Arc::new(Metrics::default());
    let native_auto = features.native_sidecars == NativeSidecarMode::Auto;
    let openshift = features.platform.eq_ignore_ascii_case("openshift");
    let store = Arc::new(ConfigStore::new(features, metrics.clone()));
    let cluster = Arc::new(ClusterState::default());
    let mut background = Vec::new();

    // The serving certificate.
    let (certs, ca_pem) = if opts.self_signed {
        let names = selfsigned::service_names(&opts.service, opts.service_namespace());
        let s = selfsigned::generate(&names)?;
        let key = tls::certified_key(s.cert_chain_pem.as_bytes(), s.key_pem.as_bytes())?;
        tracing::info!(names = ?names, "generated a self-signed serving certificate");
        (Arc::new(CertStore::new(key)), Some(s.ca_pem))
    } else {
        let files = tls::CertFiles {
            cert: opts.tls_cert.clone().expect("checked by Options::parse"),
            key: opts.tls_key.clone().expect("checked by Options::parse"),
        };
        let certs = Arc::new(CertStore::new(files.load()?));
        metrics.cert_reload(true);
        background.push(tokio::spawn(tls::watch_files(
            files,
            certs.clone(),
            metrics.clone(),
            opts.reload_interval,
        )));
        (certs, None)
    };
    let tls_config = tls::server_config(opts.tls_min_version, certs.clone())?;

    // API access: required to watch ConfigMaps; otherwise used when asked
    // for (--kubeconfig) or inside a cluster.
    let client = match &opts.inject_config_dir {
        None => Some(kw::client(opts.kubeconfig.as_deref()).await?),
        Some(_)
            if opts.kubeconfig.is_some()
                || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() =>
        {
            match kw::client(opts.kubeconfig.as_deref()).await {
                Ok(c) => Some(c),
                Err(e) if !opts.self_signed => {
                    tracing::warn!(error = %e, "no API access: nodes are not watched");
                    None
                }
                Err(e) => return Err(e.into()),
            }
        }
        Some(_) => None,
    };

    // The configuration source.
    match &opts.inject_config_dir {
        Some(dir) => {
            let source = files::FileSource {
                config_dir: dir.clone(),
                mesh_file: opts.mesh_config_file.clone(),
            };
            background.push(tokio::spawn(files::run(
                source,
                store.clone(),
                opts.reload_interval,
            )));
        }
        None => {
            let source = ConfigMapSource {
                namespace: opts.config_namespace.clone(),
                injector: opts.injector_configmap(),
                mesh: opts.mesh_configmap(),
            };
            tracing::info!(source = %source.describe(), "watching the injection configuration");
            let client = client.clone().expect("built above for this source");
            background.push(tokio::spawn(kw::run_configmaps(
                client,
                source,
                store.clone(),
            )));
        }
    }
    let needs_nodes = native_auto && client.is_some() && !opts.noop;
    let needs_namespaces = openshift && client.is_some() && !opts.noop;
    if let Some(client) = &client {
        if needs_nodes {
            background.push(tokio::spawn(kw::run_nodes(client.clone(), cluster.clone())));
        }
        if needs_namespaces {
            background.push(tokio::spawn(kw::run_namespaces(
                client.clone(),
                cluster.clone(),
            )));
        }
        if let Some(ca) = &ca_pem {
            background.push(tokio::spawn(cabundle::keep_ca_bundle(
                client.clone(),
                opts.webhook_config(),
                ca.clone(),
                metrics.clone(),
            )));
        }
    } else if ca_pem.is_some() {
        tracing::warn!("no API access: the caBundle of the webhook configuration is not managed");
    }

    let state = Arc::new(AppState {
        store,
        cluster,
        metrics,
        revision: opts.revision.clone(),
        engine: Arc::new(Semaphore::new(opts.workers)),
        memo: memo::Memo::new(opts.memo_mib << 20),
        noop: opts.noop,
        needs_nodes,
        needs_namespaces,
        shutting_down: Default::default(),
    });
    let https = bind(SocketAddr::new(opts.listen_address, opts.port)).await?;
    let monitoring = bind(SocketAddr::new(opts.listen_address, opts.monitoring_port)).await?;
    let https_addr = https.local_addr().expect("a bound socket has an address");
    let monitoring_addr = monitoring
        .local_addr()
        .expect("a bound socket has an address");
    let (shutdown, rx) = watch::channel(false);
    let servers = vec![
        tokio::spawn(listener::serve(
            https,
            Some(TlsAcceptor::from(tls_config)),
            routes::admission(state.clone()),
            rx.clone(),
            opts.drain_timeout,
        )),
        tokio::spawn(listener::serve(
            monitoring,
            None,
            routes::monitoring(state.clone()),
            rx,
            opts.drain_timeout,
        )),
    ];
    tracing::info!(%https_addr, %monitoring_addr, "meshinject serving");
    Ok(Running {
        https_addr,
        monitoring_addr,
        state,
        certs,
        ca_pem,
        shutdown,
        shutdown_delay: opts.shutdown_delay,
        servers,
        background,
    })
}
