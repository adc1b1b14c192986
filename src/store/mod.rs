//! The store: one API over SQLite and PostgreSQL for snapshots, changes,
//! cases, the outbox and source leases. Runtime-checked queries through
//! sqlx's `Any` driver, so every query is written once; the few places where
//! the backends differ branch on [`Backend`]. Migrations per backend,
//! embedded and applied at start.

use crate::model::{CaseMatch, Change, ChangeKind, Content, SourceHealth};
pub use crate::model::{ChangeRecord, HealthChange as Health, PollOutcome, Tags};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, Row};
use std::time::Duration;

pub mod cases;
pub mod copy;
pub mod leases;
pub mod outbox;

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// Row locking for a claim subquery: other instances skip what one has
    /// locked instead of waiting for it (and then claiming it again).
    /// The ids of a JSON array of strings bound as parameter `param`, for
    /// `source_id IN (…)`: one statement text whatever the list's length,
    /// so it is prepared once (an `IN ($1, …, $n)` list was a new
    /// statement, parsed and planned again, for every length).
    pub(crate) fn json_ids(self, param: usize) -> String {
        match self {
            // `WHERE true`: SQLite reads `INSERT … SELECT … ON CONFLICT`
            // only with a WHERE (else ON would start a join constraint).
            Backend::Postgres => {
                format!("SELECT json_array_elements_text(${param}::json) WHERE true")
            }
            Backend::Sqlite => format!("SELECT value FROM json_each(${param}) WHERE true"),
        }
    }

    /// `= ANY(…)`/`IN (…)` of the ids in the JSON array bound as `param`:
    /// `source_id {}`. On PostgreSQL as an array, so the planner looks the
    /// ids up in the primary key (an `IN (subquery)` was a hash join over
    /// every due row: 1.6 ms a claim with 6,000 overdue sources, 0.3 ms now).
    pub(crate) fn in_json_ids(self, param: usize) -> String {
        match self {
            Backend::Postgres => {
                format!("= ANY(ARRAY(SELECT json_array_elements_text(${param}::json)))")
            }
            Backend::Sqlite => format!("IN (SELECT value FROM json_each(${param}))"),
        }
    }

    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // SQLite serializes writers: one UPDATE ... RETURNING is atomic.
            Backend::Sqlite => "",
        }
    }
}

/// Marks a compressed snapshot body.
const ZSTD_PREFIX: &str = "zstd:";
/// zstd level for snapshot bodies: fast, and JSON listings shrink 5-10x.
const BODY_ZSTD_LEVEL: i32 = 3;

/// A transaction on either backend.
pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

static DRIVERS: std::sync::Once = std::sync::Once::new();

/// Times are stored as fixed-width RFC 3339 UTC text, so they sort as text.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// Rows the scheduler's queries returned (a test checks that a dispatch
    /// reads the due sources only, not every source).
    pub(crate) scheduler_rows: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Debug, Clone, Default)]
pub struct SourceState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_snapshot_id: Option<i64>,
    pub last_hash: Option<String>,
    /// See [`PollRecord::body_hash`].
    pub body_hash: Option<String>,
    /// The content hash of a shrunken listing held as suspect by the last
    /// poll, which the next poll confirms by showing it again.
    pub suspect_hash: Option<String>,
    pub consecutive_failures: i64,
    pub down: bool,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub last_poll_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct PollRecord {
    pub source_id: String,
    pub jurisdiction: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status: Option<i64>,
    pub bytes: Option<i64>,
    pub outcome: PollOutcome,
    /// The snapshot the poll's diff was computed from (`last_snapshot_id`
    /// as [`Store::state`] read it; `None` before the first snapshot). A
    /// successful poll is recorded only while the source still stands
    /// there; otherwise another poll recorded in between and this one is
    /// superseded (see [`PollResult::superseded`]).
    pub expected_snapshot: Option<i64>,
    /// The fetched body's hash (with the rules), kept after a successful
    /// extraction so the same bytes are not parsed again.
    pub body_hash: Option<String>,
    pub next_poll_at: Option<DateTime<Utc>>,
    /// Consecutive failures that make a source "down".
    pub down_after: i64,
    /// Channels that receive source-health alerts.
    pub health_channels: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PollResult {
    pub change_ids: Vec<i64>,
    pub health: Option<Health>,
    /// Another poll of the source was recorded after this one read the
    /// source's state: only this poll's fetch-log line was recorded (no
    /// snapshot, no change, no alert, no state), since its diff was
    /// computed from a snapshot that is no longer the last one.
    pub superseded: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    pub since: Option<DateTime<Utc>>,
    /// The destination: changes of every jurisdiction that covers it.
    pub country: Option<crate::model::Country>,
    pub category: Option<String>,
    /// HS digits; matches by prefix both ways.
    pub hs: Option<Vec<String>>,
    pub source: Option<String>,
    pub case_id: Option<String>,
    pub query: Option<String>,
    pub limit: Option<i64>,
    /// Cursor: only changes with an id below this one.
    pub before_id: Option<i64>,
    pub ids: Option<Vec<i64>>,
}

impl Store {
    /// Open (and migrate) the store at `url`: `sqlite://PATH` (the file and
    /// its folder are created on first use) or `postgres://…`.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connect without migrating.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        match Backend::of_url(url) {
            Backend::Postgres => Store::connect_postgres(url).await,
            Backend::Sqlite => Store::connect_sqlite(url).await,
        }
    }

    async fn connect_postgres(url: &str) -> anyhow::Result<Store> {
        let shown = crate::util::redact_url(url);
        // One plain connection first: a refused connection or a bad password
        // is reported as such, at once (a pool retries until its timeout),
        // and a server that does not answer fails within 10 s.
        let probe = tokio::time::timeout(Duration::from_secs(10), async {
            use sqlx::Connection;
            sqlx::AnyConnection::connect(url).await?.close().await
        })
        .await
        .map_err(|_| {
            anyhow::anyhow!("cannot connect to PostgreSQL at {shown}: no answer within 10 s (is the server running and reachable?)")
        })?;
        probe.with_context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
        let pool = AnyPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
        Ok(Store {
            pool,
            backend: Backend::Postgres,
            scheduler_rows: Default::default(),
        })
    }

    async fn connect_sqlite(url: &str) -> anyhow::Result<Store> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let path = path.split('?').next().unwrap_or(path);
        let memory = path == ":memory:";
        if !memory {
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("cannot create the database folder {}", dir.display())
                    })?;
                }
            }
        }
        let any_url = if memory {
            "sqlite::memory:".to_string()
        } else {
            // Percent-encode what a URL would misread; sqlx decodes it again.
            let enc = path
                .replace('%', "%25")
                .replace('?', "%3F")
                .replace('#', "%23");
            format!("sqlite:{enc}?mode=rwc")
        };
        let mut opts = AnyPoolOptions::new()
            .max_connections(if memory { 1 } else { 4 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // busy_timeout first: switching to WAL takes a lock.
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    Ok(())
                })
            });
        if memory {
            // Every new connection would be a new, empty in-memory database.
            opts = opts
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = opts
            .connect(&any_url)
            .await
            .with_context(|| format!("cannot open the database {path}"))?;
        Ok(Store {
            pool,
            backend: Backend::Sqlite,
            scheduler_rows: Default::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await,
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await
            }
        }
        .context("applying database migrations")?;
        Ok(())
    }

    /// Close the pool (waits for connections in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the database answers (liveness).
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn state(&self, source_id: &str) -> anyhow::Result<SourceState> {
        let row = sqlx::query(
            "SELECT s.etag, s.last_modified, s.last_snapshot_id, s.consecutive_failures, s.down,
                    s.next_poll_at, s.last_poll_at, sn.content_hash, s.suspect_hash, s.body_hash
             FROM source_state s LEFT JOIN snapshots sn ON sn.id = s.last_snapshot_id
             WHERE s.source_id = $1",
        )
        .bind(source_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => SourceState::default(),
            Some(r) => SourceState {
                etag: r.get(0),
                last_modified: r.get(1),
                last_snapshot_id: r.get(2),
                consecutive_failures: r.get(3),
                down: r.get::<i64, _>(4) != 0,
                next_poll_at: r.get::<Option<String>, _>(5).and_then(|s| parse_ts(&s)),
                last_poll_at: r.get::<Option<String>, _>(6).and_then(|s| parse_ts(&s)),
                last_hash: r.get(7),
                suspect_hash: r.get(8),
                body_hash: r.get(9),
            },
        })
    }

    /// A stored snapshot body: zstd-compressed JSON (`zstd:` + base64, so it
    /// fits the TEXT column of both backends), or plain JSON as stored
    /// before compression.
    pub(crate) fn encode_body(json: &str) -> anyhow::Result<String> {
        use base64::Engine as _;
        let z = zstd::bulk::compress(json.as_bytes(), BODY_ZSTD_LEVEL)?;
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

    /// Record one poll: fetch log, snapshot, changes, tags, case matches,
    /// outbox rows and source state, in one transaction. Releases the
    /// source's lease (see [`Store::claim_due_sources`]).
    pub async fn record_poll(&self, rec: PollRecord) -> anyhow::Result<PollResult> {
        let now = ts(rec.started_at);
        let mut tx = self.pool.begin().await?;
        // The state row, created if need be and locked until commit in the
        // same statement: the polls of one source are recorded one after
        // the other and each sees the one before (on PostgreSQL the upsert
        // locks the row; on SQLite the write takes the database's lock).
        let (failures, down, current): (i64, i64, Option<i64>) = sqlx::query_as(
            "INSERT INTO source_state (source_id) VALUES ($1)
             ON CONFLICT(source_id) DO UPDATE SET consecutive_failures = source_state.consecutive_failures
             RETURNING consecutive_failures, down, last_snapshot_id",
        )
        .bind(&rec.source_id)
        .fetch_one(&mut *tx)
        .await?;
        // A poll that read the state before another poll of the source was
        // recorded diffed against a snapshot that is no longer the last:
        // recording its changes would record them twice (or report stale
        // ones). Only its fetch-log line is kept. A failure records no
        // snapshot, so it is never stale.
        let superseded =
            !matches!(rec.outcome, PollOutcome::Failed { .. }) && current != rec.expected_snapshot;
        let outcome_name = if superseded {
            crate::model::UNCHANGED
        } else {
            rec.outcome.name()
        };
        let error = match &rec.outcome {
            PollOutcome::Failed { error } => Some(error.clone()),
            PollOutcome::Suspect { reason, .. } => Some(reason.clone()),
            _ => None,
        };
        sqlx::query(
            "INSERT INTO fetch_log (source_id, started_at, duration_ms, status, bytes, outcome, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&rec.source_id)
        .bind(&now)
        .bind(rec.duration_ms)
        .bind(rec.status)
        .bind(rec.bytes)
        .bind(outcome_name)
        .bind(&error)
        .execute(&mut *tx)
        .await?;
        let next = rec.next_poll_at.map(ts);
        let mut result = PollResult::default();
        if superseded {
            tx.commit().await?;
            result.superseded = true;
            result.health = Some(Health::Same);
            return Ok(result);
        }
        let mut health = Health::Same;
        match rec.outcome {
            PollOutcome::Failed { error } => {
                let failures = failures + 1;
                let goes_down = down == 0 && failures >= rec.down_after;
                sqlx::query(
                    "UPDATE source_state SET last_poll_at = $1, last_error = $2, consecutive_failures = $3,
                     down = $4, next_poll_at = COALESCE($5, next_poll_at), lease_owner = NULL, lease_until = NULL
                     WHERE source_id = $6",
                )
                .bind(&now)
                .bind(&error)
                .bind(failures)
                .bind(if goes_down || down != 0 { 1i64 } else { 0i64 })
                .bind(&next)
                .bind(&rec.source_id)
                .execute(&mut *tx)
                .await?;
                if goes_down {
                    health = Health::WentDown;
                    let payload = serde_json::json!({
                        "source": rec.source_id, "jurisdiction": rec.jurisdiction, "state": "down",
                        "failures": failures, "error": error, "at": now,
                    });
                    queue_health(
                        &mut tx,
                        (&rec.source_id, rec.started_at, &rec.health_channels),
                        "down",
                        &payload,
                    )
                    .await?;
                }
            }
            PollOutcome::Suspect { hash, reason } => {
                // A health warning: the snapshot, the validators (so the
                // next poll fetches the content in full, to confirm it) and
                // the failure count stay as they are.
                sqlx::query(
                    "UPDATE source_state SET last_poll_at = $1, last_error = $2, suspect_hash = $3,
                     next_poll_at = COALESCE($4, next_poll_at), lease_owner = NULL, lease_until = NULL
                     WHERE source_id = $5",
                )
                .bind(&now)
                .bind(&reason)
                .bind(&hash)
                .bind(&next)
                .bind(&rec.source_id)
                .execute(&mut *tx)
                .await?;
            }
            ok => {
                let (etag, lm) = match &ok {
                    PollOutcome::Unchanged {
                        etag,
                        last_modified,
                    }
                    | PollOutcome::Changed {
                        etag,
                        last_modified,
                        ..
                    } => (etag.clone(), last_modified.clone()),
                    _ => (None, None),
                };
                let keep_validators = matches!(ok, PollOutcome::NotModified);
                let mut new_snapshot: Option<i64> = None;
                if let PollOutcome::Changed {
                    content,
                    hash,
                    changes,
                    ..
                } = ok
                {
                    let body = Store::encode_body(&serde_json::to_string(&content)?)?;
                    sqlx::query("INSERT INTO contents (hash, body) VALUES ($1, $2) ON CONFLICT(hash) DO NOTHING")
                        .bind(&hash)
                        .bind(&body)
                        .execute(&mut *tx)
                        .await?;
                    let snap_id: i64 = sqlx::query_scalar(
                        "INSERT INTO snapshots (source_id, content_hash, taken_at) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(&rec.source_id)
                    .bind(&hash)
                    .bind(&now)
                    .fetch_one(&mut *tx)
                    .await?;
                    new_snapshot = Some(snap_id);
                    for c in changes {
                        let id = insert_change(
                            &mut tx,
                            self.backend,
                            &rec.source_id,
                            &rec.jurisdiction,
                            rec.started_at,
                            &c,
                            Some(snap_id),
                            None,
                        )
                        .await?;
                        result.change_ids.push(id);
                    }
                }
                if down != 0 {
                    health = Health::Recovered;
                    let payload = serde_json::json!({
                        "source": rec.source_id, "jurisdiction": rec.jurisdiction, "state": "recovered",
                        "failures": failures, "at": now,
                    });
                    queue_health(
                        &mut tx,
                        (&rec.source_id, rec.started_at, &rec.health_channels),
                        "up",
                        &payload,
                    )
                    .await?;
                }
                // Compare-and-set, under the row lock taken above: a second
                // guard that this poll moves the source on from the
                // snapshot it diffed against, and from no other.
                let same = match self.backend {
                    Backend::Postgres => "IS NOT DISTINCT FROM",
                    Backend::Sqlite => "IS",
                };
                let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE source_state SET last_poll_at = $1, last_success_at = $1, last_error = NULL,
                     suspect_hash = NULL,
                     consecutive_failures = 0, down = 0, next_poll_at = COALESCE($2, next_poll_at),
                     etag = CASE WHEN $3 THEN etag ELSE $4 END,
                     last_modified = CASE WHEN $3 THEN last_modified ELSE $5 END,
                     body_hash = CASE WHEN $3 THEN body_hash ELSE $7 END,
                     last_snapshot_id = COALESCE($8, last_snapshot_id),
                     lease_owner = NULL, lease_until = NULL
                     WHERE source_id = $6 AND last_snapshot_id {same} $9"
                )))
                .bind(&now)
                .bind(&next)
                .bind(keep_validators)
                .bind(&etag)
                .bind(&lm)
                .bind(&rec.source_id)
                .bind(&rec.body_hash)
                .bind(new_snapshot)
                .bind(rec.expected_snapshot)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved != 1 {
                    anyhow::bail!(
                        "source `{}` moved on from snapshot {:?} while its poll was recorded",
                        rec.source_id,
                        rec.expected_snapshot
                    );
                }
            }
        }
        tx.commit().await?;
        result.health = Some(health);
        Ok(result)
    }

    /// Record a change entered by a person (a field report).
    pub async fn record_field_report(
        &self,
        jurisdiction: &str,
        at: DateTime<Utc>,
        rec: &ChangeRecord,
        author: &str,
    ) -> anyhow::Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id = insert_change(
            &mut tx,
            self.backend,
            "field",
            jurisdiction,
            at,
            rec,
            None,
            Some(author),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn set_next_poll(&self, source_id: &str, at: DateTime<Utc>) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO source_state (source_id, next_poll_at) VALUES ($1, $2)
             ON CONFLICT(source_id) DO UPDATE SET next_poll_at = excluded.next_poll_at",
        )
        .bind(source_id)
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn health(&self) -> anyhow::Result<Vec<SourceHealth>> {
        let rows = sqlx::query(
            "SELECT source_id, last_poll_at, last_success_at, last_error, consecutive_failures, next_poll_at, down
             FROM source_state ORDER BY source_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SourceHealth {
                id: r.get(0),
                last_poll_at: r.get::<Option<String>, _>(1).and_then(|s| parse_ts(&s)),
                last_success_at: r.get::<Option<String>, _>(2).and_then(|s| parse_ts(&s)),
                last_error: r.get(3),
                consecutive_failures: r.get(4),
                next_poll_at: r.get::<Option<String>, _>(5).and_then(|s| parse_ts(&s)),
                down: r.get::<i64, _>(6) != 0,
            })
            .collect())
    }

    pub async fn count_changes(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM changes")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn count_snapshots(&self, source_id: &str) -> anyhow::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM snapshots WHERE source_id = $1")
                .bind(source_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The fetch log of a source, newest first: (outcome, error).
    pub async fn fetch_log(
        &self,
        source_id: &str,
        limit: i64,
    ) -> anyhow::Result<Vec<(String, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT outcome, error FROM fetch_log WHERE source_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// When a source's current run of failed polls began: the first failed
    /// poll after its last poll that did not fail (None when the last poll worked).
    pub async fn failing_since(&self, source_id: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let t: Option<String> = sqlx::query_scalar(
            "SELECT MIN(started_at) FROM fetch_log WHERE source_id = $1 AND outcome = 'failed'
             AND id > COALESCE((SELECT MAX(id) FROM fetch_log WHERE source_id = $2 AND outcome <> 'failed'), 0)",
        )
        .bind(source_id)
        .bind(source_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(t.and_then(|t| parse_ts(&t)))
    }

    /// The text a change was detected in (the followed page's text, or the
    /// item's), as stored with it.
    pub async fn change_body(&self, id: i64) -> anyhow::Result<Option<String>> {
        let b: Option<Option<String>> =
            sqlx::query_scalar("SELECT body FROM changes WHERE id = CAST($1 AS BIGINT)")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(b.flatten())
    }

    pub async fn change(&self, id: i64) -> anyhow::Result<Option<Change>> {
        let f = ChangeFilter {
            ids: Some(vec![id]),
            limit: Some(1),
            ..Default::default()
        };
        Ok(self.changes(&f).await?.into_iter().next())
    }

    /// The change log, newest first, with every filter of the CLI.
    pub async fn changes(&self, f: &ChangeFilter) -> anyhow::Result<Vec<Change>> {
        let mut sql = String::from(
            "SELECT c.id, c.source_id, c.jurisdiction, c.detected_at, c.kind, c.title, c.link, c.excerpt,
                    c.diff, c.categories, c.hs_codes, c.evidence, c.effective_date, c.author,
                    c.deadline, c.excluded_hs_codes, c.chapters, c.member, c.origins, c.story_id
             FROM changes c WHERE 1=1",
        );
        let mut binds: Vec<String> = vec![];
        let p = |binds: &mut Vec<String>, v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        if let Some(since) = f.since {
            let ph = p(&mut binds, ts(since));
            sql.push_str(&format!(" AND c.detected_at >= {ph}"));
        }
        if let Some(country) = &f.country {
            // The jurisdictions whose rules reach this destination (the
            // model decides: itself, and the EU for a member state).
            let phs: Vec<String> = country
                .covered_by()
                .into_iter()
                .map(|j| p(&mut binds, j.to_string()))
                .collect();
            // A WTO notification covers its notifying member.
            let list = phs.join(", ");
            sql.push_str(&format!(
                " AND (c.jurisdiction IN ({list}) OR (c.jurisdiction = 'WTO' AND c.member IN ({list})))"
            ));
        }
        if let Some(cat) = &f.category {
            let ph = p(&mut binds, cat.to_lowercase());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM change_categories k WHERE k.change_id = c.id AND k.category = {ph})"
            ));
        }
        if let Some(hs) = &f.hs {
            let mut ors = vec![];
            for code in hs {
                let ph = p(&mut binds, code.clone());
                ors.push(format!(
                    "(h.digits LIKE {ph} || '%' OR {ph} LIKE h.digits || '%')"
                ));
            }
            if !ors.is_empty() {
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM change_hs h WHERE h.change_id = c.id AND ({}))",
                    ors.join(" OR ")
                ));
            }
        }
        if let Some(src) = &f.source {
            let ph = p(&mut binds, src.clone());
            sql.push_str(&format!(" AND c.source_id = {ph}"));
        }
        if let Some(case) = &f.case_id {
            let ph = p(&mut binds, case.clone());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM case_matches m WHERE m.change_id = c.id AND m.case_id = {ph})"
            ));
        }
        if let Some(q) = &f.query {
            for word in q.split_whitespace() {
                let ph = p(
                    &mut binds,
                    format!("%{}%", word.replace('%', "\\%").replace('_', "\\_")),
                );
                // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE on
                // "C"-collated columns does the same.
                let like = match self.backend {
                    Backend::Sqlite => "LIKE",
                    Backend::Postgres => "ILIKE",
                };
                sql.push_str(&format!(
                    " AND (c.title {like} {ph} ESCAPE '\\' OR c.excerpt {like} {ph} ESCAPE '\\' OR c.body {like} {ph} ESCAPE '\\' OR c.hs_codes {like} {ph} ESCAPE '\\')"
                ));
            }
        }
        if let Some(before) = f.before_id {
            let ph = p(&mut binds, before.to_string());
            sql.push_str(&format!(" AND c.id < CAST({ph} AS BIGINT)"));
        }
        if let Some(ids) = &f.ids {
            let phs: Vec<String> = ids.iter().map(|i| p(&mut binds, i.to_string())).collect();
            if phs.is_empty() {
                return Ok(vec![]);
            }
            let list: Vec<String> = phs
                .iter()
                .map(|ph| format!("CAST({ph} AS BIGINT)"))
                .collect();
            sql.push_str(&format!(" AND c.id IN ({})", list.join(",")));
        }
        sql.push_str(" ORDER BY c.id DESC");
        if let Some(l) = f.limit {
            sql.push_str(&format!(" LIMIT {}", l.max(0)));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut out: Vec<Change> = rows
            .into_iter()
            .map(|r| -> anyhow::Result<Change> {
                let kind: String = r.get(4);
                Ok(Change {
                    id: r.get(0),
                    source: r.get(1),
                    jurisdiction: r.get(2),
                    detected_at: parse_ts(&r.get::<String, _>(3)).unwrap_or_default(),
                    kind: ChangeKind::parse(&kind).unwrap_or(ChangeKind::Text),
                    title: r.get(5),
                    link: r.get(6),
                    excerpt: r.get(7),
                    diff: r.get(8),
                    categories: serde_json::from_str(&r.get::<String, _>(9))?,
                    hs_codes: serde_json::from_str(&r.get::<String, _>(10))?,
                    evidence: serde_json::from_str(&r.get::<String, _>(11))?,
                    effective_date: r
                        .get::<Option<String>, _>(12)
                        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    author: r.get(13),
                    deadline: r
                        .get::<Option<String>, _>(14)
                        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                    excluded_hs_codes: serde_json::from_str(&r.get::<String, _>(15))?,
                    chapters: serde_json::from_str(&r.get::<String, _>(16))?,
                    member: r.get(17),
                    urgency: Default::default(),
                    review: Default::default(),
                    urgency_reasons: vec![],
                    story_id: r.get::<Option<i64>, _>(19).unwrap_or(r.get(0)),
                    also_reported_by: vec![],
                    origins: serde_json::from_str(&r.get::<String, _>(18))?,
                    cases: vec![],
                    url: String::new(),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        self.attach_cases(&mut out).await?;
        self.attach_reviews(&mut out).await?;
        self.attach_stories(&mut out).await?;
        Ok(out)
    }

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
    pub async fn reviews(&self, change_id: i64) -> anyhow::Result<Vec<crate::model::Review>> {
        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT state, by_user, at, note FROM reviews WHERE change_id = CAST($1 AS BIGINT) ORDER BY id",
        )
        .bind(change_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(state, by, at, note)| crate::model::Review {
                state,
                by: Some(by),
                at: Some(at),
                note,
            })
            .collect())
    }

    async fn attach_reviews(&self, changes: &mut [Change]) -> anyhow::Result<()> {
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
                c.review = crate::model::Review {
                    state,
                    by: Some(by),
                    at: Some(at),
                    note,
                };
            }
        }
        Ok(())
    }

    /// Each change's story members from other sources, oldest first.
    async fn attach_stories(&self, changes: &mut [Change]) -> anyhow::Result<()> {
        // One query per 500 stories, on the story index.
        let mut stories: Vec<i64> = changes.iter().map(|c| c.story_id).collect();
        stories.sort_unstable();
        stories.dedup();
        for chunk in stories.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let sql = format!(
                "SELECT id, source_id, title, link, detected_at, story_id FROM changes
                 WHERE story_id IN ({}) ORDER BY id",
                list.join(",")
            );
            let rows: Vec<(i64, String, String, Option<String>, String, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.pool)
                    .await?;
            for c in changes.iter_mut() {
                c.also_reported_by.extend(
                    rows.iter()
                        .filter(|r| r.5 == c.story_id && r.0 != c.id)
                        .map(|(id, src, title, link, at, _)| crate::model::StoryMember {
                            id: *id,
                            source_id: src.clone(),
                            title: title.clone(),
                            link: link.clone(),
                            detected_at: parse_ts(at).unwrap_or_default(),
                            url: String::new(),
                        }),
                );
            }
        }
        Ok(())
    }

    async fn attach_cases(&self, changes: &mut [Change]) -> anyhow::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = changes.iter().map(|c| c.id.to_string()).collect();
        let sql = format!(
            "SELECT m.change_id, m.case_id, c.link, m.reason, m.strength FROM case_matches m
             LEFT JOIN cases c ON c.id = m.case_id
             WHERE m.change_id IN ({}) ORDER BY m.case_id",
            ids.join(",")
        );
        let rows: Vec<(i64, String, Option<String>, String, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&self.pool)
                .await?;
        for (cid, case, link, reason, strength) in rows {
            if let Some(c) = changes.iter_mut().find(|c| c.id == cid) {
                c.cases.push(CaseMatch {
                    id: case,
                    link,
                    strength: crate::model::Strength::parse(&strength).unwrap_or_default(),
                    reason,
                });
            }
        }
        Ok(())
    }
}

/// Queue one source-health alert (`state` is `down` or `up`) to every
/// health channel, keyed so a transition is announced once per channel.
async fn queue_health(
    tx: &mut Tx<'_>,
    (source_id, started_at, channels): (&str, DateTime<Utc>, &[String]),
    state: &str,
    payload: &serde_json::Value,
) -> anyhow::Result<()> {
    let at = ts(started_at);
    for ch in channels {
        let key = format!("health:{source_id}:{state}:{at}:{ch}");
        outbox::enqueue(tx, ch, "health", None, payload, &key, started_at).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_change(
    tx: &mut Tx<'_>,
    backend: Backend,
    source_id: &str,
    jurisdiction: &str,
    at: DateTime<Utc>,
    rec: &ChangeRecord,
    snapshot_id: Option<i64>,
    author: Option<&str>,
) -> anyhow::Result<i64> {
    // Two sources recording the same act at once (the polls of one
    // `regwatch poll`, or two instances) must see each other when their
    // changes are linked into stories: on PostgreSQL, recording changes is
    // serialized by a transaction-level lock held to commit, taken before
    // the id is drawn, so ids follow the order of recording and the next
    // transaction reads the change the one before committed. One lock for
    // all: a lock per jurisdiction could deadlock two polls of WTO
    // notifications of several members. SQLite serializes writers already
    // (a poll holds the write lock from its first INSERT).
    if backend == Backend::Postgres {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT pg_advisory_xact_lock({STORY_LOCK})"
        )))
        .execute(&mut **tx)
        .await?;
    }
    let c = &rec.change;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO changes (source_id, jurisdiction, detected_at, kind, item_key, title, link, excerpt, diff,
             body, categories, hs_codes, evidence, effective_date, author, snapshot_id,
             deadline, excluded_hs_codes, chapters, member, origins)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
         RETURNING id",
    )
    .bind(source_id)
    .bind(jurisdiction)
    .bind(ts(at))
    .bind(c.kind.as_str())
    .bind(&c.item_key)
    .bind(&c.title)
    .bind(&c.link)
    .bind(&c.excerpt)
    .bind(&c.diff)
    .bind(&c.text)
    .bind(serde_json::to_string(&rec.tags.categories)?)
    .bind(serde_json::to_string(&rec.tags.hs_codes)?)
    .bind(serde_json::to_string(&rec.tags.evidence)?)
    .bind(rec.tags.effective_date.map(|d| d.format("%Y-%m-%d").to_string()))
    .bind(author)
    .bind(snapshot_id)
    .bind(rec.tags.deadline.map(|d| d.format("%Y-%m-%d").to_string()))
    .bind(serde_json::to_string(&rec.tags.excluded_hs_codes)?)
    .bind(serde_json::to_string(&rec.tags.chapters)?)
    .bind(&rec.tags.member)
    .bind(serde_json::to_string(&rec.tags.origins)?)
    .fetch_one(&mut **tx)
    .await?;
    for cat in &rec.tags.categories {
        sqlx::query("INSERT INTO change_categories (change_id, category) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(cat)
            .execute(&mut **tx)
            .await?;
    }
    // Chapters are searchable as 2-digit codes: a check for 8524.11 finds "Fasıl 85".
    for hs in rec.tags.hs_codes.iter().chain(&rec.tags.chapters) {
        let digits: String = hs.chars().filter(|c| c.is_ascii_digit()).collect();
        sqlx::query(
            "INSERT INTO change_hs (change_id, digits) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(digits)
        .execute(&mut **tx)
        .await?;
    }
    for m in &rec.cases {
        sqlx::query("INSERT INTO case_matches (change_id, case_id, reason, strength) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(&m.id)
            .bind(&m.reason)
            .bind(m.strength.as_str())
            .execute(&mut **tx)
            .await?;
    }
    let story = link_story(tx, id, source_id, jurisdiction, at, rec).await?;
    let payload = serde_json::json!({});
    for ch in &rec.deliver_to {
        // A story is alerted once per channel: the first of its changes to
        // reach the channel is the alert (and lists the others when sent).
        if story != id && story_alerted(tx, story, ch).await? {
            tracing::info!(change = id, story, channel = %ch, "change joins a story already alerted on the channel: no second alert");
            continue;
        }
        outbox::enqueue(
            tx,
            ch,
            "change",
            Some(id),
            &payload,
            &format!("change:{id}:{ch}"),
            at,
        )
        .await?;
    }
    Ok(id)
}

/// The PostgreSQL advisory lock that serializes story linking ("rwstory").
const STORY_LOCK: i64 = 0x0072_7773_746f_7279;

/// Link a just-inserted change to the story of the same act reported by
/// another source (see [`crate::story`]), or start its own story. Returns
/// the story id.
async fn link_story(
    tx: &mut Tx<'_>,
    id: i64,
    source_id: &str,
    jurisdiction: &str,
    at: DateTime<Utc>,
    rec: &ChangeRecord,
) -> anyhow::Result<i64> {
    let mut story = id;
    // A removal is not a report of an act; a person's field report is about
    // practice, not a text, and always alerts on its own.
    if rec.change.kind != ChangeKind::Removed && source_id != "field" {
        let rule = crate::model::rule_jurisdiction(jurisdiction, rec.tags.member.as_deref());
        // The same rule jurisdiction: a WTO notification counts for its member.
        let same_rule = if rule == "WTO" {
            "c.jurisdiction = 'WTO' AND c.member IS NULL"
        } else {
            "((c.jurisdiction = $4 AND c.jurisdiction <> 'WTO') OR (c.jurisdiction = 'WTO' AND c.member = $4))"
        };
        // Candidates: other sources, recent, not removals, and of stories
        // this source is not yet part of (a source's own follow-up, such as
        // a modified entry, is never folded into a story it already told).
        let sql = format!(
            "SELECT c.story_id, c.title FROM changes c
             WHERE c.detected_at >= $1 AND c.id <> $2 AND c.source_id <> $3 AND c.source_id <> 'field'
               AND c.kind <> 'removed' AND c.story_id IS NOT NULL AND {same_rule}
               AND NOT EXISTS (SELECT 1 FROM changes s WHERE s.story_id = c.story_id AND s.source_id = $3)
             ORDER BY c.id DESC LIMIT {}",
            crate::story::MAX_CANDIDATES
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql))
            .bind(ts(at - chrono::Duration::days(crate::story::WINDOW_DAYS)))
            .bind(id)
            .bind(source_id);
        if rule != "WTO" {
            q = q.bind(rule);
        }
        let candidates = q.fetch_all(&mut **tx).await?;
        if let Some((found, why)) = crate::story::best_story(
            &rec.change.title,
            candidates.iter().map(|(s, t)| (*s, t.as_str())),
        ) {
            tracing::info!(change = id, story = found, why = ?why, "change reports the same act as an earlier one");
            story = found;
        }
    }
    sqlx::query("UPDATE changes SET story_id = $1 WHERE id = $2")
        .bind(story)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(story)
}

/// Whether a change of `story` was already queued as an alert on `channel`.
async fn story_alerted(tx: &mut Tx<'_>, story: i64, channel: &str) -> anyhow::Result<bool> {
    let hit: Option<i64> = sqlx::query_scalar(
        "SELECT o.id FROM outbox o JOIN changes s ON s.id = o.change_id
         WHERE s.story_id = $1 AND o.kind = 'change' AND o.channel = $2 LIMIT 1",
    )
    .bind(story)
    .bind(channel)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(hit.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

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
