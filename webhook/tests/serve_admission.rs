//! The admission endpoint over real TLS on loopback: both review versions,
//! the corpus' hello pod injected as the conformance golden says, the
//! already-injected pod, every edge case of the request, the counters,
//! 200 concurrent requests and a graceful shutdown.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::*;
use webhook::admission::{V1, V1BETA1};
use webhook::config::Features;
use webhook::k8s::normalize::normalize;

const LIMIT: Duration = Duration::from_secs(60);

fn native_on() -> Features {
    Features::from_lookup(&|k| (k == "ENABLE_NATIVE_SIDECARS").then(|| "true".to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_versions_are_answered_in_kind_with_their_uid() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |_| {}).await else {
            return;
        };
        for (version, uid) in [(V1, "3b2f-v1"), (V1BETA1, "9a1c-v1beta1")] {
            let r = h.review(version, uid, &hello_pod()).await;
            assert_eq!(r["apiVersion"], version);
            assert_eq!(r["kind"], "AdmissionReview");
            assert_eq!(r["response"]["uid"], uid);
            assert_eq!(r["response"]["allowed"], true);
            assert_eq!(r["response"]["patchType"], "JSONPatch");
            let pod = patched(&hello_pod(), &r);
            let names: Vec<&str> = pod["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c["name"].as_str())
                .collect();
            assert_eq!(names, ["hello", "istio-proxy"], "{version}");
            assert!(
                !init_args(&pod).is_empty(),
                "istio-init injected ({version})"
            );
        }
        h.running.shutdown().await;
    })
    .await
    .expect("test within its time limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_patch_gives_the_golden_pod_and_reinjection_is_idempotent() {
    tokio::time::timeout(LIMIT, async {
        // The corpus environment's nodes all run kubelet 1.33+: native sidecars.
        let Some(h) = start(native_on(), |_| {}).await else {
            return;
        };
        let corpus = corpus::dir().unwrap();
        let read = |f: &str| {
            let text = std::fs::read_to_string(corpus.join("cases").join(f)).unwrap();
            // The first document is the Deployment (goldens end with `---`).
            let first = text.split("\n---").next().unwrap().to_string();
            webhook::config::yaml::parse_yaml(&first).unwrap()
        };
        let pod = pods::admission_pod(&read("hello.yaml")).unwrap();
        let r = h.review(V1, "golden", &pod).await;
        let mut got = patched(&pod, &r);
        normalize("Pod", &mut got).unwrap();
        let injected = got.clone();
        let mut want = pods::admission_pod(&read("hello.yaml.injected")).unwrap();
        pods::scrub(&mut got, true);
        pods::scrub(&mut want, false);
        assert_eq!(got, want, "patched pod differs from the conformance golden");

        // Re-injecting the injected pod changes nothing.
        let r = h.review(V1, "again", &injected).await;
        assert_eq!(r["response"]["allowed"], true);
        let mut again = patched(&injected, &r);
        normalize("Pod", &mut again).unwrap();
        assert_eq!(again, injected, "re-injection is not idempotent");
        h.running.shutdown().await;
    })
    .await
    .expect("test within its time limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_are_answered_as_istio_does() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |_| {}).await else { return };
        let review = review_body(V1, "u", &hello_pod());

        // Empty body: 400, whatever the content type.
        let (s, b) = h.post("/inject", Some("application/json"), Vec::new()).await;
        assert_eq!((s, &b[..]), (400, &b"no body found\n"[..]));
        let (s, _) = h.post("/inject", Some("text/plain"), Vec::new()).await;
        assert_eq!(s, 400);
        // Not JSON by Content-Type: 415.
        for ct in [Some("text/plain"), Some("application/yaml"), None] {
            let (s, _) = h.post("/inject", ct, review.clone()).await;
            assert_eq!(s, 415, "{ct:?}");
        }
        // Over 6 MiB by Content-Length: refused without the body being sent.
        {
            let mut c = h.connect().await;
            let req = hyper::Request::post("/inject")
                .header("host", "localhost")
                .header("content-type", "application/json")
                .header("content-length", (6 * 1024 * 1024 + 1).to_string())
                .body(http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(futures_util::stream::pending::<Result<hyper::body::Frame<hyper::body::Bytes>, std::io::Error>>())))
                .unwrap();
            let (s, b) = tokio::time::timeout(Duration::from_secs(5), c.send(req)).await.expect("answered before the body was sent");
            assert_eq!(s, 400);
            assert!(String::from_utf8_lossy(&b).contains("too large"));
        }
        // Over 6 MiB streamed without a length: cut at the limit.
        let mut big = b"{\"pad\":\"".to_vec();
        big.resize(6 * 1024 * 1024 + 10, b'x');
        let mut c = h.connect().await;
        let chunks: Vec<Result<hyper::body::Frame<hyper::body::Bytes>, std::io::Error>> =
            big.chunks(64 * 1024).map(|c| Ok(hyper::body::Frame::data(hyper::body::Bytes::copy_from_slice(c)))).collect();
        let req = hyper::Request::post("/inject")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(futures_util::stream::iter(chunks))))
            .unwrap();
        let (s, _) = c.send(req).await;
        assert_eq!(s, 400);

        // Undecodable: 200, not allowed, with a message.
        for body in [&b"{not json"[..], br#"{"apiVersion":"v1","kind":"Pod"}"#] {
            let (s, b) = h.post("/inject", Some("application/json"), body.to_vec()).await;
            assert_eq!(s, 200);
            let r: Value = serde_json::from_slice(&b).unwrap();
            assert_eq!(r["response"]["allowed"], false);
            assert!(r["response"]["status"]["message"].as_str().unwrap().contains("could not decode"));
        }
        // A review without an object: not allowed, in the request's version and uid.
        let (_, b) = h
            .post("/inject", Some("application/json"), serde_json::to_vec(&json!({"apiVersion": V1BETA1, "kind": "AdmissionReview", "request": {"uid": "no-object"}})).unwrap())
            .await;
        let r: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!((r["apiVersion"].as_str(), r["response"]["uid"].as_str()), (Some(V1BETA1), Some("no-object")));
        assert_eq!(r["response"]["allowed"], false);

        // Injection error: not allowed, with the engine's message.
        let mut bad = hello_pod();
        bad["metadata"]["annotations"] = json!({"sidecar.istio.io/proxyCPU": "lots"});
        let r = h.review(V1, "bad", &bad).await;
        assert_eq!(r["response"]["uid"], "bad");
        assert_eq!(r["response"]["allowed"], false);
        let msg = r["response"]["status"]["message"].as_str().unwrap();
        assert!(msg.contains("proxyCPU"), "{msg}");

        // Skips: allowed, no patch.
        let mut off = hello_pod();
        off["metadata"]["annotations"] = json!({"sidecar.istio.io/inject": "false"});
        let mut host = hello_pod();
        host["spec"]["hostNetwork"] = json!(true);
        let mut system = hello_pod();
        system["metadata"]["namespace"] = json!("kube-system");
        for pod in [off, host, system] {
            let r = h.review(V1, "skip", &pod).await;
            assert_eq!(r["response"]["allowed"], true);
            assert!(r["response"].get("patch").is_none() && r["response"].get("patchType").is_none());
        }

        // Path parameters reach the proxy's environment.
        let (_, b) = h.post("/inject/cluster/c1/net/n1", Some("application/json"), review.clone()).await;
        let pod = patched(&hello_pod(), &serde_json::from_slice(&b).unwrap());
        let proxy = pod["spec"]["containers"].as_array().unwrap().iter().find(|c| c["name"] == "istio-proxy").unwrap();
        let env = |k: &str| proxy["env"].as_array().unwrap().iter().find(|e| e["name"] == k).map(|e| e["value"].clone());
        assert_eq!(env("ISTIO_META_CLUSTER_ID"), Some(json!("c1")));
        assert_eq!(env("ISTIO_META_NETWORK"), Some(json!("n1")));

        // Every request above was counted.
        let m = h.metrics().await;
        assert_eq!(metric_value(&m, "sidecar_injection_failure_total{reason=\"empty_body\"}"), 2.0);
        assert_eq!(metric_value(&m, "sidecar_injection_failure_total{reason=\"content_type\"}"), 3.0);
        assert_eq!(metric_value(&m, "sidecar_injection_failure_total{reason=\"body_too_large\"}"), 2.0);
        assert_eq!(metric_value(&m, "sidecar_injection_failure_total{reason=\"decode_error\"}"), 3.0);
        assert_eq!(metric_value(&m, "sidecar_injection_failure_total{reason=\"injection_error\"}"), 1.0);
        assert_eq!(metric_value(&m, "sidecar_injection_skip_total"), 3.0);
        // As Istio counts: every request answered with a review is a
        // success (4 decode errors and injection errors, 3 skips, 1 patch);
        // the patches alone are meshinject_pods_injected_total.
        assert_eq!(metric_value(&m, "sidecar_injection_success_total"), 8.0);
        assert_eq!(metric_value(&m, "meshinject_pods_injected_total"), 1.0);
        assert_eq!(metric_value(&m, "sidecar_injection_requests_total"), 15.0);
        assert_eq!(metric_value(&m, "sidecar_injection_time_seconds_count"), 15.0);
        h.running.shutdown().await;
    })
    .await
    .expect("test within its time limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_requests_are_all_answered() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |_| {}).await else {
            return;
        };
        let h = std::sync::Arc::new(h);
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let h = h.clone();
                tokio::spawn(async move {
                    let version = if i % 2 == 0 { V1 } else { V1BETA1 };
                    let uid = format!("uid-{i}");
                    let mut pod = hello_pod();
                    pod["metadata"]["labels"]["app"] = json!(format!("app-{i}"));
                    // Every tenth review is too large to be decided on the async worker
                    // (over 16 KiB): both paths run side by side.
                    let padding = if i % 10 == 0 {
                        "x".repeat(20_000)
                    } else {
                        String::new()
                    };
                    pod["metadata"]["annotations"] = json!({"example.com/padding": padding});
                    let r = h.review(version, &uid, &pod).await;
                    assert_eq!(r["apiVersion"], version);
                    assert_eq!(r["response"]["uid"], uid.as_str());
                    let injected = patched(&pod, &r);
                    assert_eq!(
                        injected["metadata"]["labels"]["app"],
                        json!(format!("app-{i}"))
                    );
                    assert_eq!(injected["spec"]["containers"][1]["name"], "istio-proxy");
                    assert_eq!(
                        injected["metadata"]["annotations"]["example.com/padding"],
                        json!(padding)
                    );
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("request task");
        }
        assert_eq!(h.metric("meshinject_pods_injected_total").await, 200.0);
        std::sync::Arc::try_unwrap(h)
            .ok()
            .unwrap()
            .running
            .shutdown()
            .await;
    })
    .await
    .expect("test within its time limit");
}

/// A ReplicaSet's pods arrive identical: the second gets the first one's
/// decision from the memo (same patch, its own uid), a different pod does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_reviews_get_the_remembered_decision() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |_| {}).await else {
            return;
        };
        let first = h.review(V1, "first", &hello_pod()).await;
        let second = h.review(V1BETA1, "second", &hello_pod()).await;
        assert_eq!(second["apiVersion"], V1BETA1);
        assert_eq!(second["response"]["uid"], "second");
        assert_eq!(first["response"]["patch"], second["response"]["patch"]);
        assert_eq!(h.metric("meshinject_memo_misses_total").await, 1.0);
        assert_eq!(h.metric("meshinject_memo_hits_total").await, 1.0);

        let mut other = hello_pod();
        other["metadata"]["labels"]["app"] = json!("other");
        let third = h.review(V1, "third", &other).await;
        assert_eq!(
            patched(&other, &third)["metadata"]["labels"]["app"],
            json!("other")
        );
        assert_eq!(h.metric("meshinject_memo_misses_total").await, 2.0);
        assert_eq!(h.metric("sidecar_injection_success_total").await, 3.0);
        h.running.shutdown().await;
    })
    .await
    .expect("test within its time limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_request_in_flight_and_stops_accepting() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |_| {}).await else {
            return;
        };
        let addr = h.running.https_addr;
        let mut c = h.connect().await;
        // A request whose body is still arriving when shutdown starts.
        let (req, rest) = half_sent_review("in-flight").await;
        let pending = tokio::spawn(async move { c.send(req).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let state = h.running.state.clone();
        let stopping = tokio::spawn(h.running.shutdown());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(state.not_ready().is_some(), "not ready while shutting down");
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "no new connections while draining"
        );
        rest.send().await;
        let (s, b) = pending.await.unwrap();
        assert_patched_review(s, &b, "in-flight");
        stopping.await.unwrap();
    })
    .await
    .expect("test within its time limit");
}

/// With `--shutdown-delay`, a replica told to stop first fails `/readyz` while it keeps
/// accepting and answering (so that the API server, still sending to it until its endpoint
/// is removed, gets answers), then stops accepting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_delay_keeps_answering_while_not_ready() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |o| {
            o.shutdown_delay = Duration::from_millis(1500)
        })
        .await
        else {
            return;
        };
        let (addr, monitoring) = (h.running.https_addr, h.running.monitoring_addr);
        assert_eq!(http_get(monitoring, "/readyz").await.0, 200);
        let started = std::time::Instant::now();
        let stopping = tokio::spawn(h.running.shutdown());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(http_get(monitoring, "/readyz").await.0, 503);
        let mut c = Conn::open(addr, h.client.clone(), "localhost").await;
        let (status, body) = c
            .post(
                "/inject",
                Some("application/json"),
                review_body(V1, "during-delay", &hello_pod()),
            )
            .await;
        assert_patched_review(status, &body, "during-delay");
        drop(c);
        stopping.await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(1500));
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "no new connections after the delay"
        );
    })
    .await
    .expect("test within its time limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_clients_multiplex_reviews_on_one_connection() {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |_| {}).await else {
            return;
        };
        let mut cfg =
            (*client_config(&h.pki.ca_pem, tokio_rustls::rustls::DEFAULT_VERSIONS)).clone();
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        let tcp = tokio::net::TcpStream::connect(h.running.https_addr)
            .await
            .unwrap();
        let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg))
            .connect(
                tokio_rustls::rustls::pki_types::ServerName::try_from("localhost").unwrap(),
                tcp,
            )
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (sender, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(tls),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let mut sender = sender.clone();
                tokio::spawn(async move {
                    let uid = format!("h2-{i}");
                    let req = hyper::Request::post("https://localhost/inject")
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(review_body(V1, &uid, &hello_pod()))))
                        .unwrap();
                    let resp = sender.send_request(req).await.unwrap();
                    assert_eq!(resp.status(), 200);
                    let r: Value = serde_json::from_slice(
                        &resp.into_body().collect().await.unwrap().to_bytes(),
                    )
                    .unwrap();
                    assert_eq!(r["response"]["uid"], uid.as_str());
                    assert_eq!(r["response"]["patchType"], "JSONPatch");
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        h.running.shutdown().await;
    })
    .await
    .expect("test within its time limit");
}
