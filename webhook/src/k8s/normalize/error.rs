//! Why a value cannot be decoded into its Go type, with the field path Go's decoder reports.

use super::QuantityError;

/// Why a value cannot be decoded into its Go type.
#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    /// The requested type is not in the schema.
    #[error("unknown kubernetes type {0:?}")]
    UnknownType(String),
    /// A JSON value of the wrong kind.
    #[error("{path}: cannot decode {found} into a Go {expected}")]
    Type {
        /// Field path, e.g. `spec.containers[0].name`.
        path: String,
        /// The Go type expected there.
        expected: &'static str,
        /// The JSON kind found.
        found: &'static str,
    },
    /// A number that does not fit the Go integer type.
    #[error("{path}: number {number} does not fit a Go {expected}")]
    Range {
        /// Field path.
        path: String,
        /// The number as written.
        number: String,
        /// The Go type expected there.
        expected: &'static str,
    },
    /// A malformed resource quantity.
    #[error("{path}: {source}")]
    Quantity {
        /// Field path.
        path: String,
        /// What is wrong with the quantity (names the value).
        #[source]
        source: QuantityError,
    },
    /// A malformed timestamp.
    #[error("{path}: invalid time {value:?}: {reason}")]
    Time {
        /// Field path.
        path: String,
        /// The timestamp text.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl NormalizeError {
    fn path_mut(&mut self) -> Option<&mut String> {
        match self {
            NormalizeError::UnknownType(_) => None,
            NormalizeError::Type { path, .. }
            | NormalizeError::Range { path, .. }
            | NormalizeError::Quantity { path, .. }
            | NormalizeError::Time { path, .. } => Some(path),
        }
    }

    /// Puts one step of the path in front, while the error travels up from where it happened
    /// (paths are built only for errors).
    pub(super) fn within(mut self, step: std::fmt::Arguments<'_>) -> NormalizeError {
        if let Some(path) = self.path_mut() {
            *path = format!("{step}{path}");
        }
        self
    }

    /// The path as reported: `spec.containers[0].name`, `<root>` for the object itself.
    pub(super) fn finish(mut self) -> NormalizeError {
        if let Some(path) = self.path_mut() {
            if path.is_empty() {
                *path = "<root>".to_string();
            } else if let Some(rest) = path.strip_prefix('.') {
                *path = rest.to_string();
            }
        }
        self
    }
}
