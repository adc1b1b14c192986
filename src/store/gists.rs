//! The English gist of a change, kept beside it (`change_gists`): written
//! in the transaction that records the change, attached when it is read.
//! A change recorded before gists were kept has none.

use super::db::{Store, Tx};
use crate::model::{Change, Gist};

/// Keep a change's gist (nothing for a change without one).
pub(super) async fn insert(tx: &mut Tx<'_>, id: i64, gist: Option<&Gist>) -> anyhow::Result<()> {
    let Some(g) = gist else {
        return Ok(());
    };
    sqlx::query("INSERT INTO change_gists (change_id, lang, gist) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(&g.lang)
        .bind(serde_json::to_string(g)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Attach each change's gist. A stored gist that no longer reads (a
    /// hand-edited row) is logged and left out: the change itself still shows.
    pub(super) async fn attach_gists(&self, changes: &mut [Change]) -> anyhow::Result<()> {
        for chunk in changes.chunks_mut(500) {
            let ids: Vec<String> = chunk.iter().map(|c| c.id.to_string()).collect();
            let sql = format!(
                "SELECT change_id, gist FROM change_gists WHERE change_id IN ({})",
                ids.join(",")
            );
            let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&self.pool)
                .await?;
            for (id, json) in rows {
                let Some(c) = chunk.iter_mut().find(|c| c.id == id) else {
                    continue;
                };
                match serde_json::from_str::<Gist>(&json) {
                    Ok(g) => c.gist = Some(g),
                    Err(e) => {
                        tracing::warn!(change = id, error = %e, "a stored gist does not read; shown without it")
                    }
                }
            }
        }
        Ok(())
    }
}
