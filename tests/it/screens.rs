//! The pages in a real headless Chromium at 1280 px and 420 px: no
//! horizontal scrolling on `/`, the check page, a change page and
//! `/sources`; the chart is there; a reviewer signs in and marks a change
//! through the web form. Screenshots go to a temporary folder, or to
//! docs/img/ when REGWATCH_SCREENSHOTS=1 (how the README's are made).
//! Skipped, with a message, when /usr/bin/chromium is missing.

use crate::helpers::Setup;
use crate::ux::{dead_source, open_case, report};
use axum::extract::Query;
use axum::response::Html;
use std::collections::HashMap;
use std::path::Path;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(profile: &Path, extra: &[String], url: &str) -> std::process::Output {
    std::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-popup-blocking",
            "--virtual-time-budget=8000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

/// The text the harness wrote into `<pre id="out">`.
fn harness_out(profile: &Path, url: &str) -> String {
    let o = chromium(profile, &["--dump-dom".into()], url);
    let dom = String::from_utf8_lossy(&o.stdout).to_string();
    let at = dom
        .find("<pre id=\"out\">")
        .unwrap_or_else(|| panic!("no harness output for {url}: {dom}"))
        + 14;
    dom[at..at + dom[at..].find("</pre>").unwrap()].to_string()
}

/// Test-only pages on the same origin. The real pages refuse to be framed
/// (`frame-ancestors 'none'`, `X-Frame-Options: DENY`) and run no script,
/// so the width harness fetches a page's HTML and lays it out, with its
/// real stylesheet, in an iframe of the given width (`srcdoc`, which takes
/// the harness's address as its base); the review harness opens the real
/// pages in a window of their own and fills in and submits their forms.
const WIDTH_HARNESS: &str = r#"<!doctype html><html><body><pre id="out">pending</pre>
<iframe id="f" width="__W__" height="900"></iframe>
<script>
const f = document.getElementById('f');
fetch(decodeURIComponent("__PATH__")).then(r => r.text()).then(html => {
  f.onload = () => {
    const d = f.contentDocument, w = f.contentWindow;
    const sw = d.documentElement.scrollWidth, iw = w.innerWidth;
    const chart = d.querySelectorAll('svg.chart rect').length;
    const css = d.styleSheets.length;
    document.getElementById('out').textContent = JSON.stringify({sw, iw, fits: sw <= iw, chart, css, title: d.title});
  };
  f.srcdoc = html;
}, e => { document.getElementById('out').textContent = 'fetch failed: ' + e; });
</script></body></html>"#;

const REVIEW_HARNESS: &str = r#"<!doctype html><html><body><pre id="out">pending</pre>
<script>
const out = document.getElementById('out');
const w = window.open('/signin?next=/changes/__ID__', 'page');
if (!w) { out.textContent = 'no window'; }
// Each step runs once the window shows a new, fully loaded document.
let seen = null, step = 0;
const timer = setInterval(() => {
  let d;
  try { d = w.document; } catch (e) { return; }
  if (!d || d === seen || d.readyState !== 'complete' || d.URL === 'about:blank') return;
  seen = d;
  step += 1;
  if (step === 1) {
    d.querySelector('#signin input[name=token]').value = '__TOKEN__';
    d.getElementById('signin').submit();
  } else if (step === 2) {
    const form = d.getElementById('review-form');
    if (!form) { out.textContent = 'no review form: ' + d.body.innerText; clearInterval(timer); return; }
    form.querySelector('select[name=state]').value = 'reviewed';
    form.querySelector('input[name=note]').value = 'checked in the browser';
    form.submit();
  } else {
    const s = d.getElementById('review-state'), by = d.getElementById('review-by');
    out.textContent = (s ? s.textContent : 'none') + ' by ' + (by ? by.textContent : 'nobody');
    clearInterval(timer);
  }
}, 50);
</script></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fit_1280_and_420_px_show_the_chart_and_a_reviewer_marks_a_change() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("SKIPPED browser test: {CHROMIUM} is missing (apt-get install chromium)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("reviewer.token");
    std::fs::write(&token, "rita-browser-token").unwrap();
    let extra = format!(
        "[[user]]\nname = \"rita\"\ntoken_file = \"{}\"\nrole = \"reviewer\"\n",
        token.display()
    );
    let sources = format!(
        "{}{}",
        dead_source("tr-resmi-gazete", "TR"),
        dead_source("eu-official-journal", "EU")
    );
    let s = Setup::new(&sources, &extra);
    let _ = s.run(&["poll"]);
    let app = s.app().await;
    app.store.migrate().await.unwrap();
    open_case(&app, "CASE-7", "TR", "8517.62").await;
    let id = report(
        &app,
        "TR",
        "8517.62",
        Some("2026-12-20"),
        "Telsiz ekipmanları için uygunluk belgesi zorunlu (GTİP 8517.62)",
    )
    .await;
    report(
        &app,
        "TR",
        "3004.90",
        None,
        "İlaç etiketlerinde Türkçe zorunluluğu",
    )
    .await;
    report(
        &app,
        "DE",
        "8471.30",
        None,
        "EU: new labelling rule for laptops",
    )
    .await;
    report(
        &app,
        "VN",
        "8517.13",
        None,
        "Vietnam: type approval for phones",
    )
    .await;

    let shared = regwatch::app::LiveApp::new(s.app().await);
    let router = regwatch::server::router(shared)
        .route(
            "/__width",
            axum::routing::get(|Query(q): Query<HashMap<String, String>>| async move {
                Html(
                    WIDTH_HARNESS
                        .replace("__W__", q.get("w").map(String::as_str).unwrap_or("1280"))
                        .replace("__PATH__", q.get("path").map(String::as_str).unwrap_or("/")),
                )
            }),
        )
        .route(
            "/__review",
            axum::routing::get(|Query(q): Query<HashMap<String, String>>| async move {
                Html(
                    REVIEW_HARNESS
                        .replace("__TOKEN__", "rita-browser-token")
                        .replace("__ID__", q.get("id").map(String::as_str).unwrap_or("1")),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let base = format!("http://{addr}");
    let profile = dir.path().join("chromium");

    let pages = [
        ("index", "/?since=90d".to_string()),
        ("check", "/check?country=TR&hs=8517.62".to_string()),
        ("change", format!("/changes/{id}")),
        ("sources", "/sources".to_string()),
    ];
    let shots = if std::env::var("REGWATCH_SCREENSHOTS").is_ok() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img")
    } else {
        dir.path().join("img")
    };
    std::fs::create_dir_all(&shots).unwrap();
    for width in [1280, 420] {
        for (name, path) in &pages {
            let enc: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            let url = format!("{base}/__width?w={width}&path={enc}");
            let out = tokio::task::block_in_place(|| harness_out(&profile, &url));
            let v: serde_json::Value =
                serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}@{width}: {e}: {out}"));
            assert_eq!(
                v["fits"], true,
                "{name} at {width} px scrolls sideways: {v}"
            );
            assert_eq!(v["iw"], width, "{v}");
            assert_eq!(v["css"], 1, "the page's stylesheet is applied: {v}");
            if *name == "index" {
                assert!(v["chart"].as_i64().unwrap() > 0, "the chart is drawn: {v}");
            }
            let png = shots.join(format!("{name}-{width}.png"));
            let o = tokio::task::block_in_place(|| {
                chromium(
                    &profile,
                    &[
                        format!("--screenshot={}", png.display()),
                        format!("--window-size={width},1000"),
                    ],
                    &format!("{base}{path}"),
                )
            });
            assert!(
                png.exists(),
                "no screenshot {}: {}",
                png.display(),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }

    // A reviewer signs in and marks the change, in the browser.
    let out =
        tokio::task::block_in_place(|| harness_out(&profile, &format!("{base}/__review?id={id}")));
    assert_eq!(out, "reviewed by rita", "{out}");
    let c = regwatch::services::changes::one(&app, id).await.unwrap();
    assert_eq!(c.review.state, "reviewed");
    assert_eq!(c.review.note.as_deref(), Some("checked in the browser"));
}
