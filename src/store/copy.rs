//! `regwatch db copy`: copy every table of one store into another, empty
//! one (typically SQLite → PostgreSQL), preserving ids, in batches, in one
//! transaction on the target.

use super::db::{Backend, Store, Tx};
use futures_util::TryStreamExt;
use sqlx::Row;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Int,
    Text,
}
use Ty::{Int, Text};

/// A table as copied: name, columns in order, the order to read rows in.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Ty)],
    order_by: &'static str,
    /// Has a BIGSERIAL/AUTOINCREMENT `id` whose sequence follows the copy.
    serial: bool,
}

/// Every table of the schema, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "contents",
        columns: &[("hash", Text), ("body", Text)],
        order_by: "hash",
        serial: false,
    },
    Table {
        name: "snapshots",
        columns: &[
            ("id", Int),
            ("source_id", Text),
            ("content_hash", Text),
            ("taken_at", Text),
        ],
        order_by: "id",
        serial: true,
    },
    Table {
        name: "source_state",
        columns: &[
            ("source_id", Text),
            ("etag", Text),
            ("last_modified", Text),
            ("last_snapshot_id", Int),
            ("last_poll_at", Text),
            ("last_success_at", Text),
            ("last_error", Text),
            ("consecutive_failures", Int),
            ("down", Int),
            ("next_poll_at", Text),
            ("lease_owner", Text),
            ("lease_until", Text),
            ("suspect_hash", Text),
            ("body_hash", Text),
            ("moved_to", Text),
            ("moved_from", Text),
            ("rate_limited_until", Text),
        ],
        order_by: "source_id",
        serial: false,
    },
    Table {
        name: "fetch_log",
        columns: &[
            ("id", Int),
            ("source_id", Text),
            ("started_at", Text),
            ("duration_ms", Int),
            ("status", Int),
            ("bytes", Int),
            ("outcome", Text),
            ("error", Text),
        ],
        order_by: "id",
        serial: true,
    },
    Table {
        name: "changes",
        columns: &[
            ("id", Int),
            ("source_id", Text),
            ("jurisdiction", Text),
            ("detected_at", Text),
            ("kind", Text),
            ("item_key", Text),
            ("title", Text),
            ("link", Text),
            ("excerpt", Text),
            ("diff", Text),
            ("body", Text),
            ("categories", Text),
            ("hs_codes", Text),
            ("evidence", Text),
            ("effective_date", Text),
            ("author", Text),
            ("snapshot_id", Int),
            ("deadline", Text),
            ("excluded_hs_codes", Text),
            ("chapters", Text),
            ("member", Text),
            ("origins", Text),
            ("story_id", Int),
            ("tags", Text),
            ("search_text", Text),
        ],
        order_by: "id",
        serial: true,
    },
    Table {
        name: "change_categories",
        columns: &[("change_id", Int), ("category", Text)],
        order_by: "change_id, category",
        serial: false,
    },
    Table {
        name: "change_hs",
        columns: &[("change_id", Int), ("digits", Text)],
        order_by: "change_id, digits",
        serial: false,
    },
    Table {
        name: "change_gists",
        columns: &[("change_id", Int), ("lang", Text), ("gist", Text)],
        order_by: "change_id",
        serial: false,
    },
    Table {
        name: "cases",
        columns: &[
            ("id", Text),
            ("client", Text),
            ("title", Text),
            ("country", Text),
            ("hs_codes", Text),
            ("categories", Text),
            ("keywords", Text),
            ("status", Text),
            ("link", Text),
            ("updated_at", Text),
            ("origin", Text),
        ],
        order_by: "id",
        serial: false,
    },
    // The index of open cases' match terms (derived from cases, copied so
    // the copy matches at once without rebuilding it).
    Table {
        name: "case_terms",
        columns: &[("term", Text), ("case_id", Text)],
        order_by: "term, case_id",
        serial: false,
    },
    Table {
        name: "case_vocabulary",
        columns: &[("term", Text), ("word", Text)],
        order_by: "term",
        serial: false,
    },
    Table {
        name: "case_terms_version",
        columns: &[("version", Int)],
        order_by: "version",
        serial: false,
    },
    Table {
        name: "case_matches",
        columns: &[
            ("change_id", Int),
            ("case_id", Text),
            ("reason", Text),
            ("strength", Text),
        ],
        order_by: "change_id, case_id",
        serial: false,
    },
    Table {
        name: "outbox",
        columns: &[
            ("id", Int),
            ("channel", Text),
            ("kind", Text),
            ("change_id", Int),
            ("payload", Text),
            ("idempotency_key", Text),
            ("status", Text),
            ("attempts", Int),
            ("next_attempt_at", Text),
            ("last_error", Text),
            ("created_at", Text),
            ("delivered_at", Text),
            ("lease_owner", Text),
            ("lease_until", Text),
        ],
        order_by: "id",
        serial: true,
    },
    Table {
        name: "reviews",
        columns: &[
            ("id", Int),
            ("change_id", Int),
            ("state", Text),
            ("by_user", Text),
            ("at", Text),
            ("note", Text),
        ],
        order_by: "id",
        serial: true,
    },
    Table {
        name: "dispositions",
        columns: &[
            ("id", Int),
            ("change_id", Int),
            ("case_id", Text),
            ("state", Text),
            ("by_user", Text),
            ("at", Text),
            ("note", Text),
        ],
        order_by: "id",
        serial: true,
    },
    Table {
        name: "client_notices",
        columns: &[
            ("id", Int),
            ("client", Text),
            ("body", Text),
            ("by_user", Text),
            ("at", Text),
        ],
        order_by: "id",
        serial: true,
    },
    Table {
        name: "corrections",
        columns: &[
            ("id", Int),
            ("change_id", Int),
            ("by_user", Text),
            ("at", Text),
            ("reason", Text),
            ("before_tags", Text),
            ("after_tags", Text),
        ],
        order_by: "id",
        serial: true,
    },
    Table {
        name: "seen_items",
        columns: &[("source_id", Text), ("item_key", Text), ("last_seen", Text)],
        order_by: "source_id, item_key",
        serial: false,
    },
    Table {
        name: "digest_state",
        columns: &[("channel", Text), ("period_end", Text)],
        order_by: "channel",
        serial: false,
    },
    Table {
        name: "liveness",
        columns: &[("instance", Text), ("at", Text)],
        order_by: "instance",
        serial: false,
    },
];

/// Bound parameters per INSERT (SQLite allows 32766, PostgreSQL 65535).
const PARAMS_PER_INSERT: usize = 4000;

enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// The tables a copy covers, with their columns (for checks and tests).
pub fn copied_columns() -> Vec<(&'static str, Vec<&'static str>)> {
    TABLES
        .iter()
        .map(|t| (t.name, t.columns.iter().map(|c| c.0).collect()))
        .collect()
}

impl Store {
    /// Rows per table, in copy order.
    pub async fn table_counts(&self) -> anyhow::Result<Vec<(&'static str, i64)>> {
        let mut out = vec![];
        for t in TABLES {
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {}",
                t.name
            )))
            .fetch_one(&self.pool)
            .await?;
            out.push((t.name, n));
        }
        Ok(out)
    }

    /// Copy every row of this store into `target`, which must be migrated
    /// and empty. Ids are preserved; on PostgreSQL the id sequences are moved
    /// past the copied ids. Either everything is copied or nothing (one
    /// transaction on the target). Returns rows copied per table.
    pub async fn copy_to(&self, target: &Store) -> anyhow::Result<Vec<(&'static str, u64)>> {
        let busy: Vec<String> = target
            .table_counts()
            .await?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{t} ({n} rows)"))
            .collect();
        if !busy.is_empty() {
            anyhow::bail!(
                "the target database is not empty: {}; copy only into a new, empty database",
                busy.join(", ")
            );
        }
        let mut tx = target.pool.begin().await?;
        let mut counts = vec![];
        for t in TABLES {
            let cols: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
            let select = format!(
                "SELECT {} FROM {} ORDER BY {}",
                cols.join(", "),
                t.name,
                t.order_by
            );
            let per_insert = (PARAMS_PER_INSERT / cols.len()).max(1);
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&self.pool);
            let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_insert);
            let mut n = 0u64;
            while let Some(row) = rows.try_next().await? {
                let mut vals = Vec::with_capacity(cols.len());
                for (i, (_, ty)) in t.columns.iter().enumerate() {
                    vals.push(match ty {
                        Int => Value::Int(row.try_get(i)?),
                        Text => Value::Text(row.try_get(i)?),
                    });
                }
                batch.push(vals);
                if batch.len() == per_insert {
                    n += insert_batch(&mut tx, t, &cols, std::mem::take(&mut batch)).await?;
                }
            }
            if !batch.is_empty() {
                n += insert_batch(&mut tx, t, &cols, batch).await?;
            }
            if t.serial && target.backend == Backend::Postgres {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE((SELECT MAX(id) FROM {0}), 0) + 1, false)",
                    t.name
                )))
                .execute(&mut *tx)
                .await?;
            }
            counts.push((t.name, n));
        }
        tx.commit().await?;
        Ok(counts)
    }
}

async fn insert_batch(
    tx: &mut Tx<'_>,
    t: &Table,
    cols: &[&str],
    batch: Vec<Vec<Value>>,
) -> anyhow::Result<u64> {
    let w = cols.len();
    let tuples: Vec<String> = (0..batch.len())
        .map(|r| {
            let ps: Vec<String> = (1..=w).map(|c| format!("${}", r * w + c)).collect();
            format!("({})", ps.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        t.name,
        cols.join(", "),
        tuples.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in batch {
        for v in row {
            q = match v {
                Value::Int(i) => q.bind(i),
                Value::Text(s) => q.bind(s),
            };
        }
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}
