//! Alerts end to end: a real SMTP server (mailin-embedded) and a real HTTP
//! receiver (axum) on 127.0.0.1, a real SQLite file, the real binary where a
//! process has to die or be restarted.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use regwatch::app::App;
use sha2::Sha256;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- peers

#[derive(Clone, Debug)]
enum Reply {
    Status(u16, Option<&'static str>),
    Hang,
}

#[derive(Clone, Debug)]
struct Req {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    /// The status answered; 0 when the request was left hanging.
    status: u16,
    at: Instant,
}

impl Req {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    fn header(&self, k: &str) -> Option<String> {
        self.headers.get(k).map(|v| v.to_str().unwrap().to_string())
    }
}

#[derive(Default)]
struct PeerState {
    posts: Vec<Req>,
    script: VecDeque<Reply>,
    default: Option<Reply>,
    feed: String,
    feed_failures: usize,
}

/// An HTTP peer: receives POSTs (Slack, webhooks) answering from a script,
/// and serves a feed at GET /feed.xml that can fail on demand.
#[derive(Clone, Default)]
struct Peer(Arc<Mutex<PeerState>>);

impl Peer {
    async fn start() -> (Peer, SocketAddr) {
        let peer = Peer::default();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(peer.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (peer, addr)
    }
    fn script(&self, r: Vec<Reply>) {
        self.0.lock().unwrap().script = r.into();
    }
    fn set_default(&self, r: Reply) {
        self.0.lock().unwrap().default = Some(r);
    }
    fn posts(&self) -> Vec<Req> {
        self.0.lock().unwrap().posts.clone()
    }
    fn posts_to(&self, path: &str) -> Vec<Req> {
        self.posts()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
    /// Requests answered 2xx: what the receiver acknowledged.
    fn acked(&self, path: &str) -> Vec<Req> {
        self.posts_to(path)
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }
    fn set_feed(&self, f: String) {
        self.0.lock().unwrap().feed = f;
    }
    fn fail_feed(&self, n: usize) {
        self.0.lock().unwrap().feed_failures = n;
    }
}

async fn handle(
    State(p): State<Peer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::GET {
        let mut s = p.0.lock().unwrap();
        if s.feed_failures > 0 {
            s.feed_failures -= 1;
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "maintenance <b>until</b> <!channel>",
            )
                .into_response();
        }
        return ([("content-type", "application/rss+xml")], s.feed.clone()).into_response();
    }
    let reply = {
        let mut s = p.0.lock().unwrap();
        let r = s
            .script
            .pop_front()
            .or(s.default.clone())
            .unwrap_or(Reply::Status(200, None));
        let status = match r {
            Reply::Status(c, _) => c,
            Reply::Hang => 0,
        };
        s.posts.push(Req {
            path: uri.path().to_string(),
            headers,
            body: body.to_vec(),
            status,
            at: Instant::now(),
        });
        r
    };
    match reply {
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            StatusCode::OK.into_response()
        }
        Reply::Status(c, retry_after) => {
            let mut r = (
                StatusCode::from_u16(c).unwrap(),
                if c == 200 { "ok" } else { "busy" },
            )
                .into_response();
            if let Some(ra) = retry_after {
                r.headers_mut().insert("retry-after", ra.parse().unwrap());
            }
            r
        }
    }
}

/// An SMTP server that keeps every message it accepts.
#[derive(Clone, Default)]
struct Sink {
    mails: Arc<Mutex<Vec<Vec<u8>>>>,
    cur: Vec<u8>,
    /// Answer every message with "554 Transaction failed".
    reject: bool,
}

impl mailin_embedded::Handler for Sink {
    fn data_start(
        &mut self,
        _d: &str,
        _f: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> mailin_embedded::Response {
        self.cur.clear();
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.cur.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        self.mails
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.cur));
        if self.reject {
            mailin_embedded::response::TRANSACTION_FAILED
        } else {
            mailin_embedded::response::OK
        }
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn start_smtp(port: u16) -> Arc<Mutex<Vec<Vec<u8>>>> {
    start_sink(port, Sink::default())
}

fn start_sink(port: u16, sink: Sink) -> Arc<Mutex<Vec<Vec<u8>>>> {
    let mails = sink.mails.clone();
    let mut server = mailin_embedded::Server::new(sink);
    server
        .with_name("sink.test")
        .with_addr(("127.0.0.1", port))
        .unwrap();
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    // Wait until it accepts connections.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    mails
}

pub(crate) fn parse_mail(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a parsable message")
}

// ---------------------------------------------------------------- the app

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
    app: App,
}

const BASE: &str = "http://rw.example:8080";

async fn env(channels: &str) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::create_dir_all(root.join("sources")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/config/taxonomy.toml"),
        root.join("config/taxonomy.toml"),
    )
    .unwrap();
    let text = format!(
        "[storage]\nurl = \"sqlite://{r}/db.sqlite\"\n\n[sources]\ndir = \"{r}/sources\"\n\n\
         [fetch]\nper_host_interval = \"0s\"\nrobots_txt = false\nretries = 0\ntimeout = \"10s\"\n\n\
         [server]\nbase_url = \"{BASE}\"\n\n{channels}\n",
        r = root.display()
    );
    let config = root.join("config/regwatch.toml");
    std::fs::write(&config, text).unwrap();
    let cfg = regwatch::config::Config::load(&config).unwrap();
    let store = regwatch::store::Store::open(&cfg.storage.url)
        .await
        .unwrap();
    let app = App::new(cfg, store, regwatch::classify::Tagger::builtin()).unwrap();
    Env {
        _dir: dir,
        root,
        config,
        app,
    }
}

async fn report(app: &App, cc: &str, hs: &str, title: &str, text: &str) -> i64 {
    regwatch::services::reports::add(
        app,
        &regwatch::services::reports::FieldReport {
            country: cc.into(),
            hs: vec![hs.to_string()],
            effective: Some("2027-01-01".into()),
            title: title.into(),
            text: text.into(),
            author: Some("tester".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .unwrap()
}

async fn open_case(app: &App, id: &str, cc: &str, hs: &str) {
    let c = regwatch::model::Case {
        id: id.into(),
        client: "ACME".into(),
        title: "router import".into(),
        country: cc.into(),
        hs_codes: vec![regwatch::model::HsCode::parse(hs).unwrap()],
        categories: vec![],
        keywords: vec![],
        status: "open".into(),
        link: Some(format!("https://cases.example.com/case/{id}")),
        origin: None,
    };
    app.store.upsert_case(&c, app.now()).await.unwrap();
}

async fn regwatch(config: &Path, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

const NASTY: &str = "<script>alert(1)</script> <!channel> & Gümrük";

// ---------------------------------------------------------------- Slack + webhook

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_and_webhook_receive_an_escaped_linked_signed_change() {
    let (peer, addr) = Peer::start().await;
    let e = env(&format!(
        "[[channel]]\nname = \"slack\"\ntype = \"slack\"\nwebhook_url = \"http://{addr}/slack/T000-SECRET\"\n\n\
         [[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\nsecret = \"s3cret\"\n"
    ))
    .await;
    open_case(&e.app, "CASE-7", "TR", "8517.62").await;
    let id = report(
        &e.app,
        "TR",
        "8517.62",
        NASTY,
        "Yeni kural <!here>.\nSecond line & more.",
    )
    .await;
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert_eq!(r.delivered, 2, "{r:?}");
    assert!(r.waiting.is_empty());

    // Slack: Block Kit, header with jurisdiction and categories, everything inert.
    let s = &peer.posts_to("/slack/T000-SECRET")[0];
    let m = s.json();
    let blocks = m["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    let header = blocks[0]["text"]["text"].as_str().unwrap();
    assert!(
        header.contains("TR") && header.contains("telecom"),
        "{header}"
    );
    let all = s.text();
    assert!(
        !all.contains("<!channel>") && !all.contains("<!here>") && !all.contains("<script>"),
        "{all}"
    );
    assert!(
        all.contains("&lt;!channel&gt;") && all.contains("&lt;script&gt;") && all.contains("&amp;")
    );
    assert!(
        all.contains("+ Yeni kural &lt;!here&gt;."),
        "added lines in the excerpt: {all}"
    );
    assert!(
        all.contains("<https://cases.example.com/case/CASE-7|CASE-7>"),
        "{all}"
    );
    assert!(all.contains("HS 8517.62"), "the case reason: {all}");
    assert!(
        all.contains(&format!("<{BASE}/changes/{id}|")),
        "link to the change page: {all}"
    );
    assert!(all.contains("2027-01-01"), "effective date: {all}");

    // Webhook: the change JSON, signed, with its idempotency key.
    let h = &peer.posts_to("/hook")[0];
    let sig = h.header("x-regwatch-signature").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(&h.body);
    assert_eq!(
        sig,
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    assert_eq!(
        h.header("idempotency-key").unwrap(),
        format!("change:{id}:hook")
    );
    let c = h.json();
    assert_eq!(c["id"], id);
    assert_eq!(c["title"], NASTY);
    assert_eq!(c["url"], format!("{BASE}/changes/{id}"));
    assert_eq!(c["cases"][0]["id"], "CASE-7");
    assert_eq!(c["jurisdiction"], "TR");

    // Nothing twice.
    let r = regwatch::notify::deliver_due(&e.app, true).await.unwrap();
    assert_eq!(r.delivered, 0);
    assert_eq!(peer.posts().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_429_is_retried_after_retry_after_once() {
    let (peer, addr) = Peer::start().await;
    let e = env(&format!(
        "[[channel]]\nname = \"slack\"\ntype = \"slack\"\nwebhook_url = \"http://{addr}/slack\"\n"
    ))
    .await;
    peer.script(vec![Reply::Status(429, Some("1"))]);
    report(&e.app, "TR", "8517.62", "Rule", "text").await;
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert_eq!((r.delivered, r.failed.len()), (0, 1));
    assert!(r.failed[0].2.contains("429"), "{:?}", r.failed);
    // Not due before Retry-After has passed.
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert_eq!((r.delivered, r.failed.len(), peer.posts().len()), (0, 0, 1));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert_eq!(r.delivered, 1);
    let posts = peer.posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(peer.acked("/slack").len(), 1);
    assert!(posts[1].at.duration_since(posts[0].at) >= Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_past_the_budget_stay_queued_and_notify_retry_delivers_them() {
    let (peer, addr) = Peer::start().await;
    let e = env(&format!(
        "[[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook/TOKEN-XYZ\"\nsecret = \"k\"\n\
         max_attempts = 2\nretry_base = \"10ms\"\nretry_max = \"20ms\"\n"
    ))
    .await;
    peer.set_default(Reply::Status(500, None));
    let id = report(&e.app, "VN", "3004.90", "Quy định mới", "text").await;
    for _ in 0..3 {
        let r = regwatch::notify::deliver_due(&e.app, true).await.unwrap();
        assert_eq!(r.delivered, 0);
    }
    let pending = e.app.store.pending_deliveries().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 3);
    assert!(pending[0].last_error.as_deref().unwrap().contains("500"));

    let (code, out) = regwatch(&e.config, &["notify", "retry"]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("delivered 0"), "{out}");
    assert!(
        out.contains(
            "waiting   #1 change to hook (attempts 4, last error: the receiver answered HTTP 500"
        ),
        "{out}"
    );
    assert!(!out.contains("TOKEN-XYZ"), "the URL is a secret: {out}");

    peer.set_default(Reply::Status(200, None));
    let (code, out) = regwatch(&e.config, &["notify", "retry"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("delivered 1"), "{out}");
    let (_, out) = regwatch(&e.config, &["notify", "retry"]).await;
    assert!(out.contains("delivered 0"), "{out}");
    let acked = peer.acked("/hook/TOKEN-XYZ");
    assert_eq!(acked.len(), 1);
    assert_eq!(acked[0].json()["id"], id);
    assert_eq!(peer.posts().len(), 5);
}

fn rss(items: &[(&str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Gazette</title><link>https://gazette.example/</link><description>d</description>");
    for (guid, title) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>https://gazette.example/{guid}</link><description>{title}: telsiz cihazlar 8517.62 ithalatı</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn write_source(e: &Env, addr: SocketAddr) {
    std::fs::write(
        e.root.join("sources/tr.toml"),
        format!(
            "[[source]]\nid = \"tr-gazette\"\nname = \"Gazette\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\nkind = \"feed\"\nurl = \"http://{addr}/feed.xml\"\n"
        ),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_mid_send_is_taken_over_after_restart_and_sends_once() {
    let (peer, addr) = Peer::start().await;
    let e = env(&format!(
        "[[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\nsecret = \"k\"\ntimeout = \"60s\"\n"
    ))
    .await;
    write_source(&e, addr);
    peer.set_feed(rss(&[("a", "Old rule")]));
    let (code, out) = regwatch(&e.config, &["poll"]).await;
    assert_eq!(code, 0, "{out}");
    peer.set_feed(rss(&[("a", "Old rule"), ("b", "Yeni telsiz kuralı")]));
    peer.script(vec![Reply::Hang]);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&e.config)
        .arg("poll")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while peer.posts().is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the poll never tried to send"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().await.unwrap(); // SIGKILL, then reaped
    let pending = e.app.store.pending_deliveries().await.unwrap();
    assert_eq!(pending.len(), 1, "queued with the change, before sending");

    let (code, out) = regwatch(&e.config, &["notify", "retry"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("delivered 1"), "{out}");
    let (_, out) = regwatch(&e.config, &["notify", "retry"]).await;
    assert!(out.contains("delivered 0"), "{out}");
    let posts = peer.posts();
    assert_eq!(posts.len(), 2, "one interrupted attempt, one delivery");
    assert_eq!(peer.acked("/hook").len(), 1);
    assert_eq!(
        posts[0].header("idempotency-key"),
        posts[1].header("idempotency-key")
    );
    assert_eq!(posts[1].json()["title"], "Yeni telsiz kuralı");
}

/// A crash between sending a delivery and recording it as delivered leaves
/// it pending; sent again, it carries the same key on every channel,
/// derived from the outbox row's idempotency key, so the receiver can fold
/// the two copies. Slack and the webhook got the message but did not answer
/// in time; the mail was accepted but the record of it was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_sent_again_after_a_crash_carries_the_same_key() {
    let (peer, addr) = Peer::start().await;
    let port = free_port();
    let mails = start_smtp(port);
    let fast = "timeout = \"1s\"\nretry_base = \"10ms\"\nretry_max = \"20ms\"\n";
    let e = env(&format!(
        "[[channel]]\nname = \"slack\"\ntype = \"slack\"\nwebhook_url = \"http://{addr}/slack\"\n{fast}\n\
         [[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\n{fast}\n\
         [[channel]]\nname = \"mail\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"regwatch <regwatch@example.com>\"\nto = [\"a@example.com\"]\n{fast}"
    ))
    .await;
    peer.script(vec![Reply::Hang, Reply::Hang]);
    let id = report(&e.app, "TR", "8517.62", "Telsiz kuralı", "text").await;

    let r = regwatch::notify::deliver_due(&e.app, true).await.unwrap();
    assert_eq!(r.delivered, 1, "{r:?}");
    assert_eq!(r.failed.len(), 2, "{r:?}");
    assert_eq!(peer.posts().len(), 2, "Slack and the webhook got it");
    assert_eq!(mails.lock().unwrap().len(), 1);
    // The mail's "delivered" mark is lost, as in a crash right after sending.
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}/db.sqlite", e.root.display()))
        .await
        .unwrap();
    sqlx::query(
        "UPDATE outbox SET status = 'pending', delivered_at = NULL, attempts = 0 WHERE channel = 'mail'",
    )
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let r = regwatch::notify::deliver_due(&e.app, true).await.unwrap();
    assert_eq!(r.delivered, 3, "{r:?}");

    let keys: std::collections::HashMap<String, String> = e
        .app
        .store
        .deliveries()
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.channel, d.idempotency_key))
        .collect();
    for ch in ["slack", "hook", "mail"] {
        assert_eq!(keys[ch], format!("change:{id}:{ch}"));
    }

    let slack: Vec<serde_json::Value> = peer
        .posts_to("/slack")
        .iter()
        .map(|r| r.json()["metadata"].clone())
        .collect();
    assert_eq!(slack.len(), 2);
    for m in &slack {
        assert_eq!(m["event_type"], "regwatch_alert");
        assert_eq!(m["event_payload"]["idempotency_key"], keys["slack"]);
    }

    let hook: Vec<Option<String>> = peer
        .posts_to("/hook")
        .iter()
        .map(|r| r.header("idempotency-key"))
        .collect();
    assert_eq!(hook, vec![Some(keys["hook"].clone()); 2]);

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 2);
    let from: lettre::message::Mailbox = "regwatch <regwatch@example.com>".parse().unwrap();
    let want = regwatch::notify::channels::email::message_id(&keys["mail"], &from);
    for m in &mails {
        let got = parse_mail(m).message_id().map(|s| format!("<{s}>"));
        assert_eq!(got.as_deref(), Some(want.as_str()));
    }
}

// ---------------------------------------------------------------- email

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_digest_is_grouped_escaped_and_cannot_inject_headers() {
    let port = free_port();
    let mails = start_smtp(port);
    let e = env(&format!(
        "[[channel]]\nname = \"digest\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"regwatch <regwatch@example.com>\"\nto = [\"compliance@example.com\"]\nmode = \"digest\"\n\
         schedule = \"0 7 * * *\"\ntimezone = \"Europe/Istanbul\"\n"
    ))
    .await;
    // Dates in this test are fixed ("effective 2027-01-01"): the clock is
    // pinned well before them, so urgency does not depend on the day it runs.
    let e = Env {
        app: e
            .app
            .with_clock(regwatch::clock::Clock::at_date(2026, 6, 1)),
        ..e
    };
    open_case(&e.app, "CASE-7", "TR", "8517.62").await;
    let now = e.app.now();
    e.app
        .store
        .close_digest_period("digest", now - chrono::Duration::hours(1), None)
        .await
        .unwrap();
    let long = format!(
        "Tarife\r\nBcc: evil@example.com\r\n\r\n{}",
        "x".repeat(2000)
    );
    report(&e.app, "TR", "8517.62", NASTY, "+ telsiz").await;
    report(&e.app, "VN", "3004.90", "Thuốc nhập khẩu", "dược phẩm").await;
    report(&e.app, "TR", "8471.30", &long, "bilgisayar").await;

    e.app.clock.advance(chrono::Duration::days(2));
    assert_eq!(
        regwatch::notify::run_digests(&e.app, e.app.now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        regwatch::notify::run_digests(&e.app, e.app.now())
            .await
            .unwrap(),
        0,
        "never twice for a period"
    );
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert_eq!(r.delivered, 1, "{r:?}");

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let raw = String::from_utf8_lossy(&mails[0]).to_string();
    let head = raw.split("\r\n\r\n").next().unwrap();
    assert!(!head.to_ascii_lowercase().contains("\nbcc:"), "{head}");
    assert!(!raw.contains("evil@example.com\r\n"), "{head}");
    let m = parse_mail(&mails[0]);
    assert_eq!(m.subject().unwrap(), "regwatch: 3 changes — TR 2, VN 1");
    assert!(m.bcc().is_none());
    let text = m.body_text(0).unwrap().to_string();
    let html = m.body_html(0).unwrap().to_string();
    // Grouped by jurisdiction (biggest first), then category.
    let (tr, vn) = (
        text.find("== TR (2) ==").unwrap(),
        text.find("== VN (1) ==").unwrap(),
    );
    assert!(tr < vn, "{text}");
    // Bad news first: telecom holds the direct match on the open case.
    let (el, te) = (
        text.find("-- electronics --").unwrap(),
        text.find("-- telecom --").unwrap(),
    );
    assert!(tr < te && te < el && el < vn, "{text}");
    assert!(
        text.contains("-- other --"),
        "untagged changes are grouped too: {text}"
    );
    assert!(!text.contains(&"x".repeat(400)), "long titles are cut");
    assert!(
        text.contains("CASE-7 · ACME (direct): HS 8517.62"),
        "{text}"
    );
    assert!(text.contains("Effective: 2027-01-01"), "{text}");
    assert!(text.contains(&format!("{BASE}/changes/")), "{text}");
    // HTML: untrusted text escaped; the case linked.
    assert!(
        !html.contains("<script>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;!channel&gt; &amp; Gümrük"), "{html}");
    assert!(html.contains("CASE-7</a>"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_down_then_up_the_digest_arrives_once() {
    let port = free_port();
    let e = env(&format!(
        "[[channel]]\nname = \"digest\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"regwatch@example.com\"\nto = [\"a@example.com\"]\nmode = \"digest\"\nretry_base = \"50ms\"\ntimeout = \"2s\"\n"
    ))
    .await;
    report(&e.app, "TR", "8517.62", "Rule one", "text").await;
    let out = regwatch::notify::digest_now(&e.app, Some("digest"), false, None)
        .await
        .unwrap();
    assert!(
        out.contains("digest queued") && out.contains("failed"),
        "{out}"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert_eq!(r.delivered, 0);
    let p = e.app.store.pending_deliveries().await.unwrap();
    assert_eq!(p.len(), 1);
    assert!(p[0].attempts >= 2 && p[0].last_error.is_some(), "{p:?}");

    let mails = start_smtp(port);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert_eq!(r.delivered, 1, "{r:?}");
    let r = regwatch::notify::deliver_due(&e.app, true).await.unwrap();
    assert_eq!(r.delivered, 0);
    // Nothing new: the next digest is empty and not sent.
    let out = regwatch::notify::digest_now(&e.app, Some("digest"), false, None)
        .await
        .unwrap();
    assert!(out.contains("nothing to send"), "{out}");
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(
        parse_mail(&mails[0]).subject().unwrap(),
        "regwatch: 1 change — TR 1"
    );
}

/// A mail server that stops answering mid-conversation (this one after
/// rejecting the message) costs one send timeout, not minutes: the timeout
/// bounds the whole SMTP conversation, not only the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_smtp_conversation_fails_within_the_send_timeout() {
    let port = free_port();
    let mails = start_sink(
        port,
        Sink {
            reject: true,
            ..Sink::default()
        },
    );
    let e = env(&format!(
        "[[channel]]\nname = \"now\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"regwatch@example.com\"\nto = [\"a@example.com\"]\ntimeout = \"2s\"\n"
    ))
    .await;
    report(&e.app, "TR", "8517.62", "Telsiz kuralı", "text").await;
    let t = Instant::now();
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "the pass took {:?}",
        t.elapsed()
    );
    assert_eq!(r.delivered, 0);
    assert_eq!(r.failed.len(), 1, "{r:?}");
    assert_eq!(mails.lock().unwrap().len(), 1);
    assert_eq!(e.app.store.pending_deliveries().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immediate_email_and_preview() {
    let port = free_port();
    let mails = start_smtp(port);
    let e = env(&format!(
        "[[channel]]\nname = \"now\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"regwatch@example.com\"\nto = [\"a@example.com\", \"b@example.com\"]\n"
    ))
    .await;
    report(&e.app, "TR", "8517.62", "Telsiz <b>kuralı</b>", "text").await;
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert_eq!(r.delivered, 1);
    let mails = mails.lock().unwrap().clone();
    let m = parse_mail(&mails[0]);
    assert_eq!(
        m.subject().unwrap(),
        "regwatch: TR telecom — Telsiz <b>kuralı</b>"
    );
    let html = m.body_html(0).unwrap().to_string();
    assert!(
        html.contains("Telsiz &lt;b&gt;kuralı&lt;") && !html.contains("<b>kuralı"),
        "{html}"
    );
    let out = regwatch::notify::digest_now(&e.app, Some("now"), true, None)
        .await
        .unwrap();
    assert!(
        out.contains("Subject: regwatch: 1 change — TR 1") && out.contains("--output DIR"),
        "{out}"
    );
    // With a folder, the HTML part is written there, not to a fixed shared path.
    let dir = tempfile::tempdir().unwrap();
    let out = regwatch::notify::digest_now(&e.app, Some("now"), true, Some(dir.path()))
        .await
        .unwrap();
    assert!(out.contains("HTML part written to"), "{out}");
    let html = std::fs::read_to_string(dir.path().join("digest-now.html")).unwrap();
    assert!(html.contains("Telsiz &lt;b&gt;kuralı"), "{html}");
}

// ---------------------------------------------------------------- source health

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_failing_three_polls_then_recovering_alerts_once_each_way() {
    let (peer, addr) = Peer::start().await;
    let port = free_port();
    let mails = start_smtp(port);
    let e = env(&format!(
        "[[channel]]\nname = \"slack\"\ntype = \"slack\"\nwebhook_url = \"http://{addr}/slack\"\n\n\
         [[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\n\n\
         [[channel]]\nname = \"mail\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"regwatch@example.com\"\nto = [\"a@example.com\"]\n"
    ))
    .await;
    write_source(&e, addr);
    let source = e.app.config.load_sources().unwrap().remove(0);
    peer.set_feed(rss(&[("a", "Old rule")]));
    regwatch::poll::poll_source(&e.app, &source).await.unwrap();
    peer.fail_feed(4);
    for _ in 0..4 {
        regwatch::poll::poll_source(&e.app, &source).await.unwrap();
        regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    }
    regwatch::poll::poll_source(&e.app, &source).await.unwrap();
    regwatch::poll::poll_source(&e.app, &source).await.unwrap();
    let r = regwatch::notify::deliver_due(&e.app, false).await.unwrap();
    assert!(r.waiting.is_empty(), "{r:?}");

    let hooks: Vec<serde_json::Value> = peer.posts_to("/hook").iter().map(Req::json).collect();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert_eq!(
        (hooks[0]["type"].as_str(), hooks[0]["state"].as_str()),
        (Some("health"), Some("down"))
    );
    assert!(
        hooks[0]["error"].as_str().unwrap().contains("503"),
        "{hooks:?}"
    );
    assert_eq!(hooks[0]["failures"], 3);
    assert_eq!(hooks[1]["state"], "recovered");

    let slack: Vec<String> = peer.posts_to("/slack").iter().map(Req::text).collect();
    assert_eq!(slack.len(), 2);
    assert!(
        slack[0].contains("Source down: tr-gazette (TR)") && slack[0].contains("503"),
        "{}",
        slack[0]
    );
    assert!(
        !slack[0].contains("<!channel>") && !slack[0].contains("<b>"),
        "the error is escaped: {}",
        slack[0]
    );
    assert!(slack[1].contains("Source recovered: tr-gazette (TR)"));

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 2);
    assert_eq!(
        parse_mail(&mails[0]).subject().unwrap(),
        "regwatch: source tr-gazette (TR) is down"
    );
    assert_eq!(
        parse_mail(&mails[1]).subject().unwrap(),
        "regwatch: source tr-gazette (TR) recovered"
    );
}

// ---------------------------------------------------------------- docs

/// Renders docs/alerts-example.* from a real store: run with
/// `REGWATCH_WRITE_DOCS=1 cargo test --test it notify::docs` to refresh them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_examples_render() {
    let e = env(
        "[[channel]]\nname = \"compliance-digest\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:25\"\n\
         from = \"regwatch <regwatch@example.com>\"\nto = [\"compliance@example.com\"]\nmode = \"digest\"\n\n\
         [[channel]]\nname = \"trade-alerts\"\ntype = \"slack\"\nwebhook_url = \"http://127.0.0.1:9/x\"\nmode = \"digest\"\n",
    )
    .await;
    open_case(&e.app, "CASE-7", "TR", "8517.62").await;
    report(&e.app, "TR", "8517.62", "Telsiz ekipmanı ithalatında uygunluk belgesi zorunlu", "Telsiz ve telekomünikasyon terminal ekipmanı (8517.62) ithalatında CE uygunluk belgesi gümrükte aranacaktır.").await;
    report(
        &e.app,
        "TR",
        "9018.90",
        "Tıbbi cihaz kayıt numarası beyannamede istenecek",
        "9018 pozisyonundaki tıbbi cihazlar için ÜTS kayıt numarası beyannameye yazılacak.",
    )
    .await;
    report(
        &e.app,
        "VN",
        "8471.30",
        "Kiểm tra chuyên ngành máy tính xách tay",
        "Máy tính xách tay (8471.30) phải có giấy chứng nhận hợp quy khi nhập khẩu.",
    )
    .await;
    let text = regwatch::notify::digest_now(&e.app, Some("compliance-digest"), true, None)
        .await
        .unwrap();
    let slack = regwatch::notify::digest_now(&e.app, Some("trade-alerts"), true, None)
        .await
        .unwrap();
    assert!(text.contains("== TR (2) ==") && slack.contains("\"blocks\""));
    if std::env::var("REGWATCH_WRITE_DOCS").is_ok() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("digest.txt"), &text).unwrap();
        std::fs::write(docs.join("slack-digest.json"), &slack).unwrap();
        let html = std::env::temp_dir().join("regwatch-digest-compliance-digest.html");
        std::fs::copy(html, docs.join("digest.html")).unwrap();
    }
}

/// Read-only commands work on a server installed as documented, from a
/// shell without the channels' secrets; a send without its secret fails
/// that delivery with the reason.
#[test]
fn read_only_commands_work_without_the_channel_secrets() {
    let channels = r#"
[[channel]]
name = "digest"
type = "email"
smtp_url = "smtp://127.0.0.1:9"
smtp_user = "regwatch"
smtp_password_env = "RW_IT_UNSET_SMTP_PASSWORD"
from = "regwatch <rw@example.com>"
to = ["c@example.com"]
mode = "digest"

[[channel]]
name = "slack"
type = "slack"
webhook_url_env = "RW_IT_UNSET_SLACK_WEBHOOK_URL"

[[channel]]
name = "hook"
type = "webhook"
url_file = "no-such-credential"
secret_file = "no-such-secret"
"#;
    let setup = crate::helpers::Setup::new("", channels);
    let report = setup.run(&[
        "report",
        "add",
        "--country",
        "TR",
        "--hs",
        "8517.62",
        "--title",
        "Router rule",
        "--text",
        "x",
    ]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    for args in [
        &["changes", "--format", "json"][..],
        &[
            "check",
            "--country",
            "TR",
            "--hs",
            "8517.62",
            "--format",
            "json",
        ],
        &["show", "1", "--format", "json"],
        &["sources", "check"],
    ] {
        let out = setup.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        // No source was ever polled here: `check` answers, and exits 1
        // because nothing could be checked (never an all-clear).
        let blind = args[0] == "check"
            && out.status.code() == Some(1)
            && err.contains("Nothing could be checked");
        assert!(out.status.success() || blind, "{args:?}: {err}");
    }
    let out = setup.run(&["notify", "retry"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("RW_IT_UNSET_SLACK_WEBHOOK_URL") && text.contains("no-such-credential"),
        "{text}"
    );
}

/// Teams: an Adaptive Card through a Workflows webhook, retried like Slack
/// and carrying the same idempotency key on every attempt.
#[tokio::test]
async fn teams_gets_an_adaptive_card_retried_with_one_key() {
    let (peer, addr) = Peer::start().await;
    let e = env(&format!(
        "[[channel]]\nname = \"teams\"\ntype = \"teams\"\nwebhook_url = \"http://{addr}/teams\"\nretry_base = \"10ms\"\n"
    ))
    .await;
    peer.script(vec![Reply::Status(500, None)]);
    report(
        &e.app,
        "TR",
        "8517.62",
        "Telsiz <b>ekipmanı</b> kuralı",
        "8517.62 uygunluk",
    )
    .await;
    let r = regwatch::notify::deliver_due(&e.app, true).await.unwrap();
    assert_eq!((r.delivered, r.failed.len()), (0, 1));
    let r = regwatch::notify::deliver_due(&e.app, true).await.unwrap();
    assert_eq!(r.delivered, 1);
    let r = regwatch::notify::deliver_due(&e.app, true).await.unwrap();
    assert_eq!(r.delivered, 0, "delivered once");
    let posts = peer.posts_to("/teams");
    assert_eq!(posts.len(), 2);
    let (a, b) = (posts[0].json(), posts[1].json());
    assert_eq!(a["regwatch_idempotency_key"], b["regwatch_idempotency_key"]);
    assert_eq!(
        posts[0].header("idempotency-key"),
        posts[1].header("idempotency-key")
    );
    let card = &b["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    let text = b.to_string();
    assert!(
        text.contains("ekipmanı") && text.contains("8517.62"),
        "{text}"
    );
    assert!(!card.to_string().contains("<b>"), "escaped: {text}");
    assert!(
        card["content"]["actions"][0]["url"]
            .as_str()
            .unwrap()
            .contains("/changes/"),
        "{text}"
    );
}

// ---------------------------------------------------------------- isolation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_webhook_does_not_delay_the_email_channel() {
    let (peer, addr) = Peer::start().await;
    peer.set_default(Reply::Hang);
    let port = free_port();
    let mails = start_smtp(port);
    // The hanging channel comes first, so its delivery is claimed first.
    let e = env(&format!(
        "[[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\ntimeout = \"3s\"\n\n\
         [[channel]]\nname = \"mail\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"regwatch@example.com\"\nto = [\"a@example.com\"]\n"
    ))
    .await;
    report(&e.app, "TR", "8517.62", "Telsiz kuralı", "text").await;
    report(&e.app, "TR", "8517.13", "IMEI kaydı", "text").await;
    let app = e.app.clone();
    let t0 = Instant::now();
    let pass = tokio::spawn(async move { regwatch::notify::deliver_due(&app, false).await });
    while mails.lock().unwrap().len() < 2 {
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "the email channel waited behind the hanging webhook: {} mail(s) after {:?}",
            mails.lock().unwrap().len(),
            t0.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = pass.await.unwrap().unwrap();
    let took = t0.elapsed();
    assert_eq!(r.delivered, 2, "{r:?}");
    assert_eq!(
        r.failed.len(),
        2,
        "both webhook deliveries timed out: {r:?}"
    );
    assert!(r.failed.iter().all(|(_, ch, _)| ch == "hook"), "{r:?}");
    // In order within the channel: the second webhook waited for the first.
    assert!(took >= Duration::from_secs(6), "{took:?}");
    let hooks = peer.posts_to("/hook");
    assert_eq!(hooks.len(), 2);
    // The first one's 3 s ran from when it was sent, a moment before it
    // arrived: sent together, the two would arrive together.
    let apart = hooks[1].at - hooks[0].at;
    assert!(apart >= Duration::from_millis(2500), "{apart:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_waits_a_few_seconds_for_alerts_then_leaves_them_queued() {
    let (peer, addr) = Peer::start().await;
    let e = env(&format!(
        "[[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\ntimeout = \"60s\"\n"
    ))
    .await;
    write_source(&e, addr);
    peer.set_feed(rss(&[("a", "Old rule")]));
    let (code, out) = regwatch(&e.config, &["poll"]).await;
    assert_eq!(code, 0, "{out}");
    peer.set_feed(rss(&[("a", "Old rule"), ("b", "Yeni telsiz kuralı")]));
    peer.set_default(Reply::Hang);
    let t0 = Instant::now();
    let (code, out) = regwatch(&e.config, &["poll"]).await;
    let took = t0.elapsed();
    assert_eq!(code, 0, "{out}");
    assert!(
        took < Duration::from_secs(10),
        "poll is not held by a 60s receiver: {took:?}"
    );
    assert!(
        out.contains("stay queued for the daemon (`regwatch run`) or `regwatch notify retry`"),
        "{out}"
    );
    let pending = e.app.store.pending_deliveries().await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!(
        e.app
            .store
            .held_leases(crate::helpers::now())
            .await
            .unwrap()
            .is_empty(),
        "the lease was given back, so the daemon can send it now"
    );
    peer.set_default(Reply::Status(200, None));
    let (code, out) = regwatch(&e.config, &["notify", "retry"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("delivered 1"), "{out}");
}
