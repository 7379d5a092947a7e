//! Command-line syntax, environment precedence and parse errors.

use std::collections::HashMap;
use std::time::Duration;

use super::*;

fn parse_with(args: &[&str], env: &[(&str, &str)]) -> Result<Command, CliError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    parse(&args, &|k: &str| env.get(k).cloned())
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Cli {
    match parse_with(args, env) {
        Ok(Command::Run(cli)) => *cli,
        other => panic!("{args:?}: expected a run, got {other:?}"),
    }
}

#[test]
fn defaults_are_istios() {
    let cli = run(&[], &[]);
    assert_eq!(cli.envoy_port.value, "15001");
    assert_eq!(cli.inbound_capture_port.value, "15006");
    assert_eq!(cli.inbound_tunnel_port.value, "15008");
    assert_eq!(cli.proxy_uid.value, "");
    assert_eq!(cli.inbound_tproxy_mark.value, "1337");
    assert_eq!(cli.inbound_tproxy_route_table.value, "133");
    assert_eq!(cli.iptables_probe_port.value, 15002);
    assert_eq!(cli.probe_timeout.value, Duration::from_secs(5));
    assert_eq!(cli.owner_groups_include.value, "*");
    assert_eq!(cli.owner_groups_exclude.value, "");
    assert_eq!(cli.ipv4_loopback_cidr.value, "127.0.0.1/32");
    assert_eq!(cli.envoy_user.value, "istio-proxy");
    assert_eq!(cli.ipv6.value, None);
    assert_eq!(cli.dns_servers.value, None);
    assert!(!cli.dry_run.value && !cli.redirect_dns.value);
    assert_eq!(cli.envoy_port.origin, Origin::Default);
}

#[test]
fn every_value_syntax_of_pflag() {
    for args in [
        &["-p", "16001"][..],
        &["-p16001"],
        &["-p=16001"],
        &["--envoy-port", "16001"],
        &["--envoy-port=16001"],
        &["istio-iptables", "-p", "16001"],
        &["-np16001"],
    ] {
        let cli = run(args, &[]);
        assert_eq!(cli.envoy_port.value, "16001", "{args:?}");
        assert_eq!(cli.envoy_port.origin, Origin::Flag, "{args:?}");
    }
    assert!(run(&["-np16001"], &[]).dry_run.value);
}

#[test]
fn empty_values_are_real_values() {
    let cli = run(
        &[
            "-i",
            "10.0.0.0/8",
            "-i",
            "",
            "--istio-service-exclude-cidr=",
            "-b",
            "",
        ],
        &[],
    );
    assert_eq!(cli.service_cidr.value, "");
    assert_eq!(cli.service_cidr.origin, Origin::Flag);
    assert_eq!(cli.service_exclude_cidr.origin, Origin::Flag);
    assert_eq!(
        run(&["--dns-servers", ""], &[]).dns_servers.value,
        Some(String::new())
    );
}

#[test]
fn booleans_are_bare_or_take_an_attached_value() {
    assert!(run(&["--dry-run"], &[]).dry_run.value);
    assert!(run(&["-n"], &[]).dry_run.value);
    assert!(!run(&["--dry-run=false"], &[]).dry_run.value);
    assert!(run(&["--redirect-dns=T"], &[]).redirect_dns.value);
    assert!(!run(&["-n=0"], &[]).dry_run.value);
    // A detached word is not the boolean's value: pflag leaves it positional.
    let cli = run(&["--dry-run", "false"], &[]);
    assert!(cli.dry_run.value);
    assert_eq!(cli.ignored_args, ["false"]);
}

#[test]
fn a_value_flag_takes_the_next_argument_even_if_it_looks_like_a_flag() {
    let cli = run(&["-x", "-p", "--dry-run"], &[]);
    assert_eq!(cli.service_exclude_cidr.value, "-p");
    assert!(cli.dry_run.value);
    assert_eq!(cli.envoy_port.value, "15001");
}

#[test]
fn the_last_occurrence_wins() {
    let cli = run(&["-p", "1", "--envoy-port=2", "--ipv6", "--no-ipv6"], &[]);
    assert_eq!(cli.envoy_port.value, "2");
    assert_eq!(cli.ipv6.value, Some(false));
    assert_eq!(run(&["--no-ipv6", "--ipv6"], &[]).ipv6.value, Some(true));
    assert_eq!(run(&["--no-ipv6=false"], &[]).ipv6.value, Some(true));
}

#[test]
fn flags_win_over_environment() {
    let env = [
        ("INBOUND_CAPTURE_PORT", "17006"),
        ("ISTIO_SERVICE_CIDR", "10.0.0.0/8"),
    ];
    let cli = run(&["-z", "18006"], &env);
    assert_eq!(cli.inbound_capture_port.value, "18006");
    assert_eq!(cli.inbound_capture_port.origin, Origin::Flag);
    assert_eq!(cli.service_cidr.value, "10.0.0.0/8");
    assert_eq!(cli.service_cidr.origin, Origin::Env("ISTIO_SERVICE_CIDR"));
    let cli = run(&["--redirect-dns=false"], &[("REDIRECT_DNS", "true")]);
    assert!(!cli.redirect_dns.value);
}

#[test]
fn envoy_port_has_no_environment_variable() {
    let cli = run(&[], &[("ENVOY_PORT", "1"), ("PROXY_PORT", "2")]);
    assert_eq!(cli.envoy_port.value, "15001");
}

#[test]
fn the_second_of_two_variables_wins() {
    let on = |env: &[(&str, &str)]| run(&[], env).redirect_dns.value;
    assert!(on(&[
        ("REDIRECT_DNS", "false"),
        ("ISTIO_META_DNS_CAPTURE", "true")
    ]));
    assert!(!on(&[
        ("REDIRECT_DNS", "true"),
        ("ISTIO_META_DNS_CAPTURE", "false")
    ]));
    assert!(on(&[("REDIRECT_DNS", "true")]));
    let cli = run(&[], &[("DROP_INVALID", "1"), ("INVALID_DROP", "0")]);
    assert!(!cli.drop_invalid.value);
    assert_eq!(cli.drop_invalid.origin, Origin::Env("INVALID_DROP"));
    assert!(run(&[], &[("ISTIO_DUAL_STACK", "true")]).dual_stack.value);
}

#[test]
fn unparsable_environment_values_are_ignored_with_a_warning() {
    let cli = run(
        &[],
        &[("REDIRECT_DNS", "true"), ("ISTIO_META_DNS_CAPTURE", "yes")],
    );
    assert!(cli.redirect_dns.value, "the valid first variable stays");
    assert_eq!(cli.warnings.len(), 1);
    assert!(
        cli.warnings[0].contains("ISTIO_META_DNS_CAPTURE=\"yes\""),
        "{:?}",
        cli.warnings
    );
    let cli = run(
        &[],
        &[("IPTABLES_PROBE_PORT", "99999"), ("PROBE_TIMEOUT", "5")],
    );
    assert_eq!(cli.iptables_probe_port.value, 15002);
    assert_eq!(cli.probe_timeout.value, Duration::from_secs(5));
    assert_eq!(cli.warnings.len(), 2);
}

#[test]
fn typed_flags_parse_go_syntax() {
    let cli = run(
        &["--iptables-probe-port", "0x3a9a", "--probe-timeout=1m30s"],
        &[],
    );
    assert_eq!(cli.iptables_probe_port.value, 15002);
    assert_eq!(cli.probe_timeout.value, Duration::from_secs(90));
}

#[test]
fn environment_only_settings() {
    let env = [
        ("ISTIO_OUTBOUND_OWNER_GROUPS", "java,202"),
        ("ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE", ""),
        ("ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", "127.0.0.1/8"),
        ("ENVOY_USER", "envoy"),
    ];
    let cli = run(&[], &env);
    assert_eq!(cli.owner_groups_include.value, "java,202");
    assert_eq!(
        cli.owner_groups_exclude.origin,
        Origin::Env("ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE")
    );
    assert_eq!(cli.ipv4_loopback_cidr.value, "127.0.0.1/8");
    assert_eq!(cli.envoy_user.value, "envoy");
    let err = parse_with(&["--istio-outbound-owner-groups", "x"], &[]).unwrap_err();
    assert_eq!(
        err,
        CliError::UnknownFlag("istio-outbound-owner-groups".into())
    );
}

#[test]
fn istio_logging_flags_are_accepted_without_effect() {
    let cli = run(
        &[
            "istio-iptables",
            "-p",
            "15001",
            "--log_output_level=default:info",
            "--log_as_json",
            "--log_caller",
            "default",
        ],
        &[],
    );
    assert_eq!(cli.envoy_port.value, "15001");
    assert!(
        cli.ignored_args.is_empty(),
        "--log_caller takes a value: {:?}",
        cli.ignored_args
    );
    assert_eq!(cli.ignored_flags.len(), 3);
    assert!(matches!(
        parse_with(&["--log_as_json=maybe"], &[]),
        Err(CliError::InvalidArgument { .. })
    ));
}

#[test]
fn apply_side_flags_parse() {
    let cli = run(
        &[
            "--reconcile",
            "--cleanup-only",
            "--force-apply",
            "--force-iptables-binary",
            "nft",
            "--skip-rule-apply",
            "--run-validation",
            "--iptables-probe-port=15003",
            "--probe-timeout",
            "2s",
            "--network-namespace",
            "/var/run/netns/pod",
            "--cni-mode",
        ],
        &[],
    );
    assert!(cli.reconcile.value && cli.cleanup_only.value && cli.force_apply.value);
    assert!(cli.skip_rule_apply.value && cli.run_validation.value && cli.cni_mode.value);
    assert_eq!(cli.force_iptables_binary.value, "nft");
    assert_eq!(cli.iptables_probe_port.value, 15003);
    assert_eq!(cli.probe_timeout.value, Duration::from_secs(2));
    assert_eq!(cli.network_namespace.value, "/var/run/netns/pod");
}

#[test]
fn help() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["istio-iptables", "-p", "1", "--help"],
        &["-nh"],
    ] {
        assert!(
            matches!(parse_with(args, &[]), Ok(Command::Help)),
            "{args:?}"
        );
    }
    let text = usage();
    for spec in SPECS.iter().filter(|s| !s.hidden) {
        let name = spec
            .long
            .map(|l| format!("--{l}"))
            .unwrap_or_else(|| spec.envs[0].to_string());
        assert!(text.contains(&name), "usage lacks {name}");
    }
}

#[test]
fn parse_errors_name_the_flag() {
    let err = |args: &[&str]| parse_with(args, &[]).unwrap_err();
    assert_eq!(err(&["--bogus"]), CliError::UnknownFlag("bogus".into()));
    assert_eq!(
        err(&["-nY"]),
        CliError::UnknownShorthand {
            short: 'Y',
            arg: "-nY".into()
        }
    );
    assert_eq!(err(&["-p"]), CliError::MissingValue("'p' in -p".into()));
    assert_eq!(
        err(&["--envoy-port"]),
        CliError::MissingValue("--envoy-port".into())
    );
    assert_eq!(err(&["---x"]), CliError::BadSyntax("---x".into()));
    assert_eq!(err(&["--=x"]), CliError::BadSyntax("--=x".into()));
    let bad = err(&["--dry-run=yes"]);
    assert_eq!(
        bad.to_string(),
        "invalid argument \"yes\" for --dry-run: not a boolean (true or false)"
    );
    assert!(matches!(
        err(&["--iptables-probe-port", "70000"]),
        CliError::InvalidArgument { .. }
    ));
    assert!(matches!(
        err(&["--probe-timeout=soon"]),
        CliError::InvalidArgument { .. }
    ));
}

#[test]
fn double_dash_ends_the_flags() {
    let cli = run(&["--", "-p", "1"], &[]);
    assert_eq!(cli.envoy_port.value, "15001");
    assert_eq!(cli.ignored_args, ["-p", "1"]);
}

#[test]
fn labels_name_the_flag_or_the_variable() {
    let cli = run(&["-i", "x"], &[("ISTIO_SERVICE_EXCLUDE_CIDR", "y")]);
    assert_eq!(cli.service_cidr.label(), "--istio-service-cidr (-i)");
    assert_eq!(
        cli.service_exclude_cidr.label(),
        "ISTIO_SERVICE_EXCLUDE_CIDR (environment, for --istio-service-exclude-cidr)"
    );
    assert_eq!(cli.probe_timeout.label(), "--probe-timeout");
    assert_eq!(
        cli.ipv4_loopback_cidr.label(),
        "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR"
    );
}

#[test]
fn flag_names_are_unique() {
    for (i, a) in SPECS.iter().enumerate() {
        for b in &SPECS[i + 1..] {
            assert!(a.long.is_none() || a.long != b.long, "{:?}", a.long);
            assert!(a.short.is_none() || a.short != b.short, "{:?}", a.short);
        }
    }
}
