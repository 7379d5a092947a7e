//! Runs the injection conformance runner (`examples/conformance.rs`) over
//! Istio's corpus: `$MESH_INJECT_CORPUS`, else `../shared/conformance/inject`.

#[path = "../examples/conformance.rs"]
mod conformance;

use std::path::PathBuf;

#[test]
fn istio_injection_corpus_passes() {
    let dir = std::env::var_os("MESH_INJECT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(conformance::default_dir);
    if !dir.join("cases.json").is_file() {
        let msg = format!(
            "injection conformance corpus not found at {}",
            dir.display()
        );
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}: the conformance test cannot run under CI");
        }
        eprintln!("{msg}: the injection conformance test did NOT run");
        return;
    }
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
