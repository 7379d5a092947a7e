//! Renders the Helm chart `charts/meshinject` without `helm`: Go text/template
//! (the `gotmpl` engine the project's injector uses) with exactly the Helm
//! constructs the chart is allowed to use, `.Values`, `.Release`, `.Chart`,
//! `include`, `required`, `toYaml`, `nindent`, `indent`, `quote` and `default`,
//! plus Go's built-ins (`printf`, `eq`, `not`, …). `toYaml` is the project's
//! byte-exact `sigs.k8s.io/yaml` encoder.
//!
//! As Helm does: every file under `templates/` is parsed into one template set
//! (so `define`s are shared), files whose name starts with `_` are not
//! rendered, values given by the caller are deep-merged over `values.yaml`,
//! `<no value>` prints as nothing, and `required` fails the render.
//! Not supported (the chart must not use them): `.Files`, `.Capabilities`,
//! `tpl`, `lookup`, sprig beyond the functions above.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use gotmpl::parse::Parser;
use gotmpl::{FuncMap, Value as G};
use serde_json::{Map, Value as J};

/// Why the chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: invalid yaml: {reason}")]
    Yaml { file: String, reason: String },
    #[error("{file}: parse error: {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: render error: {reason}")]
    Render { file: String, reason: String },
}

/// The release being installed (`.Release`).
#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub namespace: String,
}

/// One rendered template file.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Path relative to the chart, e.g. `templates/rbac.yaml`.
    pub file: String,
    pub text: String,
}

impl Manifest {
    /// The YAML documents of the file, parsed; empty documents are dropped.
    pub fn documents(&self) -> Result<Vec<J>, ChartError> {
        let mut docs = Vec::new();
        for part in split_documents(&self.text) {
            let doc = webhook::config::yaml::parse_yaml(part).map_err(|e| ChartError::Yaml {
                file: self.file.clone(),
                reason: e.to_string(),
            })?;
            if !doc.is_null() {
                docs.push(doc);
            }
        }
        Ok(docs)
    }
}

fn split_documents(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            parts.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    parts.push(&text[start..]);
    parts
}

/// The chart directory of this repository.
pub fn chart_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/meshinject")
}

fn read(path: &Path) -> Result<String, ChartError> {
    std::fs::read_to_string(path).map_err(|source| ChartError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_yaml_file(path: &Path) -> Result<J, ChartError> {
    webhook::config::yaml::parse_yaml(&read(path)?).map_err(|e| ChartError::Yaml {
        file: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Helm's value merge: maps merge key by key, anything else replaces.
pub fn merge_values(base: &mut J, over: &J) {
    match (base, over) {
        (J::Object(b), J::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge_values(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// `.Chart`: the fields of Chart.yaml under Helm's Go names.
fn chart_object(chart_yaml: &J) -> J {
    let mut m = Map::new();
    if let Some(obj) = chart_yaml.as_object() {
        for (k, v) in obj {
            let go = match k.as_str() {
                "apiVersion" => "APIVersion".to_string(),
                "kubeVersion" => "KubeVersion".to_string(),
                "appVersion" => "AppVersion".to_string(),
                other => {
                    let mut c = other.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                }
            };
            m.insert(go, v.clone());
        }
    }
    J::Object(m)
}

/// Renders the chart in `dir` with `overrides` merged over its values.yaml.
/// Returns the rendered files in name order.
pub fn render(dir: &Path, release: &Release, overrides: &J) -> Result<Vec<Manifest>, ChartError> {
    let mut values = parse_yaml_file(&dir.join("values.yaml"))?;
    if values.is_null() {
        values = J::Object(Map::new());
    }
    merge_values(&mut values, overrides);
    let chart = chart_object(&parse_yaml_file(&dir.join("Chart.yaml"))?);
    let data = serde_json::json!({
        "Values": values,
        "Chart": chart,
        "Release": {
            "Name": release.name,
            "Namespace": release.namespace,
            "Service": "Helm",
            "IsInstall": true,
            "IsUpgrade": false,
            "Revision": 1,
        },
    });

    let mut files = BTreeMap::new();
    let templates = dir.join("templates");
    let entries = std::fs::read_dir(&templates).map_err(|source| ChartError::Read {
        path: templates.clone(),
        source,
    })?;
    for entry in entries {
        let path = entry
            .map_err(|source| ChartError::Read {
                path: templates.clone(),
                source,
            })?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".tpl") {
            files.insert(format!("templates/{name}"), read(&path)?);
        }
    }

    // One template set: each file is a named template, every define is shared.
    let set: Arc<OnceLock<gotmpl::Template>> = Arc::new(OnceLock::new());
    let funcs = helm_funcs(Arc::clone(&set));
    let mut t = gotmpl::Template::new("chart").funcs(funcs.clone());
    for (file, src) in &files {
        // Go's parse-time checks (undefined functions, …), then the trees.
        gotmpl::Template::new(file)
            .funcs(funcs.clone())
            .parse(src)
            .map_err(|e| ChartError::Parse {
                file: file.clone(),
                reason: e.to_string(),
            })?;
        let (tree, defines) = Parser::with_name(Some(file), src, "{{", "}}")
            .and_then(Parser::parse)
            .map_err(|e| ChartError::Parse {
                file: file.clone(),
                reason: e.to_string(),
            })?;
        for d in defines {
            t = t.add_parse_tree(d.name.as_str(), d.body);
        }
        t = t.add_parse_tree(file, tree);
    }
    let _ = set.set(t);
    let t = set.get().expect("template set was just stored");

    let data = to_go(&data);
    let mut out = Vec::new();
    for file in files.keys() {
        let base = file.rsplit('/').next().unwrap_or(file);
        if base.starts_with('_') {
            continue;
        }
        let text = t
            .execute_template_to_string(file, &data)
            .map_err(|e| ChartError::Render {
                file: file.clone(),
                reason: e.to_string(),
            })?;
        out.push(Manifest {
            file: file.clone(),
            text: text.replace("<no value>", ""),
        });
    }
    Ok(out)
}

/// Every document of every rendered file, in file order.
pub fn render_documents(
    dir: &Path,
    release: &Release,
    overrides: &J,
) -> Result<Vec<J>, ChartError> {
    let mut docs = Vec::new();
    for m in render(dir, release, overrides)? {
        docs.extend(m.documents()?);
    }
    Ok(docs)
}

/// JSON → template value (integers stay integers, as Go prints them the same).
pub fn to_go(v: &J) -> G {
    match v {
        J::Null => G::Nil,
        J::Bool(b) => G::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => G::Int(i),
            None => G::Float(n.as_f64().unwrap_or_default()),
        },
        J::String(s) => G::String(Arc::from(s.as_str())),
        J::Array(a) => G::List(a.iter().map(to_go).collect::<Vec<_>>().into()),
        J::Object(o) => G::Map(Arc::new(
            o.iter()
                .map(|(k, v)| (Arc::from(k.as_str()), to_go(v)))
                .collect(),
        )),
    }
}

/// Template value → JSON, for `toYaml`.
fn to_json(v: &G) -> J {
    match v {
        G::Nil | G::Function(_) => J::Null,
        G::Bool(b) => J::Bool(*b),
        G::Int(i) => J::from(*i),
        G::Uint(u) => J::from(*u),
        G::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        G::String(s) => J::String(s.to_string()),
        G::List(l) => J::Array(l.iter().map(to_json).collect()),
        G::Map(m) => J::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect()),
    }
}

/// Go's `fmt.Sprint` of one value, as sprig's `strval` and Go's printing use it.
fn strval(v: &G) -> String {
    match v {
        G::String(s) => s.to_string(),
        G::Nil => String::new(),
        other => other.to_string(),
    }
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// sprig's notion of an empty value (`default`).
fn is_empty(v: &G) -> bool {
    !v.is_truthy()
}

fn indent(spaces: &G, text: &G) -> Result<String, gotmpl::TemplateError> {
    let n = spaces
        .as_int()
        .ok_or_else(|| func_error("indent: the width must be an integer"))?;
    let pad = " ".repeat(usize::try_from(n).unwrap_or(0));
    Ok(format!(
        "{pad}{}",
        strval(text).replace('\n', &format!("\n{pad}"))
    ))
}

fn func_error(message: &str) -> gotmpl::TemplateError {
    gotmpl::TemplateError::Exec(message.to_string())
}

fn want(args: &[G], n: usize, name: &str) -> Result<(), gotmpl::TemplateError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(func_error(&format!(
            "{name}: wrong number of args: want {n}, got {}",
            args.len()
        )))
    }
}

fn helm_funcs(set: Arc<OnceLock<gotmpl::Template>>) -> FuncMap {
    let mut m = FuncMap::new();
    let mut add = |name: &str, f: gotmpl::ValueFunc| {
        m.insert(name.to_string(), f);
    };
    add(
        "include",
        Arc::new(move |a: &[G]| {
            want(a, 2, "include")?;
            let name = strval(&a[0]);
            let t = set
                .get()
                .ok_or_else(|| func_error("include: template set not ready"))?;
            t.execute_template_to_string(&name, &a[1])
                .map(|s| G::String(Arc::from(s.as_str())))
        }),
    );
    add(
        "required",
        Arc::new(|a: &[G]| {
            want(a, 2, "required")?;
            match &a[1] {
                G::Nil => Err(func_error(&strval(&a[0]))),
                G::String(s) if s.is_empty() => Err(func_error(&strval(&a[0]))),
                v => Ok(v.clone()),
            }
        }),
    );
    add(
        "toYaml",
        Arc::new(|a: &[G]| {
            want(a, 1, "toYaml")?;
            let y = webhook::goyaml::to_yaml(&to_json(&a[0]));
            Ok(G::String(Arc::from(y.strip_suffix('\n').unwrap_or(&y))))
        }),
    );
    add(
        "indent",
        Arc::new(|a: &[G]| {
            want(a, 2, "indent")?;
            Ok(G::String(Arc::from(indent(&a[0], &a[1])?.as_str())))
        }),
    );
    add(
        "nindent",
        Arc::new(|a: &[G]| {
            want(a, 2, "nindent")?;
            Ok(G::String(Arc::from(
                format!("\n{}", indent(&a[0], &a[1])?).as_str(),
            )))
        }),
    );
    add(
        "quote",
        Arc::new(|a: &[G]| {
            let parts: Vec<String> = a
                .iter()
                .filter(|v| !matches!(v, G::Nil))
                .map(|v| go_quote(&strval(v)))
                .collect();
            Ok(G::String(Arc::from(parts.join(" ").as_str())))
        }),
    );
    add(
        "default",
        Arc::new(|a: &[G]| match a {
            [d] => Ok(d.clone()),
            [d, given] if is_empty(given) => Ok(d.clone()),
            [_, given] => Ok(given.clone()),
            _ => Err(func_error("default: wrong number of args: want 1 or 2")),
        }),
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_as_go() {
        assert_eq!(go_quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\x01\"");
    }

    #[test]
    fn merge_replaces_lists_and_merges_maps() {
        let mut base = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": 1});
        merge_values(&mut base, &serde_json::json!({"a": {"c": [3]}, "e": 2}));
        assert_eq!(
            base,
            serde_json::json!({"a": {"b": 1, "c": [3]}, "d": 1, "e": 2})
        );
    }

    #[test]
    fn documents_split_on_separator_lines_only() {
        let m = Manifest {
            file: "x".into(),
            text: "a: '---'\n---\nb: 1\n---\n\n".into(),
        };
        let docs = m.documents().expect("valid yaml");
        assert_eq!(
            docs,
            vec![serde_json::json!({"a": "---"}), serde_json::json!({"b": 1})]
        );
    }
}
