//! The tagger's whole judgement travels with a change: a feed entry's
//! published date anchors the dates its text counts from publication, the
//! whole tag set (dates with kind and sentence, ranges, exempt origins,
//! measures) is stored with the change and read back, old rows without it
//! still load, and the API, the change page and `regwatch classify` show
//! each date with its kind and the sentence that gave it.

use crate::helpers::*;
use regwatch::poll::poll_source;
use regwatch::store::ChangeFilter;

/// An RSS feed whose entries carry a `pubDate` when given.
fn rss_dated(items: &[(&str, &str, &str, Option<&str>)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Resmî Gazete</title><link>http://example.invalid/</link><description>d</description>");
    for (guid, title, desc, date) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>http://example.invalid/{guid}</link><description>{desc}</description>{}</item>",
            date.map(|d| format!("<pubDate>{d}</pubDate>")).unwrap_or_default()
        ));
    }
    s.push_str("</channel></rss>");
    s
}

const RULE: &str = "8528.42 ila 8528.59 alt pozisyonlarındaki monitörlere ilave gümrük vergisi uygulanır; Meksika menşeli olanlar hariç. Bu Tebliğ yayımı tarihinde yürürlüğe girer.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_ranges_and_exemptions_are_stored_shown_and_anchored_to_the_feed_date() {
    let srv = FixtureServer::start().await;
    srv.set(
        "/feed.xml",
        Reply::xml(&rss_dated(&[("1", "Eski duyuru", "metin", None)])),
    );
    let setup = Setup::new(&source_toml("rg", "feed", &srv.url("/feed.xml"), ""), "");
    let app = setup.app().await;
    let src = setup.source("rg");
    poll_source(&app, &src).await.unwrap();
    srv.set(
        "/feed.xml",
        Reply::xml(&rss_dated(&[
            (
                "2",
                "İthalatta Gözetim Uygulamasına İlişkin Tebliğ",
                RULE,
                Some("Sat, 14 Feb 2026 00:00:00 GMT"),
            ),
            // the same wording without a published date: nothing stands
            // in for it (never today)
            ("3", "Aynı Tebliğ (tarihsiz kopya)", RULE, None),
            ("1", "Eski duyuru", "metin", None),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    let all = app.store.changes(&ChangeFilter::default()).await.unwrap();
    let dated = all
        .iter()
        .find(|c| c.title.starts_with("İthalatta"))
        .unwrap();
    let undated = all.iter().find(|c| c.title.starts_with("Aynı")).unwrap();

    let feb14 = chrono::NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
    assert_eq!(dated.effective_date, Some(feb14), "{:?}", dated.dates);
    let d = &dated.dates[0];
    assert_eq!((d.kind.as_str(), d.date), ("in_force", feb14));
    assert!(
        d.evidence.contains("yayımı tarihinde yürürlüğe girer"),
        "{d:?}"
    );
    assert_eq!(
        dated.hs_ranges,
        vec![("8528.42".to_string(), "8528.59".to_string())]
    );
    assert_eq!(dated.exempt_origins, vec!["MX"]);
    assert!(
        dated.measures.contains(&"tariff".to_string()),
        "{:?}",
        dated.measures
    );
    assert_eq!(undated.effective_date, None, "{:?}", undated.dates);
    assert!(undated.dates.is_empty(), "{:?}", undated.dates);
    // read back, the change gives matching what the poll had
    let t = dated.tags();
    assert_eq!(t.exempt_origins, vec!["MX"]);
    assert_eq!(t.hs_ranges.len(), 1);
    assert_eq!(t.dates.len(), dated.dates.len());

    // the API and the page show each date with its kind and sentence
    let shared = regwatch::app::LiveApp::new(setup.app().await);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = regwatch::server::router(shared);
    tokio::spawn(async move { axum::serve(listener, router).await });
    let v: serde_json::Value = reqwest::get(format!("http://{addr}/api/changes/{}", dated.id))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = v.get("change").unwrap_or(&v);
    assert_eq!(c["dates"][0]["kind"], "in_force", "{c}");
    assert_eq!(c["dates"][0]["date"], "2026-02-14", "{c}");
    assert!(c["dates"][0]["evidence"]
        .as_str()
        .unwrap()
        .contains("yayımı tarihinde"));
    let html = reqwest::get(format!("http://{addr}/changes/{}", dated.id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"dates\""), "{html}");
    assert!(html.contains("in force from"), "{html}");
    assert!(
        html.contains("Bu Tebliğ yayımı tarihinde yürürlüğe girer"),
        "{html}"
    );

    // rows recorded before the tag set was stored, or with a set that
    // cannot be read, load with their columns
    let db = setup.root().join("data/regwatch.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE changes SET tags = NULL WHERE id = ?")
        .bind(dated.id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE changes SET tags = '{not json' WHERE id = ?")
        .bind(undated.id)
        .execute(&pool)
        .await
        .unwrap();
    let again = app.store.changes(&ChangeFilter::default()).await.unwrap();
    let old = again.iter().find(|c| c.id == dated.id).unwrap();
    assert_eq!(old.effective_date, Some(feb14));
    assert_eq!(old.hs_codes, dated.hs_codes);
    assert!(old.dates.is_empty() && old.hs_ranges.is_empty());
    assert!(again.iter().any(|c| c.id == undated.id));
}

#[test]
fn classify_prints_dates_with_kind_and_sentence_and_reads_a_published_date() {
    let setup = Setup::new(
        &source_toml("rg", "feed", "http://127.0.0.1:9/feed.xml", ""),
        "",
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(setup.root().join("config/regwatch.toml"))
        .arg("classify")
        .current_dir(setup.root())
        .env("REGWATCH_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        let line = |published: &str| {
            serde_json::json!({"title": "Telsiz Ekipmanları Yönetmeliği", "lang": "tr",
                "text": "Bu Yönetmelik yayımı tarihinde yürürlüğe girer.", "published": published})
            .to_string()
        };
        writeln!(stdin, "{}", line("2026-02-14")).unwrap();
        writeln!(stdin, "{}", line("14/02/2026")).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0]["effective_date"], "2026-02-14");
    assert_eq!(lines[0]["dates"][0]["kind"], "in_force");
    assert!(lines[0]["dates"][0]["evidence"]
        .as_str()
        .unwrap()
        .contains("yayımı tarihinde"));
    // a bad date is an error naming the field and the fix, not a panic
    let err = lines[1]["error"].as_str().unwrap();
    assert!(
        err.contains("published") && err.contains("2026-03-01"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1));
}
