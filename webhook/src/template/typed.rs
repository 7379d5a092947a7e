//! Go types for template values during one render.
//!
//! gotmpl's values are untyped (maps, lists, scalars), while Go's template functions behave by static
//! type: `index` of a missing key in a `map[string]string` yields `""` (not `<no value>`),
//! `structToJSON` writes a Kubernetes struct with its JSON names in declaration order, `protoToJSON`
//! writes a protobuf message with protobuf-JSON names. The data converter records, for the maps it
//! builds, which Go type they stand for; functions look the type up by the map's identity. The record
//! holds a clone of every tagged map, so an address cannot be reused while the record lives, and it is
//! scoped to the current thread's render.

use super::k8s_schema::S;
use super::proto_schema::M;
use gotmpl::Value;
use std::cell::RefCell;
use std::collections::HashMap;

/// The Go type a map stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tag {
    /// `map[string]string`.
    StrMap,
    /// A Kubernetes struct.
    K8s(&'static S),
    /// A protobuf message.
    Proto(&'static M),
}

#[derive(Default)]
struct Record {
    tags: HashMap<usize, Tag>,
    keep: Vec<Value>,
}

thread_local! {
    static RECORD: RefCell<Option<Record>> = const { RefCell::new(None) };
}

fn key(v: &Value) -> Option<usize> {
    match v {
        Value::Map(m) => Some(std::sync::Arc::as_ptr(m) as *const () as usize),
        _ => None,
    }
}

/// Records `v` (a map) as being of Go type `tag`, when a render is under way on this thread.
pub(crate) fn tag(v: &Value, tag: Tag) {
    let Some(k) = key(v) else { return };
    RECORD.with(|r| {
        if let Some(rec) = r.borrow_mut().as_mut() {
            rec.tags.insert(k, tag);
            rec.keep.push(v.clone());
        }
    });
}

/// The Go type recorded for `v`, if any.
pub(crate) fn tag_of(v: &Value) -> Option<Tag> {
    let k = key(v)?;
    RECORD.with(|r| {
        r.borrow()
            .as_ref()
            .and_then(|rec| rec.tags.get(&k).copied())
    })
}

/// Keeps a type record alive for the current thread until dropped.
pub(crate) struct Scope {
    previous: Option<Record>,
}

impl Scope {
    pub(crate) fn enter() -> Scope {
        let previous = RECORD.with(|r| r.borrow_mut().replace(Record::default()));
        Scope { previous }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        RECORD.with(|r| *r.borrow_mut() = previous);
    }
}
