//! Where and when a source is polled: the URL to fetch now (sources
//! addressed by date) and the next due time from its schedule.

use crate::app::App;
use crate::config::Source;
use chrono::{DateTime, Utc};

/// The URL to fetch now: `{today}` and `{today-Nd}` in it become the date
/// (YYYY-MM-DD) in the source's timezone, for sources addressed by date
/// (today's extra issue, a window of the last N days).
pub fn source_url(source: &Source, now: DateTime<Utc>) -> url::Url {
    let u = source.def.url.as_str();
    if !u.contains("{today") && !u.contains("%7Btoday") {
        return source.def.url.clone();
    }
    let tz: chrono_tz::Tz = source
        .def
        .timezone
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let today = now.with_timezone(&tz).date_naive();
    let re = regex::Regex::new(r"(?:\{|%7B)today(?:-(\d+)d)?(?:\}|%7D)").expect("valid regex");
    let out = re.replace_all(u, |c: &regex::Captures| {
        let back: i64 = c.get(1).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
        (today - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string()
    });
    url::Url::parse(&out).unwrap_or_else(|_| source.def.url.clone())
}

/// The next due time from the source's schedule, plus jitter.
pub fn next_due(app: &App, source: &Source, after: DateTime<Utc>) -> DateTime<Utc> {
    let day = chrono::Duration::hours(24);
    let base = source.schedule.next_after(after).unwrap_or(after + day);
    // The period at this point of the schedule: up to the time after `base`.
    let period = source
        .schedule
        .next_after(base)
        .map(|n| n - base)
        .unwrap_or(day);
    base + jitter_within(app.config.schedule.jitter.0, period)
}

/// A random delay of up to `jitter`, and never more than a tenth of
/// `period`: jitter spreads sources that share a schedule, it must not push
/// a source on a 5-second schedule 30 s late, or run into its next time.
pub fn jitter_within(jitter: std::time::Duration, period: chrono::Duration) -> chrono::Duration {
    let cap = period.num_milliseconds().max(0) / 10;
    let max = i64::try_from(jitter.as_millis())
        .unwrap_or(i64::MAX)
        .min(cap);
    if max > 0 {
        chrono::Duration::milliseconds(rand::random_range(0..=max))
    } else {
        chrono::Duration::zero()
    }
}
