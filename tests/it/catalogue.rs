//! The shipped source catalogue (`sources/*.toml`): it loads, it covers the
//! jurisdictions, every enabled source's extraction rules yield items (or a
//! text block) from its own fixture in `tests/fixtures/sources/`, every
//! fixture says whether it is a real capture or was reconstructed, and
//! `docs/sources.md` says the same thing as the fixtures.
//!
//! Fixture provenance: a real capture is named `*.captured.*` and has a sidecar
//! `<file>.md` that starts `# Captured:` (original URL, capture date, the
//! repository, path and commit it was copied from). Anything else is
//! reconstructed and says so, in a comment inside the file or in a sidecar
//! that starts `# Reconstructed:` (JSON has no comments).

use std::path::{Path, PathBuf};

use regwatch::config::{load_sources_dir, ScheduleConfig, Source};
use regwatch::extract::{extract, followed_text, ExtractError};
use regwatch::model::{ChangeKind, Content, SourceKind};

/// Every enabled source and the fixture its rules are run over: what one poll
/// of it would answer. Several sources share one layout (one fixture).
pub const FIXTURES: &[(&str, &str)] = &[
    // TR
    ("tr-resmi-gazete", "tr/resmigazete-home-fihrist.html"),
    ("tr-ticaret-duyurular", "tr/ticaret-duyurular-list.html"),
    ("tr-ggm-duyurular", "tr/ticaret-duyurular-list.html"),
    ("tr-ithalat-duyurular", "tr/ticaret-duyurular-list.html"),
    ("tr-titck-duyurular", "tr/titck-duyuru-list.html"),
    ("tr-btk-haberler", "tr/btk-haberler.rss"),
    (
        "tr-resmi-gazete-mukerrer",
        "tr/resmigazete-fihrist-mukerrer.html",
    ),
    ("tr-eping", "wto/eping-azuresearch-getall-window.json"),
    ("tr-sanayi-duyurular", "tr/sanayi-duyurular-list.html"),
    ("tr-tse-duyurular", "tr/tse-duyuru-feed.rss"),
    (
        "tr-ticaret-urun-guvenligi-ithalat",
        "tr/ticaret-ithalatta-urun-guvenligi.html",
    ),
    // VN
    ("vn-customs-van-ban", "vn/customs-index-jsp-list.html"),
    (
        "vn-customs-tin-tuc",
        "vn/customs-tin-tuc-content-items.html",
    ),
    ("vn-mst-tin-tuc", "vn/mst-home.rss"),
    ("vn-mst-van-ban", "vn/mst-van-ban-phap-luat-list.html"),
    ("vn-mst-du-thao", "vn/mst-van-ban-du-thao-list.html"),
    ("vn-rfd-thong-bao", "vn/rfd-thong-bao-list.html"),
    ("vn-moit-van-ban", "vn/moit-van-ban-phap-luat-list.html"),
    ("vn-tcvn-tin-tuc", "vn/tcvn-feed.rss"),
    ("vn-trav-dieu-tra", "vn/trav-search-news.html"),
    (
        "vn-congbao-van-ban-moi",
        "vn/congbao-cac-van-ban-moi-ban-hanh.rss",
    ),
    ("vn-eping", "wto/eping-azuresearch-getall-window.json"),
    // MX
    (
        "mx-dof-matutina",
        "mx/dof-index_111-2026-07-31-edicion-MAT.captured.html",
    ),
    (
        "mx-dof-vespertina",
        "mx/dof-index_111-2026-07-31-edicion-VES.captured.html",
    ),
    ("mx-cofepris-prensa", "mx/gobmx-archivo-prensa.rss"),
    ("mx-crt-prensa", "mx/gobmx-archivo-prensa.rss"),
    ("mx-snice-ligie-notas", "mx/snice-ligie-notasnac-text.html"),
    (
        "mx-dof-extraordinaria",
        "mx/dof-index_111-edicion-EXT-reconstructed.html",
    ),
    (
        "mx-sidof-comercio-exterior",
        "mx/sidof-buscarNotas-titulo.json",
    ),
    ("mx-sidof-rgce", "mx/sidof-buscarNotas-titulo.json"),
    ("mx-sidof-ligie", "mx/sidof-buscarNotas-titulo.json"),
    (
        "mx-sidof-dispositivos-medicos",
        "mx/sidof-buscarNotas-titulo.json",
    ),
    ("mx-sidof-telecom", "mx/sidof-buscarNotas-titulo.json"),
    (
        "mx-sidof-cuotas-compensatorias",
        "mx/sidof-buscarNotas-titulo.json",
    ),
    (
        "mx-cofepris-alertas-dispositivos",
        "mx/cofepris-documentos-alertas.html",
    ),
    (
        "mx-ift-normas-homologacion",
        "mx/ift-normas-homologacion.html",
    ),
    ("mx-anam-sitemap", "mx/anam-sitemap.rss"),
    ("mx-eping", "wto/eping-azuresearch-getall-window.json"),
    // GB
    (
        "gb-hmrc-customs-guidance",
        "gb/govuk-search-news-and-communications.atom",
    ),
    (
        "gb-hmrc-customs-information-papers",
        "gb/govuk-search-news-and-communications.atom",
    ),
    (
        "gb-mhra-medical-devices",
        "gb/govuk-search-news-and-communications.atom",
    ),
    (
        "gb-opss-guidance",
        "gb/govuk-search-news-and-communications.atom",
    ),
    (
        "gb-legislation-new",
        "gb/legislation-new-data-feed-2015-12-10.captured.xml",
    ),
    (
        "gb-tariff-heading-8517",
        "gb/tradetariff-api-v2-heading-1103.captured.json",
    ),
    (
        "gb-tariff-heading-9018",
        "gb/tradetariff-api-v2-heading-1103.captured.json",
    ),
    ("gb-tariff-news", "gb/tradetariff-news-stories-list.html"),
    ("gb-mhra-device-alerts", "gb/govuk-drug-device-alerts.atom"),
    ("gb-eping", "wto/eping-azuresearch-getall-window.json"),
    (
        "gb-tra-publications",
        "gb/govuk-organisation-trade-remedies-authority.atom",
    ),
    (
        "gb-ofcom-spectrum-consultations",
        "gb/ofcom-consultations-spectrum-2025-11-24.captured.html",
    ),
    // EU
    ("eu-eurlex-oj-l", "eu/eurlex-display-feed.rss"),
    ("eu-eurlex-legislation", "eu/eurlex-display-feed.rss"),
    ("eu-eurlex-oj-c", "eu/eurlex-display-feed.rss"),
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
    ("eu-mdcg-guidance", "eu/mdcg-guidance-ecl-main.html"),
    (
        "eu-nando-mdr-notified-bodies",
        "eu/nando-notified-body-list-rendered.html",
    ),
    ("eu-eping", "wto/eping-azuresearch-getall-window.json"),
    // US
    (
        "us-fr-fcc",
        "us/federalregister-api-documents-search-newest-2024.captured.json",
    ),
    (
        "us-fr-fda-devices",
        "us/federalregister-api-documents-search-newest-2024.captured.json",
    ),
    (
        "us-fr-cbp",
        "us/federalregister-api-documents-search-newest-2024.captured.json",
    ),
    (
        "us-fr-ustr",
        "us/federalregister-api-documents-search-newest-2024.captured.json",
    ),
    (
        "us-fr-bis-section-232",
        "us/federalregister-api-documents-search-newest-2024.captured.json",
    ),
    (
        "us-fr-usitc",
        "us/federalregister-api-documents-search-newest-2024.captured.json",
    ),
    (
        "us-fr-presidential-trade",
        "us/federalregister-api-presidential-documents-fields.json",
    ),
    ("us-fda-medical-devices", "us/fda-rss.xml"),
    ("us-fda-press", "us/fda-rss.xml"),
    ("us-cbp-csms", "us/govdelivery-usdhscbp-widget.rss"),
    ("us-usitc-hts-release", "us/hts-currentRelease.json"),
    ("us-usitc-hts-8517", "us/hts-exportList-8517.json"),
    (
        "us-fcc-headlines",
        "us/fcc-news-events-headlines-2025-11-24.captured.html",
    ),
    ("us-fcc-covered-list", "us/fcc-coveredlist-main.html"),
    ("us-fda-import-alerts", "us/fda-import-alerts-by-date.html"),
    ("us-eping", "wto/eping-azuresearch-getall-window.json"),
    // WTO
    (
        "wto-eping-watchlist",
        "wto/eping-azuresearch-getall-items.json",
    ),
    (
        "wto-eping-hs-84-85-90",
        "wto/eping-azuresearch-getall-items.json",
    ),
    ("wto-news", "wto/wto-latest-news.rss"),
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures_dir() -> PathBuf {
    manifest_dir().join("tests/fixtures/sources")
}

pub fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

pub fn catalogue() -> Vec<Source> {
    let dir = manifest_dir().join("sources");
    load_sources_dir(&dir, &ScheduleConfig::default())
        .unwrap_or_else(|e| panic!("the shipped catalogue {} does not load: {e}", dir.display()))
}

fn source<'a>(all: &'a [Source], id: &str) -> &'a Source {
    all.iter()
        .find(|s| s.def.id.as_str() == id)
        .unwrap_or_else(|| panic!("source `{id}` is not in sources/*.toml"))
}

fn fixture_of(id: &str) -> Option<&'static str> {
    FIXTURES.iter().find(|(i, _)| *i == id).map(|(_, f)| *f)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Extract `file` with `src`'s rules, as a poll would (no content type: the
/// charset is found from BOM, `<meta>` or detection, like a server that sends none).
fn try_run(src: &Source, file: &Path) -> Result<Content, ExtractError> {
    extract(src.def.kind, &src.rules, &read(file), None, &src.def.url)
}

fn run(src: &Source, file: &Path) -> Content {
    try_run(src, file).unwrap_or_else(|e| {
        panic!(
            "source `{}`: extraction over {} failed: {e}",
            src.def.id.as_str(),
            file.display()
        )
    })
}

/// Why `content` is not a usable answer of `src`, if it is not: no items,
/// an item without a title, a page or feed item without an absolute http(s)
/// link, or an empty text block.
fn problems(src: &Source, content: &Content) -> Vec<String> {
    let mut out = vec![];
    match content {
        Content::Items { items } => {
            if items.is_empty() {
                out.push("no items".into());
            }
            for it in items {
                if it.title.trim().is_empty() {
                    out.push(format!("an item with an empty title: {it:?}"));
                }
                let needs_link = match src.def.kind {
                    SourceKind::Page | SourceKind::Feed => true,
                    SourceKind::Json => src.def.extract.item_link.is_some(),
                    SourceKind::Pdf => false,
                };
                match &it.link {
                    Some(l) => match url::Url::parse(l) {
                        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                        Ok(_) => out.push(format!("link `{l}` is not http(s)")),
                        Err(e) => out.push(format!("link `{l}` is not an absolute URL ({e})")),
                    },
                    None if needs_link => out.push(format!("an item without a link: {it:?}")),
                    None => {}
                }
            }
        }
        Content::Text { text } => {
            if text.trim().is_empty() {
                out.push("an empty text block".into());
            }
        }
    }
    out
}

fn items(content: &Content) -> &[regwatch::model::Item] {
    match content {
        Content::Items { items } => items,
        Content::Text { .. } => panic!("expected items, got a text block"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provenance {
    Captured,
    Reconstructed,
}

/// What a fixture says of itself; an error when it says nothing, or
/// contradicts its name.
fn provenance(rel: &str) -> Result<Provenance, String> {
    let path = fixture(rel);
    let sidecar = PathBuf::from(format!("{}.md", path.display()));
    let side = std::fs::read_to_string(&sidecar).ok();
    let named_captured = rel.contains(".captured.");
    if named_captured {
        let Some(side) = side else {
            return Err(format!("{rel}: a capture needs its sidecar {rel}.md"));
        };
        if !side.starts_with("# Captured:") {
            return Err(format!("{rel}.md must start with `# Captured:`"));
        }
        for must in ["Original URL", "Captured:", "From:"] {
            if !side.contains(must) {
                return Err(format!("{rel}.md does not say `{must}`"));
            }
        }
        return Ok(Provenance::Captured);
    }
    if let Some(side) = side {
        return if side.starts_with("# Reconstructed:") {
            Ok(Provenance::Reconstructed)
        } else {
            Err(format!(
                "{rel}.md must start with `# Reconstructed:` (or name the file *.captured.*)"
            ))
        };
    }
    let body = String::from_utf8_lossy(&read(&path)).to_lowercase();
    if body.contains("reconstructed") {
        Ok(Provenance::Reconstructed)
    } else {
        Err(format!(
            "{rel} does not say where it comes from: name a capture *.captured.* with a \
             `# Captured:` sidecar, or say \"Reconstructed\" in a comment or sidecar"
        ))
    }
}

#[test]
fn catalogue_loads_and_covers_every_jurisdiction() {
    let all = catalogue();
    for file in ["tr", "vn", "mx", "gb", "eu", "us", "wto"] {
        let path = manifest_dir().join("sources").join(format!("{file}.toml"));
        assert!(path.is_file(), "missing {}", path.display());
        let code = file.to_ascii_uppercase();
        let n = all.iter().filter(|s| *s.file == *path).count();
        assert!(n >= 1, "{} defines no source", path.display());
        assert!(
            all.iter()
                .filter(|s| *s.file == *path)
                .all(|s| s.def.jurisdiction.as_str() == code),
            "{} holds a source of another jurisdiction",
            path.display()
        );
    }
    assert!(
        all.len() >= 75,
        "only {} sources in the catalogue",
        all.len()
    );
    // At least 8 working (enabled) sources for each of the hardest markets.
    for cc in ["TR", "VN", "MX"] {
        let n = all
            .iter()
            .filter(|s| s.def.jurisdiction.as_str() == cc && s.def.enabled)
            .count();
        assert!(n >= 8, "only {n} enabled sources for {cc}");
    }
    // A disabled source says why, for the people who would enable it.
    for s in all.iter().filter(|s| !s.def.enabled) {
        let notes = s.def.notes.as_deref().unwrap_or("");
        assert!(
            notes.trim_start().starts_with("Disabled:"),
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
fn every_enabled_source_has_a_fixture() {
    let all = catalogue();
    let missing: Vec<String> = all
        .iter()
        .filter(|s| s.def.enabled && fixture_of(s.def.id.as_str()).is_none())
        .map(|s| format!("{} ({})", s.def.id.as_str(), s.def.kind.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "enabled sources without a fixture in FIXTURES (add one, or disable the source \
         with `Disabled: why` in its notes): {missing:?}"
    );
    for (id, file) in FIXTURES {
        let s = source(&all, id);
        assert!(s.def.enabled, "`{id}` is disabled: take it out of FIXTURES");
        assert!(
            fixture(file).is_file(),
            "fixture {file} for `{id}` is missing"
        );
    }
}

/// The heart of the catalogue test: every enabled source's rules, run over
/// its own fixture, give items with titles and links (or a text block). A
/// source that extracts nothing from its own fixture fails here.
#[test]
fn every_source_extracts_its_fixture() {
    let all = catalogue();
    let mut failures = vec![];
    for s in all.iter().filter(|s| s.def.enabled) {
        let id = s.def.id.as_str();
        let Some(file) = fixture_of(id) else {
            failures.push(format!("{id}: no fixture"));
            continue;
        };
        match try_run(s, &fixture(file)) {
            Ok(content) => {
                for p in problems(s, &content) {
                    failures.push(format!("{id} over {file}: {p}"));
                }
            }
            Err(e) => failures.push(format!("{id} over {file}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} source(s) do not extract their own fixture:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_says_whether_it_is_a_capture() {
    let mut bad = vec![];
    let mut captured = 0;
    for dir in std::fs::read_dir(fixtures_dir()).unwrap() {
        let dir = dir.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().and_then(|e| e.to_str()) == Some("md") {
                continue;
            }
            let rel = f
                .strip_prefix(fixtures_dir())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            match provenance(&rel) {
                Ok(Provenance::Captured) => captured += 1,
                Ok(Provenance::Reconstructed) => {}
                Err(e) => bad.push(e),
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(captured >= 10, "only {captured} captured fixtures");
}

/// The case-insensitive attribute flag (`[href*='&id=' i]`) is honoured by the
/// extractor: customs.gov.vn's detail links are written `&id=`, the old rule
/// looked for `&Id=` and matched nothing.
#[test]
fn customs_links_match_whatever_the_case_of_id() {
    let all = catalogue();
    let src = source(&all, "vn-customs-van-ban");
    let file = fixture("vn/customs-index-jsp-list.html");
    let got = run(src, &file);
    let its = items(&got);
    assert_eq!(its.len(), 3, "{its:?}");
    assert_eq!(its[0].title, "32168/TB-CHQ");
    assert_eq!(
        its[0].link.as_deref(),
        Some("https://www.customs.gov.vn/index.jsp?pageId=3&id=101580&cid=1294")
    );
    assert!(
        its[2].link.as_deref().unwrap().contains("&ID=101571"),
        "upper case matches too: {:?}",
        its[2]
    );
    assert!(its[0].text.contains("8517.62"), "{:?}", its[0].text);
    assert!(src.def.wait_for.as_deref().unwrap().contains(" i]"));
    // The old, case-sensitive rule finds nothing on the same page.
    let mut raw = (*src.def.extract).clone();
    raw.item = Some("a[href*='&Id=']".into());
    raw.item_title = None;
    raw.item_link = None;
    let old = regwatch::rules::CompiledRules::compile(SourceKind::Page, &raw).unwrap();
    let res = extract(SourceKind::Page, &old, &read(&file), None, &src.def.url);
    assert!(
        matches!(res, Err(ExtractError::NoItems(_))),
        "the case-sensitive rule must match nothing here: {res:?}"
    );
}

#[test]
fn resmi_gazete_fixture_skips_ilan_section_and_blocks_fail() {
    let all = catalogue();
    let src = source(&all, "tr-resmi-gazete");
    let got = run(src, &fixture("tr/resmigazete-home-fihrist.html"));
    let its = items(&got);
    assert_eq!(its.len(), 4, "the 4 acts, not the İLÂN items: {its:?}");
    assert!(its.iter().all(|i| i
        .link
        .as_deref()
        .unwrap_or("")
        .contains("/eskiler/2026/09/")));
    assert!(its.iter().any(|i| i.title.contains("Telsiz Ekipmanları")));

    // The firewall's 200 "Request Rejected" page is a failed fetch.
    let body = read(&fixture("tr/resmigazete-request-rejected.html"));
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
    let body = read(&fixture("tr/resmigazete-eskiler-item-windows-1254.htm"));
    let url =
        url::Url::parse("https://www.resmigazete.gov.tr/eskiler/2026/09/20260916-9.htm").unwrap();
    let text = followed_text(&body, None, &url, src.rules.follow_content.as_ref())
        .expect("followed Resmî Gazete page");
    assert!(
        text.contains("Türkiye İlaç ve Tıbbi Cihaz Kurumundan"),
        "windows-1254 decoded: {text}"
    );
    assert!(text.contains("yürürlüğe girer"), "{text}");

    // The real capture of a day's /eskiler/ index (the same Word HTML family).
    let body = read(&fixture(
        "tr/resmigazete-eskiler-20260916-index.captured.htm",
    ));
    let url =
        url::Url::parse("https://www.resmigazete.gov.tr/eskiler/2026/09/20260916.htm").unwrap();
    let text = followed_text(&body, None, &url, src.rules.follow_content.as_ref()).unwrap();
    assert!(text.contains("Tıbbi"), "windows-1254 decoded: {text}");
    assert!(text.contains("YÖNETMELİKLER"), "{text}");
}

/// Issue 23: on a day without an extra issue the mükerrer address redirects
/// to the home page, whose regular acts must not become "extra-issue news",
/// and yesterday's extra-issue acts must not be reported as removed.
#[test]
fn mukerrer_ignores_the_regular_issue_and_never_reports_removals() {
    let all = catalogue();
    let src = source(&all, "tr-resmi-gazete-mukerrer");
    assert!(src.def.may_be_empty);
    let now = chrono::DateTime::parse_from_rfc3339("2026-09-15T22:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(
        regwatch::poll::source_url(src, now).as_str(),
        "https://www.resmigazete.gov.tr/fihrist?tarih=2026-09-16&mukerrer=1"
    );
    // An extra issue: its acts.
    let got = run(src, &fixture("tr/resmigazete-fihrist-mukerrer.html"));
    let its = items(&got);
    assert_eq!(its.len(), 2, "{its:?}");
    assert!(its
        .iter()
        .all(|i| i.link.as_deref().unwrap().contains("20260916M1-")));
    // The home page a redirect lands on: nothing (an empty, valid answer).
    let res = try_run(src, &fixture("tr/resmigazete-home-fihrist.html"));
    assert!(
        matches!(res, Err(ExtractError::NoItems(_))),
        "the regular issue is not an extra issue: {res:?}"
    );
    assert!(src.reports(ChangeKind::Added));
    assert!(
        !src.reports(ChangeKind::Removed),
        "yesterday's extra issue leaving the list is not a repeal"
    );
    // A redirect (to the home page) on a day without an extra issue means
    // "nothing today".
    assert!(src.redirect_means_empty());
}

#[test]
fn titck_boilerplate_titles_are_followed_to_the_body() {
    let all = catalogue();
    let src = source(&all, "tr-titck-duyurular");
    assert!(
        src.def.extract.follow,
        "TİTCK titles are boilerplate: the body must be followed"
    );
    let got = run(src, &fixture("tr/titck-duyuru-list.html"));
    let its = items(&got);
    assert_eq!(its.len(), 3, "{its:?}");
    assert_eq!(its[0].title, "Tüm Firmaların Dikkatine");
    let body = read(&fixture("tr/titck-duyuru-detail-boilerplate-title.html"));
    let url = url::Url::parse(its[0].link.as_deref().unwrap()).unwrap();
    let text = followed_text(&body, None, &url, src.rules.follow_content.as_ref()).unwrap();
    assert!(text.contains("Ürün Takip Sistemi"), "{text}");
    assert!(
        !text.contains("Ana Sayfa"),
        "follow_content keeps the site chrome out: {text}"
    );
}

#[test]
fn dof_rules_on_the_real_captures() {
    let all = catalogue();
    for (id, file, n) in [
        (
            "mx-dof-matutina",
            "mx/dof-index_111-2026-07-31-edicion-MAT.captured.html",
            27,
        ),
        (
            "mx-dof-vespertina",
            "mx/dof-index_111-2026-07-31-edicion-VES.captured.html",
            4,
        ),
    ] {
        let src = source(&all, id);
        assert!(
            !src.def.extract.follow,
            "{id}: robots.txt disallows nota_detalle.php"
        );
        let got = run(src, &fixture(file));
        let its = items(&got);
        assert_eq!(its.len(), n, "{id}: {its:?}");
        assert!(its.iter().all(|i| i
            .link
            .as_deref()
            .unwrap()
            .starts_with("https://www.dof.gob.mx/nota_detalle.php?codigo=")));
        // UTF-8 bytes under an ISO-8859-1 <meta>: no mojibake.
        assert!(
            its.iter().all(|i| !i.title.contains('Ã')),
            "{id}: {:?}",
            its.iter().map(|i| &i.title).collect::<Vec<_>>()
        );
        assert!(
            its.iter()
                .any(|i| i.title.contains("ó") || i.title.contains("í")),
            "{id}: accented titles decoded"
        );

        // The real Sunday page: 200 with the home page, which must be a failure.
        let body = read(&fixture(
            "mx/dof-index_111-2026-07-26-sunday-no-edition.captured.html",
        ));
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
    // DOF EXT: most days have no extraordinary edition; the home page is an empty answer.
    let ext = source(&all, "mx-dof-extraordinaria");
    assert!(ext.def.may_be_empty);
    assert!(ext.def.url.as_str().ends_with("edicion=EXT"));
    let res = try_run(
        ext,
        &fixture("mx/dof-index_111-2026-07-26-sunday-no-edition.captured.html"),
    );
    assert!(matches!(res, Err(ExtractError::NoItems(_))), "{res:?}");
}

#[test]
fn sidof_searches_are_title_searches_newest_first() {
    let all = catalogue();
    let sidof: Vec<&Source> = all
        .iter()
        .filter(|s| s.def.id.as_str().starts_with("mx-sidof-"))
        .collect();
    assert!(sidof.len() >= 6);
    for s in sidof {
        let u = s.def.url.as_str();
        assert!(
            u.starts_with("https://sidof.segob.gob.mx/dof/sidof/buscarNotas/titulo/")
                && u.ends_with("/1/20/fecha/desc"),
            "{}: {u}",
            s.def.id.as_str()
        );
        // Hyphens split a SIDOF phrase into OR terms: never in a phrase.
        let phrase = u
            .split("/titulo/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        assert!(!phrase.contains('-'), "{}: {phrase}", s.def.id.as_str());
        assert!(!s.reports(ChangeKind::Removed));
    }
    let got = run(
        source(&all, "mx-sidof-ligie"),
        &fixture("mx/sidof-buscarNotas-titulo.json"),
    );
    let its = items(&got);
    assert_eq!(its.len(), 3);
    assert!(its[1]
        .title
        .starts_with("DECRETO por el que se modifica la Tarifa"));
    assert!(its[1].text.contains("Publicado en el DOF el 10-09-2026"));
}

#[test]
fn eping_filters_are_applied_on_our_side() {
    let all = catalogue();
    let file = fixture("wto/eping-azuresearch-getall-items.json");
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
fn eping_reads_a_short_window_that_fits_one_page() {
    let all = catalogue();
    let t = regwatch::classify::Tagger::builtin();
    let file = fixture("wto/eping-azuresearch-getall-window.json");
    // Every ePing source: a 3-day window of distribution dates, one page of 100
    // (ePing answers in relevance order; public clients cap pages at 100).
    for s in all
        .iter()
        .filter(|s| s.def.url.as_str().starts_with("https://epingalert.org/"))
    {
        let u = s.def.url.as_str();
        assert!(
            u.contains("distributionDateFrom=%7Btoday-3d%7D")
                || u.contains("distributionDateFrom={today-3d}"),
            "{}: {u}",
            s.def.id.as_str()
        );
        assert!(u.contains("pageSize=100"), "{}: {u}", s.def.id.as_str());
        assert!(!u.contains("pageSize=1000"), "{}: {u}", s.def.id.as_str());
    }
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
        u.contains("distributionDateFrom=2026-09-28&distributionDateTo=2026-10-01"),
        "{u}"
    );
    // A member with no notification in the window: an empty, valid answer.
    let none = br#"{"totalCount":0,"items":[]}"#;
    let src = source(&all, "tr-eping");
    let res = extract(src.def.kind, &src.rules, none, None, &src.def.url);
    assert!(matches!(res, Err(ExtractError::NoItems(_))), "{res:?}");
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
    let t = regwatch::classify::Tagger::builtin();
    // The real capture: titles, links, no ids or URLs in the text.
    let got = run(
        source(&all, "us-fr-fcc"),
        &fixture("us/federalregister-api-documents-search-newest-2024.captured.json"),
    );
    let it = items(&got);
    assert_eq!(it.len(), 2);
    assert_eq!(it[0].title, "Combined Notice of Filings #1");
    assert!(it[0]
        .link
        .as_deref()
        .unwrap()
        .starts_with("https://www.federalregister.gov/documents/2024/12/31/2024-31440/"));
    for i in it {
        assert!(!i.text.contains("2024-314"), "{:?}", i.text);
    }
    // Labelled dates (reconstructed answer with fields[]).
    let file = fixture("us/federalregister-api-documents-fields.json");
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
    let file = fixture("us/federalregister-api-presidential-documents-fields.json");
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
fn uk_tariff_titles_name_the_code_and_its_description() {
    let all = catalogue();
    let file = fixture("gb/tradetariff-api-v2-heading-1103.captured.json");
    let got = run(source(&all, "gb-tariff-heading-8517"), &file);
    assert_eq!(items(&got).len(), 23, "the capture's 23 commodities");
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
fn real_captures_of_ofcom_fcc_and_legislation() {
    let all = catalogue();
    // Ofcom through Firecrawl: 27 consultations and statements, newest first.
    let ofcom = source(&all, "gb-ofcom-spectrum-consultations");
    let got = run(
        ofcom,
        &fixture("gb/ofcom-consultations-spectrum-2025-11-24.captured.html"),
    );
    let its = items(&got);
    assert_eq!(its.len(), 27);
    assert!(its[0].title.starts_with("Consultation:"), "{:?}", its[0]);
    assert!(its[0].text.contains("Last updated"), "{:?}", its[0].text);
    assert!(its.iter().all(|i| i
        .link
        .as_deref()
        .unwrap()
        .starts_with("https://www.ofcom.org.uk/")));
    // What a plain client gets: Cloudflare's challenge, a failed poll.
    let res = try_run(
        ofcom,
        &fixture("gb/ofcom-cloudflare-challenge-2025-11-24.captured.html"),
    );
    assert!(
        matches!(res, Err(ExtractError::Blocked(_))),
        "the challenge page must fail: {res:?}"
    );
    assert_eq!(ofcom.def.render, Some(regwatch::config::Render::Browser));
    // FCC headlines, rendered DOM: 25 headline documents.
    let got = run(
        source(&all, "us-fcc-headlines"),
        &fixture("us/fcc-news-events-headlines-2025-11-24.captured.html"),
    );
    let its = items(&got);
    assert_eq!(its.len(), 25);
    assert_eq!(
        its[0].title,
        "FCC Proposes Upper C-Band Rules for 2027 Auction"
    );
    assert_eq!(
        its[0].link.as_deref(),
        Some("https://www.fcc.gov/document/fcc-proposes-upper-c-band-rules-2027-auction-0")
    );
    assert!(
        its[0].text.contains("November 21, 2025"),
        "{:?}",
        its[0].text
    );
    // legislation.gov.uk: 20 entries.
    let got = run(
        source(&all, "gb-legislation-new"),
        &fixture("gb/legislation-new-data-feed-2015-12-10.captured.xml"),
    );
    assert_eq!(items(&got).len(), 20);
}

#[test]
fn the_four_wrong_sources_of_issue_23_are_fixed() {
    let all = catalogue();
    let url = |id: &str| source(&all, id).def.url.to_string();
    // OJ C is rssId=221 in every public configuration found; 223 appears nowhere.
    assert_eq!(
        url("eu-eurlex-oj-c"),
        "https://eur-lex.europa.eu/EN/display-feed.rss?rssId=221"
    );
    assert_eq!(
        url("eu-eurlex-oj-l"),
        "https://eur-lex.europa.eu/EN/display-feed.rss?rssId=222"
    );
    // CSMS through GovDelivery's widget feed, not the bot-walled cbp.gov page.
    let csms = source(&all, "us-cbp-csms");
    assert!(csms.def.enabled);
    assert_eq!(csms.def.kind, SourceKind::Feed);
    assert_eq!(
        url("us-cbp-csms"),
        "https://content.govdelivery.com/accounts/USDHSCBP/widgets/USDHSCBP_WIDGET_2.rss"
    );
    let got = run(csms, &fixture("us/govdelivery-usdhscbp-widget.rss"));
    assert!(items(&got).iter().all(|i| i.title.starts_with("CSMS # ")));
    // customs.gov.vn: see customs_links_match_whatever_the_case_of_id;
    // Resmî Gazete mükerrer: see mukerrer_ignores_the_regular_issue_and_never_reports_removals.
    let customs = source(&all, "vn-customs-van-ban");
    assert_eq!(customs.def.render, Some(regwatch::config::Render::Browser));
    assert!(!customs
        .def
        .extract
        .item
        .as_deref()
        .unwrap()
        .contains("&Id="));
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
        url("gb-tra-publications"),
        "https://www.gov.uk/government/organisations/trade-remedies-authority.atom"
    );
    assert_eq!(
        url("wto-news"),
        "https://www.wto.org/library/rss/latest_news_e.xml"
    );
    assert_eq!(
        url("us-usitc-hts-release"),
        "https://hts.usitc.gov/reststop/currentRelease"
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
    // Pages built by JavaScript are rendered.
    for id in [
        "vn-customs-van-ban",
        "vn-customs-tin-tuc",
        "vn-trav-dieu-tra",
        "gb-ofcom-spectrum-consultations",
        "eu-nando-mdr-notified-bodies",
    ] {
        let s = source(&all, id);
        assert_eq!(
            s.def.render,
            Some(regwatch::config::Render::Browser),
            "{id}"
        );
        assert!(
            s.def.wait_for.is_some(),
            "{id}: wait for the list, not for quiet"
        );
    }
    // Doubtful sources with no public trace of their markup are off, saying why.
    for id in [
        "tr-btk-duyurular",
        "tr-btk-mevzuat",
        "vn-vnta-tin-tuc",
        "vn-dmec-thong-bao",
        "mx-anam-avisos",
    ] {
        assert!(!source(&all, id).def.enabled, "{id}");
    }
}

/// One row per source in docs/sources.md, whose "layout" column agrees with
/// the fixture (captured or reconstructed) and whose status is honest.
#[test]
fn docs_give_every_source_an_honest_status() {
    let all = catalogue();
    let doc = std::fs::read_to_string(manifest_dir().join("docs/sources.md")).unwrap();
    let mut bad = vec![];
    for s in &all {
        let id = s.def.id.as_str();
        let Some(row) = doc.lines().find(|l| l.starts_with(&format!("| `{id}` |"))) else {
            bad.push(format!("docs/sources.md has no row for `{id}`"));
            continue;
        };
        let cells: Vec<&str> = row
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let (Some(layout), Some(status)) = (cells.get(cells.len().wrapping_sub(3)), cells.last())
        else {
            bad.push(format!("`{id}`: row too short"));
            continue;
        };
        if !(status.contains("not verified live") || status.contains("verified live on")) {
            bad.push(format!(
                "`{id}`: status {status:?} says nothing of live checks"
            ));
        }
        if s.def.enabled == status.contains("disabled") {
            bad.push(format!(
                "`{id}`: enabled={} but status {status:?}",
                s.def.enabled
            ));
        }
        match fixture_of(id) {
            Some(f) => {
                let want = match provenance(f) {
                    Ok(Provenance::Captured) => "captured",
                    Ok(Provenance::Reconstructed) => "reconstructed",
                    Err(e) => {
                        bad.push(e);
                        continue;
                    }
                };
                if !layout.starts_with(want) {
                    bad.push(format!(
                        "`{id}`: layout {layout:?} but its fixture {f} is {want}"
                    ));
                }
            }
            None => {
                if !layout.starts_with("none") {
                    bad.push(format!(
                        "`{id}`: no fixture, layout must say `none`: {layout:?}"
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
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
    let n = catalogue().len();
    assert!(stdout.contains(&format!("{n} source(s)")), "{stdout}");
}
