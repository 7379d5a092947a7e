//! Go's text forms that leak into Istio's output: `encoding/json` (strings, float64, and
//! `json.Marshal` of decoded JSON, which is what `structToJSON`/`toJsonMap`-style template
//! functions print), and `strconv.FormatFloat(f, 'g', -1, …)` (how `fmt` prints a float64, and
//! how sigs.k8s.io/yaml turns a YAML number into a string).

use serde_json::Value;

/// Go's `json.Marshal` of a value decoded into `any` (as Istio holds `.Values`): object keys
/// sorted, numbers as float64, `<`, `>`, `&` escaped.
pub fn json_marshal(v: &Value) -> String {
    let mut out = String::new();
    write_any(&mut out, v);
    out
}

fn write_any(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&json_float64(n.as_f64().unwrap_or_default())),
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_any(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                write_any(out, item);
            }
            out.push('}');
        }
    }
}

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it: `<`, `>`, `&`,
/// U+2028 and U+2029 are escaped, control characters use the short escapes Go knows
/// (`\b \f \n \r \t`) or `\u00xx`.
pub fn write_json_string(out: &mut String, s: &str) {
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

/// A float64 as Go's `encoding/json` prints it: shortest round-trip digits, plain notation
/// unless the magnitude is below 1e-6 or at least 1e21, then `1e+21` / `1e-7` style.
pub fn json_float64(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let exp_form = format!("{f:e}");
        let (mantissa, exp) = split_exponent(&exp_form);
        let sign = if exp < 0 { '-' } else { '+' };
        // Go prints at least two exponent digits, then encoding/json trims `e-0X` to `e-X`.
        let digits = if exp < 0 {
            format!("{}", exp.unsigned_abs())
        } else {
            format!("{:02}", exp)
        };
        format!("{mantissa}e{sign}{digits}")
    } else {
        // Rust's Display is the shortest round-trip form without an exponent, like 'f', -1.
        let s = format!("{f}");
        if s == "-0" {
            "-0".to_string()
        } else {
            s
        }
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest float32 digits, exponent form when the
/// decimal exponent is below -4 or at least 6 (so 1000000 becomes `1e+06`).
pub fn format_float_g32(f: f64) -> String {
    let f32v = f as f32;
    format_g(f64::from(f32v), format!("{f32v:e}"), format!("{f32v}"))
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which is also how `fmt` prints a float64 with `%v`.
pub fn format_float_g64(f: f64) -> String {
    format_g(f, format!("{f:e}"), format!("{f}"))
}

fn format_g(f: f64, exp_form: String, plain: String) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (mantissa, exp) = split_exponent(&exp_form);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        plain
    }
}

fn split_exponent(s: &str) -> (&str, i32) {
    let (m, e) = s.split_once('e').expect("{:e} output has an exponent");
    (m, e.parse().expect("exponent is an integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_like_go() {
        let mut out = String::new();
        write_json_string(&mut out, "a<b>&\"\\\n\u{1}\u{2028}é");
        assert_eq!(out, r#""a\u003cb\u003e\u0026\"\\\n\u0001\u2028é""#);
    }

    #[test]
    fn floats_print_like_go_json() {
        assert_eq!(json_float64(1.0), "1");
        assert_eq!(json_float64(0.5), "0.5");
        assert_eq!(json_float64(15020.0), "15020");
        assert_eq!(json_float64(1e21), "1e+21");
        assert_eq!(json_float64(1.5e-7), "1.5e-7");
        assert_eq!(json_float64(123456789.0), "123456789");
        assert_eq!(json_float64(-2.5), "-2.5");
    }

    #[test]
    fn marshal_sorts_keys_and_prints_float64() {
        let v = serde_json::json!({"b": [1, 2.5, null], "a": {"z": true, "y": "<x>"}});
        assert_eq!(
            json_marshal(&v),
            r#"{"a":{"y":"\u003cx\u003e","z":true},"b":[1,2.5,null]}"#
        );
    }

    #[test]
    fn float32_g_format() {
        assert_eq!(format_float_g32(1.5), "1.5");
        assert_eq!(format_float_g32(0.1), "0.1");
        assert_eq!(format_float_g32(100.0), "100");
        assert_eq!(format_float_g32(1e21), "1e+21");
        assert_eq!(format_float_g32(123456.0), "123456");
        assert_eq!(format_float_g32(1e6), "1e+06");
        assert_eq!(format_float_g64(1.2), "1.2");
        assert_eq!(format_float_g64(123456789.0), "1.23456789e+08");
        assert_eq!(format_float_g32(0.00001), "1e-05");
    }
}
