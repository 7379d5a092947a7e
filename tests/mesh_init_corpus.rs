//! Istio's own configurations (the conformance corpus, `MESH_INIT_CORPUS` or
//! `../shared/conformance/iptables`) applied for real in network namespaces
//! (root required; see `e2e::require`): once applied, every one must be
//! recognised as already in place by a second run, on both backends. This
//! proves that the state comparison understands every rule shape the planner
//! writes, as iptables prints it back.

use std::path::PathBuf;

use e2e::pod::{Backend, Pod};
use e2e::require;

/// Istio's own configurations (the conformance corpus): applied for real,
/// each must be recognised as in place by a second run, on both backends.
#[test]
fn every_corpus_configuration_is_recognised_once_applied() {
    if !require::netns_suite("corpus round trip") {
        return;
    }
    let dir = std::env::var_os("MESH_INIT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/iptables")
        });
    let Ok(text) = std::fs::read_to_string(dir.join("cases.json")) else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "corpus not found at {} (set MESH_INIT_CORPUS)",
                dir.display()
            );
        }
        eprintln!(
            "SKIPPED, DID NOT RUN: corpus round trip: no corpus at {}",
            dir.display()
        );
        return;
    };
    let cases: serde_json::Value = serde_json::from_str(&text).expect("cases.json is not JSON");
    let mut checked = 0;
    for case in cases.as_array().expect("cases.json is a list") {
        let name = case["name"].as_str().unwrap_or("?");
        let mut args: Vec<String> = case["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("string arg").to_string())
            .filter(|a| a != "--dry-run")
            .collect();
        let env: Vec<(String, String)> = case["env"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for backend in Backend::ALL {
            let p = Pod::new();
            args.extend(["--force-iptables-binary".into(), backend.flag().into()]);
            let first = p.mesh_init(&args, &env);
            args.truncate(args.len() - 2);
            if !first.success() {
                // Owner groups given by name need those groups on this machine.
                let unknown_name = first.stderr.contains("Bad value for \"--gid-owner\"")
                    || first.stderr.contains("Bad value for \"--uid-owner\"");
                assert!(
                    unknown_name,
                    "{name} ({}): first apply failed: {}",
                    backend.flag(),
                    first.stderr
                );
                eprintln!("{name}: not applicable on this machine (owner names unknown here)");
                continue;
            }
            let mut again = args.clone();
            again.extend(["--force-iptables-binary".into(), backend.flag().into()]);
            let second = p.mesh_init(&again, &env);
            assert!(
                second.success(),
                "{name} ({}): second run failed: {}",
                backend.flag(),
                second.stderr
            );
            assert!(
                !second.stderr.contains("Created") && !second.stderr.contains("Replaced"),
                "{name} ({}): second run rewrote rules: {}",
                backend.flag(),
                second.stderr
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no corpus case could be checked");
}
