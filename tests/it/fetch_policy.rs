//! The fetch policy: a source's own URL may point anywhere (these sources are
//! on 127.0.0.1), but redirects and followed links that leave its origin may
//! reach only public addresses unless `[fetch]` allows more.

use crate::helpers::*;
use regwatch::model::PollStatus;
use regwatch::poll::poll_source;

fn failed(s: &PollStatus) -> String {
    match s {
        PollStatus::Failed(e) => e.clone(),
        other => panic!("expected a failed poll, got {other:?}"),
    }
}

#[tokio::test]
async fn redirects_to_other_private_origins_are_refused_with_the_reason() {
    let srv = FixtureServer::start().await;
    let other = FixtureServer::start().await;
    other.set("/secret", Reply::xml(&rss(&[("s", "Secret", "inside")])));
    let port = other.addr.port();
    let feed = Reply::xml(&rss(&[("1", "Duyuru", "x")]));
    srv.set("/ok", feed.clone());
    srv.set("/same-origin", Reply::status(302).header("location", "/ok"));
    srv.set(
        "/literal",
        Reply::status(302).header("location", &other.url("/secret")),
    );
    srv.set(
        "/named",
        Reply::status(302).header("location", &format!("http://localhost:{port}/secret")),
    );
    srv.set(
        "/mapped",
        Reply::status(302).header(
            "location",
            &format!("http://[::ffff:127.0.0.1]:{port}/secret"),
        ),
    );
    srv.set(
        "/file",
        Reply::status(301).header("location", "file:///etc/passwd"),
    );
    let mut toml = String::new();
    for id in ["ok", "same-origin", "literal", "named", "mapped", "file"] {
        toml.push_str(&source_toml(id, "feed", &srv.url(&format!("/{id}")), ""));
    }
    let setup = Setup::new(&toml, "");
    let app = setup.app().await;

    // The admin's own 127.0.0.1 source, and a redirect within its origin, work.
    for id in ["ok", "same-origin"] {
        let s = poll_source(&app, &setup.source(id)).await.unwrap();
        assert_eq!(s.status, PollStatus::Baseline, "{id}");
    }
    let e = failed(
        &poll_source(&app, &setup.source("literal"))
            .await
            .unwrap()
            .status,
    );
    assert_eq!(
        e,
        format!("redirect to 127.0.0.1:{port} refused: a private address (loopback); set [fetch].allow_private = true or allow_hosts to permit it")
    );
    // A name is judged by what it resolves to (the resolver hook).
    let e = failed(
        &poll_source(&app, &setup.source("named"))
            .await
            .unwrap()
            .status,
    );
    assert!(
        e.starts_with(&format!("redirect to localhost:{port} refused: it resolves only to a private address (loopback)")),
        "{e}"
    );
    assert!(e.contains("allow_private = true or allow_hosts"), "{e}");
    let e = failed(
        &poll_source(&app, &setup.source("mapped"))
            .await
            .unwrap()
            .status,
    );
    assert!(e.contains("refused: a private address (loopback)"), "{e}");
    let e = failed(
        &poll_source(&app, &setup.source("file"))
            .await
            .unwrap()
            .status,
    );
    assert_eq!(
        e,
        "redirect to file:///etc/passwd refused: only http and https are followed"
    );
    assert_eq!(other.hits("/secret"), 0, "no refused request was sent");

    // Opting in: allow_hosts names the host, allow_private lets all through.
    for extra in [
        "allow_hosts = [\"127.0.0.1\", \"localhost\"]",
        "allow_private = true",
    ] {
        let setup = Setup::new(
            &toml,
            &FAST_FETCH.replace("[schedule]", &format!("{extra}\n\n[schedule]")),
        );
        let app = setup.app().await;
        for id in ["literal", "named", "mapped"] {
            let s = poll_source(&app, &setup.source(id)).await.unwrap();
            assert_eq!(s.status, PollStatus::Baseline, "{extra}: {id}");
        }
    }
    assert_eq!(other.hits("/secret"), 6);
}

#[tokio::test]
async fn followed_links_to_other_private_origins_are_skipped_with_the_reason() {
    let srv = FixtureServer::start().await;
    let other = FixtureServer::start().await;
    other.set(
        "/secret",
        Reply::html("<html><body><article>GTİP 8517.62 internal</article></body></html>"),
    );
    srv.set(
        "/own",
        Reply::html("<html><body><article>Own origin body 8471.30</article></body></html>"),
    );
    let page = |links: &[&str]| {
        let li: String = links
            .iter()
            .map(|l| format!("<li><a href=\"{l}\">Duyuru {l}</a></li>"))
            .collect();
        Reply::html(&format!("<html><body><ul>{li}</ul></body></html>"))
    };
    srv.set("/list", page(&["/old"]));
    let toml = source_toml(
        "list",
        "page",
        &srv.url("/list"),
        "item = \"li\"\nfollow = true\nfollow_content = \"article\"\n",
    );
    let setup = Setup::new(&toml, "");
    let out = setup.run(&["poll"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = other.url("/secret");
    srv.set("/list", page(&["/old", "/own", &secret]));
    let out = setup.run(&["poll"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "link to 127.0.0.1:{} refused: a private address (loopback); set [fetch].allow_private = true or allow_hosts to permit it",
            other.addr.port()
        )),
        "the skipped follow says why: {stderr}"
    );
    assert_eq!(other.hits("/secret"), 0, "the refused link was not fetched");
    assert_eq!(
        srv.hits("/own"),
        1,
        "a link on the source's own origin is followed"
    );
    let app = setup.app().await;
    let changes = app
        .store
        .changes(&regwatch::store::ChangeFilter::default())
        .await
        .unwrap();
    assert_eq!(changes.len(), 2, "both new items are still reported");
    let own = changes.iter().find(|c| c.title.contains("/own")).unwrap();
    assert!(own.excerpt.contains("Own origin body"), "{}", own.excerpt);
    let skipped = changes.iter().find(|c| c.title.contains("secret")).unwrap();
    assert!(!skipped.excerpt.contains("internal"), "{}", skipped.excerpt);
}
