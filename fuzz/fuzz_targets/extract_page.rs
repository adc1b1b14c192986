#![no_main]
//! HTML bytes -> items (with item selectors), whole-page text, and the text of
//! a followed link: charset detection, scraping and link resolution. The
//! streaming extractor is checked against the DOM path on the same bytes:
//! where it answers, it answers what the DOM path answers.
use libfuzzer_sys::fuzz_target;
use regwatch::extract::{page, stream};
use regwatch::model::SourceKind;
use regwatch::rules::{CompiledRules, Css, ExtractRules};

fn rules(x: ExtractRules) -> CompiledRules {
    CompiledRules::compile(SourceKind::Page, &x).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("https://example.org/news/list.html").unwrap();
    let items = rules(ExtractRules {
        item: Some("li, article, tr".into()),
        item_title: Some("a, h2, td".into()),
        item_link: Some("a".into()),
        exclude: vec!["nav".into(), "footer".into()],
        ignore: vec![r"\d{2}:\d{2}".into()],
        fail_if: vec!["captcha".into()],
        ..Default::default()
    });
    let _ = regwatch::extract::extract(SourceKind::Page, &items, data, None, &url);
    let whole = rules(ExtractRules {
        content: Some("main, body".into()),
        ..Default::default()
    });
    let _ = regwatch::extract::extract(
        SourceKind::Page,
        &whole,
        data,
        Some("text/html; charset=utf-8"),
        &url,
    );
    let sel = Css::parse("follow_content", "article").unwrap();
    let _ = regwatch::extract::followed_text(data, Some("text/html"), &url, Some(&sel));
    let _ = regwatch::extract::followed_text(data, None, &url, None);

    // Both paths on the same text.
    let html = regwatch::extract::charset::decode(data, None);
    let listing = rules(ExtractRules {
        content: Some("body > div, ul".into()),
        item: Some("li, a[href]".into()),
        item_text: Some("p, span".into()),
        exclude: vec!["script".into(), ".ad".into()],
        ..Default::default()
    });
    for r in [&items, &whole, &listing] {
        let plan = page::stream_plan(&r.page).expect("these rules stream");
        if let Ok(s) = stream::extract(&html, plan, &url) {
            assert_eq!(s, page::extract_dom(&html, &r.page, &url), "{html:?}");
        }
    }
});
