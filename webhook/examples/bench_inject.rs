//! Injection benchmark: `cargo run --release -p webhook --example bench_inject [CORPUS_DIR]`.
//!
//! Times the admission path (decide, render, merge, post-process, patch) on
//! the plain `hello` pod, on pods with 200 and 2,000 environment variables
//! (Istio's own benchmark shape) and on a pod with a large `managedFields`,
//! with Istio's real injector configuration from the corpus. Prints the
//! median and p90 of each and the 2,000/200 ratio (linear growth is ~10).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use webhook::config::{Features, NodeInfo};
use webhook::inject::{self, AdmissionInput, ClusterFacts, Settings};

fn hello_pod() -> Value {
    json!({
        "metadata": {"generateName": "hello-7d4f5-", "namespace": "default", "labels": {"app": "hello", "pod-template-hash": "7d4f5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "hello-7d4f5", "controller": true, "uid": "u"}]},
        "spec": {"containers": [{"name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0",
            "ports": [{"name": "http", "containerPort": 80}]}]}
    })
}

fn with_env(n: usize) -> Value {
    let mut pod = hello_pod();
    let env: Vec<Value> = (0..n)
        .map(|i| json!({"name": format!("VAR_{i}"), "value": format!("value-{i}")}))
        .collect();
    pod["spec"]["containers"][0]["env"] = Value::Array(env);
    pod
}

fn with_managed_fields(n: usize) -> Value {
    let mut pod = hello_pod();
    let entries: Vec<Value> = (0..n)
        .map(|i| json!({"manager": format!("controller-{i}"), "operation": "Update", "apiVersion": "v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {format!("f:l{i}"): {}}}}}))
        .collect();
    pod["metadata"]["managedFields"] = Value::Array(entries);
    pod
}

fn time(
    settings: &Settings,
    nodes: &[NodeInfo],
    pod: &Value,
    iterations: usize,
) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let input = AdmissionInput {
            pod: pod.clone(),
            namespace: "default",
            path: "/inject",
            revision: "default",
            cluster: ClusterFacts {
                nodes: Some(nodes),
                namespace: None,
            },
        };
        let start = Instant::now();
        let out = inject::admit(settings, input, &mut Vec::new()).expect("injection succeeds");
        samples.push(start.elapsed());
        std::hint::black_box(out);
    }
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/inject")
        });
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    let settings = Settings::from_sources(
        &read("base/config.yaml"),
        &read("base/values.json"),
        &read("base/mesh.yaml"),
        Features::default(),
    )
    .expect("corpus configuration loads");
    let nodes = [NodeInfo {
        name: "node-1".into(),
        kubelet_version: "v1.33.0".into(),
    }];
    let cases = [
        ("hello pod", hello_pod(), 300),
        ("200 env vars", with_env(200), 100),
        ("2,000 env vars", with_env(2000), 40),
        ("5,000 managedFields entries", with_managed_fields(5000), 40),
    ];
    // Warm up caches and lazily built tables.
    if std::env::var("BENCH_ITERS").is_err() {
        time(&settings, &nodes, &hello_pod(), 20);
    }
    let mut medians = Vec::new();
    println!("{:<30} {:>12} {:>12}", "case", "median", "p90");
    let only = std::env::var("BENCH_CASE").ok();
    for (name, pod, n) in &cases {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            medians.push(Duration::from_secs(1));
            continue;
        }
        let n = std::env::var("BENCH_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(*n);
        let (median, p90) = time(&settings, &nodes, pod, n);
        println!("{name:<30} {:>10.3}ms {:>10.3}ms", ms(median), ms(p90));
        medians.push(median);
    }
    let ratio = medians[2].as_secs_f64() / medians[1].as_secs_f64();
    println!("ratio 2,000 / 200 env vars: {ratio:.2} (linear growth is ~10; target <= 12)");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
