//! Hardening, round 3 (the rest): case imports as spreadsheets write them,
//! all or nothing; formula-safe CSV; `/api/cases` for viewers, paged; the
//! store refusing writes is health, and nothing is lost or doubled after;
//! a reload over an empty file keeps the running configuration.

use crate::daemon::{eventually, fixture_server, source_toml, spawn_daemon, TempDir};
use crate::helpers::*;
use std::time::{Duration, Instant};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}
fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn open_ids(setup: &Setup) -> Vec<(String, String)> {
    let out = setup.run(&["cases", "list", "--all", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What LibreOffice and Excel write for "CSV" in a Turkish, Vietnamese or
/// Spanish locale: `;`-separated, CRLF, a UTF-8 BOM, quoted lists, an
/// `opened` column regwatch does not read, a blank row.
#[test]
fn a_spreadsheet_export_imports_as_the_spreadsheet_wrote_it() {
    let setup = Setup::new("", "");
    let csv = setup.root().join("cases.csv");
    let text = "\u{FEFF}id;client;title;opened;country;hs_codes;keywords;status\r\n\
                T-1;Anadolu Telekom;Akıllı telefonlar;03.09.2026;TR;\"8517.13;8517.62\";ısıtıcı;open\r\n\
                V-1;Sài Gòn Med;Thiết bị y tế;04.09.2026;VN;9018.19;thiết bị;open\r\n\
                ;;;;;;;\r\n\
                E-1;Iberia Import;Monitores;05.09.2026;España;9018.19;;open\r\n\
                E-2;Iberia Import;\"Pantallas; 2 líneas\r\nsegunda\";05.09.2026;ES;8528.52;;open\r\n";
    std::fs::write(&csv, text).unwrap();
    let out = setup.run(&["cases", "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(
        o.contains("4 case(s) read, 3 new or updated, 0 unchanged, 1 bad row(s)"),
        "{o}"
    );
    assert!(e.contains("`opened` ignored"), "{e}");
    // The bad row is named by the line the spreadsheet shows it on.
    assert!(e.contains("cases.csv:5: ") && e.contains("country"), "{e}");
    let cases = open_ids(&setup);
    assert_eq!(
        cases.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        vec!["E-2", "T-1", "V-1"]
    );
    assert_eq!(cases[2].1, "Thiết bị y tế");
    assert!(cases[0].1.contains("segunda"));
    let out = setup.run(&["cases", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[1]["hs_codes"].as_array().unwrap().len(), 2, "{v}");

    // Tab-separated, LF, no BOM: the same rows.
    let tsv = setup.root().join("cases.tsv");
    std::fs::write(
        &tsv,
        "id\tclient\tcountry\ths_codes\tnotes\nT-1\tAnadolu Telekom\tTR\t8517.13;8517.62\tx\nW-1\tWest\tTR\t8471.30\ty\n",
    )
    .unwrap();
    let out = setup.run(&["cases", "import", tsv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("2 case(s) read"), "{}", stdout(&out));
    assert!(stderr(&out).contains("`notes` ignored"), "{}", stderr(&out));
}

/// A failed import changes nothing: not the rows before the failure, not
/// the cases already there.
#[test]
fn a_failed_import_leaves_the_cases_as_they_were() {
    let setup = Setup::new("", "[cases]\nmax_rows = 600\nmax_cell_bytes = 4096\n");
    let csv = setup.root().join("cases.csv");
    let header = "id,client,title,country,hs_codes\n";
    std::fs::write(
        &csv,
        format!("{header}A,X,Old A,TR,8517.13\nB,X,Old B,TR,9018.19\n"),
    )
    .unwrap();
    assert!(setup
        .run(&["cases", "import", csv.to_str().unwrap()])
        .status
        .success());
    let before = open_ids(&setup);

    // Not UTF-8 on the last line: the rows before it are not imported either.
    let mut bytes = format!("{header}A,X,New A,TR,8517.13\nC,X,New C,TR,8517.13\n").into_bytes();
    bytes.extend_from_slice(b"D,X,T\xfcrk,TR,8517.13\n");
    std::fs::write(&csv, bytes).unwrap();
    let out = setup.run(&["cases", "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cases.csv:4: column 6: not UTF-8")
            && stderr(&out).contains("nothing imported"),
        "{}",
        stderr(&out)
    );
    assert_eq!(open_ids(&setup), before);

    // More rows than [cases].max_rows: the first 500 were already written
    // (one batch) when row 601 stops the import; they are rolled back.
    let rows: String = (0..601)
        .map(|i| format!("N{i},X,New,TR,8517.13\n"))
        .collect();
    std::fs::write(&csv, format!("{header}A,X,New A,TR,8517.13\n{rows}")).unwrap();
    let out = setup.run(&["cases", "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("max_rows = 600"), "{}", stderr(&out));
    assert_eq!(open_ids(&setup), before);

    // A cell over [cases].max_cell_bytes is a bad row, named; the others import.
    let big = "y".repeat(5000);
    std::fs::write(
        &csv,
        format!("{header}A,X,{big},TR,8517.13\nC,X,New C,TR,8517.13\n"),
    )
    .unwrap();
    let out = setup.run(&["cases", "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cases.csv:2: ") && stderr(&out).contains("max_cell_bytes = 4096"),
        "{}",
        stderr(&out)
    );
    assert_eq!(open_ids(&setup).len(), 3);
    assert_eq!(open_ids(&setup)[0].1, "Old A");

    // A case link that is not a web address is a bad row.
    std::fs::write(&csv, "id,country,link\nJ,TR,javascript:alert(1)\n").unwrap();
    let out = setup.run(&["cases", "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not an http or https address"),
        "{}",
        stderr(&out)
    );
}

/// `cases export` writes what `cases import` reads back unchanged, with
/// every cell that a spreadsheet would run as a formula made text; the
/// CLI's other CSV answers do the same.
#[test]
fn cases_export_and_cli_csv_are_formula_safe() {
    let setup = Setup::new("", "");
    let csv = setup.root().join("cases.csv");
    std::fs::write(
        &csv,
        "id,client,title,country,hs_codes,keywords\n\
         F-1,=HYPERLINK(\"http://evil.example\"),+cmd|' /C calc'!A0,TR,8517.13,@SUM(1)\n\
         F-2,-2+3,\"\tTab\",VN,9018.19,plain\n",
    )
    .unwrap();
    assert!(setup
        .run(&["cases", "import", csv.to_str().unwrap()])
        .status
        .success());
    let out = setup.run(&["cases", "export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell in the export: {cell:?}\n{text}"
            );
        }
    }
    assert!(text.contains("'=HYPERLINK"), "{text}");
    // Imported back: nothing changes.
    let back = setup.root().join("back.csv");
    std::fs::write(&back, &text).unwrap();
    let out = setup.run(&["cases", "import", back.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("2 case(s) read, 0 new or updated, 2 unchanged"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = setup.run(&["cases", "list", "--format", "csv"]);
    let text = stdout(&out);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t']),
                "{cell:?}\n{text}"
            );
        }
    }
}

/// `/api/cases` holds client names: with a token or a user configured, it
/// answers only a viewer (or better), a page at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_cases_answers_viewers_only_and_in_pages() {
    let tmp = TempDir::new("h2-api-cases");
    let extra = "[[user]]\nname = \"vic\"\ntoken_env = \"H2_VIEWER\"\nrole = \"viewer\"\n";
    std::fs::create_dir_all(tmp.0.join("sources")).unwrap();
    let cfg = tmp.0.join("import.toml");
    std::fs::write(
        &cfg,
        format!(
            "[storage]\nurl = \"sqlite://{d}/db.sqlite\"\n[sources]\ndir = \"{d}/sources\"\n",
            d = tmp.0.display()
        ),
    )
    .unwrap();
    let csv = tmp.0.join("cases.csv");
    let rows: String = (0..25)
        .map(|i| format!("C-{i:02},Client {i},t,TR,8517.13\n"))
        .collect();
    std::fs::write(&csv, format!("id,client,title,country,hs_codes\n{rows}")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
        .arg("--config")
        .arg(&cfg)
        .args(["cases", "import", csv.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let d = crate::daemon::spawn_daemon_env(
        &tmp.0,
        "",
        extra,
        &[("H2_VIEWER", "viewer-token-1".to_string())],
    );
    let url = format!("{}/api/cases", d.base);
    let client = reqwest::Client::new();
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body = r.text().await.unwrap();
    assert!(!body.contains("Client 1"), "{body}");
    let r = client.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let mut u = format!("{url}?limit=10");
        if let Some(c) = &cursor {
            u.push_str(&format!("&cursor={c}"));
        }
        let v: serde_json::Value = client
            .get(&u)
            .bearer_auth("viewer-token-1")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let page = v["cases"].as_array().unwrap();
        assert!(page.len() <= 10);
        seen.extend(page.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        match v["next"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 25, "no case twice: {seen:?}");
    let r = client
        .get(format!("{url}?limit=100000"))
        .bearer_auth("viewer-token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

async fn sqlite(path: &std::path::Path) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap()
}

/// The store refusing writes is the daemon's health: `/healthz` 503 with
/// the reason, every source "storage failing", a health alert queued when
/// the store takes it. After it writes again, the next poll records every
/// item the refused polls saw, once; and SIGTERM still ends the daemon
/// promptly.
///
/// A filesystem cannot be mounted here (no privileges), so the write
/// failure is faked in the real SQLite file: a trigger makes every new
/// snapshot fail with SQLite's own "database or disk is full" message, as
/// a full disk does, while reads keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_refusing_writes_is_health_and_nothing_is_lost_after() {
    let fx = fixture_server().await;
    let tmp = TempDir::new("h2-storage");
    let sources = source_toml("fx-a", "feed", &format!("{}/a.xml", fx.base), "* * * * * *");
    let health_channel = "[[channel]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\nmode = \"immediate\"\n";
    let mut d = spawn_daemon(&tmp.0, &sources, health_channel);
    let db = tmp.0.join("db.sqlite");
    let base = d.base.clone();
    eventually(Duration::from_secs(30), "a first recorded poll", || {
        let base = base.clone();
        async move {
            let v = crate::daemon::get_json(&format!("{base}/api/sources")).await;
            (v["sources"][0]["health"] == "ok").then_some(())
        }
    })
    .await;
    let pool = sqlite(&db).await;
    sqlx::query(
        "CREATE TRIGGER full_disk BEFORE INSERT ON snapshots BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    let why = eventually(Duration::from_secs(30), "healthz 503", || {
        let base = base.clone();
        async move {
            let (s, body) = crate::daemon::get(&format!("{base}/healthz")).await;
            (s == 503).then_some(body)
        }
    })
    .await;
    assert!(
        why.contains("storage failing") && why.contains("disk is full"),
        "{why}"
    );
    let v = crate::daemon::get_json(&format!("{base}/api/sources")).await;
    assert_eq!(v["sources"][0]["health"], "storage failing", "{v}");
    // Let a few more polls be refused (each sees one more item).
    let hits = fx.hits("a.xml").len();
    eventually(Duration::from_secs(30), "three refused polls", || {
        let n = fx.hits("a.xml").len();
        async move { (n >= hits + 3).then_some(()) }
    })
    .await;
    sqlx::query("DROP TRIGGER full_disk")
        .execute(&pool)
        .await
        .unwrap();
    eventually(Duration::from_secs(30), "healthz 200 again", || {
        let base = base.clone();
        async move {
            let (s, _) = crate::daemon::get(&format!("{base}/healthz")).await;
            (s == 200).then_some(())
        }
    })
    .await;
    // Every item the feed served up to the last recorded snapshot is a
    // change, once.
    let titles: Vec<(String,)> =
        sqlx::query_as("SELECT title FROM changes WHERE source_id = 'fx-a' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut nums: Vec<usize> = titles
        .iter()
        .filter_map(|(t,)| {
            t.strip_prefix("Notice A")
                .and_then(|r| r.split(':').next())
                .and_then(|n| n.parse().ok())
        })
        .collect();
    let n = nums.len();
    nums.sort();
    nums.dedup();
    assert_eq!(nums.len(), n, "an item recorded twice: {titles:?}");
    let (first, last) = (nums[0], *nums.last().unwrap());
    assert!(first <= 2, "{titles:?}");
    assert_eq!(
        nums,
        (first..=last).collect::<Vec<_>>(),
        "an item lost: {titles:?}"
    );
    assert!(last >= hits + 3, "the refused polls' items: {titles:?}");
    // The health alerts: down (if the store took it then) and recovered.
    let alerts: Vec<(String,)> =
        sqlx::query_as("SELECT payload FROM outbox WHERE kind = 'health' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        alerts
            .iter()
            .any(|(p,)| p.contains("regwatch storage") && p.contains("\"recovered\"")),
        "{alerts:?}"
    );
    // A store that hangs: the test holds SQLite's write lock, so the next
    // poll's record waits on it (busy_timeout is 30 s). SIGTERM still ends
    // the daemon within the documented bound.
    let mut lock = pool.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *lock)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t0 = Instant::now();
    d.signal("TERM");
    let status = d.wait_exit(Duration::from_secs(15));
    let took = t0.elapsed();
    let _ = sqlx::query("ROLLBACK").execute(&mut *lock).await;
    drop(lock);
    pool.close().await;
    assert!(status.is_some(), "SIGTERM did not end the daemon in 15 s");
    assert!(took < Duration::from_secs(7), "SIGTERM took {took:?}");
}

/// A SIGHUP that finds the config file emptied (a write caught half-way)
/// keeps the running configuration, users included, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_over_an_empty_config_keeps_the_running_one() {
    let tmp = TempDir::new("h2-reload");
    let extra = "[[user]]\nname = \"vic\"\ntoken_env = \"H2_VIEWER\"\nrole = \"viewer\"\n";
    let d = crate::daemon::spawn_daemon_env(
        &tmp.0,
        "",
        extra,
        &[("H2_VIEWER", "viewer-token-2".to_string())],
    );
    let client = reqwest::Client::new();
    let url = format!("{}/api/cases", d.base);
    let status = |tok: Option<&'static str>| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let mut r = client.get(&url);
            if let Some(t) = tok {
                r = r.bearer_auth(t);
            }
            r.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some("viewer-token-2")).await, 200);
    std::fs::write(tmp.0.join("regwatch.toml"), "").unwrap();
    d.signal("HUP");
    let log = eventually(
        Duration::from_secs(20),
        "the refused reload in the log",
        || {
            let l = d.log();
            async move { l.contains("reload refused").then_some(l) }
        },
    )
    .await;
    assert!(log.contains("is empty"), "{log}");
    // Still the running configuration: the viewer still reads, and an
    // anonymous reader still does not (an empty config would open reads).
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some("viewer-token-2")).await, 200);
}

/// A SIGHUP that finds a sources file cut short at a line boundary (it
/// still parses: the sources after the cut are simply missing) keeps the
/// running sources and names the file, the line and what would be lost; a
/// second SIGHUP over the very same file is a deliberate deletion and
/// applies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_over_a_sources_file_cut_at_a_line_boundary_keeps_the_running_sources() {
    let tmp = TempDir::new("h2-cut");
    let yearly = "0 0 1 1 *";
    let full: String = (0..6)
        .map(|i| {
            source_toml(
                &format!("cut-{i}"),
                "feed",
                "http://127.0.0.1:9/f.xml",
                yearly,
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let d = spawn_daemon(&tmp.0, &full, "");
    let count = || async {
        reqwest::get(format!("{}/api/sources", d.base))
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()["sources"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count().await, 6);
    // Cut before the fourth source: the file ends at a line boundary,
    // parses, and holds three sources.
    let at = full.match_indices("[[source]]").nth(3).unwrap().0;
    let cut = &full[..at];
    assert!(cut.ends_with('\n'));
    let file = tmp.0.join("sources/fixture.toml");
    std::fs::write(&file, cut).unwrap();
    d.signal("HUP");
    let log = eventually(Duration::from_secs(20), "the refused reload", || {
        let l = d.log();
        async move { l.contains("reload refused").then_some(l) }
    })
    .await;
    assert!(log.contains("fixture.toml now stops at line"), "{log}");
    assert!(
        log.contains("3 source(s) after it (cut-3, cut-4, cut-5)"),
        "{log}"
    );
    assert_eq!(count().await, 6, "the running sources are kept");
    // The same file again: a deliberate deletion of the end.
    d.signal("HUP");
    eventually(
        Duration::from_secs(20),
        "the second SIGHUP applied",
        || async { (count().await == 3).then_some(()) },
    )
    .await;
    assert!(
        d.log().contains("applied on a second SIGHUP"),
        "{}",
        d.log()
    );
}

/// With nothing due to poll, a store that answers reads but refuses writes
/// is still seen: `/healthz` writes a liveness row (at most every few
/// seconds) and answers 503 with the store's reason while the write is
/// refused, 200 again once it is taken. The full disk is faked as above: a
/// trigger raising SQLite's own message on the liveness row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_probes_a_write_even_when_nothing_polls() {
    let tmp = TempDir::new("h2-probe");
    let sources = source_toml("quiet", "feed", "http://127.0.0.1:9/f.xml", "0 0 1 1 *");
    let d = spawn_daemon(&tmp.0, &sources, "");
    let base = d.base.clone();
    let (s, _) = crate::daemon::get(&format!("{base}/healthz")).await;
    assert_eq!(s, 200);
    let pool = sqlite(&tmp.0.join("db.sqlite")).await;
    for op in ["INSERT", "UPDATE"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE TRIGGER full_disk_{op} BEFORE {op} ON liveness BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )))
        .execute(&pool)
        .await
        .unwrap();
    }
    let why = eventually(Duration::from_secs(20), "healthz 503", || {
        let base = base.clone();
        async move {
            let (s, body) = crate::daemon::get(&format!("{base}/healthz")).await;
            (s == 503).then_some(body)
        }
    })
    .await;
    assert!(
        why.contains("storage failing") && why.contains("disk is full"),
        "{why}"
    );
    for op in ["INSERT", "UPDATE"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER full_disk_{op}")))
            .execute(&pool)
            .await
            .unwrap();
    }
    let (s, body) = crate::daemon::get(&format!("{base}/healthz")).await;
    assert_eq!(s, 200, "{body}");
    pool.close().await;
}
