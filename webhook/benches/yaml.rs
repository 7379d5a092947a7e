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
use serde_json::Value;
use webhook::config::yaml::parse_yaml;
use webhook::inject::Settings;

/// The allocator `meshinject` runs with, so that the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)]
mod support;

use support::template_data::{kube_inject_data, Options};

/// The corpus inputs rendered, each with its case name.
const INPUTS: &[(&str, &str)] = &[
    ("hello", "hello.yaml"),
    ("probes", "hello-probes.yaml"),
    ("two containers", "two_container.yaml"),
    ("traffic params", "traffic-params.yaml"),
    ("pod", "pod.yaml"),
];

/// The `sidecar` template's output for the workload in `file`, with the data kube-inject
/// gives the template.
fn rendered(settings: &Settings, dir: &std::path::Path, file: &str) -> String {
    let data = kube_inject_data(
        dir,
        file,
        Options {
            namespace: "default",
            revision: "default",
            native_sidecars: false,
        },
    );
    settings
        .templates
        .render("sidecar", &data)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn main() {
    let dir = support::corpus::location();
    let settings = support::settings();
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
