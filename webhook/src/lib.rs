//! meshinject: Istio-compatible sidecar injection.
pub mod k8s;
