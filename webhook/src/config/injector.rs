//! The injection configuration: ConfigMap `istio-sidecar-injector`, key `config`.
//!
//! Read like Istio's `UnmarshalConfig`: top-level keys `policy`, `defaultTemplates`,
//! `templates` (name → Go template source, kept raw: parsing them is the template engine's
//! job), `aliases`, `neverInjectSelector`, `alwaysInjectSelector`, `injectedAnnotations`, matched
//! case-insensitively like Go's JSON decoder; other keys (notably the legacy `template:` guard)
//! are ignored; YAML numbers and booleans in string places read as their text; `null` reads
//! as empty; an empty `defaultTemplates` becomes `[sidecar]`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::ConfigError;
use super::selector::{string_list, string_map, LabelSelector};
use super::yaml::parse_yaml;

/// The ConfigMap key; error paths start with it.
pub const CONFIG_KEY: &str = "config";

/// The template used when `defaultTemplates` is empty.
pub const SIDECAR_TEMPLATE: &str = "sidecar";

/// `policy`: whether pods are injected when nothing else decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InjectionPolicy {
    Enabled,
    Disabled,
    /// Any other value: Istio logs an error and injects nothing by default.
    Invalid(String),
}

impl InjectionPolicy {
    fn parse(s: &str) -> InjectionPolicy {
        match s {
            "enabled" => InjectionPolicy::Enabled,
            "disabled" => InjectionPolicy::Disabled,
            other => InjectionPolicy::Invalid(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InjectorConfig {
    pub policy: InjectionPolicy,
    /// Never empty (defaults to `[sidecar]`).
    pub default_templates: Vec<String>,
    /// Template name → Go template source.
    pub templates: BTreeMap<String, String>,
    /// Name → template names it expands to (not recursively).
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Pods matching any of these are not injected (checked before `always_inject_selector`).
    pub never_inject_selector: Vec<LabelSelector>,
    /// Pods matching any of these are injected.
    pub always_inject_selector: Vec<LabelSelector>,
    /// Annotations added to every injected pod.
    pub injected_annotations: BTreeMap<String, String>,
}

impl Default for InjectorConfig {
    fn default() -> Self {
        InjectorConfig {
            policy: InjectionPolicy::Invalid(String::new()),
            default_templates: vec![SIDECAR_TEMPLATE.to_string()],
            templates: BTreeMap::new(),
            aliases: BTreeMap::new(),
            never_inject_selector: Vec::new(),
            always_inject_selector: Vec::new(),
            injected_annotations: BTreeMap::new(),
        }
    }
}

impl InjectorConfig {
    /// Parses the `config` value of the ConfigMap.
    pub fn parse(yaml: &str) -> Result<InjectorConfig, ConfigError> {
        let raw = parse_yaml(yaml).map_err(|e| ConfigError::syntax(CONFIG_KEY, e))?;
        let mut cfg = InjectorConfig {
            default_templates: Vec::new(),
            ..InjectorConfig::default()
        };
        let obj = match &raw {
            Value::Null => return Ok(InjectorConfig::default()),
            Value::Object(o) => o,
            _ => {
                return Err(ConfigError::invalid(
                    CONFIG_KEY,
                    "expected a mapping of settings",
                ))
            }
        };
        for (key, v) in obj {
            let path = format!("{CONFIG_KEY}.{key}");
            match field_for(key) {
                Some(Field::Policy) => {
                    let s = super::yaml::string_target(v)
                        .ok_or_else(|| ConfigError::invalid(&path, "expected a string"))?;
                    cfg.policy = InjectionPolicy::parse(&s);
                }
                Some(Field::DefaultTemplates) => cfg.default_templates = string_list(v, &path)?,
                Some(Field::Templates) => cfg.templates = string_map(v, &path)?,
                Some(Field::Aliases) => cfg.aliases = aliases(v, &path)?,
                Some(Field::Never) => cfg.never_inject_selector = selectors(v, &path)?,
                Some(Field::Always) => cfg.always_inject_selector = selectors(v, &path)?,
                Some(Field::InjectedAnnotations) => {
                    cfg.injected_annotations = string_map(v, &path)?
                }
                None => {}
            }
        }
        if cfg.default_templates.is_empty() {
            cfg.default_templates = vec![SIDECAR_TEMPLATE.to_string()];
        }
        Ok(cfg)
    }

    /// What is valid but almost certainly not meant, one sentence each: a policy other than
    /// `enabled`/`disabled` (injection off unless a pod asks for it), then
    /// [`Self::template_doubts`].
    pub fn doubts(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let InjectionPolicy::Invalid(p) = &self.policy {
            out.push(format!(
                "{CONFIG_KEY}.policy {p:?} is neither \"enabled\" nor \"disabled\": pods are not injected unless they ask for it"
            ));
        }
        out.extend(self.template_doubts());
        out
    }

    /// No templates, or default templates naming no template or alias: every injection (or
    /// every one without an `inject.istio.io/templates` annotation) would fail.
    pub fn template_doubts(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.templates.is_empty() {
            out.push(format!(
                "{CONFIG_KEY}.templates is empty: every injection will fail"
            ));
            return out;
        }
        for name in &self.default_templates {
            let known = self.templates.contains_key(name)
                || self
                    .aliases
                    .get(name)
                    .is_some_and(|names| names.iter().all(|n| self.templates.contains_key(n)));
            if !known {
                out.push(format!(
                    "{CONFIG_KEY}.defaultTemplates names {name:?}, which is no template: injections without an inject.istio.io/templates annotation will fail"
                ));
            }
        }
        out
    }

    /// The template names to render for a pod: the `inject.istio.io/templates` annotation
    /// (comma-separated, trimmed) when given, else `defaultTemplates`; each name that is an
    /// alias is replaced by its expansion.
    pub fn select_templates(&self, annotation: Option<&str>) -> Vec<String> {
        let names: Vec<String> = match annotation {
            Some(a) => a.split(',').map(|n| n.trim().to_string()).collect(),
            None => self.default_templates.clone(),
        };
        names
            .into_iter()
            .flat_map(|n| match self.aliases.get(&n) {
                Some(expansion) => expansion.clone(),
                None => vec![n],
            })
            .collect()
    }
}

#[derive(Clone, Copy)]
enum Field {
    Policy,
    DefaultTemplates,
    Templates,
    Aliases,
    Never,
    Always,
    InjectedAnnotations,
}

/// Go's decoder: the exact JSON tag, else a case-insensitive match.
fn field_for(key: &str) -> Option<Field> {
    const FIELDS: [(&str, Field); 7] = [
        ("policy", Field::Policy),
        ("defaultTemplates", Field::DefaultTemplates),
        ("templates", Field::Templates),
        ("aliases", Field::Aliases),
        ("neverInjectSelector", Field::Never),
        ("alwaysInjectSelector", Field::Always),
        ("injectedAnnotations", Field::InjectedAnnotations),
    ];
    FIELDS
        .iter()
        .find(|(name, _)| *name == key)
        .or_else(|| {
            FIELDS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
        })
        .map(|(_, f)| *f)
}

fn aliases(v: &Value, path: &str) -> Result<BTreeMap<String, Vec<String>>, ConfigError> {
    match v {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(o) => o
            .iter()
            .map(|(k, list)| Ok((k.clone(), string_list(list, &format!("{path}.{k}"))?)))
            .collect(),
        _ => Err(ConfigError::invalid(
            path,
            "expected a map of template name lists",
        )),
    }
}

fn selectors(v: &Value, path: &str) -> Result<Vec<LabelSelector>, ConfigError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| LabelSelector::from_json(item, &format!("{path}[{i}]")))
            .collect(),
        _ => Err(ConfigError::invalid(
            path,
            "expected a list of label selectors",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubts_name_what_would_quietly_stop_injection() {
        let ok = InjectorConfig::parse("policy: enabled\ntemplates:\n  sidecar: 'x: 1'\n").unwrap();
        assert!(ok.doubts().is_empty(), "{:?}", ok.doubts());
        let typo =
            InjectorConfig::parse("policy: Enabled\ntemplates:\n  sidecar: 'x: 1'\n").unwrap();
        assert_eq!(typo.doubts().len(), 1);
        assert!(
            typo.doubts()[0].contains("\"Enabled\""),
            "{:?}",
            typo.doubts()
        );
        let empty = InjectorConfig::parse("policy: enabled\n").unwrap();
        assert_eq!(
            empty.doubts(),
            ["config.templates is empty: every injection will fail"]
        );
        let missing = InjectorConfig::parse(
            "policy: enabled\ndefaultTemplates: [sidecar, extra]\ntemplates:\n  sidecar: 'x: 1'\n",
        )
        .unwrap();
        assert_eq!(missing.doubts().len(), 1);
        assert!(missing.doubts()[0].contains("\"extra\""));
        let aliased = InjectorConfig::parse(
            "policy: enabled\ndefaultTemplates: [both]\ntemplates:\n  a: 'x: 1'\n  b: 'y: 1'\naliases:\n  both: [a, b]\n",
        )
        .unwrap();
        assert!(aliased.doubts().is_empty(), "{:?}", aliased.doubts());
    }

    #[test]
    fn parses_all_keys_and_ignores_the_legacy_template() {
        let cfg = InjectorConfig::parse(
            "policy: disabled\ndefaultTemplates: [a, b]\ntemplate: \"{{ Broken }}\"\n\
             templates:\n  a: |\n    x: 1\n  b: 'y'\naliases:\n  both: [a, b]\n\
             neverInjectSelector:\n- matchLabels: {skip: 'yes'}\n\
             alwaysInjectSelector:\n- matchExpressions: [{key: k, operator: Exists}]\n\
             injectedAnnotations: {x: 1}\n",
        )
        .unwrap();
        assert_eq!(cfg.policy, InjectionPolicy::Disabled);
        assert_eq!(cfg.default_templates, ["a", "b"]);
        assert_eq!(cfg.templates["a"], "x: 1\n");
        assert_eq!(cfg.templates["b"], "y");
        assert_eq!(cfg.aliases["both"], ["a", "b"]);
        assert_eq!(cfg.never_inject_selector[0].match_labels["skip"], "yes");
        assert_eq!(
            cfg.always_inject_selector[0].match_expressions[0].operator,
            "Exists"
        );
        assert_eq!(cfg.injected_annotations["x"], "1");
    }

    #[test]
    fn defaults_when_keys_are_missing_or_null() {
        let cfg =
            InjectorConfig::parse("policy: enabled\ninjectedAnnotations:\ndefaultTemplates: []\n")
                .unwrap();
        assert_eq!(cfg.default_templates, [SIDECAR_TEMPLATE]);
        assert!(cfg.injected_annotations.is_empty());
        assert!(cfg.templates.is_empty());
        assert_eq!(
            InjectorConfig::parse("").unwrap(),
            InjectorConfig::default()
        );
        assert_eq!(
            InjectorConfig::parse("policy: sometimes").unwrap().policy,
            InjectionPolicy::Invalid("sometimes".into())
        );
    }

    #[test]
    fn keys_match_case_insensitively() {
        let cfg = InjectorConfig::parse("Policy: enabled\nDEFAULTTEMPLATES: [x]\n").unwrap();
        assert_eq!(cfg.policy, InjectionPolicy::Enabled);
        assert_eq!(cfg.default_templates, ["x"]);
    }

    #[test]
    fn errors_name_the_key() {
        let err = InjectorConfig::parse("templates:\n  sidecar: [1, 2]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config.templates.sidecar: expected a string"
        );
        let err = InjectorConfig::parse("templates: [a]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config.templates: expected a map of strings"
        );
        let err = InjectorConfig::parse("neverInjectSelector: {a: b}").unwrap_err();
        assert!(
            err.to_string().starts_with("config.neverInjectSelector:"),
            "{err}"
        );
        let err = InjectorConfig::parse("policy: [").unwrap_err();
        assert!(err.to_string().starts_with("config: invalid yaml"), "{err}");
    }

    #[test]
    fn template_selection_expands_aliases_once() {
        let cfg =
            InjectorConfig::parse("aliases:\n  sidecar: [init, proxy]\n  init: [never]\n").unwrap();
        assert_eq!(cfg.select_templates(None), ["init", "proxy"]);
        assert_eq!(
            cfg.select_templates(Some(" gateway , init")),
            ["gateway", "never"]
        );
    }
}
