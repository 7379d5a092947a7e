//! The injection engine: decide, render, merge, post-process, patch.
//!
//! Everything here is a pure function of its inputs (pod, [`Settings`],
//! cluster facts); the webhook server and `kube-inject` are thin callers.
//! [`engine::admit`] is the admission path, [`engine::inject_template`] the
//! manual-injection path.

pub mod annotations;
pub mod cluster;
pub mod decide;
pub mod engine;
pub mod images;
pub mod order;
pub mod overrides;
pub mod pod;
pub mod probes;
pub mod prometheus;
pub mod settings;
pub mod status;
pub mod workloads;

pub use engine::{admit, inject_template, AdmissionInput, ClusterFacts, Outcome};
pub use settings::{Settings, SettingsError};

pub(crate) use engine::overlay;

/// Why a pod could not be injected. Nothing is half-injected: an error
/// means the pod is refused (webhook) or the document is not written
/// (kube-inject).
#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    #[error("invalid pod: {0}")]
    InvalidPod(String),
    #[error("invalid annotations: {0}")]
    Annotations(#[from] annotations::InvalidAnnotations),
    #[error("{0}")]
    ProxyConfig(crate::config::ConfigError),
    #[error("requested template {name:?} not found; have {known}")]
    UnknownTemplate { name: String, known: String },
    #[error("failed to run injection template: {0}")]
    Render(String),
    #[error("template {template:?} produced invalid yaml: {reason}")]
    TemplateOutput { template: String, reason: String },
    #[error("failed applying injection overlay: {0}")]
    Merge(String),
    #[error("failed to process pod: {0}")]
    Prometheus(#[from] prometheus::PrometheusError),
    #[error("failed to re-apply containers: {0}")]
    Overrides(String),
}
