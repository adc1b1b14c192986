//! Per-case dispositions of changes and saved client notices: every mark
//! and every save is kept (the audit trail); what is shown is the latest.

use super::db::{ts, Store};
use crate::model::{Change, Disposition};
use chrono::{DateTime, Utc};

/// One saved client notice.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SavedNotice {
    pub client: String,
    pub body: String,
    pub by: String,
    pub at: String,
}

impl Store {
    /// Record a disposition of change `change_id` for case `case_id`. False
    /// when the change does not match that case.
    pub async fn add_disposition(
        &self,
        change_id: i64,
        case_id: &str,
        state: &str,
        by: &str,
        at: DateTime<Utc>,
        note: Option<&str>,
    ) -> anyhow::Result<bool> {
        let matched: Option<String> = sqlx::query_scalar(
            "SELECT case_id FROM case_matches WHERE change_id = CAST($1 AS BIGINT) AND case_id = $2",
        )
        .bind(change_id.to_string())
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?;
        if matched.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO dispositions (change_id, case_id, state, by_user, at, note)
             VALUES (CAST($1 AS BIGINT), $2, $3, $4, $5, $6)",
        )
        .bind(change_id.to_string())
        .bind(case_id)
        .bind(state)
        .bind(by)
        .bind(ts(at))
        .bind(note)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    /// Every disposition of a change, oldest first: (case id, mark).
    pub async fn dispositions(&self, change_id: i64) -> anyhow::Result<Vec<(String, Disposition)>> {
        let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT case_id, state, by_user, at, note FROM dispositions
             WHERE change_id = CAST($1 AS BIGINT) ORDER BY id",
        )
        .bind(change_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(case, state, by, at, note)| {
                (
                    case,
                    Disposition {
                        state,
                        by: Some(by),
                        at: Some(at),
                        note,
                    },
                )
            })
            .collect())
    }

    /// Each case match's latest disposition.
    pub(super) async fn attach_dispositions(&self, changes: &mut [Change]) -> anyhow::Result<()> {
        if changes.iter().all(|c| c.cases.is_empty()) {
            return Ok(());
        }
        let ids: Vec<String> = changes.iter().map(|c| c.id.to_string()).collect();
        let sql = format!(
            "SELECT change_id, case_id, state, by_user, at, note FROM dispositions
             WHERE change_id IN ({}) ORDER BY id",
            ids.join(",")
        );
        type Row = (i64, String, String, String, String, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        // Ordered by id: the last mark of each (change, case) wins.
        for (cid, case, state, by, at, note) in rows {
            if let Some(m) = changes
                .iter_mut()
                .find(|c| c.id == cid)
                .and_then(|c| c.cases.iter_mut().find(|m| m.id == case))
            {
                m.disposition = Disposition {
                    state,
                    by: Some(by),
                    at: Some(at),
                    note,
                };
            }
        }
        Ok(())
    }

    /// Keep a client notice as an officer saved it.
    pub async fn save_notice(
        &self,
        client: &str,
        body: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO client_notices (client, body, by_user, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(client)
        .bind(body)
        .bind(by)
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest saved notice of a client, if any.
    pub async fn latest_notice(&self, client: &str) -> anyhow::Result<Option<SavedNotice>> {
        let r: Option<(String, String, String)> = sqlx::query_as(
            "SELECT body, by_user, at FROM client_notices WHERE client = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(client)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|(body, by, at)| SavedNotice {
            client: client.to_string(),
            body,
            by,
            at,
        }))
    }

    /// How many changes nobody has reviewed yet (their latest mark is `new`, or none).
    pub async fn count_new(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM changes c WHERE {}",
            super::changes::UNREVIEWED
        )))
        .fetch_one(&self.pool)
        .await?)
    }
}
