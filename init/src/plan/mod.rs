//! The pure rule planner: a [`Config`] becomes one iptables-restore payload per address
//! family, byte for byte what Istio's `istio-iptables` writes for the same settings.
//!
//! [`builder`] owns tables, chain declarations, rule order and rendering; [`capture`]
//! orders the rule groups of [`inbound`], [`outbound`] and [`dns`].

use crate::config::Config;

pub mod builder;
mod capture;
mod dns;
mod inbound;
mod outbound;

/// Chains `mesh-init` creates (all start with `ISTIO_`).
pub mod chains {
    pub const OUTPUT: &str = "ISTIO_OUTPUT";
    pub const OUTPUT_DNS: &str = "ISTIO_OUTPUT_DNS";
    pub const INBOUND: &str = "ISTIO_INBOUND";
    pub const DIVERT: &str = "ISTIO_DIVERT";
    pub const TPROXY: &str = "ISTIO_TPROXY";
    pub const REDIRECT: &str = "ISTIO_REDIRECT";
    pub const IN_REDIRECT: &str = "ISTIO_IN_REDIRECT";
    pub const DROP: &str = "ISTIO_DROP";
}

/// The iptables-restore payloads to apply (with `--noflush`), per address family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub ipv4: String,
    /// `None` when IPv6 is disabled.
    pub ipv6: Option<String>,
}

/// Plan every rule for `config`.
pub fn plan(config: &Config) -> Plan {
    let mut rules = builder::Rules::new(config.enable_ipv6);
    capture::build(config, &mut rules);
    let (ipv4, ipv6) = rules.render();
    Plan { ipv4, ipv6 }
}

#[cfg(test)]
mod tests;
