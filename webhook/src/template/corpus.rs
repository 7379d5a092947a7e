//! Test-only access to the shared conformance corpus (`MESH_INJECT_CORPUS` overrides the default
//! location beside the repository). Missing corpus: a failure under `CI=true`, otherwise a plain note.

use std::path::PathBuf;

/// The corpus directory, or `None` (after saying so) when it is absent outside CI.
pub(crate) fn dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MESH_INJECT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/conformance/inject"
            ))
        });
    if dir.join("cases").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("conformance corpus not found at {}", dir.display());
    }
    eprintln!(
        "NOTE: conformance corpus not found at {}; this test did not run",
        dir.display()
    );
    None
}
