//! Where and when a source is polled: the URL to fetch now (sources
//! addressed by date) and the next due time from its schedule.

use crate::app::App;
use crate::config::Source;
use chrono::{DateTime, Utc};

/// `{today}`, `{today-7d}`, `{today:%d-%m-%Y}` in a source's URL (also
/// percent-encoded, as a URL parser leaves them).
static TODAY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?:\{|%7B)today(?:-(\d+)d)?(?::((?:%[A-Za-z]|[-/._ ,])+))?(?:\}|%7D)")
        .expect("valid regex")
});

/// The date parts a URL's date format may use: year, month, day, day of
/// year, month names.
const DATE_PARTS: &str = "YymdejbB";

/// The URL to fetch now: `{today}` and `{today-Nd}` in it become the date
/// (YYYY-MM-DD, or the format after a colon: `{today:%d-%m-%Y}`) in the
/// source's timezone, for sources addressed by date (today's extra issue, a
/// window of the last N days).
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
    let out = TODAY.replace_all(u, |c: &regex::Captures| {
        let back: i64 = c.get(1).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
        let format = c
            .get(2)
            .map(|m| m.as_str())
            .filter(|f| {
                f.split('%')
                    .skip(1)
                    .all(|p| p.chars().next().is_some_and(|l| DATE_PARTS.contains(l)))
            })
            .unwrap_or("%Y-%m-%d");
        (today - chrono::Duration::days(back))
            .format(format)
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

/// Bring stored plans in line with the schedules: a plan later than the
/// schedule's next run (the schedule was made more frequent, or the source
/// is new) is moved to the schedule's next run.
pub async fn reconcile(app: &App, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let sources = app.sources.all();
    let enabled: Vec<String> = sources
        .iter()
        .filter(|s| s.def.enabled)
        .map(|s| s.id().to_string())
        .collect();
    let parked = app.store.sync_planned_sources(&enabled).await?;
    if parked > 0 {
        tracing::debug!(
            parked,
            "sources not enabled in the configuration are not planned"
        );
    }
    let planned = app.store.planned().await?;
    let jitter = chrono::Duration::from_std(app.config.schedule.jitter.0).unwrap_or_default();
    let mut moved = 0;
    for s in sources.iter().filter(|s| s.def.enabled) {
        let Some(plan) = planned.get(s.id()) else {
            continue;
        };
        let Some(next) = s.schedule.next_after(now) else {
            continue;
        };
        if *plan > next + jitter + chrono::Duration::seconds(1) {
            app.store
                .set_next_poll(s.id(), super::next_due(app, s, now))
                .await?;
            moved += 1;
        }
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_urls_follow_the_source_timezone_and_format() {
        let cfg = crate::config::ScheduleConfig::default();
        let src = |url: &str| {
            crate::config::parse_sources(
                std::path::Path::new("s.toml"),
                &format!("[[source]]\nid = \"s\"\nname = \"S\"\njurisdiction = \"MX\"\nkind = \"json\"\nurl = \"{url}\"\ntimezone = \"America/Mexico_City\"\n"),
                &cfg,
            )
            .unwrap()
            .remove(0)
        };
        // 03:00 UTC on 2 December is still 1 December in Mexico City.
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let u = |url: &str| source_url(&src(url), now).to_string();
        assert_eq!(
            u("https://a.gob.mx/notas/{today}"),
            "https://a.gob.mx/notas/2026-12-01"
        );
        assert_eq!(
            u("https://a.gob.mx/notas/{today:%d-%m-%Y}?from={today-7d:%d/%m/%Y}"),
            "https://a.gob.mx/notas/01-12-2026?from=24/11/2026"
        );
        // A format with other parts falls back to the ISO date.
        assert_eq!(
            u("https://a.gob.mx/{today:%H}"),
            "https://a.gob.mx/2026-12-01"
        );
    }
}
