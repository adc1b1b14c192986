//! `regwatch run` end to end: the real binary on port 0, a local fixture
//! server whose content changes between polls, three sources on
//! second-level schedules, the HTTP API, pages, feed and metrics, SIGHUP
//! reload and SIGTERM shutdown.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A temporary folder removed on drop (kept when the test fails, for its logs).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "regwatch-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A local HTTP server whose feeds and page grow by one item per request.
pub struct Fixture {
    pub base: String,
    pub hits: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
}

impl Fixture {
    pub fn hits(&self, path: &str) -> Vec<Instant> {
        self.hits
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default()
    }
}

/// The title of item `n` of feed or page `name`. Item 2 of page `b` is
/// hostile markup (escaped in the page's HTML, so its text is the markup).
pub fn item_title(name: &str, n: usize) -> String {
    if name == "b" && n == 2 {
        "<img src=x onerror=alert(1)>".to_string()
    } else {
        format!(
            "Notice {}{n}: telecom equipment HS 8517.62 conformity rule",
            name.to_uppercase()
        )
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn rss(name: &str, n: usize, base: &str) -> String {
    let mut items = String::new();
    for i in (1..=n).rev() {
        items.push_str(&format!(
            "<item><title>{}</title><link>{base}/{name}/{i}</link><guid>{base}/{name}/{i}</guid><description>Item {i} of {name}: import conformity for telsiz (HS 8517.62).</description></item>",
            xml(&item_title(name, i))
        ));
    }
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title><link>{base}/</link><description>d</description>{items}</channel></rss>")
}

fn page(n: usize) -> String {
    let mut lis = String::new();
    for i in 1..=n {
        lis.push_str(&format!(
            "<li><a href=\"/b/{i}\">{}</a></li>",
            xml(&item_title("b", i))
        ));
    }
    format!("<html><body><h1>Announcements</h1><ul id=\"list\">{lis}</ul></body></html>")
}

pub async fn fixture_server() -> Fixture {
    use axum::extract::{Path as AxPath, State};
    use axum::http::header;
    use axum::response::IntoResponse;
    type Hits = Arc<Mutex<HashMap<String, Vec<Instant>>>>;
    let hits: Hits = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b2 = base.clone();
    let app = axum::Router::new()
        .route(
            "/{file}",
            axum::routing::get(
                move |State(hits): State<Hits>, AxPath(file): AxPath<String>| {
                    let base = b2.clone();
                    async move {
                        let n = {
                            let mut h = hits.lock().unwrap();
                            let v = h.entry(file.clone()).or_default();
                            v.push(Instant::now());
                            v.len()
                        };
                        match file.split_once('.') {
                            Some((name, "xml")) => (
                                [(header::CONTENT_TYPE, "application/rss+xml")],
                                rss(name, n, &base),
                            )
                                .into_response(),
                            Some((_, "html")) => (
                                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                                page(n),
                            )
                                .into_response(),
                            _ => axum::http::StatusCode::NOT_FOUND.into_response(),
                        }
                    }
                },
            ),
        )
        .with_state(hits.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Fixture { base, hits }
}

pub fn source_toml(id: &str, kind: &str, url: &str, schedule: &str) -> String {
    let extract = if kind == "page" {
        "\n[source.extract]\ncontent = \"#list\"\nitem = \"li\"\n"
    } else {
        ""
    };
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"Fixture {id}\"\njurisdiction = \"TR\"\nlanguage = \"en\"\nkind = \"{kind}\"\nurl = \"{url}\"\nschedule = \"{schedule}\"\n{extract}\n"
    )
}

/// The standard three sources against the fixture: two feeds and a page, every 2 s.
pub fn three_sources(fx: &Fixture) -> String {
    let every2 = "*/2 * * * * *";
    [
        source_toml("fx-a", "feed", &format!("{}/a.xml", fx.base), every2),
        source_toml("fx-b", "page", &format!("{}/b.html", fx.base), every2),
        source_toml("fx-c", "feed", &format!("{}/c.xml", fx.base), every2),
    ]
    .join("\n")
}

pub struct Daemon {
    pub child: Child,
    pub base: String,
    pub dir: PathBuf,
    pub log: PathBuf,
}

impl Daemon {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
    }
    /// Wait for exit up to `limit`; None if still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "---- daemon log ({}) ----\n{}",
                self.log.display(),
                self.log()
            );
        }
    }
}

/// Write a config into `dir` (sources in `dir/sources`) and start `regwatch run` on port 0.
pub fn spawn_daemon(dir: &Path, sources: &str, server_extra: &str) -> Daemon {
    spawn_daemon_env(dir, sources, server_extra, &[])
}

pub fn spawn_daemon_env(
    dir: &Path,
    sources: &str,
    server_extra: &str,
    envs: &[(&str, String)],
) -> Daemon {
    let sdir = dir.join("sources");
    std::fs::create_dir_all(&sdir).unwrap();
    std::fs::write(sdir.join("fixture.toml"), sources).unwrap();
    let cfg = format!(
        r#"[storage]
url = "sqlite://{d}/db.sqlite"

[sources]
dir = "{d}/sources"

[fetch]
per_host_interval = "0s"
robots_txt = false
retries = 0
timeout = "5s"

[schedule]
jitter = "0s"

[server]
listen = "127.0.0.1:8080"
base_url = "http://regwatch.test"
{server_extra}
"#,
        d = dir.display()
    );
    let cfg_path = dir.join("regwatch.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    start_run(dir, &cfg_path, envs, Duration::from_secs(30))
}

/// Start `regwatch run --listen 127.0.0.1:0` with `cfg`, logging into
/// `dir/daemon.log`, and wait (up to `wait`) for it to print its address.
pub fn start_run(dir: &Path, cfg_path: &Path, envs: &[(&str, String)], wait: Duration) -> Daemon {
    let log = dir.join("daemon.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(cfg_path)
        .args(["run", "--listen", "127.0.0.1:0"])
        .env_remove("REGWATCH_API_TOKEN")
        .env_remove("NOTIFY_SOCKET")
        .env("REGWATCH_LOG", "info,regwatch=debug")
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start regwatch run");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut d = Daemon {
        child,
        base: String::new(),
        dir: dir.to_path_buf(),
        log,
    };
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    d.base = addr.trim().to_string();
                    return d;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Some(s) = d.child.try_wait().unwrap() {
                    panic!("regwatch run exited early ({s}):\n{}", d.log());
                }
            }
            Err(_) => break,
        }
    }
    panic!("regwatch run did not print its address:\n{}", d.log());
}

pub async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

pub async fn get_json(url: &str) -> serde_json::Value {
    let (s, body) = get(url).await;
    assert_eq!(s, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: not JSON ({e}): {body}"))
}

/// Poll `f` every 200 ms until it returns Some, or fail after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let t0 = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if t0.elapsed() > limit {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn metric(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(name_and_labels)
            .and_then(|v| v.trim().parse().ok())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_polls_on_schedule_serves_changes_reloads_and_stops_on_sigterm() {
    let fx = fixture_server().await;
    let tmp = TempDir::new("daemon");
    let mut d = spawn_daemon(
        &tmp.0,
        &three_sources(&fx),
        "api_token = \"t0ken-for-tests\"",
    );
    let base = d.base.clone();

    // Each source is polled, on its 2-second schedule (not hammered).
    for f in ["a.xml", "b.html", "c.xml"] {
        eventually(
            Duration::from_secs(20),
            &format!("three polls of {f}"),
            || async { (fx.hits(f).len() >= 3).then_some(()) },
        )
        .await;
    }
    for f in ["a.xml", "b.html", "c.xml"] {
        let h = fx.hits(f);
        for w in h.windows(2).skip(1) {
            let gap = w[1] - w[0];
            assert!(
                gap >= Duration::from_millis(1200),
                "{f} polled {gap:?} after the previous poll: {h:?}"
            );
        }
    }

    // Changes appear in the API (after the baseline, each poll adds an item).
    let changes = eventually(
        Duration::from_secs(10),
        "changes from all three sources",
        || async {
            let v = get_json(&format!("{base}/api/changes?limit=100")).await;
            let arr = v["changes"].as_array().cloned().unwrap_or_default();
            let sources: std::collections::HashSet<String> = arr
                .iter()
                .filter_map(|c| c["source"].as_str().map(str::to_string))
                .collect();
            (sources.len() == 3).then_some(arr)
        },
    )
    .await;
    let first = &changes[0];
    crate::helpers::assert_change_shape(first);
    let id = first["id"].as_i64().unwrap();
    assert_eq!(first["url"], format!("http://regwatch.test/changes/{id}"));
    let tagged = changes.iter().find(|c| c["source"] == "fx-c").unwrap();
    assert!(
        tagged["hs_codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "8517.62"),
        "{tagged}"
    );

    // Paging with the cursor, and the filters.
    let p1 = get_json(&format!("{base}/api/changes?limit=1")).await;
    let cursor = p1["next"].as_str().expect("a next cursor").to_string();
    let p2 = get_json(&format!("{base}/api/changes?limit=1&cursor={cursor}")).await;
    assert!(p2["changes"][0]["id"].as_i64().unwrap() < p1["changes"][0]["id"].as_i64().unwrap());
    let only_b = get_json(&format!(
        "{base}/api/changes?source=fx-b&country=TR&hs=8517&category=telecom&query=Notice"
    ))
    .await;
    assert!(
        !only_b["changes"].as_array().unwrap().is_empty(),
        "{only_b}"
    );
    assert!(only_b["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["source"] == "fx-b"));
    let none = get_json(&format!("{base}/api/changes?country=VN")).await;
    assert_eq!(none["changes"].as_array().unwrap().len(), 0);
    assert!(none["next"].is_null());
    let (s, body) = get(&format!("{base}/api/changes?hs=banana")).await;
    assert_eq!(s, 400, "{body}");
    let one = get_json(&format!("{base}/api/changes/{id}")).await;
    assert_eq!(one["id"], id);
    assert_eq!(get(&format!("{base}/api/changes/999999")).await.0, 404);
    let check = get_json(&format!("{base}/api/check?country=TR&hs=8517.62&since=1d")).await;
    assert!(!check["changes"].as_array().unwrap().is_empty(), "{check}");
    assert_eq!(get(&format!("{base}/api/check?hs=8517")).await.0, 400);

    // The Atom feed is valid and carries the change.
    let (s, atom) = get(&format!("{base}/feed.atom?source=fx-b")).await;
    assert_eq!(s, 200);
    let feed = feed_rs::parser::parse(atom.as_bytes())
        .unwrap_or_else(|e| panic!("invalid feed ({e}): {atom}"));
    assert!(!feed.entries.is_empty(), "{atom}");
    assert!(
        feed.entries
            .iter()
            .all(|e| e.id.starts_with("tag:regwatch.test,")),
        "{atom}"
    );
    assert!(feed.entries[0]
        .links
        .iter()
        .any(|l| l.href.starts_with("http://regwatch.test/changes/")));
    assert!(atom.contains("<link rel=\"self\" type=\"application/atom+xml\" href=\"http://regwatch.test/feed.atom?source=fx-b\"/>"));
    assert!(
        atom.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "hostile title escaped in the feed: {atom}"
    );

    // The web pages.
    let (s, home) = get(&format!("{base}/")).await;
    assert_eq!(s, 200);
    assert!(home.contains("<meta name=\"viewport\""));
    assert!(
        home.contains("Notice A3: telecom equipment HS 8517.62 conformity rule"),
        "{home}"
    );
    assert!(home.contains(&format!("href=\"/changes/{id}\"")));
    assert!(
        home.contains("&lt;img src=x onerror=alert(1)&gt;") && !home.contains("<img"),
        "{home}"
    );
    let (s, page) = get(&format!("{base}/changes/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("<ins class=\"add\">") || page.contains("<del class=\"del\">"),
        "{page}"
    );
    let (s, sources_page) = get(&format!("{base}/sources")).await;
    assert_eq!(s, 200);
    assert!(
        sources_page.contains("fx-a")
            && sources_page.contains("fx-b")
            && sources_page.contains("fx-c")
    );
    assert_eq!(get(&format!("{base}/changes/999999")).await.0, 404);
    let api_sources = get_json(&format!("{base}/api/sources")).await;
    for s in api_sources["sources"].as_array().unwrap() {
        assert!(s["last_success"].is_string(), "{s}");
        assert!(s["next_poll"].is_string(), "{s}");
        assert_eq!(s["health"], "ok");
    }
    assert_eq!(
        get(&format!("{base}/healthz")).await,
        (200, "ok\n".to_string())
    );

    // Metrics count what happened.
    let (s, m) = get(&format!("{base}/metrics")).await;
    assert_eq!(s, 200);
    assert!(
        metric(&m, "regwatch_changes_total{source=\"fx-a\"}").unwrap_or(0.0) >= 1.0,
        "{m}"
    );
    assert!(
        metric(
            &m,
            "regwatch_polls_total{source=\"fx-b\",outcome=\"baseline\"}"
        ) == Some(1.0),
        "{m}"
    );
    assert_eq!(metric(&m, "regwatch_sources_down "), Some(0.0), "{m}");
    // Prometheus's text parser reads all of it: the poll-duration histogram
    // and the per-source last-success gauge included.
    let lines = m.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("the exposition parses");
    let names: std::collections::HashSet<&str> =
        scrape.samples.iter().map(|s| s.metric.as_str()).collect();
    for n in [
        "regwatch_polls_total",
        "regwatch_poll_duration_seconds",
        "regwatch_source_last_success_timestamp_seconds",
        "regwatch_sources",
    ] {
        assert!(names.contains(n), "{n} missing: {names:?}");
    }
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "regwatch_poll_duration_seconds"
                && matches!(s.value, prometheus_parse::Value::Histogram(_))),
        "{m}"
    );
    assert!(
        scrape.samples.iter().any(
            |s| s.metric == "regwatch_source_last_success_timestamp_seconds"
                && s.labels.get("source") == Some("fx-a")
        ),
        "{m}"
    );
    assert!(!m.contains("{}"), "no empty label sets: {m}");
    assert_eq!(metric(&m, "regwatch_sources "), Some(3.0), "{m}");

    // Writes need the bearer token.
    let http = reqwest::Client::new();
    let report = serde_json::json!({"country": "TR", "hs": ["8517.62"], "title": "Istanbul customs asks for a conformity letter", "text": "Seen at the counter."});
    let r = http
        .post(format!("{base}/api/reports"))
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = http
        .post(format!("{base}/api/reports"))
        .bearer_auth("wrong")
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = http
        .post(format!("{base}/api/reports"))
        .bearer_auth("t0ken-for-tests")
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let field = get_json(&format!("{base}/api/changes?source=field")).await;
    assert_eq!(field["changes"][0]["id"], created["id"]);
    let case = serde_json::json!({"id": "CASE-7", "client": "Acme", "title": "Routers", "country": "TR", "hs_codes": ["8517.62"]});
    let r = http
        .post(format!("{base}/api/cases"))
        .bearer_auth("t0ken-for-tests")
        .json(&case)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    // Cases are confidential: with a token configured, reads need one too.
    let (s, _) = get(&format!("{base}/api/cases")).await;
    assert_eq!(s, 401);
    let cases: serde_json::Value = http
        .get(format!("{base}/api/cases"))
        .bearer_auth("t0ken-for-tests")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cases["cases"][0]["id"], "CASE-7");
    let matched = get_json(&format!("{base}/api/changes?case=CASE-7")).await;
    assert!(
        !matched["changes"].as_array().unwrap().is_empty(),
        "the new case is matched against recent changes"
    );
    let r = http
        .post(format!("{base}/api/cases/CASE-7/close"))
        .bearer_auth("t0ken-for-tests")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = http
        .post(format!("{base}/api/cases/NOPE/close"))
        .bearer_auth("t0ken-for-tests")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // SIGHUP picks up a new source file; a broken file keeps the old set.
    std::fs::write(
        d.dir.join("sources/more.toml"),
        source_toml(
            "fx-d",
            "feed",
            &format!("{}/d.xml", fx.base),
            "*/2 * * * * *",
        ),
    )
    .unwrap();
    d.signal("HUP");
    eventually(
        Duration::from_secs(15),
        "the added source polled",
        || async { (!fx.hits("d.xml").is_empty()).then_some(()) },
    )
    .await;
    std::fs::write(
        d.dir.join("sources/broken.toml"),
        "[[source]]\nid = \"Bad Id\"\n",
    )
    .unwrap();
    d.signal("HUP");
    eventually(
        Duration::from_secs(10),
        "the reload error in the log",
        || async { d.log().contains("reload failed").then_some(()) },
    )
    .await;
    let before = fx.hits("d.xml").len();
    eventually(
        Duration::from_secs(10),
        "polling to go on after a bad reload",
        || async { (fx.hits("d.xml").len() > before).then_some(()) },
    )
    .await;
    assert_eq!(
        get_json(&format!("{base}/api/sources")).await["sources"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // SIGTERM: exit 0 within 5 seconds.
    d.signal("TERM");
    let status = d
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("still running 5 s after SIGTERM:\n{}", d.log()));
    assert_eq!(status.code(), Some(0), "{}", d.log());
    let log = d.log();
    assert!(
        !log.contains("t0ken-for-tests"),
        "the API token must never be logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_writes_are_refused_with_how_to_set_one() {
    let tmp = TempDir::new("daemon-notoken");
    // No sources due soon: a yearly schedule against a closed port.
    let sources = source_toml("quiet", "feed", "http://127.0.0.1:9/feed.xml", "0 0 1 1 *");
    let mut d = spawn_daemon(&tmp.0, &sources, "");
    let r = reqwest::Client::new()
        .post(format!("{}/api/cases/X/close", d.base))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("REGWATCH_API_TOKEN"), "{body}");
    d.signal("INT");
    assert_eq!(
        d.wait_exit(Duration::from_secs(5)).and_then(|s| s.code()),
        Some(0),
        "{}",
        d.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_systemd_it_is_ready_and_pings_the_watchdog() {
    let tmp = TempDir::new("daemon-notify");
    let sock_path = tmp.0.join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let sources = source_toml("quiet", "feed", "http://127.0.0.1:9/feed.xml", "0 0 1 1 *");
    let envs = [
        ("NOTIFY_SOCKET", sock_path.display().to_string()),
        ("WATCHDOG_USEC", "400000".to_string()),
    ];
    let mut d = spawn_daemon_env(&tmp.0, &sources, "", &envs);
    let mut seen = String::new();
    let mut buf = [0u8; 512];
    while !(seen.contains("READY=1") && seen.contains("WATCHDOG=1")) {
        let n = sock
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("no notification ({e}); got {seen:?}"));
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        seen.push('\n');
    }
    assert!(seen.contains("STATUS=watching 1 source(s)"), "{seen}");
    d.signal("TERM");
    assert_eq!(
        d.wait_exit(Duration::from_secs(5)).and_then(|s| s.code()),
        Some(0),
        "{}",
        d.log()
    );
    let n = sock.recv(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1"));
}

/// `systemd-analyze verify` accepts the unit and its offline security score is
/// at most 2.5 (scripts/verify-unit.sh; skipped without systemd-analyze).
#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED unit check: systemd-analyze is missing (apt-get install -y systemd)");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(format!("{root}/scripts/verify-unit.sh"))
        .arg(env!("CARGO_BIN_EXE_regwatch"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("verify: ok"), "{text}");
}
