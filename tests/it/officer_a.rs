//! The officer's day, part A, through the API, the CLI and email: per-case
//! dispositions with who and when (every mark kept), review state and the
//! "new only" filter, clients and the draft notice, and a digest that
//! starts with the sources that are down, leaves dismissed changes out,
//! marks reviewed ones and speaks the channel's timezone. The clock is
//! pinned (2026-06-01) in the process and in the binary.

use crate::helpers::Setup;
use crate::notify::{free_port, parse_mail, start_smtp};
use crate::ux::dead_source;
use regwatch::app::{App, LiveApp};
use regwatch::clock::Clock;
use serde_json::{json, Value};

pub const RITA: &str = "rita-officer-token";
pub const VIC: &str = "vic-officer-token";
/// The instant the clock is pinned to, in the process and in the binary.
pub const NOW: &str = "2026-06-01T00:00:00Z";

pub fn clock() -> Clock {
    Clock::at_date(2026, 6, 1)
}

/// A setup with rita (reviewer) and vic (viewer), tokens in files, a TR
/// source that never answers, and `extra` config.
pub fn officer_setup(extra: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let users = format!(
        "[[user]]\nname = \"rita\"\ntoken_file = \"{0}/rita\"\nrole = \"reviewer\"\n\n\
         [[user]]\nname = \"vic\"\ntoken_file = \"{0}/vic\"\nrole = \"viewer\"\n\n{extra}",
        dir.path().join("tokens").display()
    );
    let s = Setup::new(&dead_source("tr-resmi-gazete", "TR"), &users);
    let tokens = dir.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    std::fs::write(tokens.join("rita"), RITA).unwrap();
    std::fs::write(tokens.join("vic"), VIC).unwrap();
    // The token folder lives as long as the setup's.
    std::fs::rename(&tokens, s.root().join("tokens")).unwrap();
    let cfg = std::fs::read_to_string(&s.config_path).unwrap().replace(
        &tokens.display().to_string(),
        &s.root().join("tokens").display().to_string(),
    );
    std::fs::write(&s.config_path, cfg).unwrap();
    s
}

/// The real binary with this setup's config, the clock pinned.
pub fn run(s: &Setup, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&s.config_path)
        .args(args)
        .current_dir(s.root())
        .env("REGWATCH_LOG", "warn")
        .env("REGWATCH_CLOCK", NOW)
        .env_remove("USER")
        .output()
        .unwrap()
}

pub async fn case(app: &App, id: &str, client: &str, hs: &str, title: &str) {
    let c = regwatch::model::Case {
        id: id.into(),
        client: client.into(),
        title: title.into(),
        country: "TR".into(),
        hs_codes: vec![regwatch::model::HsCode::parse(hs).unwrap()],
        categories: vec![],
        keywords: vec![],
        status: "open".into(),
        link: None,
        origin: None,
    };
    app.store.upsert_case(&c, app.now()).await.unwrap();
}

pub async fn report(app: &App, hs: &str, effective: Option<&str>, title: &str) -> i64 {
    regwatch::services::reports::add(
        app,
        &regwatch::services::reports::FieldReport {
            country: "TR".into(),
            hs: vec![hs.to_string()],
            effective: effective.map(str::to_string),
            title: title.into(),
            text: format!("{title}."),
            author: Some("tester".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .unwrap()
}

/// The officer's book: two clients' open cases and three notices.
pub struct Book {
    /// 8517.62, applies in 7 days: direct on ANT-1, related on ANT-2.
    pub radio: i64,
    /// 9018.90: Medika's.
    pub medical: i64,
    /// 8517.13, applies in 92 days: direct on ANT-2.
    pub imei: i64,
}

pub async fn book(app: &App) -> Book {
    case(app, "ANT-1", "Anadolu Telekom", "8517.62", "Wi-Fi routers").await;
    case(app, "ANT-2", "Anadolu Telekom", "8517.13", "Smartphones").await;
    case(app, "MED-1", "Medika", "9018.90", "Infusion pumps").await;
    Book {
        radio: report(
            app,
            "8517.62",
            Some("2026-06-08"),
            "Telsiz ekipmanları için uygunluk belgesi zorunlu",
        )
        .await,
        medical: report(app, "9018.90", None, "Tıbbi cihaz kayıt başvuruları").await,
        imei: report(app, "8517.13", Some("2026-09-01"), "IMEI kayıt ücreti").await,
    }
}

/// Serve the daemon's router for `live` on 127.0.0.1.
pub async fn serve(live: LiveApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = regwatch::server::router(live);
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let http = reqwest::Client::new();
    let mut r = match method {
        "POST" => http.post(url),
        _ => http.get(url),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispositions_review_state_new_only_and_clients_through_the_api() {
    let s = officer_setup("");
    let app = s.app().await.with_clock(clock());
    let b = book(&app).await;
    let base = serve(LiveApp::new(s.app().await.with_clock(clock()))).await;

    // Cases strongest first, with their clients; nothing marked yet.
    let (st, c) = call(
        "GET",
        &format!("{base}/api/changes/{}", b.radio),
        None,
        None,
    )
    .await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["cases"][0]["id"], "ANT-1", "{c}");
    assert_eq!(c["cases"][0]["strength"], "direct");
    assert_eq!(c["cases"][0]["client"], "Anadolu Telekom");
    assert_eq!(c["cases"][1]["id"], "ANT-2", "{c}");
    assert_eq!(c["cases"][1]["strength"], "related");
    assert_eq!(c["cases"][0]["disposition"]["state"], "open");
    assert_eq!(c["review"]["state"], "new");

    // A disposition needs a reviewer's token.
    let url = format!("{base}/api/changes/{}/cases/ANT-1/disposition", b.radio);
    let mark = json!({"state": "affects", "note": "needs a BTK certificate"});
    assert_eq!(call("POST", &url, None, Some(mark.clone())).await.0, 401);
    let (st, e) = call("POST", &url, Some(VIC), Some(mark.clone())).await;
    assert_eq!(st, 403, "{e}");
    let (st, d) = call("POST", &url, Some(RITA), Some(mark)).await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["disposition"]["state"], "affects", "{d}");
    assert_eq!(d["disposition"]["by"], "rita");
    assert!(
        d["disposition"]["at"]
            .as_str()
            .unwrap()
            .starts_with("2026-06-01T00:00:00"),
        "{d}"
    );
    assert_eq!(d["disposition"]["note"], "needs a BTK certificate");
    // Bad input: the states, or the change's cases, are named.
    let (st, e) = call("POST", &url, Some(RITA), Some(json!({"state": "maybe"}))).await;
    assert_eq!(st, 400);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("affects, not_affected, done"),
        "{e}"
    );
    let (st, e) = call(
        "POST",
        &format!("{base}/api/changes/{}/cases/MED-1/disposition", b.radio),
        Some(RITA),
        Some(json!({"state": "affects"})),
    )
    .await;
    assert_eq!(st, 404);
    assert!(e["error"].as_str().unwrap().contains("ANT-1, ANT-2"), "{e}");
    let (st, _) = call(
        "POST",
        &format!("{base}/api/changes/99999/cases/ANT-1/disposition"),
        Some(RITA),
        Some(json!({"state": "affects"})),
    )
    .await;
    assert_eq!(st, 404);
    // A second mark wins; both are kept.
    let (st, _) = call("POST", &url, Some(RITA), Some(json!({"state": "done"}))).await;
    assert_eq!(st, 200);
    let trail = regwatch::services::reviews::dispositions(&app, b.radio)
        .await
        .unwrap();
    let states: Vec<&str> = trail.iter().map(|(_, d)| d.state.as_str()).collect();
    assert_eq!(states, ["affects", "done"]);
    let (_, c) = call(
        "GET",
        &format!("{base}/api/changes/{}", b.radio),
        None,
        None,
    )
    .await;
    assert_eq!(c["cases"][0]["disposition"]["state"], "done", "{c}");
    assert_eq!(c["cases"][1]["disposition"]["state"], "open", "{c}");

    // Review state on every answer; `new=true` leaves the reviewed out.
    let (_, all) = call("GET", &format!("{base}/api/changes"), None, None).await;
    assert_eq!(ids(&all["changes"]).len(), 3);
    let (st, _) = call(
        "POST",
        &format!("{base}/api/changes/{}/review", b.radio),
        Some(RITA),
        Some(json!({"state": "reviewed"})),
    )
    .await;
    assert_eq!(st, 200);
    let (_, fresh) = call("GET", &format!("{base}/api/changes?new=true"), None, None).await;
    let fresh = ids(&fresh["changes"]);
    assert!(!fresh.contains(&b.radio), "{fresh:?}");
    assert!(
        fresh.contains(&b.medical) && fresh.contains(&b.imei),
        "{fresh:?}"
    );
    let (_, all) = call("GET", &format!("{base}/api/changes"), None, None).await;
    let radio = all["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == b.radio)
        .unwrap();
    assert_eq!(radio["review"]["state"], "reviewed");
    assert_eq!(radio["review"]["by"], "rita");
    let (_, chk) = call(
        "GET",
        &format!("{base}/api/check?country=TR&hs=8517.62"),
        None,
        None,
    )
    .await;
    assert!(ids(&chk["changes"]).contains(&b.radio), "{chk}");
    let (_, chk) = call(
        "GET",
        &format!("{base}/api/check?country=TR&hs=8517.62&new=true"),
        None,
        None,
    )
    .await;
    assert!(!ids(&chk["changes"]).contains(&b.radio), "{chk}");
    // Dismissing one: taken back with `new`, it is new again.
    for st in ["dismissed", "new"] {
        call(
            "POST",
            &format!("{base}/api/changes/{}/review", b.imei),
            Some(RITA),
            Some(json!({ "state": st })),
        )
        .await;
    }
    let (_, fresh) = call("GET", &format!("{base}/api/changes?new=true"), None, None).await;
    assert!(ids(&fresh["changes"]).contains(&b.imei));

    // Clients: confidential, so a viewer's token at least.
    let (st, _) = call("GET", &format!("{base}/api/clients"), None, None).await;
    assert_eq!(st, 401);
    let (st, l) = call("GET", &format!("{base}/api/clients"), Some(VIC), None).await;
    assert_eq!(st, 200, "{l}");
    let names: Vec<&str> = l["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Anadolu Telekom", "Medika"], "{l}");
    assert_eq!(l["clients"][0]["cases_hit"], 2, "{l}");
    assert_eq!(l["clients"][0]["changes"], 2, "{l}");
    let (st, one) = call(
        "GET",
        &format!("{base}/api/clients/anadolu%20telekom"),
        Some(VIC),
        None,
    )
    .await;
    assert_eq!(st, 200, "{one}");
    assert_eq!(one["name"], "Anadolu Telekom");
    // Most urgent first, and only this client's cases.
    assert_eq!(ids(&one["changes"]), [b.radio, b.imei], "{one}");
    let high = one["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["urgency"] == "high")
        .count();
    assert_eq!(l["clients"][0]["high"], high, "{l}");
    for c in one["changes"].as_array().unwrap() {
        for k in c["cases"].as_array().unwrap() {
            assert!(k["id"].as_str().unwrap().starts_with("ANT-"), "{c}");
        }
    }
    let (st, e) = call(
        "GET",
        &format!("{base}/api/clients/Nobody"),
        Some(VIC),
        None,
    )
    .await;
    assert_eq!(st, 404);
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("Anadolu Telekom, Medika"),
        "{e}"
    );

    // The notice: saved by a reviewer, with who and when.
    let (st, n) = call(
        "GET",
        &format!("{base}/api/clients/Medika/notice"),
        Some(VIC),
        None,
    )
    .await;
    assert_eq!(st, 200, "{n}");
    let md = n["notice"]["markdown"].as_str().unwrap();
    assert!(md.contains("Tıbbi cihaz kayıt"), "{md}");
    assert!(md.contains("### What we will do"), "{md}");
    assert!(n["saved"].is_null());
    let edited = md.replace(
        "_(to be filled in)_",
        "We will register the pumps by Friday.",
    );
    let save = format!("{base}/api/clients/Medika/notice");
    assert_eq!(
        call("POST", &save, Some(VIC), Some(json!({ "text": edited })))
            .await
            .0,
        403
    );
    let (st, sv) = call("POST", &save, Some(RITA), Some(json!({ "text": edited }))).await;
    assert_eq!(st, 200, "{sv}");
    assert_eq!(sv["saved"]["by"], "rita");
    assert!(
        sv["saved"]["at"]
            .as_str()
            .unwrap()
            .starts_with("2026-06-01T00:00:00"),
        "{sv}"
    );
    let (_, n) = call("GET", &save, Some(VIC), None).await;
    assert!(n["saved"]["body"]
        .as_str()
        .unwrap()
        .contains("register the pumps by Friday"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_marks_cases_lists_new_changes_clients_and_writes_the_notice() {
    let s = officer_setup("");
    let app = s.app().await.with_clock(clock());
    let b = book(&app).await;

    // A per-case disposition from the command line.
    let o = run(
        &s,
        &[
            "review",
            &b.radio.to_string(),
            "--case",
            "ANT-2",
            "--state",
            "not-affected",
            "--by",
            "olga",
            "--note",
            "phones are not radio equipment here",
            "--format",
            "table",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("case ANT-2: not_affected by olga"), "{out}");
    let c = regwatch::services::changes::one(&app, b.radio)
        .await
        .unwrap();
    let ant2 = c.cases.iter().find(|m| m.id == "ANT-2").unwrap();
    assert_eq!(ant2.disposition.state, "not_affected");
    assert_eq!(ant2.disposition.by.as_deref(), Some("olga"));
    // A wrong case names the right ones; a missing change says so before
    // asking who marks it.
    let o = run(
        &s,
        &[
            "review",
            &b.radio.to_string(),
            "--case",
            "MED-1",
            "--state",
            "affects",
            "--by",
            "olga",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("its cases are ANT-1, ANT-2"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(
        &s,
        &["review", "9999", "--case", "ANT-1", "--state", "affects"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no change #9999"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(
        &s,
        &[
            "review",
            &b.radio.to_string(),
            "--case",
            "ANT-1",
            "--state",
            "fine",
        ],
    );
    assert_eq!(o.status.code(), Some(2));

    // `--new`: only what nobody reviewed.
    let o = run(
        &s,
        &[
            "review",
            &b.medical.to_string(),
            "--state",
            "reviewed",
            "--by",
            "olga",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&s, &["changes", "--new", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ids(&v), [b.imei, b.radio]);
    let o = run(&s, &["changes", "--format", "table"]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("REVIEW"), "{table}");
    assert!(table.contains("reviewed (olga)"), "{table}");
    let o = run(
        &s,
        &[
            "check",
            "--country",
            "TR",
            "--hs",
            "9018.90",
            "--new",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["changes"].as_array().unwrap().is_empty(), "{v}");

    // Clients, the most pressing first; one client, most urgent first.
    let o = run(&s, &["clients", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["name"], "Anadolu Telekom", "{v}");
    assert_eq!(v[1]["name"], "Medika", "{v}");
    let o = run(&s, &["clients", "anadolu telekom", "--format", "table"]);
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.starts_with("Anadolu Telekom: 2 open case(s), 2 change(s)"),
        "{t}"
    );
    let (radio_at, imei_at) = (
        t.find(&format!("#{} ", b.radio)).unwrap(),
        t.find(&format!("#{} ", b.imei)).unwrap(),
    );
    assert!(radio_at < imei_at, "bad news first: {t}");
    let o = run(&s, &["clients", "Nobody"]);
    assert_eq!(o.status.code(), Some(1));

    // The draft notice: bad news first; a case marked not affected is left out.
    let o = run(&s, &["clients", "notice", "Anadolu Telekom"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        md.starts_with("# Regulatory changes affecting your shipments: Anadolu Telekom"),
        "{md}"
    );
    assert!(md.contains("## 1. Telsiz ekipmanları"), "{md}");
    assert!(
        md.contains("**When it applies:** applies from 2026-06-08"),
        "{md}"
    );
    let (radio_at, imei_at) = (
        md.find("## 1. Telsiz").unwrap(),
        md.find("## 2. IMEI").unwrap(),
    );
    assert!(radio_at < imei_at, "bad news first: {md}");
    assert_eq!(md.matches("### What we will do").count(), 2, "{md}");
    let radio = &md[radio_at..imei_at];
    assert!(
        radio.contains("ANT-1 (Wi-Fi routers, HS 8517.62, to TR)"),
        "{md}"
    );
    assert!(
        !radio.contains("ANT-2"),
        "ANT-2 was marked not affected: {md}"
    );
    assert!(
        md[imei_at..].contains("ANT-2 (Smartphones, HS 8517.13, to TR)"),
        "{md}"
    );
    // Nothing detected in the period: nothing to tell.
    let o = run(
        &s,
        &[
            "clients",
            "notice",
            "Anadolu Telekom",
            "--since",
            "2026-06-02",
        ],
    );
    let empty = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        empty.contains("No recorded change affects your open shipments"),
        "{empty}"
    );
    // HTML, into a file.
    let file = s.root().join("notice.html");
    let o = run(
        &s,
        &[
            "--format",
            "html",
            "clients",
            "notice",
            "Anadolu Telekom",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(
        html.contains("<h1>Regulatory changes affecting your shipments: Anadolu Telekom</h1>"),
        "{html}"
    );
    assert!(html.contains("<h3>What we will do</h3>"), "{html}");
    let o = run(&s, &["--format", "html", "changes"]);
    assert_eq!(o.status.code(), Some(2));
    // Saved with who and when, and printed back.
    let edited = s.root().join("edited.md");
    std::fs::write(
        &edited,
        md.replace("_(to be filled in)_", "We will apply for the certificate."),
    )
    .unwrap();
    let o = run(
        &s,
        &[
            "clients",
            "notice",
            "Anadolu Telekom",
            "--save",
            edited.to_str().unwrap(),
            "--by",
            "olga",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("saved by olga at 2026-06-01T00:00:"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(&s, &["clients", "notice", "Anadolu Telekom", "--saved"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("We will apply for the certificate."));
    let o = run(&s, &["clients", "notice", "Medika", "--saved"]);
    assert_eq!(o.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_starts_with_the_sources_that_are_down_in_the_channels_timezone() {
    let port = free_port();
    let mails = start_smtp(port);
    let s = officer_setup(&format!(
        "[[channel]]\nname = \"digest\"\ntype = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\n\
         from = \"regwatch <regwatch@example.com>\"\nto = [\"compliance@example.com\"]\nmode = \"digest\"\n\
         schedule = \"0 7 * * *\"\ntimezone = \"America/Mexico_City\"\n"
    ));
    // The source never answers: one failed poll.
    let o = run(&s, &["poll"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let app = s.app().await.with_clock(clock());
    app.store
        .close_digest_period("digest", app.now() - chrono::Duration::hours(1), None)
        .await
        .unwrap();
    let b = book(&app).await;
    let gone = report(&app, "8517.62", None, "Yanlış alarm: eski duyuru").await;
    regwatch::services::reviews::mark(&app, gone, "dismissed", "rita", Some("old news"))
        .await
        .unwrap();
    regwatch::services::reviews::mark(&app, b.medical, "reviewed", "rita", None)
        .await
        .unwrap();

    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        regwatch::notify::run_digests(&app, app.now())
            .await
            .unwrap(),
        1
    );
    let r = regwatch::notify::deliver_due(&app, false).await.unwrap();
    assert_eq!(r.delivered, 1, "{r:?}");
    let raw = mails.lock().unwrap().clone();
    assert_eq!(raw.len(), 1);
    let m = parse_mail(&raw[0]);
    let subject = m.subject().unwrap().to_string();
    assert_eq!(subject, "regwatch: 3 changes — TR 3 · 1 source down");
    let text = m.body_text(0).unwrap().to_string();
    let html = m.body_html(0).unwrap().to_string();
    // Failing sources first: which, since when, why.
    let down = text.find("!! 1 SOURCE DOWN").expect(&text);
    assert!(down < text.find("== TR (3) ==").unwrap(), "{text}");
    assert!(
        text.contains(
            "tr-resmi-gazete (tr-resmi-gazete): down since 2026-05-31 18:00 America/Mexico_City"
        ),
        "{text}"
    );
    let box_at = html.find("id=\"failing-sources\"").expect(&html);
    assert!(box_at < html.find("Telsiz").unwrap(), "{html}");
    assert!(html.contains("1 source down"), "{html}");
    // Dismissed left out, reviewed marked, clients named.
    assert!(
        !text.contains("Yanlış alarm") && !html.contains("Yanlış alarm"),
        "{text}"
    );
    assert!(text.contains("[REVIEWED by rita] Tıbbi cihaz"), "{text}");
    assert!(html.contains("reviewed by rita"), "{html}");
    assert!(
        text.contains("Anadolu Telekom: 2 changes hit 2 open cases (ANT-1, ANT-2)"),
        "{text}"
    );
    assert!(
        text.contains("Medika: 1 change hits 1 open case (MED-1)"),
        "{text}"
    );
    // Times in the channel's timezone.
    assert!(text.contains("Times are America/Mexico_City."), "{text}");
    assert!(
        text.contains("Detected:  2026-05-31 18:00 America/Mexico_City"),
        "{text}"
    );
    assert!(!text.contains(" UTC"), "{text}");

    // A quiet period still goes out while a source is down.
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        regwatch::notify::run_digests(&app, app.now())
            .await
            .unwrap(),
        1
    );
    regwatch::notify::deliver_due(&app, false).await.unwrap();
    let raw = mails.lock().unwrap().clone();
    assert_eq!(raw.len(), 2);
    let m = parse_mail(&raw[1]);
    assert_eq!(m.subject().unwrap(), "regwatch: no changes · 1 source down");
    assert!(m
        .body_text(0)
        .unwrap()
        .contains("No change in this period in the sources that answered."));
}

/// Dispositions, review filters, the unread count, saved notices and the
/// copy of both new tables, on SQLite and (when `REGWATCH_TEST_PG` is set)
/// PostgreSQL.
async fn officer_store(db: &crate::store::TestDb) {
    let s = officer_setup("");
    let store = db.open().await;
    let app = App::new(s.config(), store, regwatch::classify::Tagger::builtin())
        .unwrap()
        .with_clock(clock());
    let b = book(&app).await;
    assert_eq!(app.store.count_new().await.unwrap(), 3);
    regwatch::services::reviews::mark(&app, b.medical, "reviewed", "rita", None)
        .await
        .unwrap();
    regwatch::services::reviews::mark(&app, b.imei, "dismissed", "rita", None)
        .await
        .unwrap();
    assert_eq!(app.store.count_new().await.unwrap(), 1);
    let f = regwatch::store::ChangeFilter {
        new_only: true,
        ..Default::default()
    };
    let fresh: Vec<i64> = app
        .store
        .changes(&f)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(fresh, [b.radio]);
    for st in ["affects", "done"] {
        regwatch::services::reviews::dispose(&app, b.radio, "ANT-2", st, "rita", Some("n"))
            .await
            .unwrap();
    }
    let c = regwatch::services::changes::one(&app, b.radio)
        .await
        .unwrap();
    let ids: Vec<&str> = c.cases.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["ANT-1", "ANT-2"], "strongest first");
    assert_eq!(c.cases[1].disposition.state, "done");
    assert_eq!(c.cases[1].client, "Anadolu Telekom");
    assert_eq!(c.cases[0].disposition.state, "open");
    assert_eq!(
        regwatch::services::reviews::dispositions(&app, b.radio)
            .await
            .unwrap()
            .len(),
        2
    );
    regwatch::services::clients::save_notice(&app, "medika", "first", "rita")
        .await
        .unwrap();
    regwatch::services::clients::save_notice(&app, "Medika", "second", "olga")
        .await
        .unwrap();
    let n = regwatch::services::clients::saved_notice(&app, "MEDIKA")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (n.client.as_str(), n.body.as_str(), n.by.as_str()),
        ("Medika", "second", "olga")
    );
    let l = regwatch::services::clients::list(&app, None, false)
        .await
        .unwrap();
    assert_eq!(l.len(), 2);
    // The copy keeps both tables.
    let target_db = crate::store::TestDb::sqlite();
    let target = target_db.open().await;
    let counts = app.store.copy_to(&target).await.unwrap();
    let by: std::collections::HashMap<&str, u64> = counts.iter().copied().collect();
    assert_eq!(by["dispositions"], 2);
    assert_eq!(by["client_notices"], 2);
    assert_eq!(
        target.latest_notice("Medika").await.unwrap().unwrap().body,
        "second"
    );
}

mod officer_store {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let db = crate::store::TestDb::sqlite();
        super::officer_store(&db).await;
        db.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(db) = crate::store::TestDb::postgres().await {
            super::officer_store(&db).await;
            db.cleanup().await;
        }
    }
}
