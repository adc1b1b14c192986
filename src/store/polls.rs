//! A source's polls: its state (validators, last snapshot, health), the
//! recording of one poll in one transaction (fetch log, snapshot, changes
//! with their outbox rows, health alerts, state), and the health rows and
//! fetch log the front ends show.

use super::batch::Batch;
use super::db::{on_lane, parse_ts, ts, Backend, Store, Tx};
use super::poll_record::{
    health_of, PassStart, PollRecord, PollResult, PollStart, SourceState, HEALTH_COLUMNS,
};
use super::poll_writes::{
    add, announce, lock_state, log_fetch, move_on, move_on_args, read_health, remember,
    save_failure, save_hold, NewSnapshot, MOVE_ON,
};
use super::{changes, snapshots};
use crate::health::{self, Standing, Verdict};
use crate::model::{HealthChange as Health, PollOutcome, SourceHealth};
use chrono::{DateTime, Utc};
use sqlx::Row;

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
        let q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{START_ROWS} WHERE s.source_id = $1 OR s.rate_limited_until > $2"
        )))
        .bind(source_id)
        .bind(ts(now));
        let rows = on_lane!(self, q, fetch_all);
        let mut start = PollStart::default();
        for r in rows {
            let id: String = r.get(0);
            let limited = limited_past(&r, now);
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
        let mut rows = sqlx::query(START_ROWS).fetch(&self.pool);
        let mut start = PassStart::default();
        while let Some(r) = rows.try_next().await? {
            let id: String = r.get(0);
            let limited = limited_past(&r, now);
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
            PollOutcome::Changed { content, .. } => Some(match &rec.content_json {
                Some(json) => Store::encode_body(json)?,
                None => snapshots::body(content)?,
            }),
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
                match &self.groups {
                    Some(groups) => super::group::run(groups, &self.pool, batch).await?,
                    None => super::batch::run_alone(&self.pool, batch).await?,
                }
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

/// What a poll reads before it starts, from each source's row: its id,
/// its state (the columns of [`state_of`], from 1) and its rate limit (11).
const START_ROWS: &str = "SELECT s.source_id, s.etag, s.last_modified, s.last_snapshot_id, s.consecutive_failures, s.down,
                    s.next_poll_at, s.last_poll_at, sn.content_hash, s.suspect_hash, s.body_hash,
                    s.rate_limited_until
             FROM source_state s LEFT JOIN snapshots sn ON sn.id = s.last_snapshot_id";

/// The rate limit of a row of [`START_ROWS`], if it runs past `now`.
fn limited_past(r: &sqlx::any::AnyRow, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    r.get::<Option<String>, _>(11)
        .and_then(|s| parse_ts(&s))
        .filter(|t| *t > now)
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
