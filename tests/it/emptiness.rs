//! Sudden emptiness and sudden shrinking are health events, not removals: a
//! listing (feed, page, JSON API) that yields zero items after a non-empty
//! snapshot is a failed poll, unless the source says `may_be_empty = true`;
//! one that loses more than half of its items at once is held as suspect
//! until the next poll shows the same content again.

use crate::helpers::*;
use regwatch::model::{ChangeKind, PollStatus};
use regwatch::poll::poll_source;
use regwatch::store::ChangeFilter;

async fn changes(app: &regwatch::app::App) -> Vec<regwatch::model::Change> {
    let mut v = app.store.changes(&ChangeFilter::default()).await.unwrap();
    v.reverse();
    v
}

fn atom(entries: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Bulletins</title><id>urn:x:feed</id><updated>2026-11-25T00:00:00Z</updated>",
    );
    for (id, title) in entries {
        s.push_str(&format!(
            "<entry><id>urn:x:{id}</id><title>{title}</title><updated>2026-11-25T00:00:00Z</updated><link href=\"http://example.invalid/{id}\"/><summary>{title} text</summary></entry>"
        ));
    }
    s.push_str("</feed>");
    s
}

fn json_results(ids: &[&str]) -> String {
    let rs: Vec<String> = ids
        .iter()
        .map(|id| format!("{{\"id\": \"{id}\", \"title\": \"Rule {id}\", \"url\": \"/d/{id}\"}}"))
        .collect();
    format!("{{\"results\": [{}]}}", rs.join(", "))
}

const JSON_RULES: &str =
    "item = \"$.results[*]\"\nitem_title = \"$.title\"\nitem_link = \"$.url\"\nitem_id = \"$.id\"\n";
const PAGE_RULES: &str = "content = \"#list\"\nitem = \"li\"\n";

fn page(n: std::ops::RangeInclusive<usize>) -> String {
    let li: String = n
        .map(|i| format!("<li><a href=\"/duyuru/{i}\">Duyuru {i}</a></li>"))
        .collect();
    format!("<html><body><ul id=\"list\">{li}</ul></body></html>")
}

/// The health the source shows: (state, last error).
async fn health(app: &regwatch::app::App, id: &str) -> (String, Option<String>) {
    let rows = regwatch::services::sources::rows(app).await.unwrap();
    let r = rows.into_iter().find(|r| r.id == id).unwrap();
    (r.health.label().to_string(), r.last_error)
}

#[tokio::test]
async fn an_emptied_listing_is_a_failed_poll_with_the_reason() {
    let srv = FixtureServer::start().await;
    let full_rss = rss(&[("1", "A", "a"), ("2", "B", "b"), ("3", "C", "c")]);
    let full_atom = atom(&[("1", "A"), ("2", "B")]);
    let full_json = json_results(&["r1", "r2"]);
    let cases: Vec<(&str, &str, &str, Reply, Reply, usize)> = vec![
        (
            "rss",
            "feed",
            "",
            Reply::xml(&full_rss),
            Reply::xml(&rss(&[])),
            3,
        ),
        (
            "atom",
            "feed",
            "",
            Reply::ok("application/atom+xml", full_atom.clone()),
            Reply::ok("application/atom+xml", atom(&[])),
            2,
        ),
        (
            "json",
            "json",
            JSON_RULES,
            Reply::ok("application/json", full_json.clone()),
            Reply::ok("application/json", json_results(&[])),
            2,
        ),
        (
            "page",
            "page",
            PAGE_RULES,
            Reply::html(&page(1..=4)),
            Reply::html("<html><body><ul id=\"list\"></ul></body></html>"),
            4,
        ),
    ];
    let toml: String = cases
        .iter()
        .map(|(id, kind, rules, ..)| source_toml(id, kind, &srv.url(&format!("/{id}")), rules))
        .collect();
    let setup = Setup::new(&toml, "");
    let app = setup.app().await;
    for (id, _, _, full, empty, had) in cases {
        let src = setup.source(id);
        srv.set(&format!("/{id}"), full.clone());
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Baseline,
            "{id}"
        );
        srv.set(&format!("/{id}"), empty);
        let want = format!("0 items where the last snapshot had {had}");
        match poll_source(&app, &src).await.unwrap().status {
            PollStatus::Failed(e) => assert!(e.starts_with(&want), "{id}: `{e}`"),
            other => panic!("{id}: expected a failed poll, got {other:?}"),
        }
        assert_eq!(app.store.count_snapshots(id).await.unwrap(), 1, "{id}");
        let (state, error) = health(&app, id).await;
        assert_eq!(state, "failing", "{id}");
        assert!(error.unwrap().starts_with(&want), "{id}");
        let log = app.store.fetch_log(id, 1).await.unwrap();
        assert_eq!(log[0].0, "failed", "{id}");
        assert!(log[0].1.as_deref().unwrap().starts_with(&want), "{id}");
        // Back to its old content: nothing changed.
        srv.set(&format!("/{id}"), full);
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Unchanged,
            "{id}"
        );
    }
    assert!(changes(&app).await.is_empty(), "no `removed` change");
}

#[tokio::test]
async fn may_be_empty_makes_an_empty_result_a_normal_poll() {
    let srv = FixtureServer::start().await;
    let toml = [
        source_toml("feed", "feed", &srv.url("/feed"), ""),
        source_toml("api", "json", &srv.url("/api"), JSON_RULES),
    ]
    .iter()
    .map(|s| s.replace("[source.extract]", "may_be_empty = true\n[source.extract]"))
    .map(|s| {
        if s.contains("may_be_empty") {
            s
        } else {
            format!("{s}may_be_empty = true\n")
        }
    })
    .collect::<String>();
    let setup = Setup::new(&toml, "");
    let app = setup.app().await;
    assert!(setup.source("feed").def.may_be_empty);
    srv.set(
        "/feed",
        Reply::xml(&rss(&[("1", "A", "a"), ("2", "B", "b")])),
    );
    srv.set(
        "/api",
        Reply::ok("application/json", json_results(&["r1", "r2"])),
    );
    for id in ["feed", "api"] {
        let src = setup.source(id);
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Baseline
        );
    }
    srv.set("/feed", Reply::xml(&rss(&[])));
    srv.set("/api", Reply::ok("application/json", json_results(&[])));
    for id in ["feed", "api"] {
        let src = setup.source(id);
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Changed(2),
            "{id}: an empty answer is an answer"
        );
        assert_eq!(health(&app, id).await, ("ok".into(), None));
        assert_eq!(
            poll_source(&app, &src).await.unwrap().status,
            PollStatus::Unchanged
        );
    }
    let c = changes(&app).await;
    assert_eq!(c.len(), 4);
    assert!(c.iter().all(|c| c.kind == ChangeKind::Removed));
}

#[tokio::test]
async fn a_listing_that_lost_most_items_is_held_as_suspect() {
    let srv = FixtureServer::start().await;
    let setup = Setup::new(
        &source_toml("list", "page", &srv.url("/list"), PAGE_RULES),
        "",
    );
    let app = setup.app().await;
    let src = setup.source("list");
    srv.set("/list", Reply::html(&page(1..=10)));
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Baseline
    );
    let baseline = app.store.state("list").await.unwrap().last_snapshot_id;

    // 80 % gone at once: held, not reported.
    srv.set("/list", Reply::html(&page(1..=2)));
    let want = "suspect: 2 items where the last snapshot had 10";
    match poll_source(&app, &src).await.unwrap().status {
        PollStatus::Suspect(w) => assert!(w.starts_with(want), "{w}"),
        other => panic!("expected a suspect poll, got {other:?}"),
    }
    assert!(changes(&app).await.is_empty(), "no `removed` change");
    let st = app.store.state("list").await.unwrap();
    assert_eq!(st.last_snapshot_id, baseline, "the snapshot is kept");
    assert_eq!(st.consecutive_failures, 0, "a warning, not a failure");
    let (state, error) = health(&app, "list").await;
    assert_eq!(state, "suspect");
    assert!(error.unwrap().starts_with(want));
    let log = app.store.fetch_log("list", 1).await.unwrap();
    assert_eq!(log[0].0, "suspect");
    assert!(log[0].1.as_deref().unwrap().starts_with(want));

    // It was a glitch: the old content again is no change, and the hold ends.
    srv.set("/list", Reply::html(&page(1..=10)));
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Unchanged
    );
    assert_eq!(health(&app, "list").await, ("ok".into(), None));
    assert!(changes(&app).await.is_empty());

    // A real shrink: held once, confirmed by the next poll, reported once.
    srv.set("/list", Reply::html(&page(1..=2)));
    assert!(matches!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Suspect(_)
    ));
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Changed(8),
        "confirmed"
    );
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Unchanged
    );
    let c = changes(&app).await;
    assert_eq!(c.len(), 8);
    assert!(c.iter().all(|c| c.kind == ChangeKind::Removed));
    assert_eq!(health(&app, "list").await, ("ok".into(), None));

    // Losing half or less, or a single item, is an ordinary poll.
    srv.set("/list", Reply::html(&page(1..=1)));
    assert_eq!(
        poll_source(&app, &src).await.unwrap().status,
        PollStatus::Changed(1)
    );
}

#[test]
fn suspect_threshold() {
    use regwatch::poll::suspect_shrink;
    assert!(suspect_shrink(10, 2).is_some());
    assert!(suspect_shrink(10, 4).is_some());
    assert!(suspect_shrink(3, 1).is_some());
    assert!(
        suspect_shrink(10, 5).is_none(),
        "half is not more than half"
    );
    assert!(suspect_shrink(2, 1).is_none(), "one item is not a pattern");
    assert!(suspect_shrink(10, 0).is_none(), "empty is the other rule");
    assert!(suspect_shrink(0, 0).is_none());
    assert!(suspect_shrink(3, 5).is_none());
}
