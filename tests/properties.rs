//! Property tests (proptest) for the parsers of outside input, the same ones
//! the fuzz targets in fuzz/ drive: whatever the input, they answer with a
//! value or an error, never a panic, and what they accept keeps its meaning.
//! A few hundred cases each, so `cargo test` stays fast; the fuzzers go deep.

use proptest::prelude::*;
use regwatch::config::{parse_duration, parse_sources, Config, ScheduleConfig, MAX_DURATION};
use regwatch::model::SourceKind;
use regwatch::rules::{CompiledRules, ExtractRules};
use regwatch::schedule::{translate, Schedule};
use std::path::Path;

fn cfg() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn url() -> url::Url {
    url::Url::parse("https://example.org/list.html").unwrap()
}

/// Bytes that look like markup often enough to get past the first parser checks.
fn markupish() -> impl Strategy<Value = Vec<u8>> {
    let frag = prop_oneof![
        Just("<rss version=\"2.0\"><channel>".to_string()),
        Just("<item><title>".to_string()),
        Just("</title><link>".to_string()),
        Just("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>".to_string()),
        Just("<?xml version=\"1.0\" encoding=\"windows-1254\"?>".to_string()),
        Just("<li><a href=\"".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just("\"></a></li>".to_string()),
        Just("{\"results\":[{\"title\":".to_string()),
        Just("]}".to_string()),
        Just("%PDF-1.4\n".to_string()),
        "[^\u{0}]{0,12}",
    ];
    prop::collection::vec(frag, 0..24).prop_map(|v| v.concat().into_bytes())
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..512), markupish()]
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn extraction_from_any_bytes_never_panics(body in any_bytes()) {
        let page = ExtractRules {
            item: Some("li".into()),
            item_link: Some("a".into()),
            ..Default::default()
        };
        let json = ExtractRules {
            item: Some("$.results[*]".into()),
            item_title: Some("$.title".into()),
            ..Default::default()
        };
        for (kind, rules) in [
            (SourceKind::Feed, ExtractRules::default()),
            (SourceKind::Page, page),
            (SourceKind::Json, json),
            (SourceKind::Pdf, ExtractRules::default()),
        ] {
            let rules = CompiledRules::compile(kind, &rules).unwrap();
            if let Ok(regwatch::model::Content::Items { items }) =
                regwatch::extract::extract(kind, &rules, &body, None, &url())
            {
                for it in items {
                    // Item links are resolved against the page: never relative.
                    if let Some(l) = it.link {
                        prop_assert!(url::Url::parse(&l).is_ok(), "{l}");
                    }
                }
            }
        }
        let _ = regwatch::extract::followed_text(&body, None, &url(), None);
        let _ = regwatch::extract::pdf::extract(&body);
    }

    #[test]
    fn hs_codes_normalize_idempotently(s in "\\PC{0,40}", digits in "[0-9]{2,10}") {
        let _ = regwatch_classify::extract_hs_codes(&s);
        if let Some(n) = regwatch_classify::normalize_hs(&s) {
            prop_assert_eq!(regwatch_classify::normalize_hs(&n), Some(n.clone()));
            let _ = regwatch_classify::hs_equivalents(&n);
            let _ = regwatch_classify::hs_correlated(&n);
        }
        if let Some(n) = regwatch_classify::normalize_hs(&digits) {
            prop_assert!(regwatch_classify::hs_digits(&n).chars().all(|c| c.is_ascii_digit()));
            prop_assert_eq!(regwatch_classify::hs_overlap(&n, &n).is_some(), true);
        }
    }

    #[test]
    fn dates_and_periods_never_panic(
        text in "\\PC{0,120}",
        n in any::<u64>(),
        unit in prop_oneof![Just(""), Just("d"), Just("h"), Just("w"), Just("m"), Just("y"), Just("ms"), Just("s"), Just("min")],
        year in -300_000i32..300_000,
    ) {
        let d = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(chrono::NaiveDate::MAX);
        let _ = regwatch_classify::effective_date(&text, Some("tr"), d);
        let _ = regwatch_classify::effective_date(&format!("{text} 31.12.{year} tarihinde yürürlüğe girer"), None, d);
        let typed = format!("{n}{unit}");
        let _ = regwatch::services::changes::parse_since(&typed, chrono::Utc::now());
        if let Ok(d) = parse_duration(&typed) {
            prop_assert!(d <= MAX_DURATION);
        }
    }

    #[test]
    fn config_and_sources_text_never_panics(text in "\\PC{0,300}", key in "[a-z_]{1,12}", val in "\\PC{0,20}") {
        let p = Path::new("/nonexistent/regwatch.toml");
        let _ = Config::from_str(p, &text);
        for t in [
            format!("[fetch]\n{key} = \"{val}\"\n"),
            format!("[server]\n{key} = {val}\n"),
            format!("[[channel]]\nname = \"x\"\ntype = \"webhook\"\n{key} = \"{val}\"\n"),
        ] {
            let _ = Config::from_str(p, &t);
        }
        let sched = ScheduleConfig::default();
        let _ = parse_sources(Path::new("s.toml"), &text, &sched);
        let src = format!("[[source]]\nid = \"a\"\nname = \"A\"\njurisdiction = \"TR\"\nlanguage = \"tr\"\nkind = \"page\"\nurl = \"https://a.example/\"\n{key} = \"{val}\"\n");
        let _ = parse_sources(Path::new("s.toml"), &src, &sched);
    }

    #[test]
    fn crontab_lines_never_panic_and_valid_ones_are_due(
        fields in prop::collection::vec(prop_oneof![
            Just("*".to_string()), Just("*/5".to_string()), Just("1-5".to_string()),
            Just("MON-FRI".to_string()), Just("0,30".to_string()), "[0-9]{1,3}", "\\PC{1,4}",
        ], 0..8),
        tz in prop_oneof![Just("UTC"), Just("Europe/Istanbul"), Just("America/Mexico_City"), Just("Mars/Base")],
    ) {
        let line = fields.join(" ");
        let _ = translate(&line);
        if let Ok(s) = Schedule::parse(&line, tz) {
            let t = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
            if let Some(next) = s.next_after(t) {
                prop_assert!(next > t);
            }
            let _ = s.next_after(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        }
    }

    #[test]
    fn case_imports_never_panic_and_good_rows_import(
        text in "\\PC{0,300}",
        id in "[A-Z]{1,3}-[0-9]{1,4}",
        client in "[A-Za-z ]{1,12}",
        hs in "85[0-9]{2}\\.[0-9]{2}",
    ) {
        let cats = vec!["telecom".to_string()];
        let none = |_: &str| vec![];
        let _ = regwatch::services::cases::parse_cases(&text, false, &cats, &none, "https://c/{id}");
        let _ = regwatch::services::cases::parse_cases(&text, true, &cats, &none, "https://c/{id}");
        let csv = format!("id,client,title,country,hs_codes,categories,keywords,status,link\n{id},{client},Phones,TR,{hs},,,open,\n{text}\n");
        let (good, _bad) = regwatch::services::cases::parse_cases(&csv, false, &cats, &none, "https://c/{id}").unwrap();
        prop_assert!(good.iter().any(|c| c.id == id), "{csv}");
    }
}

// Matching through the index of match terms: the candidates a change reads
// (cases sharing a term with it) hold every case the full scan matches.

const HS_POOL: &[&str] = &[
    "85",
    "84",
    "90",
    "8517",
    "8517.13",
    "8517.12",
    "8517.62",
    "8517.62.00.10",
    "8528.52",
    "8528.71",
    "8524.11",
    "8529.90",
    "8471.30",
    "8504.40",
    "9018.19",
    "9018.90",
    "3827.11",
    "3824.71",
    "7318.15",
];

fn case_strategy() -> impl Strategy<Value = regwatch::model::Case> {
    (
        prop::sample::select(vec!["TR", "VN", "MX", "GB", "XI", "DE", "US", "tr", "ZZZ"]),
        prop::collection::vec(prop::sample::select(HS_POOL), 0..3),
        prop::collection::vec(
            prop::sample::select(vec!["telecom", "Medical", "medical", "electronics"]),
            0..2,
        ),
        prop::collection::vec(
            prop::sample::select(vec![
                "IMEI",
                "tıbbi cihaz",
                "router",
                " ",
                "drone",
                "thiết bị y tế",
                "C++",
                "model-104",
                "#5G",
                "Smart Meter",
                "--",
            ]),
            0..2,
        ),
        prop::sample::select(vec![None, Some("CN"), Some("CA"), Some("VN")]),
        prop::sample::select(vec!["open", "open", "open", "closed"]),
    )
        .prop_map(
            |(country, hs, cats, kws, origin, status)| regwatch::model::Case {
                id: "C".into(),
                client: "Acme".into(),
                title: "t".into(),
                country: country.into(),
                hs_codes: hs
                    .iter()
                    .map(|h| regwatch::model::HsCode::parse(h).unwrap())
                    .collect(),
                categories: cats.iter().map(|s| s.to_string()).collect(),
                keywords: kws.iter().map(|s| s.to_string()).collect(),
                status: status.into(),
                link: None,
                origin: origin.map(Into::into),
            },
        )
}

type ChangeParts = (String, regwatch::model::Tags, String);

fn change_strategy() -> impl Strategy<Value = ChangeParts> {
    let codes = || prop::collection::vec(prop::sample::select(HS_POOL), 0..3);
    let words = || {
        prop::collection::vec(
            prop::sample::select(vec![
                "IMEI",
                "imei'nin",
                "TIBBİ CİHAZ",
                "tıbbi cihazların",
                "routers",
                "Router",
                "drone",
                "kayıt",
                "8517",
                "yeni",
                "IMEIX",
                "thiet bi y te",
                "thiết bị y tế",
                "C++",
                "Model-104'ün",
                "model-1045",
                "#5g",
                "smart meters",
            ]),
            0..5,
        )
    };
    (
        prop::sample::select(vec!["TR", "VN", "EU", "GB", "WTO", "MX", "US"]),
        prop::sample::select(vec![None, Some("TR"), Some("VN"), Some("EU")]),
        (codes(), codes(), codes()),
        prop::collection::vec(
            prop::sample::select(vec!["84", "85", "8", "", "8517", "851"]),
            0..2,
        ),
        prop::collection::vec(
            prop::sample::select(vec![
                ("8528.42", "8528.59"),
                ("8501", "8504"),
                ("84", "87"),
                ("90", "84"),
            ]),
            0..2,
        ),
        prop::collection::vec(
            prop::sample::select(vec!["telecom", "MEDICAL", "electronics"]),
            0..2,
        ),
        prop::collection::vec(
            prop::sample::select(vec!["tariff", "trade_defence", "goods_rule", "ukca"]),
            0..2,
        ),
        (
            prop::collection::vec(prop::sample::select(vec!["CN", "CA"]), 0..2),
            prop::collection::vec(prop::sample::select(vec!["CA", "VN"]), 0..2),
        ),
        words(),
    )
        .prop_map(
            |(
                j,
                member,
                (hs, more, excluded),
                chapters,
                ranges,
                cats,
                measures,
                (origins, exempt),
                words,
            )| {
                let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
                let mut hs_codes = s(&hs);
                // Range ends are codes of the change too, as the tagger gives them.
                for (lo, hi) in &ranges {
                    hs_codes.extend([lo.to_string(), hi.to_string()]);
                }
                hs_codes.extend(s(&more).into_iter().take(1));
                let tags = regwatch::model::Tags {
                    hs_codes,
                    chapters: s(&chapters),
                    hs_ranges: ranges
                        .iter()
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .collect(),
                    excluded_hs_codes: s(&excluded),
                    categories: s(&cats),
                    measures: s(&measures),
                    member: member.map(Into::into),
                    origins: s(&origins),
                    exempt_origins: s(&exempt),
                    ..Default::default()
                };
                (j.to_string(), tags, words.join(" "))
            },
        )
}

/// The store's candidate query, over one case in memory: a term of the
/// case among the change's terms, or a keyword term of its countries whose
/// key is among the change's words (as the store looks the vocabulary up),
/// or a term inside one of its ranges.
fn is_candidate(
    case: &regwatch::model::Case,
    probe: &regwatch::matching::Probe,
    title: &str,
    text: &str,
) -> bool {
    let keys = regwatch::matching::text_keys(title, text);
    regwatch::matching::case_terms(case).iter().any(|t| {
        probe.terms.contains(t)
            || (regwatch::matching::is_keyword_term(t)
                && probe
                    .countries
                    .iter()
                    .any(|c| t.starts_with(&format!("{c}|")))
                && keys.contains(&regwatch::matching::vocabulary_key(t)))
            || probe.ranges.iter().any(|(lo, hi)| t >= lo && t < hi)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn index_candidates_hold_every_match(
        case in case_strategy(),
        (j, tags, text) in change_strategy(),
        title in prop::sample::select(vec!["", "IMEI kaydı", "Router rule"]),
    ) {
        let full = regwatch::matching::match_case(&j, &tags, title, &text, &case);
        if let Some((strength, reason)) = full {
            let probe = regwatch::matching::probe(&j, &tags);
            prop_assert!(probe.is_some(), "{j} {tags:?} matched {case:?} ({strength:?} {reason}) without a probe");
            let probe = probe.unwrap();
            prop_assert!(
                is_candidate(&case, &probe, title, &text),
                "{case:?} matches ({strength:?}: {reason}) but is no candidate of {probe:?}"
            );
        }
    }
}

/// Over many random pairs, the index does narrow: most non-matching cases
/// are no candidates (the property above would hold for "every case is a
/// candidate" too).
#[test]
fn index_candidates_are_narrower_than_the_country() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut matched, mut candidates, mut reached) = (0, 0, 0);
    for _ in 0..3000 {
        let case = case_strategy().new_tree(&mut runner).unwrap().current();
        let (j, tags, text) = change_strategy().new_tree(&mut runner).unwrap().current();
        let Some(probe) = regwatch::matching::probe(&j, &tags) else {
            continue;
        };
        let country = regwatch::model::Country::parse(&case.country)
            .map(|c| c.to_string())
            .unwrap_or_default();
        if case.status != "open" || !probe.countries.contains(&country) {
            continue;
        }
        reached += 1;
        candidates += is_candidate(&case, &probe, "", &text) as usize;
        matched += regwatch::matching::match_case(&j, &tags, "", &text, &case).is_some() as usize;
    }
    assert!(
        matched > 50,
        "{matched} matches: the generators rarely match"
    );
    assert!(candidates >= matched);
    assert!(
        candidates < reached * 3 / 4,
        "{candidates} candidates of {reached} open cases in reach"
    );
}
