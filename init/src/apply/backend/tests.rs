//! Tests of the backend choice against a fake machine.

use super::*;

#[derive(Default)]
struct Fake {
    present: Vec<&'static str>,
    legacy_tables: bool,
    nft: Option<Vec<(String, String)>>,
    plain: Option<Backend>,
}

impl Probe for Fake {
    fn find(&self, program: &str) -> Option<PathBuf> {
        self.present
            .contains(&program)
            .then(|| PathBuf::from(format!("/sbin/{program}")))
    }
    fn legacy_tables(&self, _: Family) -> bool {
        self.legacy_tables
    }
    fn nft_chains(&self, _: Family) -> Option<Vec<(String, String)>> {
        self.nft.clone()
    }
    fn plain_backend(&self, _: &Path) -> Backend {
        self.plain.unwrap_or(Backend::Legacy)
    }
    fn path(&self) -> String {
        "/sbin".into()
    }
}

const ALL: [&str; 9] = [
    "iptables-legacy",
    "iptables-legacy-save",
    "iptables-legacy-restore",
    "iptables-nft",
    "iptables-nft-save",
    "iptables-nft-restore",
    "iptables",
    "iptables-save",
    "iptables-restore",
];

fn chains(list: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    Some(
        list.iter()
            .map(|(t, c)| (t.to_string(), c.to_string()))
            .collect(),
    )
}

#[test]
fn legacy_wins_when_it_already_holds_rules() {
    let p = Fake {
        present: ALL.to_vec(),
        legacy_tables: true,
        nft: chains(&[]),
        ..Fake::default()
    };
    let d = detect(Family::V4, None, &p).unwrap();
    assert_eq!(d.bins.backend, Backend::Legacy);
    assert_eq!(
        d.bins.restore,
        PathBuf::from("/sbin/iptables-legacy-restore")
    );
    assert_eq!(d.knowledge, Knowledge::Unknown);
}

#[test]
fn nft_is_preferred_on_a_fresh_namespace() {
    let p = Fake {
        present: ALL.to_vec(),
        nft: chains(&[("nat", "OUTPUT")]),
        ..Fake::default()
    };
    let d = detect(Family::V4, None, &p).unwrap();
    assert_eq!(d.bins.backend, Backend::Nft);
    assert_eq!(d.bins.name(), "iptables-nft");
    assert_eq!(d.knowledge, Knowledge::NoOwnedChains);
}

#[test]
fn existing_istio_chains_mean_the_state_must_be_read() {
    let p = Fake {
        present: ALL.to_vec(),
        nft: chains(&[("nat", "ISTIO_OUTPUT")]),
        ..Fake::default()
    };
    assert_eq!(
        detect(Family::V4, None, &p).unwrap().knowledge,
        Knowledge::Unknown
    );
}

#[test]
fn unusable_nft_falls_back_to_the_plain_binaries() {
    let p = Fake {
        present: ALL.to_vec(),
        nft: None,
        plain: Some(Backend::Legacy),
        ..Fake::default()
    };
    let d = detect(Family::V4, None, &p).unwrap();
    assert_eq!(d.bins.name(), "iptables");
    assert_eq!(d.bins.backend, Backend::Legacy);
    assert_eq!(d.knowledge, Knowledge::NoOwnedChains);
}

#[test]
fn forced_variant_is_used_or_named_when_missing() {
    let p = Fake {
        present: ALL.to_vec(),
        legacy_tables: true,
        nft: chains(&[]),
        ..Fake::default()
    };
    let d = detect(Family::V4, Some(Backend::Nft), &p).unwrap();
    assert_eq!(d.bins.backend, Backend::Nft);
    let none = Fake {
        present: vec!["iptables-nft", "iptables-nft-save"],
        ..Fake::default()
    };
    let e = detect(Family::V4, Some(Backend::Nft), &none).unwrap_err();
    assert_eq!(
        e.to_string(),
        "iptables-nft-restore is required but not found in PATH (/sbin)"
    );
}

#[test]
fn nothing_installed_names_every_candidate() {
    let e = detect(Family::V6, None, &Fake::default()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("no usable IPv6 iptables found"), "{msg}");
    assert!(
        msg.contains("ip6tables-legacy, ip6tables-nft, ip6tables"),
        "{msg}"
    );
}

#[test]
fn backend_parses_istio_values_only() {
    assert_eq!("legacy".parse::<Backend>(), Ok(Backend::Legacy));
    assert_eq!("nft".parse::<Backend>(), Ok(Backend::Nft));
    assert!("iptables"
        .parse::<Backend>()
        .unwrap_err()
        .contains("`iptables`"));
}

#[test]
fn find_in_path_requires_an_executable_file() {
    let dir = std::env::temp_dir().join(format!("mesh-init-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("tool");
    std::fs::write(&exe, "#!/bin/sh\n").unwrap();
    let path = format!("/nonexistent:{}", dir.display());
    assert_eq!(find_in_path("tool", &path), None, "not executable yet");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(find_in_path("tool", &path), Some(exe));
    std::fs::remove_dir_all(&dir).unwrap();
}
