//! Review marks on changes: every mark is kept (the audit trail); a
//! change shows its last.

use super::db::{ts, Store};
use crate::model::{Change, Review};
use chrono::{DateTime, Utc};

impl Store {
    /// Record a review mark (every mark is kept). False when there is no such change.
    pub async fn add_review(
        &self,
        change_id: i64,
        state: &str,
        by: &str,
        at: DateTime<Utc>,
        note: Option<&str>,
    ) -> anyhow::Result<bool> {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM changes WHERE id = CAST($1 AS BIGINT)")
                .bind(change_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        if exists.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO reviews (change_id, state, by_user, at, note) VALUES (CAST($1 AS BIGINT), $2, $3, $4, $5)",
        )
        .bind(change_id.to_string())
        .bind(state)
        .bind(by)
        .bind(ts(at))
        .bind(note)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    /// Every review mark of a change, oldest first (the audit trail).
    pub async fn reviews(&self, change_id: i64) -> anyhow::Result<Vec<Review>> {
        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT state, by_user, at, note FROM reviews WHERE change_id = CAST($1 AS BIGINT) ORDER BY id",
        )
        .bind(change_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(state, by, at, note)| Review {
                state,
                by: Some(by),
                at: Some(at),
                note,
            })
            .collect())
    }

    /// Each change's last review mark.
    pub(super) async fn attach_reviews(&self, changes: &mut [Change]) -> anyhow::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = changes.iter().map(|c| c.id.to_string()).collect();
        let sql = format!(
            "SELECT change_id, state, by_user, at, note FROM reviews
             WHERE change_id IN ({}) ORDER BY id",
            ids.join(",")
        );
        let rows: Vec<(i64, String, String, String, Option<String>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&self.pool)
                .await?;
        // Ordered by id: the last mark of each change wins.
        for (cid, state, by, at, note) in rows {
            if let Some(c) = changes.iter_mut().find(|c| c.id == cid) {
                c.review = Review {
                    state,
                    by: Some(by),
                    at: Some(at),
                    note,
                };
            }
        }
        Ok(())
    }
}
