#![no_main]
//! A case export (CSV, or a JSON array) -> cases and bad rows.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let cats = vec!["tariff".to_string(), "sanctions".to_string()];
    let by_hs = |hs: &str| {
        if hs.starts_with("85") {
            vec!["electronics".to_string()]
        } else {
            vec![]
        }
    };
    let _ =
        regwatch::services::cases::parse_cases(s, false, &cats, &by_hs, "https://crm.example/{id}");
    let _ =
        regwatch::services::cases::parse_cases(s, true, &cats, &by_hs, "https://crm.example/{id}");
});
