//! The Helm chart `charts/meshinject`, rendered with the project's own
//! renderer (`e2e::kube_chart`): its ConfigMaps carry exactly the default
//! configuration embedded in the binary, and its objects say what the chart
//! promises (replicas, probes, RBAC, Istio's webhook selectors).

use e2e::kube_chart::{chart_dir, render, render_documents, ChartError, Release};
use serde_json::{json, Value};

fn release() -> Release {
    Release {
        name: "meshinject".into(),
        namespace: "mesh-system".into(),
    }
}

fn docs(overrides: Value) -> Vec<Value> {
    render_documents(&chart_dir(), &release(), &overrides).expect("the chart renders")
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the rendered chart"))
}

#[test]
fn configmaps_equal_the_embedded_defaults() {
    let docs = docs(json!({}));
    let injector = find(&docs, "ConfigMap", "istio-sidecar-injector");
    assert_eq!(injector["metadata"]["namespace"], "mesh-system");
    assert!(
        injector["data"]["config"] == webhook::defaults::CONFIG,
        "charts/meshinject/values.yaml configMaps.config differs from webhook/defaults/config.yaml: \
         run tests/kube/sync-chart-defaults.sh"
    );
    assert!(
        injector["data"]["values"] == webhook::defaults::VALUES,
        "configMaps.values differs from webhook/defaults/values.json: run tests/kube/sync-chart-defaults.sh"
    );
    let mesh = find(&docs, "ConfigMap", "istio");
    assert!(
        mesh["data"]["mesh"] == webhook::defaults::MESH,
        "configMaps.mesh differs from webhook/defaults/mesh.yaml: run tests/kube/sync-chart-defaults.sh"
    );
    // The values users override reach the ConfigMap.
    let docs = self::docs(json!({"configMaps": {"values": "{\"global\": {}}\n"}}));
    let injector = find(&docs, "ConfigMap", "istio-sidecar-injector");
    assert_eq!(injector["data"]["values"], "{\"global\": {}}\n");
    let none = self::docs(json!({"configMaps": {"create": false}}));
    assert!(!none.iter().any(|d| d["kind"] == "ConfigMap"));
}

#[test]
fn deployment_runs_the_server_hardened() {
    let docs = docs(json!({}));
    let d = find(&docs, "Deployment", "meshinject");
    assert_eq!(d["spec"]["replicas"], 2);
    let pod = &d["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "meshinject:0.1.0");
    let args: Vec<&str> = c["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string"))
        .collect();
    assert_eq!(
        args,
        [
            "serve",
            "--port",
            "15017",
            "--monitoring-port",
            "15014",
            "--config-namespace",
            "mesh-system",
            "--self-signed",
            "--webhook-config",
            "meshinject-mesh-system",
            "--service",
            "meshinject",
            "--service-namespace",
            "mesh-system",
            "--shutdown-delay",
            "5",
            "--drain-timeout",
            "10",
        ]
    );
    // Not ready and still answering, then draining: all within the grace period.
    let seconds = |flag: &str| -> i64 {
        let at = args.iter().position(|a| *a == flag).expect(flag);
        args[at + 1].parse().expect("whole seconds")
    };
    let grace = pod["terminationGracePeriodSeconds"]
        .as_i64()
        .expect("grace period");
    assert!(seconds("--shutdown-delay") + seconds("--drain-timeout") < grace);
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "http-monitoring");
    assert_eq!(c["ports"][1]["containerPort"], 15014);
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert!(c["resources"]["limits"]["memory"].is_string());
    let anti =
        &pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(
        anti["podAffinityTerm"]["labelSelector"]["matchLabels"],
        d["spec"]["selector"]["matchLabels"]
    );
    assert_eq!(
        d["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"],
        "false"
    );
    let pdb = find(&docs, "PodDisruptionBudget", "meshinject");
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        d["spec"]["selector"]["matchLabels"]
    );
    let svc = find(&docs, "Service", "meshinject");
    assert_eq!(svc["spec"]["ports"][0]["port"], 443);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], "https-webhook");
    assert_eq!(c["ports"][0]["name"], "https-webhook");
    assert_eq!(c["ports"][0]["containerPort"], 15017);

    let custom = self::docs(
        json!({"image": {"repository": "registry.example/mi", "tag": "dev"},
        "webhook": {"selfSigned": false}, "revision": "canary", "replicaCount": 3}),
    );
    let d = find(&custom, "Deployment", "meshinject");
    assert_eq!(d["spec"]["replicas"], 3);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "registry.example/mi:dev");
    let args = c["args"].as_array().expect("args");
    assert!(!args.contains(&json!("--self-signed")));
    assert!(args
        .windows(2)
        .any(|w| w == [json!("--revision"), json!("canary")]));
    // A revision's server reads the revision's ConfigMaps (as Istio names
    // them): the chart ships them under those names and grants exactly them.
    find(&custom, "ConfigMap", "istio-sidecar-injector-canary");
    find(&custom, "ConfigMap", "istio-canary");
    assert_eq!(
        find(&custom, "Role", "meshinject")["rules"][0]["resourceNames"],
        json!(["istio-sidecar-injector-canary", "istio-canary"])
    );
    let default_rev = self::docs(json!({"revision": "default"}));
    find(&default_rev, "ConfigMap", "istio-sidecar-injector");
}

#[test]
fn rbac_grants_exactly_what_the_server_uses() {
    let docs = docs(json!({}));
    let role = find(&docs, "Role", "meshinject");
    assert_eq!(role["metadata"]["namespace"], "mesh-system");
    assert_eq!(
        role["rules"],
        json!([{"apiGroups": [""], "resources": ["configmaps"],
            "resourceNames": ["istio-sidecar-injector", "istio"], "verbs": ["get", "list", "watch"]}])
    );
    let cluster = find(&docs, "ClusterRole", "meshinject-mesh-system");
    assert_eq!(
        cluster["rules"],
        json!([
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]},
            {"apiGroups": ["admissionregistration.k8s.io"],
             "resources": ["mutatingwebhookconfigurations"],
             "resourceNames": ["meshinject-mesh-system"], "verbs": ["get", "list", "watch", "patch"]}
        ])
    );
    for (kind, name) in [
        ("RoleBinding", "meshinject"),
        ("ClusterRoleBinding", "meshinject-mesh-system"),
    ] {
        let b = find(&docs, kind, name);
        assert_eq!(
            b["subjects"],
            json!([{"kind": "ServiceAccount", "name": "meshinject", "namespace": "mesh-system"}])
        );
    }
    find(&docs, "ServiceAccount", "meshinject");
}

fn selector(webhook: &Value, which: &str) -> Vec<(String, String, Value)> {
    webhook[which]["matchExpressions"]
        .as_array()
        .expect("matchExpressions")
        .iter()
        .map(|e| {
            (
                e["key"].as_str().expect("key").to_string(),
                e["operator"].as_str().expect("operator").to_string(),
                e.get("values").cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

fn has(sel: &[(String, String, Value)], key: &str, op: &str, values: Value) -> bool {
    sel.iter()
        .any(|(k, o, v)| k == key && o == op && *v == values)
}

#[test]
fn webhook_uses_istios_selectors() {
    let docs = docs(json!({"webhook": {"failurePolicy": "Ignore", "timeoutSeconds": 5}}));
    let cfg = find(
        &docs,
        "MutatingWebhookConfiguration",
        "meshinject-mesh-system",
    );
    let hooks = cfg["webhooks"].as_array().expect("webhooks");
    let names: Vec<&str> = hooks
        .iter()
        .map(|h| h["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "rev.namespace.sidecar-injector.meshinject.io",
            "rev.object.sidecar-injector.meshinject.io",
            "namespace.sidecar-injector.meshinject.io",
            "object.sidecar-injector.meshinject.io",
        ]
    );
    for h in hooks {
        assert_eq!(h["sideEffects"], "None");
        assert_eq!(h["failurePolicy"], "Ignore");
        assert_eq!(h["timeoutSeconds"], 5);
        assert_eq!(h["clientConfig"]["service"]["name"], "meshinject");
        assert_eq!(h["clientConfig"]["service"]["namespace"], "mesh-system");
        assert_eq!(h["clientConfig"]["service"]["path"], "/inject");
        assert_eq!(h["rules"][0]["resources"], json!(["pods"]));
        assert_eq!(h["rules"][0]["operations"], json!(["CREATE"]));
        let ns = selector(h, "namespaceSelector");
        assert!(has(
            &ns,
            "kubernetes.io/metadata.name",
            "NotIn",
            json!(["mesh-system", "kube-system"])
        ));
    }
    let ns = selector(&hooks[2], "namespaceSelector");
    assert!(has(&ns, "istio-injection", "In", json!(["enabled"])));
    let obj = selector(&hooks[2], "objectSelector");
    assert!(has(
        &obj,
        "sidecar.istio.io/inject",
        "NotIn",
        json!(["false"])
    ));
    let ns = selector(&hooks[0], "namespaceSelector");
    assert!(has(&ns, "istio.io/rev", "In", json!(["default"])));
    assert!(has(&ns, "istio-injection", "DoesNotExist", Value::Null));
    let obj = selector(&hooks[3], "objectSelector");
    assert!(has(&obj, "sidecar.istio.io/inject", "In", json!(["true"])));
    assert!(has(&obj, "istio.io/rev", "DoesNotExist", Value::Null));

    let docs = self::docs(json!({"revision": "canary"}));
    let cfg = find(
        &docs,
        "MutatingWebhookConfiguration",
        "meshinject-mesh-system",
    );
    let hooks = cfg["webhooks"].as_array().expect("webhooks");
    assert_eq!(hooks.len(), 2);
    let obj = selector(&hooks[1], "objectSelector");
    assert!(has(&obj, "istio.io/rev", "In", json!(["canary"])));
    assert_eq!(hooks[0]["failurePolicy"], "Fail");
}

#[test]
fn required_values_are_enforced() {
    let err = render(
        &chart_dir(),
        &release(),
        &json!({"image": {"repository": ""}}),
    )
    .expect_err("an empty image repository is refused");
    assert!(
        matches!(&err, ChartError::Render { file, reason }
            if file == "templates/deployment.yaml" && reason.contains("image.repository is required")),
        "{err}"
    );
}
