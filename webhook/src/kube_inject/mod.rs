//! `meshinject kube-inject`: manual injection of workload manifests, as
//! `istioctl kube-inject` does it. Each document of a YAML stream is
//! decoded as its Go type, its pod template injected, and the object
//! written back as `sigs.k8s.io/yaml` would; kinds that hold no pod pass
//! through byte for byte.

pub mod stream;

use serde_json::{Map, Value};

use crate::config::{InjectionPolicy, NodeInfo, PROXY_CONFIG_ANNOTATION};
use crate::inject::decide::{self, Decision};
use crate::inject::workloads::{self, Shape};
use crate::inject::{self as engine, InjectError, Settings};
use crate::k8s::normalize::{normalize_object, NormalizeError, Source};
use crate::{config, goyaml};

/// Why a manifest could not be injected; nothing is written then.
#[derive(Debug, thiserror::Error)]
pub enum KubeInjectError {
    #[error(transparent)]
    Stream(#[from] stream::SeparatorError),
    #[error("document {index}: invalid yaml: {reason}")]
    Yaml { index: usize, reason: String },
    #[error("document {index} ({kind} {name:?}): {source}")]
    Decode {
        index: usize,
        kind: String,
        name: String,
        source: Box<NormalizeError>,
    },
    #[error("document {index} ({kind} {name:?}): {source}")]
    Inject {
        index: usize,
        kind: String,
        name: String,
        source: Box<InjectError>,
    },
    #[error("document {index} ({kind} {name:?}): spec.template is required value")]
    MissingTemplate {
        index: usize,
        kind: String,
        name: String,
    },
}

/// Options of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    pub revision: &'a str,
    /// Nodes of the target cluster, when known (native-sidecar detection).
    pub nodes: Option<&'a [NodeInfo]>,
}

/// Injects every document of `input`; returns the output stream and the
/// warnings for skipped workloads.
pub fn run(
    settings: &Settings,
    input: &str,
    opts: Options<'_>,
) -> Result<(String, Vec<String>), KubeInjectError> {
    let mut out = String::with_capacity(input.len() * 4);
    let mut warnings = Vec::new();
    for (i, raw) in stream::split(input)?.into_iter().enumerate() {
        let index = i + 1;
        let mut doc = config::yaml::parse_yaml(raw).map_err(|e| KubeInjectError::Yaml {
            index,
            reason: e.to_string(),
        })?;
        let ids = |doc: &Value| {
            (
                str_at(doc, &["kind"]).to_string(),
                str_at(doc, &["metadata", "name"]).to_string(),
            )
        };
        let known = normalize_object(&mut doc, Source::Yaml).map_err(|source| {
            let (kind, name) = ids(&doc);
            KubeInjectError::Decode {
                index,
                kind,
                name,
                source: Box::new(source),
            }
        })?;
        if !known {
            out.push_str(raw);
        } else {
            inject_object(settings, &mut doc, opts, &mut warnings).map_err(|e| match e {
                ObjectError::Inject(source) => {
                    let (kind, name) = ids(&doc);
                    KubeInjectError::Inject {
                        index,
                        kind,
                        name,
                        source: Box::new(source),
                    }
                }
                ObjectError::MissingTemplate => {
                    let (kind, name) = ids(&doc);
                    KubeInjectError::MissingTemplate { index, kind, name }
                }
            })?;
            out.push_str(&goyaml::to_yaml(&doc));
        }
        out.push_str("---\n");
    }
    Ok((out, warnings))
}

enum ObjectError {
    Inject(InjectError),
    MissingTemplate,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn get_path<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn set_path(v: &mut Value, path: &[&str], new: Value) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut cur = v;
    for k in parents {
        cur = crate::inject::pod::object_mut(cur)
            .entry(*k)
            .or_insert_with(|| Value::Object(Map::new()));
    }
    crate::inject::pod::object_mut(cur).insert((*last).to_string(), new);
}

/// Istio's `IntoObject` on one decoded (normalised) object.
fn inject_object(
    settings: &Settings,
    doc: &mut Value,
    opts: Options<'_>,
    warnings: &mut Vec<String>,
) -> Result<(), ObjectError> {
    let kind = str_at(doc, &["kind"]).to_string();
    let (meta_path, spec_path, deploy, type_meta): (&[&str], &[&str], _, _) =
        match workloads::shape(&kind) {
            Some(Shape::List) => {
                if let Some(items) = doc.get_mut("items").and_then(Value::as_array_mut) {
                    for item in items.iter_mut() {
                        let known = item
                            .get("kind")
                            .and_then(Value::as_str)
                            .and_then(workloads::shape)
                            .is_some();
                        if known {
                            inject_object(settings, item, opts, warnings)?;
                        }
                    }
                }
                return Ok(());
            }
            Some(Shape::Pod) => {
                let (deploy, tm) = workloads::deploy_meta_from_pod(doc);
                (&["metadata"], &["spec"], deploy, tm)
            }
            Some(Shape::Template {
                meta,
                spec,
                required,
            }) => {
                if required && get_path(doc, &meta[..meta.len() - 1]).is_none_or(Value::is_null) {
                    return Err(ObjectError::MissingTemplate);
                }
                (
                    meta,
                    spec,
                    workloads::object_meta(doc),
                    workloads::type_meta(doc),
                )
            }
            None => return Ok(()),
        };
    let metadata = get_path(doc, meta_path)
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let spec = get_path(doc, spec_path)
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let name = Some(str_at(&metadata, &["name"]))
        .filter(|n| !n.is_empty())
        .unwrap_or(&deploy.name)
        .to_string();
    let full_name = if deploy.namespace.is_empty() {
        name
    } else {
        format!("{}/{}", deploy.namespace, name)
    };
    let what = if type_meta.kind.is_empty() {
        format!("{full_name:?}")
    } else {
        format!("{} {full_name:?}", type_meta.kind)
    };
    let pod = serde_json::json!({"metadata": metadata, "spec": spec});
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        warnings.push(format!(
            "===> Skipping injection because {what} has host networking enabled"
        ));
        return Ok(());
    }
    // The ProxyConfig annotation is applied (and must be valid) before the decision.
    let mesh = match crate::inject::pod::annotation(&pod, PROXY_CONFIG_ANNOTATION) {
        Some(a) => settings
            .mesh()
            .apply_proxy_config_annotation(a)
            .map_err(|e| ObjectError::Inject(InjectError::ProxyConfig(e)))?,
        None => settings.mesh().clone(),
    };
    let pod_namespace = str_at(&pod, &["metadata", "namespace"]).to_string();
    let decision = decide::decide(
        &pod,
        &pod_namespace,
        &InjectionPolicy::Enabled,
        &[],
        &[],
        &mut Vec::new(),
    );
    if let Decision::Skip(_) = decision {
        warnings.push(format!(
            "===> Skipping injection because {what} has sidecar injection disabled"
        ));
        return Ok(());
    }
    let injected = engine::inject_template(
        settings,
        pod,
        mesh,
        deploy,
        type_meta,
        opts.revision,
        opts.nodes,
    )
    .map_err(ObjectError::Inject)?;
    let mut injected = injected;
    let take = |k: &str, p: &mut Value| {
        p.get_mut(k)
            .map(Value::take)
            .unwrap_or_else(|| Value::Object(Map::new()))
    };
    set_path(doc, meta_path, take("metadata", &mut injected));
    set_path(doc, spec_path, take("spec", &mut injected));
    Ok(())
}
