//! The whole story in a real browser against the real daemon: headless
//! Chromium, driven over the DevTools protocol, signs in as an admin, adds
//! a page source by its URL (a local site), previews it, picks a suggested
//! item selector with one click, and saves; the jurisdiction's file gains
//! exactly the new block (its comments untouched); the running `regwatch
//! run` polls the new source without a restart; a viewer gets no form and
//! the API answers 403. Skipped, with a message, when Chromium is missing.

use crate::daemon::{eventually, get_json, spawn_daemon, TempDir};
use crate::helpers::{FixtureServer, Reply};
use crate::web_sources::{ADA, TR_HEAD, VIC};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const CHROMIUM: &str = "/usr/bin/chromium";

const LISTING: &str = "<html><body><nav><a href='/'>Inicio</a><a href='/c'>Contacto</a></nav>\
<main><h1>Avisos</h1><div class='avisos'>\
<div class='aviso'><h3><a href='/a/1'>Acuerdo que modifica la Tarifa de importación</a></h3><p>01/12/2026</p></div>\
<div class='aviso'><h3><a href='/a/2'>Decreto sobre aranceles a equipos de telecomunicaciones 8517.62</a></h3><p>28/11/2026</p></div>\
<div class='aviso'><h3><a href='/a/3'>Aviso sobre normas oficiales mexicanas de seguridad</a></h3><p>20/11/2026</p></div>\
</div></main></body></html>";

/// A page of a headless Chromium, driven over its DevTools WebSocket.
struct Driver {
    child: std::process::Child,
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    session: String,
    next: u64,
}

impl Driver {
    async fn start(profile: &Path) -> Driver {
        use std::io::BufRead;
        let mut child = std::process::Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(i) = l.find("ws://") {
                    let _ = tx.send(l[i..].trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium printed its DevTools address");
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        let mut d = Driver {
            child,
            ws,
            session: String::new(),
            next: 0,
        };
        let t = d
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let target = t["targetId"].as_str().unwrap().to_string();
        let a = d
            .call(
                "Target.attachToTarget",
                json!({"targetId": target, "flatten": true}),
            )
            .await;
        d.session = a["sessionId"].as_str().unwrap().to_string();
        d.call("Page.enable", json!({})).await;
        d.call("Runtime.enable", json!({})).await;
        d
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).await.unwrap();
        loop {
            let m = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"))
                .unwrap()
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["id"] == id {
                    assert!(v.get("error").is_none(), "{method}: {v}");
                    return v["result"].clone();
                }
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    async fn eval(&mut self, expr: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expr, "returnByValue": true}),
            )
            .await;
        r["result"]["value"].clone()
    }

    /// Wait until a new document has loaded (the old one was marked).
    async fn loaded(&mut self) {
        let t0 = Instant::now();
        loop {
            let v = self
                .eval(
                    "typeof window.__rw_old === 'undefined' && document.readyState === 'complete'",
                )
                .await;
            if v == json!(true) {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "the page did not load"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn goto(&mut self, url: &str) {
        self.eval("window.__rw_old = 1").await;
        self.call("Page.navigate", json!({"url": url})).await;
        self.loaded().await;
    }

    /// Run `js` (which submits a form or clicks a button) and wait for the next page.
    async fn submit(&mut self, js: &str) {
        self.eval(&format!("window.__rw_old = 1; {js}; true")).await;
        self.loaded().await;
    }

    async fn html(&mut self) -> String {
        self.eval("document.documentElement.outerHTML")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Set a form field as a person types it.
    async fn fill(&mut self, name: &str, value: &str) {
        let js = format!(
            "(() => {{ const e = document.querySelector('[name=\"{name}\"]'); e.value = {}; return !!e; }})()",
            json!(value)
        );
        assert_eq!(self.eval(&js).await, json!(true), "no field `{name}`");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_page_source_in_the_browser_and_the_running_daemon_polls_it() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("SKIPPED browser test: {CHROMIUM} is missing (apt-get install chromium)");
        return;
    }
    let fx = FixtureServer::start().await;
    fx.set("/avisos", Reply::html(LISTING));
    let tmp = TempDir::new("web-sources");
    let tokens = tmp.0.join("tokens");
    std::fs::create_dir_all(tmp.0.join("sources")).unwrap();
    std::fs::create_dir_all(&tokens).unwrap();
    std::fs::write(tokens.join("ada"), ADA).unwrap();
    std::fs::write(tokens.join("vic"), VIC).unwrap();
    // The Mexican file exists, with comments, before the admin adds to it.
    let mx_head = TR_HEAD
        .replace("Türkiye", "México")
        .replace("tr-old", "mx-old")
        .replace("\"TR\"", "\"MX\"");
    std::fs::write(tmp.0.join("sources/mx.toml"), &mx_head).unwrap();
    let users = format!(
        "\n[[user]]\nname = \"ada\"\ntoken_file = \"{}\"\nrole = \"admin\"\n\n[[user]]\nname = \"vic\"\ntoken_file = \"{}\"\nrole = \"viewer\"\n",
        tokens.join("ada").display(),
        tokens.join("vic").display()
    );
    let d = spawn_daemon(&tmp.0, "", &users);
    let base = d.base.clone();
    let site = fx.url("/avisos");

    let mut b = Driver::start(&tmp.0.join("chromium")).await;
    // A viewer signs in: the source form is refused, with no form.
    b.goto(&format!("{base}/signin")).await;
    b.fill("token", VIC).await;
    b.submit("document.querySelector('#signin').submit()").await;
    b.goto(&format!("{base}/sources/new")).await;
    let page = b.html().await;
    assert!(page.contains("only admins"), "{page}");
    assert!(!page.contains("id=\"source-form\""), "{page}");
    b.call("Network.clearBrowserCookies", json!({})).await;

    // The admin signs in and opens the form.
    b.goto(&format!("{base}/signin")).await;
    b.fill("token", ADA).await;
    b.submit("document.querySelector('#signin').submit()").await;
    b.goto(&format!("{base}/sources/new")).await;
    assert!(b.html().await.contains("id=\"source-form\""));
    for (k, v) in [
        ("id", "mx-avisos"),
        ("name", "Avisos de comercio exterior"),
        ("jurisdiction", "MX"),
        ("language", "es"),
        ("url", site.as_str()),
        ("schedule", "*/2 * * * * *"),
    ] {
        b.fill(k, v).await;
    }
    b.submit("document.querySelector('#preview-button').click()")
        .await;
    let page = b.html().await;
    assert!(page.contains("id=\"candidates\""), "{page}");
    assert!(page.contains("3 entries"), "{page}");
    assert!(
        page.contains("Acuerdo que modifica la Tarifa de importación"),
        "{page}"
    );

    // One click on the first candidate: its selector fills the form and the preview shows the items.
    b.submit("document.querySelector('#use-1').click()").await;
    let page = b.html().await;
    assert!(page.contains("<strong>3 items</strong>"), "{page}");
    let item = b
        .eval("document.querySelector('[name=\"extract.item\"]').value")
        .await
        .as_str()
        .unwrap()
        .to_string();
    let content = b
        .eval("document.querySelector('[name=\"extract.content\"]').value")
        .await
        .as_str()
        .unwrap()
        .to_string();
    assert!(!item.is_empty());
    let mut extras = vec![];
    for k in ["extract.item_title", "extract.item_link"] {
        let v = b
            .eval(&format!("document.querySelector('[name=\"{k}\"]').value"))
            .await
            .as_str()
            .unwrap()
            .to_string();
        if !v.is_empty() {
            extras.push((k.trim_start_matches("extract."), v));
        }
    }

    // Save.
    b.submit("document.querySelector('#save-button').click()")
        .await;
    let at = b.eval("location.pathname + location.search").await;
    assert_eq!(at, json!("/sources/mx-avisos/edit?saved=1"));

    // The file gained exactly the new block; what was there is kept byte for byte.
    let text = std::fs::read_to_string(tmp.0.join("sources/mx.toml")).unwrap();
    let added = text
        .strip_prefix(mx_head.as_str())
        .unwrap_or_else(|| panic!("the old text changed: {text}"));
    let q = |s: &str| toml_edit::value(s).to_string().trim().to_string();
    let mut want = format!(
        "\n[[source]]\nid = \"mx-avisos\"\nname = \"Avisos de comercio exterior\"\njurisdiction = \"MX\"\nlanguage = \"es\"\nkind = \"page\"\nurl = {}\nschedule = \"*/2 * * * * *\"\n[source.extract]\n",
        q(&site)
    );
    if !content.is_empty() {
        want.push_str(&format!("content = {}\n", q(&content)));
    }
    want.push_str(&format!("item = {}\n", q(&item)));
    for (k, v) in &extras {
        want.push_str(&format!("{k} = {}\n", q(v)));
    }
    assert_eq!(added, want);

    // The running daemon polls it without a restart.
    let hits_before = fx.hits("/avisos");
    let row = eventually(
        Duration::from_secs(30),
        "the new source polled by the daemon",
        || async {
            let v = get_json(&format!("{base}/api/sources")).await;
            let arr = v
                .as_array()
                .cloned()
                .or_else(|| v["sources"].as_array().cloned())
                .unwrap_or_default();
            arr.into_iter()
                .find(|r| r["id"] == "mx-avisos" && !r["last_success"].is_null())
        },
    )
    .await;
    assert!(fx.hits("/avisos") > hits_before, "{row}");
    let changes_ok = d.log().contains("configuration reloaded");
    assert!(changes_ok, "{}", d.log());
    // Its snapshot is in the history.
    let snaps = get_json(&format!("{base}/api/sources/mx-avisos/snapshots")).await;
    assert!(
        !snaps["snapshots"].as_array().unwrap().is_empty(),
        "{snaps}"
    );

    // The API answers a viewer 403, and writes nothing.
    let r = reqwest::Client::new()
        .post(format!("{base}/api/sources"))
        .bearer_auth(VIC)
        .json(
            &json!({"id": "mx-x", "name": "X", "jurisdiction": "MX", "kind": "page", "url": site}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        std::fs::read_to_string(tmp.0.join("sources/mx.toml")).unwrap(),
        text
    );
    drop(b);
    drop(d);
}
