//! The shipped source catalogue (`sources/*.toml`): it loads, it covers the
//! jurisdictions, and every source's extraction rules work on a fixture in the
//! authority's structure (`tests/fixtures/sources/`), and, where a real capture
//! exists in `../shared/samples`, on that capture too.

use std::path::{Path, PathBuf};

use regwatch::config::{load_sources_dir, ScheduleConfig, Source};
use regwatch::extract::{extract, followed_text};
use regwatch::model::Content;
use regwatch::model::SourceKind;

/// Every page and json source, and the feeds where a fixture is cheap: source id ->
/// fixture file under tests/fixtures/sources. Several sources share one layout.
const FIXTURES: &[(&str, &str)] = &[
    ("tr-resmi-gazete", "tr/resmigazete-home-fihrist.html"),
    ("tr-ticaret-duyurular", "tr/ticaret-duyurular-list.html"),
    ("tr-ggm-duyurular", "tr/ticaret-duyurular-list.html"),
    ("tr-ithalat-duyurular", "tr/ticaret-duyurular-list.html"),
    ("tr-titck-duyurular", "tr/titck-duyuru-list.html"),
    ("vn-customs-van-ban", "vn/customs-index-jsp-list.html"),
    ("vn-mst-du-thao", "vn/mst-van-ban-du-thao-list.html"),
    ("vn-vnta-tin-tuc", "vn/vnta-home-news-headings.html"),
    ("vn-dmec-thong-bao", "vn/dmec-home-notice-headings.html"),
    (
        "mx-dof-matutina",
        "mx/dof-index_111-edicion-MAT-trimmed.html",
    ),
    (
        "mx-dof-vespertina",
        "mx/dof-index_111-edicion-MAT-trimmed.html",
    ),
    ("mx-anam-avisos", "mx/anam-home-news-headings.html"),
    ("mx-snice-ligie-notas", "mx/snice-ligie-notasnac-text.html"),
    (
        "gb-tariff-heading-8517",
        "gb/tradetariff-api-v2-heading-jsonapi.json",
    ),
    (
        "gb-tariff-heading-9018",
        "gb/tradetariff-api-v2-heading-jsonapi.json",
    ),
    ("gb-tariff-news", "gb/tradetariff-news-stories-list.html"),
    (
        "gb-mhra-medical-devices",
        "gb/govuk-search-news-and-communications.atom",
    ),
    (
        "eu-harmonised-standards-red",
        "eu/ec-harmonised-standards-ecl-main.html",
    ),
    (
        "eu-harmonised-standards-emc",
        "eu/ec-harmonised-standards-ecl-main.html",
    ),
    (
        "eu-harmonised-standards-medical-devices",
        "eu/ec-harmonised-standards-ecl-main.html",
    ),
    ("eu-taric-8517130000", "eu/taric-measures-8517130000.html"),
    ("us-fr-fcc", "us/federalregister-api-documents-search.json"),
    (
        "us-fr-fda-devices",
        "us/federalregister-api-documents-search.json",
    ),
    ("us-fr-cbp", "us/federalregister-api-documents-search.json"),
    ("us-fr-ustr", "us/federalregister-api-documents-search.json"),
    ("us-cbp-csms", "us/cbp-csms-govdelivery-links.html"),
    (
        "us-fr-presidential-trade",
        "us/federalregister-api-presidential-documents-fields.json",
    ),
    ("us-eping", "wto/eping-azuresearch-getall-window.json"),
    ("tr-eping", "wto/eping-azuresearch-getall-window.json"),
    ("vn-eping", "wto/eping-azuresearch-getall-window.json"),
    ("mx-eping", "wto/eping-azuresearch-getall-window.json"),
    ("gb-eping", "wto/eping-azuresearch-getall-window.json"),
    ("eu-eping", "wto/eping-azuresearch-getall-window.json"),
    (
        "tr-resmi-gazete-mukerrer",
        "tr/resmigazete-fihrist-mukerrer.html",
    ),
    ("tr-btk-duyurular", "tr/btk-duyurular-list.html"),
    ("tr-btk-mevzuat", "tr/btk-mevzuat-list.html"),
    (
        "mx-dof-extraordinaria",
        "mx/dof-index_111-edicion-EXT-reconstructed.html",
    ),
    (
        "vn-congbao-van-ban-moi",
        "vn/congbao-cac-van-ban-moi-ban-hanh.rss",
    ),
    ("gb-mhra-device-alerts", "gb/govuk-drug-device-alerts.atom"),
    ("eu-eurlex-oj-c", "eu/eurlex-oj-c-series.rss"),
    ("wto-news", "wto/wto-latest-news.rss"),
    (
        "wto-eping-watchlist",
        "wto/eping-azuresearch-getall-items.json",
    ),
    (
        "wto-eping-hs-84-85-90",
        "wto/eping-azuresearch-getall-items.json",
    ),
];

/// Real captures in ../shared/samples: source id -> sample file. Each is run
/// through the same rules as the source's fixture.
const SAMPLES: &[(&str, &str)] = &[
    (
        "mx-dof-matutina",
        "mx/mx-dof-index_111-2026-07-31-edicion-MAT.html",
    ),
    (
        "mx-dof-vespertina",
        "mx/mx-dof-index_111-2026-07-31-edicion-VES.html",
    ),
    (
        "gb-tariff-heading-8517",
        "gb/gb-tradetariff-api-v2-heading-1103.json",
    ),
    (
        "gb-tariff-heading-9018",
        "gb/gb-tradetariff-api-v2-heading-1103.json",
    ),
    (
        "gb-legislation-new",
        "gb/gb-legislation-new-data-feed-2015-12-10.xml",
    ),
    (
        "us-fr-fcc",
        "us/us-federalregister-api-documents-search-newest-2024-per_page2.json",
    ),
    (
        "us-fr-fda-devices",
        "us/us-federalregister-api-documents-search-newest-2024-per_page2.json",
    ),
    (
        "us-fr-cbp",
        "us/us-federalregister-api-documents-search-newest-2024-per_page2.json",
    ),
    (
        "us-fr-ustr",
        "us/us-federalregister-api-documents-search-newest-2024-per_page2.json",
    ),
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures_dir() -> PathBuf {
    manifest_dir().join("tests/fixtures/sources")
}

fn samples_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: ../shared/samples not found ({})", dir.display());
        None
    }
}

fn catalogue() -> Vec<Source> {
    let dir = manifest_dir().join("sources");
    load_sources_dir(&dir, &ScheduleConfig::default())
        .unwrap_or_else(|e| panic!("the shipped catalogue {} does not load: {e}", dir.display()))
}

fn source<'a>(all: &'a [Source], id: &str) -> &'a Source {
    all.iter()
        .find(|s| s.def.id.as_str() == id)
        .unwrap_or_else(|| panic!("source `{id}` is not in sources/*.toml"))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Extract `file` with `src`'s rules, as a poll would (no content type: the
/// charset is found from BOM, `<meta>` or detection, like a server that sends none).
fn run(src: &Source, file: &Path) -> Content {
    let body = read(file);
    extract(src.def.kind, &src.rules, &body, None, &src.def.url).unwrap_or_else(|e| {
        panic!(
            "source `{}`: extraction over {} failed: {e}",
            src.def.id.as_str(),
            file.display()
        )
    })
}

/// Items with titles and absolute links (pages always need a link: new items are
/// followed or linked from alerts; JSON needs one when `item_link` is set), or a
/// non-empty text block.
fn check(src: &Source, file: &Path, content: &Content) -> usize {
    let id = src.def.id.as_str();
    match content {
        Content::Items { items } => {
            assert!(!items.is_empty(), "{id}: no items from {}", file.display());
            for it in items {
                assert!(
                    !it.title.trim().is_empty(),
                    "{id}: an item with an empty title from {}: {it:?}",
                    file.display()
                );
                let needs_link = match src.def.kind {
                    SourceKind::Page | SourceKind::Feed => true,
                    SourceKind::Json => src.def.extract.item_link.is_some(),
                    SourceKind::Pdf => false,
                };
                match &it.link {
                    Some(l) => {
                        let u = url::Url::parse(l).unwrap_or_else(|e| {
                            panic!(
                                "{id}: link `{l}` is not an absolute URL ({e}), from {}",
                                file.display()
                            )
                        });
                        assert!(
                            matches!(u.scheme(), "http" | "https"),
                            "{id}: link `{l}` is not http(s), from {}",
                            file.display()
                        );
                    }
                    None => assert!(
                        !needs_link,
                        "{id}: an item without a link from {}: {it:?}",
                        file.display()
                    ),
                }
            }
            items.len()
        }
        Content::Text { text } => {
            assert!(
                !text.trim().is_empty(),
                "{id}: empty text from {}",
                file.display()
            );
            1
        }
    }
}

fn items(content: &Content) -> &[regwatch::model::Item] {
    match content {
        Content::Items { items } => items,
        Content::Text { .. } => panic!("expected items, got a text block"),
    }
}

#[test]
fn catalogue_loads_and_covers_every_jurisdiction() {
    let all = catalogue();
    for file in ["tr", "vn", "mx", "gb", "eu", "us", "wto"] {
        let path = manifest_dir().join("sources").join(format!("{file}.toml"));
        assert!(path.is_file(), "missing {}", path.display());
        let code = file.to_ascii_uppercase();
        let n = all.iter().filter(|s| s.file == path).count();
        assert!(n >= 1, "{} defines no source", path.display());
        assert!(
            all.iter()
                .filter(|s| s.file == path)
                .all(|s| s.def.jurisdiction.as_str() == code),
            "{} holds a source of another jurisdiction",
            path.display()
        );
    }
    assert!(
        all.len() >= 50,
        "only {} sources in the catalogue",
        all.len()
    );
    for cc in ["TR", "VN", "MX"] {
        let n = all
            .iter()
            .filter(|s| s.def.jurisdiction.as_str() == cc)
            .count();
        assert!(n >= 6, "only {n} sources for {cc}");
    }
    // A disabled source says why, for the people who would enable it.
    for s in all.iter().filter(|s| !s.def.enabled) {
        let notes = s.def.notes.as_deref().unwrap_or("");
        assert!(
            notes.starts_with("Disabled:"),
            "{}: disabled without the reason in its notes",
            s.def.id.as_str()
        );
    }
    // Every source says when to poll, in its own timezone.
    for s in &all {
        assert!(
            s.def.schedule.is_some(),
            "{}: no schedule",
            s.def.id.as_str()
        );
        assert!(
            s.def.timezone.is_some(),
            "{}: no timezone",
            s.def.id.as_str()
        );
    }
}

#[test]
fn every_page_and_json_source_has_a_fixture() {
    let all = catalogue();
    for s in &all {
        if matches!(s.def.kind, SourceKind::Page | SourceKind::Json) {
            assert!(
                FIXTURES.iter().any(|(id, _)| *id == s.def.id.as_str()),
                "source `{}` ({}) has no fixture in the FIXTURES table",
                s.def.id.as_str(),
                s.def.kind.as_str()
            );
        }
    }
    for (id, file) in FIXTURES {
        source(&all, id);
        assert!(
            fixtures_dir().join(file).is_file(),
            "fixture {file} for `{id}` is missing"
        );
    }
}

#[test]
fn every_source_extracts_its_fixture() {
    let all = catalogue();
    for (id, file) in FIXTURES {
        let src = source(&all, id);
        let path = fixtures_dir().join(file);
        let content = run(src, &path);
        check(src, &path, &content);
    }
}

#[test]
fn resmi_gazete_fixture_skips_ilan_section_and_blocks_fail() {
    let all = catalogue();
    let src = source(&all, "tr-resmi-gazete");
    let got = run(
        src,
        &fixtures_dir().join("tr/resmigazete-home-fihrist.html"),
    );
    let its = items(&got);
    assert_eq!(its.len(), 4, "the 4 acts, not the İLÂN items: {its:?}");
    assert!(its.iter().all(|i| i
        .link
        .as_deref()
        .unwrap_or("")
        .contains("/eskiler/2026/09/")));
    assert!(its.iter().any(|i| i.title.contains("Telsiz Ekipmanları")));

    // The firewall's 200 "Request Rejected" page is a failed fetch.
    let body = read(&fixtures_dir().join("tr/resmigazete-request-rejected.html"));
    let res = extract(
        src.def.kind,
        &src.rules,
        &body,
        Some("text/html"),
        &src.def.url,
    );
    assert!(
        res.is_err(),
        "a Request Rejected page must fail, got {res:?}"
    );

    // Followed items are Word HTML in windows-1254.
    let body = read(&fixtures_dir().join("tr/resmigazete-eskiler-item-windows-1254.htm"));
    let url =
        url::Url::parse("https://www.resmigazete.gov.tr/eskiler/2026/09/20260916-9.htm").unwrap();
    let text = followed_text(&body, None, &url, src.rules.follow_content.as_ref())
        .expect("followed Resmî Gazete page");
    assert!(
        text.contains("Türkiye İlaç ve Tıbbi Cihaz Kurumundan"),
        "windows-1254 decoded: {text}"
    );
    assert!(text.contains("yürürlüğe girer"), "{text}");
}

#[test]
fn titck_boilerplate_titles_are_followed_to_the_body() {
    let all = catalogue();
    let src = source(&all, "tr-titck-duyurular");
    assert!(
        src.def.extract.follow,
        "TİTCK titles are boilerplate: the body must be followed"
    );
    let got = run(src, &fixtures_dir().join("tr/titck-duyuru-list.html"));
    let its = items(&got);
    assert_eq!(its.len(), 3, "{its:?}");
    assert_eq!(its[0].title, "Tüm Firmaların Dikkatine");
    let body = read(&fixtures_dir().join("tr/titck-duyuru-detail-boilerplate-title.html"));
    let url = url::Url::parse(its[0].link.as_deref().unwrap()).unwrap();
    let text = followed_text(&body, None, &url, src.rules.follow_content.as_ref()).unwrap();
    assert!(text.contains("Ürün Takip Sistemi"), "{text}");
    assert!(
        !text.contains("Ana Sayfa"),
        "follow_content keeps the site chrome out: {text}"
    );
}

#[test]
fn dof_rules_take_only_notes_and_fail_on_the_no_edition_page() {
    let all = catalogue();
    for id in ["mx-dof-matutina", "mx-dof-vespertina"] {
        let src = source(&all, id);
        assert!(
            !src.def.extract.follow,
            "{id}: robots.txt disallows nota_detalle.php"
        );
        let got = run(
            src,
            &fixtures_dir().join("mx/dof-index_111-edicion-MAT-trimmed.html"),
        );
        let its = items(&got);
        assert_eq!(its.len(), 2, "{id}: only the two notes: {its:?}");
        assert!(its.iter().all(|i| i
            .link
            .as_deref()
            .unwrap()
            .starts_with("https://www.dof.gob.mx/nota_detalle.php?codigo=")));
        // UTF-8 bytes under an ISO-8859-1 <meta>: no mojibake.
        assert!(
            its[1].title.contains("dispositivos médicos"),
            "{id}: {:?}",
            its[1].title
        );

        let body = read(&fixtures_dir().join("mx/dof-index_111-sunday-no-edition-home-page.html"));
        let res = extract(
            src.def.kind,
            &src.rules,
            &body,
            Some("text/html; charset=UTF-8"),
            &src.def.url,
        );
        assert!(
            res.is_err(),
            "{id}: the no-edition home page must be a failure, got {res:?}"
        );
        // Even without fail_if, the item selector matches nothing there: still a failure.
        let mut rules = (*src.rules).clone();
        rules.fail_if.clear();
        let res = extract(
            src.def.kind,
            &rules,
            &body,
            Some("text/html; charset=UTF-8"),
            &src.def.url,
        );
        assert!(
            res.is_err(),
            "{id}: the item selector must match nothing on the home page, got {res:?}"
        );
    }
}

#[test]
fn eping_filters_are_applied_on_our_side() {
    let all = catalogue();
    let file = fixtures_dir().join("wto/eping-azuresearch-getall-items.json");
    let got = run(source(&all, "wto-eping-watchlist"), &file);
    let syms: Vec<&str> = items(&got).iter().map(|i| i.title.as_str()).collect();
    assert_eq!(items(&got).len(), 2, "Viet Nam and Mexico only: {syms:?}");
    let got = run(source(&all, "wto-eping-hs-84-85-90"), &file);
    assert_eq!(
        items(&got).len(),
        2,
        "the 851713 and 9018 notifications only: {:?}",
        items(&got)
    );
}

#[test]
fn every_source_extracts_the_real_samples() {
    let Some(dir) = samples_dir() else { return };
    let all = catalogue();
    for (id, file) in SAMPLES {
        let src = source(&all, id);
        let path = dir.join(file);
        let content = run(src, &path);
        let n = check(src, &path, &content);
        eprintln!("{id}: {n} item(s) from sample {file}");
    }
    // Counts from the captures (27 morning notes, 4 evening, 23 commodities).
    let n = |id: &str, f: &str| items(&run(source(&all, id), &dir.join(f))).len();
    assert_eq!(
        n(
            "mx-dof-matutina",
            "mx/mx-dof-index_111-2026-07-31-edicion-MAT.html"
        ),
        27
    );
    assert_eq!(
        n(
            "mx-dof-vespertina",
            "mx/mx-dof-index_111-2026-07-31-edicion-VES.html"
        ),
        4
    );
    assert_eq!(
        n(
            "gb-tariff-heading-8517",
            "gb/gb-tradetariff-api-v2-heading-1103.json"
        ),
        23
    );
    assert_eq!(
        n(
            "us-fr-fcc",
            "us/us-federalregister-api-documents-search-newest-2024-per_page2.json"
        ),
        2
    );

    // The real Sunday capture: 200 with the home page, which must be a failure.
    let body = read(&dir.join("mx/mx-dof-index_111-2026-07-26-sunday-no-edition.html"));
    for id in ["mx-dof-matutina", "mx-dof-vespertina"] {
        let src = source(&all, id);
        let res = extract(
            src.def.kind,
            &src.rules,
            &body,
            Some("text/html; charset=UTF-8"),
            &src.def.url,
        );
        assert!(
            res.is_err(),
            "{id}: the real no-edition page must fail, got {res:?}"
        );
    }

    // The real Resmî Gazete capture (windows-1254 Word HTML, the same family as the
    // /eskiler/ pages tr-resmi-gazete follows): decoded with its follow rules.
    let src = source(&all, "tr-resmi-gazete");
    let body = read(&dir.join("tr/tr-resmigazete-index-2026-09-16.htm"));
    let url =
        url::Url::parse("https://www.resmigazete.gov.tr/eskiler/2026/09/20260916.htm").unwrap();
    let text = followed_text(&body, None, &url, src.rules.follow_content.as_ref()).unwrap();
    assert!(text.contains("Tıbbi"), "windows-1254 decoded: {text}");
    assert!(text.contains("YÖNETMELİKLER"), "{text}");
}

fn tagger() -> regwatch::classify::Tagger {
    regwatch::classify::Tagger::builtin()
}

#[test]
fn federal_register_items_carry_their_dates_and_no_ids_as_hs_codes() {
    let all = catalogue();
    // Every Federal Register search asks for the fields that carry meaning.
    for s in all.iter().filter(|s| {
        s.def
            .url
            .as_str()
            .starts_with("https://www.federalregister.gov/api/")
    }) {
        let u = s.def.url.as_str();
        for f in ["effective_on", "comments_close_on", "action", "dates"] {
            assert!(
                u.contains(&format!("fields%5B%5D={f}")),
                "{}: no fields[]={f}",
                s.def.id.as_str()
            );
        }
        assert!(s.def.extract.item_text.is_some(), "{}", s.def.id.as_str());
    }
    let t = tagger();
    let file = fixtures_dir().join("us/federalregister-api-documents-fields.json");
    let got = run(source(&all, "us-fr-fcc"), &file);
    let it = items(&got);
    let final_rule = t.tag(&it[0].title, &it[0].text, Some("en"), &[]);
    assert_eq!(
        final_rule.effective_date.map(|d| d.to_string()).as_deref(),
        Some("2026-10-16"),
        "{:?}",
        it[0].text
    );
    let proposed = t.tag(&it[1].title, &it[1].text, Some("en"), &[]);
    assert_eq!(
        proposed.deadline.map(|d| d.to_string()).as_deref(),
        Some("2026-11-16"),
        "{:?}",
        it[1].text
    );
    // Document numbers and URLs are not in the text, so never read as HS codes.
    for i in it {
        assert!(!i.text.contains("2026-9000"), "{:?}", i.text);
        assert!(!i.text.contains("http"), "{:?}", i.text);
        assert!(t
            .tag(&i.title, &i.text, Some("en"), &[])
            .hs_codes
            .is_empty());
    }
    let file = fixtures_dir().join("us/federalregister-api-presidential-documents-fields.json");
    let got = run(source(&all, "us-fr-presidential-trade"), &file);
    let it = items(&got);
    assert_eq!(it.len(), 2);
    assert!(source(&all, "us-fr-presidential-trade")
        .def
        .url
        .as_str()
        .contains("conditions%5Btype%5D%5B%5D=PRESDOCU"));
    let tags = t.tag(&it[0].title, &it[0].text, Some("en"), &[]);
    assert_eq!(
        tags.effective_date.map(|d| d.to_string()).as_deref(),
        Some("2026-10-01"),
        "{:?}",
        it[0].text
    );
}

#[test]
fn eping_keeps_the_member_and_the_deadline_and_per_country_sources_may_be_empty() {
    let all = catalogue();
    let t = tagger();
    let file = fixtures_dir().join("wto/eping-azuresearch-getall-window.json");
    for (id, member) in [
        ("tr-eping", "Türkiye"),
        ("vn-eping", "Viet Nam"),
        ("mx-eping", "Mexico"),
        ("gb-eping", "United Kingdom"),
        ("eu-eping", "European Union"),
        ("us-eping", "United States of America"),
    ] {
        let src = source(&all, id);
        assert!(src.def.may_be_empty, "{id}");
        let u = src.def.url.as_str();
        assert!(
            u.contains("distributionDateFrom=") && u.contains("pageSize=1000"),
            "{id}: {u}"
        );
        let got = run(src, &file);
        let it = items(&got);
        assert_eq!(it.len(), 1, "{id}: {it:?}");
        assert!(
            it[0].title.starts_with(&format!("{member} — ")),
            "{:?}",
            it[0].title
        );
        assert!(
            it[0].text.contains(&format!("Notified by {member}")),
            "{:?}",
            it[0].text
        );
        assert!(
            it[0].text.contains("Comments due by 2026-11-14"),
            "{:?}",
            it[0].text
        );
        let tags = t.tag(&it[0].title, &it[0].text, Some("en"), &[]);
        assert_eq!(
            tags.deadline.map(|d| d.to_string()).as_deref(),
            Some("2026-11-14")
        );
    }
    // The window is dated at poll time, in the source's timezone.
    let src = source(&all, "vn-eping");
    let now = chrono::DateTime::parse_from_rfc3339("2026-09-30T20:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let u = regwatch::poll::source_url(src, now).to_string();
    assert!(
        u.contains("distributionDateFrom=2026-09-17&distributionDateTo=2026-10-01"),
        "{u}"
    );
    // A member with no notification in the window: an empty, valid answer.
    let brazil_only = br#"{"totalCount":0,"items":[]}"#;
    let src = source(&all, "tr-eping");
    let res = extract(src.def.kind, &src.rules, brazil_only, None, &src.def.url);
    assert!(
        matches!(res, Err(regwatch::extract::ExtractError::NoItems(_))),
        "{res:?}"
    );
}

#[test]
fn new_catalogue_sources_are_where_the_authorities_publish() {
    let all = catalogue();
    let url = |id: &str| source(&all, id).def.url.to_string();
    assert_eq!(
        url("vn-congbao-van-ban-moi"),
        "https://congbao.chinhphu.vn/cac-van-ban-moi-ban-hanh.rss"
    );
    assert_eq!(
        url("gb-mhra-device-alerts"),
        "https://www.gov.uk/drug-device-alerts.atom"
    );
    assert_eq!(
        url("wto-news"),
        "https://www.wto.org/library/rss/latest_news_e.xml"
    );
    for id in [
        "eu-harmonised-standards-red",
        "eu-harmonised-standards-emc",
        "eu-harmonised-standards-medical-devices",
    ] {
        assert!(
            url(id).starts_with("https://single-market-economy.ec.europa.eu/single-market/goods/european-standards/harmonised-standards/"),
            "{id}: {}",
            url(id)
        );
    }
    // customs.gov.vn builds its lists in the browser.
    let customs = source(&all, "vn-customs-van-ban");
    assert_eq!(customs.def.render, Some(regwatch::config::Render::Browser));
    assert!(customs.def.wait_for.is_some());
    // CBP answers non-browser clients with a bot wall: off, with the reason.
    let csms = source(&all, "us-cbp-csms");
    assert!(!csms.def.enabled);
    // Today's first extra issue of the Resmî Gazete, dated in Istanbul.
    let src = source(&all, "tr-resmi-gazete-mukerrer");
    assert!(src.def.may_be_empty);
    let now = chrono::DateTime::parse_from_rfc3339("2026-09-15T22:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(
        regwatch::poll::source_url(src, now).as_str(),
        "https://www.resmigazete.gov.tr/fihrist?tarih=2026-09-16&mukerrer=1"
    );
    let got = run(
        src,
        &fixtures_dir().join("tr/resmigazete-fihrist-mukerrer.html"),
    );
    assert_eq!(items(&got).len(), 2);
    // DOF EXT: most days have no extraordinary edition; the home page is an empty answer.
    let ext = source(&all, "mx-dof-extraordinaria");
    assert!(ext.def.may_be_empty);
    let body = read(&fixtures_dir().join("mx/dof-index_111-sunday-no-edition-home-page.html"));
    let res = extract(ext.def.kind, &ext.rules, &body, None, &ext.def.url);
    assert!(
        matches!(res, Err(regwatch::extract::ExtractError::NoItems(_))),
        "{res:?}"
    );
}

#[test]
fn uk_tariff_titles_name_the_code_and_its_description() {
    let all = catalogue();
    let file = fixtures_dir().join("gb/tradetariff-api-v2-heading-jsonapi.json");
    let got = run(source(&all, "gb-tariff-heading-8517"), &file);
    for it in items(&got) {
        let (code, desc) = it
            .title
            .split_once(" — ")
            .unwrap_or_else(|| panic!("no code in {:?}", it.title));
        assert!(
            code.len() == 10 && code.bytes().all(|b| b.is_ascii_digit()),
            "{:?}",
            it.title
        );
        assert!(!desc.trim().is_empty());
    }
}

#[test]
fn docs_give_every_source_an_honest_status() {
    let all = catalogue();
    let doc = std::fs::read_to_string(manifest_dir().join("docs/sources.md")).unwrap();
    for s in &all {
        let id = s.def.id.as_str();
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{id}` |")))
            .unwrap_or_else(|| panic!("docs/sources.md has no row for `{id}`"));
        let status = row.trim_end_matches('|').rsplit('|').next().unwrap();
        assert!(
            status.contains("not verified live") || status.contains("verified live on"),
            "`{id}`: status {status:?}"
        );
        assert!(
            status.contains("capture-backed")
                || status.contains("reconstructed")
                || status.contains("disabled"),
            "`{id}`: say what stands behind the rules: {status:?}"
        );
        if !s.def.enabled {
            assert!(status.contains("disabled"), "`{id}`: {status:?}");
        }
    }
    assert!(doc.contains("Verifying on a connected machine"));
}

#[test]
fn sources_check_passes_on_the_shipped_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("regwatch.toml");
    std::fs::write(
        &cfg,
        format!(
            "[storage]\nurl = \"sqlite://{}\"\n[sources]\ndir = \"{}\"\n",
            dir.path().join("x.db").display(),
            manifest_dir().join("sources").display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&cfg)
        .args(["sources", "check"])
        .env("REGWATCH_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("55 source(s)"), "{stdout}");
}
