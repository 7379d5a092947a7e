//! The typed shape of Kubernetes objects, as far as Go's `encoding/json`, apimachinery's
//! strategic merge patch and Go templates see it. One table serves the typed round trip
//! ([`super::normalize`]), strategic merge ([`super::merge`]) and the Go view the injection
//! templates walk (`crate::template`).
//!
//! Origin: the Go types in k8s.io/api v0.36 (core/v1, apps/v1, batch/v1), k8s.io/apimachinery
//! meta/v1 and types, and github.com/openshift/api apps/v1 — field names and the tags
//! `json:"name,omitempty"`, `patchStrategy:"merge"`, `patchMergeKey:"name"` — written down in
//! [`table`] in a compact notation, one block per Go struct and one line per field, in Go
//! declaration order:
//!
//! ```text
//! Container                              Go struct name
//!   name str                             Name string `json:"name"` (always emitted)
//!   image? str                           json:"image,omitempty" (`?` = omitempty)
//!   tty/TTY? bool                        Go field name when it is not the JSON name capitalised
//!   env? []EnvVar merge=name             patchStrategy merge, patchMergeKey name
//!   resources? ResourceRequirements      non-pointer struct: emitted even when empty
//!   livenessProbe? *Probe                pointer
//!   ..ProbeHandler                       embedded (inline) struct
//! ```
//!
//! Types: `str`, `i32`, `i64`, `bool`, `quantity` (resource.Quantity), `intstr`
//! (intstr.IntOrString), `time` (metav1.Time), `any` (a Go type not modelled here: kept as
//! given), `object` (runtime.RawExtension of a List: an embedded object), a struct name,
//! `*T` (pointer), `[]T` (slice), `{}T` (map with string keys). Flags: `omitzero`,
//! `merge` (set of scalars), `merge=KEY`, `merge,retainKeys=KEY`.
//!
//! Fields of types that are not modelled are `any`; objects of unknown kinds are not touched.

mod lookup;
mod table;

use std::collections::HashMap;
use std::sync::OnceLock;

use lookup::FieldIndex;

/// The Go type of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    Str,
    I32,
    I64,
    Bool,
    Quantity,
    IntOrString,
    Time,
    /// A Go type that is not modelled: the value is kept as given.
    Any,
    /// An embedded object of any registered kind (runtime.RawExtension).
    Object,
    /// A non-pointer struct, by index into [`Schema::types`].
    Struct(usize),
    Ptr(Box<Ty>),
    List(Box<Ty>),
    Map(Box<Ty>),
}

/// The `patchStrategy` of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// No strategy: lists are replaced, maps are merged key by key.
    Default,
    /// `patchStrategy:"merge"`, with the `patchMergeKey` for lists of objects.
    Merge {
        key: Option<&'static str>,
        retain_keys: bool,
    },
}

/// One struct field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub json: &'static str,
    /// The Go field name (a promoted one for fields of embedded structs).
    pub go: Box<str>,
    pub ty: Ty,
    pub omitempty: bool,
    pub omitzero: bool,
    pub strategy: Strategy,
}

impl Field {
    /// Whether Go marshals this field when the input did not set it: its zero value survives
    /// `omitempty` (non-pointer structs, quantities, IntOrStrings, times, embedded objects) or
    /// the field has no `omitempty`; never with `omitzero`.
    pub fn zero_emitted(&self) -> bool {
        let zero_kept = matches!(
            self.ty,
            Ty::Struct(_) | Ty::Quantity | Ty::IntOrString | Ty::Time | Ty::Object
        );
        !self.omitzero && (zero_kept || !self.omitempty)
    }
}

/// One Go struct, with embedded structs flattened in place.
#[derive(Debug)]
pub(crate) struct TypeDef {
    pub name: &'static str,
    pub fields: Vec<Field>,
    /// Exact-name lookup of `fields`.
    index: FieldIndex,
    /// The length of each field's JSON name, for scanning a few fields without loading them.
    name_lens: Box<[u8]>,
    /// `zero_before[i]`: how many of the first `i` fields are [`Field::zero_emitted`].
    zero_before: Box<[u16]>,
}

/// All modelled types.
#[derive(Debug)]
pub(crate) struct Schema {
    pub types: Vec<TypeDef>,
    by_name: HashMap<&'static str, usize>,
}

impl Schema {
    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn get(&self, idx: usize) -> &TypeDef {
        &self.types[idx]
    }
}

/// The schema, parsed from the table on first use.
pub(crate) fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| parse(table::TABLE).unwrap_or_else(|e| panic!("k8s schema table: {e}")))
}

/// A field line before type names are resolved.
enum RawLine {
    Field {
        json: &'static str,
        go: Option<&'static str>,
        ty: &'static str,
        omitempty: bool,
        flags: Vec<&'static str>,
    },
    Inline(&'static str),
}

fn parse(text: &'static str) -> Result<Schema, String> {
    let mut blocks: Vec<(&'static str, Vec<RawLine>)> = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            blocks.push((trimmed, Vec::new()));
            continue;
        }
        let (_, lines) = blocks
            .last_mut()
            .ok_or(format!("line {}: field outside a type", no + 1))?;
        if let Some(name) = trimmed.strip_prefix("..") {
            lines.push(RawLine::Inline(name));
            continue;
        }
        let mut words = trimmed.split_whitespace();
        let (name, ty) = match (words.next(), words.next()) {
            (Some(n), Some(t)) => (n, t),
            _ => return Err(format!("line {}: expected `name type`", no + 1)),
        };
        let (name, omitempty) = match name.strip_suffix('?') {
            Some(n) => (n, true),
            None => (name, false),
        };
        let (json, go) = match name.split_once('/') {
            Some((j, g)) => (j, Some(g)),
            None => (name, None),
        };
        lines.push(RawLine::Field {
            json,
            go,
            ty,
            omitempty,
            flags: words.collect(),
        });
    }
    let by_name: HashMap<&'static str, usize> = blocks
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (*n, i))
        .collect();
    let mut types = Vec::with_capacity(blocks.len());
    for (name, _) in &blocks {
        let mut fields = Vec::new();
        flatten(name, &blocks, &by_name, &mut fields, 0)?;
        types.push(TypeDef::new(name, fields));
    }
    Ok(Schema { types, by_name })
}

fn flatten(
    name: &str,
    blocks: &[(&'static str, Vec<RawLine>)],
    by_name: &HashMap<&'static str, usize>,
    out: &mut Vec<Field>,
    depth: usize,
) -> Result<(), String> {
    if depth > 8 {
        return Err(format!("{name}: embedding too deep"));
    }
    let idx = *by_name
        .get(name)
        .ok_or(format!("unknown embedded type {name}"))?;
    for line in &blocks[idx].1 {
        match line {
            RawLine::Inline(inner) => flatten(inner, blocks, by_name, out, depth + 1)?,
            RawLine::Field {
                json,
                go,
                ty,
                omitempty,
                flags,
            } => {
                let ty = parse_ty(ty, by_name).map_err(|e| format!("{name}.{json}: {e}"))?;
                let mut field = Field {
                    json,
                    go: go.map_or_else(|| capitalised(json), Box::from),
                    ty,
                    omitempty: *omitempty,
                    omitzero: false,
                    strategy: Strategy::Default,
                };
                for flag in flags {
                    apply_flag(&mut field, flag).map_err(|e| format!("{name}.{json}: {e}"))?;
                }
                out.push(field);
            }
        }
    }
    Ok(())
}

/// The JSON name with its first letter upper-cased: the Go name of most fields.
fn capitalised(json: &str) -> Box<str> {
    let mut chars = json.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect::<String>())
        .unwrap_or_default()
        .into_boxed_str()
}

fn apply_flag(field: &mut Field, flag: &'static str) -> Result<(), String> {
    if flag == "omitzero" {
        field.omitzero = true;
        return Ok(());
    }
    let (strategy, key) = match flag.split_once('=') {
        Some((s, k)) => (s, Some(k)),
        None => (flag, None),
    };
    let retain_keys = match strategy {
        "merge" => false,
        "merge,retainKeys" => true,
        other => return Err(format!("unknown flag {other}")),
    };
    field.strategy = Strategy::Merge { key, retain_keys };
    Ok(())
}

fn parse_ty(text: &str, by_name: &HashMap<&'static str, usize>) -> Result<Ty, String> {
    if let Some(inner) = text.strip_prefix('*') {
        return Ok(Ty::Ptr(Box::new(parse_ty(inner, by_name)?)));
    }
    if let Some(inner) = text.strip_prefix("[]") {
        return Ok(Ty::List(Box::new(parse_ty(inner, by_name)?)));
    }
    if let Some(inner) = text.strip_prefix("{}") {
        return Ok(Ty::Map(Box::new(parse_ty(inner, by_name)?)));
    }
    Ok(match text {
        "str" => Ty::Str,
        "i32" => Ty::I32,
        "i64" => Ty::I64,
        "bool" => Ty::Bool,
        "quantity" => Ty::Quantity,
        "intstr" => Ty::IntOrString,
        "time" => Ty::Time,
        "any" => Ty::Any,
        "object" => Ty::Object,
        name => Ty::Struct(*by_name.get(name).ok_or(format!("unknown type {name}"))?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(s: &'a Schema, ty: &str, json: &str) -> &'a Field {
        let t = s.get(s.lookup(ty).unwrap_or_else(|| panic!("type {ty}")));
        t.field(json).unwrap_or_else(|| panic!("{ty}.{json}"))
    }

    #[test]
    fn table_parses_and_resolves_every_type() {
        let s = schema();
        assert!(s.types.len() > 100);
        for t in &s.types {
            let mut seen = std::collections::HashSet::new();
            let mut seen_go = std::collections::HashSet::new();
            for f in &t.fields {
                assert!(seen.insert(f.json), "{}.{} declared twice", t.name, f.json);
                assert!(seen_go.insert(&f.go), "{}.{} declared twice", t.name, f.go);
            }
        }
    }

    #[test]
    fn embedded_structs_are_flattened() {
        let s = schema();
        assert_eq!(
            field(s, "Volume", "emptyDir").ty,
            Ty::Ptr(Box::new(Ty::Struct(
                s.lookup("EmptyDirVolumeSource").unwrap()
            )))
        );
        assert_eq!(field(s, "Probe", "httpGet").json, "httpGet");
        assert_eq!(
            field(s, "EphemeralContainer", "env").strategy,
            Strategy::Merge {
                key: Some("name"),
                retain_keys: false
            }
        );
        assert_eq!(field(s, "Pod", "apiVersion").ty, Ty::Str);
    }

    #[test]
    fn tags_match_go() {
        let s = schema();
        let c = field(s, "Container", "resources");
        assert!(matches!(c.ty, Ty::Struct(_)) && c.omitempty);
        assert!(!field(s, "Container", "name").omitempty);
        assert!(!field(s, "GRPCAction", "service").omitempty);
        assert!(field(s, "ObjectMeta", "creationTimestamp").omitzero);
        assert_eq!(
            field(s, "PodSpec", "volumes").strategy,
            Strategy::Merge {
                key: Some("name"),
                retain_keys: true
            }
        );
        assert_eq!(
            field(s, "ObjectMeta", "finalizers").strategy,
            Strategy::Merge {
                key: None,
                retain_keys: false
            }
        );
        assert_eq!(
            field(s, "PodSpec", "tolerations").strategy,
            Strategy::Default
        );
    }

    #[test]
    fn go_names_are_written_out_or_the_json_name_capitalised() {
        let s = schema();
        let go = |ty: &str, json: &str| field(s, ty, json).go.to_string();
        assert_eq!(go("PodSpec", "serviceAccount"), "DeprecatedServiceAccount");
        assert_eq!(go("PodSpec", "dnsPolicy"), "DNSPolicy");
        assert_eq!(go("Container", "tty"), "TTY");
        assert_eq!(go("Container", "imagePullPolicy"), "ImagePullPolicy");
        assert_eq!(go("RBDVolumeSource", "user"), "RadosUser");
        assert_eq!(go("CephFSVolumeSource", "user"), "User");
        // Promoted from the embedded VolumeSource and ProbeHandler.
        assert_eq!(go("Volume", "awsElasticBlockStore"), "AWSElasticBlockStore");
        assert_eq!(go("Probe", "httpGet"), "HTTPGet");
        assert_eq!(go("Pod", "metadata"), "ObjectMeta");
        assert_eq!(go("NamespacedName", "Namespace"), "Namespace");
        assert!(!field(s, "NamespacedName", "Name").omitempty);
    }

    #[test]
    fn bad_tables_are_reported() {
        assert!(parse("A\n  x Missing\n")
            .unwrap_err()
            .contains("unknown type Missing"));
        assert!(parse("A\n  x str bogus\n")
            .unwrap_err()
            .contains("unknown flag"));
        assert!(parse("  x str\n").unwrap_err().contains("outside a type"));
    }
}
