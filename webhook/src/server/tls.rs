//! TLS for the admission port: the serving certificate in force (swapped
//! atomically, so new handshakes get the new pair while established
//! connections keep theirs), the rustls configuration (TLS 1.2 and 1.3
//! only, ring provider, ALPN h2 and http/1.1), and the poller that reloads
//! `--tls-cert` / `--tls-key` when their content changes on disk.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio_rustls::rustls::{
    self,
    crypto::ring,
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
    ServerConfig,
};

use crate::metrics::Metrics;

/// The oldest TLS version accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinVersion {
    Tls12,
    Tls13,
}

impl std::str::FromStr for MinVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "1.2" | "TLS1.2" | "VersionTLS12" => Ok(MinVersion::Tls12),
            "1.3" | "TLS1.3" | "VersionTLS13" => Ok(MinVersion::Tls13),
            other => Err(format!(
                "unsupported TLS version {other:?}: want 1.2 or 1.3"
            )),
        }
    }
}

/// Why a certificate pair cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("certificate: no PEM certificate found")]
    NoCertificate,
    #[error("certificate: {0}")]
    CertPem(rustls::pki_types::pem::Error),
    #[error("private key: {0}")]
    KeyPem(rustls::pki_types::pem::Error),
    #[error("certificate and key: {0}")]
    Pair(rustls::Error),
    #[error("tls configuration: {0}")]
    Config(rustls::Error),
}

/// Parses a PEM certificate chain and private key into a servable pair
/// (the key must match the first certificate).
pub fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(TlsError::CertPem)?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(TlsError::KeyPem)?;
    CertifiedKey::from_der(chain, key, &ring::default_provider()).map_err(TlsError::Pair)
}

/// The serving certificate in force.
#[derive(Debug)]
pub struct CertStore {
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertStore {
    pub fn new(key: CertifiedKey) -> CertStore {
        CertStore {
            current: RwLock::new(Arc::new(key)),
        }
    }

    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn replace(&self, key: CertifiedKey) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The rustls server configuration over `certs`.
pub fn server_config(
    min: MinVersion,
    certs: Arc<CertStore>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let versions: &[&rustls::SupportedProtocolVersion] = match min {
        MinVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        MinVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let mut cfg = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_protocol_versions(versions)
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_cert_resolver(certs);
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The certificate and key files.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl CertFiles {
    fn read(&self) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
        let read = |p: &PathBuf| {
            std::fs::read(p).map_err(|source| TlsError::Read {
                path: p.display().to_string(),
                source,
            })
        };
        Ok((read(&self.cert)?, read(&self.key)?))
    }

    /// Reads and parses the pair.
    pub fn load(&self) -> Result<CertifiedKey, TlsError> {
        let (c, k) = self.read()?;
        certified_key(&c, &k)
    }
}

/// Re-reads the files every `interval`; a changed pair that loads replaces
/// the one in force, one that does not is logged and counted once and the
/// previous pair stays. Runs until the task is dropped.
pub async fn watch_files(
    files: CertFiles,
    store: Arc<CertStore>,
    metrics: Arc<Metrics>,
    interval: Duration,
) {
    let mut last_seen = files.read().ok();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let f = files.clone();
        let Ok(read) = tokio::task::spawn_blocking(move || f.read()).await else {
            continue;
        };
        let pair = match read {
            Ok(pair) => pair,
            Err(e) => {
                // A file missing mid-swap is normal; say so only at debug level.
                tracing::debug!(error = %e, "serving certificate not readable");
                continue;
            }
        };
        if last_seen.as_ref() == Some(&pair) {
            continue;
        }
        match certified_key(&pair.0, &pair.1) {
            Ok(key) => {
                store.replace(key);
                metrics.cert_reload(true);
                tracing::info!(cert = %files.cert.display(), "serving certificate reloaded");
            }
            Err(e) => {
                metrics.cert_reload(false);
                tracing::error!(cert = %files.cert.display(), error = %e, "serving certificate refused; the previous one stays in force");
            }
        }
        last_seen = Some(pair);
    }
}
