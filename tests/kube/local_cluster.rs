//! `local-cluster`: the test suites' local control plane (etcd,
//! kube-apiserver, kube-controller-manager) with `charts/meshinject`
//! installed and its server running as a local process, for trying the seed
//! flows by hand with `kubectl` (README, "Walk-through"). Prints the
//! `KUBECONFIG` to use; Ctrl-C stops everything it started.
//!
//! Usage: local-cluster [--namespace NS]   (install namespace, default istio-system)

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use e2e::kube::ControlPlane;
use e2e::kube_install::install;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn main() -> anyhow::Result<()> {
    let mut ns = "istio-system".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--namespace" | "-n" => ns = args.next().context("--namespace needs a value")?,
            "-h" | "--help" => {
                println!("local-cluster [--namespace NS]");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other:?} (try --help)"),
        }
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    eprintln!("starting etcd, kube-apiserver and kube-controller-manager…");
    let plane = ControlPlane::start().context("starting the local control plane")?;
    eprintln!("installing charts/meshinject in namespace {ns}…");
    let installed = install(&plane, &ns).context("installing the chart")?;
    println!(
        "ready: the API server calls meshinject (webhook configuration {}, ConfigMaps in {}).\n\
         In another shell:\n\n    export KUBECONFIG={}\n\n\
         webhook log: {}\nmetrics:     http://127.0.0.1:{}/metrics\nCtrl-C stops everything.",
        installed.webhook_config,
        installed.namespace,
        plane.kubeconfig.display(),
        installed.webhook.log.display(),
        installed.webhook.monitoring_port,
    );
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("stopping…");
    drop(installed);
    drop(plane);
    Ok(())
}
