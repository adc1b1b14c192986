//! Polite HTTP fetching: user agent, timeout, byte cap after decompression,
//! redirect limit, conditional GET, retries with backoff (Retry-After
//! honoured), per-host concurrency and minimum interval, robots.txt, and the
//! address policy of redirects and followed links.
//!
//! A source's own URL may point anywhere: the admin wrote it. A redirect or a
//! followed link that leaves the source's origin may reach only public
//! addresses (unless `[fetch].allow_private` or `allow_hosts` says otherwise).
//! Literal IP addresses are checked before each request; host names are
//! checked on the addresses they RESOLVE to, in the DNS resolver of the
//! client that makes such requests, so a name that resolves to a public
//! address once and a private one later (DNS rebinding) is still refused.
//!
//! With a proxy (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, minus `NO_PROXY`)
//! the proxy resolves the names it is given, so a name is checked here
//! before it is handed over: `localhost`, `*.localhost`, and names the
//! system resolver (hosts file, DNS) maps to a non-public address are
//! refused; a name that does not resolve here is left to the proxy. The
//! proxy's own address is exempt from the policy.

use crate::config::FetchConfig;
use crate::util::redact;
use crate::util::{backoff, error_chain, retry_after};
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum FetchError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("the body is larger than the cap of {0} bytes (after decompression): raise [fetch].max_bytes if this is expected")]
    TooLarge(u64),
    #[error("too many redirects (more than {0}): a redirect loop?")]
    TooManyRedirects(usize),
    #[error("HTTP {0}")]
    Status(u16),
    /// HTTP 429, or 503 with Retry-After: the host asked us to wait this long.
    #[error("rate limited by the site (HTTP 429/503): asked to wait {}s", .0.as_secs())]
    RateLimited(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    /// The name of the host did not resolve here: this machine's network or
    /// name resolution (or the proxy it needs), far more often than the site.
    #[error("DNS: could not resolve `{host}`: {advice} ({detail})")]
    Dns {
        host: String,
        advice: String,
        detail: String,
    },
    #[error("robots.txt of {0} disallows this URL for our user agent")]
    Robots(String),
    #[error("empty body")]
    EmptyBody,
    #[error("transfer failed: {0}")]
    Body(String),
    /// `render = "browser"`: what the browser could not do.
    #[error("{0}")]
    Render(#[from] render::RenderError),
    /// A redirect or followed link to a non-public address, by the fetch policy.
    #[error(
        "{target} refused: {reason}; set [fetch].allow_private = true or allow_hosts to permit it"
    )]
    Refused { target: String, reason: String },
    /// A redirect that cannot be followed (another scheme, no or a bad Location).
    #[error("{0}")]
    BadRedirect(String),
}

impl FetchError {
    fn retryable(&self) -> bool {
        match self {
            FetchError::Status(s) => *s >= 500,
            FetchError::RateLimited(_)
            | FetchError::Timeout(_)
            | FetchError::Connect(_)
            | FetchError::Dns { .. }
            | FetchError::Body(_) => true,
            _ => false,
        }
    }
}

/// Validators from the last successful fetch, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    pub final_url: url::Url,
    /// Where the address now lives, when it answered with permanent
    /// redirects (301/308) only: the source should be updated.
    pub moved_to: Option<url::Url>,
    pub elapsed: Duration,
    pub attempts: u32,
}

#[derive(Debug, Clone)]
pub enum FetchOutcome {
    NotModified {
        elapsed: Duration,
        attempts: u32,
        moved_to: Option<url::Url>,
    },
    Fetched(Fetched),
}

/// A robots.txt and when it was read.
type RobotsEntry = (Instant, Arc<Robots>);

/// What a request is, for the reason of a refusal.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hop {
    /// The URL asked for (a source's URL, a robots.txt of its origin).
    First,
    /// A followed link that leaves the source's origin.
    Link,
    /// A redirect.
    Redirect,
}

impl Hop {
    fn what(self) -> &'static str {
        match self {
            Hop::First => "request to",
            Hop::Link => "link to",
            Hop::Redirect => "redirect to",
        }
    }
}

/// `host:port` of a URL, as a refusal names it.
fn host_port(u: &url::Url) -> String {
    match (u.host(), u.port_or_known_default()) {
        (Some(url::Host::Ipv6(a)), Some(p)) => format!("[{a}]:{p}"),
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => redact(u),
    }
}

/// Same scheme, host and port.
fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.origin() == b.origin()
}

#[derive(Clone)]
pub struct Fetcher {
    /// For the source's own origin: any address.
    client: reqwest::Client,
    /// For requests that leave it: the resolver refuses non-public addresses.
    guarded: reqwest::Client,
    policy: Arc<AddressPolicy>,
    proxies: Arc<Proxies>,
    cfg: Arc<FetchConfig>,
    hosts: Arc<HostLimiter>,
    /// robots.txt rules per origin, with the time they were read.
    robots: Arc<Mutex<HashMap<String, RobotsEntry>>>,
    /// Headless Chromium for `render = "browser"` (started on first use).
    browser: render::Browser,
}

impl Fetcher {
    /// The fetcher of `cfg`, with the environment's proxies.
    pub fn new(cfg: &FetchConfig) -> anyhow::Result<Fetcher> {
        Fetcher::with_proxies(cfg, ProxySettings::from_env())
    }

    /// The fetcher of `cfg` with these proxies (tests give them here rather
    /// than in the process's environment).
    pub fn with_proxies(cfg: &FetchConfig, proxy: ProxySettings) -> anyhow::Result<Fetcher> {
        let policy = Arc::new(AddressPolicy::new(cfg));
        let proxies = Arc::new(Proxies::new(proxy));
        // Redirects are followed in `fetch_once`, hop by hop, so each hop is
        // judged (and sent through the right client).
        let builder = || {
            let b = reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .timeout(cfg.timeout.0)
                .connect_timeout(cfg.timeout.0.min(Duration::from_secs(10)))
                .redirect(reqwest::redirect::Policy::none())
                .gzip(true)
                .brotli(true)
                .deflate(true)
                .pool_idle_timeout(Duration::from_secs(30))
                // The proxies are ours to choose (the same rules as the
                // environment's), so the checks know which requests they carry.
                .no_proxy();
            if proxies.any() {
                let p = proxies.clone();
                b.proxy(reqwest::Proxy::custom(move |u| p.for_url(u)))
            } else {
                b
            }
        };
        let client = builder().build()?;
        let guarded = if cfg.allow_private {
            client.clone()
        } else {
            builder()
                .dns_resolver(Arc::new(GuardedResolver {
                    policy: policy.clone(),
                    exempt: Arc::new(proxies.names().clone()),
                }))
                .build()?
        };
        Ok(Fetcher {
            client,
            guarded,
            policy: policy.clone(),
            proxies: proxies.clone(),
            cfg: Arc::new(cfg.clone()),
            hosts: Arc::new(HostLimiter::default()),
            robots: Arc::new(Mutex::new(HashMap::new())),
            browser: render::Browser::with_gates(
                cfg,
                Arc::new(gate::Gates {
                    policy: policy.clone(),
                    proxies: proxies.clone(),
                }),
            ),
        })
    }

    /// The browser of `render = "browser"` sources.
    pub fn browser(&self) -> &render::Browser {
        &self.browser
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Fetch a source's own `url` (which may point anywhere), conditionally
    /// when `validators` are given, with retries. Redirects that leave its
    /// origin are held to the address policy.
    pub async fn fetch(
        &self,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        self.fetch_within(url, validators, url).await
    }

    /// Fetch a link found on the source at `origin`: when it leaves that
    /// origin it (and its redirects) may reach only allowed addresses.
    pub async fn fetch_link(
        &self,
        url: &url::Url,
        origin: &url::Url,
    ) -> Result<FetchOutcome, FetchError> {
        self.fetch_within(url, &Validators::default(), origin).await
    }

    async fn fetch_within(
        &self,
        url: &url::Url,
        validators: &Validators,
        trusted: &url::Url,
    ) -> Result<FetchOutcome, FetchError> {
        let first = if same_origin(url, trusted) {
            Hop::First
        } else {
            self.check_target(url, Hop::Link).await?;
            Hop::Link
        };
        if self.cfg.robots_txt && !self.robots_allow(url, trusted).await {
            return Err(FetchError::Robots(url.host_str().unwrap_or("").to_string()));
        }
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let res = self.fetch_once(url, validators, trusted, first).await;
            match res {
                Ok(FetchOutcome::NotModified { moved_to, .. }) => {
                    return Ok(FetchOutcome::NotModified {
                        elapsed: started.elapsed(),
                        attempts: attempt,
                        moved_to,
                    })
                }
                Ok(FetchOutcome::Fetched(mut f)) => {
                    f.elapsed = started.elapsed();
                    f.attempts = attempt;
                    return Ok(FetchOutcome::Fetched(f));
                }
                Err(e) if e.retryable() && attempt <= self.cfg.retries => {
                    let wait = match &e {
                        // A site that asks for more than a moment is not
                        // asked again inside this poll: the poll ends rate
                        // limited and the scheduler defers the source.
                        FetchError::RateLimited(d) if *d > MAX_INLINE_RETRY_AFTER => return Err(e),
                        FetchError::RateLimited(d) => *d,
                        _ => fetch_backoff(self.cfg.retry_backoff.0, attempt),
                    };
                    tracing::debug!(url = %redact(url), attempt, error = %e, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Load `url` in the browser (robots.txt and per-host politeness as for
    /// a fetch) and return the rendered DOM as an HTML document.
    pub async fn render(
        &self,
        url: &url::Url,
        wait_for: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        if self.cfg.robots_txt && !self.robots_allow(url, url).await {
            return Err(FetchError::Robots(url.host_str().unwrap_or("").to_string()));
        }
        let started = Instant::now();
        let _turn = self.host_turn(url).await?;
        let r = self.browser.render(url, wait_for).await?;
        Ok(Fetched {
            moved_to: None,
            status: r.status,
            body: r.html.into_bytes(),
            content_type: Some("text/html; charset=utf-8".into()),
            validators: Validators::default(),
            final_url: r.final_url,
            elapsed: started.elapsed(),
            attempts: 1,
        })
    }

    /// A request that leaves the trusted origin: its scheme, and its host
    /// when that is an IP literal. Names are checked when they resolve,
    /// except those a proxy will resolve (and a proxy's own name, which the
    /// resolver lets through, when it is reached directly): those here.
    async fn check_target(&self, url: &url::Url, hop: Hop) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::BadRedirect(format!(
                "{} {} refused: only http and https are followed",
                hop.what(),
                redact(url)
            )));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(a)) => IpAddr::V4(a),
            Some(url::Host::Ipv6(a)) => IpAddr::V6(a),
            Some(url::Host::Domain(d)) => return self.check_name(url, d, hop).await,
            None => return Ok(()),
        };
        let v4 = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        if self.policy.allows_host(&ip.to_string())
            || v4.is_some_and(|v4| self.policy.allows_host(&v4.to_string()))
        {
            return Ok(());
        }
        match non_public(ip) {
            Some(reason) => Err(FetchError::Refused {
                target: format!("{} {}", hop.what(), host_port(url)),
                reason: reason.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// A host name that a proxy will resolve (or a proxy's own name reached
    /// directly): refused when it is local or resolves here to a
    /// non-public address.
    async fn check_name(&self, url: &url::Url, host: &str, hop: Hop) -> Result<(), FetchError> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.policy.allows_host(&host) {
            return Ok(());
        }
        let proxied = self.proxies.for_url(url).is_some();
        if !proxied && !self.proxies.names().contains(&host) {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(80);
        match policy::proxied_name_refused(&host, port).await {
            Some(reason) => Err(FetchError::Refused {
                target: format!("{} {}", hop.what(), host_port(url)),
                reason,
            }),
            None => Ok(()),
        }
    }

    /// Wait for this host's turn: its concurrency slot and the minimum
    /// interval since its last request start. A host that asked us to wait
    /// (429/503 with Retry-After) is not asked again before that time, by
    /// any source.
    async fn host_turn(&self, url: &url::Url) -> Result<HostPermit, FetchError> {
        let host = url.host_str().unwrap_or("").to_string();
        let slot = self.hosts.slot(&host, self.cfg.per_host_concurrency);
        if let Some(left) = slot.deferred_for() {
            return Err(FetchError::RateLimited(left));
        }
        let permit = slot
            .sem
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        {
            let mut next = slot.next_start.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep(*next - now).await;
            }
            *next = Instant::now() + self.cfg.per_host_interval.0;
        }
        Ok(HostPermit {
            _permit: permit,
            slot,
        })
    }

    /// One attempt: the request and its redirects, hop by hop. Hops within
    /// the trusted origin use the plain client; others are checked and use
    /// the guarded one.
    async fn fetch_once(
        &self,
        url: &url::Url,
        validators: &Validators,
        trusted: &url::Url,
        first: Hop,
    ) -> Result<FetchOutcome, FetchError> {
        let turn = self.host_turn(url).await?;
        let started = Instant::now();
        let (resp, hop, moved_to) = self.follow(url, validators, trusted, first).await?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified {
                elapsed: started.elapsed(),
                attempts: 1,
                moved_to,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            let asked = retry_after(resp.headers());
            if let Some(d) = asked {
                turn.slot.defer(d);
            }
            if status == StatusCode::TOO_MANY_REQUESTS && asked.is_none() {
                // "Too many requests" without saying how long: asking again
                // within the poll would be more of the same. The host waits
                // a minute.
                turn.slot.defer(DEFAULT_429_WAIT);
            }
            if status == StatusCode::TOO_MANY_REQUESTS || asked.is_some() {
                return Err(FetchError::RateLimited(asked.unwrap_or(DEFAULT_429_WAIT)));
            }
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let headers = resp.headers().clone();
        let final_url = resp.url().clone();
        let body = self.read_body(resp, hop).await?;
        let header = |h| {
            headers
                .get(h)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(FetchOutcome::Fetched(Fetched {
            status: status.as_u16(),
            body,
            content_type: header(CONTENT_TYPE),
            validators: Validators {
                etag: header(ETAG),
                last_modified: header(LAST_MODIFIED),
            },
            final_url,
            moved_to,
            elapsed: started.elapsed(),
            attempts: 1,
        }))
    }

    /// Send the request and follow its redirects, each hop judged by the
    /// fetch policy. Returns the final response, the kind of its hop, and
    /// where the address has moved when every redirect on the way was
    /// permanent (301/308): the source should be updated to it.
    async fn follow(
        &self,
        url: &url::Url,
        validators: &Validators,
        trusted: &url::Url,
        first: Hop,
    ) -> Result<(reqwest::Response, Hop, Option<url::Url>), FetchError> {
        let mut current = url.clone();
        let mut hop = first;
        let mut redirects = 0usize;
        let mut permanent = true;
        loop {
            let same = same_origin(&current, trusted);
            let client = if same { &self.client } else { &self.guarded };
            let mut req = client.get(current.clone());
            if let Some(e) = &validators.etag {
                req = req.header(IF_NONE_MATCH, e);
            }
            if let Some(l) = &validators.last_modified {
                req = req.header(IF_MODIFIED_SINCE, l);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| self.map_err(e, &current, hop))?;
            let status = resp.status();
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                let moved = (redirects > 0 && permanent).then_some(current);
                return Ok((resp, hop, moved));
            }
            permanent &= matches!(
                status,
                StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
            );
            let Some(location) = resp.headers().get(LOCATION) else {
                return Err(FetchError::Status(status.as_u16()));
            };
            let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
            let next = current.join(location.trim()).map_err(|_| {
                FetchError::BadRedirect(format!(
                    "HTTP {}: the redirect target `{}` is not a URL",
                    status.as_u16(),
                    crate::util::truncate(&crate::util::redact_url(&location), 200)
                ))
            })?;
            redirects += 1;
            if redirects > self.cfg.max_redirects {
                return Err(FetchError::TooManyRedirects(self.cfg.max_redirects));
            }
            hop = Hop::Redirect;
            if !same_origin(&next, trusted) {
                self.check_target(&next, hop).await?;
            }
            current = next;
        }
    }

    /// The body, under `[fetch].max_bytes` after decompression; an empty
    /// (or all-whitespace) body is an error, never an empty document.
    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        hop: Hop,
    ) -> Result<Vec<u8>, FetchError> {
        let max = self.cfg.max_bytes;
        let encoded = resp
            .headers()
            .contains_key(reqwest::header::CONTENT_ENCODING);
        let announced = resp
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if !encoded && announced.is_some_and(|len| len > max) {
            return Err(FetchError::TooLarge(max));
        }
        let final_url = resp.url().clone();
        // The announced length, when there is one, up to 1 MB: the body is
        // read into one buffer, not copied through ever larger ones.
        let reserve = announced
            .filter(|_| !encoded)
            .unwrap_or(0)
            .min(max)
            .min(1 << 20);
        let mut body: Vec<u8> = Vec::with_capacity(reserve as usize);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > max {
                        return Err(FetchError::TooLarge(max));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.map_err(e, &final_url, hop)),
            }
        }
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(FetchError::EmptyBody);
        }
        Ok(body)
    }

    fn map_err(&self, e: reqwest::Error, url: &url::Url, hop: Hop) -> FetchError {
        // reqwest's message names the URL, credentials and tokens included:
        // the error is logged, stored and shown, so the URL is left out.
        let e = e.without_url();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(c) = cause {
            if let Some(r) = c.downcast_ref::<AddressRefused>() {
                return FetchError::Refused {
                    target: format!("{} {}", hop.what(), host_port(url)),
                    reason: format!("it resolves only to {} ({})", r.reason, r.addr),
                };
            }
            cause = c.source();
        }
        if e.is_timeout() {
            FetchError::Timeout(self.cfg.timeout.0)
        } else if e.is_redirect() {
            FetchError::TooManyRedirects(self.cfg.max_redirects)
        } else if e.is_connect() {
            let chain = error_chain(&e);
            if looks_like_dns(&chain) {
                self.dns_error(url, chain)
            } else {
                FetchError::Connect(chain)
            }
        } else if e.is_decode() {
            FetchError::Body(format!(
                "could not decompress the body: {}",
                error_chain(&e)
            ))
        } else {
            FetchError::Body(error_chain(&e))
        }
    }

    /// A name that did not resolve: what it means and what to do, with the
    /// proxy in mind (one is set, or one may be what this machine needs).
    fn dns_error(&self, url: &url::Url, detail: String) -> FetchError {
        let host = url.host_str().unwrap_or("").to_string();
        let advice = match self.proxies.for_url(url) {
            Some(p) => format!(
                "the network or name resolution failed; HTTPS_PROXY/HTTP_PROXY is set ({}): check that the proxy's name resolves and that it answers",
                crate::util::redact_urls_in(&p)
            ),
            None if self.proxies.any() => "the network or name resolution of this machine failed; a proxy is set but NO_PROXY excludes this host: check NO_PROXY, or the machine's DNS".to_string(),
            None => "the network or name resolution of this machine failed (no proxy is set): check the connection and DNS, and if this machine reaches the internet only through a proxy, set HTTPS_PROXY".to_string(),
        };
        FetchError::Dns {
            host,
            advice,
            detail,
        }
    }

    async fn robots_allow(&self, url: &url::Url, trusted: &url::Url) -> bool {
        if url.host_str().is_none() {
            return true;
        }
        let origin = format!("{}://{}", url.scheme(), url.authority());
        let cached = self
            .robots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&origin)
            .filter(|(at, _)| at.elapsed() < ROBOTS_TTL)
            .map(|(_, r)| r.clone());
        let robots = match cached {
            Some(r) => r,
            None => {
                let r = Arc::new(self.load_robots(&origin, trusted).await);
                self.robots
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(origin.clone(), (Instant::now(), r.clone()));
                r
            }
        };
        let path = match url.query() {
            Some(q) => format!("{}?{}", url.path(), q),
            None => url.path().to_string(),
        };
        robots.allows(&path)
    }

    async fn load_robots(&self, origin: &str, trusted: &url::Url) -> Robots {
        let Ok(u) = url::Url::parse(&format!("{origin}/robots.txt")) else {
            return Robots::default();
        };
        let hop = if same_origin(&u, trusted) {
            Hop::First
        } else {
            Hop::Link
        };
        match self
            .fetch_once(&u, &Validators::default(), trusted, hop)
            .await
        {
            Ok(FetchOutcome::Fetched(f)) => {
                Robots::parse(&String::from_utf8_lossy(&f.body), &self.cfg.user_agent)
            }
            _ => Robots::default(),
        }
    }
}

/// Whether a connection error is a name that did not resolve.
fn looks_like_dns(chain: &str) -> bool {
    let l = chain.to_lowercase();
    [
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "temporary failure in name resolution",
        "nodename nor servname",
        "no address associated with hostname",
        "no such host",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// The backoff before retry `attempt` of one fetch.
fn fetch_backoff(base: Duration, attempt: u32) -> Duration {
    backoff(base, attempt, MAX_FETCH_BACKOFF)
}

/// The longest Retry-After waited inside one poll; a longer one ends the
/// poll as rate limited, and the source and its host wait until then.
pub const MAX_INLINE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// How long a host that answered 429 without `Retry-After` is left alone.
pub const DEFAULT_429_WAIT: Duration = Duration::from_secs(60);

/// The longest pause between two attempts of one fetch.
const MAX_FETCH_BACKOFF: Duration = Duration::from_secs(60);

/// How long a robots.txt is trusted before it is read again.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);

pub(crate) mod gate;
mod hosts;
mod policy;
pub(crate) mod proxy;
pub(crate) mod render;
mod robots;

use hosts::{HostLimiter, HostPermit};
pub use policy::non_public;
use policy::{AddressPolicy, AddressRefused, GuardedResolver};
use proxy::Proxies;
pub use proxy::ProxySettings;
pub use robots::Robots;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses() {
        for a in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::127.0.0.1",
        ] {
            let ip: IpAddr = a.parse().unwrap();
            assert!(non_public(ip).is_some(), "{a} must be refused");
        }
        for a in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "193.140.1.1",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            let ip: IpAddr = a.parse().unwrap();
            assert_eq!(non_public(ip), None, "{a} is public");
        }
    }

    #[tokio::test]
    async fn literal_targets_are_checked_and_allow_hosts_permits() {
        let f = Fetcher::new(&FetchConfig::default()).unwrap();
        let u = url::Url::parse("http://127.0.0.1:9999/x").unwrap();
        let e = f.check_target(&u, Hop::Redirect).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "redirect to 127.0.0.1:9999 refused: a private address (loopback); set [fetch].allow_private = true or allow_hosts to permit it"
        );
        let u6 = url::Url::parse("http://[::ffff:7f00:1]/").unwrap();
        assert!(f.check_target(&u6, Hop::Link).await.is_err());
        let file = url::Url::parse("file:///etc/passwd").unwrap();
        assert!(f
            .check_target(&file, Hop::Redirect)
            .await
            .unwrap_err()
            .to_string()
            .contains("only http and https"));
        let public = url::Url::parse("https://93.184.215.14/").unwrap();
        assert!(f.check_target(&public, Hop::Link).await.is_ok());
        let cfg = FetchConfig {
            allow_hosts: vec!["127.0.0.1".into()],
            ..FetchConfig::default()
        };
        let f = Fetcher::new(&cfg).unwrap();
        assert!(f.check_target(&u, Hop::Redirect).await.is_ok());
        let cfg = FetchConfig {
            allow_private: true,
            ..FetchConfig::default()
        };
        let f = Fetcher::new(&cfg).unwrap();
        assert!(f.check_target(&u6, Hop::Redirect).await.is_ok());
    }

    #[test]
    fn a_name_that_does_not_resolve_says_network_and_proxy() {
        assert!(looks_like_dns(
            "client error (Connect): dns error: failed to lookup address information: Name or service not known"
        ));
        assert!(looks_like_dns(
            "dns error: Temporary failure in name resolution"
        ));
        assert!(!looks_like_dns(
            "tcp connect error: Connection refused (os error 111)"
        ));
        let u = url::Url::parse("https://www.resmigazete.gov.tr/").unwrap();
        let direct = Fetcher::with_proxies(&FetchConfig::default(), ProxySettings::none()).unwrap();
        let e = direct.dns_error(&u, "dns error: x".into()).to_string();
        assert!(
            e.starts_with("DNS: could not resolve `www.resmigazete.gov.tr`"),
            "{e}"
        );
        assert!(e.contains("network or name resolution"), "{e}");
        assert!(e.contains("set HTTPS_PROXY"), "{e}");
        let proxied = Fetcher::with_proxies(
            &FetchConfig::default(),
            ProxySettings {
                https: Some("http://user:secret@proxy.corp:3128".into()),
                ..ProxySettings::none()
            },
        )
        .unwrap();
        let e = proxied.dns_error(&u, "dns error: x".into()).to_string();
        assert!(e.contains("HTTPS_PROXY/HTTP_PROXY is set"), "{e}");
        assert!(e.contains("proxy.corp"), "{e}");
        assert!(!e.contains("secret"), "credentials never shown: {e}");
        let kind = crate::services::sources::error_kind(&e);
        assert_eq!(kind, crate::services::sources::ErrorKind::Dns);
    }

    #[test]
    fn robots_groups_and_longest_match() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /nota_detalle.php?\nDisallow: /private/\nAllow: /private/public\n\nUser-agent: other\nDisallow: /\n",
            "regwatch/0.1",
        );
        assert!(!r.allows("/nota_detalle.php?codigo=1"));
        assert!(r.allows("/index_111.php?year=2026"));
        assert!(!r.allows("/private/x"));
        assert!(r.allows("/private/public/x"));
        let r = Robots::parse("User-agent: regwatch\nDisallow: /\n", "regwatch/0.1");
        assert!(!r.allows("/x"));
        assert!(Robots::parse("", "regwatch").allows("/x"));
    }
}
