//! Choice of the iptables variant per address family, as Istio makes it:
//! `*-legacy` when the legacy tables of this network namespace already hold
//! rules, else `*-nft` when nf_tables is usable, else the plain binaries;
//! `--force-iptables-binary legacy|nft` overrides. The decision is pure over
//! a [`Probe`]; [`SystemProbe`] answers from PATH, `/proc/net` and netlink
//! without starting any process (except `iptables --version` for the plain
//! fallback when its name does not tell the variant).

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use super::compare::OWNED_PREFIX;
use super::error::ApplyError;
use super::nft;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// `iptables` or `ip6tables`.
    pub fn program(self) -> &'static str {
        match self {
            Family::V4 => "iptables",
            Family::V6 => "ip6tables",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Legacy,
    Nft,
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "legacy" => Ok(Backend::Legacy),
            "nft" => Ok(Backend::Nft),
            other => Err(format!(
                "unsupported iptables binary `{other}`, expected `legacy` or `nft`"
            )),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Legacy => "legacy",
            Backend::Nft => "nft",
        })
    }
}

/// The three programs of one variant, resolved to paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    pub family: Family,
    pub backend: Backend,
    pub iptables: PathBuf,
    pub save: PathBuf,
    pub restore: PathBuf,
}

impl Binaries {
    /// The program name, e.g. `iptables-nft`.
    pub fn name(&self) -> String {
        self.iptables
            .file_name()
            .and_then(OsStr::to_str)
            .unwrap_or("iptables")
            .to_string()
    }
}

/// What detection already learnt about our chains, for free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knowledge {
    /// Certainly no `ISTIO_*` chain in this family: the payload can be
    /// written without reading the state first.
    NoOwnedChains,
    /// Read the state with iptables-save before deciding.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub bins: Binaries,
    pub knowledge: Knowledge,
}

/// The facts detection needs from the machine.
pub trait Probe {
    /// Absolute path of `program` in PATH.
    fn find(&self, program: &str) -> Option<PathBuf>;
    /// Whether any legacy x_tables table exists in this network namespace.
    fn legacy_tables(&self, family: Family) -> bool;
    /// `(table, chain)` of every nf_tables chain of the family, or `None` when
    /// nf_tables cannot be used here.
    fn nft_chains(&self, family: Family) -> Option<Vec<(String, String)>>;
    /// The variant a plain `iptables` binary is.
    fn plain_backend(&self, iptables: &Path) -> Backend;
    /// PATH, for messages.
    fn path(&self) -> String;
}

const IPTABLES_TABLES: [&str; 5] = ["filter", "nat", "mangle", "raw", "security"];

fn variant(
    probe: &dyn Probe,
    family: Family,
    suffix: &str,
    backend: Backend,
) -> Result<Binaries, String> {
    let base = format!("{}{suffix}", family.program());
    let find = |name: String| probe.find(&name).ok_or(name);
    Ok(Binaries {
        family,
        backend,
        iptables: find(base.clone())?,
        save: find(format!("{base}-save"))?,
        restore: find(format!("{base}-restore"))?,
    })
}

fn knowledge(probe: &dyn Probe, family: Family, backend: Backend) -> Knowledge {
    let clean = match backend {
        Backend::Legacy => !probe.legacy_tables(family),
        Backend::Nft => probe.nft_chains(family).is_some_and(|chains| {
            !chains
                .iter()
                .any(|(t, c)| IPTABLES_TABLES.contains(&t.as_str()) && c.starts_with(OWNED_PREFIX))
        }),
    };
    if clean {
        Knowledge::NoOwnedChains
    } else {
        Knowledge::Unknown
    }
}

/// Chooses the binaries for `family`.
pub fn detect(
    family: Family,
    forced: Option<Backend>,
    probe: &dyn Probe,
) -> Result<Detected, ApplyError> {
    let missing = |program: String| ApplyError::MissingBinary {
        program,
        path: probe.path(),
    };
    if let Some(backend) = forced {
        let suffix = match backend {
            Backend::Legacy => "-legacy",
            Backend::Nft => "-nft",
        };
        let bins = variant(probe, family, suffix, backend).map_err(missing)?;
        return Ok(Detected {
            knowledge: knowledge(probe, family, backend),
            bins,
        });
    }
    if let Ok(bins) = variant(probe, family, "-legacy", Backend::Legacy) {
        if probe.legacy_tables(family) {
            return Ok(Detected {
                bins,
                knowledge: Knowledge::Unknown,
            });
        }
    }
    if let Ok(bins) = variant(probe, family, "-nft", Backend::Nft) {
        if let Some(chains) = probe.nft_chains(family) {
            let owned = chains
                .iter()
                .any(|(t, c)| IPTABLES_TABLES.contains(&t.as_str()) && c.starts_with(OWNED_PREFIX));
            return Ok(Detected {
                bins,
                knowledge: if owned {
                    Knowledge::Unknown
                } else {
                    Knowledge::NoOwnedChains
                },
            });
        }
    }
    let p = family.program();
    match variant(probe, family, "", Backend::Legacy) {
        Ok(mut bins) => {
            bins.backend = probe.plain_backend(&bins.iptables);
            Ok(Detected {
                knowledge: knowledge(probe, family, bins.backend),
                bins,
            })
        }
        // Istio gives up here; legacy binaries without rules still work.
        Err(_) => match variant(probe, family, "-legacy", Backend::Legacy) {
            Ok(bins) => Ok(Detected {
                knowledge: knowledge(probe, family, Backend::Legacy),
                bins,
            }),
            Err(_) => Err(ApplyError::NoBackend {
                family,
                candidates: format!("{p}-legacy, {p}-nft, {p} (each with -save and -restore)"),
                path: probe.path(),
            }),
        },
    }
}

/// The real machine.
#[derive(Debug, Clone, Default)]
pub struct SystemProbe {
    /// PATH to search; the process environment's when `None`.
    pub path: Option<String>,
}

impl SystemProbe {
    fn search_path(&self) -> String {
        self.path
            .clone()
            .or_else(|| std::env::var("PATH").ok())
            .unwrap_or_default()
    }
}

/// Finds an executable `program` in the `:`-separated `path`.
pub fn find_in_path(program: &str, path: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    path.split(':').filter(|d| !d.is_empty()).find_map(|dir| {
        let candidate = Path::new(dir).join(program);
        let meta = std::fs::metadata(&candidate).ok()?;
        (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then_some(candidate)
    })
}

impl Probe for SystemProbe {
    fn find(&self, program: &str) -> Option<PathBuf> {
        find_in_path(program, &self.search_path())
    }

    fn legacy_tables(&self, family: Family) -> bool {
        let file = match family {
            Family::V4 => "/proc/net/ip_tables_names",
            Family::V6 => "/proc/net/ip6_tables_names",
        };
        // iptables-legacy-save dumps exactly the tables listed here, so this
        // is the "legacy-save prints something" test without the process.
        std::fs::read_to_string(file).is_ok_and(|s| !s.trim().is_empty())
    }

    fn nft_chains(&self, family: Family) -> Option<Vec<(String, String)>> {
        nft::list_chains(family).ok()
    }

    fn plain_backend(&self, iptables: &Path) -> Backend {
        let resolved = std::fs::canonicalize(iptables).unwrap_or_else(|_| iptables.to_path_buf());
        let name = resolved.file_name().and_then(OsStr::to_str).unwrap_or("");
        if name.contains("legacy") {
            return Backend::Legacy;
        }
        if name.contains("nft") {
            return Backend::Nft;
        }
        let version = Command::new(iptables).arg("--version").output();
        match version {
            Ok(out) if String::from_utf8_lossy(&out.stdout).contains("nf_tables") => Backend::Nft,
            _ => Backend::Legacy,
        }
    }

    fn path(&self) -> String {
        self.search_path()
    }
}

#[cfg(test)]
mod tests;
