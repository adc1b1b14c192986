//! Case import benchmark (issue 27): a 100 MB cases export as a
//! spreadsheet writes it (`;`-separated, CRLF, a UTF-8 BOM), imported into
//! an empty SQLite store. Targets: under 150 MB peak RSS and under a minute.
//!
//! `cargo bench --bench case_import` — each of 3 runs is a child process
//! (this binary with `--child`), so each peak RSS (VmHWM) is its own;
//! figures (median time, largest peak) go to docs/benchmarks.md.

mod common;

use regwatch::app::App;
use regwatch::classify::Tagger;
use regwatch::config::Config;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

const TARGET_BYTES: u64 = 100 * 1024 * 1024;
const RUNS: usize = 3;

const CLIENTS: &[&str] = &[
    "Anadolu Telekom A.Ş.",
    "Sài Gòn Medical JSC",
    "Iberia Importaciones S.L.",
    "Northwind Trading Ltd",
    "İstanbul Elektronik",
];
const TITLES: &[&str] = &[
    "Akıllı telefonlar ve aksesuarları, 4000 adet",
    "Thiết bị y tế: máy theo dõi bệnh nhân",
    "Monitores y pantallas para uso médico",
    "Routers and switches for data centres",
    "Elektrikli ısıtıcılar, ev tipi",
];
const HS: &[&str] = &[
    "8517.13;8517.62",
    "9018.19",
    "8528.52;9018.19",
    "8517.62",
    "8516.29",
];
const COUNTRIES: &[&str] = &["TR", "VN", "ES", "GB", "DE", "MX"];

fn generate(path: &Path) -> u64 {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(b"\xEF\xBB\xBFid;client;title;opened;country;hs_codes;keywords;status;link\r\n")
        .unwrap();
    let mut bytes = 0u64;
    let mut i = 0usize;
    while bytes < TARGET_BYTES {
        let row = format!(
            "CASE-{i:07};{};{} #{i};{:02}.{:02}.2026;{};\"{}\";IMEI;open;https://crm.example/case/{i}\r\n",
            CLIENTS[i % CLIENTS.len()],
            TITLES[i % TITLES.len()],
            1 + i % 28,
            1 + i % 12,
            COUNTRIES[i % COUNTRIES.len()],
            HS[i % HS.len()],
        );
        bytes += row.len() as u64;
        w.write_all(row.as_bytes()).unwrap();
        i += 1;
    }
    w.flush().unwrap();
    i as u64
}

/// Peak resident set of this process, in kB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn child(db: &str, csv: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let text = format!("[storage]\nurl = \"sqlite://{db}\"\n");
        let cfg = Config::from_str(Path::new("bench.toml"), &text).unwrap();
        let store = regwatch::store::Store::open(&cfg.storage.url)
            .await
            .unwrap();
        let app = App::new(cfg, store, Tagger::builtin()).unwrap();
        let t = Instant::now();
        let f = std::fs::File::open(csv).unwrap();
        let r = regwatch::services::cases::import_from(
            &app,
            std::io::BufReader::with_capacity(256 * 1024, f),
            false,
            false,
            &|_| {},
        )
        .await
        .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(r.bad_total, 0, "{:?}", r.bad.first());
        println!(
            "{{\"secs\": {secs:.2}, \"rows\": {}, \"updated\": {}, \"rss_kb\": {}}}",
            r.rows,
            r.updated,
            peak_rss_kb()
        );
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        return child(&args[i + 1], &args[i + 2]);
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cases.csv");
    let rows = generate(&csv);
    let size = std::fs::metadata(&csv).unwrap().len();
    println!("generated {rows} rows, {size} bytes");
    let mut runs = vec![];
    for run in 0..RUNS {
        let db = dir.path().join(format!("run{run}.sqlite"));
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--child")
            .arg(&db)
            .arg(&csv)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap())
            .unwrap_or_else(|e| panic!("{e}: {line}"));
        println!("run {}: {v}", run + 1);
        assert_eq!(v["updated"].as_u64(), Some(rows));
        runs.push((v["secs"].as_f64().unwrap(), v["rss_kb"].as_u64().unwrap()));
    }
    let mut secs: Vec<f64> = runs.iter().map(|r| r.0).collect();
    secs.sort_by(|a, b| a.total_cmp(b));
    let median = secs[RUNS / 2];
    let peak = runs.iter().map(|r| r.1).max().unwrap();
    let body = format!(
        "## Case import (issue 27)\n\n\
         `cargo bench --bench case_import`: a cases export of {size} bytes ({rows} rows, \
         `;`-separated, CRLF, a UTF-8 BOM, an extra `opened` column, as a spreadsheet writes it) \
         imported by `services::cases::import_from` (what `regwatch cases import` runs) into an \
         empty SQLite store, one transaction; each run a fresh process and database.\n\n\
         | | median of {RUNS} | runs | target |\n| --- | --- | --- | --- |\n\
         | time | {median:.1} s | {} | under 60 s |\n\
         | peak RSS (VmHWM) | {:.0} MB (largest) | {} | under 150 MB |\n\n\
         Build: {}. Machine: {}. Memory stays flat with the file's size: the reader \
         thread hands on batches of 500 rows through a channel of 2, and a row \
         is bounded by `[cases].max_cell_bytes` per cell.",
        secs.iter()
            .map(|s| format!("{s:.1} s"))
            .collect::<Vec<_>>()
            .join(", "),
        peak as f64 / 1024.0,
        runs.iter()
            .map(|r| format!("{:.0} MB", r.1 as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", "),
        if cfg!(debug_assertions) {
            "the dev profile (unoptimized: `cargo bench --bench case_import --profile dev`), an upper bound for a release build"
        } else {
            "release"
        },
        common::machine()
    );
    common::write_section("case-import", &body);
}
