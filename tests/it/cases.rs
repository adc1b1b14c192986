//! Cases: import, matching with reasons, field reports, back-matching, and
//! the pre-quote check, end to end with the real binary.

use crate::helpers::*;
use regwatch::store::ChangeFilter;

const CASES_CSV: &str = "id,client,title,country,hs_codes,categories,keywords,status,link\n\
CASE-1,Acme,4000 trackers,TR,8526.91,,,open,\n\
CASE-2,Acme,Smartphones,TR,8517.13,,,open,\n\
CASE-3,Beta,Patient monitors,VN,9018.19,,,open,\n\
CASE-4,Gamma,Phones (closed),TR,8517.13,,,closed,\n\
CASE-5,Delta,Routers to Germany,DE,8517.62,,,open,\n\
CASE-6,Acme,Bad row,Atlantis,8517,,,open,\n";

#[tokio::test]
async fn poll_import_cases_and_see_matches_in_changes_and_check() {
    let srv = FixtureServer::start().await;
    srv.set("/feed.xml", Reply::xml(&rss(&[("1", "Eski", "x")])));
    // The team's case system (no link is made without one).
    let setup = Setup::new(
        &source_toml("tr-feed", "feed", &srv.url("/feed.xml"), ""),
        "[cases]\nlink = \"https://cases.example.com/case/{id}\"\n",
    );
    assert!(setup.run(&["poll"]).status.success());
    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[
            ("2", "Cep telefonu ithalatında yeni kayıt ücreti", "GTİP 8517.13.00.00.00 kapsamındaki cihazlar için 1 Ocak 2099 tarihinde yürürlüğe girer."),
            ("1", "Eski", "x"),
        ])),
    );
    let out = setup.run(&["poll"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let csv = setup.root().join("cases.csv");
    std::fs::write(&csv, CASES_CSV).unwrap();
    let out = setup.run(&["cases", "import", csv.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad row makes the import exit 1 but keeps the good rows"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cases.csv:7: ") && err.contains("Atlantis"),
        "{err}"
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        // Six rows read (the bad one counted: #24), five imported.
        summary.contains("6 case(s) read, 5 new or updated"),
        "{summary}"
    );
    // Re-import: idempotent.
    let out = setup.run(&["cases", "import", csv.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 new or updated, 5 unchanged"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The new case was back-matched against the change of the last 90 days.
    let out = setup.run(&["changes", "--format", "json", "--case", "CASE-2"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = v.as_array().unwrap();
    assert_eq!(changes.len(), 1);
    let cases = changes[0]["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        1,
        "only CASE-2: CASE-4 is closed, CASE-1 shares only the chapter, CASE-5 is DE: {cases:?}"
    );
    assert_eq!(cases[0]["id"], "CASE-2");
    assert_eq!(
        cases[0]["reason"],
        "HS 8517.13.00.00.00 ⊂ 8517.13; destination TR"
    );
    assert_eq!(cases[0]["link"], "https://cases.example.com/case/CASE-2");

    // A change recorded after the import is matched when recorded.
    srv.set(
        "/feed.xml",
        Reply::xml(&rss(&[
            ("3", "Araç takip cihazları", "8526.91 pozisyonundaki radyo seyrüsefer cihazları"),
            ("2", "Cep telefonu ithalatında yeni kayıt ücreti", "GTİP 8517.13.00.00.00 kapsamındaki cihazlar için 1 Ocak 2099 tarihinde yürürlüğe girer."),
            ("1", "Eski", "x"),
        ])),
    );
    assert!(setup.run(&["poll"]).status.success());
    let out = setup.run(&["changes", "--format", "json", "--case", "CASE-1"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(
        v[0]["cases"][0]["reason"],
        "HS 8526.91 = 8526.91; destination TR"
    );

    // The pre-quote check, JSON for scripts: the effective date ahead is called out.
    let out = setup.run(&[
        "check",
        "--country",
        "TR",
        "--hs",
        "8517.13",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["changes"][0]["why"],
        "HS 8517.13.00.00.00 ⊂ 8517.13; destination TR"
    );
    assert_eq!(v["upcoming"][0]["effective_date"], "2099-01-01");
    // HS 2017 code of the same phones finds it too; another destination does not.
    let out = setup.run(&[
        "check",
        "--country",
        "TR",
        "--hs",
        "8517.12",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);
    let out = setup.run(&[
        "check",
        "--country",
        "VN",
        "--hs",
        "8517.13",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 0);
    let out = setup.run(&[
        "check",
        "--country",
        "TR",
        "--hs",
        "8517.13",
        "--format",
        "table",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Taking effect soon:") && text.contains("2099-01-01"),
        "{text}"
    );

    // Closing a case removes it from matching of new changes.
    assert!(setup.run(&["cases", "close", "CASE-2"]).status.success());
    let out = setup.run(&["cases", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().iter().all(|c| c["id"] != "CASE-2"));
}

#[tokio::test]
async fn field_reports_are_tagged_matched_and_listed() {
    let setup = Setup::new("", "");
    let json = setup.root().join("cases.json");
    std::fs::write(
        &json,
        r#"[{"id":"C-9","client":"Acme","title":"Routers","country":"DE","hs_codes":["8517.62"],"keywords":["CE marking"]}]"#,
    )
    .unwrap();
    assert!(setup
        .run(&["cases", "import", json.to_str().unwrap()])
        .status
        .success());
    let out = setup.run(&[
        "report",
        "add",
        "--country",
        "EU",
        "--hs",
        "8517.62",
        "--effective",
        "2099-06-01",
        "--title",
        "Hamburg customs now asks for the RED declaration of conformity",
        "--text",
        "Seen on three shipments this week.",
        "--author",
        "ayse",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = setup.run(&["changes", "--format", "json", "--source", "field"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v[0];
    assert_eq!(c["source"], "field");
    assert_eq!(c["author"], "ayse");
    assert_eq!(c["effective_date"], "2099-06-01");
    assert_eq!(c["hs_codes"], serde_json::json!(["8517.62"]));
    assert!(c["categories"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("telecom")));
    assert_eq!(
        c["cases"][0]["reason"],
        "HS 8517.62 = 8517.62; destination DE (covered by EU)"
    );
    // Filters work on field reports like on any change.
    let out = setup.run(&[
        "changes",
        "--format",
        "json",
        "--country",
        "DE",
        "--hs",
        "8517",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    let out = setup.run(&["changes", "--format", "json", "--country", "TR"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn backmatching_covers_only_the_last_90_days() {
    let setup = Setup::new("", "[cases]\nbackmatch_days = 90\n");
    let app = setup.app().await;
    let id = regwatch::services::reports::add(
        &app,
        &regwatch::services::reports::FieldReport {
            country: "VN".into(),
            hs: vec!["9018.19".into()],
            title: "Patient monitor registration".into(),
            text: "Decree text".into(),
            author: Some("t".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A change recorded 120 days ago, outside the window.
    let rec = regwatch::store::ChangeRecord {
        change: regwatch::model::NewChange {
            kind: regwatch::model::ChangeKind::Added,
            item_key: None,
            title: "Older rule".into(),
            link: None,
            excerpt: "Older text".into(),
            diff: String::new(),
            text: "Older text".into(),
            published: None,
        },
        tags: regwatch::store::Tags {
            categories: vec!["medical".into()],
            hs_codes: vec!["9018.19".into()],
            ..Default::default()
        },
        cases: vec![],
        deliver_to: vec![],
        gist: None,
    };
    app.store
        .record_field_report(
            "VN",
            crate::helpers::now() - chrono::Duration::days(120),
            &rec,
            "t",
        )
        .await
        .unwrap();
    let case = regwatch::model::Case {
        id: "C-1".into(),
        client: "Beta".into(),
        title: "Monitors".into(),
        country: "VN".into(),
        hs_codes: vec![regwatch::model::HsCode::parse("9018.19").unwrap()],
        categories: vec!["medical".into()],
        keywords: vec![],
        status: "open".into(),
        link: None,
        origin: None,
    };
    app.store
        .upsert_case(&case, crate::helpers::now())
        .await
        .unwrap();
    let n = regwatch::services::cases::backmatch(&app, &case)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let f = ChangeFilter {
        case_id: Some("C-1".into()),
        ..Default::default()
    };
    let matched: Vec<i64> = app
        .store
        .changes(&f)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(matched, vec![id]);
}

#[tokio::test]
async fn close_missing_closes_cases_absent_from_a_full_export_only_when_every_row_read() {
    let setup = Setup::new("", "");
    let csv = setup.root().join("cases.csv");
    let header = "id,client,title,country,hs_codes,categories,keywords,status,link\n";
    std::fs::write(
        &csv,
        format!("{header}A,X,t,TR,8517.13,,,open,\nB,X,t,TR,9018.19,,,open,\n"),
    )
    .unwrap();
    assert!(setup
        .run(&["cases", "import", csv.to_str().unwrap()])
        .status
        .success());
    let open_ids = || {
        let out = setup.run(&["cases", "list", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // A bad row: nothing is closed, since B might be the unreadable row.
    std::fs::write(
        &csv,
        format!("{header}A,X,t,TR,8517.13,,,open,\nB,X,t,Narnia,9018.19,,,open,\n"),
    )
    .unwrap();
    let out = setup.run(&["cases", "import", "--close-missing", csv.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--close-missing skipped"));
    assert_eq!(open_ids(), vec!["A", "B"]);
    // A clean full export without B closes B.
    std::fs::write(&csv, format!("{header}A,X,t,TR,8517.13,,,open,\n")).unwrap();
    let out = setup.run(&["cases", "import", "--close-missing", csv.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 closed"));
    assert_eq!(open_ids(), vec!["A"]);
}

/// A chapter-wide rule is found by the pre-quote check for any code in the
/// chapter, and a router rule is not an affected case of a smartphone case.
#[test]
fn chapter_rules_reach_the_check_and_siblings_are_only_related() {
    let setup = Setup::new("", "");
    let csv = setup.root().join("cases.csv");
    std::fs::write(
        &csv,
        "id,client,title,country,hs_codes,categories,keywords,status,link\n\
         PHONE-1,Acme,Smartphones,TR,8517.13,,,open,\n\
         DISPLAY-1,Acme,Display modules,TR,8524.11,,,open,\n",
    )
    .unwrap();
    assert!(setup
        .run(&["cases", "import", csv.to_str().unwrap()])
        .status
        .success());
    let report = |title: &str, text: &str| {
        let out = setup.run(&[
            "report",
            "add",
            "--country",
            "TR",
            "--title",
            title,
            "--text",
            text,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    report(
        "Fasıl 85 eşyasında TAREKS denetimi",
        "Gümrük Tarife Cetvelinin 85. faslında yer alan eşyanın ithalatında TAREKS üzerinden denetim yapılacaktır.",
    );
    report(
        "Router conformity rule",
        "Routers of subheading 8517.62 need a conformity certificate.",
    );
    let out = setup.run(&[
        "check",
        "--country",
        "TR",
        "--hs",
        "8524.11",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = v["changes"].as_array().unwrap();
    assert!(
        found.iter().any(
            |c| c["title"].as_str().unwrap().contains("Fasıl 85") && c["strength"] == "chapter"
        ),
        "{v:#}"
    );
    let out = setup.run(&["changes", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let router = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Router conformity rule")
        .unwrap();
    let phone = router["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "PHONE-1");
    // Shown as related (the change page lists it), never as an affected case.
    assert!(
        phone.is_none_or(|m| m["strength"] == "related"),
        "{router:#}"
    );
    let chapter = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"].as_str().unwrap().contains("Fasıl 85"))
        .unwrap();
    assert!(
        chapter["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "DISPLAY-1" && m["strength"] == "chapter"),
        "{chapter:#}"
    );
}

/// A cases export that is not UTF-8 is refused with its line and column
/// and how to save it right.
#[test]
fn a_non_utf8_export_names_the_line_and_the_fix() {
    let setup = Setup::new("", "");
    let csv = setup.root().join("cases.csv");
    std::fs::write(
        &csv,
        b"id,client,title,country,hs_codes,categories,keywords,status,link\nC1,A\xe7me,Phones,TR,8517.13,,,open,\n",
    )
    .unwrap();
    let out = setup.run(&["cases", "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cases.csv:2: column 5: not UTF-8"), "{err}");
    assert!(err.contains("CSV UTF-8"), "{err}");
}
