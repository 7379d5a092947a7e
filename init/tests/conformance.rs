//! Conformance with Istio's `istio-iptables` goldens: every case of the corpus directory
//! (`cases.json` plus `<name>.golden`, see the corpus README) is run through the built
//! `mesh-init` binary with exactly the case's arguments and environment, and its stdout
//! must equal the golden's restore payloads (the golden minus its bare
//! `iptables-save` / `ip6tables-save` lines).
//!
//! The corpus directory is `MESH_INIT_CORPUS` (relative paths are taken from the
//! workspace root) or `../shared/conformance/iptables` beside the workspace.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

#[derive(Debug)]
struct Case {
    name: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    golden: String,
}

fn corpus_dir() -> PathBuf {
    match std::env::var_os("MESH_INIT_CORPUS") {
        Some(dir) => Path::new(WORKSPACE).join(dir),
        None => Path::new(WORKSPACE).join("../shared/conformance/iptables"),
    }
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let path = dir.join("cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let strings = |v: &serde_json::Value, what: &str| -> Vec<String> {
        v.as_array()
            .unwrap_or_else(|| panic!("{what} is not a list"))
            .iter()
            .map(|s| {
                s.as_str()
                    .unwrap_or_else(|| panic!("{what} has a non-string"))
                    .to_string()
            })
            .collect()
    };
    json.as_array()
        .expect("cases.json is a list")
        .iter()
        .map(|case| {
            let field = |k: &str| {
                case.get(k)
                    .unwrap_or_else(|| panic!("a case has no {k:?}: {case}"))
            };
            let name = field("name")
                .as_str()
                .expect("name is a string")
                .to_string();
            let env = field("env")
                .as_object()
                .unwrap_or_else(|| panic!("{name}: env is not an object"))
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().expect("env values are strings").to_string(),
                    )
                })
                .collect();
            Case {
                args: strings(field("args"), &format!("{name}: args")),
                golden: field("golden")
                    .as_str()
                    .expect("golden is a string")
                    .to_string(),
                env,
                name,
            }
        })
        .collect()
}

/// The golden's payload lines: everything but the bare state reads.
fn expected_lines(golden: &str) -> Vec<&str> {
    golden
        .lines()
        .filter(|l| *l != "iptables-save" && *l != "ip6tables-save")
        .collect()
}

/// A line diff (`-` expected, `+` actual) with two lines of context around changes.
fn diff(expected: &[&str], actual: &[&str]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = match expected[i] == actual[j] {
                true => lcs[i + 1][j + 1] + 1,
                false => lcs[i + 1][j].max(lcs[i][j + 1]),
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            ops.push((' ', expected[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', expected[i]));
            i += 1;
        } else {
            ops.push(('+', actual[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 3).min(ops.len());
        ops[lo..hi].iter().any(|(op, _)| *op != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push_str("    ...\n");
                skipped = false;
            }
            out.push_str(&format!("    {op} {line}\n"));
        } else {
            skipped = true;
        }
    }
    out
}

/// Run one case; `Err` describes the failure.
fn run_case(dir: &Path, case: &Case) -> Result<(), String> {
    let golden = std::fs::read_to_string(dir.join(&case.golden))
        .map_err(|e| format!("cannot read golden {}: {e}", case.golden))?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mesh-init"));
    cmd.arg("istio-iptables").args(&case.args).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.envs(&case.env);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run mesh-init: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        return Err(format!("mesh-init exited with {}: {last}", out.status));
    }
    let (expected, actual) = (expected_lines(&golden), stdout.lines().collect::<Vec<_>>());
    match expected == actual {
        true => Ok(()),
        false => Err(format!(
            "stdout differs from {} (- golden, + mesh-init)\n{}",
            case.golden,
            diff(&expected, &actual)
        )),
    }
}

#[test]
fn conformance_corpus() {
    let dir = corpus_dir();
    let mut report = std::io::stderr();
    if !dir.join("cases.json").is_file() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "conformance corpus not found at {} (CI=true)",
            dir.display()
        );
        let _ = writeln!(
            report,
            "conformance test did NOT run: no corpus at {} (set MESH_INIT_CORPUS)",
            dir.display()
        );
        return;
    }
    let cases = load_cases(&dir);
    let mut failed = 0;
    for case in &cases {
        if let Err(why) = run_case(&dir, case) {
            failed += 1;
            let _ = writeln!(report, "FAIL {}: {why}", case.name);
        }
    }
    let _ = writeln!(report, "{} passed, {} failed", cases.len() - failed, failed);
    assert!(!cases.is_empty(), "no case in {}", dir.display());
    assert_eq!(
        failed,
        0,
        "{failed} of {} conformance cases failed",
        cases.len()
    );
}

#[test]
fn diff_shows_changed_lines_with_context() {
    let d = diff(
        &["a", "b", "c", "d", "e", "f", "g"],
        &["a", "b", "c", "X", "e", "f", "g"],
    );
    assert_eq!(
        d,
        "    ...\n      b\n      c\n    - d\n    + X\n      e\n      f\n"
    );
    assert_eq!(
        expected_lines("iptables-save\n* nat\nCOMMIT\nip6tables-save"),
        ["* nat", "COMMIT"]
    );
}
