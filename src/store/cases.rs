//! Cases in the store, and their matches with changes (recorded with a
//! change, or when a case is matched back against the change log).

use super::db::{ts, Store, Tx};
use crate::model::{Case, CaseMatch, Change, Strength};
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
        matches: &[(i64, Strength, String)],
    ) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        for (change_id, strength, reason) in matches {
            n += insert_match(&mut tx, *change_id, case_id, reason, *strength).await? as usize;
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

    /// Each change's case matches, by case id.
    pub(super) async fn attach_cases(&self, changes: &mut [Change]) -> anyhow::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = changes.iter().map(|c| c.id.to_string()).collect();
        let sql = format!(
            "SELECT m.change_id, m.case_id, c.link, m.reason, m.strength, c.client FROM case_matches m
             LEFT JOIN cases c ON c.id = m.case_id
             WHERE m.change_id IN ({}) ORDER BY m.case_id",
            ids.join(",")
        );
        type Row = (i64, String, Option<String>, String, String, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        for (cid, case, link, reason, strength, client) in rows {
            if let Some(c) = changes.iter_mut().find(|c| c.id == cid) {
                c.cases.push(CaseMatch {
                    id: case,
                    client: client.unwrap_or_default(),
                    link,
                    strength: Strength::parse(&strength).unwrap_or_default(),
                    reason,
                    disposition: Default::default(),
                });
            }
        }
        // Strongest first, then by case id.
        for c in changes.iter_mut() {
            c.cases
                .sort_by(|a, b| a.strength.cmp(&b.strength).then_with(|| a.id.cmp(&b.id)));
        }
        self.attach_dispositions(changes).await?;
        Ok(())
    }
}

/// Record that a change matches a case (once). Returns 1 when recorded, 0
/// when it was already.
pub(super) async fn insert_match(
    tx: &mut Tx<'_>,
    change_id: i64,
    case_id: &str,
    reason: &str,
    strength: Strength,
) -> anyhow::Result<u64> {
    Ok(sqlx::query("INSERT INTO case_matches (change_id, case_id, reason, strength) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(change_id)
        .bind(case_id)
        .bind(reason)
        .bind(strength.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected())
}
