//! AdmissionReview in, AdmissionReview out: decoding a review body
//! (`admission.k8s.io/v1` or `v1beta1`), running the engine on its pod
//! without ever unwinding into the caller, and encoding the answer in the
//! request's version with its `uid`. No I/O: the HTTP layer hands bytes in
//! and writes bytes out.

use std::panic::{catch_unwind, AssertUnwindSafe};

use base64::Engine as _;
use serde_json::Value;

use crate::config::NodeInfo;
use crate::inject::{self, AdmissionInput, ClusterFacts, Outcome, Settings};
use crate::metrics::{FailureReason, Verdict};

/// The largest body read (Istio's limit: twice Kubernetes' own 3 MiB).
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;
pub const V1: &str = "admission.k8s.io/v1";
pub const V1BETA1: &str = "admission.k8s.io/v1beta1";

/// The parts of an AdmissionReview request the injector uses.
#[derive(Debug, Clone)]
pub struct Request {
    /// `apiVersion` of the review, answered in kind.
    pub api_version: &'static str,
    pub uid: String,
    /// `request.namespace`.
    pub namespace: String,
    /// `request.object`, when present.
    pub object: Option<Value>,
}

/// Why a body is not an AdmissionReview this server understands.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("could not decode body: {0}")]
    Json(#[from] serde_json::Error),
    #[error("could not decode body: the body is not a JSON object")]
    NotObject,
    #[error("could not decode body: apiVersion {0:?} is not admission.k8s.io/v1 or admission.k8s.io/v1beta1")]
    ApiVersion(String),
    #[error("could not decode body: kind {0:?} is not AdmissionReview")]
    Kind(String),
    #[error("could not decode body: the AdmissionReview has no request")]
    NoRequest,
}

/// A body that could not be decoded, with what could be read of it.
#[derive(Debug)]
pub struct Undecodable {
    /// The review's version, when it was readable and known.
    pub api_version: Option<&'static str>,
    pub uid: String,
    pub error: DecodeError,
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Decodes an AdmissionReview body.
pub fn decode(body: &[u8]) -> Result<Request, Undecodable> {
    let fail = |api_version, uid: &str, error| Undecodable {
        api_version,
        uid: uid.to_string(),
        error,
    };
    let mut review: Value =
        serde_json::from_slice(body).map_err(|e| fail(None, "", DecodeError::Json(e)))?;
    if !review.is_object() {
        return Err(fail(None, "", DecodeError::NotObject));
    }
    let api_version = match str_at(&review, "apiVersion") {
        V1 => V1,
        V1BETA1 => V1BETA1,
        other => return Err(fail(None, "", DecodeError::ApiVersion(other.into()))),
    };
    let kind = str_at(&review, "kind");
    if kind != "AdmissionReview" {
        return Err(fail(Some(api_version), "", DecodeError::Kind(kind.into())));
    }
    let Some(request) = review.get_mut("request").filter(|r| r.is_object()) else {
        return Err(fail(Some(api_version), "", DecodeError::NoRequest));
    };
    Ok(Request {
        api_version,
        uid: str_at(request, "uid").to_string(),
        namespace: str_at(request, "namespace").to_string(),
        object: request
            .get_mut("object")
            .map(Value::take)
            .filter(|o| !o.is_null()),
    })
}

/// The answer to one review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Allowed, unchanged.
    Allow,
    /// Allowed with this JSON patch (the serialised RFC 6902 array).
    Patch(Vec<u8>),
    /// Refused, with the message the API server shows the user.
    Deny(String),
}

/// Encodes a response review. `api_version` is the request's (none when
/// it could not be read: then, as Istio does, no type meta is written).
///
/// Written directly rather than through a JSON value: the base64 patch,
/// most of the response, needs no escaping and is encoded in place.
pub fn encode(api_version: Option<&str>, uid: &str, answer: &Answer) -> Vec<u8> {
    let patch_len = match answer {
        Answer::Patch(p) => base64::encoded_len(p.len(), true).unwrap_or(0),
        _ => 0,
    };
    let mut out = Vec::with_capacity(160 + uid.len() + patch_len);
    let string = |out: &mut Vec<u8>, s: &str| {
        serde_json::to_writer(out, s).expect("a string always serialises");
    };
    out.push(b'{');
    if let Some(v) = api_version {
        out.extend_from_slice(br#""kind":"AdmissionReview","apiVersion":"#);
        string(&mut out, v);
        out.push(b',');
    }
    out.extend_from_slice(br#""response":{"uid":"#);
    string(&mut out, uid);
    match answer {
        Answer::Allow => out.extend_from_slice(br#","allowed":true"#),
        Answer::Patch(patch) => {
            out.extend_from_slice(br#","allowed":true,"patch":""#);
            let start = out.len();
            out.resize(start + patch_len, 0);
            let written = base64::engine::general_purpose::STANDARD
                .encode_slice(patch, &mut out[start..])
                .expect("the buffer has the encoded length");
            out.truncate(start + written);
            out.extend_from_slice(br#"","patchType":"JSONPatch""#);
        }
        Answer::Deny(message) => {
            out.extend_from_slice(br#","allowed":false,"status":{"metadata":{},"message":"#);
            string(&mut out, message);
            out.push(b'}');
        }
    }
    out.extend_from_slice(b"}}");
    out
}

/// What the cluster knows that shapes an injection, as seen by one request.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub settings: &'a Settings,
    /// The URL path (`/inject/cluster/c1/net/n1`).
    pub path: &'a str,
    /// This injector's revision; empty means `default`.
    pub revision: &'a str,
    /// Nodes and their kubelet versions, when watched and synced.
    pub nodes: Option<&'a [NodeInfo]>,
    /// The pod's Namespace object, when looked up (OpenShift only).
    pub namespace_object: Option<&'a Value>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("path", &self.path)
            .field("revision", &self.revision)
            .field("nodes", &self.nodes.map(<[NodeInfo]>::len))
            .finish_non_exhaustive()
    }
}

/// The outcome of one review, for the response, the metrics and the log.
#[derive(Debug, Clone)]
pub struct Decision {
    pub answer: Answer,
    pub verdict: Verdict,
    /// Why (skip reason or error message; empty on injection).
    pub reason: String,
    /// The pod's namespace and (potential) name, for the log.
    pub namespace: String,
    pub pod: String,
    /// The engine's non-fatal findings.
    pub warnings: Vec<String>,
}

/// The pod's name, or its `generateName` followed by `***` (Istio's
/// rendering of a name the API server has not chosen yet).
fn potential_pod_name(pod: &Value) -> String {
    let meta = pod.get("metadata").unwrap_or(&Value::Null);
    match (str_at(meta, "name"), str_at(meta, "generateName")) {
        ("", "") => String::new(),
        ("", generate) => format!("{generate}***"),
        (name, _) => name.to_string(),
    }
}

/// The namespace a review's pod is injected in: its own, else the request's.
pub fn pod_namespace(req: &Request) -> &str {
    match req
        .object
        .as_ref()
        .and_then(|pod| pod.pointer("/metadata/namespace"))
        .and_then(Value::as_str)
    {
        Some(ns) if !ns.is_empty() => ns,
        _ => &req.namespace,
    }
}

/// The message a panic was raised with.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs the engine on a decoded review. Never panics: an engine panic is
/// caught and the pod refused with the panic's message.
pub fn review(req: Request, ctx: Context<'_>) -> Decision {
    let namespace = pod_namespace(&req).to_string();
    let Some(pod) = req.object else {
        let reason = "could not decode the pod: the admission request has no object".to_string();
        return Decision {
            answer: Answer::Deny(reason.clone()),
            verdict: Verdict::Failed(FailureReason::Decode),
            reason,
            namespace: req.namespace,
            pod: String::new(),
            warnings: Vec::new(),
        };
    };
    let pod_name = potential_pod_name(&pod);
    let revision = if ctx.revision.is_empty() {
        "default"
    } else {
        ctx.revision
    };
    let mut warnings = Vec::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let input = AdmissionInput {
            pod,
            namespace: &req.namespace,
            path: ctx.path,
            revision,
            cluster: ClusterFacts {
                nodes: ctx.nodes,
                namespace: ctx.namespace_object,
            },
        };
        inject::admit(ctx.settings, input, &mut warnings)
    }));
    let (answer, verdict, reason) = match result {
        Ok(Ok(Outcome::Injected { patch, .. })) => (
            Answer::Patch(serde_json::to_vec(&patch).expect("a JSON value always serialises")),
            Verdict::Injected,
            String::new(),
        ),
        Ok(Ok(Outcome::Skipped(why))) => (Answer::Allow, Verdict::Skipped, why.to_string()),
        Ok(Err(e)) => {
            let msg = e.to_string();
            (
                Answer::Deny(msg.clone()),
                Verdict::Failed(FailureReason::Injection),
                msg,
            )
        }
        Err(p) => {
            let msg = format!("injection failed: internal error: {}", panic_message(&*p));
            (
                Answer::Deny(msg.clone()),
                Verdict::Failed(FailureReason::Panic),
                msg,
            )
        }
    };
    Decision {
        answer,
        verdict,
        reason,
        namespace,
        pod: pod_name,
        warnings: warnings.iter().map(ToString::to_string).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn response(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn decodes_both_versions_and_keeps_uid() {
        for v in [V1, V1BETA1] {
            let body = json!({"apiVersion": v, "kind": "AdmissionReview",
                "request": {"uid": "u-1", "namespace": "ns", "object": {"metadata": {}}}});
            let req = decode(body.to_string().as_bytes()).unwrap();
            assert_eq!((req.api_version, req.uid.as_str()), (v, "u-1"));
            assert_eq!(req.namespace, "ns");
            assert!(req.object.is_some());
        }
    }

    #[test]
    fn refuses_what_is_not_a_review() {
        let cases = [
            ("{not json", None),
            ("[1]", None),
            (
                r#"{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview"}"#,
                None,
            ),
            (
                r#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{}}"#,
                Some(V1),
            ),
            (
                r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#,
                Some(V1BETA1),
            ),
        ];
        for (body, version) in cases {
            let err = decode(body.as_bytes()).expect_err(body);
            assert_eq!(err.api_version, version, "{body}");
            assert!(err.error.to_string().starts_with("could not decode body"));
        }
    }

    #[test]
    fn encodes_each_answer() {
        let r = response(&encode(Some(V1), "u", &Answer::Allow));
        assert_eq!(
            r,
            json!({"kind": "AdmissionReview", "apiVersion": V1, "response": {"uid": "u", "allowed": true}})
        );
        let r = response(&encode(
            Some(V1BETA1),
            "u2",
            &Answer::Patch(b"[{\"op\":\"add\"}]".to_vec()),
        ));
        assert_eq!(r["apiVersion"], V1BETA1);
        assert_eq!(r["response"]["patchType"], "JSONPatch");
        let patch = base64::engine::general_purpose::STANDARD
            .decode(r["response"]["patch"].as_str().unwrap())
            .unwrap();
        assert_eq!(patch, b"[{\"op\":\"add\"}]");
        let r = response(&encode(None, "", &Answer::Deny("bad".into())));
        assert!(r.get("apiVersion").is_none());
        assert_eq!(r["response"]["allowed"], false);
        assert_eq!(r["response"]["status"]["message"], "bad");
    }

    /// The bytes are what serialising the review as a JSON value writes.
    #[test]
    fn encodes_like_a_json_value() {
        let answers = [
            Answer::Allow,
            Answer::Patch(b"[{\"op\":\"add\",\"path\":\"/x\",\"value\":\"\\u00e9\"}]".to_vec()),
            Answer::Patch(Vec::new()),
            Answer::Deny("bad \"quote\" \\ and\nnewline \u{1}".into()),
        ];
        for version in [Some(V1), Some(V1BETA1), None] {
            for answer in &answers {
                let mut response = Map::new();
                response.insert("uid".into(), json!("u-\"1"));
                match answer {
                    Answer::Allow => {
                        response.insert("allowed".into(), json!(true));
                    }
                    Answer::Patch(p) => {
                        response.insert("allowed".into(), json!(true));
                        let b64 = base64::engine::general_purpose::STANDARD.encode(p);
                        response.insert("patch".into(), json!(b64));
                        response.insert("patchType".into(), json!("JSONPatch"));
                    }
                    Answer::Deny(m) => {
                        response.insert("allowed".into(), json!(false));
                        response.insert("status".into(), json!({"metadata": {}, "message": m}));
                    }
                }
                let mut review = Map::new();
                if let Some(v) = version {
                    review.insert("kind".into(), json!("AdmissionReview"));
                    review.insert("apiVersion".into(), json!(v));
                }
                review.insert("response".into(), Value::Object(response));
                let want = serde_json::to_vec(&Value::Object(review)).unwrap();
                let got = encode(version, "u-\"1", answer);
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(want).unwrap()
                );
            }
        }
    }

    #[test]
    fn pod_names_for_logs() {
        assert_eq!(
            potential_pod_name(&json!({"metadata": {"name": "a", "generateName": "b-"}})),
            "a"
        );
        assert_eq!(
            potential_pod_name(&json!({"metadata": {"generateName": "b-"}})),
            "b-***"
        );
        assert_eq!(potential_pod_name(&json!({})), "");
    }
}
