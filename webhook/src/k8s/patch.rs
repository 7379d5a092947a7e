//! RFC 6902 JSON patch from an original document to a modified one (what the admission
//! webhook returns), in time linear in the size of the documents.
//!
//! Objects are diffed key by key. Arrays are diffed after trimming their common prefix and
//! suffix (deep equality), so inserting or removing items anywhere — a sidecar placed first,
//! init containers prepended, volumes appended — costs one operation per item instead of a
//! cascade of replacements; what remains in the middle is compared position by position.
//! Every element is compared a bounded number of times, so a pod with thousands of
//! environment variables diffs in linear time (the quadratic diff Istio once shipped spent
//! seconds on such pods).

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, Patch, PatchOperation, RemoveOperation, ReplaceOperation};
use serde_json::{Map, Value};

/// The operations that turn `original` into `modified`.
pub fn create_patch(original: &Value, modified: &Value) -> Patch {
    create_patch_from(original, modified.clone())
}

/// [`create_patch`] taking `modified` by value: the values the operations add are moved out
/// of it instead of copied.
pub fn create_patch_from(original: &Value, modified: Value) -> Patch {
    let mut ops = Vec::new();
    let mut path = PointerBuf::new();
    diff(original, modified, &mut path, &mut ops);
    Patch(ops)
}

/// The patch as the JSON the API server receives (`[{"op": .., "path": .., "value": ..}]`),
/// built by moving the operations' values rather than serialising them.
pub fn to_value(patch: Patch) -> Value {
    let op = |name: &str, path: PointerBuf, value: Option<Value>| {
        let mut m = Map::with_capacity(3);
        m.insert("op".into(), Value::String(name.into()));
        m.insert("path".into(), Value::String(path.as_str().to_string()));
        if let Some(v) = value {
            m.insert("value".into(), v);
        }
        Value::Object(m)
    };
    let ops = patch.0.into_iter().map(|o| match o {
        PatchOperation::Add(a) => op("add", a.path, Some(a.value)),
        PatchOperation::Remove(r) => op("remove", r.path, None),
        PatchOperation::Replace(r) => op("replace", r.path, Some(r.value)),
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    });
    Value::Array(ops.collect())
}

fn diff(left: &Value, right: Value, path: &mut PointerBuf, ops: &mut Vec<PatchOperation>) {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => diff_object(l, r, path, ops),
        (Value::Array(l), Value::Array(r)) => diff_array(l, r, path, ops),
        (_, right) if equal(left, &right) => {}
        (_, right) => ops.push(PatchOperation::Replace(ReplaceOperation {
            path: path.clone(),
            value: right,
        })),
    }
}

fn diff_object(
    left: &Map<String, Value>,
    right: Map<String, Value>,
    path: &mut PointerBuf,
    ops: &mut Vec<PatchOperation>,
) {
    for key in left.keys() {
        if !right.contains_key(key) {
            path.push_back(key.as_str());
            ops.push(PatchOperation::Remove(RemoveOperation {
                path: path.clone(),
            }));
            path.pop_back();
        }
    }
    for (key, r) in right {
        path.push_back(key.as_str());
        match left.get(&key) {
            Some(l) => diff(l, r, path, ops),
            None => ops.push(PatchOperation::Add(AddOperation {
                path: path.clone(),
                value: r,
            })),
        }
        path.pop_back();
    }
}

fn diff_array(
    left: &[Value],
    right: Vec<Value>,
    path: &mut PointerBuf,
    ops: &mut Vec<PatchOperation>,
) {
    let max_common = left.len().min(right.len());
    let prefix = left
        .iter()
        .zip(&right)
        .take_while(|(l, r)| equal(l, r))
        .count();
    let suffix = left[prefix..]
        .iter()
        .rev()
        .zip(right[prefix..].iter().rev())
        .take(max_common - prefix)
        .take_while(|(l, r)| equal(l, r))
        .count();
    let l_mid = &left[prefix..left.len() - suffix];
    let r_len = right.len() - prefix - suffix;
    let surplus_first =
        l_mid.len() != r_len && surplus_goes_first(l_mid, &right[prefix..][..r_len]);
    // The modified items between the common prefix and suffix, by value.
    let mut r_mid = right.into_iter().skip(prefix).take(r_len);
    if surplus_first {
        // Items were inserted (or removed) before the ones that follow: handle the surplus
        // first, then pair the remaining items from the end.
        if r_len > l_mid.len() {
            let extra = r_len - l_mid.len();
            for (i, value) in r_mid.by_ref().take(extra).enumerate() {
                push_op(path, prefix + i, ops, |p| {
                    PatchOperation::Add(AddOperation { path: p, value })
                });
            }
            pair(l_mid, r_mid, prefix + extra, path, ops);
        } else {
            let extra = l_mid.len() - r_len;
            for _ in 0..extra {
                push_op(path, prefix, ops, |p| {
                    PatchOperation::Remove(RemoveOperation { path: p })
                });
            }
            pair(&l_mid[extra..], r_mid, prefix, path, ops);
        }
        return;
    }
    let shared = l_mid.len().min(r_len);
    pair(
        &l_mid[..shared],
        r_mid.by_ref().take(shared),
        prefix,
        path,
        ops,
    );
    // Surplus original items go (all at the same index, each removal shifting the rest)…
    for _ in shared..l_mid.len() {
        push_op(path, prefix + shared, ops, |p| {
            PatchOperation::Remove(RemoveOperation { path: p })
        });
    }
    // …and surplus modified items are inserted in order before the common suffix.
    for (i, value) in r_mid.enumerate() {
        push_op(path, prefix + shared + i, ops, |p| {
            PatchOperation::Add(AddOperation { path: p, value })
        });
    }
}

/// Diffs items pairwise, the first pair at array index `at`.
fn pair(
    left: &[Value],
    right: impl Iterator<Item = Value>,
    at: usize,
    path: &mut PointerBuf,
    ops: &mut Vec<PatchOperation>,
) {
    for (i, (l, r)) in left.iter().zip(right).enumerate() {
        path.push_back(at + i);
        diff(l, r, path, ops);
        path.pop_back();
    }
}

fn push_op(
    path: &mut PointerBuf,
    index: usize,
    ops: &mut Vec<PatchOperation>,
    op: impl FnOnce(PointerBuf) -> PatchOperation,
) {
    path.push_back(index);
    ops.push(op(path.clone()));
    path.pop_back();
}

/// `left == right`, comparing objects entry by entry while their keys come in the same order
/// (the usual case here) instead of looking every key up.
fn equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            if l.len() != r.len() {
                return false;
            }
            for ((lk, lv), (rk, rv)) in l.iter().zip(r) {
                if lk != rk {
                    return l == r;
                }
                if !equal(lv, rv) {
                    return false;
                }
            }
            true
        }
        (Value::Array(l), Value::Array(r)) => {
            l.len() == r.len() && l.iter().zip(r).all(|(a, b)| equal(a, b))
        }
        _ => left == right,
    }
}

/// Whether the items of two unequal-length runs line up better when the surplus is taken at
/// the front than at the back. Items correspond when they are equal or are objects with the
/// same `name` (containers, volumes, env vars keep their name when modified).
fn surplus_goes_first(left: &[Value], right: &[Value]) -> bool {
    let same = |l: &Value, r: &Value| match (l.get("name"), r.get("name")) {
        (Some(a), Some(b)) => a == b,
        _ => equal(l, r),
    };
    let n = left.len().min(right.len());
    let at_back = left
        .iter()
        .zip(right)
        .take(n)
        .filter(|(l, r)| same(l, r))
        .count();
    let at_front = left[left.len() - n..]
        .iter()
        .zip(&right[right.len() - n..])
        .filter(|(l, r)| same(l, r))
        .count();
    at_front > at_back
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::create_patch;

    fn round_trip(original: Value, modified: Value) -> usize {
        let patch = create_patch(&original, &modified);
        let mut doc = original;
        json_patch::patch(&mut doc, &patch)
            .unwrap_or_else(|e| panic!("{e}: {}", serde_json::to_string(&patch).unwrap()));
        assert_eq!(doc, modified);
        patch.0.len()
    }

    #[test]
    fn equality_ignores_key_order() {
        let a = json!({"x": [1, {"p": 1, "q": 2}], "y": null});
        let b = json!({"y": null, "x": [1, {"q": 2, "p": 1}]});
        assert!(super::equal(&a, &b) && super::equal(&a, &a));
        assert!(!super::equal(
            &a,
            &json!({"x": [1, {"p": 1, "q": 3}], "y": null})
        ));
        assert!(!super::equal(
            &a,
            &json!({"x": [1, {"p": 1, "q": 2}], "z": null})
        ));
    }

    #[test]
    fn patch_value_is_the_serialised_patch() {
        let original = json!({"a": 1, "b": [1, 2], "c": {"d": "x"}, "e/f~": 1});
        let modified = json!({"a": 2, "b": [0, 1, 2], "c": {}, "g": {"h": [1]}});
        let patch = create_patch(&original, &modified);
        let serialised = serde_json::to_string(&patch).unwrap();
        assert_eq!(
            serde_json::to_string(&super::to_value(patch)).unwrap(),
            serialised
        );
    }

    #[test]
    fn objects_scalars_and_type_changes() {
        assert_eq!(
            round_trip(
                json!({"a": 1, "b": {"c": 2}}),
                json!({"a": 1, "b": {"c": 2}})
            ),
            0
        );
        assert_eq!(
            round_trip(
                json!({"a": 1, "b": {"c": 2}, "d": 3}),
                json!({"a": "1", "b": {"e": 2}})
            ),
            4
        );
        assert_eq!(
            round_trip(json!({"a/b": {"~x": 1}}), json!({"a/b": {"~x": 2}})),
            1
        );
        assert_eq!(round_trip(json!([1]), json!({"a": 1})), 1);
        assert_eq!(round_trip(Value::Null, json!({"a": 1})), 1);
    }

    #[test]
    fn array_insertions_and_removals_cost_one_operation_each() {
        let base: Vec<Value> = (0..10)
            .map(|i| json!({"name": format!("c{i}"), "env": [i]}))
            .collect();
        let mut front = base.clone();
        front.insert(0, json!({"name": "istio-proxy"}));
        assert_eq!(round_trip(json!(base), json!(front)), 1);
        let mut middle = base.clone();
        middle.insert(5, json!("x"));
        middle.insert(6, json!("y"));
        assert_eq!(round_trip(json!(base), json!(middle)), 2);
        let mut removed = base.clone();
        removed.drain(2..5);
        assert_eq!(round_trip(json!(base), json!(removed)), 3);
        let mut changed = base.clone();
        changed[7]["env"] = json!([70]);
        assert_eq!(round_trip(json!(base), json!(changed)), 1);
        assert_eq!(round_trip(json!([1, 2, 3]), json!([3, 2, 1])), 2);
        assert_eq!(round_trip(json!([1, 1, 1]), json!([1, 1])), 1);
        assert_eq!(round_trip(json!([]), json!([1, 2])), 2);
        assert_eq!(round_trip(json!([1, 2]), json!([])), 2);
    }

    fn pod(vars: usize) -> Value {
        let env: Vec<Value> = (0..vars)
            .map(|i| json!({"name": format!("VAR_{i}"), "value": format!("value-{i}")}))
            .collect();
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "env": env}]}})
    }

    fn injected(mut pod: Value) -> Value {
        pod["metadata"]["annotations"] = json!({"sidecar.istio.io/status": "{}"});
        pod["spec"]["initContainers"] =
            json!([{"name": "istio-init"}, {"name": "istio-proxy", "restartPolicy": "Always"}]);
        pod["spec"]["containers"][0]["resources"] = json!({});
        pod["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .insert(0, json!({"name": "istio-proxy"}));
        pod
    }

    #[test]
    fn injection_shaped_patch_size_does_not_grow_with_env() {
        let small = round_trip(pod(20), injected(pod(20)));
        let large = round_trip(pod(2000), injected(pod(2000)));
        assert_eq!(small, large);
        assert!(large <= 4, "{large} operations");
    }

    /// Istio's inputs and goldens: every input document patched into its injected form.
    #[test]
    fn corpus_inputs_patch_into_goldens() {
        let Some(dir) = crate::corpus::dir() else {
            return;
        };
        let cases: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap())
                .unwrap();
        let read = |name: &str| -> Vec<Value> {
            let text = std::fs::read_to_string(dir.join("cases").join(name)).unwrap();
            serde_saphyr::from_multiple::<Value>(&text)
                .unwrap()
                .into_iter()
                .filter(|d| !d.is_null())
                .collect()
        };
        let mut pairs = 0;
        for case in cases.as_array().unwrap() {
            let (Some(input), Some(expected)) = (case["input"].as_str(), case["expected"].as_str())
            else {
                continue;
            };
            for (a, b) in read(input).into_iter().zip(read(expected)) {
                round_trip(a, b);
                pairs += 1;
            }
        }
        assert!(pairs > 80, "only {pairs} document pairs");
    }
}
