//! Builds `mesh-init` once per process and returns its path: for tests with
//! the same cargo and profile as the running test (`cargo build -p init --bin
//! mesh-init`); for the benchmark as `Dockerfile.init` ships it (its
//! `RUSTFLAGS` and cargo profile, read from `Dockerfile.init` itself so that
//! the two cannot drift apart). `MESH_INIT_BIN` overrides both with a prebuilt
//! binary.

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

/// `cargo` with the variables `cargo test` sets for the test process
/// removed: they would reach build scripts (ring's tracks
/// `CARGO_MANIFEST_DIR`) and make the nested build recompile the whole
/// dependency tree, and the next outer build recompile it back.
fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let from_test_runner = (name.starts_with("CARGO_")
            && !matches!(name, "CARGO_HOME" | "CARGO_TARGET_DIR")
            && !name.starts_with("CARGO_BUILD_")
            && !name.starts_with("CARGO_PROFILE_")
            && !name.starts_with("CARGO_REGISTRIES_")
            && !name.starts_with("CARGO_NET_"))
            || name == "OUT_DIR";
        if from_test_runner {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Path to binary `bin` of workspace package `package`, built with the same
/// profile as the running test.
pub fn workspace_bin(package: &str, bin: &str) -> PathBuf {
    let dir = profile_dir();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let out = cargo()
        .args(["build", "--quiet", "-p", package, "--bin", bin])
        .arg("--manifest-path")
        .arg(&manifest)
        .args(profile_args(&dir))
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {bin}: {e}"));
    assert!(
        out.status.success(),
        "cargo build -p {package} --bin {bin} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join(bin);
    assert!(
        path.is_file(),
        "{bin} was built but is not at {}",
        path.display()
    );
    path
}

/// Path to a `mesh-init` built from this workspace (`MESH_INIT_BIN`
/// overrides it).
pub fn mesh_init() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var_os("MESH_INIT_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_bin("init", "mesh-init"))
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

/// How `Dockerfile.init` builds mesh-init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedBuild {
    /// The `RUSTFLAGS="..."` of the build.
    pub rustflags: String,
    /// The cargo profile (`--profile NAME`, or `release` for `--release`).
    pub profile: String,
}

impl ShippedBuild {
    /// Reads the build from a Dockerfile's text: its `RUSTFLAGS="..."`
    /// assignment and the profile of its `cargo build`.
    fn parse(dockerfile: &str) -> Option<ShippedBuild> {
        const KEY: &str = "RUSTFLAGS=\"";
        let start = dockerfile.find(KEY)? + KEY.len();
        let len = dockerfile[start..].find('"')?;
        let build = &dockerfile[dockerfile.find("cargo build")?..];
        let words: Vec<&str> = build
            .split_whitespace()
            .take_while(|w| *w != "&&")
            .collect();
        let profile = match words.iter().position(|w| *w == "--profile") {
            Some(i) => words.get(i + 1)?.to_string(),
            None if words.contains(&"--release") => "release".to_string(),
            None => return None,
        };
        Some(ShippedBuild {
            rustflags: dockerfile[start..start + len].to_string(),
            profile,
        })
    }

    /// The build of `Dockerfile.init` in this workspace.
    pub fn of_dockerfile() -> ShippedBuild {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Dockerfile.init");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        ShippedBuild::parse(&text).unwrap_or_else(|| {
            panic!(
                "{} has no `RUSTFLAGS=\"...\" cargo build --profile NAME` (or --release)",
                path.display()
            )
        })
    }

    /// The directory cargo puts this profile's artifacts in.
    fn output_dir(&self) -> &str {
        match self.profile.as_str() {
            "dev" | "test" => "debug",
            "bench" => "release",
            other => other,
        }
    }
}

/// `mesh-init` as `Dockerfile.init` ships it: the same RUSTFLAGS and cargo
/// profile (an explicit `--target`, so that build scripts and proc macros
/// are built without those flags).
pub fn mesh_init_shipped() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("MESH_INIT_BIN") {
            return PathBuf::from(bin);
        }
        let shipped = ShippedBuild::of_dockerfile();
        let triple = host_triple();
        let target_dir = profile_dir()
            .parent()
            .expect("profile directory has a parent")
            .to_path_buf();
        let flags = match std::env::var("RUSTFLAGS") {
            Ok(existing) if !existing.trim().is_empty() => {
                format!("{existing} {}", shipped.rustflags)
            }
            _ => shipped.rustflags.clone(),
        };
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let out = cargo()
            .args(["build", "--quiet", "--profile", &shipped.profile])
            .args(["-p", "init", "--bin", "mesh-init", "--target", &triple])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target_dir)
            .env("RUSTFLAGS", flags)
            .output()
            .expect("cannot run cargo to build mesh-init");
        assert!(
            out.status.success(),
            "building mesh-init as Dockerfile.init does ({shipped:?}) failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = target_dir
            .join(&triple)
            .join(shipped.output_dir())
            .join("mesh-init");
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

    #[test]
    fn the_shipped_build_is_read_from_the_dockerfile() {
        let text = "RUN t=x \\\n && RUSTFLAGS=\"-C a -C b\" \\\n    cargo build --profile image -p init \\\n && install x\n";
        let build = ShippedBuild::parse(text).unwrap();
        assert_eq!(build.rustflags, "-C a -C b");
        assert_eq!(
            (build.profile.as_str(), build.output_dir()),
            ("image", "image")
        );
        let release = ShippedBuild::parse("RUSTFLAGS=\"\" cargo build --release -p init").unwrap();
        assert_eq!(
            (release.profile.as_str(), release.output_dir()),
            ("release", "release")
        );
        assert_eq!(
            ShippedBuild::parse("RUSTFLAGS=\"-C a\" cargo build -p init"),
            None
        );
        assert_eq!(ShippedBuild::parse("RUN cargo build --release\n"), None);
        // The real image links the C runtime statically.
        assert!(ShippedBuild::of_dockerfile()
            .rustflags
            .contains("target-feature=+crt-static"));
    }
}
