//! Tests of the configuration model against the shared conformance corpus (Istio's real
//! ConfigMaps, its effective mesh configs and the `PROXY_CONFIG` its goldens carry).
//!
//! The corpus is found by `crate::corpus` (`$MESH_INJECT_CORPUS`, else beside the repository).
//! When it is missing the tests fail under `CI=true` and otherwise say plainly that they did
//! not run.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};

use super::injector::{InjectionPolicy, InjectorConfig};
use super::mesh::MeshConfig;
use super::proxy::{ProxyConfig, PROXY_CONFIG_ANNOTATION};
use super::values::Values;
use super::yaml::parse_yaml;

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(dir: &Path, rel: &str) -> Value {
    parse_yaml(&read(dir, rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn cases(dir: &Path) -> Vec<Value> {
    serde_json::from_str::<Value>(&read(dir, "cases.json"))
        .expect("cases.json")
        .as_array()
        .expect("cases.json is a list")
        .clone()
}

/// Every settings directory: `base` and each `rendered/case-NN`.
fn settings_dirs(dir: &Path) -> Vec<String> {
    let mut dirs = vec!["base".to_string()];
    let mut rendered: Vec<String> = std::fs::read_dir(dir.join("rendered"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| format!("rendered/{}", e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    rendered.sort();
    dirs.extend(rendered);
    dirs
}

/// The corpus's `mesh_overrides` semantics: objects merge key by key, `{"$replace": X}`
/// replaces, `{"$append": [..]}` appends to a list.
fn apply_overrides(target: &mut Value, overlay: &Value) {
    match overlay {
        Value::Object(o) if o.len() == 1 && o.contains_key("$replace") => {
            *target = o["$replace"].clone();
        }
        Value::Object(o) if o.len() == 1 && o.contains_key("$append") => {
            if !target.is_array() {
                *target = json!([]);
            }
            let list = target.as_array_mut().expect("array");
            list.extend(o["$append"].as_array().cloned().unwrap_or_default());
        }
        Value::Object(o) => {
            if !target.is_object() {
                *target = json!({});
            }
            let map = target.as_object_mut().expect("object");
            for (k, v) in o {
                apply_overrides(map.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        other => *target = other.clone(),
    }
}

#[test]
fn overrides_helper_follows_readme() {
    let mut v = json!({"a": {"b": 1, "c": [1]}, "d": {"e": 2}});
    apply_overrides(
        &mut v,
        &json!({"a": {"c": {"$append": [2]}, "x": 3}, "d": {"$replace": {}}}),
    );
    assert_eq!(v, json!({"a": {"b": 1, "c": [1, 2], "x": 3}, "d": {}}));
}

#[test]
fn defaults_equal_mesh_defaults_file() {
    let Some(dir) = crate::corpus::dir() else {
        return;
    };
    let file = MeshConfig::from_proto_json(&yaml(&dir, "base/mesh-defaults.yaml")).unwrap();
    assert!(
        file.ignored_fields().is_empty(),
        "mesh-defaults.yaml has fields the schema lacks: {:?}",
        file.ignored_fields()
    );
    assert_eq!(MeshConfig::defaults().to_value(), file.to_value());
}

#[test]
fn applying_mesh_gives_effective_mesh() {
    let Some(dir) = crate::corpus::dir() else {
        return;
    };
    for settings in settings_dirs(&dir) {
        let mesh = MeshConfig::parse(&read(&dir, &format!("{settings}/mesh.yaml")))
            .unwrap_or_else(|e| panic!("{settings}/mesh.yaml: {e}"));
        let expected =
            MeshConfig::from_proto_json(&yaml(&dir, &format!("{settings}/mesh-effective.yaml")))
                .unwrap();
        assert!(
            expected.ignored_fields().is_empty(),
            "{settings}: {:?}",
            expected.ignored_fields()
        );
        assert_eq!(
            mesh.to_value(),
            expected.to_value(),
            "{settings}/mesh-effective.yaml"
        );
        // The jsonpb form reads back to the same message.
        let round =
            MeshConfig::from_proto_json(&serde_json::from_str(&mesh.to_proto_json()).unwrap())
                .unwrap();
        assert_eq!(round, mesh, "{settings}: proto-JSON round trip");
    }
}

#[test]
fn mesh_overrides_give_case_effective_mesh() {
    let Some(dir) = crate::corpus::dir() else {
        return;
    };
    let mut checked = 0;
    for case in cases(&dir) {
        let overrides = &case["mesh_overrides"];
        if overrides.as_object().is_none_or(|o| o.is_empty()) {
            continue;
        }
        let settings = &case["settings"];
        let name = case["name"].as_str().unwrap_or("?");
        let mesh = MeshConfig::parse(&read(&dir, settings["mesh"].as_str().unwrap())).unwrap();
        let mut value = mesh.to_value();
        apply_overrides(&mut value, overrides);
        let got = MeshConfig::from_proto_json(&value).unwrap();
        let file = settings["mesh_effective_with_overrides"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: overrides without mesh_effective_with_overrides"));
        let expected = MeshConfig::from_proto_json(&yaml(&dir, file)).unwrap();
        assert_eq!(got.to_value(), expected.to_value(), "{name}: {file}");
        checked += 1;
    }
    assert!(checked > 0, "no case has mesh_overrides");
}

#[test]
fn injector_config_of_every_settings_dir_parses() {
    let Some(dir) = crate::corpus::dir() else {
        return;
    };
    for settings in settings_dirs(&dir) {
        let rel = format!("{settings}/config.yaml");
        let text = read(&dir, &rel);
        let cfg = InjectorConfig::parse(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let raw = parse_yaml(&text).unwrap();
        let raw_templates: BTreeSet<&str> = raw["templates"]
            .as_object()
            .map(|t| t.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let templates: BTreeSet<&str> = cfg.templates.keys().map(String::as_str).collect();
        assert_eq!(templates, raw_templates, "{rel}");
        assert!(cfg.templates.contains_key("sidecar"), "{rel}");
        for (name, source) in &cfg.templates {
            assert_eq!(
                Some(source.as_str()),
                raw["templates"][name].as_str(),
                "{rel}: {name}"
            );
        }
        let policy = raw["policy"].as_str().unwrap_or("");
        let expected_policy = match policy {
            "enabled" => InjectionPolicy::Enabled,
            "disabled" => InjectionPolicy::Disabled,
            other => InjectionPolicy::Invalid(other.to_string()),
        };
        assert_eq!(cfg.policy, expected_policy, "{rel}");
        assert!(!cfg.default_templates.is_empty(), "{rel}");
    }
}

#[test]
fn values_of_every_settings_dir_parse() {
    let Some(dir) = crate::corpus::dir() else {
        return;
    };
    for settings in settings_dirs(&dir) {
        let rel = format!("{settings}/values.json");
        let text = read(&dir, &rel);
        let values = Values::parse(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let raw: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(values.raw(), &raw, "{rel}: raw document kept whole");
        let global = &raw["global"];
        assert_eq!(values.hub(), global["hub"].as_str().unwrap_or(""), "{rel}");
        assert_eq!(
            values.network(),
            global["network"].as_str().unwrap_or(""),
            "{rel}"
        );
        assert_eq!(
            values.proxy_init_image(),
            global["proxy_init"]["image"].as_str().unwrap_or(""),
            "{rel}"
        );
        assert_eq!(
            values.rewrite_app_http_probe(),
            raw["sidecarInjectorWebhook"]["rewriteAppHTTPProbe"]
                .as_bool()
                .unwrap_or(false),
            "{rel}"
        );
    }
}

/// The `proxy.istio.io/config` annotations of an input file, one per document that has one.
fn proxy_annotations(text: &str) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(a)) = map
                    .get("annotations")
                    .and_then(|a| a.get(PROXY_CONFIG_ANNOTATION))
                {
                    out.push(a.clone());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for doc in text.split("\n---") {
        if let Ok(v) = parse_yaml(doc) {
            walk(&v, &mut out);
        }
    }
    out
}

/// The `PROXY_CONFIG` environment values of a golden file, in order.
fn golden_proxy_configs(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().trim_start_matches("- ") != "name: PROXY_CONFIG" {
            continue;
        }
        let value_line = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
        if value_line.starts_with("value: |") {
            out.push(lines.get(i + 2).map(|l| l.trim()).unwrap_or("").to_string());
        } else if let Some(inline) = value_line.strip_prefix("value: ") {
            let v = parse_yaml(inline).unwrap();
            out.push(v.as_str().unwrap_or("").trim().to_string());
        }
    }
    out
}

#[test]
fn proxy_config_json_matches_goldens() {
    let Some(dir) = crate::corpus::dir() else {
        return;
    };
    let mut checked = 0;
    let mut with_annotation = Vec::new();
    for case in cases(&dir) {
        let Some(expected_file) = case["expected"].as_str() else {
            continue;
        };
        let name = case["name"].as_str().unwrap_or("?");
        let settings = &case["settings"];
        let mut mesh = MeshConfig::parse(&read(&dir, settings["mesh"].as_str().unwrap())).unwrap();
        if let Some(file) = settings["mesh_effective_with_overrides"].as_str() {
            mesh = MeshConfig::from_proto_json(&yaml(&dir, file)).unwrap();
        }
        let input = read(&dir, &format!("cases/{}", case["input"].as_str().unwrap()));
        let annotations: BTreeSet<String> = proxy_annotations(&input).into_iter().collect();
        let golden: BTreeSet<String> =
            golden_proxy_configs(&read(&dir, &format!("cases/{expected_file}")))
                .into_iter()
                .collect();
        if golden.len() != 1 || annotations.len() > 1 {
            continue; // documents with different settings: not attributable here
        }
        let want = golden.into_iter().next().unwrap();
        let annotation = annotations.into_iter().next();
        // kube-inject: the annotation applied over the mesh defaultConfig.
        let kube_inject = match &annotation {
            Some(a) => mesh
                .apply_proxy_config_annotation(a)
                .unwrap()
                .default_config(),
            None => mesh.default_config(),
        };
        assert_eq!(kube_inject.proto_to_json(), want, "{name} (kube-inject)");
        // webhook: defaults, then mesh defaultConfig, then the annotation.
        let webhook =
            ProxyConfig::effective(&mesh.default_config(), annotation.as_deref()).unwrap();
        assert_eq!(webhook.proto_to_json(), want, "{name} (webhook)");
        checked += 1;
        if annotation.is_some() {
            with_annotation.push(name.to_string());
        }
    }
    eprintln!("checked {checked} cases; with proxy.istio.io/config: {with_annotation:?}");
    assert!(checked > 50, "only {checked} cases checked");
    assert!(
        with_annotation.len() >= 3,
        "annotated cases checked: {with_annotation:?}"
    );
}
