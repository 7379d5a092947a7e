//! `mesh-init`: a drop-in replacement for Istio's `istio-iptables`.
//!
//! Flags and environment become a validated [`config`]; the pure [`plan`]
//! turns it into one `iptables-restore` payload per address family; `apply`
//! writes those payloads into the current network namespace.

pub mod apply;
pub mod validate;
