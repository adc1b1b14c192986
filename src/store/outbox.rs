//! The persistent outbox: deliveries queued in the transaction that records
//! what they are about, claimed by senders, retried with backoff, never lost.

use super::db::{parse_ts, ts, Store, Tx};
use chrono::{DateTime, Utc};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub change_id: Option<i64>,
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub status: String,
    /// When it was queued (for delivery latency).
    pub created_at: Option<DateTime<Utc>>,
}

/// Queue one delivery in the transaction that records what it is about.
pub(super) async fn enqueue(
    tx: &mut Tx<'_>,
    channel: &str,
    kind: &str,
    change_id: Option<i64>,
    payload: &serde_json::Value,
    key: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO outbox (channel, kind, change_id, payload, idempotency_key, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT(idempotency_key) DO NOTHING",
    )
    .bind(channel)
    .bind(kind)
    .bind(change_id)
    .bind(payload.to_string())
    .bind(key)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn row_to_delivery(r: sqlx::any::AnyRow) -> Delivery {
    Delivery {
        id: r.get("id"),
        channel: r.get("channel"),
        kind: r.get("kind"),
        change_id: r.get("change_id"),
        payload: serde_json::from_str(&r.get::<String, _>("payload")).unwrap_or_default(),
        idempotency_key: r.get("idempotency_key"),
        attempts: r.get("attempts"),
        last_error: r.get("last_error"),
        next_attempt_at: parse_ts(&r.get::<String, _>("next_attempt_at")),
        status: r.get("status"),
        created_at: parse_ts(&r.get::<String, _>("created_at")),
    }
}

impl Store {
    /// Queue one delivery outside of a poll (a digest, a field report).
    pub async fn enqueue(
        &self,
        channel: &str,
        kind: &str,
        change_id: Option<i64>,
        payload: &serde_json::Value,
        key: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        enqueue(&mut tx, channel, kind, change_id, payload, key, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claim pending deliveries that are due (or all pending when `force`),
    /// leasing them to `owner` so that no other sender takes them meanwhile.
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
        force: bool,
    ) -> anyhow::Result<Vec<Delivery>> {
        // The rows to take are picked once (a MATERIALIZED CTE): as a plain
        // `IN (subquery)`, PostgreSQL may rescan the subquery for every row
        // and claim past the limit. On PostgreSQL, SKIP LOCKED makes a
        // concurrent claim pass over the rows this one takes, and the outer
        // lease check is re-evaluated on rows changed meanwhile. On SQLite
        // the single statement is atomic (writers are serialized).
        let sql = format!(
            "WITH picked AS MATERIALIZED (
                 SELECT id FROM outbox WHERE status = 'pending'
                   AND ($3 OR next_attempt_at <= $4)
                   AND (lease_until IS NULL OR lease_until < $4)
                 ORDER BY id LIMIT $5{})
             UPDATE outbox SET lease_owner = $1, lease_until = $2
             WHERE id IN (SELECT id FROM picked)
               AND status = 'pending' AND (lease_until IS NULL OR lease_until < $4)
             RETURNING *",
            self.backend.skip_locked()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(ts(now + lease))
            .bind(force)
            .bind(ts(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut v: Vec<Delivery> = rows.into_iter().map(row_to_delivery).collect();
        v.sort_by_key(|d| d.id);
        Ok(v)
    }

    /// Leases still held, as (delivery id, owner).
    pub async fn held_leases(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, lease_owner FROM outbox WHERE status = 'pending' AND lease_owner IS NOT NULL AND lease_until >= $1",
        )
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Give up `owner`'s lease on a delivery (its sender died).
    pub async fn release_lease(&self, id: i64, owner: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2")
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn mark_delivered(&self, id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'delivered', delivered_at = $1, attempts = attempts + 1,
             last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE id = $2",
        )
        .bind(ts(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2,
             lease_owner = NULL, lease_until = NULL WHERE id = $3",
        )
        .bind(error)
        .bind(ts(retry_at))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every delivery not yet delivered, oldest first.
    pub async fn pending_deliveries(&self) -> anyhow::Result<Vec<Delivery>> {
        let rows = sqlx::query("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(row_to_delivery).collect())
    }

    pub async fn deliveries(&self) -> anyhow::Result<Vec<Delivery>> {
        let rows = sqlx::query("SELECT * FROM outbox ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(row_to_delivery).collect())
    }

    pub async fn outbox_depth(&self) -> anyhow::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Deliveries waiting, by channel.
    pub async fn outbox_depth_by_channel(&self) -> anyhow::Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT channel, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY channel ORDER BY channel",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn digest_period_end(&self, channel: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT period_end FROM digest_state WHERE channel = $1")
                .bind(channel)
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.and_then(|s| parse_ts(&s)))
    }

    /// Close a digest period and queue its delivery, in one transaction.
    ///
    /// Several instances may try to close the same period: the one whose
    /// statement moves `period_end` forward (or creates the row) wins and
    /// queues the digest; the others get `false` and queue nothing. The
    /// outbox idempotency key (channel and period end) is the last guard.
    pub async fn close_digest_period(
        &self,
        channel: &str,
        period_end: DateTime<Utc>,
        payload: Option<&serde_json::Value>,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let won = sqlx::query(
            "INSERT INTO digest_state (channel, period_end) VALUES ($1, $2)
             ON CONFLICT(channel) DO UPDATE SET period_end = excluded.period_end
             WHERE digest_state.period_end < excluded.period_end
             RETURNING channel",
        )
        .bind(channel)
        .bind(ts(period_end))
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if !won {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(p) = payload {
            enqueue(
                &mut tx,
                channel,
                "digest",
                None,
                p,
                &format!("digest:{channel}:{}", ts(period_end)),
                period_end,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
