//! The `sidecar.istio.io/status` annotation: what an injection added, so a
//! later injection of the same pod can strip it first and stay idempotent.

use std::borrow::Cow;

use serde_json::{json, Value};

use super::order::{self, Place};
use super::pod::{self, List};
use super::prometheus;
use crate::gojson;

/// The annotation recording what was injected.
pub const ANNOTATION: &str = "sidecar.istio.io/status";

/// The names an injection added, as recorded in the annotation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Status {
    pub init_containers: Vec<String>,
    pub containers: Vec<String>,
}

/// The previous injection's status, if the pod carries a readable one.
pub fn previous(pod: &Value) -> Option<Status> {
    let text = pod::annotation(pod, ANNOTATION)?;
    let Ok(Value::Object(v)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let names = |key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(Status {
        init_containers: names("initContainers"),
        containers: names("containers"),
    })
}

/// The annotation value for an injection whose templates produced
/// `template_pod`; an empty revision is written as `default`.
pub fn annotation_value(template_pod: &Value, revision: &str) -> String {
    let names = |which: &str, key: &str| -> Value {
        let list: Vec<Value> = template_pod
            .get("spec")
            .and_then(|s| s.get(which))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|item| item.get(key).cloned().unwrap_or(json!("")))
            .collect();
        if list.is_empty() {
            Value::Null
        } else {
            Value::Array(list)
        }
    };
    let revision = if revision.is_empty() {
        "default"
    } else {
        revision
    };
    let status = json!({
        "initContainers": names("initContainers", "name"),
        "containers": names("containers", "name"),
        "volumes": names("volumes", "name"),
        "imagePullSecrets": names("imagePullSecrets", "name"),
        "revision": revision,
    });
    gojson::to_string(&status)
}

/// The pod the templates see on re-injection: containers the previous
/// injection added are removed, the agent's own Prometheus annotations are
/// cleared, and the status annotation is dropped. A pod without a readable
/// status is returned as is.
pub fn strip(pod: &Value, status_port: i64) -> Cow<'_, Value> {
    let Some(prev) = previous(pod) else {
        return Cow::Borrowed(pod);
    };
    let mut out = pod.clone();
    for (which, names) in [
        (List::Containers, &prev.containers),
        (List::InitContainers, &prev.init_containers),
    ] {
        if let Some(list) = pod::list_mut(&mut out, which) {
            let mut owned = std::mem::take(list);
            for n in names {
                owned = order::modify(owned, n, Place::Remove);
            }
            *list = owned;
        }
    }
    if prometheus::port_annotation(&out) == Some(status_port.to_string().as_str()) {
        prometheus::clear(&mut out);
    }
    pod::meta_map_mut(&mut out, "annotations").remove(ANNOTATION);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_lists_template_names_with_nulls_for_empty_lists() {
        let t = json!({"spec": {"initContainers": [{"name": "istio-init"}, {"name": "istio-proxy"}], "volumes": [{"name": "v"}]}});
        assert_eq!(
            annotation_value(&t, ""),
            r#"{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["v"],"imagePullSecrets":null,"revision":"default"}"#
        );
        assert!(annotation_value(&t, "canary").ends_with(r#""revision":"canary"}"#));
    }

    #[test]
    fn strip_removes_previously_injected_containers_and_annotations() {
        let pod = json!({
            "metadata": {"annotations": {
                ANNOTATION: r#"{"initContainers":["istio-init"],"containers":["istio-proxy"]}"#,
                "prometheus.io/port": "15020", "other": "kept"
            }},
            "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}], "initContainers": [{"name": "istio-init"}]}
        });
        let s = strip(&pod, 15020);
        assert_eq!(s["spec"]["containers"], json!([{"name": "app"}]));
        assert_eq!(s["spec"]["initContainers"], json!([]));
        assert_eq!(s["metadata"]["annotations"], json!({"other": "kept"}));
    }

    #[test]
    fn unreadable_status_leaves_the_pod_alone() {
        let pod = json!({"metadata": {"annotations": {ANNOTATION: "not json"}}, "spec": {"containers": [{"name": "istio-proxy"}]}});
        assert!(matches!(strip(&pod, 15020), Cow::Borrowed(p) if *p == pod));
    }
}
