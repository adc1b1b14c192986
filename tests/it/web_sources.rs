//! Watching a new site without editing TOML: the source API and pages
//! (add, edit, pause, preview with candidate selectors), a source's
//! history and the diff of two snapshots, a channel's test message, the
//! outbox, and the CLI's `sources add|edit|pause|resume`. The daemon's own
//! HTTP stack on 127.0.0.1 over a live app the handlers reload; every peer
//! (sites, Slack, Teams, webhook, SMTP) is local.

use crate::helpers::{rss, FixtureServer, Reply, Setup};
use regwatch::app::LiveApp;
use std::time::Duration;

pub const ADA: &str = "ada-admin-token-1";
pub const VIC: &str = "vic-viewer-token-1";

/// The head of `sources/tr.toml` before any write: comments that must survive.
pub const TR_HEAD: &str = "# Türkiye — hand-written, keep these comments.\n\
[[source]]\nid = \"tr-old\"   # the first one\nname = \"Eski\"\njurisdiction = \"TR\"\nkind = \"feed\"\n\
url = \"http://127.0.0.1:9/old.xml\"\nschedule = \"0 * * * *\"\n# a trailing comment\n";

/// A setup with ada (admin) and vic (viewer), tokens in files, and a
/// hand-written `sources/tr.toml`.
pub fn users_setup(extra: &str) -> Setup {
    let users = "[server]\nbase_url = \"http://rw.test\"\n\n\
         [[user]]\nname = \"ada\"\ntoken_file = \"TOKENS/ada\"\nrole = \"admin\"\n\n\
         [[user]]\nname = \"vic\"\ntoken_file = \"TOKENS/vic\"\nrole = \"viewer\"\n";
    let s = Setup::new("", &format!("{extra}\n{users}"));
    std::fs::remove_file(s.root().join("sources/test.toml")).unwrap();
    std::fs::write(s.root().join("sources/tr.toml"), TR_HEAD).unwrap();
    let tokens = s.root().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    std::fs::write(tokens.join("ada"), ADA).unwrap();
    std::fs::write(tokens.join("vic"), VIC).unwrap();
    let cfg = std::fs::read_to_string(&s.config_path).unwrap();
    std::fs::write(
        &s.config_path,
        cfg.replace("TOKENS", &tokens.display().to_string()),
    )
    .unwrap();
    s
}

/// The daemon's routes on an ephemeral port, over a live app.
pub async fn serve(s: &Setup) -> (LiveApp, String) {
    let app = s.app().await;
    app.store.migrate().await.unwrap();
    let live = LiveApp::new(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let limits = regwatch::server::listen::ServerLimits {
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(10),
        max_connections: 64,
    };
    let router = regwatch::server::router(live.clone());
    tokio::spawn(regwatch::server::listen::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    (live, base)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post_json(
    base: &str,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut r = http().post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    let t = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)),
    )
}

async fn put_json(
    base: &str,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = http()
        .put(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or_default())
}

const LISTING: &str = "<html><body><nav><a href='/'>Ana sayfa</a><a href='/x'>İletişim</a></nav>\
<main><h1>Duyurular</h1><ul class='list'>\
<li><a href='/d/1'>Telsiz ekipmanı ithalatında yeni düzenleme</a> <span>01.12.2026</span></li>\
<li><a href='/d/2'>Gümrük vergisi oranlarında değişiklik (GTİP 8517.62)</a> <span>28.11.2026</span></li>\
<li><a href='/d/3'>Ürün güvenliği denetimlerine ilişkin tebliğ</a> <span>20.11.2026</span></li>\
<li><a href='/d/4'>Elektrikli ev aletlerinde CE işareti duyurusu</a> <span>15.11.2026</span></li>\
</ul></main><footer><a href='/k'>KVKK</a></footer></body></html>";

fn page_draft(id: &str, url: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "name": "Ticaret duyurular", "jurisdiction": "tr", "language": "tr",
        "kind": "page", "url": url, "extract": {"item": "ul.list > li"}})
}

// ---------------------------------------------------------------- API writes

#[tokio::test]
async fn an_admin_adds_a_source_the_file_gains_exactly_its_block_and_the_daemon_reloads_it() {
    let fx = FixtureServer::start().await;
    fx.set("/duyurular", Reply::html(LISTING));
    let s = users_setup("");
    let (live, base) = serve(&s).await;
    assert!(live.current().sources.get("tr-ticaret").is_none());
    let url = fx.url("/duyurular");

    // No token: 401; a viewer: 403; nothing written either time.
    let (st, _) = post_json(&base, "/api/sources", None, page_draft("tr-ticaret", &url)).await;
    assert_eq!(st, 401);
    let (st, v) = post_json(
        &base,
        "/api/sources",
        Some(VIC),
        page_draft("tr-ticaret", &url),
    )
    .await;
    assert_eq!(st, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("viewer"), "{v}");
    assert_eq!(
        std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap(),
        TR_HEAD
    );

    let (st, v) = post_json(
        &base,
        "/api/sources",
        Some(ADA),
        page_draft("tr-ticaret", &url),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["written"], true);
    assert_eq!(v["file"], "tr.toml");
    let text = std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap();
    let added = text
        .strip_prefix(TR_HEAD)
        .expect("the old text is kept byte for byte");
    assert_eq!(
        added,
        format!("\n[[source]]\nid = \"tr-ticaret\"\nname = \"Ticaret duyurular\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\nkind = \"page\"\nurl = \"{url}\"\n[source.extract]\nitem = \"ul.list > li\"\n"),
        "the diff is exactly the new block"
    );
    // The running configuration has it, and it is planned (due now).
    let app = live.current();
    let src = app
        .sources
        .get("tr-ticaret")
        .expect("reloaded without restart");
    assert_eq!(src.def.url.as_str(), url);
    // The audit line names the admin.
    let audit =
        regwatch::sources_edit::read_audit_log(&s.root().join("sources/.audit.log")).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].who, "ada");
    assert_eq!(audit[0].id, "tr-ticaret");

    // Edit (with the base the form was opened with), pause, resume: each reloads.
    let (st, d) = {
        let r = http()
            .get(format!("{base}/api/sources/tr-ticaret/definition"))
            .bearer_auth(ADA)
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<serde_json::Value>().await.unwrap(),
        )
    };
    assert_eq!(st, 200, "{d}");
    let mut changed = d["source"].clone();
    changed["schedule"] = serde_json::json!("0 7 * * 1-5");
    let (st, v) = put_json(
        &base,
        "/api/sources/tr-ticaret",
        ADA,
        serde_json::json!({"source": changed, "base": d["source"]}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["changes"][0]["field"], "schedule");
    assert_eq!(
        live.current()
            .sources
            .get("tr-ticaret")
            .unwrap()
            .def
            .schedule
            .as_deref(),
        Some("0 7 * * 1-5")
    );
    let (st, v) = post_json(
        &base,
        "/api/sources/tr-ticaret/pause",
        Some(ADA),
        serde_json::json!({"reason": "site rebuilt"}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert!(
        !live
            .current()
            .sources
            .get("tr-ticaret")
            .unwrap()
            .def
            .enabled
    );
    let text = std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap();
    assert!(
        text.contains("enabled = false # paused by ada on "),
        "{text}"
    );
    assert!(text.starts_with(TR_HEAD));
    let (st, _) = post_json(
        &base,
        "/api/sources/tr-ticaret/resume",
        Some(ADA),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(st, 200);
    assert!(
        live.current()
            .sources
            .get("tr-ticaret")
            .unwrap()
            .def
            .enabled
    );
    let (st, _) = post_json(
        &base,
        "/api/sources/tr-nope/pause",
        Some(ADA),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(st, 404);
    let audit =
        regwatch::sources_edit::read_audit_log(&s.root().join("sources/.audit.log")).unwrap();
    assert_eq!(audit.len(), 4, "add, edit, pause, resume: one line each");
}

#[tokio::test]
async fn a_save_that_fails_validation_writes_nothing_and_names_the_field() {
    let s = users_setup("");
    let (live, base) = serve(&s).await;
    let before = std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap();
    let cases = [
        (serde_json::json!({"schedule": "every day"}), "schedule"),
        (serde_json::json!({"timezone": "Mars/Olympus"}), "timezone"),
        (serde_json::json!({"kind": "website"}), "kind"),
        (serde_json::json!({"url": "ftp://x.example/a"}), "url"),
        (
            serde_json::json!({"extract": {"item": "li[["}}),
            "extract.item",
        ),
        (
            serde_json::json!({"extract": {"ignore": ["(unclosed"]}}),
            "extract.ignore",
        ),
        (serde_json::json!({"wait_for": "#x"}), "wait_for"),
        (
            serde_json::json!({"categories": ["astrology"]}),
            "categories",
        ),
        (serde_json::json!({"id": "tr-old"}), "id"),
        (
            serde_json::json!({"jurisdiction": "Narnia"}),
            "jurisdiction",
        ),
    ];
    for (patch, field) in cases {
        let mut d = page_draft("tr-new", "https://www.trade.gov.tr/duyurular");
        for (k, v) in patch.as_object().unwrap() {
            d[k] = v.clone();
        }
        let (st, v) = post_json(&base, "/api/sources", Some(ADA), d).await;
        assert_eq!(st, 422, "{field}: {v}");
        assert_eq!(v["field"], field, "{v}");
        assert!(!v["message"].as_str().unwrap_or("").is_empty(), "{v}");
    }
    // An unknown key is a bad request, not a silently dropped setting.
    let mut d = page_draft("tr-new", "https://www.trade.gov.tr/duyurular");
    d["scedule"] = serde_json::json!("0 7 * * *");
    let (st, v) = post_json(&base, "/api/sources", Some(ADA), d).await;
    assert_eq!(st, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("scedule"), "{v}");
    assert_eq!(
        std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap(),
        before
    );
    assert!(
        !s.root().join("sources/.audit.log").exists()
            || std::fs::read_to_string(s.root().join("sources/.audit.log"))
                .unwrap()
                .is_empty()
    );
    assert_eq!(
        std::fs::read_dir(s.root().join("sources"))
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml"))
            .count(),
        1,
        "no file created"
    );
    assert!(live.current().sources.get("tr-new").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_of_one_file_lose_no_write() {
    let s = users_setup("");
    let (live, base) = serve(&s).await;
    // Eight sources added at once into one file, and two edits of different
    // fields of one source opened from the same form.
    let adds = (0..8).map(|i| {
        let base = base.clone();
        tokio::spawn(async move {
            post_json(
                &base,
                "/api/sources",
                Some(ADA),
                page_draft(
                    &format!("tr-c{i}"),
                    &format!("https://www.trade.gov.tr/c{i}"),
                ),
            )
            .await
        })
    });
    let opened = serde_json::json!({"id": "tr-old", "name": "Eski", "jurisdiction": "TR", "kind": "feed",
        "url": "http://127.0.0.1:9/old.xml", "schedule": "0 * * * *"});
    let mut a = opened.clone();
    a["name"] = serde_json::json!("Eski (yeni adı)");
    let mut b = opened.clone();
    b["timezone"] = serde_json::json!("Europe/Istanbul");
    let edits = [a, b].map(|d| {
        let base = base.clone();
        let opened = opened.clone();
        tokio::spawn(async move {
            put_json(
                &base,
                "/api/sources/tr-old",
                ADA,
                serde_json::json!({"source": d, "base": opened}),
            )
            .await
        })
    });
    for h in adds {
        let (st, v) = h.await.unwrap();
        assert_eq!(st, 201, "{v}");
    }
    for h in edits {
        let (st, v) = h.await.unwrap();
        assert_eq!(st, 200, "{v}");
    }
    let text = std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap();
    for i in 0..8 {
        assert!(
            text.contains(&format!("id = \"tr-c{i}\"")),
            "tr-c{i} lost: {text}"
        );
    }
    assert!(text.contains("name = \"Eski (yeni adı)\""), "{text}");
    assert!(text.contains("timezone = \"Europe/Istanbul\""), "{text}");
    assert!(text.starts_with("# Türkiye — hand-written, keep these comments.\n[[source]]\nid = \"tr-old\"   # the first one\n"), "{text}");
    assert!(text.contains("# a trailing comment\n"), "{text}");
    let app = live.current();
    assert_eq!(app.sources.len(), 9);
    assert_eq!(
        app.sources.get("tr-old").unwrap().def.name,
        "Eski (yeni adı)"
    );
}

// ---------------------------------------------------------------- preview

#[tokio::test]
async fn preview_of_a_feed_a_page_a_json_api_and_a_pdf_stores_nothing() {
    let fx = FixtureServer::start().await;
    fx.set(
        "/feed.xml",
        Reply::xml(&rss(&[
            ("g1", "Thông báo về thiết bị vô tuyến", "Mã HS 8517.62"),
            ("g2", "Aviso: aranceles", "8471.30"),
        ])),
    );
    fx.set("/duyurular", Reply::html(LISTING));
    fx.set("/api.json", Reply::ok("application/json", br#"{"data":[{"titulo":"Acuerdo por el que se modifica la Tarifa","url":"https://dof.example/1"},{"titulo":"Decreto de aranceles","url":"https://dof.example/2"}]}"#.to_vec()));
    let pdf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pdf/notice.pdf"
    ))
    .unwrap();
    fx.set("/notice.pdf", Reply::ok("application/pdf", pdf));
    let s = users_setup("");
    let (live, base) = serve(&s).await;

    let draft = |kind: &str, url: String, extract: serde_json::Value| serde_json::json!({"id": "p", "name": "P", "jurisdiction": "VN", "kind": kind, "url": url, "extract": extract});
    // Feed
    let (st, v) = post_json(
        &base,
        "/api/sources/preview",
        Some(ADA),
        draft("feed", fx.url("/feed.xml"), serde_json::json!({})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["kind"], "items");
    assert_eq!(v["count"], 2);
    assert_eq!(v["items"][0]["title"], "Thông báo về thiết bị vô tuyến");
    assert!(v["suggestions"].is_null(), "no selectors for a feed");

    // Page without an item selector: one text, and candidates with counts and first titles.
    let (st, v) = post_json(
        &base,
        "/api/sources/preview",
        Some(ADA),
        draft("page", fx.url("/duyurular"), serde_json::json!({})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["kind"], "text");
    assert!(
        v["text"].as_str().unwrap().contains("Telsiz ekipmanı"),
        "{v}"
    );
    let cands = v["suggestions"]["candidates"].as_array().unwrap();
    let best = &cands[0];
    assert_eq!(best["count"], 4, "{v}");
    assert_eq!(
        best["titles"][0],
        "Telsiz ekipmanı ithalatında yeni düzenleme"
    );
    // Its selector, used, extracts exactly what the candidate showed.
    let (st, v2) = post_json(
        &base,
        "/api/sources/preview",
        Some(ADA),
        draft(
            "page",
            fx.url("/duyurular"),
            serde_json::json!({"item": best["item"]}),
        ),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(v2["kind"], "items");
    assert_eq!(v2["count"], 4, "{v2}");
    assert_eq!(
        v2["items"][1]["title"],
        "Gümrük vergisi oranlarında değişiklik (GTİP 8517.62)"
    );
    // A selector that matches nothing: said plainly, candidates still offered.
    let (st, v3) = post_json(
        &base,
        "/api/sources/preview",
        Some(ADA),
        draft(
            "page",
            fx.url("/duyurular"),
            serde_json::json!({"item": "div.nothing"}),
        ),
    )
    .await;
    assert_eq!(st, 200);
    assert!(
        v3["error"].as_str().unwrap_or("").contains("div.nothing"),
        "{v3}"
    );
    assert!(!v3["suggestions"]["candidates"]
        .as_array()
        .unwrap()
        .is_empty());

    // JSON API
    let (st, v) = post_json(&base, "/api/sources/preview", Some(ADA), draft("json", fx.url("/api.json"), serde_json::json!({"item": "$.data[*]", "item_title": "$.titulo", "item_link": "$.url"}))).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["count"], 2, "{v}");
    assert_eq!(
        v["items"][0]["title"],
        "Acuerdo por el que se modifica la Tarifa"
    );

    // PDF: its text.
    let (st, v) = post_json(
        &base,
        "/api/sources/preview",
        Some(ADA),
        draft("pdf", fx.url("/notice.pdf"), serde_json::json!({})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["kind"], "text", "{v}");
    assert!(v["text"].as_str().unwrap().len() > 20, "{v}");

    // A failed fetch is an answer, not a crash; a bad draft is an error on its field.
    let (st, v) = post_json(
        &base,
        "/api/sources/preview",
        Some(ADA),
        draft("page", fx.url("/missing"), serde_json::json!({})),
    )
    .await;
    assert_eq!(st, 200);
    assert!(v["error"].as_str().unwrap().contains("404"), "{v}");
    let (st, v) = post_json(
        &base,
        "/api/sources/preview",
        Some(ADA),
        draft("page", "not a url".into(), serde_json::json!({})),
    )
    .await;
    assert_eq!(st, 422);
    assert_eq!(v["field"], "url", "{v}");
    // A viewer may not make the daemon fetch.
    let (st, _) = post_json(
        &base,
        "/api/sources/preview",
        Some(VIC),
        draft("feed", fx.url("/feed.xml"), serde_json::json!({})),
    )
    .await;
    assert_eq!(st, 403);

    // Nothing was stored, nothing written.
    assert_eq!(live.current().store.count_snapshots("p").await.unwrap(), 0);
    assert_eq!(
        std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap(),
        TR_HEAD
    );
}

// ---------------------------------------------------------------- history

#[tokio::test]
async fn history_lists_snapshots_and_diffs_any_two_by_word() {
    history_on(None).await;
}

/// The history's queries on PostgreSQL too, when `REGWATCH_TEST_PG` names a server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_on_postgresql() {
    if let Some(db) = crate::store::TestDb::postgres().await {
        history_on(Some(&db.url)).await;
        db.cleanup().await;
    }
}

async fn history_on(store_url: Option<&str>) {
    let fx = FixtureServer::start().await;
    let a = "<html><body><main id='c'><p>Tarife: GTİP 8517.62 için gümrük vergisi yüzde 10 olarak uygulanır.</p></main></body></html>";
    let b = "<html><body><main id='c'><p>Tarife: GTİP 8517.62 için gümrük vergisi yüzde 20 olarak uygulanır.</p></main></body></html>";
    let c = "<html><body><main id='c'><p>Tarife: GTİP 8517.62 için gümrük vergisi yüzde 20 olarak uygulanır. Yürürlük: 01.01.2027.</p></main></body></html>";
    fx.sequence(
        "/tarife",
        vec![Reply::html(a), Reply::html(b), Reply::html(c)],
    );
    let s = users_setup("");
    let mut t = std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap();
    t.push_str(&format!("\n[[source]]\nid = \"tr-tarife\"\nname = \"Tarife\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\nkind = \"page\"\nurl = \"{}\"\n[source.extract]\ncontent = \"#c\"\n", fx.url("/tarife")));
    std::fs::write(s.root().join("sources/tr.toml"), t).unwrap();
    if let Some(url) = store_url {
        let cfg = std::fs::read_to_string(&s.config_path).unwrap();
        let line = cfg
            .lines()
            .find(|l| l.starts_with("url = \"sqlite://"))
            .unwrap();
        std::fs::write(
            &s.config_path,
            cfg.replacen(line, &format!("url = \"{url}\""), 1),
        )
        .unwrap();
    }
    let (live, base) = serve(&s).await;
    let app = live.current();
    let src = app.sources.get("tr-tarife").unwrap().clone();
    for _ in 0..3 {
        regwatch::poll::poll_source(&app, &src).await.unwrap();
    }
    let v: serde_json::Value = reqwest::get(format!("{base}/api/sources/tr-tarife/snapshots"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let snaps = v["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 3, "{v}");
    let (newest, oldest) = (
        snaps[0]["n"].as_i64().unwrap(),
        snaps[2]["n"].as_i64().unwrap(),
    );
    assert!(newest > oldest, "newest first");
    assert_eq!(snaps[0]["kind"], "text");
    assert!(snaps[0]["size"].as_u64().unwrap() > snaps[2]["size"].as_u64().unwrap());
    assert!(snaps[0]["taken_at"].as_str().unwrap().ends_with("UTC"));

    let one: serde_json::Value =
        reqwest::get(format!("{base}/api/sources/tr-tarife/snapshots/{oldest}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(
        one["content"]["text"]
            .as_str()
            .unwrap()
            .contains("yüzde 10"),
        "{one}"
    );

    let d: serde_json::Value = reqwest::get(format!(
        "{base}/api/sources/tr-tarife/diff?from={oldest}&to={newest}"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let pieces = d["diff"].as_array().unwrap();
    let of = |tag: &str| {
        pieces
            .iter()
            .filter(|p| p["tag"] == tag)
            .map(|p| p["text"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("|")
    };
    assert!(of("del").contains("10"), "{d}");
    assert!(of("ins").contains("20"), "{d}");
    assert!(of("ins").contains("Yürürlük"), "{d}");
    assert!(of("same").contains("gümrük vergisi"), "{d}");
    assert!(
        !of("del").contains("gümrük"),
        "a word diff, not a line diff: {d}"
    );

    // The page: the list with links to each snapshot, and the diff marked.
    let page = reqwest::get(format!(
        "{base}/sources/tr-tarife/history?from={oldest}&to={newest}"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(page.matches("class=\"snapshot\"").count(), 3, "{page}");
    assert!(
        page.contains(&format!("/sources/tr-tarife/snapshots/{oldest}")),
        "{page}"
    );
    assert!(page.contains("<ins class=\"add\">"), "{page}");
    assert!(page.contains("<del class=\"del\">"), "{page}");
    let one = reqwest::get(format!("{base}/sources/tr-tarife/snapshots/{oldest}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(one.contains("yüzde 10"), "{one}");

    // Absurd requests get a clear answer.
    let r = reqwest::get(format!("{base}/api/sources/tr-tarife/diff?from=abc&to=1"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("from=abc"));
    let r = reqwest::get(format!(
        "{base}/api/sources/tr-tarife/diff?from=999999&to={newest}"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let r = reqwest::get(format!("{base}/api/sources/nobody/snapshots"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Another source's snapshot is not this one's.
    let r = reqwest::get(format!("{base}/api/sources/tr-old/snapshots/{oldest}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

// ---------------------------------------------------------------- web pages

/// The value of hidden/field `name="…" value="…"` in a page, unescaped as a browser reads it.
pub fn attr_value(page: &str, marker: &str) -> Option<String> {
    let at = page.find(marker)? + marker.len();
    let raw = &page[at..at + page[at..].find('"')?];
    Some(
        raw.replace("&#x2f;", "/")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Sign in with `token`: the session cookie pair.
pub async fn sign_in(base: &str, token: &str) -> String {
    let c = http();
    let r = c.get(format!("{base}/signin")).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|p| p.starts_with("rw_signin="))
        .unwrap();
    let page = r.text().await.unwrap();
    let csrf = attr_value(&page, "name=\"csrf\" value=\"").unwrap();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .append_pair("next", "/")
        .append_pair("csrf", &csrf)
        .finish();
    let r = c
        .post(format!("{base}/signin"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|p| p.starts_with("rw_session="))
        .unwrap()
}

async fn get_page(base: &str, path: &str, session: &str) -> (u16, String) {
    let r = http()
        .get(format!("{base}{path}"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_form(
    base: &str,
    path: &str,
    session: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    http()
        .post(format!("{base}{path}"))
        .header("cookie", session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(s.finish())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_source_form_previews_offers_selectors_uses_one_and_saves_and_a_viewer_gets_no_form() {
    let fx = FixtureServer::start().await;
    fx.set("/duyurular", Reply::html(LISTING));
    let s = users_setup("");
    let (live, base) = serve(&s).await;
    let url = fx.url("/duyurular");

    // Not signed in: to the sign-in page. A viewer: 403 and no form.
    let r = http()
        .get(format!("{base}/sources/new"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/signin?next="));
    let vic = sign_in(&base, VIC).await;
    let (st, page) = get_page(&base, "/sources/new", &vic).await;
    assert_eq!(st, 403);
    assert!(!page.contains("id=\"source-form\""), "{page}");
    assert!(page.contains("only admins"), "{page}");
    let (st, _) = get_page(&base, "/sources/tr-old/edit", &vic).await;
    assert_eq!(st, 403);

    let ada = sign_in(&base, ADA).await;
    let (st, page) = get_page(&base, "/sources/new", &ada).await;
    assert_eq!(st, 200);
    assert!(page.contains("id=\"source-form\""));
    let csrf = attr_value(&page, "name=\"csrf\" value=\"").unwrap();
    let fields = |extra: &[(&'static str, String)]| {
        let mut v: Vec<(&'static str, String)> = vec![
            ("csrf", csrf.clone()),
            ("id", "tr-ticaret".into()),
            ("name", "Ticaret — duyurular".into()),
            ("jurisdiction", "TR".into()),
            ("language", "tr".into()),
            ("kind", "page".into()),
            ("url", url.clone()),
        ];
        v.extend_from_slice(extra);
        v
    };
    let send = |v: Vec<(&'static str, String)>| {
        let base = base.clone();
        let ada = ada.clone();
        async move {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&base, "/sources/new", &ada, &pairs).await
        }
    };

    // A forged form (no CSRF token) is refused.
    let r = post_form(
        &base,
        "/sources/new",
        &ada,
        &[("action", "save"), ("id", "x")],
    )
    .await;
    assert_eq!(r.status(), 403);

    // Preview: the page as one text, and the candidates with counts and titles.
    let r = send(fields(&[("action", "preview".into())])).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"preview\""), "{page}");
    assert!(page.contains("id=\"candidates\""), "{page}");
    assert!(page.contains("4 entries"), "{page}");
    assert!(
        page.contains("Telsiz ekipmanı ithalatında yeni düzenleme"),
        "{page}"
    );
    let chosen = attr_value(&page, "name=\"use\" value=\"").expect("a candidate to use");

    // One click on "Use this": the selector lands in the form, previewed again.
    let r = send(fields(&[("use", chosen.clone())])).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let item = attr_value(&page, "name=\"extract.item\" value=\"").unwrap();
    assert!(!item.is_empty(), "{page}");
    assert!(page.contains("<strong>4 items</strong>"), "{page}");
    assert!(page.contains("Gümrük vergisi oranlarında değişiklik (GTİP 8517.62)"));

    // Save with a bad schedule: the error beside the field, nothing written.
    let r = send(fields(&[
        ("action", "save".into()),
        ("extract.item", item.clone()),
        ("schedule", "every morning".into()),
    ]))
    .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"error-schedule\""), "{page}");
    assert_eq!(
        std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap(),
        TR_HEAD
    );

    // Save: written, reloaded, and the edit page says so.
    let r = send(fields(&[
        ("action", "save".into()),
        ("extract.item", item.clone()),
    ]))
    .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, "/sources/tr-ticaret/edit?saved=1");
    let text = std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap();
    assert!(text.starts_with(TR_HEAD), "{text}");
    assert!(
        text[TR_HEAD.len()..].contains(&format!("item = {}", toml_str(&item))),
        "{text}"
    );
    assert!(live.current().sources.get("tr-ticaret").is_some());
    let (st, page) = get_page(&base, &to, &ada).await;
    assert_eq!(st, 200);
    assert!(page.contains("id=\"notice\""), "{page}");

    // Pause from the edit page, then resume.
    let csrf2 = attr_value(&page, "name=\"csrf\" value=\"").unwrap();
    let r = post_form(
        &base,
        "/sources/tr-ticaret/state",
        &ada,
        &[("csrf", &csrf2), ("do", "pause"), ("reason", "bakım")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        !live
            .current()
            .sources
            .get("tr-ticaret")
            .unwrap()
            .def
            .enabled
    );
    let (_, page) = get_page(&base, "/sources/tr-ticaret/edit", &ada).await;
    assert!(page.contains("paused by ada on"), "{page}");
    assert!(page.contains(": bakım"), "{page}");
    let r = post_form(
        &base,
        "/sources/tr-ticaret/state",
        &ada,
        &[("csrf", &csrf2), ("do", "resume")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        live.current()
            .sources
            .get("tr-ticaret")
            .unwrap()
            .def
            .enabled
    );

    // Edit: the name changes, nothing else in the file.
    let (_, page) = get_page(&base, "/sources/tr-ticaret/edit", &ada).await;
    let before = std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap();
    let base_json = attr_value(&page, "name=\"base\" value=\"").unwrap();
    let r = post_form(
        &base,
        "/sources/tr-ticaret/edit",
        &ada,
        &[
            ("csrf", &csrf2),
            ("base", &base_json),
            ("action", "save"),
            ("name", "Ticaret Bakanlığı duyuruları"),
            ("jurisdiction", "TR"),
            ("language", "tr"),
            ("kind", "page"),
            ("url", &url),
            ("extract.item", &item),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let after = std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap();
    assert_eq!(
        after,
        before.replace(
            "name = \"Ticaret — duyurular\"",
            "name = \"Ticaret Bakanlığı duyuruları\""
        )
    );
}

/// A TOML basic string as the editor writes it (for the selectors used here).
fn toml_str(s: &str) -> String {
    if s.contains('"') || s.contains('\\') {
        format!("'{s}'")
    } else {
        format!("\"{s}\"")
    }
}

// ---------------------------------------------------------------- channels

/// A local receiver of POSTs: (path, body) of each, answered 200.
async fn receiver() -> (
    std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
    std::net::SocketAddr,
) {
    let got: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>> = Default::default();
    let g = got.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, body: String| {
        let g = g.clone();
        async move {
            g.lock().unwrap().push((uri.path().to_string(), body));
            "ok"
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (got, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_channel_kind_sends_a_test_message_marked_as_a_test_and_the_outbox_shows_what_waits() {
    let (got, addr) = receiver().await;
    let port = crate::notify::free_port();
    let mails = crate::notify::start_smtp(port);
    let channels = format!(
        "[[channel]]\nname = \"slack\"\ntype = \"slack\"\nwebhook_url = \"http://{addr}/slack\"\n\n\
         [[channel]]\nname = \"teams\"\ntype = \"teams\"\nwebhook_url = \"http://{addr}/teams\"\n\n\
         [[channel]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://{addr}/hook\"\nsecret = \"k\"\n\n\
         [[channel]]\nname = \"mail\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"regwatch@example.com\"\nto = [\"a@example.com\"]\n\n\
         [[channel]]\nname = \"down\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\nsecret = \"k\"\n"
    );
    let s = users_setup(&channels);
    let (live, base) = serve(&s).await;
    for (name, path) in [("slack", "/slack"), ("teams", "/teams"), ("hook", "/hook")] {
        let (st, v) = post_json(
            &base,
            &format!("/api/channels/{name}/test"),
            Some(ADA),
            serde_json::json!({}),
        )
        .await;
        assert_eq!(st, 200, "{name}: {v}");
        let g = got.lock().unwrap().clone();
        let (_, body) = g
            .iter()
            .rev()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("{name} got nothing: {g:?}"));
        assert!(body.contains("TEST"), "{name}: {body}");
        assert!(body.contains("test message"), "{name}: {body}");
    }
    let (st, v) = post_json(
        &base,
        "/api/channels/mail/test",
        Some(ADA),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let m = mails.lock().unwrap().clone();
    assert_eq!(m.len(), 1);
    let mail = crate::notify::parse_mail(&m[0]);
    assert!(
        mail.subject().unwrap_or("").contains("TEST"),
        "{:?}",
        mail.subject()
    );
    // A receiver that is down: the channel's own error, as a 502.
    let (st, v) = post_json(
        &base,
        "/api/channels/down/test",
        Some(ADA),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(st, 502, "{v}");
    assert!(v["error"].as_str().unwrap().contains("`down`"), "{v}");
    // Unknown channel; a viewer.
    let (st, v) = post_json(
        &base,
        "/api/channels/nope/test",
        Some(ADA),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(st, 404);
    assert!(v["error"].as_str().unwrap().contains("slack"), "{v}");
    let (st, _) = post_json(
        &base,
        "/api/channels/slack/test",
        Some(VIC),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(st, 403);
    // A test message is not an alert: nothing was queued.
    assert!(live.current().store.deliveries().await.unwrap().is_empty());

    // The outbox: a field report queues one delivery per channel; "down" fails with its reason.
    regwatch::services::reports::add(
        &live.current(),
        &regwatch::services::reports::FieldReport {
            country: "TR".into(),
            hs: vec!["8517.62".into()],
            title: "Telsiz ithalatı durduruldu".into(),
            text: "Gümrükte 8517.62 telsiz cihazları bekletiliyor".into(),
            author: Some("ada".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let r = http()
        .post(format!("{base}/api/outbox/retry"))
        .bearer_auth(ADA)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = http()
        .get(format!("{base}/api/outbox"))
        .bearer_auth(ADA)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = v["deliveries"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        1,
        "only the one to the channel that is down waits: {v}"
    );
    assert_eq!(rows[0]["channel"], "down");
    assert_eq!(rows[0]["state"], "failed");
    assert!(!rows[0]["reason"].as_str().unwrap_or("").is_empty(), "{v}");
    let r = http()
        .get(format!("{base}/api/outbox"))
        .bearer_auth(VIC)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The page.
    let ada = sign_in(&base, ADA).await;
    let (st, page) = get_page(&base, "/outbox", &ada).await;
    assert_eq!(st, 200);
    assert!(page.contains("class=\"failed\""), "{page}");
    assert!(page.contains("id=\"retry\""), "{page}");
    let (st, page) = get_page(&base, "/channels", &ada).await;
    assert_eq!(st, 200);
    assert_eq!(page.matches("Send a test message").count(), 5, "{page}");
    let vic = sign_in(&base, VIC).await;
    let (_, page) = get_page(&base, "/channels", &vic).await;
    assert!(!page.contains("Send a test message</button>"), "{page}");
    let (st, _) = get_page(&base, "/outbox", &vic).await;
    assert_eq!(st, 403);
}

// ---------------------------------------------------------------- CLI

#[test]
fn the_cli_adds_edits_pauses_and_resumes_keeping_the_file_and_refusing_bad_input() {
    let s = users_setup("");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
            .arg("--config")
            .arg(&s.config_path)
            .args(args)
            .env("USER", "ayse")
            .env("REGWATCH_LOG", "warn")
            .output()
            .unwrap();
        (
            o.status.code().unwrap(),
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let file = s.root().join("sources/vn.toml");
    let (code, out, err) = run(&[
        "sources",
        "add",
        "--id",
        "vn-customs",
        "--name",
        "Hải quan — thông báo",
        "--jurisdiction",
        "vn",
        "--language",
        "vi",
        "--kind",
        "page",
        "--url",
        "https://www.customs.gov.vn/thong-bao",
        "--item",
        "#content tbody > tr",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("vn-customs"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("name = \"Hải quan — thông báo\"\njurisdiction = \"VN\""),
        "{text}"
    );
    // A bad schedule: exit 2, the option named, nothing written.
    let (code, _, err) = run(&[
        "sources",
        "edit",
        "vn-customs",
        "--schedule",
        "sáng mỗi ngày",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--schedule"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let (code, _, err) = run(&[
        "sources",
        "edit",
        "vn-customs",
        "--schedule",
        "0 8 * * 1-5",
        "--timezone",
        "Asia/Ho_Chi_Minh",
    ]);
    assert_eq!(code, 0, "{err}");
    let text2 = std::fs::read_to_string(&file).unwrap();
    assert!(
        text2.contains("schedule = \"0 8 * * 1-5\"\ntimezone = \"Asia/Ho_Chi_Minh\""),
        "{text2}"
    );
    let (code, _, err) = run(&[
        "sources",
        "pause",
        "vn-customs",
        "--reason",
        "trang đang bảo trì",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("# paused by ayse on "));
    let (code, _, err) = run(&["sources", "resume", "vn-customs"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text2);
    let (code, _, err) = run(&["sources", "pause", "vn-nope"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["sources", "edit", "vn-customs", "--unset", "url"]);
    assert_eq!(code, 2, "{err}");
    let audit =
        regwatch::sources_edit::read_audit_log(&s.root().join("sources/.audit.log")).unwrap();
    assert_eq!(
        audit.iter().map(|a| a.who.as_str()).collect::<Vec<_>>(),
        ["ayse"; 4]
    );
    // The TR file was never touched.
    assert_eq!(
        std::fs::read_to_string(s.root().join("sources/tr.toml")).unwrap(),
        TR_HEAD
    );
}

/// The list is empty in the markup and built by a script after load.
const JS_LIST: &str = r#"<html><body><main><h1>Thông báo</h1><ul id="list"></ul></main>
<script>
const titles = ["Thông báo về thiết bị vô tuyến điện", "Quy định mới về mã HS 8517.62", "Hướng dẫn kiểm tra chuyên ngành"];
const ul = document.getElementById("list");
setTimeout(() => {
  titles.forEach((t, i) => {
    const li = document.createElement("li");
    li.className = "notice";
    const a = document.createElement("a");
    a.href = "/tb/" + (i + 1);
    a.textContent = t;
    li.appendChild(a);
    ul.appendChild(li);
  });
}, 100);
</script></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_renders_a_javascript_page_in_the_browser_and_suggests_its_list() {
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        eprintln!("SKIPPED: /usr/bin/chromium is missing (apt-get install chromium)");
        return;
    }
    let fx = FixtureServer::start().await;
    fx.set("/thong-bao", Reply::html(JS_LIST));
    let s = users_setup(
        "[fetch]\ntimeout = \"20s\"\nper_host_interval = \"0s\"\nretries = 0\nrobots_txt = false\nmax_bytes = 200_000\nbrowser = \"/usr/bin/chromium\"\nbrowser_concurrency = 1\n\n[schedule]\njitter = \"0s\"\n",
    );
    let (_live, base) = serve(&s).await;
    let draft = |render: bool| {
        let mut d = serde_json::json!({"id": "vn-tb", "name": "Thông báo", "jurisdiction": "VN", "language": "vi",
            "kind": "page", "url": fx.url("/thong-bao")});
        if render {
            d["render"] = serde_json::json!("browser");
            d["wait_for"] = serde_json::json!("#list li");
        }
        d
    };
    // Fetched plainly, the list is not there: no candidate.
    let (st, v) = post_json(&base, "/api/sources/preview", Some(ADA), draft(false)).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["rendered"], false);
    assert!(
        v["suggestions"]["candidates"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{v}"
    );
    // Rendered, as a poll of this draft would: the script's list, as candidates.
    let (st, v) = post_json(&base, "/api/sources/preview", Some(ADA), draft(true)).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["rendered"], true);
    assert!(v["error"].is_null(), "{v}");
    let c = &v["suggestions"]["candidates"][0];
    assert_eq!(c["count"], 3, "{v}");
    assert_eq!(c["titles"][1], "Quy định mới về mã HS 8517.62", "{v}");
    assert!(
        v["text"].as_str().unwrap().contains("thiết bị vô tuyến"),
        "{v}"
    );
}
