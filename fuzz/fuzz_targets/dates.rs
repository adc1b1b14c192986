#![no_main]
//! Dates in notice text (effective dates, deadlines, relative dates counted
//! from the publication date), the whole classifier on the same text, and the
//! periods a person types (`--since`, `since=`).
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TAXONOMY: OnceLock<regwatch_classify::Taxonomy> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let published = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let _ = regwatch_classify::effective_date(s, None, published);
    let _ = regwatch_classify::effective_date(s, Some("tr"), chrono::NaiveDate::MAX);
    let _ = regwatch_classify::effective_date(s, Some("es"), chrono::NaiveDate::MIN);
    let tax = TAXONOMY.get_or_init(regwatch_classify::Taxonomy::builtin);
    let input = regwatch_classify::Input {
        title: s.get(..s.len().min(80)).unwrap_or(""),
        text: s,
        published: Some(published),
        ..Default::default()
    };
    let _ = tax.classify_at(&input, published);
    // A fixed "now", and the ends of the calendar: a period must never
    // overflow whatever the clock says.
    for now in [
        chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
        chrono::DateTime::<chrono::Utc>::MIN_UTC,
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
    ] {
        let _ = regwatch::services::changes::parse_since(s, now);
    }
    let _ = regwatch::config::parse_duration(s);
});
