//! One immutable snapshot of everything that configures injection: the
//! injector ConfigMap (`config` with its parsed templates, `values`), the
//! mesh config and the feature switches. Built once per configuration
//! change and shared by every request; a snapshot that fails to build is
//! refused whole, so callers keep serving the previous one.

use crate::config::{ConfigError, Features, InjectorConfig, MeshConfig, Values};
use crate::template::{TemplateError, Templates};

/// Everything injection reads from configuration.
#[derive(Debug)]
pub struct Settings {
    pub injector: InjectorConfig,
    pub templates: Templates,
    pub values: Values,
    pub mesh: MeshConfig,
    pub features: Features,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("config.templates: {0}")]
    Template(#[from] TemplateError),
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
        })
    }
}
