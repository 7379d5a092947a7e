//! `meshinject kube-inject` as istioctl's users call it: an `--injectConfigFile` holding the
//! bare `sidecar` template instead of an injector config, and `--revision default`.

mod support;

use std::path::Path;
use std::process::Command;

use support::corpus;
use support::template_data::load_yaml;

/// kube-inject of the corpus' `hello` Deployment with the base values and mesh config.
fn kube_inject(dir: &Path, config: &Path, extra: &[&str]) -> String {
    let base = dir.join("base");
    let out = Command::new(env!("CARGO_BIN_EXE_meshinject"))
        .arg("kube-inject")
        .arg("-f")
        .arg(dir.join("cases/hello.yaml"))
        .arg("--injectConfigFile")
        .arg(config)
        .arg("--valuesFile")
        .arg(base.join("values.json"))
        .arg("--meshConfigFile")
        .arg(base.join("mesh.yaml"))
        .args(extra)
        .output()
        .expect("running meshinject kube-inject");
    assert!(
        out.status.success(),
        "kube-inject failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn a_bare_sidecar_template_is_taken_as_the_injector_config() {
    let Some(dir) = corpus::dir() else { return };
    let config = dir.join("base/config.yaml");
    let sidecar = load_yaml(&config)["templates"]["sidecar"]
        .as_str()
        .expect("sidecar template")
        .to_string();
    let bare = std::env::temp_dir().join(format!("meshinject-bare-{}.tmpl", std::process::id()));
    std::fs::write(&bare, &sidecar).unwrap();
    let from_config = kube_inject(&dir, &config, &[]);
    let from_bare = kube_inject(&dir, &bare, &[]);
    let _ = std::fs::remove_file(&bare);
    assert!(from_config.contains("istio-proxy"), "{from_config}");
    assert_eq!(from_bare, from_config);
}

#[test]
fn the_default_revision_renders_as_no_revision() {
    let Some(dir) = corpus::dir() else { return };
    // A bare template showing the revision it is given.
    let shows = std::env::temp_dir().join(format!("meshinject-rev-{}.tmpl", std::process::id()));
    std::fs::write(
        &shows,
        "metadata:\n  annotations:\n    example.com/revision: \"{{ .Revision }}\"\n",
    )
    .unwrap();
    let none = kube_inject(&dir, &shows, &[]);
    let default = kube_inject(&dir, &shows, &["--revision", "default"]);
    let canary = kube_inject(&dir, &shows, &["-r", "canary"]);
    let _ = std::fs::remove_file(&shows);
    assert!(none.contains("example.com/revision: \"\""), "{none}");
    assert_eq!(default, none);
    assert!(canary.contains("example.com/revision: canary"), "{canary}");
}
