//! Text is extracted the way a browser renders it: whitespace runs in the
//! markup (newlines, tabs, NBSP, other Unicode spaces) are one space,
//! zero-width characters drop, block elements separate lines, and an item's
//! title is not repeated in its text. Reflowed markup is never a change.

use crate::helpers::*;
use regwatch::model::{ChangeKind, PollStatus};
use regwatch::poll::poll_source;
use regwatch::store::ChangeFilter;

async fn changes(app: &regwatch::app::App) -> Vec<regwatch::model::Change> {
    let mut v = app.store.changes(&ChangeFilter::default()).await.unwrap();
    v.reverse();
    v
}

fn page(lis: &str) -> String {
    format!("<html><body><h1>Duyurular</h1><ul id=\"list\">{lis}</ul></body></html>")
}

const ONE_LINE: &str = "<li><a href=\"/d/1\">Telsiz Ekipmanları Yönetmeliği</a><p>Yürürlük tarihi 1 Ocak 2027, GTİP 8517.62</p></li>\
     <li><a href=\"/d/2\">Tıbbi Cihaz Duyurusu</a><p>Kayıt süresi uzatıldı</p></li>";

/// The same items, as another template (or an editor) lays them out.
const REFLOWED: &str = "\n  <li>\n    <a href=\"/d/1\">Telsiz\n\tEkipmanları   Yönetmeliği</a>\n    <p>Yürürlük\n      tarihi&nbsp;1\u{2003}Ocak\u{200B} 2027,\tGTİP&#160;8517.62\n    </p>\n  </li>\n\
     <li><a href=\"/d/2\">Tıbbi\u{00A0}Cihaz\u{FEFF} Duyurusu</a>\n<p>\n Kayıt süresi\n uzatıldı </p></li>\n";

#[tokio::test]
async fn reflowed_markup_spaces_and_soft_line_breaks_are_no_change() {
    let srv = FixtureServer::start().await;
    let toml = [
        source_toml(
            "list",
            "page",
            &srv.url("/list"),
            "content = \"#list\"\nitem = \"li\"\n",
        ),
        source_toml("text", "page", &srv.url("/text"), "content = \"#list\"\n"),
        source_toml("feed", "feed", &srv.url("/feed"), ""),
    ]
    .concat();
    let setup = Setup::new(&toml, "");
    let app = setup.app().await;
    srv.set("/list", Reply::html(&page(ONE_LINE)));
    srv.set("/text", Reply::html(&page(ONE_LINE)));
    srv.set(
        "/feed",
        Reply::xml(&rss(&[(
            "1",
            "Telsiz Ekipmanları Yönetmeliği",
            "Yürürlük tarihi 1 Ocak 2027, GTİP 8517.62",
        )])),
    );
    for id in ["list", "text", "feed"] {
        let s = poll_source(&app, &setup.source(id)).await.unwrap();
        assert_eq!(s.status, PollStatus::Baseline, "{id}");
    }

    srv.set("/list", Reply::html(&page(REFLOWED)));
    srv.set("/text", Reply::html(&page(REFLOWED)));
    // A soft line break, a tab and NBSPs inside the entry's text and title.
    srv.set(
        "/feed",
        Reply::xml(&rss(&[(
            "1",
            "Telsiz\n  Ekipmanları&#160;Yönetmeliği",
            "Yürürlük\n tarihi&#160;1 Ocak\t2027,\n GTİP 8517.62",
        )])),
    );
    for id in ["list", "text", "feed"] {
        let s = poll_source(&app, &setup.source(id)).await.unwrap();
        assert_eq!(s.status, PollStatus::Unchanged, "{id}: the same text");
    }
    assert!(changes(&app).await.is_empty());

    // Block elements still separate lines: the text block keeps one line
    // per paragraph.
    let state = app.store.state("text").await.unwrap();
    let content = app
        .store
        .snapshot_content(state.last_snapshot_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let regwatch::model::Content::Text { text } = content else {
        panic!("not a text block")
    };
    assert_eq!(
        text,
        "Telsiz Ekipmanları Yönetmeliği\nYürürlük tarihi 1 Ocak 2027, GTİP 8517.62\nTıbbi Cihaz Duyurusu\nKayıt süresi uzatıldı"
    );
}

#[tokio::test]
async fn an_items_title_is_not_repeated_in_its_text() {
    let srv = FixtureServer::start().await;
    let toml = [
        source_toml(
            "list",
            "page",
            &srv.url("/list"),
            "content = \"#list\"\nitem = \"li\"\n",
        ),
        source_toml("feed", "feed", &srv.url("/feed"), ""),
    ]
    .concat();
    let setup = Setup::new(&toml, "");
    let app = setup.app().await;
    srv.set(
        "/list",
        Reply::html(&page("<li><a href=\"/d/0\">Eski</a></li>")),
    );
    srv.set("/feed", Reply::xml(&rss(&[("0", "Eski", "eski")])));
    for id in ["list", "feed"] {
        poll_source(&app, &setup.source(id)).await.unwrap();
    }
    srv.set(
        "/list",
        Reply::html(&page(&format!(
            "{ONE_LINE}<li><a href=\"/d/0\">Eski</a></li>"
        ))),
    );
    // The entry's HTML content opens with its title, as many feeds do.
    srv.set(
        "/feed",
        Reply::xml(&rss(&[
            (
                "1",
                "Telsiz Ekipmanları Yönetmeliği",
                "&lt;h2&gt;Telsiz Ekipmanları Yönetmeliği&lt;/h2&gt;&lt;p&gt;Yürürlük tarihi 1 Ocak 2027&lt;/p&gt;",
            ),
            ("0", "Eski", "eski"),
        ])),
    );
    for id in ["list", "feed"] {
        poll_source(&app, &setup.source(id)).await.unwrap();
    }
    let c = changes(&app).await;
    assert_eq!(c.len(), 3, "{c:?}");
    assert!(c.iter().all(|c| c.kind == ChangeKind::Added));
    let by_title = |src: &str, t: &str| {
        c.iter()
            .find(|c| c.source == src && c.title == t)
            .unwrap_or_else(|| panic!("no change `{t}` of {src}"))
    };
    let telsiz = by_title("list", "Telsiz Ekipmanları Yönetmeliği");
    assert_eq!(telsiz.excerpt, "Yürürlük tarihi 1 Ocak 2027, GTİP 8517.62");
    assert_eq!(
        telsiz
            .diff
            .matches("Telsiz Ekipmanları Yönetmeliği")
            .count(),
        1,
        "{}",
        telsiz.diff
    );
    assert_eq!(
        by_title("list", "Tıbbi Cihaz Duyurusu").excerpt,
        "Kayıt süresi uzatıldı"
    );
    assert_eq!(
        by_title("feed", "Telsiz Ekipmanları Yönetmeliği").excerpt,
        "Yürürlük tarihi 1 Ocak 2027"
    );
}
