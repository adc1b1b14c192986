#![no_main]
//! Crontab lines (5 fields, or 6 with seconds) and timezones -> the cron
//! crate's form -> the next due times.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (expr, tz) = s.split_once('\n').unwrap_or((s, "UTC"));
    let _ = regwatch::schedule::translate(expr);
    for tz in [tz, "Europe/Istanbul", "America/Mexico_City"] {
        if let Ok(sched) = regwatch::schedule::Schedule::parse(expr, tz) {
            let mut t = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
            for _ in 0..4 {
                match sched.next_after(t) {
                    Some(n) => t = n,
                    None => break,
                }
            }
            let _ = sched.next_after(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        }
    }
});
