//! Container placement after the templates are merged: the proxy goes last
//! (or first with `holdApplicationUntilProxyStarts`), and the init
//! containers are ordered so iptables never blackholes another init
//! container, native sidecar or not.

use serde_json::Value;

use super::pod::{self, List, CORE_DUMP, INIT, PROXY, VALIDATION};

/// Where [`modify`] puts the named container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    First,
    Last,
    Remove,
}

/// Istio's `modifyContainers`: every container called `name` is taken out;
/// the last of them is put back first or last (or dropped). A list without
/// the name is returned untouched.
pub fn modify(list: Vec<Value>, name: &str, place: Place) -> Vec<Value> {
    if !list.iter().any(|c| pod::name(c) == name) {
        return list;
    }
    let (mut matched, mut rest) = (None, Vec::with_capacity(list.len()));
    for c in list {
        if pod::name(&c) == name {
            matched = Some(c);
        } else {
            rest.push(c);
        }
    }
    let matched = matched.expect("a container with the name was seen");
    match place {
        Place::First => std::iter::once(matched).chain(rest).collect(),
        Place::Last => {
            rest.push(matched);
            rest
        }
        Place::Remove => rest,
    }
}

fn reorder(pod: &mut Value, which: List, moves: &[(&str, Place)]) {
    let Some(list) = pod::list_mut(pod, which) else {
        return;
    };
    let mut owned = std::mem::take(list);
    for (name, place) in moves {
        owned = modify(owned, name, *place);
    }
    *list = owned;
}

/// Istio's `reorderPod`. `hold` is `holdApplicationUntilProxyStarts` as the
/// pod's effective proxy config or the values set it.
pub fn apply(pod: &mut Value, hold: bool) {
    let proxy_place = if hold { Place::First } else { Place::Last };
    reorder(pod, List::Containers, &[(PROXY, proxy_place)]);
    if pod::find(pod, List::InitContainers, PROXY).is_some() {
        // Native sidecar: {istio-init | istio-validation} => proxy => the rest.
        let moves = [
            (CORE_DUMP, Place::First),
            (PROXY, Place::First),
            (VALIDATION, Place::First),
            (INIT, Place::First),
        ];
        reorder(pod, List::InitContainers, &moves);
    } else {
        // Validation first to block user init containers; iptables last so
        // user init containers still have a network.
        let moves = [
            (VALIDATION, Place::First),
            (INIT, Place::Last),
            (CORE_DUMP, Place::Last),
        ];
        reorder(pod, List::InitContainers, &moves);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(pod: &Value, which: List) -> Vec<&str> {
        pod::list(pod, which).iter().map(pod::name).collect()
    }

    #[test]
    fn proxy_goes_last_or_first_with_hold() {
        let mut pod = json!({"spec": {"containers": [{"name": "istio-proxy"}, {"name": "a"}, {"name": "b"}]}});
        apply(&mut pod, false);
        assert_eq!(names(&pod, List::Containers), ["a", "b", "istio-proxy"]);
        apply(&mut pod, true);
        assert_eq!(names(&pod, List::Containers), ["istio-proxy", "a", "b"]);
    }

    #[test]
    fn native_sidecar_init_order() {
        let mut pod = json!({"spec": {"containers": [{"name": "a"}], "initContainers": [
            {"name": "user-init"}, {"name": "istio-proxy"}, {"name": "enable-core-dump"}, {"name": "istio-init"}
        ]}});
        apply(&mut pod, false);
        assert_eq!(
            names(&pod, List::InitContainers),
            ["istio-init", "istio-proxy", "enable-core-dump", "user-init"]
        );
    }

    #[test]
    fn classic_init_order_puts_iptables_last() {
        let mut pod = json!({"spec": {"containers": [{"name": "a"}, {"name": "istio-proxy"}], "initContainers": [
            {"name": "istio-init"}, {"name": "user-init"}, {"name": "istio-validation"}
        ]}});
        apply(&mut pod, false);
        assert_eq!(
            names(&pod, List::InitContainers),
            ["istio-validation", "user-init", "istio-init"]
        );
    }

    #[test]
    fn duplicates_collapse_to_the_last_one() {
        let list = vec![
            json!({"name": "x", "v": 1}),
            json!({"name": "y"}),
            json!({"name": "x", "v": 2}),
        ];
        let out = modify(list, "x", Place::Last);
        assert_eq!(
            out,
            vec![json!({"name": "y"}), json!({"name": "x", "v": 2})]
        );
    }
}
