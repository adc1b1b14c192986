//! Stories end to end: several sources reporting the same act are one story,
//! alerted once per channel with the other sources listed; acts with other
//! numbers stay apart. Real binary, real SQLite, fixture sources and
//! receivers on 127.0.0.1.

use crate::helpers::{Reply, Setup};
use crate::notify::{free_port, parse_mail, start_smtp};
use crate::store::TestDb;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use std::sync::{Arc, Mutex};

/// One request received: path, headers, body.
type Post = (String, HeaderMap, Vec<u8>);

/// Receives POSTs (Slack, webhook) and answers 200.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Post>>>);

impl Receiver {
    fn start() -> (Receiver, std::net::SocketAddr) {
        let r = Receiver::default();
        let app = axum::Router::new().fallback(receive).with_state(r.clone());
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let addr = l.local_addr().unwrap();
        // Its own thread and runtime: the test blocks on the real binary.
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move {
                    let l = tokio::net::TcpListener::from_std(l).unwrap();
                    let _ = axum::serve(l, app).await;
                });
        });
        (r, addr)
    }

    fn posts_to(&self, path: &str) -> Vec<(HeaderMap, Vec<u8>)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, ..)| p == path)
            .map(|(_, h, b)| (h.clone(), b.clone()))
            .collect()
    }
}

async fn receive(
    State(r): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    r.0.lock()
        .unwrap()
        .push((uri.path().to_string(), headers, body.to_vec()));
    "ok"
}

fn rss(items: &[(&str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>t</title><link>http://example.invalid/</link><description>d</description>");
    for (guid, title) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>https://news.example/{guid}</link><description>{title}: telsiz ekipmanı 8517.62</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn page(items: &[(&str, &str)]) -> String {
    let lis: String = items
        .iter()
        .map(|(href, t)| {
            format!("<li><a href=\"/duyuru/{href}\">{t}</a> telsiz ekipmanı 8517.62</li>")
        })
        .collect();
    format!("<html><body><ul id=\"list\">{lis}</ul></body></html>")
}

/// Three sources (a gazette feed, a ministry page, the WTO feed) whose
/// first poll is a baseline and whose second brings the given new titles.
fn setup(db: &TestDb, titles: [&str; 3], channels: &str) -> (Setup, crate::helpers::FixtureServer) {
    let rt = tokio::runtime::Handle::current();
    let fx = tokio::task::block_in_place(|| rt.block_on(crate::helpers::FixtureServer::start()));
    let old = ("old", "Eski duyuru: gümrük müşavirleri toplantısı");
    fx.sequence(
        "/gazette.xml",
        vec![
            Reply::xml(&rss(&[old])),
            Reply::xml(&rss(&[old, ("g1", titles[0])])),
        ],
    );
    fx.sequence(
        "/ministry",
        vec![
            Reply::html(&page(&[old])),
            Reply::html(&page(&[old, ("m1", titles[1])])),
        ],
    );
    let wto_old = ("w0", "G/TBT/N/VNM/45 Viet Nam: batteries");
    fx.sequence(
        "/wto.xml",
        vec![
            Reply::xml(&rss(&[wto_old])),
            Reply::xml(&rss(&[wto_old, ("w1", titles[2])])),
        ],
    );
    let sources = format!(
        "[[source]]\nid = \"tr-gazette\"\nname = \"Resmî Gazete\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\nkind = \"feed\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"tr-ministry\"\nname = \"Ticaret Bakanlığı duyuruları\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\nkind = \"page\"\nurl = \"{}\"\n\
         [source.extract]\ncontent = \"#list\"\nitem = \"li\"\nitem_title = \"a\"\nitem_link = \"a\"\n\n\
         [[source]]\nid = \"wto-eping\"\nname = \"WTO ePing\"\njurisdiction = \"WTO\"\nlanguage = \"en\"\nkind = \"feed\"\nurl = \"{}\"\n",
        fx.url("/gazette.xml"),
        fx.url("/ministry"),
        fx.url("/wto.xml"),
    );
    let s = Setup::new(
        &sources,
        &format!("[server]\nbase_url = \"http://rw.example:8080\"\n\n{channels}"),
    );
    // The database under test (SQLite or PostgreSQL).
    let cfg = std::fs::read_to_string(&s.config_path).unwrap();
    let sqlite = cfg
        .lines()
        .find(|l| l.starts_with("url = "))
        .unwrap()
        .to_string();
    std::fs::write(
        &s.config_path,
        cfg.replacen(&sqlite, &format!("url = \"{}\"", db.url), 1),
    )
    .unwrap();
    (s, fx)
}

fn poll_twice(s: &Setup) {
    for round in ["baseline", "new items"] {
        let out = s.run(&["poll"]);
        assert!(
            out.status.success(),
            "poll ({round}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn changes(s: &Setup) -> Vec<serde_json::Value> {
    let out = s.run(&["changes", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn three_sources_reporting_the_same_act_produce_one_alert_per_channel(db: &TestDb) {
    let (rx, addr) = Receiver::start();
    let port = free_port();
    let mails = start_smtp(port);
    let channels = format!(
        "[[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\nmode = \"immediate\"\n\n\
         [[channel]]\nname = \"slack\"\ntype = \"slack\"\nwebhook_url = \"http://{addr}/slack\"\nmode = \"immediate\"\n\n\
         [[channel]]\nname = \"mail\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"regwatch@example.com\"\nto = [\"a@example.com\"]\nmode = \"immediate\"\n\n\
         [[channel]]\nname = \"daily\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"regwatch@example.com\"\nto = [\"a@example.com\"]\nmode = \"digest\"\nschedule = \"0 0 1 1 *\"\n"
    );
    let (s, _fx) = setup(
        db,
        [
            "Telsiz Ekipmanları Yönetmeliği (No: 2024/12) yayımlandı",
            "2024/12 sayılı Telsiz Ekipmanları Yönetmeliği yürürlüğe girdi",
            "G/TBT/N/TUR/123 Türkiye: Regulation 2024/12 on radio equipment",
        ],
        &channels,
    );
    tokio::task::block_in_place(|| poll_twice(&s));

    // One story of three changes.
    let cs: Vec<serde_json::Value> = changes(&s)
        .into_iter()
        .filter(|c| c["title"].as_str().unwrap().contains("2024/12"))
        .collect();
    assert_eq!(cs.len(), 3, "{cs:#?}");
    let story = &cs[0]["story_id"];
    assert!(cs.iter().all(|c| &c["story_id"] == story), "{cs:#?}");
    let first = cs.iter().map(|c| c["id"].as_i64().unwrap()).min().unwrap();
    assert_eq!(story.as_i64(), Some(first), "the story is its first change");
    for c in &cs {
        let others = c["also_reported_by"].as_array().unwrap();
        assert_eq!(others.len(), 2, "{c:#}");
        assert!(others.iter().all(|o| o["source_id"] != c["source"]
            && o["url"]
                .as_str()
                .unwrap()
                .starts_with("http://rw.example:8080/changes/")));
    }

    // Exactly one alert per channel, and it names the other two sources.
    let hooks = rx.posts_to("/hook");
    assert_eq!(hooks.len(), 1, "one webhook call");
    let body: serde_json::Value = serde_json::from_slice(&hooks[0].1).unwrap();
    assert_eq!(body["id"].as_i64(), Some(first));
    let mut others: Vec<String> = body["also_reported_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["source_id"].as_str().unwrap().to_string())
        .collect();
    others.sort();
    let mut expected: Vec<String> = ["tr-gazette", "tr-ministry", "wto-eping"]
        .into_iter()
        .filter(|id| *id != body["source"].as_str().unwrap())
        .map(str::to_string)
        .collect();
    expected.sort();
    assert_eq!(others, expected, "{body:#}");

    let slack = rx.posts_to("/slack");
    assert_eq!(slack.len(), 1, "one Slack message");
    let text = String::from_utf8_lossy(&slack[0].1).to_string();
    assert!(text.contains("Also reported by"), "{text}");
    for id in &expected {
        assert!(text.contains(id.as_str()), "{id} in {text}");
    }

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "one email");
    let m = parse_mail(&mails[0]);
    let plain = m.body_text(0).unwrap().to_string();
    let html = m.body_html(0).unwrap().to_string();
    assert!(
        plain.contains("Also reported by") && html.contains("Also reported by"),
        "{plain}"
    );
    for id in &expected {
        assert!(
            plain.contains(id.as_str()) && html.contains(id.as_str()),
            "{id} in {plain}"
        );
    }

    // A digest shows the story once, with its other sources.
    let out = s.run(&["digest", "--channel", "daily", "--preview"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Subject: regwatch: 1 change — "), "{text}");
    assert_eq!(text.matches("Also reported by").count(), 1, "{text}");
    for id in &expected {
        assert!(text.contains(id.as_str()), "{id} in {text}");
    }

    // Nothing more waits in the outbox: the story was alerted.
    let out = s.run(&["notify", "retry"]);
    assert!(out.status.success());
    assert_eq!(rx.posts_to("/hook").len(), 1);
    assert_eq!(rx.posts_to("/slack").len(), 1);
}

async fn sources_reporting_acts_with_other_numbers_alert_each(db: &TestDb) {
    let (rx, addr) = Receiver::start();
    let channels = format!(
        "[[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\nmode = \"immediate\"\n"
    );
    let (s, _fx) = setup(
        db,
        [
            "Telsiz Ekipmanları Yönetmeliği (No: 2024/12) yayımlandı",
            "Telsiz Ekipmanları Yönetmeliği (No: 2024/13) yayımlandı",
            // Another member's notification of the same number: another jurisdiction.
            "G/TBT/N/VNM/46 Viet Nam: Regulation 2024/12 on radio equipment",
        ],
        &channels,
    );
    tokio::task::block_in_place(|| poll_twice(&s));
    let hooks = rx.posts_to("/hook");
    assert_eq!(hooks.len(), 3, "three acts, three alerts");
    for (_, b) in &hooks {
        let v: serde_json::Value = serde_json::from_slice(b).unwrap();
        assert_eq!(v["also_reported_by"], serde_json::json!([]), "{v:#}");
        assert_eq!(v["story_id"], v["id"]);
    }
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = crate::store::TestDb::sqlite();
                super::$name(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = crate::store::TestDb::postgres().await {
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            }
        }
    )*};
}

both_backends!(
    three_sources_reporting_the_same_act_produce_one_alert_per_channel,
    sources_reporting_acts_with_other_numbers_alert_each,
);
