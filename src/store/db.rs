//! The database behind the store: its backends, the connection and the
//! migrations, and the few helpers every concern's queries share. The pool
//! stays in `store/`: the rest of the program asks the store's methods
//! (liveness included: [`Store::ping`]).

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

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

    /// The ids of a JSON array of strings bound as parameter `param`, for
    /// `source_id IN (…)`: one statement text whatever the list's length,
    /// so it is prepared once (an `IN ($1, …, $n)` list was a new
    /// statement, parsed and planned again, for every length).
    pub(super) fn json_ids(self, param: usize) -> String {
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
    pub(super) fn in_json_ids(self, param: usize) -> String {
        match self {
            Backend::Postgres => {
                format!("= ANY(ARRAY(SELECT json_array_elements_text(${param}::json)))")
            }
            Backend::Sqlite => format!("IN (SELECT value FROM json_each(${param}))"),
        }
    }

    /// Row locking for a claim subquery: other instances skip what one has
    /// locked instead of waiting for it (and then claiming it again).
    pub(super) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // SQLite serializes writers: one UPDATE ... RETURNING is atomic.
            Backend::Sqlite => "",
        }
    }

    /// SQL's null-safe equality (`a {same} b`).
    pub(super) fn null_safe_eq(self) -> &'static str {
        match self {
            Backend::Postgres => "IS NOT DISTINCT FROM",
            Backend::Sqlite => "IS",
        }
    }
}

/// A few PostgreSQL connections beside the pool for the statements every
/// poll makes alone (its start and a quiet record): sqlx's pool tests each
/// connection handed back to it with a round trip of its own
/// (`PoolConnection::return_to_pool` pings), which doubled the round trips
/// of a single-statement query. A lane is handed back untested, and only
/// after its statement ended well; one that failed, or whose statement was
/// abandoned half-way (a poll cancelled), is closed. When every lane is
/// busy the pool serves.
pub(super) struct Lanes {
    url: String,
    idle: std::sync::Mutex<Vec<sqlx::AnyConnection>>,
    open: std::sync::atomic::AtomicUsize,
}

/// Lanes open at most.
const LANES: usize = 4;

impl Lanes {
    fn new(url: &str) -> Lanes {
        Lanes {
            url: url.to_string(),
            idle: Default::default(),
            open: Default::default(),
        }
    }
}

/// One lane in use: its connection goes back when [`Lane::done`] said the
/// statement ended well, and is closed otherwise.
pub(super) struct Lane {
    conn: Option<sqlx::AnyConnection>,
    lanes: std::sync::Arc<Lanes>,
    ok: bool,
}

impl Lane {
    pub(super) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        self.conn
            .as_mut()
            .expect("a lane holds its connection until dropped")
    }

    /// The statement ended: the connection may serve again.
    pub(super) fn done(&mut self) {
        self.ok = true;
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        match self.conn.take() {
            Some(conn) if self.ok => match self.lanes.idle.lock() {
                Ok(mut idle) => idle.push(conn),
                Err(_) => {
                    self.lanes.open.fetch_sub(1, Ordering::SeqCst);
                }
            },
            _ => {
                self.lanes.open.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

impl Store {
    /// A lane for one statement (PostgreSQL), or `None`: SQLite, or every
    /// lane busy (then the pool serves).
    pub(super) async fn lane(&self) -> anyhow::Result<Option<Lane>> {
        use std::sync::atomic::Ordering;
        let Some(lanes) = &self.lanes else {
            return Ok(None);
        };
        let idle = lanes.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match idle {
            Some(c) => c,
            None => {
                if lanes.open.fetch_add(1, Ordering::SeqCst) >= LANES {
                    lanes.open.fetch_sub(1, Ordering::SeqCst);
                    return Ok(None);
                }
                use sqlx::Connection;
                let opened = tokio::time::timeout(
                    Duration::from_secs(30),
                    sqlx::AnyConnection::connect(&lanes.url),
                )
                .await;
                match opened {
                    Ok(Ok(c)) => c,
                    Ok(Err(e)) => {
                        lanes.open.fetch_sub(1, Ordering::SeqCst);
                        return Err(e.into());
                    }
                    Err(_) => {
                        lanes.open.fetch_sub(1, Ordering::SeqCst);
                        anyhow::bail!("PostgreSQL did not answer a new connection within 30 s");
                    }
                }
            }
        };
        Ok(Some(Lane {
            conn: Some(conn),
            lanes: lanes.clone(),
            ok: false,
        }))
    }
}

/// Run `$q.$fetch(…)` on a lane when there is one, else on the pool.
macro_rules! on_lane {
    ($store:expr, $q:expr, $fetch:ident) => {
        match $store.lane().await? {
            Some(mut lane) => {
                let r = $q.$fetch(lane.conn()).await?;
                lane.done();
                r
            }
            None => $q.$fetch(&$store.pool).await?,
        }
    };
}
pub(super) use on_lane;

/// The size the SQLite write-ahead log is cut back to after a checkpoint.
pub const WAL_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// The page cache, in KiB, of the SQLite connection that reads the
/// candidates of case matching. A change of a common heading has thousands
/// of candidate cases, each a search of its own in `cases`: with SQLite's
/// default cache (2 MiB, each pooled connection its own) nearly every one
/// read its page from the kernel again (with 1,000,000 cases, about half of
/// a match's time). One connection keeps the pages the matches of a poll
/// pass share. The cache grows only with the pages read (a store of a few
/// thousand cases never fills it), and goes with the connection when it
/// has been idle for the pool's 10 minutes.
pub(super) const CASE_CACHE_KIB: u32 = 64 * 1024;

/// The page cache, in KiB, of the one-shot pass's connection (see
/// [`Store::open_sequential`]). A pass reads each source's rows once and
/// writes them once: SQLite's default (2 MiB) only kept pages the kernel
/// holds anyway, and was a twentieth of the pass's peak memory.
const SEQUENTIAL_CACHE_KIB: u32 = 256;

/// A transaction on either backend.
pub(super) type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

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
    pub(super) pool: AnyPool,
    pub(super) backend: Backend,
    /// PostgreSQL: connections kept aside for a poll's own statements (see
    /// [`Lanes`]); `None` on SQLite.
    pub(super) lanes: Option<std::sync::Arc<Lanes>>,
    /// SQLite, a file: the connection that reads the candidates of case
    /// matching (see [`CASE_CACHE_KIB`]), opened when a change is first
    /// matched; `None` otherwise (the pool serves).
    pub(super) case_reader: Option<AnyPool>,
    /// SQLite, a file: statement lists may be their own transactions (see
    /// [`super::batch::run_alone`]); not in memory, where a connection
    /// closed would be the database lost.
    pub(super) lists_alone: bool,
    /// SQLite, a file, the one-shot pass's store: quiet polls are recorded
    /// in groups (see [`super::group`]).
    pub(super) groups: Option<std::sync::Arc<super::waiting::Waiting>>,
    /// Rows the scheduler's queries returned (a test checks that a dispatch
    /// reads the due sources only, not every source).
    #[cfg(test)]
    pub(super) scheduler_rows: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// The URL sqlx opens the SQLite database at `path` with (as the store's
/// URL names it: a path, or `:memory:`).
fn sqlite_url(path: &str, use_: Pool) -> String {
    if path == ":memory:" {
        return "sqlite::memory:".to_string();
    }
    // Percent-encode what a URL would misread; sqlx decodes it again.
    let enc = path
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    // The one-shot pass asks from one thread, one thing at a time: its
    // connection runs each statement right there, instead of handing it to
    // a thread of its own and back (see vendor/README.md). Elsewhere tasks
    // share the pool, and a statement waiting for SQLite's lock must not
    // hold a thread of the runtime.
    let thread = match use_ {
        Pool::Sequential => "caller",
        Pool::Shared => "own",
    };
    format!("sqlite:{enc}?mode=rwc&thread={thread}")
}

/// Who shares a store's connections (see [`Store::open_sequential`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pool {
    /// The daemon, the web server, most commands: calls at once.
    Shared,
    /// One call at a time.
    Sequential,
}

impl Store {
    /// Open (and migrate) the store at `url`: `sqlite://PATH` (the file and
    /// its folder are created on first use) or `postgres://…`.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// [`Store::open`] for a command that asks the store one thing at a
    /// time, on one thread (the one-shot `regwatch poll`): a SQLite store
    /// gets one connection, not four. Its polls' writes cannot overlap
    /// anyway (SQLite has one writer), and four connections made them
    /// contend: a writer that found the lock taken slept in SQLite's busy
    /// handler, and each connection re-read the pages the others had
    /// written. PostgreSQL's pool is unchanged.
    pub async fn open_sequential(url: &str) -> anyhow::Result<Store> {
        let store = Store::connect_with(url, Pool::Sequential).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connect without migrating.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        Store::connect_with(url, Pool::Shared).await
    }

    async fn connect_with(url: &str, use_: Pool) -> anyhow::Result<Store> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        match Backend::of_url(url) {
            Backend::Postgres => Store::connect_postgres(url).await,
            Backend::Sqlite => Store::connect_sqlite(url, use_).await,
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
        // No ping before each use of a pooled connection: it was one round
        // trip more per query (the half of a quiet poll's). A connection
        // the server dropped fails the query that uses it, and is closed.
        let pool = AnyPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect(url)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
        let mut store = Store::on(pool, Backend::Postgres);
        store.lanes = Some(std::sync::Arc::new(Lanes::new(url)));
        Ok(store)
    }

    async fn connect_sqlite(url: &str, use_: Pool) -> anyhow::Result<Store> {
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
        let any_url = sqlite_url(path, use_);
        let mut opts = AnyPoolOptions::new()
            .max_connections(if memory || use_ == Pool::Sequential {
                1
            } else {
                4
            })
            .acquire_timeout(Duration::from_secs(30))
            // No ping before each use of a pooled connection: a
            // connection to a file does not go stale, and the ping was a
            // command to the connection's thread and back (two thread
            // hand-offs) for every statement and transaction.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    // busy_timeout first: switching to WAL takes a lock.
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    if use_ == Pool::Sequential {
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "PRAGMA cache_size = -{SEQUENTIAL_CACHE_KIB}"
                        )))
                        .await?;
                    }
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    // Statement journals and temporary tables in memory, not
                    // in files: a large import's batches each wrote one.
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
                    // The write-ahead log is cut back to this after a
                    // checkpoint: SQLite otherwise keeps the file at the
                    // largest transaction's size (a 1,000,000-case import
                    // left 487 MB of it beside a 484 MB store).
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}"
                    )))
                    .await?;
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
        let mut store = Store::on(pool, Backend::Sqlite);
        store.lists_alone = !memory;
        if !memory && use_ == Pool::Sequential {
            store.groups = Some(Default::default());
        }
        if !memory {
            store.case_reader = Some(
                AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute("PRAGMA busy_timeout = 30000").await?;
                            conn.execute("PRAGMA query_only = 1").await?;
                            conn.execute(sqlx::AssertSqlSafe(format!(
                                "PRAGMA cache_size = -{CASE_CACHE_KIB}"
                            )))
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_lazy(&any_url)
                    .with_context(|| format!("cannot open the database {path}"))?,
            );
        }
        Ok(store)
    }

    fn on(pool: AnyPool, backend: Backend) -> Store {
        Store {
            pool,
            backend,
            lanes: None,
            case_reader: None,
            lists_alone: false,
            groups: None,
            #[cfg(test)]
            scheduler_rows: Default::default(),
        }
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
        self.fill_search_text()
            .await
            .context("filling the folded search text")?;
        Ok(())
    }

    /// Close the pool (waits for connections in use to come back) and the
    /// idle lanes.
    pub async fn close(&self) {
        if let Some(lanes) = &self.lanes {
            let idle = lanes
                .idle
                .lock()
                .map(|mut v| std::mem::take(&mut *v))
                .unwrap_or_default();
            for conn in idle {
                use sqlx::Connection;
                let _ = conn.close().await;
            }
        }
        if let Some(reader) = &self.case_reader {
            reader.close().await;
        }
        self.pool.close().await;
    }

    /// Whether the database answers (liveness).
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The thread an INSERT on a connection to `url` ran on.
    async fn thread_of_a_statement(url: &str) -> std::thread::ThreadId {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        let hook = seen.clone();
        conn.lock_handle().await.unwrap().set_update_hook(move |_| {
            *hook.lock().unwrap() = Some(std::thread::current().id());
        });
        sqlx::query("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let ran = seen.lock().unwrap().take();
        ran.expect("the insert ran")
    }

    /// The one-shot pass's connection runs its statements on the thread
    /// that asks; the shared pool's connections on a thread of their own.
    #[tokio::test]
    async fn only_the_one_shot_pass_runs_statements_on_the_callers_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let path = path.to_str().unwrap();
        let here = std::thread::current().id();
        let one_shot = thread_of_a_statement(&sqlite_url(path, Pool::Sequential)).await;
        assert_eq!(one_shot, here);
        let shared = thread_of_a_statement(&sqlite_url(path, Pool::Shared)).await;
        assert_ne!(shared, here);
        assert_eq!(sqlite_url(":memory:", Pool::Sequential), "sqlite::memory:");
    }

    /// On the caller's thread, a query's rows are gathered whatever their
    /// number (the worker thread hands them over 50 at a time), a
    /// transaction dropped unfinished is rolled back, and one that failed
    /// leaves the connection usable.
    #[tokio::test]
    async fn a_connection_on_the_callers_thread_keeps_sqlx_s_promises() {
        use sqlx::{Connection, Row};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = sqlite_url(path.to_str().unwrap(), Pool::Sequential);
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let rows = sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(rows.len(), 500);
        assert_eq!(rows[499].get::<i64, _>(0), 500);
        sqlx::query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .execute(&mut conn)
            .await
            .unwrap();
        {
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("INSERT INTO t VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
            // dropped without commit
        }
        let mut tx = conn.begin().await.unwrap();
        let dup = sqlx::query("INSERT INTO t VALUES (2), (2)")
            .execute(&mut *tx)
            .await;
        assert!(dup.is_err(), "a duplicate key is refused");
        tx.rollback().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (3)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let kept: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(kept, vec![3]);
        conn.close().await.unwrap();
    }

    /// Every pooled connection of a store of a file cuts the write-ahead
    /// log back after a checkpoint; the case reader reads only, with its
    /// own page cache.
    #[tokio::test]
    async fn sqlite_connections_are_set_up() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.unwrap();
        let limit: i64 = sqlx::query_scalar("PRAGMA journal_size_limit")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(limit as u64, WAL_LIMIT_BYTES);
        let reader = store.case_reader.as_ref().unwrap();
        let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(reader)
            .await
            .unwrap();
        assert_eq!(cache, -i64::from(CASE_CACHE_KIB));
        let write = sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(reader)
            .await;
        assert!(write.is_err(), "the case reader wrote");
        assert_eq!(store.pool.options().get_max_connections(), 4);
        store.close().await;
        // the one-shot pass's store: one connection to the same file
        let one = Store::open_sequential(&url).await.unwrap();
        assert_eq!(one.pool.options().get_max_connections(), 1);
        let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&one.pool)
            .await
            .unwrap();
        assert_eq!(cache, -i64::from(SEQUENTIAL_CACHE_KIB));
        one.close().await;
        let shared = Store::open(&url).await.unwrap();
        let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&shared.pool)
            .await
            .unwrap();
        assert_eq!(
            cache, -2000,
            "the daemon's connections keep SQLite's default"
        );
        shared.close().await;
    }
}
