//! Candidate item selectors on the real page fixtures: for each shipped
//! page source, the items its own rules extract from its fixture are, link
//! for link, the items of one of the top three candidates.

use regwatch::config::{load_sources_dir, ScheduleConfig, Source};
use regwatch::extract::charset::decode;
use regwatch::extract::extract;
use regwatch::extract::suggest::{suggest_with, Candidate, SuggestOptions, Suggestions};
use regwatch::model::{Content, SourceKind};
use regwatch::rules::{CompiledRules, ExtractRules, Fields};
use std::collections::BTreeSet;
use std::path::Path;

fn sources() -> Vec<Source> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sources");
    load_sources_dir(&dir, &ScheduleConfig::default()).unwrap()
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sources")
            .join(rel),
    )
    .unwrap()
}

/// The links (and count) a rule set extracts from a body, as a poll would.
fn links(rules: &CompiledRules, body: &[u8], url: &url::Url) -> (usize, BTreeSet<String>) {
    match extract(SourceKind::Page, rules, body, None, url).unwrap() {
        Content::Items { items } => (
            items.len(),
            items.into_iter().filter_map(|i| i.link).collect(),
        ),
        Content::Text { .. } => panic!("text, not items"),
    }
}

fn candidate_rules(c: &Candidate) -> CompiledRules {
    let x = ExtractRules {
        item: Some(c.item.clone()),
        item_title: c.item_title.as_deref().map(Fields::from),
        item_link: c.item_link.clone(),
        ..ExtractRules::default()
    };
    CompiledRules::compile(SourceKind::Page, &x).unwrap()
}

/// The shipped source's items are those of one of the top three
/// candidates; returns that candidate and the suggestions.
fn check(id: &str, rel: &str, min_count: usize) -> (Candidate, Suggestions) {
    let all = sources();
    let src = all.iter().find(|s| s.id() == id).unwrap();
    let body = fixture(rel);
    let url = &src.def.url;
    let (n, want) = links(&src.rules, &body, url);
    let html = decode(&body, None);
    let opts = SuggestOptions {
        min_count,
        ..SuggestOptions::default()
    };
    let s = suggest_with(&html, url, &opts);
    for (rank, c) in s.candidates.iter().take(3).enumerate() {
        let (count, got) = links(&candidate_rules(c), &body, url);
        assert_eq!(count, c.count, "{id}: {} counts as extracted", c.item);
        assert!(c.titles.len() == c.count.min(3));
        if got == want {
            assert_eq!(c.count, n, "{id}: {}", c.item);
            println!("{id}: #{} {} ({} items)", rank + 1, c.item, c.count);
            return (c.clone(), s);
        }
    }
    panic!("{id}: no top-3 candidate extracts the shipped items ({n}): {s:#?}");
}

#[test]
fn the_dof_index_finds_its_decree_links() {
    for (id, rel) in [
        (
            "mx-dof-matutina",
            "mx/dof-index_111-2026-07-31-edicion-MAT.captured.html",
        ),
        (
            "mx-dof-vespertina",
            "mx/dof-index_111-2026-07-31-edicion-VES.captured.html",
        ),
    ] {
        let (c, s) = check(id, rel, 3);
        assert!(c.item.contains("nota_detalle.php?codigo="), "{}", c.item);
        assert!(c.titles[0].starts_with("Convenio de Coordinación") || id.ends_with("vespertina"));
        // The shipped source's own content selector.
        assert_eq!(s.content.as_deref(), Some("#tdcontent"));
    }
    // A day with no edition has no listing to offer.
    let s = suggest_with(
        &decode(
            &fixture("mx/dof-index_111-2026-07-26-sunday-no-edition.captured.html"),
            None,
        ),
        &url::Url::parse("https://www.dof.gob.mx/index_111.php").unwrap(),
        &SuggestOptions::default(),
    );
    assert!(s
        .candidates
        .iter()
        .all(|c| !c.item.contains("nota_detalle")));
}

#[test]
fn the_resmi_gazete_fihrist_finds_its_acts() {
    let (c, s) = check("tr-resmi-gazete", "tr/resmigazete-home-fihrist.html", 3);
    assert_eq!(c.count, 4);
    assert!(c.titles[1].contains("Telsiz Ekipmanları"), "{:?}", c.titles);
    assert_eq!(s.content.as_deref(), Some("#html-content"));
    // The fihrist items themselves (ilanlar included) are offered too.
    assert!(s
        .candidates
        .iter()
        .any(|c| c.item == "div.fihrist-item" && c.count == 6));
}

#[test]
fn ministry_and_agency_listings() {
    check("tr-ticaret-duyurular", "tr/ticaret-duyurular-list.html", 3);
    let (c, _) = check("tr-titck-duyurular", "tr/titck-duyuru-list.html", 3);
    assert_eq!(c.titles[0], "Tüm Firmaların Dikkatine");
    let (c, _) = check("vn-customs-van-ban", "vn/customs-index-jsp-list.html", 3);
    assert!(c.item.ends_with("tr"), "{}", c.item);
    assert_eq!(c.titles, ["32168/TB-CHQ", "29001/TB-CHQ", "28870/TB-CHQ"]);
}

#[test]
fn captured_pages_with_many_links_find_their_listing_first() {
    let (c, _) = check(
        "us-fcc-headlines",
        "us/fcc-news-events-headlines-2025-11-24.captured.html",
        3,
    );
    assert_eq!(c.item, "div.views-row");
    assert_eq!(c.count, 25);
    let (c, _) = check(
        "gb-ofcom-spectrum-consultations",
        "gb/ofcom-consultations-spectrum-2025-11-24.captured.html",
        3,
    );
    assert!(c.item.contains("search-results-block"), "{}", c.item);
    assert_eq!(c.count, 27);
    // The link wraps the card; its heading is the title, as the shipped
    // source says.
    assert_eq!(c.item_title.as_deref(), Some("h3.info-card-header"));
    assert!(c.titles[0].starts_with("Consultation: Enabling satellite direct to device"));
}

#[test]
fn two_item_layouts_with_a_lower_minimum() {
    for (id, rel) in [
        (
            "vn-customs-tin-tuc",
            "vn/customs-tin-tuc-content-items.html",
        ),
        ("vn-trav-dieu-tra", "vn/trav-search-news.html"),
        ("tr-sanayi-duyurular", "tr/sanayi-duyurular-list.html"),
        ("gb-tariff-news", "gb/tradetariff-news-stories-list.html"),
        ("vn-rfd-thong-bao", "vn/rfd-thong-bao-list.html"),
        (
            "mx-cofepris-alertas-dispositivos",
            "mx/cofepris-documentos-alertas.html",
        ),
    ] {
        check(id, rel, 2);
    }
}
