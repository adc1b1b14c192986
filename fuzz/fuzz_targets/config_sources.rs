#![no_main]
//! `regwatch.toml` and a sources file from text: load, defaults, validation
//! with file:line. The same bytes are tried as both.
use libfuzzer_sys::fuzz_target;
use regwatch::config::{parse_sources, Config, ScheduleConfig};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent/regwatch.toml");
    if let Ok(cfg) = Config::from_str(path, s) {
        let _ = parse_sources(Path::new("/nonexistent/sources/a.toml"), s, &cfg.schedule);
    }
    let _ = parse_sources(
        Path::new("/nonexistent/sources/b.toml"),
        s,
        &ScheduleConfig::default(),
    );
});
