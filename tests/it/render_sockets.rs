//! `render = "browser"`: a page's WebSockets and EventSources are held to
//! the fetch policy like every other subresource. A page served on
//! 127.0.0.1 opens a WebSocket to another local service (and an
//! EventSource to a third) and writes what it receives into its list; the
//! stored items must not contain it, and the services must never have been
//! reached. Skipped, with a message, when /usr/bin/chromium is missing.

use crate::helpers::{FixtureServer, Reply, Setup};
use futures_util::SinkExt;
use regwatch::model::{Content, PollStatus};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const CHROMIUM: &str = "/usr/bin/chromium";

/// A WebSocket service on 127.0.0.1 that greets every client with a
/// secret; how many TCP connections it accepted.
async fn ws_service() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await {
                    let _ = ws
                        .send(tokio_tungstenite::tungstenite::Message::text(
                            "SECRET over WebSocket",
                        ))
                        .await;
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }
            });
        }
    });
    (port, accepted)
}

fn titles(c: &Content) -> Vec<String> {
    match c {
        Content::Items { items } => items.iter().map(|i| i.title.clone()).collect(),
        Content::Text { .. } => panic!("items expected"),
    }
}

fn have_chromium() -> bool {
    let ok = Path::new(CHROMIUM).exists();
    if !ok {
        eprintln!("SKIPPED render test: {CHROMIUM} is missing (apt-get install chromium)");
    }
    ok
}

/// Render the page whose script opens the sockets, under `[fetch]` lines
/// `extra_fetch`: what was stored, what a second render yields, and how
/// many connections the WebSocket service and the event stream got.
async fn render_socket_page(extra_fetch: &str) -> (Vec<String>, Vec<String>, usize, usize) {
    let (ws_port, ws_accepted) = ws_service().await;
    let sse = FixtureServer::start().await;
    sse.set(
        "/events",
        Reply::ok(
            "text/event-stream",
            "data: SECRET over EventSource\n\n".as_bytes().to_vec(),
        )
        .header("access-control-allow-origin", "*"),
    );
    let srv = FixtureServer::start().await;
    let page = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<ul id="list"><li><a href="/own">Own origin item</a></li></ul>
<script>
function add(href, text) {{
  var li = document.createElement('li'); var a = document.createElement('a');
  a.href = href; a.textContent = text; li.appendChild(a);
  document.getElementById('list').appendChild(li);
}}
fetch('/own.json').then(function (r) {{ return r.json(); }}).then(function (d) {{ add('/own2', d.title); }});
for (const u of ['ws://127.0.0.1:{ws_port}/', 'ws://localhost:{ws_port}/', 'wss://127.0.0.1:{ws_port}/']) {{
  try {{
    var ws = new WebSocket(u);
    ws.onmessage = function (m) {{ add('/leak-ws', m.data); }};
    ws.onerror = function () {{ add('/ws-error', 'websocket refused'); }};
  }} catch (e) {{}}
}}
try {{
  var es = new EventSource('{events}');
  es.onmessage = function (m) {{ add('/leak-sse', m.data); es.close(); }};
}} catch (e) {{}}
// Long enough for a local service's greeting to arrive.
setTimeout(function () {{ add('/done', 'Done'); }}, 1500);
</script></body></html>"#,
        events = sse.url("/events"),
    );
    srv.set("/page", Reply::html(&page));
    srv.set(
        "/own.json",
        Reply::ok("application/json", r#"{"title":"Own JSON item"}"#),
    );
    let sources = format!(
        "[[source]]\nid = \"sockets\"\nname = \"Sockets\"\njurisdiction = \"VN\"\nlanguage = \"vi\"\nkind = \"page\"\nurl = \"{}\"\nrender = \"browser\"\nwait_for = \"a[href='/done']\"\n\
         [source.extract]\ncontent = \"#list\"\nitem = \"#list li\"\nitem_title = \"a\"\nitem_link = \"a\"\n",
        srv.url("/page")
    );
    let setup = Setup::new(
        &sources,
        &format!("[fetch]\ntimeout = \"20s\"\nper_host_interval = \"0s\"\nretries = 0\nrobots_txt = false\nmax_bytes = 200_000\nbrowser = \"{CHROMIUM}\"\nbrowser_concurrency = 2\n{extra_fetch}\n[schedule]\njitter = \"0s\"\n"),
    );
    let app = setup.app().await;
    app.store.migrate().await.unwrap();
    let s = regwatch::poll::poll_source(&app, &setup.source("sockets"))
        .await
        .unwrap();
    assert_eq!(s.status, PollStatus::Baseline, "{:?}", s.status);
    let got = regwatch::poll::test_source(
        &app.fetcher,
        &setup.source("sockets"),
        crate::helpers::now(),
    )
    .await
    .unwrap();
    let state = app.store.state("sockets").await.unwrap();
    let stored = app
        .store
        .snapshot_content(state.last_snapshot_id.expect("a snapshot"))
        .await
        .unwrap()
        .expect("its content");
    (
        titles(&stored),
        titles(&got),
        ws_accepted.load(Ordering::SeqCst),
        sse.hits("/events"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rendered_page_cannot_open_websockets_or_event_streams_to_local_services() {
    if !have_chromium() {
        return;
    }
    let (stored, again, ws, sse) = render_socket_page("").await;
    for t in [&stored, &again] {
        assert!(t.contains(&"Own origin item".to_string()), "{t:?}");
        assert!(t.contains(&"Own JSON item".to_string()), "{t:?}");
        assert!(!t.iter().any(|x| x.contains("SECRET")), "{t:?}");
    }
    assert_eq!(ws, 0, "the browser reached the local WebSocket service");
    assert_eq!(sse, 0, "the browser reached the local event stream");
}

/// The same policy, not a ban: a host `allow_hosts` names is reached by a
/// WebSocket as by any request; a name for it that is not listed is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websockets_follow_allow_hosts_like_every_other_request() {
    if !have_chromium() {
        return;
    }
    let (stored, _, ws, sse) = render_socket_page("allow_hosts = [\"127.0.0.1\"]\n").await;
    assert_eq!(
        stored
            .iter()
            .filter(|x| *x == "SECRET over WebSocket")
            .count(),
        1,
        "only ws://127.0.0.1 (allowed), not ws://localhost: {stored:?}"
    );
    assert!(
        stored.contains(&"SECRET over EventSource".to_string()),
        "{stored:?}"
    );
    assert!(ws >= 1);
    assert!(sse >= 1);
}
