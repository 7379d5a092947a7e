//! JSON text as Go's `encoding/json` writes it.
//!
//! Istio stores several JSON documents inside the pod it injects (the
//! `sidecar.istio.io/status` annotation, `ISTIO_KUBE_APP_PROBERS`,
//! `ISTIO_PROMETHEUS_ANNOTATIONS`, the templates' `toJSON`/`structToJSON`/`protoToJSON`),
//! and those strings are compared byte for byte. Go's encoder writes compact JSON, escapes
//! `<`, `>`, `&`, U+2028 and U+2029 inside strings, and prints floats with the shortest
//! digits, in exponent form only below 1e-6 or from 1e21 on.
//!
//! Key order and number types are the Go value's: [`to_string`] writes a JSON tree as given
//! (a struct's fields in declaration order, integers as integers), [`decoded_to_string`] as
//! Go holds what `json.Unmarshal` decoded into `any` (map keys sorted, every number a
//! `float64`).

use serde_json::{Map, Value};

/// What the Go value being marshalled was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Typed data: keys in the order given, integers as integers.
    Typed,
    /// `any` from `json.Unmarshal`: maps with keys sorted, every number a `float64`.
    Decoded,
}

/// Compact JSON of `value`, keys in the order given.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, Held::Typed);
    out
}

/// [`to_string`] of an object.
pub fn object_to_string(map: &Map<String, Value>) -> String {
    let mut out = String::new();
    write_object(&mut out, map, Held::Typed);
    out
}

/// Appends [`to_string`] of `value` to `out`.
pub fn write(out: &mut String, value: &Value) {
    write_value(out, value, Held::Typed);
}

/// Go's `json.Marshal` of `value` decoded into `any` (as Istio holds `.Values`): object keys
/// sorted, numbers as float64.
pub fn decoded_to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, Held::Decoded);
    out
}

fn write_value(out: &mut String, v: &Value, held: Held) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if held == Held::Decoded || n.is_f64() => {
            out.push_str(&float64(n.as_f64().unwrap_or_default()))
        }
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, held);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map, held),
    }
}

fn write_object(out: &mut String, map: &Map<String, Value>, held: Held) {
    match held {
        Held::Typed => write_entries(out, map.iter(), held),
        Held::Decoded => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            write_entries(out, entries.into_iter(), held);
        }
    }
}

fn write_entries<'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    held: Held,
) {
    out.push('{');
    for (i, (k, item)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, k);
        out.push(':');
        write_value(out, item, held);
    }
    out.push('}');
}

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it: `<`, `>`, `&`,
/// U+2028 and U+2029 are escaped, control characters use the short escapes Go knows
/// (`\b \f \n \r \t`) or `\u00xx`.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A `float64` as Go's `encoding/json` writes it.
pub fn float64(f: f64) -> String {
    let abs = f.abs();
    float_text(f, abs != 0.0 && !(1e-6..1e21).contains(&abs))
}

/// A `float32` as Go's `encoding/json` writes it (the shortest float32 digits; the bounds
/// are compared as float32).
pub fn float32(f: f32) -> String {
    let abs = f.abs();
    float_text(f, abs != 0.0 && !(1e-6..1e21).contains(&abs))
}

/// Rust's shortest round-trip text of `f`: plain, or in exponent form as Go's encoder prints
/// it (at least two exponent digits when positive, as `strconv` writes them, and no padding
/// when negative, which `encoding/json` trims).
fn float_text<F: std::fmt::Display + std::fmt::LowerExp>(f: F, exponent: bool) -> String {
    if !exponent {
        return format!("{f}");
    }
    let exp = format!("{f:e}");
    let (mantissa, e) = exp.split_once('e').unwrap_or((&exp, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    if e < 0 {
        format!("{mantissa}e-{}", e.unsigned_abs())
    } else {
        format!("{mantissa}e+{e:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_html_characters_like_go() {
        let v = json!({"path": "/a?b=1&c=<d>"});
        assert_eq!(to_string(&v), r#"{"path":"/a?b=1\u0026c=\u003cd\u003e"}"#);
        let mut out = String::new();
        write_string(&mut out, "a<b>&\"\\\n\u{1}\u{8}\u{c}\u{2028}é");
        assert_eq!(out, r#""a\u003cb\u003e\u0026\"\\\n\u0001\b\f\u2028é""#);
    }

    #[test]
    fn keeps_insertion_order_and_integers() {
        let v = json!({"scrape": "true", "path": "/metrics", "port": 8080, "ratio": 0.5});
        assert_eq!(
            to_string(&v),
            r#"{"scrape":"true","path":"/metrics","port":8080,"ratio":0.5}"#
        );
        let Value::Object(m) = v else { unreachable!() };
        assert_eq!(object_to_string(&m), to_string(&Value::Object(m.clone())));
    }

    #[test]
    fn decoded_values_sort_keys_and_print_float64() {
        let v = json!({"b": [1, 2.5, null, 1e21], "a": {"z": true, "y": "<x>"}});
        assert_eq!(
            decoded_to_string(&v),
            r#"{"a":{"y":"\u003cx\u003e","z":true},"b":[1,2.5,null,1e+21]}"#
        );
    }

    #[test]
    fn floats_print_like_go_json() {
        assert_eq!(float64(1.0), "1");
        assert_eq!(float64(0.5), "0.5");
        assert_eq!(float64(-0.0), "-0");
        assert_eq!(float64(15020.0), "15020");
        assert_eq!(float64(1e20), "100000000000000000000");
        assert_eq!(float64(1e21), "1e+21");
        assert_eq!(float64(1e-7), "1e-7");
        assert_eq!(float64(1.5e-7), "1.5e-7");
        assert_eq!(float64(-2.5e300), "-2.5e+300");
        assert_eq!(float64(123456789.0), "123456789");
        assert_eq!(float32(0.1), "0.1");
        assert_eq!(float32(1e21), "1e+21");
        assert_eq!(float32(3.4e-7), "3.4e-7");
        assert_eq!(float32(1e-6), "0.000001");
    }
}
