//! Benchmark: classify 10,000 notices on one thread and report CPU time.
//!
//! Run with `cargo run --release --example bench_classify`. The notices are
//! the labelled dev notices, cycled and varied (two notices joined, a running
//! number added) so that every text is different. Prints a markdown section.

use std::time::{Duration, Instant};

use regwatch_classify::{Input, Taxonomy};

const DATA: &str = include_str!("../tests/data/notices-dev.jsonl");
const N: usize = 10_000;

/// CPU time consumed by the calling thread.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clk: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer we own.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    // the dev file is plain JSON lines; a tiny extractor keeps the example dependency-free
    let pat = format!("\"{key}\": \"");
    let Some(i) = line.find(&pat) else { return "" };
    let rest = &line[i + pat.len()..];
    let mut end = 0;
    let b = rest.as_bytes();
    while end < b.len() && !(b[end] == b'"' && (end == 0 || b[end - 1] != b'\\')) {
        end += 1;
    }
    &rest[..end]
}

fn main() {
    let rows: Vec<(String, String, String)> = DATA
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            (
                field(l, "title").to_string(),
                field(l, "summary").to_string(),
                field(l, "lang").to_string(),
            )
        })
        .collect();
    let notices: Vec<(String, String, String)> = (0..N)
        .map(|i| {
            let a = &rows[i % rows.len()];
            let b = &rows[(i * 7 + 3) % rows.len()];
            let text = if i % 3 == 0 {
                format!("{} {} (ref {i})", a.1, b.1)
            } else {
                format!("{} (ref {i})", a.1)
            };
            (a.0.clone(), text, a.2.clone())
        })
        .collect();
    let bytes: usize = notices.iter().map(|n| n.0.len() + n.1.len()).sum();

    let c0 = thread_cpu();
    let tax = Taxonomy::builtin();
    let build = thread_cpu() - c0;

    let wall = Instant::now();
    let c1 = thread_cpu();
    let mut tags = 0usize;
    let mut codes = 0usize;
    for (title, text, lang) in &notices {
        let c = tax.classify(&Input {
            title,
            text,
            lang: Some(lang),
            hints: &[],
            ..Default::default()
        });
        tags += c.categories.len();
        codes += c.hs_codes.len();
    }
    let cpu = thread_cpu() - c1;
    let wall = wall.elapsed();

    println!("## Benchmark\n");
    println!("`cargo run --release --example bench_classify` (crates/classify), one thread.\n");
    println!("| measure | value |\n|---|---|");
    println!(
        "| notices classified | {N} ({:.1} MB of title + text) |",
        bytes as f64 / 1e6
    );
    println!(
        "| taxonomy build (parse + automaton) | {:.1} ms CPU |",
        build.as_secs_f64() * 1e3
    );
    println!(
        "| classify 10,000 notices | **{:.3} CPU-seconds** (wall {:.3} s) |",
        cpu.as_secs_f64(),
        wall.as_secs_f64()
    );
    println!(
        "| per notice | {:.1} µs |",
        cpu.as_secs_f64() * 1e6 / N as f64
    );
    println!(
        "| target | < 1 CPU-second: {} |",
        if cpu.as_secs_f64() < 1.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    println!("| tags / HS codes found | {tags} / {codes} |");
}
