//! Applying the planned payloads to the current network namespace (the I/O
//! edge of mesh-init), or removing our rules from it.
//!
//! Per family: pick the iptables variant ([`backend`]), learn the state
//! (free when netlink or `/proc/net` proves there is no `ISTIO_*` chain, else
//! one `iptables-save`), compare it with the payload ([`compare`]) and write
//! at most one `iptables-restore --noflush` transaction ([`txn`]), so that a
//! family is changed entirely or not at all (`iptables-restore` commits table
//! by table: a create that fails after committing some tables is undone by
//! [`flow`]). The families run in parallel.
//! TPROXY policy routing and the IPv6 `::6` address follow ([`routes`]).
//! One run at a time per network namespace ([`lock`]). On the fast path (a
//! single family of a single table without any ISTIO_* chain yet, nothing to
//! run afterwards)
//! mesh-init `exec`s the restore instead of waiting for it, so that a fresh
//! pod costs one iptables process, like a bare restore; the restore inherits
//! the lock and prints the final rules on stderr, and its exit status is the
//! run's.
//! `--cleanup-only` then deletes the nft tables it left empty ([`prune`]).
//! Everything done is logged to stderr: the transaction written and the final
//! rules of every table it touched.

pub mod backend;
pub mod canon;
pub mod compare;
pub mod error;
pub mod exec;
pub mod flow;
pub mod lock;
pub mod names;
pub mod netns;
pub mod nfnl;
pub mod nft;
pub mod prune;
pub mod routes;
pub mod rules;
pub mod ruleset;
pub mod txn;

use std::path::PathBuf;

pub use backend::{Backend, Family};
pub use error::ApplyError;
pub use flow::Action;
pub use routes::TproxyRouting;

use backend::{detect, find_in_path, Detected, Knowledge, SystemProbe};
use exec::Runner;
use flow::{apply_family, cleanup_family, Mode, Tables};
use names::SystemNames;

/// How to apply; independent of the command line that produced it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// `--force-iptables-binary`: skip detection.
    pub force_backend: Option<Backend>,
    /// `--reconcile`: replace differing ISTIO_* rules instead of failing.
    pub reconcile: bool,
    /// `--cleanup-only`: remove our rules, write nothing new.
    pub cleanup_only: bool,
    /// `--force-apply`: write even when the rules look already in place.
    pub force_apply: bool,
    /// IPv6 enabled: the IPv6 payload is applied and ip6tables is required.
    pub ipv6: bool,
    /// CNI mode (host filesystem, pod network): legacy writes lock this file
    /// (Istio uses the network namespace path) instead of the host's lock.
    pub xtables_lock_file: Option<PathBuf>,
    /// TPROXY inbound capture: install its policy routing.
    pub tproxy: Option<TproxyRouting>,
    /// `--skip-rule-apply`: touch nothing.
    pub skip_rule_apply: bool,
    /// PATH to find iptables and ip in; the environment's when `None`.
    pub path: Option<String>,
    /// Write progress to stderr.
    pub log: bool,
    /// Nothing follows the apply in this process (no validation): on the
    /// fast path (one family, no ISTIO_* chains yet, no routing to set up)
    /// mesh-init may become the restore process instead of waiting for it.
    pub exec_last_restore: bool,
}

/// What happened to one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyOutcome {
    pub family: Family,
    /// e.g. `iptables-nft`.
    pub binary: String,
    pub backend: Backend,
    pub action: Action,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub families: Vec<FamilyOutcome>,
    /// Policy routing / `::6` steps executed.
    pub routing_steps: usize,
}

impl Outcome {
    /// Whether any iptables rule was written or removed.
    pub fn changed(&self) -> bool {
        self.families.iter().any(|f| {
            matches!(
                f.action,
                Action::Created | Action::Replaced | Action::Removed
            )
        })
    }
}

/// One family's iptables with what detection learnt.
struct System {
    runner: Runner,
    knowledge: Knowledge,
}

impl Tables for System {
    fn knowledge(&self) -> Knowledge {
        self.knowledge
    }
    fn save(&self) -> Result<String, ApplyError> {
        self.runner.save()
    }
    fn restore(&self, input: &str) -> Result<String, ApplyError> {
        self.runner.restore(input)
    }
    fn restore_command(&self) -> String {
        self.runner.restore_command()
    }
}

fn emit(opts: &ApplyOptions, lines: &[String]) {
    if opts.log {
        let mut text = String::new();
        for l in lines {
            text.push_str("mesh-init: ");
            text.push_str(l);
            text.push('\n');
        }
        eprint!("{text}");
    }
}

fn system(d: Detected, opts: &ApplyOptions) -> System {
    System {
        runner: Runner {
            bins: d.bins,
            lock_file: opts.xtables_lock_file.clone(),
        },
        knowledge: d.knowledge,
    }
}

/// The iptables of every family a run needs, and the log lines saying which.
type Detection = (Vec<(Family, System)>, Vec<String>);

/// Detects the binaries of every family this run needs, before anything is
/// written, so that a missing ip6tables fails the run cleanly. Returns what
/// to log about the choice.
fn systems(opts: &ApplyOptions) -> Result<Detection, ApplyError> {
    let probe = SystemProbe {
        path: opts.path.clone(),
    };
    let mut families = vec![Family::V4];
    if opts.ipv6 {
        families.push(Family::V6);
    }
    let mut out = Vec::new();
    let mut log = Vec::new();
    for family in families {
        let d = detect(family, opts.force_backend, &probe)?;
        log.push(format!(
            "{family}: using {} ({} backend){}",
            d.bins.name(),
            d.bins.backend,
            if opts.force_backend.is_some() {
                ", forced by --force-iptables-binary"
            } else {
                ""
            }
        ));
        out.push((family, system(d, opts)));
    }
    Ok((out, log))
}

type FamilyRun<'a> =
    dyn Fn(&System, Family, &mut Vec<String>) -> Result<Action, ApplyError> + Sync + 'a;

/// Runs `f` for every family in parallel, logs in family order, and returns
/// the outcomes or the first family's error.
fn each_family(
    opts: &ApplyOptions,
    systems: &[(Family, System)],
    f: &FamilyRun<'_>,
) -> Result<Vec<FamilyOutcome>, ApplyError> {
    let one = |(family, sys): &(Family, System)| {
        let mut log = Vec::new();
        let r = f(sys, *family, &mut log);
        (r, log)
    };
    // One family runs inline; two run in parallel.
    let results: Vec<(Result<Action, ApplyError>, Vec<String>)> = if systems.len() == 1 {
        systems.iter().map(one).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = systems
                .iter()
                .map(|entry| scope.spawn(move || one(entry)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a family thread panicked"))
                .collect()
        })
    };
    let mut outcomes = Vec::new();
    let mut first_error = None;
    for ((family, sys), (result, log)) in systems.iter().zip(results) {
        emit(opts, &log);
        match result {
            Ok(action) => outcomes.push(FamilyOutcome {
                family: *family,
                binary: sys.runner.bins.name(),
                backend: sys.runner.bins.backend,
                action,
            }),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(outcomes),
    }
}

/// Applies the payloads (or, with `cleanup_only`, removes our rules).
pub fn apply(
    opts: &ApplyOptions,
    ipv4_payload: &str,
    ipv6_payload: Option<&str>,
) -> Result<Outcome, ApplyError> {
    if opts.skip_rule_apply {
        emit(opts, &["--skip-rule-apply: no rule written".to_string()]);
        return Ok(Outcome::default());
    }
    if opts.cleanup_only {
        return cleanup(opts, Some(ipv4_payload), ipv6_payload);
    }
    let held = lock::acquire().map_err(ApplyError::Lock)?;
    let (systems, detected) = systems(opts)?;
    let steps = routes::plan(opts.tproxy, opts.ipv6);
    let path = opts
        .path
        .clone()
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_default();
    let ip = match steps.is_empty() {
        true => None,
        false => Some(find_in_path("ip", &path).ok_or_else(|| {
            emit(opts, &detected);
            ApplyError::MissingBinary {
                program: "ip".into(),
                path: path.clone(),
            }
        })?),
    };
    if opts.exec_last_restore && steps.is_empty() {
        if let [(family, sys)] = systems.as_slice() {
            let text = match family {
                Family::V4 => ipv4_payload,
                Family::V6 => ipv6_payload.unwrap_or(""),
            };
            if sys.knowledge == Knowledge::NoOwnedChains {
                if let Ok(payload) = rules::parse_payload(text) {
                    // One table only: iptables-restore commits table by table, and after an
                    // exec nothing is left to undo a write that fails part way.
                    if !payload.is_empty() && txn::payload_tables(&payload).len() == 1 {
                        let input = txn::create(text, &payload);
                        return Err(exec_fast_path(opts, *family, sys, &input, detected, &held));
                    }
                }
            }
        }
    }
    emit(opts, &detected);
    let mode = Mode {
        reconcile: opts.reconcile,
        force_apply: opts.force_apply,
    };
    let families = each_family(opts, &systems, &|sys, family, log| {
        let payload = match family {
            Family::V4 => ipv4_payload,
            Family::V6 => ipv6_payload.unwrap_or(""),
        };
        apply_family(sys, family, payload, mode, &SystemNames, log)
    })?;
    drop(held);
    let mut log = Vec::new();
    if let Some(ip) = ip {
        routes::configure(&ip, &steps, &mut log)?;
    }
    emit(opts, &log);
    Ok(Outcome {
        families,
        routing_steps: steps.len(),
    })
}

/// The fast path as one process: writes `input` (the payload and the
/// listing of its tables) by becoming `iptables-restore`. The restore
/// inherits the netns lock and prints the final rules on our stderr; its exit
/// status is the run's. `detected` (the detection log) goes out in the same
/// write as the transaction. Returns only if that is impossible.
fn exec_fast_path(
    opts: &ApplyOptions,
    family: Family,
    sys: &System,
    input: &str,
    mut detected: Vec<String>,
    lock: &lock::NetnsLock,
) -> ApplyError {
    detected.push(format!(
        "no ISTIO_* chains exist for {family}; mesh-init now becomes {} to write, and its listing after COMMIT is the final state:\n{}",
        sys.runner.restore_command(),
        input.trim_end()
    ));
    emit(opts, &detected);
    if let Err(e) = lock.keep_across_exec() {
        return ApplyError::Lock(e);
    }
    sys.runner.exec_restore(input)
}

/// Removes every `ISTIO_*` chain and every rule jumping into one (IPv6 only
/// when enabled, as Istio does); with the payloads, also the built-in-chain
/// rules they would add. Other rules are left untouched. On the nft backend,
/// the tables mesh-init writes to that are now empty are deleted
/// ([`prune`]), so that iptables-save prints what it printed before
/// mesh-init ran.
pub fn cleanup(
    opts: &ApplyOptions,
    ipv4_payload: Option<&str>,
    ipv6_payload: Option<&str>,
) -> Result<Outcome, ApplyError> {
    let _lock = lock::acquire().map_err(ApplyError::Lock)?;
    let (systems, detected) = systems(opts)?;
    emit(opts, &detected);
    let families = each_family(opts, &systems, &|sys, family, log| {
        let payload = match family {
            Family::V4 => ipv4_payload,
            Family::V6 => ipv6_payload,
        };
        cleanup_family(sys, family, payload, &SystemNames, log)
    })?;
    let nft: Vec<Family> = systems
        .iter()
        .filter(|(_, sys)| sys.runner.bins.backend == Backend::Nft)
        .map(|(family, _)| *family)
        .collect();
    if !nft.is_empty() {
        let mut log = Vec::new();
        let pruned = prune::empty_tables(&nft, &mut log);
        emit(opts, &log);
        pruned?;
    }
    Ok(Outcome {
        families,
        routing_steps: 0,
    })
}

#[cfg(test)]
mod tests;
