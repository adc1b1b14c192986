//! The fetch policy of requests that leave a source's origin (redirects,
//! followed links, a rendered page's subresources): public addresses only,
//! unless `[fetch].allow_private` or `allow_hosts` say otherwise.

use crate::config::FetchConfig;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address is not public, or `None` when it is. IPv4-mapped and
/// IPv4-embedding IPv6 forms are judged by their IPv4 address.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    Some(match o {
        [127, ..] => "a private address (loopback)",
        [10, ..] => "a private address (10.0.0.0/8)",
        [172, b, ..] if (16..32).contains(&b) => "a private address (172.16.0.0/12)",
        [192, 168, ..] => "a private address (192.168.0.0/16)",
        [169, 254, ..] => "a private address (link-local)",
        [100, b, ..] if (64..128).contains(&b) => {
            "a private address (carrier-grade NAT 100.64.0.0/10)"
        }
        [0, ..] => "a private address (unspecified, 0.0.0.0/8)",
        [192, 0, 0, _] => "a private address (IETF protocol assignments 192.0.0.0/24)",
        [198, b, ..] if b == 18 || b == 19 => "a private address (benchmarking 198.18.0.0/15)",
        [a, ..] if (224..240).contains(&a) => "a multicast address",
        [255, 255, 255, 255] => "a broadcast address",
        [a, ..] if a >= 240 => "a reserved address (240.0.0.0/4)",
        _ => return None,
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return non_public_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    Some(if ip.is_loopback() {
        "a private address (loopback)"
    } else if ip.is_unspecified() {
        "a private address (unspecified)"
    } else if s[0..6] == [0, 0, 0, 0, 0, 0] {
        "a private address (IPv4-compatible, deprecated)"
    } else if s[0] & 0xfe00 == 0xfc00 {
        "a private address (unique-local fc00::/7)"
    } else if s[0] & 0xffc0 == 0xfe80 {
        "a private address (link-local)"
    } else if s[0] & 0xffc0 == 0xfec0 {
        "a private address (site-local, deprecated)"
    } else if s[0] & 0xff00 == 0xff00 {
        "a multicast address"
    } else {
        return None;
    })
}

/// The address policy of redirects and followed links.
#[derive(Debug, Default)]
pub(crate) struct AddressPolicy {
    allow_private: bool,
    /// Lowercased names and IP literals (without brackets) that may be reached.
    allow_hosts: HashSet<String>,
}

impl AddressPolicy {
    pub(crate) fn new(cfg: &FetchConfig) -> AddressPolicy {
        AddressPolicy {
            allow_private: cfg.allow_private,
            allow_hosts: cfg
                .allow_hosts
                .iter()
                .map(|h| {
                    h.trim()
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .trim_end_matches('.')
                        .to_ascii_lowercase()
                })
                .collect(),
        }
    }

    pub(crate) fn allows_host(&self, host: &str) -> bool {
        self.allow_private || self.allow_hosts.contains(host.trim_end_matches('.'))
    }
}

/// An address refused by the resolver of the guarded client; found again in
/// reqwest's error chain to explain a failed connect.
#[derive(Debug)]
pub(crate) struct AddressRefused {
    pub(crate) host: String,
    pub(crate) addr: IpAddr,
    pub(crate) reason: &'static str,
}

impl std::fmt::Display for AddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves only to {} ({})",
            self.host, self.reason, self.addr
        )
    }
}

impl std::error::Error for AddressRefused {}

/// The DNS resolver of requests that leave a source's origin: the system
/// resolver, then only the public addresses it returned. The proxies' own
/// names (`exempt`) resolve as they are: reqwest resolves a proxy's name
/// with this resolver too, and a proxy on the internal network is allowed.
pub(crate) struct GuardedResolver {
    pub(crate) policy: Arc<AddressPolicy>,
    pub(crate) exempt: Arc<HashSet<String>>,
}

/// Why a host name may not be handed to a proxy, which resolves it itself
/// (so the resolver above never sees it): `localhost` and `*.localhost`,
/// and a name that the system resolver (the hosts file, then DNS) maps to
/// any non-public address; the proxy might pick that one. A name that does
/// not resolve here is the proxy's to resolve (often the case behind one).
pub(crate) async fn proxied_name_refused(host: &str, port: u16) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return Some("a local name (localhost)".into());
    }
    let addrs = tokio::net::lookup_host((host.as_str(), port)).await.ok()?;
    for a in addrs {
        if let Some(reason) = non_public(a.ip()) {
            return Some(format!("it resolves to {reason} ({})", a.ip()));
        }
    }
    None
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_ascii_lowercase();
        let exempt = self.exempt.contains(host.trim_end_matches('.'));
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if exempt || policy.allows_host(&host) {
                return Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs);
            }
            let (public, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = addrs
                .into_iter()
                .partition(|a| non_public(a.ip()).is_none());
            match (public.is_empty(), refused.first()) {
                (true, Some(a)) => Err(Box::new(AddressRefused {
                    host,
                    addr: a.ip(),
                    reason: non_public(a.ip()).unwrap_or("not public"),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}
