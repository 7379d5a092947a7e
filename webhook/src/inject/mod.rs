//! The injection engine: decide, render, merge, post-process, patch.
//!
//! Everything here is a pure function of its inputs (pod, configuration,
//! cluster facts); the webhook server and `kube-inject` are thin callers.

pub mod annotations;
pub mod cluster;
pub mod decide;
pub mod images;
pub mod order;
pub mod pod;
pub mod probes;
pub mod prometheus;
pub mod status;
pub mod workloads;
