//! The core: real HTTP over 127.0.0.1 against a local server whose content
//! changes between polls; snapshots, diffs, failures, crash safety.

use crate::helpers::*;
use regwatch::model::ChangeKind;
use regwatch::model::PollStatus;
use regwatch::poll::poll_source;
use regwatch::store::ChangeFilter;
use std::time::Duration;

async fn changes(app: &regwatch::app::App) -> Vec<regwatch::model::Change> {
    let mut v = app.store.changes(&ChangeFilter::default()).await.unwrap();
    v.reverse();
    v
}

#[tokio::test]
async fn feed_gaining_an_item_and_an_edited_entry() {
    let srv = FixtureServer::start().await;
    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[("1", "Eski duyuru", "metin")])),
    );
    let setup = Setup::new(&source_toml("feed", "feed", &srv.url("/feed.xml"), ""), "");
    let app = setup.app().await;
    let src = setup.source("feed");

    let s = poll_source(&app, &src).await.unwrap();
    assert_eq!(
        s.status,
        PollStatus::Baseline,
        "the first snapshot is a silent baseline"
    );
    assert!(changes(&app).await.is_empty());

    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[
            (
                "2",
                "Telsiz ekipmanları yönetmeliği",
                "GTİP 8517.62 yeni kural",
            ),
            ("1", "Eski duyuru", "metin"),
        ])),
    );
    let s = poll_source(&app, &src).await.unwrap();
    assert_eq!(s.status, PollStatus::Changed(1));
    let c = changes(&app).await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, ChangeKind::Added);
    assert_eq!(c[0].title, "Telsiz ekipmanları yönetmeliği");
    assert_eq!(c[0].link.as_deref(), Some("http://example.invalid/2"));
    assert_eq!(c[0].hs_codes, vec!["8517.62"]);

    // The same content again: nothing new.
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Unchanged
    );

    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[
            (
                "2",
                "Telsiz ekipmanları yönetmeliği",
                "GTİP 8517.62 yeni kural, 1 Ocak 2027",
            ),
            ("1", "Eski duyuru", "metin"),
        ])),
    );
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Changed(1)
    );
    let c = changes(&app).await;
    assert_eq!(c.len(), 2);
    assert_eq!(c[1].kind, ChangeKind::Modified);
    assert!(
        c[1].diff.contains("+GTİP 8517.62 yeni kural, 1 Ocak 2027"),
        "{}",
        c[1].diff
    );
    assert!(
        c[1].diff.contains("-GTİP 8517.62 yeni kural"),
        "{}",
        c[1].diff
    );
}

const LISTING: &str = r#"<html><body><nav>Menü <span class="clock">10:02:11</span></nav>
<div id="list"><p class="updated">Güncelleme: 25.11.2026 10:02</p><ul>
{items}
</ul><div class="banner">{banner}</div></div></body></html>"#;

fn listing(items: &[(&str, &str)], banner: &str) -> String {
    let li: String = items
        .iter()
        .map(|(slug, title)| format!("<li><a href=\"/duyuru/{slug}\">{title}</a></li>\n"))
        .collect();
    LISTING.replace("{items}", &li).replace("{banner}", banner)
}

const LISTING_RULES: &str =
    "content = \"#list\"\nexclude = [\".banner\"]\nitem = \"li\"\nignore = ['Güncelleme: .*']\n";

#[tokio::test]
async fn listing_page_gains_loses_and_edits_items() {
    let srv = FixtureServer::start().await;
    srv.set(
        "/duyurular",
        Reply::html(&listing(
            &[("a", "Duyuru A"), ("b", "Duyuru B"), ("c", "Duyuru C")],
            "x",
        )),
    );
    let setup = Setup::new(
        &source_toml("list", "page", &srv.url("/duyurular"), LISTING_RULES),
        "",
    );
    let app = setup.app().await;
    let src = setup.source("list");
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Baseline
    );

    srv.set(
        "/duyurular",
        Reply::html(&listing(
            &[
                ("d", "Duyuru D"),
                ("a", "Duyuru A (düzeltildi)"),
                ("c", "Duyuru C"),
            ],
            "x",
        )),
    );
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Changed(3)
    );
    let c = changes(&app).await;
    let kinds: Vec<(ChangeKind, &str)> = c.iter().map(|c| (c.kind, c.title.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            (ChangeKind::Added, "Duyuru D"),
            (ChangeKind::Modified, "Duyuru A (düzeltildi)"),
            (ChangeKind::Removed, "Duyuru B"),
        ]
    );
    let base = format!("http://{}", srv.addr);
    assert_eq!(
        c[0].link.as_deref(),
        Some(format!("{base}/duyuru/d").as_str()),
        "links are made absolute"
    );
}

#[tokio::test]
async fn noise_in_excluded_or_ignored_parts_is_no_change() {
    let srv = FixtureServer::start().await;
    srv.set(
        "/p",
        Reply::html(&listing(&[("a", "Duyuru A")], "Banner 1")),
    );
    let setup = Setup::new(
        &source_toml("noise", "page", &srv.url("/p"), LISTING_RULES),
        "",
    );
    let app = setup.app().await;
    let src = setup.source("noise");
    poll_source(&app, &src).await.unwrap();
    // Rotating banner (excluded), timestamp (ignored), clock outside content,
    // invisible characters and spacing.
    let page = listing(&[("a", "Duyuru\u{200B}  A")], "Banner 2 — kampanya")
        .replace("10:02:11", "10:32:45")
        .replace("25.11.2026 10:02", "25.11.2026 10:32");
    srv.set("/p", Reply::html(&page));
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Unchanged
    );
    assert!(changes(&app).await.is_empty());
    assert_eq!(
        app.store.count_snapshots("noise").await.unwrap(),
        1,
        "identical content is stored once"
    );
}

#[tokio::test]
async fn not_modified_costs_no_parse_and_no_change() {
    let srv = FixtureServer::start().await;
    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[("1", "A", "a")])).with_etag("\"v1\""),
    );
    let setup = Setup::new(&source_toml("cond", "feed", &srv.url("/feed.xml"), ""), "");
    let app = setup.app().await;
    let src = setup.source("cond");
    poll_source(&app, &src).await.unwrap();
    let s = poll_source(&app, &src).await.unwrap();
    assert_eq!(s.status, PollStatus::NotModified);
    assert_eq!(
        srv.not_modified("/feed.xml"),
        1,
        "the second request was conditional"
    );
    assert!(changes(&app).await.is_empty());
    // A changed feed with a new ETag is fetched and diffed again.
    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[("2", "B", "b"), ("1", "A", "a")])).with_etag("\"v2\""),
    );
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Changed(1)
    );
}

#[tokio::test]
async fn windows_1254_page_is_decoded() {
    let srv = FixtureServer::start().await;
    let html = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1254\"></head><body><div id=\"c\"><ul><li><a href=\"/1.htm\">Tıbbi Cihaz Yönetmeliğinde Değişiklik Yapılmasına Dair Yönetmelik — İŞĞÜÇÖ ışğüçö</a></li></ul></div></body></html>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1254.encode(html);
    srv.set("/rg.htm", Reply::ok("text/html", bytes.into_owned()));
    let setup = Setup::new(
        &source_toml(
            "rg",
            "page",
            &srv.url("/rg.htm"),
            "content = \"#c\"\nitem = \"li\"\n",
        ),
        "",
    );
    let src = setup.source("rg");
    let app = setup.app().await;
    let content = regwatch::poll::test_source(&app.fetcher, &src, crate::helpers::now())
        .await
        .unwrap();
    let regwatch::model::Content::Items { items } = content else {
        panic!("items expected")
    };
    assert_eq!(
        items[0].title,
        "Tıbbi Cihaz Yönetmeliğinde Değişiklik Yapılmasına Dair Yönetmelik — İŞĞÜÇÖ ışğüçö"
    );
}

fn gzip_bomb() -> Vec<u8> {
    use flate2::write::GzEncoder;
    use std::io::Write;
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        e.write_all(&zeros).unwrap();
    }
    e.finish().unwrap()
}

/// Every broken answer is a failed poll with a clear reason; nothing is
/// stored as content, and the next good answer yields no "removed" change.
#[tokio::test]
async fn broken_answers_are_failed_polls_not_content() {
    let srv = FixtureServer::start().await;
    let good_feed = rss(&[("1", "A", "a"), ("2", "B", "b")]);
    let good_page = listing(&[("a", "Duyuru A"), ("b", "Duyuru B")], "x");
    let big = format!(
        "<html><body><div id=\"list\"><ul><li><a href=\"/x\">x</a></li></ul>{}</div></body></html>",
        "y".repeat(300_000)
    );
    let cases: Vec<(&str, &str, Reply, &str)> = vec![
        ("over-cap", "page", Reply::html(&big), "larger than the cap"),
        ("gzip-bomb", "page", Reply::ok("text/html", gzip_bomb()).header("content-encoding", "gzip"), "larger than the cap"),
        ("timeout", "page", Reply::html(&good_page).delayed(Duration::from_secs(5)), "timed out"),
        ("redirect-loop", "page", Reply::status(302).header("location", "/redirect-loop"), "too many redirects"),
        ("forbidden", "page", Reply::status(403), "HTTP 403"),
        ("malformed-xml", "feed", Reply::xml("<rss><channel><item><title>x</channel>"), "malformed feed"),
        ("blocked", "page", Reply::html("<html><body><div id=\"list\"><ul><li>The requested URL was rejected. Request Rejected. Your support ID is 1</li></ul></div></body></html>"), "blocked page"),
        ("selector-empty", "page", Reply::html("<html><body><div id=\"list\"><p>Bakımdayız</p></div></body></html>"), "matched nothing"),
        ("empty", "page", Reply::html("   "), "empty"),
    ];
    let mut toml = String::new();
    for (id, kind, _, _) in &cases {
        let rules = if *kind == "page" {
            format!("{LISTING_RULES}fail_if = [\"Request Rejected\"]\n")
        } else {
            String::new()
        };
        toml.push_str(&source_toml(id, kind, &srv.url(&format!("/{id}")), &rules));
    }
    let setup = Setup::new(&toml, "");
    let app = setup.app().await;
    for (id, kind, bad, reason) in cases {
        // First a good baseline, then the broken answer, then good again.
        let good = if kind == "feed" {
            Reply::xml(&good_feed)
        } else {
            Reply::html(&good_page)
        };
        srv.set(&format!("/{id}"), good.clone());
        let src = setup.source(id);
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Baseline,
            "{id}"
        );
        srv.set(&format!("/{id}"), bad);
        let s = poll_source(&app, &src).await.unwrap();
        match &s.status {
            PollStatus::Failed(e) => assert!(
                e.to_lowercase().contains(&reason.to_lowercase()),
                "{id}: `{e}` should mention `{reason}`"
            ),
            other => panic!("{id}: expected a failed poll, got {other:?}"),
        }
        assert_eq!(
            app.store.count_snapshots(id).await.unwrap(),
            1,
            "{id}: nothing stored as content"
        );
        let state = app.store.state(id).await.unwrap();
        assert_eq!(state.consecutive_failures, 1, "{id}");
        let log = app.store.fetch_log(id, 1).await.unwrap();
        assert_eq!(log[0].0, "failed");
        srv.set(&format!("/{id}"), good);
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Unchanged,
            "{id}: back to normal, no change"
        );
    }
    assert!(
        changes(&app).await.is_empty(),
        "no failure was ever reported as removed content"
    );
}

#[tokio::test]
async fn a_503_is_retried_then_succeeds() {
    let srv = FixtureServer::start().await;
    srv.sequence(
        "/f",
        vec![Reply::status(503), Reply::xml(&rss(&[("1", "A", "a")]))],
    );
    let setup = Setup::new(&source_toml("retry", "feed", &srv.url("/f"), ""), "");
    let app = setup.app().await;
    let s = poll_source(&app, &setup.source("retry")).await.unwrap();
    assert_eq!(s.status, PollStatus::Baseline);
    assert_eq!(srv.hits("/f"), 2, "one retry after the 503");

    // Without retries, the 503 is a failed poll and the next poll succeeds.
    let srv = FixtureServer::start().await;
    srv.sequence(
        "/f",
        vec![
            Reply::xml(&rss(&[("1", "A", "a")])),
            Reply::status(503),
            Reply::xml(&rss(&[("1", "A", "a")])),
        ],
    );
    let extra = FAST_FETCH.replace("retries = 2", "retries = 0");
    let setup = Setup::new(&source_toml("noretry", "feed", &srv.url("/f"), ""), &extra);
    let app = setup.app().await;
    let src = setup.source("noretry");
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Baseline
    );
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Failed("HTTP 503".into())
    );
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Unchanged
    );
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let srv = FixtureServer::start().await;
    srv.sequence(
        "/f",
        vec![
            Reply::status(429).header("retry-after", "1"),
            Reply::xml(&rss(&[("1", "A", "a")])),
        ],
    );
    let setup = Setup::new(&source_toml("rl", "feed", &srv.url("/f"), ""), "");
    let app = setup.app().await;
    let t = std::time::Instant::now();
    assert_eq!(
        poll_source(&app, &setup.source("rl")).await.unwrap().status,
        PollStatus::Baseline
    );
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "waited for Retry-After"
    );
}

/// SIGKILL in the middle of a pass, then a second pass: no partial snapshot,
/// no change lost or doubled.
#[tokio::test]
async fn sigkill_mid_pass_loses_and_doubles_nothing() {
    let srv = FixtureServer::start().await;
    let n = 12;
    let mut toml = String::new();
    for i in 0..n {
        srv.set(&format!("/s{i}"), Reply::xml(&rss(&[("1", "A", "a")])));
        toml.push_str(&source_toml(
            &format!("s{i}"),
            "feed",
            &srv.url(&format!("/s{i}")),
            "",
        ));
    }
    let extra = format!("{FAST_FETCH}\n").replace("[fetch]", "[fetch]\nconcurrency = 2");
    let setup = Setup::new(&toml, &extra);
    let out = setup.run(&["poll"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for i in 0..n {
        srv.set(
            &format!("/s{i}"),
            Reply::xml(&rss(&[("2", "Yeni", "b"), ("1", "A", "a")]))
                .delayed(Duration::from_millis(300)),
        );
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&setup.config_path)
        .arg("poll")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    let app = setup.app().await;
    let recorded_before = app.store.count_changes().await.unwrap();
    assert!(
        recorded_before < n as i64,
        "the kill happened mid-pass ({recorded_before} recorded)"
    );
    let out = setup.run(&["poll"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = app.store.changes(&ChangeFilter::default()).await.unwrap();
    assert_eq!(all.len(), n, "exactly one change per source");
    for i in 0..n {
        let id = format!("s{i}");
        assert_eq!(all.iter().filter(|c| c.source == id).count(), 1, "{id}");
        assert_eq!(
            app.store.count_snapshots(&id).await.unwrap(),
            2,
            "{id}: baseline + one new snapshot"
        );
    }
}

/// `regwatch init` in an empty folder, `sources check`, `poll` against a
/// local source, `changes --format json` in the shape DESIGN.md fixes.
#[tokio::test]
async fn init_check_poll_changes_from_an_empty_folder() {
    let srv = FixtureServer::start().await;
    srv.set("/feed.xml", Reply::xml(&rss(&[("1", "Eski", "x")])));
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_regwatch");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .current_dir(dir.path())
            .env("REGWATCH_LOG", "warn")
            .env_remove("REGWATCH_CONFIG")
            .output()
            .unwrap()
    };
    let out = run(&["init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("config/regwatch.toml").exists());
    let out = run(&["sources", "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("user_agent still names compliance@example.com"),
        "the placeholder user agent draws a warning: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.path().join("sources/local.toml"),
        source_toml("local-feed", "feed", &srv.url("/feed.xml"), ""),
    )
    .unwrap();
    // Point the shipped config at a polite-but-fast fetch for the test.
    let cfg = std::fs::read_to_string(dir.path().join("config/regwatch.toml")).unwrap();
    std::fs::write(
        dir.path().join("config/regwatch.toml"),
        cfg.replace("# per_host_interval = \"1s\"", "per_host_interval = \"0s\"")
            .replace("# robots_txt = true", "robots_txt = false"),
    )
    .unwrap();
    let out = run(&["sources", "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["poll", "--source", "local-feed"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[
            (
                "2",
                "Mobil cihaz IMEI kaydı",
                "GTİP 8517.13 için yeni kayıt ücreti",
            ),
            ("1", "Eski", "x"),
        ])),
    );
    let out = run(&["poll", "--source", "local-feed"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 change(s)"));
    // The pass closes its store: the write-ahead log is checkpointed into
    // the database and removed, not left beside it until the next open.
    let store = dir.path().join("data/regwatch.db");
    assert!(store.exists(), "the store is not where the config says");
    let wal = dir.path().join("data/regwatch.db-wal");
    assert!(
        !wal.exists(),
        "the pass left {} bytes of write-ahead log",
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0)
    );
    let out = run(&["changes", "--format", "json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v.as_array().unwrap()[0];
    assert_change_shape(c);
    assert_eq!(c["source"], "local-feed");
    assert_eq!(c["jurisdiction"], "TR");
    assert_eq!(c["kind"], "added");
    assert_eq!(c["title"], "Mobil cihaz IMEI kaydı");
    assert_eq!(c["categories"], serde_json::json!(["telecom"]));
    assert_eq!(c["hs_codes"], serde_json::json!(["8517.13"]));
    assert!(c["detected_at"].as_str().unwrap().ends_with('Z'));
    assert!(c["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/changes/{}", c["id"])));
    assert_eq!(c["evidence"][0]["via"], "hs");
}

#[tokio::test]
async fn config_errors_exit_2_with_file_and_line() {
    let setup = Setup::new("[[source]]\nid = \"x\"\nname = \"X\"\njurisdiction = \"TR\"\nkind = \"page\"\nurl = \"https://a.example/\"\nschedul = \"* * * * *\"\n", "");
    let out = setup.run(&["sources", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("test.toml:7:") && err.contains("schedul"),
        "{err}"
    );
    let out = setup.run(&["poll"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn poll_exits_1_when_no_source_could_be_polled() {
    let srv = FixtureServer::start().await;
    srv.set("/down", Reply::status(500));
    let setup = Setup::new(
        &source_toml("down", "page", &srv.url("/down"), ""),
        &FAST_FETCH.replace("retries = 2", "retries = 0"),
    );
    let out = setup.run(&["poll"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("HTTP 500"));
}

/// The shipped config, taxonomy and `regwatch init`'s files parse and
/// validate (`init` writes the shipped config itself: `include_str!`).
#[test]
fn shipped_config_and_taxonomy_validate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg = regwatch::config::Config::load(&root.join("config/regwatch.toml")).unwrap();
    assert_eq!(cfg.storage.url, "sqlite://data/regwatch.db");
    regwatch_classify::Taxonomy::load(&root.join("config/taxonomy.toml")).unwrap();
    let example = regwatch::config::parse_sources(
        std::path::Path::new("example.toml"),
        regwatch::starter::SOURCES,
        &regwatch::config::ScheduleConfig::default(),
    )
    .unwrap();
    let kinds: Vec<&str> = example.iter().map(|s| s.def.kind.as_str()).collect();
    assert_eq!(kinds, vec!["feed", "json", "page"]);
}

/// `--format json` is honoured by every command that prints records, and
/// `--format csv` gives a header and rows.
#[tokio::test]
async fn every_record_printing_command_prints_json_and_csv() {
    let srv = FixtureServer::start().await;
    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[("1", "Eski duyuru", "metin")])),
    );
    let setup = Setup::new(&source_toml("feed", "feed", &srv.url("/feed.xml"), ""), "");
    let json = |args: &[&str]| -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        let out = setup.run(&a);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        serde_json::from_str(text.trim())
            .or_else(|_| serde_json::from_str(text.lines().next().unwrap_or("")))
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
    };
    let v = json(&["poll"]);
    assert_eq!(v["polled"], 1, "{v}");
    assert_eq!(v["sources"][0]["outcome"], "baseline", "{v}");
    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[
            ("2", "Telsiz ekipmanı", "GTİP 8517.62 yeni kural"),
            ("1", "Eski duyuru", "metin"),
        ])),
    );
    let v = json(&["poll"]);
    assert_eq!(v["changes"], 1, "{v}");
    let id = v["sources"][0]["changes"][0].as_i64().unwrap().to_string();
    assert!(json(&["changes"]).is_array());
    assert_eq!(json(&["show", &id])["id"].as_i64().unwrap().to_string(), id);
    assert!(json(&["check", "--country", "TR", "--hs", "8517.62"])["changes"].is_array());
    assert!(json(&["classify", "--text", "GTİP 8517.62 telsiz"])["hs_codes"].is_array());
    assert!(json(&["sources", "test", "feed"])["items"].is_array());
    assert!(json(&["sources", "list"]).is_array());
    assert!(json(&["cases", "list"]).is_array());
    for args in [
        &["poll", "--format", "csv"][..],
        &["changes", "--format", "csv"],
        &["show", &id, "--format", "csv"],
        &[
            "check",
            "--country",
            "TR",
            "--hs",
            "8517.62",
            "--format",
            "csv",
        ],
        &["classify", "--text", "GTİP 8517.62", "--format", "csv"],
        &["sources", "test", "feed", "--format", "csv"],
    ] {
        let out = setup.run(args);
        let text = String::from_utf8_lossy(&out.stdout);
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        assert!(rdr.headers().is_ok_and(|h| h.len() > 1), "{args:?}: {text}");
    }
}

/// Under systemd (stderr is `$JOURNAL_STREAM`), logs go to the journal's
/// socket in its native protocol, with priorities and structured fields.
#[tokio::test]
async fn journald_mode_speaks_the_native_protocol() {
    use std::os::unix::fs::MetadataExt;
    let srv = FixtureServer::start().await;
    srv.set("/gone", Reply::status(503));
    let setup = Setup::new(
        &source_toml("broken", "feed", &srv.url("/gone"), ""),
        "[fetch]\nretries = 0\nrobots_txt = false\ntimeout = \"2s\"\nper_host_interval = \"0s\"\n[schedule]\njitter = \"0s\"\n",
    );
    let sock_path = setup.root().join("journal.socket");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let err_path = setup.root().join("stderr");
    let err = std::fs::File::create(&err_path).unwrap();
    let m = err.metadata().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&setup.config_path)
        .arg("poll")
        .current_dir(setup.root())
        .env("REGWATCH_LOG", "info")
        .env("JOURNAL_STREAM", format!("{}:{}", m.dev(), m.ino()))
        .env("REGWATCH_JOURNAL_SOCKET", &sock_path)
        .stdout(std::process::Stdio::null())
        .stderr(err)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "the only source failed");
    let mut seen = vec![];
    let mut buf = vec![0u8; 65536];
    while let Ok(n) = sock.recv(&mut buf) {
        let d = String::from_utf8_lossy(&buf[..n]).to_string();
        let done = d.contains("MESSAGE=poll failed");
        seen.push(d);
        if done {
            break;
        }
    }
    let failed = seen
        .iter()
        .find(|d| d.contains("MESSAGE=poll failed"))
        .unwrap_or_else(|| panic!("{seen:?}"));
    assert!(failed.contains("PRIORITY=4\n"), "{failed}");
    assert!(failed.contains("SOURCE=broken\n"), "{failed}");
    assert!(failed.contains("OUTCOME=failed\n"), "{failed}");
    assert!(failed.contains("SYSLOG_IDENTIFIER=regwatch\n"), "{failed}");
    assert!(
        std::fs::read_to_string(&err_path)
            .unwrap()
            .trim()
            .is_empty(),
        "nothing but the journal"
    );
}

/// NO_COLOR turns colour off even where CLICOLOR_FORCE would turn it on;
/// `--color always` turns it on.
#[test]
fn no_color_means_no_escape_codes() {
    let setup = Setup::new(
        &source_toml("broken", "feed", "http://127.0.0.1:9/nothing", ""),
        "",
    );
    let run = |args: &[&str], envs: &[(&str, &str)]| -> String {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"));
        c.arg("--config").arg(&setup.config_path).args(args);
        c.current_dir(setup.root())
            .env("REGWATCH_LOG", "info")
            .env("REGWATCH_LOG_FORMAT", "human")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let forced = run(&["poll"], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        forced.contains('\u{1b}'),
        "CLICOLOR_FORCE colours: {forced}"
    );
    let plain = run(&["poll"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(
        plain.contains("poll failed") || plain.contains("failed"),
        "{plain}"
    );
    let always = run(&["--color", "always", "poll"], &[("NO_COLOR", "1")]);
    assert!(always.contains('\u{1b}'), "{always}");
}

/// `follow` fetches the link of a modified item too (an entry edited in
/// place often means the act behind it changed) and tags the change on that
/// text, at most MAX_FOLLOW_PER_POLL links per poll.
#[tokio::test]
async fn follow_applies_to_modified_items() {
    let srv = FixtureServer::start().await;
    let page = |n: usize, suffix: &str| {
        let li: String = (1..=n)
            .map(|i| format!("<li><a href=\"/d/{i}\">Duyuru {i}{suffix}</a></li>"))
            .collect();
        format!("<html><body><ul id=\"list\">{li}</ul></body></html>")
    };
    for i in 1..=30 {
        srv.set(
            &format!("/d/{i}"),
            Reply::html(&format!(
                "<html><body><main>Telsiz ekipmanları {i}: GTİP 8517.62 uygunluk değerlendirmesi</main></body></html>"
            )),
        );
    }
    let setup = Setup::new(
        &source_toml(
            "list",
            "page",
            &srv.url("/list"),
            "content = \"#list\"\nitem = \"li\"\nfollow = true\n",
        ),
        "",
    );
    let app = setup.app().await;
    let src = setup.source("list");
    srv.set("/list", Reply::html(&page(1, "")));
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Baseline
    );
    assert_eq!(srv.hits("/d/1"), 0, "a baseline follows nothing");

    srv.set("/list", Reply::html(&page(1, " (güncellendi)")));
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Changed(1)
    );
    assert_eq!(srv.hits("/d/1"), 1, "the modified item's link was followed");
    let c = changes(&app).await;
    assert_eq!(c[0].kind, ChangeKind::Modified);
    assert_eq!(
        c[0].hs_codes,
        vec!["8517.62"],
        "tagged on the followed text"
    );
    assert!(c[0].categories.contains(&"telecom".to_string()));
    assert!(
        c[0].excerpt.contains("güncellendi"),
        "the excerpt still says what changed: {}",
        c[0].excerpt
    );

    // 30 items, every one modified: 20 links followed, no more.
    srv.set("/list", Reply::html(&page(30, "")));
    poll_source(&app, &src).await.unwrap();
    srv.set("/list", Reply::html(&page(30, " (2)")));
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Changed(30)
    );
    let fetched: usize = (1..=30).map(|i| srv.hits(&format!("/d/{i}"))).sum();
    // 1 + 20 (29 added, 20 followed) + 20 (30 modified, 20 followed)
    assert_eq!(fetched, 1 + 2 * regwatch::poll::MAX_FOLLOW_PER_POLL);
}

/// Jitter never exceeds a tenth of the schedule's period at that point,
/// however large `[schedule].jitter` is.
#[tokio::test]
async fn jitter_stays_within_a_tenth_of_the_period() {
    use chrono::{Duration as D, TimeZone, Utc};
    let toml: String = [
        ("every-second", "* * * * * *"),
        ("half-hourly", "*/30 * * * *"),
        ("seven-and-eight", "0 7,8 * * *"),
    ]
    .iter()
    .map(|(id, sched)| {
        format!(
            "{}schedule = \"{sched}\"\ntimezone = \"UTC\"\n",
            source_toml(id, "feed", "http://127.0.0.1:9/feed", "")
        )
    })
    .collect();
    let setup = Setup::new(
        &toml,
        "[fetch]\nrobots_txt = false\n\n[schedule]\njitter = \"1h\"\n",
    );
    let app = setup.app().await;
    let at = |h, m, s| Utc.with_ymd_and_hms(2026, 12, 1, h, m, s).unwrap();
    // (source, after, the schedule's time after `after`, the largest jitter)
    let cases = [
        (
            "every-second",
            at(6, 0, 0),
            at(6, 0, 1),
            D::milliseconds(100),
        ),
        ("half-hourly", at(6, 1, 0), at(6, 30, 0), D::minutes(3)),
        // 07:00 then 08:00: a tenth of one hour.
        ("seven-and-eight", at(6, 59, 0), at(7, 0, 0), D::minutes(6)),
        // 08:00 then 07:00 the next day: 23 h, so the configured hour.
        ("seven-and-eight", at(7, 30, 0), at(8, 0, 0), D::hours(1)),
    ];
    for (id, after, base, max) in cases {
        let src = setup.source(id);
        let mut largest = D::zero();
        for _ in 0..300 {
            let due = regwatch::poll::next_due(&app, &src, after);
            assert!(due >= base, "{id}: {due} before {base}");
            let j = due - base;
            assert!(j <= max, "{id}: jitter {j} > {max}");
            largest = largest.max(j);
        }
        assert!(largest > max / 2, "{id}: jitter is applied ({largest})");
    }
}

/// The binary reads PDFs in a child process (`regwatch __pdf-text`): a text
/// PDF polls as usual, and a hostile one (a form that draws itself, which
/// overflowed pdf-extract's stack) is a failed poll that says why, the
/// earlier snapshot kept.
#[tokio::test]
async fn pdfs_are_read_in_a_child_process_and_a_hostile_one_fails_one_poll() {
    let notice = include_bytes!("../fixtures/pdf/notice.pdf").to_vec();
    let hostile = include_bytes!("../fixtures/fuzz/pdf-form-draws-itself.pdf").to_vec();
    let child = |body: &[u8]| {
        use std::io::Write;
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
            .arg("__pdf-text")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(body).unwrap();
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success());
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    assert!(child(&notice)["Text"]
        .as_str()
        .unwrap()
        .contains("GTIP 8517.62"));
    assert!(child(&hostile)["Error"]
        .as_str()
        .unwrap()
        .contains("draws itself"));

    let srv = FixtureServer::start().await;
    srv.set("/bulletin.pdf", Reply::ok("application/pdf", notice));
    let setup = Setup::new(
        &source_toml("bulletin", "pdf", &srv.url("/bulletin.pdf"), ""),
        "",
    );
    let out = setup.run(&["poll"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    srv.set("/bulletin.pdf", Reply::ok("application/pdf", hostile));
    let out = setup.run(&["poll", "--format", "json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("draws itself"), "{text}");
    let app = setup.app().await;
    assert_eq!(app.store.count_snapshots("bulletin").await.unwrap(), 1);
}
