//! Digest periods: a digest channel's schedule closes a period, whose
//! changes (filtered for the channel, a story once) are queued as one
//! delivery in the outbox, rendered when it is sent. Periods missed while
//! regwatch was stopped are merged into one.

use super::channel::{Alert, ClientHits, Digest, DownSource, Message};
use super::channels;
use crate::app::App;
use crate::config::{ChannelConfig, ChannelMode};
use crate::model::Change;
use crate::schedule::Schedule;
use crate::services::changes::list;
use crate::store::{ts, ChangeFilter};
use chrono::{DateTime, Utc};

/// A digest delivery's payload: the period and the changes in it. The
/// message itself is rendered from the store when it is sent.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DigestPayload {
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub change_ids: Vec<i64>,
}

/// A change detected by a poll that started before a digest's due time is
/// only committed when that poll ends: a period is closed this long after
/// its due time so that such changes are in it, not lost between periods.
pub const DIGEST_SETTLE: chrono::Duration = chrono::Duration::seconds(60);

fn schedule_of(app: &App, ch: &ChannelConfig) -> anyhow::Result<Schedule> {
    let expr = ch.schedule.as_deref().unwrap_or("0 7 * * 1-5");
    let tz = ch
        .timezone
        .as_deref()
        .unwrap_or(&app.config.schedule.timezone);
    Schedule::parse(expr, tz).map_err(|e| anyhow::anyhow!("channel `{}`: {e}", ch.name))
}

/// The latest due time of `s` at or before `t` (looking back up to 32 days).
pub fn last_due(s: &Schedule, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    for back in [
        chrono::Duration::hours(1),
        chrono::Duration::days(1),
        chrono::Duration::days(8),
        chrono::Duration::days(32),
    ] {
        let mut due = s.next_after(t - back)?;
        if due > t {
            continue;
        }
        while let Some(n) = s.next_after(due) {
            if n > t {
                break;
            }
            due = n;
        }
        return Some(due);
    }
    None
}

/// The changes of a channel's period (start, end], filtered, oldest first.
async fn period_changes(
    app: &App,
    ch: &ChannelConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<Vec<Change>> {
    let f = ChangeFilter {
        since: Some(start),
        ..Default::default()
    };
    let mut v: Vec<Change> = list(app, &f)
        .await?
        .into_iter()
        .filter(|c| c.detected_at > start && c.detected_at <= end)
        .filter(|c| {
            let j = crate::model::rule_jurisdiction(&c.jurisdiction, c.member.as_deref());
            crate::route::filter_passes(ch, j, &c.categories, &c.cases)
        })
        // Dismissed changes are left out; a channel may also leave out
        // what a person already reviewed.
        .filter(|c| c.review.state != "dismissed")
        .filter(|c| !ch.skip_reviewed || c.review.state == "new")
        .collect();
    v.sort_by_key(|c| c.id);
    // A story is shown once, by its first change in the period, which
    // lists the other sources.
    let mut stories = std::collections::HashSet::new();
    v.retain(|c| stories.insert(c.story_id));
    Ok(v)
}

/// The timezone of a channel's messages: its `timezone`, else the
/// server's (`[schedule].timezone`).
pub fn channel_timezone(app: &App, ch: Option<&ChannelConfig>) -> String {
    ch.and_then(|c| c.timezone.clone())
        .unwrap_or_else(|| app.config.schedule.timezone.clone())
}

/// The sources down now, the longest down first.
async fn failing_sources(app: &App, now: DateTime<Utc>) -> anyhow::Result<Vec<DownSource>> {
    let cov = crate::services::sources::coverage(app, None, now - chrono::Duration::days(30))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut v: Vec<DownSource> = cov
        .failing
        .into_iter()
        .map(|g| DownSource {
            error: g
                .error
                .as_deref()
                .map(crate::services::sources::short_error)
                .unwrap_or_else(|| "no successful poll yet".into()),
            id: g.id,
            name: g.name,
            since: g.since,
        })
        .collect();
    v.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.id.cmp(&b.id)));
    Ok(v)
}

/// Per client, the changes hitting its open cases, the most high-urgency first.
async fn client_hits(app: &App, changes: &[Change]) -> anyhow::Result<Vec<ClientHits>> {
    let open: std::collections::HashSet<String> = app
        .store
        .open_cases()
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut m: std::collections::BTreeMap<String, ClientHits> = Default::default();
    for c in changes {
        for k in c.cases.iter().filter(|k| open.contains(&k.id)) {
            let name = k.client.trim();
            if name.is_empty() {
                continue;
            }
            let e = m.entry(name.to_string()).or_insert_with(|| ClientHits {
                name: name.to_string(),
                changes: vec![],
                cases: vec![],
                high: 0,
            });
            if !e.changes.contains(&c.id) {
                e.changes.push(c.id);
                if c.urgency == crate::model::Urgency::High {
                    e.high += 1;
                }
            }
            if !e.cases.contains(&k.id) {
                e.cases.push(k.id.clone());
            }
        }
    }
    let mut v: Vec<ClientHits> = m.into_values().collect();
    v.sort_by(|a, b| {
        b.high
            .cmp(&a.high)
            .then_with(|| b.changes.len().cmp(&a.changes.len()))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(v)
}

/// A digest as it is sent: its changes (dismissed ones left out, even if
/// dismissed after the period closed), the sources down now, the clients
/// hit, and the channel's timezone.
pub(super) async fn assemble(
    app: &App,
    channel: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    mut changes: Vec<Change>,
) -> anyhow::Result<Digest> {
    changes.retain(|c| c.review.state != "dismissed");
    let ch = app.config.channels.iter().find(|c| c.name == channel);
    Ok(Digest {
        period_start: start,
        period_end: end,
        failing: failing_sources(app, app.now()).await?,
        clients: client_hits(app, &changes).await?,
        timezone: channel_timezone(app, ch),
        changes,
    })
}

/// Where a channel's next period starts: the end of the last one, else
/// (first run) the schedule's tick before `due`, else a day before it.
async fn period_start(
    app: &App,
    ch: &ChannelConfig,
    s: &Schedule,
    due: DateTime<Utc>,
) -> anyhow::Result<DateTime<Utc>> {
    if let Some(end) = app.store.digest_period_end(&ch.name).await? {
        return Ok(end);
    }
    Ok(last_due(s, due - chrono::Duration::seconds(1)).unwrap_or(due - chrono::Duration::days(1)))
}

/// Close a period: queue its digest (unless empty and `send_empty` is off)
/// and move the channel's period end, in one transaction.
async fn close_period(
    app: &App,
    ch: &ChannelConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let changes = period_changes(app, ch, start, end).await?;
    let n = changes.len();
    // A period without a change still goes out while a source is down:
    // silence must not hide a blind spot.
    let down = if n == 0 {
        failing_sources(app, end).await?.len()
    } else {
        0
    };
    if n == 0 && down == 0 && !ch.send_empty {
        if !app.store.close_digest_period(&ch.name, end, None).await? {
            return Ok(0);
        }
        tracing::info!(channel = %ch.name, period_start = %ts(start), period_end = %ts(end), "digest period closed: no change, nothing sent");
        return Ok(0);
    }
    let p = DigestPayload {
        period_start: start,
        period_end: end,
        change_ids: changes.iter().map(|c| c.id).collect(),
    };
    let won = app
        .store
        .close_digest_period(&ch.name, end, Some(&serde_json::to_value(&p)?))
        .await?;
    if !won {
        // Another instance sharing the database closed this period first.
        tracing::debug!(channel = %ch.name, period_end = %ts(end), "digest period already closed by another instance");
        return Ok(0);
    }
    tracing::info!(channel = %ch.name, period_start = %ts(start), period_end = %ts(end), changes = n, "digest queued");
    Ok(1)
}

/// Close every digest period that has ended by `now` and queue its delivery.
/// Periods missed while the daemon was stopped are merged into one digest.
pub async fn run_digests(app: &App, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut queued = 0;
    for ch in app
        .config
        .channels
        .iter()
        .filter(|c| c.mode == ChannelMode::Digest)
    {
        let s = schedule_of(app, ch)?;
        let cutoff = now - DIGEST_SETTLE;
        let Some(due) = last_due(&s, cutoff) else {
            continue;
        };
        if let Some(end) = app.store.digest_period_end(&ch.name).await? {
            if due <= end {
                continue;
            }
        }
        let start = period_start(app, ch, &s, due).await?;
        queued += close_period(app, ch, start, due).await?;
    }
    Ok(queued)
}

/// The channels `digest --channel NAME` (or every digest channel) means.
fn digest_channels<'a>(
    app: &'a App,
    channel: Option<&str>,
) -> anyhow::Result<Vec<&'a ChannelConfig>> {
    let all = &app.config.channels;
    let chans: Vec<&ChannelConfig> = match channel {
        Some(n) => vec![all.iter().find(|c| c.name == n).ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
            let names = if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            };
            anyhow::anyhow!("no channel named `{n}` (channels: {names})")
        })?],
        None => all
            .iter()
            .filter(|c| c.mode == ChannelMode::Digest)
            .collect(),
    };
    if chans.is_empty() {
        anyhow::bail!("no digest channel in {}: add a [[channel]] with mode = \"digest\", or name one with --channel", app.config.path.display());
    }
    Ok(chans)
}

/// Close the current period of `channel` (or of every digest channel) now
/// and queue its digest: what to tell the person, and how many were queued.
/// With `preview`, nothing is queued: each digest is rendered as its
/// channel would send it, an HTML part written into `html_dir` (as
/// `digest-CHANNEL.html`) when one is given.
pub(super) async fn close_now(
    app: &App,
    channel: Option<&str>,
    preview: bool,
    html_dir: Option<&std::path::Path>,
) -> anyhow::Result<(String, usize)> {
    let now = app.now();
    let mut out = String::new();
    let mut queued = 0;
    for ch in digest_channels(app, channel)? {
        let s = schedule_of(app, ch)?;
        let start = period_start(app, ch, &s, now).await?;
        if preview {
            let changes = period_changes(app, ch, start, now).await?;
            let d = assemble(app, &ch.name, start, now, changes).await?;
            out.push_str(&preview_one(app, ch, d, html_dir)?);
        } else {
            let n = close_period(app, ch, start, now).await?;
            queued += n;
            out.push_str(&format!(
                "{}: {}\n",
                ch.name,
                if n == 0 {
                    "no change since the last digest: nothing to send (send_empty = false)"
                } else {
                    "digest queued"
                }
            ));
        }
    }
    Ok((out, queued))
}

/// A digest as its channel would send it, after a line naming the channel.
fn preview_one(
    app: &App,
    ch: &ChannelConfig,
    d: Digest,
    html_dir: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    let head = format!(
        "# channel {} ({}), {} change(s), {} → {}\n",
        ch.name,
        ch.kind,
        d.changes.len(),
        super::render::fmt_time(d.period_start),
        super::render::fmt_time(d.period_end)
    )
    .to_lowercase();
    let alert = Alert::Digest(d);
    let message = Message {
        alert: &alert,
        key: "preview",
        base_url: &app.config.server.base_url,
    };
    let p = channels::build(ch)?.preview(&message)?;
    let Some(html) = p.html else {
        return Ok(format!("{head}{}\n", p.text));
    };
    let note = match html_dir {
        None => "(the HTML part: pass --output DIR to write it to a file)".to_string(),
        Some(dir) => {
            let path = dir.join(format!("digest-{}.html", sanitize_file(&ch.name)));
            match std::fs::write(&path, &html) {
                Ok(()) => format!("(HTML part written to {})", path.display()),
                Err(e) => format!(
                    "(the HTML part could not be written to {}: {e})",
                    path.display()
                ),
            }
        }
    };
    Ok(format!("{head}{}\n{note}\n", p.text))
}

fn sanitize_file(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
