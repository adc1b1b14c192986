//! Alerts: the sender side of the outbox. Senders only ever read the outbox.
//!
//! A pass (`deliver_due`) takes each due delivery under a short lease, loads
//! what it is about from the store, hands it to its channel (which builds
//! and sends its own message: `channel.rs`, `channels/`), and records the
//! outcome: delivered, or failed with its error and the time of the next
//! attempt (exponential backoff with jitter, or the receiver's Retry-After).
//! Nothing is ever dropped: past `max_attempts` a delivery keeps waiting,
//! retried at the slow pace of `retry_max`, and `regwatch notify retry`
//! forces it now. Digest periods are closed in `digest.rs`.

pub mod channel;
pub mod channels;
mod digest;
mod http;
pub mod render;

pub use channel::{Alert, Channel, ChannelType, Health, Message, Preview, SendError};
pub use channels::check as check_channels;
pub use digest::{last_due, run_digests, DigestPayload, DIGEST_SETTLE};

use crate::app::App;
use crate::config::ChannelConfig;
use crate::events::{self, DeliveryAttempt};
use crate::model::Change;
use crate::services::changes::by_ids;
use crate::store::outbox::Delivery;
use crate::util::{instance_id, owner_is_dead};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct DeliveryReport {
    pub delivered: usize,
    /// (delivery id, channel, error) of the attempts that failed this time.
    pub failed: Vec<(i64, String, String)>,
    /// Deliveries still waiting after this pass.
    pub waiting: Vec<Delivery>,
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

/// Build the digest of `channel` (or every digest channel) now and send
/// it. With `preview`, return it rendered instead of queueing it, an email
/// channel's HTML part written into `html_dir` (as `digest-CHANNEL.html`)
/// when one is given.
pub async fn digest_now(
    app: &App,
    channel: Option<&str>,
    preview: bool,
    html_dir: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    let (mut out, queued) = digest::close_now(app, channel, preview, html_dir).await?;
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

/// The deliveries of one channel, in order, through one channel built for
/// them (its HTTP client or SMTP connection reused).
async fn deliver_channel(app: &App, due: Vec<Delivery>) -> anyhow::Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    let mut built: Option<Result<Box<dyn Channel>, String>> = None;
    for d in due {
        let Some(ch) = app.config.channels.iter().find(|c| c.name == d.channel) else {
            let err = format!(
                "no channel named `{}` in {}: add it back, or the delivery waits",
                d.channel,
                app.config.path.display()
            );
            let next = app.now() + chrono::Duration::hours(1);
            app.store.mark_failed(d.id, &err, next).await?;
            attempt(&d, events::Delivery::Retrying, Some(&err), Some(next), None).emit();
            report.failed.push((d.id, d.channel.clone(), err));
            continue;
        };
        let sent = match built.get_or_insert_with(|| channels::build(ch).map_err(|e| e.to_string()))
        {
            Ok(channel) => send(app, ch, channel.as_ref(), &d).await,
            Err(e) => Err(SendError::new(e.clone())),
        };
        match sent {
            Ok(()) => {
                delivered(app, &d).await?;
                report.delivered += 1;
            }
            Err(e) => {
                let error = failed(app, ch, &d, e).await?;
                report.failed.push((d.id, ch.name.clone(), error));
            }
        }
    }
    Ok(report)
}

/// One delivery attempt, as an event that logs and counts.
fn attempt<'a>(
    d: &'a Delivery,
    outcome: events::Delivery,
    error: Option<&'a str>,
    next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    latency_seconds: Option<f64>,
) -> DeliveryAttempt<'a> {
    DeliveryAttempt {
        channel: &d.channel,
        delivery: d.id,
        kind: &d.kind,
        attempt: d.attempts + 1,
        outcome,
        error,
        next_attempt_at,
        latency_seconds,
    }
}

/// Record a delivery as delivered, insisting, since a second copy would
/// follow otherwise.
async fn delivered(app: &App, d: &Delivery) -> anyhow::Result<()> {
    let mut tries = 0;
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
    let latency = d
        .created_at
        .map(|t| (app.now() - t).num_milliseconds() as f64 / 1000.0);
    attempt(d, events::Delivery::Delivered, None, None, latency).emit();
    Ok(())
}

/// Record a failed attempt and when the next one is: the receiver's
/// Retry-After, else the channel's backoff. Its error.
async fn failed(
    app: &App,
    ch: &ChannelConfig,
    d: &Delivery,
    e: SendError,
) -> anyhow::Result<String> {
    let n = d.attempts + 1;
    let delay = e.retry_after.unwrap_or_else(|| backoff(ch, n));
    let at = app.now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
    app.store.mark_failed(d.id, &e.message, at).await?;
    let outcome = if n == ch.max_attempts {
        events::Delivery::Exhausted
    } else {
        events::Delivery::Retrying
    };
    attempt(d, outcome, Some(&e.message), Some(at), None).emit();
    Ok(e.message)
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

/// Send one delivery: what it is about, loaded from the store now, through
/// its channel.
async fn send(
    app: &App,
    ch: &ChannelConfig,
    channel: &dyn Channel,
    d: &Delivery,
) -> Result<(), SendError> {
    let mut alert = load(app, d).await?;
    // An alert lists only the cases matched at the channel's minimum strength.
    alert.keep_cases(ch.filter.min_match);
    let message = Message {
        alert: &alert,
        key: &d.idempotency_key,
        base_url: &app.config.server.base_url,
    };
    channel.deliver(&message).await
}

/// What a delivery is about, loaded from the store at send time.
async fn load(app: &App, d: &Delivery) -> Result<Alert, SendError> {
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
            Ok(Alert::Change(Box::new(c)))
        }
        "digest" => {
            let p: DigestPayload = serde_json::from_value(d.payload.clone()).map_err(|e| {
                SendError::new(format!("a digest delivery with an unreadable payload: {e}"))
            })?;
            let changes = changes_by_id(app, &p.change_ids).await?;
            digest::assemble(app, &d.channel, p.period_start, p.period_end, changes)
                .await
                .map(Alert::Digest)
                .map_err(|e| SendError::new(format!("{e:#}")))
        }
        "health" => Ok(Alert::Health(Health::from_payload(&d.payload))),
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
