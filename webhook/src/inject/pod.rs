//! Small accessors over a pod held as JSON (`serde_json::Value` in the
//! Kubernetes wire form): metadata maps and container lists.
//!
//! The engine keeps pods as JSON rather than typed structs so that fields it
//! does not know survive untouched; these helpers are the only place that
//! knows where `metadata.annotations` or `spec.initContainers` live.

use serde_json::{Map, Value};

/// Name of the injected proxy container.
pub const PROXY: &str = "istio-proxy";
/// Name of the init container that programs iptables.
pub const INIT: &str = "istio-init";
/// Name of the CNI validation init container.
pub const VALIDATION: &str = "istio-validation";
/// Name of the init container that enables core dumps.
pub const CORE_DUMP: &str = "enable-core-dump";

/// Which list of the pod spec a container lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Containers,
    InitContainers,
}

impl List {
    pub fn key(self) -> &'static str {
        match self {
            List::Containers => "containers",
            List::InitContainers => "initContainers",
        }
    }
}

/// A string map of `metadata` (`labels` or `annotations`), if present.
pub fn meta_map<'a>(pod: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    pod.get("metadata")?.get(key)?.as_object()
}

/// One annotation's value.
pub fn annotation<'a>(pod: &'a Value, name: &str) -> Option<&'a str> {
    meta_map(pod, "annotations")?.get(name)?.as_str()
}

/// One label's value.
pub fn label<'a>(pod: &'a Value, name: &str) -> Option<&'a str> {
    meta_map(pod, "labels")?.get(name)?.as_str()
}

/// The `metadata.<key>` map, created when missing.
pub fn meta_map_mut<'a>(pod: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    let root = object_mut(pod);
    let meta = object_mut(root.entry("metadata").or_insert_with(empty_object));
    object_mut(meta.entry(key).or_insert_with(empty_object))
}

/// `spec` of the pod, created when missing.
pub fn spec_mut(pod: &mut Value) -> &mut Map<String, Value> {
    object_mut(object_mut(pod).entry("spec").or_insert_with(empty_object))
}

/// The containers of one list (empty when absent).
pub fn list(pod: &Value, which: List) -> &[Value] {
    pod.get("spec")
        .and_then(|s| s.get(which.key()))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The containers of one list, mutable; `None` when the list is absent.
pub fn list_mut(pod: &mut Value, which: List) -> Option<&mut Vec<Value>> {
    pod.get_mut("spec")?.get_mut(which.key())?.as_array_mut()
}

/// Replaces (or removes, when empty) one container list.
pub fn set_list(pod: &mut Value, which: List, containers: Vec<Value>) {
    let spec = spec_mut(pod);
    if containers.is_empty() {
        spec.remove(which.key());
    } else {
        spec.insert(which.key().to_string(), Value::Array(containers));
    }
}

/// The `name` of a container.
pub fn name(container: &Value) -> &str {
    container.get("name").and_then(Value::as_str).unwrap_or("")
}

/// Finds a container by name in one list.
pub fn find<'a>(pod: &'a Value, which: List, wanted: &str) -> Option<&'a Value> {
    list(pod, which).iter().find(|c| name(c) == wanted)
}

/// Finds a container by name in `containers`, then in `initContainers`.
pub fn find_any<'a>(pod: &'a Value, wanted: &str) -> Option<(List, &'a Value)> {
    [List::Containers, List::InitContainers]
        .into_iter()
        .find_map(|l| find(pod, l, wanted).map(|c| (l, c)))
}

/// Mutable variant of [`find_any`].
pub fn find_any_mut<'a>(pod: &'a mut Value, wanted: &str) -> Option<&'a mut Value> {
    let which = find_any(pod, wanted)?.0;
    list_mut(pod, which)?.iter_mut().find(|c| name(c) == wanted)
}

/// The object inside `value`, turning anything else into an empty object.
pub fn object_mut(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = empty_object();
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("value was just made an object"),
    }
}

pub fn empty_object() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_containers_in_either_list() {
        let pod = json!({"spec": {"containers": [{"name": "app"}], "initContainers": [{"name": "istio-proxy"}]}});
        assert_eq!(
            find_any(&pod, "istio-proxy").map(|f| f.0),
            Some(List::InitContainers)
        );
        assert_eq!(find_any(&pod, "app").map(|f| f.0), Some(List::Containers));
        assert!(find_any(&pod, "other").is_none());
    }

    #[test]
    fn meta_map_mut_creates_missing_maps() {
        let mut pod = json!({});
        meta_map_mut(&mut pod, "annotations").insert("a".into(), json!("b"));
        assert_eq!(annotation(&pod, "a"), Some("b"));
    }
}
