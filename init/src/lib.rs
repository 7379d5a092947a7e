//! `mesh-init`: a drop-in replacement for Istio's `istio-iptables`.
//!
//! Flags and environment are parsed by [`cli`] and become a validated [`config`]; the
//! pure [`plan`] turns it into one `iptables-restore` payload per address family;
//! [`apply`] writes those payloads into the current network namespace and
//! [`validate`] checks that the capture works.

pub mod apply;
pub mod cli;
pub mod config;
pub mod plan;
pub mod validate;
