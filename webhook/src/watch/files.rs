//! The configuration from mounted files: `--inject-config-dir` holding
//! `config` and `values` (the `istio-sidecar-injector` ConfigMap mounted
//! as a volume) and `--mesh-config-file` (the `mesh` key of ConfigMap
//! `istio`). Kubernetes updates such mounts by swapping a `..data`
//! symlink, so the files are simply re-read every interval and offered to
//! the store when their text changed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{ConfigStore, RawConfig};

/// Where the configuration files are.
#[derive(Debug, Clone)]
pub struct FileSource {
    pub config_dir: PathBuf,
    /// Absent: Istio's mesh defaults.
    pub mesh_file: Option<PathBuf>,
}

/// A configuration file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reading {path}: {source}")]
pub struct ReadError {
    path: String,
    source: std::io::Error,
}

fn read(path: &Path) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(|source| ReadError {
        path: path.display().to_string(),
        source,
    })
}

impl FileSource {
    /// Reads the three values.
    pub fn read(&self) -> Result<RawConfig, ReadError> {
        Ok(RawConfig {
            config: read(&self.config_dir.join("config"))?,
            values: read(&self.config_dir.join("values"))?,
            mesh: match &self.mesh_file {
                Some(p) => read(p)?,
                None => String::new(),
            },
        })
    }

    /// How the source is named in logs and `/debug/config`.
    pub fn describe(&self) -> String {
        match &self.mesh_file {
            Some(m) => format!("files {} and {}", self.config_dir.display(), m.display()),
            None => format!("files {}", self.config_dir.display()),
        }
    }
}

/// Re-reads the files every `interval` and offers changed text to the
/// store. Runs until the task is dropped.
pub async fn run(source: FileSource, store: Arc<ConfigStore>, interval: Duration) {
    let name = source.describe();
    let mut last_seen: Option<RawConfig> = None;
    let mut last_read_error: Option<String> = None;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let src = source.clone();
        let raw = match tokio::task::spawn_blocking(move || src.read()).await {
            Ok(Ok(raw)) => raw,
            Ok(Err(e)) => {
                let msg = e.to_string();
                if last_read_error.as_deref() != Some(&msg) {
                    tracing::warn!(source = %name, error = %msg, "configuration files not readable; keeping the configuration in force");
                    last_read_error = Some(msg);
                }
                continue;
            }
            Err(_) => continue,
        };
        last_read_error = None;
        if last_seen.as_ref() == Some(&raw) {
            continue;
        }
        last_seen = Some(raw.clone());
        let store = store.clone();
        let name = name.clone();
        // Refusals are logged and counted by the store.
        let _ = tokio::task::spawn_blocking(move || store.offer(raw, &name)).await;
    }
}
