//! Case import and matching benchmark (issues 27 and 28): a cases export
//! of 1,000,000 rows as a spreadsheet writes it (`;`-separated, CRLF, a
//! UTF-8 BOM), imported into an empty SQLite store; then one realistic
//! change matched against those cases end to end (the store's candidate
//! query through the index of match terms, and `match_case` on each).
//! Targets: the import under 60 s and 150 MB peak RSS; one change matched
//! in at most 50 ms.
//!
//! `cargo bench --bench case_import` — each of 3 runs is a child process
//! (this binary with `--child`), so each peak RSS (VmHWM) is its own;
//! figures (median time, largest peak) go to docs/benchmarks.md.
//! `CASE_ROWS=20000` makes a quick run (not written to the docs);
//! `CASE_CSV=PATH` only writes the export.
//! `CASE_DB=PATH` times the matching alone on one store kept between runs:
//! the cases are generated and imported into PATH only when it does not
//! exist yet (into a file beside it, renamed once complete), then the
//! matching is timed and its figures printed, never written to the docs
//! (`CASE_MATCHES=N`: the median of N matches, 9 unless given).

mod common;

use regwatch::app::App;
use regwatch::classify::Tagger;
use regwatch::config::Config;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

const ROWS: usize = 1_000_000;
const RUNS: usize = 3;
/// Matches of the one change timed in each run (their median is the run's).
const MATCHES: usize = 9;

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
/// Headings per chapter: 8401–8487, 8501–8549, 9001–9033.
const CHAPTERS: &[(usize, usize)] = &[(84, 87), (85, 49), (90, 33)];
/// Words a title of a rule may hold; a case with a keyword has one of
/// these or a product name of its own (`model-17`).
const KEYWORDS: &[&str] = &[
    "IMEI",
    "lithium",
    "drone",
    "5G",
    "router",
    "tıbbi cihaz",
    "thiết bị y tế",
    "dispositivo médico",
    "encryption",
    "battery",
    "solar inverter",
    "X-ray",
    "bluetooth",
    "pacemaker",
    "laser",
    "RFID",
    "e-bike charger",
    "heat pump",
    "CE marking",
    "smart meter",
];
/// Distinct product models among the keywords.
const VOCABULARY: usize = 50_000;
const COUNTRIES: &[&str] = &["TR", "VN", "MX", "GB", "DE", "US"];

/// A small deterministic generator: the same file on every run.
fn mix(i: usize, salt: usize) -> usize {
    let mut x = (i as u64 ^ (salt as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 29)) as usize
}

fn rows() -> usize {
    std::env::var("CASE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROWS)
}

fn generate(path: &Path, rows: usize) -> u64 {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(b"\xEF\xBB\xBFid;client;title;opened;country;hs_codes;keywords;status;link\r\n")
        .unwrap();
    for i in 0..rows {
        let code = |salt: usize| {
            let (ch, headings) = CHAPTERS[mix(i, salt) % CHAPTERS.len()];
            let heading = 1 + mix(i, salt + 1) % headings;
            format!("{ch}{heading:02}.{:02}", 10 + mix(i, salt + 2) % 90)
        };
        let mut hs = code(1);
        if mix(i, 4) % 3 == 0 {
            hs.push_str(".00");
        }
        if mix(i, 5) % 2 == 0 {
            hs = format!("{hs};{}", code(6));
        }
        // Half the keywords are common words, half product models: a
        // vocabulary of tens of thousands of keywords per country.
        let word = |salt: usize| {
            let k = mix(i, salt);
            if k % 2 == 0 {
                KEYWORDS[(k / 2) % KEYWORDS.len()].to_string()
            } else {
                format!("model-{}", (k / 2) % VOCABULARY)
            }
        };
        let kw = match mix(i, 9) % 4 {
            0 | 1 => String::new(),
            2 => word(10),
            _ => format!("{};{}", word(10), word(11)),
        };
        let row = format!(
            "CASE-{i:07};{};{} #{i};{:02}.{:02}.2026;{};\"{hs}\";\"{kw}\";open;https://crm.example/case/{i}\r\n",
            CLIENTS[i % CLIENTS.len()],
            TITLES[i % TITLES.len()],
            1 + i % 28,
            1 + i % 12,
            COUNTRIES[mix(i, 12) % COUNTRIES.len()],
        );
        w.write_all(row.as_bytes()).unwrap();
    }
    w.flush().unwrap();
    rows as u64
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn open_app(db: &Path) -> App {
    let text = format!("[storage]\nurl = \"sqlite://{}\"\n", db.display());
    let cfg = Config::from_str(Path::new("bench.toml"), &text).unwrap();
    let store = regwatch::store::Store::open(&cfg.storage.url)
        .await
        .unwrap();
    App::new(cfg, store, Tagger::builtin()).unwrap()
}

/// Import the export at `csv`: seconds taken, rows read, cases written.
async fn import(app: &App, csv: &Path) -> (f64, u64, u64) {
    let t = Instant::now();
    let f = std::fs::File::open(csv).unwrap();
    let r = regwatch::services::cases::import_from(
        app,
        std::io::BufReader::with_capacity(256 * 1024, f),
        false,
        false,
        &|_| {},
    )
    .await
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(r.bad_total, 0, "{:?}", r.bad.first());
    (secs, r.rows, r.updated)
}

fn child(db: &str, csv: &str) {
    runtime().block_on(async {
        let app = open_app(Path::new(db)).await;
        let (secs, rows, updated) = import(&app, Path::new(csv)).await;
        let import_rss = peak_rss_kb();
        let (match_ms, candidates, matched) = time_matching(&app, MATCHES).await;
        println!(
            "{{\"secs\": {secs:.2}, \"rows\": {rows}, \"updated\": {updated}, \"rss_kb\": {import_rss}, \"match_ms\": {match_ms:.2}, \"candidates\": {candidates}, \"matched\": {matched}}}",
        );
    });
}

/// `CASE_DB=PATH`: the matching timed on a store imported once.
fn kept_store(db: &Path) {
    runtime().block_on(async {
        if !db.exists() {
            let dir = tempfile::tempdir().unwrap();
            let csv = dir.path().join("cases.csv");
            let rows = generate(&csv, rows());
            let partial = db.with_extension("importing");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
            }
            let app = open_app(&partial).await;
            let (secs, _, updated) = import(&app, &csv).await;
            assert_eq!(updated, rows);
            app.store.close().await;
            drop(app);
            std::fs::rename(&partial, db).unwrap();
            println!("imported {rows} cases into {} in {secs:.1} s", db.display());
        }
        let times = std::env::var("CASE_MATCHES")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(MATCHES);
        let app = open_app(db).await;
        let (match_ms, candidates, matched) = time_matching(&app, times).await;
        println!(
            "one change matched: {match_ms:.2} ms (median of {times}); {candidates} candidates, {matched} matched"
        );
        let (read_ms, match_ms) = time_parts(&app, times).await;
        println!("of which: the store's candidates {read_ms:.2} ms, match_change on them {match_ms:.2} ms (medians)");
    });
}

/// The title and text of the change matched.
fn change() -> (&'static str, &'static str) {
    (
        "Cep telefonu ve yönlendiricilerde IMEI kayıt ücreti",
        "GTİP 8517.62 kapsamındaki yönlendiriciler için IMEI kayıt ücreti 1 Ocak 2099 tarihinde yürürlüğe girer.",
    )
}

/// A router and phone rule of Türkiye (GTİP 8517.62, "IMEI" in its title),
/// tagged as a poll tags it, matched against the open cases as a poll
/// matches it; the median of [`MATCHES`] matches in ms, how many
/// candidates were read and how many cases matched.
async fn time_matching(app: &App, times: usize) -> (f64, usize, usize) {
    let (title, text) = change();
    let tags = app.tagger.tag_published(title, text, Some("tr"), &[], None);
    assert!(
        tags.hs_codes.iter().any(|h| h.starts_with("8517")),
        "{tags:?}"
    );
    let mut ms = vec![];
    let mut matched = 0;
    for _ in 0..times {
        let t = Instant::now();
        let m = regwatch::services::cases::matching_cases(app, "TR", &tags, title, text)
            .await
            .unwrap();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        matched = m.len();
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let probe = regwatch::matching::probe("TR", &tags).unwrap();
    let candidates = app
        .store
        .candidate_cases(&probe, title, text)
        .await
        .unwrap()
        .len();
    assert!(matched > 0 && candidates >= matched);
    (ms[times / 2], candidates, matched)
}

/// The two halves of [`time_matching`]'s matching, each the median of
/// `times`: the store's read of the candidates, and `match_change` on them.
async fn time_parts(app: &App, times: usize) -> (f64, f64) {
    let (title, text) = change();
    let tags = app.tagger.tag_published(title, text, Some("tr"), &[], None);
    let probe = regwatch::matching::probe("TR", &tags).unwrap();
    let (mut read, mut matching) = (vec![], vec![]);
    for _ in 0..times {
        let t = Instant::now();
        let candidates = app
            .store
            .candidate_cases(&probe, title, text)
            .await
            .unwrap();
        read.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let m = regwatch::matching::match_change("TR", &tags, title, text, &candidates);
        matching.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(!m.is_empty());
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    (median(read), median(matching))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        return child(&args[i + 1], &args[i + 2]);
    }
    if let Ok(path) = std::env::var("CASE_DB") {
        return kept_store(Path::new(&path));
    }
    // `CASE_CSV=PATH`: only write the export there (to time `regwatch cases
    // import` on it from outside).
    if let Ok(path) = std::env::var("CASE_CSV") {
        let rows = generate(Path::new(&path), rows());
        return println!("wrote {rows} rows to {path}");
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cases.csv");
    let rows = generate(&csv, rows());
    let size = std::fs::metadata(&csv).unwrap().len();
    println!("generated {rows} rows, {size} bytes");
    let mut runs: Vec<serde_json::Value> = vec![];
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
        let _ = std::fs::remove_file(&db);
        runs.push(v);
    }
    if rows != ROWS as u64 {
        println!("a quick run of {rows} rows: docs/benchmarks.md left as it is");
        return;
    }
    write_figures(&runs, rows, size);
}

fn median_of(runs: &[serde_json::Value], key: &str) -> (f64, String) {
    let mut v: Vec<f64> = runs.iter().map(|r| r[key].as_f64().unwrap()).collect();
    let each = v
        .iter()
        .map(|x| format!("{x:.1}"))
        .collect::<Vec<_>>()
        .join(", ");
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], each)
}

fn write_figures(runs: &[serde_json::Value], rows: u64, size: u64) {
    let (median, each_secs) = median_of(runs, "secs");
    let (match_ms, each_ms) = median_of(runs, "match_ms");
    let peak = runs
        .iter()
        .map(|r| r["rss_kb"].as_u64().unwrap())
        .max()
        .unwrap();
    let each_rss = runs
        .iter()
        .map(|r| format!("{:.0} MB", r["rss_kb"].as_f64().unwrap() / 1024.0))
        .collect::<Vec<_>>()
        .join(", ");
    let build = if cfg!(debug_assertions) {
        "the dev profile (unoptimized: `cargo bench --bench case_import --profile dev`), an upper bound for a release build"
    } else {
        "release"
    };
    let body = format!(
        "## Case import (issue 27)\n\n\
         `cargo bench --bench case_import`: a cases export of {size} bytes ({rows} rows over \
         TR, VN, MX, GB, DE and US, one or two HS subheadings each spread over the 169 \
         headings of chapters 84, 85 and 90, half of them with one or two keywords, each \
         either one of {} words a rule may hold or one of {VOCABULARY} product models \
         (`model-N`); `;`-separated, CRLF, a UTF-8 BOM, an extra `opened` column, as a \
         spreadsheet writes it) imported by `services::cases::import_from` (what `regwatch \
         cases import` runs) into an empty SQLite store, one transaction, the index of match \
         terms written with the cases; each run a fresh process and database.\n\n\
         | | median of {RUNS} | runs | target |\n| --- | --- | --- | --- |\n\
         | time | {median:.1} s | {each_secs} s | under 60 s |\n\
         | peak RSS (VmHWM) | {:.0} MB (largest) | {each_rss} | under 150 MB |\n\n\
         Build: {build}. Machine: {}. Memory stays flat with the file's size (most of it the \
         import's 64 MiB SQLite page cache): the reader thread hands on batches of 500 rows through a channel of 2, and a row is bounded \
         by `[cases].max_cell_bytes` per cell.\n\n\
         ## Matching against 1,000,000 cases (issue 28)\n\n\
         The same bench, after each import: one change (a Türkiye rule on GTİP 8517.62 \
         with \"IMEI\" in its title, tagged as a poll tags it) matched against the \
         {rows} open cases by `services::cases::matching_cases`, what a poll and a field \
         report run: the store's candidate query through the index of match terms (cases \
         of TR sharing the heading 8517, or holding a keyword whose last word is among the \
         change's words), then `match_case` on each candidate, the matches handed back with their reasons. \
         {} candidates read, {} cases matched.\n\n\
         | | median of {RUNS} runs (each the median of {MATCHES} matches) | runs | target |\n\
         | --- | --- | --- | --- |\n\
         | one change matched | {match_ms:.1} ms | {each_ms} ms | at most 50 ms |\n\n\
         Before the index every open case of the change's country was read and matched \
         (about 167,000 here).",
        KEYWORDS.len(),
        peak as f64 / 1024.0,
        common::machine(),
        runs[0]["candidates"],
        runs[0]["matched"],
    );
    common::write_section("case-import", &body);
}
