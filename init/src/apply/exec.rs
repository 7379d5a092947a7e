//! Running the iptables programs: one `*-save` to read a family's state, one
//! `*-restore --noflush` to change it (payload on stdin). Legacy writes take
//! the xtables lock with `--wait`; in CNI mode (host filesystem, pod network)
//! the lock file is the pod's own, as Istio does it, so that writers in other
//! pods never contend.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::backend::{Backend, Binaries};
use super::error::ApplyError;

/// Bytes a pipe takes without a reader (Linux default).
const PIPE_CAPACITY: usize = 64 * 1024;

/// Seconds a legacy restore waits for the xtables lock.
pub const LOCK_WAIT_SECONDS: u32 = 30;

/// The iptables programs of one family, ready to run.
#[derive(Debug, Clone)]
pub struct Runner {
    pub bins: Binaries,
    /// `XTABLES_LOCKFILE` for legacy writes (CNI mode), else the global lock.
    pub lock_file: Option<PathBuf>,
}

fn program_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Runs `program` with `args`, feeding `stdin`; returns stdout on success.
pub fn run(
    program: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &Path)],
) -> Result<String, ApplyError> {
    let name = program_name(program);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|source| ApplyError::Spawn {
        program: name.clone(),
        source,
    })?;
    let writer = match (stdin, child.stdin.take()) {
        // Fits in the pipe: written at once, no thread (every thread and
        // wake-up costs time on a busy node).
        (Some(text), Some(mut pipe)) if text.len() <= PIPE_CAPACITY => {
            // A write error (EPIPE) only means the child stopped reading; its
            // exit status and stderr below say why.
            let _ = pipe.write_all(text.as_bytes());
            None
        }
        (Some(text), Some(mut pipe)) => {
            let text = text.to_string();
            // A separate writer: the child may print before it has read all input.
            Some(std::thread::spawn(move || pipe.write_all(text.as_bytes())))
        }
        _ => None,
    };
    let out = child
        .wait_with_output()
        .map_err(|source| ApplyError::Spawn {
            program: name.clone(),
            source,
        })?;
    if let Some(w) = writer {
        // A write error (EPIPE) only means the child stopped reading; its exit
        // status and stderr below say why.
        let _ = w.join();
    }
    if !out.status.success() {
        return Err(ApplyError::Command {
            program: format!("{name} {}", args.join(" ")).trim_end().to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Runner {
    /// `iptables-save` of this family.
    pub fn save(&self) -> Result<String, ApplyError> {
        run(&self.bins.save, &[], None, &[])
    }

    /// The arguments of the restore, e.g. `--noflush --wait=30`.
    pub fn restore_args(&self) -> Vec<String> {
        let mut args = vec!["--noflush".to_string()];
        if self.bins.backend == Backend::Legacy {
            args.push(format!("--wait={LOCK_WAIT_SECONDS}"));
        }
        args
    }

    /// `iptables-restore --noflush` of `input`; returns what it printed.
    pub fn restore(&self, input: &str) -> Result<String, ApplyError> {
        let args = self.restore_args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &Path)> = match (&self.lock_file, self.bins.backend) {
            (Some(lock), Backend::Legacy) => vec![("XTABLES_LOCKFILE", lock.as_path())],
            _ => Vec::new(),
        };
        run(&self.bins.restore, &args, Some(input), &env)
    }

    /// Replaces this process by `iptables-restore --noflush` reading `input`
    /// (at most a pipe's capacity) with its output on our stderr, so that
    /// the restore's exit status is ours. Returns only when exec fails.
    pub fn exec_restore(&self, input: &str) -> ApplyError {
        use std::os::fd::AsFd;
        use std::os::unix::process::CommandExt;
        let name = program_name(&self.bins.restore);
        let fail = |source| ApplyError::Spawn {
            program: name.clone(),
            source,
        };
        if input.len() > PIPE_CAPACITY {
            return fail(std::io::Error::other("input larger than a pipe"));
        }
        let (reader, writer) = match std::io::pipe() {
            Ok(ends) => ends,
            Err(e) => return fail(e),
        };
        let mut writer = writer;
        if let Err(e) = writer.write_all(input.as_bytes()) {
            return fail(e);
        }
        drop(writer);
        let out = match std::io::stderr().as_fd().try_clone_to_owned() {
            Ok(fd) => fd,
            Err(e) => return fail(e),
        };
        let mut cmd = Command::new(&self.bins.restore);
        cmd.args(self.restore_args())
            .stdin(Stdio::from(reader))
            .stdout(Stdio::from(out));
        if let (Some(lock), Backend::Legacy) = (&self.lock_file, self.bins.backend) {
            cmd.env("XTABLES_LOCKFILE", lock);
        }
        fail(cmd.exec())
    }

    /// e.g. `iptables-nft-restore --noflush`.
    pub fn restore_command(&self) -> String {
        format!(
            "{} {}",
            program_name(&self.bins.restore),
            self.restore_args().join(" ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::backend::Family;

    fn runner(backend: Backend) -> Runner {
        Runner {
            bins: Binaries {
                family: Family::V4,
                backend,
                iptables: "/bin/true".into(),
                save: "/bin/echo".into(),
                restore: "/bin/cat".into(),
            },
            lock_file: None,
        }
    }

    #[test]
    fn legacy_restores_wait_for_the_lock_and_nft_ones_do_not() {
        assert_eq!(
            runner(Backend::Legacy).restore_args(),
            ["--noflush", "--wait=30"]
        );
        assert_eq!(runner(Backend::Nft).restore_args(), ["--noflush"]);
    }

    #[test]
    fn run_feeds_stdin_and_reports_failures_with_stderr() {
        let out = run(Path::new("/bin/cat"), &[], Some("*nat\nCOMMIT\n"), &[]).unwrap();
        assert_eq!(out, "*nat\nCOMMIT\n");
        let e = run(
            Path::new("/bin/sh"),
            &["-c", "echo boom >&2; exit 3"],
            None,
            &[],
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("exit status: 3") && msg.ends_with("boom"),
            "{msg}"
        );
        let e = run(Path::new("/nonexistent/iptables-restore"), &[], None, &[]).unwrap_err();
        assert!(
            e.to_string().starts_with("cannot run iptables-restore"),
            "{e}"
        );
    }

    #[test]
    fn large_input_and_output_do_not_deadlock() {
        let big = "x".repeat(1 << 20);
        let out = run(Path::new("/bin/cat"), &[], Some(&big), &[]).unwrap();
        assert_eq!(out.len(), big.len());
    }
}
