//! The configuration model: Istio's own ConfigMaps read as Istio reads them, with no I/O.
//!
//! - [`injector`]: ConfigMap `istio-sidecar-injector` key `config` ([`InjectorConfig`]);
//! - [`values`]: the same ConfigMap, key `values` ([`Values`]);
//! - [`mesh`]: ConfigMap `istio` key `mesh` over Istio's defaults ([`MeshConfig`]);
//! - [`proxy`]: the ProxyConfig of a pod: mesh `defaultConfig` and the
//!   `proxy.istio.io/config` annotation ([`ProxyConfig`]);
//! - [`selector`]: Kubernetes label selectors;
//! - [`features`]: environment switches (`ENABLE_NATIVE_SIDECARS`, `COMPLIANCE_POLICY`,
//!   `PLATFORM`).
//!
//! Errors ([`ConfigError`]) name the ConfigMap key and the field (`mesh.defaultConfig.statusPort`)
//! and say why.

pub mod error;
pub mod features;
pub mod injector;
pub mod mesh;
mod mesh_validate;
pub mod proto;
pub mod proxy;
pub mod selector;
pub mod values;
pub mod yaml;

#[cfg(test)]
mod corpus_tests;

pub use error::ConfigError;
pub use features::{Features, NativeSidecarMode, NodeInfo};
pub use injector::{InjectionPolicy, InjectorConfig};
pub use mesh::MeshConfig;
pub use proxy::{InterceptionMode, ProxyConfig, PROXY_CONFIG_ANNOTATION};
pub use selector::{LabelSelector, LabelSelectorRequirement, Labels, Selector, SelectorError};
pub use values::Values;
