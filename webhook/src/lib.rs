//! meshinject: Istio-compatible sidecar injection.
//!
//! [`inject`] is the pure engine shared by the admission webhook and
//! `meshinject kube-inject`.

pub mod config;
pub mod defaults;
pub mod gojson;
pub mod goyaml;
pub mod inject;
pub mod k8s;
pub mod kube_inject;
pub mod template;
