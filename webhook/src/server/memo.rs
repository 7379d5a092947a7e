//! Remembered admission decisions. A ReplicaSet's pods reach the webhook identical (no name
//! yet, no uid), so the server can answer the second one with the first one's decision
//! instead of running the engine again.
//!
//! What a decision depends on is all in its key or its epoch, and nothing else is used:
//! - the key: the pod (`request.object`, as serialised JSON: equal bytes are the same object
//!   with its fields in the same order), `request.namespace`, the URL path, the revision
//!   served, and the pod's Namespace object when one is looked up (OpenShift);
//! - the epoch: the configuration in force (by its generation: each change is a new, larger
//!   one) and the node list (by content). A request under a newer configuration or another
//!   node list empties the memo; one under an older configuration (it read the configuration
//!   just before a change) leaves it alone; a decision is only stored under the epoch it was
//!   computed in.
//!
//! The caller uses the memo only when no template calls a function whose result can change
//! for the same arguments ([`crate::template::Templates::deterministic`]), and only stores
//! decisions of a completed review (not panics, not "no configuration yet"). Memory is
//! bounded: at most `budget` bytes of keys and answers, the least recently used dropped first,
//! and no single entry over a sixteenth of the budget.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::admission::Decision;
use crate::config::NodeInfo;
use crate::metrics::{FailureReason, Verdict};

/// What every decision in the memo was computed under.
#[derive(Debug, Clone, Copy)]
pub struct Epoch<'a> {
    /// The generation of the configuration in force ([`crate::watch::Loaded::generation`]).
    pub generation: u64,
    pub nodes: Option<&'a Arc<Vec<NodeInfo>>>,
}

/// The key of one review: every request input the decision depends on.
pub fn key(
    path: &str,
    revision: &str,
    request_namespace: &str,
    namespace_object: Option<&Value>,
    pod: &Value,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    for part in [path, revision, request_namespace] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    match namespace_object {
        Some(ns) => {
            let bytes = serde_json::to_vec(ns).expect("a JSON value always serialises");
            out.push(1);
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(&bytes);
        }
        None => out.push(0),
    }
    serde_json::to_writer(&mut out, pod).expect("a JSON value always serialises");
    out
}

/// Whether a decision may be given again: not a caught panic, not an answer about the
/// server's own state.
pub fn storable(decision: &Decision) -> bool {
    !matches!(
        decision.verdict,
        Verdict::Failed(FailureReason::Panic | FailureReason::NotReady)
    )
}

/// The memo; shared by all requests.
#[derive(Debug)]
pub struct Memo {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The configuration generation of the decisions held (0: none yet).
    generation: u64,
    nodes: Option<Arc<Vec<NodeInfo>>>,
    entries: HashMap<Arc<[u8]>, Slot>,
    /// Entries by last use, oldest first.
    lru: BTreeMap<u64, Arc<[u8]>>,
    tick: u64,
    bytes: usize,
}

#[derive(Debug)]
struct Slot {
    decision: Decision,
    used: u64,
    bytes: usize,
}

fn same_nodes(a: Option<&Arc<Vec<NodeInfo>>>, b: Option<&Arc<Vec<NodeInfo>>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
        _ => false,
    }
}

fn size(key: &[u8], d: &Decision) -> usize {
    let answer = match &d.answer {
        crate::admission::Answer::Allow => 0,
        crate::admission::Answer::Patch(p) => p.len(),
        crate::admission::Answer::Deny(m) => m.len(),
    };
    // The key is held twice (map and order) by one allocation; the rest is bookkeeping.
    key.len()
        + answer
        + d.reason.len()
        + d.namespace.len()
        + d.pod.len()
        + d.warnings.iter().map(String::len).sum::<usize>()
        + 256
}

impl Inner {
    /// Whether the memo holds decisions of `epoch`.
    fn is(&self, epoch: &Epoch<'_>) -> bool {
        self.generation == epoch.generation && same_nodes(self.nodes.as_ref(), epoch.nodes)
    }

    /// Moves to `epoch`, forgetting every decision of another one; `false` (and nothing
    /// forgotten) when `epoch`'s configuration is older than the one held.
    fn enter(&mut self, epoch: &Epoch<'_>) -> bool {
        if epoch.generation < self.generation {
            return false;
        }
        if !self.is(epoch) {
            self.entries.clear();
            self.lru.clear();
            self.bytes = 0;
            self.generation = epoch.generation;
        }
        // Equal node lists: keep the newer one, so the next check is a pointer comparison.
        self.nodes = epoch.nodes.cloned();
        true
    }

    fn touch(&mut self, key: &[u8]) -> Option<&Slot> {
        self.tick += 1;
        let tick = self.tick;
        let slot = self.entries.get_mut(key)?;
        let k = self
            .lru
            .remove(&slot.used)
            .expect("every entry is in the order");
        slot.used = tick;
        self.lru.insert(tick, k);
        Some(slot)
    }
}

impl Memo {
    /// A memo of at most `budget` bytes (0: keeps nothing).
    pub fn new(budget: usize) -> Memo {
        Memo {
            budget,
            inner: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The decision remembered for `key` under `epoch`.
    pub fn get(&self, epoch: &Epoch<'_>, key: &[u8]) -> Option<Decision> {
        let mut inner = self.lock();
        if !inner.enter(epoch) {
            return None;
        }
        inner.touch(key).map(|s| s.decision.clone())
    }

    /// Remembers `decision` for `key`, if it was computed under the epoch in force and fits.
    pub fn put(&self, epoch: &Epoch<'_>, key: Vec<u8>, decision: &Decision) {
        let bytes = size(&key, decision);
        if bytes > self.budget / 16 || !storable(decision) {
            return;
        }
        let mut inner = self.lock();
        if !inner.is(epoch) || inner.touch(&key).is_some() {
            return;
        }
        while inner.bytes + bytes > self.budget {
            let Some((_, oldest)) = inner.lru.pop_first() else {
                break;
            };
            let gone = inner
                .entries
                .remove(&oldest)
                .expect("ordered entries exist");
            inner.bytes -= gone.bytes;
        }
        let key: Arc<[u8]> = key.into();
        let used = inner.tick;
        inner.lru.insert(used, key.clone());
        inner.entries.insert(
            key,
            Slot {
                decision: decision.clone(),
                used,
                bytes,
            },
        );
        inner.bytes += bytes;
    }

    /// Decisions held, and their bytes as counted against the budget.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::Answer;
    use serde_json::json;

    fn decision(patch: &str) -> Decision {
        Decision {
            answer: Answer::Patch(patch.as_bytes().to_vec()),
            verdict: Verdict::Injected,
            reason: String::new(),
            namespace: "ns".into(),
            pod: "p-***".into(),
            warnings: vec!["w".into()],
        }
    }

    fn pod(label: &str) -> Value {
        json!({"metadata": {"generateName": "p-", "labels": {"app": label}}})
    }

    #[test]
    fn keys_tell_apart_every_input() {
        let base = key("/inject", "default", "ns", None, &pod("a"));
        let others = [
            key("/inject/net/n1", "default", "ns", None, &pod("a")),
            key("/inject", "canary", "ns", None, &pod("a")),
            key("/inject", "default", "other", None, &pod("a")),
            key("/inject", "default", "ns", Some(&json!({})), &pod("a")),
            key("/inject", "default", "ns", None, &pod("b")),
            // Same fields, another order.
            key(
                "/inject",
                "default",
                "ns",
                None,
                &json!({"metadata": {"labels": {"app": "a"}, "generateName": "p-"}}),
            ),
            // Parts do not run into each other.
            key("/inject", "defaultns", "", None, &pod("a")),
        ];
        for o in &others {
            assert_ne!(&base, o);
        }
        assert_eq!(base, key("/inject", "default", "ns", None, &pod("a")));
    }

    #[test]
    fn gives_back_what_was_stored_under_the_same_epoch_only() {
        let nodes = Arc::new(vec![NodeInfo {
            name: "n".into(),
            kubelet_version: "v1.33.0".into(),
        }]);
        let memo = Memo::new(1 << 20);
        let e1 = Epoch {
            generation: 1,
            nodes: Some(&nodes),
        };
        let k = key("/inject", "default", "ns", None, &pod("a"));
        assert!(memo.get(&e1, &k).is_none());
        memo.put(&e1, k.clone(), &decision("[1]"));
        let got = memo.get(&e1, &k).unwrap();
        assert_eq!(got.answer, Answer::Patch(b"[1]".to_vec()));
        assert_eq!(got.warnings, ["w"]);

        // The same node list in a new snapshot is the same epoch.
        let same_nodes = Arc::new((*nodes).clone());
        let e1b = Epoch {
            generation: 1,
            nodes: Some(&same_nodes),
        };
        assert!(memo.get(&e1b, &k).is_some());

        // Another node list or another configuration forgets everything.
        let newer = Arc::new(vec![NodeInfo {
            name: "n".into(),
            kubelet_version: "v1.27.0".into(),
        }]);
        let e_nodes = Epoch {
            generation: 1,
            nodes: Some(&newer),
        };
        assert!(memo.get(&e_nodes, &k).is_none());
        memo.put(&e_nodes, k.clone(), &decision("[2]"));
        let e2 = Epoch {
            generation: 2,
            nodes: Some(&newer),
        };
        assert!(memo.get(&e2, &k).is_none());
        assert_eq!(memo.usage().0, 0);

        // A decision computed under an epoch no longer in force is not stored.
        memo.put(&e_nodes, k.clone(), &decision("[3]"));
        assert!(memo.get(&e2, &k).is_none());

        // A request that read the older configuration just before the change neither finds
        // nor forgets the newer decisions.
        memo.put(&e2, k.clone(), &decision("[4]"));
        assert!(memo.get(&e_nodes, &k).is_none());
        memo.put(&e_nodes, k.clone(), &decision("[5]"));
        assert_eq!(
            memo.get(&e2, &k).unwrap().answer,
            Answer::Patch(b"[4]".to_vec())
        );
    }

    #[test]
    fn stays_within_its_budget_dropping_the_least_recently_used() {
        let e = Epoch {
            generation: 1,
            nodes: None,
        };
        let memo = Memo::new(8 * 1024);
        let keys: Vec<Vec<u8>> = (0..40)
            .map(|i| key("/inject", "", "ns", None, &pod(&i.to_string())))
            .collect();
        // As the server does: a look-up first (which enters the epoch), then the decision.
        assert!(memo.get(&e, &keys[0]).is_none());
        memo.put(&e, keys[0].clone(), &decision("[0]"));
        for (i, k) in keys.iter().enumerate().skip(1) {
            memo.put(&e, k.clone(), &decision(&format!("[{i}]")));
            // Keep the first one in use.
            assert!(memo.get(&e, &keys[0]).is_some(), "entry 0 after {i}");
            let (_, bytes) = memo.usage();
            assert!(bytes <= 8 * 1024, "{bytes}");
        }
        let (n, _) = memo.usage();
        assert!(n < 40 && n > 4, "{n}");
        assert!(
            memo.get(&e, &keys[1]).is_none(),
            "the oldest unused went first"
        );
        assert!(memo.get(&e, &keys[39]).is_some());
        // Too large for the budget: not stored.
        let big = decision(&"x".repeat(2048));
        memo.put(&e, keys[1].clone(), &big);
        assert!(memo.get(&e, &keys[1]).is_none());
    }

    #[test]
    fn does_not_store_panics_or_not_ready() {
        let e = Epoch {
            generation: 1,
            nodes: None,
        };
        let memo = Memo::new(1 << 20);
        assert!(memo.get(&e, b"").is_none());
        for reason in [FailureReason::Panic, FailureReason::NotReady] {
            let mut d = decision("");
            d.answer = Answer::Deny("x".into());
            d.verdict = Verdict::Failed(reason);
            let k = key("/inject", "", "ns", None, &pod("a"));
            memo.put(&e, k.clone(), &d);
            assert!(memo.get(&e, &k).is_none());
        }
        let mut d = decision("");
        d.answer = Answer::Deny("bad annotation".into());
        d.verdict = Verdict::Failed(FailureReason::Injection);
        let k = key("/inject", "", "ns", None, &pod("b"));
        memo.put(&e, k.clone(), &d);
        assert_eq!(memo.get(&e, &k).unwrap().answer, d.answer);
    }
}
