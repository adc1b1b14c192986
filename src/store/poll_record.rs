//! What a poll reads before it starts and hands the store to record: the
//! source's state, the poll's record and what recording it did, and the
//! health row as the store returns it. Shared by [`super::polls`] (which
//! records) and [`super::poll_writes`] (the statements it writes).

use super::db::parse_ts;
use crate::health::Standing;
use crate::model::{HealthChange as Health, PollOutcome, SourceHealth};
use chrono::{DateTime, Utc};
use sqlx::Row;

#[derive(Debug, Clone, Default)]
pub struct SourceState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_snapshot_id: Option<i64>,
    pub last_hash: Option<String>,
    /// See [`PollRecord::body_hash`].
    pub body_hash: Option<String>,
    /// The content hash of a shrunken listing held as suspect by the last
    /// poll, which the next poll confirms by showing it again.
    pub suspect_hash: Option<String>,
    pub consecutive_failures: i64,
    pub down: bool,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub last_poll_at: Option<DateTime<Utc>>,
}

/// One poll, as the poll hands it to the store to record.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub source_id: String,
    pub jurisdiction: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status: Option<i64>,
    pub bytes: Option<i64>,
    pub outcome: PollOutcome,
    /// The snapshot the poll's diff was computed from (`last_snapshot_id`
    /// as [`Store::state`] read it; `None` before the first snapshot). A
    /// successful poll is recorded only while the source still stands
    /// there; otherwise another poll recorded in between and this one is
    /// superseded (see [`PollResult::superseded`]).
    pub expected_snapshot: Option<i64>,
    /// The fetched body's hash (with the rules), kept after a successful
    /// extraction so the same bytes are not parsed again.
    pub body_hash: Option<String>,
    pub next_poll_at: Option<DateTime<Utc>>,
    /// Consecutive failures that make a source "down" (see [`health::transition`]).
    pub down_after: i64,
    /// Channels that receive source-health alerts.
    pub health_channels: Vec<String>,
    /// The source's configured address, as polled.
    pub url: String,
    /// Where permanent redirects led: the source has moved there.
    pub moved_to: Option<String>,
    /// A 429/503 with Retry-After: not before then.
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// Identity keys of the items this poll saw arrive or leave, remembered
    /// (see [`Store::seen_among`]).
    pub seen_keys: Vec<String>,
    /// The source's health standing as the poll read it at its start: with
    /// it (and `stories`, when a change looks for one), PostgreSQL records
    /// a changed poll in one statement (see [`Store::read_ahead`]).
    pub standing: Option<Standing>,
    /// The stories this poll's changes may join, as read before the
    /// record (PostgreSQL only).
    pub stories: Option<StoryCandidates>,
    /// The content of a [`PollOutcome::Changed`] as JSON
    /// ([`crate::normalize::content_json`]), when the poll made it for the
    /// content's hash: the store compresses it instead of serializing the
    /// content a second time. `None`: the store serializes the content.
    pub content_json: Option<String>,
}

/// The stories a poll's changes may join, read before the poll is
/// recorded (see `stories::candidates_sql`).
#[derive(Debug, Clone, Default)]
pub struct StoryCandidates {
    /// The rule jurisdiction they were read for.
    pub rule: String,
    /// The highest change id when they were read: a change of another
    /// source recorded since could be a candidate, and has the poll read
    /// the newer ones under the story lock before it is recorded.
    pub up_to: i64,
    /// (story id, title), most recent first.
    pub list: Vec<(i64, String)>,
}

/// How long the items a source showed are remembered.
pub const SEEN_DAYS: i64 = 400;

/// What recording a poll did.
#[derive(Debug, Clone, Default)]
pub struct PollResult {
    pub change_ids: Vec<i64>,
    pub health: Option<Health>,
    /// Another poll of the source was recorded after this one read the
    /// source's state: only this poll's fetch-log line was recorded (no
    /// snapshot, no change, no alert, no state), since its diff was
    /// computed from a snapshot that is no longer the last one.
    pub superseded: bool,
    /// The source's health row as this poll left it (what the poll's
    /// summary notes), read in the same round trip as the record.
    pub source_health: Option<SourceHealth>,
}

/// What a poll reads before it starts, in one statement: the source's
/// state, and every rate limit still running (a site that asked us to wait
/// is not asked, from any source on its host).
#[derive(Debug, Clone, Default)]
pub struct PollStart {
    pub state: SourceState,
    /// (source id, not before) of every source rate limited past `now`.
    pub rate_limits: Vec<(String, DateTime<Utc>)>,
}

/// What a one-shot pass reads before its polls start (see
/// [`Store::pass_start`]).
#[derive(Debug, Clone, Default)]
pub struct PassStart {
    /// Each polled source's state, by id, where the store has one.
    pub states: std::collections::HashMap<String, SourceState>,
    /// (source id, not before) of every source rate limited past the
    /// pass's start.
    pub rate_limits: Vec<(String, DateTime<Utc>)>,
}

impl PassStart {
    /// What one poll of the pass reads before it starts.
    pub fn of(&self, source_id: &str) -> PollStart {
        PollStart {
            state: self.states.get(source_id).cloned().unwrap_or_default(),
            rate_limits: self.rate_limits.clone(),
        }
    }
}

/// The columns of a [`SourceHealth`], in the order [`health_of`] reads them.
pub(super) const HEALTH_COLUMNS: &str =
    "source_id, last_poll_at, last_success_at, last_error, consecutive_failures,
     next_poll_at, down, moved_to, rate_limited_until, moved_from";

pub(super) fn health_of(r: &sqlx::any::AnyRow) -> SourceHealth {
    SourceHealth {
        id: r.get(0),
        last_poll_at: r.get::<Option<String>, _>(1).and_then(|s| parse_ts(&s)),
        last_success_at: r.get::<Option<String>, _>(2).and_then(|s| parse_ts(&s)),
        last_error: r.get(3),
        consecutive_failures: r.get(4),
        next_poll_at: r.get::<Option<String>, _>(5).and_then(|s| parse_ts(&s)),
        down: r.get::<i64, _>(6) != 0,
        moved_to: r.get(7),
        rate_limited_until: r.get::<Option<String>, _>(8).and_then(|s| parse_ts(&s)),
        moved_from: r.get(9),
    }
}
