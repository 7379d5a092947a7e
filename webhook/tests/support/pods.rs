//! What the conformance harness does to the corpus' objects, as Istio's webhook
//! test does: the pod a workload's admission request carries, and what is
//! left out when an injected pod is compared with its golden. Shared by the
//! conformance example and the server tests.

use serde_json::{json, Value};

/// The pod the admission path sees for a corpus object, as Istio's webhook
/// test builds it, read as Go reads the YAML.
pub fn admission_pod(doc: &Value) -> Result<Value, String> {
    let mut pod = object_to_pod(doc);
    webhook::k8s::normalize::normalize_with("Pod", &mut pod, webhook::k8s::normalize::Source::Yaml)
        .map_err(|e| e.to_string())?;
    Ok(pod)
}

/// The pod a workload's controller creates from its template (a Pod as
/// given), with the generated name and owner reference Istio's test sets.
pub fn object_to_pod(doc: &Value) -> Value {
    let kind = doc["kind"].as_str().unwrap_or("");
    let name = doc["metadata"]["name"].as_str().unwrap_or("");
    let api_version = doc["apiVersion"].clone();
    let owner = |api: Value, kind: &str, name: &str| json!([{"apiVersion": api, "kind": kind, "name": name, "controller": true}]);
    let (mut meta, spec) = match kind {
        "Pod" => return doc.clone(),
        "CronJob" => (
            doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"].clone(),
            doc["spec"]["jobTemplate"]["spec"]["template"]["spec"].clone(),
        ),
        _ => (
            doc["spec"]["template"]["metadata"].clone(),
            doc["spec"]["template"]["spec"].clone(),
        ),
    };
    let m = webhook::inject::pod::object_mut(&mut meta);
    if kind == "Deployment" {
        m.insert("generateName".into(), json!(format!("{name}-fake-")));
        m.insert(
            "ownerReferences".into(),
            owner(json!("apps/v1"), "ReplicaSet", &format!("{name}-fake")),
        );
        let labels =
            webhook::inject::pod::object_mut(m.entry("labels").or_insert_with(|| json!({})));
        labels.insert("pod-template-hash".into(), json!("fake"));
    } else {
        m.insert("generateName".into(), json!(name));
        m.insert("ownerReferences".into(), owner(api_version, kind, name));
    }
    json!({"metadata": meta, "spec": spec})
}

/// The harness' normalisation: no status annotation; `fieldRef.apiVersion`
/// cleared in the got pod's containers.
pub fn scrub(pod: &mut Value, got: bool) {
    if let Some(a) = pod
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove("sidecar.istio.io/status");
    }
    if !got {
        return;
    }
    for c in pod
        .pointer_mut("/spec/containers")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        for e in c
            .get_mut("env")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(f) = e
                .pointer_mut("/valueFrom/fieldRef")
                .and_then(Value::as_object_mut)
            {
                f.remove("apiVersion");
            }
        }
    }
}
