//! Behaviour of the template functions and of Go's template semantics, checked against what Go's
//! `text/template`, sprig and Istio's functions produce (values from their documentation and source).

use super::*;
use serde_json::json;

fn render_with(src: &str, data: serde_json::Value) -> Result<String, String> {
    let mut t = Templates::new();
    t.parse("t", src).map_err(|e| e.to_string())?;
    t.render("t", &data).map_err(|e| e.to_string())
}

fn render(src: &str) -> String {
    render_with(src, pod_data()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn pod_data() -> serde_json::Value {
    json!({
        "ObjectMeta": object_meta_to_go(&json!({
            "name": "p", "annotations": {"a": "1", "empty": ""}, "labels": {"app": "web"}
        })),
        "Spec": pod_spec_to_go(&json!({"containers": [
            {"name": "app", "image": "reg:5000/app:1.2@sha256:abc",
             "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 53, "protocol": "UDP"}]},
            {"name": "istio-proxy", "image": "proxy"}
        ]})),
        "ProxyConfig": proxy_config_to_go(&json!({
            "holdApplicationUntilProxyStarts": true,
            "drainDuration": "45s",
            "discoveryAddress": "istiod.istio-system.svc:15012",
            "concurrency": 0,
            "proxyMetadata": {"B": "2", "A": "1"},
            "tracing": {"tlsSettings": {"caCertificates": "/etc/certs/ca.pem"}}
        })),
        "MeshConfig": mesh_config_to_go(&json!({"proxyListenPort": 15001, "trustDomain": "td"})),
        "Values": {"n": 15020, "big": 1000000, "s": "", "nested": {"x": null, "y": 1}, "list": ["a", null]},
        "Revision": "",
        "NativeSidecars": true,
    })
}

#[test]
fn missing_and_zero_values_print_as_go() {
    assert_eq!(render("{{ .Values.missing }}"), "<no value>");
    assert_eq!(render("[{{ .Spec.ServiceAccountName }}]"), "[]");
    assert_eq!(render("{{ eq .Spec.ServiceAccountName \"\" }}"), "true");
    assert_eq!(render("{{ .Spec.HostNetwork }} {{ .ProxyUID }}"), "false 0");
    // map[string]string: a missing key is "" (quote gives ""), map[string]any: no value
    assert_eq!(
        render("{{ index .ObjectMeta.Annotations \"nope\" | quote }}"),
        "\"\""
    );
    assert_eq!(render("{{ index .Values \"nope\" }}"), "<no value>");
    assert_eq!(
        render("{{ index .ProxyConfig.ProxyMetadata \"X\" | quote }}"),
        "\"\""
    );
}

#[test]
fn values_numbers_are_float64() {
    assert_eq!(render("{{ .Values.n }} {{ .Values.big }}"), "15020 1e+06");
    assert_eq!(render("{{ printf \"%v\" .Values.n }}"), "15020");
    assert!(
        render_with("{{ eq .Values.n 15020 }}", pod_data()).is_err(),
        "float64 vs int"
    );
}

#[test]
fn go_method_calls() {
    assert_eq!(
        render("{{ .ProxyConfig.InterceptionMode.String }}"),
        "REDIRECT"
    );
    assert_eq!(
        render("{{ .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }}"),
        "true"
    );
    assert_eq!(
        render("{{ directory .ProxyConfig.GetTracing.GetTlsSettings.GetCaCertificates }}"),
        "/etc/certs/"
    );
    let mut d = pod_data();
    d["ProxyConfig"] = json!({});
    assert_eq!(
        render_with(
            "{{ if .ProxyConfig.GetTracing.GetTlsSettings }}y{{ else }}n{{ end }}",
            d
        )
        .unwrap(),
        "n"
    );
}

#[test]
fn logic_and_comparison_builtins() {
    assert_eq!(
        render("{{ or \"\" 0 \"x\" }}|{{ and 1 \"\" 2 }}|{{ or \"\" 0 }}"),
        "x||0"
    );
    assert_eq!(
        render("{{ eq \"b\" \"a\" \"b\" }} {{ ne 1 2 }} {{ ge 2 2 }} {{ not \"\" }}"),
        "true true true true"
    );
    assert_eq!(render("{{ len .Spec.Containers }}"), "2");
    assert_eq!(
        render("{{ printf \"%s-%d-%t-%q\" \"a\" 3 true \"q\" }}"),
        "a-3-true-\"q\""
    );
    assert_eq!(
        render("{{ $x := 1 }}{{ range .Spec.Containers }}{{ $x = .Name }}{{ end }}{{ $x }}"),
        "istio-proxy"
    );
}

#[test]
fn sprig_functions() {
    assert_eq!(
        render("{{ quote \"a\\\"b\" }} {{ quote 15 }} [{{ quote .Values.missing }}]"),
        "\"a\\\"b\" \"15\" []"
    );
    assert_eq!(
        render("{{ .Values.s | default \"d\" }} {{ 0 | default 5 }} {{ list | default \"e\" }}"),
        "d 5 e"
    );
    assert_eq!(render("{{ \"a\\nb\" | nindent 2 }}"), "\n  a\n  b");
    assert_eq!(
        render("{{ list 1 \"a\" | join \",\" }}|{{ append (list 1) 2 | join \"-\" }}"),
        "1,a|1-2"
    );
    assert_eq!(
        render("{{ trunc 3 \"abcdef\" }} {{ trunc -2 \"abcdef\" }} {{ trunc 9 \"ab\" }}"),
        "abc ef ab"
    );
    assert_eq!(render("{{ trimAll \"-_.\" \"-_a.b_\" }}"), "a.b");
}

#[test]
fn istio_functions() {
    assert_eq!(render("{{ annotation .ObjectMeta \"a\" \"d\" }} {{ annotation .ObjectMeta \"z\" 7 }} {{ annotation .ObjectMeta \"z\" .Values.missing }}"), "1 7 <nil>");
    assert_eq!(render("{{ isset .ObjectMeta.Annotations \"empty\" }} {{ isset .ObjectMeta.Annotations \"z\" }}"), "true false");
    assert_eq!(render("{{ valueOrDefault \"\" \"d\" }} {{ valueOrDefault .Values.missing \"d\" }} {{ valueOrDefault 0 \"d\" }}"), "d d 0");
    assert_eq!(render("{{ excludeInboundPort .Values.n \"1, 2\" }}|{{ excludeInboundPort 0 \"1\" }}|{{ excludeInboundPort \"2\" \"1,2\" }}"), "1,2,15020|1|1,2");
    assert_eq!(render("{{ indent 2 \"a\\nb\" }}"), "a\n  b");
    assert_eq!(
        render("{{ contains \"/\" \"a/b\" }} {{ contains \"a/b\" \"/\" }}"),
        "true false"
    );
    assert_eq!(
        render("{{ toLower \"DeployMent\" }} {{ directory \"/a/b/c\" }}|{{ directory \"c\" }}|"),
        "deployment /a/b/||"
    );
    assert_eq!(
        render("{{ toJsonMap (strdict \"b\" \"<1>\" \"a\") (omit .ObjectMeta.Labels \"x\") }}"),
        r#"{"a":"","app":"web","b":"\u003c1\u003e"}"#
    );
    assert_eq!(
        render("{{ toJSON .ObjectMeta.Labels }} {{ toJSON .Values.missing }}"),
        r#"{"app":"web"} {}"#
    );
    assert_eq!(render("{{ range $i, $c := .Spec.Containers }}{{ range $c.Ports }}{{ structToJSON . }};{{ end }}{{ end }}"), r#"{"name":"http","containerPort":80};{"containerPort":53,"protocol":"UDP"};"#);
    assert_eq!(render("{{ includeInboundPorts .Spec.Containers }}"), "80");
    assert_eq!(
        render("{{ toYaml (omitNil .Values.nested) }}"),
        "\"y\": 1\n"
    );
    assert_eq!(render("{{ omitNil .Values.list }}"), "[a]");
    assert_eq!(render("{{ range $k, $v := fromJSON \"{\\\"b\\\": 2, \\\"a\\\": [1]}\" }}{{ $k }}={{ $v }};{{ end }}"), "a=[1];b=2;");
    assert_eq!(render("{{ fromJSON \"nope\" }}"), "{}");
    assert_eq!(render("{{ appendMultusNetwork \"\" \"default/istio-cni\" }}|{{ appendMultusNetwork \"a, b\" \"c\" }}|{{ appendMultusNetwork \"a, c\" \"c\" }}"), "default/istio-cni|a, b, c|a, c");
    assert_eq!(
        render(r#"{{ appendMultusNetwork "[{\"name\": \"x\"}]" "default/istio-cni" }}"#),
        r#"[{"name": "x"}, {"name": "istio-cni", "namespace": "default"}]"#
    );
}

#[test]
fn proto_to_json_strips_defaults_in_proto_order() {
    assert_eq!(
        render("{{ protoToJSON .ProxyConfig }}"),
        r#"{"concurrency":0,"tracing":{"tlsSettings":{"caCertificates":"/etc/certs/ca.pem"}},"proxyMetadata":{"A":"1","B":"2"},"holdApplicationUntilProxyStarts":true}"#
    );
    let mut d = pod_data();
    d["ProxyConfig"] = proxy_config_to_go(
        &json!({"statusPort": 15020, "terminationDrainDuration": "5s", "drainDuration": "1.5s"}),
    );
    assert_eq!(
        render_with("{{ protoToJSON .ProxyConfig }}", d).unwrap(),
        r#"{"drainDuration":"1.500s"}"#
    );
}

#[test]
fn proto_to_json_is_the_configuration_models() {
    for pc in [
        json!({}),
        json!({"discoveryAddress": "d:1", "concurrency": 2, "proxyMetadata": {"B": "2", "A": "1"}}),
        json!({"proxyHeaders": {"server": {"value": "s"}, "forwardedClientCert": "SANITIZE",
                   "preserveHttp1HeaderCase": true},
               "tracing": {"zipkin": {"address": "z:9411"}, "sampling": 1.5},
               "drainDuration": "1.5s", "tracingServiceName": "CANONICAL_NAME_ONLY",
               "gatewayTopology": {"numTrustedProxies": 2}, "statusPort": 15021}),
    ] {
        let mut d = pod_data();
        d["ProxyConfig"] = proxy_config_to_go(&pc);
        let want = crate::config::ProxyConfig::from_proto_json(&pc, "pc")
            .unwrap()
            .proto_to_json();
        let got = render_with("{{ protoToJSON .ProxyConfig }}", d).unwrap();
        assert_eq!(got, want, "{pc}");
    }
    let mut d = pod_data();
    d["ProxyConfig"] = proxy_config_to_go(
        &json!({"proxyHeaders": {"server": {"value": "s"}, "forwardedClientCert": "SANITIZE"}}),
    );
    assert_eq!(
        render_with("{{ protoToJSON .ProxyConfig }}", d).unwrap(),
        r#"{"proxyHeaders":{"forwardedClientCert":"SANITIZE","server":{"value":"s"}}}"#
    );
}

#[test]
fn mesh_config_fields_read_as_go_zero_values() {
    assert_eq!(
        render("{{ .MeshConfig.IngressClass | quote }} {{ .MeshConfig.EnableTracing }} {{ .MeshConfig.ProxyListenPort }}"),
        r#""" false 15001"#
    );
    assert_eq!(
        render("{{ .MeshConfig.AccessLogEncoding }} {{ if .MeshConfig.OutboundTrafficPolicy }}set{{ else }}nil{{ end }}"),
        "TEXT nil"
    );
}

#[test]
fn otel_resource_attributes() {
    let mut d = pod_data();
    assert_eq!(render_with("[{{ otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels \"ns\" .Spec.Containers }}]", d.clone()).unwrap(), "[]");
    d["MeshConfig"] = mesh_config_to_go(&json!({"extensionProviders": [
        {"name": "otel", "opentelemetry": {"service": "c", "serviceAttributeEnrichment": "OTEL_SEMANTIC_CONVENTIONS"}}
    ]}));
    d["Spec"] = pod_spec_to_go(
        &json!({"containers": [{"name": "app", "image": "reg:5000/app:1.2@sha256:abc"}]}),
    );
    assert_eq!(
        render_with("{{ otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels \"ns\" .Spec.Containers }}", d).unwrap(),
        "service.namespace=ns,service.version=1.2@sha256:abc,service.instance.id=ns.$(POD_NAME).app"
    );
}

#[test]
fn comments_trim_only_on_the_marked_side() {
    assert_eq!(render("a\n  {{- /* c */}}\nb"), "a\nb");
    assert_eq!(render("a\n  {{- /* c */ -}}\n  b"), "ab");
    assert_eq!(render("a {{/* c */}} b"), "a  b");
}

#[test]
fn errors_name_the_template_and_place() {
    let mut t = Templates::new();
    let e = t.parse("side", "ok\n{{ if }}").unwrap_err().to_string();
    assert!(e.contains("\"side\"") && e.contains("line 2"), "{e}");
    let e = t
        .parse("side", "\n\n{{ nosuchfn 1 }}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("nosuchfn") && e.contains("line 3"), "{e}");
    assert!(matches!(
        t.render("absent", &json!({})),
        Err(RenderError::UnknownTemplate(_))
    ));
    t.parse("x", "{{ index .Spec.Containers 5 }}")
        .expect("parses");
    let e = t.render("x", &pod_data()).unwrap_err().to_string();
    assert!(e.contains("\"x\""), "{e}");
}

#[test]
fn k8s_go_names_round_trip() {
    let spec = json!({"dnsPolicy": "None", "serviceAccount": "old", "nodeSelector": {"kubernetes.io/os": "linux"},
        "containers": [{"name": "c", "livenessProbe": {"httpGet": {"port": 8080}}}]});
    let go = pod_spec_to_go(&spec);
    assert_eq!(go["DNSPolicy"], "None");
    assert_eq!(go["DeprecatedServiceAccount"], "old");
    assert_eq!(go["NodeSelector"]["kubernetes.io/os"], "linux");
    assert_eq!(
        go["Containers"][0]["LivenessProbe"]["HTTPGet"]["Port"],
        8080
    );
    let d = json!({"Spec": go});
    assert_eq!(
        render_with("{{ structToJSON (index .Spec.Containers 0) }}", d).unwrap(),
        r#"{"name":"c","resources":{},"livenessProbe":{"httpGet":{"port":8080}}}"#
    );
}

#[test]
fn templates_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Templates>();
    let mut t = Templates::new();
    t.parse("t", "{{ index .ObjectMeta.Annotations \"a\" }}")
        .expect("parses");
    let t = std::sync::Arc::new(t);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let t = t.clone();
            std::thread::spawn(move || t.render("t", &pod_data()).expect("renders"))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread"), "1");
    }
}
