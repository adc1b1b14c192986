//! What real sites do to a change monitor, each through the real fetch and
//! store path: a local server on 127.0.0.1 changes its answers between polls
//! the way regulatory sites do, and nothing they do without meaning anything
//! may alert, while what they really change still does.

use crate::helpers::*;
use regwatch::clock::Clock;
use regwatch::model::{Change, ChangeKind, HealthState, PollStatus};
use regwatch::poll::poll_source;
use regwatch::services::sources::{rows, ErrorKind, SourceRow};
use regwatch::store::ChangeFilter;
use std::time::Duration;

async fn changes(app: &regwatch::app::App) -> Vec<Change> {
    let mut v = app.store.changes(&ChangeFilter::default()).await.unwrap();
    v.reverse();
    v
}

fn kinds(c: &[Change]) -> Vec<(ChangeKind, String)> {
    c.iter().map(|c| (c.kind, c.title.clone())).collect()
}

async fn row(app: &regwatch::app::App, id: &str) -> SourceRow {
    rows(app)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap()
}

/// A listing page: `(title, href, text)` per item, newest first.
fn listing(items: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "<html><head><meta charset=\"utf-8\"><title>Duyurular</title></head><body><ul id=\"list\">",
    );
    for (title, href, text) in items {
        s.push_str(&format!(
            "<li><a href=\"{href}\">{title}</a> <span>{text}</span></li>"
        ));
    }
    s.push_str("</ul></body></html>");
    s
}

const LIST_RULES: &str =
    "content = \"#list\"\nitem = \"li\"\nitem_title = \"a\"\nitem_link = \"a\"\n";

/// RSS entries `(guid, title, link, description)`.
fn feed(items: &[(&str, &str, &str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Announcements</title><link>http://example.invalid/</link><description>d</description>");
    for (guid, title, link, desc) in items {
        s.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>{link}</link><description>{desc}</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// Atom entries `(id, title, link, summary)`.
fn atom(items: &[(&str, &str, &str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Tin tức</title><id>urn:feed</id><updated>2026-11-02T00:00:00Z</updated>");
    for (id, title, link, summary) in items {
        s.push_str(&format!(
            "<entry><id>{id}</id><title>{title}</title><link href=\"{link}\"/><updated>2026-11-02T00:00:00Z</updated><summary>{summary}</summary></entry>"
        ));
    }
    s.push_str("</feed>");
    s
}

/// A setup with one source, its app reading a pinned clock.
async fn one(srv_url: &str, kind: &str, rules: &str) -> (Setup, regwatch::app::App, Clock) {
    let setup = Setup::new(&source_toml("site", kind, srv_url, rules), "");
    let clock = Clock::fixed(now());
    let app = setup.app().await.with_clock(clock.clone());
    (setup, app, clock)
}

#[tokio::test]
async fn a_cms_that_regenerates_every_guid_changes_nothing() {
    let srv = FixtureServer::start().await;
    let before = [
        (
            "guid-1",
            "Telsiz ekipmanları yönetmeliği",
            "http://a.gov.tr/d/1",
            "GTİP 8517.62",
        ),
        ("guid-2", "Gümrük tebliği", "http://a.gov.tr/d/2", "ithalat"),
        ("guid-3", "Duyuru", "http://a.gov.tr/d/3", "metin"),
    ];
    srv.set("/rss", Reply::xml(&feed(&before)));
    let (s, app, _c) = one(&srv.url("/rss"), "feed", "").await;
    let src = s.source("site");
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Baseline
    );

    // A re-import: every guid new, the entries the same.
    srv.set(
        "/rss",
        Reply::xml(&feed(&[
            ("a8f0c1de-0001", before[0].1, before[0].2, before[0].3),
            ("a8f0c1de-0002", before[1].1, before[1].2, before[1].3),
            ("a8f0c1de-0003", before[2].1, before[2].2, before[2].3),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    // Again, the guids and the links rewritten (https, a tracking tag): the
    // entries are still known by their title and text.
    srv.set(
        "/rss",
        Reply::xml(&feed(&[
            (
                "urn:uuid:77-1",
                before[0].1,
                "https://www.a.gov.tr/d/1?utm_source=rss",
                before[0].3,
            ),
            (
                "urn:uuid:77-2",
                before[1].1,
                "https://www.a.gov.tr/d/2?utm_source=rss",
                before[1].3,
            ),
            (
                "urn:uuid:77-3",
                before[2].1,
                "https://www.a.gov.tr/d/3?utm_source=rss",
                before[2].3,
            ),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );

    // A real edit under yet another guid is one modification, nothing else.
    srv.set(
        "/rss",
        Reply::xml(&feed(&[
            ("x-1", before[0].1, before[0].2, "GTİP 8517.62 ve 8517.13"),
            ("x-2", before[1].1, before[1].2, before[1].3),
            ("x-3", before[2].1, before[2].2, before[2].3),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    assert_eq!(
        kinds(&changes(&app).await),
        vec![(ChangeKind::Modified, before[0].1.to_string())]
    );
}

#[tokio::test]
async fn an_atom_feed_whose_entry_ids_are_regenerated_changes_nothing() {
    let srv = FixtureServer::start().await;
    let e = [
        (
            "tag:mic.gov.vn,2026:101",
            "Thông tư quản lý thiết bị vô tuyến",
            "https://mic.gov.vn/tin/101.htm",
            "Có hiệu lực từ 1/1/2027",
        ),
        (
            "tag:mic.gov.vn,2026:102",
            "Quy chuẩn kỹ thuật quốc gia",
            "https://mic.gov.vn/tin/102.htm",
            "QCVN 117",
        ),
    ];
    srv.set("/atom", Reply::ok("application/atom+xml", atom(&e)));
    let (s, app, _c) = one(&srv.url("/atom"), "feed", "").await;
    let src = s.source("site");
    poll_source(&app, &src).await.unwrap();
    srv.set(
        "/atom",
        Reply::ok(
            "application/atom+xml",
            atom(&[
                (
                    "urn:uuid:5e1",
                    e[0].1,
                    "http://www.mic.gov.vn/tin/101.htm?_=1764633600000",
                    e[0].3,
                ),
                (
                    "urn:uuid:5e2",
                    e[1].1,
                    "http://www.mic.gov.vn/tin/102.htm?_=1764633600000",
                    e[1].3,
                ),
            ]),
        ),
    );
    poll_source(&app, &src).await.unwrap();
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );
}

#[tokio::test]
async fn typographic_quotes_dashes_and_ellipses_are_no_change_in_four_languages() {
    let srv = FixtureServer::start().await;
    let plain = [
        (
            "\"Telsiz\" ekipmanı - yönetmelik...",
            "/d/1",
            "Bu Yönetmelik 'yayımı' tarihinde yürürlüğe girer...",
        ),
        (
            "Thông tư \"quản lý\" thiết bị - vô tuyến",
            "/d/2",
            "Có hiệu lực - từ ngày 1/1/2027...",
        ),
        (
            "Acuerdo \"NOM-208\" - vigencia",
            "/d/3",
            "Entrará en vigor al día siguiente... 'DOF'",
        ),
        (
            "Notice on \"radio\" equipment - it's effective",
            "/d/4",
            "Effective 30 days after publication...",
        ),
    ];
    srv.set("/list", Reply::html(&listing(&plain)));
    let (s, app, _c) = one(&srv.url("/list"), "page", LIST_RULES).await;
    let src = s.source("site");
    poll_source(&app, &src).await.unwrap();
    // The CMS turns them typographic: curly and angle quotes, en and em
    // dashes, the ellipsis character, a typographic apostrophe.
    let typo = [
        (
            "“Telsiz” ekipmanı – yönetmelik…",
            "/d/1",
            "Bu Yönetmelik ‘yayımı’ tarihinde yürürlüğe girer…",
        ),
        (
            "Thông tư „quản lý‟ thiết bị — vô tuyến",
            "/d/2",
            "Có hiệu lực — từ ngày 1/1/2027…",
        ),
        (
            "Acuerdo «NOM‑208» ― vigencia",
            "/d/3",
            "Entrará en vigor al día siguiente… ‘DOF’",
        ),
        (
            "Notice on “radio” equipment − it’s effective",
            "/d/4",
            "Effective 30 days after publication…",
        ),
    ];
    srv.set("/list", Reply::html(&listing(&typo)));
    poll_source(&app, &src).await.unwrap();
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );
    // The stored text stays as the site wrote it.
    let snap = app
        .store
        .state("site")
        .await
        .unwrap()
        .last_snapshot_id
        .unwrap();
    let content = app.store.snapshot_content(snap).await.unwrap().unwrap();
    assert!(format!("{content:?}").contains("“Telsiz”"), "{content:?}");
    // A changed word still is a change.
    let mut edited = typo;
    edited[2].2 = "Entrará en vigor a los 180 días… ‘DOF’";
    srv.set("/list", Reply::html(&listing(&edited)));
    poll_source(&app, &src).await.unwrap();
    assert_eq!(
        kinds(&changes(&app).await),
        vec![(ChangeKind::Modified, typo[2].0.to_string())]
    );
}

#[tokio::test]
async fn rotating_session_ids_in_query_and_path_are_no_change() {
    let srv = FixtureServer::start().await;
    let page = |s: &str| {
        listing(&[
            (
                "Genelge 2026/12",
                &format!("/mevzuat/detay.jsp;jsessionid={s}?id=12"),
                "ithalat denetimi",
            ),
            (
                "Genelge 2026/11",
                &format!("/mevzuat/detay.jsp?id=11&jsessionid={s}"),
                "tarife",
            ),
            (
                "Tebliğ 2026/4",
                &format!("/teblig.php?PHPSESSID={s}&no=4"),
                "uygunluk",
            ),
            (
                "Duyuru 77",
                &format!("/duyuru.aspx?sid={s}&kod=77"),
                "telsiz",
            ),
            ("Karar 9", &format!("/(S({s}))/karar.aspx?no=9"), "kota"),
        ])
    };
    srv.set("/list", Reply::html(&page("0a1b2c3d4e5f")));
    let (s, app, _c) = one(&srv.url("/list"), "page", LIST_RULES).await;
    let src = s.source("site");
    poll_source(&app, &src).await.unwrap();
    for sid in ["99ffee88dd77", "abcdef012345"] {
        srv.set("/list", Reply::html(&page(sid)));
        poll_source(&app, &src).await.unwrap();
    }
    // Other spellings and session parameters of other platforms.
    srv.set(
        "/list",
        Reply::html(&listing(&[
            (
                "Genelge 2026/12",
                "/mevzuat/detay.jsp;JSESSIONID=ZZ9?id=12",
                "ithalat denetimi",
            ),
            (
                "Genelge 2026/11",
                "/mevzuat/detay.jsp?JSESSIONID=ZZ9&id=11",
                "tarife",
            ),
            (
                "Tebliğ 2026/4",
                "/teblig.php?no=4&phpsessid=zz9",
                "uygunluk",
            ),
            ("Duyuru 77", "/duyuru.aspx?kod=77&sessionid=zz9", "telsiz"),
            (
                "Karar 9",
                "/(S(zz9zz9))/karar.aspx?no=9&ASPSESSIONIDQAB=KLM",
                "kota",
            ),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );
    // A parameter that names another document is not a session id.
    srv.set(
        "/list",
        Reply::html(&listing(&[
            (
                "Genelge 2026/13",
                "/mevzuat/detay.jsp;jsessionid=A1?id=13",
                "yeni genelge",
            ),
            (
                "Genelge 2026/12",
                "/mevzuat/detay.jsp;jsessionid=A1?id=12",
                "ithalat denetimi",
            ),
            (
                "Genelge 2026/11",
                "/mevzuat/detay.jsp?id=11&jsessionid=A1",
                "tarife",
            ),
            ("Tebliğ 2026/4", "/teblig.php?PHPSESSID=A1&no=4", "uygunluk"),
            ("Duyuru 77", "/duyuru.aspx?sid=A1&kod=77", "telsiz"),
            ("Karar 9", "/(S(a1a1))/karar.aspx?no=9", "kota"),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    assert_eq!(
        kinds(&changes(&app).await),
        vec![(ChangeKind::Added, "Genelge 2026/13".to_string())]
    );
}

#[tokio::test]
async fn tracking_parameters_and_cache_busters_are_no_change() {
    let srv = FixtureServer::start().await;
    srv.set(
        "/list",
        Reply::html(&listing(&[
            (
                "Resolución 1",
                "/nota.php?codigo=5701&utm_source=twitter&utm_medium=social",
                "aranceles",
            ),
            (
                "Resolución 2",
                "/nota.php?codigo=5702&fbclid=IwAR0aaa",
                "NOM",
            ),
            (
                "Resolución 3",
                "/nota.php?gclid=Cj0KCQ&codigo=5703",
                "cupos",
            ),
            (
                "Resolución 4",
                "/nota.php?codigo=5704&_=1764633600000",
                "padrón",
            ),
        ])),
    );
    let (s, app, _c) = one(&srv.url("/list"), "page", LIST_RULES).await;
    let src = s.source("site");
    poll_source(&app, &src).await.unwrap();
    srv.set(
        "/list",
        Reply::html(&listing(&[
            (
                "Resolución 1",
                "/nota.php?utm_campaign=dof&codigo=5701&utm_content=x",
                "aranceles",
            ),
            (
                "Resolución 2",
                "/nota.php?codigo=5702&mc_cid=77ab&mc_eid=99",
                "NOM",
            ),
            ("Resolución 3", "/nota.php?codigo=5703&msclkid=e3b", "cupos"),
            (
                "Resolución 4",
                "/nota.php?cb=88123&codigo=5704&nocache=1&rnd=0.271",
                "padrón",
            ),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );
    // Cache-busters of names no list knows, told by their value (a Unix
    // time), and trackers of other tools.
    srv.set(
        "/list",
        Reply::html(&listing(&[
            (
                "Resolución 1",
                "/nota.php?codigo=5701&v=1764633600",
                "aranceles",
            ),
            (
                "Resolución 2",
                "/nota.php?t=1764633600123&codigo=5702",
                "NOM",
            ),
            (
                "Resolución 3",
                "/nota.php?codigo=5703&pk_campaign=news&_hsenc=p2A",
                "cupos",
            ),
            (
                "Resolución 4",
                "/nota.php?codigo=5704&stamp=1764640000&gbraid=0AA",
                "padrón",
            ),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );
    // The document's own parameter still tells documents apart.
    srv.set(
        "/list",
        Reply::html(&listing(&[
            ("Resolución 1", "/nota.php?codigo=5701", "aranceles"),
            ("Resolución 2", "/nota.php?codigo=5702", "NOM"),
            ("Resolución 3", "/nota.php?codigo=5703", "cupos"),
            (
                "Resolución 5",
                "/nota.php?codigo=5705&utm_source=x",
                "nuevo acuerdo",
            ),
            ("Resolución 4", "/nota.php?codigo=5704", "padrón"),
        ])),
    );
    poll_source(&app, &src).await.unwrap();
    assert_eq!(
        kinds(&changes(&app).await),
        vec![(ChangeKind::Added, "Resolución 5".to_string())]
    );
}

#[tokio::test]
async fn a_ministry_moving_to_https_withdraws_nothing() {
    let srv = FixtureServer::start().await;
    let items = |scheme: &str, www: &str| {
        feed(&[
            (
                &format!("{scheme}://{www}gov.uk/government/news/a"),
                "Product safety: new guidance",
                &format!("{scheme}://{www}gov.uk/government/news/a"),
                "UKCA marking",
            ),
            (
                &format!("{scheme}://{www}gov.uk/government/news/b"),
                "Tariff notice 12/26",
                &format!("{scheme}://{www}gov.uk/government/news/b"),
                "commodity codes",
            ),
        ])
    };
    srv.set("/rss", Reply::xml(&items("http", "")));
    let (s, app, _c) = one(&srv.url("/rss"), "feed", "").await;
    let src = s.source("site");
    poll_source(&app, &src).await.unwrap();
    srv.set("/rss", Reply::xml(&items("https", "www.")));
    poll_source(&app, &src).await.unwrap();
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );
    // Links on a page, absolute, switching scheme as well.
    let page = |scheme: &str| {
        listing(&[
            (
                "Aviso 1",
                &format!("{scheme}://www.dof.gob.mx/nota_detalle.php?codigo=1"),
                "a",
            ),
            (
                "Aviso 2",
                &format!("{scheme}://www.dof.gob.mx/nota_detalle.php?codigo=2"),
                "b",
            ),
        ])
    };
    srv.set("/list", Reply::html(&page("http")));
    let (s2, app2, _c2) = one(&srv.url("/list"), "page", LIST_RULES).await;
    let src2 = s2.source("site");
    poll_source(&app2, &src2).await.unwrap();
    srv.set("/list", Reply::html(&page("https")));
    poll_source(&app2, &src2).await.unwrap();
    assert!(
        changes(&app2).await.is_empty(),
        "{:?}",
        kinds(&changes(&app2).await)
    );
}

#[tokio::test]
async fn json_numbers_written_differently_are_the_same_number() {
    let srv = FixtureServer::start().await;
    let rules = "item = \"$[*]\"\nitem_title = [\"$.htsno\", \"$.description\"]\nitem_text = [\"General rate $.general\", \"Units $.units\", \"Quota $.quota\"]\n";
    srv.set(
        "/api",
        Reply::ok(
            "application/json",
            r#"[{"htsno":"8517.62.00","description":"Machines for the reception","general":1.0,"units":1000,"quota":2.50},
                {"htsno":"8517.13.00","description":"Smartphones","general":0,"units":12,"quota":0.5}]"#,
        ),
    );
    let (s, app, _c) = one(&srv.url("/api"), "json", rules).await;
    let src = s.source("site");
    poll_source(&app, &src).await.unwrap();
    // Another serializer: 1 for 1.0, 1e3 for 1000, 2.5 for 2.50, 0.0 for 0.
    srv.set(
        "/api",
        Reply::ok(
            "application/json",
            r#"[{"htsno":"8517.62.00","description":"Machines for the reception","general":1,"units":1e3,"quota":2.5},
                {"htsno":"8517.13.00","description":"Smartphones","general":0.0,"units":12.0,"quota":0.50}]"#,
        ),
    );
    poll_source(&app, &src).await.unwrap();
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );
    // A rate that really changed is a change.
    srv.set(
        "/api",
        Reply::ok(
            "application/json",
            r#"[{"htsno":"8517.62.00","description":"Machines for the reception","general":1.5,"units":1000,"quota":2.5},
                {"htsno":"8517.13.00","description":"Smartphones","general":0,"units":12,"quota":0.5}]"#,
        ),
    );
    poll_source(&app, &src).await.unwrap();
    let c = changes(&app).await;
    assert_eq!(c.len(), 1, "{:?}", kinds(&c));
    assert_eq!(c[0].kind, ChangeKind::Modified);
}

#[tokio::test]
async fn a_permanent_redirect_is_shown_until_the_source_is_edited() {
    let srv = FixtureServer::start().await;
    let body = feed(&[("1", "Customs notice", "https://a.gov/1", "text")]);
    srv.set(
        "/old.xml",
        Reply::status(301).header("location", "/new.xml"),
    );
    srv.set("/new.xml", Reply::xml(&body));
    srv.set(
        "/old308.xml",
        Reply::status(308).header("location", "/new.xml"),
    );
    srv.set(
        "/tmp.xml",
        Reply::status(302).header("location", "/new.xml"),
    );
    let sources = [
        source_toml("moved-301", "feed", &srv.url("/old.xml"), ""),
        source_toml("moved-308", "feed", &srv.url("/old308.xml"), ""),
        source_toml("temporary", "feed", &srv.url("/tmp.xml"), ""),
    ]
    .join("\n");
    let setup = Setup::new(&sources, "");
    let app = setup.app().await;
    let new_url = srv.url("/new.xml");
    let said = format!("moved to {new_url}: update the source");
    for id in ["moved-301", "moved-308"] {
        let s = poll_source(&app, &setup.source(id)).await.unwrap();
        assert_eq!(s.status, PollStatus::Baseline, "{id}");
        assert_eq!(s.note.as_deref(), Some(said.as_str()), "{id}");
        let r = row(&app, id).await;
        assert_eq!(r.health, HealthState::Moved, "{id}");
        assert_eq!(r.note.as_deref(), Some(said.as_str()));
        assert_eq!(r.moved_to.as_deref(), Some(new_url.as_str()));
        assert_eq!(r.error_kind, Some(ErrorKind::Moved));
        assert!(r
            .advice
            .as_deref()
            .unwrap()
            .contains("update the source's url"));
    }
    // A temporary redirect is no move.
    let s = poll_source(&app, &setup.source("temporary")).await.unwrap();
    assert_eq!(s.note, None);
    assert_eq!(row(&app, "temporary").await.health, HealthState::Ok);
    // Later polls keep saying it (unchanged content, a 304 after the move).
    let s = poll_source(&app, &setup.source("moved-301")).await.unwrap();
    assert_eq!(s.status, PollStatus::Unchanged);
    assert_eq!(s.note.as_deref(), Some(said.as_str()));

    // The CLI's list and poll summary say it whole, never cut.
    let out = setup.run(&["sources", "list", "--format", "table"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("moved-301: {said}")), "{text}");
    assert!(text.contains(&format!("moved-308: {said}")), "{text}");
    let out = setup.run(&["poll", "--source", "moved-308", "--format", "table"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&said), "{text}");
    // The JSON health says it as well.
    let out = setup.run(&["sources", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "moved-301")
        .unwrap();
    assert_eq!(m["note"], said.as_str());
    assert_eq!(m["moved_to"], new_url.as_str());

    // The source is edited to its new address: the move is old news at
    // once, and the next poll forgets it.
    let file = setup.root().join("sources/test.toml");
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace(&srv.url("/old.xml"), &new_url);
    std::fs::write(&file, edited).unwrap();
    let app = setup.app().await;
    let r = row(&app, "moved-301").await;
    assert_eq!(r.note, None);
    assert_eq!(r.health, HealthState::Ok);
    assert_eq!(row(&app, "moved-308").await.health, HealthState::Moved);
    let s = poll_source(&app, &setup.source("moved-301")).await.unwrap();
    assert_eq!(s.note, None);
    let h = app.store.health().await.unwrap();
    let h = h.iter().find(|h| h.id == "moved-301").unwrap();
    assert_eq!(h.moved_to, None);
}

#[tokio::test]
async fn a_redirect_on_a_day_without_an_extra_issue_means_nothing_today() {
    let srv = FixtureServer::start().await;
    let extra = listing(&[
        (
            "Cumhurbaşkanı Kararı 1001",
            "/eskiler/2026/11/20261102M1-1.htm",
            "ek gümrük vergisi",
        ),
        (
            "Cumhurbaşkanı Kararı 1002",
            "/eskiler/2026/11/20261102M1-2.htm",
            "ithalat rejimi",
        ),
    ]);
    let home = listing(&[
        (
            "Yönetmelik (regular issue)",
            "/eskiler/2026/11/20261103-1.htm",
            "olağan sayı",
        ),
        (
            "Tebliğ (regular issue)",
            "/eskiler/2026/11/20261103-2.htm",
            "olağan sayı",
        ),
    ]);
    srv.set("/", Reply::html(&home));
    srv.set("/mukerrer", Reply::html(&extra));
    srv.set("/plain", Reply::html(&extra));
    let def = |id: &str, path: &str, redirect: &str| {
        format!(
            "[[source]]\nid = \"{id}\"\nname = \"{id}\"\njurisdiction = \"TR\"\nkind = \"page\"\nurl = \"{}\"\nmay_be_empty = true\n{redirect}\n[source.extract]\n{LIST_RULES}report = [\"added\", \"modified\"]\n",
            srv.url(path)
        )
    };
    let setup = Setup::new(
        &[
            def("extra", "/mukerrer", "redirect = \"empty\""),
            def("naive", "/plain", ""),
        ]
        .join("\n"),
        "",
    );
    let app = setup.app().await;
    for id in ["extra", "naive"] {
        poll_source(&app, &setup.source(id)).await.unwrap();
    }
    // The next day: no extra issue, the address redirects to the home page
    // (temporarily one day, permanently another).
    for code in [302, 301] {
        srv.set("/mukerrer", Reply::status(code).header("location", "/"));
        let s = poll_source(&app, &setup.source("extra")).await.unwrap();
        assert_eq!(s.status, PollStatus::NotModified, "{code}");
        assert_eq!(
            s.note, None,
            "a redirect meaning 'nothing today' is no move"
        );
    }
    assert!(
        changes(&app).await.is_empty(),
        "{:?}",
        kinds(&changes(&app).await)
    );
    assert_eq!(row(&app, "extra").await.health, HealthState::Ok);
    // Without the rule, the regular issue would be reported as extra-issue news.
    srv.set("/plain", Reply::status(302).header("location", "/"));
    poll_source(&app, &setup.source("naive")).await.unwrap();
    let naive: Vec<_> = changes(&app)
        .await
        .into_iter()
        .filter(|c| c.source == "naive")
        .collect();
    assert_eq!(naive.len(), 2, "{:?}", kinds(&naive));
    // A day with a new extra issue: its decree is news.
    srv.set(
        "/mukerrer",
        Reply::html(&listing(&[(
            "Cumhurbaşkanı Kararı 1010",
            "/eskiler/2026/11/20261104M1-1.htm",
            "ek mali yükümlülük",
        )])),
    );
    poll_source(&app, &setup.source("extra")).await.unwrap();
    let extra: Vec<_> = changes(&app)
        .await
        .into_iter()
        .filter(|c| c.source == "extra")
        .collect();
    assert_eq!(
        kinds(&extra),
        vec![(ChangeKind::Added, "Cumhurbaşkanı Kararı 1010".to_string())]
    );
}

/// Serve `reply` at /list, poll, and return the changes this poll recorded.
async fn step(
    srv: &FixtureServer,
    app: &regwatch::app::App,
    src: &regwatch::config::Source,
    reply: Reply,
) -> Vec<Change> {
    srv.set("/list", reply);
    let before = changes(app).await.len();
    poll_source(app, src).await.unwrap();
    changes(app).await.split_off(before)
}

#[tokio::test]
async fn a_paging_window_slides_without_alerts_and_true_removals_are_reported() {
    let srv = FixtureServer::start().await;
    let it = |n: &str| {
        (
            format!("Resolución {n}"),
            format!("/nota.php?codigo={n}"),
            format!("texto {n}"),
        )
    };
    let page = |ns: &[&str]| {
        let items: Vec<_> = ns.iter().map(|n| it(n)).collect();
        let refs: Vec<(&str, &str, &str)> = items
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        Reply::html(&listing(&refs))
    };
    srv.set("/list", page(&["D", "C", "B", "A"]));
    let (s, app, _c) = one(&srv.url("/list"), "page", LIST_RULES).await;
    let src = s.source("site");
    poll_source(&app, &src).await.unwrap();
    // A new act on top pushes the oldest to page 2: one addition, no removal.
    let c = step(&srv, &app, &src, page(&["E", "D", "C", "B"])).await;
    assert_eq!(kinds(&c), vec![(ChangeKind::Added, "Resolución E".into())]);
    // The newest is withdrawn and A slides back onto page 1: the withdrawal
    // is reported (it left while older acts stay), A is not news.
    let c = step(&srv, &app, &src, page(&["D", "C", "B", "A"])).await;
    assert_eq!(
        kinds(&c),
        vec![(ChangeKind::Removed, "Resolución E".into())]
    );
    // E comes back: not new; A slides out again: no removal.
    let c = step(&srv, &app, &src, page(&["E", "D", "C", "B"])).await;
    assert!(c.is_empty(), "{:?}", kinds(&c));
    // D disappears from between acts that stay: a true removal; A, back
    // from page 2, is still not news.
    let c = step(&srv, &app, &src, page(&["E", "C", "B", "A"])).await;
    assert_eq!(
        kinds(&c),
        vec![(ChangeKind::Removed, "Resolución D".into())]
    );
}

#[tokio::test]
async fn a_latest_n_feed_whose_items_come_back_raises_nothing() {
    let srv = FixtureServer::start().await;
    let f = |ns: &[&str]| {
        let items: Vec<(String, String, String, String)> = ns
            .iter()
            .map(|n| {
                (
                    format!("g-{n}"),
                    format!("Thông báo {n}"),
                    format!("https://a.gov.vn/tb/{n}"),
                    format!("nội dung {n}"),
                )
            })
            .collect();
        let refs: Vec<(&str, &str, &str, &str)> = items
            .iter()
            .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
            .collect();
        Reply::xml(&feed(&refs))
    };
    srv.set("/rss", f(&["3", "2", "1"]));
    let (s, app, _c) = one(&srv.url("/rss"), "feed", "").await;
    let src = s.source("site");
    poll_source(&app, &src).await.unwrap();
    srv.set("/rss", f(&["5", "4", "3"]));
    poll_source(&app, &src).await.unwrap();
    // The feed's window shifts back (5 and 4 unpublished and republished by
    // the CMS later): 2 and 1 return, then 5 and 4 return.
    srv.set("/rss", f(&["3", "2", "1"]));
    poll_source(&app, &src).await.unwrap();
    srv.set("/rss", f(&["5", "4", "3"]));
    poll_source(&app, &src).await.unwrap();
    let c = changes(&app).await;
    let added: Vec<_> = c
        .iter()
        .filter(|c| c.kind == ChangeKind::Added)
        .map(|c| c.title.clone())
        .collect();
    assert_eq!(added, vec!["Thông báo 5", "Thông báo 4"], "{:?}", kinds(&c));
    assert!(
        !c.iter()
            .any(|c| c.kind == ChangeKind::Added
                && (c.title.ends_with(" 1") || c.title.ends_with(" 2"))),
        "{:?}",
        kinds(&c)
    );
}

const RATE_FETCH: &str = r#"
[fetch]
timeout = "2s"
per_host_interval = "0s"
per_host_concurrency = 4
retries = 3
retry_backoff = "50ms"
robots_txt = false

[schedule]
jitter = "0s"
"#;

#[tokio::test]
async fn a_429_with_retry_after_is_not_asked_again_before_its_time() {
    let srv = FixtureServer::start().await;
    let ok = Reply::xml(&feed(&[("1", "Aviso", "https://a.gob.mx/1", "texto")]));
    srv.sequence(
        "/a.xml",
        vec![Reply::status(429).header("retry-after", "120"), ok.clone()],
    );
    srv.set("/b.xml", ok.clone());
    let setup = Setup::new(
        &[
            source_toml("limited", "feed", &srv.url("/a.xml"), ""),
            source_toml("same-host", "feed", &srv.url("/b.xml"), ""),
        ]
        .join("\n"),
        RATE_FETCH,
    );
    let clock = Clock::fixed(now());
    let t0 = clock.now();
    let app = setup.app().await.with_clock(clock.clone());
    let t = std::time::Instant::now();
    let s = poll_source(&app, &setup.source("limited")).await.unwrap();
    assert!(matches!(s.status, PollStatus::Failed(_)), "{:?}", s.status);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "no sleeping inside the poll"
    );
    assert_eq!(srv.hits("/a.xml"), 1, "retries = 3 does not ask again");
    let until = t0 + chrono::Duration::seconds(120);
    let r = row(&app, "limited").await;
    assert_eq!(r.health, HealthState::RateLimited);
    assert_eq!(r.health.label(), "rate limited");
    assert!(!r.down);
    assert_eq!(
        r.rate_limited_until.map(|u| u.timestamp()),
        Some(until.timestamp())
    );
    assert!(r.note.as_deref().unwrap().starts_with(&format!(
        "rate limited until {}",
        until.format("%Y-%m-%d %H:%M UTC")
    )));
    assert_eq!(r.error_kind, Some(ErrorKind::RateLimited));

    // Polled again and again before the time: nothing is asked, of this
    // source or of its host, and health does not turn into an outage.
    for _ in 0..4 {
        let s = poll_source(&app, &setup.source("limited")).await.unwrap();
        assert!(
            matches!(s.status, PollStatus::Deferred(_)),
            "{:?}",
            s.status
        );
        let s = poll_source(&app, &setup.source("same-host")).await.unwrap();
        assert!(
            matches!(s.status, PollStatus::Deferred(_)),
            "{:?}",
            s.status
        );
    }
    clock.advance(chrono::Duration::seconds(119));
    // Another process (a fresh fetcher, nothing kept in memory) waits too.
    let other = setup.app().await.with_clock(clock.clone());
    let s = poll_source(&other, &setup.source("limited")).await.unwrap();
    assert!(
        matches!(s.status, PollStatus::Deferred(_)),
        "{:?}",
        s.status
    );
    assert_eq!(srv.hits("/a.xml"), 1);
    assert_eq!(srv.hits("/b.xml"), 0);
    let r = row(&other, "limited").await;
    assert_eq!(r.health, HealthState::RateLimited);
    assert_eq!(r.consecutive_failures, 1);
    assert!(!r.down);

    // The time has come: asked again, and the limit is over.
    clock.advance(chrono::Duration::seconds(2));
    let later = setup.app().await.with_clock(clock.clone());
    let s = poll_source(&later, &setup.source("limited")).await.unwrap();
    assert_eq!(s.status, PollStatus::Baseline);
    assert_eq!(srv.hits("/a.xml"), 2);
    let r = row(&later, "limited").await;
    assert_eq!(r.health, HealthState::Ok);
    assert_eq!(r.note, None);
    assert_eq!(r.rate_limited_until, None);
    let s = poll_source(&later, &setup.source("same-host"))
        .await
        .unwrap();
    assert_eq!(s.status, PollStatus::Baseline);
}

#[tokio::test]
async fn a_limit_that_has_passed_is_no_longer_shown() {
    let srv = FixtureServer::start().await;
    srv.set("/a.xml", Reply::status(429).header("retry-after", "90"));
    let setup = Setup::new(
        &source_toml("limited", "feed", &srv.url("/a.xml"), ""),
        RATE_FETCH,
    );
    let clock = Clock::fixed(now());
    let app = setup.app().await.with_clock(clock.clone());
    poll_source(&app, &setup.source("limited")).await.unwrap();
    assert_eq!(row(&app, "limited").await.health, HealthState::RateLimited);
    clock.advance(chrono::Duration::seconds(91));
    // Not polled since: the wait is over all the same.
    let r = row(&app, "limited").await;
    assert_ne!(r.health, HealthState::RateLimited);
    assert_eq!(r.note, None);
}

#[test]
fn the_cli_does_not_ask_a_site_that_asked_us_to_wait() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let srv = rt.block_on(FixtureServer::start());
    srv.set("/a.xml", Reply::status(429).header("retry-after", "300"));
    let setup = Setup::new(
        &source_toml("limited", "feed", &srv.url("/a.xml"), ""),
        RATE_FETCH,
    );
    let first = setup.run(&["poll", "--format", "table"]);
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(text.contains("rate limited"), "{text}");
    let second = setup.run(&["poll", "--format", "table"]);
    let text = String::from_utf8_lossy(&second.stdout);
    assert!(text.contains("deferred"), "{text}");
    assert!(text.contains("not asked before then"), "{text}");
    assert_eq!(
        srv.hits("/a.xml"),
        1,
        "a second process does not ask either"
    );
    let list = setup.run(&["sources", "list", "--format", "table"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("rate limited"), "{text}");
    assert!(text.contains("limited: rate limited until"), "{text}");
}

#[tokio::test]
async fn a_503_with_an_http_date_retry_after_defers_until_that_date() {
    let srv = FixtureServer::start().await;
    let sent = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    srv.set(
        "/busy",
        Reply::status(503)
            .header("date", &fmt(sent))
            .header("retry-after", &fmt(sent + chrono::Duration::minutes(10))),
    );
    srv.set("/broken", Reply::status(503));
    let setup = Setup::new(
        &[
            source_toml("busy", "feed", &srv.url("/busy"), ""),
            source_toml("broken", "feed", &srv.url("/broken"), ""),
        ]
        .join("\n"),
        RATE_FETCH,
    );
    let clock = Clock::fixed(now());
    let t0 = clock.now();
    let app = setup.app().await.with_clock(clock.clone());
    let s = poll_source(&app, &setup.source("busy")).await.unwrap();
    assert!(matches!(s.status, PollStatus::Failed(_)));
    assert_eq!(srv.hits("/busy"), 1);
    let r = row(&app, "busy").await;
    assert_eq!(r.health, HealthState::RateLimited);
    let wait = (r.rate_limited_until.unwrap() - t0).num_seconds();
    assert!((590..=605).contains(&wait), "deferred {wait}s");
    // A 503 without Retry-After is an error on the site's side, retried
    // within the poll's bounds, not a rate limit. (Another host would be
    // asked; this one shares the host, so it waits too.)
    clock.advance(chrono::Duration::seconds(601));
    let app = setup.app().await.with_clock(clock.clone());
    let s = poll_source(&app, &setup.source("broken")).await.unwrap();
    assert!(matches!(s.status, PollStatus::Failed(_)), "{:?}", s.status);
    assert_eq!(srv.hits("/broken"), 4, "3 retries");
    let r = row(&app, "broken").await;
    assert_eq!(r.health, HealthState::Failing);
    assert_eq!(r.error_kind, Some(ErrorKind::Server));
    assert_eq!(
        r.short_error.as_deref(),
        Some("server error on the site's side (HTTP 503)")
    );
    assert_eq!(r.rate_limited_until, None);
}

#[tokio::test]
async fn never_polled_sources_are_due_now_and_down_ones_come_first_with_what_to_do() {
    let srv = FixtureServer::start().await;
    srv.set(
        "/ok.xml",
        Reply::xml(&feed(&[("1", "A", "https://a.gov/1", "t")])),
    );
    srv.set("/gone", Reply::status(404));
    srv.set(
        "/empty",
        Reply::html("<html><body><p>Bakım çalışması</p></body></html>"),
    );
    let sources = [
        source_toml("a-ok", "feed", &srv.url("/ok.xml"), ""),
        source_toml("b-gone", "page", &srv.url("/gone"), LIST_RULES),
        source_toml("c-refused", "feed", "http://127.0.0.1:9/x.xml", ""),
        source_toml("d-empty", "page", &srv.url("/empty"), LIST_RULES),
        source_toml("e-new", "feed", &srv.url("/ok.xml"), ""),
    ]
    .join("\n")
    .replace(
        "[[source]]\nid = \"e-new\"",
        "[[source]]\nid = \"e-new\"\nschedule = \"0 3 1 * *\"",
    );
    let setup = Setup::new(&sources, "[health]\nfailures_before_alert = 1\n");
    let app = setup.app().await;
    for id in ["a-ok", "b-gone", "c-refused", "d-empty"] {
        poll_source(&app, &setup.source(id)).await.unwrap();
    }
    let rs = rows(&app).await.unwrap();
    let by = |id: &str| rs.iter().find(|r| r.id == id).unwrap().clone();
    assert_eq!(by("b-gone").error_kind, Some(ErrorKind::NotFound));
    assert_eq!(by("c-refused").error_kind, Some(ErrorKind::Connect));
    assert_eq!(by("d-empty").error_kind, Some(ErrorKind::Empty));
    for id in ["b-gone", "c-refused", "d-empty"] {
        assert!(by(id).down, "{id}");
        assert!(by(id).advice.is_some(), "{id}");
    }
    // Never polled: due now, whatever its schedule (monthly here).
    let n = by("e-new");
    assert_eq!(n.health, HealthState::NeverPolled);
    assert!(n.next_poll.unwrap() <= app.now());
    let out = setup.run(&["sources", "list", "--format", "table"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("e-new")).unwrap();
    assert!(line.contains("due now"), "{text}");
    // The last error is shortened by meaning: the word that matters stays.
    let line = text.lines().find(|l| l.starts_with("b-gone")).unwrap();
    assert!(
        line.contains("not found: the page is gone (HTTP 404)"),
        "{text}"
    );

    // The page: down sources first, each with one line of what to do.
    let live = regwatch::app::LiveApp::new(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(regwatch::server::listen::serve(
        listener,
        regwatch::server::router(live.clone()),
        regwatch::server::listen::ServerLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            max_connections: 16,
        },
        std::future::pending(),
    ));
    let page = reqwest::get(format!("{base}/sources"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = |id: &str| {
        page.find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} in {page}"))
    };
    for down in ["b-gone", "c-refused", "d-empty"] {
        assert!(at(down) < at("a-ok"), "{down} before a-ok");
        assert!(at(down) < at("e-new"), "{down} before e-new");
    }
    assert!(page.contains("What to do: The page is gone"), "{page}");
    assert!(
        page.contains("What to do: Nothing accepts connections"),
        "{page}"
    );
    assert!(
        page.contains("What to do: The page changed shape"),
        "{page}"
    );
    let api: serde_json::Value = reqwest::get(format!("{base}/api/sources"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gone = api["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "b-gone")
        .unwrap();
    assert_eq!(gone["error_kind"], "not_found");
    assert!(gone["advice"]
        .as_str()
        .unwrap()
        .contains("update the source's url"));
}

/// A setup with rita (reviewer), vic (viewer) and the API token (admin).
fn report_setup() -> (Setup, tempfile::TempDir) {
    let tokens = tempfile::tempdir().unwrap();
    std::fs::write(tokens.path().join("rita"), "rita-token-123").unwrap();
    std::fs::write(tokens.path().join("vic"), "vic-token-123").unwrap();
    let extra = format!(
        "[server]\napi_token_file = \"{0}/admin\"\n\n[[user]]\nname = \"rita\"\ntoken_file = \"{0}/rita\"\nrole = \"reviewer\"\n\n[[user]]\nname = \"vic\"\ntoken_file = \"{0}/vic\"\nrole = \"viewer\"\n",
        tokens.path().display()
    );
    std::fs::write(tokens.path().join("admin"), "admin-token-123").unwrap();
    let s = Setup::new(
        "[[source]]\nid = \"tr-x\"\nname = \"x\"\njurisdiction = \"TR\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/x.xml\"\n",
        &extra,
    );
    (s, tokens)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_report_is_recorded_under_the_poster_s_name() {
    let (setup, _tokens) = report_setup();
    let app = setup.app().await;
    app.store.migrate().await.unwrap();
    let live = regwatch::app::LiveApp::new(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(regwatch::server::listen::serve(
        listener,
        regwatch::server::router(live.clone()),
        regwatch::server::listen::ServerLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            max_connections: 16,
        },
        std::future::pending(),
    ));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |token: &'static str, author: Option<&'static str>| {
        let mut body = serde_json::json!({"country": "TR", "hs": ["8517.62"], "title": "Kapıkule asks for a conformity letter", "text": "Seen at the counter."});
        if let Some(a) = author {
            body["author"] = a.into();
        }
        http.post(format!("{base}/api/reports"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let author_of = |r: serde_json::Value| r["change"]["author"].as_str().map(str::to_string);

    let r = post("rita-token-123", None).await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(author_of(r.json().await.unwrap()).as_deref(), Some("rita"));
    let r = post("rita-token-123", Some("Rita")).await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(author_of(r.json().await.unwrap()).as_deref(), Some("rita"));
    // A reviewer cannot record a report under someone else's name.
    let r = post("rita-token-123", Some("ayse")).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("in their own name"));
    // A viewer posts nothing.
    assert_eq!(post("vic-token-123", None).await.unwrap().status(), 403);
    // The API token is an admin: its own name, or someone it enters for.
    let r = post("admin-token-123", None).await.unwrap();
    assert_eq!(author_of(r.json().await.unwrap()).as_deref(), Some("admin"));
    let r = post("admin-token-123", Some("ayse")).await.unwrap();
    assert_eq!(
        author_of(r.json().await.unwrap()).as_deref(),
        Some("ayse (entered by admin)")
    );
    // Never "api".
    let all = live
        .current()
        .store
        .changes(&ChangeFilter::default())
        .await
        .unwrap();
    assert!(all.iter().all(|c| c.author.as_deref() != Some("api")));

    // A signed-in session posts under its user, with its CSRF token.
    let form = http.get(format!("{base}/signin")).send().await.unwrap();
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("rw_signin="))
        .unwrap();
    let csrf = cookie.trim_start_matches("rw_signin=").to_string();
    let r = http
        .post(format!("{base}/signin"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &cookie)
        .body(format!("token=rita-token-123&next=%2F&csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("rw_session="))
        .unwrap();
    let page = http
        .get(format!("{base}/signin"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = &page[at..at + page[at..].find('"').unwrap()];
    let body = serde_json::json!({"country": "TR", "title": "Mersin port holds routers", "text": "x", "author": "vic"});
    let r = http
        .post(format!("{base}/api/reports"))
        .header("cookie", &session)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = http
        .post(format!("{base}/api/reports"))
        .header("cookie", &session)
        .header("x-csrf-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "rita cannot post as vic");
    let body =
        serde_json::json!({"country": "TR", "title": "Mersin port holds routers", "text": "x"});
    let r = http
        .post(format!("{base}/api/reports"))
        .header("cookie", &session)
        .header("x-csrf-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(author_of(r.json().await.unwrap()).as_deref(), Some("rita"));
}

#[tokio::test]
async fn a_429_without_retry_after_is_not_hammered_either() {
    let srv = FixtureServer::start().await;
    srv.sequence(
        "/a.json",
        vec![
            Reply::status(429),
            Reply::ok("application/json", r#"[{"id": 1, "title": "Aviso"}]"#),
        ],
    );
    let setup = Setup::new(
        &source_toml(
            "limited",
            "json",
            &srv.url("/a.json"),
            "item = \"$[*]\"\nitem_title = \"$.title\"\n",
        ),
        RATE_FETCH,
    );
    let clock = Clock::fixed(now());
    let app = setup.app().await.with_clock(clock.clone());
    let s = poll_source(&app, &setup.source("limited")).await.unwrap();
    assert!(matches!(s.status, PollStatus::Failed(_)), "{:?}", s.status);
    assert_eq!(srv.hits("/a.json"), 1, "retries = 3 does not ask again");
    let r = row(&app, "limited").await;
    assert_eq!(r.health, HealthState::RateLimited);
    let s = poll_source(&app, &setup.source("limited")).await.unwrap();
    assert!(
        matches!(s.status, PollStatus::Deferred(_)),
        "{:?}",
        s.status
    );
    clock.advance(chrono::Duration::seconds(61));
    let later = setup.app().await.with_clock(clock.clone());
    let s = poll_source(&later, &setup.source("limited")).await.unwrap();
    assert_eq!(s.status, PollStatus::Baseline);
    assert_eq!(srv.hits("/a.json"), 2);
}
