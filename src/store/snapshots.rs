//! Snapshots: the content a poll read, stored once per distinct content
//! (by its hash) and compressed; a source's snapshots point at it.

use super::batch::Batch;
use super::db::{ts, Store};
use crate::model::Content;
use anyhow::Context;
use chrono::{DateTime, Utc};

/// Marks a compressed snapshot body.
const ZSTD_PREFIX: &str = "zstd:";
/// zstd level for snapshot bodies: fast, and JSON listings shrink 5-10x.
const BODY_ZSTD_LEVEL: i32 = 3;

impl Store {
    /// When watching each source began: its first snapshot (the baseline of
    /// its first successful poll), by source id.
    pub async fn watched_since(
        &self,
    ) -> anyhow::Result<std::collections::HashMap<String, DateTime<Utc>>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT source_id, MIN(taken_at) FROM snapshots GROUP BY source_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, at)| super::db::parse_ts(&at).map(|t| (id, t)))
            .collect())
    }

    /// A stored snapshot body: zstd-compressed JSON (`zstd:` + base64, so it
    /// fits the TEXT column of both backends), or plain JSON as stored
    /// before compression.
    pub(super) fn encode_body(json: &str) -> anyhow::Result<String> {
        use base64::Engine as _;
        // One compression context per thread, kept: making one for each
        // snapshot (its tables allocated, cleared and freed every time) was
        // a visible part of a catch-up poll's CPU.
        thread_local! {
            static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
                const { std::cell::RefCell::new(None) };
        }
        let z = COMPRESSOR.with(|c| -> std::io::Result<Vec<u8>> {
            let mut c = c.borrow_mut();
            if c.is_none() {
                *c = Some(zstd::bulk::Compressor::new(BODY_ZSTD_LEVEL)?);
            }
            match c.as_mut() {
                Some(c) => c.compress(json.as_bytes()),
                None => zstd::bulk::compress(json.as_bytes(), BODY_ZSTD_LEVEL),
            }
        })?;
        Ok(format!(
            "{ZSTD_PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(z)
        ))
    }

    pub fn decode_body(stored: &str) -> anyhow::Result<String> {
        use base64::Engine as _;
        let Some(b64) = stored.strip_prefix(ZSTD_PREFIX) else {
            return Ok(stored.to_string());
        };
        let z = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(b64)
            .context("a stored snapshot is not valid base64")?;
        let raw =
            zstd::stream::decode_all(&z[..]).context("a stored snapshot does not decompress")?;
        String::from_utf8(raw).context("a stored snapshot is not UTF-8")
    }

    pub async fn snapshot_content(&self, snapshot_id: i64) -> anyhow::Result<Option<Content>> {
        let body: Option<String> = sqlx::query_scalar(
            "SELECT c.body FROM snapshots s JOIN contents c ON c.hash = s.content_hash WHERE s.id = $1",
        )
        .bind(snapshot_id)
        .fetch_optional(&self.pool)
        .await?;
        body.map(|b| {
            serde_json::from_str(&Store::decode_body(&b)?)
                .context("a stored snapshot is not valid JSON")
        })
        .transpose()
    }

    pub async fn count_snapshots(&self, source_id: &str) -> anyhow::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM snapshots WHERE source_id = $1")
                .bind(source_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

/// A snapshot's stored body: its content as JSON, compressed (see
/// [`Store::encode_body`]). Made before the statements that write it.
pub(super) fn body(content: &Content) -> anyhow::Result<String> {
    Store::encode_body(&serde_json::to_string(content)?)
}

/// Add to `batch` the record of a snapshot of `source_id` taken at `at`,
/// its content stored once, under its hash. With `id_back`, the last
/// statement returns the snapshot's id (see [`inserted_id`]); a batch's
/// statements but its last must return no rows.
pub(super) fn push_insert(
    batch: &mut Batch,
    source_id: &str,
    hash: &str,
    body: String,
    at: DateTime<Utc>,
    id_back: bool,
) {
    batch
        .push("INSERT INTO contents (hash, body) VALUES ($1, $2) ON CONFLICT(hash) DO NOTHING")
        .bind(hash)
        .bind(body);
    let insert = "INSERT INTO snapshots (source_id, content_hash, taken_at) VALUES ($1, $2, $3)";
    batch
        .push(if id_back {
            format!("{insert} RETURNING id")
        } else {
            insert.to_string()
        })
        .bind(source_id)
        .bind(hash)
        .bind(ts(at));
}

/// The id of the snapshot whose insert ended a batch.
pub(super) fn inserted_id(rows: Vec<sqlx::any::AnyRow>) -> anyhow::Result<i64> {
    let row = rows
        .first()
        .context("the new snapshot's id did not come back")?;
    Ok(sqlx::Row::try_get(row, 0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The poll's JSON (made for the content's hash) is stored as the
    /// content serialized by the store would be: the body reads back as
    /// the same content.
    #[test]
    fn a_body_from_the_polls_json_is_the_contents_body() {
        let content = crate::model::Content::Items {
            items: (0..3)
                .map(|i| crate::model::Item {
                    key: format!("link:https://a.example/{i}"),
                    title: format!("Tebliğ {i} \"Ek\""),
                    link: Some(format!("https://a.example/{i}")),
                    text: "GTİP 8517.62\nçizelge".into(),
                    published: None,
                })
                .collect(),
        };
        let json = crate::normalize::content_json(&content);
        let from_json = Store::encode_body(&json).unwrap();
        assert_eq!(from_json, body(&content).unwrap());
        let back: crate::model::Content =
            serde_json::from_str(&Store::decode_body(&from_json).unwrap()).unwrap();
        assert_eq!(back, content);
        assert_eq!(
            crate::normalize::content_hash(&content),
            crate::normalize::sha256_hex(json.as_bytes())
        );
    }

    #[test]
    fn snapshot_bodies_are_compressed_and_old_ones_still_read() {
        let json = serde_json::to_string(&serde_json::json!({"type": "items", "items":
            (0..200).map(|i| serde_json::json!({"key": format!("link:https://a.example/{i}"), "title": "Telsiz ekipmanı duyurusu", "text": "GTİP 8517.62"})).collect::<Vec<_>>()}))
        .unwrap();
        let stored = Store::encode_body(&json).unwrap();
        assert!(stored.starts_with("zstd:"));
        assert!(
            stored.len() * 4 < json.len(),
            "{} vs {}",
            stored.len(),
            json.len()
        );
        assert_eq!(Store::decode_body(&stored).unwrap(), json);
        assert_eq!(
            Store::decode_body("{\"type\":\"text\",\"text\":\"x\"}").unwrap(),
            "{\"type\":\"text\",\"text\":\"x\"}"
        );
        assert!(Store::decode_body("zstd:!!!").is_err());
    }
}
