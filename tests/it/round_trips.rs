//! Round trips to PostgreSQL per poll, counted on the wire: a proxy between
//! the store and the server counts the client's Sync and Query messages
//! (each one waits for the server's ReadyForQuery: one round trip). One
//! poll is everything `poll::poll_source` asks the store for one source:
//! the start (state and rate limits), the record and the health note. The
//! claim is the scheduler's, once per dispatch of many sources, and is
//! counted apart. Runs only when `REGWATCH_TEST_PG` is set
//! (`scripts/pg-test.sh cargo test --test it -- round_trips::`).

use crate::helpers::*;
use crate::store::TestDb;
use regwatch::app::App;
use regwatch::classify::Tagger;
use regwatch::model::PollStatus;
use regwatch::poll::poll_source;
use regwatch::store::Store;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The protocol version of a StartupMessage (3.0): the last untyped message.
const PROTOCOL_3: u32 = 196_608;

/// A TCP proxy to `upstream` that counts the round trips its clients ask.
struct CountingProxy {
    addr: std::net::SocketAddr,
    trips: Arc<AtomicUsize>,
}

impl CountingProxy {
    async fn start(upstream: String) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let trips = Arc::new(AtomicUsize::new(0));
        let counter = trips.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream).await.unwrap();
                tokio::spawn(relay(client, server, counter.clone()));
            }
        });
        CountingProxy { addr, trips }
    }

    fn take(&self) -> usize {
        self.trips.swap(0, Ordering::SeqCst)
    }
}

/// Relay one connection both ways, counting the client's Sync ('S') and
/// simple Query ('Q') messages once its startup is over.
async fn relay(client: TcpStream, server: TcpStream, trips: Arc<AtomicUsize>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
    });
    let mut pending: Vec<u8> = Vec::new();
    let mut started = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match cr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        // Whole messages only; the rest waits for more bytes.
        loop {
            if !started {
                if pending.len() < 8 {
                    break;
                }
                let len = u32::from_be_bytes(pending[0..4].try_into().unwrap()) as usize;
                if pending.len() < len {
                    break;
                }
                let code = u32::from_be_bytes(pending[4..8].try_into().unwrap());
                started = code == PROTOCOL_3;
                pending.drain(..len);
            } else {
                if pending.len() < 5 {
                    break;
                }
                let len = u32::from_be_bytes(pending[1..5].try_into().unwrap()) as usize;
                if pending.len() < 1 + len {
                    break;
                }
                if matches!(pending[0], b'S' | b'Q') {
                    trips.fetch_add(1, Ordering::SeqCst);
                }
                pending.drain(..1 + len);
            }
        }
        if sw.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}

/// The database's URL through the proxy (no TLS asked, so the proxy reads
/// the messages).
fn through(url: &str, proxy: std::net::SocketAddr) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_host(Some("127.0.0.1")).unwrap();
    u.set_port(Some(proxy.port())).unwrap();
    u.query_pairs_mut().append_pair("sslmode", "disable");
    u.to_string()
}

fn upstream_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap_or("127.0.0.1"),
        u.port().unwrap_or(5432)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trips_per_poll_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // Migrated directly; the counted store connects through the proxy.
    db.open().await.close().await;
    let proxy = CountingProxy::start(upstream_of(&db.url)).await;
    let store = Store::connect(&through(&db.url, proxy.addr)).await.unwrap();

    let srv = FixtureServer::start().await;
    let feed = |n: usize| {
        let items: Vec<(String, String, String)> = (1..=n)
            .rev()
            .map(|i| {
                (
                    i.to_string(),
                    format!("Duyuru {i}: GTİP 8517.62"),
                    format!("metin {i}"),
                )
            })
            .collect();
        let refs: Vec<(&str, &str, &str)> = items
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        Reply::xml(&rss(&refs))
    };
    srv.set("/feed.xml", feed(1));
    let setup = Setup::new(&source_toml("feed", "feed", &srv.url("/feed.xml"), ""), "");
    let app = App::new(setup.config(), store, Tagger::builtin()).unwrap();
    let src = setup.source("feed");

    // Warm up: every statement prepared once on the connection (a first
    // use costs one more round trip: parse and describe).
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Baseline
    );
    // The pool hands its idle connections out in turn: warm them all.
    for n in 2..=WARM_UP {
        srv.set("/feed.xml", feed(n));
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Changed(1)
        );
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Unchanged
        );
    }

    // Each kind counted six times, the fewest kept: the pool may hand a
    // statement to a connection that has not prepared it yet (one round
    // trip more), which is warm-up, not the poll's own cost.
    let (mut unchanged, mut changed) = (usize::MAX, usize::MAX);
    for n in 1..=6 {
        proxy.take();
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Unchanged
        );
        unchanged = unchanged.min(proxy.take());
        srv.set("/feed.xml", feed(WARM_UP + n));
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Changed(1)
        );
        changed = changed.min(proxy.take());
    }

    // A dispatch as the scheduler makes it: the due rows, then the claim
    // (warmed once, then counted).
    let ids = vec!["feed".to_string()];
    let mut claim = 0;
    for days in 1..=2 {
        let now = app.now() + chrono::Duration::days(days);
        let due = app.store.due_sources("counter", now, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        let claimed = app
            .store
            .claim_due_sources("counter", &ids, now, chrono::Duration::minutes(5), 10)
            .await
            .unwrap();
        assert_eq!(claimed, ids);
        claim = proxy.take();
    }

    eprintln!(
        "round trips: unchanged poll {unchanged}, changed poll (one change) {changed}, claim {claim}"
    );
    assert!(
        unchanged <= 2,
        "an unchanged poll made {unchanged} round trips to PostgreSQL (at most 2)"
    );
    assert!(
        changed <= 4,
        "a changed poll made {changed} round trips to PostgreSQL (at most 4: start, read ahead, candidate cases, record)"
    );
    assert!(
        claim <= 4,
        "a dispatch (due rows and claim) made {claim} round trips (at most 4)"
    );
    db.cleanup().await;
}

/// Polls of each kind before counting.
const WARM_UP: usize = 24;
