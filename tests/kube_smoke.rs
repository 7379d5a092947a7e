//! The local control plane works end to end: a Deployment created with
//! kubectl becomes a ReplicaSet whose Pod is stored (Pending, as there is no
//! kubelet), and the rendered Helm chart is accepted by the API server
//! (`kubectl apply --dry-run=server`).

use std::time::Duration;

use e2e::kube::{self, ControlPlane};
use e2e::kube_chart::{chart_dir, render, Release};
use serde_json::{json, Value};

fn pods_of(plane: &ControlPlane, ns: &str) -> Vec<Value> {
    plane
        .kubectl_json(&["get", "pods", "-n", ns])
        .map(|l| l["items"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default()
}

#[test]
fn deployment_pod_is_stored_and_chart_is_accepted() {
    let Some(plane) = kube::require("kube_smoke") else {
        return;
    };
    plane
        .kubectl(&["create", "namespace", "x"], None)
        .expect("create namespace");
    plane
        .kubectl(
            &[
                "-n",
                "x",
                "create",
                "deployment",
                "hello",
                "--image=hello:1.0",
            ],
            None,
        )
        .expect("create deployment");

    let pod = plane
        .eventually(Duration::from_secs(60), || {
            pods_of(&plane, "x").into_iter().find(|p| {
                p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
                    && p["metadata"]["generateName"]
                        .as_str()
                        .is_some_and(|g| g.starts_with("hello-"))
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "no pod of deployment hello after 60s; controller-manager log: {:?}",
                plane.log("kube-controller-manager")
            )
        });
    assert_eq!(pod["status"]["phase"], "Pending");
    assert_eq!(pod["spec"]["containers"][0]["image"], "hello:1.0");
    let rs = pod["metadata"]["ownerReferences"][0]["name"]
        .as_str()
        .expect("owner name");
    let rs = plane
        .kubectl_json(&["get", "replicaset", rs, "-n", "x"])
        .expect("the owning ReplicaSet");
    assert_eq!(rs["metadata"]["ownerReferences"][0]["kind"], "Deployment");
    assert_eq!(rs["metadata"]["ownerReferences"][0]["name"], "hello");

    // The chart, rendered by the project's renderer, is valid for this API
    // server (v1.20: PodDisruptionBudget is policy/v1beta1 there).
    plane
        .kubectl(&["create", "namespace", "mesh-system"], None)
        .expect("create namespace");
    let release = Release {
        name: "meshinject".into(),
        namespace: "mesh-system".into(),
    };
    let files = render(
        &chart_dir(),
        &release,
        &json!({"podDisruptionBudget": {"apiVersion": "policy/v1beta1"}}),
    )
    .expect("the chart renders");
    let stream: String = files.iter().map(|m| format!("---\n{}\n", m.text)).collect();
    let out = plane
        .kubectl(&["apply", "--dry-run=server", "-f", "-"], Some(&stream))
        .expect("the API server accepts the rendered chart");
    for object in [
        "configmap/istio-sidecar-injector",
        "configmap/istio ",
        "serviceaccount/meshinject",
        "role.rbac.authorization.k8s.io/meshinject",
        "rolebinding.rbac.authorization.k8s.io/meshinject",
        "clusterrole.rbac.authorization.k8s.io/meshinject-mesh-system",
        "clusterrolebinding.rbac.authorization.k8s.io/meshinject-mesh-system",
        "service/meshinject",
        "deployment.apps/meshinject",
        "poddisruptionbudget.policy/meshinject",
        "mutatingwebhookconfiguration.admissionregistration.k8s.io/meshinject-mesh-system",
    ] {
        assert!(
            out.contains(object) && out.contains("(server dry run)"),
            "{object} not applied:\n{out}"
        );
    }
    // A dry run stores nothing, and the server does validate what it is sent.
    assert!(plane
        .kubectl(
            &[
                "get",
                "configmap",
                "istio-sidecar-injector",
                "-n",
                "mesh-system"
            ],
            None
        )
        .is_err());
    let bad = stream.replace("name: istio-sidecar-injector", "name: Not_A_DNS_Name");
    let err = plane
        .kubectl(&["apply", "--dry-run=server", "-f", "-"], Some(&bad))
        .expect_err("an invalid name is refused by the server");
    assert!(err.to_string().contains("Not_A_DNS_Name"), "{err}");
}
