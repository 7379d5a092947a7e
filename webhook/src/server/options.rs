//! `meshinject serve` flags: parsing and the `--help` text.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::tls::MinVersion;

pub const HELP: &str = "usage: meshinject serve [FLAGS]

Serves Istio-compatible sidecar injection as a Kubernetes mutating admission
webhook: POST /inject and /inject/... over HTTPS, AdmissionReview v1 and v1beta1.

Listening:
  --listen-address ADDR      address of both ports (default 0.0.0.0)
  --port N                   HTTPS admission port (default 15017)
  --monitoring-port N        plain-HTTP port for /metrics, /healthz, /readyz,
                             /debug/config (default 15014)

TLS (one of --tls-cert/--tls-key or --self-signed):
  --tls-cert FILE            PEM serving certificate chain; re-read every
                             --reload-interval, a pair that does not load is
                             refused and the previous one kept
  --tls-key FILE             PEM private key (PKCS#8, PKCS#1 or SEC1)
  --tls-min-version V        1.2 or 1.3 (default 1.2; nothing older is offered)
  --self-signed              generate a CA and a serving certificate for
                             <service>.<namespace>.svc in memory, and keep the
                             caBundle of --webhook-config equal to that CA
                             (needs API access; each replica adds its own
                             CA, the newest four are kept)
  --service NAME             the webhook Service (default istiod)
  --service-namespace NS     its namespace (default --config-namespace)
  --webhook-config NAME      MutatingWebhookConfiguration to keep the caBundle
                             of (default istio-sidecar-injector[-<revision>])

Configuration (mounted files, or ConfigMaps through the API server):
  --inject-config-dir DIR    directory with files `config` and `values` (the
                             istio-sidecar-injector ConfigMap mounted as a
                             volume); re-read every --reload-interval. Without
                             it the ConfigMaps are watched.
  --mesh-config-file FILE    mesh config (the `mesh` key of ConfigMap istio);
                             default: Istio's mesh defaults
  --config-namespace NS      namespace of the ConfigMaps (default istio-system)
  --injector-configmap NAME  default istio-sidecar-injector[-<revision>]
  --mesh-configmap NAME      default istio[-<revision>]
  --revision REV             control-plane revision served (default: none)
  --kubeconfig FILE          kubeconfig for API access outside a cluster
                             (default: $KUBECONFIG, ~/.kube/config, then the
                             in-cluster service account). With
                             --inject-config-dir the API is used only when
                             this is given or inside a cluster.
  --reload-interval SECS     how often mounted files are re-read (default 1)

A configuration change that does not parse is refused whole: the previous one
stays in force, the error is logged with its key and counted in
meshinject_config_reload_errors_total.

Runtime:
  --workers N                injections run at once, 1 to 256 (default: CPU count)
  --memo-mib N               memory for remembered decisions (default 8; 0: off).
                             A review whose pod, namespace, path and cluster
                             facts equal an earlier one's under the same
                             configuration gets that decision again (a
                             ReplicaSet's pods arrive identical); not used
                             when a template calls env or call
  --shutdown-delay SECS      on SIGTERM/SIGINT, how long to keep serving with
                             /readyz failing before closing the listener, so
                             that the API server stops picking this replica
                             first (default 0)
  --drain-timeout SECS       then, how long connections in flight may take to
                             finish (default 10)
  --log-json                 JSON log lines (default: text)
  --log-level FILTER         tracing filter (default info, or $RUST_LOG)

Environment (as in Istio): ENABLE_NATIVE_SIDECARS=auto|true|false (auto:
decided from the nodes' kubelet versions, which are watched when API access
exists), COMPLIANCE_POLICY, PLATFORM (openshift: Namespaces are watched for
their uid ranges).";

/// Everything `serve` is configured by.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen_address: IpAddr,
    pub port: u16,
    pub monitoring_port: u16,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_min_version: MinVersion,
    pub self_signed: bool,
    pub service: String,
    pub service_namespace: Option<String>,
    pub webhook_config: Option<String>,
    pub inject_config_dir: Option<PathBuf>,
    pub mesh_config_file: Option<PathBuf>,
    pub config_namespace: String,
    pub injector_configmap: Option<String>,
    pub mesh_configmap: Option<String>,
    pub revision: String,
    pub kubeconfig: Option<PathBuf>,
    pub reload_interval: Duration,
    pub workers: usize,
    /// Memory for remembered decisions, in MiB (0: none are kept).
    pub memo_mib: usize,
    pub drain_timeout: Duration,
    /// How long to keep serving, not ready, after a shutdown signal.
    pub shutdown_delay: Duration,
    pub log_json: bool,
    pub log_level: Option<String>,
    /// Hidden: answer every review "allowed" without injecting (benchmark floor).
    pub noop: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen_address: IpAddr::from([0, 0, 0, 0]),
            port: 15017,
            monitoring_port: 15014,
            tls_cert: None,
            tls_key: None,
            tls_min_version: MinVersion::Tls12,
            self_signed: false,
            service: "istiod".into(),
            service_namespace: None,
            webhook_config: None,
            inject_config_dir: None,
            mesh_config_file: None,
            config_namespace: "istio-system".into(),
            injector_configmap: None,
            mesh_configmap: None,
            revision: String::new(),
            kubeconfig: None,
            reload_interval: Duration::from_secs(1),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            memo_mib: 8,
            drain_timeout: Duration::from_secs(10),
            shutdown_delay: Duration::ZERO,
            log_json: false,
            log_level: None,
            noop: false,
        }
    }
}

/// A command line that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("flag {0} needs a value")]
    MissingValue(String),
    #[error("flag {flag}: {why}")]
    Invalid { flag: String, why: String },
    #[error("unknown flag {0:?} for serve (see meshinject serve --help)")]
    Unknown(String),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("help requested")]
    Help,
}

fn seconds(s: &str) -> Result<Duration, String> {
    let s = s.strip_suffix('s').unwrap_or(s);
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{s:?} is not a positive number of seconds"))
}

impl Options {
    /// Parses `serve`'s arguments (`--flag value` or `--flag=value`).
    pub fn parse(args: &[String]) -> Result<Options, OptionsError> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = || -> Result<String, OptionsError> {
                match &inline {
                    Some(v) => Ok(v.clone()),
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| OptionsError::MissingValue(flag.to_string())),
                }
            };
            let invalid = |why: String| OptionsError::Invalid {
                flag: flag.to_string(),
                why,
            };
            let number = |v: String| v.parse::<u16>().map_err(|e| invalid(format!("{v:?}: {e}")));
            match flag {
                "--listen-address" => {
                    let v = value()?;
                    o.listen_address = v.parse().map_err(|e| invalid(format!("{v:?}: {e}")))?;
                }
                "--port" => o.port = number(value()?)?,
                "--monitoring-port" => o.monitoring_port = number(value()?)?,
                "--tls-cert" => o.tls_cert = Some(value()?.into()),
                "--tls-key" => o.tls_key = Some(value()?.into()),
                "--tls-min-version" => o.tls_min_version = value()?.parse().map_err(invalid)?,
                "--self-signed" => o.self_signed = true,
                "--service" => o.service = value()?,
                "--service-namespace" => o.service_namespace = Some(value()?),
                "--webhook-config" => o.webhook_config = Some(value()?),
                "--inject-config-dir" => o.inject_config_dir = Some(value()?.into()),
                "--mesh-config-file" => o.mesh_config_file = Some(value()?.into()),
                "--config-namespace" => o.config_namespace = value()?,
                "--injector-configmap" => o.injector_configmap = Some(value()?),
                "--mesh-configmap" => o.mesh_configmap = Some(value()?),
                "--revision" => o.revision = value()?,
                "--kubeconfig" => o.kubeconfig = Some(value()?.into()),
                "--reload-interval" => o.reload_interval = seconds(&value()?).map_err(invalid)?,
                "--drain-timeout" => o.drain_timeout = seconds(&value()?).map_err(invalid)?,
                "--shutdown-delay" => o.shutdown_delay = seconds(&value()?).map_err(invalid)?,
                "--workers" => {
                    let v = value()?;
                    o.workers = v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=256).contains(n))
                        .ok_or_else(|| invalid(format!("{v:?} is not a number from 1 to 256")))?;
                }
                "--memo-mib" => {
                    let v = value()?;
                    o.memo_mib =
                        v.parse::<usize>()
                            .ok()
                            .filter(|n| *n <= 4096)
                            .ok_or_else(|| {
                                invalid(format!("{v:?} is not a number of MiB up to 4096"))
                            })?;
                }
                "--log-json" => o.log_json = true,
                "--log-level" => o.log_level = Some(value()?),
                "--noop" => o.noop = true,
                "-h" | "--help" => return Err(OptionsError::Help),
                other => return Err(OptionsError::Unknown(other.to_string())),
            }
        }
        match (&o.tls_cert, &o.tls_key, o.self_signed) {
            (Some(_), Some(_), false) | (None, None, true) => {}
            (_, _, true) => {
                return Err(OptionsError::Conflict(
                    "--self-signed and --tls-cert/--tls-key exclude each other",
                ))
            }
            _ => {
                return Err(OptionsError::Conflict(
                    "serve needs --tls-cert and --tls-key, or --self-signed",
                ))
            }
        }
        if o.mesh_config_file.is_some() && o.inject_config_dir.is_none() {
            return Err(OptionsError::Conflict(
                "--mesh-config-file goes with --inject-config-dir",
            ));
        }
        Ok(o)
    }

    /// `-<revision>` for resource names, empty for the default revision.
    fn suffix(&self) -> String {
        match self.revision.as_str() {
            "" | "default" => String::new(),
            r => format!("-{r}"),
        }
    }

    pub fn injector_configmap(&self) -> String {
        self.injector_configmap
            .clone()
            .unwrap_or_else(|| format!("istio-sidecar-injector{}", self.suffix()))
    }

    pub fn mesh_configmap(&self) -> String {
        self.mesh_configmap
            .clone()
            .unwrap_or_else(|| format!("istio{}", self.suffix()))
    }

    pub fn webhook_config(&self) -> String {
        self.webhook_config
            .clone()
            .unwrap_or_else(|| format!("istio-sidecar-injector{}", self.suffix()))
    }

    pub fn service_namespace(&self) -> &str {
        self.service_namespace
            .as_deref()
            .unwrap_or(&self.config_namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Options, OptionsError> {
        Options::parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn flags_and_revision_names() {
        let o = parse("--tls-cert c --tls-key=k --port 8443 --revision canary --tls-min-version 1.3 --reload-interval 0.5").unwrap();
        assert_eq!(o.port, 8443);
        assert_eq!(o.tls_min_version, MinVersion::Tls13);
        assert_eq!(o.injector_configmap(), "istio-sidecar-injector-canary");
        assert_eq!(o.mesh_configmap(), "istio-canary");
        assert_eq!(o.reload_interval, Duration::from_millis(500));
        assert_eq!(o.memo_mib, 8);
        assert_eq!(o.shutdown_delay, Duration::ZERO);
        let o = parse("--self-signed --shutdown-delay 5 --drain-timeout=2.5").unwrap();
        assert_eq!(o.shutdown_delay, Duration::from_secs(5));
        assert_eq!(o.drain_timeout, Duration::from_millis(2500));
        assert_eq!(parse("--self-signed --memo-mib 0").unwrap().memo_mib, 0);
        assert!(matches!(
            parse("--self-signed --memo-mib lots"),
            Err(OptionsError::Invalid { .. })
        ));
        let o = parse("--self-signed --revision default").unwrap();
        assert_eq!(o.webhook_config(), "istio-sidecar-injector");
        assert_eq!(o.service_namespace(), "istio-system");
    }

    #[test]
    fn refuses_bad_command_lines() {
        assert!(matches!(
            parse("--tls-cert c"),
            Err(OptionsError::Conflict(_))
        ));
        assert!(matches!(
            parse("--self-signed --tls-cert c --tls-key k"),
            Err(OptionsError::Conflict(_))
        ));
        assert!(matches!(
            parse("--self-signed --port x"),
            Err(OptionsError::Invalid { .. })
        ));
        assert!(matches!(
            parse("--self-signed --tls-min-version 1.1"),
            Err(OptionsError::Invalid { .. })
        ));
        assert!(matches!(
            parse("--self-signed --bogus"),
            Err(OptionsError::Unknown(_))
        ));
        assert!(matches!(
            parse("--self-signed --port"),
            Err(OptionsError::MissingValue(_))
        ));
        for workers in ["0", "257", "-1", "many"] {
            assert!(
                matches!(
                    parse(&format!("--self-signed --workers {workers}")),
                    Err(OptionsError::Invalid { .. })
                ),
                "--workers {workers}"
            );
        }
        assert_eq!(parse("--self-signed --workers 256").unwrap().workers, 256);
        assert!(matches!(parse("--help"), Err(OptionsError::Help)));
    }
}
