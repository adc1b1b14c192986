//! Quiet polls recorded together (SQLite, one-shot pass).
//!
//! A quiet poll (a 304, or the same content) is recorded by a statement list
//! that is its own transaction ([`super::batch::run_alone`]): a
//! compare-and-set of the source's state, a fetch-log line and the health
//! row read back. Each such transaction wrote the same few pages to the
//! write-ahead log (the state table and its index of next polls, the fetch
//! log and its index): six pages, twelve writes, for a change of a few
//! bytes, and a pass of 540 quiet polls wrote them 540 times.
//!
//! Here the lists of the quiet polls waiting at the same moment go as one
//! transaction, in one command: `BEGIN IMMEDIATE`, each poll's list in the
//! order the polls came, `COMMIT`. Each poll's statements stand alone (its
//! `changes()` guards read its own update), so together they write what
//! they wrote one by one. Nobody waits for a group to fill: the first poll
//! that finds no group running starts one with what is queued, and the polls
//! that come while it runs form the next. Should the group's list fail,
//! every poll of it is recorded alone, as before, so one poll's error is
//! its own.
//!
//! Used by the store of the one-shot pass ([`super::Store::open_sequential`]),
//! where the polls' records come one after another on one thread.

use super::batch::{self, Batch};
use super::waiting::{Answer, Statements, Waiting};
use sqlx::any::AnyRow;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Record `batch` (a quiet poll's list) with the other lists waiting in
/// `groups`: the rows of its last statement, as [`batch::run_alone`] hands
/// them.
pub(super) async fn run(
    groups: &Arc<Waiting>,
    pool: &sqlx::AnyPool,
    mut batch: Batch,
) -> anyhow::Result<Vec<AnyRow>> {
    let statements = batch.take()?;
    let (tx, rx) = oneshot::channel();
    if groups.push(statements, tx) {
        // Its own task: a poll dropped while its group runs (a timeout,
        // a stop) does not take the others' records with it.
        tokio::spawn(drain(Arc::clone(groups), pool.clone()));
    }
    rx.await
        .map_err(|_| anyhow::anyhow!("the group this poll's record was in stopped"))?
}

/// Run groups until nobody waits.
async fn drain(groups: Arc<Waiting>, pool: sqlx::AnyPool) {
    while let Some(group) = groups.take() {
        // In groups of 1, 2, 4, 8 or 16 lists: the statement cache of the
        // connection keeps one prepared list per size.
        let mut group = group.into_iter();
        while group.len() > 0 {
            let size = group.len().min(MAX_GROUP);
            let size = 1 << size.ilog2();
            run_group(&pool, group.by_ref().take(size).collect()).await;
        }
    }
}

/// The most quiet polls in one transaction.
const MAX_GROUP: usize = 16;

/// One group: every list in one transaction; if that fails, each alone.
async fn run_group(pool: &sqlx::AnyPool, group: Vec<(Statements, oneshot::Sender<Answer>)>) {
    if let [_] = group.as_slice() {
        let (statements, tx) = group.into_iter().next().expect("one list");
        let _ = tx.send(batch::run_list_alone(pool, statements).await);
        return;
    }
    // The lists joined (their values copied: each list is kept, to be
    // recorded alone should the group fail), and where each one ends.
    let mut joined: Statements = vec![];
    let mut lasts = Vec::with_capacity(group.len());
    for (statements, _) in &group {
        joined.extend(
            statements
                .iter()
                .map(|(sql, args)| (sql.clone(), batch::copy_args(args))),
        );
        lasts.push(joined.len());
    }
    match batch::run_lists_alone(pool, joined, &lasts).await {
        Ok(rows) => {
            for ((_, tx), rows) in group.into_iter().zip(rows) {
                let _ = tx.send(Ok(rows));
            }
        }
        Err(e) => {
            tracing::debug!(
                "a group of {} quiet polls failed, each recorded alone: {e:#}",
                group.len()
            );
            for (statements, tx) in group {
                let _ = tx.send(batch::run_list_alone(pool, statements).await);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::db::Backend;
    use super::*;
    use futures_util::future::join_all;

    async fn store() -> (tempfile::TempDir, super::super::Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("db.sqlite").display());
        let store = super::super::Store::open_sequential(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
            .execute(&store.pool)
            .await
            .unwrap();
        (dir, store)
    }

    /// A list like a quiet poll's: a write, then rows read back that only
    /// the write's own `changes()` lets through.
    fn list(a: i64, b: &str) -> Batch {
        let mut batch = Batch::new(Backend::Sqlite);
        batch.push("INSERT INTO t VALUES ($1, $2)").bind(a).bind(b);
        batch
            .push("SELECT b FROM t WHERE a = $1 AND changes() = 1")
            .bind(a);
        batch
    }

    fn texts(rows: &[AnyRow]) -> Vec<String> {
        rows.iter().map(|r| sqlx::Row::get(r, 0)).collect()
    }

    /// Lists recorded at once go as groups, each list's rows handed back
    /// to it; and when one list of a group fails, the others are recorded
    /// alone and only that one has the error.
    #[tokio::test]
    async fn each_list_of_a_group_gets_its_own_rows_and_only_its_own_error() {
        let (_dir, store) = store().await;
        let groups = store.groups.clone().expect("the sequential store groups");
        let groups = &groups;
        let runs = (1..=11).map(|a| run(groups, &store.pool, list(a, &format!("n{a}"))));
        for (a, rows) in (1..=11).zip(join_all(runs).await) {
            assert_eq!(texts(&rows.unwrap()), [format!("n{a}")]);
        }

        // 12 and 14 are new, 5 is taken: its list fails alone.
        let runs = [(12, "x"), (5, "again"), (14, "y")]
            .into_iter()
            .map(|(a, b)| run(groups, &store.pool, list(a, b)));
        let got = join_all(runs).await;
        assert_eq!(texts(got[0].as_ref().unwrap()), ["x"]);
        let err = got[1].as_ref().err().expect("a taken key").to_string();
        assert!(err.contains("UNIQUE"), "{err}");
        assert_eq!(texts(got[2].as_ref().unwrap()), ["y"]);
        let all: Vec<(i64, String)> = sqlx::query_as("SELECT a, b FROM t ORDER BY a")
            .fetch_all(&store.pool)
            .await
            .unwrap();
        assert_eq!(all.len(), 13);
        assert_eq!(
            all[4],
            (5, "n5".to_string()),
            "the failed list wrote nothing"
        );
        store.close().await;
    }
}
