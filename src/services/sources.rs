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
    fn of(s: &Source, h: Option<&SourceHealth>) -> SourceRow {
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
            next_poll: h.and_then(|h| h.next_poll_at),
            moved_to: h.and_then(|h| h.moved_to.as_deref().map(crate::util::redact_urls_in)),
            rate_limited_until: h.and_then(|h| h.rate_limited_until),
            note: h.and_then(health_note),
        }
    }
}

/// What a person should know of a source's health beyond its state, in a line.
fn health_note(h: &SourceHealth) -> Option<String> {
    if let Some(t) = h.rate_limited_until {
        return Some(format!(
            "rate limited until {}: the site asked us to wait",
            t.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    h.moved_to.as_deref().map(|to| {
        format!(
            "moved to {}: update the source's url",
            crate::util::redact_urls_in(to)
        )
    })
}

/// Every configured source with its health, in the order configured.
pub async fn rows(app: &App) -> Result<Vec<SourceRow>, ServiceError> {
    let health = app.store.health().await?;
    let by_id: std::collections::HashMap<&str, &SourceHealth> =
        health.iter().map(|h| (h.id.as_str(), h)).collect();
    let storage = crate::health::storage_failure();
    Ok(app
        .sources
        .all()
        .iter()
        .map(|s| {
            let mut row = SourceRow::of(s, by_id.get(s.id()).copied());
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
    let mut c = Coverage {
        country: dest.map(|d| d.to_string()),
        sources: 0,
        healthy: 0,
        succeeded: 0,
        failing: vec![],
        stale: vec![],
        ids: vec![],
    };
    for s in app.sources.all() {
        if !s.def.enabled || dest.is_some_and(|d| !covers(&s.def.jurisdiction, d)) {
            continue;
        }
        c.sources += 1;
        c.ids.push(s.id().to_string());
        let h = by_id.get(s.id()).copied();
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
        match HealthState::of(true, h) {
            HealthState::Failing | HealthState::Down | HealthState::Suspect => {
                let since = app.store.failing_since(s.id()).await?.or(last_ok);
                c.failing
                    .push(gap(since, h.and_then(|h| h.last_error.clone())));
            }
            _ if last_ok.is_none_or(|t| now - t > stale_after(s, now)) => {
                c.stale.push(gap(last_ok, None));
            }
            _ => c.healthy += 1,
        }
    }
    Ok(c)
}

/// A stored error chain in a few words a person can act on; the full
/// chain stays on the source's own page.
pub fn short_error(chain: &str) -> String {
    let l = chain.to_lowercase();
    let status = l
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 3)
        .filter_map(|w| w.parse::<u16>().ok())
        .find(|c| (400..600).contains(c) && (l.contains("http") || l.contains("status")));
    let s = if l.contains("rate limited") {
        "the site asks us to wait (rate limited)".to_string()
    } else if l.contains("connection refused") {
        "the site refused the connection".to_string()
    } else if l.contains("timed out") || l.contains("timeout") || l.contains("deadline") {
        "the site did not answer in time".to_string()
    } else if l.contains("dns") || l.contains("lookup") || l.contains("resolve") {
        "the site's name could not be found (DNS)".to_string()
    } else if l.contains("certificate") || l.contains("tls") {
        "the site's secure connection (TLS certificate) was not accepted".to_string()
    } else if l.contains("robots") {
        "the site's robots.txt does not allow this page".to_string()
    } else if l.contains("nothing") || l.contains("empty") || l.contains("no items") {
        "the page changed shape: nothing matched where items were".to_string()
    } else if let Some(c) = status {
        match c {
            404 | 410 => format!("the page is gone (HTTP {c})"),
            401 | 403 => format!("the site refuses access (HTTP {c})"),
            429 => "the site asks us to slow down (HTTP 429)".to_string(),
            c if c >= 500 => format!("the site has an error on its side (HTTP {c})"),
            c => format!("the site answered HTTP {c}"),
        }
    } else {
        let last = chain.rsplit(": ").next().unwrap_or(chain);
        crate::util::truncate(last, 120)
    };
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_errors() {
        assert_eq!(
            super::short_error("GET http://x/: error sending request: tcp connect error: Connection refused (os error 111)"),
            "the site refused the connection"
        );
        assert_eq!(
            super::short_error("GET https://x/a: HTTP status 503 Service Unavailable"),
            "the site has an error on its side (HTTP 503)"
        );
    }
}
