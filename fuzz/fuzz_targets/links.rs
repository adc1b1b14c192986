#![no_main]
//! Links and spreadsheet cells, as this round changed them: `safe_link`
//! keeps only http(s), re-serialized, with nothing after the host that
//! would end a Markdown, mrkdwn or HTML link, and re-parses to the same
//! host; `spreadsheet_safe` never leaves a formula start, and an import
//! reads back exactly what was exported.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(l) = regwatch::util::safe_link(Some(s)) {
        let u = url::Url::parse(&l).expect("safe_link's output parses");
        assert!(matches!(u.scheme(), "http" | "https"), "{l}");
        let orig = url::Url::parse(s.trim()).expect("the input parsed");
        assert_eq!(u.host_str(), orig.host_str(), "{s:?} -> {l}");
        let tail = &l[u[..url::Position::BeforePath].len()..];
        assert!(
            !tail.contains(['(', ')', '[', ']', '<', '>', '|', '"', '\'', '`', ' ', '\\']),
            "{s:?} -> {l}"
        );
    }
    let safe = regwatch::services::cases::spreadsheet_safe(s);
    assert!(
        !safe.starts_with(['=', '+', '-', '@', '\t', '\r']),
        "{s:?} -> {safe:?}"
    );
    // Through a CSV as `cases export` writes it and `cases import` reads it.
    let csv = {
        let mut w = csv::Writer::from_writer(vec![]);
        w.write_record(["id", "country", "title"]).unwrap();
        w.write_record(["C-1", "TR", &safe]).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    };
    let none = |_: &str| vec![];
    if let Ok((good, _)) = regwatch::services::cases::parse_cases(&csv, false, &[], &none, "") {
        if let Some(c) = good.first() {
            if !s.contains(['\0']) && s.trim() == s && !s.contains(['\r', '\n']) {
                assert_eq!(c.title, s, "{csv:?}");
            }
        }
    }
});
