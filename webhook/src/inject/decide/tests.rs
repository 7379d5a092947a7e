use super::*;
use serde_json::json;

/// `key=value` equality selector; an empty key is the empty selector and
/// `!` as key an invalid one.
struct Eq(&'static str, &'static str);

impl Selector for Eq {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn matches(&self, labels: &Map<String, Value>) -> Result<bool, String> {
        if self.0 == "!" {
            return Err("bad operator".into());
        }
        Ok(self.0.is_empty() || labels.get(self.0).and_then(Value::as_str) == Some(self.1))
    }
}

fn pod(labels: Value, annotations: Value) -> Value {
    json!({"metadata": {"labels": labels, "annotations": annotations}, "spec": {"containers": [{"name": "a"}]}})
}

fn run(p: &Value, policy: Policy, never: &[Eq], always: &[Eq]) -> Decision {
    decide(p, "default", &policy, never, always, &mut Vec::new())
}

#[test]
fn host_network_and_ignored_namespaces_skip_even_when_forced() {
    let mut p = pod(json!({"sidecar.istio.io/inject": "true"}), json!({}));
    assert_eq!(
        decide(
            &p,
            "kube-system",
            &Policy::Enabled,
            &[] as &[Eq],
            &[],
            &mut vec![]
        ),
        Decision::Skip(Reason::IgnoredNamespace("kube-system".into()))
    );
    p["spec"]["hostNetwork"] = json!(true);
    assert_eq!(
        run(&p, Policy::Enabled, &[], &[]),
        Decision::Skip(Reason::HostNetwork)
    );
}

#[test]
fn label_wins_over_annotation() {
    let p = pod(
        json!({"sidecar.istio.io/inject": "false"}),
        json!({"sidecar.istio.io/inject": "true"}),
    );
    assert_eq!(
        run(&p, Policy::Enabled, &[], &[]),
        Decision::Skip(Reason::Label(false))
    );
    let p = pod(json!({}), json!({"sidecar.istio.io/inject": "true"}));
    assert_eq!(
        run(&p, Policy::Disabled, &[], &[]),
        Decision::Inject(Reason::Annotation(true))
    );
}

#[test]
fn explicit_choice_beats_selectors() {
    let p = pod(
        json!({"sidecar.istio.io/inject": "true", "app": "x"}),
        json!({}),
    );
    assert!(run(&p, Policy::Enabled, &[Eq("app", "x")], &[]).injects());
}

#[test]
fn invalid_value_warns_and_falls_through_to_policy() {
    let p = pod(json!({"sidecar.istio.io/inject": "yes"}), json!({}));
    let mut w = vec![];
    let d = decide(&p, "default", &Policy::Disabled, &[] as &[Eq], &[], &mut w);
    assert_eq!(d, Decision::Skip(Reason::PolicyDefault(Policy::Disabled)));
    assert_eq!(w, vec![Warning::InvalidInjectValue("yes".into())]);
}

#[test]
fn never_selector_wins_over_always() {
    let p = pod(json!({"app": "x"}), json!({}));
    let d = run(&p, Policy::Enabled, &[Eq("app", "x")], &[Eq("app", "x")]);
    assert_eq!(d, Decision::Skip(Reason::NeverSelector));
    let d = run(&p, Policy::Disabled, &[Eq("app", "y")], &[Eq("app", "x")]);
    assert_eq!(d, Decision::Inject(Reason::AlwaysSelector));
}

#[test]
fn empty_and_invalid_selectors_are_ignored() {
    let p = pod(json!({"app": "x"}), json!({}));
    let mut w = vec![];
    let d = decide(
        &p,
        "default",
        &Policy::Disabled,
        &[Eq("", ""), Eq("!", "")],
        &[Eq("", "")],
        &mut w,
    );
    assert_eq!(d, Decision::Skip(Reason::PolicyDefault(Policy::Disabled)));
    assert_eq!(w.len(), 1);
}

#[test]
fn invalid_policy_never_injects() {
    let p = pod(json!({"sidecar.istio.io/inject": "true"}), json!({}));
    assert!(!run(&p, Policy::Invalid("sometimes".into()), &[], &[]).injects());
    assert!(!run(
        &pod(json!({}), json!({})),
        Policy::Invalid("x".into()),
        &[],
        &[]
    )
    .injects());
}
