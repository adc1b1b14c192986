//! The officer's day, part B: since when a destination and a subject are
//! watched and which subjects no source covers (check page, CLI, API),
//! unwatched weeks in the chart, search folding in four languages (both
//! backends), and `8517,62` read as 8517.62 through the CLI, the API and
//! the page. Real binary or the real router on 127.0.0.1, real SQLite (and
//! PostgreSQL when `REGWATCH_TEST_PG` is set), pinned clocks.

use crate::helpers::{FixtureServer, Reply, Setup};
use crate::store::TestDb;
use regwatch::app::{App, LiveApp};
use regwatch::clock::Clock;
use std::net::SocketAddr;

/// Run the real binary with the clock pinned at `clock` (RFC 3339).
pub fn run_at(s: &Setup, clock: &str, args: &[&str]) -> (i32, String, String) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&s.config_path)
        .args(args)
        .current_dir(s.root())
        .env("REGWATCH_LOG", "warn")
        .env("REGWATCH_CLOCK", clock)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// Serve the web front end on 127.0.0.1 with the clock fixed at `at`.
pub async fn serve_at(s: &Setup, at: &str) -> (App, SocketAddr) {
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let app = s.app().await.with_clock(Clock::fixed(at));
    let shared = LiveApp::new(s.app().await.with_clock(Clock::fixed(at)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = regwatch::server::router(shared);
    tokio::spawn(async move { axum::serve(listener, router).await });
    (app, addr)
}

/// A Turkish telecom-only feed source (it declares `categories`), polled
/// once at 2026-11-20 14:52 UTC: watching began then.
pub async fn watched_telecom_tr() -> (FixtureServer, Setup) {
    let fx = FixtureServer::start().await;
    fx.set(
        "/btk.xml",
        Reply::xml(&crate::helpers::rss(&[(
            "a1",
            "Telsiz ekipmanı duyurusu",
            "8517.62 GTİP",
        )])),
    );
    let sources = format!(
        "[[source]]\nid = \"tr-btk\"\nname = \"BTK duyurular\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\n\
         kind = \"feed\"\nurl = \"{}\"\nschedule = \"0 * * * *\"\ncategories = [\"telecom\"]\n",
        fx.url("/btk.xml")
    );
    let s = Setup::new(&sources, "");
    let (code, _, err) =
        tokio::task::block_in_place(|| run_at(&s, "2026-11-20T14:52:00Z", &["poll"]));
    assert_eq!(code, 0, "{err}");
    (fx, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negative_check_says_since_when_watched_and_which_subject_no_source_covers_cli() {
    let (_fx, s) = watched_telecom_tr().await;
    // Medical goods into TR: the only TR source watches telecom.
    let (code, text, err) = tokio::task::block_in_place(|| {
        run_at(
            &s,
            "2026-11-20T16:00:00Z",
            &[
                "check",
                "--country",
                "TR",
                "--hs",
                "9018.90",
                "--format",
                "table",
            ],
        )
    });
    assert_eq!(code, 0, "{text}{err}");
    assert!(
        text.contains("No source covers medical goods into TR"),
        "the unwatched subject is said plainly: {text}"
    );
    assert!(
        text.contains("No recorded change for HS 9018.90 into TR since 2026-11-20 14:52 UTC, when watching began."),
        "since when, to the minute: {text}"
    );
    assert!(
        text.contains("Watched since 2026-11-20 14:52 UTC"),
        "{text}"
    );

    // A telecom product is watched: no subject warning, the same "since".
    // `8517,62` is 8517.62, not 8517 and chapter 62 (apparel).
    let (code, text, err) = tokio::task::block_in_place(|| {
        run_at(
            &s,
            "2026-11-20T16:00:00Z",
            &[
                "check",
                "--country",
                "TR",
                "--hs",
                "8517,62",
                "--format",
                "table",
            ],
        )
    });
    assert_eq!(code, 0, "{text}{err}");
    assert!(!text.contains("No source covers"), "{text}");
    assert!(
        text.contains("No recorded change for HS 8517.62 into TR since 2026-11-20 14:52 UTC"),
        "{text}"
    );

    // JSON: watched_since and subjects, as DESIGN.md shapes them.
    let (code, json, err) = tokio::task::block_in_place(|| {
        run_at(
            &s,
            "2026-11-20T16:00:00Z",
            &[
                "check",
                "--country",
                "TR",
                "--hs",
                "9018.90",
                "--format",
                "json",
            ],
        )
    });
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cov = &v["coverage"];
    assert!(
        cov["watched_since"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-20T14:52:"),
        "{cov}"
    );
    assert_eq!(cov["subjects"]["medical"]["sources"], 0, "{cov}");
    assert_eq!(cov["subjects"]["telecom"]["sources"], 1, "{cov}");
    assert_eq!(cov["subjects"]["telecom"]["healthy"], 1, "{cov}");
    assert_eq!(v["unwatched"], serde_json::json!(["medical"]), "{v}");
    assert!(v["answer"]
        .as_str()
        .unwrap()
        .contains("No source covers medical goods into TR"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_page_and_api_say_since_when_and_the_subject_nobody_watches() {
    let (_fx, s) = watched_telecom_tr().await;
    let (_app, addr) = serve_at(&s, "2026-11-20T16:00:00Z").await;
    let html = reqwest::get(format!("http://{addr}/check?country=TR&hs=9018.90"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"unwatched\""), "{html}");
    assert!(
        html.contains("No source covers <strong>medical</strong> goods into TR"),
        "{html}"
    );
    assert!(
        html.contains("Watched since 2026-11-20 14:52 UTC"),
        "{html}"
    );
    assert!(
        html.contains("No recorded change for HS 9018.90 into TR since 2026-11-20 14:52 UTC, when watching began."),
        "{html}"
    );
    let v: serde_json::Value =
        reqwest::get(format!("http://{addr}/api/check?country=TR&hs=9018.90"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(v["coverage"]["subjects"]["medical"]["sources"], 0, "{v}");
    assert_eq!(v["unwatched"], serde_json::json!(["medical"]));
    // A category asked for directly is the subject.
    let v: serde_json::Value = reqwest::get(format!(
        "http://{addr}/api/check?country=TR&category=medical"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(v["unwatched"], serde_json::json!(["medical"]), "{v}");
    let v: serde_json::Value = reqwest::get(format!(
        "http://{addr}/api/check?country=TR&category=telecom"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(v["unwatched"], serde_json::json!([]), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_chart_draws_weeks_before_watching_as_not_watched() {
    let (_fx, s) = watched_telecom_tr().await;
    let (app, addr) = serve_at(&s, "2026-11-20T16:00:00Z").await;
    // One change, so the chart is drawn.
    crate::ux::report(&app, "TR", "8517.62", None, "Telsiz cihazları").await;
    let html = reqwest::get(format!("http://{addr}/?since=2026-10-01"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // 2026-10-01 is in the week of Monday 2026-09-28; watching began on
    // Friday 2026-11-20: the weeks of 09-28 … 11-09 (7) ended before.
    assert!(html.contains("id=\"unwatched-weeks\""), "{html}");
    assert!(
        html.contains("watching began 2026-11-20 14:52 UTC"),
        "{html}"
    );
    assert!(
        html.contains("the week of 2026-11-09: not watched yet"),
        "{html}"
    );
    assert!(
        !html.contains("the week of 2026-11-16: not watched yet"),
        "{html}"
    );
    assert!(html.contains("2026-09-28 (not watched)"), "{html}");
    assert!(!html.contains("2026-11-16 (not watched)"), "{html}");
}

/// Four languages, each with the forms a person types: upper case, no
/// diacritics, the Turkish dotless ı and dotted İ, Vietnamese đ.
const FOLDING: &[(&str, &[&str])] = &[
    (
        "Elektrikli ISITICI ve ısıtıcı parçaları",
        &["ISITICI", "isitici", "ısıtıcı", "IŞITICI"],
    ),
    (
        "İthalat denetimi: İSTANBUL gümrüğü",
        &["istanbul", "ISTANBUL", "ithalat"],
    ),
    (
        "Thiết bị đầu cuối viễn thông phải chứng nhận",
        &["thiet bi", "THIẾT BỊ", "dau cuoi", "ĐẦU CUỐI", "vien thong"],
    ),
    (
        "Señal de radiofrecuencia: teléfonos del año 2027",
        &["senal", "SEÑAL", "telefonos", "ano 2027"],
    ),
    (
        "Wireless Router Conformity Rules",
        &["wireless router", "WIRELESS", "conformity"],
    ),
];

async fn search_folds_case_and_diacritics_in_four_languages(db: &TestDb) {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let mut cfg = s.config();
    cfg.storage.url = db.url.clone();
    let store = regwatch::store::Store::open(&db.url).await.unwrap();
    let app = App::new(cfg, store, regwatch::classify::Tagger::builtin()).unwrap();
    let mut ids = vec![];
    for (title, _) in FOLDING {
        ids.push(crate::ux::report(&app, "TR", "8517.62", None, title).await);
    }
    for ((title, queries), id) in FOLDING.iter().zip(&ids) {
        for q in *queries {
            let cq = regwatch::services::changes::ChangeQuery {
                query: Some(q.to_string()),
                ..Default::default()
            };
            let found = regwatch::services::changes::list_checked(&app, &cq.checked(&app).unwrap())
                .await
                .unwrap();
            let found: Vec<i64> = found.iter().map(|c| c.id).collect();
            assert_eq!(
                found,
                vec![*id],
                "`{q}` finds “{title}” only ({})",
                db.backend
            );
        }
    }
    // A word in none: nothing; LIKE's wildcards are literal.
    for q in ["ısıtıcıx", "%", "_"] {
        let cq = regwatch::services::changes::ChangeQuery {
            query: Some(q.to_string()),
            ..Default::default()
        };
        let found = regwatch::services::changes::list_checked(&app, &cq.checked(&app).unwrap())
            .await
            .unwrap();
        assert!(found.is_empty(), "`{q}` finds nothing: {found:?}");
    }
}

mod search_folds {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let db = crate::store::TestDb::sqlite();
        super::search_folds_case_and_diacritics_in_four_languages(&db).await;
        db.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(db) = crate::store::TestDb::postgres().await {
            super::search_folds_case_and_diacritics_in_four_languages(&db).await;
            db.cleanup().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_folds_through_the_page_the_api_the_cli_and_for_rows_older_than_the_column() {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let (app, addr) = serve_at(&s, "2026-11-20T16:00:00Z").await;
    let tr = crate::ux::report(&app, "TR", "8516.29", None, "Elektrikli ısıtıcı ithalatı").await;
    let vn = crate::ux::report(&app, "VN", "8517.62", None, "Thiết bị đầu cuối").await;
    let v: serde_json::Value = reqwest::get(format!("http://{addr}/api/changes?query=ISITICI"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![tr], "{v}");
    let html = reqwest::get(format!("http://{addr}/?query=thiet+bi"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Thiết bị đầu cuối"), "{html}");
    assert!(!html.contains("Elektrikli ısıtıcı"), "{html}");
    let (code, text, err) = tokio::task::block_in_place(|| {
        run_at(
            &s,
            "2026-11-20T16:00:00Z",
            &["changes", "--query", "isitici", "--format", "json"],
        )
    });
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["id"].as_i64(), Some(tr));

    // Rows written before the folded column existed are folded at start.
    let url = s.config().storage.url;
    let path = url.strip_prefix("sqlite://").unwrap().to_string();
    tokio::task::block_in_place(|| {
        let o = std::process::Command::new("sqlite3")
            .arg(&path)
            .arg("UPDATE changes SET search_text = NULL")
            .output();
        match o {
            Ok(o) => assert!(o.status.success(), "{o:?}"),
            Err(_) => eprintln!("sqlite3 not installed: the backfill is checked through the store"),
        }
    });
    let store = regwatch::store::Store::open(&url).await.unwrap();
    let f = regwatch::store::ChangeFilter {
        query: Some("ĐẦU CUỐI".into()),
        ..Default::default()
    };
    let found: Vec<i64> = store
        .changes(&f)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(found, vec![vn]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs_8517_comma_62_is_one_code_in_the_cli_the_api_and_the_page() {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let (app, addr) = serve_at(&s, "2026-11-20T16:00:00Z").await;
    let phones = crate::ux::report(&app, "TR", "8517.62", None, "Telsiz cihazları kuralı").await;
    // Chapter 62 is apparel: it must never come back for 8517,62.
    let apparel = crate::ux::report(&app, "TR", "6204.42", None, "Hazır giyim gözetimi").await;
    let _heading_only = crate::ux::report(&app, "TR", "8517.13", None, "Cep telefonu IMEI").await;

    let v: serde_json::Value =
        reqwest::get(format!("http://{addr}/api/changes?country=TR&hs=8517%2C62"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let ids: Vec<i64> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&phones) && !ids.contains(&apparel), "{v}");
    let v: serde_json::Value =
        reqwest::get(format!("http://{addr}/api/check?country=TR&hs=8517%2C62"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(v["hs_codes"], serde_json::json!(["8517.62"]), "{v}");
    let ids: Vec<i64> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&phones) && !ids.contains(&apparel), "{v}");

    let html = reqwest::get(format!("http://{addr}/check?country=TR&hs=8517%2C62"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Telsiz cihazları kuralı"), "{html}");
    assert!(!html.contains("Hazır giyim"), "{html}");
    let html = reqwest::get(format!("http://{addr}/?country=TR&hs=8517%2C62"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Telsiz cihazları kuralı") && !html.contains("Hazır giyim"),
        "{html}"
    );

    for args in [
        vec![
            "changes",
            "--country",
            "TR",
            "--hs",
            "8517,62",
            "--format",
            "json",
        ],
        vec![
            "check",
            "--country",
            "TR",
            "--hs",
            "8517,62",
            "--format",
            "json",
        ],
    ] {
        let (code, text, err) =
            tokio::task::block_in_place(|| run_at(&s, "2026-11-20T16:00:00Z", &args));
        // The one source never answered: `check` says so with status 1.
        assert!(code == 0 || args[0] == "check", "{args:?}: {err}");
        assert!(text.contains("Telsiz cihazları kuralı"), "{args:?}: {text}");
        assert!(!text.contains("Hazır giyim"), "{args:?}: {text}");
    }
}

/// A setup with a reviewer `rita` and a viewer `vic` (tokens in files).
fn with_users(sources: &str) -> (tempfile::TempDir, Setup) {
    let dir = tempfile::tempdir().unwrap();
    let (rt, vt) = (dir.path().join("r.token"), dir.path().join("v.token"));
    std::fs::write(&rt, "rita-secret-token").unwrap();
    std::fs::write(&vt, "vic-secret-token").unwrap();
    let extra = format!(
        "[[user]]\nname = \"rita\"\ntoken_file = \"{}\"\nrole = \"reviewer\"\n\n\
         [[user]]\nname = \"vic\"\ntoken_file = \"{}\"\nrole = \"viewer\"\n",
        rt.display(),
        vt.display()
    );
    (dir, Setup::new(sources, &extra))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_corrects_a_tag_with_a_reason_originals_kept_audited_shown_and_exported() {
    let (_d, s) = with_users(&crate::ux::dead_source("tr-gazette", "TR"));
    let (app, addr) = serve_at(&s, "2026-11-20T16:00:00Z").await;
    let id = crate::ux::report(
        &app,
        "TR",
        "8517.62",
        Some("2027-01-01"),
        "=Telsiz cihazları kuralı",
    )
    .await;
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/api/changes/{id}/correction");
    let body = serde_json::json!({
        "hs_codes": ["8517,13"],
        "effective_date": "2027-02-01",
        "reason": "The text scopes out 8517.62; the date is the transition end"
    });
    // A viewer may not; nobody may without a reason; a bad date is named.
    let r = http
        .post(&url)
        .bearer_auth("vic-secret-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());
    let r = http
        .post(&url)
        .bearer_auth("rita-secret-token")
        .json(&serde_json::json!({"hs_codes": ["8517.13"], "reason": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("give a reason"));
    let r = http
        .post(&url)
        .bearer_auth("rita-secret-token")
        .json(&serde_json::json!({"effective_date": "1/2/2027", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("write YYYY-MM-DD"));
    let r = http
        .post(format!("http://{addr}/api/changes/99999/correction"))
        .bearer_auth("rita-secret-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = http
        .post(&url)
        .bearer_auth("rita-secret-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: serde_json::Value = reqwest::get(format!("http://{addr}/api/changes/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["hs_codes"], serde_json::json!(["8517.13"]), "{v}");
    assert_eq!(v["effective_date"], "2027-02-01", "{v}");
    let k = &v["corrections"][0];
    assert_eq!(k["by"], "rita");
    assert_eq!(
        k["before"]["hs_codes"],
        serde_json::json!(["8517.62"]),
        "the original is kept: {v}"
    );
    assert_eq!(k["before"]["effective_date"], "2027-01-01");
    assert!(k["reason"].as_str().unwrap().contains("scopes out"));
    // The search index follows: the corrected code finds it, the wrong one not.
    let find = |hs: &'static str| async move {
        let v: serde_json::Value = reqwest::get(format!("http://{addr}/api/changes?hs={hs}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["changes"].as_array().unwrap().len()
    };
    assert_eq!(find("8517.13").await, 1);
    assert_eq!(find("8517.62").await, 0);
    // The change page shows it.
    let html = reqwest::get(format!("http://{addr}/changes/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"corrections\""), "{html}");
    assert!(
        html.contains("HS 8517.62 → <strong>8517.13</strong>"),
        "{html}"
    );
    assert!(
        html.contains("effective 2027-01-01 → <strong>2027-02-01</strong>"),
        "{html}"
    );

    // Exported as CSV (formula-safe) and JSON lines.
    let (code, csv, err) = tokio::task::block_in_place(|| {
        run_at(
            &s,
            "2026-11-20T16:00:00Z",
            &["corrections", "export", "--format", "csv"],
        )
    });
    assert_eq!(code, 0, "{err}");
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("change_id,source,jurisdiction,title,by,at,reason,"));
    let row = lines.next().unwrap();
    assert!(row.contains(",'=Telsiz cihazları kuralı,rita,"), "{row}");
    assert!(
        row.contains(",8517.62,8517.13,2027-01-01,2027-02-01"),
        "{row}"
    );
    let (code, jsonl, err) = tokio::task::block_in_place(|| {
        run_at(
            &s,
            "2026-11-20T16:00:00Z",
            &["corrections", "export", "--format", "json"],
        )
    });
    assert_eq!(code, 0, "{err}");
    let l: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["change_id"].as_i64(), Some(id));
    assert_eq!(l[0]["after"]["hs_codes"], serde_json::json!(["8517.13"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn practice_before_publication_joins_the_field_report_and_shows_the_lead_time() {
    let fx = FixtureServer::start().await;
    let item = |guid: &str, title: &str| (guid.to_string(), title.to_string());
    let feed = |items: &[(String, String)]| {
        let v: Vec<(&str, &str, &str)> = items
            .iter()
            .map(|(g, t)| (g.as_str(), t.as_str(), "Telsiz ekipmanı 8517.13"))
            .collect();
        Reply::xml(&crate::helpers::rss(&v))
    };
    let old = item("a0", "Duyuru: kurum içi atamalar");
    fx.set("/gazete.xml", feed(std::slice::from_ref(&old)));
    let sources = format!(
        "[[source]]\nid = \"tr-gazette\"\nname = \"Resmî Gazete\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\n\
         kind = \"feed\"\nurl = \"{}\"\nschedule = \"0 * * * *\"\n",
        fx.url("/gazete.xml")
    );
    let s = Setup::new(&sources, "");
    let run = |clock: &str, args: &[&str]| {
        let (code, out, err) = tokio::task::block_in_place(|| run_at(&s, clock, args));
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        out
    };
    run("2026-11-01T08:00:00Z", &["poll"]);
    // Seen at the border on 2 November…
    run(
        "2026-11-02T10:00:00Z",
        &[
            "report",
            "add",
            "--country",
            "TR",
            "--hs",
            "8517.13",
            "--author",
            "ayse",
            "--title",
            "Telsiz Ekipmanları Yönetmeliği 2026/31 gümrükte uygulanıyor",
            "--text",
            "İstanbul gümrüğü IMEI kayıt belgesi istiyor",
        ],
    );
    // …published on 14 November.
    fx.set(
        "/gazete.xml",
        feed(&[
            old,
            item("a1", "Telsiz Ekipmanları Yönetmeliği 2026/31 yayımlandı"),
        ]),
    );
    run("2026-11-14T08:00:00Z", &["poll"]);
    let all: serde_json::Value = serde_json::from_str(&run(
        "2026-11-14T09:00:00Z",
        &["changes", "--format", "json"],
    ))
    .unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2, "{all:#?}");
    let field = all.iter().find(|c| c["source"] == "field").unwrap();
    let official = all.iter().find(|c| c["source"] == "tr-gazette").unwrap();
    assert_eq!(
        field["story_id"], official["story_id"],
        "one story: {all:#?}"
    );
    assert_eq!(field["lead_days"], 12, "{field:#}");
    assert_eq!(official["lead_days"], 12, "{official:#}");

    let (_app, addr) = serve_at(&s, "2026-11-14T09:00:00Z").await;
    for (c, words) in [
        (official, "seen at the border 12 days before publication"),
        (
            field,
            "saw it at the border 12 days before the official text was published",
        ),
    ] {
        let html = reqwest::get(format!("http://{addr}/changes/{}", c["id"]))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("id=\"lead-time\""), "{html}");
        assert!(html.contains(words), "{words}: {html}");
    }
}

// ---------------------------------------------------------------- a newcomer's first hour

#[test]
fn the_starter_config_says_true_defaults_and_puts_server_limits_under_server() {
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .args(["init"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let cfg = std::fs::read_to_string(dir.path().join("config/regwatch.toml")).unwrap();
    // skip_reviewed defaults to false, and the starter says so.
    assert!(cfg.contains("# skip_reviewed = false"), "{cfg}");
    assert!(!cfg.contains("# skip_reviewed = true"), "{cfg}");
    // The connection limits belong to [server], not to the [[user]] example.
    let server = cfg.find("[server]").unwrap();
    let user = cfg.find("# [[user]]").unwrap();
    let cases = cfg.find("[cases]").unwrap();
    for key in ["header_timeout", "idle_timeout", "max_connections"] {
        let at = cfg.find(&format!("# {key} =")).unwrap();
        assert!(server < at && at < user, "{key} under [server]: {cfg}");
    }
    assert!(user < cases);
    // Uncommenting every line of the [server] section and the [[user]] example loads.
    let mut live = String::new();
    let mut section = "";
    for line in cfg.lines() {
        if line.starts_with('[') {
            section = line;
        }
        let uncomment = section == "[server]"
            && (line.starts_with("# header_timeout")
                || line.starts_with("# idle_timeout")
                || line.starts_with("# max_connections")
                || line.starts_with("# [[user]]")
                || line.starts_with("# name = \"ayse\"")
                || line.starts_with("# token_env = \"REGWATCH_TOKEN_AYSE\"")
                || line.starts_with("# role = \"reviewer\""));
        live.push_str(if uncomment { &line[2..] } else { line });
        live.push('\n');
    }
    assert!(live.contains("\nheader_timeout = \"10s\""), "{live}");
    std::fs::write(dir.path().join("config/regwatch.toml"), &live).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .args(["sources", "check"])
        .current_dir(dir.path())
        .env("REGWATCH_TOKEN_AYSE", "a-long-enough-token-for-ayse")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "the uncommented starter loads: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // No example case-system address is live by default.
    let loaded = regwatch::config::Config::load(&dir.path().join("config/regwatch.toml")).unwrap();
    assert_eq!(loaded.cases.link, "");
}

#[test]
fn a_case_without_a_configured_case_system_has_no_example_link() {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let file = s.root().join("cases.csv");
    std::fs::write(
        &file,
        "id,client,title,country,hs_codes,categories,keywords,status,link\nC-1,Acme,phones,TR,8517.13,,,open,\n",
    )
    .unwrap();
    let o = s.run(&["cases", "import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{o:?}");
    let o = s.run(&["cases", "list", "--format", "json"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("example.com"), "{text}");
}

#[test]
fn a_missing_sign_in_token_is_said_to_break_that_users_sign_in() {
    let s = Setup::new(
        &crate::ux::dead_source("tr-gazette", "TR"),
        "[[user]]\nname = \"ayse\"\ntoken_env = \"RW_NO_SUCH_TOKEN_VAR\"\nrole = \"reviewer\"\n",
    );
    let o = s.run(&["sources", "check"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("RW_NO_SUCH_TOKEN_VAR"), "{err}");
    assert!(err.contains("that user's sign-in"), "{err}");
    assert!(!err.contains("channel's sends"), "{err}");
}

#[test]
fn review_of_a_change_that_does_not_exist_says_so_before_asking_who() {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&s.config_path)
        .args(["review", "999", "--state", "reviewed"])
        .env_remove("USER")
        .env("REGWATCH_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("no change #999"), "{err}");
    assert!(!err.contains("say who reviews"), "{err}");
}

#[test]
fn a_period_in_words_lists_every_unit_months_included() {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let o = s.run(&["changes", "--since", "3months"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("`3months` is not a period"), "{err}");
    assert!(err.contains("m (months)") && err.contains("3m"), "{err}");
}

#[test]
fn changes_on_an_empty_store_with_every_source_failing_says_so() {
    let sources = format!(
        "{}{}",
        crate::ux::dead_source("tr-gazette", "TR"),
        crate::ux::dead_source("vn-customs", "VN")
    );
    let s = Setup::new(&sources, "");
    let o = s.run(&["changes", "--format", "table"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("none of the 2 sources has been polled"),
        "{out}"
    );
    let _ = s.run(&["poll"]);
    let o = s.run(&["changes", "--format", "table"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        out.contains("2 of the 2 sources failed and none has ever been polled successfully"),
        "{out}"
    );
    assert!(out.contains("not an all-clear"), "{out}");
    // JSON stays a JSON array; the reason goes to stderr.
    let o = s.run(&["changes", "--format", "json"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "[]");
    assert!(String::from_utf8_lossy(&o.stderr).contains("none has ever been polled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_refused_an_admin_action_reads_an_admin() {
    let (_d, s) = with_users(&crate::ux::dead_source("tr-gazette", "TR"));
    let (_app, addr) = serve_at(&s, "2026-11-20T16:00:00Z").await;
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/api/cases"))
        .bearer_auth("vic-secret-token")
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let t = r.text().await.unwrap();
    assert!(t.contains("vic is a viewer: this needs an admin"), "{t}");
}

// ---------------------------------------------------------------- urgency on the shipped fixtures

/// Six open cases of an importer of record (four destinations, three subjects).
fn six_open_cases() -> Vec<regwatch::model::Case> {
    let case = |id: &str, client: &str, cc: &str, hs: &str| regwatch::model::Case {
        id: id.into(),
        client: client.into(),
        title: String::new(),
        country: cc.into(),
        hs_codes: vec![regwatch::model::HsCode::parse(hs).unwrap()],
        categories: vec![],
        keywords: vec![],
        status: "open".into(),
        link: None,
        origin: None,
    };
    vec![
        case("C-1", "Anadolu Telekom", "TR", "8517.62"),
        case("C-2", "Anadolu Telekom", "TR", "8517.13"),
        case("C-3", "Ege Medikal", "TR", "9018.90"),
        case("C-4", "Saigon Devices", "VN", "8517.62"),
        case("C-5", "Norte Electrónica", "MX", "8528.72"),
        case("C-6", "Thames Retail", "GB", "8471.30"),
    ]
}

/// Every item of every catalogue fixture as a change (tagged, matched with
/// the six cases), assessed on 2026-10-01: the urgency distribution
/// docs/urgency.md shows. Print it with
/// `cargo test --test it officer_b::urgency_distribution -- --nocapture`.
#[test]
fn urgency_distribution_on_the_catalogue_fixtures() {
    use regwatch::model::{Strength, Urgency};
    let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let tagger = regwatch::classify::Tagger::builtin();
    let cases = six_open_cases();
    let open: std::collections::HashSet<String> = cases.iter().map(|c| c.id.clone()).collect();
    let all = crate::catalogue::catalogue();
    let mut seen = std::collections::HashSet::new();
    let (mut counts, mut strong, mut total) = ([0usize; 3], 0usize, 0usize);
    let mut highs = vec![];
    for (id, rel) in crate::catalogue::FIXTURES {
        let Some(src) = all.iter().find(|s| s.id() == *id) else {
            continue;
        };
        let bytes = std::fs::read(crate::catalogue::fixture(rel)).unwrap();
        let Ok(content) =
            regwatch::extract::extract(src.def.kind, &src.rules, &bytes, None, &src.def.url)
        else {
            continue;
        };
        let items: Vec<(String, String)> = match content {
            regwatch::model::Content::Items { items } => {
                items.into_iter().map(|i| (i.title, i.text)).collect()
            }
            regwatch::model::Content::Text { text } => vec![(String::new(), text)],
        };
        for (title, text) in items {
            // A fixture shared by several sources counts once per jurisdiction.
            if !seen.insert((
                src.def.jurisdiction.to_string(),
                title.clone(),
                text.clone(),
            )) {
                continue;
            }
            let tags = tagger.tag(&title, &text, Some(&src.def.language), &src.def.categories);
            let matches = regwatch::matching::match_change(
                src.def.jurisdiction.as_str(),
                &tags,
                &title,
                &text,
                &cases,
            );
            let c: regwatch::model::Change = serde_json::from_value(serde_json::json!({
                "id": total as i64 + 1, "source": id, "jurisdiction": src.def.jurisdiction.to_string(),
                "detected_at": "2026-09-30T08:00:00Z", "kind": "added", "title": title,
                "link": null, "excerpt": regwatch::util::truncate(&text, 600), "diff": "",
                "categories": tags.categories, "hs_codes": tags.hs_codes, "evidence": [],
                "effective_date": tags.effective_date, "deadline": tags.deadline,
                "excluded_hs_codes": [], "chapters": [], "member": null, "origins": [],
                "cases": matches,
            }))
            .unwrap();
            total += 1;
            if c.cases
                .iter()
                .any(|m| matches!(m.strength, Strength::Direct | Strength::Chapter))
            {
                strong += 1;
            }
            let (u, reasons) = regwatch::services::urgency::assess(&c, &open, today);
            counts[match u {
                Urgency::High => 0,
                Urgency::Medium => 1,
                Urgency::Low => 2,
            }] += 1;
            if u != Urgency::Low {
                highs.push(format!(
                    "{} {id}: {} — {}",
                    u.as_str(),
                    regwatch::util::truncate(&title, 70),
                    reasons.join("; ")
                ));
            }
            if u == Urgency::High {
                // Act this week: a strong match on an open case, always.
                assert!(
                    c.cases
                        .iter()
                        .any(|m| matches!(m.strength, Strength::Direct | Strength::Chapter)),
                    "{title}: {reasons:?}"
                );
            }
        }
    }
    println!("| urgency | changes |\n|---|---|");
    for (name, n) in ["high", "medium", "low"].iter().zip(counts) {
        println!("| {name} | {n} |");
    }
    println!("| total | {total} |\n\nstrong (direct or chapter) matches on an open case: {strong} (all HIGH under the previous rule)\n");
    for h in &highs {
        println!("- {h}");
    }
    assert!(total > 100, "the fixtures hold {total} items");
    assert!(
        counts[0] <= strong,
        "high is a subset of the strong matches"
    );
}

// ---------------------------------------------------------------- in a real browser

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM after load, as headless Chromium serializes it.
fn dom_of(profile: &std::path::Path, url: &str) -> String {
    let out = std::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        dom.contains("</html>"),
        "chromium produced no DOM for {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// The text of the element with `id`, tags stripped.
fn text_of(dom: &str, id: &str) -> Option<String> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let open = at + dom[at..].find('>')? + 1;
    let tag_start = dom[..at].rfind('<')? + 1;
    let name: String = dom[tag_start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let close = open + dom[open..].find(&format!("</{name}>"))?;
    let mut out = String::new();
    let mut in_tag = false;
    for c in dom[open..close].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_check_page_shows_watched_since_and_a_subject_with_no_source() {
    if !std::path::Path::new(CHROMIUM).exists() {
        eprintln!("SKIPPED browser test: {CHROMIUM} is missing (apt-get install chromium)");
        return;
    }
    let (_fx, s) = watched_telecom_tr().await;
    let (_app, addr) = serve_at(&s, "2026-11-20T16:00:00Z").await;
    let profile = tempfile::tempdir().unwrap();
    // The check form, as a person submits it (a GET form: the URL it produces).
    let form =
        tokio::task::block_in_place(|| dom_of(profile.path(), &format!("http://{addr}/check")));
    assert!(form.contains("id=\"check\""), "{form}");
    let dom = tokio::task::block_in_place(|| {
        dom_of(
            profile.path(),
            &format!("http://{addr}/check?country=TR&hs=9018%2C90&category=&since="),
        )
    });
    let unwatched = text_of(&dom, "unwatched").unwrap_or_else(|| panic!("{dom}"));
    assert_eq!(
        unwatched,
        "No source covers medical goods into TR: this is not an all-clear for medical goods."
    );
    let since = text_of(&dom, "watched-since").unwrap_or_else(|| panic!("{dom}"));
    assert!(
        since.starts_with("Watched since 2026-11-20 14:52 UTC (TR)"),
        "{since}"
    );
    let answer = text_of(&dom, "answer").unwrap_or_else(|| panic!("{dom}"));
    assert!(
        answer.ends_with("No recorded change for HS 9018.90 into TR since 2026-11-20 14:52 UTC, when watching began."),
        "{answer}"
    );
    // The unwatched subject comes before the coverage and the answer: bad news first.
    let (u, c, a) = (
        dom.find("id=\"unwatched\"").unwrap(),
        dom.find("id=\"coverage\"").unwrap(),
        dom.find("id=\"answer\"").unwrap(),
    );
    assert!(u < c && c < a, "{dom}");
    // A watched subject: no warning, the same "since".
    let dom = tokio::task::block_in_place(|| {
        dom_of(
            profile.path(),
            &format!("http://{addr}/check?country=TR&category=telecom"),
        )
    });
    assert!(text_of(&dom, "unwatched").is_none(), "{dom}");
    assert!(text_of(&dom, "answer")
        .unwrap()
        .contains("No recorded change for telecom goods into TR since 2026-11-20 14:52 UTC"));
}
