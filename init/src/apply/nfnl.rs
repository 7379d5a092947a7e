//! nfnetlink plumbing for the nf_tables subsystem: encoding requests (header,
//! `nfgenmsg`, attributes), splitting the kernel's datagrams into messages
//! and attributes, and a blocking `NETLINK_NETFILTER` socket with dumps.
//! Used by detection ([`super::nft`]), to read the ruleset
//! ([`super::ruleset`]) and to delete emptied tables ([`super::prune`]).
//! Encoding and decoding are pure and unit-tested; the socket is a thin edge.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::backend::Family;

pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
pub const NFNL_MSG_BATCH_END: u16 = 0x11;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
const NLA_TYPE_MASK: u16 = 0x3fff;
pub const NLMSG_HDRLEN: usize = 16;
pub const NFGENMSG_LEN: usize = 4;
/// Receive buffer: the kernel sizes dump datagrams by the largest read it
/// has seen (at most 32 KiB), so one datagram always fits.
const RECV_BUFFER: usize = 64 * 1024;

/// The nf_tables family iptables-nft uses for `family`.
pub fn nfproto(family: Family) -> u8 {
    match family {
        Family::V4 => libc::NFPROTO_IPV4 as u8,
        Family::V6 => libc::NFPROTO_IPV6 as u8,
    }
}

/// The nf_tables name of that family, as `nft` prints it.
pub fn nft_family(family: Family) -> &'static str {
    match family {
        Family::V4 => "ip",
        Family::V6 => "ip6",
    }
}

/// The message type of nf_tables message `msg`.
pub fn nft_type(msg: u16) -> u16 {
    (NFNL_SUBSYS_NFTABLES << 8) | msg
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

pub fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A big-endian `u32` attribute value.
pub fn be32(v: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(v.get(..4)?.try_into().ok()?))
}

/// A NUL-terminated string attribute value.
pub fn attr_string(v: &[u8]) -> String {
    let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

fn malformed() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "malformed netlink answer")
}

/// One outgoing message: netlink header, `nfgenmsg`, attributes.
#[derive(Debug, Clone)]
pub struct Message {
    buf: Vec<u8>,
}

impl Message {
    /// `res_id` is given in host order and sent big-endian, as the kernel reads it.
    pub fn new(kind: u16, flags: u16, seq: u32, family: u8, res_id: u16) -> Message {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.push(family);
        buf.push(0);
        buf.extend_from_slice(&res_id.to_be_bytes());
        Message { buf }
    }

    pub fn attr(mut self, kind: u16, value: &[u8]) -> Message {
        self.buf
            .extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(value);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    /// A NUL-terminated string attribute.
    pub fn attr_str(self, kind: u16, value: &str) -> Message {
        let mut v = value.as_bytes().to_vec();
        v.push(0);
        self.attr(kind, &v)
    }

    pub fn attr_be32(self, kind: u16, value: u32) -> Message {
        self.attr(kind, &value.to_be_bytes())
    }

    /// The encoded message, its length filled in.
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

/// Attributes as `(type, value)`.
pub type Attrs<'a> = Vec<(u16, &'a [u8])>;

/// One received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    /// Everything after the netlink header.
    pub body: &'a [u8],
}

impl<'a> Received<'a> {
    /// For `NLMSG_ERROR`: the error code (0 for an acknowledgement).
    pub fn error(&self) -> io::Result<Option<i32>> {
        if self.kind != NLMSG_ERROR {
            return Ok(None);
        }
        Ok(Some(u32_at(self.body, 0).ok_or_else(malformed)? as i32))
    }

    /// The attributes after the `nfgenmsg`, as `(type, value)`.
    pub fn attrs(&self) -> io::Result<Attrs<'a>> {
        let body = self.body;
        let mut out = Vec::new();
        let mut a = NFGENMSG_LEN;
        while a + 4 <= body.len() {
            let len = u16_at(body, a).ok_or_else(malformed)? as usize;
            let kind = u16_at(body, a + 2).ok_or_else(malformed)? & NLA_TYPE_MASK;
            if len < 4 || a + len > body.len() {
                return Err(malformed());
            }
            out.push((kind, &body[a + 4..a + len]));
            a += align4(len);
        }
        Ok(out)
    }
}

/// Splits one datagram into its messages.
pub fn split(buf: &[u8]) -> io::Result<Vec<Received<'_>>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= buf.len() {
        let len = u32_at(buf, at).ok_or_else(malformed)? as usize;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            return Err(malformed());
        }
        out.push(Received {
            kind: u16_at(buf, at + 4).ok_or_else(malformed)?,
            flags: u16_at(buf, at + 6).ok_or_else(malformed)?,
            seq: u32_at(buf, at + 8).ok_or_else(malformed)?,
            body: &buf[at + NLMSG_HDRLEN..at + len],
        });
        at += align4(len);
    }
    Ok(out)
}

/// A `NETLINK_NETFILTER` socket talking to the kernel of the current
/// network namespace; reads give up after two seconds.
#[derive(Debug)]
pub struct Socket {
    fd: OwnedFd,
    // Not zeroed: the kernel writes what we read, and a fresh namespace
    // answers in a few bytes, so only the pages it touches are ever mapped.
    buf: Vec<u8>,
}

impl Socket {
    pub fn open() -> io::Result<Socket> {
        // SAFETY: plain socket(2); the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_NETFILTER,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let timeout = libc::timeval {
            tv_sec: 2,
            tv_usec: 0,
        };
        // SAFETY: valid fd, option value points to a live timeval of the right size.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        Ok(Socket {
            fd,
            buf: Vec::with_capacity(RECV_BUFFER),
        })
    }

    /// Sends `msg` (one or more messages) to the kernel in one datagram.
    pub fn send(&self, msg: &[u8]) -> io::Result<()> {
        // SAFETY: zeroed sockaddr_nl is valid; family set below; kernel is pid 0.
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: buffer and address are valid for the given lengths.
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                msg.as_ptr().cast(),
                msg.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Receives one datagram; empty when the kernel closed the exchange.
    pub fn recv(&mut self) -> io::Result<&[u8]> {
        self.buf.clear();
        let spare = self.buf.spare_capacity_mut();
        // SAFETY: `spare` is writable for its length; recv initialises the
        // first `n` bytes it reports.
        let n = unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                spare.as_mut_ptr().cast(),
                spare.len(),
                0,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: recv wrote `n` <= capacity bytes at the start of the buffer.
        unsafe { self.buf.set_len(n as usize) };
        Ok(&self.buf)
    }

    /// Sends a dump request and hands every answer message to `each` until
    /// the dump is complete; a kernel error ends it as an error.
    pub fn dump(
        &mut self,
        request: &[u8],
        mut each: impl FnMut(&Received<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.send(request)?;
        loop {
            let dgram = self.recv()?;
            if dgram.is_empty() {
                return Ok(());
            }
            for msg in split(dgram)? {
                match (msg.kind, msg.error()?) {
                    (NLMSG_DONE, _) => return Ok(()),
                    (_, Some(0)) => {}
                    (_, Some(code)) => return Err(io::Error::from_raw_os_error(-code)),
                    (_, None) => each(&msg)?,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_encode_header_nfgenmsg_and_padded_attributes() {
        let m = Message::new(nft_type(2), NLM_F_REQUEST | NLM_F_ACK, 9, 10, 0)
            .attr_str(1, "nat")
            .attr_be32(2, 0x0102_0304)
            .finish();
        assert_eq!(m.len(), 16 + 4 + 8 + 8);
        assert_eq!(u32_at(&m, 0), Some(36));
        assert_eq!(u16_at(&m, 4), Some(0x0a02));
        assert_eq!(u16_at(&m, 6), Some(0x5));
        assert_eq!(u32_at(&m, 8), Some(9));
        assert_eq!(&m[16..20], &[10, 0, 0, 0]);
        assert_eq!(&m[20..28], &[8, 0, 1, 0, b'n', b'a', b't', 0][..]);
        assert_eq!(&m[32..36], &[1, 2, 3, 4]);
        let batch = Message::new(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 1, 0, 10).finish();
        assert_eq!(&batch[16..20], &[0, 0, 0, 10], "res_id is big-endian");
    }

    #[test]
    fn datagrams_split_into_messages_and_attributes() {
        let mut dgram = Message::new(nft_type(3), 2, 5, 2, 0)
            .attr_str(1, "filter")
            .attr(3 | 0x8000, &[7, 0, 0, 0])
            .finish();
        dgram.extend(Message::new(NLMSG_ERROR, 0, 6, 0, 0).finish());
        let msgs = split(&dgram).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!((msgs[0].kind, msgs[0].seq), (0x0a03, 5));
        let attrs = msgs[0].attrs().unwrap();
        assert_eq!(attr_string(attrs[0].1), "filter");
        assert_eq!(attrs[1].0, 3, "the nested flag is masked off");
        assert_eq!(msgs[0].error().unwrap(), None);
        assert_eq!(msgs[1].error().unwrap(), Some(0));
        assert_eq!(be32(&[0, 0, 1, 0]), Some(256));
    }

    #[test]
    fn garbage_is_an_error() {
        let mut m = Message::new(nft_type(3), 0, 1, 2, 0)
            .attr_str(1, "nat")
            .finish();
        m.truncate(m.len() - 2);
        assert!(split(&m).is_err());
        let mut lying = Message::new(nft_type(3), 0, 1, 2, 0)
            .attr_str(1, "nat")
            .finish();
        lying[20] = 40;
        assert!(split(&lying).unwrap()[0].attrs().is_err());
    }
}
