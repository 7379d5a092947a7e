//! Where the shared conformance corpus is: `$MESH_INJECT_CORPUS`, else
//! `../shared/conformance/inject` beside the repository. The one copy of that
//! rule, included by path into the library's unit tests, the integration
//! tests, the benchmark and the conformance example.

use std::path::PathBuf;

/// The corpus location, whether or not it is there.
pub fn location() -> PathBuf {
    std::env::var_os("MESH_INJECT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/conformance/inject"
            ))
        })
}

/// The corpus directory, or `None` after saying plainly that the calling test
/// did not run; under `CI=true` a missing corpus fails the test instead.
pub fn dir() -> Option<PathBuf> {
    let dir = location();
    if dir.join("cases.json").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "conformance corpus not found at {} (set MESH_INJECT_CORPUS)",
        dir.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}: the test cannot run under CI");
    }
    eprintln!("{msg}: this test did NOT run");
    None
}
