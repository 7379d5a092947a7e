//! YAML text to a JSON value, the way Istio reads every ConfigMap string (sigs.k8s.io/yaml's
//! `YAMLToJSON`): one document, non-string mapping keys become strings (`1` → `"1"`,
//! `true` → `"true"`), the later of two equal keys wins, NaN and infinities are refused
//! (JSON cannot hold them), and an empty document is `null`.
//!
//! JSON is YAML, so JSON ConfigMap values (the injector `values`) go through here too.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::gofloat::format_float_g32;

mod block;

/// Why a YAML document could not be read; the caller adds which key it came from.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    #[error("invalid yaml: {0}")]
    Syntax(String),
    #[error("{0} cannot be represented in JSON")]
    NonFinite(f64),
    #[error("a mapping key must be a scalar, not a {0}")]
    ComplexKey(&'static str),
}

/// The value of a YAML scalar read into a Go `string` field: sigs.k8s.io/yaml turns numbers
/// and booleans into their text (`8080` → `"8080"`, `true` → `"true"`, floats as float32
/// `%g`), `null` reads as `""`. Lists and mappings do not fit; `None` then.
pub(crate) fn string_target(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(u)) => u.to_string(),
            _ => format_float_g32(n.as_f64().unwrap_or_default()),
        }),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Parses one YAML (or JSON) document into a JSON value.
///
/// Plain block YAML (what templates render) is read by a quick reader; everything else, and
/// every error, comes from the full parser. Debug builds check that both agree.
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    if let Some(value) = block::parse(text) {
        debug_assert_eq!(
            full_parse(text).ok().as_ref(),
            Some(&value),
            "quick yaml reader disagrees on {text:?}"
        );
        return Ok(value);
    }
    full_parse(text)
}

fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    options.legacy_octal_numbers = true;
    options
}

fn full_parse(text: &str) -> Result<Value, YamlError> {
    let node: Node = serde_saphyr::from_str_with_options(text, options())
        .map_err(|e| YamlError::Syntax(first_line(&e.to_string())))?;
    node.into_json()
}

/// The full parser's reading of a document holding one plain scalar.
fn scalar_node(text: &str) -> Option<Node> {
    serde_saphyr::from_str_with_options(text, options()).ok()
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_string()
}

/// A YAML node before conversion; keys may be any scalar.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    fn into_json(self) -> Result<Value, YamlError> {
        Ok(match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(i) => Value::Number(i.into()),
            Node::UInt(u) => Value::Number(u.into()),
            Node::Float(f) => Value::Number(Number::from_f64(f).ok_or(YamlError::NonFinite(f))?),
            Node::Str(s) => Value::String(s),
            Node::Seq(items) => Value::Array(
                items
                    .into_iter()
                    .map(Node::into_json)
                    .collect::<Result<_, _>>()?,
            ),
            Node::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = k.into_key()?;
                    // The later of two equal keys wins, in the position of the first.
                    map.insert(key, v.into_json()?);
                }
                Value::Object(map)
            }
        })
    }

    fn into_key(self) -> Result<String, YamlError> {
        Ok(match self {
            Node::Str(s) => s,
            Node::Int(i) => i.to_string(),
            Node::UInt(u) => u.to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Float(f) => format_float_g32(f),
            Node::Null => "null".to_string(),
            Node::Seq(_) => return Err(YamlError::ComplexKey("sequence")),
            Node::Map(_) => return Err(YamlError::ComplexKey("mapping")),
        })
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Node, Node>()? {
            entries.push((k, v));
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests;
