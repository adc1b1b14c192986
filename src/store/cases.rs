//! Cases in the store.

use super::{ts, Store};
use crate::model::Case;
use chrono::{DateTime, Utc};
use sqlx::Row;

fn row_to_case(r: sqlx::any::AnyRow) -> anyhow::Result<Case> {
    Ok(Case {
        id: r.get("id"),
        client: r.get("client"),
        title: r.get("title"),
        country: r.get("country"),
        hs_codes: serde_json::from_str(&r.get::<String, _>("hs_codes"))?,
        categories: serde_json::from_str(&r.get::<String, _>("categories"))?,
        keywords: serde_json::from_str(&r.get::<String, _>("keywords"))?,
        status: r.get("status"),
        link: r.get("link"),
        origin: r.get("origin"),
    })
}

impl Store {
    /// Insert or update a case (idempotent by id). Returns true when it is new
    /// or changed.
    pub async fn upsert_case(&self, c: &Case, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let existing = self.case(&c.id).await?;
        if existing.as_ref() == Some(c) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO cases (id, client, title, country, hs_codes, categories, keywords, status, link, updated_at, origin)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT(id) DO UPDATE SET client = excluded.client, title = excluded.title,
               country = excluded.country, hs_codes = excluded.hs_codes, categories = excluded.categories,
               keywords = excluded.keywords, status = excluded.status, link = excluded.link,
               updated_at = excluded.updated_at, origin = excluded.origin",
        )
        .bind(&c.id)
        .bind(&c.client)
        .bind(&c.title)
        .bind(&c.country)
        .bind(serde_json::to_string(&c.hs_codes)?)
        .bind(serde_json::to_string(&c.categories)?)
        .bind(serde_json::to_string(&c.keywords)?)
        .bind(&c.status)
        .bind(&c.link)
        .bind(ts(now))
        .bind(&c.origin)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    pub async fn case(&self, id: &str) -> anyhow::Result<Option<Case>> {
        let r = sqlx::query("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(row_to_case).transpose()
    }

    pub async fn cases(&self, status: Option<&str>) -> anyhow::Result<Vec<Case>> {
        let rows = match status {
            Some(s) => {
                sqlx::query("SELECT * FROM cases WHERE status = $1 ORDER BY id")
                    .bind(s)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM cases ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter().map(row_to_case).collect()
    }

    pub async fn open_cases(&self) -> anyhow::Result<Vec<Case>> {
        self.cases(Some("open")).await
    }

    pub async fn close_case(&self, id: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let n = sqlx::query("UPDATE cases SET status = 'closed', updated_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    /// Record matches of existing changes to a case (back-matching).
    pub async fn add_case_matches(
        &self,
        case_id: &str,
        matches: &[(i64, crate::model::Strength, String)],
    ) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        for (change_id, strength, reason) in matches {
            n += sqlx::query("INSERT INTO case_matches (change_id, case_id, reason, strength) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(change_id)
                .bind(case_id)
                .bind(reason)
                .bind(strength.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Forget the matches of a case (before re-matching an updated case).
    pub async fn clear_case_matches(&self, case_id: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM case_matches WHERE case_id = $1")
            .bind(case_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
