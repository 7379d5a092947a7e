//! Go-compatible YAML encoding of JSON values.
//!
//! Owns the byte-exact reproduction of `sigs.k8s.io/yaml.Marshal` (JSON → go-yaml v2 emitter), the
//! encoder behind Istio's `toYaml` template function and behind the documents `istioctl kube-inject`
//! writes. The rules reproduced here:
//!
//! - mapping keys sorted with go-yaml's "natural" order ([`sort`]): letters before other characters,
//!   digit runs compared by numeric value;
//! - two-space indentation; a sequence that is the value of a mapping key is *not* indented (`- ` at the
//!   key's column); empty mappings and sequences are written in flow style (`{}`, `[]`);
//! - strings are plain unless go-yaml would resolve the plain text to another type (YAML 1.1 booleans
//!   such as `yes`/`on`/`n`, `null`/`~`/empty, ints in any base, floats, timestamps, base-60 floats,
//!   `<<`), in which case they are double-quoted; strings the emitter's scalar analysis refuses as plain
//!   (indicators such as a leading `*`, leading/trailing spaces, `: `, ` #`) fall back to single quotes,
//!   and to double quotes (with escapes) when single quotes cannot carry them (tabs, control and
//!   astral characters, a space before a line break);
//! - strings containing `\n` are literal block scalars (`|`, `|-`, `|+`, with an indentation hint when
//!   they start with a space or a break);
//! - plain and quoted scalars longer than 80 columns are folded at spaces, as libyaml does;
//! - numbers print as Go's `encoding/json` would write them and go-yaml would read them back: integral
//!   values as integers, other floats with `strconv.FormatFloat(f, 'g', -1, 64)`.
//!
//! The output always ends with a newline (a bare scalar too), as `yaml.Marshal` does.

mod emitter;
mod scalar;
mod sort;

pub use sort::go_yaml_key_less;

use serde_json::Value;

/// Encodes `value` exactly as `sigs.k8s.io/yaml.Marshal` encodes the equivalent Go value.
pub fn to_yaml(value: &Value) -> String {
    let mut e = emitter::Emitter::new();
    e.document(value);
    e.finish()
}

#[cfg(test)]
mod tests;
