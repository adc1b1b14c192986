//! Exactly-once recording across processes: several `regwatch poll`
//! processes, or `regwatch poll` beside `regwatch run`, polling the same
//! sources at the same time over one database (a SQLite file, and
//! PostgreSQL when `REGWATCH_TEST_PG` is set). Each poll's diff is recorded
//! only if the source still stands at the snapshot it was computed from, so
//! every change is recorded once and alerted once per channel.

use crate::daemon::{start_run, TempDir};
use crate::helpers::{rss, FixtureServer, Reply};
use crate::store::TestDb;
use regwatch::store::{ChangeFilter, Store};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SOURCES: usize = 4;
const CHANNELS: [&str; 2] = ["hook-a", "hook-b"];

/// Idempotency keys received per channel path, with their count.
type Received = Arc<Mutex<HashMap<(String, String), usize>>>;

async fn receiver() -> (String, Received) {
    use axum::extract::{Path as AxPath, State};
    use axum::http::HeaderMap;
    let got: Received = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/hook/{name}",
            axum::routing::post(
                |State(got): State<Received>, AxPath(name): AxPath<String>, h: HeaderMap| async move {
                    let key = h
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    *got.lock().unwrap().entry((name, key)).or_default() += 1;
                    "ok"
                },
            ),
        )
        .with_state(got.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, got)
}

fn write_config(dir: &Path, db_url: &str, feeds: &FixtureServer, hooks: &str) -> PathBuf {
    let sdir = dir.join("sources");
    std::fs::create_dir_all(&sdir).unwrap();
    let mut sources = String::new();
    for i in 0..SOURCES {
        sources.push_str(&format!(
            "[[source]]\nid = \"s{i}\"\nname = \"Source {i}\"\njurisdiction = \"TR\"\nlanguage = \"en\"\nkind = \"feed\"\nurl = \"{}\"\nschedule = \"* * * * * *\"\n\n",
            feeds.url(&format!("/s{i}.xml"))
        ));
    }
    std::fs::write(sdir.join("feeds.toml"), sources).unwrap();
    let mut cfg = format!(
        "[storage]\nurl = \"{db_url}\"\n\n[sources]\ndir = \"{}\"\n\n\
         [fetch]\nper_host_interval = \"0s\"\nper_host_concurrency = 16\nrobots_txt = false\nretries = 0\ntimeout = \"10s\"\n\n\
         [schedule]\njitter = \"0s\"\n\n[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://regwatch.test\"\n\n",
        sdir.display()
    );
    for ch in CHANNELS {
        cfg.push_str(&format!(
            "[[channel]]\nname = \"{ch}\"\ntype = \"webhook\"\nurl = \"{hooks}/hook/{ch}\"\nmode = \"immediate\"\n\n"
        ));
    }
    let path = dir.join("regwatch.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// Feed `i` with items 1..=n, newest first.
fn feed(i: usize, n: usize) -> String {
    let items: Vec<(String, String, String)> = (1..=n)
        .rev()
        .map(|k| {
            (
                format!("s{i}-{k}"),
                format!("Notice {k} of source {i}: customs rule"),
                format!("Item {k}"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    rss(&refs)
}

fn regwatch(cfg: &Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"));
    c.arg("--config")
        .arg(cfg)
        .args(args)
        .env("REGWATCH_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

fn check(out: std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every item past the baseline recorded as exactly one change, every
/// change queued once per channel and received once per channel. Returns
/// the number of changes.
async fn assert_exactly_once(store: &Store, baseline_items: usize, got: &Received) -> usize {
    let changes = store.changes(&ChangeFilter::default()).await.unwrap();
    // The feed's items link to http://example.invalid/{guid}.
    let mut per: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in &changes {
        let link = c.link.clone().unwrap_or_default();
        *per.entry((c.source.clone(), link)).or_default() += 1;
    }
    for (k, n) in &per {
        assert_eq!(*n, 1, "{k:?} recorded {n} times");
    }
    // What the last snapshot of each source holds past the baseline is
    // exactly what was recorded: nothing twice, nothing lost.
    let mut total = 0;
    for i in 0..SOURCES {
        let s = format!("s{i}");
        let st = store.state(&s).await.unwrap();
        let content = store
            .snapshot_content(st.last_snapshot_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        let n = match content {
            regwatch::model::Content::Items { items } => items.len(),
            other => panic!("{s}: not a listing: {other:?}"),
        };
        let mut want: Vec<String> = ((baseline_items + 1)..=n)
            .map(|k| format!("http://example.invalid/s{i}-{k}"))
            .collect();
        want.sort();
        let have: Vec<String> = per
            .keys()
            .filter(|(src, _)| *src == s)
            .map(|(_, l)| l.clone())
            .collect();
        assert_eq!(have, want, "changes of {s}");
        total += want.len();
    }
    let deliveries = store.deliveries().await.unwrap();
    let change_rows: Vec<_> = deliveries.iter().filter(|d| d.kind == "change").collect();
    assert_eq!(
        change_rows.len(),
        total * CHANNELS.len(),
        "one delivery per channel per change"
    );
    let got = got.lock().unwrap().clone();
    for d in &change_rows {
        assert_eq!(d.status, "delivered", "delivery {} left {}", d.id, d.status);
        let n = got.get(&(d.channel.clone(), d.idempotency_key.clone()));
        assert_eq!(
            n,
            Some(&1),
            "{} to {} received {n:?} times",
            d.idempotency_key,
            d.channel
        );
    }
    assert_eq!(got.len(), change_rows.len(), "nothing else was sent");
    total
}

async fn three_concurrent_polls(db: &TestDb) {
    let feeds = FixtureServer::start().await;
    let (hooks, got) = receiver().await;
    let dir = TempDir::new("three-polls");
    let cfg = write_config(&dir.0, &db.url, &feeds, &hooks);
    for i in 0..SOURCES {
        feeds.set(&format!("/s{i}.xml"), Reply::xml(&feed(i, 2)));
    }
    check(regwatch(&cfg, &["poll"]).output().unwrap(), "baseline poll");
    // Each source gains three items; answers are slow, so the three
    // processes all read the source's state before any of them records.
    for i in 0..SOURCES {
        feeds.set(
            &format!("/s{i}.xml"),
            Reply::xml(&feed(i, 5)).delayed(Duration::from_millis(1500)),
        );
    }
    let children: Vec<_> = (0..3)
        .map(|_| regwatch(&cfg, &["poll"]).spawn().unwrap())
        .collect();
    for c in children {
        check(c.wait_with_output().unwrap(), "concurrent poll");
    }
    for i in 0..SOURCES {
        assert_eq!(feeds.hits(&format!("/s{i}.xml")), 4, "s{i} polled by all");
    }
    let store = db.open().await;
    let total = assert_exactly_once(&store, 2, &got).await;
    assert_eq!(total, SOURCES * 3);
    // Every poll left its fetch-log line: the baseline, one recorded
    // change and two superseded polls per source.
    for i in 0..SOURCES {
        let log = store.fetch_log(&format!("s{i}"), 10).await.unwrap();
        let mut outcomes: Vec<&str> = log.iter().map(|(o, _)| o.as_str()).collect();
        outcomes.sort();
        assert_eq!(outcomes, ["baseline", "changed", "unchanged", "unchanged"]);
    }
    store.close().await;
}

/// `regwatch poll` run again and again while `regwatch run` polls the same
/// sources every second, each source's answer growing by one item per
/// request: whoever records first reports the new items, the other one is
/// superseded, and nothing is recorded twice or lost.
async fn poll_beside_run(db: &TestDb) {
    let feeds = FixtureServer::start().await;
    let (hooks, got) = receiver().await;
    let dir = TempDir::new("poll-beside-run");
    let cfg = write_config(&dir.0, &db.url, &feeds, &hooks);
    // Answer k (k = 1, 2, ...) has k items; the first is the baseline.
    for i in 0..SOURCES {
        let answers: Vec<Reply> = (1..=200)
            .map(|k| Reply::xml(&feed(i, k)).delayed(Duration::from_millis(300)))
            .collect();
        feeds.sequence(&format!("/s{i}.xml"), answers);
    }
    check(regwatch(&cfg, &["poll"]).output().unwrap(), "baseline poll");
    let mut daemon = start_run(&dir.0, &cfg, &[], Duration::from_secs(30));
    for _ in 0..6 {
        check(
            regwatch(&cfg, &["poll"]).output().unwrap(),
            "poll beside run",
        );
    }
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(15)).is_some());
    // Deliver what the last polls queued.
    check(
        regwatch(&cfg, &["notify", "retry"]).output().unwrap(),
        "notify retry",
    );
    let store = db.open().await;
    let total = assert_exactly_once(&store, 1, &got).await;
    // Six polls by hand and the daemon's: each source grew at least 6 times.
    assert!(total >= SOURCES * 6, "{total} changes");
    let superseded = (0..SOURCES).map(|i| format!("s{i}"));
    let mut lost = 0;
    for s in superseded {
        let log = store.fetch_log(&s, 1000).await.unwrap();
        lost += log.iter().filter(|(o, _)| o == "unchanged").count();
    }
    let _ = writeln!(
        std::io::stderr(),
        "poll beside run ({}): {total} changes, {lost} polls superseded",
        db.backend
    );
    store.close().await;
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = crate::store::TestDb::sqlite();
                super::$name(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = crate::store::TestDb::postgres().await {
                    // The schema first, before the processes race to create it.
                    db.open().await.close().await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            }
        }
    )*};
}

both_backends!(three_concurrent_polls, poll_beside_run);
