//! Policy routing for TPROXY inbound capture and the `::6` loopback address
//! for IPv6, as Istio configures them after the rules: `ip rule` sending the
//! TPROXY mark to its own table, a `local` default route in that table, and
//! `::6/128` on `lo`. Every step is idempotent: routes and addresses use
//! `replace`; the rule, which the kernel would happily duplicate, is only
//! added when `ip rule show` does not list it already.

use std::path::Path;

use super::error::ApplyError;
use super::exec::run;

/// The TPROXY mark and routing table (`-t`, `-r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TproxyRouting {
    pub mark: u32,
    pub route_table: u32,
}

/// One `ip` invocation, or a check-then-add pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Idempotent by itself.
    Run(Vec<String>),
    /// Run `add` only when `show` prints nothing.
    Ensure { show: Vec<String>, add: Vec<String> },
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// The steps for the given settings, in order.
pub fn plan(tproxy: Option<TproxyRouting>, ipv6: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    if ipv6 {
        steps.push(Step::Run(words("-6 addr replace ::6/128 dev lo")));
    }
    if let Some(t) = tproxy {
        let mut families = vec![("-4", "0.0.0.0/0")];
        if ipv6 {
            families.push(("-6", "::/0"));
        }
        for (f, default) in families {
            let selector = format!("fwmark {} lookup {}", t.mark, t.route_table);
            steps.push(Step::Ensure {
                show: words(&format!("{f} rule show {selector}")),
                add: words(&format!("{f} rule add {selector}")),
            });
            steps.push(Step::Run(words(&format!(
                "{f} route replace local {default} dev lo table {}",
                t.route_table
            ))));
        }
    }
    steps
}

fn ip(program: &Path, args: &[String]) -> Result<String, ApplyError> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(program, &args, None, &[]).map_err(|e| ApplyError::Route {
        command: format!("ip {}", args.join(" ")),
        stderr: match e {
            ApplyError::Command { stderr, .. } => stderr,
            other => other.to_string(),
        },
    })
}

/// Executes `steps` with the `ip` program, logging each change.
pub fn configure(program: &Path, steps: &[Step], log: &mut Vec<String>) -> Result<(), ApplyError> {
    for step in steps {
        match step {
            Step::Run(args) => {
                ip(program, args)?;
                log.push(format!("ip {}", args.join(" ")));
            }
            Step::Ensure { show, add } => {
                if ip(program, show)?.trim().is_empty() {
                    ip(program, add)?;
                    log.push(format!("ip {}", add.join(" ")));
                } else {
                    log.push(format!("ip {}: already present", show.join(" ")));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_redirect_needs_no_routing() {
        assert!(plan(None, false).is_empty());
    }

    #[test]
    fn ipv6_gets_the_inbound_passthrough_address() {
        assert_eq!(
            plan(None, true),
            [Step::Run(words("-6 addr replace ::6/128 dev lo"))]
        );
    }

    #[test]
    fn tproxy_routes_each_family_through_its_table() {
        let t = TproxyRouting {
            mark: 1337,
            route_table: 133,
        };
        let steps = plan(Some(t), true);
        assert_eq!(steps.len(), 5);
        assert_eq!(
            steps[1],
            Step::Ensure {
                show: words("-4 rule show fwmark 1337 lookup 133"),
                add: words("-4 rule add fwmark 1337 lookup 133"),
            }
        );
        assert_eq!(
            steps[2],
            Step::Run(words("-4 route replace local 0.0.0.0/0 dev lo table 133"))
        );
        assert_eq!(
            steps[4],
            Step::Run(words("-6 route replace local ::/0 dev lo table 133"))
        );
    }

    #[test]
    fn failures_name_the_ip_command() {
        let e = ip(
            Path::new("/bin/false"),
            &words("-4 rule add fwmark 1 lookup 2"),
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "policy routing for TPROXY failed: `ip -4 rule add fwmark 1 lookup 2`"
            ),
            "{e}"
        );
    }
}
