//! The store API, run against both backends: every test runs on a fresh
//! SQLite file and, when `REGWATCH_TEST_PG` names a PostgreSQL server where
//! the test may create databases, on a fresh PostgreSQL database too
//! (`scripts/pg-test.sh cargo test` starts a throwaway one).

use chrono::{DateTime, Duration, TimeZone, Utc};
use regwatch::model::{Case, CaseMatch, ChangeKind, Content, Evidence, Item, NewChange};
use regwatch::store::{
    ChangeFilter, ChangeRecord, Health, PollOutcome, PollRecord, PollResult, Store, Tags,
};
use sqlx::Connection;
use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One fresh database for one test.
pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// (maintenance URL, database name) of a PostgreSQL database to drop.
    pg: Option<(String, String)>,
}

static PG_SEQ: AtomicUsize = AtomicUsize::new(0);
static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("data/regwatch.db").display());
        TestDb {
            url,
            backend: "sqlite",
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A new, empty database on the server named by `REGWATCH_TEST_PG`;
    /// `None` (with a visible notice, once) when it is not set.
    pub async fn postgres() -> Option<TestDb> {
        let admin = match std::env::var("REGWATCH_TEST_PG") {
            Ok(u) if !u.is_empty() => u,
            _ => {
                SKIP_NOTICE.call_once(|| {
                    // Straight to the process's stderr: libtest captures
                    // only the print macros, and this must be seen.
                    let _ = writeln!(
                        std::io::stderr(),
                        "skipped: REGWATCH_TEST_PG not set (PostgreSQL tests)"
                    );
                });
                return None;
            }
        };
        let name = format!(
            "regwatch_t{}_{}_{}",
            std::process::id(),
            PG_SEQ.fetch_add(1, Ordering::SeqCst),
            crate::helpers::now().timestamp_micros() % 1_000_000_000
        );
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("REGWATCH_TEST_PG={admin}: cannot connect: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        Some(TestDb {
            url: url.to_string(),
            backend: "postgres",
            _dir: None,
            pg: Some((admin, name)),
        })
    }

    pub async fn open(&self) -> Store {
        Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("opening {} ({}): {e:#}", self.url, self.backend))
    }

    /// Drop the PostgreSQL database (a failed test leaves it, to look at).
    pub async fn cleanup(self) {
        if let Some((admin, name)) = &self.pg {
            let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
            let _ = conn.close().await;
        }
    }
}

both_backends!(
    stories_link_other_sources_and_alert_once_per_channel,
    record_poll_baseline_changed_failed_health,
    a_stale_poll_is_superseded,
    a_pass_reads_its_sources_states_and_the_rate_limits_at_once,
    a_down_source_back_with_new_content_and_nothing_to_report_is_announced,
    changes_filters_and_cursor,
    cases_upsert_close_backmatch,
    outbox_enqueue_claim_mark_retry,
    outbox_racing_claims_never_share,
    claim_due_sources_two_owners,
    claim_due_sources_racing,
    digest_period_claimed_once,
    copy_preserves_everything,
    db_copy_command,
    one_statement_record_writes_what_the_transaction_writes,
    a_story_recorded_after_the_stories_were_read_is_still_joined,
    a_story_read_ahead_is_joined_when_others_record_meanwhile,
);

/// The one-shot pass's store: one SQLite connection for polls recorded
/// at once (first snapshots, then quiet polls, changes and failures
/// together). Each waits for the connection and lands; none waits for a
/// second connection that will never come (that would fail after the pool's
/// 30 s).
#[tokio::test]
async fn a_sequential_store_records_overlapping_polls() {
    use futures_util::future::join_all;
    let db = TestDb::sqlite();
    let store = Store::open_sequential(&db.url).await.unwrap();
    let ids: Vec<String> = (0..12).map(|i| format!("src-{i}")).collect();
    let firsts = join_all(
        ids.iter()
            .map(|id| store.record_poll(poll(id, "TR", t0(), changed(&["a"], true, vec![])))),
    )
    .await;
    for r in firsts {
        assert!(!r.unwrap().superseded);
    }
    let t1 = t0() + Duration::minutes(15);
    let mut second = vec![];
    for (i, id) in ids.iter().enumerate() {
        let outcome = match i % 3 {
            0 => PollOutcome::NotModified,
            1 => changed(
                &["a", "b"],
                false,
                vec![record(
                    new_change("b", "Yeni tebliğ", "ithalat"),
                    &["telecom"],
                    &["8517"],
                    &[],
                    &["ops"],
                )],
            ),
            _ => failed("HTTP 503"),
        };
        let mut p = poll(id, "TR", t1, outcome);
        p.expected_snapshot = store.state(id).await.unwrap().last_snapshot_id;
        second.push(p);
    }
    let results = join_all(second.into_iter().map(|p| store.record_poll(p))).await;
    for (i, r) in results.into_iter().enumerate() {
        let r = r.unwrap();
        assert!(!r.superseded, "poll {i} superseded");
        assert_eq!(r.change_ids.len(), usize::from(i % 3 == 1), "poll {i}");
    }
    for (i, id) in ids.iter().enumerate() {
        let state = store.state(id).await.unwrap();
        assert_eq!(state.consecutive_failures, i64::from(i % 3 == 2), "{id}");
    }

    // Quiet polls at once (recorded in groups), every other one read the
    // state before the change above: those are superseded, the others move
    // on, and the fetch log has a line for each.
    let t2 = t1 + Duration::minutes(15);
    let quiet: Vec<String> = ids.iter().step_by(3).cloned().collect();
    let mut third = vec![];
    for (k, id) in ids.iter().enumerate().filter(|(i, _)| i % 3 != 2) {
        let mut p = poll(id, "TR", t2, PollOutcome::NotModified);
        let now = store.state(id).await.unwrap().last_snapshot_id;
        p.expected_snapshot = if k % 2 == 1 { Some(-1) } else { now };
        third.push((k, p));
    }
    let store = &store;
    let results = join_all(
        third
            .into_iter()
            .map(|(k, p)| async move { (k, store.record_poll(p).await.unwrap()) }),
    )
    .await;
    for (k, r) in results {
        assert_eq!(r.superseded, k % 2 == 1, "poll {k}");
        if k % 2 == 0 {
            let s = store.state(&ids[k]).await.unwrap();
            assert_eq!(s.last_poll_at, Some(t2), "{}", ids[k]);
        }
    }
    for id in &quiet {
        let log = store.fetch_log(id, 10).await.unwrap();
        assert_eq!(log.len(), 3, "{id}: {log:?}");
    }
    store.close().await;
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 7, 0, 0).unwrap()
}

fn content(keys: &[&str]) -> Content {
    Content::Items {
        items: keys
            .iter()
            .map(|k| Item {
                key: k.to_string(),
                title: format!("Item {k}"),
                link: Some(format!("https://example.invalid/{k}")),
                text: format!("text of {k}"),
                published: None,
            })
            .collect(),
    }
}

fn new_change(key: &str, title: &str, text: &str) -> NewChange {
    NewChange {
        kind: ChangeKind::Added,
        item_key: Some(key.into()),
        title: title.into(),
        link: Some(format!("https://example.invalid/{key}")),
        excerpt: format!("excerpt {title}"),
        diff: format!("+ {title}"),
        text: text.into(),
        published: None,
    }
}

fn record(
    c: NewChange,
    categories: &[&str],
    hs: &[&str],
    cases: &[&str],
    to: &[&str],
) -> ChangeRecord {
    ChangeRecord {
        change: c,
        tags: Tags {
            categories: categories.iter().map(|s| s.to_string()).collect(),
            hs_codes: hs.iter().map(|s| s.to_string()).collect(),
            evidence: categories
                .iter()
                .map(|c| Evidence {
                    category: c.to_string(),
                    via: "phrase".into(),
                    matched: "tariff".into(),
                    ..Default::default()
                })
                .collect(),
            effective_date: chrono::NaiveDate::from_ymd_opt(2026, 4, 1),
            // the whole tag set is stored and copied (migration 0008)
            dates: vec![regwatch_classify::DateFact {
                kind: "applies".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                evidence: "Bu Tebliğ 1/4/2026 tarihinde yürürlüğe girer.".into(),
            }],
            hs_ranges: vec![("8528.42".into(), "8528.59".into())],
            exempt_origins: vec!["MX".into()],
            measures: vec!["tariff".into()],
            ..Default::default()
        },
        cases: cases
            .iter()
            .map(|id| CaseMatch {
                id: id.to_string(),
                link: None,
                strength: regwatch::model::Strength::Direct,
                reason: format!("hs match for {id}"),
                ..Default::default()
            })
            .collect(),
        deliver_to: to.iter().map(|s| s.to_string()).collect(),
        gist: None,
    }
}

fn poll(source: &str, jur: &str, at: DateTime<Utc>, outcome: PollOutcome) -> PollRecord {
    PollRecord {
        source_id: source.into(),
        jurisdiction: jur.into(),
        started_at: at,
        duration_ms: 12,
        status: Some(200),
        bytes: Some(345),
        outcome,
        expected_snapshot: None,
        body_hash: None,
        next_poll_at: Some(at + Duration::minutes(15)),
        down_after: 2,
        health_channels: vec!["ops".into()],
        url: String::new(),
        moved_to: None,
        rate_limited_until: None,
        seen_keys: vec![],
        standing: None,
        stories: None,
        content_json: None,
    }
}

/// Recording a poll that read the source's state just before.
trait RecordNow {
    async fn record_now(&self, p: PollRecord) -> anyhow::Result<PollResult>;
}

impl RecordNow for Store {
    async fn record_now(&self, mut p: PollRecord) -> anyhow::Result<PollResult> {
        p.expected_snapshot = self.state(&p.source_id).await?.last_snapshot_id;
        self.record_poll(p).await
    }
}

fn changed(keys: &[&str], baseline: bool, changes: Vec<ChangeRecord>) -> PollOutcome {
    PollOutcome::Changed {
        content: content(keys),
        hash: format!("hash-{}", keys.join("-")),
        etag: Some(format!("\"e-{}\"", keys.len())),
        last_modified: Some("Mon, 02 Mar 2026 07:00:00 GMT".into()),
        baseline,
        changes,
    }
}

/// The states of the health alerts queued, in order.
async fn health_states(store: &Store) -> Vec<String> {
    store
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == "health")
        .map(|d| d.payload["state"].as_str().unwrap().to_string())
        .collect()
}

fn failed(msg: &str) -> PollOutcome {
    PollOutcome::Failed { error: msg.into() }
}

async fn record_poll_baseline_changed_failed_health(db: &TestDb) {
    let store = db.open().await;
    let s = "tr-ticaret";
    // Never polled: the default state.
    let st = store.state(s).await.unwrap();
    assert!(st.last_snapshot_id.is_none() && st.next_poll_at.is_none());

    // Baseline: a snapshot, no change.
    let r = store
        .record_now(poll(s, "TR", t0(), changed(&["a"], true, vec![])))
        .await
        .unwrap();
    assert!(r.change_ids.is_empty());
    assert_eq!(r.health, Some(Health::Same));
    let st = store.state(s).await.unwrap();
    assert_eq!(st.last_hash.as_deref(), Some("hash-a"));
    assert_eq!(st.etag.as_deref(), Some("\"e-1\""));
    assert_eq!(st.last_poll_at, Some(t0()));
    assert_eq!(st.next_poll_at, Some(t0() + Duration::minutes(15)));
    assert_eq!(store.count_snapshots(s).await.unwrap(), 1);
    assert_eq!(
        store
            .snapshot_content(st.last_snapshot_id.unwrap())
            .await
            .unwrap(),
        Some(content(&["a"]))
    );

    // Changed: two changes, tagged, matched, routed to a channel.
    let t1 = t0() + Duration::minutes(15);
    let r = store
        .record_now(poll(
            s,
            "TR",
            t1,
            changed(
                &["a", "b", "c"],
                false,
                vec![
                    record(
                        new_change("b", "Tariff on phones", "8517.13 duty"),
                        &["tariff"],
                        &["8517.13"],
                        &["C-1"],
                        &["slack"],
                    ),
                    record(
                        new_change("c", "Other notice", "nothing"),
                        &[],
                        &[],
                        &[],
                        &["slack"],
                    ),
                ],
            ),
        ))
        .await
        .unwrap();
    assert_eq!(r.change_ids.len(), 2);
    assert!(r.change_ids[0] < r.change_ids[1]);
    assert_eq!(store.count_changes().await.unwrap(), 2);
    assert_eq!(store.count_snapshots(s).await.unwrap(), 2);
    let c = store.change(r.change_ids[0]).await.unwrap().unwrap();
    assert_eq!(c.title, "Tariff on phones");
    assert_eq!(c.source, s);
    assert_eq!(c.jurisdiction, "TR");
    assert_eq!(c.detected_at, t1);
    assert_eq!(c.kind, ChangeKind::Added);
    assert_eq!(c.categories, vec!["tariff".to_string()]);
    assert_eq!(c.hs_codes, vec!["8517.13".to_string()]);
    assert_eq!(c.evidence.len(), 1);
    assert_eq!(
        c.effective_date,
        chrono::NaiveDate::from_ymd_opt(2026, 4, 1)
    );
    assert_eq!(c.cases.len(), 1);
    assert_eq!(c.cases[0].id, "C-1");
    let d = store.deliveries().await.unwrap();
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|d| d.kind == "change" && d.channel == "slack"));
    assert_eq!(d[0].change_id, Some(r.change_ids[0]));

    // Not modified keeps the validators; unchanged replaces them.
    let t2 = t1 + Duration::minutes(15);
    store
        .record_now(poll(s, "TR", t2, PollOutcome::NotModified))
        .await
        .unwrap();
    assert_eq!(
        store.state(s).await.unwrap().etag.as_deref(),
        Some("\"e-3\"")
    );
    store
        .record_now(poll(
            s,
            "TR",
            t2,
            PollOutcome::Unchanged {
                etag: Some("\"new\"".into()),
                last_modified: None,
            },
        ))
        .await
        .unwrap();
    let st = store.state(s).await.unwrap();
    assert_eq!(st.etag.as_deref(), Some("\"new\""));
    assert_eq!(st.last_modified, None);

    // Failures: down after two, one health alert; then recovery.
    let t3 = t2 + Duration::minutes(15);
    let r = store
        .record_now(poll(s, "TR", t3, failed("HTTP 503")))
        .await
        .unwrap();
    assert_eq!(r.health, Some(Health::Same));
    let st = store.state(s).await.unwrap();
    assert_eq!((st.consecutive_failures, st.down), (1, false));
    let r = store
        .record_now(poll(s, "TR", t3 + Duration::minutes(1), failed("HTTP 503")))
        .await
        .unwrap();
    assert_eq!(r.health, Some(Health::WentDown));
    let r = store
        .record_now(poll(s, "TR", t3 + Duration::minutes(2), failed("timeout")))
        .await
        .unwrap();
    assert_eq!(r.health, Some(Health::Same), "down is alerted once");
    let st = store.state(s).await.unwrap();
    assert_eq!((st.consecutive_failures, st.down), (3, true));
    let h = store.health().await.unwrap();
    assert_eq!(h.len(), 1);
    assert!(h[0].down);
    assert_eq!(h[0].last_error.as_deref(), Some("timeout"));
    assert_eq!(h[0].consecutive_failures, 3);
    let r = store
        .record_now(poll(
            s,
            "TR",
            t3 + Duration::minutes(3),
            PollOutcome::NotModified,
        ))
        .await
        .unwrap();
    assert_eq!(r.health, Some(Health::Recovered));
    let st = store.state(s).await.unwrap();
    assert_eq!((st.consecutive_failures, st.down), (0, false));
    assert_eq!(health_states(&store).await, ["down", "recovered"]);
    let log = store.fetch_log(s, 10).await.unwrap();
    let outcomes: Vec<&str> = log.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(
        outcomes,
        vec![
            "not_modified",
            "failed",
            "failed",
            "failed",
            "unchanged",
            "not_modified",
            "changed",
            "baseline"
        ]
    );
    assert_eq!(log[1].1.as_deref(), Some("timeout"));
    // A failure that comes with no next time keeps the one it had.
    let before = store.state(s).await.unwrap().next_poll_at;
    let mut p = poll(s, "TR", t3 + Duration::minutes(4), failed("x"));
    p.next_poll_at = None;
    store.record_now(p).await.unwrap();
    assert_eq!(store.state(s).await.unwrap().next_poll_at, before);
    store.close().await;
}

/// A source that was down answers with new content in which the diff
/// found nothing to report: its snapshot is recorded, and its recovery
/// announced once per health channel.
async fn a_down_source_back_with_new_content_and_nothing_to_report_is_announced(db: &TestDb) {
    let store = db.open().await;
    let s = "back-src";
    store
        .record_now(poll(s, "TR", t0(), changed(&["a"], true, vec![])))
        .await
        .unwrap();
    for m in 1..=2 {
        let at = t0() + Duration::minutes(m);
        store
            .record_now(poll(s, "TR", at, failed("timeout")))
            .await
            .unwrap();
    }
    assert!(store.state(s).await.unwrap().down);
    let at = t0() + Duration::minutes(3);
    let r = store
        .record_now(poll(s, "TR", at, changed(&["a", "b"], false, vec![])))
        .await
        .unwrap();
    assert_eq!(r.health, Some(Health::Recovered));
    assert!(!r.superseded && r.change_ids.is_empty());
    let st = store.state(s).await.unwrap();
    assert_eq!((st.consecutive_failures, st.down), (0, false));
    assert_eq!(st.last_hash.as_deref(), Some("hash-a-b"));
    assert_eq!(store.count_snapshots(s).await.unwrap(), 2);
    assert_eq!(health_states(&store).await, ["down", "recovered"]);
    store.close().await;
}

/// A one-shot pass reads, in one statement, the state of each source it
/// polls (those the store knows) and every rate limit running, whichever
/// source it is on.
async fn a_pass_reads_its_sources_states_and_the_rate_limits_at_once(db: &TestDb) {
    let store = db.open().await;
    store
        .record_poll(poll("a-src", "TR", t0(), changed(&["a"], true, vec![])))
        .await
        .unwrap();
    let mut limited = poll("b-src", "TR", t0(), failed("HTTP 429"));
    limited.rate_limited_until = Some(t0() + Duration::hours(1));
    store.record_poll(limited).await.unwrap();
    let ids: HashSet<&str> = ["a-src", "c-src"].into_iter().collect();
    let pass = store
        .pass_start(&ids, t0() + Duration::minutes(1))
        .await
        .unwrap();
    let a = store.state("a-src").await.unwrap();
    let read = pass.of("a-src").state;
    assert!(a.last_snapshot_id.is_some());
    assert_eq!(
        (read.last_snapshot_id, read.last_hash, read.last_poll_at),
        (a.last_snapshot_id, a.last_hash, a.last_poll_at)
    );
    assert!(!pass.states.contains_key("b-src"), "not in this pass");
    let never = pass.of("c-src").state;
    assert!(never.last_snapshot_id.is_none() && never.etag.is_none());
    assert_eq!(
        pass.rate_limits,
        vec![("b-src".to_string(), t0() + Duration::hours(1))]
    );
    assert_eq!(pass.of("c-src").rate_limits, pass.rate_limits);
    let later = store
        .pass_start(&ids, t0() + Duration::hours(2))
        .await
        .unwrap();
    assert!(later.rate_limits.is_empty(), "{:?}", later.rate_limits);
    store.close().await;
}

/// Two polls read the same state; the second to be recorded diffed against
/// a snapshot that is no longer the last one: it keeps its fetch-log line
/// and nothing else.
async fn a_stale_poll_is_superseded(db: &TestDb) {
    let store = db.open().await;
    let s = "tr-ticaret";
    // Two baselines from the same empty state: the second is superseded.
    let first = store
        .record_poll(poll(s, "TR", t0(), changed(&["a"], true, vec![])))
        .await
        .unwrap();
    assert!(!first.superseded);
    let second = store
        .record_poll(poll(s, "TR", t0(), changed(&["a", "z"], true, vec![])))
        .await
        .unwrap();
    assert!(second.superseded);
    assert_eq!(store.count_snapshots(s).await.unwrap(), 1);
    let base = store.state(s).await.unwrap();
    assert_eq!(base.last_hash.as_deref(), Some("hash-a"));

    // Two polls diff against the baseline and find the same new item.
    let t1 = t0() + Duration::minutes(15);
    let rec = || {
        record(
            new_change("b", "Tariff on phones", "8517.13 duty"),
            &["tariff"],
            &["8517.13"],
            &[],
            &["slack", "hook"],
        )
    };
    let mut p = poll(s, "TR", t1, changed(&["a", "b"], false, vec![rec()]));
    p.expected_snapshot = base.last_snapshot_id;
    let won = store.record_poll(p.clone()).await.unwrap();
    assert!(!won.superseded);
    assert_eq!(won.change_ids.len(), 1);
    let lost = store.record_poll(p).await.unwrap();
    assert!(lost.superseded);
    assert!(lost.change_ids.is_empty());
    assert_eq!(store.count_changes().await.unwrap(), 1, "the change once");
    assert_eq!(store.count_snapshots(s).await.unwrap(), 2);
    let keys: Vec<String> = store
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 2, "one delivery per channel: {keys:?}");
    let after = store.state(s).await.unwrap();
    assert_ne!(after.last_snapshot_id, base.last_snapshot_id);

    // A stale "unchanged" leaves the state (validators included) alone,
    // and a failure is never stale.
    let mut p = poll(
        s,
        "TR",
        t1 + Duration::minutes(1),
        PollOutcome::Unchanged {
            etag: Some("\"stale\"".into()),
            last_modified: None,
        },
    );
    p.expected_snapshot = base.last_snapshot_id;
    assert!(store.record_poll(p).await.unwrap().superseded);
    let now = store.state(s).await.unwrap();
    assert_eq!(now.etag, after.etag);
    assert_eq!(now.last_poll_at, after.last_poll_at);
    let mut p = poll(s, "TR", t1 + Duration::minutes(2), failed("HTTP 503"));
    p.expected_snapshot = base.last_snapshot_id;
    assert!(!store.record_poll(p).await.unwrap().superseded);
    assert_eq!(store.state(s).await.unwrap().consecutive_failures, 1);

    let log = store.fetch_log(s, 10).await.unwrap();
    let outcomes: Vec<&str> = log.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "failed",
            "unchanged",
            "unchanged",
            "changed",
            "unchanged",
            "baseline"
        ],
        "every poll has its fetch-log line"
    );
    store.close().await;
}

/// Record one change by a poll of `source` at `at`.
async fn add_change(
    store: &Store,
    source: &str,
    jur: &str,
    at: DateTime<Utc>,
    rec: ChangeRecord,
) -> i64 {
    let key = rec.change.item_key.clone().unwrap();
    store
        .record_now(poll(source, jur, at, changed(&[&key], false, vec![rec])))
        .await
        .unwrap()
        .change_ids[0]
}

async fn changes_filters_and_cursor(db: &TestDb) {
    let store = db.open().await;
    let t = t0();
    let a = add_change(
        &store,
        "de-bafa",
        "DE",
        t,
        record(
            new_change("a", "Export control update", "dual-use list"),
            &["export-control"],
            &["8471.30"],
            &["C-1"],
            &[],
        ),
    )
    .await;
    let b = add_change(
        &store,
        "eu-taric",
        "EU",
        t + Duration::hours(1),
        record(
            new_change("b", "TARIC tariff duty for phones", "anti-dumping 8517"),
            &["tariff", "anti-dumping"],
            &["8517"],
            &[],
            &[],
        ),
    )
    .await;
    let c = add_change(
        &store,
        "us-cbp",
        "US",
        t + Duration::hours(2),
        record(
            new_change("c", "CSMS message 100% new", "quota"),
            &["quota"],
            &["851713"],
            &["C-2"],
            &[],
        ),
    )
    .await;
    let d = add_change(
        &store,
        "tr-rg",
        "TR",
        t + Duration::hours(3),
        record(
            new_change("d", "Resmî Gazete tariff", "ithalat rejimi"),
            &["tariff"],
            &[],
            &["C-1"],
            &[],
        ),
    )
    .await;
    let ids = |v: Vec<regwatch::model::Change>| v.into_iter().map(|c| c.id).collect::<Vec<i64>>();
    let q = |f: ChangeFilter| {
        let store = store.clone();
        async move { ids(store.changes(&f).await.unwrap()) }
    };
    assert_eq!(
        q(ChangeFilter::default()).await,
        vec![d, c, b, a],
        "newest first"
    );
    assert_eq!(
        q(ChangeFilter {
            since: Some(t + Duration::hours(2)),
            ..Default::default()
        })
        .await,
        vec![d, c]
    );
    // A member state includes the EU's own changes; lower case is accepted.
    assert_eq!(
        q(ChangeFilter {
            country: Some(regwatch::model::Country::parse("de").unwrap()),
            ..Default::default()
        })
        .await,
        vec![b, a]
    );
    assert_eq!(
        q(ChangeFilter {
            country: Some(regwatch::model::Country::parse("US").unwrap()),
            ..Default::default()
        })
        .await,
        vec![c]
    );
    assert_eq!(
        q(ChangeFilter {
            category: Some("Tariff".into()),
            ..Default::default()
        })
        .await,
        vec![d, b]
    );
    // HS by prefix both ways.
    assert_eq!(
        q(ChangeFilter {
            hs: Some(vec!["85171300".into()]),
            ..Default::default()
        })
        .await,
        vec![c, b]
    );
    assert_eq!(
        q(ChangeFilter {
            hs: Some(vec!["84".into()]),
            ..Default::default()
        })
        .await,
        vec![a]
    );
    assert_eq!(
        q(ChangeFilter {
            hs: Some(vec!["84".into(), "851713".into()]),
            ..Default::default()
        })
        .await,
        vec![c, b, a]
    );
    assert_eq!(
        q(ChangeFilter {
            hs: Some(vec!["9".into()]),
            ..Default::default()
        })
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(
        q(ChangeFilter {
            source: Some("eu-taric".into()),
            ..Default::default()
        })
        .await,
        vec![b]
    );
    assert_eq!(
        q(ChangeFilter {
            case_id: Some("C-1".into()),
            ..Default::default()
        })
        .await,
        vec![d, a]
    );
    // Words: all must match, ASCII case ignored, in title, excerpt, body or HS codes.
    assert_eq!(
        q(ChangeFilter {
            query: Some("TARIFF".into()),
            ..Default::default()
        })
        .await,
        vec![d, b]
    );
    assert_eq!(
        q(ChangeFilter {
            query: Some("tariff phones".into()),
            ..Default::default()
        })
        .await,
        vec![b]
    );
    assert_eq!(
        q(ChangeFilter {
            query: Some("dual-use".into()),
            ..Default::default()
        })
        .await,
        vec![a]
    );
    assert_eq!(
        q(ChangeFilter {
            query: Some("851713".into()),
            ..Default::default()
        })
        .await,
        vec![c]
    );
    assert_eq!(
        q(ChangeFilter {
            query: Some("Gazete".into()),
            ..Default::default()
        })
        .await,
        vec![d]
    );
    // % and _ are literal.
    assert_eq!(
        q(ChangeFilter {
            query: Some("100%".into()),
            ..Default::default()
        })
        .await,
        vec![c]
    );
    assert_eq!(
        q(ChangeFilter {
            query: Some("%".into()),
            ..Default::default()
        })
        .await,
        vec![c]
    );
    assert_eq!(
        q(ChangeFilter {
            query: Some("_".into()),
            ..Default::default()
        })
        .await,
        Vec::<i64>::new()
    );
    // Filters combine.
    assert_eq!(
        q(ChangeFilter {
            category: Some("tariff".into()),
            country: Some(regwatch::model::Country::parse("TR").unwrap()),
            ..Default::default()
        })
        .await,
        vec![d]
    );
    // The cursor pages through, newest first.
    let page1 = q(ChangeFilter {
        limit: Some(3),
        ..Default::default()
    })
    .await;
    assert_eq!(page1, vec![d, c, b]);
    let page2 = q(ChangeFilter {
        limit: Some(3),
        before_id: Some(*page1.last().unwrap()),
        ..Default::default()
    })
    .await;
    assert_eq!(page2, vec![a]);
    let page3 = q(ChangeFilter {
        limit: Some(3),
        before_id: Some(a),
        ..Default::default()
    })
    .await;
    assert!(page3.is_empty());
    assert_eq!(
        q(ChangeFilter {
            ids: Some(vec![a, c]),
            ..Default::default()
        })
        .await,
        vec![c, a]
    );
    assert_eq!(
        q(ChangeFilter {
            ids: Some(vec![]),
            ..Default::default()
        })
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(
        q(ChangeFilter {
            limit: Some(0),
            ..Default::default()
        })
        .await,
        Vec::<i64>::new()
    );
    assert!(store.change(d + 100).await.unwrap().is_none());
    let got = store.change(c).await.unwrap().unwrap();
    assert_eq!(
        got.cases.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        vec!["C-2"]
    );
    // A field report is a change with an author and no source poll.
    let f = store
        .record_field_report(
            "TR",
            t + Duration::hours(4),
            &record(
                new_change("f", "Port of Mersin asks for a new form", "field"),
                &["procedure"],
                &[],
                &[],
                &["slack"],
            ),
            "ayse",
        )
        .await
        .unwrap();
    let fc = store.change(f).await.unwrap().unwrap();
    assert_eq!(
        (fc.source.as_str(), fc.author.as_deref()),
        ("field", Some("ayse"))
    );
    assert_eq!(store.deliveries().await.unwrap().len(), 1);
    store.close().await;
}

fn case(id: &str, country: &str, hs: &[&str]) -> Case {
    Case {
        id: id.into(),
        client: "ACME".into(),
        title: format!("Case {id}"),
        country: country.into(),
        hs_codes: hs
            .iter()
            .map(|s| regwatch::model::HsCode::parse(s).unwrap())
            .collect(),
        categories: vec!["tariff".into()],
        keywords: vec!["phones".into()],
        status: "open".into(),
        link: Some(format!("https://crm.invalid/{id}")),
        origin: None,
    }
}

async fn cases_upsert_close_backmatch(db: &TestDb) {
    let store = db.open().await;
    let c1 = case("C-1", "TR", &["8517"]);
    assert!(
        store.upsert_case(&c1, crate::helpers::now()).await.unwrap(),
        "new"
    );
    assert!(
        !store.upsert_case(&c1, crate::helpers::now()).await.unwrap(),
        "unchanged"
    );
    let mut c1b = c1.clone();
    c1b.hs_codes
        .push(regwatch::model::HsCode::parse("8471").unwrap());
    assert!(
        store
            .upsert_case(&c1b, crate::helpers::now())
            .await
            .unwrap(),
        "changed"
    );
    assert_eq!(store.case("C-1").await.unwrap(), Some(c1b.clone()));
    assert!(store.case("nope").await.unwrap().is_none());
    store
        .upsert_case(&case("B-2", "DE", &[]), crate::helpers::now())
        .await
        .unwrap();
    store
        .upsert_case(&case("a-3", "US", &[]), crate::helpers::now())
        .await
        .unwrap();
    // Byte order on both backends: upper case before lower case.
    let all: Vec<String> = store
        .cases(None)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(all, vec!["B-2", "C-1", "a-3"]);
    assert!(store
        .close_case("B-2", crate::helpers::now())
        .await
        .unwrap());
    assert!(!store
        .close_case("missing", crate::helpers::now())
        .await
        .unwrap());
    let open: Vec<String> = store
        .open_cases()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(open, vec!["C-1", "a-3"]);
    let closed: Vec<String> = store
        .cases(Some("closed"))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(closed, vec!["B-2"]);

    // Back-matching existing changes to a case.
    let x = add_change(
        &store,
        "tr-a",
        "TR",
        t0(),
        record(new_change("x", "Phones", "8517"), &[], &[], &[], &[]),
    )
    .await;
    let y = add_change(
        &store,
        "tr-b",
        "TR",
        t0() + Duration::hours(1),
        record(new_change("y", "Laptops", "8471"), &[], &[], &[], &[]),
    )
    .await;
    let n = store
        .add_case_matches(
            "C-1",
            &[
                (x, regwatch::model::Strength::Direct, "hs 8517".into()),
                (y, regwatch::model::Strength::Related, "hs 8471".into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    let again = store
        .add_case_matches(
            "C-1",
            &[(x, regwatch::model::Strength::Direct, "hs 8517".into())],
        )
        .await
        .unwrap();
    assert_eq!(again, 0, "a match is recorded once");
    let by_case = store
        .changes(&ChangeFilter {
            case_id: Some("C-1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_case.iter().map(|c| c.id).collect::<Vec<_>>(), vec![y, x]);
    assert_eq!(
        by_case[0].cases[0].link.as_deref(),
        Some("https://crm.invalid/C-1")
    );
    assert_eq!(by_case[0].cases[0].reason, "hs 8471");
    store.clear_case_matches("C-1").await.unwrap();
    assert!(store
        .changes(&ChangeFilter {
            case_id: Some("C-1".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty());
    store.close().await;
}

async fn outbox_enqueue_claim_mark_retry(db: &TestDb) {
    let store = db.open().await;
    let p = serde_json::json!({"hello": "world", "n": 1});
    store
        .enqueue("slack", "digest", None, &p, "k1", crate::helpers::now())
        .await
        .unwrap();
    store
        .enqueue("slack", "digest", None, &p, "k1", crate::helpers::now())
        .await
        .unwrap();
    store
        .enqueue("email", "digest", None, &p, "k2", crate::helpers::now())
        .await
        .unwrap();
    assert_eq!(
        store.outbox_depth().await.unwrap(),
        2,
        "the idempotency key dedups"
    );
    let now = crate::helpers::now();
    let lease = Duration::seconds(60);
    let a = store
        .claim_deliveries("A", now, lease, 10, false)
        .await
        .unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].payload, p);
    assert_eq!(a[0].idempotency_key, "k1");
    assert!(a[0].id < a[1].id);
    // Leased: nobody else gets them, not even when forced.
    assert!(store
        .claim_deliveries("B", now, lease, 10, false)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .claim_deliveries("B", now, lease, 10, true)
        .await
        .unwrap()
        .is_empty());
    store.mark_delivered(a[0].id, now).await.unwrap();
    store
        .mark_failed(a[1].id, "SMTP 451", now + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(store.outbox_depth().await.unwrap(), 1);
    // Not due yet, unless forced.
    assert!(store
        .claim_deliveries("B", now, lease, 10, false)
        .await
        .unwrap()
        .is_empty());
    let forced = store
        .claim_deliveries("B", now, lease, 10, true)
        .await
        .unwrap();
    assert_eq!(forced.len(), 1);
    assert_eq!(forced[0].attempts, 1);
    assert_eq!(forced[0].last_error.as_deref(), Some("SMTP 451"));
    // B died holding it: once the lease ends, A takes it over when due.
    let later = now + Duration::minutes(6);
    let retry = store
        .claim_deliveries("A", later, lease, 10, false)
        .await
        .unwrap();
    assert_eq!(
        retry.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![a[1].id]
    );
    store.mark_delivered(a[1].id, later).await.unwrap();
    assert!(store.pending_deliveries().await.unwrap().is_empty());
    let all = store.deliveries().await.unwrap();
    assert!(all.iter().all(|d| d.status == "delivered"));
    assert_eq!(all[1].attempts, 2);
    // Limit.
    for i in 0..5 {
        store
            .enqueue(
                "slack",
                "change",
                None,
                &p,
                &format!("l{i}"),
                crate::helpers::now(),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .claim_deliveries("A", later, lease, 3, false)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        store
            .claim_deliveries("B", later, lease, 3, false)
            .await
            .unwrap()
            .len(),
        2
    );
    store.close().await;
}

async fn outbox_racing_claims_never_share(db: &TestDb) {
    let s1 = db.open().await;
    let s2 = db.open().await;
    let p = serde_json::json!({});
    for i in 0..60 {
        s1.enqueue(
            "slack",
            "change",
            None,
            &p,
            &format!("r{i}"),
            crate::helpers::now(),
        )
        .await
        .unwrap();
    }
    let now = crate::helpers::now();
    let worker = |store: Store, owner: &'static str| async move {
        let mut got = vec![];
        loop {
            let v = store
                .claim_deliveries(owner, now, Duration::minutes(5), 4, false)
                .await
                .unwrap();
            if v.is_empty() {
                break;
            }
            got.extend(v.into_iter().map(|d| d.id));
        }
        got
    };
    let (a, b, c) = tokio::join!(
        tokio::spawn(worker(s1.clone(), "A")),
        tokio::spawn(worker(s2.clone(), "B")),
        tokio::spawn(worker(s2.clone(), "C")),
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    let mut all: Vec<i64> = a.iter().chain(&b).chain(&c).copied().collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(n, all.len(), "a delivery was claimed twice");
    assert_eq!(n, 60, "a delivery was never claimed");
    s1.close().await;
    s2.close().await;
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("src-{i:03}")).collect()
}

async fn claim_due_sources_two_owners(db: &TestDb) {
    let a = db.open().await;
    let b = db.open().await;
    let all = ids(10);
    let now = t0();
    let lease = Duration::seconds(120);
    // Never-polled sources are due; rows are created for them.
    let got_a = a.claim_due_sources("A", &all, now, lease, 6).await.unwrap();
    assert_eq!(got_a.len(), 6);
    let got_b = b
        .claim_due_sources("B", &all, now, lease, 100)
        .await
        .unwrap();
    assert_eq!(got_b.len(), 4);
    assert_eq!(got_a, all[..6].to_vec(), "the limit holds, in id order");
    let sa: HashSet<&String> = got_a.iter().collect();
    assert!(
        got_b.iter().all(|id| !sa.contains(id)),
        "claimed twice: {got_a:?} {got_b:?}"
    );
    assert!(b
        .claim_due_sources("C", &all, now, lease, 100)
        .await
        .unwrap()
        .is_empty());
    // An owner may take again what it holds (it knows it is not polling it).
    assert_eq!(
        a.claim_due_sources("A", &all, now, lease, 100)
            .await
            .unwrap(),
        got_a
    );
    assert_eq!(a.source_leases(now).await.unwrap().len(), 10);

    // A polls two of its sources: the poll releases them and sets the next time.
    for id in &got_a[..2] {
        a.record_now(poll(id, "TR", now, PollOutcome::NotModified))
            .await
            .unwrap();
    }
    // A gives one back unpolled; B cannot release what A holds.
    a.release_source("A", &got_a[2]).await.unwrap();
    b.release_source("B", &got_a[3]).await.unwrap();
    let again = b
        .claim_due_sources("C", &all, now + Duration::seconds(1), lease, 100)
        .await
        .unwrap();
    assert_eq!(again, vec![got_a[2].clone()]);

    // A dies. When its lease ends B takes over what A still held, but not
    // what A polled (not due before next_poll_at).
    let after = now + lease;
    let taken = b
        .claim_due_sources("B", &all, after, lease, 100)
        .await
        .unwrap();
    let mut expect: Vec<String> = got_a[3..].to_vec();
    expect.extend(got_b.iter().cloned());
    expect.sort();
    let mut taken_sorted = taken.clone();
    taken_sorted.sort();
    // B's own leases come back to B too; got_a[2] is still C's.
    assert_eq!(taken_sorted, expect);
    // At the next poll time, A's polled sources are due again.
    let next = now + Duration::minutes(15);
    let due_again = a
        .claim_due_sources("A", &got_a[..2], next, lease, 100)
        .await
        .unwrap();
    assert_eq!(due_again.len(), 2);
    // Ids outside the list are never claimed; an empty list claims nothing.
    assert!(a
        .claim_due_sources("A", &[], next, lease, 100)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(a.release_all_sources("A").await.unwrap(), 2);
    a.close().await;
    b.close().await;
}

async fn claim_due_sources_racing(db: &TestDb) {
    let n = 120;
    let all = ids(n);
    let stores = [db.open().await, db.open().await, db.open().await];
    let now = t0();
    let mut tasks = vec![];
    for (i, s) in stores.iter().enumerate() {
        let s = s.clone();
        let all = all.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("owner-{i}");
            let mut got: Vec<String> = vec![];
            loop {
                // As the daemon does: ask only for what this owner is not
                // already polling.
                let want: Vec<String> =
                    all.iter().filter(|id| !got.contains(id)).cloned().collect();
                let v = s
                    .claim_due_sources(&owner, &want, now, Duration::minutes(5), 7)
                    .await
                    .unwrap();
                if v.is_empty() {
                    break;
                }
                got.extend(v);
            }
            got
        }));
    }
    let mut claimed = vec![];
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    let total = claimed.len();
    claimed.sort();
    claimed.dedup();
    assert_eq!(total, claimed.len(), "a source was claimed twice");
    assert_eq!(total, n, "a due source was not claimed");
    for s in stores {
        s.close().await;
    }
}

async fn digest_period_claimed_once(db: &TestDb) {
    let s1 = db.open().await;
    let s2 = db.open().await;
    let p = serde_json::json!({"change_ids": [1, 2]});
    let mut end = t0();
    for round in 0..8 {
        end += Duration::days(1);
        let (w1, w2) = tokio::join!(
            s1.close_digest_period("daily", end, Some(&p)),
            s2.close_digest_period("daily", end, Some(&p)),
        );
        let (w1, w2) = (w1.unwrap(), w2.unwrap());
        assert!(
            w1 ^ w2,
            "round {round}: exactly one instance closes the period ({w1}, {w2})"
        );
        assert_eq!(s2.digest_period_end("daily").await.unwrap(), Some(end));
    }
    let digests = s1.deliveries().await.unwrap();
    assert_eq!(digests.len(), 8, "one digest per period");
    // A stale close (an instance behind the others) changes nothing.
    assert!(!s1
        .close_digest_period("daily", t0(), Some(&p))
        .await
        .unwrap());
    assert_eq!(s1.digest_period_end("daily").await.unwrap(), Some(end));
    // An empty period is closed without a delivery.
    assert!(s1.close_digest_period("weekly", end, None).await.unwrap());
    assert_eq!(s1.deliveries().await.unwrap().len(), 8);
    assert_eq!(s1.digest_period_end("weekly").await.unwrap(), Some(end));
    s1.close().await;
    s2.close().await;
}

/// Fill a store with a bit of everything.
async fn populate(store: &Store) {
    store
        .upsert_case(&case("C-1", "TR", &["8517"]), crate::helpers::now())
        .await
        .unwrap();
    let t = t0();
    store
        .record_now(poll("tr-a", "TR", t, changed(&["a"], true, vec![])))
        .await
        .unwrap();
    for i in 0..30 {
        let key = format!("k{i}");
        store
            .record_now(poll(
                "tr-a",
                "TR",
                t + Duration::minutes(i),
                changed(
                    &["a", &key],
                    false,
                    vec![{
                        let mut r = record(
                            new_change(&key, &format!("Tariff {i}"), "8517 duty"),
                            &["tariff"],
                            &["8517"],
                            &["C-1"],
                            &["slack"],
                        );
                        // every other change with its English gist, copied with it
                        if i % 2 == 0 {
                            r.gist = regwatch::gist::of(
                                &format!("Gümrük vergisi {i}"),
                                "8517 pozisyonunda ek gümrük vergisi uygulanır",
                                Some("tr"),
                                "TR",
                                &r.tags,
                            );
                            assert!(r.gist.is_some());
                        }
                        r
                    }],
                ),
            ))
            .await
            .unwrap();
    }
    store
        .record_now(poll("tr-b", "TR", t, failed("503")))
        .await
        .unwrap();
    store
        .record_now(poll("tr-b", "TR", t, failed("503")))
        .await
        .unwrap();
    store
        .close_digest_period("daily", t, Some(&serde_json::json!({"x": 1})))
        .await
        .unwrap();
    let d = store
        .claim_deliveries("A", t, Duration::seconds(30), 1, true)
        .await
        .unwrap();
    store.mark_delivered(d[0].id, t).await.unwrap();
}

async fn copy_preserves_everything(db: &TestDb) {
    // The source is SQLite (what users move from); the target is `db`.
    let src_db = TestDb::sqlite();
    let src = src_db.open().await;
    populate(&src).await;
    let target = db.open().await;
    let counts = src.copy_to(&target).await.unwrap();
    let by_table: std::collections::HashMap<&str, u64> = counts.iter().copied().collect();
    assert_eq!(by_table["changes"], 30);
    assert_eq!(by_table["change_gists"], 15);
    assert_eq!(by_table["snapshots"], 31);
    assert_eq!(by_table["fetch_log"], 33);
    let src_counts = src.table_counts().await.unwrap();
    assert_eq!(target.table_counts().await.unwrap(), src_counts);
    // Same changes, same ids, same cases and tags.
    let f = ChangeFilter::default();
    assert_eq!(
        target.changes(&f).await.unwrap(),
        src.changes(&f).await.unwrap()
    );
    // ... with the whole tag set each was recorded with
    let copied = target.changes(&f).await.unwrap();
    assert!(copied
        .iter()
        .all(|c| c.dates.len() == 1 && c.exempt_origins == ["MX"] && c.hs_ranges.len() == 1));
    assert_eq!(target.health().await.unwrap(), src.health().await.unwrap());
    let (sd, td) = (
        src.deliveries().await.unwrap(),
        target.deliveries().await.unwrap(),
    );
    assert_eq!(
        sd.iter()
            .map(|d| (d.id, d.status.clone(), d.idempotency_key.clone()))
            .collect::<Vec<_>>(),
        td.iter()
            .map(|d| (d.id, d.status.clone(), d.idempotency_key.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(target.digest_period_end("daily").await.unwrap(), Some(t0()));
    assert_eq!(
        target.cases(None).await.unwrap(),
        src.cases(None).await.unwrap()
    );
    let st = target.state("tr-a").await.unwrap();
    assert_eq!(st.last_hash.as_deref(), Some("hash-a-k29"));
    // New rows continue after the copied ids.
    let max = src.count_changes().await.unwrap();
    let id = add_change(
        &target,
        "tr-c",
        "TR",
        t0() + Duration::days(1),
        record(new_change("new", "New", "x"), &[], &[], &[], &["slack"]),
    )
    .await;
    assert!(id > max, "new id {id} collides with copied ids (max {max})");
    // A non-empty target is refused, and left as it was.
    let before = target.table_counts().await.unwrap();
    let err = src.copy_to(&target).await.unwrap_err().to_string();
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(target.table_counts().await.unwrap(), before);
    src.close().await;
    target.close().await;
}

/// The copy covers every column of every table of the schema: a migration
/// that adds one must extend `db copy` too.
#[tokio::test]
async fn copy_covers_the_whole_schema() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let pool = sqlx::SqlitePool::connect(&format!("{}?mode=ro", db.url))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let copied = regwatch::store::copy::copied_columns();
    let mut names: Vec<String> = copied.iter().map(|(t, _)| t.to_string()).collect();
    names.sort();
    assert_eq!(names, tables);
    for (t, cols) in copied {
        let actual: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{t}') ORDER BY cid"
        )))
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(cols, actual, "columns of {t}");
    }
    pool.close().await;
    store.close().await;
}

/// `regwatch db copy --to URL` from the configured SQLite store.
async fn db_copy_command(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sources")).unwrap();
    let src_url = format!("sqlite://{}/src.db", dir.path().display());
    let cfg = dir.path().join("regwatch.toml");
    std::fs::write(
        &cfg,
        format!(
            "[storage]\nurl = \"{src_url}\"\n[sources]\ndir = \"{}/sources\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let src = Store::open(&src_url).await.unwrap();
    populate(&src).await;
    let changes = src.count_changes().await.unwrap();
    src.close().await;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
            .arg("--config")
            .arg(&cfg)
            .args(["db", "copy", "--to", &db.url])
            .env("REGWATCH_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("changes") && l.trim_end().ends_with(&format!(" {changes}"))),
        "{stdout}"
    );
    assert!(stdout.contains("copied "), "{stdout}");
    let target = db.open().await;
    assert_eq!(target.count_changes().await.unwrap(), changes);
    target.close().await;
    // Again: the target is not empty any more.
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
}

/// One change polled from `source` (jurisdiction `jur`) at `at`.
async fn one_change(
    store: &Store,
    source: &str,
    jur: &str,
    at: DateTime<Utc>,
    c: NewChange,
    to: &[&str],
) -> i64 {
    let key = c.item_key.clone().unwrap();
    let r = store
        .record_now(poll(
            source,
            jur,
            at,
            changed(&[&key], false, vec![record(c, &[], &[], &[], to)]),
        ))
        .await
        .unwrap();
    r.change_ids[0]
}

/// Changes of other sources about the same act are one story; a story is
/// alerted once per channel; a source's own follow-up, a removal, another
/// jurisdiction and a report older than the window stay apart.
async fn stories_link_other_sources_and_alert_once_per_channel(db: &TestDb) {
    let store = db.open().await;
    let t1 = t0();
    let a = one_change(
        &store,
        "tr-gazette",
        "TR",
        t1,
        new_change("g1", "Telsiz Ekipmanları Yönetmeliği (No: 2024/12)", "x"),
        &["slack"],
    )
    .await;
    let b = one_change(
        &store,
        "tr-ministry",
        "TR",
        t1 + Duration::minutes(5),
        new_change("m1", "2024/12 sayılı Telsiz Ekipmanları Yönetmeliği", "x"),
        &["slack", "mail"],
    )
    .await;
    let ca = store.change(a).await.unwrap().unwrap();
    let cb = store.change(b).await.unwrap().unwrap();
    assert_eq!((ca.story_id, cb.story_id), (a, a));
    assert_eq!(ca.also_reported_by.len(), 1);
    assert_eq!(ca.also_reported_by[0].id, b);
    assert_eq!(ca.also_reported_by[0].source_id, "tr-ministry");
    assert_eq!(cb.also_reported_by[0].id, a);
    // Slack had the story already; mail had not.
    let d = store.deliveries().await.unwrap();
    let of = |id: i64| -> Vec<String> {
        d.iter()
            .filter(|x| x.change_id == Some(id))
            .map(|x| x.channel.clone())
            .collect()
    };
    assert_eq!(of(a), ["slack"]);
    assert_eq!(of(b), ["mail"]);

    // The gazette's own follow-up is its own news, alerted as before.
    let mut m = new_change("g1", "Telsiz Ekipmanları Yönetmeliği (No: 2024/12)", "y");
    m.kind = ChangeKind::Modified;
    let a2 = one_change(
        &store,
        "tr-gazette",
        "TR",
        t1 + Duration::hours(1),
        m,
        &["slack"],
    )
    .await;
    assert_eq!(store.change(a2).await.unwrap().unwrap().story_id, a2);
    // A removal is not a report of the act.
    let mut r = new_change("x1", "Telsiz Ekipmanları Yönetmeliği (No: 2024/12)", "z");
    r.kind = ChangeKind::Removed;
    let rm = one_change(
        &store,
        "tr-other",
        "TR",
        t1 + Duration::hours(2),
        r,
        &["slack"],
    )
    .await;
    assert_eq!(store.change(rm).await.unwrap().unwrap().story_id, rm);
    // Another jurisdiction's act of the same number.
    let vn = one_change(
        &store,
        "vn-portal",
        "VN",
        t1 + Duration::hours(3),
        new_change("v1", "Regulation 2024/12 on radio equipment", "x"),
        &["slack"],
    )
    .await;
    assert_eq!(store.change(vn).await.unwrap().unwrap().story_id, vn);
    // Past the window, the same act is news again.
    let late = one_change(
        &store,
        "vn-other",
        "VN",
        t1 + Duration::hours(3) + Duration::days(15),
        new_change("v2", "Regulation 2024/12 on radio equipment", "x"),
        &["slack"],
    )
    .await;
    let cl = store.change(late).await.unwrap().unwrap();
    assert_eq!(cl.story_id, late);
    assert!(cl.also_reported_by.is_empty());
    let d = store.deliveries().await.unwrap();
    for id in [a2, rm, vn, late] {
        assert_eq!(
            d.iter().filter(|x| x.change_id == Some(id)).count(),
            1,
            "change #{id} alerted"
        );
    }
    store.close().await;
}

/// How a test's changed poll is handed to the store.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    /// Without what the poll read ahead: recorded by the transaction.
    Transaction,
    /// With the standing and stories read before it (as `poll_source`
    /// hands it): one statement on PostgreSQL.
    OneStatement,
    /// With a standing that has moved on since it was read: the statement
    /// records nothing and the transaction records the poll.
    Stale,
}

/// A source's poll history: a baseline, two failures (down), then a
/// changed poll with everything a change carries (tags, gist, case matches,
/// channels, seen items, a recovery alert), the last recorded by `path`.
async fn history_recorded(store: &Store, src: &str, jur: &str, path: Path) -> PollResult {
    let t = t0();
    let base = record(
        new_change("k1", "Telsiz Ekipmanları Yönetmeliği (No: 2024/12)", "x"),
        &["tariff"],
        &["8517.62"],
        &[],
        &["slack"],
    );
    store
        .record_now(poll(src, jur, t, changed(&["k1"], true, vec![base])))
        .await
        .unwrap();
    for m in 1..=2 {
        let failed = PollOutcome::Failed {
            error: "HTTP 503".into(),
        };
        store
            .record_now(poll(src, jur, t + Duration::minutes(m), failed))
            .await
            .unwrap();
    }
    let mut c = record(
        new_change(
            "k2",
            "İthalat Denetimi Tebliği 2026/7 yayımlandı",
            "GTİP 8517.62 ve 8471",
        ),
        &["tariff", "conformity"],
        &["8517.62", "8471.30"],
        &["CASE-1", "CASE-2"],
        &["slack", "mail"],
    );
    c.tags.chapters = vec!["85".into()];
    c.tags.member = None;
    c.gist = Some(regwatch::model::Gist {
        lang: "tr".into(),
        country: Some("Türkiye".into()),
        issuer: None,
        act_type: Some("Communiqué 2026/7".into()),
        action: Some("is published".into()),
        products: vec!["8517.62".into()],
        dates: vec![],
        text: "Communiqué 2026/7 is published".into(),
    });
    let at = t + Duration::minutes(3);
    let mut p = poll(src, jur, at, changed(&["k1", "k2"], false, vec![c]));
    p.seen_keys = vec!["k2".into(), "link:https://example.invalid/k2".into()];
    let state = store.state(src).await.unwrap();
    p.expected_snapshot = state.last_snapshot_id;
    let read = regwatch::store::Standing {
        consecutive_failures: state.consecutive_failures,
        down: state.down,
    };
    match path {
        Path::Transaction => {}
        Path::OneStatement | Path::Stale => {
            p.standing = Some(if path == Path::Stale {
                Default::default()
            } else {
                read
            });
            p.stories = store
                .read_ahead(src, jur, state.last_snapshot_id, &[], at)
                .await
                .unwrap()
                .stories;
        }
    }
    store.record_poll(p).await.unwrap()
}

/// Every row a source's polls left, with the source, its jurisdiction and
/// the ids drawn (which differ between the sources compared) written out.
async fn rows_of(db: &TestDb, src: &str, jur: &str) -> Vec<String> {
    use sqlx::Row;
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let of_change = "FROM changes c WHERE c.source_id = $1";
    let queries = [
        "SELECT CAST(started_at AS TEXT), CAST(duration_ms AS TEXT), CAST(status AS TEXT), CAST(bytes AS TEXT), outcome, error FROM fetch_log WHERE source_id = $1 ORDER BY id".to_string(),
        "SELECT content_hash, taken_at FROM snapshots WHERE source_id = $1 ORDER BY id".to_string(),
        format!("SELECT kind, item_key, title, link, excerpt, diff, body, categories, hs_codes, evidence,
                effective_date, author, deadline, excluded_hs_codes, chapters, member, origins, tags, search_text,
                CASE WHEN story_id = id THEN 'own story' ELSE 'joined a story' END,
                CASE WHEN snapshot_id = (SELECT MAX(id) FROM snapshots WHERE source_id = $1) THEN 'last' ELSE 'first' END
                {of_change} ORDER BY c.id"),
        "SELECT c.item_key, x.category FROM change_categories x JOIN changes c ON c.id = x.change_id WHERE c.source_id = $1 ORDER BY 1, 2".to_string(),
        "SELECT c.item_key, x.digits FROM change_hs x JOIN changes c ON c.id = x.change_id WHERE c.source_id = $1 ORDER BY 1, 2".to_string(),
        "SELECT c.item_key, x.lang, x.gist FROM change_gists x JOIN changes c ON c.id = x.change_id WHERE c.source_id = $1 ORDER BY 1".to_string(),
        "SELECT c.item_key, x.case_id, x.reason, x.strength FROM case_matches x JOIN changes c ON c.id = x.change_id WHERE c.source_id = $1 ORDER BY 1, 2".to_string(),
        "SELECT c.item_key, o.channel, o.kind, o.payload, REPLACE(o.idempotency_key, CAST(c.id AS TEXT), 'ID'), o.status, o.next_attempt_at, o.created_at
         FROM outbox o JOIN changes c ON c.id = o.change_id WHERE c.source_id = $1 ORDER BY 1, 2".to_string(),
        "SELECT channel, kind, payload, idempotency_key, next_attempt_at FROM outbox WHERE kind = 'health' AND idempotency_key LIKE 'health:' || $1 || ':%' ORDER BY 1, 4".to_string(),
        "SELECT item_key, last_seen FROM seen_items WHERE source_id = $1 ORDER BY 1".to_string(),
        "SELECT etag, last_modified, last_poll_at, last_success_at, last_error, CAST(consecutive_failures AS TEXT),
                CAST(down AS TEXT), next_poll_at, lease_owner, lease_until, suspect_hash, body_hash, moved_to,
                moved_from, rate_limited_until,
                CASE WHEN last_snapshot_id = (SELECT MAX(id) FROM snapshots WHERE source_id = $1) THEN 'last' END
         FROM source_state WHERE source_id = $1".to_string(),
    ];
    let mut out = vec![];
    for q in queries {
        let rows = sqlx::query(sqlx::AssertSqlSafe(q.clone()))
            .bind(src)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        for r in rows {
            let cells: Vec<String> = (0..r.len())
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .unwrap_or_else(|e| panic!("{q}, column {i}: {e}"))
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect();
            out.push(
                cells
                    .join(" | ")
                    .replace(src, "SOURCE")
                    .replace(&format!("\"{jur}\""), "\"JUR\""),
            );
        }
    }
    let _ = conn.close().await;
    out
}

/// A changed poll recorded in one statement (PostgreSQL; on SQLite the
/// same transaction) leaves the very rows the transaction leaves: the first
/// change of an act with its alerts, a change joining another source's
/// story (no second alert on a channel that had the story), and a poll
/// whose standing moved on since it was read (recorded by the transaction).
async fn one_statement_record_writes_what_the_transaction_writes(db: &TestDb) {
    let store = db.open().await;
    let first_tx = history_recorded(&store, "alpha-src", "TR", Path::Transaction).await;
    let first_one = history_recorded(&store, "beta-src", "VN", Path::OneStatement).await;
    let joined_one = history_recorded(&store, "gamma-src", "TR", Path::OneStatement).await;
    let joined_tx = history_recorded(&store, "delta-src", "VN", Path::Transaction).await;
    let stale = history_recorded(&store, "epsilon-src", "TR", Path::Stale).await;
    for r in [&first_tx, &first_one, &joined_one, &joined_tx, &stale] {
        assert_eq!(r.health, Some(Health::Recovered));
        assert_eq!(r.change_ids.len(), 1);
        let h = r.source_health.as_ref().unwrap();
        assert!(!h.down && h.consecutive_failures == 0, "{h:?}");
    }
    let a = rows_of(db, "alpha-src", "TR").await;
    // What is compared is there: the alerts of both kinds, the gist, the
    // case matches, the seen items and the state.
    for what in [
        "own story",
        "| slack | change |",
        "| mail | change |",
        "| health |",
        "Communiqué 2026/7",
        "CASE-2 | hs match",
        "link:https://example.invalid/k2 |",
        "\"e-2\"",
    ] {
        assert!(a.iter().any(|r| r.contains(what)), "{what}: {a:#?}");
    }
    assert_eq!(a, rows_of(db, "beta-src", "VN").await, "{}", db.backend);
    let g = rows_of(db, "gamma-src", "TR").await;
    assert!(g.iter().any(|r| r.contains("joined a story")), "{g:#?}");
    assert_eq!(g, rows_of(db, "delta-src", "VN").await, "{}", db.backend);
    assert_eq!(g, rows_of(db, "epsilon-src", "TR").await, "{}", db.backend);
    // The second source's changes joined the first's stories: no change
    // alert of its own on Slack, which had them.
    assert!(
        !g.iter().any(|r| r.contains("| slack | change |")),
        "{g:#?}"
    );
}

/// The first report of the act of both story tests: eta-src's change, its
/// story id.
async fn eta_reports_the_act(store: &Store, at: DateTime<Utc>) -> i64 {
    one_change(
        store,
        "eta-src",
        "TR",
        at,
        new_change("e1", "Telsiz Ekipmanları Yönetmeliği (No: 2024/12)", "x"),
        &["slack"],
    )
    .await
}

/// zeta-src's report of the same act, recorded with the stories it read
/// ahead; the change as recorded.
async fn zeta_reports_the_act(
    store: &Store,
    at: DateTime<Utc>,
    stories: Option<regwatch::store::StoryCandidates>,
) -> regwatch::model::Change {
    let c = record(
        new_change("z1", "2024/12 sayılı Telsiz Ekipmanları Yönetmeliği", "x"),
        &[],
        &[],
        &[],
        &["slack"],
    );
    let mut p = poll("zeta-src", "TR", at, changed(&["z1"], false, vec![c]));
    p.standing = Some(Default::default());
    p.stories = stories;
    let r = store.record_now(p).await.unwrap();
    store.change(r.change_ids[0]).await.unwrap().unwrap()
}

/// A poll reads the stories its changes may join before it is recorded;
/// another source recording the same act in between is not missed: the
/// one statement sees a change newer than what was read, and the poll,
/// holding the story lock, reads what is newer and joins it, with no
/// second alert.
async fn a_story_recorded_after_the_stories_were_read_is_still_joined(db: &TestDb) {
    let store = db.open().await;
    let at = t0();
    let read = store
        .read_ahead("zeta-src", "TR", None, &[], at)
        .await
        .unwrap();
    if db.backend == "postgres" {
        assert!(read.stories.as_ref().is_some_and(|s| s.list.is_empty()));
    }
    let first = eta_reports_the_act(&store, at).await;
    let joined = zeta_reports_the_act(&store, at, read.stories).await;
    assert_eq!(joined.story_id, first);
    let alerts: Vec<_> = store
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.change_id == Some(joined.id))
        .collect();
    assert!(alerts.is_empty(), "{alerts:?}");
}

/// What a poll read ahead still counts when other sources record changes
/// of other acts before it is recorded: the poll reads only what is newer
/// under the story lock, and joins the story it had read.
async fn a_story_read_ahead_is_joined_when_others_record_meanwhile(db: &TestDb) {
    let store = db.open().await;
    let at = t0();
    let first = eta_reports_the_act(&store, at).await;
    let read = store
        .read_ahead("zeta-src", "TR", None, &[], at)
        .await
        .unwrap();
    if db.backend == "postgres" {
        assert_eq!(read.stories.as_ref().map(|s| s.list.len()), Some(1));
    }
    one_change(
        &store,
        "theta-src",
        "TR",
        at,
        new_change("t1", "Gümrük Genel Tebliği (Tarife) Seri No: 9", "x"),
        &["slack"],
    )
    .await;
    let joined = zeta_reports_the_act(&store, at, read.stories).await;
    assert_eq!(joined.story_id, first);
}
