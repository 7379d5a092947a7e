//! `render-chart`: prints charts/meshinject rendered as `helm template` would,
//! with the project's own renderer (no `helm` needed).
//!
//! Usage: render-chart [--name RELEASE] [--namespace NS] [--values-json JSON]
//! (`--values-json` is merged over values.yaml; repeatable).

use e2e::kube_chart::{chart_dir, merge_values, render, Release};

fn main() -> anyhow::Result<()> {
    let mut release = Release {
        name: "meshinject".into(),
        namespace: "meshinject".into(),
    };
    let mut overrides = serde_json::json!({});
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match a.as_str() {
            "--name" => release.name = value("--name")?,
            "--namespace" => release.namespace = value("--namespace")?,
            "--values-json" => {
                let v: serde_json::Value = serde_json::from_str(&value("--values-json")?)?;
                merge_values(&mut overrides, &v);
            }
            "-h" | "--help" => {
                println!("render-chart [--name RELEASE] [--namespace NS] [--values-json JSON]");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other:?}"),
        }
    }
    for m in render(&chart_dir(), &release, &overrides)? {
        if m.text.trim().is_empty() {
            continue;
        }
        print!(
            "---\n# Source: meshinject/{}\n{}",
            m.file,
            m.text.trim_start_matches('\n')
        );
        if !m.text.ends_with('\n') {
            println!();
        }
    }
    Ok(())
}
