//! The web pages in a real browser: headless Chromium loads `/`, submits the
//! search form (a GET form: loading the URL it produces), opens a change and
//! finds its diff; a change titled `<img src=x onerror=alert(1)>` is text.
//! Skipped, with a message, when /usr/bin/chromium is missing.

use crate::daemon::{eventually, fixture_server, get_json, spawn_daemon, three_sources, TempDir};
use std::path::Path;
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM after load, as Chromium serializes it.
fn dump_dom(profile: &Path, url: &str) -> String {
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

/// The value of attribute `attr` in the first tag that contains `marker`.
fn attr_of(dom: &str, marker: &str, attr: &str) -> Option<String> {
    let at = dom.find(marker)?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    let tag = &dom[start..end];
    let key = format!("{attr}=\"");
    let i = tag.find(&key)? + key.len();
    Some(tag[i..i + tag[i..].find('"')?].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_open_a_change_and_hostile_titles_stay_text() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("SKIPPED browser test: {CHROMIUM} is missing (apt-get install chromium)");
        return;
    }
    let fx = fixture_server().await;
    let tmp = TempDir::new("browser");
    let d = spawn_daemon(&tmp.0, &three_sources(&fx), "");
    let base = d.base.clone();
    let hostile = eventually(
        Duration::from_secs(90),
        "the hostile change and a tagged one",
        || async {
            let v = get_json(&format!("{base}/api/changes?limit=100")).await;
            let arr = v["changes"].as_array().cloned().unwrap_or_default();
            let h = arr
                .iter()
                .find(|c| c["title"] == "<img src=x onerror=alert(1)>")
                .map(|c| c["id"].as_i64().unwrap());
            let tagged = arr.iter().any(|c| {
                c["source"] == "fx-a"
                    && c["hs_codes"]
                        .as_array()
                        .map(|a| !a.is_empty())
                        .unwrap_or(false)
            });
            h.filter(|_| tagged)
        },
    )
    .await;
    let profile = tmp.0.join("chromium");

    // The search form: a GET form on `/` with the documented fields.
    let home = tokio::task::block_in_place(|| dump_dom(&profile, &format!("{base}/")));
    assert_eq!(
        attr_of(&home, "id=\"search\"", "action").as_deref(),
        Some("/"),
        "{home}"
    );
    assert_eq!(
        attr_of(&home, "id=\"search\"", "method").as_deref(),
        Some("get")
    );
    for field in ["country", "category", "hs", "query", "since"] {
        assert!(
            home.contains(&format!("name=\"{field}\"")),
            "form field `{field}` missing: {home}"
        );
    }
    assert!(
        home.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{home}"
    );
    assert!(
        !home.contains("<img"),
        "the hostile title became an element: {home}"
    );

    // Submit it: the URL a browser builds from the form's fields.
    let search = format!("{base}/?country=TR&category=telecom&hs=8517.62&query=Notice+A&since=30d");
    let results = tokio::task::block_in_place(|| dump_dom(&profile, &search));
    assert!(
        results.contains("id=\"results\""),
        "no results for {search}: {results}"
    );
    assert!(
        !results.contains("&lt;img src=x"),
        "the filter should leave the hostile change out"
    );
    let href = attr_of(&results, "class=\"title\"", "href").expect("a result links to its change");
    assert!(href.starts_with("/changes/"), "{href}");
    assert!(
        results.contains("selected=\"\"") || results.contains(" selected"),
        "the form keeps the chosen values"
    );

    // Open the change: its diff marks what was added.
    let change = tokio::task::block_in_place(|| dump_dom(&profile, &format!("{base}{href}")));
    assert!(change.contains("id=\"diff\""), "{change}");
    assert!(change.contains("<ins class=\"add\">"), "{change}");
    assert!(change.contains("HS 8517.62"), "{change}");

    // The hostile change: its title is text, in the page and its heading.
    let page =
        tokio::task::block_in_place(|| dump_dom(&profile, &format!("{base}/changes/{hostile}")));
    assert!(
        page.contains("<h1 id=\"title\">&lt;img src=x onerror=alert(1)&gt;</h1>"),
        "{page}"
    );
    assert!(!page.contains("<img"), "{page}");
    drop(d);
}
