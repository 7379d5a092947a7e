//! meshinject's own default injector configuration, embedded in the binary:
//! the three ConfigMap values a cluster without Istio's control plane lacks.
//! The files live in `webhook/defaults/` (the Helm chart carries identical
//! copies); they read the same values keys and pod annotations as Istio's
//! injector, so `global.proxy.includeIPRanges` and
//! `traffic.sidecar.istio.io/*` behave as they do there.

/// `config` of ConfigMap `istio-sidecar-injector`: policy, default
/// templates and the `sidecar` template.
pub const CONFIG: &str = include_str!("../defaults/config.yaml");

/// `values` of ConfigMap `istio-sidecar-injector` (JSON, Istio's keys).
pub const VALUES: &str = include_str!("../defaults/values.json");

/// `mesh` of ConfigMap `istio` (over Istio's mesh defaults).
pub const MESH: &str = include_str!("../defaults/mesh.yaml");

#[cfg(test)]
mod tests {
    use super::{CONFIG, MESH, VALUES};
    use crate::config::yaml::parse_yaml;
    use crate::config::Features;
    use crate::inject::Settings;
    use crate::kube_inject::{self, Options};
    use serde_json::{json, Value};

    /// The `hello` Deployment of Istio's samples, in namespace `demo`, its
    /// pod template carrying `annotations`.
    fn hello(annotations: &[(&str, &str)]) -> String {
        let mut lines = vec![
            "apiVersion: apps/v1",
            "kind: Deployment",
            "metadata: {name: hello, namespace: demo}",
            "spec:",
            "  selector: {matchLabels: {app: hello}}",
            "  template:",
            "    metadata:",
            "      labels: {app: hello, version: v1}",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        if !annotations.is_empty() {
            lines.push("      annotations:".into());
            lines.extend(
                annotations
                    .iter()
                    .map(|(k, v)| format!("        {k}: {v:?}")),
            );
        }
        lines.extend(
            [
                "    spec:",
                "      containers:",
                "      - name: hello",
                "        image: hello:1.0",
                "        ports: [{name: http, containerPort: 80}]",
            ]
            .map(String::from),
        );
        lines.join("\n") + "\n"
    }

    /// The default values with `global.proxy.<key>` set to `value`.
    fn values_with(key: &str, value: &str) -> String {
        let mut v: Value = serde_json::from_str(VALUES).expect("values.json is json");
        v["global"]["proxy"][key] = json!(value);
        v.to_string()
    }

    fn inject_with(values: &str, features: Features, annotations: &[(&str, &str)]) -> Value {
        let settings = Settings::from_sources(CONFIG, values, MESH, features)
            .expect("the default configuration loads");
        let (out, warnings) =
            kube_inject::run(&settings, &hello(annotations), Options::default()).expect("injects");
        assert!(warnings.is_empty(), "{warnings:?}");
        let doc = out.split("\n---").next().expect("one document");
        parse_yaml(doc).expect("output is yaml")["spec"]["template"].take()
    }

    fn inject(values: &str, annotations: &[(&str, &str)]) -> Value {
        inject_with(values, Features::default(), annotations)
    }

    fn container<'a>(pod: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
        pod["spec"][list]
            .as_array()?
            .iter()
            .find(|c| c["name"] == name)
    }

    fn init_args(pod: &Value) -> Vec<String> {
        let init = container(pod, "initContainers", "istio-init").expect("istio-init");
        init["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("string arg").to_string())
            .collect()
    }

    /// The value following `flag` in istio-init's arguments.
    fn flag(pod: &Value, flag: &str) -> Option<String> {
        let args = init_args(pod);
        let i = args.iter().position(|a| a == flag)?;
        Some(args.get(i + 1).expect("flag has a value").clone())
    }

    #[test]
    fn default_injection_redirects_everything() {
        let pod = inject(VALUES, &[]);
        let args = init_args(&pod);
        assert_eq!(args[0], "istio-iptables");
        for (f, want) in [
            ("-p", "15001"),
            ("-z", "15006"),
            ("-u", "1337"),
            ("-m", "REDIRECT"),
            ("-i", "*"),
            ("-x", ""),
            ("-b", "*"),
            ("-d", "15090,15021,15020"),
        ] {
            assert_eq!(flag(&pod, f).as_deref(), Some(want), "{f} in {args:?}");
        }
        for absent in ["-o", "-q", "-k", "-c"] {
            assert_eq!(flag(&pod, absent), None, "{absent} in {args:?}");
        }
        let proxy = container(&pod, "containers", "istio-proxy").expect("istio-proxy");
        assert_eq!(proxy["image"], "docker.io/istio/proxyv2:1.24.2");
        assert_eq!(proxy["readinessProbe"]["httpGet"]["port"], 15020);
        assert_eq!(proxy["securityContext"]["runAsUser"], 1337);
        assert_eq!(proxy["resources"]["limits"]["memory"], "1Gi");
        let env = |name: &str| {
            proxy["env"]
                .as_array()
                .expect("env")
                .iter()
                .find(|e| e["name"] == name)
                .cloned()
        };
        assert_eq!(
            env("ISTIO_META_APP_CONTAINERS").expect("env")["value"],
            "hello"
        );
        assert_eq!(
            env("POD_NAMESPACE").expect("env")["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.namespace"
        );
        let ports: Value = serde_json::from_str(
            env("ISTIO_META_POD_PORTS").expect("env")["value"]
                .as_str()
                .expect("string"),
        )
        .expect("pod ports are json");
        assert_eq!(ports[0]["containerPort"], 80);
        let status = pod["metadata"]["annotations"]["sidecar.istio.io/status"]
            .as_str()
            .expect("status annotation");
        let status: Value = serde_json::from_str(status).expect("status is json");
        assert_eq!(status["initContainers"], json!(["istio-init"]));
        assert_eq!(status["containers"], json!(["istio-proxy"]));
        let labels = &pod["metadata"]["labels"];
        assert_eq!(labels["security.istio.io/tlsMode"], "istio");
        assert_eq!(labels["service.istio.io/canonical-name"], "hello");
        assert_eq!(labels["service.istio.io/canonical-revision"], "v1");
    }

    #[test]
    fn values_set_the_capture_and_annotations_override_them() {
        let cases = [
            (
                "includeIPRanges",
                "-i",
                "traffic.sidecar.istio.io/includeOutboundIPRanges",
            ),
            (
                "excludeIPRanges",
                "-x",
                "traffic.sidecar.istio.io/excludeOutboundIPRanges",
            ),
        ];
        for (key, f, annotation) in cases {
            let values = values_with(key, "10.244.0.1/24");
            assert_eq!(
                flag(&inject(&values, &[]), f).as_deref(),
                Some("10.244.0.1/24")
            );
            let pod = inject(&values, &[(annotation, "10.96.0.0/12,192.168.0.0/16")]);
            assert_eq!(
                flag(&pod, f).as_deref(),
                Some("10.96.0.0/12,192.168.0.0/16")
            );
        }
    }

    #[test]
    fn excluded_inbound_ports_keep_the_status_port() {
        let values = values_with("excludeInboundPorts", "8080");
        let pod = inject(&values, &[]);
        assert_eq!(flag(&pod, "-d").as_deref(), Some("15090,15021,8080,15020"));
        let pod = inject(
            &values,
            &[("traffic.sidecar.istio.io/excludeInboundPorts", "9090,9091")],
        );
        assert_eq!(
            flag(&pod, "-d").as_deref(),
            Some("15090,15021,9090,9091,15020")
        );
        let pod = inject(VALUES, &[("status.sidecar.istio.io/port", "15999")]);
        assert_eq!(flag(&pod, "-d").as_deref(), Some("15090,15021,15999"));
        let proxy = container(&pod, "containers", "istio-proxy").expect("istio-proxy");
        assert_eq!(proxy["readinessProbe"]["httpGet"]["port"], 15999);
    }

    #[test]
    fn outbound_ports_are_passed_only_when_set() {
        let values = values_with("excludeOutboundPorts", "5432");
        assert_eq!(flag(&inject(&values, &[]), "-o").as_deref(), Some("5432"));
        let pod = inject(
            &values,
            &[("traffic.sidecar.istio.io/excludeOutboundPorts", "3306,6379")],
        );
        assert_eq!(flag(&pod, "-o").as_deref(), Some("3306,6379"));
        let pod = inject(
            VALUES,
            &[("traffic.sidecar.istio.io/includeOutboundPorts", "443")],
        );
        assert_eq!(flag(&pod, "-q").as_deref(), Some("443"));
        assert_eq!(flag(&pod, "-o"), None);
        let values = values_with("includeInboundPorts", "80,8080");
        assert_eq!(
            flag(&inject(&values, &[]), "-b").as_deref(),
            Some("80,8080")
        );
    }

    #[test]
    fn interfaces_and_interception_mode_follow_annotations() {
        let pod = inject(
            VALUES,
            &[
                ("traffic.sidecar.istio.io/kubevirtInterfaces", "net1"),
                ("traffic.sidecar.istio.io/excludeInterfaces", "eth9"),
            ],
        );
        assert_eq!(flag(&pod, "-k").as_deref(), Some("net1"));
        assert_eq!(flag(&pod, "-c").as_deref(), Some("eth9"));

        let pod = inject(VALUES, &[("sidecar.istio.io/interceptionMode", "TPROXY")]);
        assert_eq!(flag(&pod, "-m").as_deref(), Some("TPROXY"));
        let proxy = container(&pod, "containers", "istio-proxy").expect("istio-proxy");
        assert_eq!(proxy["securityContext"]["runAsUser"], 0);
        assert_eq!(
            proxy["securityContext"]["capabilities"]["add"],
            json!(["NET_ADMIN"])
        );

        let pod = inject(VALUES, &[("sidecar.istio.io/interceptionMode", "NONE")]);
        assert!(container(&pod, "initContainers", "istio-init").is_none());
        assert!(container(&pod, "containers", "istio-proxy").is_some());
    }

    #[test]
    fn proxy_resource_annotations_replace_the_values() {
        let pod = inject(
            VALUES,
            &[
                ("sidecar.istio.io/proxyCPU", "250m"),
                ("sidecar.istio.io/proxyMemoryLimit", "512Mi"),
            ],
        );
        for (list, name) in [
            ("initContainers", "istio-init"),
            ("containers", "istio-proxy"),
        ] {
            let c = container(&pod, list, name).expect(name);
            assert_eq!(
                c["resources"],
                json!({"requests": {"cpu": "250m"}, "limits": {"memory": "512Mi"}}),
                "{name}"
            );
        }
    }

    #[test]
    fn native_sidecars_put_the_proxy_among_init_containers() {
        let features =
            Features::from_lookup(&|k| (k == "ENABLE_NATIVE_SIDECARS").then(|| "true".to_string()));
        let pod = inject_with(VALUES, features, &[]);
        let proxy = container(&pod, "initContainers", "istio-proxy").expect("native istio-proxy");
        assert_eq!(proxy["restartPolicy"], "Always");
        assert!(container(&pod, "containers", "istio-proxy").is_none());
        assert_eq!(flag(&pod, "-i").as_deref(), Some("*"));
    }

    #[test]
    fn opting_out_leaves_the_pod_alone() {
        let input = hello(&[("sidecar.istio.io/inject", "false")]);
        let settings = Settings::from_sources(CONFIG, VALUES, MESH, Features::default())
            .expect("the default configuration loads");
        let (out, warnings) =
            kube_inject::run(&settings, &input, Options::default()).expect("runs");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(!out.contains("istio-proxy"), "{out}");
    }
}
