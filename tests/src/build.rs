//! Builds `mesh-init` once per process and returns its path: for tests with
//! the same cargo and profile as the running test (`cargo build -p init --bin
//! mesh-init`); for the benchmark as `Dockerfile.init` ships it (release,
//! statically linked). `MESH_INIT_BIN` overrides both with a prebuilt binary.

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

/// The Rust host triple, e.g. `x86_64-unknown-linux-gnu`.
fn host_triple() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("cannot run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names no host")
        .trim()
        .to_string()
}

/// Flags that link the C runtime statically, as `Dockerfile.init` does.
pub const STATIC_RUSTFLAGS: &str = "-C target-feature=+crt-static";

/// `mesh-init` as shipped: release build, statically linked (an explicit
/// `--target`, so that build scripts and proc macros stay dynamic).
pub fn mesh_init_shipped() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("MESH_INIT_BIN") {
            return PathBuf::from(bin);
        }
        let triple = host_triple();
        let target_dir = profile_dir()
            .parent()
            .expect("profile directory has a parent")
            .to_path_buf();
        let flags = match std::env::var("RUSTFLAGS") {
            Ok(existing) if !existing.trim().is_empty() => format!("{existing} {STATIC_RUSTFLAGS}"),
            _ => STATIC_RUSTFLAGS.to_string(),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let out = Command::new(&cargo)
            .args([
                "build",
                "--quiet",
                "--release",
                "-p",
                "init",
                "--bin",
                "mesh-init",
                "--target",
                &triple,
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target_dir)
            .env("RUSTFLAGS", flags)
            .output()
            .expect("cannot run cargo to build mesh-init");
        assert!(
            out.status.success(),
            "static release build of mesh-init failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = target_dir.join(&triple).join("release/mesh-init");
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
