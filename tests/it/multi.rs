//! Three `regwatch run` instances sharing one PostgreSQL database: 60 local
//! sources on a 5-second schedule, a webhook channel, and one instance killed
//! with SIGKILL in the middle of a tick. Every due poll happens once per tick,
//! every new item becomes exactly one change, every alert is delivered once,
//! and the dead instance's sources are taken over when its leases end.
//! Runs only when `REGWATCH_TEST_PG` is set (`scripts/pg-test.sh cargo test`).

use crate::daemon::{Daemon, TempDir};
use crate::store::TestDb;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SOURCES: usize = 60;
/// Schedule period, seconds.
const TICK: i64 = 5;
/// Each fixture answer takes this long, so polls are in flight at a kill.
const DELAY: Duration = Duration::from_millis(300);

#[derive(Default)]
struct Peer {
    /// Requests per feed path.
    hits: HashMap<String, usize>,
    /// Idempotency keys received by the webhook, with their count.
    hook: HashMap<String, usize>,
}

/// Feeds `/s{i}.xml` that grow by one item per request, and a webhook sink.
async fn peer() -> (String, Arc<Mutex<Peer>>) {
    use axum::extract::{Path as AxPath, State};
    use axum::http::{header, HeaderMap};
    use axum::response::IntoResponse;
    let state: Arc<Mutex<Peer>> = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/feed/{file}",
            axum::routing::get(
                |State(st): State<Arc<Mutex<Peer>>>, AxPath(file): AxPath<String>| async move {
                    let n = {
                        let mut p = st.lock().unwrap();
                        let h = p.hits.entry(file.clone()).or_default();
                        *h += 1;
                        *h
                    };
                    tokio::time::sleep(DELAY).await;
                    let name = file.trim_end_matches(".xml");
                    let mut items = String::new();
                    for i in (1..=n).rev() {
                        items.push_str(&format!(
                            "<item><title>Notice {name}-{i}: customs rule</title><guid>{name}-{i}</guid><link>http://example.invalid/{name}/{i}</link><description>Item {i}</description></item>"
                        ));
                    }
                    (
                        [(header::CONTENT_TYPE, "application/rss+xml")],
                        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title><link>http://example.invalid/</link><description>d</description>{items}</channel></rss>"),
                    )
                        .into_response()
                },
            ),
        )
        .route(
            "/hook",
            axum::routing::post(|State(st): State<Arc<Mutex<Peer>>>, headers: HeaderMap| async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                *st.lock().unwrap().hook.entry(key).or_default() += 1;
                "ok"
            }),
        )
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, state)
}

fn write_config(dir: &Path, db_url: &str, peer: &str) -> std::path::PathBuf {
    let sdir = dir.join("sources");
    std::fs::create_dir_all(&sdir).unwrap();
    let mut sources = String::new();
    for i in 0..SOURCES {
        sources.push_str(&format!(
            "[[source]]\nid = \"s{i:02}\"\nname = \"Source {i}\"\njurisdiction = \"TR\"\nlanguage = \"en\"\nkind = \"feed\"\nurl = \"{peer}/feed/s{i:02}.xml\"\nschedule = \"*/{TICK} * * * * *\"\n\n"
        ));
    }
    std::fs::write(sdir.join("many.toml"), sources).unwrap();
    let cfg = format!(
        r#"[storage]
url = "{db_url}"

[sources]
dir = "{d}/sources"

[fetch]
per_host_interval = "0s"
per_host_concurrency = 16
concurrency = 16
robots_txt = false
retries = 0
timeout = "2s"

[schedule]
jitter = "0s"

[server]
listen = "127.0.0.1:0"
base_url = "http://regwatch.test"

[[channel]]
name = "hook"
type = "webhook"
url = "{peer}/hook"
secret = "k"
"#,
        d = dir.display()
    );
    let path = dir.join("regwatch.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

fn spawn(dir: &Path, cfg: &Path) -> Daemon {
    crate::daemon::start_run(dir, cfg, &[], Duration::from_secs(60))
}

/// Sleep until `offset` after the next multiple of TICK seconds.
async fn until_tick(offset: Duration) {
    let now = crate::helpers::now();
    let ms = now.timestamp_millis();
    let next = (ms / (TICK * 1000) + 1) * TICK * 1000;
    tokio::time::sleep(Duration::from_millis((next - ms) as u64) + offset).await;
}

fn bucket(ts: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(ts)
        .unwrap()
        .timestamp()
        / TICK
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_one_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // Create the schema once, before the instances race to migrate it.
    db.open().await.close().await;
    let (peer_base, peer) = peer().await;
    let dirs: Vec<TempDir> = (0..3).map(|i| TempDir::new(&format!("multi{i}"))).collect();
    let mut daemons: Vec<Daemon> = dirs
        .iter()
        .map(|d| {
            let cfg = write_config(&d.0, &db.url, &peer_base);
            spawn(&d.0, &cfg)
        })
        .collect();
    let start_bucket = crate::helpers::now().timestamp() / TICK;

    // Baseline tick plus three ticks with all three instances.
    until_tick(Duration::ZERO).await;
    for _ in 0..3 {
        until_tick(Duration::ZERO).await;
    }
    // Kill an instance while its polls of this tick are in flight: the
    // first one seen holding source leases in this tick (each poll takes
    // 300 ms), however late a loaded machine starts them, and whichever of
    // the three claimed first.
    until_tick(Duration::ZERO).await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let owners: Vec<String> = daemons
        .iter()
        .map(|d| format!("%:{}", d.child.id()))
        .collect();
    let give_up = std::time::Instant::now() + Duration::from_secs(TICK as u64 - 1);
    let victim = 'found: loop {
        for (i, owner) in owners.iter().enumerate() {
            let held: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM source_state WHERE lease_owner LIKE $1")
                    .bind(owner)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            if held > 0 {
                break 'found i;
            }
        }
        assert!(
            std::time::Instant::now() < give_up,
            "no instance claimed a source in a whole tick"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let killed_at = crate::helpers::now();
    daemons[victim].signal("KILL");
    assert!(daemons[victim].wait_exit(Duration::from_secs(5)).is_some());
    let kill_bucket = killed_at.timestamp() / TICK;
    // Lease = 2 × (2 s timeout + 5 s margin) = 14 s; then three more ticks.
    tokio::time::sleep(Duration::from_secs(14)).await;
    for _ in 0..3 {
        until_tick(Duration::ZERO).await;
    }
    until_tick(Duration::from_millis(2500)).await;
    let end_bucket = crate::helpers::now().timestamp() / TICK - 1;

    // Stop the survivors, then deliver what they left queued (a change
    // recorded just before SIGTERM) with `regwatch notify retry`.
    for (_, d) in daemons.iter_mut().enumerate().filter(|(i, _)| *i != victim) {
        d.signal("TERM");
        assert!(d.wait_exit(Duration::from_secs(10)).is_some());
    }
    let cfg = dirs[(victim + 1) % 3].0.join("regwatch.toml");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&cfg)
        .args(["notify", "retry"])
        .env("REGWATCH_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "notify retry: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(pending, 0, "alerts left undelivered");

    // Polls: never two of one source in one tick; each source polled in
    // every tick while all three ran, and again in every tick after the
    // dead instance's leases ended.
    let polls: Vec<(String, String)> =
        sqlx::query_as("SELECT source_id, started_at FROM fetch_log ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut per: BTreeMap<String, BTreeMap<i64, usize>> = BTreeMap::new();
    for (s, at) in &polls {
        *per.entry(s.clone())
            .or_default()
            .entry(bucket(at))
            .or_default() += 1;
    }
    assert_eq!(per.len(), SOURCES, "every source was polled");
    let recovered = (killed_at.timestamp() + 14) / TICK + 1;
    for (s, ticks) in &per {
        for (b, n) in ticks {
            assert_eq!(*n, 1, "{s} polled {n} times in tick {b}");
        }
        let must: Vec<i64> = ((start_bucket + 2)..kill_bucket)
            .chain(recovered..=end_bucket)
            .collect();
        for b in must {
            assert!(
                ticks.contains_key(&b),
                "{s} not polled in tick {b} (kill in {kill_bucket}, recovered from {recovered}): {ticks:?}"
            );
        }
    }

    // The kill interrupted polls: those sources have no poll in that tick,
    // and were polled again once the dead instance's leases ended.
    let interrupted: Vec<&String> = per
        .iter()
        .filter(|(_, t)| !t.contains_key(&kill_bucket))
        .map(|(s, _)| s)
        .collect();
    assert!(
        !interrupted.is_empty(),
        "the kill interrupted no poll; the test proves nothing"
    );

    // Changes: each item after the baseline recorded exactly once, none lost.
    let changes: Vec<(String, String)> =
        sqlx::query_as("SELECT source_id, item_key FROM changes ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (s, k) in changes {
        keys.entry(s).or_default().push(k);
    }
    let mut total_changes = 0;
    for i in 0..SOURCES {
        let s = format!("s{i:02}");
        let st: (Option<i64>,) =
            sqlx::query_as("SELECT last_snapshot_id FROM source_state WHERE source_id = $1")
                .bind(&s)
                .fetch_one(&pool)
                .await
                .unwrap();
        let body: String = sqlx::query_scalar(
            "SELECT c.body FROM snapshots sn JOIN contents c ON c.hash = sn.content_hash WHERE sn.id = $1",
        )
        .bind(st.0.unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
        let body = regwatch::store::Store::decode_body(&body).unwrap();
        let items = serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"]
            .as_array()
            .unwrap()
            .len();
        let mut got = keys.remove(&s).unwrap_or_default();
        got.sort();
        let mut want: Vec<String> = (2..=items).map(|n| format!("id:{s}-{n}")).collect();
        want.sort();
        assert_eq!(got, want, "changes of {s}");
        total_changes += want.len();
    }
    assert!(keys.is_empty());
    assert!(total_changes >= SOURCES * 4, "{total_changes} changes");

    // Alerts: every queued alert delivered exactly once.
    let queued: Vec<String> = sqlx::query_scalar("SELECT idempotency_key FROM outbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(queued.len(), total_changes, "one alert per change");
    let hook = peer.lock().unwrap().hook.clone();
    for k in &queued {
        assert_eq!(
            hook.get(k).copied(),
            Some(1),
            "alert {k} delivered {:?} times",
            hook.get(k)
        );
    }
    assert_eq!(hook.len(), queued.len());
    let _ = writeln_stderr(&format!(
        "multi: {} polls, {total_changes} changes, {} alerts; SIGKILL interrupted {} polls, taken over after the lease",
        polls.len(),
        queued.len(),
        interrupted.len()
    ));
    pool.close().await;
    drop(daemons);
    db.cleanup().await;
}

fn writeln_stderr(s: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr(), "{s}")
}
