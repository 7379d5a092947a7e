//! The ConfigMap source through kube-rs: `meshinject serve` without
//! `--inject-config-dir`, pointed by `--kubeconfig` at a minimal API server
//! on loopback that implements list and watch of ConfigMaps (this machine
//! has no kube-apiserver binary; the real-cluster scenarios live with the
//! Kubernetes suites). Creating, editing, breaking and deleting
//! `istio-sidecar-injector` is seen by the next injection within seconds.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use support::*;
use tokio::sync::broadcast;
use webhook::admission::V1;
use webhook::config::Features;

/// ConfigMaps of one namespace, with a resourceVersion counter and a feed of watch events.
struct FakeApi {
    objects: Mutex<(u64, BTreeMap<String, Value>)>,
    events: broadcast::Sender<(String, Value)>,
}

impl FakeApi {
    fn put(&self, name: &str, data: Value) {
        self.put_object(
            name,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "istio-system"}, "data": data}),
        );
    }

    fn put_object(&self, name: &str, mut obj: Value) {
        let mut g = self.objects.lock().unwrap();
        g.0 += 1;
        let kind = if g.1.contains_key(name) {
            "MODIFIED"
        } else {
            "ADDED"
        };
        obj["metadata"]["resourceVersion"] = json!(g.0.to_string());
        g.1.insert(name.to_string(), obj.clone());
        let _ = self
            .events
            .send((name.to_string(), json!({"type": kind, "object": obj})));
    }

    fn delete(&self, name: &str) {
        let mut g = self.objects.lock().unwrap();
        g.0 += 1;
        if let Some(mut cm) = g.1.remove(name) {
            cm["metadata"]["resourceVersion"] = json!(g.0.to_string());
            let _ = self
                .events
                .send((name.to_string(), json!({"type": "DELETED", "object": cm})));
        }
    }
}

fn query(req: &Request) -> HashMap<String, String> {
    let decode = |s: &str| {
        s.replace("%3D", "=")
            .replace("%3d", "=")
            .replace("%2C", ",")
    };
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect()
}

/// List or watch one collection; `fieldSelector=metadata.name=N` narrows it to one object.
async fn collection(State(api): State<Arc<FakeApi>>, req: Request) -> Response {
    let q = query(&req);
    let name: Option<String> = q
        .get("fieldSelector")
        .and_then(|f| f.strip_prefix("metadata.name="))
        .map(str::to_string);
    if q.get("watch").map(String::as_str) == Some("true") {
        let rx = api.events.subscribe();
        let stream = futures_util::stream::unfold(rx, move |mut rx| {
            let name = name.clone();
            async move {
                loop {
                    match rx.recv().await {
                        Ok((n, ev)) if name.as_ref().is_none_or(|want| *want == n) => {
                            let mut line = serde_json::to_vec(&ev).unwrap();
                            line.push(b'\n');
                            return Some((Ok::<_, Infallible>(line), rx));
                        }
                        Ok(_) => continue,
                        Err(_) => return None,
                    }
                }
            }
        });
        return Response::builder()
            .header("content-type", "application/json")
            .body(Body::from_stream(stream))
            .unwrap();
    }
    let g = api.objects.lock().unwrap();
    let items: Vec<&Value> =
        g.1.iter()
            .filter(|(n, _)| name.as_ref().is_none_or(|want| want == *n))
            .map(|(_, o)| o)
            .collect();
    let list = json!({"apiVersion": "v1", "kind": "List",
        "metadata": {"resourceVersion": g.0.to_string()}, "items": items});
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&list).unwrap()))
        .unwrap()
}

/// A fake API server (ConfigMaps in istio-system, nodes) and a server pointed at it.
struct Fake {
    server: Harness,
    configmaps: Arc<FakeApi>,
    nodes: Arc<FakeApi>,
    stop_api: tokio::sync::watch::Sender<bool>,
}

fn fake_api() -> Arc<FakeApi> {
    Arc::new(FakeApi {
        objects: Mutex::new((1, BTreeMap::new())),
        events: broadcast::channel(64).0,
    })
}

impl Fake {
    async fn start(features: Features) -> Fake {
        Fake::start_with(features, |_| {}).await
    }

    async fn start_with(
        features: Features,
        tweak: impl FnOnce(&mut webhook::server::Options),
    ) -> Fake {
        let (configmaps, nodes) = (fake_api(), fake_api());
        let app = Router::new()
            .route(
                "/api/v1/namespaces/istio-system/configmaps",
                get(collection).with_state(configmaps.clone()),
            )
            .route("/api/v1/nodes", get(collection).with_state(nodes.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_addr = listener.local_addr().unwrap();
        let (stop_api, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(webhook::server::listener::serve(
            listener,
            None,
            app,
            stopped,
            Duration::from_secs(1),
        ));

        let dir = scratch("kubeconfig");
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{api_addr}\n\
             contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\n\
             users:\n- name: fake\n  user: {{}}\n")).unwrap();
        let pki = pki();
        std::fs::write(dir.join("cert.pem"), &pki.cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), &pki.key_pem).unwrap();
        let opts = webhook::server::Options {
            listen_address: [127, 0, 0, 1].into(),
            port: 0,
            monitoring_port: 0,
            tls_cert: Some(dir.join("cert.pem")),
            tls_key: Some(dir.join("key.pem")),
            kubeconfig: Some(kubeconfig),
            ..Default::default()
        };
        let mut opts = opts;
        tweak(&mut opts);
        let running = webhook::server::start(opts, features)
            .await
            .expect("server starts");
        let client = client_config(&pki.ca_pem, tokio_rustls::rustls::DEFAULT_VERSIONS);
        Fake {
            server: Harness {
                running,
                dir,
                pki,
                client,
            },
            configmaps,
            nodes,
            stop_api,
        }
    }

    async fn stop(self) {
        self.server.running.shutdown().await;
        let _ = self.stop_api.send(true);
    }
}

fn node(name: &str, kubelet: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
        "status": {"nodeInfo": {"kubeletVersion": kubelet, "machineID": "", "systemUUID": "", "bootID": "",
            "kernelVersion": "", "osImage": "", "containerRuntimeVersion": "", "kubeProxyVersion": "",
            "operatingSystem": "linux", "architecture": "amd64"}}})
}

/// Whether the next hello pod gets the proxy as a native sidecar.
async fn native(h: &Harness) -> bool {
    let r = h.review(V1, "native", &hello_pod()).await;
    let pod = patched(&hello_pod(), &r);
    pod["spec"]["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["name"] == "istio-proxy" && c["restartPolicy"] == "Always")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_sidecars_follow_the_watched_kubelet_versions() {
    tokio::time::timeout(Duration::from_secs(90), async {
        let Some(corpus) = corpus::dir() else { return };
        let read = |f: &str| std::fs::read_to_string(corpus.join(f)).unwrap();
        // ENABLE_NATIVE_SIDECARS unset: auto.
        let fake = Fake::start(Features::default()).await;
        fake.nodes.put_object("node-1", node("node-1", "v1.33.2"));
        fake.configmaps
            .put("istio", json!({"mesh": read("base/mesh.yaml")}));
        fake.configmaps.put(
            "istio-sidecar-injector",
            json!({"config": read("base/config.yaml"), "values": read("base/values.json")}),
        );
        let h = &fake.server;
        let mon = h.running.monitoring_addr;
        wait_until(Duration::from_secs(10), || async {
            http_get(mon, "/readyz").await.0 == 200
        })
        .await
        .expect("ready once nodes and config are synced");
        assert!(native(h).await, "every node runs kubelet 1.33+");
        // An older node joins: no more native sidecars for unscheduled pods.
        fake.nodes.put_object("node-2", node("node-2", "v1.30.4"));
        wait_until(Duration::from_secs(10), || async { !native(h).await })
            .await
            .expect("the older node is seen within 10 s");
        // It leaves again.
        fake.nodes.delete("node-2");
        wait_until(Duration::from_secs(10), || async { native(h).await })
            .await
            .expect("the removal is seen within 10 s");
        fake.stop().await;
    })
    .await
    .expect("test within its time limit");
}

async fn include_ranges(h: &Harness) -> Option<String> {
    let r = h.review(V1, "cm", &hello_pod()).await;
    let args = init_args(&patched(&hello_pod(), &r));
    let i = args.iter().position(|a| a == "-i")?;
    args.get(i + 1).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configmap_changes_reach_the_next_injection() {
    tokio::time::timeout(Duration::from_secs(90), async {
        let Some(corpus) = corpus::dir() else { return };
        let config = std::fs::read_to_string(corpus.join("base/config.yaml")).unwrap();
        let values = std::fs::read_to_string(corpus.join("base/values.json")).unwrap();
        let mesh = std::fs::read_to_string(corpus.join("base/mesh.yaml")).unwrap();

        let fake = Fake::start(Features::from_lookup(&|k| {
            (k == "ENABLE_NATIVE_SIDECARS").then(|| "false".to_string())
        }))
        .await;
        fake.configmaps.put("istio", json!({"mesh": mesh}));
        let (h, api) = (&fake.server, &fake.configmaps);
        let mon = h.running.monitoring_addr;

        // No injector ConfigMap yet: not ready, and reviews are refused with a reason.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (s, why) = http_get(mon, "/readyz").await;
        assert_eq!(s, 503, "{why}");
        let r = h.review(V1, "early", &hello_pod()).await;
        assert_eq!(r["response"]["allowed"], false);

        // Created: ready, injecting.
        api.put(
            "istio-sidecar-injector",
            json!({"config": config, "values": values}),
        );
        wait_until(Duration::from_secs(10), || async {
            http_get(mon, "/readyz").await.0 == 200
        })
        .await
        .expect("ready once the ConfigMap exists");
        assert_eq!(include_ranges(h).await.as_deref(), Some("*"));
        let (_, debug) = http_get(mon, "/debug/config").await;
        let debug: Value = serde_json::from_str(&debug).unwrap();
        assert!(
            debug["config"]["source"]
                .as_str()
                .unwrap()
                .contains("istio-system/istio-sidecar-injector"),
            "{debug}"
        );

        // Edited: the next pod sees the new ranges.
        let mut v: Value = serde_json::from_str(&values).unwrap();
        v["global"]["proxy"]["includeIPRanges"] = "10.96.0.0/12".into();
        api.put(
            "istio-sidecar-injector",
            json!({"config": config, "values": v.to_string()}),
        );
        wait_until(Duration::from_secs(10), || async {
            include_ranges(h).await.as_deref() == Some("10.96.0.0/12")
        })
        .await
        .expect("the edit applies within 10 s");

        // Broken, then missing a key: each refused and counted; deleted: kept.
        assert_eq!(h.metric("meshinject_config_reload_errors_total").await, 0.0);
        api.put(
            "istio-sidecar-injector",
            json!({"config": config, "values": "{"}),
        );
        wait_until(Duration::from_secs(10), || async {
            h.metric("meshinject_config_reload_errors_total").await == 1.0
        })
        .await
        .expect("refusal counted");
        api.put("istio-sidecar-injector", json!({"config": config}));
        wait_until(Duration::from_secs(10), || async {
            h.metric("meshinject_config_reload_errors_total").await == 2.0
        })
        .await
        .expect("missing key counted");
        let (_, debug) = http_get(mon, "/debug/config").await;
        let debug: Value = serde_json::from_str(&debug).unwrap();
        assert!(
            debug["lastRefusedChange"]["error"]
                .as_str()
                .unwrap()
                .contains("missing key \"values\""),
            "{debug}"
        );
        api.delete("istio-sidecar-injector");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(include_ranges(h).await.as_deref(), Some("10.96.0.0/12"));
        assert_eq!(http_get(mon, "/readyz").await.0, 200);
        assert_eq!(h.metric("meshinject_config_reload_errors_total").await, 2.0);
        assert_eq!(h.metric("meshinject_config_reloads_total").await, 2.0);

        fake.stop().await;
    })
    .await
    .expect("test within its time limit");
}

/// A ConfigMap watch that fails (here: a namespace the API server does not serve, as an RBAC
/// refusal would) is named by `/readyz`, not only "no configuration yet".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_watch_is_named_by_readiness() {
    tokio::time::timeout(Duration::from_secs(30), async {
        let fake = Fake::start_with(Features::default(), |o| {
            o.config_namespace = "elsewhere".into()
        })
        .await;
        let monitoring = fake.server.running.monitoring_addr;
        let named = wait_until(Duration::from_secs(10), || async {
            let (status, body) = http_get(monitoring, "/readyz").await;
            status == 503 && body.contains("watching configmap elsewhere/istio-sidecar-injector")
        })
        .await;
        let (_, body) = http_get(monitoring, "/readyz").await;
        assert!(named.is_ok(), "/readyz says: {body}");
        fake.stop().await;
    })
    .await
    .expect("test within its time limit");
}
