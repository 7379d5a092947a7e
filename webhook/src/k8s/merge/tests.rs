//! One test per strategic-merge rule, with core/v1 Pod strategies.

use serde_json::{json, Value};

use super::{strategic_merge, strategic_merge_pod, MergeError};

fn merged(original: Value, patch: Value) -> Value {
    strategic_merge_pod(original, patch).unwrap_or_else(|e| panic!("{e}"))
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

#[test]
fn new_list_items_precede_the_server_only_items_after_them() {
    // Istio's goldens: template volumes land before the user's volumes.
    let out = merged(
        json!({"spec": {"volumes": [{"name": "data", "hostPath": {"path": "/d"}}]}}),
        json!({"spec": {"volumes": [{"name": "istio-envoy", "emptyDir": {}}, {"name": "istio-data", "emptyDir": {}}]}}),
    );
    assert_eq!(
        names(&out["spec"]["volumes"]),
        ["istio-envoy", "istio-data", "data"]
    );
}

#[test]
fn matching_items_merge_in_place_and_keep_relative_order() {
    let out = merged(
        json!({"spec": {"containers": [
            {"name": "a", "image": "a:1"},
            {"name": "b", "image": "b:1", "args": ["x"]},
            {"name": "c", "image": "c:1"}
        ]}}),
        json!({"spec": {"containers": [{"name": "c", "image": "c:2"}, {"name": "new", "image": "n"}, {"name": "b", "args": ["y"]}]}}),
    );
    let cs = &out["spec"]["containers"];
    // Patch order c, new, b; a precedes c in the original so it stays first.
    assert_eq!(names(cs), ["a", "c", "new", "b"]);
    assert_eq!(cs[1], json!({"name": "c", "image": "c:2"}));
    assert_eq!(cs[3], json!({"name": "b", "image": "b:1", "args": ["y"]}));
}

#[test]
fn nested_lists_merge_by_their_own_keys() {
    let out = merged(
        json!({"spec": {"containers": [{
            "name": "app",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "ports": [{"containerPort": 80, "name": "http"}],
            "volumeMounts": [{"name": "v", "mountPath": "/a"}]
        }]}}),
        json!({"spec": {"containers": [{
            "name": "app",
            "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
            "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 90}],
            "volumeMounts": [{"name": "w", "mountPath": "/a"}, {"name": "x", "mountPath": "/b"}]
        }]}}),
    );
    let c = &out["spec"]["containers"][0];
    assert_eq!(
        c["env"],
        json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}])
    );
    assert_eq!(
        c["ports"],
        json!([{"containerPort": 80, "name": "http", "protocol": "TCP"}, {"containerPort": 90}])
    );
    assert_eq!(
        c["volumeMounts"],
        json!([{"name": "w", "mountPath": "/a"}, {"name": "x", "mountPath": "/b"}])
    );
}

#[test]
fn other_merged_lists_use_their_keys() {
    let out = merged(
        json!({"metadata": {"finalizers": ["a", "b"], "ownerReferences": [{"uid": "1", "name": "x"}]},
               "spec": {"imagePullSecrets": [{"name": "s1"}], "hostAliases": [{"ip": "1.1.1.1", "hostnames": ["a"]}],
                        "initContainers": [{"name": "i", "image": "x"}]}}),
        json!({"metadata": {"finalizers": ["c", "a"], "ownerReferences": [{"uid": "1", "kind": "K"}]},
               "spec": {"imagePullSecrets": [{"name": "s2"}], "hostAliases": [{"ip": "1.1.1.1", "hostnames": ["b"]}],
                        "initContainers": [{"name": "istio-init"}]}}),
    );
    assert_eq!(out["metadata"]["finalizers"], json!(["c", "a", "b"]));
    assert_eq!(
        out["metadata"]["ownerReferences"],
        json!([{"uid": "1", "name": "x", "kind": "K"}])
    );
    assert_eq!(
        out["spec"]["imagePullSecrets"],
        json!([{"name": "s2"}, {"name": "s1"}])
    );
    assert_eq!(
        out["spec"]["hostAliases"],
        json!([{"ip": "1.1.1.1", "hostnames": ["b"]}])
    );
    assert_eq!(names(&out["spec"]["initContainers"]), ["istio-init", "i"]);
}

#[test]
fn lists_without_strategy_and_scalar_lists_are_replaced() {
    let out = merged(
        json!({"spec": {"tolerations": [{"key": "a"}], "containers": [{"name": "c", "args": ["1", "2"], "command": ["x"]}]}}),
        json!({"spec": {"tolerations": [{"key": "b"}], "containers": [{"name": "c", "args": ["3"]}]}}),
    );
    assert_eq!(out["spec"]["tolerations"], json!([{"key": "b"}]));
    assert_eq!(
        out["spec"]["containers"][0],
        json!({"name": "c", "args": ["3"], "command": ["x"]})
    );
}

#[test]
fn null_deletes_and_absent_keys_take_the_patch_verbatim() {
    let out = merged(
        json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}),
        json!({"metadata": {"labels": {"a": null, "c": "3"}, "annotations": {"x": "y"}},
               "spec": {"containers": [{"name": "c", "image": null}], "volumes": [{"name": "v", "emptyDir": null, "$patch": "delete"}], "gone": null}}),
    );
    assert_eq!(
        out["metadata"],
        json!({"labels": {"b": "2", "c": "3"}, "annotations": {"x": "y"}})
    );
    assert_eq!(out["spec"]["containers"], json!([{"name": "c"}]));
    // Nothing to merge with: the patch list is taken as written, directives included.
    assert_eq!(
        out["spec"]["volumes"],
        json!([{"name": "v", "emptyDir": null, "$patch": "delete"}])
    );
    assert!(out["spec"].get("gone").is_none());
}

#[test]
fn values_of_different_types_replace() {
    let out = merged(
        json!({"spec": {"containers": [{"name": "c", "readinessProbe": {"httpGet": {"port": 8080}}}]}}),
        json!({"spec": {"containers": [{"name": "c", "readinessProbe": {"httpGet": {"port": "http"}}}]}}),
    );
    assert_eq!(
        out["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"],
        json!("http")
    );
}

#[test]
fn patch_directives_on_objects() {
    let out = merged(
        json!({"spec": {"securityContext": {"runAsUser": 1, "fsGroup": 2}, "dnsConfig": {"nameservers": ["1.1.1.1"]}}}),
        json!({"spec": {"securityContext": {"$patch": "replace", "runAsGroup": 3}, "dnsConfig": {"$patch": "delete"}}}),
    );
    assert_eq!(out["spec"]["securityContext"], json!({"runAsGroup": 3}));
    assert_eq!(out["spec"]["dnsConfig"], json!({}));
}

#[test]
fn patch_directives_in_lists() {
    let original = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
    let out = merged(
        original.clone(),
        json!({"spec": {"containers": [{"name": "b", "$patch": "delete"}, {"name": "d"}]}}),
    );
    assert_eq!(names(&out["spec"]["containers"]), ["d", "a", "c"]);
    let out = merged(
        original.clone(),
        json!({"spec": {"containers": [{"$patch": "replace"}, {"name": "z", "image": "z"}]}}),
    );
    assert_eq!(
        out["spec"]["containers"],
        json!([{"name": "z", "image": "z"}])
    );
    let err = strategic_merge_pod(
        original,
        json!({"spec": {"containers": [{"$patch": "merge"}]}}),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("merging lists cannot yet be specified"),
        "{err}"
    );
}

#[test]
fn retain_keys_clears_other_volume_sources() {
    let out = merged(
        json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]}}),
        json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "configMap"], "configMap": {"name": "cm"}}]}}),
    );
    assert_eq!(
        out["spec"]["volumes"],
        json!([{"name": "v", "configMap": {"name": "cm"}}])
    );
    let doc = json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}});
    let err = strategic_merge_pod(
        doc,
        json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name"], "secret": {}}]}}),
    );
    assert!(matches!(err, Err(MergeError::Directive { .. })));
}

#[test]
fn primitive_list_deletion_and_element_order() {
    let out = merged(
        json!({"metadata": {"finalizers": ["a", "b", "c"]}, "spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]},
               "spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}], "containers": [{"name": "a", "image": "i"}]}}),
    );
    assert_eq!(out["metadata"]["finalizers"], json!(["a", "c"]));
    let cs = &out["spec"]["containers"];
    // Listed items follow the directive (c before a); b keeps its place before c.
    assert_eq!(names(cs), ["b", "c", "a"]);
    assert_eq!(cs[2], json!({"name": "a", "image": "i"}));
}

#[test]
fn malformed_patches_are_errors() {
    let doc = json!({"spec": {"containers": [{"name": "a"}]}});
    let err = strategic_merge_pod(
        doc.clone(),
        json!({"spec": {"containers": [{"image": "x"}]}}),
    )
    .unwrap_err();
    assert!(
        matches!(err, MergeError::NoMergeKey { ref key, .. } if key == "name"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "strategic merge: spec.containers: list item does not contain the merge key \"name\""
    );

    let err = strategic_merge_pod(doc, json!({"spec": {"containers": ["a"]}})).unwrap_err();
    assert!(matches!(err, MergeError::BadList { .. }), "{err}");

    let doc = json!({"spec": {"bogus": {"a": 1}}});
    let err = strategic_merge_pod(doc, json!({"spec": {"bogus": {"b": 1}}})).unwrap_err();
    assert!(matches!(err, MergeError::UnknownField { .. }), "{err}");

    assert!(matches!(
        strategic_merge_pod(json!({}), json!([1])),
        Err(MergeError::NotAnObject(_))
    ));
    assert!(matches!(
        strategic_merge(json!({}), json!({}), "Nope"),
        Err(MergeError::UnknownType(_))
    ));
    let err = strategic_merge_pod(json!({}), json!({"$patch": "explode"})).unwrap_err();
    assert!(err.to_string().contains("unknown patch type"), "{err}");
}

#[test]
fn whole_document_directives_and_null_patch() {
    let out = merged(
        json!({"metadata": {"name": "a"}}),
        json!({"$patch": "replace", "spec": {}}),
    );
    assert_eq!(out, json!({"spec": {}}));
    assert_eq!(
        merged(json!({"metadata": {"name": "a"}}), Value::Null),
        json!({"metadata": {"name": "a"}})
    );
}

#[test]
fn large_env_merge_stays_linear_in_shape() {
    let env: Vec<Value> = (0..2000)
        .map(|i| json!({"name": format!("V{i}"), "value": i.to_string()}))
        .collect();
    let out = merged(
        json!({"spec": {"containers": [{"name": "app", "env": env}]}}),
        json!({"spec": {"containers": [{"name": "app", "env": [{"name": "V1999", "value": "x"}, {"name": "NEW", "value": "y"}]}]}}),
    );
    let env = out["spec"]["containers"][0]["env"].as_array().unwrap();
    assert_eq!(env.len(), 2001);
    assert_eq!(env[1999], json!({"name": "V1999", "value": "x"}));
    assert_eq!(env[2000], json!({"name": "NEW", "value": "y"}));
}
