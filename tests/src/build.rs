//! Builds `mesh-init` once per test process with the same cargo and profile
//! as the running test (`cargo build -p init --bin mesh-init`) and returns
//! its path. `MESH_INIT_BIN` overrides this with a prebuilt binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory of the cargo profile the running program was built with,
/// e.g. `target/debug` (tests live in its `deps/`, binaries in it).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("cannot locate the running executable");
    let dir = exe.parent().expect("executable has no parent directory");
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("deps") => dir.parent().expect("deps/ has a parent").to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

fn profile_args(profile_dir: &Path) -> Vec<String> {
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => Vec::new(),
        Some("release") => vec!["--release".into()],
        Some(other) => vec!["--profile".into(), other.into()],
    }
}

/// Path to a `mesh-init` built from this workspace.
pub fn mesh_init() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("MESH_INIT_BIN") {
            return PathBuf::from(bin);
        }
        let dir = profile_dir();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let out = Command::new(&cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "init",
                "--bin",
                "mesh-init",
                "--manifest-path",
            ])
            .arg(&manifest)
            .args(profile_args(&dir))
            .output()
            .expect("cannot run cargo to build mesh-init");
        assert!(
            out.status.success(),
            "cargo build -p init --bin mesh-init failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = dir.join("mesh-init");
        assert!(
            bin.is_file(),
            "mesh-init was built but is not at {}",
            bin.display()
        );
        bin
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_map_to_cargo_flags() {
        assert!(profile_args(Path::new("/t/debug")).is_empty());
        assert_eq!(profile_args(Path::new("/t/release")), ["--release"]);
        assert_eq!(profile_args(Path::new("/t/bench")), ["--profile", "bench"]);
    }
}
