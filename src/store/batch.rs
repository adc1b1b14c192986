//! Statements of one transaction sent to the database together where it can
//! take them: SQLite runs a list of statements in one command to its
//! connection's thread, so a poll's writes cross threads once instead of
//! once per statement (each crossing is two thread hand-offs, and they were
//! most of a poll's CPU). PostgreSQL's extended protocol takes one statement
//! per query, so there they are sent one after the other, as before.
//!
//! Each statement is written with its own placeholders, `$1` to `$n` in the
//! order of its binds; the batch renumbers them when it joins the list.
//! [`Batch::run`] hands back the rows of the last statement.
//!
//! sqlx 0.9 marks a statement list with arguments in one query as
//! deprecated for SQLite (its issue 3108) but runs it; should a later
//! version stop, `run` can send SQLite's statements one by one as it does
//! PostgreSQL's, and the tests below say so.

use super::db::{Backend, Tx};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::Arguments as _;

pub(super) struct Batch {
    backend: Backend,
    statements: Vec<(String, AnyArguments)>,
    /// The first value that could not be encoded, reported by [`Batch::run`].
    error: Option<String>,
}

/// The statement just pushed, taking its values in placeholder order.
pub(super) struct Binds<'b> {
    batch: &'b mut Batch,
}

impl Binds<'_> {
    pub fn bind<'t, T>(self, value: T) -> Self
    where
        T: sqlx::Encode<'t, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        if let Some((_, args)) = self.batch.statements.last_mut() {
            if let Err(e) = args.add(value) {
                self.batch.error.get_or_insert(e.to_string());
            }
        }
        self
    }
}

impl Batch {
    pub fn new(backend: Backend) -> Batch {
        Batch {
            backend,
            statements: vec![],
            error: None,
        }
    }

    pub fn push(&mut self, sql: impl Into<String>) -> Binds<'_> {
        self.statements.push((sql.into(), AnyArguments::default()));
        Binds { batch: self }
    }

    /// A statement with its values already gathered (placeholders `$1` to
    /// `$n` in their order).
    pub fn push_with(&mut self, sql: impl Into<String>, args: AnyArguments) {
        self.statements.push((sql.into(), args));
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Run every statement pushed, in order, in `tx`, and empty the batch.
    /// Returns the rows of the last statement.
    pub async fn run(&mut self, tx: &mut Tx<'_>) -> anyhow::Result<Vec<AnyRow>> {
        let statements = self.take()?;
        match self.backend {
            Backend::Sqlite => {
                let last = statements.len();
                send_list(tx, statements, last).await
            }
            Backend::Postgres => {
                let mut rows = vec![];
                for (sql, args) in statements {
                    rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                        .fetch_all(&mut **tx)
                        .await?;
                }
                Ok(rows)
            }
        }
    }

    /// The statements pushed, the batch left empty; the first value that
    /// could not be encoded, as an error.
    pub(super) fn take(&mut self) -> anyhow::Result<Vec<(String, AnyArguments)>> {
        let statements = std::mem::take(&mut self.statements);
        match self.error.take() {
            Some(e) => anyhow::bail!("a value of a poll's record cannot be written: {e}"),
            None => Ok(statements),
        }
    }
}

/// SQLite: `statements` as one list, in one command to the connection's
/// thread; the rows of the `keep`-th statement (from 1) are handed back.
/// Fails unless every statement ran.
async fn send_list(
    conn: &mut sqlx::AnyConnection,
    statements: Vec<(String, AnyArguments)>,
    keep: usize,
) -> anyhow::Result<Vec<AnyRow>> {
    let mut kept = send_list_keeping(conn, statements, &[keep]).await?;
    Ok(kept.pop().unwrap_or_default())
}

/// [`send_list`], handing back the rows of each statement in `keep`
/// (counted from 1, in increasing order), in that order.
async fn send_list_keeping(
    conn: &mut sqlx::AnyConnection,
    statements: Vec<(String, AnyArguments)>,
    keep: &[usize],
) -> anyhow::Result<Vec<Vec<AnyRow>>> {
    use futures_util::TryStreamExt as _;
    let total = statements.len();
    let (sql, args) = join(statements)?;
    #[allow(deprecated)]
    let mut results = sqlx::query_with(sqlx::AssertSqlSafe(sql), args).fetch_many(conn);
    // Each statement's rows, then its result.
    let (mut rows, mut done) = (vec![], 0usize);
    let mut kept = Vec::with_capacity(keep.len());
    let mut wanted = keep.iter().peekable();
    while let Some(r) = results.try_next().await? {
        match r {
            sqlx::Either::Right(row) => rows.push(row),
            sqlx::Either::Left(_) => {
                done += 1;
                let these = std::mem::take(&mut rows);
                if wanted.next_if_eq(&&done).is_some() {
                    kept.push(these);
                }
            }
        }
    }
    anyhow::ensure!(
        done == total,
        "a statement list ran {done} of its {total} statements"
    );
    anyhow::ensure!(
        kept.len() == keep.len(),
        "a statement list was asked for the rows of statements it does not have"
    );
    Ok(kept)
}

/// SQLite: a statement list that is its own transaction. `BEGIN IMMEDIATE`
/// and `COMMIT` go with the list in the same command, so a record without
/// a read to decide on (a quiet poll's compare-and-set) crosses to the
/// connection's thread once, instead of four times (begin, lock, writes,
/// commit). Hands back the rows of the last statement pushed.
///
/// The transaction is the list's own, not sqlx's, so a connection left
/// inside it must not go back to the pool: after an error the list is
/// rolled back on its connection, and a connection the list did not finish
/// on (the caller gone, or a rollback that failed) is closed, which rolls
/// back what it began. On a store in memory, closing the connection would
/// close the database: a store's `lists_alone` says whether it takes such
/// lists.
pub(super) async fn run_alone(
    pool: &sqlx::AnyPool,
    mut batch: Batch,
) -> anyhow::Result<Vec<AnyRow>> {
    anyhow::ensure!(
        batch.backend == Backend::Sqlite,
        "a statement list in a transaction of its own is SQLite's"
    );
    run_list_alone(pool, batch.take()?).await
}

/// [`run_alone`] of statements taken from a batch.
pub(super) async fn run_list_alone(
    pool: &sqlx::AnyPool,
    pushed: Vec<(String, AnyArguments)>,
) -> anyhow::Result<Vec<AnyRow>> {
    let last = pushed.len();
    let mut kept = run_lists_alone(pool, pushed, &[last]).await?;
    Ok(kept.pop().unwrap_or_default())
}

/// [`run_alone`] of several lists joined (`pushed`), in one transaction:
/// the rows of each statement in `lasts` (counted from 1 in `pushed`, in
/// increasing order), in that order. It commits whole or not at all.
pub(super) async fn run_lists_alone(
    pool: &sqlx::AnyPool,
    pushed: Vec<(String, AnyArguments)>,
    lasts: &[usize],
) -> anyhow::Result<Vec<Vec<AnyRow>>> {
    // BEGIN comes first: each statement's place moves on by one.
    let keep: Vec<usize> = lasts.iter().map(|l| l + 1).collect();
    let mut statements = Vec::with_capacity(pushed.len() + 2);
    statements.push(("BEGIN IMMEDIATE".to_string(), AnyArguments::default()));
    statements.extend(pushed);
    statements.push(("COMMIT".to_string(), AnyArguments::default()));
    let mut conn = Unfinished(Some(pool.acquire().await?));
    let c = conn
        .0
        .as_mut()
        .expect("the connection is held until the end");
    match send_list_keeping(c, statements, &keep).await {
        Ok(rows) => {
            conn.finish();
            Ok(rows)
        }
        Err(e) => {
            let rolled_back = match sqlx::query("ROLLBACK").execute(&mut **c).await {
                Ok(_) => true,
                // The list failed before BEGIN, or SQLite rolled it back
                // itself (as it does on some errors): nothing is open.
                Err(r) => r.to_string().contains("no transaction is active"),
            };
            if rolled_back {
                conn.finish();
            }
            Err(e)
        }
    }
}

/// A pooled connection that is closed when dropped, unless the statement
/// list on it finished (see [`run_alone`]).
struct Unfinished(Option<sqlx::pool::PoolConnection<sqlx::Any>>);

impl Unfinished {
    /// The list finished, committed or rolled back: back to the pool.
    fn finish(&mut self) {
        drop(self.0.take());
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            c.close_on_drop();
        }
    }
}

/// A copy of a statement's values (a group keeps its lists, to record
/// each alone should the group fail).
pub(super) fn copy_args(args: &AnyArguments) -> AnyArguments {
    let mut copy = AnyArguments::default();
    copy.values.0.clone_from(&args.values.0);
    copy
}

/// One statement list for SQLite: each statement's `$k` becomes `$(k + the
/// values bound before it)`, and the values follow one another.
fn join(statements: Vec<(String, AnyArguments)>) -> anyhow::Result<(String, AnyArguments)> {
    let mut sql = String::new();
    let mut all = AnyArguments::default();
    for (text, args) in statements {
        let offset = all.len();
        let highest = renumber(text.trim().trim_end_matches(';'), offset, &mut sql);
        anyhow::ensure!(
            highest <= args.len(),
            "a statement of a batch uses ${highest} but binds {} values: {text}",
            args.len()
        );
        sql.push_str(";\n");
        all.values.0.extend(args.values.0);
    }
    Ok((sql, all))
}

/// Append `sql` to `out` with every placeholder `$k` outside quotes moved
/// on by `offset`; returns the highest `k` seen.
fn renumber(sql: &str, offset: usize, out: &mut String) -> usize {
    let mut highest = 0;
    let mut quoted = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '$' || quoted || !chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
            out.push(c);
            continue;
        }
        let mut k = 0usize;
        while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
            k = k * 10 + d.to_digit(10).unwrap_or(0) as usize;
            chars.next();
        }
        highest = highest.max(k);
        out.push('$');
        out.push_str(&(k + offset).to_string());
    }
    highest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_moved_on_past_the_values_before_them_but_not_in_quotes() {
        let mut out = String::new();
        assert_eq!(
            renumber(
                "UPDATE t SET a = $1, b = '$2' WHERE c = $12 AND d = $1",
                3,
                &mut out
            ),
            12
        );
        assert_eq!(
            out,
            "UPDATE t SET a = $4, b = '$2' WHERE c = $15 AND d = $4"
        );
        let mut out = String::new();
        assert_eq!(renumber("SELECT 'it''s $1', $ 1, $2", 10, &mut out), 2);
        assert_eq!(out, "SELECT 'it''s $1', $ 1, $12");
    }

    #[tokio::test]
    async fn a_batch_runs_in_order_with_its_own_values_and_hands_back_the_last_rows() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let store = super::super::Store::open("sqlite::memory:").await.unwrap();
            let mut tx = store.pool.begin().await.unwrap();
            let mut b = Batch::new(backend);
            b.push("CREATE TABLE t (a INTEGER, b TEXT)");
            b.push("INSERT INTO t VALUES ($1, $2), ($1, '$1')")
                .bind(1i64)
                .bind("one");
            // A statement with rows that are not the last's is not handed back.
            b.push("INSERT INTO t VALUES ($1, $2) RETURNING a")
                .bind(2i64)
                .bind("two");
            b.push("SELECT a, b FROM t WHERE a >= $1 ORDER BY a, b")
                .bind(1i64);
            let rows = b.run(&mut tx).await.unwrap();
            assert!(b.is_empty());
            let got: Vec<(i64, String)> = rows
                .iter()
                .map(|r| (sqlx::Row::get(r, 0), sqlx::Row::get(r, 1)))
                .collect();
            assert_eq!(
                got,
                vec![(1, "$1".into()), (1, "one".into()), (2, "two".into())],
                "{backend:?}"
            );
        }
    }

    /// A list in a transaction of its own: committed when it runs to its
    /// end; rolled back when a statement fails, the connection left out of
    /// any transaction for the next user of the pool.
    #[tokio::test]
    async fn a_list_alone_commits_whole_or_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("db.sqlite").display());
        let store = super::super::Store::open(&url).await.unwrap();
        assert!(store.lists_alone);
        sqlx::query("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
            .execute(&store.pool)
            .await
            .unwrap();
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM t")
                .fetch_one(&store.pool)
                .await
                .unwrap()
        };
        let mut b = Batch::new(Backend::Sqlite);
        b.push("INSERT INTO t VALUES ($1, $2)")
            .bind(1i64)
            .bind("one");
        b.push("INSERT INTO t VALUES ($1, $2) RETURNING a")
            .bind(2i64)
            .bind("two");
        b.push("SELECT b FROM t WHERE a <= $1 AND changes() = 1 ORDER BY a")
            .bind(2i64);
        let rows = run_alone(&store.pool, b).await.unwrap();
        let got: Vec<String> = rows.iter().map(|r| sqlx::Row::get(r, 0)).collect();
        assert_eq!(got, ["one", "two"], "the last statement's rows only");
        assert_eq!(count().await, 2);

        // The second statement fails (the key is taken): the first is
        // rolled back with it, and every connection can begin again.
        let mut b = Batch::new(Backend::Sqlite);
        b.push("INSERT INTO t VALUES ($1, $2)")
            .bind(3i64)
            .bind("three");
        b.push("INSERT INTO t VALUES ($1, $2)")
            .bind(1i64)
            .bind("again");
        let Err(err) = run_alone(&store.pool, b).await else {
            panic!("the list ran")
        };
        let err = err.to_string();
        assert!(err.contains("UNIQUE"), "{err}");
        assert_eq!(count().await, 2, "nothing of the failed list is kept");
        for _ in 0..8 {
            let mut tx = store.pool.begin().await.unwrap();
            sqlx::query("INSERT INTO t VALUES (NULL, 'x')")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.rollback().await.unwrap();
        }
        assert_eq!(count().await, 2);

        // PostgreSQL takes no such list.
        let b = Batch::new(Backend::Postgres);
        assert!(run_alone(&store.pool, b).await.is_err());
        store.close().await;
    }

    #[test]
    fn a_statement_that_uses_more_values_than_it_binds_is_refused() {
        let mut b = Batch::new(Backend::Sqlite);
        b.push("INSERT INTO t VALUES ($1, $2)").bind(1i64);
        let Err(err) = join(b.statements) else {
            panic!("joined")
        };
        let err = err.to_string();
        assert!(err.contains("uses $2 but binds 1"), "{err}");
    }
}
