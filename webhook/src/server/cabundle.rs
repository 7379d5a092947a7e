//! Keeps our CA in the `caBundle` of every webhook in the named
//! MutatingWebhookConfiguration (`--self-signed`): watches the object,
//! patches only the webhooks whose bundle lacks our CA (strategic merge
//! keyed by webhook name), and retries failed patches with exponential
//! backoff (1 s doubling to 60 s).
//!
//! Every replica generates its own CA, so a bundle holds several: ours is
//! appended to the certificates already there, keeping the newest
//! [`MAX_CAS`]. Replicas (up to that many) converge on a bundle that
//! trusts each of them instead of overwriting each other, and CAs of
//! replaced pods age out.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use kube::api::{Api, Patch, PatchParams};
use kube::Client;
use serde_json::json;

use crate::metrics::Metrics;

/// How many CA certificates a bundle keeps (the newest).
pub const MAX_CAS: usize = 4;

/// The PEM certificate blocks of a bundle, in order.
fn pem_blocks(bundle: &[u8]) -> Vec<String> {
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(bundle);
    text.split_inclusive(END)
        .filter_map(|b| {
            b.find("-----BEGIN CERTIFICATE-----")
                .map(|i| b[i..].trim().to_string())
        })
        .filter(|b| b.ends_with(END))
        .collect()
}

/// `existing` with `ca` appended, keeping the newest [`MAX_CAS`].
fn merged_bundle(existing: &[u8], ca: &str) -> String {
    let mut blocks: Vec<String> = pem_blocks(existing)
        .into_iter()
        .filter(|b| b != ca)
        .collect();
    blocks.push(ca.to_string());
    let skip = blocks.len().saturating_sub(MAX_CAS);
    blocks[skip..].join("\n") + "\n"
}

/// The strategic-merge patch that adds `ca` (one PEM certificate) to every
/// webhook whose bundle lacks it, or `None` when all trust it.
pub fn patch_for(mwc: &MutatingWebhookConfiguration, ca: &[u8]) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let ours = pem_blocks(ca)
        .pop()
        .unwrap_or_else(|| String::from_utf8_lossy(ca).trim().to_string());
    let stale: Vec<serde_json::Value> = mwc
        .webhooks
        .iter()
        .flatten()
        .filter_map(|w| {
            let bundle = w
                .client_config
                .ca_bundle
                .as_ref()
                .map(|b| b.0.as_slice())
                .unwrap_or(&[]);
            if pem_blocks(bundle).contains(&ours) {
                return None;
            }
            let b64 =
                base64::engine::general_purpose::STANDARD.encode(merged_bundle(bundle, &ours));
            Some(json!({"name": w.name, "clientConfig": {"caBundle": b64}}))
        })
        .collect();
    (!stale.is_empty()).then(|| json!({"webhooks": stale}))
}

/// Runs until the task is dropped.
pub async fn keep_ca_bundle(client: Client, name: String, ca_pem: String, metrics: Arc<Metrics>) {
    const MAX_BACKOFF: Duration = Duration::from_secs(60);
    let api: Api<MutatingWebhookConfiguration> = Api::all(client);
    let mut events = crate::watch::kube::watch_one(api.clone(), &name, |_| {}).boxed();
    let mut latest: Option<MutatingWebhookConfiguration> = None;
    let mut backoff = Duration::from_secs(1);
    let mut retry_in: Option<Duration> = None;
    loop {
        let wait = async {
            match retry_in {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = events.next() => match ev {
                Some(obj) => {
                    if obj.is_none() {
                        tracing::warn!(webhook = %name, "MutatingWebhookConfiguration not found; caBundle not set");
                    }
                    latest = obj;
                    backoff = Duration::from_secs(1);
                }
                None => return,
            },
            _ = wait => {}
        }
        retry_in = None;
        let Some(patch) = latest
            .as_ref()
            .and_then(|m| patch_for(m, ca_pem.as_bytes()))
        else {
            continue;
        };
        match api
            .patch(&name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
        {
            Ok(updated) => {
                metrics.ca_bundle_patch(true);
                tracing::info!(webhook = %name, "caBundle updated");
                latest = Some(updated);
            }
            Err(e) => {
                metrics.ca_bundle_patch(false);
                tracing::warn!(webhook = %name, error = %e, retry_in = ?backoff, "caBundle update failed");
                retry_in = Some(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(n: u8) -> String {
        format!("-----BEGIN CERTIFICATE-----\nQ{n}\n-----END CERTIFICATE-----")
    }

    fn mwc(bundles: &[Option<String>]) -> MutatingWebhookConfiguration {
        use base64::Engine as _;
        let webhooks: Vec<serde_json::Value> = bundles
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let cc = match b {
                    Some(b) => {
                        json!({"caBundle": base64::engine::general_purpose::STANDARD.encode(b)})
                    }
                    None => json!({}),
                };
                json!({"name": format!("w{i}.meshinject.io"), "clientConfig": cc,
                       "sideEffects": "None", "admissionReviewVersions": ["v1"]})
            })
            .collect();
        serde_json::from_value(json!({"metadata": {"name": "m"}, "webhooks": webhooks})).unwrap()
    }

    fn decoded(patch: &serde_json::Value, i: usize) -> String {
        use base64::Engine as _;
        let b64 = patch["webhooks"][i]["clientConfig"]["caBundle"]
            .as_str()
            .unwrap();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn patches_only_webhooks_that_lack_our_ca() {
        let m = mwc(&[Some(cert(1)), None]);
        let patch = patch_for(&m, cert(1).as_bytes()).unwrap();
        assert_eq!(patch["webhooks"].as_array().unwrap().len(), 1);
        assert_eq!(patch["webhooks"][0]["name"], "w1.meshinject.io");
        assert_eq!(decoded(&patch, 0), cert(1) + "\n");
        assert!(patch_for(&mwc(&[Some(cert(1))]), cert(1).as_bytes()).is_none());
    }

    #[test]
    fn replicas_append_their_ca_and_the_oldest_age_out() {
        // A second replica keeps the first one's CA.
        let patch = patch_for(&mwc(&[Some(cert(1))]), cert(2).as_bytes()).unwrap();
        assert_eq!(decoded(&patch, 0), format!("{}\n{}\n", cert(1), cert(2)));
        // Only the newest MAX_CAS stay.
        let full = (1..=MAX_CAS as u8).map(cert).collect::<Vec<_>>().join("\n");
        let patch = patch_for(&mwc(&[Some(full)]), cert(9).as_bytes()).unwrap();
        let kept = decoded(&patch, 0);
        assert!(
            !kept.contains(&cert(1))
                && kept.contains(&cert(2))
                && kept.ends_with(&(cert(9) + "\n"))
        );
        assert_eq!(pem_blocks(kept.as_bytes()).len(), MAX_CAS);
    }
}
