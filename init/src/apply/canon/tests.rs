//! Tests of the canonical rule form, with pairs observed from iptables 1.8.9.

use super::*;

fn same(a: &str, b: &str) -> bool {
    canonicalize(a, &NumericIds).unwrap() == canonicalize(b, &NumericIds).unwrap()
}

/// Pairs of (as the planner writes it, as iptables-save 1.8.9 prints it),
/// observed on both the nft and the legacy backend.
const WRITTEN_AND_SAVED: &[(&str, &str)] = &[
    ("-o lo -s 127.0.0.6/32 -j RETURN", "-s 127.0.0.6/32 -o lo -j RETURN"),
    (
        "-o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT",
        "! -d 127.0.0.1/32 -o lo -p tcp -m tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT",
    ),
    ("-p tcp --dport 15008 -j RETURN", "-p tcp -m tcp --dport 15008 -j RETURN"),
    ("-j MARK --set-mark 1337", "-j MARK --set-xmark 0x539/0xffffffff"),
    (
        "-p tcp -m mark --mark 1337 -j CONNMARK --save-mark",
        "-p tcp -m mark --mark 0x539 -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff",
    ),
    (
        "! -d 127.0.0.1/32 -p tcp -j TPROXY --tproxy-mark 1337/0xffffffff --on-port 15006",
        "! -d 127.0.0.1/32 -p tcp -j TPROXY --on-port 15006 --on-ip 0.0.0.0 --tproxy-mark 0x539/0xffffffff",
    ),
    (
        "-p tcp -i lo -m mark ! --mark 1338 -j RETURN",
        "-i lo -p tcp -m mark ! --mark 0x53a -j RETURN",
    ),
    (
        "-p udp --dport 53 -d 127.0.0.53/32 -j REDIRECT --to-port 15053",
        "-d 127.0.0.53/32 -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053",
    ),
    (
        "-p tcp --dport 32000 -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT",
        "-p tcp -m tcp --dport 32000 -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT",
    ),
    ("-o lo ! -d ::1/128 -j RETURN", "! -d ::1/128 -o lo -j RETURN"),
    ("-d 2001:0db8:0::/32 -j RETURN", "-d 2001:db8::/32 -j RETURN"),
    ("-d 10.1.2.3/8 -j RETURN", "-d 10.0.0.0/8 -j RETURN"),
    ("-d 10.1.2.3 -j RETURN", "-d 10.1.2.3/32 -j RETURN"),
    (
        "-m owner ! --gid-owner 1 -m owner ! --gid-owner 2 -j RETURN",
        "-m owner ! --gid-owner 2 -m owner ! --gid-owner 1 -j RETURN",
    ),
    (
        "-p udp --sport 15053 -m owner --uid-owner 3 -j CT --zone 2",
        "-p udp -m udp --sport 15053 -m owner --uid-owner 3 -j CT --zone 2",
    ),
];

#[test]
fn written_and_saved_forms_are_the_same_rule() {
    for (written, saved) in WRITTEN_AND_SAVED {
        assert!(same(written, saved), "{written}  vs  {saved}");
    }
}

#[test]
fn semantically_different_rules_stay_different() {
    let pairs = [
        (
            "-p tcp --dport 15008 -j RETURN",
            "-p tcp ! --dport 15008 -j RETURN",
        ),
        (
            "-p tcp --dport 15008 -j RETURN",
            "-p udp --dport 15008 -j RETURN",
        ),
        ("-d 10.0.0.0/8 -j RETURN", "-d 10.0.0.0/16 -j RETURN"),
        ("-o lo -j RETURN", "-i lo -j RETURN"),
        ("-j ISTIO_REDIRECT", "-g ISTIO_REDIRECT"),
        ("-j MARK --set-mark 1337", "-j MARK --set-xmark 1337/0xff"),
        (
            "-m owner --uid-owner 1337 -j RETURN",
            "-m owner --gid-owner 1337 -j RETURN",
        ),
        (
            "-p tcp -j REDIRECT --to-ports 15001",
            "-p tcp -j REDIRECT --to-ports 15006",
        ),
        ("-j RETURN", "-j ACCEPT"),
        ("-d 1.2.3.4/32", "-d 1.2.3.4/32 -j RETURN"),
    ];
    for (a, b) in pairs {
        assert!(!same(a, b), "{a}  vs  {b}");
    }
}

#[test]
fn owner_names_resolve_to_the_ids_save_prints() {
    struct Java;
    impl NameResolver for Java {
        fn user(&self, _: &str) -> Option<u32> {
            None
        }
        fn group(&self, name: &str) -> Option<u32> {
            (name == "java").then_some(1001)
        }
    }
    let written = canonicalize("-m owner ! --gid-owner java -j RETURN", &Java).unwrap();
    let saved = canonicalize("-m owner ! --gid-owner 1001 -j RETURN", &Java).unwrap();
    assert_eq!(written, saved);
}

#[test]
fn quoted_words_are_one_token() {
    let t = tokenize(r#"-m comment --comment "a \"b\" c" -j RETURN"#).unwrap();
    assert_eq!(
        t,
        ["-m", "comment", "--comment", "a \"b\" c", "-j", "RETURN"]
    );
    assert!(tokenize("-m comment --comment \"open").is_err());
}

#[test]
fn target_is_exposed() {
    let r = canonicalize("-p tcp -j ISTIO_INBOUND", &NumericIds).unwrap();
    assert_eq!(r.target(), Some("ISTIO_INBOUND"));
    assert_eq!(
        canonicalize("-d 1.2.3.4", &NumericIds).unwrap().target(),
        None
    );
}

#[test]
fn malformed_rules_are_errors() {
    assert!(matches!(
        canonicalize("-p", &NumericIds),
        Err(CanonError::MissingValue { .. })
    ));
    assert!(matches!(
        canonicalize("--uid-owner 3 -j RETURN", &NumericIds),
        Err(CanonError::Stray { .. })
    ));
}
