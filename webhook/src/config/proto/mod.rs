//! Protobuf messages as Istio reads and prints them, without generated code: a schema table of
//! Istio's API (`schema.json`, with the Go field names the templates' Go view uses), a
//! jsonpb-compatible decoder that applies JSON over a message, and the jsonpb printer behind
//! `protoToJSON`.
//!
//! Messages are held as canonical proto-JSON objects (see `decode`); the typed wrappers in
//! [`crate::config::mesh`] and [`crate::config::proxy`] are what the rest of the crate uses.

pub(crate) mod decode;
pub mod duration;
pub(crate) mod encode;
mod scalar;
pub(crate) mod schema;

pub use decode::ProtoError;
