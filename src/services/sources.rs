//! Source health, the same words for the CLI, the API and the pages.

use super::{App, ServiceError};
use crate::config::Source;
use crate::model::{Country, HealthState, SourceHealth};
use chrono::{DateTime, Utc};

/// One source with its health and plan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceRow {
    pub id: String,
    pub name: String,
    pub jurisdiction: String,
    pub kind: &'static str,
    /// Credentials masked.
    pub url: String,
    pub schedule: String,
    pub timezone: String,
    pub enabled: bool,
    pub health: HealthState,
    #[serde(with = "opt_seconds")]
    pub last_poll: Option<DateTime<Utc>>,
    #[serde(with = "opt_seconds")]
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub down: bool,
    #[serde(with = "opt_seconds")]
    pub next_poll: Option<DateTime<Utc>>,
    /// Where permanent redirects lead: update the source's `url`.
    pub moved_to: Option<String>,
    /// The site asked us not to poll before then.
    #[serde(with = "opt_seconds")]
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// The health in a line a person can act on ("moved to …: update the
    /// source", "rate limited until …"), when there is something to say.
    pub note: Option<String>,
    /// What kind of trouble the source is in (its last error, or a move).
    pub error_kind: Option<ErrorKind>,
    /// The last error shortened by meaning (its kind first, never cut
    /// before the word that says what happened).
    pub short_error: Option<String>,
    /// One line of what to do about it.
    pub advice: Option<String>,
}

mod opt_seconds {
    use chrono::{DateTime, Utc};
    use serde::Serializer;
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            None => s.serialize_none(),
        }
    }
}

impl SourceRow {
    fn of(s: &Source, h: Option<&SourceHealth>, now: DateTime<Utc>) -> SourceRow {
        let current = h.map(|h| current(s, h, now));
        let h = current.as_ref();
        let kind = h.and_then(|h| {
            h.last_error
                .as_deref()
                .map(error_kind)
                .or(h.moved_to.as_ref().map(|_| ErrorKind::Moved))
        });
        SourceRow {
            id: s.id().to_string(),
            name: s.def.name.clone(),
            jurisdiction: s.def.jurisdiction.to_string(),
            kind: s.def.kind.as_str(),
            url: crate::util::redact(&s.def.url),
            schedule: s.schedule.expr().to_string(),
            timezone: s.schedule.timezone().name().to_string(),
            enabled: s.def.enabled,
            health: HealthState::of(s.def.enabled, h),
            last_poll: h.and_then(|h| h.last_poll_at),
            last_success: h.and_then(|h| h.last_success_at),
            // Errors recorded by older versions may name the URL in full.
            last_error: h.and_then(|h| h.last_error.as_deref().map(crate::util::redact_urls_in)),
            consecutive_failures: h.map(|h| h.consecutive_failures).unwrap_or(0),
            down: h.is_some_and(|h| h.down),
            // A source never polled is due at once (the scheduler polls it
            // on its first tick), whatever its schedule says.
            next_poll: match h {
                Some(h) => h.next_poll_at.or(Some(now)),
                None => Some(now),
            }
            .filter(|_| s.def.enabled),
            moved_to: h.and_then(|h| h.moved_to.as_deref().map(crate::util::redact_urls_in)),
            rate_limited_until: h.and_then(|h| h.rate_limited_until),
            note: h.and_then(note_of),
            error_kind: kind,
            short_error: h
                .and_then(|h| h.last_error.as_deref())
                .map(short_error)
                .or_else(|| kind.map(|k| k.phrase().to_string())),
            advice: kind.map(|k| k.advice().to_string()),
        }
    }

    /// Where the row goes in a list read top-down, bad news first: storage
    /// failing (nothing is recorded), down, failing, rate limited, suspect,
    /// moved, never polled, ok, disabled.
    pub fn rank(&self) -> u8 {
        match self.health {
            HealthState::StorageFailing => 0,
            HealthState::Down => 0,
            HealthState::Failing => 1,
            HealthState::RateLimited => 2,
            HealthState::Suspect => 3,
            HealthState::Moved => 4,
            HealthState::NeverPolled => 5,
            HealthState::Ok => 6,
            HealthState::Disabled => 7,
        }
    }
}

/// A source's health as it stands now, for the source as configured now: a
/// move seen from an address the source no longer has (it was edited since)
/// is over, and so is a wait whose time has passed.
pub fn current(s: &Source, h: &SourceHealth, now: DateTime<Utc>) -> SourceHealth {
    let mut h = h.clone();
    if h.moved_from
        .as_deref()
        .is_some_and(|from| from != s.def.url.as_str())
    {
        h.moved_to = None;
        h.moved_from = None;
    }
    if h.rate_limited_until.is_some_and(|t| t <= now) {
        h.rate_limited_until = None;
    }
    h
}

/// What a person should know of a source's health beyond its state, in a
/// line ("moved to …: update the source", "rate limited until …"), as it
/// stands at `now` for the source as configured.
pub fn health_note(s: &Source, h: &SourceHealth, now: DateTime<Utc>) -> Option<String> {
    note_of(&current(s, h, now))
}

fn note_of(h: &SourceHealth) -> Option<String> {
    if let Some(t) = h.rate_limited_until {
        return Some(format!(
            "rate limited until {}: the site asked us to wait, it is not asked before then",
            t.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    h.moved_to.as_deref().map(|to| {
        format!(
            "moved to {}: update the source",
            crate::util::redact_urls_in(to)
        )
    })
}

/// Every configured source with its health, in the order configured.
pub async fn rows(app: &App) -> Result<Vec<SourceRow>, ServiceError> {
    let health = app.store.health().await?;
    let by_id: std::collections::HashMap<&str, &SourceHealth> =
        health.iter().map(|h| (h.id.as_str(), h)).collect();
    let now = app.now();
    let storage = crate::health::storage_failure();
    Ok(app
        .sources
        .all()
        .iter()
        .map(|s| {
            let mut row = SourceRow::of(s, by_id.get(s.id()).copied(), now);
            // Whatever the site answers, nothing is recorded: not "ok".
            if let (Some(f), true) = (&storage, row.enabled) {
                row.health = HealthState::StorageFailing;
                row.note = Some(format!(
                    "storage failing since {}: the database refuses writes ({}); free disk space or fix the database; the next poll after that records what was missed",
                    f.since.format("%Y-%m-%d %H:%M UTC"),
                    crate::util::truncate(&f.reason, 160)
                ));
            }
            row
        })
        .collect())
}

/// Which sources could answer for a destination (DESIGN.md: a check is
/// never an unqualified "nothing changed" while the sources that cover that
/// country are failing).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    /// The destination, or None for every source.
    pub country: Option<String>,
    /// Enabled sources whose jurisdiction covers the destination (itself,
    /// the EU for a member state, and every WTO source).
    pub sources: usize,
    /// Of those, polling fine and recently.
    pub healthy: usize,
    /// Of those, with a successful poll since the start of the period.
    pub succeeded: usize,
    pub failing: Vec<Gap>,
    pub stale: Vec<Gap>,
    /// The covering sources' ids.
    pub ids: Vec<String>,
    /// When watching began: the first successful poll of the earliest
    /// covering source (None: no covering source ever answered).
    #[serde(with = "opt_seconds")]
    pub watched_since: Option<DateTime<Utc>>,
    /// Every category of the taxonomy: how many covering sources watch it
    /// (a source covers the categories of its `categories` key, or all when
    /// it has none), how many of those are healthy, and since when.
    pub subjects: std::collections::BTreeMap<String, Subject>,
}

/// The coverage of one subject (a category of the taxonomy).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Subject {
    pub sources: usize,
    pub healthy: usize,
    #[serde(with = "opt_seconds")]
    pub watched_since: Option<DateTime<Utc>>,
}

/// A source that could not answer: failing since when, or stale since its
/// last success (None: never polled successfully).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Gap {
    pub id: String,
    pub name: String,
    #[serde(with = "opt_seconds")]
    pub since: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl Coverage {
    /// Nothing could be checked: no covering source worked in the period.
    pub fn blind(&self) -> bool {
        self.succeeded == 0
    }

    /// One sentence for a person, bad news first.
    pub fn summary(&self) -> String {
        let n = self.sources;
        let whom = match &self.country {
            Some(c) if n == 1 => format!(" covers {c}"),
            Some(c) => format!(" cover {c}"),
            None => String::new(),
        };
        let mut s = format!(
            "{n} source{}{whom}: {} healthy",
            if n == 1 { "" } else { "s" },
            self.healthy
        );
        if !self.failing.is_empty() {
            s.push_str(&format!(", {} failing", self.failing.len()));
        }
        if !self.stale.is_empty() {
            s.push_str(&format!(", {} stale", self.stale.len()));
        }
        s.push('.');
        if n == 0 {
            s = match &self.country {
                Some(c) => format!(
                    "Nothing could be checked: no source covers {c}, so this is not an all-clear."
                ),
                None => {
                    "Nothing could be checked: no source is configured, so this is not an all-clear."
                        .to_string()
                }
            };
        } else if self.blind() {
            let which = match (n, &self.country) {
                (1, Some(_)) => format!("the one source that{whom} did not poll"),
                (1, None) => "the one source did not poll".to_string(),
                (_, Some(_)) => format!("none of the {n} sources that{whom} polled"),
                (_, None) => format!("none of the {n} sources polled"),
            };
            s = format!(
                "Nothing could be checked: {which} successfully in the period. This is not an all-clear. {s}"
            );
        }
        s
    }
}

/// Whether a source in `j` covers `dest`: itself, the EU for its members,
/// and a WTO source for everyone.
pub fn covers(j: &Country, dest: &Country) -> bool {
    j.as_str() == "WTO" || j.covers(dest)
}

/// How long without a success makes a polling source stale: three of its
/// scheduled intervals (at least an hour).
fn stale_after(s: &Source, now: DateTime<Utc>) -> chrono::Duration {
    let n1 = s.schedule.next_after(now);
    let n2 = n1.and_then(|t| s.schedule.next_after(t));
    let every = match (n1, n2) {
        (Some(a), Some(b)) => b - a,
        _ => chrono::Duration::days(1),
    };
    (every * 3).max(chrono::Duration::hours(1))
}

/// The coverage of `dest` (every source when None) for a period starting at `since`.
pub async fn coverage(
    app: &App,
    dest: Option<&Country>,
    since: DateTime<Utc>,
) -> Result<Coverage, ServiceError> {
    let health = app.store.health().await?;
    let by_id: std::collections::HashMap<&str, &SourceHealth> =
        health.iter().map(|h| (h.id.as_str(), h)).collect();
    let now = app.now();
    let first = app.store.watched_since().await?;
    let mut c = Coverage {
        country: dest.map(|d| d.to_string()),
        sources: 0,
        healthy: 0,
        succeeded: 0,
        failing: vec![],
        stale: vec![],
        ids: vec![],
        watched_since: None,
        subjects: app
            .tagger
            .taxonomy
            .category_names()
            .into_iter()
            .map(|n| (n, Subject::default()))
            .collect(),
    };
    for s in app.sources.all() {
        if !s.def.enabled || dest.is_some_and(|d| !covers(&s.def.jurisdiction, d)) {
            continue;
        }
        c.sources += 1;
        c.ids.push(s.id().to_string());
        let began = first.get(s.id()).copied();
        let earliest = |a: Option<DateTime<Utc>>| match (a, began) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        c.watched_since = earliest(c.watched_since);
        let h = by_id.get(s.id()).map(|h| current(s, h, now));
        let h = h.as_ref();
        let last_ok = h.and_then(|h| h.last_success_at);
        if last_ok.is_some_and(|t| t >= since) {
            c.succeeded += 1;
        }
        let gap = |since, error| Gap {
            id: s.id().to_string(),
            name: s.def.name.clone(),
            since,
            error,
        };
        let healthy = match HealthState::of(true, h) {
            HealthState::Failing | HealthState::Down | HealthState::Suspect => {
                let since = app.store.failing_since(s.id()).await?.or(last_ok);
                c.failing
                    .push(gap(since, h.and_then(|h| h.last_error.clone())));
                false
            }
            _ if last_ok.is_none_or(|t| now - t > stale_after(s, now)) => {
                c.stale.push(gap(last_ok, None));
                false
            }
            _ => {
                c.healthy += 1;
                true
            }
        };
        for (name, sub) in c.subjects.iter_mut() {
            if s.def.categories.is_empty() || s.def.categories.iter().any(|k| k == name) {
                sub.sources += 1;
                sub.healthy += usize::from(healthy);
                sub.watched_since = earliest(sub.watched_since);
            }
        }
    }
    Ok(c)
}

/// What kind of trouble a source is in, read from its stored error: each
/// kind has a short phrase and one line of what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The site's name did not resolve: the network or name resolution here.
    Dns,
    /// The secure connection failed (certificate, handshake).
    Tls,
    Timeout,
    /// Nothing accepted the connection (refused, reset, unreachable).
    Connect,
    /// The site refuses us: HTTP 401/403, or a blocked page (`fail_if`).
    Forbidden,
    /// robots.txt disallows the page.
    Robots,
    /// HTTP 404/410: the page is gone.
    NotFound,
    /// HTTP 429/503 with Retry-After.
    RateLimited,
    /// HTTP 5xx.
    Server,
    /// A listing with no items where there were items, a selector that
    /// matches nothing, an empty body.
    Empty,
    /// The document could not be read (malformed feed, JSON, PDF; a bad rule).
    Parse,
    /// A listing that shrank by more than half, held until confirmed.
    Suspect,
    /// A redirect or link to an address the fetch policy refuses.
    Policy,
    /// Larger than `[fetch].max_bytes`.
    TooLarge,
    /// The headless browser of `render = "browser"`.
    Browser,
    /// Permanent redirects: the source's address has moved.
    Moved,
    Other,
}

/// The HTTP status an error chain names, if any.
fn http_status(l: &str) -> Option<u16> {
    l.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 3)
        .filter_map(|w| w.parse::<u16>().ok())
        .find(|c| (400..600).contains(c) && (l.contains("http") || l.contains("status")))
}

/// The kind of a stored error chain. The most specific cause wins: a DNS
/// failure is reported as one even inside "could not connect".
pub fn error_kind(chain: &str) -> ErrorKind {
    let l = chain.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    if has(&["rate limited", "http 429", "too many requests"]) {
        ErrorKind::RateLimited
    } else if l.starts_with("suspect") {
        ErrorKind::Suspect
    } else if has(&[
        "dns",
        "name resolution",
        "failed to lookup address",
        "name or service not known",
        "nodename nor servname",
        "no address associated",
        "could not resolve",
    ]) {
        ErrorKind::Dns
    } else if has(&["certificate", "tls", "ssl", "handshake"]) {
        ErrorKind::Tls
    } else if has(&["timed out", "timeout", "deadline"]) {
        ErrorKind::Timeout
    } else if has(&["robots.txt"]) {
        ErrorKind::Robots
    } else if has(&["allow_private", "allow_hosts"]) {
        ErrorKind::Policy
    } else if has(&["blocked page", "fail_if"]) {
        ErrorKind::Forbidden
    } else if has(&["larger than the cap"]) {
        ErrorKind::TooLarge
    } else if has(&[
        "connection refused",
        "connection reset",
        "could not connect",
        "unreachable",
    ]) {
        ErrorKind::Connect
    } else if has(&[
        "0 items where",
        "matched nothing",
        "no items",
        "empty body",
        "empty after extraction",
    ]) {
        ErrorKind::Empty
    } else if has(&[
        "malformed",
        "could not be read",
        "invalid rule",
        "not valid json",
        "extractor crashed",
    ]) {
        ErrorKind::Parse
    } else if has(&["the browser", "chromium", "rendering"]) {
        ErrorKind::Browser
    } else {
        match http_status(&l) {
            Some(401 | 403) => ErrorKind::Forbidden,
            Some(404 | 410) => ErrorKind::NotFound,
            Some(c) if c >= 500 => ErrorKind::Server,
            _ => ErrorKind::Other,
        }
    }
}

impl ErrorKind {
    /// The kind in a few words, the word that matters first.
    pub fn phrase(self) -> &'static str {
        match self {
            ErrorKind::Dns => "DNS: the site's name could not be resolved",
            ErrorKind::Tls => "TLS: the site's certificate was not accepted",
            ErrorKind::Timeout => "timeout: the site did not answer in time",
            ErrorKind::Connect => "connection refused: nothing answers there",
            ErrorKind::Forbidden => "access refused by the site",
            ErrorKind::Robots => "robots.txt does not allow this page",
            ErrorKind::NotFound => "not found: the page is gone",
            ErrorKind::RateLimited => "rate limited: the site asks us to wait",
            ErrorKind::Server => "server error on the site's side",
            ErrorKind::Empty => "empty listing: nothing matched where items were",
            ErrorKind::Parse => "parse error: the document could not be read",
            ErrorKind::Suspect => "suspect: the listing shrank by more than half",
            ErrorKind::Policy => "refused by the fetch policy (private address)",
            ErrorKind::TooLarge => "too large: over [fetch].max_bytes",
            ErrorKind::Browser => "browser: the page could not be rendered",
            ErrorKind::Moved => "moved: the address redirects permanently",
            ErrorKind::Other => "failed",
        }
    }

    /// One line of what to do, for a compliance officer or whoever runs
    /// the server.
    pub fn advice(self) -> &'static str {
        match self {
            ErrorKind::Dns => "Check this machine's network and name resolution (DNS); behind a proxy, set HTTPS_PROXY. If only this source fails, the site's name may have changed: check it in a browser.",
            ErrorKind::Tls => "The site's certificate is expired, self-signed or for another name: open the address in a browser; if the site moved, update the source's url.",
            ErrorKind::Timeout => "The site is slow or unreachable from here: it is retried on schedule; if it lasts, check the network or firewall, or raise [fetch].timeout.",
            ErrorKind::Connect => "Nothing accepts connections at that address: check the url and whether the site is up; a firewall may block this machine.",
            ErrorKind::Forbidden => "The site refuses our requests (often a bot filter): set [fetch].user_agent to a real contact address, try render = \"browser\", or ask the authority to allow the team's address.",
            ErrorKind::Robots => "The site's robots.txt disallows this page for us: use a page or feed it allows, or ask the site.",
            ErrorKind::NotFound => "The page is gone: find its new address on the site and update the source's url (regwatch sources edit).",
            ErrorKind::RateLimited => "The site asked us to wait: nothing to do, it is polled again after that time; if it recurs, poll it less often (schedule).",
            ErrorKind::Server => "An error on the site's side: it is retried on schedule; act only if it lasts for days.",
            ErrorKind::Empty => "The page changed shape: look at it with `regwatch sources test ID` and fix the selectors (or set may_be_empty if an empty listing is a valid answer).",
            ErrorKind::Parse => "The site sent something other than expected (an error page?): look at it with `regwatch sources test ID`; fix the kind or the rules.",
            ErrorKind::Suspect => "Held until the next poll: if the page really lost those items, the next poll reports them; if not, nothing is lost.",
            ErrorKind::Policy => "A redirect or link led to a private address: if that is intended, add the host to [fetch].allow_hosts.",
            ErrorKind::TooLarge => "The answer is larger than allowed: raise [fetch].max_bytes if this size is expected.",
            ErrorKind::Browser => "Check that Chromium is installed ([fetch].browser) and that the wait_for selector still matches.",
            ErrorKind::Moved => "The address redirects permanently: update the source's url to the new address (regwatch sources edit).",
            ErrorKind::Other => "See the full error on the source's page.",
        }
    }
}

/// A stored error chain in a few words a person can act on, shortened by
/// meaning: the kind's phrase (with the HTTP status or the host where it
/// tells more), never the chain cut at a character count. The full chain
/// stays on the source's own page.
pub fn short_error(chain: &str) -> String {
    let kind = error_kind(chain);
    let l = chain.to_lowercase();
    match kind {
        ErrorKind::Forbidden | ErrorKind::NotFound | ErrorKind::Server => match http_status(&l) {
            Some(c) => format!("{} (HTTP {c})", kind.phrase()),
            None => kind.phrase().to_string(),
        },
        ErrorKind::Other => {
            // Nothing known: the last cause, cut at a word boundary.
            let last = chain.rsplit(": ").next().unwrap_or(chain).trim();
            cut_at_word(last, 60)
        }
        k => k.phrase().to_string(),
    }
}

/// `s` cut at a word boundary to at most `max` characters, with "…".
fn cut_at_word(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max - 1).collect();
    let cut = head
        .rfind(' ')
        .filter(|&i| i > max / 2)
        .unwrap_or(head.len());
    format!("{}…", head[..cut].trim_end())
}

#[cfg(test)]
mod tests {
    use super::{error_kind, short_error, ErrorKind};

    #[test]
    fn short_errors_by_meaning() {
        assert_eq!(
            short_error("GET http://x/: error sending request: tcp connect error: Connection refused (os error 111)"),
            "connection refused: nothing answers there"
        );
        assert_eq!(
            short_error("GET https://x/a: HTTP status 503 Service Unavailable"),
            "server error on the site's side (HTTP 503)"
        );
        // The word that matters survives however long the chain before it.
        let dns = "could not connect: client error (Connect): error sending request for url: \
                   tcp connect error: dns error: failed to lookup address information: \
                   Name or service not known";
        assert_eq!(error_kind(dns), ErrorKind::Dns);
        assert!(short_error(dns).starts_with("DNS"));
        assert_eq!(error_kind("HTTP 404"), ErrorKind::NotFound);
        assert_eq!(
            short_error("HTTP 403"),
            "access refused by the site (HTTP 403)"
        );
        assert_eq!(
            error_kind("0 items where the last snapshot had 12 (selector `li` matched nothing)"),
            ErrorKind::Empty
        );
        assert_eq!(
            error_kind("malformed feed: unexpected EOF"),
            ErrorKind::Parse
        );
        assert_eq!(
            error_kind("rate limited by the site (HTTP 429/503): asked to wait 120s"),
            ErrorKind::RateLimited
        );
        assert_eq!(
            error_kind("could not connect: invalid peer certificate: Expired"),
            ErrorKind::Tls
        );
        assert_eq!(error_kind("timed out after 30s"), ErrorKind::Timeout);
        assert_eq!(
            error_kind("robots.txt of a.gov disallows this URL for our user agent"),
            ErrorKind::Robots
        );
        // Every phrase fits a table cell (60 characters) whole.
        for k in [
            ErrorKind::Dns,
            ErrorKind::Tls,
            ErrorKind::Timeout,
            ErrorKind::Connect,
            ErrorKind::Forbidden,
            ErrorKind::Robots,
            ErrorKind::NotFound,
            ErrorKind::RateLimited,
            ErrorKind::Server,
            ErrorKind::Empty,
            ErrorKind::Parse,
            ErrorKind::Suspect,
            ErrorKind::Policy,
            ErrorKind::TooLarge,
            ErrorKind::Browser,
            ErrorKind::Moved,
        ] {
            assert!(
                k.phrase().chars().count() + " (HTTP 503)".len() <= 60,
                "{k:?}"
            );
            assert!(!k.advice().is_empty());
        }
        let other = short_error("something odd happened: a very long explanation that goes on and on past the width of any table cell");
        assert!(other.chars().count() <= 60, "{other}");
        assert!(other.ends_with('…'));
    }
}
