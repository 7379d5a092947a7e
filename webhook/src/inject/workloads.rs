//! Where the pod lives in each kind `kube-inject` handles, and the
//! workload identity (`DeploymentMeta`, `TypeMeta`) the templates see.
//!
//! Kinds are matched by `kind` alone, whatever the `apiVersion`, as Istio's
//! inject scheme registers them unversioned.

use serde_json::Value;

/// `metav1.TypeMeta` as the templates see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeMeta {
    pub kind: String,
    pub api_version: String,
}

/// The owning workload's name and namespace (`types.NamespacedName`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployMeta {
    pub name: String,
    pub namespace: String,
}

/// How a document of some kind holds its pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The document is the pod.
    Pod,
    /// The pod's metadata and spec are at these paths. For a CronJob the
    /// metadata is the job template's own, as in Istio.
    Template {
        meta: &'static [&'static str],
        spec: &'static [&'static str],
        /// The template is a pointer in Go (ReplicationController,
        /// DeploymentConfig): a missing one is an error.
        required: bool,
    },
    /// A `List` whose `items` are documents of their own.
    List,
}

/// The shape of an injectable kind; `None` for kinds passed through.
pub fn shape(kind: &str) -> Option<Shape> {
    const META: &[&str] = &["spec", "template", "metadata"];
    const SPEC: &[&str] = &["spec", "template", "spec"];
    match kind {
        "Pod" => Some(Shape::Pod),
        "List" => Some(Shape::List),
        "CronJob" => Some(Shape::Template {
            meta: &["spec", "jobTemplate", "metadata"],
            spec: &["spec", "jobTemplate", "spec", "template", "spec"],
            required: false,
        }),
        "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet" | "Job" => {
            Some(Shape::Template {
                meta: META,
                spec: SPEC,
                required: false,
            })
        }
        "ReplicationController" | "DeploymentConfig" => Some(Shape::Template {
            meta: META,
            spec: SPEC,
            required: true,
        }),
        _ => None,
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The document's own `TypeMeta`.
pub fn type_meta(doc: &Value) -> TypeMeta {
    TypeMeta {
        kind: str_at(doc, &["kind"]).to_string(),
        api_version: str_at(doc, &["apiVersion"]).to_string(),
    }
}

/// The document's own name and namespace.
pub fn object_meta(doc: &Value) -> DeployMeta {
    DeployMeta {
        name: str_at(doc, &["metadata", "name"]).to_string(),
        namespace: str_at(doc, &["metadata", "namespace"]).to_string(),
    }
}

/// Istio's heuristic from a pod to its workload: a generated pod with a
/// controller owner reference takes the owner's kind, with the usual
/// Deployment (pod-template-hash), Argo Rollout, DeploymentConfig and
/// CronJob (`-<8..10 digits>` job suffix) refinements.
pub fn deploy_meta_from_pod(pod: &Value) -> (DeployMeta, TypeMeta) {
    let pod_name = str_at(pod, &["metadata", "name"]);
    let mut meta = DeployMeta {
        name: pod_name.to_string(),
        namespace: str_at(pod, &["metadata", "namespace"]).to_string(),
    };
    let mut tm = TypeMeta {
        kind: "Pod".into(),
        api_version: "v1".into(),
    };
    let label = |k: &str| str_at(pod, &["metadata", "labels", k]);
    if !str_at(pod, &["metadata", "generateName"]).is_empty() {
        let owner = pod
            .get("metadata")
            .and_then(|m| m.get("ownerReferences"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true));
        if let Some(owner) = owner {
            let owner_name = str_at(owner, &["name"]);
            tm = TypeMeta {
                kind: str_at(owner, &["kind"]).into(),
                api_version: str_at(owner, &["apiVersion"]).into(),
            };
            meta.name = owner_name.to_string();
            let hash = label("pod-template-hash");
            let rollout_hash = label("rollouts-pod-template-hash");
            if tm.kind == "ReplicaSet" && !hash.is_empty() && owner_name.ends_with(hash) {
                meta.name = trim_suffix(owner_name, &format!("-{hash}"));
                tm.kind = "Deployment".into();
            } else if tm.kind == "ReplicaSet"
                && !rollout_hash.is_empty()
                && owner_name.ends_with(rollout_hash)
            {
                meta.name = trim_suffix(owner_name, &format!("-{rollout_hash}"));
                tm = TypeMeta {
                    kind: "Rollout".into(),
                    api_version: "v1alpha1".into(),
                };
            } else if tm.kind == "ReplicationController" && !label("deploymentconfig").is_empty() {
                meta.name = label("deploymentconfig").to_string();
                tm.kind = "DeploymentConfig".into();
            } else if tm.kind == "Job" {
                if let Some(cron) = cron_job_name(owner_name) {
                    meta.name = cron.to_string();
                    tm = TypeMeta {
                        kind: "CronJob".into(),
                        api_version: "batch/v1".into(),
                    };
                }
            }
        }
    }
    if meta.name.is_empty() {
        meta.name = pod_name.to_string();
    }
    (meta, tm)
}

fn trim_suffix(s: &str, suffix: &str) -> String {
    s.strip_suffix(suffix).unwrap_or(s).to_string()
}

/// `(.+)-\d{8,10}$`: the CronJob behind a Job name, if it has that shape.
fn cron_job_name(job: &str) -> Option<&str> {
    let digits = job.bytes().rev().take_while(u8::is_ascii_digit).count();
    if !(8..=10).contains(&digits) {
        return None;
    }
    let head = &job[..job.len() - digits];
    let name = head.strip_suffix('-')?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owned_pod(kind: &str, owner: &str, labels: Value) -> Value {
        json!({"metadata": {"generateName": "x-", "namespace": "ns", "labels": labels,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": owner, "controller": true}]}})
    }

    #[test]
    fn replicaset_with_template_hash_is_a_deployment() {
        let (m, t) = deploy_meta_from_pod(&owned_pod(
            "ReplicaSet",
            "hello-fake",
            json!({"pod-template-hash": "fake"}),
        ));
        assert_eq!(
            m,
            DeployMeta {
                name: "hello".into(),
                namespace: "ns".into()
            }
        );
        assert_eq!(
            t,
            TypeMeta {
                kind: "Deployment".into(),
                api_version: "apps/v1".into()
            }
        );
    }

    #[test]
    fn job_with_timestamp_suffix_is_a_cronjob() {
        let (m, t) = deploy_meta_from_pod(&owned_pod("Job", "nightly-28000000", json!({})));
        assert_eq!(m.name, "nightly");
        assert_eq!(
            t,
            TypeMeta {
                kind: "CronJob".into(),
                api_version: "batch/v1".into()
            }
        );
        let (m, t) = deploy_meta_from_pod(&owned_pod("Job", "nightly-1234", json!({})));
        assert_eq!((m.name.as_str(), t.kind.as_str()), ("nightly-1234", "Job"));
    }

    #[test]
    fn plain_pod_is_its_own_workload() {
        let (m, t) = deploy_meta_from_pod(&json!({"metadata": {"name": "p", "namespace": "n"}}));
        assert_eq!(
            m,
            DeployMeta {
                name: "p".into(),
                namespace: "n".into()
            }
        );
        assert_eq!(
            t,
            TypeMeta {
                kind: "Pod".into(),
                api_version: "v1".into()
            }
        );
    }

    #[test]
    fn deploymentconfig_and_rollout_heuristics() {
        let (m, t) = deploy_meta_from_pod(&owned_pod(
            "ReplicationController",
            "dc-1",
            json!({"deploymentconfig": "dc"}),
        ));
        assert_eq!(
            (m.name.as_str(), t.kind.as_str()),
            ("dc", "DeploymentConfig")
        );
        let (m, t) = deploy_meta_from_pod(&owned_pod(
            "ReplicaSet",
            "r-abc",
            json!({"rollouts-pod-template-hash": "abc"}),
        ));
        assert_eq!(
            (m.name.as_str(), t.kind.as_str(), t.api_version.as_str()),
            ("r", "Rollout", "v1alpha1")
        );
    }

    #[test]
    fn shapes_by_kind_only() {
        let Some(Shape::Template { meta, spec, .. }) = shape("CronJob") else {
            panic!("a CronJob holds a pod template")
        };
        assert_eq!(meta, ["spec", "jobTemplate", "metadata"]);
        assert_eq!(spec, ["spec", "jobTemplate", "spec", "template", "spec"]);
        assert_eq!(shape("Service"), None);
    }
}
