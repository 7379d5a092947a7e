//! Facts about the request that shape an injection without being
//! configuration: the webhook URL's cluster and network, and OpenShift's
//! per-namespace uid ranges. (Native-sidecar detection from node versions
//! lives with the feature switch in `config::features`.)

use std::collections::BTreeMap;

use serde_json::Value;

/// Istio's webhook path parameters: `/inject/cluster/<id>/net/<network>`
/// (or `/inject/:ENV:K=V:ENV:…`) become proxy environment variables;
/// `--slash--` in a value stands for `/`.
pub fn inject_envs_from_path(path: &str) -> BTreeMap<String, String> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut parts = path.splitn(3, '/');
    let (_, _, rest) = (parts.next(), parts.next(), parts.next());
    let mut items: Vec<String> = Vec::new();
    if let Some(rest) = rest {
        if rest.starts_with(":ENV:") {
            for pair in rest.split(":ENV:").skip(1) {
                if let Some((k, v)) = pair.split_once('=') {
                    if !k.is_empty() {
                        items.push(k.to_string());
                        items.push(v.to_string());
                    }
                }
            }
        } else {
            items = rest.split('/').map(String::from).collect();
            for (i, v) in items.iter_mut().enumerate() {
                if i % 2 == 1 {
                    *v = v.replace("--slash--", "/");
                }
            }
        }
    }
    let mut envs = BTreeMap::new();
    for pair in items.chunks(2) {
        let [k, v] = pair else { break };
        let env = match k.as_str() {
            "cluster" => "ISTIO_META_CLUSTER_ID".to_string(),
            "net" => "ISTIO_META_NETWORK".to_string(),
            other => other.to_uppercase(),
        };
        if !env.is_empty() {
            envs.insert(env, v.clone());
        }
    }
    envs
}

/// The proxy's uid and gid: 1337, or on OpenShift the top of the
/// namespace's preallocated uid range and of its first supplemental group
/// block (which falls back to the uid range).
pub fn proxy_ids(namespace: Option<&Value>) -> (i64, i64) {
    const DEFAULT: i64 = 1337;
    let Some(annotations) =
        namespace.and_then(|ns| ns.get("metadata")?.get("annotations")?.as_object())
    else {
        return (DEFAULT, DEFAULT);
    };
    let get = |k: &str| {
        annotations
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let uid_range = get("openshift.io/sa.scc.uid-range");
    let uid = uid_range
        .and_then(parse_block)
        .map_or(DEFAULT, |(_, end)| end);
    let groups = get("openshift.io/sa.scc.supplemental-groups").or(uid_range);
    let gid = groups
        .and_then(|g| g.split(',').map(parse_block).collect::<Option<Vec<_>>>())
        .and_then(|blocks| blocks.first().map(|b| b.1))
        .unwrap_or(DEFAULT);
    (uid, gid)
}

/// `<start>/<size>` or `<start>-<end>` as 32-bit unsigned numbers.
fn parse_block(s: &str) -> Option<(i64, i64)> {
    let num = |t: &str| t.trim().parse::<u32>().ok().map(i64::from);
    if let Some((start, size)) = s.split_once('/') {
        let (start, size) = (num(start)?, num(size)?);
        Some((start, (start + size - 1) & 0xffff_ffff))
    } else {
        let (start, end) = s.split_once('-')?;
        Some((num(start)?, num(end)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_parameters_become_envs() {
        let e = inject_envs_from_path("/inject/cluster/c1/net/n--slash--1/");
        assert_eq!(
            e.get("ISTIO_META_CLUSTER_ID").map(String::as_str),
            Some("c1")
        );
        assert_eq!(e.get("ISTIO_META_NETWORK").map(String::as_str), Some("n/1"));
        let e = inject_envs_from_path("/inject/:ENV:cluster=c2:ENV:net=:ENV:=x");
        assert_eq!(e.len(), 2);
        assert_eq!(e["ISTIO_META_NETWORK"], "");
        assert!(inject_envs_from_path("/inject").is_empty());
        assert_eq!(inject_envs_from_path("/inject/foo/bar/odd")["FOO"], "bar");
    }

    #[test]
    fn openshift_ids_from_namespace_annotations() {
        let ns = json!({"metadata": {"annotations": {
            "openshift.io/sa.scc.uid-range": "1000620000/10000",
            "openshift.io/sa.scc.supplemental-groups": "1000620000/10000"
        }}});
        assert_eq!(proxy_ids(Some(&ns)), (1000629999, 1000629999));
        let ns = json!({"metadata": {"annotations": {"openshift.io/sa.scc.uid-range": "100-200"}}});
        assert_eq!(proxy_ids(Some(&ns)), (200, 200));
        assert_eq!(proxy_ids(None), (1337, 1337));
    }
}
