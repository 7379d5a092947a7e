//! The configuration and cluster facts from the API server (kube-rs):
//! the ConfigMaps `istio-sidecar-injector` (`config`, `values`) and `istio`
//! (`mesh`), the nodes' kubelet versions (native sidecars in `auto` mode)
//! and, on OpenShift, Namespaces. Watches restart with backoff on errors;
//! nothing here ever clears the configuration in force.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node};
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Client;

use super::{ClusterState, ConfigStore, RawConfig};
use crate::config::NodeInfo;

/// Why no API client could be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("reading kubeconfig {path}: {source}")]
    Kubeconfig {
        path: String,
        source: kube::config::KubeconfigError,
    },
    #[error("no Kubernetes configuration (in-cluster service account, $KUBECONFIG or ~/.kube/config): {0}")]
    Infer(#[from] kube::config::InferConfigError),
    #[error("building the Kubernetes client: {0}")]
    Client(#[from] kube::Error),
}

/// A client from `kubeconfig` when given, else as kubectl would find one
/// (`$KUBECONFIG`, `~/.kube/config`, then the in-cluster service account).
pub async fn client(kubeconfig: Option<&Path>) -> Result<Client, ClientError> {
    let config = match kubeconfig {
        Some(path) => {
            let err = |source| ClientError::Kubeconfig {
                path: path.display().to_string(),
                source,
            };
            let kc = Kubeconfig::read_from(path).map_err(err)?;
            kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .map_err(err)?
        }
        None => kube::Config::infer().await?,
    };
    Ok(Client::try_from(config)?)
}

/// Which ConfigMaps hold the configuration.
#[derive(Debug, Clone)]
pub struct ConfigMapSource {
    pub namespace: String,
    /// `istio-sidecar-injector[-<rev>]`.
    pub injector: String,
    /// `istio[-<rev>]`.
    pub mesh: String,
}

impl ConfigMapSource {
    pub fn describe(&self) -> String {
        format!(
            "configmaps {ns}/{} and {ns}/{}",
            self.injector,
            self.mesh,
            ns = self.namespace
        )
    }
}

/// The latest state of one named object: `Some(None)` once it is known not
/// to exist. `status` hears every watch failure (`Some`, the error) and every
/// success (`None`).
pub(crate) fn watch_one<K>(
    api: Api<K>,
    name: &str,
    mut status: impl FnMut(Option<String>) + Send + 'static,
) -> impl futures_util::Stream<Item = Option<K>> + Send + 'static
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let name = name.to_string();
    let mut buffered: Option<K> = None;
    watcher::watcher(api, cfg)
        .default_backoff()
        .filter_map(move |ev| {
            match &ev {
                Ok(_) => status(None),
                Err(e) => status(Some(e.to_string())),
            }
            let out = match ev {
                Ok(Event::Apply(o)) => Some(Some(o)),
                Ok(Event::Delete(_)) => Some(None),
                Ok(Event::Init) => {
                    buffered = None;
                    None
                }
                Ok(Event::InitApply(o)) => {
                    buffered = Some(o);
                    None
                }
                Ok(Event::InitDone) => Some(buffered.take()),
                Err(e) => {
                    tracing::warn!(object = %name, error = %e, "watch failed; retrying");
                    None
                }
            };
            std::future::ready(out)
        })
}

fn data<'a>(cm: &'a ConfigMap, key: &str) -> Option<&'a str> {
    cm.data.as_ref()?.get(key).map(String::as_str)
}

const NOT_FOUND: &str = "not found";

/// The configuration the two ConfigMaps give, or why they give none.
fn raw_from(
    src: &ConfigMapSource,
    injector: Option<&ConfigMap>,
    mesh: Option<&ConfigMap>,
) -> Result<RawConfig, String> {
    let ns = &src.namespace;
    let Some(injector) = injector else {
        return Err(NOT_FOUND.to_string());
    };
    let key = |k: &str| {
        data(injector, k)
            .map(str::to_string)
            .ok_or_else(|| format!("configmap {ns}/{}: missing key {k:?}", src.injector))
    };
    Ok(RawConfig {
        config: key("config")?,
        values: key("values")?,
        mesh: mesh.and_then(|m| data(m, "mesh")).unwrap_or("").to_string(),
    })
}

/// Watches the two ConfigMaps and offers every change to the store. Runs
/// until the task is dropped.
pub async fn run_configmaps(client: Client, src: ConfigMapSource, store: Arc<ConfigStore>) {
    enum Change {
        Injector(Option<ConfigMap>),
        Mesh(Option<ConfigMap>),
    }
    let api: Api<ConfigMap> = Api::namespaced(client, &src.namespace);
    let status = |name: &str| {
        let (store, object) = (store.clone(), format!("configmap {}/{name}", src.namespace));
        move |e: Option<String>| store.set_watch_error(&object, e)
    };
    let injector =
        watch_one(api.clone(), &src.injector, status(&src.injector)).map(Change::Injector);
    let mesh = watch_one(api, &src.mesh, status(&src.mesh)).map(Change::Mesh);
    let mut changes = futures_util::stream::select(injector, mesh).boxed();
    let (mut injector, mut mesh): (Option<Option<ConfigMap>>, Option<Option<ConfigMap>>) =
        (None, None);
    let name = src.describe();
    let mut last: Option<Result<RawConfig, String>> = None;
    while let Some(change) = changes.next().await {
        match change {
            Change::Injector(c) => injector = Some(c),
            Change::Mesh(c) => mesh = Some(c),
        }
        // Wait until both have been listed once, so the first load sees both.
        let (Some(inj), Some(m)) = (&injector, &mesh) else {
            continue;
        };
        let next = raw_from(&src, inj.as_ref(), m.as_ref());
        // A re-list replays the same state: offer (and count) a state once.
        if last.as_ref() == Some(&next) {
            continue;
        }
        last = Some(next.clone());
        match next {
            Ok(raw) => {
                let store = store.clone();
                let name = name.clone();
                let _ = tokio::task::spawn_blocking(move || store.offer(raw, &name)).await;
            }
            // Absent (not created yet, or deleted): nothing to refuse; the
            // configuration in force, if any, stays.
            Err(e) if e == NOT_FOUND => tracing::warn!(
                configmap = %format!("{}/{}", src.namespace, src.injector),
                loaded = store.current().is_some(),
                "injector ConfigMap not found; keeping the configuration in force"
            ),
            Err(e) => store.refuse(&name, e),
        }
    }
}

/// Watches nodes and publishes their kubelet versions once the first
/// list is complete, then on every change.
pub async fn run_nodes(client: Client, cluster: Arc<ClusterState>) {
    let api: Api<Node> = Api::all(client);
    let mut events = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let version = |n: &Node| {
        n.status
            .as_ref()
            .and_then(|s| s.node_info.as_ref())
            .map(|i| i.kubelet_version.clone())
            .unwrap_or_default()
    };
    let mut nodes: BTreeMap<String, String> = BTreeMap::new();
    let mut listing: BTreeMap<String, String> = BTreeMap::new();
    let mut synced = false;
    let publish = |nodes: &BTreeMap<String, String>| {
        cluster.set_nodes(
            nodes
                .iter()
                .map(|(name, v)| NodeInfo {
                    name: name.clone(),
                    kubelet_version: v.clone(),
                })
                .collect(),
        )
    };
    while let Some(ev) = events.next().await {
        match ev {
            Ok(Event::Init) => listing.clear(),
            Ok(Event::InitApply(n)) => {
                listing.insert(n.metadata.name.clone().unwrap_or_default(), version(&n));
            }
            Ok(Event::InitDone) => {
                nodes = std::mem::take(&mut listing);
                synced = true;
                tracing::info!(nodes = nodes.len(), "node list synced");
                publish(&nodes);
            }
            Ok(Event::Apply(n)) => {
                let name = n.metadata.name.clone().unwrap_or_default();
                if nodes.insert(name, version(&n)).as_ref() != Some(&version(&n)) && synced {
                    publish(&nodes);
                }
            }
            Ok(Event::Delete(n)) => {
                if nodes.remove(&n.metadata.name.unwrap_or_default()).is_some() && synced {
                    publish(&nodes);
                }
            }
            Err(e) => tracing::warn!(error = %e, "node watch failed; retrying"),
        }
    }
}

/// Keeps a cache of Namespaces (OpenShift reads their uid-range
/// annotations) and publishes a lookup once the first list is complete.
pub async fn run_namespaces(client: Client, cluster: Arc<ClusterState>) {
    let api: Api<Namespace> = Api::all(client);
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher::watcher(api, watcher::Config::default()))
        .default_backoff()
        .for_each(|ev| {
            if let Err(e) = ev {
                tracing::warn!(error = %e, "namespace watch failed; retrying");
            }
            std::future::ready(())
        });
    let publish = {
        let reader = reader.clone();
        async move {
            if reader.wait_until_ready().await.is_ok() {
                tracing::info!("namespace cache synced");
                cluster.set_namespace_lookup(Arc::new(move |name: &str| {
                    let ns = reader.get(&ObjectRef::new(name))?;
                    serde_json::to_value(&*ns).ok()
                }));
            }
        }
    };
    tokio::join!(stream, publish);
}
