//! The admission engine in a loop, for profilers:
//! `target/release/examples/admit_loop [CORPUS_DIR] [--count N]`.
//!
//! Loads the corpus' base configuration, then admits `N` (default 2,000) hello pods, each
//! with a different label (so nothing can be remembered across them), and prints the mean
//! wall time per admission. Meant to run under `perf record` or `valgrind --tool=callgrind`
//! (instruction counts are steady on a shared machine where times are not): the cost of one
//! admission is the difference between two counts, divided by their difference in `N`.

use std::time::Instant;

use serde_json::json;
use webhook::config::{Features, NodeInfo};
use webhook::inject::{self, AdmissionInput, ClusterFacts, Settings};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/inject");
    let mut count = 2000usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--count" => count = args.next().and_then(|n| n.parse().ok()).expect("--count N"),
            "-h" | "--help" => {
                println!("usage: admit_loop [CORPUS_DIR] [--count N]");
                return;
            }
            other => corpus = other.into(),
        }
    }
    let read = |f: &str| {
        std::fs::read_to_string(corpus.join(f))
            .unwrap_or_else(|e| panic!("{}: {e}", corpus.join(f).display()))
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
    let start = Instant::now();
    for i in 0..count {
        let pod = json!({
            "metadata": {"generateName": "hello-7d4f5-", "namespace": "default",
                "labels": {"app": "hello", "pod-template-hash": "7d4f5", "serial": i.to_string()},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "hello-7d4f5", "controller": true, "uid": "u"}]},
            "spec": {"containers": [{"name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0",
                "ports": [{"name": "http", "containerPort": 80}]}]}
        });
        let input = AdmissionInput {
            pod,
            namespace: "default",
            path: "/inject",
            revision: "default",
            cluster: ClusterFacts {
                nodes: Some(&nodes),
                namespace: None,
            },
        };
        let out = inject::admit(&settings, input, &mut Vec::new()).expect("injection succeeds");
        std::hint::black_box(out);
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / count.max(1) as f64;
    println!("{count} admissions, {per:.1} us each");
}
