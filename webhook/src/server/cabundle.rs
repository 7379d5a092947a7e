//! Keeps the `caBundle` of every webhook in the named
//! MutatingWebhookConfiguration equal to our CA (`--self-signed`): watches
//! the object, patches only the webhooks whose bundle differs (strategic
//! merge keyed by webhook name), and retries failed patches with
//! exponential backoff (1 s doubling to 60 s).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use kube::api::{Api, Patch, PatchParams};
use kube::Client;
use serde_json::json;

use crate::metrics::Metrics;

/// The strategic-merge patch that sets `ca` on every webhook whose
/// bundle differs, or `None` when all are up to date.
pub fn patch_for(mwc: &MutatingWebhookConfiguration, ca: &[u8]) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(ca);
    let stale: Vec<serde_json::Value> = mwc
        .webhooks
        .iter()
        .flatten()
        .filter(|w| w.client_config.ca_bundle.as_ref().map(|b| b.0.as_slice()) != Some(ca))
        .map(|w| json!({"name": w.name, "clientConfig": {"caBundle": b64}}))
        .collect();
    (!stale.is_empty()).then(|| json!({"webhooks": stale}))
}

/// Runs until the task is dropped.
pub async fn keep_ca_bundle(client: Client, name: String, ca_pem: String, metrics: Arc<Metrics>) {
    const MAX_BACKOFF: Duration = Duration::from_secs(60);
    let api: Api<MutatingWebhookConfiguration> = Api::all(client);
    let mut events = crate::watch::kube::watch_one(api.clone(), &name).boxed();
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

    #[test]
    fn patches_only_stale_webhooks() {
        let mwc: MutatingWebhookConfiguration = serde_json::from_value(json!({
            "metadata": {"name": "istio-sidecar-injector"},
            "webhooks": [
                {"name": "a.sidecar-injector.istio.io", "clientConfig": {"caBundle": "Q0E="},
                 "sideEffects": "None", "admissionReviewVersions": ["v1"]},
                {"name": "b.sidecar-injector.istio.io", "clientConfig": {},
                 "sideEffects": "None", "admissionReviewVersions": ["v1"]}
            ]
        }))
        .unwrap();
        let patch = patch_for(&mwc, b"CA").unwrap();
        assert_eq!(
            patch,
            json!({"webhooks": [{"name": "b.sidecar-injector.istio.io", "clientConfig": {"caBundle": "Q0E="}}]})
        );
        assert!(
            patch_for(&mwc, b"OTHER").unwrap()["webhooks"]
                .as_array()
                .unwrap()
                .len()
                == 2
        );
    }
}
