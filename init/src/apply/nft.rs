//! Lists the nf_tables chains of one family over netlink (`NFT_MSG_GETCHAIN`
//! dump), so that a fresh pod network namespace is recognised as free of
//! `ISTIO_*` chains without starting `iptables-nft-save`. The socket code is
//! a thin edge; decoding the kernel's answer is pure and unit-tested.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::backend::Family;

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFT_MSG_GETCHAIN: u16 = 4;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NLA_TYPE_MASK: u16 = 0x3fff;
const NLMSG_HDRLEN: usize = 16;
const NFGENMSG_LEN: usize = 4;
/// Receive buffer: the kernel sizes dump datagrams by the largest read it
/// has seen (at most 32 KiB), so one datagram always fits.
const RECV_BUFFER: usize = 64 * 1024;

fn nfproto(family: Family) -> u8 {
    match family {
        Family::V4 => libc::NFPROTO_IPV4 as u8,
        Family::V6 => libc::NFPROTO_IPV6 as u8,
    }
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// The dump request for the chains of `family`.
pub fn request(family: Family, seq: u32) -> Vec<u8> {
    let len = (NLMSG_HDRLEN + NFGENMSG_LEN) as u32;
    let mut msg = Vec::with_capacity(len as usize);
    msg.extend_from_slice(&len.to_ne_bytes());
    msg.extend_from_slice(&((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN).to_ne_bytes());
    msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    msg.extend_from_slice(&seq.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg.extend_from_slice(&[nfproto(family), 0, 0, 0]);
    msg
}

/// What one datagram of the answer said.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// More datagrams follow.
    More,
    /// The dump is complete.
    Done,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn attr_string(v: &[u8]) -> String {
    let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

/// Decodes one received datagram, appending `(table, chain)` pairs.
pub fn decode(buf: &[u8], out: &mut Vec<(String, String)>) -> io::Result<Decoded> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "malformed netlink answer");
    let mut at = 0;
    while at + NLMSG_HDRLEN <= buf.len() {
        let len = u32_at(buf, at).ok_or_else(bad)? as usize;
        let kind = u16_at(buf, at + 4).ok_or_else(bad)?;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            return Err(bad());
        }
        let body = &buf[at + NLMSG_HDRLEN..at + len];
        match kind {
            NLMSG_DONE => return Ok(Decoded::Done),
            NLMSG_ERROR => {
                let code = u32_at(body, 0).ok_or_else(bad)? as i32;
                if code != 0 {
                    return Err(io::Error::from_raw_os_error(-code));
                }
            }
            _ => {
                let (mut table, mut chain) = (None, None);
                let mut a = NFGENMSG_LEN;
                while a + 4 <= body.len() {
                    let alen = u16_at(body, a).ok_or_else(bad)? as usize;
                    let atype = u16_at(body, a + 2).ok_or_else(bad)? & NLA_TYPE_MASK;
                    if alen < 4 || a + alen > body.len() {
                        return Err(bad());
                    }
                    let value = &body[a + 4..a + alen];
                    match atype {
                        NFTA_CHAIN_TABLE => table = Some(attr_string(value)),
                        NFTA_CHAIN_NAME => chain = Some(attr_string(value)),
                        _ => {}
                    }
                    a += align4(alen);
                }
                if let (Some(t), Some(c)) = (table, chain) {
                    out.push((t, c));
                }
            }
        }
        at += align4(len);
    }
    Ok(Decoded::More)
}

/// Every `(table, chain)` of the nf_tables ruleset of `family` in the current
/// network namespace. Fails when nf_tables cannot be reached.
pub fn list_chains(family: Family) -> io::Result<Vec<(String, String)>> {
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
    let req = request(family, 1);
    // SAFETY: zeroed sockaddr_nl is valid; family set below; kernel is pid 0.
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: buffer and address are valid for the given lengths.
    let sent = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            req.as_ptr().cast(),
            req.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut chains = Vec::new();
    // Not zeroed: the kernel writes what we read, and a fresh namespace
    // answers in a few bytes, so only the pages it touches are ever mapped.
    let mut buf: Vec<u8> = Vec::with_capacity(RECV_BUFFER);
    loop {
        let spare = buf.spare_capacity_mut();
        // SAFETY: `spare` is writable for its length; recv initialises the
        // first `n` bytes it reports.
        let n = unsafe { libc::recv(fd.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: recv wrote `n` <= capacity bytes at the start of the buffer.
        unsafe { buf.set_len(n as usize) };
        if n == 0 || decode(&buf, &mut chains)? == Decoded::Done {
            return Ok(chains);
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(value);
        while a.len() % 4 != 0 {
            a.push(0);
        }
        a
    }

    fn message(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDRLEN + body.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&0x2u16.to_ne_bytes());
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(body);
        m
    }

    fn chain(table: &str, name: &str) -> Vec<u8> {
        let mut body = vec![2, 0, 0, 0];
        body.extend(attr(NFTA_CHAIN_TABLE, format!("{table}\0").as_bytes()));
        body.extend(attr(5, &7u32.to_be_bytes()));
        body.extend(attr(
            NFTA_CHAIN_NAME | 0x8000,
            format!("{name}\0").as_bytes(),
        ));
        message((NFNL_SUBSYS_NFTABLES << 8) | 3, &body)
    }

    #[test]
    fn request_is_a_dump_of_chains_for_the_family() {
        let r = request(Family::V6, 7);
        assert_eq!(r.len(), 20);
        assert_eq!(u16_at(&r, 4), Some(0x0a04));
        assert_eq!(u16_at(&r, 6), Some(0x301));
        assert_eq!(u32_at(&r, 8), Some(7));
        assert_eq!(r[16], 10);
    }

    #[test]
    fn chains_are_decoded_until_done() {
        let mut dgram = chain("nat", "ISTIO_OUTPUT");
        dgram.extend(chain("filter", "INPUT"));
        let mut out = Vec::new();
        assert_eq!(decode(&dgram, &mut out).unwrap(), Decoded::More);
        assert_eq!(
            out,
            [
                ("nat".to_string(), "ISTIO_OUTPUT".to_string()),
                ("filter".to_string(), "INPUT".to_string())
            ]
        );
        assert_eq!(
            decode(&message(NLMSG_DONE, &[0; 4]), &mut out).unwrap(),
            Decoded::Done
        );
    }

    #[test]
    fn kernel_errors_and_garbage_are_errors() {
        let err = message(NLMSG_ERROR, &(-libc::EPERM).to_ne_bytes());
        let e = decode(&err, &mut Vec::new()).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPERM));
        let mut truncated = chain("nat", "X");
        truncated.truncate(truncated.len() - 6);
        assert!(decode(&truncated, &mut Vec::new()).is_err());
    }
}
