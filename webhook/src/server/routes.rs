//! HTTP handlers. Admission port: `POST /inject` and `/inject/…` (the
//! path is handed to the engine for its cluster/network parameters).
//! Monitoring port: `/metrics`, `/healthz`, `/readyz`, `/debug/config`.
//!
//! The admission handler checks the request at the edges as Istio does
//! (size, emptiness, Content-Type), then has [`super::decide`] answer it,
//! at most `workers` engine runs at a time: a small review (up to 16 KiB,
//! an engine run of about 2 ms at most) on the async worker that read it,
//! a larger one on a blocking thread, so that no long engine run holds a
//! worker that keeps connections moving.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::admission::MAX_BODY_BYTES;
use crate::metrics::{FailureReason, Metrics, Verdict};
use crate::watch::{ClusterState, ConfigStore};

use super::decide::{self, Step};
use super::memo::Memo;

/// Reviews up to this size are decided on the async worker (decoding takes a few tens of
/// microseconds, an engine run a few hundred); larger ones on a blocking thread.
const INLINE_BYTES: usize = 16 * 1024;

/// Everything the handlers share.
#[derive(Debug)]
pub struct AppState {
    pub store: Arc<ConfigStore>,
    pub cluster: Arc<ClusterState>,
    pub metrics: Arc<Metrics>,
    /// This injector's revision (empty: default).
    pub revision: String,
    /// Bounds concurrent engine runs.
    pub engine: Arc<Semaphore>,
    /// Decisions of earlier reviews, given again to identical ones.
    pub memo: Memo,
    /// Answer every review "allowed" without running the engine (the
    /// benchmark's floor).
    pub noop: bool,
    /// Whether readiness waits for the node list.
    pub needs_nodes: bool,
    /// Whether readiness waits for the namespace cache (OpenShift).
    pub needs_namespaces: bool,
    /// Set on shutdown: `/readyz` turns 503.
    pub shutting_down: AtomicBool,
}

impl AppState {
    /// Why the server is not ready, if it is not.
    pub fn not_ready(&self) -> Option<Cow<'static, str>> {
        if self.shutting_down.load(Ordering::Relaxed) {
            Some("shutting down".into())
        } else if self.store.current().is_none() && !self.noop {
            let mut why = "no valid injection configuration loaded yet".to_string();
            if let Some(r) = self.store.last_error() {
                why.push_str(&format!("; {} was refused: {}", r.source, r.error));
            }
            if let Some(e) = self.store.watch_error() {
                why.push_str(&format!("; {e}"));
            }
            Some(why.into())
        } else if self.needs_nodes && self.cluster.nodes().is_none() {
            Some("node list not synced yet".into())
        } else if self.needs_namespaces && self.cluster.namespace_lookup().is_none() {
            Some("namespace cache not synced yet".into())
        } else {
            None
        }
    }
}

/// The admission router.
pub fn admission(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/inject", any(inject))
        .route("/inject/", any(inject))
        .route("/inject/{*rest}", any(inject))
        .with_state(state)
}

/// The monitoring router.
pub fn monitoring(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/debug/config", get(debug_config))
        .with_state(state)
}

fn plain(status: StatusCode, msg: &str) -> Response {
    (status, format!("{msg}\n")).into_response()
}

fn json_response(bytes: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// One log line per admission decision; `remembered`: given again from the memo.
#[allow(clippy::too_many_arguments)]
fn log_decision(
    path: &str,
    uid: &str,
    namespace: &str,
    pod: &str,
    verdict: Verdict,
    reason: &str,
    started: Instant,
    remembered: bool,
) {
    let ms = started.elapsed().as_secs_f64() * 1e3;
    match verdict {
        Verdict::Injected => {
            tracing::info!(%path, %uid, %namespace, %pod, result = "injected", remembered, ms, "admission")
        }
        Verdict::Skipped => {
            tracing::info!(%path, %uid, %namespace, %pod, result = "skipped", %reason, remembered, ms, "admission")
        }
        Verdict::Failed(r) => {
            tracing::warn!(%path, %uid, %namespace, %pod, result = "failed", failure = r.label(), %reason, remembered, ms, "admission")
        }
    }
}

/// A request refused before it was decoded.
fn reject(
    st: &AppState,
    path: &str,
    started: Instant,
    status: StatusCode,
    why: FailureReason,
    msg: &str,
) -> Response {
    st.metrics
        .record(Verdict::Failed(why), false, started.elapsed());
    log_decision(path, "", "", "", Verdict::Failed(why), msg, started, false);
    plain(status, msg)
}

async fn inject(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let started = Instant::now();
    let path = req.uri().path().to_string();
    let content_type = req.headers().get(header::CONTENT_TYPE).cloned();
    let too_large = format!("request entity too large: limit is {MAX_BODY_BYTES}");
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return reject(
            &st,
            &path,
            started,
            StatusCode::BAD_REQUEST,
            FailureReason::BodyTooLarge,
            &too_large,
        );
    }
    let body: Bytes = match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return reject(
                &st,
                &path,
                started,
                StatusCode::BAD_REQUEST,
                FailureReason::BodyTooLarge,
                &too_large,
            )
        }
        Err(e) => {
            let msg = format!("reading the request body: {e}");
            return reject(
                &st,
                &path,
                started,
                StatusCode::BAD_REQUEST,
                FailureReason::ReadError,
                &msg,
            );
        }
    };
    if body.is_empty() {
        return reject(
            &st,
            &path,
            started,
            StatusCode::BAD_REQUEST,
            FailureReason::EmptyBody,
            "no body found",
        );
    }
    if content_type.as_ref().map(HeaderValue::as_bytes) != Some(b"application/json") {
        return reject(
            &st,
            &path,
            started,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FailureReason::ContentType,
            "invalid Content-Type, want `application/json`",
        );
    }
    // A small review is decided here, on the async worker that read it: its engine run takes
    // a few hundred microseconds, and handing it to a blocking thread costs more than that (a
    // thread wake-up each way, more threads than cores sharing them, and the pod's memory,
    // decoded here, freed on another core). Measured with distinct hello pods at concurrency
    // 16 on 2 cores: ~750 µs of server CPU per request through `spawn_blocking`, ~530 inline;
    // ~3,000 req/s inline, ~2,000 with all but one worker kept free for I/O. A worker is held
    // for one engine run at most (about 2 ms for a 16 KiB pod); other tasks queue behind it
    // as they would behind the same CPU work on a blocking thread sharing these cores.
    let out = if body.len() <= INLINE_BYTES {
        match decide::prepare(&st, &body, &path) {
            Step::Done(out) => out,
            Step::Engine(job) => {
                let _permit = st
                    .engine
                    .acquire()
                    .await
                    .expect("the engine semaphore is never closed");
                job.run(&st)
            }
        }
    } else {
        let path = path.clone();
        on_engine(&st, move |st| match decide::prepare(st, &body, &path) {
            Step::Done(out) => out,
            Step::Engine(job) => job.run(st),
        })
        .await
    };
    let decision = &out.decision;
    st.metrics.record(decision.verdict, true, started.elapsed());
    for w in &decision.warnings {
        tracing::warn!(namespace = %decision.namespace, pod = %decision.pod, warning = %w, "injection warning");
    }
    log_decision(
        &path,
        &out.uid,
        &decision.namespace,
        &decision.pod,
        decision.verdict,
        &decision.reason,
        started,
        out.remembered,
    );
    json_response(out.bytes)
}

/// Runs `work` on a blocking thread, at most `workers` at a time.
async fn on_engine(
    st: &Arc<AppState>,
    work: impl FnOnce(&AppState) -> decide::Outcome + Send + 'static,
) -> decide::Outcome {
    let permit = st
        .engine
        .clone()
        .acquire_owned()
        .await
        .expect("the engine semaphore is never closed");
    let st = st.clone();
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work(&st)
    });
    match task.await {
        Ok(out) => out,
        // A panic the guards in `decide` did not catch (in decoding the body).
        Err(e) => decide::panicked(None, "", &e),
    }
}

async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let mut r = st.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

async fn readyz(State(st): State<Arc<AppState>>) -> Response {
    match st.not_ready() {
        None => plain(StatusCode::OK, "ok"),
        Some(why) => plain(StatusCode::SERVICE_UNAVAILABLE, &why),
    }
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn age(t: SystemTime) -> f64 {
    SystemTime::now()
        .duration_since(t)
        .map_or(0.0, |d| d.as_secs_f64())
}

async fn debug_config(State(st): State<Arc<AppState>>) -> Response {
    let features = st.store.features();
    let mut out = json!({
        "ready": st.not_ready().is_none(),
        "revision": if st.revision.is_empty() { "default" } else { st.revision.as_str() },
        "features": {
            "ENABLE_NATIVE_SIDECARS": format!("{:?}", features.native_sidecars),
            "COMPLIANCE_POLICY": features.compliance_policy,
            "PLATFORM": features.platform,
        },
        "nodes": st.cluster.nodes().map(|n| n.iter().map(|n| json!({"name": n.name, "kubeletVersion": n.kubelet_version})).collect::<Vec<_>>()),
    });
    if let Some(c) = st.store.current() {
        out["config"] = json!({
            "source": c.source,
            "loadedAtUnix": unix(c.loaded_at),
            "ageSeconds": age(c.loaded_at),
            "config": c.raw.config,
            "values": c.raw.values,
            "mesh": c.raw.mesh,
        });
    }
    if let Some(e) = st.store.last_error() {
        out["lastRefusedChange"] = json!({
            "source": e.source,
            "error": e.error,
            "atUnix": unix(e.at),
            "ageSeconds": age(e.at),
        });
    }
    json_response(serde_json::to_vec_pretty(&out).expect("a JSON value always serialises"))
}
