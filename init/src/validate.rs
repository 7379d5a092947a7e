//! `--run-validation`: proves that the capture rules are in force, as Istio's
//! validator does. It listens on the capture ports (outbound and inbound
//! capture) on loopback, connects from loopback to `127.0.0.6:<probe port>`
//! (`::6` for IPv6), a destination nothing listens on, and waits until a
//! listener accepts a connection whose `SO_ORIGINAL_DST` is that probe
//! address: only a redirect can deliver it there. Run as the proxy user
//! (Istio's validation container runs as 1337), the connection takes the
//! proxy-to-itself path into the inbound capture port. Fails after the probe
//! timeout; `mesh-init` then exits with [`EXIT_CODE`].

use std::io::{self, Write};
use std::mem::{size_of, zeroed};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, TcpListener, TcpStream,
};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;

/// Exit status of a failed validation (Istio's).
pub const EXIT_CODE: i32 = 126;

/// `SO_ORIGINAL_DST` / `IP6T_SO_ORIGINAL_DST` from linux/netfilter_ipv4.h and ipv6.
const SO_ORIGINAL_DST: libc::c_int = 80;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationOptions {
    /// Ports to listen on: the outbound and inbound capture ports.
    pub capture_ports: Vec<u16>,
    /// The original destination port the probe connects to.
    pub probe_port: u16,
    /// Probe over IPv6 (`::1` -> `::6`) instead of IPv4.
    pub ipv6: bool,
    pub timeout: Duration,
}

#[derive(Debug, Error)]
pub enum ValidationError {
    #[error(
        "iptables validation failed: cannot listen on any capture port ({addresses}): {reason}"
    )]
    NoListener { addresses: String, reason: String },
    #[error(
        "iptables validation failed: no connection to {probe} was redirected to a capture port within {timeout:?}; the workload is not ready for Istio"
    )]
    Timeout {
        probe: SocketAddr,
        timeout: Duration,
    },
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_storage is valid; we fill the family's variant.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
            let sin = unsafe {
                &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr.s_addr = u32::from(*a.ip()).to_be();
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in6.
            let sin6 = unsafe {
                &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

fn tcp_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket(2), checked.
    let fd = check(unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn set_int(
    fd: &OwnedFd,
    level: libc::c_int,
    opt: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: valid fd and a live c_int of the right size.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            opt,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

fn bind(fd: &OwnedFd, addr: SocketAddr) -> io::Result<()> {
    let (sa, len) = sockaddr(addr);
    // SAFETY: sa is a valid sockaddr of length len.
    check(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sa as *const libc::sockaddr_storage).cast(),
            len,
        )
    })
    .map(drop)
}

/// Listens on `addr` with address and port reuse, like Istio's validator.
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let fd = tcp_socket(&addr)?;
    set_int(&fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    set_int(&fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
    bind(&fd, addr)?;
    // SAFETY: valid bound socket.
    check(unsafe { libc::listen(fd.as_raw_fd(), 16) })?;
    let l = TcpListener::from(fd);
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Connects from `local` (port chosen by the kernel) to `remote`.
fn connect_from(local: SocketAddr, remote: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let fd = tcp_socket(&remote)?;
    bind(&fd, local)?;
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: valid fd and timeval; Linux bounds a blocking connect by SO_SNDTIMEO.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            (&tv as *const libc::timeval).cast(),
            size_of::<libc::timeval>() as libc::socklen_t,
        )
    })?;
    let (sa, len) = sockaddr(remote);
    // SAFETY: sa is a valid sockaddr of length len.
    check(unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&sa as *const libc::sockaddr_storage).cast(),
            len,
        )
    })?;
    Ok(TcpStream::from(fd))
}

/// The destination a redirected connection was originally sent to.
pub fn original_destination(stream: &TcpStream) -> io::Result<SocketAddr> {
    let v4 = stream.local_addr()?.is_ipv4();
    // SAFETY: zeroed storage is a valid out-parameter.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let level = if v4 { libc::SOL_IP } else { libc::SOL_IPV6 };
    // SAFETY: storage is writable for len bytes.
    check(unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            level,
            SO_ORIGINAL_DST,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    })?;
    Ok(if v4 {
        // SAFETY: the kernel filled a sockaddr_in.
        let sin =
            unsafe { &*(&storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
        SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
            u16::from_be(sin.sin_port),
        ))
    } else {
        // SAFETY: the kernel filled a sockaddr_in6.
        let sin6 =
            unsafe { &*(&storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
        SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(sin6.sin6_addr.s6_addr),
            u16::from_be(sin6.sin6_port),
            0,
            0,
        ))
    })
}

/// The loopback address to listen and connect from, and the probe address.
pub fn addresses(ipv6: bool, probe_port: u16) -> (IpAddr, SocketAddr) {
    if ipv6 {
        (
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            SocketAddr::new(
                IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 6)),
                probe_port,
            ),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 6)), probe_port),
        )
    }
}

/// Runs the validation; `Ok` with the capture port that received the probe.
pub fn run(opts: &ValidationOptions) -> Result<u16, ValidationError> {
    let (local, probe) = addresses(opts.ipv6, opts.probe_port);
    let mut listeners = Vec::new();
    let mut last_error = String::new();
    for port in &opts.capture_ports {
        match listen(SocketAddr::new(local, *port)) {
            Ok(l) => listeners.push((*port, l)),
            Err(e) => last_error = format!("{local}:{port}: {e}"),
        }
    }
    if listeners.is_empty() {
        return Err(ValidationError::NoListener {
            addresses: opts
                .capture_ports
                .iter()
                .map(|p| SocketAddr::new(local, *p).to_string())
                .collect::<Vec<_>>()
                .join(", "),
            reason: last_error,
        });
    }
    let deadline = Instant::now() + opts.timeout;
    let stop = AtomicBool::new(false);
    let found = std::thread::scope(|scope| {
        scope.spawn(|| {
            // The client: one attempt per second, as Istio's does.
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let _ = connect_from(SocketAddr::new(local, 0), probe, Duration::from_millis(500));
                let next = Instant::now() + Duration::from_secs(1);
                while !stop.load(Ordering::Relaxed) && Instant::now() < next.min(deadline) {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        });
        let found = loop {
            if Instant::now() >= deadline {
                break None;
            }
            let mut hit = None;
            for (port, l) in &listeners {
                if let Ok((mut conn, _)) = l.accept() {
                    if let Ok(orig) = original_destination(&conn) {
                        let _ = conn.write_all(orig.port().to_string().as_bytes());
                        if orig == probe {
                            hit = Some(*port);
                        }
                    }
                }
            }
            if hit.is_some() {
                break hit;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        stop.store(true, Ordering::Relaxed);
        found
    });
    found.ok_or(ValidationError::Timeout {
        probe,
        timeout: opts.timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_addresses_follow_istio() {
        assert_eq!(addresses(false, 15002).1.to_string(), "127.0.0.6:15002");
        assert_eq!(addresses(true, 15002).1.to_string(), "[::6]:15002");
        assert_eq!(addresses(true, 1).0, IpAddr::V6(Ipv6Addr::LOCALHOST));
    }

    #[test]
    fn a_connection_that_was_not_redirected_has_no_usable_original_destination() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let _c = TcpStream::connect(addr).unwrap();
        let (s, _) = l.accept().unwrap();
        // Without NAT the kernel either has no conntrack entry (error) or
        // reports the address the connection really went to; never the probe.
        if let Ok(orig) = original_destination(&s) {
            assert_eq!(orig, addr);
        }
    }

    #[test]
    fn without_capture_rules_validation_times_out() {
        let opts = ValidationOptions {
            capture_ports: vec![0],
            probe_port: 1,
            ipv6: false,
            timeout: Duration::from_millis(300),
        };
        let e = run(&opts).unwrap_err();
        assert!(matches!(e, ValidationError::Timeout { .. }), "{e}");
        assert!(e.to_string().contains("127.0.0.6:1"));
    }
}
