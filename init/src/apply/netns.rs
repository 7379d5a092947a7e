//! Entering the network namespace named by `--network-namespace` (a path
//! such as `/var/run/netns/<name>` or `/proc/<pid>/ns/net`) before anything
//! else runs, so that detection, iptables and validation all act on it.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Moves the calling thread into the network namespace at `path`. Call it
/// from the main thread before starting any other thread: threads and child
/// processes inherit the namespace of the thread that creates them.
pub fn enter(path: &Path) -> io::Result<()> {
    let ns = File::open(path)?;
    // SAFETY: setns(2) on a descriptor we hold open for the duration of the call.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_is_not_a_namespace_is_refused() {
        assert!(enter(Path::new("/nonexistent/netns")).is_err());
        // A regular file opens but is not a namespace: EINVAL, and we stay put.
        let e = enter(Path::new("/proc/self/status")).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    }
}
