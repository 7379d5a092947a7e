//! Behaviour of the Go typed round trip, checked against the k8s.io/api field tags and
//! against Istio's golden outputs (which are `json.Marshal`/`yaml.Marshal` results).

use serde_json::{json, Value};

use super::yaml::format_float32_g;

use super::{normalize, normalize_object, normalize_with, NormalizeError, Source};

fn norm(kind: &str, mut v: Value) -> Value {
    normalize(kind, &mut v).unwrap_or_else(|e| panic!("{e}"));
    v
}

#[test]
fn deployment_gains_go_defaults() {
    let out = norm(
        "Deployment",
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "hello", "creationTimestamp": null},
            "spec": {
                "replicas": 7,
                "selector": {"matchLabels": {"app": "hello"}},
                "template": {
                    "metadata": {"labels": {"app": "hello"}},
                    "spec": {"containers": [{"name": "hello", "image": "x", "ports": [{"name": "http", "containerPort": 80}]}]}
                }
            }
        }),
    );
    assert_eq!(
        out,
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "hello"},
            "spec": {
                "replicas": 7,
                "selector": {"matchLabels": {"app": "hello"}},
                "strategy": {},
                "template": {
                    "metadata": {"labels": {"app": "hello"}},
                    "spec": {"containers": [{"name": "hello", "image": "x", "ports": [{"name": "http", "containerPort": 80}], "resources": {}}]}
                }
            },
            "status": {}
        })
    );
}

#[test]
fn omitempty_fields_drop_empty_values_and_required_ones_stay() {
    let out = norm(
        "Container",
        json!({
            "image": "", "args": [], "env": null, "stdin": false, "workingDir": null,
            "ports": [{"containerPort": 0, "hostPort": 0, "protocol": ""}],
            "securityContext": {"privileged": false, "runAsUser": 0, "capabilities": null},
            "livenessProbe": null
        }),
    );
    assert_eq!(
        out,
        json!({
            "ports": [{"containerPort": 0}],
            "securityContext": {"privileged": false, "runAsUser": 0},
            "name": "",
            "resources": {}
        })
    );
}

#[test]
fn pointers_without_omitempty_and_absent_structs_are_emitted() {
    let out = norm(
        "Probe",
        json!({"grpc": {"port": 15020}, "httpGet": {"path": "/x"}}),
    );
    assert_eq!(
        out,
        json!({"grpc": {"port": 15020, "service": null}, "httpGet": {"path": "/x", "port": 0}})
    );
    let spec = norm("PodSpec", json!({}));
    assert_eq!(spec, json!({"containers": null}));
    let pod = norm("Pod", json!({"metadata": {"name": "p"}}));
    assert_eq!(
        pod,
        json!({"metadata": {"name": "p"}, "spec": {"containers": null}, "status": {}})
    );
}

#[test]
fn quantities_are_canonicalised_everywhere() {
    let out = norm(
        "PodSpec",
        json!({
            "containers": [{
                "name": "c",
                "resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"}, "requests": {"cpu": 0.5, "memory": null}},
                "env": [
                    {"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
                    {"name": "B", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1000m"}}}
                ]
            }],
            "overhead": {"cpu": "250m", "memory": "120000Ki"},
            "volumes": [{"name": "v", "emptyDir": {"medium": "Memory", "sizeLimit": "1024Mi"}}]
        }),
    );
    let c = &out["containers"][0];
    assert_eq!(
        c["resources"],
        json!({"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "0"}})
    );
    assert_eq!(
        c["env"][0]["valueFrom"]["resourceFieldRef"]["divisor"],
        json!("0")
    );
    assert_eq!(
        c["env"][1]["valueFrom"]["resourceFieldRef"]["divisor"],
        json!("1")
    );
    assert_eq!(
        out["overhead"],
        json!({"cpu": "250m", "memory": "120000Ki"})
    );
    assert_eq!(out["volumes"][0]["emptyDir"]["sizeLimit"], json!("1Gi"));
}

#[test]
fn unknown_fields_are_dropped_and_keys_fold_case() {
    let out = norm(
        "Pod",
        json!({"metadata": {"name": "p", "bogus": 1}, "spec": {"containers": [{"Name": "c", "extra": {"a": 1}}], "future": true}, "status": {"phase": "Pending", "x": 1}}),
    );
    assert_eq!(
        out,
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "resources": {}}]}, "status": {"phase": "Pending"}})
    );
}

#[test]
fn int_or_string_and_times() {
    let out = norm(
        "Pod",
        json!({
            "metadata": {"creationTimestamp": "2024-01-01T01:00:00+01:00", "deletionTimestamp": null},
            "spec": {"containers": [{"name": "c", "readinessProbe": {"httpGet": {"port": "http"}}, "livenessProbe": {"tcpSocket": {"port": 8080}}}]}
        }),
    );
    assert_eq!(
        out["metadata"],
        json!({"creationTimestamp": "2024-01-01T00:00:00Z"})
    );
    let c = &out["spec"]["containers"][0];
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], json!("http"));
    assert_eq!(c["livenessProbe"]["tcpSocket"]["port"], json!(8080));
}

#[test]
fn workload_statuses_and_specs_follow_their_tags() {
    let sts = norm(
        "StatefulSet",
        json!({"spec": {"selector": null, "template": {}}}),
    );
    assert_eq!(
        sts,
        json!({"metadata": {}, "spec": {"selector": null, "template": {"metadata": {}, "spec": {"containers": null}}, "updateStrategy": {}}, "status": {"replicas": 0, "availableReplicas": 0}})
    );
    let ds = norm("DaemonSet", json!({}));
    assert_eq!(
        ds["status"],
        json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0})
    );
    assert_eq!(
        norm("ReplicationController", json!({}))["status"],
        json!({"replicas": 0})
    );
    let dc = norm(
        "DeploymentConfig",
        json!({"spec": {"paused": false, "minReadySeconds": 0, "strategy": {"type": "Rolling"}}}),
    );
    assert_eq!(
        dc["spec"],
        json!({"strategy": {"type": "Rolling", "resources": {}}, "triggers": null, "replicas": 0, "test": false})
    );
    assert_eq!(
        dc["status"],
        json!({"latestVersion": 0, "observedGeneration": 0, "replicas": 0, "updatedReplicas": 0, "availableReplicas": 0, "unavailableReplicas": 0})
    );
    let cj = norm(
        "CronJob",
        json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {}}}}}),
    );
    assert_eq!(
        cj["spec"]["jobTemplate"],
        json!({"metadata": {}, "spec": {"template": {"metadata": {}, "spec": {"containers": null}}}})
    );
}

#[test]
fn lists_normalise_known_items_only() {
    let mut list = json!({
        "apiVersion": "v1", "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}
        ]
    });
    assert!(normalize_object(&mut list, Source::Yaml).unwrap());
    assert_eq!(list["metadata"], json!({}));
    assert_eq!(
        list["items"][0],
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}})
    );
    assert_eq!(list["items"][1]["spec"]["strategy"], json!({}));
    assert_eq!(list["items"][1]["spec"]["selector"], Value::Null);
    let mut svc = json!({"kind": "Service", "spec": {"x": null}});
    assert!(!normalize_object(&mut svc, Source::Json).unwrap());
    assert_eq!(svc, json!({"kind": "Service", "spec": {"x": null}}));
}

#[test]
fn wrong_json_types_are_errors_naming_the_path() {
    let mut v = json!({"containers": [{"name": "c", "ports": [{"containerPort": "80"}]}]});
    let err = normalize("PodSpec", &mut v).unwrap_err();
    assert!(matches!(err, NormalizeError::Type { .. }));
    assert_eq!(
        err.to_string(),
        "containers[0].ports[0].containerPort: cannot decode string into a Go int32"
    );

    let mut v = json!({"containers": [{"name": "c", "resources": {"limits": {"cpu": "2x"}}}]});
    let err = normalize("PodSpec", &mut v).unwrap_err().to_string();
    assert!(
        err.starts_with("containers[0].resources.limits.cpu: invalid quantity \"2x\""),
        "{err}"
    );

    let mut v = json!({"containers": [{"name": "c", "env": [{"name": "A", "value": 80}]}]});
    assert!(normalize("PodSpec", &mut v)
        .unwrap_err()
        .to_string()
        .contains("env[0].value"));

    let mut v = json!({"priority": 3_000_000_000u64});
    assert!(matches!(
        normalize("PodSpec", &mut v),
        Err(NormalizeError::Range { .. })
    ));
    let mut v = json!({"metadata": {"creationTimestamp": "yesterday"}});
    assert!(matches!(
        normalize("Pod", &mut v),
        Err(NormalizeError::Time { .. })
    ));
    let mut v = json!([]);
    assert!(normalize("Pod", &mut v)
        .unwrap_err()
        .to_string()
        .starts_with("<root>:"));
    assert!(matches!(
        normalize("Nope", &mut json!({})),
        Err(NormalizeError::UnknownType(_))
    ));
}

#[test]
fn yaml_scalars_become_strings_where_go_expects_strings() {
    let mut v = json!({
        "metadata": {"labels": {"version": 1, "beta": true}},
        "spec": {"containers": [{"name": "c", "args": [1, 1.5], "env": [{"name": "N", "value": 1000000.0}]}]}
    });
    normalize_with("Pod", &mut v, Source::Yaml).unwrap();
    assert_eq!(
        v["metadata"]["labels"],
        json!({"version": "1", "beta": "true"})
    );
    assert_eq!(v["spec"]["containers"][0]["args"], json!(["1", "1.5"]));
    assert_eq!(
        v["spec"]["containers"][0]["env"][0]["value"],
        json!("1e+06")
    );
}

#[test]
fn float32_g_formatting() {
    assert_eq!(format_float32_g(1.5), "1.5");
    assert_eq!(format_float32_g(100000.0), "100000");
    assert_eq!(format_float32_g(1e6), "1e+06");
    assert_eq!(format_float32_g(0.0001), "0.0001");
    assert_eq!(format_float32_g(0.00001), "1e-05");
    assert_eq!(format_float32_g(-2.25), "-2.25");
    assert_eq!(format_float32_g(0.1), "0.1");
}

/// Every golden document Istio produced is a `yaml.Marshal` of a typed object, so the round
/// trip must leave it unchanged.
#[test]
fn istio_goldens_are_fixed_points() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/inject");
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("cases.json"))
            .expect("conformance corpus at ../shared/conformance"),
    )
    .unwrap();
    let mut checked = 0;
    for case in cases.as_array().unwrap() {
        let Some(expected) = case["expected"].as_str() else {
            continue;
        };
        if case["skip_injection"] == json!(true) {
            continue;
        }
        let text = std::fs::read_to_string(dir.join("cases").join(expected)).unwrap();
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
        for doc in docs.into_iter().filter(|d| !d.is_null()) {
            let mut round = doc.clone();
            if normalize_object(&mut round, Source::Yaml).unwrap() {
                assert_eq!(round, doc, "{expected}: not a fixed point");
                checked += 1;
            }
        }
    }
    assert!(checked > 80, "only {checked} documents checked");
}
