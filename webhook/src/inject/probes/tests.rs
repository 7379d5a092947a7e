use super::*;
use serde_json::json;

fn pod_with(app: Value) -> Value {
    json!({
        "metadata": {"annotations": {}},
        "spec": {"containers": [app, {"name": "istio-proxy", "env": []}]}
    })
}

fn probers_env(pod: &Value) -> Option<String> {
    let proxy = pod::find_any(pod, PROXY)?.1;
    proxy["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == APP_PROBERS_ENV)
        .map(|e| e["value"].as_str().unwrap().to_string())
}

#[test]
fn http_probe_is_recorded_and_pointed_at_status_port() {
    let mut pod = pod_with(json!({
        "name": "hello",
        "ports": [{"name": "http", "containerPort": 80}],
        "readinessProbe": {"httpGet": {"port": "http", "path": "/ip", "scheme": "HTTPS"}, "timeoutSeconds": 3}
    }));
    apply(&mut pod, true, 15020);
    assert_eq!(
        probers_env(&pod).unwrap(),
        r#"{"/app-health/hello/readyz":{"httpGet":{"path":"/ip","port":80,"scheme":"HTTPS"},"timeoutSeconds":3}}"#
    );
    let probe = &pod["spec"]["containers"][0]["readinessProbe"]["httpGet"];
    assert_eq!(probe["port"], 15020);
    assert_eq!(probe["path"], "/app-health/hello/readyz");
    assert_eq!(probe["scheme"], "HTTP");
}

#[test]
fn tcp_probe_and_hooks_become_http_gets() {
    let mut pod = pod_with(json!({
        "name": "hello",
        "livenessProbe": {"tcpSocket": {"port": 90}},
        "lifecycle": {"postStart": {"tcpSocket": {"port": 93}}, "preStop": {"exec": {"command": ["x"]}}}
    }));
    apply(&mut pod, true, 15020);
    assert_eq!(
        probers_env(&pod).unwrap(),
        r#"{"/app-health/hello/livez":{"tcpSocket":{"port":90}},"/app-lifecycle/hello/poststartz":{"tcpSocket":{"port":93}}}"#
    );
    let c = &pod["spec"]["containers"][0];
    assert_eq!(
        c["livenessProbe"],
        json!({"httpGet": {"port": 15020, "path": "/app-health/hello/livez"}})
    );
    assert_eq!(
        c["lifecycle"]["preStop"],
        json!({"exec": {"command": ["x"]}})
    );
    assert!(c["lifecycle"]["postStart"].get("tcpSocket").is_none());
}

#[test]
fn unknown_named_port_and_already_rewritten_probes_are_not_recorded() {
    let mut pod = pod_with(json!({
        "name": "a",
        "readinessProbe": {"httpGet": {"port": "missing"}},
        "livenessProbe": {"httpGet": {"port": 15020, "path": "/app-health/a/livez"}}
    }));
    apply(&mut pod, true, 15020);
    assert_eq!(probers_env(&pod), None);
}

#[test]
fn annotation_disables_rewrite_over_values() {
    let mut pod = pod_with(json!({"name": "a", "readinessProbe": {"httpGet": {"port": 8080}}}));
    pod["metadata"]["annotations"][REWRITE_ANNOTATION] = json!("false");
    let before = pod.clone();
    apply(&mut pod, true, 15020);
    assert_eq!(pod, before);
}

#[test]
fn reinjection_merges_with_previous_probers_keeping_old_entries() {
    let mut pod = pod_with(
        json!({"name": "new", "livenessProbe": {"httpGet": {"port": 8008, "path": "/testLive"}}}),
    );
    pod["metadata"]["annotations"]["sidecar.istio.io/status"] = json!("{}");
    pod["spec"]["containers"][1]["env"] = json!([
        {"name": APP_PROBERS_ENV, "value": r#"{"/app-health/hello/livez":{"httpGet":{"port":80}}}"#}
    ]);
    apply(&mut pod, true, 15020);
    assert_eq!(
        probers_env(&pod).unwrap(),
        r#"{"/app-health/hello/livez":{"httpGet":{"port":80}},"/app-health/new/livez":{"httpGet":{"path":"/testLive","port":8008}}}"#
    );
}

#[test]
fn status_port_annotation_sets_rewrite_target() {
    let mut pod = pod_with(json!({"name": "a", "readinessProbe": {"httpGet": {"port": 8080}}}));
    pod["metadata"]["annotations"][STATUS_PORT_ANNOTATION] = json!("15999");
    apply(&mut pod, true, 15020);
    assert_eq!(
        pod["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"],
        15999
    );
}

#[test]
fn go_parse_bool_accepts_go_spellings_only() {
    for t in ["1", "t", "T", "true", "TRUE", "True"] {
        assert_eq!(parse_go_bool(t), Some(true));
    }
    for f in ["0", "f", "F", "false", "FALSE", "False"] {
        assert_eq!(parse_go_bool(f), Some(false));
    }
    assert_eq!(parse_go_bool("yes"), None);
}
