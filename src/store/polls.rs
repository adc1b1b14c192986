//! A source's polls: its state (validators, last snapshot, health), the
//! recording of one poll in one transaction (fetch log, snapshot, changes
//! with their outbox rows, health alerts, state), and the health rows and
//! fetch log the front ends show.

use super::batch::Batch;
use super::db::{on_lane, parse_ts, ts, Backend, Store, Tx};
use super::{changes, outbox, snapshots};
use crate::health::{self, Standing, Transition, Verdict};
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

fn health_of(r: &sqlx::any::AnyRow) -> SourceHealth {
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

impl Store {
    pub async fn state(&self, source_id: &str) -> anyhow::Result<SourceState> {
        let row = sqlx::query(
            "SELECT s.etag, s.last_modified, s.last_snapshot_id, s.consecutive_failures, s.down,
                    s.next_poll_at, s.last_poll_at, sn.content_hash, s.suspect_hash, s.body_hash
             FROM source_state s LEFT JOIN snapshots sn ON sn.id = s.last_snapshot_id
             WHERE s.source_id = $1",
        )
        .bind(source_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => SourceState::default(),
            Some(r) => state_of(&r, 0),
        })
    }

    /// The source's state and the rate limits running at `now`, in one
    /// statement (a round trip less per poll than asking both apart; the
    /// rate limits are read through their own small index).
    pub async fn poll_start(
        &self,
        source_id: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<PollStart> {
        let q = sqlx::query(
            "SELECT s.source_id, s.etag, s.last_modified, s.last_snapshot_id, s.consecutive_failures, s.down,
                    s.next_poll_at, s.last_poll_at, sn.content_hash, s.suspect_hash, s.body_hash,
                    s.rate_limited_until
             FROM source_state s LEFT JOIN snapshots sn ON sn.id = s.last_snapshot_id
             WHERE s.source_id = $1 OR s.rate_limited_until > $2",
        )
        .bind(source_id)
        .bind(ts(now));
        let rows = on_lane!(self, q, fetch_all);
        let mut start = PollStart::default();
        for r in rows {
            let id: String = r.get(0);
            let limited = r
                .get::<Option<String>, _>(11)
                .and_then(|s| parse_ts(&s))
                .filter(|t| *t > now);
            if id == source_id {
                start.state = state_of(&r, 1);
            }
            if let Some(t) = limited {
                start.rate_limits.push((id, t));
            }
        }
        Ok(start)
    }

    /// What every poll of a one-shot pass reads before it starts, in one
    /// statement for the whole pass: the state of each source in `ids`
    /// (those the store knows; a source it does not starts from nothing)
    /// and the rate limits running at `now`. A pass asks once instead of
    /// once per source (each asking two thread hand-offs on SQLite). What
    /// another process records during the pass is not seen by it: a state
    /// read too early makes a poll's record superseded (see
    /// [`PollResult::superseded`]), never wrong, and this process's own
    /// rate limits are kept by its fetcher.
    pub async fn pass_start(
        &self,
        ids: &std::collections::HashSet<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<PassStart> {
        use futures_util::TryStreamExt as _;
        let mut rows = sqlx::query(
            "SELECT s.source_id, s.etag, s.last_modified, s.last_snapshot_id, s.consecutive_failures, s.down,
                    s.next_poll_at, s.last_poll_at, sn.content_hash, s.suspect_hash, s.body_hash,
                    s.rate_limited_until
             FROM source_state s LEFT JOIN snapshots sn ON sn.id = s.last_snapshot_id",
        )
        .fetch(&self.pool);
        let mut start = PassStart::default();
        while let Some(r) = rows.try_next().await? {
            let id: String = r.get(0);
            let limited = r
                .get::<Option<String>, _>(11)
                .and_then(|s| parse_ts(&s))
                .filter(|t| *t > now);
            if let Some(t) = limited {
                start.rate_limits.push((id.clone(), t));
            }
            if ids.contains(id.as_str()) {
                start.states.insert(id, state_of(&r, 1));
            }
        }
        Ok(start)
    }

    /// One source's health row, if the store knows the source.
    pub async fn source_health(&self, source_id: &str) -> anyhow::Result<Option<SourceHealth>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {HEALTH_COLUMNS} FROM source_state WHERE source_id = $1"
        )))
        .bind(source_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(health_of))
    }

    /// Record one poll: fetch log, snapshot, changes, tags, case matches,
    /// outbox rows, health alerts and source state, in one transaction.
    /// Releases the source's lease (see [`Store::claim_due_sources`]). How
    /// the source's health moves is [`health::transition`]'s decision; the
    /// store asks it under the row lock, so that each poll of a source
    /// counts from the one recorded before it, and records what it decided.
    pub async fn record_poll(&self, rec: PollRecord) -> anyhow::Result<PollResult> {
        if let Some(quiet) = self.record_quiet_poll(&rec).await? {
            return Ok(quiet);
        }
        // The snapshot's body, serialized and compressed once, whichever
        // way records it, and before any lock is taken (on SQLite, the
        // database's write lock).
        let body = match &rec.outcome {
            PollOutcome::Changed { content, .. } => Some(snapshots::body(content)?),
            _ => None,
        };
        if let Some(done) = self.record_changed_poll(&rec, body.as_deref()).await? {
            return Ok(done);
        }
        let mut tx = self.pool.begin().await?;
        let (standing, current) = lock_state(&mut tx, &rec.source_id).await?;
        // The writes after the lock go as few commands as the backend
        // allows (SQLite: one per batch run), in the order pushed.
        let mut batch = Batch::new(self.backend);
        // A poll that read the state before another poll of the source was
        // recorded diffed against a snapshot that is no longer the last:
        // recording its changes would record them twice (or report stale
        // ones). Only its fetch-log line is kept. A failure records no
        // snapshot, so it is never stale.
        let superseded =
            !matches!(rec.outcome, PollOutcome::Failed { .. }) && current != rec.expected_snapshot;
        log_fetch(&mut batch, &rec, superseded);
        if superseded {
            let source_health = read_health(&mut batch, &mut tx, &rec.source_id).await?;
            tx.commit().await?;
            return Ok(PollResult {
                change_ids: vec![],
                health: Some(Health::Same),
                superseded: true,
                source_health,
            });
        }
        let t = health::transition(standing, Verdict::of(&rec.outcome), rec.down_after);
        let (change_ids, moved) = match &rec.outcome {
            PollOutcome::Failed { error } => {
                save_failure(&mut batch, &rec, error, t.after);
                (vec![], None)
            }
            PollOutcome::Suspect { hash, reason } => {
                save_hold(&mut batch, &rec, hash, reason, t.after);
                (vec![], None)
            }
            _ => {
                let (ids, moved) = self
                    .save_answer(&mut batch, &mut tx, &rec, body, t.after)
                    .await?;
                (ids, Some(moved))
            }
        };
        announce(&mut tx, &rec, &t).await?;
        // The state update of an answer returned the row already.
        let source_health = match moved {
            Some(h) => Some(h),
            None => read_health(&mut batch, &mut tx, &rec.source_id).await?,
        };
        debug_assert!(batch.is_empty(), "a poll's writes were left unsent");
        tx.commit().await?;
        Ok(PollResult {
            change_ids,
            health: Some(t.change),
            superseded: false,
            source_health,
        })
    }

    /// The common poll, recorded in one command: the source answered with
    /// nothing new (unchanged, or not modified), it stands where the poll
    /// read it (same last snapshot) and it is not down, so there is no
    /// snapshot, change, seen item or alert to write, and the health
    /// policy's answer is known before the row is locked
    /// ([`health::transition`] of an answer from a source that is up: no
    /// failures, still up). The state update is the compare-and-set; the
    /// fetch-log line is written only with it. `None` when the poll is not
    /// such a poll, or the source moved meanwhile: the transaction of
    /// [`Store::record_poll`] then records it (superseded, or recovered).
    ///
    /// On PostgreSQL one statement (data-modifying WITH); on SQLite, where a
    /// statement cannot write two tables, a statement list that is its own
    /// transaction ([`batch::run_alone`]), on a store in a file.
    async fn record_quiet_poll(&self, rec: &PollRecord) -> anyhow::Result<Option<PollResult>> {
        let quiet = matches!(
            rec.outcome,
            PollOutcome::Unchanged { .. } | PollOutcome::NotModified
        );
        let one_command = match self.backend {
            Backend::Postgres => true,
            Backend::Sqlite => self.lists_alone,
        };
        if !one_command || !quiet || !rec.seen_keys.is_empty() {
            return Ok(None);
        }
        let up = health::transition(
            Standing::default(),
            Verdict::of(&rec.outcome),
            rec.down_after,
        );
        debug_assert_eq!(up.change, Health::Same);
        let mut args = move_on_args(rec, None, up.after)?;
        let row = match self.backend {
            Backend::Postgres => {
                add(&mut args, rec.duration_ms)?;
                add(&mut args, rec.status)?;
                add(&mut args, rec.bytes)?;
                add(&mut args, rec.outcome.name())?;
                let q = sqlx::query_with(
                    sqlx::AssertSqlSafe(format!(
                        "WITH moved AS (
                 UPDATE source_state SET {MOVE_ON},
                     consecutive_failures = $10, down = $11
                 WHERE source_id = $6 AND last_snapshot_id IS NOT DISTINCT FROM $9 AND down = 0
                 RETURNING {HEALTH_COLUMNS}),
             logged AS (
                 INSERT INTO fetch_log (source_id, started_at, duration_ms, status, bytes, outcome, error)
                 SELECT source_id, $1, $14, $15, $16, $17, NULL FROM moved)
             SELECT {HEALTH_COLUMNS} FROM moved"
                    )),
                    args,
                );
                on_lane!(self, q, fetch_optional)
            }
            Backend::Sqlite => {
                let mut batch = Batch::new(self.backend);
                batch.push_with(
                    format!(
                        "UPDATE source_state SET {MOVE_ON}, consecutive_failures = $10, down = $11
                         WHERE source_id = $6 AND last_snapshot_id IS $9 AND down = 0"
                    ),
                    args,
                );
                // `changes()`: the rows the statement before wrote, so the
                // line is logged only with the move, and the row read back
                // only with the line.
                batch
                    .push(
                        "INSERT INTO fetch_log (source_id, started_at, duration_ms, status, bytes, outcome, error)
                         SELECT $1, $2, $3, $4, $5, $6, NULL WHERE changes() = 1",
                    )
                    .bind(&rec.source_id)
                    .bind(ts(rec.started_at))
                    .bind(rec.duration_ms)
                    .bind(rec.status)
                    .bind(rec.bytes)
                    .bind(rec.outcome.name());
                batch
                    .push(format!(
                        "SELECT {HEALTH_COLUMNS} FROM source_state
                         WHERE source_id = $1 AND changes() = 1"
                    ))
                    .bind(&rec.source_id);
                super::batch::run_alone(&self.pool, batch)
                    .await?
                    .into_iter()
                    .next()
            }
        };
        Ok(row.map(|r| PollResult {
            change_ids: vec![],
            health: Some(up.change),
            superseded: false,
            source_health: Some(health_of(&r)),
        }))
    }

    /// A poll that read its source: the snapshot and changes it found (if
    /// any), and the source moved on to them. Returns the changes' ids and
    /// the source's health row as moved on.
    async fn save_answer(
        &self,
        batch: &mut Batch,
        tx: &mut Tx<'_>,
        rec: &PollRecord,
        body: Option<String>,
        after: Standing,
    ) -> anyhow::Result<(Vec<i64>, SourceHealth)> {
        let mut snapshot = NewSnapshot::None;
        let mut change_ids = vec![];
        if let (PollOutcome::Changed { hash, changes, .. }, Some(body)) = (&rec.outcome, body) {
            let id_back = !changes.is_empty();
            snapshots::push_insert(batch, &rec.source_id, hash, body, rec.started_at, id_back);
            if !id_back {
                snapshot = NewSnapshot::InBatch;
            } else {
                // The changes point at the snapshot: its id comes back first.
                let snap = snapshots::inserted_id(batch.run(tx).await?)?;
                snapshot = NewSnapshot::Id(snap);
                let from = changes::Provenance {
                    source_id: &rec.source_id,
                    jurisdiction: &rec.jurisdiction,
                    at: rec.started_at,
                    snapshot_id: Some(snap),
                    author: None,
                };
                for c in changes {
                    change_ids.push(changes::insert_change(tx, self.backend, &from, c).await?);
                }
            }
        }
        remember(batch, rec);
        let moved = move_on(batch, tx, self.backend, rec, after, snapshot).await?;
        Ok((change_ids, moved))
    }

    /// Each source's next planned poll, where it has one: two columns, not
    /// the health rows (at 100,000 sources the whole rows were tens of
    /// megabytes at the daemon's start).
    pub async fn planned(
        &self,
    ) -> anyhow::Result<std::collections::HashMap<String, DateTime<Utc>>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT source_id, next_poll_at FROM source_state WHERE next_poll_at IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, at)| parse_ts(&at).map(|t| (id, t)))
            .collect())
    }

    pub async fn health(&self) -> anyhow::Result<Vec<SourceHealth>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {HEALTH_COLUMNS} FROM source_state ORDER BY source_id"
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(health_of).collect())
    }

    /// Which of `keys` this source showed at some earlier poll (within
    /// [`SEEN_DAYS`]): an item that slides back into a listing is not new.
    pub async fn seen_among(
        &self,
        source_id: &str,
        keys: &[String],
    ) -> anyhow::Result<std::collections::HashSet<String>> {
        if keys.is_empty() {
            return Ok(Default::default());
        }
        let list = serde_json::to_string(keys)?;
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT item_key FROM seen_items WHERE source_id = $1 AND item_key {}",
            self.backend.in_json_ids(2)
        )))
        .bind(source_id)
        .bind(list)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(k,)| k).collect())
    }

    /// The fetch log of a source, newest first: (outcome, error).
    pub async fn fetch_log(
        &self,
        source_id: &str,
        limit: i64,
    ) -> anyhow::Result<Vec<(String, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT outcome, error FROM fetch_log WHERE source_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// When a source's current run of failed polls began: the first failed
    /// poll after its last poll that did not fail (None when the last poll worked).
    pub async fn failing_since(&self, source_id: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let t: Option<String> = sqlx::query_scalar(
            "SELECT MIN(started_at) FROM fetch_log WHERE source_id = $1 AND outcome = 'failed'
             AND id > COALESCE((SELECT MAX(id) FROM fetch_log WHERE source_id = $2 AND outcome <> 'failed'), 0)",
        )
        .bind(source_id)
        .bind(source_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(t.and_then(|t| parse_ts(&t)))
    }
}

/// The source's state row, created if need be and locked until commit in
/// the same statement: the polls of one source are recorded one after the
/// other and each sees the one before (on PostgreSQL the upsert locks the
/// row; on SQLite the write takes the database's lock). Returns the
/// source's health standing and its last snapshot.
pub(super) async fn lock_state(
    tx: &mut Tx<'_>,
    source_id: &str,
) -> anyhow::Result<(Standing, Option<i64>)> {
    let (failures, down, current): (i64, i64, Option<i64>) = sqlx::query_as(
        "INSERT INTO source_state (source_id) VALUES ($1)
         ON CONFLICT(source_id) DO UPDATE SET consecutive_failures = source_state.consecutive_failures
         RETURNING consecutive_failures, down, last_snapshot_id",
    )
    .bind(source_id)
    .fetch_one(&mut **tx)
    .await?;
    let standing = Standing {
        consecutive_failures: failures,
        down: down != 0,
    };
    Ok((standing, current))
}

/// The poll's line in the fetch log (a superseded poll counts as unchanged).
fn log_fetch(batch: &mut Batch, rec: &PollRecord, superseded: bool) {
    let outcome = if superseded {
        crate::model::UNCHANGED
    } else {
        rec.outcome.name()
    };
    let error = match &rec.outcome {
        PollOutcome::Failed { error } => Some(error.as_str()),
        PollOutcome::Suspect { reason, .. } => Some(reason.as_str()),
        _ => None,
    };
    batch
        .push(
            "INSERT INTO fetch_log (source_id, started_at, duration_ms, status, bytes, outcome, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&rec.source_id)
        .bind(ts(rec.started_at))
        .bind(rec.duration_ms)
        .bind(rec.status)
        .bind(rec.bytes)
        .bind(outcome)
        .bind(error);
}

/// A failed poll: the error and the health standing; the snapshot and the
/// validators stay.
fn save_failure(batch: &mut Batch, rec: &PollRecord, error: &str, after: Standing) {
    batch
        .push(
            "UPDATE source_state SET last_poll_at = $1, last_error = $2, consecutive_failures = $3,
             down = $4, next_poll_at = COALESCE($5, next_poll_at), lease_owner = NULL,
             lease_until = NULL, rate_limited_until = $7
             WHERE source_id = $6",
        )
        .bind(ts(rec.started_at))
        .bind(error)
        .bind(after.consecutive_failures)
        .bind(i64::from(after.down))
        .bind(rec.next_poll_at.map(ts))
        .bind(&rec.source_id)
        .bind(rec.rate_limited_until.map(ts));
}

/// A poll held as suspect, a health warning: the held content's hash, so
/// the next poll can confirm it. The snapshot, the validators (so the next
/// poll fetches the content in full) and the failure count stay as they are.
fn save_hold(batch: &mut Batch, rec: &PollRecord, hash: &str, reason: &str, after: Standing) {
    batch
        .push(
            "UPDATE source_state SET last_poll_at = $1, last_error = $2, suspect_hash = $3,
             consecutive_failures = $4, down = $5,
             next_poll_at = COALESCE($6, next_poll_at), lease_owner = NULL, lease_until = NULL
             WHERE source_id = $7",
        )
        .bind(ts(rec.started_at))
        .bind(reason)
        .bind(hash)
        .bind(after.consecutive_failures)
        .bind(i64::from(after.down))
        .bind(rec.next_poll_at.map(ts))
        .bind(&rec.source_id);
}

/// What a poll that read its source sets, with its parameters: $1 the
/// poll's time, $2 the next plan, $3 keep the validators (a 304), $4 and $5
/// the validators, $7 the body hash, $8 the new snapshot, $12 where the
/// source moved, $13 the address polled. `$snapshot` is what the last
/// snapshot becomes when $8 is NULL.
macro_rules! move_on_set {
    ($snapshot:literal) => {
        concat!(
            "last_poll_at = $1, last_success_at = $1, last_error = NULL,
         suspect_hash = NULL, next_poll_at = COALESCE($2, next_poll_at),
         etag = CASE WHEN $3 THEN etag ELSE $4 END,
         last_modified = CASE WHEN $3 THEN last_modified ELSE $5 END,
         body_hash = CASE WHEN $3 THEN body_hash ELSE $7 END,
         last_snapshot_id = COALESCE($8, ",
            $snapshot,
            "),
         lease_owner = NULL, lease_until = NULL, rate_limited_until = NULL,
         moved_to = CASE WHEN $12 IS NOT NULL THEN $12
                         WHEN moved_from = $13 THEN moved_to ELSE NULL END,
         moved_from = CASE WHEN $12 IS NOT NULL THEN $13
                           WHEN moved_from = $13 THEN moved_from ELSE NULL END"
        )
    };
}
/// The source moves on to $8, or keeps its last snapshot.
const MOVE_ON: &str = move_on_set!("last_snapshot_id");
/// The source moves on to the snapshot written earlier in the same batch
/// ($8 NULL): the newest of the source's snapshots, which under the
/// source's lock is the one this poll wrote. A poll without changes does
/// not need the new id back before its last statement, so its whole record
/// after the lock is one batch.
const MOVE_ON_TO_NEW: &str = move_on_set!("(SELECT MAX(id) FROM snapshots WHERE source_id = $6)");

/// The values of [`MOVE_ON`]'s placeholders $1 to $13 (the moving poll's
/// $10 and $11: its standing after), for every statement that sets it.
fn move_on_args(
    rec: &PollRecord,
    snapshot: Option<i64>,
    after: Standing,
) -> anyhow::Result<sqlx::any::AnyArguments> {
    let (etag, last_modified) = validators(&rec.outcome);
    let keep_validators = matches!(rec.outcome, PollOutcome::NotModified);
    let mut args = sqlx::any::AnyArguments::default();
    add(&mut args, ts(rec.started_at))?;
    add(&mut args, rec.next_poll_at.map(ts))?;
    add(&mut args, keep_validators)?;
    add(&mut args, etag)?;
    add(&mut args, last_modified)?;
    add(&mut args, &rec.source_id)?;
    add(&mut args, &rec.body_hash)?;
    add(&mut args, snapshot)?;
    add(&mut args, rec.expected_snapshot)?;
    add(&mut args, after.consecutive_failures)?;
    add(&mut args, i64::from(after.down))?;
    add(&mut args, &rec.moved_to)?;
    add(&mut args, &rec.url)?;
    Ok(args)
}

/// One more value for a statement's arguments.
fn add<'t, T>(args: &mut sqlx::any::AnyArguments, value: T) -> anyhow::Result<()>
where
    T: sqlx::Encode<'t, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Arguments as _;
    args.add(value)
        .map_err(|e| anyhow::anyhow!("a value of a poll's record cannot be written: {e}"))
}

/// The snapshot a poll moves its source on to.
enum NewSnapshot {
    /// None: the source keeps its last snapshot.
    None,
    /// This one, written and read back.
    Id(i64),
    /// The one written earlier in the poll's batch, not yet sent.
    InBatch,
}

/// The validators an answer brought (none for a 304: kept as they are).
pub(super) fn validators(outcome: &PollOutcome) -> (Option<&str>, Option<&str>) {
    match outcome {
        PollOutcome::Unchanged {
            etag,
            last_modified,
        }
        | PollOutcome::Changed {
            etag,
            last_modified,
            ..
        } => (etag.as_deref(), last_modified.as_deref()),
        _ => (None, None),
    }
}

/// The source's health row, inside the record's transaction, read after
/// the writes in `batch`, which it runs.
async fn read_health(
    batch: &mut Batch,
    tx: &mut Tx<'_>,
    source_id: &str,
) -> anyhow::Result<Option<SourceHealth>> {
    batch
        .push(format!(
            "SELECT {HEALTH_COLUMNS} FROM source_state WHERE source_id = $1"
        ))
        .bind(source_id);
    let rows = batch.run(tx).await?;
    Ok(rows.first().map(health_of))
}

/// A poll that read its source moves the source on: validators (kept on a
/// 304), body hash, last snapshot, health; returns the health row as
/// moved on. Compare-and-set, under the row
/// lock taken by [`lock_state`]: a second guard that this poll moves the
/// source on from the snapshot it diffed against, and from no other.
async fn move_on(
    batch: &mut Batch,
    tx: &mut Tx<'_>,
    backend: Backend,
    rec: &PollRecord,
    after: Standing,
    snapshot: NewSnapshot,
) -> anyhow::Result<SourceHealth> {
    let (set, snapshot) = match snapshot {
        NewSnapshot::None => (MOVE_ON, None),
        NewSnapshot::Id(id) => (MOVE_ON, Some(id)),
        NewSnapshot::InBatch => (MOVE_ON_TO_NEW, None),
    };
    let args = move_on_args(rec, snapshot, after)?;
    batch.push_with(
        format!(
            "UPDATE source_state SET {set}, consecutive_failures = $10, down = $11
             WHERE source_id = $6 AND last_snapshot_id {} $9
             RETURNING {HEALTH_COLUMNS}",
            backend.null_safe_eq()
        ),
        args,
    );
    let moved = batch.run(tx).await?;
    match moved.first() {
        Some(row) => Ok(health_of(row)),
        None => anyhow::bail!(
            "source `{}` moved on from snapshot {:?} while its poll was recorded",
            rec.source_id,
            rec.expected_snapshot
        ),
    }
}

/// Remember the identity keys of the items this poll saw arrive or leave,
/// and forget those not seen for [`SEEN_DAYS`].
fn remember(batch: &mut Batch, rec: &PollRecord) {
    if rec.seen_keys.is_empty() {
        return;
    }
    let at = ts(rec.started_at);
    for chunk in rec.seen_keys.chunks(500) {
        let mut sql =
            String::from("INSERT INTO seen_items (source_id, item_key, last_seen) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, ${}, $2)", i + 3));
        }
        sql.push_str(
            " ON CONFLICT (source_id, item_key) DO UPDATE SET last_seen = excluded.last_seen",
        );
        let mut q = batch.push(sql).bind(&rec.source_id).bind(&at);
        for k in chunk {
            q = q.bind(k);
        }
    }
    batch
        .push("DELETE FROM seen_items WHERE source_id = $1 AND last_seen < $2")
        .bind(&rec.source_id)
        .bind(ts(rec.started_at - chrono::Duration::days(SEEN_DAYS)));
}

/// Announce a health transition the policy decided (down, or back up) on
/// every health channel, keyed so that it is announced once per channel.
async fn announce(tx: &mut Tx<'_>, rec: &PollRecord, t: &Transition) -> anyhow::Result<()> {
    for a in health_alerts(rec, t) {
        outbox::enqueue(
            tx,
            a.channel,
            "health",
            None,
            &a.payload,
            &a.key,
            rec.started_at,
        )
        .await?;
    }
    Ok(())
}

/// An outbox row announcing a source's health transition on one channel.
pub(super) struct HealthAlert<'a> {
    pub channel: &'a str,
    pub payload: serde_json::Value,
    pub key: String,
}

/// The alerts of a health transition (none when the source stays as it
/// was): one per health channel, keyed by source, state, time and channel.
pub(super) fn health_alerts<'a>(rec: &'a PollRecord, t: &Transition) -> Vec<HealthAlert<'a>> {
    let at = ts(rec.started_at);
    let (source, jurisdiction) = (&rec.source_id, &rec.jurisdiction);
    let (key_state, payload) = match t.change {
        Health::Same => return vec![],
        Health::WentDown => {
            let error = match &rec.outcome {
                PollOutcome::Failed { error } => Some(error),
                _ => None,
            };
            let payload = serde_json::json!({
                "source": source, "jurisdiction": jurisdiction, "state": "down",
                "failures": t.run, "error": error, "at": at,
            });
            ("down", payload)
        }
        Health::Recovered => {
            let payload = serde_json::json!({
                "source": source, "jurisdiction": jurisdiction, "state": "recovered",
                "failures": t.run, "at": at,
            });
            ("up", payload)
        }
    };
    rec.health_channels
        .iter()
        .map(|ch| HealthAlert {
            channel: ch,
            payload: payload.clone(),
            key: format!("health:{source}:{key_state}:{at}:{ch}"),
        })
        .collect()
}

/// A source's state from the columns `etag, last_modified, last_snapshot_id,
/// consecutive_failures, down, next_poll_at, last_poll_at, content_hash,
/// suspect_hash, body_hash` of `r`, starting at column `at`.
fn state_of(r: &sqlx::any::AnyRow, at: usize) -> SourceState {
    SourceState {
        etag: r.get(at),
        last_modified: r.get(at + 1),
        last_snapshot_id: r.get(at + 2),
        consecutive_failures: r.get(at + 3),
        down: r.get::<i64, _>(at + 4) != 0,
        next_poll_at: r
            .get::<Option<String>, _>(at + 5)
            .and_then(|s| parse_ts(&s)),
        last_poll_at: r
            .get::<Option<String>, _>(at + 6)
            .and_then(|s| parse_ts(&s)),
        last_hash: r.get(at + 7),
        suspect_hash: r.get(at + 8),
        body_hash: r.get(at + 9),
    }
}
