//! The command line of `mesh-init`: every flag, short form, environment variable and
//! default of Istio's `istio-iptables`, parsed with cobra/pflag's rules, plus the
//! environment-only settings and `mesh-init`'s own extension flags.
//!
//! Hand-written rather than clap: pflag's exact rules (an optional `=value` on booleans
//! only, `-p15001` / `-p=15001`, Go's boolean and duration spellings, environment
//! variables applied before the command line with the later of two variables winning,
//! and unparsable environment values ignored) take fewer lines here than clap overrides.
//!
//! This module only checks syntax and the Go-typed values (bool, uint16, duration); the
//! meaning of every value is checked by [`crate::config`].

use std::time::Duration;

use thiserror::Error;

mod gotypes;
mod spec;

pub use gotypes::{parse_go_bool, parse_go_duration, parse_go_uint16};
pub use spec::{Spec, SPECS};

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Nothing set it: the documented default.
    Default,
    /// The named environment variable.
    Env(&'static str),
    /// The command line.
    Flag,
}

/// One setting: its value, where the value came from, and what names it.
#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
    pub spec: &'static Spec,
}

impl<T> Setting<T> {
    /// How an error message names this setting: the flag (`--istio-service-cidr (-i)`),
    /// or the environment variable when the value came from one.
    pub fn label(&self) -> String {
        match (self.origin, self.spec.long) {
            (Origin::Env(var), Some(long)) => format!("{var} (environment, for --{long})"),
            (Origin::Env(var), None) => var.to_string(),
            (_, Some(long)) => match self.spec.short {
                Some(short) => format!("--{long} (-{short})"),
                None => format!("--{long}"),
            },
            (_, None) => self.spec.envs.first().copied().unwrap_or("?").to_string(),
        }
    }
}

/// The parsed command line and environment, still untyped where Istio keeps strings.
#[derive(Debug, Clone)]
pub struct Cli {
    pub envoy_port: Setting<String>,
    pub inbound_capture_port: Setting<String>,
    pub inbound_tunnel_port: Setting<String>,
    pub proxy_uid: Setting<String>,
    pub proxy_gid: Setting<String>,
    pub inbound_interception_mode: Setting<String>,
    pub inbound_ports: Setting<String>,
    pub local_exclude_ports: Setting<String>,
    pub exclude_interfaces: Setting<String>,
    pub service_cidr: Setting<String>,
    pub service_exclude_cidr: Setting<String>,
    pub outbound_ports: Setting<String>,
    pub local_outbound_ports_exclude: Setting<String>,
    pub kube_virt_interfaces: Setting<String>,
    pub inbound_tproxy_mark: Setting<String>,
    pub inbound_tproxy_route_table: Setting<String>,
    pub dry_run: Setting<bool>,
    pub iptables_probe_port: Setting<u16>,
    pub probe_timeout: Setting<Duration>,
    pub skip_rule_apply: Setting<bool>,
    pub run_validation: Setting<bool>,
    pub redirect_dns: Setting<bool>,
    pub drop_invalid: Setting<bool>,
    pub dual_stack: Setting<bool>,
    pub capture_all_dns: Setting<bool>,
    pub network_namespace: Setting<String>,
    pub cni_mode: Setting<bool>,
    pub reconcile: Setting<bool>,
    pub cleanup_only: Setting<bool>,
    pub force_apply: Setting<bool>,
    pub native_nftables: Setting<bool>,
    pub force_iptables_binary: Setting<String>,
    /// Extension: `--ipv6` / `--no-ipv6`; `None` means auto-detect like Istio.
    pub ipv6: Setting<Option<bool>>,
    /// Extension: `--dns-servers`; `None` means read `/etc/resolv.conf` like Istio.
    pub dns_servers: Setting<Option<String>>,
    /// Environment only: `ISTIO_OUTBOUND_OWNER_GROUPS`.
    pub owner_groups_include: Setting<String>,
    /// Environment only: `ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE`.
    pub owner_groups_exclude: Setting<String>,
    /// Environment only: `ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR`.
    pub ipv4_loopback_cidr: Setting<String>,
    /// Environment only: `ENVOY_USER`, whose uid is the default `--proxy-uid`.
    pub envoy_user: Setting<String>,
    /// Accepted for compatibility, without effect (Istio's logging flags).
    pub ignored_flags: Vec<String>,
    /// Positional arguments, which pflag accepts and istio-iptables ignores.
    pub ignored_args: Vec<String>,
    /// Environment values that could not be parsed and were ignored, as pflag does.
    pub warnings: Vec<String>,
}

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Command {
    /// `--help`: print [`usage`] and exit successfully.
    Help,
    /// Program the rules described by these settings.
    Run(Box<Cli>),
}

/// A command line that cannot be parsed; the text follows pflag's messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CliError {
    #[error("unknown flag: --{0}")]
    UnknownFlag(String),
    #[error("unknown shorthand flag: '{short}' in {arg}")]
    UnknownShorthand { short: char, arg: String },
    #[error("bad flag syntax: {0}")]
    BadSyntax(String),
    #[error("flag needs an argument: {0}")]
    MissingValue(String),
    #[error("invalid argument {value:?} for {flag}: {reason}")]
    InvalidArgument {
        flag: String,
        value: String,
        reason: String,
    },
}

/// A typed place in [`Cli`] that a flag or environment variable writes to.
pub(crate) enum Slot<'a> {
    Str(&'a mut Setting<String>),
    Bool(&'a mut Setting<bool>),
    U16(&'a mut Setting<u16>),
    Duration(&'a mut Setting<Duration>),
    /// A boolean stored as `Some(value != negated)`.
    Tristate {
        target: &'a mut Setting<Option<bool>>,
        negated: bool,
    },
    OptStr(&'a mut Setting<Option<String>>),
    /// Accepted and dropped; `true` when the flag is a boolean.
    Ignored {
        boolean: bool,
    },
}

impl Slot<'_> {
    fn is_bool(&self) -> bool {
        matches!(
            self,
            Slot::Bool(_) | Slot::Tristate { .. } | Slot::Ignored { boolean: true }
        )
    }

    /// Store `raw` with its origin, or say why it is not a valid value of this type.
    fn set(self, raw: &str, origin: Origin) -> Result<(), String> {
        fn put<T>(s: &mut Setting<T>, value: T, origin: Origin) {
            s.value = value;
            s.origin = origin;
        }
        match self {
            Slot::Str(s) => put(s, raw.to_string(), origin),
            Slot::OptStr(s) => put(s, Some(raw.to_string()), origin),
            Slot::Bool(s) => put(s, parse_go_bool(raw)?, origin),
            Slot::U16(s) => put(s, parse_go_uint16(raw)?, origin),
            Slot::Duration(s) => put(s, parse_go_duration(raw)?, origin),
            Slot::Tristate { target, negated } => {
                let v = parse_go_bool(raw)?;
                put(target, Some(v != negated), origin)
            }
            Slot::Ignored { boolean } => {
                if boolean {
                    parse_go_bool(raw)?;
                }
            }
        }
        Ok(())
    }
}

/// Parse `args` (without the program name) with `env` as the process environment.
///
/// A leading `istio-iptables` word (the subcommand of Istio's image) is skipped. The
/// environment is applied first, then the command line, so flags win.
pub fn parse(args: &[String], env: &dyn Fn(&str) -> Option<String>) -> Result<Command, CliError> {
    let mut cli = Cli::with_defaults();
    cli.apply_env(env);
    let mut help = false;
    let mut seen_positional = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            cli.ignored_args.extend(rest.by_ref().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            help |= cli.parse_long(long, arg, &mut rest)?;
        } else if arg.len() > 1 && arg.starts_with('-') {
            help |= cli.parse_shorts(arg, &mut rest)?;
        } else if !seen_positional && arg == "istio-iptables" {
            seen_positional = true;
        } else {
            seen_positional = true;
            cli.ignored_args.push(arg.clone());
        }
    }
    if help {
        return Ok(Command::Help);
    }
    Ok(Command::Run(Box::new(cli)))
}

impl Cli {
    /// Every setting at its documented default.
    pub fn with_defaults() -> Cli {
        let s = |spec: &'static Spec| Setting {
            value: String::new(),
            origin: Origin::Default,
            spec,
        };
        let b = |spec: &'static Spec| Setting {
            value: false,
            origin: Origin::Default,
            spec,
        };
        let mut cli = Cli {
            envoy_port: s(&spec::ENVOY_PORT),
            inbound_capture_port: s(&spec::INBOUND_CAPTURE_PORT),
            inbound_tunnel_port: s(&spec::INBOUND_TUNNEL_PORT),
            proxy_uid: s(&spec::PROXY_UID),
            proxy_gid: s(&spec::PROXY_GID),
            inbound_interception_mode: s(&spec::INTERCEPTION_MODE),
            inbound_ports: s(&spec::INBOUND_PORTS),
            local_exclude_ports: s(&spec::LOCAL_EXCLUDE_PORTS),
            exclude_interfaces: s(&spec::EXCLUDE_INTERFACES),
            service_cidr: s(&spec::SERVICE_CIDR),
            service_exclude_cidr: s(&spec::SERVICE_EXCLUDE_CIDR),
            outbound_ports: s(&spec::OUTBOUND_PORTS),
            local_outbound_ports_exclude: s(&spec::LOCAL_OUTBOUND_PORTS_EXCLUDE),
            kube_virt_interfaces: s(&spec::KUBE_VIRT_INTERFACES),
            inbound_tproxy_mark: s(&spec::TPROXY_MARK),
            inbound_tproxy_route_table: s(&spec::TPROXY_ROUTE_TABLE),
            dry_run: b(&spec::DRY_RUN),
            iptables_probe_port: Setting {
                value: 0,
                origin: Origin::Default,
                spec: &spec::IPTABLES_PROBE_PORT,
            },
            probe_timeout: Setting {
                value: Duration::ZERO,
                origin: Origin::Default,
                spec: &spec::PROBE_TIMEOUT,
            },
            skip_rule_apply: b(&spec::SKIP_RULE_APPLY),
            run_validation: b(&spec::RUN_VALIDATION),
            redirect_dns: b(&spec::REDIRECT_DNS),
            drop_invalid: b(&spec::DROP_INVALID),
            dual_stack: b(&spec::DUAL_STACK),
            capture_all_dns: b(&spec::CAPTURE_ALL_DNS),
            network_namespace: s(&spec::NETWORK_NAMESPACE),
            cni_mode: b(&spec::CNI_MODE),
            reconcile: b(&spec::RECONCILE),
            cleanup_only: b(&spec::CLEANUP_ONLY),
            force_apply: b(&spec::FORCE_APPLY),
            native_nftables: b(&spec::NATIVE_NFTABLES),
            force_iptables_binary: s(&spec::FORCE_IPTABLES_BINARY),
            ipv6: Setting {
                value: None,
                origin: Origin::Default,
                spec: &spec::IPV6,
            },
            dns_servers: Setting {
                value: None,
                origin: Origin::Default,
                spec: &spec::DNS_SERVERS,
            },
            owner_groups_include: s(&spec::OWNER_GROUPS),
            owner_groups_exclude: s(&spec::OWNER_GROUPS_EXCLUDE),
            ipv4_loopback_cidr: s(&spec::IPV4_LOOPBACK_CIDR),
            envoy_user: s(&spec::ENVOY_USER),
            ignored_flags: Vec::new(),
            ignored_args: Vec::new(),
            warnings: Vec::new(),
        };
        for spec in SPECS {
            if let Some(default) = spec.default {
                // Defaults are spelled in the flag's own syntax; a test checks they parse.
                let _ = (spec.slot)(&mut cli).set(default, Origin::Default);
            }
        }
        cli
    }

    /// Apply every bound environment variable in table order; where a setting has two
    /// variables the later one wins. Unparsable values are ignored with a warning.
    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        for spec in SPECS {
            for var in spec.envs {
                let Some(raw) = env(var) else { continue };
                if let Err(why) = (spec.slot)(self).set(&raw, Origin::Env(var)) {
                    self.warnings.push(format!(
                        "ignoring environment variable {var}={raw:?}: {why}"
                    ));
                }
            }
        }
    }

    /// One `--name[=value]` argument; returns whether it asked for help.
    fn parse_long<'a>(
        &mut self,
        body: &str,
        arg: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) -> Result<bool, CliError> {
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        if name.is_empty() || name.starts_with('-') || name.starts_with('=') {
            return Err(CliError::BadSyntax(arg.to_string()));
        }
        if name == "help" {
            return match inline {
                None => Ok(true),
                Some(v) => parse_go_bool(v).map_err(|reason| CliError::InvalidArgument {
                    flag: "--help".into(),
                    value: v.into(),
                    reason,
                }),
            };
        }
        let spec = SPECS
            .iter()
            .find(|s| s.long == Some(name))
            .ok_or_else(|| CliError::UnknownFlag(name.to_string()))?;
        let slot = (spec.slot)(self);
        let value = match inline {
            Some(v) => v.to_string(),
            None if slot.is_bool() => "true".to_string(),
            None => match rest.next() {
                Some(v) => v.clone(),
                None => return Err(CliError::MissingValue(format!("--{name}"))),
            },
        };
        let ignored = matches!(slot, Slot::Ignored { .. });
        slot.set(&value, Origin::Flag)
            .map_err(|reason| CliError::InvalidArgument {
                flag: format!("--{name}"),
                value: value.clone(),
                reason,
            })?;
        if ignored {
            self.ignored_flags.push(format!("--{name}={value}"));
        }
        Ok(false)
    }

    /// One `-abc` group of shorthands, pflag style; returns whether it asked for help.
    fn parse_shorts<'a>(
        &mut self,
        arg: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) -> Result<bool, CliError> {
        let mut help = false;
        let mut shorts = &arg[1..];
        while let Some(short) = shorts.chars().next() {
            let after = &shorts[short.len_utf8()..];
            if short == 'h' {
                help = true;
                shorts = after;
                continue;
            }
            let spec = SPECS
                .iter()
                .find(|s| s.short == Some(short))
                .ok_or_else(|| CliError::UnknownShorthand {
                    short,
                    arg: arg.to_string(),
                })?;
            let slot = (spec.slot)(self);
            let value = if let Some(v) = after.strip_prefix('=') {
                shorts = "";
                v.to_string()
            } else if slot.is_bool() {
                shorts = after;
                "true".to_string()
            } else if !after.is_empty() {
                shorts = "";
                after.to_string()
            } else {
                shorts = "";
                match rest.next() {
                    Some(v) => v.clone(),
                    None => return Err(CliError::MissingValue(format!("'{short}' in {arg}"))),
                }
            };
            slot.set(&value, Origin::Flag)
                .map_err(|reason| CliError::InvalidArgument {
                    flag: format!("-{short}"),
                    value: value.clone(),
                    reason,
                })?;
        }
        Ok(help)
    }
}

/// The `--help` text: every flag with its short form, environment variables and default.
pub fn usage() -> String {
    let mut out = String::from(
        "mesh-init: program the ISTIO_* iptables chains of a pod network namespace\n\
         (a drop-in replacement for Istio's istio-iptables)\n\n\
         Usage:\n  mesh-init istio-iptables [flags]\n  mesh-init [flags]\n\nFlags:\n",
    );
    for spec in SPECS.iter().filter(|s| s.long.is_some() && !s.hidden) {
        let names = match (spec.short, spec.long) {
            (Some(c), Some(l)) => format!("-{c}, --{l}"),
            (None, Some(l)) => format!("    --{l}"),
            _ => continue,
        };
        out.push_str(&format!("  {names:<42} {}", spec.help));
        if let Some(d) = spec.default.filter(|d| !d.is_empty() && *d != "false") {
            out.push_str(&format!(" (default {d})"));
        }
        if !spec.envs.is_empty() {
            out.push_str(&format!(" [env {}]", spec.envs.join(", ")));
        }
        out.push('\n');
    }
    out.push_str(
        "  -h, --help                                 print this help\n\nEnvironment only:\n",
    );
    for spec in SPECS.iter().filter(|s| s.long.is_none()) {
        let var = spec.envs.first().copied().unwrap_or_default();
        out.push_str(&format!("  {var:<42} {}", spec.help));
        if let Some(d) = spec.default.filter(|d| !d.is_empty()) {
            out.push_str(&format!(" (default {d})"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
