//! meshinject: Istio-compatible sidecar injection.
//!
//! [`inject`] is the pure engine shared by the admission webhook and
//! `meshinject kube-inject`.

pub mod gojson;
pub mod goyaml;
pub mod inject;
pub mod kube_inject;
pub mod template;

pub mod config;
pub mod defaults;
pub mod k8s;
