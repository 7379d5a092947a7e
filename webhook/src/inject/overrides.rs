//! Containers the user declared with the name of an injected one (an
//! `istio-proxy` with custom settings, say): their fields are re-applied on
//! top of what the templates produced, remembered in
//! `proxy.istio.io/overrides` for later re-injection, and the init
//! container's uid follows a user-set `runAsUser`.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::pod::{self, List, INIT, PROXY, VALIDATION};
use super::{status, InjectError};
use crate::gojson;
use crate::k8s;

/// Annotation remembering the user's container overrides.
pub const ANNOTATION: &str = "proxy.istio.io/overrides";
/// An image of `auto` means "the injected image".
const AUTO_IMAGE: &str = "auto";

#[derive(Default)]
struct Parsed {
    containers: Vec<Value>,
    init_containers: Vec<Value>,
}

fn parse_overrides(pod: &Value) -> Result<Parsed, InjectError> {
    let Some(text) = pod::annotation(pod, ANNOTATION) else {
        return Ok(Parsed::default());
    };
    let v: Value = serde_json::from_str(text)
        .map_err(|e| InjectError::Overrides(format!("annotation {ANNOTATION}: {e}")))?;
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    Ok(Parsed {
        containers: list("containers"),
        init_containers: list("initContainers"),
    })
}

fn find<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|c| pod::name(c) == name)
}

/// Istio's `reinsertOverrides`: on re-injection, containers recorded in the
/// overrides annotation that stripping removed are put back, so templates
/// see the pod as the user wrote it.
pub fn reinsert(mut pod: Cow<'_, Value>) -> Result<Cow<'_, Value>, InjectError> {
    let overrides = parse_overrides(&pod)?;
    for (which, saved) in [
        (List::Containers, overrides.containers),
        (List::InitContainers, overrides.init_containers),
    ] {
        for c in saved {
            if pod::find(&pod, which, pod::name(&c)).is_none() {
                let spec = pod::spec_mut(pod.to_mut());
                let list = spec
                    .entry(which.key())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                if let Value::Array(l) = list {
                    l.push(c);
                }
            }
        }
    }
    Ok(pod)
}

/// Istio's `reapplyOverwrittenContainers`. `original` is the pod as
/// received, `template_pod` what the templates alone produced.
///
/// One deliberate difference: on re-injection Istio skips every container
/// the status annotation lists before it looks at the overrides annotation,
/// so a user's `istio-proxy` settings are lost the second time. Here the
/// recorded overrides are re-applied first, which is what the annotation
/// exists for and makes re-injecting an injected pod a fixed point; a first
/// injection is unchanged.
pub fn reapply(
    mut merged: Value,
    original: &Value,
    template_pod: &Value,
    interception_tproxy: bool,
) -> Result<Value, InjectError> {
    let existing = parse_overrides(original)?;
    let prev = status::previous(original);
    let already_injected = pod::annotation(original, status::ANNOTATION).is_some();
    let (mut saved_containers, mut saved_init) = (Vec::new(), Vec::new());

    let empty = status::Status::default();
    let prev = prev.as_ref().unwrap_or(&empty);
    for c in pod::list(template_pod, List::Containers) {
        let name = pod::name(c);
        let injected_before = prev.containers.iter().any(|n| n == name);
        let found = find(&existing.containers, name).or_else(|| {
            (!injected_before)
                .then(|| pod::find(original, List::Containers, name))
                .flatten()
        });
        let Some(found) = found else { continue };
        let overlay = without_auto_image(found);
        merged = apply_container(merged, &overlay, List::Containers)?;
        saved_containers.push(overlay);
    }
    for c in pod::list(template_pod, List::InitContainers) {
        let name = pod::name(c);
        let injected_before = prev.init_containers.iter().any(|n| n == name);
        let found = find(&existing.init_containers, name).or_else(|| {
            (!injected_before)
                .then(|| pod::find_any(original, name).map(|f| f.1))
                .flatten()
        });
        let Some(found) = found else { continue };
        let overlay = without_auto_image(found);
        merged = apply_container(merged, &overlay, List::InitContainers)?;
        saved_init.push(overlay);
    }
    if !already_injected && (!saved_containers.is_empty() || !saved_init.is_empty()) {
        let mut doc = Map::new();
        if !saved_containers.is_empty() {
            doc.insert("containers".into(), Value::Array(saved_containers));
        }
        if !saved_init.is_empty() {
            doc.insert("initContainers".into(), Value::Array(saved_init));
        }
        pod::meta_map_mut(&mut merged, "annotations")
            .insert(ANNOTATION.into(), json!(gojson::object_to_string(&doc)));
    }
    adjust_init_user(&mut merged, original, interception_tproxy);
    Ok(merged)
}

fn without_auto_image(c: &Value) -> Value {
    let mut c = c.clone();
    if c.get("image").and_then(Value::as_str) == Some(AUTO_IMAGE) {
        pod::object_mut(&mut c).remove("image");
    }
    let _ = k8s::normalize::normalize("Container", &mut c);
    c
}

fn apply_container(target: Value, container: &Value, which: List) -> Result<Value, InjectError> {
    let patch = match which {
        List::Containers => json!({"spec": {"containers": [container]}}),
        List::InitContainers => json!({"spec": {"containers": [], "initContainers": [container]}}),
    };
    super::overlay(target, patch)
}

/// Istio's `adjustInitContainerUser`: a user `runAsUser`/`runAsGroup` on
/// `istio-proxy` carries to the iptables `-u` argument and to the
/// validation container; in TPROXY mode the proxy must keep uid 0.
fn adjust_init_user(merged: &mut Value, original: &Value, tproxy_mode: bool) {
    let Some((_, user)) = pod::find_any(original, PROXY) else {
        return;
    };
    let sc = user.get("securityContext");
    let run_as_user = sc.and_then(|s| s.get("runAsUser")).and_then(Value::as_i64);
    let run_as_group = sc.and_then(|s| s.get("runAsGroup")).and_then(Value::as_i64);
    if run_as_user.is_none() && run_as_group.is_none() {
        return;
    }
    let init_name = [INIT, VALIDATION]
        .into_iter()
        .find(|n| pod::find(merged, List::InitContainers, n).is_some());
    let Some(init_name) = init_name else { return };
    let tproxy = tproxy_mode
        || pod::annotation(merged, "sidecar.istio.io/interceptionMode") == Some("TPROXY");
    if tproxy && run_as_user.is_some() {
        if let Some(proxy) = pod::find_any_mut(merged, PROXY) {
            if let Some(sc) = proxy
                .get_mut("securityContext")
                .and_then(Value::as_object_mut)
            {
                sc.insert("runAsUser".into(), json!(0));
            }
        }
    }
    let Some(init) = pod::list_mut(merged, List::InitContainers)
        .and_then(|l| l.iter_mut().find(|c| pod::name(c) == init_name))
    else {
        return;
    };
    if !tproxy && init_name == VALIDATION {
        let sc = pod::object_mut(
            pod::object_mut(init)
                .entry("securityContext")
                .or_insert_with(pod::empty_object),
        );
        if let Some(u) = run_as_user {
            sc.insert("runAsUser".into(), json!(u));
        }
        if let Some(g) = run_as_group {
            sc.insert("runAsGroup".into(), json!(g));
        }
    }
    let Some(uid) = run_as_user.filter(|u| *u != 0) else {
        return;
    };
    if let Some(args) = init.get_mut("args").and_then(Value::as_array_mut) {
        if let Some(i) = args.iter().position(|a| a == "-u") {
            if i + 1 < args.len() {
                args[i + 1] = json!(uid.to_string());
            }
        }
    }
}

/// Istio's `updateClusterEnvs`: the webhook path's cluster and network
/// replace the proxy's env vars of the same name, appended in name order.
pub fn update_cluster_envs(pod: &mut Value, envs: &std::collections::BTreeMap<String, String>) {
    if envs.is_empty() {
        return;
    }
    let Some(proxy) = pod::find_any_mut(pod, PROXY) else {
        return;
    };
    let obj = pod::object_mut(proxy);
    let mut list: Vec<Value> = obj
        .get("env")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter(|e| !envs.contains_key(pod::name(e)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    list.extend(envs.iter().map(|(k, v)| json!({"name": k, "value": v})));
    obj.insert("env".into(), Value::Array(list));
}
