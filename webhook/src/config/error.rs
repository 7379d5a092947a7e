//! The one error type of the configuration model: every error names the ConfigMap key (or the
//! pod annotation) and the field inside it, and says why.

use super::proto::ProtoError;
use super::yaml::YamlError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A ConfigMap value (`config`, `values`, `mesh`) is not valid YAML/JSON.
    #[error("{key}: {reason}")]
    Syntax { key: String, reason: String },
    /// A field has the wrong type or an invalid value; `path` starts with the ConfigMap key
    /// (`mesh.defaultConfig.statusPort`, `config.templates`, `values.global.proxy`).
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    /// The pod annotation (`proxy.istio.io/config`) could not be applied.
    #[error("annotation {annotation}: {reason}")]
    Annotation { annotation: String, reason: String },
}

impl ConfigError {
    pub(crate) fn syntax(key: &str, err: YamlError) -> ConfigError {
        ConfigError::Syntax {
            key: key.to_string(),
            reason: err.to_string(),
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl From<ProtoError> for ConfigError {
    fn from(e: ProtoError) -> ConfigError {
        ConfigError::Invalid {
            path: e.path,
            reason: e.reason,
        }
    }
}
