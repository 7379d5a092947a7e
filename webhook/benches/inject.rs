//! Injection benchmark (criterion): `cargo bench -p webhook --bench inject`.
//!
//! Times the admission path (`webhook::inject::admit`: decide, render, merge,
//! post-process, patch) with Istio's real injector configuration from the
//! conformance corpus (`$MESH_INJECT_CORPUS`, default
//! `../shared/conformance/inject` beside the repository) on the plain `hello`
//! pod, on pods with 200 and 2,000 environment variables (Istio's own
//! benchmark shape) and on a pod with 5,000 `managedFields` entries. Each
//! iteration injects a fresh copy of the pod; copying it is not timed.
//!
//! After criterion's report it prints the median and p90 of every case over
//! all timed injections, and the 2,000/200 ratio (linear growth is ~10; the
//! target is at most 12). Arguments after `--` are criterion's (a name filter,
//! `--profile-time 10` to run one case under a profiler).

mod support;

use std::cell::RefCell;
use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use serde_json::{json, Value};
use support::hello_pod;

/// The allocator `meshinject` runs with, so that the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

fn main() {
    let settings = support::settings();
    let nodes = support::nodes();
    let cases = [
        ("hello pod", hello_pod()),
        ("200 env vars", with_env(200)),
        ("2,000 env vars", with_env(2000)),
        ("5,000 managedFields entries", with_managed_fields(5000)),
    ];
    let samples: Vec<RefCell<Vec<Duration>>> = cases.iter().map(|_| RefCell::default()).collect();

    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = c.benchmark_group("admit");
    // The same number of injections per sample: the slow cases take milliseconds each.
    group.sampling_mode(SamplingMode::Flat);
    for ((name, pod), recorded) in cases.iter().zip(&samples) {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let d = support::admit_timed(&settings, &nodes, pod);
                    recorded.borrow_mut().push(d);
                    total += d;
                }
                total
            })
        });
    }
    group.finish();
    c.final_summary();

    let mut medians = Vec::new();
    println!(
        "\n{:<30} {:>12} {:>12} {:>9}",
        "case", "median", "p90", "samples"
    );
    for ((name, _), recorded) in cases.iter().zip(&samples) {
        let mut s = recorded.take();
        if s.is_empty() {
            medians.push(None);
            continue;
        }
        s.sort();
        let (median, p90) = (s[s.len() / 2], s[s.len() * 9 / 10]);
        println!(
            "{name:<30} {:>10.3}ms {:>10.3}ms {:>9}",
            ms(median),
            ms(p90),
            s.len()
        );
        medians.push(Some(median));
    }
    if let (Some(Some(m200)), Some(Some(m2000))) = (medians.get(1), medians.get(2)) {
        let ratio = m2000.as_secs_f64() / m200.as_secs_f64();
        println!("ratio 2,000 / 200 env vars: {ratio:.2} (linear growth is ~10; target <= 12)");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
