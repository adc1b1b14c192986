//! What a poll found and what it says of a source's health.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ChangeRecord, Content};

/// The health of one source, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub id: String,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub down: bool,
    /// Where the source's address now lives (permanent redirects followed),
    /// shown until the source is edited.
    pub moved_to: Option<String>,
    /// The address the move was seen from: when the source's configured
    /// `url` is no longer this one, it was edited and the move is old news.
    #[serde(default)]
    pub moved_from: Option<String>,
    /// The site asked us to wait (429/503 with Retry-After) until then.
    pub rate_limited_until: Option<DateTime<Utc>>,
}

/// What one poll found, as the store records it.
#[derive(Debug, Clone)]
pub enum PollOutcome {
    NotModified,
    Unchanged {
        etag: Option<String>,
        last_modified: Option<String>,
    },
    Changed {
        content: Content,
        hash: String,
        etag: Option<String>,
        last_modified: Option<String>,
        baseline: bool,
        changes: Vec<ChangeRecord>,
    },
    Failed {
        error: String,
    },
    /// A listing that shrank by more than half at once: held, not diffed,
    /// until the next poll shows the same content (`hash`) again.
    Suspect {
        hash: String,
        reason: String,
    },
}

impl PollOutcome {
    /// The outcome's name (see [`PollStatus::name`]).
    pub fn name(&self) -> &'static str {
        match self {
            PollOutcome::NotModified => NOT_MODIFIED,
            PollOutcome::Unchanged { .. } => UNCHANGED,
            PollOutcome::Changed { baseline: true, .. } => BASELINE,
            PollOutcome::Changed { .. } => CHANGED,
            PollOutcome::Failed { .. } => FAILED,
            PollOutcome::Suspect { .. } => SUSPECT,
        }
    }
}

/// The names of poll outcomes: one set, used by logs, metrics, the store's
/// fetch log and the CLI.
pub const BASELINE: &str = "baseline";
pub const CHANGED: &str = "changed";
pub const UNCHANGED: &str = "unchanged";
pub const NOT_MODIFIED: &str = "not_modified";
pub const FAILED: &str = "failed";
pub const SUSPECT: &str = "suspect";
pub const DEFERRED: &str = "deferred";

/// A poll's result as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStatus {
    Baseline,
    Changed(usize),
    Unchanged,
    NotModified,
    Failed(String),
    /// Held as suspect (a health warning): nothing recorded but the hold.
    Suspect(String),
    /// Not asked: the site (or its host) asked us to wait until a time that
    /// has not come (429/503 with Retry-After). Nothing fetched, nothing
    /// recorded; the reason, for the summary.
    Deferred(String),
}

impl PollStatus {
    pub fn name(&self) -> &'static str {
        match self {
            PollStatus::Baseline => BASELINE,
            PollStatus::Changed(_) => CHANGED,
            PollStatus::Unchanged => UNCHANGED,
            PollStatus::NotModified => NOT_MODIFIED,
            PollStatus::Failed(_) => FAILED,
            PollStatus::Suspect(_) => SUSPECT,
            PollStatus::Deferred(_) => DEFERRED,
        }
    }
}

/// A health transition recorded by a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    Same,
    WentDown,
    Recovered,
}

/// A source's health in one word, the same in the CLI, the API and the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    Disabled,
    NeverPolled,
    Ok,
    Failing,
    Down,
    /// Polls work, but the last one was held as suspect (see `last_error`).
    Suspect,
    /// The site asked us to wait (429/503 with Retry-After); polled again after that.
    RateLimited,
    /// Polls work through permanent redirects: the source should be updated.
    Moved,
    /// The store refuses writes: this source's polls are not recorded.
    StorageFailing,
}

impl HealthState {
    pub fn of(enabled: bool, h: Option<&SourceHealth>) -> HealthState {
        match h {
            _ if !enabled => HealthState::Disabled,
            None => HealthState::NeverPolled,
            Some(h) if h.down => HealthState::Down,
            Some(h) if h.rate_limited_until.is_some() => HealthState::RateLimited,
            Some(h) if h.consecutive_failures > 0 => HealthState::Failing,
            // Only a suspect poll leaves an error behind without a failure.
            Some(h) if h.last_error.is_some() => HealthState::Suspect,
            Some(h) if h.last_success_at.is_none() => HealthState::NeverPolled,
            Some(h) if h.moved_to.is_some() => HealthState::Moved,
            Some(_) => HealthState::Ok,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            HealthState::Disabled => "disabled",
            HealthState::NeverPolled => "never polled",
            HealthState::Ok => "ok",
            HealthState::Failing => "failing",
            HealthState::Down => "down",
            HealthState::Suspect => "suspect",
            HealthState::RateLimited => "rate limited",
            HealthState::Moved => "moved",
            HealthState::StorageFailing => "storage failing",
        }
    }
}

impl Serialize for HealthState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}
