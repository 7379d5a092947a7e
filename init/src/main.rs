//! The `mesh-init` binary: parse the command line, validate it (a bad value prints one
//! line and exits 2 before anything is written), log the effective configuration to
//! stderr, plan the rules and, with `--dry-run`, print the payloads on stdout; otherwise
//! apply them (or clean up), then optionally validate (exit 126 on failure). Reading
//! the machine's facts (user database, resolv.conf, interface addresses) happens here.
//!
//! The entry point is the C `main`, not std's: std's start-up (a stack-overflow guard
//! that parses `/proc/self/maps`, an alternate signal stack, ...) costs about a tenth
//! of a whole run on a fresh pod, which is a few milliseconds. What of it matters is
//! done in [`main`]: standard descriptors opened, `SIGPIPE` ignored, panics turned
//! into exit code 101, stdout flushed at the end.

#![no_main]

use std::ffi::{c_char, c_int, OsString};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use std::path::Path;

use anyhow::Context;
use init::apply::{self, ApplyOptions, Backend, TproxyRouting};
use init::cli::{self, Command};
use init::config::{passwd_uid, Config, HostFacts, InboundPorts, InterceptionMode, IptablesBinary};
use init::plan::{plan, Plan};
use init::validate::{self, ValidationOptions};

/// Exit code of a command line or configuration that cannot be used.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code of a run that panicked (as std's own entry point reports it).
const EXIT_PANIC: u8 = 101;

/// What a run ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExitCode(u8);

impl ExitCode {
    const SUCCESS: ExitCode = ExitCode(0);
    const FAILURE: ExitCode = ExitCode(1);
}

impl From<u8> for ExitCode {
    fn from(code: u8) -> Self {
        ExitCode(code)
    }
}

/// The process entry point (see the module documentation).
#[no_mangle]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    standard_descriptors();
    // SAFETY: setting a signal's disposition to ignore has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let code = std::panic::catch_unwind(mesh_init).unwrap_or(ExitCode(EXIT_PANIC));
    let _ = io::stdout().flush();
    c_int::from(code.0)
}

/// Opens `/dev/null` on any of descriptors 0-2 that is closed, so that no file
/// or socket opened later takes its place.
fn standard_descriptors() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three pollfd; a zero timeout never blocks.
    if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } <= 0 {
        return;
    }
    for p in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        let flags = if p.fd == 0 {
            libc::O_RDONLY
        } else {
            libc::O_WRONLY
        };
        // SAFETY: open(2) of a constant NUL-terminated path; the lowest free
        // descriptor is the closed one, which is the point.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), flags) };
        if fd != p.fd {
            std::process::abort();
        }
    }
}

fn mesh_init() -> ExitCode {
    let args: Result<Vec<String>, OsString> = std::env::args_os()
        .skip(1)
        .map(OsString::into_string)
        .collect();
    let args = match args {
        Ok(args) => args,
        Err(arg) => return bad_input(format!("argument {arg:?} is not valid UTF-8")),
    };
    let env = |name: &str| std::env::var(name).ok();
    let cli = match cli::parse(&args, &env) {
        Ok(Command::Help) => {
            print!("{}", cli::usage());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(cli)) => cli,
        Err(err) => return bad_input(err.to_string()),
    };
    for warning in &cli.warnings {
        eprintln!("mesh-init: warning: {warning}");
    }
    if !cli.ignored_args.is_empty() {
        eprintln!(
            "mesh-init: warning: ignoring positional arguments {:?}",
            cli.ignored_args
        );
    }
    if !cli.ignored_flags.is_empty() {
        eprintln!(
            "mesh-init: accepted without effect: {}",
            cli.ignored_flags.join(" ")
        );
    }
    // Enter the pod's network namespace first: IPv6 detection reads its addresses.
    let netns = &cli.network_namespace.value;
    if !cli.dry_run.value && !netns.is_empty() {
        if let Err(err) = apply::netns::enter(Path::new(netns)) {
            eprintln!("mesh-init: error: cannot enter network namespace {netns}: {err}");
            return ExitCode::FAILURE;
        }
    }
    let config = match Config::from_cli(&cli, &Machine) {
        Ok(config) => config,
        Err(err) => return bad_input(err.to_string()),
    };
    match run(&config) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mesh-init: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn bad_input(message: String) -> ExitCode {
    eprintln!("mesh-init: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn run(config: &Config) -> anyhow::Result<ExitCode> {
    // One write: stderr is unbuffered and every write wakes the log reader.
    let effective = format!("mesh-init: effective configuration:\n{config}");
    let _ = io::stderr().write_all(effective.as_bytes());
    if config.redirect_dns && !config.dns_capture() {
        eprintln!("mesh-init: warning: --redirect-dns is set but there is no DNS server and no --capture-all-dns: DNS capture disabled");
    }
    let plan = plan(config);
    if config.dry_run {
        return print_dry_run(config, &plan).map(|()| ExitCode::SUCCESS);
    }
    let outcome = apply::apply(&apply_options(config), &plan.ipv4, plan.ipv6.as_deref())?;
    for f in &outcome.families {
        eprintln!("mesh-init: {} ({}): {:?}", f.family, f.binary, f.action);
    }
    if config.run_validation {
        if let Err(err) = validate::run(&validation_options(config)) {
            eprintln!("mesh-init: {err}");
            return Ok(ExitCode::from(validate::EXIT_CODE as u8));
        }
        eprintln!("mesh-init: validation passed: the capture rules redirect traffic");
    }
    Ok(ExitCode::SUCCESS)
}

/// What the apply step needs from the configuration.
fn apply_options(config: &Config) -> ApplyOptions {
    let captures_inbound = config.inbound_ports != InboundPorts::Only(Vec::new());
    ApplyOptions {
        force_backend: config.force_iptables_binary.map(|b| match b {
            IptablesBinary::Legacy => Backend::Legacy,
            IptablesBinary::Nft => Backend::Nft,
        }),
        reconcile: config.reconcile,
        cleanup_only: config.cleanup_only,
        force_apply: config.force_apply,
        ipv6: config.enable_ipv6,
        // Istio locks on the pod's network namespace file in CNI mode.
        xtables_lock_file: config
            .network_namespace
            .as_ref()
            .filter(|_| config.cni_mode)
            .map(Into::into),
        tproxy: (config.interception_mode == InterceptionMode::Tproxy && captures_inbound)
            .then_some(TproxyRouting {
                mark: config.inbound_tproxy_mark,
                route_table: config.inbound_tproxy_route_table,
            }),
        skip_rule_apply: config.skip_rule_apply,
        path: None,
        log: true,
        exec_last_restore: !config.run_validation,
    }
}

/// What `--run-validation` needs from the configuration.
fn validation_options(config: &Config) -> ValidationOptions {
    ValidationOptions {
        capture_ports: vec![config.proxy_port, config.inbound_capture_port],
        probe_port: config.iptables_probe_port,
        ipv6: config.enable_ipv6,
        timeout: config.probe_timeout,
    }
}

/// Print exactly the payloads that would be applied: none when nothing is applied.
fn print_dry_run(config: &Config, plan: &Plan) -> anyhow::Result<()> {
    if config.skip_rule_apply || config.cleanup_only {
        eprintln!(
            "mesh-init: dry run: no payload would be applied (--skip-rule-apply or --cleanup-only)"
        );
        return Ok(());
    }
    let mut out = io::stdout().lock();
    out.write_all(plan.ipv4.as_bytes())
        .and_then(|()| out.write_all(plan.ipv6.as_deref().unwrap_or_default().as_bytes()))
        .and_then(|()| out.flush())
        .context("cannot write the dry-run payloads to stdout")
}

/// The real machine.
struct Machine;

impl HostFacts for Machine {
    fn user_uid(&self, user: &str) -> Option<u32> {
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd_uid(&passwd, user)
    }

    fn resolv_conf(&self) -> io::Result<String> {
        std::fs::read_to_string("/etc/resolv.conf")
    }

    fn local_addrs(&self) -> io::Result<Vec<IpAddr>> {
        interface_addrs()
    }
}

/// The addresses of this network namespace's interfaces, as getifaddrs(3) lists them.
fn interface_addrs() -> io::Result<Vec<IpAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs stores a list head in `head`, freed below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut addrs = Vec::new();
    let mut node = head;
    while !node.is_null() {
        // SAFETY: `node` is a non-null element of the list getifaddrs returned, not freed yet.
        let ifa = unsafe { &*node };
        if !ifa.ifa_addr.is_null() {
            // SAFETY: a non-null ifa_addr points to a sockaddr whose family tells its real type.
            let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
            if family == libc::AF_INET {
                // SAFETY: AF_INET addresses are sockaddr_in.
                let sin = unsafe { &*ifa.ifa_addr.cast::<libc::sockaddr_in>() };
                addrs.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    sin.sin_addr.s_addr,
                ))));
            } else if family == libc::AF_INET6 {
                // SAFETY: AF_INET6 addresses are sockaddr_in6.
                let sin6 = unsafe { &*ifa.ifa_addr.cast::<libc::sockaddr_in6>() };
                addrs.push(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
            }
        }
        node = ifa.ifa_next;
    }
    // SAFETY: `head` came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(addrs)
}
