//! Strategic merge patch (k8s.io/apimachinery `strategicpatch.StrategicMergePatch`) of a JSON
//! document by a patch, with the patch strategies of a Go type from the
//! [`schema`](super::schema) — for a pod: containers, initContainers, ephemeralContainers,
//! volumes (`retainKeys`), imagePullSecrets, schedulingGates and resourceClaims merged by
//! `name`, env by `name`, ports by `containerPort`, volumeMounts by `mountPath`,
//! volumeDevices by `devicePath`, hostAliases by `ip`, topologySpreadConstraints by
//! `topologyKey`, ownerReferences by `uid`, finalizers as a set; every other list replaced.
//!
//! Rules, as apimachinery applies a patch server-side:
//! - objects merge key by key; `null` deletes a key; a key the original lacks takes the patch
//!   value verbatim (directives inside it included); values of different JSON types replace;
//! - `$patch: replace` on an object replaces it, `$patch: delete` empties it; in a merged list,
//!   `{key: v, $patch: delete}` removes the matching items and `{$patch: replace}` replaces the
//!   list by the other patch items;
//! - `$retainKeys: [..]` drops original keys not listed; `$deleteFromPrimitiveList/<f>` removes
//!   values from a scalar list; `$setElementOrder/<f>` reorders a list;
//! - merged lists of maps: patch items merge into the first item with the same key value, new
//!   items are appended, then the list is ordered as [`order`] describes;
//! - the original's fields must exist in the type when the patch touches them with a value
//!   of the same JSON type (as Go's lookup of patch metadata requires).

mod directives;
mod order;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use super::schema::{schema, Schema, Strategy, Ty};
use order::{index_of, merge_sorted, sort_by_order, Identity, KeyVal};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

static ANY: Ty = Ty::Any;

/// Why a strategic merge patch cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The requested type is not in the schema.
    #[error("unknown kubernetes type {0:?}")]
    UnknownType(String),
    /// The original or the patch is not a JSON object.
    #[error("strategic merge: the {0} is not a JSON object")]
    NotAnObject(&'static str),
    /// A field the Go type does not have, where Go must look up its patch strategy.
    #[error("strategic merge: {path}: unable to find api field in struct {type_name} for the json field {field:?}")]
    UnknownField {
        /// Path of the object holding the field.
        path: String,
        /// The Go struct.
        type_name: &'static str,
        /// The unknown JSON key.
        field: String,
    },
    /// A list item without the merge key of its list.
    #[error("strategic merge: {path}: list item does not contain the merge key {key:?}")]
    NoMergeKey {
        /// Path of the list.
        path: String,
        /// The merge key.
        key: String,
    },
    /// A list whose items cannot be merged (mixed types, nested lists, nulls).
    #[error("strategic merge: {path}: {reason}")]
    BadList {
        /// Path of the list.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A `$patch`, `$retainKeys`, `$setElementOrder` or `$deleteFromPrimitiveList` directive
    /// that cannot be applied.
    #[error("strategic merge: {path}: {reason}")]
    Directive {
        /// Path of the object holding the directive.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Applies `patch` to `original` with the patch strategies of the Go type `type_name` and
/// returns the result (both documents are consumed, as Go's merge mutates its inputs).
pub fn strategic_merge(
    original: Value,
    patch: Value,
    type_name: &str,
) -> Result<Value, MergeError> {
    let s = schema();
    let idx = s
        .lookup(type_name)
        .ok_or_else(|| MergeError::UnknownType(type_name.to_string()))?;
    let base = match original {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        _ => return Err(MergeError::NotAnObject("original document")),
    };
    let patch = match patch {
        Value::Object(m) => m,
        Value::Null => return Ok(Value::Object(base)),
        _ => return Err(MergeError::NotAnObject("patch")),
    };
    let root = Ty::Struct(idx);
    let mut m = Merger {
        schema: s,
        path: String::new(),
    };
    m.merge_map(base, patch, &root).map(Value::Object)
}

/// [`strategic_merge`] with the strategies of core/v1 `Pod`.
pub fn strategic_merge_pod(original: Value, patch: Value) -> Result<Value, MergeError> {
    strategic_merge(original, patch, "Pod")
}

struct Merger {
    schema: &'static Schema,
    path: String,
}

fn same_json_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// `"$prefix/key"` → `key`.
fn extract_key<'k>(key: &'k str, prefix: &str) -> Option<&'k str> {
    let (head, rest) = key.split_once('/')?;
    (head == prefix).then_some(rest)
}

impl Merger {
    fn path(&self) -> String {
        match self.path.strip_prefix('.') {
            Some(p) => p.to_string(),
            None if self.path.is_empty() => "<root>".to_string(),
            None => self.path.clone(),
        }
    }

    fn directive_err(&self, reason: impl Into<String>) -> MergeError {
        MergeError::Directive {
            path: self.path(),
            reason: reason.into(),
        }
    }

    /// The Go type and patch strategy of `key` in an object of type `ty`.
    fn lookup<'a>(&self, ty: &'a Ty, key: &str) -> Result<(&'a Ty, Strategy), MergeError> {
        match ty {
            Ty::Ptr(inner) => self.lookup(inner, key),
            Ty::Struct(idx) => {
                let td = self.schema.get(*idx);
                match td.field(key) {
                    Some(f) => Ok((&f.ty, f.strategy.clone())),
                    None => Err(MergeError::UnknownField {
                        path: self.path(),
                        type_name: td.name,
                        field: key.to_string(),
                    }),
                }
            }
            Ty::Map(elem) => Ok((elem, Strategy::Default)),
            Ty::Any => Ok((&ANY, Strategy::Default)),
            _ => Err(self.directive_err(format!(
                "merging an object in json but the type of {key:?} is not a map or struct"
            ))),
        }
    }

    fn merge_map(
        &mut self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
        ty: &Ty,
    ) -> Result<Map<String, Value>, MergeError> {
        if let Some(directive) = patch.get(DIRECTIVE) {
            return match directive.as_str() {
                Some("replace") => {
                    patch.shift_remove(DIRECTIVE);
                    Ok(patch)
                }
                Some("delete") => Ok(Map::new()),
                _ => Err(self.directive_err(format!("unknown patch type {directive}"))),
            };
        }
        self.apply_retain_keys(&mut original, &mut patch)?;
        self.apply_set_element_order(&mut original, &mut patch, ty)?;

        for (key, patch_value) in patch {
            let (key, delete_list) = match key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
                Some(_) => match extract_key(&key, DELETE_FROM_PRIMITIVE_LIST) {
                    Some(k) if !k.is_empty() => (k.to_string(), true),
                    Some(_) => (key, true),
                    None => {
                        return Err(self.directive_err("invalid patch format of primitive list"))
                    }
                },
                None => (key, false),
            };
            if patch_value.is_null() {
                original.shift_remove(&key);
                continue;
            }
            let Some(current) = original.get_mut(&key) else {
                original.insert(key, patch_value);
                continue;
            };
            if !same_json_type(current, &patch_value) {
                *current = patch_value;
                continue;
            }
            let (field_ty, strategy) = self.lookup(ty, &key)?;
            let mark = self.path.len();
            self.path.push('.');
            self.path.push_str(&key);
            let merged = match (std::mem::take(current), patch_value) {
                (Value::Object(o), Value::Object(p)) => {
                    self.merge_map(o, p, field_ty).map(Value::Object)
                }
                (Value::Array(o), Value::Array(p)) => match strategy {
                    Strategy::Merge { key: merge_key, .. } => {
                        let elem = match field_ty {
                            Ty::List(e) => &**e,
                            _ => &ANY,
                        };
                        self.merge_list(o, p, elem, merge_key, delete_list)
                            .map(Value::Array)
                    }
                    Strategy::Default => Ok(Value::Array(p)),
                },
                (_, p) => Ok(p),
            };
            self.path.truncate(mark);
            if let Some(slot) = original.get_mut(&key) {
                *slot = merged?;
            }
        }
        Ok(original)
    }

    /// Merges two lists of a field with `patchStrategy:"merge"`.
    fn merge_list(
        &mut self,
        original: Vec<Value>,
        patch: Vec<Value>,
        elem: &Ty,
        merge_key: Option<&'static str>,
        delete_list: bool,
    ) -> Result<Vec<Value>, MergeError> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let maps = self.element_kind_is_object(&original, &patch)?;
        if !maps {
            if delete_list {
                let drop = index_of(&patch, Identity::Value);
                return Ok(original
                    .into_iter()
                    .filter(|v| KeyVal::of(v).is_none_or(|k| !drop.contains_key(&k)))
                    .collect());
            }
            return Ok(self.merge_scalars(original, patch));
        }
        let Some(key) = merge_key else {
            return Err(MergeError::BadList {
                path: self.path(),
                reason: "cannot merge lists of objects without a merge key",
            });
        };
        let id = Identity::Key(key);
        let (original, patch) = self.apply_list_directives(original, patch, key)?;

        // Merge patch items into the first original item with the same key, append the rest.
        let server_order = index_of(&original, id);
        let patch_order = index_of(&patch, id);
        let mut merged = original;
        let mut positions = server_order.clone();
        for item in patch {
            let k = id.of(&item).ok_or_else(|| self.no_merge_key(key))?;
            match positions.get(&k).copied() {
                Some(i) => {
                    let (Value::Object(o), Value::Object(p)) =
                        (std::mem::take(&mut merged[i]), item)
                    else {
                        return Err(MergeError::BadList {
                            path: self.path(),
                            reason: "list items are not objects",
                        });
                    };
                    merged[i] = Value::Object(self.merge_map(o, p, elem)?);
                }
                None => {
                    positions.insert(k, merged.len());
                    merged.push(item);
                }
            }
        }
        // Every item must carry the merge key for the ordering step.
        if merged.iter().any(|v| id.of(v).is_none()) {
            return Err(self.no_merge_key(key));
        }
        let (mut patch_items, server_only): (Vec<Value>, Vec<Value>) = merged
            .into_iter()
            .partition(|v| id.of(v).is_some_and(|k| patch_order.contains_key(&k)));
        sort_by_order(&mut patch_items, &patch_order, id);
        Ok(merge_sorted(server_only, patch_items, &server_order, id))
    }

    /// Union of two scalar lists, ordered like merged lists of maps.
    fn merge_scalars(&self, original: Vec<Value>, patch: Vec<Value>) -> Vec<Value> {
        let id = Identity::Value;
        let server_order = index_of(&original, id);
        let patch_order = index_of(&patch, id);
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<Value> = original
            .into_iter()
            .chain(patch)
            .filter(|v| KeyVal::of(v).is_none_or(|k| seen.insert(k)))
            .collect();
        let (mut patch_items, server_only): (Vec<Value>, Vec<Value>) = unique
            .into_iter()
            .partition(|v| KeyVal::of(v).is_some_and(|k| patch_order.contains_key(&k)));
        sort_by_order(&mut patch_items, &patch_order, id);
        merge_sorted(server_only, patch_items, &server_order, id)
    }

    /// Checks that all items of both lists have one JSON type (not a list, not null) and
    /// returns whether they are objects.
    fn element_kind_is_object(&self, a: &[Value], b: &[Value]) -> Result<bool, MergeError> {
        let bad = |reason| MergeError::BadList {
            path: self.path(),
            reason,
        };
        let mut first: Option<&Value> = None;
        for v in a.iter().chain(b) {
            match v {
                Value::Null => return Err(bad("list items must not be null")),
                Value::Array(_) => return Err(bad("lists of lists are not supported")),
                _ => {}
            }
            match first {
                None => first = Some(v),
                Some(f) if !same_json_type(f, v) => {
                    return Err(bad("list element types are not identical"))
                }
                Some(_) => {}
            }
        }
        Ok(matches!(first, Some(Value::Object(_))))
    }

    fn no_merge_key(&self, key: &str) -> MergeError {
        MergeError::NoMergeKey {
            path: self.path(),
            key: key.to_string(),
        }
    }
}
