//! The admission engine in a loop, for profilers:
//! `target/release/examples/admit_loop [CORPUS_DIR] [--count N]` (default corpus:
//! `$MESH_INJECT_CORPUS`, else `../shared/conformance/inject` beside the repository).
//!
//! Loads the corpus' base configuration, then admits `N` (default 2,000) hello pods, each
//! with a different label (so nothing can be remembered across them), and prints the mean
//! wall time per admission. Meant to run under `perf record` or `valgrind --tool=callgrind`
//! (instruction counts are steady on a shared machine where times are not): the cost of one
//! admission is the difference between two counts, divided by their difference in `N`.

use std::time::Instant;

use serde_json::json;

#[allow(dead_code)]
#[path = "../benches/support/mod.rs"]
mod support;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut corpus = support::corpus::location();
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
    let settings = support::settings_in(&corpus);
    let nodes = support::nodes();
    let start = Instant::now();
    for i in 0..count {
        let mut pod = support::hello_pod();
        pod["metadata"]["labels"]["serial"] = json!(i.to_string());
        std::hint::black_box(support::admit(&settings, &nodes, pod));
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / count.max(1) as f64;
    println!("{count} admissions, {per:.1} us each");
}
