//! Tests of the apply entry point that need no iptables.

use super::*;

#[test]
fn skip_rule_apply_touches_nothing_even_without_iptables() {
    let opts = ApplyOptions {
        skip_rule_apply: true,
        path: Some("/nonexistent".into()),
        ..ApplyOptions::default()
    };
    let out = apply(&opts, "*nat\n-N ISTIO_X\nCOMMIT\n", None).unwrap();
    assert!(!out.changed());
    assert!(out.families.is_empty());
}

#[test]
fn missing_binaries_fail_before_anything_is_written() {
    let opts = ApplyOptions {
        path: Some("/nonexistent".into()),
        ..ApplyOptions::default()
    };
    let e = apply(&opts, "*nat\n-N ISTIO_X\nCOMMIT\n", None).unwrap_err();
    assert!(
        matches!(
            e,
            ApplyError::NoBackend {
                family: Family::V4,
                ..
            }
        ),
        "{e}"
    );
    // With iptables present but no `ip`, TPROXY fails before any write:
    // the fake iptables programs fail loudly if they are ever run.
    let dir = std::env::temp_dir().join(format!("mesh-init-noip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for v in ["legacy", "nft"] {
        for suffix in ["", "-save", "-restore"] {
            let f = dir.join(format!("iptables-{v}{suffix}"));
            std::fs::write(&f, "#!/bin/sh\necho must not run >&2\nexit 9\n").unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let tproxy = ApplyOptions {
        tproxy: Some(TproxyRouting {
            mark: 1337,
            route_table: 133,
        }),
        path: Some(dir.display().to_string()),
        ..opts
    };
    let e = apply(&tproxy, "*nat\n-N ISTIO_X\nCOMMIT\n", None).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        e.to_string(),
        format!("ip is required but not found in PATH ({})", dir.display())
    );
}

#[test]
fn outcome_reports_changes_only_for_writes() {
    let f = |action| FamilyOutcome {
        family: Family::V4,
        binary: "iptables-nft".into(),
        backend: Backend::Nft,
        action,
    };
    let unchanged = Outcome {
        families: vec![f(Action::Unchanged), f(Action::NothingPlanned)],
        routing_steps: 0,
    };
    assert!(!unchanged.changed());
    let created = Outcome {
        families: vec![f(Action::Created)],
        routing_steps: 0,
    };
    assert!(created.changed());
}
