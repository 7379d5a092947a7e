//! Benchmark of the Kubernetes machinery the admission path leans on (criterion):
//! `cargo bench -p webhook --bench k8s`.
//!
//! Times the Go typed round trip (`webhook::k8s::normalize`) and the strategic merge
//! (`webhook::k8s::merge`) on the plain `hello` pod and on what injecting it with Istio's real
//! configuration (the conformance corpus, see `support`) produces. The injected pod is built at
//! start-up: the admission's JSON patch applied to the pod. The overlay stands in for the
//! rendered `sidecar` template: the injected pod's labels, annotations, containers, init
//! containers, volumes and pod security context, with the keys of every object sorted (the
//! template writes most of its YAML with `toYaml`, which sorts keys, rather than in Go's
//! order; this reproduces which objects have to be reordered in a real admission). Each input is copied just
//! before it is used (so it is in cache, as in an admission); the copy is not timed.
//!
//! After criterion's report it prints the median and the minimum of every case over all timed
//! runs (the minimum is the figure least disturbed by other load on the machine).
//!
//! Cases:
//! - `normalize/hello pod`: the pod as the API server sends it (fields to add and reorder);
//! - `normalize/injected pod`: a pod already in Go's shape (the usual case after a merge);
//! - `normalize/injected pod, keys reversed`: every object to be rebuilt in Go's order;
//! - `merge/overlay onto hello pod`, `merge/overlay onto empty pod`: the two merges of one
//!   template (the merged pod and the template pod);
//! - `admission/normalize + merge`: the sequence one admission runs: the input normalised,
//!   both overlays merged and normalised, the final pod normalised.

mod support;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use criterion::Criterion;
use serde_json::{json, Map, Value};
use webhook::inject::Outcome;
use webhook::k8s::merge::strategic_merge_pod;
use webhook::k8s::normalize::normalize;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn normalized(mut v: Value) -> Value {
    normalize("Pod", &mut v).expect("pod normalises");
    v
}

/// The hello pod with the admission's patch applied, in Go's shape.
fn injected_pod() -> Value {
    let settings = support::settings();
    let Outcome::Injected { patch } =
        support::admit(&settings, &support::nodes(), support::hello_pod())
    else {
        panic!("the hello pod is injected");
    };
    let patch: json_patch::Patch = serde_json::from_value(patch).expect("a JSON patch");
    let mut pod = support::hello_pod();
    json_patch::patch(&mut pod, &patch).expect("the patch applies");
    normalized(pod)
}

/// The parts of the injected pod the sidecar template writes, keys sorted.
fn overlay(injected: &Value) -> Value {
    let pick = |from: &str, keys: &[&str]| -> Map<String, Value> {
        keys.iter()
            .filter_map(|k| Some((k.to_string(), injected[from].get(*k)?.clone())))
            .collect()
    };
    sorted(json!({
        "metadata": pick("metadata", &["labels", "annotations"]),
        "spec": pick("spec", &["initContainers", "containers", "volumes", "securityContext"]),
    }))
}

fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn reversed(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.reverse();
            Value::Object(entries.into_iter().map(|(k, v)| (k, reversed(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(reversed).collect()),
        other => other,
    }
}

fn overlaid(target: Value, patch: Value) -> Value {
    normalized(strategic_merge_pod(target, patch).expect("overlay merges"))
}

fn main() {
    let hello = support::hello_pod();
    let hello_normalized = normalized(hello.clone());
    let injected = injected_pod();
    let patch = overlay(&injected);
    let injected_reversed = reversed(injected.clone());
    let empty = normalized(json!({}));

    type Case<'a> = (&'a str, Box<dyn Fn() -> Duration + 'a>);
    let cases: Vec<Case> = vec![
        ("normalize/hello pod", timed(|| hello.clone(), normalized)),
        (
            "normalize/injected pod",
            timed(|| injected.clone(), normalized),
        ),
        (
            "normalize/injected pod, keys reversed",
            timed(|| injected_reversed.clone(), normalized),
        ),
        (
            "merge/overlay onto hello pod",
            timed(
                || (hello_normalized.clone(), patch.clone()),
                |(t, p)| strategic_merge_pod(t, p).expect("merges"),
            ),
        ),
        (
            "merge/overlay onto empty pod",
            timed(
                || (empty.clone(), patch.clone()),
                |(t, p)| strategic_merge_pod(t, p).expect("merges"),
            ),
        ),
        (
            "admission/normalize + merge",
            timed(
                || (hello.clone(), empty.clone(), patch.clone(), patch.clone()),
                |(pod, template, p1, p2)| {
                    let pod = normalized(pod);
                    let template = overlaid(template, p1);
                    let merged = overlaid(pod, p2);
                    (template, normalized(merged))
                },
            ),
        ),
    ];
    let samples: Vec<RefCell<Vec<Duration>>> = cases.iter().map(|_| RefCell::default()).collect();

    let mut c = Criterion::default()
        .sample_size(100)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let mut group = c.benchmark_group("k8s");
    for ((name, run), recorded) in cases.iter().zip(&samples) {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let d = run();
                    recorded.borrow_mut().push(d);
                    total += d;
                }
                total
            })
        });
    }
    group.finish();
    c.final_summary();

    println!(
        "\n{:<40} {:>10} {:>10} {:>9}",
        "case", "median", "min", "samples"
    );
    for ((name, _), recorded) in cases.iter().zip(&samples) {
        let mut s = recorded.take();
        if s.is_empty() {
            continue;
        }
        s.sort();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "{name:<40} {:>8.2}µs {:>8.2}µs {:>9}",
            us(s[s.len() / 2]),
            us(s[0]),
            s.len()
        );
    }
}

/// A case: `run` on a fresh copy from `setup`, timing `run` alone (making the copy just
/// before keeps it in cache, as in an admission; dropping the result is not timed).
fn timed<'a, I, O>(
    setup: impl Fn() -> I + 'a,
    run: impl Fn(I) -> O + 'a,
) -> Box<dyn Fn() -> Duration + 'a> {
    Box::new(move || {
        let input = setup();
        let start = Instant::now();
        let out = run(input);
        let elapsed = start.elapsed();
        drop(std::hint::black_box(out));
        elapsed
    })
}
