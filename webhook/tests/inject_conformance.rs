//! Runs the injection conformance runner (`examples/conformance.rs`) over
//! Istio's corpus: `$MESH_INJECT_CORPUS`, else `../shared/conformance/inject`.

#[path = "../examples/conformance.rs"]
mod conformance;

#[test]
fn istio_injection_corpus_passes() {
    let Some(dir) = conformance::corpus::dir() else {
        return;
    };
    let report = conformance::run(&dir).unwrap_or_else(|e| panic!("conformance runner: {e}"));
    for f in &report.failures {
        eprintln!("FAIL {f}");
    }
    for n in &report.not_checked {
        eprintln!("not checked: {n}");
    }
    eprintln!("{} passed, {} failed", report.passed, report.failures.len());
    assert!(
        report.failures.is_empty(),
        "{} conformance checks failed",
        report.failures.len()
    );
    assert!(report.passed > 0, "the corpus produced no checks");
}
