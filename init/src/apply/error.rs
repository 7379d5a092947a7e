//! Everything that can go wrong while applying or removing rules, worded
//! for the operator reading `kubectl logs ... -c istio-init`.

use std::io;

use thiserror::Error;

use super::backend::Family;
use super::compare::Difference;
use super::prune::PruneError;
use super::rules::ParseError;

#[derive(Debug, Error)]
pub enum ApplyError {
    #[error("no usable {family} iptables found: none of {candidates} is in PATH ({path})")]
    NoBackend {
        family: Family,
        candidates: String,
        path: String,
    },
    #[error("{program} is required but not found in PATH ({path})")]
    MissingBinary { program: String, path: String },
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("{program} failed ({status}): {stderr}")]
    Command {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("{family} {what} cannot be parsed: {source}")]
    Parse {
        family: Family,
        what: &'static str,
        #[source]
        source: ParseError,
    },
    #[error(
        "{family} ISTIO_* rules already exist and differ from the desired rules:\n  {}\nrerun with --reconcile to replace them",
        .differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    Drift {
        family: Family,
        differences: Vec<Difference>,
    },
    #[error("{family} rules still differ after {attempts} attempts (another writer keeps changing them); last error: {last}")]
    Contended {
        family: Family,
        attempts: usize,
        last: String,
    },
    #[error("cannot take mesh-init's lock for this network namespace: {0}")]
    Lock(#[source] io::Error),
    #[error("policy routing for TPROXY failed: `{command}`: {stderr}")]
    Route { command: String, stderr: String },
    #[error(transparent)]
    Prune(#[from] PruneError),
}
