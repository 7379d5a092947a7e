//! YAML text to a JSON value, the way Istio reads every ConfigMap string (sigs.k8s.io/yaml's
//! `YAMLToJSON`): one document, non-string mapping keys become strings (`1` → `"1"`,
//! `true` → `"true"`), the later of two equal keys wins, NaN and infinities are refused
//! (JSON cannot hold them), and an empty document is `null`.
//!
//! JSON is YAML, so JSON ConfigMap values (the injector `values`) go through here too.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::gofmt::format_float_g32;

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
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    options.legacy_octal_numbers = true;
    let node: Node = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| YamlError::Syntax(first_line(&e.to_string())))?;
    node.into_json()
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
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_and_keys() {
        let v = parse_yaml("a: 1\nb: true\n2: x\nc: null\nd: 1.5\ne: '7'\nf: [1, two]\n").unwrap();
        assert_eq!(
            v,
            json!({"a": 1, "b": true, "2": "x", "c": null, "d": 1.5, "e": "7", "f": [1, "two"]})
        );
    }

    #[test]
    fn json_is_yaml() {
        let v = parse_yaml(r#"{"global": {"hub": "docker.io/istio", "n": [1, 2]}}"#).unwrap();
        assert_eq!(
            v,
            json!({"global": {"hub": "docker.io/istio", "n": [1, 2]}})
        );
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse_yaml("").unwrap(), Value::Null);
        assert_eq!(parse_yaml("  \n").unwrap(), Value::Null);
    }

    #[test]
    fn yaml_1_1_scalars_like_go_yaml_v2() {
        let v = parse_yaml("a: yes\nb: off\nc: y\nd: 0755\ne: 0x1F\nf: 1_000\ng: 'yes'\n").unwrap();
        assert_eq!(
            v,
            json!({"a": true, "b": false, "c": true, "d": 493, "e": 31, "f": 1000, "g": "yes"})
        );
        assert!(matches!(parse_yaml("a: .inf"), Err(YamlError::Syntax(_))));
    }

    #[test]
    fn string_targets_read_scalars_as_text() {
        assert_eq!(string_target(&json!(8080)).as_deref(), Some("8080"));
        assert_eq!(string_target(&json!(true)).as_deref(), Some("true"));
        assert_eq!(string_target(&json!(1.5)).as_deref(), Some("1.5"));
        assert_eq!(string_target(&json!(1000000.0)).as_deref(), Some("1e+06"));
        assert_eq!(string_target(&Value::Null).as_deref(), Some(""));
        assert_eq!(string_target(&json!([1])), None);
    }

    #[test]
    fn later_duplicate_key_wins() {
        assert_eq!(parse_yaml("a: 1\na: 2\n").unwrap(), json!({"a": 2}));
    }

    #[test]
    fn syntax_errors_are_reported() {
        let err = parse_yaml("a: [1, 2\n").unwrap_err();
        assert!(matches!(err, YamlError::Syntax(_)), "{err}");
    }
}
