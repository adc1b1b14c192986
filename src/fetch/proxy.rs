//! Outgoing proxies: `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` and
//! `NO_PROXY`, read the way curl and reqwest read them, in one place, so
//! the fetcher knows which requests a proxy will carry (their names must be
//! checked here, since the proxy resolves them) and which names are the
//! proxies' own (exempt from the address policy: an HTTP proxy on the
//! internal network is the point of having one).

use hyper_util::client::proxy::matcher::Matcher;
use std::collections::HashSet;

/// Proxy settings, normally from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// For every scheme (`ALL_PROXY`), unless one below says otherwise.
    pub all: Option<String>,
    /// For http:// URLs (`HTTP_PROXY`).
    pub http: Option<String>,
    /// For https:// URLs (`HTTPS_PROXY`).
    pub https: Option<String>,
    /// Hosts reached directly (`NO_PROXY`: names with their subdomains, IPs,
    /// networks, `*`).
    pub no_proxy: Option<String>,
}

fn env_first(names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .find(|v| !v.trim().is_empty())
}

impl ProxySettings {
    /// The environment's, as reqwest reads it (under CGI, where `HTTP_PROXY`
    /// may come from a request header, only `http_proxy`).
    pub fn from_env() -> ProxySettings {
        let cgi = std::env::var_os("REQUEST_METHOD").is_some();
        ProxySettings {
            all: env_first(&["ALL_PROXY", "all_proxy"]),
            http: if cgi {
                env_first(&["http_proxy"])
            } else {
                env_first(&["HTTP_PROXY", "http_proxy"])
            },
            https: env_first(&["HTTPS_PROXY", "https_proxy"]),
            no_proxy: env_first(&["NO_PROXY", "no_proxy"]),
        }
    }

    /// No proxy at all.
    pub fn none() -> ProxySettings {
        ProxySettings::default()
    }
}

/// The proxies in force, and their own host names.
pub(crate) struct Proxies {
    settings: ProxySettings,
    matcher: Matcher,
    /// Lowercased host names of the proxies (IP literals left out: they are
    /// never resolved).
    names: HashSet<String>,
}

impl std::fmt::Debug for Proxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxies")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl Proxies {
    pub(crate) fn new(settings: ProxySettings) -> Proxies {
        let mut b = Matcher::builder();
        if let Some(a) = &settings.all {
            b = b.all(a.clone());
        }
        if let Some(h) = &settings.http {
            b = b.http(h.clone());
        }
        if let Some(h) = &settings.https {
            b = b.https(h.clone());
        }
        if let Some(n) = &settings.no_proxy {
            b = b.no(n.clone());
        }
        let names = [&settings.all, &settings.http, &settings.https]
            .into_iter()
            .flatten()
            .filter_map(|p| proxy_host(p))
            .filter(|h| h.parse::<std::net::IpAddr>().is_err())
            .collect();
        Proxies {
            settings,
            matcher: b.build(),
            names,
        }
    }

    /// Whether any proxy is configured.
    pub(crate) fn any(&self) -> bool {
        self.settings.all.is_some() || self.settings.http.is_some() || self.settings.https.is_some()
    }

    /// The proxy (as configured, credentials included) that carries a
    /// request to `url`, or None when it goes direct.
    pub(crate) fn for_url(&self, url: &url::Url) -> Option<String> {
        if !self.any() {
            return None;
        }
        let uri: axum::http::Uri = url.as_str().parse().ok()?;
        self.matcher.intercept(&uri)?;
        let p = match url.scheme() {
            "https" => self.settings.https.as_ref().or(self.settings.all.as_ref()),
            "http" => self.settings.http.as_ref().or(self.settings.all.as_ref()),
            _ => self.settings.all.as_ref(),
        }?;
        Some(with_scheme(p))
    }

    /// The proxies' own host names, exempt from the address policy.
    pub(crate) fn names(&self) -> &HashSet<String> {
        &self.names
    }
}

/// A proxy as configured, with `http://` when it names no scheme (curl's
/// reading of `proxy.corp:3128`).
fn with_scheme(p: &str) -> String {
    let p = p.trim();
    if p.contains("://") {
        p.to_string()
    } else {
        format!("http://{p}")
    }
}

/// The host of a proxy as configured, lowercased.
fn proxy_host(p: &str) -> Option<String> {
    let u = url::Url::parse(&with_scheme(p)).ok()?;
    let h = match u.host()? {
        url::Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
        url::Host::Ipv4(a) => a.to_string(),
        url::Host::Ipv6(a) => a.to_string(),
    };
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn which_requests_a_proxy_carries() {
        let p = Proxies::new(ProxySettings {
            https: Some("http://user:pw@Proxy.Corp:3128".into()),
            http: Some("proxy-http.corp:8080".into()),
            no_proxy: Some("intranet.example, 10.0.0.0/8".into()),
            ..Default::default()
        });
        assert_eq!(
            p.for_url(&url("https://gazette.example/x")).as_deref(),
            Some("http://user:pw@Proxy.Corp:3128")
        );
        assert_eq!(
            p.for_url(&url("http://gazette.example/x")).as_deref(),
            Some("http://proxy-http.corp:8080")
        );
        assert_eq!(p.for_url(&url("https://www.intranet.example/")), None);
        assert_eq!(p.for_url(&url("http://10.1.2.3/")), None);
        let names: Vec<&str> = {
            let mut v: Vec<&str> = p.names().iter().map(String::as_str).collect();
            v.sort();
            v
        };
        assert_eq!(names, ["proxy-http.corp", "proxy.corp"]);
        assert!(!Proxies::new(ProxySettings::none()).any());
        assert_eq!(
            Proxies::new(ProxySettings::none()).for_url(&url("https://a.example/")),
            None
        );
        let all = Proxies::new(ProxySettings {
            all: Some("http://127.0.0.1:3128".into()),
            ..Default::default()
        });
        assert!(all.for_url(&url("https://a.example/")).is_some());
        assert!(all.names().is_empty(), "an IP literal is never resolved");
    }
}
