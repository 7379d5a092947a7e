//! Tests on Istio's real injector configuration: every template of every rendered ConfigMap
//! parses, and the `sidecar` template rendered for the plain `hello` Deployment yields the
//! `istio-init` arguments of Istio's golden output.

mod support;

use serde_json::Value as J;
use std::path::Path;
use support::corpus;
use support::template_data::{kube_inject_data, load_yaml, Options};
use webhook::template::Templates;

fn config_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![dir.join("base/config.yaml")];
    let mut rendered: Vec<_> = std::fs::read_dir(dir.join("rendered"))
        .expect("rendered dir")
        .map(|e| e.expect("entry").path().join("config.yaml"))
        .filter(|p| p.is_file())
        .collect();
    rendered.sort();
    files.extend(rendered);
    files
}

#[test]
fn every_corpus_template_parses() {
    let Some(dir) = corpus::dir() else { return };
    let mut count = 0;
    for file in config_files(&dir) {
        let config = load_yaml(&file);
        let templates = config["templates"].as_object().expect("templates map");
        let mut t = Templates::new();
        for (name, src) in templates {
            let src = src.as_str().expect("template source is a string");
            if let Err(e) = t.parse(name, src) {
                panic!("{}: {e}", file.display());
            }
            count += 1;
        }
        assert!(t.contains("sidecar"), "{}", file.display());
    }
    assert!(count >= 8 * 18, "parsed only {count} templates");
}

fn init_container<'a>(pod_spec: &'a J, name: &str) -> &'a J {
    pod_spec["initContainers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no init container {name} in {pod_spec}"))
}

#[test]
fn sidecar_template_renders_hello_like_istio() {
    let Some(dir) = corpus::dir() else { return };
    let config = load_yaml(&dir.join("base/config.yaml"));
    let mut t = Templates::new();
    let src = config["templates"]["sidecar"]
        .as_str()
        .expect("sidecar template");
    t.parse("sidecar", src).expect("sidecar parses");
    let out = t
        .render(
            "sidecar",
            &kube_inject_data(
                &dir,
                "hello.yaml",
                Options {
                    namespace: "",
                    revision: "",
                    native_sidecars: true,
                },
            ),
        )
        .expect("sidecar renders");
    let rendered: J = serde_saphyr::from_str(&out).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    let golden_text =
        std::fs::read_to_string(dir.join("cases/hello.yaml.injected")).expect("golden");
    let golden: J =
        serde_saphyr::from_str(golden_text.trim().trim_end_matches("---")).expect("golden parses");
    let golden_spec = &golden["spec"]["template"]["spec"];

    let want = &init_container(golden_spec, "istio-init")["args"];
    let got = &init_container(&rendered["spec"], "istio-init")["args"];
    assert_eq!(got, want, "istio-init args");

    // the proxy is a native sidecar here, with the pod's ports and an empty PROXY_CONFIG
    let proxy = init_container(&rendered["spec"], "istio-proxy");
    assert_eq!(proxy["restartPolicy"], "Always");
    let env = proxy["env"].as_array().expect("env");
    let var = |n: &str| {
        env.iter()
            .find(|e| e["name"] == n)
            .map(|e| e["value"].clone())
    };
    let golden_proxy = init_container(golden_spec, "istio-proxy");
    let golden_env = golden_proxy["env"].as_array().expect("golden env");
    let golden_var = |n: &str| {
        golden_env
            .iter()
            .find(|e| e["name"] == n)
            .map(|e| e["value"].clone())
    };
    for name in [
        "PROXY_CONFIG",
        "ISTIO_META_POD_PORTS",
        "ISTIO_META_APP_CONTAINERS",
        "ISTIO_META_INTERCEPTION_MODE",
        "ISTIO_META_WORKLOAD_NAME",
        "ISTIO_META_OWNER",
        "ISTIO_META_MESH_ID",
        "TRUST_DOMAIN",
        "ISTIO_META_CLUSTER_ID",
    ] {
        assert_eq!(var(name), golden_var(name), "env {name}");
    }
    let labels = &rendered["metadata"]["labels"];
    assert_eq!(
        labels,
        &golden["spec"]["template"]["metadata"]["labels"]
            .as_object()
            .map(|l| {
                let mut l = l.clone();
                for k in ["app", "tier", "track"] {
                    l.remove(k);
                }
                J::Object(l)
            })
            .expect("golden labels")
    );
}
