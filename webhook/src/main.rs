//! `meshinject`: Istio-compatible sidecar injection.
//!
//! `meshinject kube-inject -f app.yaml [-o out.yaml] [--injectConfigFile F] [--valuesFile F]
//! [--meshConfigFile F] [--revision R]` injects manifests like `istioctl kube-inject`.
//! `meshinject serve [FLAGS]` runs the admission webhook (`meshinject serve --help`).

use std::io::{Read, Write};

use anyhow::{bail, Context, Result};
use webhook::config::Features;
use webhook::inject::Settings;
use webhook::kube_inject;
use webhook::server;

/// mimalloc instead of glibc's malloc (without transparent huge pages, which tripled the
/// resident set for no measured gain): the engine builds and drops many small JSON and
/// template values per request, and glibc's allocator took about a quarter of the server's
/// CPU time (README, "Benchmark").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage:
  meshinject serve [FLAGS]   the admission webhook (see meshinject serve --help)
  meshinject kube-inject -f FILE|- [-o FILE] [--injectConfigFile FILE] [--valuesFile FILE]
                         [--meshConfigFile FILE] [--revision REV]

  -f, --filename          manifest to inject ('-' for stdin)
  -o, --output            where to write the result (default stdout)
  --injectConfigFile      the injector config: the `config` key of ConfigMap
                          istio-sidecar-injector, or that ConfigMap as YAML
  --valuesFile            the `values` key of the same ConfigMap (JSON), or the ConfigMap
  --meshConfigFile        mesh config: the `mesh` key of ConfigMap istio, or the ConfigMap
  Each of the three defaults to meshinject's built-in configuration
  (webhook/defaults/), so kube-inject works without a cluster.
  --revision              control plane revision (default: none)

Feature switches come from the environment as in Istio: ENABLE_NATIVE_SIDECARS
(auto|true|false; without a cluster, auto means false), COMPLIANCE_POLICY, PLATFORM.";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("meshinject: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("kube-inject") => kube_inject_cmd(&args[1..]),
        Some("serve") => serve_cmd(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

#[derive(Default)]
struct KubeInjectArgs {
    input: Option<String>,
    output: Option<String>,
    config: Option<String>,
    values: Option<String>,
    mesh: Option<String>,
    revision: String,
}

fn parse_kube_inject(args: &[String]) -> Result<KubeInjectArgs> {
    let mut out = KubeInjectArgs::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .with_context(|| format!("flag {flag} needs a value")),
            }
        };
        match flag {
            "-f" | "--filename" => out.input = Some(value()?),
            "-o" | "--output" => out.output = Some(value()?),
            "--injectConfigFile" => out.config = Some(value()?),
            "--valuesFile" => out.values = Some(value()?),
            "--meshConfigFile" => out.mesh = Some(value()?),
            // As istioctl: the revision named `default` renders as no revision.
            "--revision" | "-r" => {
                out.revision = value()?;
                if out.revision == "default" {
                    out.revision.clear();
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown flag {other:?} for kube-inject\n{USAGE}"),
        }
    }
    Ok(out)
}

/// A file holding either the raw ConfigMap value or the ConfigMap itself.
fn config_value(path: &str, key: &str) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    if let Ok(doc) = webhook::config::yaml::parse_yaml(&text) {
        if doc.get("kind").and_then(|k| k.as_str()) == Some("ConfigMap") {
            return doc
                .pointer(&format!("/data/{key}"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .with_context(|| format!("{path}: ConfigMap has no data.{key}"));
        }
    }
    Ok(text)
}

/// An `--injectConfigFile` that is not an injector config with templates is, as in
/// istioctl, the `sidecar` template itself.
fn bare_template_or_config(text: String) -> String {
    match webhook::config::InjectorConfig::parse(&text) {
        Ok(c) if !c.templates.is_empty() => text,
        _ => serde_json::json!({ "templates": { "sidecar": text } }).to_string(),
    }
}

fn kube_inject_cmd(args: &[String]) -> Result<()> {
    let a = parse_kube_inject(args)?;
    let input_path = a
        .input
        .context("kube-inject needs -f FILE (or -f - for stdin)")?;
    // Each file is optional: what is not given comes from the built-in defaults.
    let config = match &a.config {
        Some(p) => bare_template_or_config(config_value(p, "config")?),
        None => webhook::defaults::CONFIG.to_string(),
    };
    let values = match &a.values {
        Some(p) => config_value(p, "values")?,
        None => webhook::defaults::VALUES.to_string(),
    };
    let mesh = match &a.mesh {
        Some(p) => config_value(p, "mesh")?,
        None => webhook::defaults::MESH.to_string(),
    };
    let features = Features::from_lookup(&|k| std::env::var(k).ok());
    for w in &features.warnings {
        eprintln!("meshinject: warning: {w}");
    }
    let settings = Settings::from_sources(&config, &values, &mesh, features)
        .context("loading the injection configuration")?;
    // kube-inject injects whatever the policy (as istioctl does): only template doubts apply.
    for d in settings.injector.template_doubts() {
        eprintln!("meshinject: warning: {d}");
    }
    let input = if input_path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading stdin")?;
        s
    } else {
        std::fs::read_to_string(&input_path).with_context(|| format!("reading {input_path}"))?
    };
    let opts = kube_inject::Options {
        revision: &a.revision,
        nodes: None,
    };
    let (out, warnings) = kube_inject::run(&settings, &input, opts)
        .with_context(|| format!("injecting {input_path}"))?;
    for w in warnings {
        eprintln!("{w}");
    }
    match a.output.as_deref() {
        None | Some("-") => std::io::stdout()
            .lock()
            .write_all(out.as_bytes())
            .context("writing stdout")?,
        Some(p) => std::fs::write(p, out).with_context(|| format!("writing {p}"))?,
    }
    Ok(())
}

fn init_logging(opts: &server::Options) {
    use tracing_subscriber::EnvFilter;
    let filter = match &opts.log_level {
        Some(f) => EnvFilter::new(f),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    // Colour codes only for a terminal: in a container log they are noise, and
    // writing them cost a tenth of a remembered decision's time.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if opts.log_json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

fn serve_cmd(args: &[String]) -> Result<()> {
    let opts = match server::Options::parse(args) {
        Ok(o) => o,
        Err(server::OptionsError::Help) => {
            println!("{}", server::HELP);
            return Ok(());
        }
        Err(e) => bail!("{e}"),
    };
    init_logging(&opts);
    let features = Features::from_lookup(&|k| std::env::var(k).ok());
    for w in &features.warnings {
        tracing::warn!(warning = %w, "feature switch");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.workers.clamp(1, 4))
        .max_blocking_threads(opts.workers + 8)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let running = server::start(opts, features).await?;
        shutdown_signal().await;
        tracing::info!("shutting down: draining connections");
        running.shutdown().await;
        tracing::info!("stopped");
        Ok(())
    })
}

/// SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
