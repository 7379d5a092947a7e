//! Lists the nf_tables chains of one family over netlink (`NFT_MSG_GETCHAIN`
//! dump), so that a fresh pod network namespace is recognised as free of
//! `ISTIO_*` chains without starting `iptables-nft-save`. The socket is
//! [`super::nfnl`]'s; decoding the kernel's answer is pure and unit-tested.

use std::io;

use super::backend::Family;
use super::nfnl::{
    attr_string, nfproto, nft_type, split, Message, Socket, NLMSG_DONE, NLM_F_DUMP, NLM_F_REQUEST,
};

const NFT_MSG_GETCHAIN: u16 = 4;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;

/// The dump request for the chains of `family`.
pub fn request(family: Family, seq: u32) -> Vec<u8> {
    Message::new(
        nft_type(NFT_MSG_GETCHAIN),
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        nfproto(family),
        0,
    )
    .finish()
}

/// What one datagram of the answer said.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// More datagrams follow.
    More,
    /// The dump is complete.
    Done,
}

/// Decodes one received datagram, appending `(table, chain)` pairs.
pub fn decode(buf: &[u8], out: &mut Vec<(String, String)>) -> io::Result<Decoded> {
    for msg in split(buf)? {
        if msg.kind == NLMSG_DONE {
            return Ok(Decoded::Done);
        }
        match msg.error()? {
            Some(0) => {}
            Some(code) => return Err(io::Error::from_raw_os_error(-code)),
            None => {
                let (mut table, mut chain) = (None, None);
                for (kind, value) in msg.attrs()? {
                    match kind {
                        NFTA_CHAIN_TABLE => table = Some(attr_string(value)),
                        NFTA_CHAIN_NAME => chain = Some(attr_string(value)),
                        _ => {}
                    }
                }
                if let (Some(t), Some(c)) = (table, chain) {
                    out.push((t, c));
                }
            }
        }
    }
    Ok(Decoded::More)
}

/// Every `(table, chain)` of the nf_tables ruleset of `family` in the current
/// network namespace. Fails when nf_tables cannot be reached.
pub fn list_chains(family: Family) -> io::Result<Vec<(String, String)>> {
    let mut socket = Socket::open()?;
    socket.send(&request(family, 1))?;
    let mut chains = Vec::new();
    loop {
        let dgram = socket.recv()?;
        if dgram.is_empty() || decode(dgram, &mut chains)? == Decoded::Done {
            return Ok(chains);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::nfnl::{u16_at, u32_at, NFNL_SUBSYS_NFTABLES, NLMSG_ERROR, NLMSG_HDRLEN};
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
