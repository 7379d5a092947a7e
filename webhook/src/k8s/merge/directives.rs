//! The directives of a strategic merge patch: `$retainKeys`, `$setElementOrder/<field>` and
//! the `$patch` items of merged lists.

use serde_json::{Map, Value};

use super::extract_key;
use super::order::{index_of, merge_sorted, sort_by_order, Identity, KeyVal};
use super::{
    MergeError, Merger, ANY, DELETE_FROM_PRIMITIVE_LIST, DIRECTIVE, RETAIN_KEYS, SET_ELEMENT_ORDER,
};
use crate::k8s::schema::{Strategy, Ty};

impl Merger {
    pub(super) fn apply_retain_keys(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
    ) -> Result<(), MergeError> {
        let Some(list) = patch.shift_remove(RETAIN_KEYS) else {
            return Ok(());
        };
        let bad = || self.directive_err("invalid patch format of retainKeys");
        let Value::Array(list) = list else {
            return Err(bad());
        };
        let retained: std::collections::HashSet<KeyVal> = list
            .iter()
            .map(KeyVal::of)
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        let keeps = |k: &str| retained.contains(&KeyVal::Str(k.to_string()));
        for (k, v) in patch.iter() {
            let directive =
                k.starts_with(DELETE_FROM_PRIMITIVE_LIST) || k.starts_with(SET_ELEMENT_ORDER);
            if !v.is_null() && !directive && !keeps(k) {
                return Err(bad());
            }
        }
        original.retain(|k, _| keeps(k));
        Ok(())
    }

    /// `$setElementOrder/<field>` directives: merge the field's lists now and order the result
    /// by the directive's list (patch items), keeping the original order of the other items.
    pub(super) fn apply_set_element_order(
        &mut self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
        ty: &Ty,
    ) -> Result<(), MergeError> {
        let keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
            .cloned()
            .collect();
        for key in keys {
            let bad = || self.directive_err("invalid patch format of setElementOrder list");
            let Some(Value::Array(order_list)) = patch.shift_remove(&key) else {
                return Err(bad());
            };
            let field = extract_key(&key, SET_ELEMENT_ORDER)
                .ok_or_else(bad)?
                .to_string();
            let original_list = match original.get(&field) {
                Some(Value::Array(l)) => Some(l.clone()),
                Some(_) => return Err(bad()),
                None => None,
            };
            let patch_list = match patch.shift_remove(&field) {
                Some(Value::Array(l)) => Some(l),
                Some(_) => return Err(bad()),
                None => None,
            };
            let (field_ty, strategy) = self.lookup(ty, &field)?;
            let merge_key = match strategy {
                Strategy::Merge { key, .. } => key,
                Strategy::Default => None,
            };
            let id = merge_key.map_or(Identity::Value, Identity::Key);
            self.validate_set_order(patch_list.as_deref().unwrap_or_default(), &order_list, id)?;
            let server_order = index_of(original_list.as_deref().unwrap_or_default(), id);
            let (o, p) = (
                original_list.as_deref().unwrap_or_default(),
                patch_list.as_deref().unwrap_or_default(),
            );
            let kinds_ok = if o.is_empty() && p.is_empty() {
                Err(MergeError::BadList {
                    path: self.path(),
                    reason: "no elements in any of the given slices",
                })
            } else {
                self.element_kind_is_object(o, p)
            };
            let merged = match (original_list, patch_list) {
                (Some(o), None) => o,
                (None, Some(p)) => p,
                (Some(o), Some(p)) => match strategy {
                    Strategy::Merge { key, .. } => {
                        let elem = match field_ty {
                            Ty::List(e) => &**e,
                            _ => &ANY,
                        };
                        self.merge_list(o, p, elem, key, false)?
                    }
                    Strategy::Default => p,
                },
                (None, None) => continue,
            };
            kinds_ok?;
            if merged
                .iter()
                .chain(order_list.iter())
                .any(|v| id.of(v).is_none())
            {
                return Err(MergeError::BadList {
                    path: self.path(),
                    reason: "setElementOrder items cannot be identified",
                });
            }
            let order = index_of(&order_list, id);
            let (mut listed, others): (Vec<Value>, Vec<Value>) = merged
                .into_iter()
                .partition(|v| id.of(v).is_some_and(|k| order.contains_key(&k)));
            sort_by_order(&mut listed, &order, id);
            original.insert(
                field,
                Value::Array(merge_sorted(others, listed, &server_order, id)),
            );
        }
        Ok(())
    }

    /// The patch list must follow the relative order of the `$setElementOrder` list.
    fn validate_set_order(
        &self,
        patch_list: &[Value],
        order_list: &[Value],
        id: Identity<'_>,
    ) -> Result<(), MergeError> {
        if order_list.is_empty() {
            return Ok(());
        }
        let mut order = order_list.iter();
        for item in patch_list {
            if item.get(DIRECTIVE).is_some() {
                continue;
            }
            let k = id.of(item);
            if !order.by_ref().any(|o| id.of(o) == k) {
                return Err(self.directive_err(
                    "the order in the patch list does not match the $setElementOrder list",
                ));
            }
        }
        Ok(())
    }

    /// `$patch: delete` and `$patch: replace` items of a merged list of objects; returns the
    /// remaining original items and the plain patch items.
    pub(super) fn apply_list_directives(
        &self,
        mut original: Vec<Value>,
        patch: Vec<Value>,
        key: &str,
    ) -> Result<(Vec<Value>, Vec<Value>), MergeError> {
        let mut plain = Vec::with_capacity(patch.len());
        let mut replace = false;
        for item in patch {
            let Some(directive) = item.get(DIRECTIVE) else {
                plain.push(item);
                continue;
            };
            match directive.as_str() {
                Some("delete") => {
                    let k = item.get(key).ok_or_else(|| self.no_merge_key(key))?;
                    let k = KeyVal::of(k).ok_or_else(|| self.no_merge_key(key))?;
                    original.retain(|o| Identity::Key(key).of(o).as_ref() != Some(&k));
                }
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(
                        self.directive_err("merging lists cannot yet be specified in the patch")
                    )
                }
                _ => return Err(self.directive_err(format!("unknown patch type {directive}"))),
            }
        }
        Ok(if replace {
            (plain, Vec::new())
        } else {
            (original, plain)
        })
    }
}
