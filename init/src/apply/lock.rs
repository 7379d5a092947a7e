//! A lock held by one mesh-init run per network namespace, so that two runs
//! in the same pod serialize instead of racing (iptables-nft can otherwise
//! replay a losing transaction and commit the rules twice). The lock is an
//! abstract unix socket name: abstract names are scoped to the network
//! namespace, need no filesystem (init containers often have a read-only
//! one) and are released by the kernel when the holder exits, even on a crash.

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// The abstract socket name (after the leading NUL).
pub const NAME: &[u8] = b"mesh-init/istio-iptables.lock";

/// How long a run waits for another run to finish.
pub const WAIT: Duration = Duration::from_secs(30);

/// Held until dropped.
#[derive(Debug)]
pub struct NetnsLock {
    _socket: OwnedFd,
}

fn try_bind(name: &[u8]) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2), checked below.
    let raw = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: zeroed sockaddr_un is valid.
    let mut addr: libc::sockaddr_un = unsafe { zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // sun_path[0] stays NUL: an abstract name.
    for (dst, src) in addr.sun_path[1..].iter_mut().zip(name) {
        *dst = *src as libc::c_char;
    }
    let len = size_of::<libc::sa_family_t>() + 1 + name.len();
    // SAFETY: addr is a valid sockaddr_un of at least `len` bytes.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_un).cast(),
            len as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

impl NetnsLock {
    /// Lets the lock survive `exec`, so that the program this process
    /// becomes holds it until it exits.
    pub fn keep_across_exec(&self) -> io::Result<()> {
        // SAFETY: F_SETFD on a descriptor we own.
        if unsafe { libc::fcntl(self._socket.as_raw_fd(), libc::F_SETFD, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Takes the lock named `name`, waiting up to `wait` while another process
/// of this network namespace holds it.
pub fn acquire_named(name: &[u8], wait: Duration) -> io::Result<NetnsLock> {
    let deadline = Instant::now() + wait;
    loop {
        match try_bind(name) {
            Ok(socket) => return Ok(NetnsLock { _socket: socket }),
            Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                    "another mesh-init run in this network namespace held the lock for {wait:?}"
                ),
                ))
            }
            Err(e) => return Err(e),
        }
    }
}

/// Takes mesh-init's lock for the current network namespace.
pub fn acquire() -> io::Result<NetnsLock> {
    acquire_named(NAME, WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_excludes_a_second_holder_until_released() {
        let name = format!("mesh-init-test-lock-{}", std::process::id());
        let held = acquire_named(name.as_bytes(), Duration::ZERO).unwrap();
        let e = acquire_named(name.as_bytes(), Duration::from_millis(20)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        drop(held);
        assert!(acquire_named(name.as_bytes(), Duration::ZERO).is_ok());
    }

    #[test]
    fn a_waiter_gets_the_lock_when_the_holder_lets_go() {
        let name = format!("mesh-init-test-wait-{}", std::process::id());
        let held = acquire_named(name.as_bytes(), Duration::ZERO).unwrap();
        let waiter = std::thread::spawn({
            let name = name.clone();
            move || acquire_named(name.as_bytes(), Duration::from_secs(5)).map(drop)
        });
        std::thread::sleep(Duration::from_millis(30));
        drop(held);
        waiter.join().unwrap().unwrap();
    }
}
