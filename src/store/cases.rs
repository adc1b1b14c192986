//! Cases in the store, and their matches with changes (recorded with a
//! change, or when a case is matched back against the change log).

use super::db::{on_lane, ts, Backend, Store, Tx};
use crate::matching::{case_terms, is_keyword_term, Probe, TERMS_VERSION};
use crate::model::{Case, CaseMatch, Change, Strength, CASE_COLUMNS};
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

/// What matching reads of a case (`matching::match_case`, and the
/// `CaseMatch` it makes): every column but the title, the status (the
/// candidates are open cases) and the time of the last update.
const MATCH_COLUMNS: [&str; 8] = [
    "id",
    "client",
    "country",
    "hs_codes",
    "categories",
    "keywords",
    "link",
    "origin",
];

/// A candidate as [`candidate_row`] writes it: [`MATCH_COLUMNS`] in order.
type CandidateRow = (
    String,
    String,
    String,
    Vec<crate::model::HsCode>,
    Vec<String>,
    Vec<String>,
    Option<String>,
    Option<String>,
);

/// A row `c` of `cases` as a JSON array of its [`MATCH_COLUMNS`]. On
/// SQLite the text is put together from the columns (strings quoted by
/// `json_quote`, the lists as stored: JSON text written by serde), not
/// built as a JSON value: parsing the stored lists again to render them
/// was a fair part of the candidates' read. On PostgreSQL, a
/// `json_build_array`.
fn candidate_row(backend: Backend) -> String {
    let fields = MATCH_COLUMNS.iter().map(|k| {
        let list = matches!(*k, "hs_codes" | "categories" | "keywords");
        match (backend, list) {
            (Backend::Sqlite, true) => format!("c.{k}"),
            (Backend::Sqlite, false) => format!("json_quote(c.{k})"),
            (Backend::Postgres, true) => format!("c.{k}::json"),
            (Backend::Postgres, false) => format!("c.{k}"),
        }
    });
    match backend {
        Backend::Sqlite => format!(
            "'[' || {} || ']'",
            fields.collect::<Vec<_>>().join(" || ',' || ")
        ),
        Backend::Postgres => format!(
            "json_build_array({})",
            fields.collect::<Vec<_>>().join(", ")
        ),
    }
}

impl Store {
    /// Insert or update a case (idempotent by id). Returns true when it is new
    /// or changed.
    pub async fn upsert_case(&self, c: &Case, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let existing = self.case(&c.id).await?;
        if existing.as_ref() == Some(c) {
            return Ok(false);
        }
        self.ensure_case_terms().await?;
        let mut tx = self.pool.begin().await?;
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
        .execute(&mut *tx)
        .await?;
        replace_terms(&mut tx, self.backend, &[c]).await?;
        tx.commit().await?;
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

    /// The open cases going to one of `countries`, through the
    /// (status, country) index.
    pub async fn open_cases_in(
        &self,
        countries: &[crate::model::Country],
    ) -> anyhow::Result<Vec<Case>> {
        let ids: Vec<&str> = countries.iter().map(|c| c.as_str()).collect();
        let sql = format!(
            "SELECT * FROM cases WHERE status = 'open' AND country {} ORDER BY id",
            self.backend.in_json_ids(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(&ids)?)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(row_to_case).collect()
    }

    /// Which of these case ids are open cases.
    pub async fn open_among(
        &self,
        ids: &[&str],
    ) -> anyhow::Result<std::collections::HashSet<String>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT id FROM cases WHERE status = 'open' AND id {}",
            self.backend.in_json_ids(1)
        );
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(ids)?)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// One page of cases in id order: `limit` of them after the id `after`.
    pub async fn cases_page(
        &self,
        status: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<Case>> {
        let rows = sqlx::query(
            "SELECT * FROM cases WHERE ($1 = '' OR status = $1) AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(status.unwrap_or(""))
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(row_to_case).collect()
    }

    /// Start an import of cases: everything it writes is one transaction,
    /// committed by [`CaseImport::commit`] (dropped, it is rolled back).
    /// With `track_seen`, the ids it imports are noted so that the open
    /// cases it did not name can be closed.
    pub async fn begin_case_import(&self, track_seen: bool) -> anyhow::Result<CaseImport> {
        self.ensure_case_terms().await?;
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Sqlite {
            // The index of match terms takes inserts all over its keys: with
            // SQLite's 2 MB page cache a large import reads and writes the
            // same pages from the log again and again (half its time in the
            // kernel). A larger cache for the import's connection only, set
            // back at its end.
            sqlx::query(IMPORT_CACHE).execute(&mut *tx).await?;
        }
        if track_seen {
            sqlx::query("CREATE TEMPORARY TABLE IF NOT EXISTS import_seen (id TEXT PRIMARY KEY)")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM import_seen")
                .execute(&mut *tx)
                .await?;
        }
        Ok(CaseImport {
            tx,
            backend: self.backend,
        })
    }

    pub async fn close_case(&self, id: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE cases SET status = 'closed', updated_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        forget_terms(&mut tx, self.backend, &[id]).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// The open cases that may match a change: those sharing a term of the
    /// index with it (`matching::probe`), or holding a keyword of its
    /// countries whose last word (or that word with an ending) is among the
    /// change's words (`matching::text_keys`), in id order. A superset of
    /// the cases [`crate::matching::match_case`] accepts, read in one
    /// statement without touching the others; the index is built first when
    /// it is missing or older than this binary's terms. Each case holds what
    /// matching reads of it ([`MATCH_COLUMNS`]): its title is not read (left
    /// empty), its status is `open`.
    pub async fn candidate_cases(
        &self,
        probe: &Probe,
        title: &str,
        text: &str,
    ) -> anyhow::Result<Vec<Case>> {
        let keys = crate::matching::text_keys(title, text);
        let sql = self.candidates_sql(probe);
        let keys = serde_json::to_string(&keys)?;
        let read = || async {
            let mut q =
                sqlx::query_as::<_, (Option<i64>, String)>(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(serde_json::to_string(&probe.terms)?);
            for (lo, hi) in &probe.ranges {
                q = q.bind(lo).bind(hi);
            }
            if !probe.countries.is_empty() {
                q = q.bind(&keys);
                for c in &probe.countries {
                    q = q.bind(format!("{c}|kw:")).bind(format!("{c}|kw;"));
                }
            }
            // SQLite: on the connection with the cases' page cache. PostgreSQL:
            // on a lane (a pooled connection costs a round trip more, see `db`).
            anyhow::Ok(match &self.case_reader {
                Some(reader) => q.fetch_one(reader).await?,
                None => on_lane!(self, q, fetch_one),
            })
        };
        let (mut version, mut json) = read().await?;
        if version != Some(TERMS_VERSION) {
            self.rebuild_case_terms().await?;
            (version, json) = read().await?;
        }
        debug_assert_eq!(version, Some(TERMS_VERSION));
        let rows: Vec<CandidateRow> = serde_json::from_str(&json)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, client, country, hs_codes, categories, keywords, link, origin)| Case {
                    id,
                    client,
                    title: String::new(),
                    country,
                    hs_codes,
                    categories,
                    keywords,
                    status: "open".into(),
                    link,
                    origin,
                },
            )
            .collect())
    }

    /// The statement of [`Store::candidate_cases`]: the index's version, and
    /// the candidates as one JSON array (not a row per case: thousands of
    /// candidates of a common heading were as many hand-offs between
    /// threads and rows to decode). Parameters: the probe's terms (JSON),
    /// two per range, then the change's words (JSON) and two per country.
    fn candidates_sql(&self, probe: &Probe) -> String {
        let mut parts = vec![format!(
            "SELECT case_id FROM case_terms WHERE term {}",
            self.backend.in_json_ids(1)
        )];
        let mut n = 1;
        for _ in &probe.ranges {
            parts.push(format!(
                "SELECT case_id FROM case_terms WHERE term >= ${} AND term < ${}",
                n + 1,
                n + 2
            ));
            n += 2;
        }
        if !probe.countries.is_empty() {
            let words = n + 1;
            let within: Vec<String> = probe
                .countries
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    format!(
                        "(term >= ${} AND term < ${})",
                        words + 1 + 2 * i,
                        words + 2 + 2 * i
                    )
                })
                .collect();
            parts.push(format!(
                "SELECT case_id FROM case_terms WHERE term IN
                   (SELECT term FROM case_vocabulary WHERE word {} AND ({}))",
                self.backend.in_json_ids(words),
                within.join(" OR ")
            ));
        }
        // The candidates' ids first, then each case by its key (CROSS JOIN
        // keeps that order on SQLite), never a scan of the country's cases.
        let cases = format!(
            "SELECT c.* FROM ({}) t CROSS JOIN cases c
             WHERE c.id = t.case_id AND c.status = 'open'",
            parts.join(" UNION ")
        );
        let version = "(SELECT MAX(version) FROM case_terms_version)";
        match self.backend {
            Backend::Sqlite => format!(
                "SELECT {version}, '[' || COALESCE(group_concat({}, ','), '') || ']' FROM ({cases} ORDER BY c.id) c",
                candidate_row(self.backend)
            ),
            Backend::Postgres => format!(
                "SELECT {version}, COALESCE(json_agg({} ORDER BY id), '[]')::text FROM ({cases}) c",
                candidate_row(self.backend)
            ),
        }
    }

    /// Build the index of match terms when it is missing or older than this
    /// binary's terms (cheap on a store without cases), before cases are
    /// written: the writes keep a current index current.
    async fn ensure_case_terms(&self) -> anyhow::Result<()> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM case_terms_version")
            .fetch_one(&self.pool)
            .await?;
        if v != Some(TERMS_VERSION) {
            self.rebuild_case_terms().await?;
        }
        Ok(())
    }

    /// Derive the terms of every open case again (a store made before the
    /// index, or by an older binary); how many cases.
    pub async fn rebuild_case_terms(&self) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await?;
        for table in ["case_terms", "case_vocabulary", "case_terms_version"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        let (mut after, mut n) = (String::new(), 0u64);
        loop {
            let rows = sqlx::query(
                "SELECT * FROM cases WHERE status = 'open' AND id > $1 ORDER BY id LIMIT 2000",
            )
            .bind(&after)
            .fetch_all(&mut *tx)
            .await?;
            let cases: Vec<Case> = rows
                .into_iter()
                .map(row_to_case)
                .collect::<anyhow::Result<_>>()?;
            let Some(last) = cases.last() else { break };
            after = last.id.clone();
            n += cases.len() as u64;
            insert_terms(&mut tx, self.backend, &cases.iter().collect::<Vec<_>>()).await?;
        }
        sqlx::query("INSERT INTO case_terms_version (version) VALUES ($1)")
            .bind(TERMS_VERSION)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(cases = n, "case match index built");
        Ok(n)
    }

    /// Record matches of existing changes to a case (back-matching).
    pub async fn add_case_matches(
        &self,
        case_id: &str,
        matches: &[(i64, Strength, String)],
    ) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let n = insert_matches(&mut tx, self.backend, &for_case(case_id, matches)).await?;
        tx.commit().await?;
        Ok(n as usize)
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

/// The page cache of an import's SQLite connection (64 MiB, in KiB as a
/// negative count), and SQLite's default it is set back to.
const IMPORT_CACHE: &str = "PRAGMA cache_size = -65536";
const DEFAULT_CACHE: &str = "PRAGMA cache_size = -2000";

/// An import of cases in progress: one transaction.
pub struct CaseImport {
    tx: Tx<'static>,
    backend: Backend,
}

/// A case as one element of a batch's JSON.
fn case_json(c: &Case) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::json!({
        "id": c.id, "client": c.client, "title": c.title, "country": c.country,
        "hs_codes": serde_json::to_string(&c.hs_codes)?,
        "categories": serde_json::to_string(&c.categories)?,
        "keywords": serde_json::to_string(&c.keywords)?,
        "status": c.status, "link": c.link, "origin": c.origin,
    }))
}

impl CaseImport {
    /// Insert or update a batch of cases (distinct ids) in one statement;
    /// the ids of those that were new or changed.
    pub async fn upsert(
        &mut self,
        cases: &[&Case],
        now: DateTime<Utc>,
    ) -> anyhow::Result<std::collections::HashSet<String>> {
        if cases.is_empty() {
            return Ok(Default::default());
        }
        let batch = serde_json::Value::Array(
            cases
                .iter()
                .map(|c| case_json(c))
                .collect::<anyhow::Result<_>>()?,
        );
        // Every column but the key.
        let cols = &CASE_COLUMNS[1..];
        let (from, field): (&str, fn(&str) -> String) = match self.backend {
            super::db::Backend::Sqlite => {
                ("json_each($1)", |k| format!("json_extract(value, '$.{k}')"))
            }
            super::db::Backend::Postgres => ("json_array_elements($1::json) AS value", |k| {
                format!("value->>'{k}'")
            }),
        };
        let same = self.backend.null_safe_eq();
        let sql = format!(
            "INSERT INTO cases (id, {cols}, updated_at)
             SELECT {id}, {vals}, $2 FROM {from} WHERE true
             ON CONFLICT(id) DO UPDATE SET {sets}, updated_at = excluded.updated_at
             WHERE NOT ({unchanged})
             RETURNING id",
            cols = cols.join(", "),
            id = field("id"),
            vals = cols.iter().map(|k| field(k)).collect::<Vec<_>>().join(", "),
            sets = cols
                .iter()
                .map(|k| format!("{k} = excluded.{k}"))
                .collect::<Vec<_>>()
                .join(", "),
            unchanged = cols
                .iter()
                .map(|k| format!("cases.{k} {same} excluded.{k}"))
                .collect::<Vec<_>>()
                .join(" AND "),
        );
        let ids: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(batch.to_string())
            .bind(ts(now))
            .fetch_all(&mut *self.tx)
            .await?;
        let ids: std::collections::HashSet<String> = ids.into_iter().map(|(id,)| id).collect();
        let changed: Vec<&Case> = cases
            .iter()
            .copied()
            .filter(|c| ids.contains(&c.id))
            .collect();
        replace_terms(&mut self.tx, self.backend, &changed).await?;
        Ok(ids)
    }

    /// Note the ids of a batch as named by the import.
    pub async fn seen(&mut self, cases: &[&Case]) -> anyhow::Result<()> {
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        let sql = format!(
            "INSERT INTO import_seen (id) {} ON CONFLICT DO NOTHING",
            self.backend.json_ids(1)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(&ids)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Forget the matches of these cases (before matching them again).
    pub async fn clear_matches(&mut self, cases: &[&Case]) -> anyhow::Result<()> {
        if cases.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        let sql = format!(
            "DELETE FROM case_matches WHERE case_id {}",
            self.backend.in_json_ids(1)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(&ids)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Record matches of existing changes to a case.
    pub async fn add_matches(
        &mut self,
        case_id: &str,
        matches: &[(i64, Strength, String)],
    ) -> anyhow::Result<usize> {
        let n = insert_matches(&mut self.tx, self.backend, &for_case(case_id, matches)).await?;
        Ok(n as usize)
    }

    /// Close the open cases the import did not name; how many.
    pub async fn close_unseen(&mut self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let closed: Vec<String> = sqlx::query_scalar(
            "UPDATE cases SET status = 'closed', updated_at = $1
             WHERE status = 'open' AND id NOT IN (SELECT id FROM import_seen)
             RETURNING id",
        )
        .bind(ts(now))
        .fetch_all(&mut *self.tx)
        .await?;
        for chunk in closed.chunks(5000) {
            let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
            forget_terms(&mut self.tx, self.backend, &ids).await?;
        }
        Ok(closed.len() as u64)
    }

    /// Give the import up: nothing of it is written, and the connection's
    /// page cache is set back (the setting outlives the transaction).
    pub async fn abandon(mut self) -> anyhow::Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query(DEFAULT_CACHE).execute(&mut *self.tx).await?;
        }
        self.tx.rollback().await?;
        Ok(())
    }

    pub async fn commit(mut self) -> anyhow::Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query(DEFAULT_CACHE).execute(&mut *self.tx).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}

/// Record the cases (id, reason, strength) a change matches, each once;
/// how many were new.
pub(super) async fn insert_change_matches(
    tx: &mut Tx<'_>,
    backend: Backend,
    change_id: i64,
    matches: impl IntoIterator<Item = (&str, &str, Strength)>,
) -> anyhow::Result<u64> {
    let rows: Vec<(i64, &str, &str, &str)> = matches
        .into_iter()
        .map(|(case_id, reason, strength)| (change_id, case_id, reason, strength.as_str()))
        .collect();
    insert_matches(tx, backend, &rows).await
}

/// Record matches (change id, case id, reason, strength), each once: one
/// statement for them all (a change of a common heading matches thousands
/// of cases). How many were new.
pub(super) async fn insert_matches(
    tx: &mut Tx<'_>,
    backend: Backend,
    rows: &[(i64, &str, &str, &str)],
) -> anyhow::Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let from = match backend {
        Backend::Sqlite => {
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each($1) WHERE true"
        }
        Backend::Postgres => {
            "SELECT (value->>0)::bigint, value->>1, value->>2, value->>3 FROM json_array_elements($1::json) AS value WHERE true"
        }
    };
    let sql = format!(
        "INSERT INTO case_matches (change_id, case_id, reason, strength) {from} ON CONFLICT DO NOTHING"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(serde_json::to_string(rows)?)
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// One case's matches to existing changes, as [`insert_matches`] takes them.
fn for_case<'a>(
    case_id: &'a str,
    matches: &'a [(i64, Strength, String)],
) -> Vec<(i64, &'a str, &'a str, &'a str)> {
    matches
        .iter()
        .map(|(change_id, strength, reason)| {
            (*change_id, case_id, reason.as_str(), strength.as_str())
        })
        .collect()
}

/// Drop the index terms of these cases (closed, or about to be written again).
async fn forget_terms(tx: &mut Tx<'_>, backend: Backend, ids: &[&str]) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM case_terms WHERE case_id {}",
        backend.in_json_ids(1)
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(serde_json::to_string(ids)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Write the index terms of these cases (and their keywords to the
/// vocabulary): two statements for the whole batch.
async fn insert_terms(tx: &mut Tx<'_>, backend: Backend, cases: &[&Case]) -> anyhow::Result<()> {
    let mut pairs: Vec<(String, &str)> = vec![];
    let mut vocabulary: Vec<(String, String)> = vec![];
    for c in cases {
        for t in case_terms(c) {
            if is_keyword_term(&t) {
                vocabulary.push((t.clone(), crate::matching::vocabulary_key(&t)));
            }
            pairs.push((t, c.id.as_str()));
        }
    }
    if pairs.is_empty() {
        return Ok(());
    }
    let from = match backend {
        Backend::Sqlite => {
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each($1) WHERE true"
        }
        Backend::Postgres => {
            "SELECT value->>0, value->>1 FROM json_array_elements($1::json) AS value WHERE true"
        }
    };
    let sql = format!("INSERT INTO case_terms (term, case_id) {from} ON CONFLICT DO NOTHING");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(serde_json::to_string(&pairs)?)
        .execute(&mut **tx)
        .await?;
    if !vocabulary.is_empty() {
        vocabulary.sort();
        vocabulary.dedup();
        let sql = format!("INSERT INTO case_vocabulary (term, word) {from} ON CONFLICT DO NOTHING");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(serde_json::to_string(&vocabulary)?)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Replace the index terms of these cases by their current ones (none once
/// closed).
async fn replace_terms(tx: &mut Tx<'_>, backend: Backend, cases: &[&Case]) -> anyhow::Result<()> {
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    forget_terms(tx, backend, &ids).await?;
    insert_terms(tx, backend, cases).await
}
