//! Web sign-in and sessions under a hostile or changing world: sessions end
//! when a reload removes, demotes or re-keys their user; `next` never leads
//! off-site; the sign-in form carries its own CSRF token; wrong tokens from
//! one address are throttled without locking the right user out from
//! elsewhere; pages with a CSRF token are not cached; field reports are
//! capped and free of control characters.

use crate::helpers::Setup;
use regwatch::app::LiveApp;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

const RITA: &str = "rita-reviewer-token-1";
const VIC: &str = "vic-viewer-token-1";

fn dead_source() -> String {
    "[[source]]\nid = \"tr-gazette\"\nname = \"tr-gazette\"\njurisdiction = \"TR\"\nkind = \"feed\"\n\
     url = \"http://127.0.0.1:9/tr.xml\"\nschedule = \"0 * * * *\"\n\n"
        .to_string()
}

/// A setup with rita (reviewer) and vic (viewer), tokens in files.
fn users_setup() -> Setup {
    let extra = "[server]\nbase_url = \"http://rw.test\"\n\n\
         [[user]]\nname = \"rita\"\ntoken_file = \"TOKENS/rita\"\nrole = \"reviewer\"\n\n\
         [[user]]\nname = \"vic\"\ntoken_file = \"TOKENS/vic\"\nrole = \"viewer\"\n";
    let s = Setup::new(&dead_source(), extra);
    let tokens = s.root().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    std::fs::write(tokens.join("rita"), RITA).unwrap();
    std::fs::write(tokens.join("vic"), VIC).unwrap();
    rewrite(&s.config_path, "TOKENS", &tokens.display().to_string());
    s
}

/// The daemon's own HTTP stack (routes and connection server) on an
/// ephemeral port, over a live app the test can reload.
async fn serve(s: &Setup) -> (LiveApp, String) {
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

async fn report(live: &LiveApp, title: &str) -> i64 {
    regwatch::services::reports::add(
        &live.current(),
        &regwatch::services::reports::FieldReport {
            country: "TR".into(),
            hs: vec!["8517.62".into()],
            title: title.into(),
            text: format!("{title} text"),
            author: Some("tester".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// A client that does not follow redirects, from a given loopback address
/// (127.0.0.1 unless said otherwise: other tests sign in from there).
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(local.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// The `name=value` pair of cookie `name` among `Set-Cookie` values.
fn cookie_pair(cookies: &[String], name: &str) -> Option<String> {
    cookies
        .iter()
        .map(|c| c.split(';').next().unwrap().trim().to_string())
        .find(|p| p.starts_with(&format!("{name}=")))
}

/// The value of hidden field `name` in a page.
fn hidden(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))? + name.len() + 15;
    let raw = &page[at..at + page[at..].find('"')?];
    // As the browser reads the attribute (minijinja escapes `/` too).
    Some(
        raw.replace("&#x2f;", "/")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The sign-in form: its CSRF cookie pair and token.
async fn signin_form(http: &reqwest::Client, base: &str) -> (String, String) {
    let r = http.get(format!("{base}/signin")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let cookies = set_cookies(&r);
    let pair = cookie_pair(&cookies, "rw_signin").expect("a sign-in cookie");
    let full = cookies
        .iter()
        .find(|c| c.starts_with("rw_signin="))
        .unwrap();
    assert!(
        full.contains("HttpOnly") && full.contains("SameSite=Strict"),
        "{full}"
    );
    let page = r.text().await.unwrap();
    let csrf = hidden(&page, "csrf").expect("a CSRF field in the sign-in form");
    assert_eq!(pair, format!("rw_signin={csrf}"));
    (pair, csrf)
}

/// Post the sign-in form as a browser would (having loaded it first).
async fn post_signin(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    next: &str,
) -> reqwest::Response {
    let (cookie, csrf) = signin_form(http, base).await;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .append_pair("next", next)
        .append_pair("csrf", &csrf)
        .finish();
    http.post(format!("{base}/signin"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Sign in; the session cookie pair.
async fn sign_in(http: &reqwest::Client, base: &str, token: &str) -> String {
    let r = post_signin(http, base, token, "/").await;
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    cookie_pair(&set_cookies(&r), "rw_session").expect("a session cookie")
}

/// The change page as the session sees it: the review form's CSRF token,
/// if it shows one.
async fn review_form(http: &reqwest::Client, base: &str, id: i64, session: &str) -> Option<String> {
    let r = http
        .get(format!("{base}/changes/{id}"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    page.contains("name=\"state\"")
        .then(|| hidden(&page, "csrf"))
        .flatten()
}

async fn dismiss(
    http: &reqwest::Client,
    base: &str,
    id: i64,
    session: &str,
    csrf: &str,
) -> reqwest::Response {
    http.post(format!("{base}/changes/{id}/review"))
        .header("cookie", session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("state=dismissed&note=stale+session&csrf={csrf}"))
        .send()
        .await
        .unwrap()
}

fn rewrite(path: &Path, from: &str, to: &str) {
    let cfg = std::fs::read_to_string(path).unwrap();
    assert!(cfg.contains(from), "{from} not in the config");
    std::fs::write(path, cfg.replace(from, to)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_that_removes_demotes_or_rekeys_a_reviewer_ends_their_session() {
    let s = users_setup();
    let (live, base) = serve(&s).await;
    let id = report(&live, "Telsiz kuralı").await;
    let http = client_from("127.0.0.1");
    let rita_token_file = s.root().join("tokens/rita");
    let original = std::fs::read_to_string(&s.config_path).unwrap();

    // A reload that changes someone else keeps rita signed in.
    let session = sign_in(&http, &base, RITA).await;
    let csrf = review_form(&http, &base, id, &session)
        .await
        .expect("a reviewer sees the review form");
    std::fs::write(s.root().join("tokens/vic"), "vic-viewer-token-2").unwrap();
    live.reload(&s.config_path, |_| Ok(())).unwrap();
    assert!(review_form(&http, &base, id, &session).await.is_some());

    // Each change to rita herself ends her session at once.
    type Change = Box<dyn Fn()>;
    let cfg_path = s.config_path.clone();
    let cfg_path2 = s.config_path.clone();
    let key_path = rita_token_file.clone();
    let changes: Vec<(&str, Change)> = vec![
        (
            "demoted to viewer",
            Box::new(move || {
                rewrite(&cfg_path, "role = \"reviewer\"", "role = \"viewer\"");
            }),
        ),
        (
            "given a new token",
            Box::new(move || std::fs::write(&key_path, "rita-reviewer-token-2").unwrap()),
        ),
        (
            "removed",
            Box::new(move || {
                let cfg = std::fs::read_to_string(&cfg_path2).unwrap();
                let at = cfg.find("[[user]]\nname = \"rita\"").unwrap();
                let end = at + cfg[at + 1..].find("[[user]]").unwrap() + 1;
                std::fs::write(&cfg_path2, format!("{}{}", &cfg[..at], &cfg[end..])).unwrap();
            }),
        ),
    ];
    for (what, change) in changes {
        std::fs::write(&s.config_path, &original).unwrap();
        std::fs::write(&rita_token_file, RITA).unwrap();
        live.reload(&s.config_path, |_| Ok(())).unwrap();
        let session = sign_in(&http, &base, RITA).await;
        let csrf_now = review_form(&http, &base, id, &session)
            .await
            .expect("a reviewer sees the review form");
        change();
        live.reload(&s.config_path, |_| Ok(())).unwrap();
        assert_eq!(
            review_form(&http, &base, id, &session).await,
            None,
            "rita {what}: the review form is still shown"
        );
        let r = dismiss(&http, &base, id, &session, &csrf_now).await;
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        assert_eq!(
            location.as_deref(),
            Some(format!("/signin?next=%2Fchanges%2F{id}").as_str()),
            "rita {what}: a dismissal is not sent back to sign in ({})",
            r.status()
        );
        // Restoring the old configuration does not bring the session back.
        std::fs::write(&s.config_path, &original).unwrap();
        std::fs::write(&rita_token_file, RITA).unwrap();
        live.reload(&s.config_path, |_| Ok(())).unwrap();
        assert_eq!(
            review_form(&http, &base, id, &session).await,
            None,
            "{what}"
        );
    }
    // Nothing was dismissed by a session that outlived its user.
    let trail = regwatch::services::reviews::trail(&live.current(), id)
        .await
        .unwrap();
    assert!(trail.is_empty(), "{trail:?}");
    let c = regwatch::services::changes::one(&live.current(), id)
        .await
        .unwrap();
    assert_eq!(c.review.state, "new");
    // The first session (rita unchanged since) still works.
    let r = dismiss(&http, &base, id, &session, &csrf).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], format!("/changes/{id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sign_in_next_leads_only_to_a_path_of_this_site() {
    let s = users_setup();
    let (_live, base) = serve(&s).await;
    let http = client_from("127.0.0.1");
    for hostile in [
        "/\t/evil.example",
        "/\t\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "/.//evil.example",
        "/\t/\t/evil.example",
        "javascript:alert(1)",
        "http://evil.example/",
        "https://evil.example/path",
        "http://rw.test/changes/1",
    ] {
        // The GET form's hidden field, from the query as the issue gives it.
        let q: String = url::form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
        let r = http
            .get(format!("{base}/signin?next={q}"))
            .send()
            .await
            .unwrap();
        let page = r.text().await.unwrap();
        assert_eq!(
            hidden(&page, "next").as_deref(),
            Some("/"),
            "GET next = {hostile:?}"
        );
        // The POST itself.
        let r = post_signin(&http, &base, VIC, hostile).await;
        assert_eq!(r.status(), 303, "{hostile:?}");
        assert_eq!(r.headers()["location"], "/", "POST next = {hostile:?}");
    }
    // The issue's own address, byte for byte.
    let r = http
        .get(format!("{base}/signin?next=%2F%09%2Fevil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        hidden(&r.text().await.unwrap(), "next").as_deref(),
        Some("/")
    );
    // A path of this site is kept, re-serialized.
    for (given, want) in [
        ("/changes/42", "/changes/42"),
        ("/?country=TR&hs=8517.62", "/?country=TR&hs=8517.62"),
        ("/check?country=TR#x", "/check?country=TR"),
        ("/a/../sources", "/sources"),
        ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
    ] {
        let r = post_signin(&http, &base, VIC, given).await;
        assert_eq!(r.headers()["location"], want, "{given:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_form_needs_its_own_token_and_pages_with_one_are_not_cached() {
    let s = users_setup();
    let (live, base) = serve(&s).await;
    let id = report(&live, "İlaç kuralı").await;
    let http = client_from("127.0.0.1");
    let form = |csrf: &str| format!("token={RITA}&next=/&csrf={csrf}");
    // No form token, or a token without its cookie: refused, no session.
    for (cookie, body) in [
        (None, format!("token={RITA}&next=/")),
        (None, form("0123abcd")),
        (Some("rw_signin=aaaa".to_string()), form("bbbb")),
    ] {
        let mut req = http
            .post(format!("{base}/signin"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(cookie_pair(&set_cookies(&r), "rw_session").is_none());
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    // A post the browser says came from another site: refused even with a
    // matching pair.
    let (cookie, csrf) = signin_form(&http, &base).await;
    let r = http
        .post(format!("{base}/signin"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .body(form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The same post from this site's form signs in.
    let r = http
        .post(format!("{base}/signin"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .body(form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = cookie_pair(&set_cookies(&r), "rw_session").unwrap();
    // Pages that carry a CSRF token are not stored.
    let r = http
        .get(format!("{base}/changes/{id}"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.text().await.unwrap().contains("name=\"csrf\""));
    let r = http
        .get(format!("{base}/signin"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.text().await.unwrap().contains("Sign out"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tokens_from_one_address_are_throttled_not_the_right_user_elsewhere() {
    let s = users_setup();
    let (_live, base) = serve(&s).await;
    // The guesser and the reviewer come from their own loopback addresses
    // (other tests sign in from 127.0.0.1).
    let guesser = client_from("127.0.0.3");
    let elsewhere = client_from("127.0.0.2");
    for i in 0..5 {
        let r = post_signin(&guesser, &base, &format!("guess-{i}"), "/").await;
        assert_eq!(r.status(), 401, "guess {i}");
    }
    let r = post_signin(&guesser, &base, "guess-6", "/").await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 15 * 60, "Retry-After: {wait}");
    assert!(r.text().await.unwrap().contains("Too many wrong tokens"));
    // Even the right token is not tried from there meanwhile.
    let r = post_signin(&guesser, &base, RITA, "/").await;
    assert_eq!(r.status(), 429);
    assert!(cookie_pair(&set_cookies(&r), "rw_session").is_none());
    // The right user, from elsewhere, signs in as usual.
    let r = post_signin(&elsewhere, &base, RITA, "/").await;
    assert_eq!(r.status(), 303);
    assert!(cookie_pair(&set_cookies(&r), "rw_session").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_report_is_capped_and_refuses_control_characters() {
    let s = Setup::new(
        &dead_source(),
        "[server]\napi_token = \"report-admin-token\"\n",
    );
    let (live, base) = serve(&s).await;
    let http = client_from("127.0.0.1");
    let post = |body: serde_json::Value| {
        http.post(format!("{base}/api/reports"))
            .bearer_auth("report-admin-token")
            .json(&body)
            .send()
    };
    let huge = "A".repeat(900 * 1024);
    for (body, says) in [
        (
            serde_json::json!({"country": "TR", "title": huge, "text": "x"}),
            "the title is 921600 characters long: at most 2048",
        ),
        (
            serde_json::json!({"country": "TR", "title": "fee\u{0}doubled", "text": "x"}),
            "the title contains a control character (U+0000)",
        ),
        (
            serde_json::json!({"country": "TR", "title": "fee", "text": "seen \u{1b}[2J here"}),
            "the text contains a control character (U+001B)",
        ),
        (
            serde_json::json!({"country": "TR", "title": "fee", "text": "y".repeat(100_001)}),
            "the text is 100001 characters long",
        ),
    ] {
        let r = post(body).await.unwrap();
        assert_eq!(r.status(), 400);
        let e: serde_json::Value = r.json().await.unwrap();
        assert!(e["error"].as_str().unwrap().contains(says), "{e}");
    }
    // Nothing was stored; a report with newlines and tabs is.
    let r = post(serde_json::json!({"country": "TR", "title": "IMEI fee doubled", "text": "Seen at Halkalı:\n\tthree shipments"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let all = regwatch::services::changes::page(
        &live.current(),
        &regwatch::services::changes::ChangeQuery::default()
            .checked(&live.current())
            .unwrap(),
    )
    .await
    .unwrap()
    .0;
    assert_eq!(all.len(), 1);
    // The command line says the same, exit 2.
    let o = s.run(&[
        "report",
        "add",
        "--country",
        "TR",
        "--title",
        &"T".repeat(2100),
        "--text",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the title is 2100 characters long: at most 2048"),
        "{err}"
    );
    let o = s.run(&[
        "report",
        "add",
        "--country",
        "TR",
        "--title",
        "bell\u{7}",
        "--text",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("control character (U+0007)"));
}
