#![no_main]
//! PDF bytes -> text. The PDF parser's own panics are caught and reported as
//! an unreadable PDF (extract/pdf.rs), so the hook that turns every panic into
//! a crash is replaced by a quiet one; a panic that escapes the extractor
//! still aborts (libfuzzer-sys checks the target's result).
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: { std::panic::set_hook(Box::new(|_| {})); }, |data: &[u8]| {
    let mut body = b"%PDF-1.4\n".to_vec();
    body.extend_from_slice(data);
    let _ = regwatch::extract::pdf::extract(data);
    let _ = regwatch::extract::pdf::extract(&body);
});
