#![no_main]
//! JSON API bytes -> items through JSONPath rules, and whole-document text.
use libfuzzer_sys::fuzz_target;
use regwatch::model::SourceKind;
use regwatch::rules::{CompiledRules, ExtractRules};

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("https://api.example.org/v1/documents?page=1").unwrap();
    let items = ExtractRules {
        item: Some("$.results[*]".into()),
        item_title: Some("$.title".into()),
        item_link: Some("$.html_url".into()),
        item_text: Some("$.abstract".into()),
        item_id: Some("$.document_number".into()),
        ..Default::default()
    };
    let items = CompiledRules::compile(SourceKind::Json, &items).unwrap();
    let _ = regwatch::extract::extract(SourceKind::Json, &items, data, None, &url);
    let deep = ExtractRules {
        item: Some("$..*".into()),
        ..Default::default()
    };
    let deep = CompiledRules::compile(SourceKind::Json, &deep).unwrap();
    let _ = regwatch::extract::extract(SourceKind::Json, &deep, data, None, &url);
    let whole = CompiledRules::compile(SourceKind::Json, &ExtractRules::default()).unwrap();
    let _ = regwatch::extract::extract(SourceKind::Json, &whole, data, None, &url);
});
