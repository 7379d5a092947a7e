//! The seed flows through a real API server (issue 5, scenarios 1, 2, 4, 5
//! and 6): `meshinject serve` as a local process behind a
//! MutatingWebhookConfiguration with a `url` and `caBundle`, configured by
//! the ConfigMaps it watches through the API server; every assertion is on
//! the pod the API server stored.

use std::time::Duration;

use e2e::kube::{self, ControlPlane};
use e2e::kube_webhook::{
    first_pod, free_port, kube_inject, load_config, meshinject, register, run_pod, set_values,
    workspace, ServingCert, Webhook,
};
use serde_json::Value;

const MWC: &str = "meshinject-e2e";

fn defaults(name: &str) -> String {
    std::fs::read_to_string(workspace().join("webhook/defaults").join(name))
        .unwrap_or_else(|e| panic!("reading webhook/defaults/{name}: {e}"))
}

fn ns(plane: &ControlPlane, name: &str, label: Option<&str>) {
    plane
        .kubectl(&["create", "namespace", name], None)
        .expect("create namespace");
    if let Some(l) = label {
        plane
            .kubectl(&["label", "namespace", name, l], None)
            .expect("label namespace");
    }
}

fn names(pod: &Value, field: &str) -> Vec<String> {
    pod["spec"][field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn is_injected(pod: &Value) -> bool {
    names(pod, "containers").contains(&"istio-proxy".to_string())
        && names(pod, "initContainers").contains(&"istio-init".to_string())
        && pod["metadata"]["annotations"]["sidecar.istio.io/status"].is_string()
}

/// The value after `flag` in istio-init's args.
fn init_arg(pod: &Value, flag: &str) -> Option<String> {
    let init = pod["spec"]["initContainers"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == "istio-init")?;
    let args: Vec<&str> = init["args"]
        .as_array()?
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    let i = args.iter().position(|a| *a == flag)?;
    args.get(i + 1).map(|s| s.to_string())
}

/// The value after `-i` in istio-init's args.
fn include_ranges(pod: &Value) -> Option<String> {
    init_arg(pod, "-i")
}

fn values_with(edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(&defaults("values.json")).expect("values.json");
    edit(&mut v);
    v.to_string()
}

#[test]
fn seed_flows_through_the_api_server() {
    let Some(plane) = kube::require("kube_webhook") else {
        return;
    };
    let _ = meshinject();
    let cert = ServingCert::generate(plane.dir()).expect("serving certificate");
    let port = free_port();
    let tls = [
        "--tls-cert",
        cert.cert.to_str().unwrap(),
        "--tls-key",
        cert.key.to_str().unwrap(),
    ];

    // Started before its ConfigMaps exist: not ready until they are created
    // through the API server, and the watch picks them up.
    plane.step("webhook started before its ConfigMaps exist");
    let mut hook = Webhook::serve(&plane, port, &tls);
    hook.spawn().expect("meshinject serve");
    plane
        .eventually(Duration::from_secs(30), || {
            hook.get("/readyz").filter(|(code, _)| *code == 503)
        })
        .unwrap_or_else(|| {
            panic!(
                "/readyz not 503 without ConfigMaps; log:\n{}",
                hook.log_text()
            )
        });
    load_config(
        &plane,
        &defaults("config.yaml"),
        &defaults("values.json"),
        &defaults("mesh.yaml"),
    )
    .expect("load the default ConfigMaps");
    hook.wait_ready(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("not ready once the ConfigMaps exist: {e}"));
    let url = format!("https://127.0.0.1:{port}/inject");
    register(&plane, MWC, &url, &cert.ca_bundle, "Fail").expect("register the webhook");

    plane.step("scenario 1: deployment in a labelled namespace");
    // 1. A Deployment in a labelled namespace: the ReplicaSet's pod is injected.
    ns(&plane, "on", Some("istio-injection=enabled"));
    plane
        .kubectl(
            &[
                "-n",
                "on",
                "create",
                "deployment",
                "hello",
                "--image=hello:1.0",
            ],
            None,
        )
        .expect("create deployment");
    let pod = first_pod(&plane, "on", "");
    assert_eq!(pod["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
    assert!(is_injected(&pod), "deployment pod not injected: {pod:#}");
    assert_eq!(include_ranges(&pod).as_deref(), Some("*"));

    plane.step("scenario 1: pods left alone");
    // Unlabelled, disabled namespace, and opted-out pod: untouched.
    ns(&plane, "off", None);
    ns(&plane, "disabled", Some("istio-injection=disabled"));
    for (n, p, labels) in [
        ("off", "plain", &[][..]),
        ("disabled", "plain", &[][..]),
        (
            "on",
            "optout",
            &["--labels=sidecar.istio.io/inject=false"][..],
        ),
    ] {
        let pod = run_pod(&plane, n, p, labels);
        assert_eq!(names(&pod, "containers"), [p], "{n}/{p}: {pod:#}");
        assert!(names(&pod, "initContainers").is_empty(), "{n}/{p}");
        assert!(pod["metadata"]["annotations"]["sidecar.istio.io/status"].is_null());
    }

    plane.step("scenario 2: includeIPRanges edited");
    // 2. The ConfigMap edited: the next pod gets the new ranges, without a restart.
    let before = run_pod(&plane, "on", "before", &[]);
    assert_eq!(include_ranges(&before).as_deref(), Some("*"));
    let reloads = hook.metric("meshinject_config_reloads_total");
    set_values(
        &plane,
        &values_with(|v| v["global"]["proxy"]["includeIPRanges"] = "10.244.0.1/24".into()),
    )
    .expect("patch values");
    let mut i = 0;
    let after = plane
        .eventually(Duration::from_secs(15), || {
            i += 1;
            let pod = run_pod(&plane, "on", &format!("after-{i}"), &[]);
            (include_ranges(&pod).as_deref() == Some("10.244.0.1/24")).then_some(pod)
        })
        .unwrap_or_else(|| panic!("new ranges not applied; log:\n{}", hook.log_text()));
    assert!(is_injected(&after));
    assert!(hook.metric("meshinject_config_reloads_total") > reloads);
    let stored = plane
        .kubectl_json(&["-n", "on", "get", "pod", "before"])
        .expect("earlier pod");
    assert_eq!(include_ranges(&stored).as_deref(), Some("*"));

    plane.step("scenario 2: exclusions and annotations");
    // The other capture settings of `values`, then the pod annotations that
    // override them.
    set_values(
        &plane,
        &values_with(|v| {
            let p = &mut v["global"]["proxy"];
            p["includeIPRanges"] = "10.244.0.1/24".into();
            p["excludeIPRanges"] = "10.244.0.9/32".into();
            p["excludeInboundPorts"] = "8081".into();
            p["excludeOutboundPorts"] = "9090".into();
        }),
    )
    .expect("patch values");
    let flags =
        |pod: &Value| ["-i", "-x", "-d", "-o"].map(|f| init_arg(pod, f).unwrap_or_default());
    let want = [
        "10.244.0.1/24",
        "10.244.0.9/32",
        "15090,15021,8081,15020",
        "9090",
    ];
    let mut i = 0;
    plane
        .eventually(Duration::from_secs(15), || {
            i += 1;
            let pod = run_pod(&plane, "on", &format!("excl-{i}"), &[]);
            (flags(&pod) == want).then_some(pod)
        })
        .unwrap_or_else(|| panic!("exclusions not applied; log:\n{}", hook.log_text()));
    let annotated = run_pod(
        &plane,
        "on",
        "annotated",
        &[
            "--annotations=traffic.sidecar.istio.io/includeOutboundIPRanges=10.0.0.0/8",
            "--annotations=traffic.sidecar.istio.io/excludeOutboundIPRanges=10.1.0.0/16",
            "--annotations=traffic.sidecar.istio.io/excludeInboundPorts=7070",
            "--annotations=traffic.sidecar.istio.io/excludeOutboundPorts=6060",
        ],
    );
    assert_eq!(
        flags(&annotated),
        [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "15090,15021,7070,15020",
            "6060"
        ],
        "annotations must override values: {annotated:#}"
    );

    plane.step("scenario 4: invalid edit");
    // 4. An invalid edit: refused, counted, the previous configuration kept.
    let errors = hook
        .metric("meshinject_config_reload_errors_total")
        .expect("reload error counter");
    set_values(&plane, "{ this is not json").expect("patch values");
    plane
        .eventually(Duration::from_secs(15), || {
            (hook.metric("meshinject_config_reload_errors_total")? > errors).then_some(())
        })
        .unwrap_or_else(|| panic!("reload error not counted; log:\n{}", hook.log_text()));
    let kept = run_pod(&plane, "on", "kept", &[]);
    assert!(is_injected(&kept));
    assert_eq!(include_ranges(&kept).as_deref(), Some("10.244.0.1/24"));

    plane.step("scenario 5: kube-inject | kubectl apply");
    // 5. kube-inject | kubectl apply in a namespace without the label.
    let dir = plane.dir().join("ki");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["config.yaml", "values.json", "mesh.yaml"] {
        std::fs::write(dir.join(f), defaults(f)).unwrap();
    }
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: manual\nspec:\n  selector:\n    matchLabels: {app: manual}\n  template:\n    metadata:\n      labels: {app: manual}\n    spec:\n      containers:\n      - name: manual\n        image: hello:1.0\n";
    std::fs::write(dir.join("deploy.yaml"), deploy).unwrap();
    let injected = kube_inject(
        &dir.join("deploy.yaml"),
        &dir.join("config.yaml"),
        &dir.join("values.json"),
        &dir.join("mesh.yaml"),
    );
    plane
        .kubectl(&["-n", "off", "apply", "-f", "-"], Some(&injected))
        .expect("kubectl apply of kube-inject output");
    let manual = first_pod(&plane, "off", "app=manual");
    assert!(is_injected(&manual), "{manual:#}");

    plane.step("scenario 6: webhook stopped");
    // 6. Webhook stopped: Fail refuses naming the webhook, Ignore admits uninjected.
    hook.stop();
    let err = plane
        .kubectl(
            &[
                "-n",
                "on",
                "run",
                "refused",
                "--image=hello:1.0",
                "--restart=Never",
            ],
            None,
        )
        .expect_err("pod refused while the webhook is down");
    assert!(
        err.to_string().contains("sidecar-injector.meshinject.test"),
        "{err}"
    );
    register(&plane, MWC, &url, &cert.ca_bundle, "Ignore").expect("re-register");
    let ignored = plane
        .eventually(Duration::from_secs(15), || {
            plane
                .kubectl(
                    &[
                        "-n",
                        "on",
                        "run",
                        "ignored",
                        "--image=hello:1.0",
                        "--restart=Never",
                    ],
                    None,
                )
                .ok()?;
            plane
                .kubectl_json(&["-n", "on", "get", "pod", "ignored"])
                .ok()
        })
        .expect("pod admitted with failurePolicy Ignore");
    assert!(!is_injected(&ignored), "{ignored:#}");
    plane.step("scenario 6: webhook restarted");
    // Restarted while the ConfigMap still holds the invalid edit of step 4:
    // no configuration was ever good in this process, so it is not ready and
    // says why; once the ConfigMap is fixed it gets ready and injects again.
    hook.spawn().expect("start the webhook again");
    let why = plane
        .eventually(Duration::from_secs(30), || {
            hook.get("/readyz")
                .filter(|(code, _)| *code == 503)
                .map(|(_, body)| body)
                .filter(|body| body.contains("values"))
        })
        .unwrap_or_else(|| {
            panic!(
                "/readyz does not name the refusal; log:\n{}",
                hook.log_text()
            )
        });
    assert!(why.contains("refused"), "{why}");
    set_values(&plane, &defaults("values.json")).expect("fix values");
    hook.wait_ready(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("restarted webhook not ready after the fix: {e}"));
    register(&plane, MWC, &url, &cert.ca_bundle, "Fail").expect("re-register with Fail");
    let resumed = run_pod(&plane, "on", "resumed", &[]);
    assert!(is_injected(&resumed), "{resumed:#}");
    assert_eq!(include_ranges(&resumed).as_deref(), Some("*"));
    plane.step("done");
}
