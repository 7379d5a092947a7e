//! Element identity and ordering for merged lists, as apimachinery's strategic merge patch
//! decides them: items are identified by their merge key value (maps) or by themselves
//! (scalars), compared with Go's `==` on decoded JSON values.
//!
//! After a merge, the items named in the patch keep the patch's order, the items only in the
//! original keep their original order, and the two runs are interleaved by walking both: a
//! server-only item is emitted first when it precedes the next patch item in the original
//! list, otherwise the patch item goes first (so items new to the list come before the
//! server-only items that follow them).

use std::collections::HashMap;

use serde_json::Value;

/// A scalar as Go compares interface values holding decoded JSON.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum KeyVal {
    Null,
    Bool(bool),
    /// Bits of the float64 Go decodes every JSON number into (`-0` folded into `0`).
    Num(u64),
    Str(String),
}

impl KeyVal {
    /// `None` for arrays and objects, which Go cannot compare.
    pub(super) fn of(v: &Value) -> Option<KeyVal> {
        Some(match v {
            Value::Null => KeyVal::Null,
            Value::Bool(b) => KeyVal::Bool(*b),
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(0.0);
                KeyVal::Num(if f == 0.0 { 0 } else { f.to_bits() })
            }
            Value::String(s) => KeyVal::Str(s.clone()),
            Value::Array(_) | Value::Object(_) => return None,
        })
    }
}

/// How list items are identified: by a merge key (lists of maps) or by value (scalars).
#[derive(Clone, Copy, Debug)]
pub(super) enum Identity<'a> {
    Key(&'a str),
    Value,
}

impl Identity<'_> {
    /// The identity of an item; `None` when it has none (missing key, non-scalar value).
    pub(super) fn of(&self, item: &Value) -> Option<KeyVal> {
        match self {
            Identity::Key(k) => item.get(k).and_then(KeyVal::of),
            Identity::Value => KeyVal::of(item),
        }
    }
}

/// First position of every identity in `list`.
pub(super) fn index_of(list: &[Value], id: Identity<'_>) -> HashMap<KeyVal, usize> {
    let mut idx = HashMap::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        if let Some(k) = id.of(item) {
            idx.entry(k).or_insert(i);
        }
    }
    idx
}

/// Stable sort of `items` by the position of their identity in `order` (all are present).
pub(super) fn sort_by_order(items: &mut [Value], order: &HashMap<KeyVal, usize>, id: Identity<'_>) {
    items.sort_by_cached_key(|item| {
        id.of(item)
            .and_then(|k| order.get(&k).copied())
            .unwrap_or(usize::MAX)
    });
}

/// Interleaves `server_only` (in server order) and `patch_items` (in patch order).
pub(super) fn merge_sorted(
    server_only: Vec<Value>,
    patch_items: Vec<Value>,
    server_order: &HashMap<KeyVal, usize>,
    id: Identity<'_>,
) -> Vec<Value> {
    let pos = |v: &Value| id.of(v).and_then(|k| server_order.get(&k).copied());
    let mut out = Vec::with_capacity(server_only.len() + patch_items.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!((pos(l), pos(r)), (Some(li), Some(ri)) if li < ri),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}
