//! The output order and the fast paths of struct decoding: an object already in Go's shape is
//! kept as it is, anything else comes out exactly as a rebuild in declaration order would
//! write it. Compared as serialized text, so key order counts.

use serde_json::{json, Value};

use super::{normalize, normalize_with, Source};

fn text(kind: &str, mut v: Value) -> String {
    normalize(kind, &mut v).unwrap_or_else(|e| panic!("{e}"));
    serde_json::to_string(&v).unwrap()
}

/// `v` with the keys of every object in reverse order.
fn reversed(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        other => other.clone(),
    }
}

fn container() -> Value {
    json!({
        "name": "app", "image": "img", "args": ["a", "b"],
        "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
        "env": [{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
        "volumeMounts": [{"name": "v", "readOnly": true, "mountPath": "/v"}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 15021}, "initialDelaySeconds": 1,
            "timeoutSeconds": 3, "periodSeconds": 2, "failureThreshold": 4},
        "imagePullPolicy": "Always",
        "securityContext": {"capabilities": {"drop": ["ALL"]}, "privileged": false, "runAsUser": 1337,
            "runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false}
    })
}

#[test]
fn objects_in_go_shape_are_kept_byte_for_byte() {
    let c = container();
    assert_eq!(
        text("Container", c.clone()),
        serde_json::to_string(&c).unwrap()
    );
}

#[test]
fn any_key_order_gives_declaration_order() {
    let want = serde_json::to_string(&reversed_maps_only()).unwrap();
    assert_eq!(text("Container", reversed(&container())), want);
    // Struct fields are reordered; map keys (limits, requests, cpu, memory) keep their order.
    let pod = json!({"status": {}, "spec": {"containers": [reversed(&container())]},
        "metadata": {"labels": {"z": "1", "a": "2"}, "name": "p"}});
    assert_eq!(
        text("Pod", pod),
        format!(
            r#"{{"metadata":{{"name":"p","labels":{{"z":"1","a":"2"}}}},"spec":{{"containers":[{}]}},"status":{{}}}}"#,
            serde_json::to_string(&reversed_maps_only()).unwrap()
        )
    );
}

/// `container()` as it comes out of the reversed input: the same, except the quantity maps
/// keep their reversed key order.
fn reversed_maps_only() -> Value {
    let mut c = container();
    c["resources"] = json!({"limits": {"memory": "1Gi", "cpu": "2"}, "requests": {"memory": "128Mi", "cpu": "100m"}});
    c
}

#[test]
fn zero_fields_are_added_in_place_and_omitted_ones_dropped() {
    // `name` (no omitempty) and `resources` (a struct) are emitted when unset; they go to their
    // declaration positions, before and between the given fields.
    assert_eq!(
        text("Container", json!({"image": "i", "stdin": true})),
        r#"{"name":"","image":"i","resources":{},"stdin":true}"#
    );
    // Keys in order but with empty omitempty values: dropped, the order of the rest kept.
    assert_eq!(
        text(
            "Container",
            json!({"name": "c", "image": "", "args": [], "resources": {}, "tty": false})
        ),
        r#"{"name":"c","resources":{}}"#
    );
    // Only trailing zero fields missing.
    assert_eq!(
        text(
            "Pod",
            json!({"metadata": {"name": "p"}, "spec": {"containers": []}})
        ),
        r#"{"metadata":{"name":"p"},"spec":{"containers":[]},"status":{}}"#
    );
    // omitzero: a zero creationTimestamp is dropped even in an otherwise ordered object.
    assert_eq!(
        text(
            "ObjectMeta",
            json!({"name": "p", "creationTimestamp": null, "labels": {"a": "b"}})
        ),
        r#"{"name":"p","labels":{"a":"b"}}"#
    );
}

#[test]
fn case_folded_keys_take_the_json_name_and_the_last_key_wins() {
    // An alias alone is renamed.
    assert_eq!(
        text("EnvVar", json!({"NAME": "a", "Value": "1"})),
        r#"{"name":"a","value":"1"}"#
    );
    // Exact name then alias: the alias comes last, so its value wins (as in Go's decoder).
    assert_eq!(
        text(
            "EnvVar",
            json!({"name": "first", "value": "1", "Name": "second"})
        ),
        r#"{"name":"second","value":"1"}"#
    );
    // Alias then exact name: the exact key wins and keeps its spelling.
    assert_eq!(
        text("EnvVar", json!({"nAME": "first", "name": "second"})),
        r#"{"name":"second"}"#
    );
    // The last key decides even when it is empty and therefore omitted.
    assert_eq!(
        text("EnvVar", json!({"name": "n", "value": "1", "VALUE": ""})),
        r#"{"name":"n"}"#
    );
    // A struct whose JSON names are capitalised: exact match first, then case folding.
    assert_eq!(
        text("NamespacedName", json!({"name": "n", "namespace": "ns"})),
        r#"{"Namespace":"ns","Name":"n"}"#
    );
}

#[test]
fn unknown_keys_are_dropped_wherever_they_are() {
    assert_eq!(
        text("EnvVar", json!({"name": "a", "bogus": 1, "value": "1"})),
        r#"{"name":"a","value":"1"}"#
    );
    assert_eq!(
        text("EnvVar", json!({"x": 1, "name": "a"})),
        r#"{"name":"a"}"#
    );
}

#[test]
fn keys_far_apart_in_declaration_order_are_found() {
    // PodSpec: volumes (first) then tolerations, priority and hostUsers, dozens of fields later.
    let spec = json!({"volumes": [{"name": "v", "emptyDir": {}}], "containers": [],
        "tolerations": [{"key": "k", "operator": "Exists"}], "priority": 5, "hostUsers": false,
        "schedulingGates": [{"name": "g"}]});
    let want = serde_json::to_string(&spec).unwrap();
    assert_eq!(text("PodSpec", spec.clone()), want);
    assert_eq!(text("PodSpec", reversed(&spec)), want);
}

#[test]
fn a_second_pass_changes_nothing() {
    let inputs = [
        json!({"spec": {"containers": [reversed(&container())], "initContainers": [{"Name": "i", "image": ""}]},
            "metadata": {"creationTimestamp": "2024-01-02T03:04:05+01:00", "name": "p"}}),
        json!({"status": {"phase": "Running", "bogus": true}, "spec": {}}),
        json!({}),
    ];
    for input in inputs {
        for source in [Source::Json, Source::Yaml] {
            let mut once = input.clone();
            normalize_with("Pod", &mut once, source).unwrap();
            let mut twice = once.clone();
            normalize_with("Pod", &mut twice, source).unwrap();
            assert_eq!(
                serde_json::to_string(&twice).unwrap(),
                serde_json::to_string(&once).unwrap()
            );
        }
    }
}

#[test]
fn errors_inside_a_rebuilt_object_still_name_the_path() {
    let mut v = json!({"spec": {"containers": [{"image": "i", "name": "c", "ports": [{"containerPort": "80"}]}]}});
    let err = normalize("Pod", &mut v).unwrap_err().to_string();
    assert_eq!(
        err,
        "spec.containers[0].ports[0].containerPort: cannot decode string into a Go int32"
    );
    assert!(v.is_null());
}
