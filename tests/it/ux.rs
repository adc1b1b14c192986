//! What a trade-compliance officer reads first: urgency (bad news first,
//! with the reason) and coverage (which sources could answer) in the web
//! list, the check page, `/api/check` and `regwatch check`. The router is
//! served in-process on 127.0.0.1.

use crate::helpers::Setup;
use regwatch::app::App;
use std::net::SocketAddr;

/// Serve the web front end of `app` on 127.0.0.1 (an ephemeral port).
pub async fn serve(s: &Setup) -> (App, SocketAddr) {
    let app = s.app().await;
    app.store.migrate().await.unwrap();
    let shared = regwatch::daemon::Shared::new(s.app().await, s.sources());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = regwatch::server::router(shared);
    tokio::spawn(async move { axum::serve(listener, router).await });
    (app, addr)
}

pub async fn report(app: &App, cc: &str, hs: &str, effective: Option<&str>, title: &str) -> i64 {
    regwatch::services::reports::add(
        app,
        &regwatch::services::reports::FieldReport {
            country: cc.into(),
            hs: vec![hs.to_string()],
            effective: effective.map(str::to_string),
            title: title.into(),
            text: format!("{title} text"),
            author: Some("tester".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .unwrap()
}

pub async fn open_case(app: &App, id: &str, cc: &str, hs: &str) {
    let c = regwatch::model::Case {
        id: id.into(),
        client: "ACME".into(),
        title: "router import".into(),
        country: cc.into(),
        hs_codes: vec![regwatch::model::HsCode::parse(hs).unwrap()],
        categories: vec![],
        keywords: vec![],
        status: "open".into(),
        link: None,
        origin: None,
    };
    app.store.upsert_case(&c).await.unwrap();
}

/// A source nobody answers at (a closed port on 127.0.0.1).
pub fn dead_source(id: &str, jurisdiction: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"{id}\"\njurisdiction = \"{jurisdiction}\"\nkind = \"feed\"\n\
         url = \"http://127.0.0.1:9/{id}.xml\"\nschedule = \"0 * * * *\"\n\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_list_puts_the_most_urgent_first_with_the_reason() {
    let s = Setup::new(&dead_source("tr-gazette", "TR"), "");
    let (app, addr) = serve(&s).await;
    open_case(&app, "CASE-7", "TR", "8517.62").await;
    // Older, and urgent: a direct match on an open case.
    let urgent = report(&app, "TR", "8517.62", None, "Telsiz cihazları yeni kural").await;
    // Newer, and only a field report on another product.
    let calm = report(&app, "TR", "3004.90", None, "İlaç etiketleri").await;
    assert!(calm > urgent);
    let html = reqwest::get(format!("http://{addr}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (u, c) = (
        html.find("Telsiz cihazları yeni kural").unwrap(),
        html.find("İlaç etiketleri").unwrap(),
    );
    assert!(u < c, "the urgent change comes first: {html}");
    assert!(
        html.contains("direct match on open case CASE-7"),
        "the reason is shown: {html}"
    );
    assert!(html.contains("urgency high"), "{html}");
    // The JSON carries the same.
    let j: serde_json::Value = reqwest::get(format!("http://{addr}/api/changes/{urgent}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["urgency"], "high", "{j}");
    assert_eq!(
        j["urgency_reasons"][0], "direct match on open case CASE-7",
        "{j}"
    );
}
