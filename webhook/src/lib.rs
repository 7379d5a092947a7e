//! meshinject: Istio-compatible sidecar injection.

pub mod config;
