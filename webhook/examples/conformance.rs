//! Conformance runner for Istio's sidecar-injection corpus.
//!
//! `cargo run --release -p webhook --example conformance -- [CORPUS_DIR]`
//! (default `$MESH_INJECT_CORPUS`, else `../shared/conformance/inject`; see
//! its README for the format).
//! Every case goes through `kube-inject` (documents compared parsed) and,
//! unless the case excludes it, through the admission path (the patch is
//! applied to the workload's pod and compared with the golden pod); a third
//! check re-injects the expected output and expects no change. One line per
//! failing check with the first differences, then `N passed, M failed`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use webhook::config::{Features, MeshConfig, NodeInfo};
use webhook::inject::{self, AdmissionInput, ClusterFacts, Outcome, Settings};
use webhook::kube_inject::{self, stream};

#[allow(dead_code)]
#[path = "../tests/support/corpus.rs"]
pub mod corpus;
#[path = "../tests/support/pods.rs"]
mod pods;

use pods::{admission_pod, object_to_pod, scrub};

/// Result of a run over a corpus.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub failures: Vec<String>,
    /// Checks that do not apply to a case, with the reason.
    pub not_checked: Vec<String>,
}

#[allow(dead_code)]
fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(corpus::location);
    match run(&dir) {
        Ok(report) => {
            for f in &report.failures {
                println!("FAIL {f}");
            }
            for n in &report.not_checked {
                println!("not checked: {n}");
            }
            println!("{} passed, {} failed", report.passed, report.failures.len());
            std::process::exit(if report.failures.is_empty() { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("conformance: {e}");
            std::process::exit(2);
        }
    }
}

fn read(dir: &Path, rel: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(rel)).map_err(|e| format!("{}: {e}", dir.join(rel).display()))
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    webhook::config::yaml::parse_yaml(text).map_err(|e| e.to_string())
}

/// The outcome of one check of one case.
enum Check {
    Done(Result<(), String>),
    /// The check does not apply to this case, for the given reason.
    NotApplicable(&'static str),
}

/// Runs every case of the corpus at `dir`.
pub fn run(dir: &Path) -> Result<Report, String> {
    let cases: Vec<Value> =
        serde_json::from_str(&read(dir, "cases.json")?).map_err(|e| format!("cases.json: {e}"))?;
    let env: Value = serde_json::from_str(&read(dir, "environment.json")?)
        .map_err(|e| format!("environment.json: {e}"))?;
    let nodes: Vec<NodeInfo> = env["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| NodeInfo {
            name: n["name"].as_str().unwrap_or("").into(),
            kubelet_version: n["kubeletVersion"].as_str().unwrap_or("").into(),
        })
        .collect();
    let namespaces: Vec<Value> = env["namespaces"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| json!({"metadata": {"name": n["name"], "annotations": n["annotations"]}}))
        .collect();
    let mut report = Report::default();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?").to_string();
        let mut record = |check: &str, result: Check| match result {
            Check::Done(Ok(())) => report.passed += 1,
            Check::Done(Err(e)) => report.failures.push(format!("{name} [{check}]: {e}")),
            Check::NotApplicable(why) => {
                report.not_checked.push(format!("{name} [{check}]: {why}"))
            }
        };
        let settings = match load_settings(dir, case) {
            Ok(s) => s,
            Err(e) => {
                record("settings", Check::Done(Err(e)));
                continue;
            }
        };
        let input = read(
            dir,
            &format!("cases/{}", case["input"].as_str().unwrap_or("")),
        )?;
        let expected = match case["expected"].as_str() {
            Some(f) => Some(read(dir, &format!("cases/{f}"))?),
            None => None,
        };
        if !case["skip_injection"].as_bool().unwrap_or(false) {
            record(
                "kube-inject",
                Check::Done(check_kube_inject(
                    &settings,
                    &input,
                    expected.as_deref(),
                    case,
                    &nodes,
                )),
            );
            if let Some(exp) = expected
                .as_deref()
                .filter(|_| case["expected_error"].is_null())
            {
                match not_a_fixed_point(&input, exp) {
                    Ok(Some(why)) => record("idempotence", Check::NotApplicable(why)),
                    Ok(None) => record(
                        "idempotence",
                        Check::Done(check_kube_inject(&settings, exp, Some(exp), case, &nodes)),
                    ),
                    Err(e) => record("idempotence", Check::Done(Err(e))),
                }
            }
        }
        let skip_webhook =
            case["skip_webhook"].as_bool().unwrap_or(false) || !case["expected_error"].is_null();
        if let (false, Some(exp)) = (skip_webhook, expected.as_deref()) {
            record(
                "webhook",
                Check::Done(check_webhook(&settings, &input, exp, &nodes, &namespaces)),
            );
        }
    }
    Ok(report)
}

/// Why re-injecting the golden is not expected to reproduce it, if so. Two
/// properties of the data make Istio's output move on re-injection: an
/// input that was already injected (its golden records the old proxy
/// merged under the new one, which the next injection replaces), and a
/// golden that names one container twice across `containers` and
/// `initContainers` (not a valid pod).
fn not_a_fixed_point(input: &str, expected: &str) -> Result<Option<&'static str>, String> {
    for doc in injectable_parts(input)? {
        let pod = object_to_pod(&doc);
        if pod
            .pointer("/metadata/annotations/sidecar.istio.io~1status")
            .is_some()
        {
            return Ok(Some("the input is already injected"));
        }
    }
    for doc in injectable_parts(expected)? {
        let pod = object_to_pod(&doc);
        let mut names: Vec<&str> = ["containers", "initContainers"]
            .iter()
            .flat_map(|k| pod["spec"][k].as_array().into_iter().flatten())
            .filter_map(|c| c["name"].as_str())
            .collect();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        if names.len() != total {
            return Ok(Some("the golden names a container twice"));
        }
    }
    Ok(None)
}

fn load_settings(dir: &Path, case: &Value) -> Result<Settings, String> {
    let s = &case["settings"];
    let file = |k: &str| read(dir, s[k].as_str().unwrap_or(""));
    let features: HashMap<String, String> = case["features"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    let mut settings = Settings::from_sources(
        &file("config")?,
        &file("values")?,
        &file("mesh")?,
        Features::from_map(&features),
    )
    .map_err(|e| e.to_string())?;
    if let Some(over) = case["mesh_overrides"].as_object().filter(|o| !o.is_empty()) {
        let mut mesh = settings.mesh().to_value();
        apply_overrides(&mut mesh, over);
        settings.set_mesh(MeshConfig::from_proto_json(&mesh).map_err(|e| e.to_string())?);
    }
    Ok(settings)
}

/// The corpus' mesh overlay: objects merge key by key, `{"$replace": X}`
/// replaces, `{"$append": [..]}` appends.
fn apply_overrides(target: &mut Value, over: &Map<String, Value>) {
    let obj = webhook::inject::pod::object_mut(target);
    for (k, v) in over {
        match v {
            Value::Object(o) if o.contains_key("$replace") => {
                obj.insert(k.clone(), o["$replace"].clone());
            }
            Value::Object(o) if o.contains_key("$append") => {
                let list = obj.entry(k.clone()).or_insert_with(|| json!([]));
                if let (Value::Array(l), Some(add)) = (list, o["$append"].as_array()) {
                    l.extend(add.iter().cloned());
                }
            }
            Value::Object(o) => {
                apply_overrides(obj.entry(k.clone()).or_insert_with(|| json!({})), o)
            }
            other => {
                obj.insert(k.clone(), other.clone());
            }
        }
    }
}

fn check_kube_inject(
    settings: &Settings,
    input: &str,
    expected: Option<&str>,
    case: &Value,
    nodes: &[NodeInfo],
) -> Result<(), String> {
    let opts = kube_inject::Options {
        revision: "",
        nodes: Some(nodes),
    };
    let result = kube_inject::run(settings, input, opts);
    if let Some(want) = case["expected_error"].as_str() {
        return match result {
            Err(e) if e.to_string().to_lowercase().contains(want) => Ok(()),
            Err(e) => Err(format!("error {e:?} does not contain {want:?}")),
            Ok(_) => Err(format!(
                "expected an error containing {want:?}, injection succeeded"
            )),
        };
    }
    let (out, warnings) = result.map_err(|e| format!("unexpected error: {e}"))?;
    if let Some(want) = case["expected_log"].as_str() {
        if !warnings.iter().any(|w| w.contains(want)) {
            return Err(format!(
                "no warning contains {want:?}; warnings: {warnings:?}"
            ));
        }
    }
    let got = documents(&out)?;
    let want = documents(expected.unwrap_or(""))?;
    if got.len() != want.len() {
        return Err(format!("{} documents, want {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let diffs = diff(g, w);
        if !diffs.is_empty() {
            return Err(format!("document {}: {}", i + 1, diffs.join("; ")));
        }
    }
    Ok(())
}

fn documents(text: &str) -> Result<Vec<Value>, String> {
    let docs = stream::split(text).map_err(|e| e.to_string())?;
    docs.into_iter()
        .filter(|d| !d.trim().is_empty())
        .map(parse_yaml)
        .collect()
}

/// The injectable parts of a file, as Istio's webhook test splits it.
fn injectable_parts(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for part in text.split("\n---") {
        let doc = parse_yaml(part)?;
        collect_injectable(doc, &mut out);
    }
    Ok(out)
}

fn collect_injectable(doc: Value, out: &mut Vec<Value>) {
    match doc["kind"].as_str().unwrap_or("") {
        "Deployment"
        | "DeploymentConfig"
        | "DaemonSet"
        | "StatefulSet"
        | "Job"
        | "ReplicaSet"
        | "ReplicationController"
        | "CronJob"
        | "Pod" => out.push(doc),
        "List" => {
            for item in doc["items"].as_array().cloned().unwrap_or_default() {
                collect_injectable(item, out);
            }
        }
        _ => {}
    }
}

/// The harness' `objectToPod`.
fn check_webhook(
    settings: &Settings,
    input: &str,
    expected: &str,
    nodes: &[NodeInfo],
    namespaces: &[Value],
) -> Result<(), String> {
    let inputs = injectable_parts(input)?;
    let wants = injectable_parts(expected)?;
    if inputs.len() != wants.len() {
        return Err(format!(
            "{} injectable parts, golden has {}",
            inputs.len(),
            wants.len()
        ));
    }
    for (i, (doc, want_doc)) in inputs.iter().zip(&wants).enumerate() {
        let pod = admission_pod(doc)?;
        let namespace = doc["metadata"]["namespace"].as_str().unwrap_or("");
        let ns_object = namespaces
            .iter()
            .find(|n| n["metadata"]["name"] == namespace);
        let admission = AdmissionInput {
            pod: pod.clone(),
            namespace,
            path: "",
            revision: "default",
            cluster: ClusterFacts {
                nodes: Some(nodes),
                namespace: ns_object,
            },
        };
        let outcome = inject::admit(settings, admission, &mut Vec::new())
            .map_err(|e| format!("part {}: {e}", i + 1))?;
        let mut got = match outcome {
            Outcome::Skipped(_) => pod,
            Outcome::Injected { patch, .. } => {
                let patch: json_patch::Patch =
                    serde_json::from_value(patch).map_err(|e| e.to_string())?;
                let mut p = pod;
                json_patch::patch(&mut p, &patch)
                    .map_err(|e| format!("part {}: patch does not apply: {e}", i + 1))?;
                p
            }
        };
        let mut want = admission_pod(want_doc)?;
        webhook::k8s::normalize::normalize("Pod", &mut got).map_err(|e| e.to_string())?;
        scrub(&mut got, true);
        scrub(&mut want, false);
        let diffs = diff(&got, &want);
        if !diffs.is_empty() {
            return Err(format!("part {}: {}", i + 1, diffs.join("; ")));
        }
    }
    Ok(())
}

/// Up to five differences between two documents, by path.
fn diff(got: &Value, want: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at(got, want, String::new(), &mut out);
    out.truncate(5);
    out
}

fn short(v: Option<&Value>) -> String {
    let s = v.map_or_else(|| "<absent>".to_string(), |v| v.to_string());
    if s.len() > 160 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(160).map_or(s.len(), |c| c.0)]
        )
    } else {
        s
    }
}

fn diff_at(got: &Value, want: &Value, path: String, out: &mut Vec<String>) {
    if out.len() >= 5 {
        return;
    }
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            let mut keys: Vec<&String> = g.keys().chain(w.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (g.get(k), w.get(k)) {
                    (Some(a), Some(b)) => diff_at(a, b, p, out),
                    (a, b) => out.push(format!("{p}: got {}, want {}", short(a), short(b))),
                }
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                let label = a
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or(i.to_string(), |n| format!("{i}:{n}"));
                diff_at(a, b, format!("{path}[{label}]"), out);
            }
        }
        (a, b) if a != b => out.push(format!(
            "{path}: got {}, want {}",
            short(Some(a)),
            short(Some(b))
        )),
        _ => {}
    }
}
