//! What the benchmarks share: Istio's injector settings from the conformance corpus
//! (`$MESH_INJECT_CORPUS`, default `../shared/conformance/inject` beside the repository), the
//! plain `hello` pod, one admission of a pod and the data kube-inject gives the templates.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use webhook::config::{Features, NodeInfo};
use webhook::inject::{self, AdmissionInput, ClusterFacts, Outcome, Settings};

#[allow(dead_code)]
#[path = "../../tests/support/corpus.rs"]
pub mod corpus;

#[allow(dead_code)]
#[path = "../../tests/support/template_data.rs"]
pub mod template_data;

/// The settings of the corpus's base case.
pub fn settings() -> Settings {
    settings_in(&corpus::location())
}

/// The settings of the base case of the corpus in `dir`.
pub fn settings_in(dir: &std::path::Path) -> Settings {
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    Settings::from_sources(
        &read("base/config.yaml"),
        &read("base/values.json"),
        &read("base/mesh.yaml"),
        Features::default(),
    )
    .expect("corpus configuration loads")
}

/// The one node of the benchmark cluster.
pub fn nodes() -> [NodeInfo; 1] {
    [NodeInfo {
        name: "node-1".into(),
        kubelet_version: "v1.33.0".into(),
    }]
}

/// A Deployment's pod as the API server sends it to the webhook.
pub fn hello_pod() -> Value {
    json!({
        "metadata": {"generateName": "hello-7d4f5-", "namespace": "default", "labels": {"app": "hello", "pod-template-hash": "7d4f5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "hello-7d4f5", "controller": true, "uid": "u"}]},
        "spec": {"containers": [{"name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0",
            "ports": [{"name": "http", "containerPort": 80}]}]}
    })
}

/// One admission of `pod` (moved in, as the server does).
pub fn admit(settings: &Settings, nodes: &[NodeInfo], pod: Value) -> Outcome {
    let input = AdmissionInput {
        pod,
        namespace: "default",
        path: "/inject",
        revision: "default",
        cluster: ClusterFacts {
            nodes: Some(nodes),
            namespace: None,
        },
    };
    inject::admit(settings, input, &mut Vec::new()).expect("injection succeeds")
}

/// One timed admission of a copy of `pod` (the copy is not timed).
#[allow(dead_code)]
pub fn admit_timed(settings: &Settings, nodes: &[NodeInfo], pod: &Value) -> Duration {
    let pod = pod.clone();
    let start = Instant::now();
    let out = admit(settings, nodes, pod);
    let elapsed = start.elapsed();
    std::hint::black_box(out);
    elapsed
}
