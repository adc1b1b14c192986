#![no_main]
//! RSS/Atom/JSON Feed bytes -> items: errors are fine, panics are not. The
//! extractor catches the XML reader's own panics (a malformed feed), so the
//! hook that turns every panic into a crash is replaced by a quiet one; a
//! panic that escapes the extractor still aborts.
use libfuzzer_sys::fuzz_target;
use regwatch::model::SourceKind;
use regwatch::rules::{CompiledRules, ExtractRules};

fuzz_target!(init: { std::panic::set_hook(Box::new(|_| {})); }, |data: &[u8]| {
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
