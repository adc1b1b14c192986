#![no_main]
//! HS codes: normalizing what a person typed, finding codes in notice text,
//! overlaps and the HS 2017/2022 correlation.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = regwatch_classify::hs_digits(s);
    if let Some(n) = regwatch_classify::normalize_hs(s) {
        let _ = regwatch_classify::hs_equivalents(&n);
        let _ = regwatch_classify::hs_correlated(&n);
        let _ = regwatch_classify::hs_overlap(&n, "8517130000");
    }
    for code in regwatch_classify::extract_hs_codes(s).iter().take(16) {
        let _ = regwatch_classify::hs_overlap(code, s);
        let _ = regwatch_classify::hs_equivalents(code);
    }
    let _ = regwatch::model::HsCode::parse(s);
    let mid = (0..=s.len() / 2)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    let (a, b) = s.split_at(mid);
    let _ = regwatch_classify::hs_overlap(a, b);
});
