//! The injection pipeline shared by the webhook and `kube-inject`: render
//! the selected templates over the pod, re-apply user overrides,
//! post-process (cluster envs, Prometheus, probes, status, order), and for
//! the webhook diff the result into a JSON patch.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::annotations::{self, ExternalChecks};
use super::decide::{self, Decision, Warning};
use super::pod::{self, List, PROXY};
use super::settings::{self, Settings};
use super::workloads::{DeployMeta, TypeMeta};
use super::{cluster, images, order, overrides, probes, prometheus, status, InjectError};
use crate::config::{InterceptionMode, MeshConfig, NodeInfo, ProxyConfig, PROXY_CONFIG_ANNOTATION};
use crate::k8s;
use crate::template::{type_meta_to_go, Prepared, TemplateData};

const TEMPLATES_ANNOTATION: &str = "inject.istio.io/templates";
const NATIVE_ANNOTATION: &str = "sidecar.istio.io/nativeSidecar";
const NETWORK_LABEL: &str = "topology.istio.io/network";
const CLUSTER_ENV: &str = "ISTIO_META_CLUSTER_ID";
const NETWORK_ENV: &str = "ISTIO_META_NETWORK";
const DEFAULT_CLUSTER: &str = "Kubernetes";

/// What the cluster can tell about a request, when it is known.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterFacts<'a> {
    /// Nodes with their kubelet versions (for `ENABLE_NATIVE_SIDECARS=auto`).
    pub nodes: Option<&'a [NodeInfo]>,
    /// The pod's Namespace object (read on OpenShift for uid ranges).
    pub namespace: Option<&'a Value>,
}

/// An admission request as the engine needs it.
#[derive(Debug, Clone)]
pub struct AdmissionInput<'a> {
    /// The pod from the AdmissionReview (`request.object`).
    pub pod: Value,
    /// `request.namespace`, used when the pod has none.
    pub namespace: &'a str,
    /// The webhook URL path (`/inject/cluster/c1/net/n1`).
    pub path: &'a str,
    /// This injector's revision (`default` when unset).
    pub revision: &'a str,
    pub cluster: ClusterFacts<'a>,
}

/// The webhook's answer.
#[derive(Debug, Clone)]
pub enum Outcome {
    Skipped(decide::Reason),
    /// The JSON patch that injects the pod.
    Injected {
        patch: Value,
    },
}

/// Everything one injection needs (Istio's `InjectionParameters`).
struct Params<'a> {
    /// The pod as the templates receive it.
    pod: Cow<'a, Value>,
    deploy: DeployMeta,
    type_meta: TypeMeta,
    templates: Vec<String>,
    mesh: Cow<'a, MeshConfig>,
    /// The mesh config's `defaultConfig`.
    mesh_default: Cow<'a, ProxyConfig>,
    proxy_config: Cow<'a, ProxyConfig>,
    /// Template data of `mesh`, `proxy_config` and the values.
    mesh_data: Cow<'a, Prepared>,
    proxy_config_data: Cow<'a, Prepared>,
    values_data: &'a Prepared,
    native: bool,
    revision: &'a str,
    proxy_envs: BTreeMap<String, String>,
    injected_annotations: Option<&'a BTreeMap<String, String>>,
    namespace: Option<&'a Value>,
}

struct Checks;

impl ExternalChecks for Checks {
    fn quantity(&self, value: &str) -> Result<(), String> {
        k8s::quantity::Quantity::parse(value)
            .map(drop)
            .map_err(|e| e.to_string())
    }
    fn proxy_config(&self, value: &str) -> Result<(), String> {
        ProxyConfig::defaults()
            .merge_annotation(value)
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

/// Strategic-merge `patch` onto a pod and read it back as Go would.
pub(crate) fn overlay(target: Value, patch: Value) -> Result<Value, InjectError> {
    let mut merged = k8s::merge::strategic_merge_pod(target, patch)
        .map_err(|e| InjectError::Merge(e.to_string()))?;
    k8s::normalize::normalize("Pod", &mut merged).map_err(|e| InjectError::Merge(e.to_string()))?;
    Ok(merged)
}

/// The admission path: decide, then inject and diff.
pub fn admit(
    settings: &Settings,
    input: AdmissionInput<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Outcome, InjectError> {
    let mut pod = input.pod;
    // managedFields can be huge and never matters to injection; Istio drops
    // it before diffing, and dropping it first keeps the cost linear in the spec.
    if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    k8s::normalize::normalize("Pod", &mut pod)
        .map_err(|e| InjectError::InvalidPod(e.to_string()))?;
    if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        if meta
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
            && !input.namespace.is_empty()
        {
            meta.insert("namespace".into(), json!(input.namespace));
        }
    }
    let namespace = pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let cfg = &settings.injector;
    let decision = decide::decide(
        &pod,
        &namespace,
        &cfg.policy,
        &cfg.never_inject_selector,
        &cfg.always_inject_selector,
        warnings,
    );
    if let Decision::Skip(reason) = decision {
        return Ok(Outcome::Skipped(reason));
    }
    let views = settings.views();
    let (proxy_config, proxy_config_data) = match pod::annotation(&pod, PROXY_CONFIG_ANNOTATION) {
        None => (
            Cow::Borrowed(&views.proxy_config),
            Cow::Borrowed(&views.proxy_config_data),
        ),
        annotation => {
            let pc = ProxyConfig::effective(&views.mesh_default, annotation)
                .map_err(InjectError::ProxyConfig)?;
            let data = settings::proxy_config_data(&pc);
            (Cow::Owned(pc), Cow::Owned(data))
        }
    };
    let (deploy, type_meta) = super::workloads::deploy_meta_from_pod(&pod);
    let proxy_envs = cluster::inject_envs_from_path(input.path);
    let node_name = pod.pointer("/spec/nodeName").and_then(Value::as_str);
    let native = settings
        .features
        .native_sidecars
        .decide(node_name, input.cluster.nodes);
    let templates = cfg.select_templates(pod::annotation(&pod, TEMPLATES_ANNOTATION));
    let pod_for_injection = if settings.features.is_openshift() {
        let mut reset = pod.clone();
        reset_openshift_proxy_user(&mut reset);
        Cow::Owned(reset)
    } else {
        Cow::Borrowed(&pod)
    };
    let params = Params {
        pod: pod_for_injection,
        deploy,
        type_meta,
        templates,
        mesh: Cow::Borrowed(settings.mesh()),
        mesh_default: Cow::Borrowed(&views.mesh_default),
        proxy_config,
        mesh_data: Cow::Borrowed(&views.mesh_data),
        proxy_config_data,
        values_data: &views.values_data,
        native,
        revision: input.revision,
        proxy_envs,
        injected_annotations: Some(&cfg.injected_annotations),
        namespace: if settings.features.is_openshift() {
            input.cluster.namespace
        } else {
            None
        },
    };
    let injected = inject_pod(settings, params)?;
    let patch = k8s::patch::to_value(k8s::patch::create_patch_from(&pod, injected));
    Ok(Outcome::Injected { patch })
}

/// OpenShift gives every container the same `runAsUser`; a proxy uid equal
/// to the app's is dropped so the proxy's own uid applies (Istio does the
/// same).
fn reset_openshift_proxy_user(pod: &mut Value) {
    let uid_of = |c: &Value| {
        c.pointer("/securityContext/runAsUser")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let all: Vec<&Value> = pod::list(pod, List::Containers)
        .iter()
        .chain(pod::list(pod, List::InitContainers))
        .collect();
    let proxy_uid = all
        .iter()
        .filter(|c| pod::name(c) == PROXY)
        .map(|c| uid_of(c))
        .next_back()
        .unwrap_or(0);
    let app_uid = all
        .iter()
        .filter(|c| ![PROXY, pod::INIT, pod::VALIDATION].contains(&pod::name(c)))
        .map(|c| uid_of(c))
        .next_back()
        .unwrap_or(0);
    if proxy_uid != app_uid {
        return;
    }
    if let Some(sc) = pod::find_any_mut(pod, PROXY)
        .and_then(|p| p.get_mut("securityContext"))
        .and_then(Value::as_object_mut)
    {
        sc.remove("runAsUser");
        sc.remove("runAsGroup");
    }
}

/// The kube-inject path for one pod template the caller decided to inject.
/// `mesh` already carries the pod's `proxy.istio.io/config` annotation.
pub fn inject_template(
    settings: &Settings,
    pod: Value,
    mesh: MeshConfig,
    deploy: DeployMeta,
    type_meta: TypeMeta,
    revision: &str,
    nodes: Option<&[NodeInfo]>,
) -> Result<Value, InjectError> {
    let node_name = pod.pointer("/spec/nodeName").and_then(Value::as_str);
    let native = settings.features.native_sidecars.decide(node_name, nodes);
    // kube-inject uses only `sidecar` (or the annotation's choice), without aliases.
    let templates = match pod::annotation(&pod, TEMPLATES_ANNOTATION) {
        Some(a) => a.split(',').map(|n| n.trim().to_string()).collect(),
        None => vec!["sidecar".to_string()],
    };
    let views = settings.views();
    let proxy_config = mesh.default_config();
    let proxy_config_data = settings::proxy_config_data(&proxy_config);
    let mesh_data = if settings.is_mesh(&mesh) {
        Cow::Borrowed(&views.mesh_data)
    } else {
        Cow::Owned(settings::mesh_data(&mesh))
    };
    let params = Params {
        mesh_default: Cow::Borrowed(&proxy_config),
        proxy_config: Cow::Borrowed(&proxy_config),
        proxy_config_data: Cow::Owned(proxy_config_data),
        mesh_data,
        values_data: &views.values_data,
        pod: Cow::Owned(pod),
        deploy,
        type_meta,
        templates,
        mesh: Cow::Owned(mesh),
        native,
        revision,
        proxy_envs: BTreeMap::new(),
        injected_annotations: None,
        namespace: None,
    };
    inject_pod(settings, params)
}

/// Istio's `injectPod` minus the diff: the injected pod.
fn inject_pod(settings: &Settings, mut p: Params<'_>) -> Result<Value, InjectError> {
    let (merged, template_pod) = run_templates(settings, &mut p)?;
    let tproxy = p.proxy_config.interception_mode() == InterceptionMode::Tproxy;
    let mut pod = overrides::reapply(merged, &p.pod, &template_pod, tproxy)?;
    post_process(settings, &p, &mut pod, &template_pod)?;
    k8s::normalize::normalize("Pod", &mut pod).map_err(|e| InjectError::Merge(e.to_string()))?;
    Ok(pod)
}

fn run_templates(settings: &Settings, p: &mut Params<'_>) -> Result<(Value, Value), InjectError> {
    annotations::validate(&p.pod, &Checks)?;
    let mut cluster = settings.values().cluster_name().to_string();
    let mut network = settings.values().network().to_string();
    if let Some(c) = p.proxy_envs.get(CLUSTER_ENV).filter(|c| !c.is_empty()) {
        cluster = c.clone();
    }
    if let Some(n) = p.proxy_envs.get(NETWORK_ENV).filter(|n| !n.is_empty()) {
        network = n.clone();
    }
    if let Some(n) = pod::label(&p.pod, NETWORK_LABEL) {
        network = n.to_string();
    }
    if !cluster.is_empty() {
        p.proxy_envs.insert(CLUSTER_ENV.into(), cluster);
    }
    if !network.is_empty() {
        p.proxy_envs.insert(NETWORK_ENV.into(), network);
    }
    let status_port = i64::from(p.mesh_default.status_port());
    let stripped = overrides::reinsert(status::strip(&p.pod, status_port))?;
    let (uid, gid) = cluster::proxy_ids(p.namespace);
    let stripped_annotations = pod::meta_map(&stripped, "annotations");
    let values = settings.values().raw();
    let mut data = TemplateData::new();
    data.set(
        "TypeMeta",
        &type_meta_to_go(&json!({"kind": p.type_meta.kind, "apiVersion": p.type_meta.api_version})),
    );
    data.set(
        "DeploymentMeta",
        &json!({"Namespace": p.deploy.namespace, "Name": p.deploy.name}),
    );
    data.set_pod(&stripped);
    data.set_prepared("ProxyConfig", &p.proxy_config_data);
    data.set_prepared("MeshConfig", &p.mesh_data);
    data.set_prepared("Values", p.values_data);
    data.set("Revision", &json!(p.revision));
    data.set("NativeSidecars", &json!(p.native));
    data.set(
        "ProxyImage",
        &json!(images::proxy_image(
            values,
            p.proxy_config.image_type(),
            stripped_annotations
        )),
    );
    data.set(
        "ProxyInitImage",
        &json!(images::proxy_init_image(values, stripped_annotations)),
    );
    data.set("ProxyUID", &json!(uid));
    data.set("ProxyGID", &json!(gid));
    data.set(
        "InboundTrafficPolicyMode",
        &json!(p.mesh.inbound_traffic_policy_mode()),
    );
    data.set(
        "CompliancePolicy",
        &json!(settings.features.compliance_policy),
    );
    let mut merged = p.pod.clone().into_owned();
    let mut template_pod = overlay(json!({}), json!({}))?;
    for name in &p.templates {
        if !settings.templates.contains(name) {
            let known: Vec<&str> = settings.templates.names().collect();
            return Err(InjectError::UnknownTemplate {
                name: name.clone(),
                known: known.join(", "),
            });
        }
        let rendered = settings
            .templates
            .render_data(name, &data)
            .map_err(|e| InjectError::Render(e.to_string()))?;
        let patch = crate::config::yaml::parse_yaml(&rendered).map_err(|e| {
            InjectError::TemplateOutput {
                template: name.clone(),
                reason: e.to_string(),
            }
        })?;
        template_pod = overlay(template_pod, patch.clone())?;
        let native = match pod::annotation(&merged, NATIVE_ANNOTATION) {
            Some("true") => true,
            Some("false") => false,
            _ => p.native,
        };
        if native
            && pod::find(&template_pod, List::InitContainers, PROXY).is_some()
            && pod::find(&merged, List::Containers, PROXY).is_some()
        {
            move_proxy_to_init(&mut merged);
        }
        merged = overlay(merged, patch)?;
    }
    Ok((merged, template_pod))
}

fn move_proxy_to_init(pod: &mut Value) {
    let Some(list) = pod::list_mut(pod, List::Containers) else {
        return;
    };
    let Some(i) = list.iter().position(|c| pod::name(c) == PROXY) else {
        return;
    };
    let proxy = list.remove(i);
    let spec = pod::spec_mut(pod);
    let init = spec
        .entry("initContainers")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !init.is_array() {
        *init = Value::Array(Vec::new());
    }
    if let Value::Array(l) = init {
        l.push(proxy);
    }
}

/// Istio's `postProcessPod`.
fn post_process(
    settings: &Settings,
    p: &Params<'_>,
    pod: &mut Value,
    template_pod: &Value,
) -> Result<(), InjectError> {
    pod::meta_map_mut(pod, "annotations");
    pod::meta_map_mut(pod, "labels");
    overrides::update_cluster_envs(pod, &p.proxy_envs);
    let status_port = i64::from(p.mesh_default.status_port());
    prometheus::apply(pod, p.mesh.enable_prometheus_merge(), status_port)?;
    prometheus::apply_secure_port(pod);
    probes::apply(pod, settings.values().rewrite_app_http_probe(), status_port);
    if let Some(network) = p.proxy_envs.get(NETWORK_ENV) {
        pod::meta_map_mut(pod, "labels").insert(NETWORK_LABEL.into(), json!(network));
    }
    let status = status::annotation_value(template_pod, p.revision);
    let annotations = pod::meta_map_mut(pod, "annotations");
    annotations.insert(status::ANNOTATION.into(), json!(status));
    for (k, v) in p.injected_annotations.into_iter().flatten() {
        annotations.insert(k.clone(), json!(v));
    }
    // The pod's own ProxyConfig decides the order (Istio re-reads the annotation here).
    let hold_config = match pod::annotation(&p.pod, PROXY_CONFIG_ANNOTATION) {
        Some(a) => Cow::Owned(
            p.mesh_default
                .merge_annotation(a)
                .map_err(InjectError::ProxyConfig)?,
        ),
        None => Cow::Borrowed(&*p.mesh_default),
    };
    let hold = hold_config
        .hold_application_until_proxy_starts()
        .unwrap_or(false)
        || settings.values().hold_application_until_proxy_starts();
    order::apply(pod, hold);
    let _ = DEFAULT_CLUSTER;
    Ok(())
}
