//! Alerts: the sender side of the outbox (Slack, email digests, signed
//! webhooks, source-health alerts). Senders only ever read the outbox.
//!
//! A pass (`deliver_due`) takes each due delivery under a short lease, renders
//! it from the store at send time, sends it, and records the outcome:
//! delivered, or failed with its error and the time of the next attempt
//! (exponential backoff with jitter, or the receiver's Retry-After). Nothing
//! is ever dropped: past `max_attempts` a delivery keeps waiting, retried at
//! the slow pace of `retry_max`, and `regwatch notify retry` forces it now.

pub mod email;
pub mod render;
pub mod slack;
pub mod teams;
pub mod webhook;

use crate::app::App;
use crate::config::{ChannelConfig, ChannelKind, ChannelMode};
use crate::events::{self, DeliveryAttempt};
use crate::model::Change;
use crate::schedule::Schedule;
use crate::services::changes::{by_ids, list};
use crate::store::outbox::Delivery;
use crate::store::{ts, ChangeFilter};
use crate::util::{instance_id, owner_is_dead};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct DeliveryReport {
    pub delivered: usize,
    /// (delivery id, channel, error) of the attempts that failed this time.
    pub failed: Vec<(i64, String, String)>,
    /// Deliveries still waiting after this pass.
    pub waiting: Vec<Delivery>,
}

/// Why one send failed, and when the receiver asked us to come back.
#[derive(Debug, Clone)]
pub struct SendError {
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl SendError {
    pub fn new(m: impl Into<String>) -> SendError {
        SendError {
            message: m.into(),
            retry_after: None,
        }
    }
}

impl From<anyhow::Error> for SendError {
    fn from(e: anyhow::Error) -> Self {
        SendError::new(format!("{e:#}"))
    }
}

/// A `health` delivery's payload, as queued by the store.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Health {
    pub source: String,
    pub jurisdiction: String,
    pub state: String,
    pub failures: i64,
    pub error: String,
    pub at: String,
}

impl Health {
    pub fn from_payload(p: &Value) -> Health {
        let s = |k: &str| {
            p.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Health {
            source: s("source"),
            jurisdiction: s("jurisdiction"),
            state: s("state"),
            failures: p.get("failures").and_then(Value::as_i64).unwrap_or(0),
            error: crate::util::redact_urls_in(&s("error")),
            at: s("at"),
        }
    }
}

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

fn channel<'a>(app: &'a App, name: &str) -> Option<&'a ChannelConfig> {
    app.config.channels.iter().find(|c| c.name == name)
}

/// The delay before attempt `attempt + 1`: `retry_base` doubled per failed
/// attempt, capped at `retry_max`, with jitter in [d/2, d]; `retry_max`
/// once `max_attempts` is spent.
pub fn backoff(ch: &ChannelConfig, attempt: i64) -> Duration {
    let base = ch.retry_base.0;
    let max = ch.retry_max.0.max(base);
    if attempt >= ch.max_attempts {
        crate::util::jitter_down(max)
    } else {
        crate::util::backoff(base, attempt.clamp(1, 31) as u32, max)
    }
}

/// Deliver what is due in the outbox (everything pending when `force`).
///
/// Each channel delivers on its own: the claimed deliveries are grouped by
/// channel, the groups run concurrently, and within a group they go out in
/// order. So a receiver that hangs costs only its own channel's timeout;
/// the other channels are not kept waiting behind it.
pub async fn deliver_due(app: &App, force: bool) -> anyhow::Result<DeliveryReport> {
    let owner = instance_id();
    let now = app.now();
    for (id, holder) in app.store.held_leases(now).await? {
        if owner_is_dead(&holder) {
            tracing::warn!(delivery = id, lease_owner = %holder, "the sender holding this delivery died; taking it over");
            app.store.release_lease(id, &holder).await?;
        }
    }
    let due = app
        .store
        .claim_deliveries(&owner, now, send_lease(app), CLAIM_BATCH, force)
        .await?;
    // Groups in the order their channels first appear; each group in claim order.
    let mut groups: Vec<(String, Vec<Delivery>)> = vec![];
    for d in due {
        match groups.iter_mut().find(|(c, _)| *c == d.channel) {
            Some((_, g)) => g.push(d),
            None => groups.push((d.channel.clone(), vec![d])),
        }
    }
    let results = futures_util::future::join_all(
        groups
            .into_iter()
            .map(|(_, group)| deliver_channel(app, group)),
    )
    .await;
    let mut report = DeliveryReport::default();
    let mut first_err = None;
    for r in results {
        match r {
            Ok(part) => {
                report.delivered += part.delivered;
                report.failed.extend(part.failed);
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    report.waiting = app.store.pending_deliveries().await?;
    Ok(report)
}

/// [`deliver_due`] for callers that must not wait long (`regwatch poll`,
/// `report`): after `wait`, what is still being sent is given back to the
/// outbox (this process's leases are released), to be delivered by the
/// daemon's next pass or `regwatch notify retry`. `None` when the wait ran out.
pub async fn deliver_due_within(
    app: &App,
    wait: Duration,
) -> anyhow::Result<Option<DeliveryReport>> {
    match tokio::time::timeout(wait, deliver_due(app, false)).await {
        Ok(r) => r.map(Some),
        Err(_) => {
            let owner = instance_id();
            for (id, holder) in app.store.held_leases(app.now()).await? {
                if holder == owner {
                    app.store.release_lease(id, &owner).await?;
                }
            }
            Ok(None)
        }
    }
}

/// The deliveries of one channel, in order.
async fn deliver_channel(app: &App, due: Vec<Delivery>) -> anyhow::Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    let mut senders = Senders::default();
    for d in due {
        let attempt = d.attempts + 1;
        let Some(ch) = channel(app, &d.channel) else {
            let err = format!(
                "no channel named `{}` in {}: add it back, or the delivery waits",
                d.channel,
                app.config.path.display()
            );
            let next = app.now() + chrono::Duration::hours(1);
            app.store.mark_failed(d.id, &err, next).await?;
            DeliveryAttempt {
                channel: &d.channel,
                delivery: d.id,
                kind: &d.kind,
                attempt,
                outcome: events::Delivery::Retrying,
                error: Some(&err),
                next_attempt_at: Some(next),
                latency_seconds: None,
            }
            .emit();
            report.failed.push((d.id, d.channel.clone(), err));
            continue;
        };
        match send(app, ch, &d, &mut senders).await {
            Ok(()) => {
                let mut tries = 0;
                // Delivered: record it, insisting, since a second copy would follow otherwise.
                while let Err(e) = app.store.mark_delivered(d.id, app.now()).await {
                    tries += 1;
                    if tries >= 5 {
                        return Err(e.context(format!(
                            "delivery #{} was sent but could not be marked delivered",
                            d.id
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                DeliveryAttempt {
                    channel: &ch.name,
                    delivery: d.id,
                    kind: &d.kind,
                    attempt,
                    outcome: events::Delivery::Delivered,
                    error: None,
                    next_attempt_at: None,
                    latency_seconds: d
                        .created_at
                        .map(|t| (app.now() - t).num_milliseconds() as f64 / 1000.0),
                }
                .emit();
                report.delivered += 1;
            }
            Err(e) => {
                let delay = e.retry_after.unwrap_or_else(|| backoff(ch, attempt));
                let at = app.now()
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                app.store.mark_failed(d.id, &e.message, at).await?;
                DeliveryAttempt {
                    channel: &ch.name,
                    delivery: d.id,
                    kind: &d.kind,
                    attempt,
                    outcome: if attempt == ch.max_attempts {
                        events::Delivery::Exhausted
                    } else {
                        events::Delivery::Retrying
                    },
                    error: Some(&e.message),
                    next_attempt_at: Some(at),
                    latency_seconds: None,
                }
                .emit();
                report.failed.push((d.id, ch.name.clone(), e.message));
            }
        }
    }
    Ok(report)
}

/// At most this many deliveries are claimed by one pass.
const CLAIM_BATCH: i64 = 500;

/// How long a claimed delivery stays leased: the longest send timeout plus a margin.
fn send_lease(app: &App) -> chrono::Duration {
    let lease = app
        .config
        .channels
        .iter()
        .map(|c| c.timeout.0)
        .max()
        .unwrap_or(Duration::from_secs(30))
        + Duration::from_secs(60);
    chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(2))
}

/// Clients and SMTP transports reused within a pass.
#[derive(Default)]
struct Senders {
    http: HashMap<String, reqwest::Client>,
    smtp: HashMap<String, lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
}

impl Senders {
    fn http(&mut self, ch: &ChannelConfig) -> Result<reqwest::Client, SendError> {
        if let Some(c) = self.http.get(&ch.name) {
            return Ok(c.clone());
        }
        let c = webhook::client(ch.timeout.0)?;
        self.http.insert(ch.name.clone(), c.clone());
        Ok(c)
    }
    fn smtp(
        &mut self,
        ch: &ChannelConfig,
        em: &crate::config::EmailChannel,
    ) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, SendError> {
        if let Some(c) = self.smtp.get(&ch.name) {
            return Ok(c.clone());
        }
        let t = email::transport(em, ch.timeout.0)?;
        self.smtp.insert(ch.name.clone(), t.clone());
        Ok(t)
    }
}

/// What a delivery is about, loaded from the store at send time.
enum Subject {
    Change(Box<Change>),
    Digest(DigestPayload, Vec<Change>),
    Health(Health, Value),
}

async fn load(app: &App, d: &Delivery) -> Result<Subject, SendError> {
    match d.kind.as_str() {
        "change" => {
            let id = d
                .change_id
                .ok_or_else(|| SendError::new("a change delivery without a change id"))?;
            let c = by_ids(app, vec![id])
                .await
                .map_err(|e| SendError::new(e.to_string()))?
                .pop()
                .ok_or_else(|| SendError::new(format!("change #{id} is not in the store")))?;
            Ok(Subject::Change(Box::new(c)))
        }
        "digest" => {
            let p: DigestPayload = serde_json::from_value(d.payload.clone()).map_err(|e| {
                SendError::new(format!("a digest delivery with an unreadable payload: {e}"))
            })?;
            let changes = changes_by_id(app, &p.change_ids).await?;
            Ok(Subject::Digest(p, changes))
        }
        "health" => Ok(Subject::Health(
            Health::from_payload(&d.payload),
            d.payload.clone(),
        )),
        k => Err(SendError::new(format!("unknown delivery kind `{k}`"))),
    }
}

/// Changes by id with their URLs, oldest first.
async fn changes_by_id(app: &App, ids: &[i64]) -> anyhow::Result<Vec<Change>> {
    let mut out = vec![];
    for chunk in ids.chunks(500) {
        out.extend(by_ids(app, chunk.to_vec()).await?);
    }
    out.sort_by_key(|c| c.id);
    Ok(out)
}

async fn send(
    app: &App,
    ch: &ChannelConfig,
    d: &Delivery,
    senders: &mut Senders,
) -> Result<(), SendError> {
    let mut subject = load(app, d).await?;
    // An alert lists only the cases matched at the channel's minimum strength.
    let min = ch.filter.min_match;
    match &mut subject {
        Subject::Change(c) => c.cases.retain(|m| m.strength.at_least(min)),
        Subject::Digest(_, cs) => cs
            .iter_mut()
            .for_each(|c| c.cases.retain(|m| m.strength.at_least(min))),
        Subject::Health(..) => {}
    }
    let base = app.config.server.base_url.as_str();
    let missing = |key: &str| SendError::new(app.config.missing_secret(&ch.name, key));
    let unresolved = |key: &str| {
        app.config
            .channels
            .iter()
            .position(|c| c.name == ch.name)
            .is_some_and(|i| {
                app.config
                    .unresolved
                    .contains_key(&format!("channel[{i}].{key}"))
            })
    };
    match &ch.kind {
        ChannelKind::Slack(sl) => {
            let url = sl
                .webhook_url
                .as_ref()
                .ok_or_else(|| missing("webhook_url"))?;
            let msg = match &subject {
                Subject::Change(c) => slack::change_message(c),
                Subject::Digest(p, cs) => slack::digest_message(
                    cs,
                    p.period_start,
                    p.period_end,
                    &log_url(base, p.period_start),
                ),
                Subject::Health(_, p) => slack::health_message(p, base),
            };
            let msg = slack::with_dedup_key(msg, &d.idempotency_key);
            let client = senders.http(ch)?;
            webhook::post(
                &client,
                url.expose(),
                serde_json::to_vec(&msg).unwrap_or_default(),
                &[],
            )
            .await
        }
        ChannelKind::Teams(t) => {
            let url = t
                .webhook_url
                .as_ref()
                .ok_or_else(|| missing("webhook_url"))?;
            let key = d.idempotency_key.as_str();
            let msg = match &subject {
                Subject::Change(c) => teams::change_message(c, key),
                Subject::Digest(p, cs) => teams::digest_message(
                    cs,
                    p.period_start,
                    p.period_end,
                    &log_url(base, p.period_start),
                    key,
                ),
                Subject::Health(_, p) => teams::health_message(p, base, key),
            };
            let client = senders.http(ch)?;
            webhook::post(
                &client,
                url.expose(),
                serde_json::to_vec(&msg).unwrap_or_default(),
                &[("Idempotency-Key", d.idempotency_key.clone())],
            )
            .await
        }
        ChannelKind::Webhook(w) => {
            let url = w.url.as_ref().ok_or_else(|| missing("url"))?;
            // Never send unsigned when a signing key was asked for.
            if w.secret.is_none() && unresolved("secret") {
                return Err(missing("secret"));
            }
            let (event, body) = webhook_body(ch, &subject);
            let body = serde_json::to_vec(&body).unwrap_or_default();
            let mut headers = vec![
                ("Idempotency-Key", d.idempotency_key.clone()),
                ("X-Regwatch-Event", event.to_string()),
            ];
            if let Some(s) = &w.secret {
                headers.push((
                    "X-Regwatch-Signature",
                    webhook::signature(s.expose().as_bytes(), &body),
                ));
            }
            let client = senders.http(ch)?;
            webhook::post(&client, url.expose(), body, &headers).await
        }
        ChannelKind::Email(em) => {
            if em.smtp_url.is_none() {
                return Err(missing("smtp_url"));
            }
            if em.smtp_password.is_none() && unresolved("smtp_password") {
                return Err(missing("smtp_password"));
            }
            let dir = render::template_dir(em, &app.config.path);
            let (subj, body) = match &subject {
                Subject::Change(c) => {
                    let v = render::digest_view(
                        &ch.name,
                        base,
                        std::slice::from_ref(c.as_ref()),
                        c.detected_at,
                        c.detected_at,
                        true,
                    );
                    (v.subject.clone(), render::render_email(&v, dir.as_deref())?)
                }
                Subject::Digest(p, cs) => {
                    let v = render::digest_view(
                        &ch.name,
                        base,
                        cs,
                        p.period_start,
                        p.period_end,
                        false,
                    );
                    (v.subject.clone(), render::render_email(&v, dir.as_deref())?)
                }
                Subject::Health(h, _) => render::render_health(h, base)?,
            };
            let m = email::build(em, &d.idempotency_key, &subj, body)?;
            let t = senders.smtp(ch, em)?;
            email::send(&t, m, ch.timeout.0).await
        }
    }
}

fn webhook_body(ch: &ChannelConfig, s: &Subject) -> (&'static str, Value) {
    match s {
        Subject::Change(c) => (
            "change",
            serde_json::to_value(c.as_ref()).unwrap_or_default(),
        ),
        Subject::Digest(p, cs) => (
            "digest",
            json!({"type": "digest", "channel": ch.name, "period_start": p.period_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                   "period_end": p.period_end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "changes": cs}),
        ),
        Subject::Health(_, p) => {
            let mut v = p.clone();
            if let Value::Object(m) = &mut v {
                m.insert("type".into(), json!("health"));
            }
            ("health", v)
        }
    }
}

fn log_url(base: &str, start: DateTime<Utc>) -> String {
    format!(
        "{}/?since={}",
        base.trim_end_matches('/'),
        start.format("%Y-%m-%d")
    )
}

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
        // A channel may leave out what a person already reviewed or dismissed.
        .filter(|c| !ch.skip_reviewed || c.review.state == "new")
        .collect();
    v.sort_by_key(|c| c.id);
    // A story is shown once, by its first change in the period, which
    // lists the other sources.
    let mut stories = std::collections::HashSet::new();
    v.retain(|c| stories.insert(c.story_id));
    Ok(v)
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
    if n == 0 && !ch.send_empty {
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

/// Build the digest of `channel` (or every digest channel) now. With
/// `preview`, return it rendered instead of queueing it.
/// With `preview`, an email channel's HTML part is written into
/// `html_dir` (as `digest-CHANNEL.html`) when one is given.
pub async fn digest_now(
    app: &App,
    channel: Option<&str>,
    preview: bool,
    html_dir: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    let chans: Vec<&ChannelConfig> = match channel {
        Some(n) => vec![self::channel(app, n).ok_or_else(|| {
            let names: Vec<&str> = app
                .config
                .channels
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            anyhow::anyhow!(
                "no channel named `{n}` (channels: {})",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )
        })?],
        None => app
            .config
            .channels
            .iter()
            .filter(|c| c.mode == ChannelMode::Digest)
            .collect(),
    };
    if chans.is_empty() {
        anyhow::bail!("no digest channel in {}: add a [[channel]] with mode = \"digest\", or name one with --channel", app.config.path.display());
    }
    let now = app.now();
    let mut out = String::new();
    let mut queued = 0;
    for ch in chans {
        let s = schedule_of(app, ch)?;
        let start = period_start(app, ch, &s, now).await?;
        if preview {
            let changes = period_changes(app, ch, start, now).await?;
            out.push_str(&preview_one(app, ch, &changes, start, now, html_dir)?);
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
    if !preview && queued > 0 {
        let r = deliver_due(app, false).await?;
        out.push_str(&format!("delivered {}", r.delivered));
        for (id, ch, e) in &r.failed {
            out.push_str(&format!(
                "\nfailed    #{id} to {ch}: {e} (it stays queued; see `regwatch notify retry`)"
            ));
        }
    }
    Ok(out.trim_end().to_string())
}

fn preview_one(
    app: &App,
    ch: &ChannelConfig,
    changes: &[Change],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    html_dir: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    let base = app.config.server.base_url.as_str();
    let head = format!(
        "# channel {} ({}), {} change(s), {} → {}\n",
        ch.name,
        ch.kind.name(),
        changes.len(),
        render::fmt_time(start),
        render::fmt_time(end)
    )
    .to_lowercase();
    Ok(match &ch.kind {
        ChannelKind::Email(em) => {
            let v = render::digest_view(&ch.name, base, changes, start, end, false);
            let r =
                render::render_email(&v, render::template_dir(em, &app.config.path).as_deref())?;
            let note = match html_dir {
                None => "(the HTML part: pass --output DIR to write it to a file)".to_string(),
                Some(dir) => {
                    let path = dir.join(format!("digest-{}.html", sanitize_file(&ch.name)));
                    match std::fs::write(&path, &r.html) {
                        Ok(()) => format!("(HTML part written to {})", path.display()),
                        Err(e) => format!(
                            "(the HTML part could not be written to {}: {e})",
                            path.display()
                        ),
                    }
                }
            };
            format!("{head}Subject: {}\n\n{}\n{note}\n", v.subject, r.text)
        }
        ChannelKind::Slack(_) => {
            let m = slack::digest_message(changes, start, end, &log_url(base, start));
            format!("{head}{}\n", serde_json::to_string_pretty(&m)?)
        }
        ChannelKind::Teams(_) => {
            let m = teams::digest_message(changes, start, end, &log_url(base, start), "preview");
            format!("{head}{}\n", serde_json::to_string_pretty(&m)?)
        }
        ChannelKind::Webhook(_) => {
            let p = DigestPayload {
                period_start: start,
                period_end: end,
                change_ids: vec![],
            };
            let (_, body) = webhook_body(ch, &Subject::Digest(p, changes.to_vec()));
            format!("{head}{}\n", serde_json::to_string_pretty(&body)?)
        }
    })
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
