//! The data of one render (Istio's `SidecarTemplateData`) as template values: built from the
//! data-contract JSON of the module doc of [`super`], or field by field with [`TemplateData`],
//! where fields that do not change between requests (the mesh config, the values) can be
//! converted once as [`Prepared`] values and the pod is converted straight from Kubernetes JSON.

use super::convert::{convert, k8s_direct, Ty};
use super::k8s_view::K;
use super::typed::{self, Types};
use super::RenderError;
use crate::config::proto::schema::{MESH_CONFIG, PROXY_CONFIG};
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The Go type of each `SidecarTemplateData` field.
const TOP: &[(&str, Ty)] = &[
    ("TypeMeta", Ty::K8sStruct("TypeMeta")),
    ("DeploymentMeta", Ty::K8sStruct("NamespacedName")),
    ("ObjectMeta", Ty::K8sStruct("ObjectMeta")),
    ("Spec", Ty::K8sStruct("PodSpec")),
    ("ProxyConfig", Ty::ProtoMessage(PROXY_CONFIG)),
    ("MeshConfig", Ty::ProtoMessage(MESH_CONFIG)),
    ("Values", Ty::Values),
    ("Revision", Ty::K8s(K::Str)),
    ("NativeSidecars", Ty::K8s(K::Bool)),
    ("ProxyImage", Ty::K8s(K::Str)),
    ("ProxyInitImage", Ty::K8s(K::Str)),
    ("ProxyUID", Ty::K8s(K::Int)),
    ("ProxyGID", Ty::K8s(K::Int)),
    ("InboundTrafficPolicyMode", Ty::K8s(K::Str)),
    ("CompliancePolicy", Ty::K8s(K::Str)),
];

/// The Go type of a top-level field; fields outside `SidecarTemplateData` are untyped.
fn field_type(field: &str) -> Ty {
    TOP.iter()
        .find(|(name, _)| *name == field)
        .map_or(Ty::Generic, |(_, ty)| *ty)
}

/// Runs `convert` with a type record open and returns its value with what it recorded.
fn recorded(convert: impl FnOnce() -> gotmpl::Value) -> (gotmpl::Value, Types) {
    let scope = typed::Scope::enter(Vec::new());
    let value = convert();
    (value, scope.finish())
}

/// One top-level field's value, converted once to be given to many renders.
#[derive(Debug, Clone)]
pub struct Prepared {
    value: gotmpl::Value,
    types: Arc<Types>,
}

impl Prepared {
    /// Converts `go_view`, the data-contract JSON of top-level field `field` (`"MeshConfig"`,
    /// `"Values"`, …), as that field's Go type.
    pub fn new(field: &str, go_view: &J) -> Prepared {
        let (value, mut types) = recorded(|| convert(Some(go_view), field_type(field)));
        types.keep_results_of(&value);
        Prepared {
            value,
            types: Arc::new(types),
        }
    }
}

impl Prepared {
    /// How many pure-function results are kept for this value.
    #[cfg(test)]
    pub(crate) fn kept_results(&self) -> usize {
        self.types.kept_results()
    }
}

/// The data of one render, every `SidecarTemplateData` field at its Go zero value until set.
#[derive(Debug)]
pub struct TemplateData {
    fields: BTreeMap<Arc<str>, gotmpl::Value>,
    types: Vec<Arc<Types>>,
}

impl Default for TemplateData {
    fn default() -> Self {
        Self::new()
    }
}

impl TemplateData {
    pub fn new() -> TemplateData {
        type Zero = (BTreeMap<Arc<str>, gotmpl::Value>, Arc<Types>);
        static ZERO: OnceLock<Zero> = OnceLock::new();
        let (fields, types) = ZERO.get_or_init(|| {
            let scope = typed::Scope::enter(Vec::new());
            let fields = TOP
                .iter()
                .map(|(name, ty)| (Arc::from(*name), convert(None, *ty)))
                .collect();
            (fields, Arc::new(scope.finish()))
        });
        TemplateData {
            fields: fields.clone(),
            types: vec![types.clone()],
        }
    }

    /// Builds the data from the data-contract JSON (an object of top-level fields).
    pub fn from_json(data: &J) -> Result<TemplateData, RenderError> {
        let obj = data.as_object().ok_or(RenderError::BadData(match data {
            J::Null => "null",
            J::Array(_) => "an array",
            _ => "a scalar",
        }))?;
        let mut out = TemplateData::new();
        for (field, value) in obj {
            out.set(field, value);
        }
        Ok(out)
    }

    fn add_types(&mut self, types: Types) {
        if !types.is_empty() {
            self.types.push(Arc::new(types));
        }
    }

    /// Sets top-level field `field` from its data-contract JSON.
    pub fn set(&mut self, field: &str, go_view: &J) {
        let (value, types) = recorded(|| convert(Some(go_view), field_type(field)));
        self.fields.insert(Arc::from(field), value);
        self.add_types(types);
    }

    /// Sets `ObjectMeta` and `Spec` from a pod in Kubernetes JSON (JSON field names).
    pub fn set_pod(&mut self, pod: &J) {
        let (meta, spec, types) = {
            let scope = typed::Scope::enter(Vec::new());
            let meta = k8s_direct(pod.get("metadata"), K::named("ObjectMeta"));
            let spec = k8s_direct(pod.get("spec"), K::named("PodSpec"));
            (meta, spec, scope.finish())
        };
        self.fields.insert(Arc::from("ObjectMeta"), meta);
        self.fields.insert(Arc::from("Spec"), spec);
        self.add_types(types);
    }

    /// Sets top-level field `field` to a value converted earlier.
    pub fn set_prepared(&mut self, field: &str, prepared: &Prepared) {
        self.fields.insert(Arc::from(field), prepared.value.clone());
        self.types.push(prepared.types.clone());
    }

    /// The root value of a render, and the type records it needs.
    pub(super) fn root(&self) -> (gotmpl::Value, Vec<Arc<Types>>) {
        (
            gotmpl::Value::Map(Arc::new(self.fields.clone())),
            self.types.clone(),
        )
    }
}
