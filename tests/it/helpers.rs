//! Shared test helpers: a local fixture HTTP server whose answers change
//! between polls, and a regwatch setup in a temporary folder.

#![allow(dead_code)]

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use regwatch::app::App;
use regwatch::classify::Tagger;
use regwatch::config::{Config, Source};
use regwatch::store::Store;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One canned answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    /// Answer 304 when If-None-Match equals this.
    pub etag: Option<String>,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
            etag: None,
        }
    }
    pub fn html(body: &str) -> Reply {
        Reply::ok("text/html; charset=utf-8", body.as_bytes().to_vec())
    }
    pub fn xml(body: &str) -> Reply {
        Reply::ok("application/rss+xml", body.as_bytes().to_vec())
    }
    pub fn status(code: u16) -> Reply {
        Reply {
            status: code,
            ..Reply::html("error")
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn with_etag(mut self, e: &str) -> Reply {
        self.etag = Some(e.into());
        self.headers.push(("etag".into(), e.into()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

#[derive(Default)]
struct Routes {
    /// path -> queue of answers; the last one repeats.
    answers: HashMap<String, VecDeque<Reply>>,
    hits: HashMap<String, usize>,
    not_modified: HashMap<String, usize>,
}

#[derive(Clone)]
pub struct FixtureServer {
    pub addr: SocketAddr,
    routes: Arc<Mutex<Routes>>,
}

impl FixtureServer {
    pub async fn start() -> FixtureServer {
        // The server runs on its own thread and runtime, so a test that blocks
        // (waiting for the real binary) never stalls it.
        let routes = Arc::new(Mutex::new(Routes::default()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(routes.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let _ = axum::serve(listener, app).await;
            });
        });
        FixtureServer { addr, routes }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Serve `reply` at `path` from now on.
    pub fn set(&self, path: &str, reply: Reply) {
        let mut r = self.routes.lock().unwrap();
        r.answers.insert(path.to_string(), VecDeque::from([reply]));
    }

    /// Serve these answers in turn at `path`; the last one repeats.
    pub fn sequence(&self, path: &str, replies: Vec<Reply>) {
        let mut r = self.routes.lock().unwrap();
        r.answers.insert(path.to_string(), replies.into());
    }

    pub fn hits(&self, path: &str) -> usize {
        self.routes
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn not_modified(&self, path: &str) -> usize {
        self.routes
            .lock()
            .unwrap()
            .not_modified
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

async fn handle(State(routes): State<Arc<Mutex<Routes>>>, req: Request) -> Response {
    let key = match req.uri().query() {
        Some(q) => format!("{}?{}", req.uri().path(), q),
        None => req.uri().path().to_string(),
    };
    let inm = req
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let reply = {
        let mut r = routes.lock().unwrap();
        *r.hits.entry(key.clone()).or_insert(0) += 1;
        let q = r.answers.get_mut(&key);
        match q {
            None => None,
            Some(q) => {
                if q.len() > 1 {
                    q.pop_front()
                } else {
                    q.front().cloned()
                }
            }
        }
    };
    let Some(reply) = reply else {
        return Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap();
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if let (Some(e), Some(i)) = (&reply.etag, &inm) {
        if e == i {
            let mut r = routes.lock().unwrap();
            *r.not_modified.entry(key).or_insert(0) += 1;
            return Response::builder().status(304).body(Body::empty()).unwrap();
        }
    }
    let mut b = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    let mut headers = HeaderMap::new();
    for (k, v) in &reply.headers {
        headers.append(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    *b.headers_mut().unwrap() = headers;
    b.body(Body::from(reply.body.clone())).unwrap()
}

/// A regwatch setup in a temporary folder: config, sources, SQLite file.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
}

pub const FAST_FETCH: &str = r#"
[fetch]
timeout = "2s"
per_host_interval = "0s"
per_host_concurrency = 4
retries = 2
retry_backoff = "50ms"
robots_txt = false
max_bytes = 200_000

[schedule]
jitter = "0s"
"#;

impl Setup {
    /// `extra` is appended to a config whose storage and sources live in the temp dir.
    pub fn new(sources_toml: &str, extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("config")).unwrap();
        std::fs::create_dir_all(root.join("sources")).unwrap();
        let cfg = format!(
            "[storage]\nurl = \"sqlite://{}\"\n\n[sources]\ndir = \"{}\"\n{}\n{}",
            root.join("data/regwatch.db").display(),
            root.join("sources").display(),
            if extra.contains("[fetch]") {
                ""
            } else {
                FAST_FETCH
            },
            extra
        );
        let config_path = root.join("config/regwatch.toml");
        std::fs::write(&config_path, cfg).unwrap();
        std::fs::write(root.join("sources/test.toml"), sources_toml).unwrap();
        Setup { dir, config_path }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> Config {
        Config::load(&self.config_path).unwrap()
    }

    pub async fn app(&self) -> App {
        let cfg = self.config();
        let store = Store::open(&cfg.storage.url).await.unwrap();
        App::new(cfg, store, Tagger::builtin()).unwrap()
    }

    pub fn sources(&self) -> Vec<Source> {
        self.config().load_sources().unwrap()
    }

    pub fn source(&self, id: &str) -> Source {
        self.sources().into_iter().find(|s| s.id() == id).unwrap()
    }

    /// Run the real binary with this setup's config.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
            .arg("--config")
            .arg(&self.config_path)
            .args(args)
            .current_dir(self.root())
            .env("REGWATCH_LOG", "warn")
            .output()
            .unwrap()
    }
}

/// Now, as the program under test sees it (`REGWATCH_CLOCK` shifts both):
/// tests write dates relative to this, never to the wall clock.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    regwatch::clock::Clock::from_env().now()
}

/// A source definition for tests.
pub fn source_toml(id: &str, kind: &str, url: &str, extract: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"Test {id}\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\nkind = \"{kind}\"\nurl = \"{url}\"\n{}\n",
        if extract.is_empty() { String::new() } else { format!("[source.extract]\n{extract}") }
    )
}

pub fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Duyurular</title><link>http://example.invalid/</link><description>d</description>");
    for (guid, title, desc) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>http://example.invalid/{guid}</link><description>{desc}</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// A change in the JSON shape DESIGN.md fixes has every one of these keys.
pub fn assert_change_shape(c: &serde_json::Value) {
    for key in [
        "id",
        "source",
        "jurisdiction",
        "detected_at",
        "kind",
        "title",
        "link",
        "excerpt",
        "diff",
        "categories",
        "hs_codes",
        "evidence",
        "cases",
        "url",
    ] {
        assert!(c.get(key).is_some(), "change without `{key}`: {c}");
    }
}

/// For each name, a module with a `sqlite` and a `postgres` test that run
/// the async fn of that name on a fresh database of that backend (`TestDb`
/// must be in scope where it is used).
#[allow(unused_macros)] // helpers.rs is shared with test binaries that do not use it
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = super::TestDb::sqlite();
                super::$name(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = super::TestDb::postgres().await {
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            }
        }
    )*};
}
