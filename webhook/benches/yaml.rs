//! YAML reading benchmark (criterion): `cargo bench -p webhook --bench yaml`.
//!
//! Times `webhook::config::yaml::parse_yaml` on what the injection engine gives it: the text
//! Istio's `sidecar` template renders for a few conformance-corpus workloads (`hello`, a pod
//! with probes, two containers, traffic annotations, a bare Pod), rendered at start-up from
//! the corpus (`$MESH_INJECT_CORPUS`, default `../shared/conformance/inject` beside the
//! repository) with the template data Istio builds for kube-inject. Arguments after `--` are
//! criterion's (a name filter, `--save-baseline before`, `--profile-time 5`).

use std::time::Duration;

use criterion::Criterion;
use serde_json::{json, Value};
use webhook::config::yaml::parse_yaml;
use webhook::config::Features;
use webhook::inject::Settings;
use webhook::template::{
    mesh_config_to_go, object_meta_to_go, pod_spec_to_go, proxy_config_to_go, type_meta_to_go,
};

/// The allocator `meshinject` runs with, so that the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)]
#[path = "../tests/support/corpus.rs"]
mod corpus;

/// The corpus inputs rendered, each with its case name.
const INPUTS: &[(&str, &str)] = &[
    ("hello", "hello.yaml"),
    ("probes", "hello-probes.yaml"),
    ("two containers", "two_container.yaml"),
    ("traffic params", "traffic-params.yaml"),
    ("pod", "pod.yaml"),
];

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &std::path::Path) -> Value {
    let text = read(path);
    let first = text.split("\n---").next().unwrap_or_default();
    parse_yaml(first).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `sidecar` template's output for the workload in `file` (its pod template, or itself
/// when it is a Pod), with the data kube-inject gives the template.
fn rendered(settings: &Settings, dir: &std::path::Path, file: &str) -> String {
    let input = yaml(&dir.join("cases").join(file));
    let pod = if input["kind"] == "Pod" {
        &input
    } else {
        &input["spec"]["template"]
    };
    let mesh = yaml(&dir.join("base/mesh-effective.yaml"));
    let values: Value =
        serde_json::from_str(&read(&dir.join("base/values.json"))).expect("values.json is JSON");
    let data = json!({
        "TypeMeta": type_meta_to_go(&json!({"kind": input["kind"], "apiVersion": input["apiVersion"]})),
        "DeploymentMeta": {"Name": input["metadata"]["name"], "Namespace": "default"},
        "ObjectMeta": object_meta_to_go(&pod["metadata"]),
        "Spec": pod_spec_to_go(&pod["spec"]),
        "ProxyConfig": proxy_config_to_go(&mesh["defaultConfig"]),
        "MeshConfig": mesh_config_to_go(&mesh),
        "Values": values,
        "Revision": "default",
        "NativeSidecars": false,
        "ProxyImage": "gcr.io/istio-testing/proxyv2:latest",
        "ProxyInitImage": "gcr.io/istio-testing/proxyv2:latest",
        "ProxyUID": 1337,
        "ProxyGID": 1337,
        "InboundTrafficPolicyMode": "",
        "CompliancePolicy": "",
    });
    settings
        .templates
        .render("sidecar", &data)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn main() {
    let dir = corpus::location();
    let settings = Settings::from_sources(
        &read(&dir.join("base/config.yaml")),
        &read(&dir.join("base/values.json")),
        &read(&dir.join("base/mesh.yaml")),
        Features::default(),
    )
    .expect("corpus configuration loads");
    let texts: Vec<(&str, String)> = INPUTS
        .iter()
        .map(|(name, file)| (*name, rendered(&settings, &dir, file)))
        .collect();
    if std::env::var_os("YAML_BENCH_DUMP").is_some() {
        for (name, text) in &texts {
            println!("# ---- {name}\n{text}");
        }
        return;
    }

    let mut c = Criterion::default()
        .sample_size(100)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = c.benchmark_group("parse_yaml");
    for (name, text) in &texts {
        parse_yaml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        group.bench_function(format!("{name} ({} bytes)", text.len()), |b| {
            b.iter(|| parse_yaml(std::hint::black_box(text)).expect("parses"))
        });
    }
    group.finish();

    // What building the same value costs at best: copying it, and reading it as JSON.
    let mut group = c.benchmark_group("reference");
    let (name, text) = &texts[0];
    let value = parse_yaml(text).expect("parses");
    let json = value.to_string();
    group.bench_function(format!("{name}: clone"), |b| {
        b.iter(|| std::hint::black_box(&value).clone())
    });
    group.bench_function(format!("{name}: serde_json ({} bytes)", json.len()), |b| {
        b.iter(|| serde_json::from_str::<Value>(std::hint::black_box(&json)).expect("json"))
    });
    group.finish();
    c.final_summary();
}
