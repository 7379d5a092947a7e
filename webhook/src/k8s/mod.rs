//! Kubernetes semantics the injector needs, as pure functions over `serde_json::Value`.
pub mod quantity;
