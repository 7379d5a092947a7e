//! Kubernetes semantics the injector needs, as pure functions over `serde_json::Value`:
//! resource quantities ([`quantity`]), the Go typed round trip of objects ([`normalize`]),
//! strategic merge patch of pods ([`merge`]) and RFC 6902 patch creation ([`patch`]).
pub mod merge;
pub mod normalize;
pub mod patch;
pub mod quantity;
pub(crate) mod schema;
mod time;
