//! Live configuration: the store holding the [`Settings`] in force, and
//! the sources that feed it (mounted files in [`files`], ConfigMaps and
//! nodes through the API server in [`kube`]). A change is parsed whole
//! into a new snapshot and swapped in atomically; a change that does not
//! parse is refused, counted and logged, and the previous snapshot stays
//! (or, when only one of the two parts is bad, injector ConfigMap or mesh
//! config, the other part's change applies with the bad one's last good text).

pub mod files;
pub mod kube;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use serde_json::Value;

use crate::config::{Features, NodeInfo};
use crate::inject::{Settings, SettingsError};
use crate::metrics::Metrics;

/// The three ConfigMap values injection is configured by, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawConfig {
    /// `config` of ConfigMap `istio-sidecar-injector` (YAML).
    pub config: String,
    /// `values` of the same ConfigMap (JSON).
    pub values: String,
    /// `mesh` of ConfigMap `istio` (YAML; empty: Istio's defaults).
    pub mesh: String,
}

/// A configuration in force.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Arc<Settings>,
    /// Counts the configurations loaded in this process: a later one has a larger number.
    pub generation: u64,
    pub raw: RawConfig,
    /// Where it came from (`files /etc/istio/inject`, `configmap istio-system/…`).
    pub source: String,
    pub loaded_at: SystemTime,
}

/// Configurations loaded so far, by every store of the process.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

/// The last refused change.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub source: String,
    pub error: String,
    pub at: SystemTime,
}

/// Holds the configuration in force; shared by requests and sources.
#[derive(Debug)]
pub struct ConfigStore {
    current: RwLock<Option<Arc<Loaded>>>,
    last_error: Mutex<Option<Refusal>>,
    /// Why the source cannot be read right now: each failing watch's last error, by object.
    watch_errors: Mutex<BTreeMap<String, String>>,
    features: Features,
    metrics: Arc<Metrics>,
}

impl ConfigStore {
    pub fn new(features: Features, metrics: Arc<Metrics>) -> ConfigStore {
        ConfigStore {
            current: RwLock::new(None),
            last_error: Mutex::new(None),
            watch_errors: Mutex::default(),
            features,
            metrics,
        }
    }

    /// The configuration in force, if one was ever loaded.
    pub fn current(&self) -> Option<Arc<Loaded>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn features(&self) -> &Features {
        &self.features
    }

    pub fn last_error(&self) -> Option<Refusal> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Why the source cannot be read right now (`watching <object>: <error>` for each failing
    /// watch), if it cannot.
    pub fn watch_error(&self) -> Option<String> {
        let errors = self.watch_errors.lock().unwrap_or_else(|p| p.into_inner());
        let all: Vec<String> = errors
            .iter()
            .map(|(object, e)| format!("watching {object}: {e}"))
            .collect();
        (!all.is_empty()).then(|| all.join("; "))
    }

    /// Records the state of the watch of `object`: its error, or `None` once it works.
    pub fn set_watch_error(&self, object: &str, error: Option<String>) {
        let mut errors = self.watch_errors.lock().unwrap_or_else(|p| p.into_inner());
        match error {
            Some(e) => errors.insert(object.to_string(), e),
            None => errors.remove(object),
        };
    }

    /// Offers a new configuration from `source`. Unchanged text is a no-op
    /// (`Ok(false)`); text that parses replaces the configuration in force
    /// (`Ok(true)`); text that does not is refused, counted and logged
    /// (`Err`). As in Istio, the injector ConfigMap (`config` and `values`)
    /// and the mesh config are separate parts: when only one of them is bad,
    /// the other's change still applies, with the bad part's last good text
    /// (for a mesh config never good, Istio's defaults). Parsing is CPU work
    /// of a few milliseconds: async callers run this on a blocking thread.
    pub fn offer(&self, raw: RawConfig, source: &str) -> Result<bool, SettingsError> {
        let current = self.current();
        if current.as_ref().is_some_and(|c| c.raw == raw) {
            return Ok(false);
        }
        let error = match self.parse(&raw) {
            Ok(settings) => {
                self.install(settings, raw, source, None);
                return Ok(true);
            }
            Err(e) => e,
        };
        self.refuse(source, error.to_string());
        let last_mesh = current.as_ref().map_or("", |c| c.raw.mesh.as_str());
        let mut parts = Vec::new();
        if raw.mesh != last_mesh {
            let kept = RawConfig {
                mesh: last_mesh.to_string(),
                ..raw.clone()
            };
            parts.push((
                kept,
                "its mesh config change refused, the last good one kept",
            ));
        }
        if let Some(c) = &current {
            let kept = RawConfig {
                config: c.raw.config.clone(),
                values: c.raw.values.clone(),
                mesh: raw.mesh.clone(),
            };
            parts.push((
                kept,
                "its injector config change refused, the last good one kept",
            ));
        }
        for (kept, note) in parts {
            if current.as_ref().is_some_and(|c| c.raw == kept) {
                continue;
            }
            if let Ok(settings) = self.parse(&kept) {
                self.install(settings, kept, source, Some(note));
                break;
            }
        }
        Err(error)
    }

    /// Parses `raw`; a panic in doing so (a bug) is an error like any other.
    fn parse(&self, raw: &RawConfig) -> Result<Settings, SettingsError> {
        let features = self.features.clone();
        catch_unwind(AssertUnwindSafe(|| {
            Settings::from_sources(&raw.config, &raw.values, &raw.mesh, features)
        }))
        .unwrap_or_else(|p| {
            Err(SettingsError::Internal(crate::admission::panic_message(
                &*p,
            )))
        })
    }

    fn install(&self, settings: Settings, raw: RawConfig, source: &str, note: Option<&str>) {
        for doubt in settings.injector.doubts() {
            tracing::warn!(source, "injection configuration: {doubt}");
        }
        let loaded = Arc::new(Loaded {
            settings: Arc::new(settings),
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed) + 1,
            raw,
            source: source.to_string(),
            loaded_at: SystemTime::now(),
        });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(loaded);
        self.metrics.config_reload(true);
        match note {
            None => tracing::info!(source, "injection configuration loaded"),
            Some(note) => tracing::warn!(source, "injection configuration loaded, {note}"),
        }
    }

    /// Records a change from `source` that cannot be used (it did not
    /// parse, or a key is missing): logged, counted, kept out.
    pub fn refuse(&self, source: &str, error: String) {
        self.metrics.config_reload(false);
        if self.current().is_some() {
            tracing::error!(source, %error, "injection configuration refused; the previous one stays in force");
        } else {
            tracing::error!(source, %error, "injection configuration refused; none is in force, not ready until a valid one arrives");
        }
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(Refusal {
            source: source.to_string(),
            error,
            at: SystemTime::now(),
        });
    }
}

/// Looks a Namespace object up by name.
pub type NamespaceLookup = Arc<dyn Fn(&str) -> Option<Value> + Send + Sync>;

/// Facts about the cluster kept up to date by watches.
#[derive(Default)]
pub struct ClusterState {
    /// Nodes with their kubelet versions, once the first list is complete
    /// (`None`: not watched, or not synced yet).
    nodes: RwLock<Option<Arc<Vec<NodeInfo>>>>,
    namespaces: RwLock<Option<NamespaceLookup>>,
}

impl std::fmt::Debug for ClusterState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterState")
            .field("nodes", &self.nodes().map(|n| n.len()))
            .finish_non_exhaustive()
    }
}

impl ClusterState {
    pub fn nodes(&self) -> Option<Arc<Vec<NodeInfo>>> {
        self.nodes.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_nodes(&self, nodes: Vec<NodeInfo>) {
        *self.nodes.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(nodes));
    }

    pub fn namespace_lookup(&self) -> Option<NamespaceLookup> {
        self.namespaces
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_namespace_lookup(&self, lookup: NamespaceLookup) {
        *self.namespaces.write().unwrap_or_else(|p| p.into_inner()) = Some(lookup);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus_raw() -> Option<RawConfig> {
        let dir = crate::corpus::dir()?.join("base");
        Some(RawConfig {
            config: std::fs::read_to_string(dir.join("config.yaml")).ok()?,
            values: std::fs::read_to_string(dir.join("values.json")).ok()?,
            mesh: std::fs::read_to_string(dir.join("mesh.yaml")).ok()?,
        })
    }

    fn built_in() -> RawConfig {
        RawConfig {
            config: crate::defaults::CONFIG.into(),
            values: crate::defaults::VALUES.into(),
            mesh: crate::defaults::MESH.into(),
        }
    }

    #[test]
    fn a_bad_part_keeps_its_last_good_text_while_the_other_part_changes() {
        let metrics = Arc::new(Metrics::default());
        let store = ConfigStore::new(Features::default(), metrics.clone());
        let bad_mesh = "defaultConfig: [unclosed".to_string();
        let bad_values = "{not json".to_string();

        // At start-up a bad mesh config gives way to Istio's defaults, as in Istio.
        let first = RawConfig {
            mesh: bad_mesh.clone(),
            ..built_in()
        };
        let err = store.offer(first, "test").unwrap_err();
        assert!(err.to_string().starts_with("mesh"), "{err}");
        let c = store.current().expect("the injector config is in force");
        assert_eq!(c.raw.mesh, "");
        assert_eq!(c.raw.config, crate::defaults::CONFIG);
        assert_eq!(metrics.config_reload_errors(), 1);

        // A good mesh config with a bad injector change: the mesh applies.
        let next = RawConfig {
            values: bad_values.clone(),
            ..built_in()
        };
        let err = store.offer(next, "test").unwrap_err();
        assert!(err.to_string().starts_with("values"), "{err}");
        let c = store.current().unwrap();
        assert_eq!(c.raw, built_in());
        assert_eq!(metrics.config_reload_errors(), 2);

        // An injector change with a bad mesh config: the injector change applies, the
        // last good mesh config stays.
        let edited = crate::defaults::VALUES.replacen('{', "{\"revision\": \"canary\", ", 1);
        let next = RawConfig {
            values: edited.clone(),
            mesh: bad_mesh.clone(),
            ..built_in()
        };
        assert!(store.offer(next, "test").is_err());
        let c = store.current().unwrap();
        assert_eq!(c.raw.values, edited);
        assert_eq!(c.raw.mesh, crate::defaults::MESH);

        // Both parts bad: nothing changes.
        let before = store.current().unwrap();
        let both = RawConfig {
            config: crate::defaults::CONFIG.into(),
            values: bad_values,
            mesh: bad_mesh,
        };
        assert!(store.offer(both, "test").is_err());
        assert!(Arc::ptr_eq(&before, &store.current().unwrap()));
        assert_eq!(metrics.config_reload_errors(), 4);
    }

    #[test]
    fn a_working_watch_does_not_hide_another_ones_failure() {
        let store = ConfigStore::new(Features::default(), Arc::new(Metrics::default()));
        assert_eq!(store.watch_error(), None);
        store.set_watch_error("configmap a/x", Some("forbidden".into()));
        store.set_watch_error("configmap a/y", None);
        assert_eq!(
            store.watch_error().as_deref(),
            Some("watching configmap a/x: forbidden")
        );
        store.set_watch_error("configmap a/x", None);
        assert_eq!(store.watch_error(), None);
    }

    #[test]
    fn refused_change_keeps_the_previous_configuration() {
        let metrics = Arc::new(Metrics::default());
        let store = ConfigStore::new(Features::default(), metrics.clone());
        let bad = RawConfig {
            config: "policy: [unclosed".into(),
            values: "{}".into(),
            mesh: String::new(),
        };
        assert!(store.offer(bad.clone(), "test").is_err());
        assert!(store.current().is_none());
        assert_eq!(metrics.config_reload_errors(), 1);
        let Some(good) = corpus_raw() else {
            eprintln!("corpus not found: the reload half of this test did NOT run");
            return;
        };
        assert!(store.offer(good.clone(), "test").unwrap());
        assert!(
            !store.offer(good.clone(), "test").unwrap(),
            "unchanged text is a no-op"
        );
        let before = store.current().unwrap();
        let bad = RawConfig {
            config: bad.config,
            ..good
        };
        assert!(store.offer(bad, "test").is_err());
        assert!(Arc::ptr_eq(&before, &store.current().unwrap()));
        assert_eq!(metrics.config_reload_errors(), 2);
        let refusal = store.last_error().unwrap();
        assert_eq!(refusal.source, "test");
        assert!(!refusal.error.is_empty());
    }
}
