//! The Helm values the injector was rendered with: ConfigMap `istio-sidecar-injector`, key
//! `values` (JSON).
//!
//! Kept twice, as Istio does: the raw document, handed whole to the templates as `.Values`,
//! and a typed reading against Istio's `Values` API, which checks the types of known fields
//! (a string where a boolean belongs is an error, unknown keys are fine) and backs the
//! accessors the engine needs outside the templates.

use serde_json::Value;

use super::error::ConfigError;
use super::proto::decode::{decode_message, Message};
use super::proto::schema::{schema, VALUES};
use super::yaml::parse_yaml;
use crate::gofloat::format_float_g64;

/// The ConfigMap key; error paths start with it.
pub const VALUES_KEY: &str = "values";

#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    raw: Value,
    typed: Message,
}

impl Values {
    /// Parses the `values` ConfigMap string (JSON, or YAML).
    pub fn parse(text: &str) -> Result<Values, ConfigError> {
        let raw = parse_yaml(text).map_err(|e| ConfigError::syntax(VALUES_KEY, e))?;
        let raw = match raw {
            Value::Null => Value::Object(Default::default()),
            Value::Object(_) => raw,
            _ => return Err(ConfigError::invalid(VALUES_KEY, "expected an object")),
        };
        let typed = decode_message(schema().message(VALUES), &raw, VALUES_KEY, &mut Vec::new())?;
        Ok(Values { raw, typed })
    }

    /// The whole document, for `.Values` in templates.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    fn get(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        let mut v = self.typed.get(*first)?;
        for key in rest {
            v = v.get(*key)?;
        }
        Some(v)
    }

    fn text(&self, path: &[&str]) -> &str {
        self.get(path).and_then(Value::as_str).unwrap_or("")
    }

    fn flag(&self, path: &[&str]) -> bool {
        self.get(path).and_then(Value::as_bool).unwrap_or(false)
    }

    /// `global.hub`.
    pub fn hub(&self) -> &str {
        self.text(&["global", "hub"])
    }

    /// `global.tag` as Go's `fmt.Sprintf("%v", …)` prints it (`1.2`, `latest`, `<nil>` for an
    /// explicit null); empty when unset.
    pub fn tag(&self) -> String {
        match self.get(&["global", "tag"]) {
            None => String::new(),
            Some(v) => go_sprint(v),
        }
    }

    /// `global.variant`.
    pub fn variant(&self) -> &str {
        self.text(&["global", "variant"])
    }

    /// `global.proxy.image`.
    pub fn proxy_image(&self) -> &str {
        self.text(&["global", "proxy", "image"])
    }

    /// `global.proxy_init.image`.
    pub fn proxy_init_image(&self) -> &str {
        self.text(&["global", "proxy_init", "image"])
    }

    /// `global.multiCluster.clusterName`.
    pub fn cluster_name(&self) -> &str {
        self.text(&["global", "multiCluster", "clusterName"])
    }

    /// `global.network`.
    pub fn network(&self) -> &str {
        self.text(&["global", "network"])
    }

    /// `global.proxy.holdApplicationUntilProxyStarts` (false when unset).
    pub fn hold_application_until_proxy_starts(&self) -> bool {
        self.flag(&["global", "proxy", "holdApplicationUntilProxyStarts"])
    }

    /// `sidecarInjectorWebhook.rewriteAppHTTPProbe` (false when unset).
    pub fn rewrite_app_http_probe(&self) -> bool {
        self.flag(&["sidecarInjectorWebhook", "rewriteAppHTTPProbe"])
    }
}

/// `fmt.Sprintf("%v", v)` for a value decoded by Go's `structpb` (numbers are float64).
fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_float_g64(n.as_f64().unwrap_or_default()),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_sprint).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let parts: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_sprint(v)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_raw_and_reads_typed_fields() {
        let v = Values::parse(
            r#"{"global": {"hub": "h", "tag": 1.20, "proxy": {"image": "proxyv2",
                "holdApplicationUntilProxyStarts": true}, "proxy_init": {"image": "init"},
                "multiCluster": {"clusterName": "c1"}, "network": "n1", "custom": {"x": 1}},
                "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": true}}"#,
        )
        .unwrap();
        assert_eq!(v.hub(), "h");
        assert_eq!(v.tag(), "1.2");
        assert_eq!(v.proxy_image(), "proxyv2");
        assert_eq!(v.proxy_init_image(), "init");
        assert_eq!(v.cluster_name(), "c1");
        assert_eq!(v.network(), "n1");
        assert!(v.hold_application_until_proxy_starts());
        assert!(v.rewrite_app_http_probe());
        assert_eq!(v.raw()["global"]["custom"]["x"], 1);
        assert_eq!(v.variant(), "");
    }

    #[test]
    fn tag_prints_like_go() {
        let tag = |t: &str| {
            Values::parse(&format!(r#"{{"global": {{"tag": {t}}}}}"#))
                .unwrap()
                .tag()
        };
        assert_eq!(tag(r#""1.24.0""#), "1.24.0");
        assert_eq!(tag("1000000"), "1e+06");
        assert_eq!(tag("null"), "<nil>");
        assert_eq!(tag("true"), "true");
        assert_eq!(Values::parse("{}").unwrap().tag(), "");
    }

    #[test]
    fn wrong_types_of_known_fields_are_errors() {
        let err =
            Values::parse(r#"{"global": {"proxy": {"holdApplicationUntilProxyStarts": "yes"}}}"#)
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"values.global.proxy.holdApplicationUntilProxyStarts: expected true or false, got string "yes""#
        );
        let err = Values::parse("[1]").unwrap_err();
        assert_eq!(err.to_string(), "values: expected an object");
        assert!(Values::parse(r#"{"global": {"unknownThing": [1]}}"#).is_ok());
    }
}
