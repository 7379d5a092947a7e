//! Proxy image references: `<hub>/<name>:<tag>[-<variant>]`, with the
//! variant taken from the pod's ProxyConfig image type, the values'
//! `global.variant`, or the `sidecar.istio.io/proxyImageType` annotation.

use serde_json::Value;

/// Annotation choosing the image variant for one pod.
pub const IMAGE_TYPE_ANNOTATION: &str = "sidecar.istio.io/proxyImageType";
const KNOWN_TYPES: [&str; 2] = ["distroless", "debug"];

fn global<'a>(values: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(values.get("global")?, |v, k| v.get(k))
}

fn str_at<'a>(values: &'a Value, path: &[&str]) -> &'a str {
    global(values, path).and_then(Value::as_str).unwrap_or("")
}

/// The tag as Go's `%v` prints the JSON value (strings verbatim, numbers in
/// shortest form).
fn tag(values: &Value) -> String {
    match global(values, &["tag"]) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{}", f as i64),
            Some(f) => format!("{f}"),
            None => n.to_string(),
        },
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// The sidecar image. `proxy_image_type` is ProxyConfig `image.imageType`
/// when the ProxyConfig sets an image.
pub fn proxy_image(
    values: &Value,
    proxy_image_type: Option<&str>,
    annotations: Option<&serde_json::Map<String, Value>>,
) -> String {
    let name = Some(str_at(values, &["proxy", "image"]))
        .filter(|s| !s.is_empty())
        .unwrap_or("proxyv2");
    url(values, name, proxy_image_type.unwrap_or(""), annotations)
}

/// The `istio-init` image.
pub fn proxy_init_image(
    values: &Value,
    annotations: Option<&serde_json::Map<String, Value>>,
) -> String {
    let name = Some(str_at(values, &["proxy_init", "image"]))
        .filter(|s| !s.is_empty())
        .unwrap_or("proxyv2");
    url(values, name, "", annotations)
}

fn url(
    values: &Value,
    name: &str,
    image_type: &str,
    annotations: Option<&serde_json::Map<String, Value>>,
) -> String {
    let mut image_type = if image_type.is_empty() {
        str_at(values, &["variant"])
    } else {
        image_type
    };
    if let Some(t) = annotations.and_then(|a| a.get(IMAGE_TYPE_ANNOTATION)) {
        image_type = t.as_str().unwrap_or("");
    }
    format!(
        "{}/{}:{}",
        str_at(values, &["hub"]),
        name,
        with_type(&tag(values), image_type)
    )
}

/// Replaces a known variant suffix of the tag by `image_type` (`default`
/// means no suffix).
fn with_type(tag: &str, image_type: &str) -> String {
    if image_type.is_empty() {
        return tag.to_string();
    }
    let base = KNOWN_TYPES
        .iter()
        .find_map(|t| tag.strip_suffix(&format!("-{t}")))
        .unwrap_or(tag);
    if image_type == "default" {
        base.to_string()
    } else {
        format!("{base}-{image_type}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(tag: Value, variant: &str) -> Value {
        json!({"global": {"hub": "docker.io/istio", "tag": tag, "variant": variant, "proxy": {"image": "proxyv2"}, "proxy_init": {"image": "proxyv2"}}})
    }

    #[test]
    fn plain_and_variant_images() {
        assert_eq!(
            proxy_image(&values(json!("1.20.0"), ""), None, None),
            "docker.io/istio/proxyv2:1.20.0"
        );
        assert_eq!(
            proxy_image(&values(json!("1.20.0"), "distroless"), None, None),
            "docker.io/istio/proxyv2:1.20.0-distroless"
        );
        assert_eq!(
            proxy_image(&values(json!("1.20.0-debug"), "distroless"), None, None),
            "docker.io/istio/proxyv2:1.20.0-distroless"
        );
    }

    #[test]
    fn proxy_config_type_then_annotation_override_variant() {
        let v = values(json!("1.2"), "distroless");
        assert_eq!(
            proxy_image(&v, Some("debug"), None),
            "docker.io/istio/proxyv2:1.2-debug"
        );
        let a = json!({IMAGE_TYPE_ANNOTATION: "default"});
        assert_eq!(
            proxy_image(&v, Some("debug"), a.as_object()),
            "docker.io/istio/proxyv2:1.2"
        );
    }

    #[test]
    fn numeric_tags_print_like_go() {
        assert_eq!(
            proxy_init_image(&values(json!(1.2), ""), None),
            "docker.io/istio/proxyv2:1.2"
        );
        assert_eq!(
            proxy_init_image(&values(json!(2), ""), None),
            "docker.io/istio/proxyv2:2"
        );
    }

    #[test]
    fn custom_image_name_from_values() {
        let mut v = values(json!("latest"), "");
        v["global"]["proxy"]["image"] = json!("proxyTest");
        assert_eq!(
            proxy_image(&v, None, None),
            "docker.io/istio/proxyTest:latest"
        );
    }
}
