//! One immutable snapshot of everything that configures injection: the
//! injector ConfigMap (`config` with its parsed templates, `values`), the
//! mesh config and the feature switches. Built once per configuration
//! change and shared by every request; a snapshot that fails to build is
//! refused whole, so callers keep serving the previous one.
//!
//! What the templates read from the mesh config and the values is converted
//! to template data once per snapshot (`Views`) rather than per request.

use std::sync::OnceLock;

use crate::config::{ConfigError, Features, InjectorConfig, MeshConfig, ProxyConfig, Values};
use crate::template::{mesh_config_to_go, proxy_config_to_go, Prepared, TemplateError, Templates};

/// Everything injection reads from configuration.
#[derive(Debug)]
pub struct Settings {
    pub injector: InjectorConfig,
    pub templates: Templates,
    values: Values,
    mesh: MeshConfig,
    pub features: Features,
    /// Built on first use from `mesh` and `values`, which only change through
    /// [`Settings::set_mesh`] (which drops them).
    views: OnceLock<Views>,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("config.templates: {0}")]
    Template(#[from] TemplateError),
    /// Reading the configuration hit a bug (a panic, caught).
    #[error("internal error while reading the configuration: {0}")]
    Internal(String),
}

/// The mesh config and values as templates see them, converted once.
#[derive(Debug)]
pub(crate) struct Views {
    /// The mesh config's `defaultConfig`.
    pub mesh_default: ProxyConfig,
    /// The ProxyConfig of a pod without a `proxy.istio.io/config` annotation.
    pub proxy_config: ProxyConfig,
    pub proxy_config_data: Prepared,
    pub mesh_data: Prepared,
    pub values_data: Prepared,
}

impl Views {
    fn build(mesh: &MeshConfig, values: &Values) -> Views {
        let mesh_default = mesh.default_config();
        let proxy_config = ProxyConfig::effective_without_annotation(&mesh_default);
        Views {
            mesh_default,
            proxy_config_data: proxy_config_data(&proxy_config),
            mesh_data: mesh_data(mesh),
            values_data: Prepared::new("Values", values.raw()),
            proxy_config,
        }
    }
}

/// The template data of a ProxyConfig.
pub(crate) fn proxy_config_data(pc: &ProxyConfig) -> Prepared {
    Prepared::new("ProxyConfig", &proxy_config_to_go(&pc.to_value()))
}

/// The template data of a mesh config.
pub(crate) fn mesh_data(mesh: &MeshConfig) -> Prepared {
    Prepared::new("MeshConfig", &mesh_config_to_go(&mesh.to_value()))
}

impl Settings {
    /// Parses the three ConfigMap values: `config` (YAML), `values` (JSON)
    /// and `mesh` (YAML over Istio's mesh defaults).
    pub fn from_sources(
        config: &str,
        values: &str,
        mesh: &str,
        features: Features,
    ) -> Result<Settings, SettingsError> {
        let injector = InjectorConfig::parse(config)?;
        let mut templates = Templates::new();
        for (name, src) in &injector.templates {
            templates.parse(name, src)?;
        }
        Ok(Settings {
            injector,
            templates,
            values: Values::parse(values)?,
            mesh: MeshConfig::parse(mesh)?,
            features,
            views: OnceLock::new(),
        })
    }

    /// The injector `values`.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// The mesh config.
    pub fn mesh(&self) -> &MeshConfig {
        &self.mesh
    }

    /// Replaces the mesh config (and the template data made from it).
    pub fn set_mesh(&mut self, mesh: MeshConfig) {
        self.mesh = mesh;
        self.views = OnceLock::new();
    }

    /// Whether `mesh` is the mesh config of these settings.
    pub(crate) fn is_mesh(&self, mesh: &MeshConfig) -> bool {
        self.mesh.message() == mesh.message()
    }

    /// The template views of `mesh` and `values`: built on first use and kept.
    pub(crate) fn views(&self) -> &Views {
        self.views
            .get_or_init(|| Views::build(&self.mesh, &self.values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_can_be_shared_between_request_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Settings>();
    }

    #[test]
    fn views_follow_changes_to_the_mesh_config() {
        let config = "policy: enabled\ntemplates:\n  sidecar: |\n    metadata: {}\n";
        let mut settings =
            Settings::from_sources(config, "{}", "", Features::default()).expect("settings");
        let first: *const Views = settings.views();
        assert!(std::ptr::eq(first, settings.views()), "cached");
        assert_eq!(settings.views().mesh_default.status_port(), 15020);
        let mesh = settings
            .mesh()
            .apply_yaml("defaultConfig:\n  statusPort: 15999\n")
            .expect("mesh");
        settings.set_mesh(mesh);
        assert_eq!(settings.views().mesh_default.status_port(), 15999);
    }
}
