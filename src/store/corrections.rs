//! A reviewer's corrections of a change's tags: every correction kept with
//! who, when, why, the values before and after; the change's own row (the
//! tagger's original) is never rewritten. The search index (categories and
//! HS digits) follows the latest correction, so filters find the change by
//! its corrected tags.

use super::db::{ts, Store};
use crate::model::{Change, CorrectedTags, Correction};
use chrono::{DateTime, Utc};

/// One correction with the change it corrects, for the export.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CorrectionRow {
    pub change_id: i64,
    pub source: String,
    pub jurisdiction: String,
    pub title: String,
    #[serde(flatten)]
    pub correction: Correction,
}

/// change id, source, jurisdiction, title, by, at, reason, before, after.
type ExportRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

impl Store {
    /// Record a correction and point the search index at its values.
    /// False when there is no such change.
    pub async fn add_correction(
        &self,
        change_id: i64,
        by: &str,
        at: DateTime<Utc>,
        reason: &str,
        before: &CorrectedTags,
        after: &CorrectedTags,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM changes WHERE id = CAST($1 AS BIGINT)")
                .bind(change_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO corrections (change_id, by_user, at, reason, before_tags, after_tags)
             VALUES (CAST($1 AS BIGINT), $2, $3, $4, $5, $6)",
        )
        .bind(change_id.to_string())
        .bind(by)
        .bind(ts(at))
        .bind(reason)
        .bind(serde_json::to_string(before)?)
        .bind(serde_json::to_string(after)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM change_categories WHERE change_id = CAST($1 AS BIGINT)")
            .bind(change_id.to_string())
            .execute(&mut *tx)
            .await?;
        for cat in &after.categories {
            sqlx::query("INSERT INTO change_categories (change_id, category) VALUES (CAST($1 AS BIGINT), $2) ON CONFLICT DO NOTHING")
                .bind(change_id.to_string())
                .bind(cat)
                .execute(&mut *tx)
                .await?;
        }
        // Chapters the text names stay searchable; the HS codes are the corrected ones.
        let chapters: String =
            sqlx::query_scalar("SELECT chapters FROM changes WHERE id = CAST($1 AS BIGINT)")
                .bind(change_id.to_string())
                .fetch_one(&mut *tx)
                .await?;
        let chapters: Vec<String> = serde_json::from_str(&chapters).unwrap_or_default();
        sqlx::query("DELETE FROM change_hs WHERE change_id = CAST($1 AS BIGINT)")
            .bind(change_id.to_string())
            .execute(&mut *tx)
            .await?;
        for hs in after.hs_codes.iter().chain(&chapters) {
            let digits: String = hs.chars().filter(|c| c.is_ascii_digit()).collect();
            sqlx::query("INSERT INTO change_hs (change_id, digits) VALUES (CAST($1 AS BIGINT), $2) ON CONFLICT DO NOTHING")
                .bind(change_id.to_string())
                .bind(digits)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Every correction, oldest first, with its change (the export).
    pub async fn all_corrections(&self) -> anyhow::Result<Vec<CorrectionRow>> {
        let rows: Vec<ExportRow> = sqlx::query_as(
            "SELECT k.change_id, c.source_id, c.jurisdiction, c.title, k.by_user, k.at, k.reason,
                        k.before_tags, k.after_tags
                 FROM corrections k JOIN changes c ON c.id = k.change_id ORDER BY k.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(id, source, jurisdiction, title, by, at, reason, before, after)| {
                    Ok(CorrectionRow {
                        change_id: id,
                        source,
                        jurisdiction,
                        title,
                        correction: Correction {
                            by,
                            at,
                            reason,
                            before: serde_json::from_str(&before)?,
                            after: serde_json::from_str(&after)?,
                        },
                    })
                },
            )
            .collect()
    }

    /// Each change's corrections, oldest first; the change shows the
    /// values of the latest.
    pub(super) async fn attach_corrections(&self, changes: &mut [Change]) -> anyhow::Result<()> {
        for chunk in changes.chunks_mut(500) {
            let ids: Vec<String> = chunk.iter().map(|c| c.id.to_string()).collect();
            if ids.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT change_id, by_user, at, reason, before_tags, after_tags FROM corrections
                 WHERE change_id IN ({}) ORDER BY id",
                ids.join(",")
            );
            let rows: Vec<(i64, String, String, String, String, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.pool)
                    .await?;
            for (cid, by, at, reason, before, after) in rows {
                let Some(c) = chunk.iter_mut().find(|c| c.id == cid) else {
                    continue;
                };
                let k = Correction {
                    by,
                    at,
                    reason,
                    before: serde_json::from_str(&before)?,
                    after: serde_json::from_str(&after)?,
                };
                c.categories = k.after.categories.clone();
                c.hs_codes = k.after.hs_codes.clone();
                c.effective_date = k.after.effective_date;
                c.corrections.push(k);
            }
        }
        Ok(())
    }
}
