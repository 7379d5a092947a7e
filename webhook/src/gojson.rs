//! JSON text as Go's `encoding/json` writes it.
//!
//! Istio stores several JSON documents inside the pod it injects (the
//! `sidecar.istio.io/status` annotation, `ISTIO_KUBE_APP_PROBERS`,
//! `ISTIO_PROMETHEUS_ANNOTATIONS`), and those strings are compared byte for
//! byte. Go's encoder differs from serde_json's compact form only in that it
//! escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; key order is the
//! caller's business (Go sorts map keys and keeps struct field order).

use serde::Serialize;

/// Compact JSON of `value` with Go's HTML-safe escaping.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising plain data (maps, strings, numbers) cannot fail.
    let text = serde_json::to_string(value).unwrap_or_else(|_| String::from("null"));
    go_escape(text)
}

/// Applies Go's extra escapes to JSON text. These characters can only occur
/// inside string literals, so a textual replacement is exact.
fn go_escape(text: String) -> String {
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_html_characters_like_go() {
        let v = json!({"path": "/a?b=1&c=<d>"});
        assert_eq!(to_string(&v), r#"{"path":"/a?b=1\u0026c=\u003cd\u003e"}"#);
    }

    #[test]
    fn keeps_insertion_order_and_plain_text() {
        let v = json!({"scrape": "true", "path": "/metrics", "port": "8080"});
        assert_eq!(
            to_string(&v),
            r#"{"scrape":"true","path":"/metrics","port":"8080"}"#
        );
    }

    #[test]
    fn line_separators_are_escaped() {
        assert_eq!(to_string("a\u{2028}b"), r#""a\u2028b""#);
    }
}
