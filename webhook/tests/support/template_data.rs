//! The data Istio's kube-inject gives the injection templates for a corpus workload, built from
//! the corpus files with `webhook`'s Go-view conversions, for the tests and benchmarks that render
//! a template on their own (outside the engine, which builds the same data itself).

use std::path::Path;

use serde_json::{json, Value};
use webhook::template::{
    mesh_config_to_go, object_meta_to_go, pod_spec_to_go, proxy_config_to_go, type_meta_to_go,
};

/// The first YAML document of a corpus file.
pub fn load_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let first = text.split("\n---").next().unwrap_or_default();
    serde_saphyr::from_str(first).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What varies between the callers: the Deployment's namespace, the revision and whether the
/// proxy is a native sidecar.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub namespace: &'a str,
    pub revision: &'a str,
    pub native_sidecars: bool,
}

/// The template data for the workload in `cases/<file>` of corpus `dir` (its pod template, or
/// itself when it is a Pod), under the corpus' base mesh config and values.
pub fn kube_inject_data(dir: &Path, file: &str, o: Options<'_>) -> Value {
    let input = load_yaml(&dir.join("cases").join(file));
    let pod = if input["kind"] == "Pod" {
        &input
    } else {
        &input["spec"]["template"]
    };
    let mesh = load_yaml(&dir.join("base/mesh-effective.yaml"));
    let values: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("base/values.json")).expect("values.json"),
    )
    .expect("values.json is JSON");
    json!({
        "TypeMeta": type_meta_to_go(&json!({"kind": input["kind"], "apiVersion": input["apiVersion"]})),
        "DeploymentMeta": {"Name": input["metadata"]["name"], "Namespace": o.namespace},
        "ObjectMeta": object_meta_to_go(&pod["metadata"]),
        "Spec": pod_spec_to_go(&pod["spec"]),
        "ProxyConfig": proxy_config_to_go(&mesh["defaultConfig"]),
        "MeshConfig": mesh_config_to_go(&mesh),
        "Values": values,
        "Revision": o.revision,
        "NativeSidecars": o.native_sidecars,
        "ProxyImage": "gcr.io/istio-testing/proxyv2:latest",
        "ProxyInitImage": "gcr.io/istio-testing/proxyv2:latest",
        "ProxyUID": 1337,
        "ProxyGID": 1337,
        "InboundTrafficPolicyMode": "",
        "CompliancePolicy": "",
    })
}
