//! The template's view of the Kubernetes types described in [`crate::k8s::schema`] (the one
//! table of Go field names, JSON names, types and `omitempty`): how a field's value reads as
//! template data ([`K`]) and, per struct, its Go field names as shared map keys with the
//! fields in Go-name order, the order of a template map ([`Layout`]).

use crate::k8s::schema::{schema, Ty, TypeDef};
use std::sync::{Arc, OnceLock};

/// How a value of a Go type reads in a template.
#[derive(Debug, Clone, Copy)]
pub(crate) enum K {
    /// `string` and string-based named types.
    Str,
    /// Any integer.
    Int,
    Bool,
    /// A map with string keys (`map[string]string`, `ResourceList`).
    StrMap,
    /// A slice of the element type.
    List(&'static Ty),
    /// A struct value (never omitted by `omitempty`), by schema index.
    Struct(usize),
    /// A pointer to a struct (`nil` when absent), by schema index.
    Ptr(usize),
    /// A type with its own JSON form (`Quantity`, `IntOrString`, `Time`, raw JSON): kept as given.
    Any,
}

impl K {
    /// The kind of a field of Go type `ty`.
    pub(crate) fn of(ty: &'static Ty) -> K {
        match ty {
            Ty::Str => K::Str,
            Ty::I32 | Ty::I64 => K::Int,
            Ty::Bool => K::Bool,
            Ty::Map(_) => K::StrMap,
            Ty::List(elem) => K::List(elem),
            Ty::Struct(idx) => K::Struct(*idx),
            Ty::Ptr(inner) => match &**inner {
                Ty::Struct(idx) => K::Ptr(*idx),
                scalar => K::of(scalar),
            },
            Ty::Quantity | Ty::IntOrString | Ty::Time | Ty::Any | Ty::Object => K::Any,
        }
    }

    /// The struct called `name`, one of the types the template data names.
    pub(crate) fn named(name: &str) -> K {
        let idx = schema()
            .lookup(name)
            .unwrap_or_else(|| panic!("kubernetes type {name} is not in the schema table"));
        K::Struct(idx)
    }
}

/// What converting a value of one struct needs besides its description, built once.
#[derive(Debug)]
pub(crate) struct Layout {
    pub def: &'static TypeDef,
    /// Go field names, in declaration order.
    pub keys: Vec<Arc<str>>,
    /// Field indexes sorted by Go name.
    pub sorted: Vec<usize>,
}

/// The layout of the struct with schema index `idx`.
pub(crate) fn layout(idx: usize) -> &'static Layout {
    static LAYOUTS: OnceLock<Vec<Layout>> = OnceLock::new();
    let layouts = LAYOUTS.get_or_init(|| {
        schema()
            .types
            .iter()
            .map(|def| {
                let mut sorted: Vec<usize> = (0..def.fields.len()).collect();
                sorted.sort_by_key(|&i| &def.fields[i].go);
                let keys = def.fields.iter().map(|f| Arc::from(&*f.go)).collect();
                Layout { def, keys, sorted }
            })
            .collect()
    });
    &layouts[idx]
}
