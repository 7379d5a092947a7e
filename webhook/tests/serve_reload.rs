//! Live changes over real TLS on loopback: editing the mounted
//! configuration changes the next injection, a broken edit is refused and
//! counted while the previous behaviour stays, a rotated certificate is
//! served to new connections while an old connection completes its
//! request; TLS version floor and `--self-signed`.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::*;
use tokio_rustls::rustls;
use webhook::admission::V1;
use webhook::config::Features;

const LIMIT: Duration = Duration::from_secs(60);

/// The `-i` argument of the next injected pod's istio-init.
async fn include_ranges(h: &Harness) -> Option<String> {
    let r = h.review(V1, "ranges", &hello_pod()).await;
    let args = init_args(&patched(&hello_pod(), &r));
    let i = args.iter().position(|a| a == "-i")?;
    args.get(i + 1).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_edits_apply_to_the_next_pod_and_broken_ones_are_refused() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |_| {}).await else {
            return;
        };
        assert_eq!(include_ranges(&h).await.as_deref(), Some("*"));
        let values_path = h.config_dir().join("values");
        let original = std::fs::read_to_string(&values_path).unwrap();

        // An operator narrows the captured ranges.
        let mut values: Value = serde_json::from_str(&original).unwrap();
        values["global"]["proxy"]["includeIPRanges"] = "10.0.0.0/8,172.16.0.0/12".into();
        write_atomic(
            &values_path,
            serde_json::to_string_pretty(&values).unwrap().as_bytes(),
        );
        wait_until(Duration::from_secs(10), || async {
            include_ranges(&h).await.as_deref() == Some("10.0.0.0/8,172.16.0.0/12")
        })
        .await
        .expect("the edit reaches the next pod within 10 s");
        assert_eq!(h.metric("meshinject_config_reloads_total").await, 2.0);
        assert_eq!(h.metric("meshinject_config_reload_errors_total").await, 0.0);

        // A broken edit (values not JSON): refused, counted, previous behaviour kept.
        write_atomic(&values_path, b"{\"global\": {\"proxy\": ");
        wait_until(Duration::from_secs(10), || async {
            h.metric("meshinject_config_reload_errors_total").await == 1.0
        })
        .await
        .expect("the refusal is counted within 10 s");
        assert_eq!(
            include_ranges(&h).await.as_deref(),
            Some("10.0.0.0/8,172.16.0.0/12")
        );
        let (status, debug) = http_get(h.running.monitoring_addr, "/debug/config").await;
        assert_eq!(status, 200);
        let debug: Value = serde_json::from_str(&debug).unwrap();
        assert!(
            debug["lastRefusedChange"]["error"]
                .as_str()
                .unwrap()
                .contains("values"),
            "{debug}"
        );
        assert!(debug["config"]["values"]
            .as_str()
            .unwrap()
            .contains("172.16.0.0/12"));
        assert_eq!(debug["ready"], true);

        // A broken template in `config` is refused the same way.
        let config_path = h.config_dir().join("config");
        let config = std::fs::read_to_string(&config_path).unwrap();
        write_atomic(
            &config_path,
            config
                .replacen("{{ annotation", "{{ annotation (", 1)
                .as_bytes(),
        );
        wait_until(Duration::from_secs(10), || async {
            h.metric("meshinject_config_reload_errors_total").await == 2.0
        })
        .await
        .expect("the broken template is refused within 10 s");
        assert_eq!(
            include_ranges(&h).await.as_deref(),
            Some("10.0.0.0/8,172.16.0.0/12")
        );

        // Fixing both files puts the original behaviour back.
        write_atomic(&config_path, config.as_bytes());
        write_atomic(&values_path, original.as_bytes());
        wait_until(Duration::from_secs(10), || async {
            include_ranges(&h).await.as_deref() == Some("*")
        })
        .await
        .expect("the fix applies within 10 s");
        h.running.shutdown().await;
    })
    .await
    .expect("test within its time limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_certificate_goes_to_new_connections_while_old_ones_finish() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |_| {}).await else {
            return;
        };
        let mut old = h.connect().await;
        let (s, _) = old
            .post(
                "/inject",
                Some("application/json"),
                review_body(V1, "before", &hello_pod()),
            )
            .await;
        assert_eq!(s, 200);

        // A request in flight on the old connection: half its body sent.
        let (req, rest) = half_sent_review("during").await;
        let old_cert = old.peer_cert.clone();
        let in_flight = tokio::spawn(async move {
            let r = old.send(req).await;
            (r, old)
        });

        // A broken pair (key of another certificate) is refused; the old one stays.
        let other = pki();
        write_atomic(&h.dir.join("key.pem"), other.key_pem.as_bytes());
        wait_until(Duration::from_secs(10), || async {
            h.metric("meshinject_cert_reload_errors_total").await == 1.0
        })
        .await
        .expect("the mismatched pair is refused within 10 s");
        let fresh_client = client_config(&h.pki.ca_pem, rustls::DEFAULT_VERSIONS);
        assert_eq!(
            Conn::open(h.running.https_addr, fresh_client, "localhost")
                .await
                .peer_cert,
            old_cert
        );

        // The new pair (Kubernetes swaps both files at once).
        let new = pki();
        let client_new = client_config(&new.ca_pem, rustls::DEFAULT_VERSIONS);
        write_atomic(&h.dir.join("cert.pem"), new.cert_pem.as_bytes());
        write_atomic(&h.dir.join("key.pem"), new.key_pem.as_bytes());
        wait_until(Duration::from_secs(10), || async {
            h.metric("meshinject_cert_reloads_total").await == 2.0
        })
        .await
        .expect("the new pair is loaded within 10 s");
        let mut fresh = Conn::open(h.running.https_addr, client_new.clone(), "localhost").await;
        assert_ne!(
            fresh.peer_cert, old_cert,
            "new connections get the new certificate"
        );
        let (s, _) = fresh
            .post(
                "/inject",
                Some("application/json"),
                review_body(V1, "after", &hello_pod()),
            )
            .await;
        assert_eq!(s, 200);
        // A client trusting only the old CA (and with no session to resume)
        // can no longer connect.
        let old_ca_only = client_config(&h.pki.ca_pem, rustls::DEFAULT_VERSIONS);
        assert!(
            Conn::try_open(h.running.https_addr, old_ca_only, "localhost")
                .await
                .is_err()
        );

        // The old connection's request completes, and the connection goes on.
        rest.send().await;
        let ((s, b), mut old) = in_flight.await.unwrap();
        assert_patched_review(s, &b, "during");
        assert_eq!(old.peer_cert, old_cert);
        let (s, _) = old
            .post(
                "/inject",
                Some("application/json"),
                review_body(V1, "later", &hello_pod()),
            )
            .await;
        assert_eq!(s, 200);
        h.running.shutdown().await;
    })
    .await
    .expect("test within its time limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_floor_and_self_signed_mode() {
    tokio::time::timeout(LIMIT, async {
        let Some(h) = start(Features::default(), |o| {
            o.tls_min_version = webhook::server::tls::MinVersion::Tls13
        })
        .await
        else {
            return;
        };
        let tls12 = client_config(&h.pki.ca_pem, &[&rustls::version::TLS12]);
        assert!(
            Conn::try_open(h.running.https_addr, tls12, "localhost")
                .await
                .is_err(),
            "TLS 1.2 refused with --tls-min-version 1.3"
        );
        let tls13 = client_config(&h.pki.ca_pem, &[&rustls::version::TLS13]);
        Conn::try_open(h.running.https_addr, tls13, "localhost")
            .await
            .expect("TLS 1.3 accepted");
        h.running.shutdown().await;

        let Some(h) = start(Features::default(), |o| {
            o.tls_min_version = webhook::server::tls::MinVersion::Tls12;
            o.tls_cert = None;
            o.tls_key = None;
            o.self_signed = true;
            o.service = "injector".into();
            o.service_namespace = Some("mesh".into());
        })
        .await
        else {
            return;
        };
        let ca = h.running.ca_pem.clone().expect("self-signed mode has a CA");
        let tls12 = client_config(&ca, &[&rustls::version::TLS12]);
        let mut c = Conn::open(h.running.https_addr, tls12, "injector.mesh.svc").await;
        let (s, b) = c
            .post(
                "/inject",
                Some("application/json"),
                review_body(V1, "ss", &hello_pod()),
            )
            .await;
        assert_eq!(s, 200);
        let r: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(r["response"]["patchType"], "JSONPatch");
        // The certificate names only the service.
        let other = client_config(&ca, rustls::DEFAULT_VERSIONS);
        assert!(Conn::try_open(h.running.https_addr, other, "localhost")
            .await
            .is_err());
        h.running.shutdown().await;
    })
    .await
    .expect("test within its time limit");
}
