//! What recording a poll writes: the lock on the source's row, the
//! fetch-log line, the failure or hold, the move on to a new snapshot, the
//! items remembered and the health alerts, each as statements pushed to the
//! record's [`Batch`] (or run in its transaction). [`super::polls`] decides
//! which, and in what order.

use super::batch::Batch;
use super::db::{ts, Backend, Tx};
use super::outbox;
use super::poll_record::{health_of, PollRecord, HEALTH_COLUMNS, SEEN_DAYS};
use crate::health::{Standing, Transition};
use crate::model::{HealthChange as Health, PollOutcome, SourceHealth};

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
pub(super) fn log_fetch(batch: &mut Batch, rec: &PollRecord, superseded: bool) {
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
pub(super) fn save_failure(batch: &mut Batch, rec: &PollRecord, error: &str, after: Standing) {
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
pub(super) fn save_hold(
    batch: &mut Batch,
    rec: &PollRecord,
    hash: &str,
    reason: &str,
    after: Standing,
) {
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
pub(super) const MOVE_ON: &str = move_on_set!("last_snapshot_id");
/// The source moves on to the snapshot written earlier in the same batch
/// ($8 NULL): the newest of the source's snapshots, which under the
/// source's lock is the one this poll wrote. A poll without changes does
/// not need the new id back before its last statement, so its whole record
/// after the lock is one batch.
pub(super) const MOVE_ON_TO_NEW: &str =
    move_on_set!("(SELECT MAX(id) FROM snapshots WHERE source_id = $6)");

/// The values of [`MOVE_ON`]'s placeholders $1 to $13 (the moving poll's
/// $10 and $11: its standing after), for every statement that sets it.
pub(super) fn move_on_args(
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
pub(super) fn add<'t, T>(args: &mut sqlx::any::AnyArguments, value: T) -> anyhow::Result<()>
where
    T: sqlx::Encode<'t, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Arguments as _;
    args.add(value)
        .map_err(|e| anyhow::anyhow!("a value of a poll's record cannot be written: {e}"))
}

/// The snapshot a poll moves its source on to.
pub(super) enum NewSnapshot {
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
pub(super) async fn read_health(
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
pub(super) async fn move_on(
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
pub(super) fn remember(batch: &mut Batch, rec: &PollRecord) {
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
pub(super) async fn announce(
    tx: &mut Tx<'_>,
    rec: &PollRecord,
    t: &Transition,
) -> anyhow::Result<()> {
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
