//! Go types for template values.
//!
//! gotmpl's values are untyped (maps, lists, scalars), while Go's template functions behave by static
//! type: `index` of a missing key in a `map[string]string` yields `""` (not `<no value>`),
//! `structToJSON` writes a Kubernetes struct with its JSON names in declaration order, `protoToJSON`
//! writes a protobuf message with protobuf-JSON names. The data converter records, for the maps it
//! builds, which Go type they stand for ([`Types`]); functions look the type up by the map's
//! identity. A record holds a clone of every tagged map, so an address cannot be reused while the
//! record lives.
//!
//! Recording and lookup go through the current thread's [`Scope`]: conversions record into the
//! scope's own [`Types`], and a render sees the records of its data (shared, converted once) plus
//! whatever its functions tag while it runs.

use super::pure::Results;
use crate::config::proto::schema::MessageDesc;
use crate::k8s::schema::TypeDef;
use gotmpl::Value;
use std::cell::RefCell;
use std::sync::Arc;

/// The Go type a map stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tag {
    /// `map[string]string`.
    StrMap,
    /// A Kubernetes struct.
    K8s(&'static TypeDef),
    /// A protobuf message.
    Proto(&'static MessageDesc),
}

/// The Go types recorded for a set of maps, which it keeps alive.
#[derive(Default)]
pub(crate) struct Types {
    /// Map addresses with their types: a part sorted by address, then the latest records.
    tags: Vec<(usize, Tag)>,
    sorted: usize,
    keep: Vec<Value>,
    /// For data converted once: results of pure functions on it ([`super::pure`]).
    results: Option<Arc<Results>>,
}

impl std::fmt::Debug for Types {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Types")
            .field("tagged", &self.tags.len())
            .finish()
    }
}

/// How many records may wait unsorted.
const UNSORTED: usize = 32;

impl Types {
    fn get(&self, k: usize) -> Option<Tag> {
        let (sorted, latest) = self.tags.split_at(self.sorted);
        latest
            .iter()
            .rev()
            .find(|(a, _)| *a == k)
            .or_else(|| {
                let i = sorted.binary_search_by_key(&k, |(a, _)| *a).ok()?;
                Some(&sorted[i])
            })
            .map(|(_, t)| *t)
    }

    fn record(&mut self, k: usize, tag: Tag, v: &Value) {
        self.tags.push((k, tag));
        self.keep.push(v.clone());
    }

    /// Keeps lookups quick when records and lookups alternate.
    fn tidy(&mut self) {
        if self.tags.len() - self.sorted > UNSORTED {
            self.seal();
        }
    }

    /// Sorts all records; the latest record of an address wins.
    fn seal(&mut self) {
        self.tags.reverse();
        self.tags.sort_by_key(|(a, _)| *a);
        self.tags.dedup_by_key(|(a, _)| *a);
        self.sorted = self.tags.len();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.results.is_none()
    }

    #[cfg(test)]
    pub(crate) fn kept_results(&self) -> usize {
        self.results.as_ref().map_or(0, |r| r.kept())
    }

    /// Keeps results of pure functions on `value`, which these records are for.
    pub(crate) fn keep_results_of(&mut self, value: &Value) {
        self.results = Some(Arc::new(Results::of(value)));
    }
}

struct Active {
    own: Types,
    shared: Vec<Arc<Types>>,
}

thread_local! {
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

fn key(v: &Value) -> Option<usize> {
    match v {
        Value::Map(m) => Some(Arc::as_ptr(m) as *const () as usize),
        _ => None,
    }
}

/// Records `v` (a map) as being of Go type `tag`, when a scope is open on this thread.
pub(crate) fn tag(v: &Value, tag: Tag) {
    let Some(k) = key(v) else { return };
    ACTIVE.with(|r| {
        if let Some(active) = r.borrow_mut().as_mut() {
            active.own.record(k, tag, v);
        }
    });
}

/// The Go type recorded for `v`, if any.
pub(crate) fn tag_of(v: &Value) -> Option<Tag> {
    let k = key(v)?;
    ACTIVE.with(|r| {
        let mut active = r.borrow_mut();
        let active = active.as_mut()?;
        active.own.tidy();
        active
            .own
            .get(k)
            .or_else(|| active.shared.iter().find_map(|t| t.get(k)))
    })
}

/// The results store of the shared data holding container `v`, if any.
pub(crate) fn results_holding(v: &Value) -> Option<Arc<Results>> {
    ACTIVE.with(|r| {
        let active = r.borrow();
        active
            .as_ref()?
            .shared
            .iter()
            .filter_map(|t| t.results.as_ref())
            .find(|s| s.holds(v))
            .cloned()
    })
}

/// Keeps a type record open on the current thread until dropped or finished.
pub(crate) struct Scope {
    previous: Option<Active>,
}

impl Scope {
    /// Opens a scope that also sees the records `shared`.
    pub(crate) fn enter(shared: Vec<Arc<Types>>) -> Scope {
        let active = Active {
            own: Types::default(),
            shared,
        };
        let previous = ACTIVE.with(|r| r.borrow_mut().replace(active));
        Scope { previous }
    }

    /// Closes the scope, returning what was recorded in it, ready for lookups.
    pub(crate) fn finish(self) -> Types {
        let mut own = ACTIVE.with(|r| {
            r.borrow_mut()
                .as_mut()
                .map(|a| std::mem::take(&mut a.own))
                .unwrap_or_default()
        });
        own.seal();
        own
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ACTIVE.with(|r| *r.borrow_mut() = previous);
    }
}
