//! The chart installed for real on the local control plane (issue 5): every
//! object of `charts/meshinject` applied, and `meshinject serve` run with the
//! rendered Deployment's own arguments under the chart's service account, so
//! that its RBAC, its ConfigMaps, its MutatingWebhookConfiguration (the
//! `caBundle` the server fills in, the selectors and the excluded
//! namespaces) are what the API server actually uses.
//!
//! Two things differ from a cluster with nodes, and only these: the server
//! runs as a local process, so the webhook configuration's `service`
//! reference is replaced by a `url` to it (and `--service localhost` names
//! the certificate for that URL); and v1.20 does not yet label namespaces
//! with `kubernetes.io/metadata.name` (v1.21+ does), so the test does.

use std::time::Duration;

use e2e::kube::{self, ControlPlane};
use e2e::kube_chart::{chart_dir, render, render_documents, Release};
use e2e::kube_webhook::{free_port, Webhook};
use serde_json::{json, Value};

const NS: &str = "mesh-system";
const MWC: &str = "meshinject-mesh-system";

fn release() -> Release {
    Release {
        name: "meshinject".into(),
        namespace: NS.into(),
    }
}

/// v1.20 serves PodDisruptionBudget as policy/v1beta1 only.
fn overrides() -> Value {
    json!({"podDisruptionBudget": {"apiVersion": "policy/v1beta1"}})
}

fn namespace(plane: &ControlPlane, name: &str, labels: &[&str]) {
    let _ = plane.kubectl(&["create", "namespace", name], None);
    let mut args = vec!["label", "--overwrite", "namespace", name];
    let own = format!("kubernetes.io/metadata.name={name}");
    args.push(&own);
    args.extend(labels);
    plane.kubectl(&args, None).expect("label namespace");
}

fn run_pod(plane: &ControlPlane, ns: &str, name: &str) -> Value {
    plane
        .kubectl(
            &[
                "-n",
                ns,
                "run",
                name,
                "--image=hello:1.0",
                "--restart=Never",
            ],
            None,
        )
        .unwrap_or_else(|e| panic!("kubectl run {ns}/{name}: {e}"));
    plane
        .kubectl_json(&["-n", ns, "get", "pod", name])
        .expect("get pod")
}

fn injected(pod: &Value) -> bool {
    pod["metadata"]["annotations"]["sidecar.istio.io/status"].is_string()
        && pod["spec"]["containers"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["name"] == "istio-proxy"))
}

/// The bearer token of service account `meshinject`, from the Secret the
/// token controller creates for it.
fn service_account_token(plane: &ControlPlane) -> String {
    let secret = plane
        .eventually(Duration::from_secs(60), || {
            let sa = plane
                .kubectl_json(&["-n", NS, "get", "serviceaccount", "meshinject"])
                .ok()?;
            sa["secrets"][0]["name"].as_str().map(String::from)
        })
        .expect("a token Secret for serviceaccount meshinject");
    let token = plane
        .kubectl(
            &[
                "-n",
                NS,
                "get",
                "secret",
                &secret,
                "-o",
                "jsonpath={.data.token}",
            ],
            None,
        )
        .expect("the token");
    let out = std::process::Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(token.as_bytes())?;
            child.wait_with_output()
        })
        .expect("base64 -d");
    String::from_utf8(out.stdout).expect("a text token")
}

/// The rendered Deployment's container arguments, with the ports and the
/// Service name a local process needs.
fn chart_args(docs: &[Value], port: u16, kubeconfig: &str) -> Vec<String> {
    let deploy = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("the chart's Deployment");
    let mut args: Vec<String> = deploy["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("container args")
        .iter()
        .map(|a| a.as_str().expect("string arg").to_string())
        .collect();
    let mut set = |flag: &str, value: String| {
        let i = args
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("the chart passes no {flag}: {args:?}"));
        args[i + 1] = value;
    };
    set("--port", port.to_string());
    set("--service", "localhost".into());
    args.extend(["--kubeconfig".into(), kubeconfig.into()]);
    args
}

#[test]
fn the_installed_chart_injects_under_its_own_rbac() {
    let Some(plane) = kube::require("kube_chart_install") else {
        return;
    };
    plane.step("install the chart");
    namespace(&plane, NS, &[]);
    let files = render(&chart_dir(), &release(), &overrides()).expect("the chart renders");
    let stream: String = files.iter().map(|m| format!("---\n{}\n", m.text)).collect();
    plane
        .kubectl(&["apply", "-f", "-"], Some(&stream))
        .expect("kubectl apply of the rendered chart");
    let docs = render_documents(&chart_dir(), &release(), &overrides()).expect("documents");

    // The server is a local process: point every webhook at it by URL.
    let port = free_port();
    let url = format!("https://localhost:{port}/inject");
    let mwc = plane
        .kubectl_json(&["get", "mutatingwebhookconfiguration", MWC])
        .expect("the chart's webhook configuration");
    let webhooks = mwc["webhooks"].as_array().expect("webhooks").len();
    assert!(webhooks >= 2, "{mwc:#}");
    let patch: Vec<Value> = (0..webhooks)
        .map(|i| json!({"op": "replace", "path": format!("/webhooks/{i}/clientConfig"), "value": {"url": url}}))
        .collect();
    plane
        .kubectl(
            &[
                "patch",
                "mutatingwebhookconfiguration",
                MWC,
                "--type=json",
                "-p",
                &Value::from(patch).to_string(),
            ],
            None,
        )
        .expect("point the webhooks at the local server");

    plane.step("serve with the chart's arguments and service account");
    let kubeconfig = plane.dir().join("meshinject-sa.kubeconfig");
    plane
        .write_kubeconfig_for(&service_account_token(&plane), &kubeconfig)
        .expect("service account kubeconfig");
    let hook = Webhook::start_args(
        &plane,
        port,
        chart_args(&docs, port, kubeconfig.to_str().unwrap()),
    )
    .expect("meshinject serve as the chart runs it");
    plane
        .eventually(Duration::from_secs(30), || {
            let m = plane
                .kubectl_json(&["get", "mutatingwebhookconfiguration", MWC])
                .ok()?;
            m["webhooks"]
                .as_array()?
                .iter()
                .all(|w| {
                    w["clientConfig"]["caBundle"]
                        .as_str()
                        .is_some_and(|c| !c.is_empty())
                })
                .then_some(())
        })
        .unwrap_or_else(|| panic!("caBundle not filled in; log:\n{}", hook.log_text()));

    plane.step("selectors");
    namespace(&plane, "app", &["istio-injection=enabled"]);
    let mut i = 0;
    let pod = plane
        .eventually(Duration::from_secs(30), || {
            i += 1;
            Some(run_pod(&plane, "app", &format!("hello-{i}"))).filter(injected)
        })
        .unwrap_or_else(|| panic!("pod not injected; log:\n{}", hook.log_text()));
    assert_eq!(pod["metadata"]["namespace"], "app");
    namespace(&plane, "rev", &["istio.io/rev=default"]);
    assert!(injected(&run_pod(&plane, "rev", "hello")));
    namespace(&plane, "plain", &[]);
    assert!(!injected(&run_pod(&plane, "plain", "hello")));
    // The install namespace and kube-system stay excluded even when labelled.
    namespace(&plane, NS, &["istio-injection=enabled"]);
    assert!(!injected(&run_pod(&plane, NS, "hello")));
    namespace(&plane, "kube-system", &["istio-injection=enabled"]);
    assert!(!injected(&run_pod(&plane, "kube-system", "hello")));

    plane.step("the chart's ConfigMap edited");
    let values = plane
        .kubectl_json(&["-n", NS, "get", "configmap", "istio-sidecar-injector"])
        .expect("the chart's injector ConfigMap")["data"]["values"]
        .as_str()
        .expect("values")
        .to_string();
    let mut v: Value = serde_json::from_str(&values).expect("values is JSON");
    v["global"]["proxy"]["includeIPRanges"] = "10.244.0.1/24".into();
    let patch = json!({"data": {"values": v.to_string()}}).to_string();
    plane
        .kubectl(
            &[
                "-n",
                NS,
                "patch",
                "configmap",
                "istio-sidecar-injector",
                "--type=merge",
                "-p",
                &patch,
            ],
            None,
        )
        .expect("patch values");
    let mut i = 0;
    plane
        .eventually(Duration::from_secs(15), || {
            i += 1;
            let pod = run_pod(&plane, "app", &format!("edited-{i}"));
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
