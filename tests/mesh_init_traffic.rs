//! Real traffic through the rules mesh-init writes, in real network
//! namespaces (root required; see `e2e::require`): after Istio's sidecar
//! arguments with `-i <peer subnet> -x <one host of it>`, the application's
//! outbound TCP to the range reaches the proxy's outbound listener with its
//! original destination, the excluded host, addresses outside the range and
//! the proxy's own uid reach the peer directly, and inbound TCP reaches the
//! inbound capture port except for excluded ports. On the nft and legacy
//! backends, for IPv4 and IPv6. Plus `-i '*'` and `--run-validation`.

use std::net::SocketAddr;

use e2e::pod::{sidecar_args, Addrs, Backend, Pod, V4, V6};
use e2e::require;
use e2e::sockets::{connect, serve, Reply, Server};

const APP_UID: u32 = 1000;
const PROXY_UID: u32 = 1337;
const APP_PORT: u16 = 8080;

fn any(ipv6: bool, port: u16) -> SocketAddr {
    Addrs::at(if ipv6 { "::" } else { "0.0.0.0" }, port)
}

/// The proxy's listeners and an application port in the pod, a server in the peer.
fn listeners(p: &Pod, ipv6: bool) -> Vec<Server> {
    vec![
        serve(&p.pod, any(ipv6, 15001), "proxy-outbound"),
        serve(&p.pod, any(ipv6, 15006), "proxy-inbound"),
        serve(&p.pod, any(ipv6, APP_PORT), "pod-app"),
        serve(&p.pod, any(ipv6, 15021), "pod-15021"),
        serve(&p.peer, any(ipv6, APP_PORT), "peer"),
    ]
}

fn reach(ns: &e2e::netns::Netns, uid: Option<u32>, to: SocketAddr) -> Reply {
    connect(ns, uid, to).unwrap_or_else(|e| panic!("connection to {to} (uid {uid:?}) failed: {e}"))
}

fn family_args(ipv6: bool) -> (String, String, &'static str) {
    if ipv6 {
        (
            format!("{},{}", V4.subnet, V6.subnet),
            format!("{},{}", V4.excluded_cidr, V6.excluded_cidr),
            "--ipv6",
        )
    } else {
        (
            V4.subnet.to_string(),
            V4.excluded_cidr.to_string(),
            "--no-ipv6",
        )
    }
}

fn sidecar(backend: Backend, ipv6: bool) {
    let test = format!(
        "sidecar traffic ({}, {})",
        backend.flag(),
        if ipv6 { "IPv6" } else { "IPv4" }
    );
    if !require::netns_suite(&test) {
        return;
    }
    let a = if ipv6 { V6 } else { V4 };
    let p = Pod::new();
    let _servers = listeners(&p, ipv6);
    let before = reach(&p.pod, Some(APP_UID), Addrs::at(a.peer, APP_PORT));
    assert_eq!(
        before.tag, "peer",
        "{test}: topology broken before mesh-init ran"
    );

    let (include, exclude, v6flag) = family_args(ipv6);
    let mut args = sidecar_args(&include, &exclude);
    args.extend([
        "--force-iptables-binary".into(),
        backend.flag().into(),
        v6flag.into(),
    ]);
    let out = p.mesh_init(&args, &[]);
    assert!(out.success(), "{test}: mesh-init failed: {}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("using {}", backend.program(false))),
        "{}",
        out.stderr
    );
    // The final rules, as iptables lists them after the commit, are in the log.
    let listed = "-A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN";
    assert!(out.stderr.contains(listed), "{}", out.stderr);

    let peer = Addrs::at(a.peer, APP_PORT);
    let app = reach(&p.pod, Some(APP_UID), peer);
    assert_eq!(
        app.tag, "proxy-outbound",
        "{test}: app traffic to {peer} must reach the proxy: {app:?}"
    );
    assert_eq!(
        app.original,
        Some(peer),
        "{test}: SO_ORIGINAL_DST must be the app's destination"
    );

    let excluded = Addrs::at(a.excluded, APP_PORT);
    let r = reach(&p.pod, Some(APP_UID), excluded);
    assert_eq!(
        (r.tag.as_str(), r.local),
        ("peer", excluded),
        "{test}: excluded host must be reached directly"
    );

    let outside = Addrs::at(a.outside, APP_PORT);
    let r = reach(&p.pod, Some(APP_UID), outside);
    assert_eq!(
        (r.tag.as_str(), r.local),
        ("peer", outside),
        "{test}: outside -i must bypass the proxy"
    );

    let r = reach(&p.pod, Some(PROXY_UID), peer);
    assert_eq!(
        (r.tag.as_str(), r.local),
        ("peer", peer),
        "{test}: the proxy's own traffic must not loop"
    );

    let inbound = Addrs::at(a.pod, APP_PORT);
    let r = reach(&p.peer, None, inbound);
    assert_eq!(
        r.tag, "proxy-inbound",
        "{test}: inbound to an app port must reach 15006: {r:?}"
    );
    assert_eq!(r.original, Some(inbound));

    let health = Addrs::at(a.pod, 15021);
    let r = reach(&p.peer, None, health);
    assert_eq!(
        (r.tag.as_str(), r.local),
        ("pod-15021", health),
        "{test}: -d ports are not captured"
    );
}

#[test]
fn nft_ipv4() {
    sidecar(Backend::Nft, false);
}

#[test]
fn nft_ipv6() {
    sidecar(Backend::Nft, true);
}

#[test]
fn legacy_ipv4() {
    sidecar(Backend::Legacy, false);
}

#[test]
fn legacy_ipv6() {
    sidecar(Backend::Legacy, true);
}

/// `-i '*'` captures every destination, also the one outside the subnet.
#[test]
fn wildcard_include_captures_everything_but_the_exclusions() {
    if !require::netns_suite("wildcard include traffic") {
        return;
    }
    let p = Pod::new();
    let _servers = listeners(&p, false);
    let mut args = sidecar_args("*", V4.excluded_cidr);
    args.push("--no-ipv6".into());
    let out = p.mesh_init(&args, &[]);
    assert!(out.success(), "mesh-init failed: {}", out.stderr);
    let outside = Addrs::at(V4.outside, APP_PORT);
    let r = reach(&p.pod, Some(APP_UID), outside);
    assert_eq!(
        (r.tag.as_str(), r.original),
        ("proxy-outbound", Some(outside))
    );
    let r = reach(&p.pod, Some(APP_UID), Addrs::at(V4.excluded, APP_PORT));
    assert_eq!(r.tag, "peer");
}

fn validation(ipv6: bool) {
    let test = format!("--run-validation ({})", if ipv6 { "IPv6" } else { "IPv4" });
    if !require::netns_suite(&test) {
        return;
    }
    let p = Pod::new();
    let v6flag = if ipv6 { "--ipv6" } else { "--no-ipv6" };
    // Istio's validation container: the proxy's uid, rules already in place (or not).
    let validate = |p: &Pod| {
        let mut args = sidecar_args("*", "");
        args.extend(
            [
                "--skip-rule-apply",
                "--run-validation",
                "--probe-timeout",
                "2s",
                v6flag,
            ]
            .map(String::from),
        );
        let mut argv = vec![
            "--reuid=1337".to_string(),
            "--regid=1337".into(),
            "--clear-groups".into(),
        ];
        argv.push(e2e::build::mesh_init().display().to_string());
        argv.extend(args);
        let mut cmd = p.pod.command("setpriv");
        cmd.args(&argv)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        e2e::netns::run_bounded(&mut cmd, e2e::pod::RUN_LIMIT)
    };
    let without = validate(&p);
    assert_eq!(
        without.status.code(),
        Some(126),
        "{test}: no rules must fail with 126: {}",
        without.stderr
    );
    assert!(
        without.stderr.contains("validation failed"),
        "{}",
        without.stderr
    );
    let mut args = sidecar_args("*", "");
    args.push(v6flag.into());
    let out = p.mesh_init(&args, &[]);
    assert!(out.success(), "{test}: mesh-init failed: {}", out.stderr);
    let with = validate(&p);
    assert!(
        with.success(),
        "{test}: validation must pass with the rules: {}",
        with.stderr
    );
}

#[test]
fn validation_ipv4() {
    validation(false);
}

#[test]
fn validation_ipv6() {
    validation(true);
}
