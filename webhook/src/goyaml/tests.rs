//! Encoder tests: hand-checked go-yaml behaviours, and the corpus round trip (every golden document
//! Istio's kube-inject wrote, parsed and re-emitted, must come back byte for byte).

use super::to_yaml;
use crate::corpus;
use serde_json::json;

#[test]
fn layout_matches_go_yaml() {
    let v = json!({
        "b": [1, "two", {"x": null, "a": true}],
        "a": {"list": [], "map": {}, "nested": [[1, 2]]},
        "s": "multi\nline\n",
        "t": "no newline\nat end",
    });
    let want = "a:\n  list: []\n  map: {}\n  nested:\n  - - 1\n    - 2\nb:\n- 1\n- two\n- a: true\n  x: null\ns: |\n  multi\n  line\nt: |-\n  no newline\n  at end\n";
    assert_eq!(to_yaml(&v), want);
}

#[test]
fn quoting_rules() {
    let cases = [
        ("", "\"\""),
        ("*", "'*'"),
        ("80", "\"80\""),
        ("true", "\"true\""),
        ("yes", "\"yes\""),
        ("1.5", "\"1.5\""),
        ("a: b", "'a: b'"),
        (" lead", "' lead'"),
        ("tab\there", "\"tab\\there\""),
        ("it's", "it's"),
        ("'q'", "'''q'''"),
        ("- x", "'- x'"),
        ("x #y", "'x #y'"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("emoji 😀", "\"emoji \\U0001F600\""),
    ];
    for (s, want) in cases {
        assert_eq!(to_yaml(&json!(s)), format!("{want}\n"), "string {s:?}");
    }
    assert_eq!(to_yaml(&json!({"80": 1})), "\"80\": 1\n");
}

#[test]
fn numbers_as_go_writes_them() {
    assert_eq!(to_yaml(&json!(1e6)), "1000000\n");
    assert_eq!(to_yaml(&json!(0.25)), "0.25\n");
    assert_eq!(to_yaml(&json!(-7)), "-7\n");
    assert_eq!(to_yaml(&json!(u64::MAX)), "18446744073709551615\n");
}

#[test]
fn long_strings_fold_at_80_columns() {
    let long = "word ".repeat(30);
    let long = long.trim_end();
    let out = to_yaml(&json!({ "key": long }));
    assert!(out.lines().count() > 1, "{out}");
    let first = out.lines().next().unwrap_or_default();
    assert!(first.len() > 80 && first.len() < 90, "{first}");
    assert!(out.lines().nth(1).unwrap_or_default().starts_with("  word"));
    // no break opportunity: stays on one line
    let solid = "x".repeat(200);
    assert_eq!(to_yaml(&json!(solid)).lines().count(), 1);
}

#[test]
fn literal_block_hints() {
    assert_eq!(to_yaml(&json!("  indented\n")), "|2\n    indented\n");
    assert_eq!(to_yaml(&json!("keep\n\n")), "|+\n  keep\n\n");
    assert_eq!(
        to_yaml(&json!("trailing \nspace")),
        "\"trailing \\nspace\"\n"
    );
}

/// Kinds that kube-inject decodes and re-encodes (others are copied through as read).
const ENCODED_KINDS: &[&str] = &[
    "Pod",
    "ReplicationController",
    "Deployment",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "StatefulSet",
    "List",
    "DeploymentConfig",
];

#[test]
fn golden_documents_round_trip() {
    let Some(dir) = corpus::dir() else { return };
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(dir.join("cases")).expect("corpus cases dir is readable") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("injected") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("golden is readable");
        for doc in text.trim().split("\n---") {
            let doc = doc.trim_start_matches('\n');
            if doc.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = match serde_saphyr::from_str(doc) {
                Ok(v) => v,
                Err(e) => panic!("{}: golden does not parse: {e}", path.display()),
            };
            let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
            if !ENCODED_KINDS.contains(&kind) {
                continue;
            }
            checked += 1;
            let again = to_yaml(&value);
            if again.trim() != doc.trim() {
                let line = again
                    .lines()
                    .zip(doc.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                failures.push(format!(
                    "{} (line {}):\n  want: {:?}\n  got:  {:?}",
                    path.display(),
                    line + 1,
                    doc.lines().nth(line).unwrap_or(""),
                    again.lines().nth(line).unwrap_or("")
                ));
            }
        }
    }
    assert!(checked > 50, "only {checked} golden documents found");
    assert!(
        failures.is_empty(),
        "{} of {checked} documents differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
