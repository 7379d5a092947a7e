//! Facts Istio takes from the machine rather than the command line: the uid of
//! `$ENVOY_USER`, the resolvers of `/etc/resolv.conf`, and whether the pod is IPv6
//! (from its addresses). Reading them is the caller's business ([`HostFacts`]); the
//! decisions made from them are the pure functions here.

use std::io;
use std::net::IpAddr;

use super::values::DnsServer;

/// The machine, as far as the configuration needs it.
pub trait HostFacts {
    /// Uid of a user name (from the user database), if the user exists.
    fn user_uid(&self, user: &str) -> Option<u32>;
    /// Contents of `/etc/resolv.conf`.
    fn resolv_conf(&self) -> io::Result<String>;
    /// Addresses of this network namespace's interfaces, in interface order.
    fn local_addrs(&self) -> io::Result<Vec<IpAddr>>;
}

/// Istio's IPv6 detection: the first address that is neither loopback nor link-local
/// decides; with `dual_stack`, any such IPv6 address makes the pod IPv6. `None` when
/// there is no such address.
pub fn detect_ipv6(addrs: &[IpAddr], dual_stack: bool) -> Option<bool> {
    let mut usable = addrs.iter().map(|a| a.to_canonical()).filter(|a| match a {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !v4.is_loopback() && !v4.is_link_local() && (a, b, c) != (224, 0, 0)
        }
        IpAddr::V6(v6) => {
            !v6.is_loopback() && !v6.is_unicast_link_local() && !is_link_local_multicast(v6)
        }
    });
    let first = usable.next()?;
    if !dual_stack {
        return Some(first.is_ipv6());
    }
    Some(first.is_ipv6() || usable.any(|a| a.is_ipv6()))
}

fn is_link_local_multicast(v6: &std::net::Ipv6Addr) -> bool {
    v6.segments()[0] & 0xff0f == 0xff02
}

/// The `nameserver` entries of a resolv.conf, as Istio takes them: parsable addresses
/// only, written the canonical way (`::127.0.0.53` becomes `::7f00:35`).
pub fn resolv_conf_servers(text: &str) -> Vec<DnsServer> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => words.next(),
                _ => None,
            }
        })
        .filter_map(|word| word.parse::<IpAddr>().ok())
        .map(|addr| DnsServer {
            addr,
            text: addr.to_string(),
        })
        .collect()
}

/// The uid of `user` in an `/etc/passwd`-format text.
pub fn passwd_uid(passwd: &str, user: &str) -> Option<u32> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == user).then_some(())?;
        fields.nth(1)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn first_usable_address_decides_without_dual_stack() {
        let addrs = ips(&["127.0.0.1", "::1", "fe80::1", "10.1.2.3", "fd00::5"]);
        assert_eq!(detect_ipv6(&addrs, false), Some(false));
        assert_eq!(detect_ipv6(&addrs, true), Some(true));
        assert_eq!(detect_ipv6(&ips(&["::1", "fd00::5"]), false), Some(true));
        assert_eq!(detect_ipv6(&ips(&["::ffff:10.0.0.1"]), false), Some(false));
        assert_eq!(
            detect_ipv6(&ips(&["127.0.0.1", "169.254.0.9"]), false),
            None
        );
    }

    #[test]
    fn resolv_conf_nameservers_are_canonical() {
        let text = "# comment\nsearch svc.cluster.local\nnameserver 10.96.0.10\n\
                    nameserver ::127.0.0.53\nnameserver bogus\noptions ndots:5\n";
        let servers: Vec<String> = resolv_conf_servers(text)
            .into_iter()
            .map(|s| s.text)
            .collect();
        assert_eq!(servers, vec!["10.96.0.10", "::7f00:35"]);
    }

    #[test]
    fn passwd_lookup() {
        let passwd = "root:x:0:0:root:/root:/bin/sh\nistio-proxy:x:1337:1337::/:/bin/false\n";
        assert_eq!(passwd_uid(passwd, "istio-proxy"), Some(1337));
        assert_eq!(passwd_uid(passwd, "root"), Some(0));
        assert_eq!(passwd_uid(passwd, "nobody"), None);
    }
}
