//! Pre-quote check benchmark (issue 4): `regwatch check` over a store of
//! 100,000 changes and 5,000 open cases. Target: under 100 ms per check.
//!
//! `cargo bench --bench check` — figures go to docs/benchmarks.md.

mod common;

use regwatch::app::App;
use regwatch::classify::Tagger;
use regwatch::config::Config;
use regwatch::model::{Case, ChangeKind, Content, NewChange};
use regwatch::store::{ChangeRecord, PollOutcome, PollRecord, Store, Tags};
use std::time::Instant;

const CHANGES: usize = 100_000;
const CASES: usize = 5_000;
const HS: &[&str] = &[
    "8517.13", "8517.14", "8517.62", "8517.71", "8471.30", "8471.41", "8528.52", "8504.40",
    "8507.60", "8525.89", "8526.91", "8543.70", "9018.19", "9018.31", "9018.39", "9019.20",
    "9021.90", "9022.14", "3002.15", "3822.19", "6403.99", "8703.80", "0101.21", "2204.21",
    "9403.60",
];
const COUNTRIES: &[&str] = &["TR", "VN", "MX", "GB", "EU", "US", "WTO", "DE"];

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let text = format!("[storage]\nurl = \"sqlite://{}\"\n", db.display());
    let cfg = Config::from_str(std::path::Path::new("bench.toml"), &text).unwrap();
    let store = Store::open(&cfg.storage.url).await.unwrap();
    let app = App::new(cfg, store, Tagger::builtin()).unwrap();
    let mut rng_state = 0x2545F4914F6CDD1Du64;
    let mut rnd = move |n: usize| {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        (rng_state % n as u64) as usize
    };
    let t = Instant::now();
    let now = chrono::Utc::now();
    let batch = 1000;
    for b in 0..CHANGES / batch {
        let j = COUNTRIES[b % COUNTRIES.len()];
        let mut changes = Vec::with_capacity(batch);
        for i in 0..batch {
            let hs = HS[rnd(HS.len())];
            let cat = if hs.starts_with("90") {
                "medical"
            } else if hs.starts_with("8517") {
                "telecom"
            } else {
                "electronics"
            };
            changes.push(ChangeRecord {
                change: NewChange {
                    kind: ChangeKind::Added,
                    item_key: Some(format!("k{b}-{i}")),
                    title: format!("Notice {b}-{i} on HS {hs}"),
                    link: Some(format!("https://example.gov/{b}/{i}")),
                    excerpt: "Conformity assessment and registration requirements change.".into(),
                    diff: "+Conformity assessment and registration requirements change.".into(),
                    text: "Conformity assessment and registration requirements change.".into(),
                    published: None,
                },
                tags: Tags {
                    categories: vec![cat.into()],
                    hs_codes: vec![format!("{hs}.00")],
                    evidence: vec![],
                    effective_date: None,
                    ..Default::default()
                },
                cases: vec![],
                deliver_to: vec![],
                gist: None,
            });
        }
        let started_at = now - chrono::Duration::hours((rnd(365 * 24)) as i64);
        let content = Content::Text {
            text: format!("batch {b}"),
        };
        let hash = regwatch::normalize::content_hash(&content);
        let source_id = format!("src-{}", b % 50);
        let expected_snapshot = app.store.state(&source_id).await.unwrap().last_snapshot_id;
        app.store
            .record_poll(PollRecord {
                source_id,
                jurisdiction: j.into(),
                started_at,
                duration_ms: 1,
                status: Some(200),
                bytes: Some(1),
                outcome: PollOutcome::Changed {
                    content,
                    hash,
                    etag: None,
                    last_modified: None,
                    baseline: false,
                    changes,
                },
                expected_snapshot,
                body_hash: None,
                next_poll_at: None,
                down_after: 3,
                health_channels: vec![],
                url: String::new(),
                moved_to: None,
                rate_limited_until: None,
                seen_keys: vec![],
                standing: None,
                stories: None,
                content_json: None,
            })
            .await
            .unwrap();
    }
    for i in 0..CASES {
        let c = Case {
            id: format!("CASE-{i}"),
            client: format!("Client {}", i % 97),
            title: "Shipment".into(),
            country: COUNTRIES[i % COUNTRIES.len()]
                .replace("EU", "FR")
                .replace("WTO", "TR"),
            hs_codes: vec![regwatch::model::HsCode::parse(HS[rnd(HS.len())]).unwrap()],
            categories: vec![],
            keywords: vec![],
            status: "open".into(),
            link: None,
            origin: None,
        };
        app.store.upsert_case(&c, app.now()).await.unwrap();
    }
    let load = t.elapsed().as_secs_f64();
    let queries: &[(&str, &str)] = &[
        ("TR", "8517.62"),
        ("VN", "9018.19"),
        ("DE", "8517.13"),
        ("MX", "8471.30"),
        ("US", "8517.12"),
        ("GB", "3002.15"),
    ];
    let mut times = vec![];
    let mut found = 0;
    for round in 0..20 {
        for (cc, hs) in queries {
            let t = Instant::now();
            let q = regwatch::services::check::CheckQuery {
                country: cc.to_string(),
                hs: vec![hs.to_string()],
                category: None,
                since: Some("90d".into()),
                ..Default::default()
            };
            let r = regwatch::services::check::check(&app, &q).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if round == 0 {
                found += r.changes.len();
            }
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
    let row = format!(
        "| {} checks | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
        times.len(),
        pct(0.5),
        pct(0.95),
        times.last().unwrap(),
        found
    );
    println!("{row}");
    let body = format!(
        "## Pre-quote check (issue 4)\n\n`cargo bench --bench check` on {}; SQLite store with {CHANGES} changes over the last 365 days in 8 jurisdictions and 25 HS codes, and {CASES} open cases (store filled in {load:.0} s). Each check is `regwatch check --country CC --hs CODE --since 90d` through the same function the CLI uses (both HS versions, EU coverage, reasons).\n\n| runs | median | p95 | max | changes found (6 queries) |\n|---|---|---|---|---|\n{row}\n\nTarget (issue 4): under 100 ms per check.\n",
        common::machine()
    );
    common::write_section("check", &body);
}
