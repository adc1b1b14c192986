//! The English gist, wired: real Turkish, Vietnamese and Spanish notices
//! (the shared development set's) polled over HTTP on 127.0.0.1 get their
//! gist recorded beside the change, and it shows, labelled, in the API, the
//! Atom feed, `show` and `check`; an English notice gets none. A change page
//! with a gist in headless Chromium: screenshot, geometry, escaping.

use crate::helpers::*;
use regwatch::poll::poll_source;
use regwatch::store::ChangeFilter;
use serde_json::Value;
use std::path::Path;

const NOTICES: &str = include_str!("../../crates/classify/tests/data/notices-real-dev-intl.jsonl");

fn notice(id: &str) -> Value {
    NOTICES
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the data"))
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn feed_source(id: &str, jurisdiction: &str, lang: &str, url: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"Test {id}\"\njurisdiction = \"{jurisdiction}\"\nlanguage = \"{lang}\"\nkind = \"feed\"\nurl = \"{url}\"\nschedule = \"0 * * * *\"\n\n"
    )
}

/// (source id, notice id, what its gist must hold: act, issuer, a code of its goods)
const CASES: &[(&str, &str, &str, Option<&str>, &str)] = &[
    (
        "tr-ticaret",
        "d16",
        "Communiqué 2020/2",
        Some("Ministry of Trade"),
        "8432.29.90.00.19",
    ),
    (
        "vn-hai-quan",
        "d30",
        "Notice 37691/TB-CHQ",
        Some("Department of Customs"),
        "8517.62.59",
    ),
    (
        "mx-dof",
        "d61",
        "Resolution",
        Some("Ministry of Economy (SE)"),
        "3808.50.01",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_not_in_english_get_a_gist_shown_everywhere_and_english_ones_none() {
    let srv = FixtureServer::start().await;
    let mut sources = String::new();
    for (src, nid, ..) in CASES {
        let n = notice(nid);
        sources.push_str(&feed_source(
            src,
            n["jurisdiction"].as_str().unwrap(),
            n["lang"].as_str().unwrap(),
            &srv.url(&format!("/{src}.xml")),
        ));
    }
    sources.push_str(&feed_source("us-cbp", "US", "en", &srv.url("/us-cbp.xml")));
    let s = Setup::new(&sources, "");
    let app = s.app().await;
    // A baseline, then the notice arrives.
    for src in CASES.iter().map(|c| c.0).chain(["us-cbp"]) {
        srv.set(
            &format!("/{src}.xml"),
            Reply::xml(&rss(&[("old", "Duyuru", "metin")])),
        );
        poll_source(&app, &s.source(src)).await.unwrap();
    }
    for (src, nid, ..) in CASES {
        let n = notice(nid);
        srv.set(
            &format!("/{src}.xml"),
            Reply::xml(&rss(&[
                (
                    nid,
                    &xml(n["title"].as_str().unwrap()),
                    &xml(n["text"].as_str().unwrap()),
                ),
                ("old", "Duyuru", "metin"),
            ])),
        );
        poll_source(&app, &s.source(src)).await.unwrap();
    }
    srv.set(
        "/us-cbp.xml",
        Reply::xml(&rss(&[
            (
                "n1",
                "CSMS # 66871234 - Section 232 duties on telephone sets (8517.13)",
                "The duties apply to telephone sets classified in subheading 8517.13 from January 1, 2027.",
            ),
            ("old", "Duyuru", "metin"),
        ])),
    );
    poll_source(&app, &s.source("us-cbp")).await.unwrap();

    let changes = app.store.changes(&ChangeFilter::default()).await.unwrap();
    assert_eq!(changes.len(), 4, "{changes:#?}");
    let mut ids = vec![];
    for (src, nid, act, issuer, code) in CASES {
        let c = changes
            .iter()
            .find(|c| &c.source == src)
            .unwrap_or_else(|| panic!("no change of {src}"));
        let g = c
            .gist
            .as_ref()
            .unwrap_or_else(|| panic!("{src} ({nid}): no gist"));
        let n = notice(nid);
        assert_eq!(g.lang, n["lang"].as_str().unwrap());
        assert_eq!(g.act_type.as_deref(), Some(*act), "{src}: {}", g.text);
        assert_eq!(g.issuer.as_deref(), *issuer, "{src}: {}", g.text);
        assert!(
            g.products.iter().any(|p| p.contains(code)),
            "{src}: goods {code} missing from {:?}",
            g.products
        );
        // The gist recorded is the one of the text and tags recorded with it.
        let body = app.store.change_body(c.id).await.unwrap().unwrap();
        let lang = n["lang"].as_str().unwrap();
        let tags = app.tagger.tag(&c.title, &body, Some(lang), &[]);
        let again = regwatch::gist::of(&c.title, &body, Some(lang), &c.jurisdiction, &tags);
        assert_eq!(again.as_ref(), Some(g), "{src}");
        ids.push((c.id, g.text.clone(), lang.to_string()));
    }
    let en = changes.iter().find(|c| c.source == "us-cbp").unwrap();
    assert!(
        en.gist.is_none(),
        "an English notice has no gist: {:?}",
        en.gist
    );

    // The JSON (the API's and the CLI's): `gist` with `lang` and `text` as
    // DESIGN.md shows, absent for English.
    let (id, text, _) = &ids[1];
    let o = s.run(&["show", &id.to_string(), "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_change_shape(&v);
    assert_eq!(v["gist"]["lang"], "vi");
    assert_eq!(v["gist"]["text"], text.as_str());
    assert_eq!(v["gist"]["act_type"], "Notice 37691/TB-CHQ");
    let o = s.run(&["show", &en.id.to_string(), "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.get("gist").is_none(), "{v}");

    // `show`: labelled, under the original title.
    let o = s.run(&["show", &id.to_string(), "--format", "table"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let title_at = out
        .find("Thông báo 37691/TB-CHQ")
        .expect("the original title");
    let label_at = out
        .find("English gist of the Vietnamese original (not a translation):")
        .unwrap_or_else(|| panic!("no gist label: {out}"));
    assert!(title_at < label_at, "{out}");
    assert!(out.contains(&format!("  {text}\n")), "{out}");
    let o = s.run(&["show", &en.id.to_string(), "--format", "table"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("gist"));

    // `check`: each relevant change with its gist.
    let o = s.run(&[
        "check",
        "--country",
        "VN",
        "--hs",
        "8517.62",
        "--format",
        "table",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("gist (Vietnamese, not a translation): {text}")),
        "{out}"
    );
    let o = s.run(&[
        "check",
        "--country",
        "MX",
        "--hs",
        "3808.50",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["changes"][0]["gist"]["lang"], "es", "{v}");

    // The API and the Atom feed, served.
    let (_app, addr) = crate::ux::serve(&s).await;
    let v: Value = reqwest::get(format!("http://{addr}/api/changes/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["gist"]["text"], text.as_str(), "{v}");
    let atom = reqwest::get(format!("http://{addr}/feed.atom"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    for (id, text, lang) in &ids {
        let e = feed
            .entries
            .iter()
            .find(|e| e.id.ends_with(&format!("change/{id}")))
            .unwrap_or_else(|| panic!("no entry for {id}: {atom}"));
        let summary = &e.summary.as_ref().unwrap().content;
        let label = format!(
            "English gist of the {} original (not a translation): {text}",
            regwatch::gist::language_name(lang)
        );
        assert!(summary.contains(&label), "{summary}");
    }
}

#[tokio::test]
async fn a_field_report_gets_a_gist_when_written_in_turkish_and_none_in_english() {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let app = s.app().await;
    let tr = crate::ux::report(
        &app,
        "TR",
        "8517.13",
        Some("2027-01-01"),
        "Gümrük idaresi cep telefonları için BTK kayıt belgesi istiyor",
    )
    .await;
    let en = crate::ux::report(
        &app,
        "TR",
        "8517.13",
        None,
        "Istanbul customs asks for the BTK registration of phones",
    )
    .await;
    let tr = regwatch::services::changes::one(&app, tr).await.unwrap();
    let g = tr.gist.expect("a Turkish report has a gist");
    assert_eq!(g.lang, "tr");
    assert!(g.text.starts_with("Türkiye · "), "{}", g.text);
    assert!(g.text.contains("(8517.13)"), "{}", g.text);
    assert!(g.text.contains("applies from 2027-01-01"), "{}", g.text);
    let en = regwatch::services::changes::one(&app, en).await.unwrap();
    assert!(en.gist.is_none(), "{:?}", en.gist);
}
