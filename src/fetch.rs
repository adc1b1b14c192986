//! Polite HTTP fetching: user agent, timeout, byte cap after decompression,
//! redirect limit, conditional GET, retries with backoff (Retry-After
//! honoured), per-host concurrency and minimum interval, robots.txt.

use crate::config::FetchConfig;
use crate::util::{backoff, error_chain, parse_retry_after};
use reqwest::header::{
    HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

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
    #[error("rate limited (HTTP 429), retry after {0:?}")]
    RateLimited(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("robots.txt of {0} disallows this URL for our user agent")]
    Robots(String),
    #[error("empty body")]
    EmptyBody,
    #[error("transfer failed: {0}")]
    Body(String),
    /// `render = "browser"`: what the browser could not do.
    #[error("{0}")]
    Render(#[from] crate::render::RenderError),
}

impl FetchError {
    fn retryable(&self) -> bool {
        match self {
            FetchError::Status(s) => *s >= 500,
            FetchError::RateLimited(_)
            | FetchError::Timeout(_)
            | FetchError::Connect(_)
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
    pub elapsed: Duration,
    pub attempts: u32,
}

#[derive(Debug, Clone)]
pub enum FetchOutcome {
    NotModified { elapsed: Duration, attempts: u32 },
    Fetched(Fetched),
}

/// Per-host politeness: a semaphore and a minimum interval between request
/// starts, shared by every source of a host.
#[derive(Default)]
struct HostLimiter {
    hosts: Mutex<HashMap<String, Arc<HostSlot>>>,
}

struct HostSlot {
    sem: Semaphore,
    next_start: tokio::sync::Mutex<Instant>,
}

impl HostLimiter {
    fn slot(&self, host: &str, concurrency: usize) -> Arc<HostSlot> {
        let mut m = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(HostSlot {
                    sem: Semaphore::new(concurrency),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                })
            })
            .clone()
    }
}

/// A robots.txt and when it was read.
type RobotsEntry = (Instant, Arc<Robots>);

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    cfg: Arc<FetchConfig>,
    hosts: Arc<HostLimiter>,
    /// robots.txt rules per origin, with the time they were read.
    robots: Arc<Mutex<HashMap<String, RobotsEntry>>>,
    /// Headless Chromium for `render = "browser"` (started on first use).
    browser: crate::render::Browser,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> anyhow::Result<Fetcher> {
        let client = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .timeout(cfg.timeout.0)
            .connect_timeout(cfg.timeout.0.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(cfg.max_redirects))
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Fetcher {
            client,
            cfg: Arc::new(cfg.clone()),
            hosts: Arc::new(HostLimiter::default()),
            robots: Arc::new(Mutex::new(HashMap::new())),
            browser: crate::render::Browser::new(cfg),
        })
    }

    /// The browser of `render = "browser"` sources.
    pub fn browser(&self) -> &crate::render::Browser {
        &self.browser
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Fetch `url`, conditionally when `validators` are given, with retries.
    pub async fn fetch(
        &self,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        if self.cfg.robots_txt && !self.robots_allow(url).await {
            return Err(FetchError::Robots(url.host_str().unwrap_or("").to_string()));
        }
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let res = self.fetch_once(url, validators).await;
            match res {
                Ok(FetchOutcome::NotModified { .. }) => {
                    return Ok(FetchOutcome::NotModified {
                        elapsed: started.elapsed(),
                        attempts: attempt,
                    })
                }
                Ok(FetchOutcome::Fetched(mut f)) => {
                    f.elapsed = started.elapsed();
                    f.attempts = attempt;
                    return Ok(FetchOutcome::Fetched(f));
                }
                Err(e) if e.retryable() && attempt <= self.cfg.retries => {
                    let wait = match &e {
                        FetchError::RateLimited(d) => *d,
                        _ => fetch_backoff(self.cfg.retry_backoff.0, attempt),
                    };
                    // Never sleep longer than a few minutes inside one poll:
                    // the next scheduled poll will try again.
                    if wait > Duration::from_secs(300) {
                        return Err(e);
                    }
                    tracing::debug!(url = %url, attempt, error = %e, wait_ms = wait.as_millis() as u64, "retrying");
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
        if self.cfg.robots_txt && !self.robots_allow(url).await {
            return Err(FetchError::Robots(url.host_str().unwrap_or("").to_string()));
        }
        let started = Instant::now();
        let host = url.host_str().unwrap_or("").to_string();
        let slot = self.hosts.slot(&host, self.cfg.per_host_concurrency);
        let _permit = slot.sem.acquire().await.expect("semaphore never closed");
        {
            let mut next = slot.next_start.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep(*next - now).await;
            }
            *next = Instant::now() + self.cfg.per_host_interval.0;
        }
        let r = self.browser.render(url, wait_for).await?;
        Ok(Fetched {
            status: r.status,
            body: r.html.into_bytes(),
            content_type: Some("text/html; charset=utf-8".into()),
            validators: Validators::default(),
            final_url: r.final_url,
            elapsed: started.elapsed(),
            attempts: 1,
        })
    }

    async fn fetch_once(
        &self,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let host = url.host_str().unwrap_or("").to_string();
        let slot = self.hosts.slot(&host, self.cfg.per_host_concurrency);
        let _permit = slot.sem.acquire().await.expect("semaphore never closed");
        {
            let mut next = slot.next_start.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep(*next - now).await;
            }
            *next = Instant::now() + self.cfg.per_host_interval.0;
        }
        let mut req = self.client.get(url.clone());
        if let Some(e) = &validators.etag {
            req = req.header(IF_NONE_MATCH, e);
        }
        if let Some(l) = &validators.last_modified {
            req = req.header(IF_MODIFIED_SINCE, l);
        }
        let started = Instant::now();
        let mut resp = req.send().await.map_err(|e| self.map_err(e))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified {
                elapsed: started.elapsed(),
                attempts: 1,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(FetchError::RateLimited(
                retry_after(resp.headers()).unwrap_or(fetch_backoff(self.cfg.retry_backoff.0, 2)),
            ));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            if let Some(d) = retry_after(resp.headers()) {
                if d <= Duration::from_secs(60) {
                    tokio::time::sleep(d).await;
                }
            }
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let max = self.cfg.max_bytes;
        let encoded = resp
            .headers()
            .contains_key(reqwest::header::CONTENT_ENCODING);
        if !encoded {
            if let Some(len) = resp
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
            {
                if len > max {
                    return Err(FetchError::TooLarge(max));
                }
            }
        }
        let headers = resp.headers().clone();
        let final_url = resp.url().clone();
        let mut body: Vec<u8> = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > max {
                        return Err(FetchError::TooLarge(max));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.map_err(e)),
            }
        }
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(FetchError::EmptyBody);
        }
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
            elapsed: started.elapsed(),
            attempts: 1,
        }))
    }

    fn map_err(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.cfg.timeout.0)
        } else if e.is_redirect() {
            FetchError::TooManyRedirects(self.cfg.max_redirects)
        } else if e.is_connect() {
            FetchError::Connect(error_chain(&e))
        } else if e.is_decode() {
            FetchError::Body(format!(
                "could not decompress the body: {}",
                error_chain(&e)
            ))
        } else {
            FetchError::Body(error_chain(&e))
        }
    }

    async fn robots_allow(&self, url: &url::Url) -> bool {
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
                let r = Arc::new(self.load_robots(&origin).await);
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

    async fn load_robots(&self, origin: &str) -> Robots {
        let Ok(u) = url::Url::parse(&format!("{origin}/robots.txt")) else {
            return Robots::default();
        };
        match self.fetch_once(&u, &Validators::default()).await {
            Ok(FetchOutcome::Fetched(f)) => {
                Robots::parse(&String::from_utf8_lossy(&f.body), &self.cfg.user_agent)
            }
            _ => Robots::default(),
        }
    }
}

/// Retry-After of a response, as seconds or an HTTP date.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    parse_retry_after(h.get(RETRY_AFTER)?.to_str().ok()?)
}

/// The backoff before retry `attempt` of one fetch.
fn fetch_backoff(base: Duration, attempt: u32) -> Duration {
    backoff(base, attempt, MAX_FETCH_BACKOFF)
}

/// The longest pause between two attempts of one fetch.
const MAX_FETCH_BACKOFF: Duration = Duration::from_secs(60);

/// How long a robots.txt is trusted before it is read again.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);

/// A site's robots.txt as texting_robots reads it (groups, longest match,
/// `*` and `$` patterns), for our user agent. No robots.txt, or one that
/// cannot be read, allows everything.
#[derive(Default)]
pub struct Robots {
    robot: Option<texting_robots::Robot>,
}

impl Robots {
    pub fn parse(text: &str, user_agent: &str) -> Robots {
        // Groups name the product token ("regwatch"), not the whole header value.
        let agent = user_agent.split('/').next().unwrap_or(user_agent).trim();
        Robots {
            robot: texting_robots::Robot::new(agent, text.as_bytes()).ok(),
        }
    }

    /// Whether `path` (with its query) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        self.robot.as_ref().is_none_or(|r| r.allowed(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
