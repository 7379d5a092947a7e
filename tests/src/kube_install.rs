//! `charts/meshinject` installed on the local control plane as a user would
//! install it, with the one change a cluster without nodes needs: the
//! Deployment cannot run, so `meshinject serve` runs as a local process with
//! the rendered Deployment's own arguments, under the chart's service
//! account, and every webhook of the chart's MutatingWebhookConfiguration
//! points at it by `url` (with `--service localhost`, the self-signed
//! certificate names that URL's host).
//!
//! v1.20 does not yet label namespaces with `kubernetes.io/metadata.name`
//! (v1.21+ does, and the chart's namespace exclusions use it), so
//! [`namespace`] adds that label itself.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::kube::{ControlPlane, KubeError};
use crate::kube_chart::{chart_dir, render, Manifest, Release};
use crate::kube_webhook::{free_port, Webhook};

/// What [`install`] set up.
#[derive(Debug)]
pub struct Installed {
    /// The server, running with the chart's arguments.
    pub webhook: Webhook,
    /// The release namespace (ConfigMaps, service account).
    pub namespace: String,
    /// The chart's MutatingWebhookConfiguration.
    pub webhook_config: String,
    /// The rendered chart.
    pub documents: Vec<Value>,
}

/// Creates namespace `name` if needed and sets `labels` on it, with the
/// `kubernetes.io/metadata.name` label newer API servers set themselves.
pub fn namespace(plane: &ControlPlane, name: &str, labels: &[&str]) -> Result<(), KubeError> {
    if plane
        .kubectl(&["get", "namespace", name, "-o", "name"], None)
        .is_err()
    {
        plane.kubectl(&["create", "namespace", name], None)?;
    }
    let own = format!("kubernetes.io/metadata.name={name}");
    let mut args = vec!["label", "--overwrite", "namespace", name, own.as_str()];
    args.extend(labels);
    plane.kubectl(&args, None).map(drop)
}

/// Renders the chart as release `meshinject` in `ns` (v1.20 serves
/// PodDisruptionBudget as policy/v1beta1 only), applies it, points its
/// webhooks at a local server and starts that server.
pub fn install(plane: &ControlPlane, ns: &str) -> Result<Installed, KubeError> {
    namespace(plane, ns, &[])?;
    let release = Release {
        name: "meshinject".into(),
        namespace: ns.into(),
    };
    let overrides = json!({"podDisruptionBudget": {"apiVersion": "policy/v1beta1"}});
    let files = render(&chart_dir(), &release, &overrides)?;
    let stream: String = files.iter().map(|m| format!("---\n{}\n", m.text)).collect();
    plane.kubectl(&["apply", "-f", "-"], Some(&stream))?;
    let documents = documents(&files)?;
    let webhook_config = format!("meshinject-{ns}");

    // Every webhook calls the local server by URL.
    let port = free_port();
    let url = format!("https://localhost:{port}/inject");
    let mwc = plane.kubectl_json(&["get", "mutatingwebhookconfiguration", &webhook_config])?;
    let count = mwc["webhooks"].as_array().map_or(0, Vec::len);
    let patch: Vec<Value> = (0..count)
        .map(|i| {
            json!({"op": "replace", "path": format!("/webhooks/{i}/clientConfig"),
                   "value": {"url": url}})
        })
        .collect();
    plane.kubectl(
        &[
            "patch",
            "mutatingwebhookconfiguration",
            &webhook_config,
            "--type=json",
            "-p",
            &Value::from(patch).to_string(),
        ],
        None,
    )?;

    let kubeconfig = plane.dir().join("meshinject-sa.kubeconfig");
    plane.write_kubeconfig_for(&service_account_token(plane, ns)?, &kubeconfig)?;
    let args = server_args(&documents, port, &kubeconfig.display().to_string())?;
    let webhook = Webhook::start_args(plane, port, args)?;
    plane
        .eventually(Duration::from_secs(30), || {
            let m = plane
                .kubectl_json(&["get", "mutatingwebhookconfiguration", &webhook_config])
                .ok()?;
            m["webhooks"]
                .as_array()?
                .iter()
                .all(|w| {
                    w["clientConfig"]["caBundle"]
                        .as_str()
                        .is_some_and(|c| !c.is_empty())
                })
                .then_some(())
        })
        .ok_or_else(|| KubeError::Timeout {
            what: format!("caBundle of {webhook_config}"),
            secs: 30,
            log: webhook.log.clone(),
            tail: webhook.log_text(),
        })?;
    Ok(Installed {
        webhook,
        namespace: ns.into(),
        webhook_config,
        documents,
    })
}

fn documents(files: &[Manifest]) -> Result<Vec<Value>, KubeError> {
    let mut docs = Vec::new();
    for m in files {
        docs.extend(m.documents()?);
    }
    Ok(docs)
}

/// The bearer token of service account `meshinject`, from the Secret the
/// token controller creates for it.
pub fn service_account_token(plane: &ControlPlane, ns: &str) -> Result<String, KubeError> {
    let secret = plane
        .eventually(Duration::from_secs(60), || {
            let sa = plane
                .kubectl_json(&["-n", ns, "get", "serviceaccount", "meshinject"])
                .ok()?;
            sa["secrets"][0]["name"].as_str().map(String::from)
        })
        .ok_or_else(|| KubeError::Missing {
            what: format!("a token Secret of serviceaccount {ns}/meshinject"),
            hint: "is kube-controller-manager running?".into(),
        })?;
    let encoded = plane.kubectl(
        &[
            "-n",
            ns,
            "get",
            "secret",
            &secret,
            "-o",
            "jsonpath={.data.token}",
        ],
        None,
    )?;
    let io = |source| KubeError::Io {
        what: "base64 -d of the service account token".into(),
        source,
    };
    let mut child = Command::new("base64")
        .arg("-d")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(io)?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(encoded.as_bytes())
        .map_err(io)?;
    let out = child.wait_with_output().map_err(io)?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The rendered Deployment's container arguments, serving on `port`, with
/// `--service localhost` and the service account's kubeconfig.
fn server_args(docs: &[Value], port: u16, kubeconfig: &str) -> Result<Vec<String>, KubeError> {
    let missing = |what: &str| KubeError::Missing {
        what: what.into(),
        hint: "charts/meshinject/templates/deployment.yaml".into(),
    };
    let deploy = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .ok_or_else(|| missing("the chart's Deployment"))?;
    let mut args: Vec<String> = deploy["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .ok_or_else(|| missing("the server container's args"))?
        .iter()
        .filter_map(|a| a.as_str().map(String::from))
        .collect();
    for (flag, value) in [
        ("--port", port.to_string()),
        ("--service", "localhost".into()),
    ] {
        let i = args
            .iter()
            .position(|a| a == flag)
            .ok_or_else(|| missing(&format!("{flag} in the server's args")))?;
        args[i + 1] = value;
    }
    args.extend(["--kubeconfig".into(), kubeconfig.into()]);
    Ok(args)
}
