//! One AdmissionReview from body to answer, in two steps so that a large review's engine run
//! can go to a blocking thread: [`prepare`] decodes the review and answers what needs no engine (an
//! undecodable body, the no-op responder, no configuration yet, a decision remembered in
//! [`super::memo`]); otherwise it hands back a [`Job`], whose [`Job::run`] runs the engine,
//! remembers the decision and encodes the answer.

use std::sync::Arc;

use crate::admission::{self, Answer, Context, Decision, Request};
use crate::config::NodeInfo;
use crate::metrics::{FailureReason, Verdict};
use crate::watch::{Loaded, NamespaceLookup};

use super::memo;
use super::routes::AppState;

/// The answer to one review, with what the log and the metrics need.
#[derive(Debug)]
pub struct Outcome {
    /// The encoded response AdmissionReview.
    pub bytes: Vec<u8>,
    pub uid: String,
    pub decision: Decision,
    /// Whether the decision was a remembered one.
    pub remembered: bool,
}

/// What [`prepare`] leaves to do.
#[derive(Debug)]
pub enum Step {
    Done(Outcome),
    Engine(Job),
}

/// A decoded review that needs the engine, with the configuration and cluster facts of the
/// moment it arrived.
pub struct Job {
    req: Request,
    path: String,
    loaded: Arc<Loaded>,
    nodes: Option<Arc<Vec<NodeInfo>>>,
    lookup: Option<NamespaceLookup>,
    /// Its memo key, when the memo is in use for it.
    key: Option<Vec<u8>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("uid", &self.req.uid)
            .field("path", &self.path)
            .field("memo", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

fn refusal(reason: FailureReason, msg: String, namespace: String) -> Decision {
    Decision {
        answer: Answer::Deny(msg.clone()),
        verdict: Verdict::Failed(reason),
        reason: msg,
        namespace,
        pod: String::new(),
        warnings: Vec::new(),
    }
}

fn finish(req_version: &str, uid: String, decision: Decision, remembered: bool) -> Outcome {
    Outcome {
        bytes: admission::encode(Some(req_version), &uid, &decision.answer),
        uid,
        decision,
        remembered,
    }
}

/// The answer when the work itself panicked outside the engine's own guard.
pub fn panicked(error: &dyn std::fmt::Display) -> Outcome {
    let msg = format!("injection failed: internal error: {error}");
    let decision = refusal(FailureReason::Panic, msg, String::new());
    Outcome {
        bytes: admission::encode(None, "", &decision.answer),
        uid: String::new(),
        decision,
        remembered: false,
    }
}

/// Decodes `body` and answers it when no engine run is needed.
pub fn prepare(st: &AppState, body: &[u8], path: &str) -> Step {
    let req = match admission::decode(body) {
        Ok(r) => r,
        Err(u) => {
            let d = refusal(FailureReason::Decode, u.error.to_string(), String::new());
            return Step::Done(Outcome {
                bytes: admission::encode(u.api_version, &u.uid, &d.answer),
                uid: u.uid,
                decision: d,
                remembered: false,
            });
        }
    };
    let uid = req.uid.clone();
    if st.noop {
        let d = Decision {
            answer: Answer::Allow,
            verdict: Verdict::Skipped,
            reason: "no-op responder".into(),
            namespace: req.namespace,
            pod: String::new(),
            warnings: Vec::new(),
        };
        return Step::Done(finish(req.api_version, uid, d, false));
    }
    let Some(loaded) = st.store.current() else {
        let msg = "injection failed: no valid injection configuration is loaded yet".into();
        let d = refusal(FailureReason::NotReady, msg, req.namespace);
        return Step::Done(finish(req.api_version, uid, d, false));
    };
    let nodes = st.cluster.nodes();
    let lookup = st.cluster.namespace_lookup();
    // Of the request, `uid` and `api_version` only shape the encoding (done for every
    // request); `namespace` and `object`, all that `admission::review` reads, are the key.
    let key = match &req.object {
        Some(pod) if st.memo.enabled() && loaded.settings.templates.deterministic() => {
            let ns_object = lookup
                .as_deref()
                .and_then(|f| f(admission::pod_namespace(&req)));
            Some(memo::key(
                path,
                &st.revision,
                &req.namespace,
                ns_object.as_ref(),
                pod,
            ))
        }
        _ => None,
    };
    if let Some(key) = &key {
        let epoch = memo::Epoch {
            settings: &loaded.settings,
            nodes: nodes.as_ref(),
        };
        let hit = st.memo.get(&epoch, key);
        st.metrics.memo(hit.is_some());
        if let Some(d) = hit {
            return Step::Done(finish(req.api_version, uid, d, true));
        }
    }
    Step::Engine(Job {
        req,
        path: path.to_string(),
        loaded,
        nodes,
        lookup,
        key,
    })
}

impl Job {
    /// Runs the engine (CPU work), remembers and encodes the decision.
    pub fn run(self, st: &AppState) -> Outcome {
        let Job {
            req,
            path,
            loaded,
            nodes,
            lookup,
            key,
        } = self;
        let (version, uid) = (req.api_version, req.uid.clone());
        let ctx = Context {
            settings: &loaded.settings,
            path: &path,
            revision: &st.revision,
            nodes: nodes.as_deref().map(Vec::as_slice),
            namespace_of: lookup.as_deref().map(|f| f as admission::NamespaceOf<'_>),
        };
        let decision = admission::review(req, ctx);
        if let Some(key) = key {
            let epoch = memo::Epoch {
                settings: &loaded.settings,
                nodes: nodes.as_ref(),
            };
            st.memo.put(&epoch, key, &decision);
        }
        finish(version, uid, decision, false)
    }
}
