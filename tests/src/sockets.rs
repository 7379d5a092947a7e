//! Listeners and connections inside a network namespace. Every accepted
//! connection is answered with one line naming the listener, the local
//! address it arrived at and its `SO_ORIGINAL_DST`, so the connecting side
//! learns exactly where its connection ended up. Connections can be opened
//! as another user: the connecting thread changes its filesystem uid and gid,
//! which is what the kernel stamps on the socket and `-m owner` matches.

use std::io::{BufRead, BufReader, Write};
use std::mem::{size_of, zeroed};
use std::net::{
    Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, TcpListener, TcpStream,
};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::netns::{enter, Netns};

/// How long a connection attempt and its answer may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(3);

const SO_ORIGINAL_DST: libc::c_int = 80;

/// The original destination of a NATed connection, if conntrack knows one.
pub fn original_dst(s: &TcpStream) -> Option<SocketAddr> {
    let v4 = s.local_addr().ok()?.is_ipv4();
    // SAFETY: zeroed sockaddr_storage is a valid out-parameter.
    let mut st: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let level = if v4 { libc::SOL_IP } else { libc::SOL_IPV6 };
    // SAFETY: st is writable for len bytes.
    let rc = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            level,
            SO_ORIGINAL_DST,
            (&mut st as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return None;
    }
    Some(if v4 {
        // SAFETY: the kernel wrote a sockaddr_in.
        let a = unsafe { &*(&st as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
        SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
            u16::from_be(a.sin_port),
        ))
    } else {
        // SAFETY: the kernel wrote a sockaddr_in6.
        let a = unsafe { &*(&st as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
        SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(a.sin6_addr.s6_addr),
            u16::from_be(a.sin6_port),
            0,
            0,
        ))
    })
}

/// A listener answering every connection with its tag; stopped on drop.
#[derive(Debug)]
pub struct Server {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// Starts a [`Server`] on `addr` inside `ns`.
pub fn serve(ns: &Netns, addr: SocketAddr, tag: &str) -> Server {
    let (path, tag) = (ns.path(), tag.to_string());
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = mpsc::channel();
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        enter(&path);
        let listener =
            match TcpListener::bind(addr).and_then(|l| l.set_nonblocking(true).map(|()| l)) {
                Ok(l) => {
                    let _ = ready_tx.send(Ok(()));
                    l
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot listen on {addr} in {path}: {e}")));
                    return;
                }
            };
        while !flag.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((mut conn, _)) => {
                    let local = conn.local_addr().map(|a| a.to_string()).unwrap_or_default();
                    let orig =
                        original_dst(&conn).map_or_else(|| "-".to_string(), |a| a.to_string());
                    let _ = conn.set_nonblocking(false);
                    let _ = conn.write_all(format!("{tag} {local} {orig}\n").as_bytes());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    ready_rx
        .recv_timeout(IO_TIMEOUT)
        .expect("listener thread did not start")
        .unwrap_or_else(|e| panic!("{e}"));
    Server {
        stop,
        handle: Some(handle),
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Where a connection ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Tag of the listener that accepted it.
    pub tag: String,
    /// Address the listener saw the connection arrive at.
    pub local: SocketAddr,
    /// Its `SO_ORIGINAL_DST`, when conntrack has one.
    pub original: Option<SocketAddr>,
}

fn parse_reply(line: &str) -> Result<Reply, String> {
    let mut w = line.split_whitespace();
    let (Some(tag), Some(local), Some(orig)) = (w.next(), w.next(), w.next()) else {
        return Err(format!("malformed answer {line:?}"));
    };
    Ok(Reply {
        tag: tag.to_string(),
        local: local
            .parse()
            .map_err(|e| format!("bad address in {line:?}: {e}"))?,
        original: orig.parse().ok(),
    })
}

/// Connects from inside `ns` to `dst`, as `uid` (uid and gid) when given,
/// and returns where the connection was accepted.
pub fn connect(ns: &Netns, uid: Option<u32>, dst: SocketAddr) -> Result<Reply, String> {
    ns.run(move || {
        if let Some(id) = uid {
            // Per-thread filesystem ids: the credentials a new socket is stamped with.
            // SAFETY: raw syscalls affecting only this (dedicated) thread.
            unsafe {
                libc::syscall(libc::SYS_setfsgid, id);
                libc::syscall(libc::SYS_setfsuid, id);
            }
        }
        let stream = TcpStream::connect_timeout(&dst, IO_TIMEOUT)
            .map_err(|e| format!("connect to {dst}: {e}"))?;
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        BufReader::new(stream)
            .read_line(&mut line)
            .map_err(|e| format!("no answer from {dst}: {e}"))?;
        parse_reply(&line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip() {
        let r = parse_reply("proxy-outbound 127.0.0.1:15001 10.77.0.1:8080\n").unwrap();
        assert_eq!(r.tag, "proxy-outbound");
        assert_eq!(r.original, Some("10.77.0.1:8080".parse().unwrap()));
        assert_eq!(parse_reply("peer [fd77::1]:8080 -").unwrap().original, None);
        assert!(parse_reply("garbage").is_err());
    }
}
