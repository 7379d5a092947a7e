//! Protobuf messages as Istio reads and prints them, without generated code: a schema table of
//! Istio's API (`schema.json`), a jsonpb-compatible decoder that applies JSON over a message,
//! the jsonpb printer behind `protoToJSON`, and the Go-struct view the templates walk.
//!
//! Messages are held as canonical proto-JSON objects (see `decode`); the typed wrappers in
//! [`crate::config::mesh`] and [`crate::config::proxy`] are what the rest of the crate uses.

pub(crate) mod decode;
pub mod duration;
pub(crate) mod encode;
mod scalar;
pub(crate) mod schema;

pub use decode::ProtoError;
