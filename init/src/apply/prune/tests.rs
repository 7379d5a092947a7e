//! Tests of the pure parts of the empty-table removal.

use super::*;
use crate::apply::nfnl::{u16_at, u32_at, NLMSG_ERROR};

fn table(name: &str, objects: u32) -> NftTable {
    NftTable {
        name: name.into(),
        flags: 0,
        objects,
    }
}

fn base(table: &str, name: &str, policy: u32) -> NftChain {
    NftChain {
        table: table.into(),
        name: name.into(),
        base: true,
        policy: Some(policy),
    }
}

#[test]
fn a_table_of_accept_base_chains_only_can_go() {
    // iptables-nft creates only the base chains it used.
    let chains = [
        base("nat", "OUTPUT", NF_ACCEPT),
        base("nat", "PREROUTING", NF_ACCEPT),
        base("filter", "FORWARD", 0),
    ];
    assert_eq!(judge(&table("nat", 2), &chains), Ok(()));
    assert_eq!(
        judge(&table("mangle", 0), &chains),
        Ok(()),
        "no chain at all"
    );
}

#[test]
fn anything_in_a_table_keeps_it() {
    let nat = table("nat", 2);
    let user = NftChain {
        table: "nat".into(),
        name: "FOREIGN".into(),
        base: false,
        policy: None,
    };
    assert_eq!(
        judge(&nat, &[base("nat", "OUTPUT", NF_ACCEPT), user]),
        Err(Keep::Chain("FOREIGN".into()))
    );
    assert_eq!(
        judge(&table("filter", 1), &[base("filter", "FORWARD", 0)]),
        Err(Keep::Policy("FORWARD".into()))
    );
    // A base chain iptables would not have made (e.g. by `nft`).
    assert_eq!(
        judge(&table("nat", 1), &[base("nat", "postrouting", NF_ACCEPT)]),
        Err(Keep::Chain("postrouting".into()))
    );
    // One chain, but two objects: a set or a stateful object.
    assert_eq!(
        judge(&nat, &[base("nat", "OUTPUT", NF_ACCEPT)]),
        Err(Keep::Objects)
    );
    let dormant = NftTable {
        flags: 1,
        ..table("raw", 0)
    };
    assert_eq!(judge(&dormant, &[]), Err(Keep::Flags(1)));
    assert_eq!(Keep::Rules(3).to_string(), "it holds 3 rule(s)");
}

#[test]
fn candidates_are_the_tables_the_planner_writes() {
    for t in ["filter", "mangle", "nat", "raw"] {
        assert!(candidate(t), "{t}");
    }
    assert!(!candidate("security"));
    assert!(!candidate("firewalld"));
}

#[test]
fn the_batch_is_stamped_with_the_generation_and_deletes_each_table() {
    let tables = vec![
        (Family::V4, "nat".to_string()),
        (Family::V6, "raw".to_string()),
    ];
    let b = delete_batch(0x0102_0304, &tables, 100);
    let msgs = split(&b).unwrap();
    assert_eq!(msgs.len(), 4);
    let begin = &msgs[0];
    assert_eq!((begin.kind, begin.seq), (0x10, 100));
    assert_eq!(
        &begin.body[..4],
        &[0, 0, 0, 10],
        "AF_UNSPEC, res_id nf_tables"
    );
    assert_eq!(begin.attrs().unwrap(), [(1, &[1u8, 2, 3, 4][..])]);
    for (msg, (family, name)) in msgs[1..3].iter().zip(&tables) {
        assert_eq!(msg.kind, 0x0a02, "NFT_MSG_DELTABLE");
        assert_eq!(msg.flags, NLM_F_REQUEST | NLM_F_ACK);
        assert_eq!(msg.body[0], nfproto(*family));
        assert_eq!(msg.attrs().unwrap(), [(1, format!("{name}\0").as_bytes())]);
    }
    assert_eq!((msgs[1].seq, msgs[2].seq), (101, 102));
    assert_eq!((msgs[3].kind, msgs[3].seq), (0x11, 103));
    assert_eq!(u16_at(&b, 6), Some(NLM_F_REQUEST));
    assert_eq!(u32_at(&b, 0), Some(28));
}

fn ack(seq: u32, code: i32) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&36u32.to_ne_bytes());
    m.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
    m.extend_from_slice(&0u16.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(&code.to_ne_bytes());
    m.extend_from_slice(&[0; 16]);
    m
}

fn feed(acks: &mut Acks, seq: u32, code: i32) -> Answer {
    acks.feed(&split(&ack(seq, code)).unwrap()[0]).unwrap()
}

#[test]
fn the_batch_is_committed_when_every_delete_is_acknowledged() {
    let mut acks = Acks::new(100, 2);
    assert_eq!(feed(&mut acks, 101, 0), Answer::Pending);
    assert_eq!(feed(&mut acks, 7, 0), Answer::Pending, "not ours");
    assert_eq!(feed(&mut acks, 102, 0), Answer::Committed);
}

#[test]
fn any_error_refuses_the_whole_batch() {
    let mut stale = Acks::new(100, 2);
    assert_eq!(
        feed(&mut stale, 100, -libc::ERESTART),
        Answer::Refused {
            seq: 100,
            errno: libc::ERESTART
        }
    );
    let mut late = Acks::new(100, 2);
    assert_eq!(feed(&mut late, 101, 0), Answer::Pending);
    assert_eq!(
        feed(&mut late, 102, -libc::EPERM),
        Answer::Refused {
            seq: 102,
            errno: libc::EPERM
        }
    );
}

#[test]
fn errors_name_the_tables_and_families() {
    let e = PruneError::Delete {
        tables: vec![(Family::V6, "nat".into())],
        source: io::Error::from_raw_os_error(libc::EPERM),
    };
    assert_eq!(
        e.to_string(),
        "cannot delete the empty iptables-nft table nat of family ip6 (IPv6): Operation not permitted (os error 1)"
    );
}
