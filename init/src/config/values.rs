//! Parsers for the values inside settings: comma-separated lists, ports, uids/gids,
//! CIDRs, interface and group names, IP addresses. Each returns [`Invalid`], which says
//! what is wrong with which item; [`super::ConfigError`] adds the setting and its value.

use std::fmt;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use thiserror::Error;

/// An item of a list, quoted in messages; empty when the item is the whole value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item(pub Option<String>);

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(item) => write!(f, " {item:?}"),
            None => Ok(()),
        }
    }
}

/// Why a value is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Invalid {
    #[error("invalid CIDR{0}")]
    Cidr(Item),
    #[error("not a port number{0}")]
    NotAPort(Item),
    #[error("port{0} out of range (1-65535)")]
    PortOutOfRange(Item),
    #[error("\"*\" is not allowed in an exclude list")]
    WildcardInExclude,
    #[error("\"*\" must be the whole value, not a list item")]
    WildcardNotAlone,
    #[error("unknown interception mode (expected REDIRECT or TPROXY)")]
    InterceptionMode,
    #[error("not a numeric id{0}")]
    NotAnId(Item),
    #[error("empty list")]
    EmptyList,
    #[error("not a non-zero 32-bit number")]
    NotANonZeroU32,
    #[error("not an IPv4 loopback CIDR (127.0.0.0/8)")]
    NotIpv4Loopback,
    #[error("loopback CIDR mask /{0} is outside /8 to /32")]
    LoopbackMask(u8),
    #[error("invalid interface name{0}")]
    InterfaceName(Item),
    #[error("invalid group name{0}")]
    GroupName(Item),
    #[error("{0} groups given, at most 64 are supported")]
    TooManyGroups(usize),
    #[error("not an IP address{0}")]
    NotAnIp(Item),
    #[error("unknown iptables binary (expected legacy or nft)")]
    IptablesBinary,
}

/// Istio's list syntax: split on commas, drop empty items; items are trimmed of spaces
/// (the injector accepts `80, 443`).
pub fn split(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn item(item: &str, whole: &str) -> Item {
    Item((item.trim() != whole.trim()).then(|| item.to_string()))
}

/// One port of a list: decimal 0-65535.
fn list_port(raw: &str, whole: &str) -> Result<u16, Invalid> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::NotAPort(item(raw, whole)));
    }
    raw.parse()
        .map_err(|_| Invalid::PortOutOfRange(item(raw, whole)))
}

/// A single port that traffic is sent to or matched on: decimal 1-65535.
pub fn port(raw: &str) -> Result<u16, Invalid> {
    match list_port(raw.trim(), raw)? {
        0 => Err(Invalid::PortOutOfRange(Item(None))),
        p => Ok(p),
    }
}

/// A list of ports (possibly empty).
pub fn ports(value: &str) -> Result<Vec<u16>, Invalid> {
    split(value).iter().map(|p| list_port(p, value)).collect()
}

/// A list of ports that excludes: `*` is refused with its own message.
pub fn exclude_ports(value: &str) -> Result<Vec<u16>, Invalid> {
    reject_wildcard(value)?;
    ports(value)
}

/// Refuse `*` anywhere in an exclude list.
pub fn reject_wildcard(value: &str) -> Result<(), Invalid> {
    match split(value).contains(&"*") {
        true => Err(Invalid::WildcardInExclude),
        false => Ok(()),
    }
}

/// A non-empty list of numeric uids or gids.
pub fn ids(value: &str) -> Result<Vec<u32>, Invalid> {
    let ids = split(value)
        .iter()
        .map(|id| match id.bytes().all(|b| b.is_ascii_digit()) {
            true => id.parse().map_err(|_| Invalid::NotAnId(item(id, value))),
            false => Err(Invalid::NotAnId(item(id, value))),
        })
        .collect::<Result<Vec<u32>, _>>()?;
    match ids.is_empty() {
        true => Err(Invalid::EmptyList),
        false => Ok(ids),
    }
}

/// A non-zero decimal u32 (packet marks, routing tables).
pub fn nonzero_u32(raw: &str) -> Result<u32, Invalid> {
    match raw.bytes().all(|b| b.is_ascii_digit()) {
        true => raw
            .parse()
            .ok()
            .filter(|v| *v != 0)
            .ok_or(Invalid::NotANonZeroU32),
        false => Err(Invalid::NotANonZeroU32),
    }
}

/// An address with prefix length, as Go's `netip.ParsePrefix` reads it: no zone, a
/// decimal length without sign or leading zero. Host bits are kept (`10.0.0.1/8`).
pub fn prefix(raw: &str) -> Option<IpNet> {
    let (addr, bits) = raw.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let leading_zero = bits.len() > 1 && bits.starts_with('0');
    if bits.is_empty() || leading_zero || !bits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    IpNet::new(addr, bits).ok()
}

/// CIDRs of one list, split by address family, each in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CidrList {
    pub v4: Vec<Ipv4Net>,
    pub v6: Vec<Ipv6Net>,
}

impl CidrList {
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

impl fmt::Display for CidrList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = (self.v4.iter().map(ToString::to_string))
            .chain(self.v6.iter().map(ToString::to_string))
            .collect();
        f.write_str(&all.join(","))
    }
}

/// A list of CIDRs; `*` inside it is refused.
pub fn cidrs(value: &str) -> Result<CidrList, Invalid> {
    let mut list = CidrList::default();
    for raw in split(value) {
        if raw == "*" {
            return Err(Invalid::WildcardNotAlone);
        }
        match prefix(raw) {
            Some(IpNet::V4(net)) => list.v4.push(net),
            Some(IpNet::V6(net)) => list.v6.push(net),
            None => return Err(Invalid::Cidr(item(raw, value))),
        }
    }
    Ok(list)
}

/// Istio's IPv4 loopback CIDR: a 127.x.x.x address with a /8 to /32 mask.
pub fn ipv4_loopback(raw: &str) -> Result<Ipv4Net, Invalid> {
    match prefix(raw) {
        Some(IpNet::V4(net)) if net.addr().is_loopback() => match net.prefix_len() {
            8..=32 => Ok(net),
            bits => Err(Invalid::LoopbackMask(bits)),
        },
        Some(_) => Err(Invalid::NotIpv4Loopback),
        None => Err(Invalid::Cidr(Item(None))),
    }
}

/// Network interface names as the kernel accepts them (1-15 bytes, no `/`, `:` or
/// space), plus iptables' trailing `+` wildcard.
pub fn interfaces(value: &str) -> Result<Vec<String>, Invalid> {
    split(value)
        .into_iter()
        .map(|name| {
            let valid = name.len() < 16
                && name != "."
                && name != ".."
                && !name
                    .chars()
                    .any(|c| c == '/' || c == ':' || c.is_whitespace() || c.is_control());
            match valid {
                true => Ok(name.to_string()),
                false => Err(Invalid::InterfaceName(item(name, value))),
            }
        })
        .collect()
}

/// Group names or numeric gids, as iptables' owner match takes them.
pub fn groups(value: &str) -> Result<Vec<String>, Invalid> {
    split(value)
        .into_iter()
        .map(|name| {
            if name == "*" {
                return Err(Invalid::WildcardNotAlone);
            }
            let valid = !name.starts_with('-')
                && !name
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '!');
            match valid {
                true => Ok(name.to_string()),
                false => Err(Invalid::GroupName(item(name, value))),
            }
        })
        .collect()
}

/// A DNS server: the address, and the text it is written with in the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsServer {
    pub addr: IpAddr,
    pub text: String,
}

impl fmt::Display for DnsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `--dns-servers`: IPv4 and IPv6 addresses, kept verbatim.
pub fn dns_servers(value: &str) -> Result<Vec<DnsServer>, Invalid> {
    split(value)
        .into_iter()
        .map(|raw| match raw.parse::<IpAddr>() {
            Ok(addr) => Ok(DnsServer {
                addr,
                text: raw.to_string(),
            }),
            Err(_) => Err(Invalid::NotAnIp(item(raw, value))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_drop_empty_items_and_trim() {
        assert_eq!(split("6000,7000,"), vec!["6000", "7000"]);
        assert_eq!(split(" 80, 443 ,,"), vec!["80", "443"]);
        assert!(split("").is_empty());
    }

    #[test]
    fn ports_are_decimal_and_in_range() {
        assert_eq!(ports("32000,31000"), Ok(vec![32000, 31000]));
        assert_eq!(
            ports("80,http"),
            Err(Invalid::NotAPort(Item(Some("http".into()))))
        );
        assert_eq!(ports("65536"), Err(Invalid::PortOutOfRange(Item(None))));
        assert_eq!(port("0"), Err(Invalid::PortOutOfRange(Item(None))));
        assert_eq!(port("+80"), Err(Invalid::NotAPort(Item(None))));
        assert_eq!(exclude_ports("80,*"), Err(Invalid::WildcardInExclude));
    }

    #[test]
    fn prefixes_follow_go_netip() {
        assert_eq!(prefix("10.0.0.1/8").unwrap().to_string(), "10.0.0.1/8");
        assert_eq!(
            prefix("2001:DB8::/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        for bad in [
            "10.0.0.300/8",
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/08",
            "fe80::1%eth0/64",
            "/8",
        ] {
            assert_eq!(prefix(bad), None, "{bad}");
        }
    }

    #[test]
    fn cidrs_split_by_family_in_order() {
        let list = cidrs("10.0.0.0/8,2001:db8::/32,::ffff:1.2.3.4/128,1.1.0.0/16").unwrap();
        assert_eq!(
            list.to_string(),
            "10.0.0.0/8,1.1.0.0/16,2001:db8::/32,::ffff:1.2.3.4/128"
        );
        assert_eq!(cidrs("10.0.0.0/8,*"), Err(Invalid::WildcardNotAlone));
    }

    #[test]
    fn loopback_cidr_must_be_ipv4_loopback_with_mask_8_to_32() {
        assert!(ipv4_loopback("127.0.0.1/8").is_ok());
        assert_eq!(ipv4_loopback("127.0.0.1/7"), Err(Invalid::LoopbackMask(7)));
        assert_eq!(ipv4_loopback("10.0.0.1/32"), Err(Invalid::NotIpv4Loopback));
        assert_eq!(ipv4_loopback("::1/128"), Err(Invalid::NotIpv4Loopback));
        assert_eq!(ipv4_loopback("127.0.0.1"), Err(Invalid::Cidr(Item(None))));
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(ids("3,4"), Ok(vec![3, 4]));
        assert_eq!(ids(","), Err(Invalid::EmptyList));
        assert_eq!(ids("-1"), Err(Invalid::NotAnId(Item(None))));
        assert_eq!(
            interfaces("eth0,veth+"),
            Ok(vec!["eth0".into(), "veth+".into()])
        );
        assert!(interfaces("a-very-long-interface").is_err());
        assert!(interfaces("eth0/1").is_err());
        assert_eq!(groups("java,202"), Ok(vec!["java".into(), "202".into()]));
        assert!(groups("a b").is_err());
        assert_eq!(nonzero_u32("0"), Err(Invalid::NotANonZeroU32));
    }

    #[test]
    fn dns_servers_stay_verbatim() {
        let servers = dns_servers("127.0.0.53,::127.0.0.53").unwrap();
        assert_eq!(servers[1].text, "::127.0.0.53");
        assert!(servers[1].addr.is_ipv6());
        assert!(dns_servers("resolver.local").is_err());
    }
}
