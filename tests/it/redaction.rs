//! Credentials and tokens in source URLs are masked everywhere a URL is shown
//! or logged, and links that are not http(s) reach no output.

use crate::helpers::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRETS: &[&str] = &["s3cretPASS", "TOPSECRETKEY", "d0wnPASS", "DOWNTOKEN"];

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows the secret `{s}`:\n{text}");
    }
}

/// A webhook receiver that keeps every body.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies: Arc<Mutex<Vec<String>>> = Default::default();
    let b = bodies.clone();
    let app = axum::Router::new().fallback(move |body: String| {
        let b = b.clone();
        async move {
            b.lock().unwrap().push(body);
            "ok"
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, bodies)
}

fn out_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_credentials_and_unsafe_links_appear_nowhere() {
    let srv = FixtureServer::start().await;
    let (hook, bodies) = receiver().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let feed_url = format!(
        "http://alice:s3cretPASS@{}/feed.xml?api_key=TOPSECRETKEY&page=1",
        srv.addr
    );
    srv.set(
        "/feed.xml?api_key=TOPSECRETKEY&page=1",
        Reply::xml(&rss(&[("1", "Eski duyuru", "metin")])),
    );
    let down_url = format!("http://bob:d0wnPASS@127.0.0.1:{closed}/x?token=DOWNTOKEN");
    let toml = format!(
        "{}{}",
        source_toml("secret-feed", "feed", &feed_url, ""),
        source_toml("secret-down", "feed", &down_url, "")
    );
    let extra = format!(
        "{FAST_FETCH}\n[health]\nfailures_before_alert = 1\n\n[server]\nbase_url = \"http://rw.test\"\n\n\
         [[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{hook}\"\n"
    );
    let setup = Setup::new(&toml, &extra);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
            .arg("--config")
            .arg(&setup.config_path)
            .args(args)
            .current_dir(setup.root())
            .env("REGWATCH_LOG", "debug")
            .output()
            .unwrap()
    };
    let mut seen = vec![];
    let o = run(&["poll"]);
    seen.push(("first poll", out_text(&o)));
    assert!(
        out_text(&o).contains("could not connect"),
        "{}",
        out_text(&o)
    );
    // A new item with a javascript: link, and one with a normal link.
    let evil = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>http://example.invalid/</link><description>d</description>\
        <item><guid>2</guid><title>Telsiz kuralı 8517.62</title><link>javascript:alert(document.cookie)</link><description>GTİP 8517.62</description></item>\
        <item><guid>3</guid><title>IMEI ücreti 8517.13</title><link>https://gazette.example/3</link><description>GTİP 8517.13</description></item>\
        <item><guid>1</guid><title>Eski duyuru</title><link>http://example.invalid/1</link><description>metin</description></item></channel></rss>";
    srv.set("/feed.xml?api_key=TOPSECRETKEY&page=1", Reply::xml(evil));
    let o = run(&["poll"]);
    seen.push(("second poll", out_text(&o)));
    for args in [
        &["sources", "list"][..],
        &["sources", "list", "--format", "json"],
        &["sources", "test", "secret-feed"],
        &["sources", "test", "secret-down"],
        &["changes", "--format", "json"],
        &["changes"],
        &["notify", "retry"],
    ] {
        let o = run(args);
        seen.push(("cli", format!("{args:?}: {}", out_text(&o))));
    }
    let json = &seen
        .iter()
        .find(|(_, t)| t.starts_with("[\"changes\", \"--format\", \"json\"]"))
        .unwrap()
        .1;
    assert!(json.contains("https://gazette.example/3"), "{json}");
    assert!(
        !json.contains("javascript:"),
        "changes --format json: {json}"
    );

    // The daemon: pages, API, feed and its own log.
    let mut d = crate::daemon::start_run(
        setup.root(),
        &setup.config_path,
        &[],
        Duration::from_secs(30),
    );
    let client = reqwest::Client::new();
    let changes: serde_json::Value = client
        .get(format!("{}/api/changes", d.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = changes["changes"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{changes}");
    let js = list
        .iter()
        .find(|c| c["title"].as_str().unwrap().starts_with("Telsiz"))
        .unwrap();
    assert!(js["link"].is_null(), "a javascript: link is dropped: {js}");
    for path in [
        "/".to_string(),
        "/sources".into(),
        "/api/sources".into(),
        "/api/changes".into(),
        "/feed.atom".into(),
        format!("/changes/{}", js["id"]),
        format!("/api/changes/{}", js["id"]),
        "/metrics".into(),
    ] {
        let body = client
            .get(format!("{}{path}", d.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!body.contains("javascript:"), "{path}: {body}");
        if path == "/api/sources" {
            assert!(
                body.contains("api_key=***"),
                "the URL is shown masked: {body}"
            );
        }
        seen.push(("page", format!("{path}: {body}")));
    }
    d.signal("TERM");
    d.wait_exit(Duration::from_secs(10));
    seen.push(("daemon log", d.log()));
    // The alerts: a health alert for the source that is down, and the changes.
    let hooks = bodies.lock().unwrap().clone();
    assert!(hooks.iter().any(|b| b.contains("secret-down")), "{hooks:?}");
    assert!(
        hooks.iter().any(|b| b.contains("gazette.example/3")),
        "{hooks:?}"
    );
    for b in &hooks {
        assert!(!b.contains("javascript:"), "webhook body: {b}");
        seen.push(("webhook body", b.clone()));
    }
    for (what, text) in &seen {
        assert_clean(what, text);
    }
}
