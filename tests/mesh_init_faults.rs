//! Idempotence and faults of mesh-init in real network namespaces (root
//! required; see `e2e::require`): a second identical run changes nothing, a
//! tainted ISTIO chain fails a plain run with a message naming it and
//! `--reconcile` converges, `--cleanup-only` restores iptables-save exactly
//! (on nft also deleting the tables it left empty, and only those, in one
//! batch the kernel refuses if the ruleset moved), concurrent runs both end
//! correct, bad inputs exit non-zero naming the flag
//! and write nothing, detection picks legacy only where legacy holds rules,
//! and TPROXY routing is idempotent.

use std::path::PathBuf;

use e2e::pod::{sidecar_args, Backend, Pod, V4, V6};
use e2e::require;

fn default_args(backend: Backend, extra: &[&str]) -> Vec<String> {
    let mut args = sidecar_args(
        &format!("{},{}", V4.subnet, V6.subnet),
        &format!("{},{}", V4.excluded_cidr, V6.excluded_cidr),
    );
    args.extend(["--force-iptables-binary", backend.flag(), "--ipv6"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn applied(p: &Pod, args: &[String]) -> String {
    let out = p.mesh_init(args, &[]);
    assert!(
        out.success(),
        "mesh-init {} failed: {}",
        args.join(" "),
        out.stderr
    );
    out.stderr
}

/// The state a single run produces in a fresh pod, for one backend.
fn reference_state(backend: Backend) -> (String, String) {
    let p = Pod::new();
    applied(&p, &default_args(backend, &[]));
    (p.save(backend, false), p.save(backend, true))
}

#[test]
fn second_identical_run_changes_nothing() {
    if !require::netns_suite("second identical run") {
        return;
    }
    for backend in Backend::ALL {
        let p = Pod::new();
        applied(&p, &default_args(backend, &[]));
        let first = p.snapshot();
        let log = applied(&p, &default_args(backend, &[]));
        assert!(
            log.contains("IPv4 rules are already in place; nothing written"),
            "{log}"
        );
        assert!(
            log.contains("IPv6 rules are already in place; nothing written"),
            "{log}"
        );
        assert_eq!(
            p.snapshot(),
            first,
            "{}: the second run changed the rules",
            backend.flag()
        );
    }
}

#[test]
fn tainted_chain_fails_plain_run_and_reconcile_converges() {
    if !require::netns_suite("tainted chain / --reconcile") {
        return;
    }
    for backend in Backend::ALL {
        let p = Pod::new();
        applied(&p, &default_args(backend, &[]));
        p.iptables(
            backend,
            false,
            &[
                "-t",
                "nat",
                "-I",
                "ISTIO_OUTPUT",
                "3",
                "-d",
                "10.99.0.0/16",
                "-j",
                "RETURN",
            ],
        );
        p.iptables(
            backend,
            true,
            &["-t", "nat", "-D", "OUTPUT", "-j", "ISTIO_OUTPUT"],
        );
        let tainted = p.snapshot();

        let out = p.mesh_init(&default_args(backend, &[]), &[]);
        assert!(
            !out.success(),
            "{}: a drifted state must fail a plain run",
            backend.flag()
        );
        let err = &out.stderr;
        assert!(
            err.contains(
                "chain ISTIO_OUTPUT, rule 3: found `-A ISTIO_OUTPUT -d 10.99.0.0/16 -j RETURN`"
            ),
            "{err}"
        );
        assert!(
            err.contains("--reconcile"),
            "the message must suggest --reconcile: {err}"
        );
        assert_eq!(p.snapshot(), tainted, "a failed run must write nothing");

        let log = applied(&p, &default_args(backend, &["--reconcile"]));
        assert!(log.contains("replacing IPv4 rules"), "{log}");
        let (v4, v6) = reference_state(backend);
        assert_eq!(
            p.save(backend, false),
            v4,
            "{}: IPv4 did not converge",
            backend.flag()
        );
        assert_eq!(
            p.save(backend, true),
            v6,
            "{}: IPv6 did not converge",
            backend.flag()
        );
        let log = applied(&p, &default_args(backend, &[]));
        assert!(log.contains("already in place"), "{log}");
    }
}

#[test]
fn cleanup_only_restores_the_previous_state_exactly() {
    if !require::netns_suite("--cleanup-only") {
        return;
    }
    for backend in Backend::ALL {
        let p = Pod::new();
        // Foreign rules mesh-init must leave alone, in the tables it writes.
        for v6 in [false, true] {
            let dst = if v6 {
                "2001:db8::1/128"
            } else {
                "192.0.2.1/32"
            };
            p.iptables(backend, v6, &["-t", "nat", "-N", "FOREIGN"]);
            p.iptables(
                backend,
                v6,
                &["-t", "nat", "-A", "FOREIGN", "-d", dst, "-j", "RETURN"],
            );
            p.iptables(backend, v6, &["-t", "nat", "-A", "OUTPUT", "-j", "FOREIGN"]);
            p.iptables(
                backend,
                v6,
                &[
                    "-t",
                    "nat",
                    "-A",
                    "PREROUTING",
                    "-p",
                    "udp",
                    "-j",
                    "FOREIGN",
                ],
            );
            p.iptables(
                backend,
                v6,
                &["-t", "filter", "-A", "INPUT", "-d", dst, "-j", "ACCEPT"],
            );
        }
        let before = p.snapshot();
        applied(&p, &default_args(backend, &[]));
        assert_ne!(p.snapshot(), before);
        let log = applied(&p, &default_args(backend, &["--cleanup-only"]));
        assert!(log.contains("Removed"), "{log}");
        assert_eq!(
            p.snapshot(),
            before,
            "{}: cleanup did not restore iptables-save",
            backend.flag()
        );
        let log = applied(&p, &default_args(backend, &["--cleanup-only"]));
        assert!(
            log.contains("NothingToRemove"),
            "cleanup is idempotent: {log}"
        );
    }
}

/// Sidecar arguments in TPROXY mode with DNS capture: mesh-init then writes
/// the mangle, nat and raw tables.
fn tproxy_dns_args(backend: Backend) -> Vec<String> {
    let servers = format!("{},{}", V4.peer, V6.peer);
    let mut args = default_args(backend, &["--redirect-dns", "--dns-servers", &servers]);
    let m = args.iter().position(|a| a == "-m").unwrap();
    args[m + 1] = "TPROXY".into();
    args
}

fn with_cleanup(args: &[String]) -> Vec<String> {
    let mut args = args.to_vec();
    args.push("--cleanup-only".into());
    args
}

#[test]
fn cleanup_only_on_nft_deletes_the_tables_it_left_empty() {
    if !require::netns_suite("--cleanup-only deletes emptied nft tables") {
        return;
    }
    let nft = Backend::Nft;
    let cases = [
        (default_args(nft, &[]), &["nat"][..]),
        (tproxy_dns_args(nft), &["mangle", "nat", "raw"][..]),
    ];
    for (args, tables) in cases {
        let p = Pod::new();
        let before = [p.save(nft, false), p.save(nft, true)];
        let everything = p.snapshot();
        applied(&p, &args);
        for (v6, saved) in [(false, p.save(nft, false)), (true, p.save(nft, true))] {
            for t in tables {
                assert!(
                    saved.contains(&format!("*{t}\n")),
                    "v6={v6}: the run must write {t}: {saved}"
                );
            }
        }
        let log = applied(&p, &with_cleanup(&args));
        for t in tables {
            for family in ["ip (IPv4)", "ip6 (IPv6)"] {
                assert!(
                    log.contains(&format!("table {t} of family {family}")),
                    "{t} {family} must be deleted: {log}"
                );
            }
        }
        assert_eq!(
            [p.save(nft, false), p.save(nft, true)],
            before,
            "iptables-save and ip6tables-save must print what they printed before mesh-init ran"
        );
        assert_eq!(p.snapshot(), everything);
        let log = applied(&p, &with_cleanup(&args));
        assert!(!log.contains("deleted"), "nothing left to delete: {log}");
        assert_eq!(p.snapshot(), everything);
    }
}

#[test]
fn cleanup_only_on_nft_keeps_tables_holding_anything_foreign() {
    if !require::netns_suite("--cleanup-only keeps non-empty nft tables") {
        return;
    }
    let nft = Backend::Nft;
    let p = Pod::new();
    for (v6, dst) in [(false, "192.0.2.1/32"), (true, "2001:db8::1/128")] {
        // A foreign rule, a policy other than ACCEPT and an empty user chain,
        // each in a table mesh-init writes to.
        p.iptables(
            nft,
            v6,
            &["-t", "nat", "-A", "OUTPUT", "-d", dst, "-j", "ACCEPT"],
        );
        p.iptables(nft, v6, &["-t", "filter", "-P", "FORWARD", "DROP"]);
        p.iptables(nft, v6, &["-t", "mangle", "-N", "FOREIGN"]);
    }
    let before = p.snapshot();
    let args = tproxy_dns_args(nft);
    applied(&p, &args);
    let log = applied(&p, &with_cleanup(&args));
    assert_eq!(
        p.snapshot(),
        before,
        "cleanup must restore the state exactly"
    );
    for (v6, dst) in [(false, "192.0.2.1/32"), (true, "2001:db8::1/128")] {
        let saved = p.save(nft, v6);
        assert!(
            saved.contains(&format!("-A OUTPUT -d {dst} -j ACCEPT")),
            "{saved}"
        );
        assert!(saved.contains(":FORWARD DROP"), "{saved}");
        assert!(saved.contains(":FOREIGN -"), "{saved}");
        assert!(!saved.contains("*raw"), "raw was left empty: {saved}");
    }
    for family in ["IPv4", "IPv6"] {
        for kept in [
            "table nat left in place: it holds 1 rule(s)",
            "table filter left in place: the policy of its chain FORWARD is not ACCEPT",
            "table mangle left in place: it holds chain FOREIGN, not an iptables built-in chain",
        ] {
            assert!(
                log.contains(&format!("{family} iptables-nft {kept}")),
                "{family} {kept}: {log}"
            );
        }
    }
}

#[test]
fn a_delete_batch_checked_against_a_stale_generation_deletes_nothing() {
    if !require::netns_suite("stale nf_tables delete batch") {
        return;
    }
    use init::apply::{nfnl::Socket, prune, ruleset, Family};
    let nft = Backend::Nft;
    let p = Pod::new();
    // Two empty tables, as a cleanup leaves them.
    for t in ["nat", "raw"] {
        p.iptables(nft, false, &["-t", t, "-A", "OUTPUT", "-j", "ACCEPT"]);
        p.iptables(nft, false, &["-t", t, "-D", "OUTPUT", "-j", "ACCEPT"]);
    }
    let doomed = [
        (Family::V4, "nat".to_string()),
        (Family::V4, "raw".to_string()),
    ];
    let checked = p
        .pod
        .run(|| ruleset::generation(&mut Socket::open().unwrap()).unwrap());
    // Another writer fills one of them after the check.
    p.iptables(nft, false, &["-t", "raw", "-A", "OUTPUT", "-j", "ACCEPT"]);
    let refused = p
        .pod
        .run(|| prune::delete(&mut Socket::open().unwrap(), checked, &doomed).unwrap());
    assert_eq!(refused.map(|(_, errno)| errno), Some(libc::ERESTART));
    let saved = p.save(nft, false);
    assert!(
        saved.contains("*nat") && saved.contains("*raw\n") && saved.contains("-A OUTPUT -j ACCEPT"),
        "a refused batch deletes nothing: {saved}"
    );
    // Checked again now: raw stays, nat goes.
    let mut log = Vec::new();
    let deleted = p
        .pod
        .run(|| prune::empty_tables(&[Family::V4], &mut log).unwrap());
    assert_eq!(deleted, [(Family::V4, "nat".to_string())], "{log:?}");
    let saved = p.save(nft, false);
    assert!(
        !saved.contains("*nat") && saved.contains("-A OUTPUT -j ACCEPT"),
        "{saved}"
    );
}

#[test]
fn concurrent_runs_both_end_in_the_correct_state() {
    if !require::netns_suite("concurrent runs") {
        return;
    }
    for backend in Backend::ALL {
        let (v4, v6) = reference_state(backend);
        for round in 0..5 {
            let p = Pod::new();
            let args = default_args(backend, &[]);
            let (a, b) = std::thread::scope(|s| {
                let first = s.spawn(|| p.mesh_init(&args, &[]));
                let second = s.spawn(|| p.mesh_init(&args, &[]));
                (first.join().unwrap(), second.join().unwrap())
            });
            let tag = format!("{} round {round}", backend.flag());
            assert!(a.success(), "{tag}: first run failed: {}", a.stderr);
            assert!(b.success(), "{tag}: second run failed: {}", b.stderr);
            assert_eq!(
                p.save(backend, false),
                v4,
                "{tag}: IPv4 state differs from a single run"
            );
            assert_eq!(
                p.save(backend, true),
                v6,
                "{tag}: IPv6 state differs from a single run"
            );
        }
    }
}

/// (what, arguments, environment, what the message must name)
type BadInput<'a> = (&'a str, Vec<String>, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_inputs_exit_non_zero_naming_the_flag_and_write_nothing() {
    if !require::netns_suite("bad inputs") {
        return;
    }
    let p = Pod::new();
    p.iptables(
        Backend::Nft,
        false,
        &[
            "-t",
            "nat",
            "-A",
            "OUTPUT",
            "-d",
            "192.0.2.1/32",
            "-j",
            "ACCEPT",
        ],
    );
    let before = p.snapshot();
    let with = |flag: &str, value: &str| {
        let mut args = default_args(Backend::Nft, &[]);
        match args.iter().position(|a| a == flag) {
            Some(i) => args[i + 1] = value.to_string(),
            None => args.extend([flag.to_string(), value.to_string()]),
        }
        args
    };
    let base = default_args(Backend::Nft, &[]);
    let groups = [
        ("ISTIO_OUTBOUND_OWNER_GROUPS", "java"),
        ("ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE", "ftp"),
    ];
    let cases: Vec<BadInput<'_>> = vec![
        (
            "invalid CIDR",
            with("-i", "10.0.0.0/33"),
            &[],
            "--istio-service-cidr",
        ),
        (
            "port out of range",
            with("-p", "70000"),
            &[],
            "--envoy-port",
        ),
        (
            "* in an exclude list",
            with("-x", "*"),
            &[],
            "--istio-service-exclude-cidr",
        ),
        (
            "both owner-group variables",
            base.clone(),
            &groups,
            "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE",
        ),
        (
            "unknown interception mode",
            with("-m", "BOGUS"),
            &[],
            "--istio-inbound-interception-mode",
        ),
        (
            "unknown iptables binary",
            with("--force-iptables-binary", "bogus"),
            &[],
            "--force-iptables-binary",
        ),
    ];
    for (what, args, env, named) in cases {
        let out = p.mesh_init(&args, env);
        assert!(!out.success(), "{what}: must fail");
        assert!(
            out.stderr.contains(named),
            "{what}: the message must name {named}: {}",
            out.stderr
        );
        assert_eq!(p.snapshot(), before, "{what}: nothing may be written");
    }

    // No iptables at all in PATH.
    let out = p.mesh_init_with_path(&base, &[], "/nonexistent");
    assert!(!out.success());
    assert!(
        out.stderr
            .contains("iptables-nft is required but not found in PATH (/nonexistent)"),
        "{}",
        out.stderr
    );
    let mut auto = base.clone();
    let at = auto
        .iter()
        .position(|a| a == "--force-iptables-binary")
        .unwrap();
    auto.drain(at..at + 2);
    let out = p.mesh_init_with_path(&auto, &[], "/nonexistent");
    assert!(!out.success());
    assert!(
        out.stderr.contains("no usable IPv4 iptables found"),
        "{}",
        out.stderr
    );

    // iptables but no ip6tables, with IPv6 on: fails before IPv4 is written.
    let dir = std::env::temp_dir().join(format!("mesh-init-v4only-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for tool in ["iptables-nft", "iptables-nft-save", "iptables-nft-restore"] {
        let target = PathBuf::from("/usr/sbin").join(tool);
        let _ = std::fs::remove_file(dir.join(tool));
        std::os::unix::fs::symlink(&target, dir.join(tool)).unwrap();
    }
    let out = p.mesh_init_with_path(&base, &[], dir.to_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.success());
    assert!(
        out.stderr
            .contains("ip6tables-nft is required but not found"),
        "{}",
        out.stderr
    );
    assert_eq!(
        p.snapshot(),
        before,
        "missing ip6tables: nothing may be written"
    );
}

#[test]
fn detection_prefers_legacy_only_where_legacy_holds_rules() {
    if !require::netns_suite("backend detection") {
        return;
    }
    let mut args = sidecar_args("*", "");
    args.push("--no-ipv6".into());
    let fresh = Pod::new();
    let log = applied(&fresh, &args);
    assert!(log.contains("IPv4: using iptables-nft"), "{log}");
    assert!(fresh.save(Backend::Nft, false).contains(":ISTIO_OUTPUT"));

    let legacy = Pod::new();
    legacy.iptables(
        Backend::Legacy,
        false,
        &[
            "-t",
            "filter",
            "-A",
            "INPUT",
            "-d",
            "192.0.2.1/32",
            "-j",
            "ACCEPT",
        ],
    );
    let log = applied(&legacy, &args);
    assert!(log.contains("IPv4: using iptables-legacy"), "{log}");
    assert!(legacy
        .save(Backend::Legacy, false)
        .contains(":ISTIO_OUTPUT"));
    assert!(
        !legacy.save(Backend::Nft, false).contains("ISTIO"),
        "nothing may land in nft"
    );
    let log = applied(&legacy, &args);
    assert!(log.contains("already in place"), "{log}");
}

#[test]
fn tproxy_routing_is_installed_once() {
    if !require::netns_suite("TPROXY routing") {
        return;
    }
    let p = Pod::new();
    let mut args = sidecar_args("*", "");
    let m = args.iter().position(|a| a == "-m").unwrap();
    args[m + 1] = "TPROXY".into();
    args.push("--ipv6".into());
    for run in 0..2 {
        applied(&p, &args);
        for family in ["-4", "-6"] {
            let rules = p.pod.ip(&[family, "rule", "show"]);
            let marks = rules
                .lines()
                .filter(|l| l.contains("fwmark 0x539 lookup 133"))
                .count();
            assert_eq!(
                marks, 1,
                "run {run}, {family}: one policy rule expected:\n{rules}"
            );
            let routes = p.pod.ip(&[family, "route", "show", "table", "133"]);
            assert!(
                routes.contains("local default dev lo"),
                "run {run} {family}: {routes}"
            );
        }
        assert!(p
            .pod
            .ip(&["-6", "addr", "show", "dev", "lo"])
            .contains("::6/128"));
    }
    assert!(p.save(Backend::Nft, false).contains("-j TPROXY"));
}
