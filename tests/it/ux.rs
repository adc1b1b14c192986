//! What a trade-compliance officer reads first: urgency (bad news first,
//! with the reason) and coverage (which sources could answer) in the web
//! list, the check page, `/api/check` and `regwatch check`. The router is
//! served in-process on 127.0.0.1.

use crate::helpers::Setup;
use regwatch::app::App;
use std::net::SocketAddr;

/// Serve the web front end of `app` on 127.0.0.1 (an ephemeral port).
pub async fn serve(s: &Setup) -> (App, SocketAddr) {
    let app = s.app().await;
    app.store.migrate().await.unwrap();
    let shared = regwatch::app::LiveApp::new(s.app().await);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = regwatch::server::router(shared);
    tokio::spawn(async move { axum::serve(listener, router).await });
    (app, addr)
}

pub async fn report(app: &App, cc: &str, hs: &str, effective: Option<&str>, title: &str) -> i64 {
    regwatch::services::reports::add(
        app,
        &regwatch::services::reports::FieldReport {
            country: cc.into(),
            hs: vec![hs.to_string()],
            effective: effective.map(str::to_string),
            title: title.into(),
            text: format!("{title} text"),
            author: Some("tester".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .unwrap()
}

pub async fn open_case(app: &App, id: &str, cc: &str, hs: &str) {
    let c = regwatch::model::Case {
        id: id.into(),
        client: "ACME".into(),
        title: "router import".into(),
        country: cc.into(),
        hs_codes: vec![regwatch::model::HsCode::parse(hs).unwrap()],
        categories: vec![],
        keywords: vec![],
        status: "open".into(),
        link: None,
        origin: None,
    };
    app.store
        .upsert_case(&c, crate::helpers::now())
        .await
        .unwrap();
}

/// A source nobody answers at (a closed port on 127.0.0.1).
pub fn dead_source(id: &str, jurisdiction: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"{id}\"\njurisdiction = \"{jurisdiction}\"\nkind = \"feed\"\n\
         url = \"http://127.0.0.1:9/{id}.xml\"\nschedule = \"0 * * * *\"\n\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_list_puts_the_most_urgent_first_with_the_reason() {
    let s = Setup::new(&dead_source("tr-gazette", "TR"), "");
    let (app, addr) = serve(&s).await;
    open_case(&app, "CASE-7", "TR", "8517.62").await;
    // Older, and urgent: a direct match on an open case, applying in 5 days
    // (DESIGN.md: high = act this week).
    let soon = (crate::helpers::now() + chrono::Duration::days(5))
        .format("%Y-%m-%d")
        .to_string();
    let urgent = report(
        &app,
        "TR",
        "8517.62",
        Some(&soon),
        "Telsiz cihazları yeni kural",
    )
    .await;
    // Newer, and only a field report on another product.
    let calm = report(&app, "TR", "3004.90", None, "İlaç etiketleri").await;
    assert!(calm > urgent);
    let html = reqwest::get(format!("http://{addr}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (u, c) = (
        html.find("Telsiz cihazları yeni kural").unwrap(),
        html.find("İlaç etiketleri").unwrap(),
    );
    assert!(u < c, "the urgent change comes first: {html}");
    assert!(
        html.contains("direct match on open case CASE-7"),
        "the reason is shown: {html}"
    );
    assert!(html.contains("urgency high"), "{html}");
    // The JSON carries the same.
    let j: serde_json::Value = reqwest::get(format!("http://{addr}/api/changes/{urgent}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["urgency"], "high", "{j}");
    assert_eq!(j["urgency_reasons"][0], "applies in 5 days", "{j}");
    assert_eq!(
        j["urgency_reasons"][1], "direct match on open case CASE-7",
        "{j}"
    );
}

/// A feed source on the fixture server, in `jurisdiction`.
fn feed_source(id: &str, jurisdiction: &str, url: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"{id}\"\njurisdiction = \"{jurisdiction}\"\nkind = \"feed\"\n\
         url = \"{url}\"\nschedule = \"0 * * * *\"\n\n"
    )
}

fn out(o: &std::process::Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_states_coverage_and_is_no_all_clear_when_every_source_failed() {
    // Two sources cover TR (a TR one and a WTO one), both unreachable; a VN one is not counted.
    let sources = format!(
        "{}{}{}",
        dead_source("tr-gazette", "TR"),
        dead_source("wto-eping", "WTO"),
        dead_source("vn-customs", "VN")
    );
    let s = Setup::new(&sources, "");
    let (code, _, err) = out(&s.run(&["poll"]));
    assert_eq!(code, 1, "no source could be polled: {err}");

    let (code, text, err) = out(&s.run(&[
        "check",
        "--country",
        "TR",
        "--hs",
        "8517.62",
        "--format",
        "table",
    ]));
    assert_eq!(
        code, 1,
        "nothing could be checked is a failure: {text}{err}"
    );
    assert!(
        text.contains("Coverage: Nothing could be checked"),
        "{text}"
    );
    assert!(text.contains("2 sources cover TR"), "{text}");
    assert!(text.contains("This is not an all-clear"), "{text}");
    assert!(text.contains("FAILING tr-gazette since 20"), "{text}");
    assert!(text.contains("FAILING wto-eping since 20"), "{text}");
    assert!(!text.contains("vn-customs"), "{text}");
    assert!(!text.contains("No recorded change matches. ("), "{text}");

    let (code, json, err) = out(&s.run(&[
        "check",
        "--country",
        "TR",
        "--hs",
        "8517.62",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1, "{json}{err}");
    assert!(err.contains("Nothing could be checked"), "{err}");
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cov = &j["coverage"];
    assert_eq!(cov["sources"], 2, "{cov}");
    assert_eq!(cov["healthy"], 0, "{cov}");
    let failing = cov["failing"].as_array().unwrap();
    assert_eq!(failing.len(), 2, "{cov}");
    for f in failing {
        assert!(f["since"].as_str().unwrap().ends_with('Z'), "{f}");
        assert!(!f["error"].as_str().unwrap().is_empty(), "{f}");
    }
    assert!(cov["stale"].as_array().unwrap().is_empty(), "{cov}");
    assert!(j["changes"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_answering_checks_with_the_failing_one_named_in_cli_api_and_page() {
    let fx = crate::helpers::FixtureServer::start().await;
    fx.set(
        "/tr.xml",
        crate::helpers::Reply::xml(&crate::helpers::rss(&[(
            "a1",
            "Telsiz ekipmanı 8517.62",
            "8517.62 GTİP",
        )])),
    );
    let sources = format!(
        "{}{}",
        feed_source("tr-customs", "TR", &fx.url("/tr.xml")),
        dead_source("tr-gazette", "TR"),
    );
    let s = Setup::new(&sources, "");
    let (code, _, err) = out(&s.run(&["poll"]));
    assert_eq!(code, 0, "{err}");
    let (code, text, err) = out(&s.run(&[
        "check",
        "--country",
        "TR",
        "--hs",
        "8517.62",
        "--format",
        "table",
    ]));
    assert_eq!(code, 0, "one source answered: {text}{err}");
    assert!(
        text.contains("Coverage: 2 sources cover TR: 1 healthy, 1 failing."),
        "{text}"
    );
    assert!(text.contains("FAILING tr-gazette since"), "{text}");
    // Coverage comes before the changes: bad news first.
    let (cov, changes) = (
        text.find("Coverage:").unwrap(),
        text.find("All relevant changes").unwrap_or(text.len()),
    );
    assert!(cov < changes, "{text}");

    let (_app, addr) = serve(&s).await;
    let j: serde_json::Value =
        reqwest::get(format!("http://{addr}/api/check?country=TR&hs=8517.62"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(j["coverage"]["sources"], 2, "{j}");
    assert_eq!(j["coverage"]["healthy"], 1, "{j}");
    assert_eq!(j["coverage"]["failing"][0]["id"], "tr-gazette", "{j}");
    for path in ["/check?country=TR&hs=8517.62", "/?country=TR"] {
        let r = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("2 sources cover TR: 1 healthy, 1 failing."),
            "{path}: {html}"
        );
        assert!(
            html.contains("tr-gazette</a> failing since 20"),
            "{path}: {html}"
        );
        assert!(
            !html.contains("style=\""),
            "no inline style under a strict CSP"
        );
        assert!(!html.contains("<script"), "no script under a strict CSP");
    }
    // /sources: a summary line, a short error, humanized times; the chain on its own page.
    let html = reqwest::get(format!("http://{addr}/sources"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("2 sources, 1 failing, 0 stale."), "{html}");
    assert!(
        html.contains("connection refused: nothing answers there"),
        "{html}"
    );
    assert!(
        html.contains("just now") || html.contains("minute"),
        "{html}"
    );
    assert!(html.contains("href=\"/sources/tr-gazette\""), "{html}");
    let r = reqwest::get(format!("http://{addr}/sources/tr-gazette"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"chain\""), "{html}");
    assert!(html.to_lowercase().contains("connection refused"), "{html}");
    assert_eq!(
        reqwest::get(format!("http://{addr}/sources/nope"))
            .await
            .unwrap()
            .status(),
        404
    );
    let css = reqwest::get(format!("http://{addr}/style.css"))
        .await
        .unwrap();
    assert_eq!(
        css.headers()["content-type"].to_str().unwrap(),
        "text/css; charset=utf-8"
    );
}

/// The ids of the changes linked from a page, in order.
fn linked_ids(html: &str) -> Vec<i64> {
    html.split("href=\"/changes/")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_list_and_check_agree_and_typos_are_refused_with_the_valid_values() {
    let s = Setup::new(&dead_source("tr-gazette", "TR"), "");
    let (app, addr) = serve(&s).await;
    let direct = report(&app, "TR", "8517.62", None, "Router kuralı").await;
    // A sibling subheading: the check shows it as related; so must the list.
    let sibling = report(&app, "TR", "8517.13", None, "Telefon kuralı").await;
    let _other_country = report(&app, "VN", "8517.62", None, "Vietnam router rule").await;
    let _other_code = report(&app, "TR", "3004.90", None, "İlaç kuralı").await;
    let get = |path: String| async move {
        let r = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (st, list) = get("/?country=TR&hs=8517.62".into()).await;
    assert_eq!(st, 200, "{list}");
    let (st, check) = get("/check?country=TR&hs=8517.62".into()).await;
    assert_eq!(st, 200, "{check}");
    let mut a = linked_ids(&list);
    let mut b = linked_ids(&check);
    a.sort();
    b.sort();
    assert_eq!(a, vec![direct, sibling], "{list}");
    assert_eq!(a, b, "the list and the check agree");
    let api: serde_json::Value =
        serde_json::from_str(&get("/api/changes?country=TR&hs=8517.62".into()).await.1).unwrap();
    let mut c: Vec<i64> = api["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    c.sort();
    assert_eq!(a, c, "{api}");
    let o = s.run(&[
        "changes",
        "--country",
        "TR",
        "--hs",
        "8517.62",
        "--format",
        "json",
    ]);
    let cli: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(cli.as_array().unwrap().len(), 2, "{cli}");

    // A typo is refused, with the valid values.
    for path in [
        "/?category=telcom",
        "/api/changes?category=telcom",
        "/check?country=TR&category=telcom",
        "/api/check?country=TR&category=telcom",
    ] {
        let (st, body) = get(path.into()).await;
        assert_eq!(st, 400, "{path}: {body}");
        assert!(
            body.contains("telcom") && body.contains("telecom"),
            "{path}: {body}"
        );
    }
    for path in ["/?source=tr-gazete", "/api/changes?source=tr-gazete"] {
        let (st, body) = get(path.into()).await;
        assert_eq!(st, 400, "{path}: {body}");
        assert!(body.contains("tr-gazette, field"), "{path}: {body}");
    }
    let (code, _, err) = out(&s.run(&["changes", "--category", "telcom"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("use one of") && err.contains("telecom"),
        "{err}"
    );
    let (code, _, err) = out(&s.run(&["changes", "--source", "tr-gazete"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tr-gazette"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_page_shows_the_followed_text_with_the_evidence_marked() {
    let s = Setup::new(&dead_source("tr-gazette", "TR"), "");
    let (app, addr) = serve(&s).await;
    open_case(&app, "CASE-7", "TR", "8517.62").await;
    let id = regwatch::services::reports::add(
        &app,
        &regwatch::services::reports::FieldReport {
            country: "TR".into(),
            hs: vec!["8517.62".into()],
            effective: Some("2026-12-20".into()),
            title: "Telsiz kuralı".into(),
            text: "Gümrükte <b>yeni</b> uygulama: GTİP 8517.62 telsiz cihazları için uygunluk belgesi."
                .into(),
            author: Some("field".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let html = reqwest::get(format!("http://{addr}/changes/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let followed = &html[html.find("id=\"followed\"").expect("the followed text")..];
    let followed = &followed[..followed.find("</div>").unwrap()];
    assert!(followed.contains("<mark>8517.62</mark>"), "{followed}");
    assert!(
        followed.contains("Gümrükte &lt;b&gt;yeni&lt;&#x2f;b&gt; uygulama"),
        "escaped: {followed}"
    );
    assert!(!html.contains("<b>yeni"), "{html}");
    assert!(html.contains("id=\"effective\">2026-12-20<"), "{html}");
    assert!(html.contains("id=\"deadline\">none stated<"), "{html}");
    assert!(html.contains("(direct)</span>: HS 8517.62"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_mark_changes_viewers_cannot_and_digests_can_skip_reviewed() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, vt, at) = (
        dir.path().join("reviewer.token"),
        dir.path().join("viewer.token"),
        dir.path().join("admin.token"),
    );
    std::fs::write(&rt, "rita-secret-token").unwrap();
    std::fs::write(&vt, "vic-secret-token").unwrap();
    std::fs::write(&at, "api-admin-token").unwrap();
    let extra = format!(
        "[server]\nbase_url = \"http://rw.test\"\napi_token_file = \"{}\"\n\n\
         [[user]]\nname = \"rita\"\ntoken_file = \"{}\"\nrole = \"reviewer\"\n\n\
         [[user]]\nname = \"vic\"\ntoken_file = \"{}\"\nrole = \"viewer\"\n\n\
         [[channel]]\nname = \"team\"\ntype = \"slack\"\nwebhook_url = \"http://127.0.0.1:9/hook\"\n\
         mode = \"digest\"\nschedule = \"0 7 * * *\"\nskip_reviewed = true\n\n\
         [[channel]]\nname = \"all\"\ntype = \"slack\"\nwebhook_url = \"http://127.0.0.1:9/hook2\"\n\
         mode = \"digest\"\nschedule = \"0 7 * * *\"\n",
        at.display(),
        rt.display(),
        vt.display()
    );
    let s = Setup::new(&dead_source("tr-gazette", "TR"), &extra);
    let (app, addr) = serve(&s).await;
    let done = report(
        &app,
        "TR",
        "8517.62",
        None,
        "Telsiz kuralı gözden geçirildi",
    )
    .await;
    let open = report(&app, "TR", "8471.30", None, "Bilgisayar kuralı bekliyor").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |token: &'static str, body: &'static str| {
        let http = http.clone();
        async move {
            let r = http
                .post(format!("http://{addr}/api/changes/{done}/review"))
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // A viewer is refused, and nothing is recorded.
    let (st, body) = post("vic-secret-token", r#"{"state": "reviewed"}"#).await;
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("vic is a viewer"), "{body}");
    let (st, _) = post("nobody", r#"{"state": "reviewed"}"#).await;
    assert_eq!(st, 401);
    let (st, body) = post("rita-secret-token", r#"{"state": "reviewd"}"#).await;
    assert_eq!(st, 400, "{body}");
    // A reviewer marks it; the API token still works, as an admin.
    let (st, body) = post(
        "rita-secret-token",
        r#"{"state": "reviewed", "note": "not our product line"}"#,
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let j: serde_json::Value = reqwest::get(format!("http://{addr}/api/changes/{done}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["review"]["state"], "reviewed", "{j}");
    assert_eq!(j["review"]["by"], "rita", "{j}");
    assert_eq!(j["review"]["note"], "not our product line", "{j}");
    assert!(j["review"]["at"].as_str().unwrap().ends_with('Z'), "{j}");
    let j: serde_json::Value = reqwest::get(format!("http://{addr}/api/changes/{open}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["review"]["state"], "new", "{j}");

    // Shown on the change page.
    let html = reqwest::get(format!("http://{addr}/changes/{done}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"review-state\">reviewed<"), "{html}");
    assert!(html.contains("id=\"review-by\">rita<"), "{html}");
    assert!(html.contains("not our product line"), "{html}");
    assert!(html.contains("Sign in to review"), "{html}");

    // The web: sign in (cookie) with the sign-in form's own CSRF token,
    // then a CSRF-protected form.
    let form = http
        .get(format!("http://{addr}/signin"))
        .send()
        .await
        .unwrap();
    let signin_cookie = form.headers()["set-cookie"].to_str().unwrap().to_string();
    let signin_cookie = signin_cookie.split(';').next().unwrap().to_string();
    let signin_csrf = signin_cookie.trim_start_matches("rw_signin=").to_string();
    let r = http
        .post(format!("http://{addr}/signin"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &signin_cookie)
        .body(format!(
            "token=rita-secret-token&next=/changes/{open}&csrf={signin_csrf}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/changes/{open}"));
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let page = http
        .get(format!("http://{addr}/changes/{open}"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find("name=\"csrf\" value=\"").expect("a review form") + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let form = |csrf: String| {
        http.post(format!("http://{addr}/changes/{open}/review"))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("state=dismissed&note=duplicate&csrf={csrf}"))
            .send()
    };
    assert_eq!(form("forged".into()).await.unwrap().status(), 403);
    assert_eq!(form(csrf.to_string()).await.unwrap().status(), 303);
    let trail = regwatch::services::reviews::trail(&app, open)
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(
        (trail[0].state.as_str(), trail[0].by.as_deref()),
        ("dismissed", Some("rita"))
    );
    // Marked again from the CLI: every mark is kept.
    let o = s.run(&[
        "review",
        &open.to_string(),
        "--state",
        "new",
        "--note",
        "reopened",
        "--by",
        "rita",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        regwatch::services::reviews::trail(&app, open)
            .await
            .unwrap()
            .len(),
        2
    );

    // The digest of a skip_reviewed channel leaves the reviewed change out.
    let team = regwatch::notify::digest_now(&app, Some("team"), true, None)
        .await
        .unwrap();
    assert!(team.contains("Bilgisayar kuralı bekliyor"), "{team}");
    assert!(!team.contains("Telsiz kuralı gözden geçirildi"), "{team}");
    let all = regwatch::notify::digest_now(&app, Some("all"), true, None)
        .await
        .unwrap();
    assert!(all.contains("Telsiz kuralı gözden geçirildi"), "{all}");
    // The [server] API token keeps working, as an admin.
    let (st, body) = post("api-admin-token", r#"{"state": "dismissed"}"#).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("\"by\":\"admin\""), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_draws_weekly_volume_as_svg_with_a_table_count_and_exports() {
    let s = Setup::new(&dead_source("tr-gazette", "TR"), "");
    let (app, addr) = serve(&s).await;
    report(&app, "TR", "8517.62", None, "Telsiz <kuralı>").await;
    report(&app, "TR", "3004.90", None, "İlaç kuralı").await;
    report(&app, "VN", "8517.62", None, "Vietnam router rule").await;
    let html = reqwest::get(format!("http://{addr}/?since=30d"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<strong>3 changes</strong> match"), "{html}");
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 2, "{html}");
    assert!(html.contains("TR: 2 in the week of"), "{html}");
    assert!(html.contains("id=\"volume-table\""), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("style=\""),
        "{html}"
    );
    let csv_url = "/api/changes?since=30d&format=csv&limit=500";
    assert!(
        html.contains("changes?since=30d&amp;format=csv&amp;limit=500\" id=\"export-csv\""),
        "{html}"
    );
    let r = reqwest::get(format!("http://{addr}{csv_url}"))
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("id,detected_at,jurisdiction"), "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    // Filtered: the count and the chart follow the filters.
    let html = reqwest::get(format!("http://{addr}/?since=30d&country=VN"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<strong>1 change</strong> matches"), "{html}");
}
