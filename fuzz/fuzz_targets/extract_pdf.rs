#![no_main]
//! PDF bytes -> text. The PDF parser's own panics are caught and reported as
//! an unreadable PDF (extract/pdf.rs), so the hook that turns every panic into
//! a crash is replaced by a quiet one; a panic that escapes the extractor
//! still aborts (libfuzzer-sys checks the target's result).
//!
//! A stack overflow on the reader's thread kills the process before
//! libFuzzer can save the input (the thread has no alternate signal stack):
//! with `REGWATCH_FUZZ_LAST=FILE` each input is written there first, so the
//! one that crashed is the file's content.
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: { std::panic::set_hook(Box::new(|_| {})); }, |data: &[u8]| {
    if let Some(p) = std::env::var_os("REGWATCH_FUZZ_LAST") {
        let _ = std::fs::write(p, data);
    }
    let mut body = b"%PDF-1.4\n".to_vec();
    body.extend_from_slice(data);
    let _ = regwatch::extract::pdf::extract(data);
    let _ = regwatch::extract::pdf::extract(&body);
});
