//! Results of pure template functions over data converted once.
//!
//! Istio's templates call `protoToJSON .ProxyConfig` and `toYaml .Values.global.proxy.…` on
//! every render, on data that only changes with the configuration ([`super::Prepared`]). A
//! function whose result is fixed by its argument's content and Go type gives the same text
//! every time, so the first render's result is kept with the prepared data and handed to the
//! next ones.
//!
//! A [`Results`] knows the identity of every map and list inside its prepared value (which it
//! keeps alive, so no identity can be reused), and holds the results of the functions of
//! [`PURE`] called on one of them. Results for arguments outside prepared data (the pod, a map
//! built during the render) are computed every time. Memory is bounded by the prepared value:
//! at most one result per function and container in it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gotmpl::Value;

use super::typed;

/// The functions whose result depends only on their one argument's content and Go type.
pub(crate) const PURE: &[&str] = &["protoToJSON", "toYaml", "toJSON", "structToJSON"];

/// The identity of a map or list value.
fn identity(v: &Value) -> Option<usize> {
    match v {
        Value::Map(m) => Some(Arc::as_ptr(m) as *const () as usize),
        Value::List(l) if !l.is_empty() => Some(Arc::as_ptr(l) as *const () as usize),
        _ => None,
    }
}

/// The containers of one prepared value and the pure results computed on them.
#[derive(Debug, Default)]
pub(crate) struct Results {
    /// Identities of every map and list inside the value, sorted.
    inside: Vec<usize>,
    /// The value, which keeps every identity in `inside` from being reused.
    keep: Option<Value>,
    done: Mutex<HashMap<(&'static str, usize), Value>>,
}

impl Results {
    /// The results store of `value`, empty until a render fills it.
    pub(crate) fn of(value: &Value) -> Results {
        fn walk(v: &Value, out: &mut Vec<usize>) {
            if let Some(id) = identity(v) {
                out.push(id);
            }
            match v {
                Value::Map(m) => m.values().for_each(|x| walk(x, out)),
                Value::List(l) => l.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut inside = Vec::new();
        walk(value, &mut inside);
        inside.sort_unstable();
        inside.dedup();
        Results {
            inside,
            keep: Some(value.clone()),
            done: Mutex::default(),
        }
    }

    /// Whether `v` is a container inside the prepared value.
    pub(crate) fn holds(&self, v: &Value) -> bool {
        identity(v).is_some_and(|id| self.keep.is_some() && self.inside.binary_search(&id).is_ok())
    }

    /// The result of `f()`, function `name` called on `arg` alone: the one kept from an
    /// earlier call when `arg` is inside prepared data, computed (and kept) otherwise.
    pub(crate) fn call<E>(
        name: &'static str,
        arg: &Value,
        f: impl FnOnce() -> Result<Value, E>,
    ) -> Result<Value, E> {
        let (Some(id), Some(store)) = (identity(arg), typed::results_holding(arg)) else {
            return f();
        };
        let key = (name, id);
        if let Some(v) = lock(&store.done).get(&key) {
            return Ok(v.clone());
        }
        let v = f()?;
        lock(&store.done).insert(key, v.clone());
        Ok(v)
    }

    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        lock(&self.done).len()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves a map that is still consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use crate::template::{Prepared, TemplateData, Templates};
    use serde_json::json;

    const SRC: &str =
        "v={{ toYaml .Values.global.proxy.resources }}|p={{ toYaml .Spec.Containers }}|\
                       j={{ toJSON .Values.global }}|o={{ toYaml (omitNil .Values.global.proxy) }}";

    fn render(t: &Templates, values: &Prepared, container: &str) -> String {
        let mut data = TemplateData::new();
        data.set_prepared("Values", values);
        data.set_pod(&json!({"spec": {"containers": [{"name": container}]}}));
        t.render_data("t", &data).unwrap()
    }

    #[test]
    fn prepared_results_are_kept_and_the_pods_are_not() {
        let mut t = Templates::new();
        t.parse("t", SRC).unwrap();
        let values = Prepared::new(
            "Values",
            &json!({"global": {"proxy": {"resources": {"limits": {"cpu": "2"}}, "image": null}}}),
        );
        let first = render(&t, &values, "a");
        // `toYaml` of resources and `toJSON` of global; `omitNil` dropped the nil image into a
        // map built during the render, whose `toYaml` is not kept.
        assert_eq!(values.kept_results(), 2, "{first}");
        // The kept results give the same text; the pod's part follows the pod.
        let second = render(&t, &values, "b");
        assert_eq!(values.kept_results(), 2);
        assert_eq!(first.replace("name: a", "name: b"), second);
        assert!(second.contains("|p=- name: b\n"), "{second}");
        // Each render equals one with data converted afresh, results computed anew.
        let fresh = Prepared::new(
            "Values",
            &json!({"global": {"proxy": {"resources": {"limits": {"cpu": "2"}}, "image": null}}}),
        );
        assert_eq!(render(&t, &fresh, "b"), second);
    }

    #[test]
    fn other_prepared_data_has_its_own_results() {
        let mut t = Templates::new();
        t.parse("t", SRC).unwrap();
        let one = Prepared::new(
            "Values",
            &json!({"global": {"proxy": {"resources": {"a": 1}}}}),
        );
        let two = Prepared::new(
            "Values",
            &json!({"global": {"proxy": {"resources": {"b": 2}}}}),
        );
        let (r1, r2) = (render(&t, &one, "x"), render(&t, &two, "x"));
        assert!(r1.starts_with("v=a: 1\n"), "{r1}");
        assert!(r2.starts_with("v=b: 2\n"), "{r2}");
        assert_eq!(render(&t, &one, "x"), r1);
    }
}
