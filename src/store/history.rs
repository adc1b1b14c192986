//! A source's past: its snapshots, newest first, and any one of them (the
//! history page and `/api/sources/{id}/snapshots`).

use super::db::{parse_ts, Store};
use crate::model::Content;
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// One stored snapshot of a source, its content decoded.
#[derive(Debug, Clone)]
pub struct StoredSnapshot {
    pub id: i64,
    pub source_id: String,
    pub taken_at: Option<DateTime<Utc>>,
    pub content_hash: String,
    pub content: Content,
}

impl Store {
    /// The last `limit` snapshots of `source_id`, newest first, with
    /// their content (a content shared by several snapshots is decoded once).
    pub async fn snapshots_of(
        &self,
        source_id: &str,
        limit: i64,
    ) -> anyhow::Result<Vec<StoredSnapshot>> {
        let rows = sqlx::query(
            "SELECT s.id, s.source_id, s.taken_at, s.content_hash, c.body FROM snapshots s
             JOIN contents c ON c.hash = s.content_hash
             WHERE s.source_id = $1 ORDER BY s.id DESC LIMIT $2",
        )
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut decoded: std::collections::HashMap<String, Content> = Default::default();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let hash: String = r.get("content_hash");
            let content = match decoded.get(&hash) {
                Some(c) => c.clone(),
                None => {
                    let c = decode(&r.get::<String, _>("body"))?;
                    decoded.insert(hash.clone(), c.clone());
                    c
                }
            };
            out.push(StoredSnapshot {
                id: r.get("id"),
                source_id: r.get("source_id"),
                taken_at: parse_ts(&r.get::<String, _>("taken_at")),
                content_hash: hash,
                content,
            });
        }
        Ok(out)
    }

    /// Snapshot `id` of `source_id` (None when that source has no such snapshot).
    pub async fn snapshot_of(
        &self,
        source_id: &str,
        id: i64,
    ) -> anyhow::Result<Option<StoredSnapshot>> {
        let row = sqlx::query(
            "SELECT s.id, s.source_id, s.taken_at, s.content_hash, c.body FROM snapshots s
             JOIN contents c ON c.hash = s.content_hash
             WHERE s.source_id = $1 AND s.id = $2",
        )
        .bind(source_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredSnapshot {
                id: r.get("id"),
                source_id: r.get("source_id"),
                taken_at: parse_ts(&r.get::<String, _>("taken_at")),
                content_hash: r.get("content_hash"),
                content: decode(&r.get::<String, _>("body"))?,
            })
        })
        .transpose()
    }
}

fn decode(body: &str) -> anyhow::Result<Content> {
    serde_json::from_str(&Store::decode_body(body)?).context("a stored snapshot is not valid JSON")
}
