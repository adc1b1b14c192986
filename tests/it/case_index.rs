//! Matching through the index of match terms, in the real store: with many
//! open cases in the change's country, only the candidates sharing a term
//! with the change are read, and they give the same matches as a scan of
//! every case of the country; the terms follow every insert, update, close
//! and import, and are rebuilt when missing.

use crate::store::TestDb;
use regwatch::matching::{match_change, probe};
use regwatch::model::{Case, Country, HsCode, Tags};
use regwatch::store::Store;

fn case(id: &str, country: &str, hs: &[&str], kw: &[&str]) -> Case {
    Case {
        id: id.into(),
        client: "ACME".into(),
        title: format!("Case {id}"),
        country: country.into(),
        hs_codes: hs.iter().map(|s| HsCode::parse(s).unwrap()).collect(),
        categories: vec!["electronics".into()],
        keywords: kw.iter().map(|s| s.to_string()).collect(),
        status: "open".into(),
        link: None,
        origin: None,
    }
}

/// 3,000 open cases in TR on other goods, and the few a router rule with
/// "IMEI" in its title can match.
fn cases() -> Vec<Case> {
    let mut v = vec![];
    for i in 0..3000 {
        let hs = ["8471.30", "9018.19", "8504.40"][i % 3];
        v.push(case(&format!("OTHER-{i:05}"), "TR", &[hs], &["pump"]));
    }
    v.push(case("ROUTER", "TR", &["8517.62.00"], &[]));
    v.push(case("PHONE", "TR", &["8517.13"], &[]));
    v.push(case("HEADING", "TR", &["8517"], &[]));
    v.push(case("IMEI", "TR", &["9018.90"], &["IMEI"]));
    v.push(case("VN-ROUTER", "VN", &["8517.62"], &[]));
    let mut closed = case("CLOSED", "TR", &["8517.62"], &[]);
    closed.status = "closed".into();
    v.push(closed);
    v
}

fn router_rule() -> Tags {
    Tags {
        hs_codes: vec!["8517.62".into()],
        categories: vec!["electronics".into()],
        ..Default::default()
    }
}

const TITLE: &str = "Yönlendiriciler ve IMEI kaydı";

async fn ids_of(store: &Store, tags: &Tags, title: &str) -> Vec<String> {
    let p = probe("TR", tags).unwrap();
    let got = store.candidate_cases(&p, title, "").await.unwrap();
    got.into_iter().map(|c| c.id).collect()
}

async fn the_index_reads_only_candidates(db: &TestDb) {
    let store = db.open().await;
    let now = crate::helpers::now();
    let all = cases();
    let mut import = store.begin_case_import(true).await.unwrap();
    for chunk in all.chunks(500) {
        let refs: Vec<&Case> = chunk.iter().collect();
        import.upsert(&refs, now).await.unwrap();
        import.seen(&refs).await.unwrap();
    }
    import.commit().await.unwrap();

    let tags = router_rule();
    let p = probe("TR", &tags).unwrap();
    let candidates = store.candidate_cases(&p, TITLE, "").await.unwrap();
    let ids: Vec<&str> = candidates.iter().map(|c| c.id.as_str()).collect();
    // 6 rows read of the 3,005 open cases in TR: the heading's three, the
    // keyword's one; the category is not looked up for a rule naming codes.
    assert_eq!(
        ids,
        ["HEADING", "IMEI", "PHONE", "ROUTER"],
        "{}",
        db.backend
    );
    let country = store
        .open_cases_in(&Country::parse("TR").unwrap().reaches())
        .await
        .unwrap();
    assert_eq!(country.len(), 3004);
    assert_eq!(
        match_change("TR", &tags, TITLE, "", &candidates),
        match_change("TR", &tags, TITLE, "", &country),
        "the candidates match as the scan of the country does"
    );
    assert!(!match_change("TR", &tags, TITLE, "", &candidates).is_empty());

    // A chapter rule reads the chapter's cases, through a range of terms.
    let chapter = Tags {
        chapters: vec!["85".into()],
        ..Default::default()
    };
    let got = ids_of(&store, &chapter, "").await;
    assert_eq!(got.len(), 1000 + 3, "{got:?}");

    // An update moves a case out of the heading; a close takes it out.
    let mut moved = case("ROUTER", "TR", &["8471.30"], &[]);
    assert!(store.upsert_case(&moved, now).await.unwrap());
    assert!(store.close_case("PHONE", now).await.unwrap());
    assert_eq!(ids_of(&store, &tags, TITLE).await, ["HEADING", "IMEI"]);
    moved.hs_codes = vec![HsCode::parse("8517.62").unwrap()];
    assert!(store.upsert_case(&moved, now).await.unwrap());
    assert_eq!(
        ids_of(&store, &tags, TITLE).await,
        ["HEADING", "IMEI", "ROUTER"]
    );

    // An import naming only some cases closes the others, and their terms go.
    let mut import = store.begin_case_import(true).await.unwrap();
    let keep = [case("HEADING", "TR", &["8517"], &[])];
    import
        .upsert(&keep.iter().collect::<Vec<_>>(), now)
        .await
        .unwrap();
    import.seen(&keep.iter().collect::<Vec<_>>()).await.unwrap();
    assert!(import.close_unseen(now).await.unwrap() > 3000);
    import.commit().await.unwrap();
    assert_eq!(ids_of(&store, &tags, TITLE).await, ["HEADING"]);
    store.close().await;
}

/// A store whose terms are missing (made before the index) gets them at
/// first use.
async fn missing_terms_are_rebuilt(db: &TestDb) {
    let store = db.open().await;
    let now = crate::helpers::now();
    for c in cases() {
        store.upsert_case(&c, now).await.unwrap();
    }
    store.close().await;
    {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        for t in ["case_terms", "case_vocabulary", "case_terms_version"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t}")))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = db.open().await;
    assert_eq!(
        ids_of(&store, &router_rule(), TITLE).await,
        ["HEADING", "IMEI", "PHONE", "ROUTER"]
    );
    store.close().await;
}

both_backends!(the_index_reads_only_candidates, missing_terms_are_rebuilt);
