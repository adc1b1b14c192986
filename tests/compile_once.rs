//! Source rules are compiled once, when the sources are loaded: polling a
//! source, even through every extraction step (content, exclude, item,
//! title, link, ignore, fail_if, a followed link's content selector), never
//! compiles a selector or a regex again.
//!
//! A body fetched again byte for byte is not even parsed.
//!
//! Its own test binary, so the process-wide compile counter counts only
//! this test's work.

#[path = "it/helpers.rs"]
mod helpers;

use helpers::{source_toml, FixtureServer, Reply, Setup};
use regwatch::model::PollStatus;
use regwatch::poll::poll_source;
use regwatch::rules::compile_count;

fn page(items: &[&str]) -> String {
    let lis: String = items
        .iter()
        .map(|t| {
            format!("<li><a href=\"/doc/{t}\">{t}</a> <span class=\"clock\">10:02</span></li>")
        })
        .collect();
    format!("<html><body><main><ul>{lis}</ul><p>Güncelleme: 25.11.2026</p></main></body></html>")
}

#[tokio::test]
async fn polling_twice_compiles_the_rules_once() {
    let srv = FixtureServer::start().await;
    srv.sequence(
        "/list",
        vec![
            Reply::html(&page(&["a", "b"])),
            Reply::html(&page(&["a", "b", "c"])),
            Reply::html(&page(&["a", "b", "c"])),
        ],
    );
    srv.set(
        "/doc/c",
        Reply::html("<main>Telsiz ekipmanı 8517.62 uygunluk</main>"),
    );
    let extract = "content = \"main\"\nexclude = [\".clock\"]\nitem = \"li\"\nitem_title = \"a\"\nitem_link = \"a\"\nignore = ['Güncelleme: .*']\nfail_if = [\"Request Rejected\"]\nfollow = true\nfollow_content = \"main\"\n";
    let setup = Setup::new(&source_toml("p", "page", &srv.url("/list"), extract), "");
    let before = compile_count();
    let source = setup.source("p");
    assert_eq!(compile_count(), before + 1, "loading compiles the rules");
    let app = setup.app().await;
    let loaded = compile_count();

    let first = poll_source(&app, &source).await.unwrap();
    assert_eq!(first.status, PollStatus::Baseline);
    let second = poll_source(&app, &source).await.unwrap();
    assert_eq!(second.status, PollStatus::Changed(1));
    assert_eq!(srv.hits("/doc/c"), 1, "the new item was followed");
    // The same bytes again (no ETag): recognized before any parsing.
    let parsed = regwatch::extract::extraction_count();
    let third = poll_source(&app, &source).await.unwrap();
    assert_eq!(third.status, PollStatus::Unchanged);
    assert_eq!(
        regwatch::extract::extraction_count(),
        parsed,
        "a body fetched again byte for byte was parsed again"
    );

    assert_eq!(
        compile_count(),
        loaded,
        "a poll compiled source rules again"
    );
}
