//! Whether this machine can run the network-namespace suites. They need
//! root, `ip` and both iptables variants. Under `CI=true` a machine that
//! cannot run them fails the test loudly; elsewhere the test returns early
//! and says plainly on stderr that it did NOT run.

use std::process::Command;
use std::sync::OnceLock;

fn probe() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("not running as root".into());
    }
    for tool in [
        "ip",
        "iptables-nft",
        "iptables-legacy",
        "ip6tables-nft",
        "ip6tables-legacy",
        "iptables-nft-save",
        "iptables-legacy-save",
    ] {
        let found = std::env::var("PATH")
            .unwrap_or_default()
            .split(':')
            .any(|d| std::path::Path::new(d).join(tool).is_file());
        if !found {
            return Err(format!(
                "{tool} is not installed (apt-get install -y iptables iproute2)"
            ));
        }
    }
    let name = format!("mi-probe-{}", std::process::id());
    let add = Command::new("ip").args(["netns", "add", &name]).output();
    match add {
        Ok(o) if o.status.success() => {
            let _ = Command::new("ip").args(["netns", "del", &name]).status();
            Ok(())
        }
        Ok(o) => Err(format!(
            "cannot create a network namespace: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run ip: {e}")),
    }
}

/// Says on the real stderr (not the test harness's captured one, so that it
/// shows even when the test counts as passed) that `test` did not run.
pub fn not_run(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED, DID NOT RUN: {test}: {why} (set CI=true to make this a failure)"
    );
}

/// `true` when the calling test can run. Otherwise panics under `CI=true`,
/// or prints that `test` did not run and returns `false`.
pub fn netns_suite(test: &str) -> bool {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    match RESULT.get_or_init(probe) {
        Ok(()) => true,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test} cannot run on this CI machine: {why}")
        }
        Err(why) => {
            not_run(test, why);
            false
        }
    }
}
