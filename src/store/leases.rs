//! The plan (when each source is next due) and source leases: several
//! daemon instances share one database, and each due source is polled by
//! exactly one of them. An instance claims due sources
//! for a while (the lease); recording the poll releases the lease. An
//! instance that dies leaves leases that expire, and the others take its
//! sources over.

use super::db::{on_lane, parse_ts, ts, Store};
use chrono::{DateTime, Utc};

/// The plan of a source parked because it is not (or no longer) an enabled
/// source of the configuration: never due.
pub const PARKED: &str = "9999-12-31T00:00:00.000000Z";

impl Store {
    /// Plan a source's next poll at `at`.
    pub async fn set_next_poll(&self, source_id: &str, at: DateTime<Utc>) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO source_state (source_id, next_poll_at) VALUES ($1, $2)
             ON CONFLICT(source_id) DO UPDATE SET next_poll_at = excluded.next_poll_at",
        )
        .bind(source_id)
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Up to `limit` sources due at `now` (never polled, or their plan
    /// reached) and not leased to another instance, most overdue first, with
    /// their plans. Read through the `next_poll_at` index: the cost does not
    /// grow with the number of sources that are not due.
    /// Sources `owner` holds itself are included (it knows which it polls).
    pub async fn due_sources(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        limit: i64,
    ) -> anyhow::Result<Vec<(String, Option<DateTime<Utc>>)>> {
        // Two index range reads (never-polled first, then the most overdue),
        // so no step sorts the whole table: an ORDER BY over an expression
        // would, and it did, once per dispatch.
        let free = "(lease_until IS NULL OR lease_until <= $1 OR lease_owner = $3)";
        let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT source_id, next_poll_at FROM source_state
             WHERE next_poll_at IS NULL AND {free}
             LIMIT $2"
        )))
        .bind(ts(now))
        .bind(limit.max(0))
        .bind(owner);
        let mut rows: Vec<(String, Option<String>)> = on_lane!(self, q, fetch_all);
        let left = limit.max(0) - rows.len() as i64;
        if left > 0 {
            let q = sqlx::query_as::<_, (String, Option<String>)>(sqlx::AssertSqlSafe(format!(
                "SELECT source_id, next_poll_at FROM source_state
                 WHERE next_poll_at <= $1 AND {free}
                 ORDER BY next_poll_at
                 LIMIT $2"
            )))
            .bind(ts(now))
            .bind(left)
            .bind(owner);
            rows.extend(on_lane!(self, q, fetch_all));
        }
        #[cfg(test)]
        self.scheduler_rows
            .fetch_add(rows.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(rows
            .into_iter()
            .map(|(id, t)| (id, t.and_then(|t| parse_ts(&t))))
            .collect())
    }

    /// The earliest plan after `now` (what the scheduler sleeps towards).
    pub async fn next_plan_after(
        &self,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let t: Option<String> = sqlx::query_scalar(
            "SELECT MIN(next_poll_at) FROM source_state WHERE next_poll_at > $1 AND next_poll_at < $2",
        )
        .bind(ts(now))
        .bind(PARKED)
        .fetch_one(&self.pool)
        .await?;
        Ok(t.and_then(|t| parse_ts(&t)))
    }

    /// Make the store's plan match the configuration: a row for every
    /// enabled source (new ones are due now), and sources that are not
    /// enabled parked. Returns how many rows were parked.
    pub async fn sync_planned_sources(&self, enabled: &[String]) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await?;
        let all = serde_json::to_string(enabled)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO source_state (source_id) {} ON CONFLICT(source_id) DO NOTHING",
            self.backend.json_ids(1)
        )))
        .bind(&all)
        .execute(&mut *tx)
        .await?;
        // Un-park the enabled ones (a source enabled again is due now).
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE source_state SET next_poll_at = NULL WHERE next_poll_at = $1 AND source_id {}",
            self.backend.in_json_ids(2)
        )))
        .bind(PARKED)
        .bind(&all)
        .execute(&mut *tx)
        .await?;
        let known: Vec<String> = sqlx::query_scalar(
            "SELECT source_id FROM source_state WHERE next_poll_at IS NULL OR next_poll_at <> $1",
        )
        .bind(PARKED)
        .fetch_all(&mut *tx)
        .await?;
        let enabled: std::collections::HashSet<&str> = enabled.iter().map(String::as_str).collect();
        let park: Vec<String> = known
            .into_iter()
            .filter(|id| !enabled.contains(id.as_str()))
            .collect();
        if !park.is_empty() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE source_state SET next_poll_at = $1 WHERE source_id {}",
                self.backend.in_json_ids(2)
            )))
            .bind(PARKED)
            .bind(serde_json::to_string(&park)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(park.len() as u64)
    }

    /// Claim up to `limit` of `source_ids` that are due at `now` (never polled,
    /// or `next_poll_at` reached) and not leased to a live instance, leasing
    /// them to `owner` until `now + lease`. Returns the claimed ids, most
    /// overdue first. Two owners never get the same source while its lease
    /// runs; on PostgreSQL rows locked by a concurrent claim are skipped.
    /// An owner may claim again a source it holds: it knows whether it is
    /// still polling it (a poll that could not be recorded keeps its lease,
    /// and is retried by the same instance).
    pub async fn claim_due_sources(
        &self,
        owner: &str,
        source_ids: &[String],
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<String>> {
        if source_ids.is_empty() || limit <= 0 {
            return Ok(vec![]);
        }
        let ids = serde_json::to_string(source_ids)?;
        // Sources never seen get their row first, so they can be locked.
        // Look first: the scheduler calls this for every dispatch, and an
        // INSERT of every due id would be a write transaction each time.
        let q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!(
            "SELECT source_id FROM source_state WHERE source_id {}",
            self.backend.in_json_ids(1)
        )))
        .bind(&ids);
        let known: std::collections::HashSet<String> =
            on_lane!(self, q, fetch_all).into_iter().collect();
        if source_ids.iter().any(|id| !known.contains(id)) {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO source_state (source_id) {} ON CONFLICT(source_id) DO NOTHING",
                self.backend.json_ids(1)
            )))
            .bind(&ids)
            .execute(&self.pool)
            .await?;
        }
        let now_s = ts(now);
        let until = ts(now + lease);
        // $1 owner, $2 lease end, $3 now, $4 limit, $5 the ids.
        let free = "(lease_until IS NULL OR lease_until <= $3 OR lease_owner = $1)";
        // Picked once (MATERIALIZED): a plain `IN (subquery)` may be
        // rescanned by PostgreSQL per row and claim past the limit.
        let sql = format!(
            "WITH picked AS MATERIALIZED (
                 SELECT source_id FROM source_state
                 WHERE source_id {ids}
                   AND (next_poll_at IS NULL OR next_poll_at <= $3)
                   AND {free}
                 ORDER BY COALESCE(next_poll_at, ''), source_id
                 LIMIT $4{lock})
             UPDATE source_state SET lease_owner = $1, lease_until = $2
             WHERE source_id IN (SELECT source_id FROM picked)
               AND {free}
             RETURNING source_id, next_poll_at",
            ids = self.backend.in_json_ids(5),
            lock = self.backend.skip_locked(),
        );
        let q = sqlx::query_as::<_, (String, Option<String>)>(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(&until)
            .bind(&now_s)
            .bind(limit)
            .bind(&ids);
        let mut claimed = on_lane!(self, q, fetch_all);
        claimed.sort_by(|a, b| {
            (a.1.as_deref().unwrap_or(""), &a.0).cmp(&(b.1.as_deref().unwrap_or(""), &b.0))
        });
        Ok(claimed.into_iter().map(|(id, _)| id).collect())
    }

    /// A source not polled because its site asked us to wait until `until`
    /// (see `poll::poll_source`): planned no earlier than then, and its
    /// lease given up, as a recorded poll would.
    pub async fn defer_source(&self, source_id: &str, until: DateTime<Utc>) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE source_state SET lease_owner = NULL, lease_until = NULL,
             next_poll_at = CASE WHEN next_poll_at IS NULL OR next_poll_at < $2 THEN $2
                                 ELSE next_poll_at END
             WHERE source_id = $1",
        )
        .bind(source_id)
        .bind(ts(until))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Give up `owner`'s lease on a source without recording a poll (the
    /// poll was cancelled). A lease held by another owner is left alone.
    pub async fn release_source(&self, owner: &str, source_id: &str) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE source_state SET lease_owner = NULL, lease_until = NULL
             WHERE source_id = $1 AND lease_owner = $2",
        )
        .bind(source_id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Give up every lease `owner` holds (on shutdown).
    pub async fn release_all_sources(&self, owner: &str) -> anyhow::Result<u64> {
        Ok(sqlx::query(
            "UPDATE source_state SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Source leases still running at `now`, as (source id, owner).
    pub async fn source_leases(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT source_id, lease_owner FROM source_state
             WHERE lease_owner IS NOT NULL AND lease_until > $1 ORDER BY source_id",
        )
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?)
    }
}

/// What the scheduler's tests look at.
#[cfg(test)]
impl Store {
    /// Rows the scheduler's queries have returned so far.
    pub(crate) fn scheduler_rows_read(&self) -> u64 {
        self.scheduler_rows
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Plan every source's next poll at `at`, in one statement.
    pub(crate) async fn plan_every_source(&self, at: DateTime<Utc>) -> anyhow::Result<()> {
        sqlx::query("UPDATE source_state SET next_poll_at = $1")
            .bind(ts(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
