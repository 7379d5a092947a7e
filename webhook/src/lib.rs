//! meshinject: Istio-compatible sidecar injection.
pub mod goyaml;
pub mod template;
