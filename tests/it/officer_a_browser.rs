//! The officer's day in a real headless Chromium: a reviewer signs in (the
//! header then names her, not "Sign in"), marks a change for one case
//! through the web form (CSRF and all), filters the list to new changes
//! (the unread count in the header), opens a client's page (its cases and
//! the changes hitting them, most urgent first) and its draft notice, fills
//! in "what we will do" and saves it (kept with who and when). Test-only
//! harness pages on the same origin drive the real pages in a window of
//! their own, as a person would. Skipped, with a message, when
//! /usr/bin/chromium is missing.

use crate::officer_a::{book, clock, officer_setup, RITA};
use axum::extract::Query;
use axum::response::Html;
use regwatch::app::LiveApp;
use std::collections::HashMap;
use std::path::Path;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_dom(profile: &Path, url: &str) -> String {
    let o = std::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-popup-blocking",
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The JSON the harness wrote into `<pre id="out">`.
fn harness_out(profile: &Path, url: &str) -> serde_json::Value {
    let dom = chromium_dom(profile, url);
    let at = dom
        .find("<pre id=\"out\">")
        .unwrap_or_else(|| panic!("no harness output for {url}: {dom}"))
        + 14;
    let text = &dom[at..at + dom[at..].find("</pre>").unwrap()];
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Steps, each run once the window shows a new, fully loaded document;
/// what each step saw goes into `r`, printed as JSON at the end.
const HARNESS: &str = r#"<!doctype html><html><body><pre id="out">pending</pre>
<script>
const out = document.getElementById('out');
const r = {};
const txt = (d, sel) => { const e = d.querySelector(sel); return e ? e.textContent.trim() : null; };
const all = (d, sel) => Array.from(d.querySelectorAll(sel)).map(e => e.textContent.trim());
const w = window.open('/signin?next=/changes/__RADIO__', 'page');
let seen = null, step = 0;
const steps = [
  d => { // the sign-in form
    r.before = txt(d, 'header #signin-nav');
    d.querySelector('#signin input[name=token]').value = '__TOKEN__';
    d.getElementById('signin').submit();
  },
  d => { // the change page, signed in: mark ANT-1 "affects"
    r.who = txt(d, 'header #who');
    r.signin_link = txt(d, 'header #signin-nav');
    r.cases = all(d, '#cases > li.case').map(s => s.split(':')[0].trim());
    const form = d.querySelector('#cases li.case form.disposition-form');
    if (!form) { r.error = 'no disposition form: ' + d.body.innerText; return true; }
    form.querySelector('select[name=state]').value = 'affects';
    form.querySelector('input[name=note]').value = 'needs a BTK certificate';
    form.submit();
  },
  d => { // back on the change page: the mark, with who
    r.disposition = txt(d, '#cases li.case .disposition-state');
    r.disposition_by = txt(d, '#cases li.case .disposition-by');
    r.second = txt(d, '#case-2 .disposition-state');
    w.location.href = '/?new=true';
  },
  d => { // the list, new only
    r.new_checked = d.getElementById('new-only').checked;
    r.unread = txt(d, 'header #unread .count');
    r.new_titles = all(d, '#results a.title');
    r.badges = all(d, '#results .review-badge');
    w.location.href = '/';
  },
  d => { // the whole list: the reviewed one marked
    r.all_badges = all(d, '#results .review-badge');
    w.location.href = '/clients';
  },
  d => { // the clients
    r.clients = all(d, '#clients tbody td:first-child');
    d.querySelector('#clients tbody a').click();
  },
  d => { // one client
    r.client = txt(d, '#client');
    r.client_cases = all(d, '#cases tbody td:first-child');
    r.client_titles = all(d, '#results a.title');
    r.client_dispositions = all(d, '#results .disposition');
    d.getElementById('notice-link').click();
  },
  d => { // the draft notice: fill in what we will do, save
    const t = d.getElementById('notice-text');
    r.draft_has_todo = t.value.includes('### What we will do');
    r.draft_first = (t.value.match(/## 1\. .*/) || [''])[0];
    t.value = t.value.replace('_(to be filled in)_', 'We will apply for the certificate this week.');
    d.getElementById('notice-form').submit();
  },
  d => { // saved, with who and when
    r.saved_by = txt(d, '#saved-by');
    r.saved_at = txt(d, '#saved-at');
    r.notice_text = txt(d, '#notice');
    return true;
  },
];
const timer = setInterval(() => {
  let d;
  try { d = w.document; } catch (e) { return; }
  if (!d || d === seen || d.readyState !== 'complete' || d.URL === 'about:blank') return;
  seen = d;
  let done = false;
  try { done = steps[step](d); } catch (e) { r.error = 'step ' + step + ': ' + e; done = true; }
  step += 1;
  if (done || step >= steps.length) { out.textContent = JSON.stringify(r); clearInterval(timer); }
}, 50);
</script></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_marks_a_case_filters_new_and_writes_to_a_client_in_the_browser() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("SKIPPED browser test: {CHROMIUM} is missing (apt-get install chromium)");
        return;
    }
    let s = officer_setup("");
    let app = s.app().await.with_clock(clock());
    let b = book(&app).await;
    regwatch::services::reviews::mark(&app, b.medical, "reviewed", "rita", None)
        .await
        .unwrap();
    let radio = b.radio;
    let router = regwatch::server::router(LiveApp::new(s.app().await.with_clock(clock()))).route(
        "/__officer",
        axum::routing::get(
            move |Query(_q): Query<HashMap<String, String>>| async move {
                Html(
                    HARNESS
                        .replace("__TOKEN__", RITA)
                        .replace("__RADIO__", &radio.to_string()),
                )
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("chromium");

    // Signed out, client names are not shown to anyone.
    let dom = tokio::task::block_in_place(|| chromium_dom(&profile, &format!("{base}/clients")));
    assert!(dom.contains("name=\"token\""), "to the sign-in form: {dom}");
    assert!(!dom.contains("Anadolu Telekom"), "{dom}");

    let r = tokio::task::block_in_place(|| harness_out(&profile, &format!("{base}/__officer")));
    assert!(r.get("error").is_none(), "{r}");
    // The header: "Sign in" before, the user after.
    assert_eq!(r["before"], "Sign in", "{r}");
    assert!(r["who"].as_str().unwrap().starts_with("rita"), "{r}");
    assert!(r["signin_link"].is_null(), "{r}");
    // The change page: cases strongest first, with their clients.
    assert_eq!(r["cases"][0], "ANT-1 · Anadolu Telekom (direct)", "{r}");
    assert_eq!(r["cases"][1], "ANT-2 · Anadolu Telekom (related)", "{r}");
    // The per-case mark, with who; the other case untouched.
    assert_eq!(r["disposition"], "affects this case", "{r}");
    assert_eq!(r["disposition_by"], "rita", "{r}");
    assert_eq!(r["second"], "open (not assessed yet)", "{r}");
    // New only: the reviewed change is not there, and the count says so.
    assert_eq!(r["new_checked"], true, "{r}");
    assert_eq!(r["unread"], "2", "{r}");
    let titles: Vec<&str> = r["new_titles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2, "{r}");
    assert!(!titles.iter().any(|t| t.contains("Tıbbi")), "{r}");
    assert!(
        r["badges"].as_array().unwrap().iter().all(|b| b == "new"),
        "{r}"
    );
    assert!(
        r["all_badges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == "reviewed · rita"),
        "{r}"
    );
    // The clients, the most pressing first; one client's page.
    assert_eq!(r["clients"][0], "Anadolu Telekom", "{r}");
    assert_eq!(r["client"], "Anadolu Telekom", "{r}");
    assert_eq!(
        r["client_cases"],
        serde_json::json!(["ANT-1", "ANT-2"]),
        "{r}"
    );
    assert!(
        r["client_titles"][0]
            .as_str()
            .unwrap()
            .starts_with("Telsiz"),
        "{r}"
    );
    assert!(
        r["client_dispositions"][0]
            .as_str()
            .unwrap()
            .starts_with("affects this case (rita)"),
        "{r}"
    );
    // The notice: bad news first, saved with who and when.
    assert_eq!(r["draft_has_todo"], true, "{r}");
    assert!(
        r["draft_first"]
            .as_str()
            .unwrap()
            .starts_with("## 1. Telsiz"),
        "{r}"
    );
    assert_eq!(r["saved_by"], "rita", "{r}");
    assert!(
        r["saved_at"].as_str().unwrap().starts_with("2026-06-01"),
        "{r}"
    );
    assert!(
        r["notice_text"]
            .as_str()
            .unwrap()
            .contains("We will apply for the certificate this week."),
        "{r}"
    );
    let saved = regwatch::services::clients::saved_notice(&app, "Anadolu Telekom")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.by, "rita");
    let c = regwatch::services::changes::one(&app, radio).await.unwrap();
    assert_eq!(c.cases[0].disposition.state, "affects");
    assert_eq!(
        c.cases[0].disposition.note.as_deref(),
        Some("needs a BTK certificate")
    );
}
