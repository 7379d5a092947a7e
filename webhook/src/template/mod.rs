//! Go text/template rendering of Istio's injection templates (the `templates` of the
//! `istio-sidecar-injector` ConfigMap), with sprig's and Istio's template functions and Go's
//! semantics, on top of the `gotmpl` engine.
//!
//! # API
//!
//! [`Templates`] holds named parsed templates ([`Templates::parse`]; each template has its own
//! `define`s, as Istio parses each separately) and renders one by name with [`Templates::render`].
//! The `*_to_go` functions convert Kubernetes JSON and protobuf JSON into the data contract below.
//! [`Templates::render_data`] takes the same data built field by field ([`TemplateData`]): the pod
//! straight from Kubernetes JSON, and fields that do not change between renders (mesh config,
//! values) as [`Prepared`] values converted once.
//!
//! # Data contract
//!
//! `render` takes Istio's `SidecarTemplateData` as JSON **with Go field names**:
//!
//! | field | Go type | JSON given |
//! |---|---|---|
//! | `TypeMeta` | `metav1.TypeMeta` | `{"Kind": .., "APIVersion": ..}` of the workload (Deployment, Pod, …) |
//! | `DeploymentMeta` | `types.NamespacedName` | `{"Namespace": .., "Name": ..}` |
//! | `ObjectMeta` | `metav1.ObjectMeta` | the pod's metadata, Go names ([`object_meta_to_go`]) |
//! | `Spec` | `corev1.PodSpec` | the pod spec, Go names ([`pod_spec_to_go`]) |
//! | `ProxyConfig` | `*meshconfig.ProxyConfig` | Go view, see below ([`proxy_config_to_go`]) |
//! | `MeshConfig` | `*meshconfig.MeshConfig` | Go view ([`mesh_config_to_go`]) |
//! | `Values` | `map[string]any` | the injector's `values` JSON as is (every number becomes a `float64`, as Go's JSON decoding makes it) |
//! | `Revision`, `ProxyImage`, `ProxyInitImage`, `InboundTrafficPolicyMode`, `CompliancePolicy` | `string` | strings |
//! | `NativeSidecars` | `bool` | boolean |
//! | `ProxyUID`, `ProxyGID` | `int64` | integers |
//!
//! Other top-level keys are passed through untyped (for templates fed by other Istio data types).
//!
//! Go view of Kubernetes structs: keys are Go field names (the JSON name with the first letter
//! upper-cased, except the names Kubernetes spells otherwise: `APIVersion`, `UID`, `DNSPolicy`,
//! `HTTPGet`, `TCPSocket`, `GRPC`, `DeprecatedServiceAccount` for `serviceAccount`, …, all listed
//! in the Kubernetes schema table shared with `crate::k8s`). Map-typed fields (`Labels`,
//! `Annotations`, `NodeSelector`, resource lists) keep their keys. Absent fields read as Go's zero value (`""`, `0`, `false`, empty map/slice,
//! nil pointer). `Quantity`, `IntOrString` and `Time` values are given in their Kubernetes JSON form;
//! give the pod as Kubernetes serialises it (canonical quantities), since templates print it back.
//!
//! Go view of protobuf messages (`ProxyConfig`, `MeshConfig` and every message they hold, as the
//! configuration model's schema describes them): protoc-gen-go's field names (`DiscoveryAddress`,
//! `ProxyMetadata`, `HoldApplicationUntilProxyStarts`, …); enums by name (`"REDIRECT"`; an absent enum
//! reads as its zero name); wrapper types (`BoolValue`, `Int32Value`, …) as `{"Value": v}` (absent:
//! nil); durations as `{"Seconds": s, "Nanos": n}` (the text form `"45s"` is also accepted); oneofs
//! as `{"<OneofGoName>": {"<FieldGoName>": v}}` (e.g. `"ClusterName": {"ServiceCluster": "x"}`,
//! `"Tracing": {"Tracer": {"Zipkin": {...}}}`); maps keep their keys. [`proxy_config_to_go`] builds
//! this from protobuf JSON (the form of the mesh config's `defaultConfig`).
//!
//! # Go semantics supplied beyond gotmpl
//!
//! - Go method calls in field chains (`.InterceptionMode.String`, `.HoldApplicationUntilProxyStarts.GetValue`,
//!   `.GetTracing.GetTlsSettings.GetCaCertificates`): `String` on an enum gives its name, `GetX`
//!   reads field `X` nil-safely (see `rewrite`).
//! - Go static types (see `typed`): `index` of a missing key of a `map[string]string` gives `""`;
//!   `structToJSON`/`toJSON`/`toYaml` write Kubernetes structs with their JSON names in declaration
//!   order with `omitempty`; `protoToJSON` hands the message back to the configuration model, which
//!   prints it as Istio does (`.proto` order, ProxyConfig defaults stripped); sprig's `default`
//!   never treats a struct as empty.
//! - Printing: numbers, lists and maps print with Go's `fmt` (`float64` 1000000 prints `1e+06`).
//! - Undefined functions fail at parse time with their line, as in Go.

mod convert;
mod data;
mod funcs;
mod gofmt;
mod istio_funcs;
mod k8s_view;
mod marshal;
mod proto_view;
mod pure;
mod purity;
mod rewrite;
mod typed;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_data;

use crate::config::proto::schema::{MESH_CONFIG, PROXY_CONFIG};
pub use data::{Prepared, TemplateData};
use gotmpl::parse::Parser;
use k8s_view::K;
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// A template that could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Syntax error, at a 1-based line and column of the template source.
    #[error("template {template:?} line {line} column {col}: {message}")]
    Syntax {
        template: String,
        line: usize,
        col: usize,
        message: String,
    },
    /// A function the template calls does not exist (Go rejects this at parse time).
    #[error("template {template:?} line {line}: function {function:?} not defined")]
    UndefinedFunction {
        template: String,
        line: usize,
        function: String,
    },
}

/// A template that could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {0:?} not found")]
    UnknownTemplate(String),
    #[error("template data must be a JSON object, got {0}")]
    BadData(&'static str),
    #[error("rendering template {template:?}: {message}")]
    Exec { template: String, message: String },
}

/// Named parsed templates.
#[derive(Default)]
pub struct Templates {
    parsed: BTreeMap<String, gotmpl::Template>,
    /// Templates that call a function whose result is not fixed by its arguments, with the
    /// first such function.
    varying: BTreeMap<String, String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("names", &self.parsed.keys().collect::<Vec<_>>())
            .finish()
    }
}

const GO_BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js",
    "urlquery", "call", "eq", "ne", "lt", "le", "gt", "ge",
];

fn func_map() -> &'static gotmpl::FuncMap {
    static FUNCS: OnceLock<gotmpl::FuncMap> = OnceLock::new();
    FUNCS.get_or_init(funcs::func_map)
}

fn func_names() -> &'static BTreeSet<String> {
    static NAMES: OnceLock<BTreeSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        GO_BUILTINS
            .iter()
            .map(|s| s.to_string())
            .chain(func_map().keys().cloned())
            .collect()
    })
}

fn syntax(template: &str, e: gotmpl::TemplateError) -> TemplateError {
    match e {
        gotmpl::TemplateError::Parse {
            line, col, message, ..
        }
        | gotmpl::TemplateError::Lex {
            line, col, message, ..
        } => TemplateError::Syntax {
            template: template.to_string(),
            line,
            col,
            message,
        },
        other => TemplateError::Syntax {
            template: template.to_string(),
            line: 0,
            col: 0,
            message: other.to_string(),
        },
    }
}

impl Templates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `src` as template `name`, replacing any template of that name.
    pub fn parse(&mut self, name: &str, src: &str) -> Result<(), TemplateError> {
        let src = &*rewrite::left_trimmed_comments(src);
        // Go's own checks (duplicate defines, …) first, then the trees to rewrite.
        gotmpl::Template::new(name)
            .funcs(func_map().clone())
            .parse(src)
            .map_err(|e| syntax(name, e))?;
        let (mut tree, defines) = Parser::with_name(Some(name), src, "{{", "}}")
            .and_then(Parser::parse)
            .map_err(|e| syntax(name, e))?;
        let undefined = |(function, line)| TemplateError::UndefinedFunction {
            template: name.to_string(),
            line,
            function,
        };
        rewrite::rewrite_list(&mut tree, func_names()).map_err(undefined)?;
        let mut t = gotmpl::Template::new(name).funcs(func_map().clone());
        let mut varying = purity::varying_call(&tree);
        for mut d in defines {
            if d.name.as_str() == name {
                continue;
            }
            rewrite::rewrite_list(&mut d.body, func_names()).map_err(undefined)?;
            varying = varying.or_else(|| purity::varying_call(&d.body));
            t = t.add_parse_tree(d.name.as_str(), d.body);
        }
        t = t.add_parse_tree(name, tree);
        self.parsed.insert(name.to_string(), t);
        match varying {
            Some(f) => self.varying.insert(name.to_string(), f),
            None => self.varying.remove(name),
        };
        Ok(())
    }

    /// Whether every template renders the same text for the same data: none calls a function
    /// whose result can change between calls with the same arguments (`env`, `call`).
    pub fn deterministic(&self) -> bool {
        self.varying.is_empty()
    }

    /// The first template (by name) that calls such a function, with the function.
    pub fn varying_call(&self) -> Option<(&str, &str)> {
        self.varying
            .iter()
            .next()
            .map(|(t, f)| (t.as_str(), f.as_str()))
    }

    /// Whether a template called `name` is parsed.
    pub fn contains(&self, name: &str) -> bool {
        self.parsed.contains_key(name)
    }

    /// Names of the parsed templates, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parsed.keys().map(String::as_str)
    }

    /// Renders template `name` with `data` (see the data contract in the module doc).
    pub fn render(&self, name: &str, data: &J) -> Result<String, RenderError> {
        self.render_data(name, &TemplateData::from_json(data)?)
    }

    /// Renders template `name` with data built field by field.
    pub fn render_data(&self, name: &str, data: &TemplateData) -> Result<String, RenderError> {
        let t = self
            .parsed
            .get(name)
            .ok_or_else(|| RenderError::UnknownTemplate(name.to_string()))?;
        let (root, types) = data.root();
        let _scope = typed::Scope::enter(types);
        t.execute_template_to_string(name, &root)
            .map_err(|e| RenderError::Exec {
                template: name.to_string(),
                message: e.to_string(),
            })
    }
}

/// Converts a pod spec in Kubernetes JSON into the Go view.
pub fn pod_spec_to_go(spec: &J) -> J {
    convert::k8s_json_to_go(spec, K::named("PodSpec"))
}

/// Converts object metadata in Kubernetes JSON into the Go view.
pub fn object_meta_to_go(meta: &J) -> J {
    convert::k8s_json_to_go(meta, K::named("ObjectMeta"))
}

/// Converts `{"apiVersion", "kind"}` into the Go view.
pub fn type_meta_to_go(type_meta: &J) -> J {
    convert::k8s_json_to_go(type_meta, K::named("TypeMeta"))
}

/// Converts a ProxyConfig in protobuf JSON into the Go view.
pub fn proxy_config_to_go(proxy_config: &J) -> J {
    proto_view::proto_json_to_go(proxy_config, proto_view::P::message(PROXY_CONFIG))
}

/// Converts a MeshConfig in protobuf JSON into the Go view (its `defaultConfig` as a ProxyConfig).
pub fn mesh_config_to_go(mesh_config: &J) -> J {
    proto_view::proto_json_to_go(mesh_config, proto_view::P::message(MESH_CONFIG))
}
