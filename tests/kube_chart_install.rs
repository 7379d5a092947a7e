//! The chart installed for real on the local control plane (issue 5): every
//! object of `charts/meshinject` applied and `meshinject serve` run with the
//! rendered Deployment's own arguments under the chart's service account
//! (see `e2e::kube_install`), so that its RBAC, its ConfigMaps and its
//! MutatingWebhookConfiguration (the `caBundle` the server fills in, the
//! selectors, the excluded namespaces) are what the API server uses.

use std::time::Duration;

use e2e::kube::{self, ControlPlane};
use e2e::kube_install::{install, namespace};
use e2e::kube_webhook::{run_pod, set_values_in};
use serde_json::Value;

const NS: &str = "mesh-system";

fn injected(pod: &Value) -> bool {
    pod["metadata"]["annotations"]["sidecar.istio.io/status"].is_string()
        && pod["spec"]["containers"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["name"] == "istio-proxy"))
}

fn label(plane: &ControlPlane, ns: &str, labels: &[&str]) {
    namespace(plane, ns, labels).unwrap_or_else(|e| panic!("namespace {ns}: {e}"));
}

#[test]
fn the_installed_chart_injects_under_its_own_rbac() {
    let Some(plane) = kube::require("kube_chart_install") else {
        return;
    };
    plane.step("install the chart");
    let installed = install(&plane, NS).expect("the chart installed, its server running");
    let hook = &installed.webhook;
    assert!(installed.documents.len() >= 10, "{:?}", installed.documents);

    plane.step("selectors");
    label(&plane, "app", &["istio-injection=enabled"]);
    let mut i = 0;
    let pod = plane
        .eventually(Duration::from_secs(30), || {
            i += 1;
            Some(run_pod(&plane, "app", &format!("hello-{i}"), &[])).filter(injected)
        })
        .unwrap_or_else(|| panic!("pod not injected; log:\n{}", hook.log_text()));
    assert_eq!(pod["metadata"]["namespace"], "app");
    label(&plane, "rev", &["istio.io/rev=default"]);
    assert!(injected(&run_pod(&plane, "rev", "hello", &[])));
    label(&plane, "plain", &[]);
    assert!(!injected(&run_pod(&plane, "plain", "hello", &[])));
    // The install namespace and kube-system stay excluded even when labelled.
    label(&plane, NS, &["istio-injection=enabled"]);
    assert!(!injected(&run_pod(&plane, NS, "hello", &[])));
    label(&plane, "kube-system", &["istio-injection=enabled"]);
    assert!(!injected(&run_pod(&plane, "kube-system", "hello", &[])));

    plane.step("the chart's ConfigMap edited");
    let values = plane
        .kubectl_json(&["-n", NS, "get", "configmap", "istio-sidecar-injector"])
        .expect("the chart's injector ConfigMap")["data"]["values"]
        .as_str()
        .expect("values")
        .to_string();
    let mut v: Value = serde_json::from_str(&values).expect("values is JSON");
    v["global"]["proxy"]["includeIPRanges"] = "10.244.0.1/24".into();
    set_values_in(&plane, NS, &v.to_string()).expect("patch values");
    let mut i = 0;
    plane
        .eventually(Duration::from_secs(15), || {
            i += 1;
            let pod = run_pod(&plane, "app", &format!("edited-{i}"), &[]);
            let args = pod["spec"]["initContainers"][0]["args"].as_array()?.clone();
            args.iter().any(|a| a == "10.244.0.1/24").then_some(())
        })
        .unwrap_or_else(|| panic!("edit not applied; log:\n{}", hook.log_text()));

    // Everything the server read or wrote, it was allowed to.
    let log = hook.log_text();
    assert!(
        !log.contains("forbidden") && !log.contains("Forbidden"),
        "the chart's RBAC denied the server something:\n{log}"
    );
    plane.step("done");
}
