//! meshinject: Istio-compatible sidecar injection.
//!
//! [`inject`] is the pure engine shared by the admission webhook and
//! `meshinject kube-inject`; [`server`] is the admission webhook
//! (`meshinject serve`) over it, [`admission`] its AdmissionReview codec,
//! [`watch`] its live configuration and [`metrics`] its counters.

pub mod admission;
pub mod config;
#[cfg(test)]
#[path = "../tests/support/corpus.rs"]
mod corpus;
pub mod defaults;
pub mod gofloat;
pub mod gojson;
pub mod goyaml;
pub mod inject;
pub mod k8s;
pub mod kube_inject;
pub mod metrics;
pub mod server;
pub mod template;
pub mod watch;
