#![no_main]
//! HTML bytes -> items (with item selectors), whole-page text, and the text of
//! a followed link: charset detection, scraping and link resolution.
use libfuzzer_sys::fuzz_target;
use regwatch::model::SourceKind;
use regwatch::rules::{CompiledRules, Css, ExtractRules};

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("https://example.org/news/list.html").unwrap();
    let items = ExtractRules {
        item: Some("li, article, tr".into()),
        item_title: Some("a, h2, td".into()),
        item_link: Some("a".into()),
        exclude: vec!["nav".into(), "footer".into()],
        ignore: vec![r"\d{2}:\d{2}".into()],
        fail_if: vec!["captcha".into()],
        ..Default::default()
    };
    let items = CompiledRules::compile(SourceKind::Page, &items).unwrap();
    let _ = regwatch::extract::extract(SourceKind::Page, &items, data, None, &url);
    let whole = ExtractRules {
        content: Some("main, body".into()),
        ..Default::default()
    };
    let whole = CompiledRules::compile(SourceKind::Page, &whole).unwrap();
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
});
