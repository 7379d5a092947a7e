//! One AdmissionReview from body to answer, in two steps so that an engine run can go to a
//! blocking thread: [`prepare`] decodes the review and answers what needs no engine (an
//! undecodable body, the no-op responder, no configuration yet, a decision remembered in
//! [`super::memo`]); otherwise it hands back a [`Job`], whose [`Job::run`] runs the engine,
//! remembers the decision and encodes the answer. Neither panics: once the review's uid is
//! known, a panic anywhere in them becomes a refusal of that review (the engine's own are
//! caught closer, in [`admission::review`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use serde_json::Value;

use crate::admission::{self, Answer, Context, Decision, Request};
use crate::config::NodeInfo;
use crate::metrics::{FailureReason, Verdict};
use crate::watch::Loaded;

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
    /// The pod's Namespace object, when looked up (OpenShift).
    namespace_object: Option<Value>,
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

/// The answer to review `uid` (of `api_version`) when the work panicked outside the engine's
/// own guard.
pub fn panicked(
    api_version: Option<&'static str>,
    uid: &str,
    error: &dyn std::fmt::Display,
) -> Outcome {
    let msg = format!("injection failed: internal error: {error}");
    let decision = refusal(FailureReason::Panic, msg, String::new());
    Outcome {
        bytes: admission::encode(api_version, uid, &decision.answer),
        uid: uid.to_string(),
        decision,
        remembered: false,
    }
}

/// Runs `work` for review `uid`, a panic in it turned into that review's refusal.
fn guarded<T>(
    api_version: &'static str,
    uid: &str,
    work: impl FnOnce() -> T,
    answer: impl FnOnce(Outcome) -> T,
) -> T {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|p| {
        let error = admission::panic_message(&*p);
        answer(panicked(Some(api_version), uid, &error))
    })
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
    guarded(req.api_version, &uid, || decided(st, req, path), Step::Done)
}

/// [`prepare`] once the review is decoded.
fn decided(st: &AppState, req: Request, path: &str) -> Step {
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
    // Looked up once: the memo key and the engine see the same object.
    let namespace_object = st
        .cluster
        .namespace_lookup()
        .and_then(|f| f(admission::pod_namespace(&req)));
    // Of the request, `uid` and `api_version` only shape the encoding (done for every
    // request); `namespace` and `object`, all that `admission::review` reads, are the key.
    let key = match &req.object {
        Some(pod) if st.memo.enabled() && loaded.settings.templates.deterministic() => {
            Some(memo::key(
                path,
                &st.revision,
                &req.namespace,
                namespace_object.as_ref(),
                pod,
            ))
        }
        _ => None,
    };
    if let Some(key) = &key {
        let epoch = memo::Epoch {
            generation: loaded.generation,
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
        namespace_object,
        key,
    })
}

impl Job {
    /// Runs the engine (CPU work), remembers and encodes the decision.
    pub fn run(self, st: &AppState) -> Outcome {
        let (version, uid) = (self.req.api_version, self.req.uid.clone());
        guarded(version, &uid, || self.run_unguarded(st), |o| o)
    }

    fn run_unguarded(self, st: &AppState) -> Outcome {
        let Job {
            req,
            path,
            loaded,
            nodes,
            namespace_object,
            key,
        } = self;
        let (version, uid) = (req.api_version, req.uid.clone());
        let ctx = Context {
            settings: &loaded.settings,
            path: &path,
            revision: &st.revision,
            nodes: nodes.as_deref().map(Vec::as_slice),
            namespace_object: namespace_object.as_ref(),
        };
        let decision = admission::review(req, ctx);
        if let Some(key) = key {
            let epoch = memo::Epoch {
                generation: loaded.generation,
                nodes: nodes.as_ref(),
            };
            st.memo.put(&epoch, key, &decision);
        }
        finish(version, uid, decision, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_refusal_of_the_same_review() {
        let out = guarded(
            admission::V1BETA1,
            "uid-7",
            || -> Outcome { panic!("boom at the edge") },
            |o| o,
        );
        let review: Value = serde_json::from_slice(&out.bytes).expect("a JSON review");
        assert_eq!(review["apiVersion"], admission::V1BETA1);
        assert_eq!(review["kind"], "AdmissionReview");
        assert_eq!(review["response"]["uid"], "uid-7");
        assert_eq!(review["response"]["allowed"], false);
        assert_eq!(
            review["response"]["status"]["message"],
            "injection failed: internal error: boom at the edge"
        );
        assert_eq!(out.decision.verdict, Verdict::Failed(FailureReason::Panic));
        assert_eq!(out.uid, "uid-7");
    }
}
