//! Issue 5, scenarios 3 and 7 against a real API server: with Istio's own
//! ConfigMaps loaded, the pod the webhook makes equals the pod of
//! `meshinject kube-inject` with the same files; and `--self-signed` fills
//! the webhook configuration's `caBundle`, which the API server then trusts.

use std::time::Duration;

use e2e::kube;
use e2e::kube_webhook::{
    first_pod, free_port, kube_inject, load_config, register, workspace, ServingCert, Webhook,
};
use serde_json::Value;

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n      - name: app\n        image: hello:1.0\n        ports:\n        - containerPort: 8080\n          protocol: TCP\n";

fn injected(pod: &Value) -> bool {
    pod["metadata"]["annotations"]["sidecar.istio.io/status"].is_string()
}

#[test]
fn istio_config_matches_kube_inject_and_self_signed_ca_is_trusted() {
    let Some(plane) = kube::require("kube_webhook_istio") else {
        return;
    };
    let base = workspace().join("../shared/conformance/inject/base");
    let read =
        |f: &str| std::fs::read_to_string(base.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    load_config(
        &plane,
        &read("config.yaml"),
        &read("values.json"),
        &read("mesh.yaml"),
    )
    .expect("Istio's ConfigMaps");
    let cert = ServingCert::generate(plane.dir()).expect("serving certificate");
    let port = free_port();
    let mut hook = Webhook::start(
        &plane,
        port,
        &[
            "--tls-cert",
            cert.cert.to_str().unwrap(),
            "--tls-key",
            cert.key.to_str().unwrap(),
        ],
    )
    .expect("meshinject serve");
    let url = format!("https://127.0.0.1:{port}/inject");
    register(&plane, "meshinject-e2e", &url, &cert.ca_bundle, "Fail").expect("register");

    plane.step("scenario 3: webhook pod equals kube-inject pod");
    // 3. The webhook's pod and kube-inject's pod, both as stored.
    for (ns, label) in [("conf-web", true), ("conf-cli", false)] {
        plane.kubectl(&["create", "namespace", ns], None).unwrap();
        if label {
            plane
                .kubectl(&["label", "namespace", ns, "istio-injection=enabled"], None)
                .unwrap();
        }
    }
    plane
        .kubectl(&["-n", "conf-web", "apply", "-f", "-"], Some(DEPLOY))
        .expect("apply deployment");
    // kube-inject reads the file as written, the webhook the pod after the
    // API server's defaulting: the file names its namespace and spells out
    // the port's default protocol so that both start from the same pod.
    let deploy = plane.dir().join("deploy.yaml");
    let in_cli = DEPLOY.replace("  name: app\n", "  name: app\n  namespace: conf-cli\n");
    std::fs::write(&deploy, in_cli).unwrap();
    let injected_cli = kube_inject(
        &deploy,
        &base.join("config.yaml"),
        &base.join("values.json"),
        &base.join("mesh.yaml"),
    );
    plane
        .kubectl(&["-n", "conf-cli", "apply", "-f", "-"], Some(&injected_cli))
        .expect("apply kube-inject output");
    let web = first_pod(&plane, "conf-web", "");
    let cli = first_pod(&plane, "conf-cli", "");
    assert!(injected(&web), "{web:#}");
    assert!(injected(&cli), "{cli:#}");
    // The namespace and the service-account token volume the API server
    // generates per namespace are the legitimate differences.
    let token = |pod: &Value| {
        pod["spec"]["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["name"].as_str())
            .find(|n| n.starts_with("default-token-"))
            .map(String::from)
            .unwrap_or_else(|| panic!("no token volume: {pod:#}"))
    };
    let (web_token, cli_token) = (token(&web), token(&cli));
    for field in ["containers", "initContainers", "volumes"] {
        let w = web["spec"][field].to_string();
        let c = cli["spec"][field]
            .to_string()
            .replace("conf-cli", "conf-web")
            .replace(&cli_token, &web_token);
        assert_eq!(w, c, "spec.{field} differs between webhook and kube-inject");
    }
    assert_eq!(
        web["metadata"]["annotations"], cli["metadata"]["annotations"],
        "pod annotations differ between webhook and kube-inject"
    );
    let labels = |pod: &Value| {
        let mut l = pod["metadata"]["labels"].clone();
        l.as_object_mut().map(|m| m.remove("pod-template-hash"));
        l
    };
    assert_eq!(labels(&web), labels(&cli), "pod labels differ");

    plane.step("scenario 7: --self-signed caBundle");
    // 7. --self-signed: the caBundle is filled in and trusted. The serving
    // certificate names the Service; `--service localhost` makes it valid
    // for https://localhost:<port>.
    hook.stop();
    plane
        .kubectl(
            &["delete", "mutatingwebhookconfiguration", "meshinject-e2e"],
            None,
        )
        .unwrap();
    let port = free_port();
    register(
        &plane,
        "meshinject-self",
        &format!("https://localhost:{port}/inject"),
        "",
        "Fail",
    )
    .expect("register without caBundle");
    let refused = plane.kubectl(
        &[
            "-n",
            "conf-web",
            "run",
            "untrusted",
            "--image=hello:1.0",
            "--restart=Never",
        ],
        None,
    );
    assert!(
        refused.is_err(),
        "no webhook and no caBundle: pod must be refused"
    );
    let _selfsigned = Webhook::start(
        &plane,
        port,
        &[
            "--self-signed",
            "--service",
            "localhost",
            "--webhook-config",
            "meshinject-self",
        ],
    )
    .expect("meshinject serve --self-signed");
    let ca = plane
        .eventually(Duration::from_secs(30), || {
            let m = plane
                .kubectl_json(&["get", "mutatingwebhookconfiguration", "meshinject-self"])
                .ok()?;
            m["webhooks"][0]["clientConfig"]["caBundle"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(String::from)
        })
        .expect("caBundle patched by --self-signed");
    assert_ne!(ca, cert.ca_bundle);
    let mut i = 0;
    let pod = plane
        .eventually(Duration::from_secs(30), || {
            i += 1;
            let name = format!("trusted-{i}");
            plane
                .kubectl(
                    &[
                        "-n",
                        "conf-web",
                        "run",
                        &name,
                        "--image=hello:1.0",
                        "--restart=Never",
                    ],
                    None,
                )
                .ok()?;
            plane
                .kubectl_json(&["-n", "conf-web", "get", "pod", &name])
                .ok()
        })
        .expect("pod admitted through the self-signed webhook");
    assert!(injected(&pod), "{pod:#}");
    plane.step("done");
}
