#![no_main]
//! RSS/Atom/JSON Feed bytes -> items: errors are fine, panics are not.
use libfuzzer_sys::fuzz_target;
use regwatch::model::SourceKind;
use regwatch::rules::{CompiledRules, ExtractRules};

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("https://example.org/feed.xml").unwrap();
    let rules = CompiledRules::compile(SourceKind::Feed, &ExtractRules::default()).unwrap();
    let _ = regwatch::extract::extract(SourceKind::Feed, &rules, data, None, &url);
    let _ = regwatch::extract::extract(
        SourceKind::Feed,
        &rules,
        data,
        Some("application/rss+xml; charset=windows-1254"),
        &url,
    );
});
