//! `render = "browser"`: pages whose list is built by JavaScript, loaded in
//! real headless Chromium from a local server on 127.0.0.1; the page may not
//! make the browser reach another local service. Skipped, with a message,
//! when /usr/bin/chromium is missing.

use crate::helpers::{FixtureServer, Reply, Setup};
use regwatch::model::{Content, PollStatus};
use std::path::Path;

const CHROMIUM: &str = "/usr/bin/chromium";

fn have_chromium() -> bool {
    let ok = Path::new(CHROMIUM).exists();
    if !ok {
        eprintln!("SKIPPED render test: {CHROMIUM} is missing (apt-get install chromium)");
    }
    ok
}

fn fetch_cfg(browser: &str) -> String {
    fetch_cfg_timeout(browser, "20s")
}

fn fetch_cfg_timeout(browser: &str, timeout: &str) -> String {
    format!(
        "[fetch]\ntimeout = \"{timeout}\"\nper_host_interval = \"0s\"\nretries = 0\nrobots_txt = false\nmax_bytes = 200_000\nbrowser = \"{browser}\"\nbrowser_concurrency = 2\n\n[schedule]\njitter = \"0s\"\n"
    )
}

/// A page source; `render` and `wait_for` lines go in `extra`.
fn page_source(id: &str, url: &str, extra: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"Test {id}\"\njurisdiction = \"VN\"\nlanguage = \"vi\"\nkind = \"page\"\nurl = \"{url}\"\n{extra}\n[source.extract]\ncontent = \"#list\"\nitem = \"#list li\"\nitem_title = \"a\"\nitem_link = \"a\"\n"
    )
}

/// The list is empty in the markup and built by a script after load.
const BUILT_AFTER_LOAD: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Thông báo</title></head>
<body><ul id="list"></ul>
<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    var items = [['/tb/101', 'Thông báo 101/TB-TCHQ về mã HS 8517.13'], ['/tb/102', 'Công văn 102/TCHQ-GSQL về thiết bị y tế']];
    var ul = document.getElementById('list');
    items.forEach(function (it) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = it[0]; a.textContent = it[1];
      li.appendChild(a); ul.appendChild(li);
    });
  }, 150);
});
</script></body></html>"#;

fn titles(c: &Content) -> Vec<String> {
    match c {
        Content::Items { items } => items.iter().map(|i| i.title.clone()).collect(),
        Content::Text { .. } => panic!("items expected"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_built_by_javascript_is_extracted_when_rendered() {
    if !have_chromium() {
        return;
    }
    let srv = FixtureServer::start().await;
    srv.set("/tb", Reply::html(BUILT_AFTER_LOAD));
    let url = srv.url("/tb");
    let sources = format!(
        "{}{}",
        page_source("rendered", &url, "render = \"browser\"\n"),
        page_source("fetched", &url, "")
    );
    let setup = Setup::new(&sources, &fetch_cfg(CHROMIUM));
    let app = setup.app().await;

    let got = regwatch::poll::test_source(
        &app.fetcher,
        &setup.source("rendered"),
        crate::helpers::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        titles(&got),
        [
            "Thông báo 101/TB-TCHQ về mã HS 8517.13",
            "Công văn 102/TCHQ-GSQL về thiết bị y tế"
        ]
    );
    let Content::Items { items } = &got else {
        unreachable!()
    };
    assert_eq!(items[0].link.as_deref(), Some(srv.url("/tb/101").as_str()));

    // A poll records the rendered items as the baseline.
    let s = regwatch::poll::poll_source(&app, &setup.source("rendered"))
        .await
        .unwrap();
    assert_eq!(s.status, PollStatus::Baseline, "{:?}", s.status);

    // The same page fetched without rendering has an empty list.
    let s = regwatch::poll::poll_source(&app, &setup.source("fetched"))
        .await
        .unwrap();
    match &s.status {
        PollStatus::Failed(e) => assert!(e.contains("matched nothing"), "{e}"),
        other => panic!("expected a failed poll, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_fetched_from_json_is_extracted_after_wait_for() {
    if !have_chromium() {
        return;
    }
    let srv = FixtureServer::start().await;
    srv.set(
        "/news",
        Reply::html(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><ul id="list"></ul>
<script>
fetch('/api/news.json').then(function (r) { return r.json(); }).then(function (d) {
  setTimeout(function () {
    var ul = document.getElementById('list');
    d.items.forEach(function (it) {
      var li = document.createElement('li');
      li.innerHTML = '<a href="' + it.url + '"></a>';
      li.firstChild.textContent = it.title;
      ul.appendChild(li);
    });
  }, 400);
});
</script></body></html>"#,
        ),
    );
    srv.set(
        "/api/news.json",
        Reply::ok(
            "application/json",
            r#"{"items":[{"title":"Quyết định 1234/QĐ-TCHQ về kiểm tra chuyên ngành","url":"/qd/1234"},{"title":"Thông tư 33/2026/TT-BTC sửa đổi biểu thuế","url":"/tt/33"},{"title":"Hướng dẫn khai báo mã HS 9018.90","url":"/hd/9018"}]}"#,
        ),
    );
    let sources = page_source(
        "json-built",
        &srv.url("/news"),
        "render = \"browser\"\nwait_for = \"#list li\"\n",
    );
    let setup = Setup::new(&sources, &fetch_cfg(CHROMIUM));
    let app = setup.app().await;
    let got = regwatch::poll::test_source(
        &app.fetcher,
        &setup.source("json-built"),
        crate::helpers::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        titles(&got),
        [
            "Quyết định 1234/QĐ-TCHQ về kiểm tra chuyên ngành",
            "Thông tư 33/2026/TT-BTC sửa đổi biểu thuế",
            "Hướng dẫn khai báo mã HS 9018.90"
        ]
    );
    assert_eq!(srv.hits("/api/news.json"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_cannot_reach_another_local_service_through_the_browser() {
    if !have_chromium() {
        return;
    }
    let srv = FixtureServer::start().await;
    let other = FixtureServer::start().await;
    other.set(
        "/secret",
        Reply::ok(
            "application/json",
            r#"{"title":"SECRET from another port"}"#,
        )
        .header("access-control-allow-origin", "*"),
    );
    other.set("/pixel.gif", Reply::ok("image/gif", b"GIF89a".to_vec()));
    let page = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<img src="{pixel}"><iframe src="{secret}"></iframe>
<ul id="list"><li><a href="/own">Own origin item</a></li></ul>
<script>
fetch('/own.json').then(function (r) {{ return r.json(); }}).then(function (d) {{
  var li = document.createElement('li'); li.innerHTML = '<a href="/own2"></a>';
  li.firstChild.textContent = d.title; document.getElementById('list').appendChild(li);
}});
fetch('{secret}').then(function (r) {{ return r.json(); }}).then(function (d) {{
  var li = document.createElement('li'); li.innerHTML = '<a href="/leak"></a>';
  li.firstChild.textContent = d.title; document.getElementById('list').appendChild(li);
}}).catch(function () {{}});
</script></body></html>"#,
        pixel = other.url("/pixel.gif"),
        secret = other.url("/secret"),
    );
    srv.set("/page", Reply::html(&page));
    srv.set(
        "/own.json",
        Reply::ok("application/json", r#"{"title":"Own JSON item"}"#),
    );
    let sources = page_source("guarded", &srv.url("/page"), "render = \"browser\"\n");
    let setup = Setup::new(&sources, &fetch_cfg(CHROMIUM));
    let app = setup.app().await;
    let got = regwatch::poll::test_source(
        &app.fetcher,
        &setup.source("guarded"),
        crate::helpers::now(),
    )
    .await
    .unwrap();
    assert_eq!(titles(&got), ["Own origin item", "Own JSON item"]);
    assert_eq!(
        other.hits("/secret"),
        0,
        "the browser reached another local port"
    );
    assert_eq!(
        other.hits("/pixel.gif"),
        0,
        "the browser reached another local port"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_test_shows_what_the_rendered_page_yields() {
    if !have_chromium() {
        return;
    }
    let srv = FixtureServer::start().await;
    srv.set("/tb", Reply::html(BUILT_AFTER_LOAD));
    let sources = page_source(
        "vn-rendered",
        &srv.url("/tb"),
        "render = \"browser\"\nwait_for = \"#list li\"\n",
    );
    let setup = Setup::new(&sources, &fetch_cfg(CHROMIUM));
    let out = tokio::task::block_in_place(|| {
        setup.run(&["--format", "table", "sources", "test", "vn-rendered"])
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("rendered in the browser"), "{stdout}");
    assert!(stdout.contains("2 item(s)"), "{stdout}");
    assert!(
        stdout.contains("Thông báo 101/TB-TCHQ về mã HS 8517.13"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_browser_is_a_clear_failed_poll() {
    let srv = FixtureServer::start().await;
    srv.set("/tb", Reply::html(BUILT_AFTER_LOAD));
    let sources = page_source("no-browser", &srv.url("/tb"), "render = \"browser\"\n");
    let setup = Setup::new(&sources, &fetch_cfg("/nonexistent/chromium"));
    let app = setup.app().await;
    let s = regwatch::poll::poll_source(&app, &setup.source("no-browser"))
        .await
        .unwrap();
    match &s.status {
        PollStatus::Failed(e) => assert!(
            e.contains("render = \"browser\" needs chromium: apt-get install chromium"),
            "{e}"
        ),
        other => panic!("expected a failed poll, got {other:?}"),
    }
}

#[test]
fn render_applies_to_pages_and_wait_for_needs_it() {
    let feed = "[[source]]\nid = \"f\"\nname = \"F\"\njurisdiction = \"VN\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:1/f\"\nrender = \"browser\"\n";
    let setup = Setup::new(feed, "");
    let e = setup.config().load_sources().unwrap_err().to_string();
    assert!(e.contains("applies to kind = \"page\" only"), "{e}");
    let page = "[[source]]\nid = \"p\"\nname = \"P\"\njurisdiction = \"VN\"\nkind = \"page\"\nurl = \"http://127.0.0.1:1/p\"\nwait_for = \"#list li\"\n";
    let setup = Setup::new(page, "");
    let e = setup.config().load_sources().unwrap_err().to_string();
    assert!(e.contains("`wait_for` needs `render"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_died_is_started_again() {
    if !have_chromium() {
        return;
    }
    let srv = FixtureServer::start().await;
    srv.set("/tb", Reply::html(BUILT_AFTER_LOAD));
    let sources = page_source("again", &srv.url("/tb"), "render = \"browser\"\n");
    let setup = Setup::new(&sources, &fetch_cfg(CHROMIUM));
    let app = setup.app().await;
    let src = setup.source("again");
    let first = regwatch::poll::test_source(&app.fetcher, &src, crate::helpers::now())
        .await
        .unwrap();
    let pid = app.fetcher.browser().pid().await.expect("the browser runs");
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = regwatch::poll::test_source(&app.fetcher, &src, crate::helpers::now())
        .await
        .unwrap();
    assert_eq!(titles(&first), titles(&second));
    let pid2 = app
        .fetcher
        .browser()
        .pid()
        .await
        .expect("the browser runs again");
    assert_ne!(pid, pid2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_and_the_byte_cap_apply_to_rendered_pages() {
    if !have_chromium() {
        return;
    }
    let srv = FixtureServer::start().await;
    srv.set("/tb", Reply::html(BUILT_AFTER_LOAD));
    // The DOM grows past max_bytes (200 000) after load.
    srv.set(
        "/big",
        Reply::html(
            r#"<!DOCTYPE html><html><body><ul id="list"></ul><script>
var ul = document.getElementById('list'); var s = '';
for (var i = 0; i < 5000; i++) { s += '<li><a href="/x' + i + '">Thông báo số ' + i + ' về thiết bị vô tuyến điện</a></li>'; }
ul.innerHTML = s;
</script></body></html>"#,
        ),
    );
    let sources = format!(
        "{}{}",
        page_source(
            "never",
            &srv.url("/tb"),
            "render = \"browser\"\nwait_for = \"#list li.never\"\n"
        ),
        page_source("big", &srv.url("/big"), "render = \"browser\"\n")
    );
    let setup = Setup::new(&sources, &fetch_cfg_timeout(CHROMIUM, "3s"));
    let app = setup.app().await;
    let started = std::time::Instant::now();
    let e =
        regwatch::poll::test_source(&app.fetcher, &setup.source("never"), crate::helpers::now())
            .await
            .unwrap_err()
            .to_string();
    assert!(
        e.contains("`wait_for` selector `#list li.never` matched nothing"),
        "{e}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let e = regwatch::poll::test_source(&app.fetcher, &setup.source("big"), crate::helpers::now())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than the cap of 200000 bytes"), "{e}");
}
