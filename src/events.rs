//! Each notable outcome is one event: `emit()` both logs it and counts it,
//! so the log and `/metrics` cannot drift apart. Outcome names come from the
//! model (one set for logs, metrics, the store and the CLI).

use crate::metrics;
use crate::model::{HealthChange, PollStatus};

/// A poll ended (baseline, changed, unchanged, not modified, suspect or failed).
pub struct PollFinished<'a> {
    pub source: &'a str,
    /// Shown redacted.
    pub url: &'a url::Url,
    pub status: &'a PollStatus,
    pub elapsed_ms: u64,
    /// Changes recorded by the poll.
    pub changes: usize,
}

impl PollFinished<'_> {
    pub fn emit(&self) {
        let outcome = self.status.name();
        let url = crate::util::redact(self.url);
        match self.status {
            PollStatus::Failed(e) => {
                tracing::warn!(source = self.source, url, outcome, error = %e, elapsed_ms = self.elapsed_ms, "poll failed")
            }
            PollStatus::Suspect(w) => {
                tracing::warn!(source = self.source, url, outcome, warning = %w, elapsed_ms = self.elapsed_ms, "poll held as suspect")
            }
            _ => {
                tracing::info!(
                    source = self.source,
                    url,
                    outcome,
                    changes = self.changes,
                    elapsed_ms = self.elapsed_ms,
                    "polled"
                )
            }
        }
        metrics::poll(
            self.source,
            outcome,
            self.elapsed_ms as f64 / 1000.0,
            self.changes,
        );
    }
}

/// A poll moved a source down or back up.
pub struct SourceHealthChanged<'a> {
    pub source: &'a str,
    pub change: HealthChange,
    pub error: Option<&'a str>,
}

impl SourceHealthChanged<'_> {
    pub fn emit(&self) {
        let state = match self.change {
            HealthChange::Same => return,
            HealthChange::WentDown => "down",
            HealthChange::Recovered => "recovered",
        };
        match self.change {
            HealthChange::WentDown => {
                tracing::error!(
                    source = self.source,
                    state,
                    error = self.error.unwrap_or(""),
                    "source is down"
                )
            }
            _ => tracing::info!(source = self.source, state, "source recovered"),
        }
        metrics::health_transition(self.source, state);
    }
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// Failed; retried later.
    Retrying,
    /// Failed with `max_attempts` spent: it stays queued at the slow pace.
    Exhausted,
}

impl Delivery {
    pub fn name(self) -> &'static str {
        match self {
            Delivery::Delivered => "delivered",
            Delivery::Retrying | Delivery::Exhausted => "failed",
        }
    }
}

/// One delivery attempt ended.
pub struct DeliveryAttempt<'a> {
    pub channel: &'a str,
    pub delivery: i64,
    pub kind: &'a str,
    pub attempt: i64,
    pub outcome: Delivery,
    pub error: Option<&'a str>,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    /// From queued to delivered, when delivered.
    pub latency_seconds: Option<f64>,
}

impl DeliveryAttempt<'_> {
    pub fn emit(&self) {
        let outcome = self.outcome.name();
        let (channel, delivery, kind, attempt) =
            (self.channel, self.delivery, self.kind, self.attempt);
        let error = self.error.unwrap_or("");
        let next = self
            .next_attempt_at
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        match self.outcome {
            Delivery::Delivered => {
                tracing::info!(channel, delivery, kind, attempt, outcome, "alert delivered")
            }
            Delivery::Retrying => {
                tracing::warn!(channel, delivery, kind, attempt, outcome, error, next_attempt_at = next, "alert not delivered; will retry")
            }
            Delivery::Exhausted => tracing::error!(
                channel, delivery, kind, attempt, outcome, error, next_attempt_at = next,
                "alert still not delivered after max_attempts: it stays queued, retried every retry_max; `regwatch notify retry` forces it"
            ),
        }
        metrics::delivery(channel, outcome, self.latency_seconds);
    }
}
