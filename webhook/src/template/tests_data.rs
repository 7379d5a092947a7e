//! Template data built field by field matches the data-contract path: a pod converted straight
//! from Kubernetes JSON equals its Go view converted, values and Go types alike.

use super::convert::{convert, k8s_direct, Ty};
use super::k8s_view::K;
use super::typed::{self, Tag};
use super::*;
use crate::corpus;
use serde_json::{json, Value as J};

fn tag_name(v: &gotmpl::Value) -> &'static str {
    match typed::tag_of(v) {
        None => "none",
        Some(Tag::StrMap) => "map[string]string",
        Some(Tag::K8s(s)) => s.name,
        Some(Tag::Proto(m)) => &m.full_name,
    }
}

/// Asserts equal values with equal Go types at every map (both recorded in the current scope).
fn assert_same(a: &gotmpl::Value, b: &gotmpl::Value, at: &str) {
    assert_eq!(a, b, "{at}");
    assert_eq!(tag_name(a), tag_name(b), "{at}");
    match (a, b) {
        (gotmpl::Value::Map(x), gotmpl::Value::Map(y)) => {
            for ((k, v), (_, w)) in x.iter().zip(y.iter()) {
                assert_same(v, w, &format!("{at}.{k}"));
            }
        }
        (gotmpl::Value::List(x), gotmpl::Value::List(y)) => {
            for (i, (v, w)) in x.iter().zip(y.iter()).enumerate() {
                assert_same(v, w, &format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}

fn check_pod(pod: &J) {
    let _scope = typed::Scope::enter(Vec::new());
    for (field, ty, go_view) in [
        (
            "metadata",
            "ObjectMeta",
            object_meta_to_go(&pod["metadata"]),
        ),
        ("spec", "PodSpec", pod_spec_to_go(&pod["spec"])),
    ] {
        let via_go_view = convert(Some(&go_view), Ty::K8s(K::named(ty)));
        let direct = k8s_direct(pod.get(field), K::named(ty));
        assert_same(&direct, &via_go_view, field);
    }
}

#[test]
fn pods_convert_straight_like_their_go_view() {
    check_pod(&json!({
        "metadata": {"name": "p", "labels": {"app": "x"}, "annotations": {"a": "1"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "controller": true}]},
        "spec": {"containers": [{"name": "app", "image": "i", "ports": [{"containerPort": 80}],
            "env": [{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
            "resources": {"limits": {"cpu": "1"}}, "readinessProbe": {"httpGet": {"port": 8080, "path": "/"}}}],
            "serviceAccount": "sa", "securityContext": {"runAsUser": 1}, "volumes": [{"name": "v", "emptyDir": {}}]}
    }));
}

#[test]
fn odd_objects_convert_like_their_go_view() {
    check_pod(&json!({
        "metadata": {"name": "p", "Name": "other", "unknownField": {"innerKey": [1, {"deepKey": true}]}, "UnknownField": 2},
        "spec": {"containers": "not a list", "securityContext": "not an object", "nodeSelector": null,
            "DeprecatedServiceAccount": "x", "affinity": {"nodeAffinity": {}}, "initContainers": [null, {"name": "i"}]}
    }));
    check_pod(&json!({"metadata": null}));
    check_pod(&json!({}));
}

#[test]
fn corpus_pods_convert_straight_like_their_go_view() {
    let Some(dir) = corpus::dir() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.join("cases"))
        .expect("cases")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("case file");
        for doc in text.split("\n---") {
            let Ok(v) = crate::config::yaml::parse_yaml(doc) else {
                continue;
            };
            let pod = match v["kind"].as_str() {
                Some("Pod") => &v,
                Some("CronJob") => &v["spec"]["jobTemplate"]["spec"]["template"],
                Some(_) => &v["spec"]["template"],
                None => continue,
            };
            if pod.is_object() {
                check_pod(pod);
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "checked only {checked} pods");
}
