//! Alerts: the sender side of the outbox (Slack, email digests, signed
//! webhooks, source-health alerts). Senders only ever read the outbox.

use crate::pipeline::App;
use crate::store::outbox::Delivery;
use chrono::{DateTime, Utc};

#[derive(Debug, Default)]
pub struct DeliveryReport {
    pub delivered: usize,
    /// (delivery id, channel, error) of the attempts that failed this time.
    pub failed: Vec<(i64, String, String)>,
    /// Deliveries still waiting after this pass.
    pub waiting: Vec<Delivery>,
}

/// Deliver what is due in the outbox (everything pending when `force`).
pub async fn deliver_due(_app: &App, _force: bool) -> anyhow::Result<DeliveryReport> {
    anyhow::bail!("alert delivery is not implemented yet")
}

/// Close every digest period that has ended by `now` and queue its delivery.
pub async fn run_digests(_app: &App, _now: DateTime<Utc>) -> anyhow::Result<usize> {
    Ok(0)
}

/// Build the digest of `channel` (or every digest channel) now. With
/// `preview`, return it rendered instead of queueing it.
pub async fn digest_now(
    _app: &App,
    _channel: Option<&str>,
    _preview: bool,
) -> anyhow::Result<String> {
    anyhow::bail!("digests are not implemented yet")
}
