use super::*;
use crate::config::LabelSelectorRequirement;
use serde_json::json;

/// `key=value` selector; an empty key is the empty selector, `!` as key an
/// invalid one (bad operator).
#[allow(non_snake_case)]
fn Eq(key: &str, value: &str) -> LabelSelector {
    let mut s = LabelSelector::default();
    match key {
        "" => {}
        "!" => s.match_expressions.push(LabelSelectorRequirement {
            key: "app".into(),
            operator: "Sometimes".into(),
            values: vec![],
        }),
        k => {
            s.match_labels.insert(k.into(), value.into());
        }
    }
    s
}

fn pod(labels: Value, annotations: Value) -> Value {
    json!({"metadata": {"labels": labels, "annotations": annotations}, "spec": {"containers": [{"name": "a"}]}})
}

fn run(p: &Value, policy: Policy, never: &[LabelSelector], always: &[LabelSelector]) -> Decision {
    decide(p, "default", &policy, never, always, &mut Vec::new())
}

#[test]
fn host_network_and_ignored_namespaces_skip_even_when_forced() {
    let mut p = pod(json!({"sidecar.istio.io/inject": "true"}), json!({}));
    assert_eq!(
        decide(&p, "kube-system", &Policy::Enabled, &[], &[], &mut vec![]),
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
    let d = decide(&p, "default", &Policy::Disabled, &[], &[], &mut w);
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
