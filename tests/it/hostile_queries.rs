//! No input panics the server or the CLI: every query parameter of every GET
//! endpoint swept with hostile values answers below 500 on a connection that
//! stays up; too many HS codes and absurd periods are a 400 (exit 2) that
//! names the limit.

use crate::daemon::{spawn_daemon_env, TempDir};
use std::time::Duration;

/// Hostile values, already percent-encoded where they must be (some on purpose not).
fn hostile_values() -> Vec<String> {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let mut v: Vec<String> = [
        "99999999d",
        "99999999999999999999d",
        "9999999999h",
        "999999999y",
        "-1",
        "-1d",
        "0",
        "18446744073709551616",
        "9223372036854775807",
        "-9223372036854775808",
        "1e309",
        "NaN",
        "2026-02-30",
        "+275760-09-13T00:00:00Z",
        "9999-12-31T23:59:59+14:00",
        "'; DROP TABLE changes; --",
        "\" OR 1=1 --",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "ü🙂𝔘 İıŞ ١٢٣",
        "８５１７．６２",
        "\u{202e}\u{200b}",
    ]
    .iter()
    .map(|s| enc(s))
    .collect();
    v.extend(
        [
            "%00",
            "%FF%FE",
            "%",
            "%zz",
            "a%00b",
            "%0d%0aSet-Cookie:x=1",
            "",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    v.push("x".repeat(20_000));
    v.push(enc(&"ğ".repeat(3_000)));
    // 500 HS codes, comma-separated and as repeated keys are both swept below.
    v.push(
        (0..500)
            .map(|i| format!("{:04}.{:02}", 100 + i, i % 100))
            .collect::<Vec<_>>()
            .join(","),
    );
    v
}

const PARAMS: &[&str] = &[
    "since", "country", "category", "hs", "source", "case", "query", "q", "limit", "cursor", "all",
    "format", "id",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_get_endpoint_survives_hostile_query_parameters() {
    let dir = TempDir::new("hostile");
    let token = "hostile-token".to_string();
    let d = spawn_daemon_env(&dir.0, "", "", &[("REGWATCH_API_TOKEN", token.clone())]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    // One change in the store so the pages render rows, not only empty lists.
    let r = client
        .post(format!("{}/api/reports", d.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"country": "TR", "title": "Field report: IMEI fee", "text": "GTİP 8517.13 registration fee", "hs": ["8517.13"], "effective": "2027-01-01"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    let endpoints = [
        "/",
        "/changes/1",
        "/sources",
        "/feed.atom",
        "/api/changes",
        "/api/changes/1",
        "/api/check",
        "/api/sources",
        "/api/cases",
    ];
    let values = hostile_values();
    let mut requests = 0;
    let mut check = |status: u16, url: &str| {
        requests += 1;
        assert!(status < 500, "{status} for GET {}", crate::util_trunc(url));
    };
    for ep in endpoints {
        for p in PARAMS {
            for v in &values {
                // Alone, and next to valid values of the others (so a later stage runs).
                for url in [
                    format!("{}{ep}?{p}={v}", d.base),
                    format!("{}{ep}?country=TR&hs=8517&since=30d&{p}={v}", d.base),
                ] {
                    let r = client
                        .get(&url)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("GET {}: {e}", crate::util_trunc(&url)));
                    check(r.status().as_u16(), &url);
                }
            }
        }
        // Hostile path segments where the endpoint takes an id.
        if ep.ends_with("/1") {
            for v in &values {
                let url = format!("{}{}{v}", d.base, ep.trim_end_matches('1'));
                if let Ok(r) = client.get(&url).send().await {
                    check(r.status().as_u16(), &url);
                } else {
                    panic!("GET {}: connection failed", crate::util_trunc(&url));
                }
            }
        }
    }
    // 500 HS codes as repeated keys: a 400 that names the cap.
    let many: String = (0..500)
        .map(|i| format!("hs={:04}", 100 + i))
        .collect::<Vec<_>>()
        .join("&");
    for ep in ["/api/changes", "/api/check", "/feed.atom", "/"] {
        let r = client
            .get(format!("{}{ep}?country=TR&{many}", d.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{ep}");
        let body = r.text().await.unwrap();
        assert!(body.contains("at most 50"), "{ep}: {body}");
    }
    let r = client
        .get(format!("{}/api/changes?since=99999999d", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("at most 100y"));
    // Still healthy, and the change is still there.
    assert_eq!(
        client
            .get(format!("{}/healthz", d.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let v: serde_json::Value = client
        .get(format!("{}/api/changes", d.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);
    assert!(requests > 2_000, "{requests} requests");
}

#[test]
fn cli_refuses_absurd_periods_and_too_many_codes_with_exit_2() {
    let setup = crate::helpers::Setup::new("", "");
    for (args, needle) in [
        (vec!["changes", "--since", "99999999d"], "at most 100y"),
        (vec!["changes", "--since=-1"], "is not a period"),
        (
            vec!["changes", "--since", "99999999999999999999999d"],
            "is not a period",
        ),
        (vec!["changes", "--limit=-5"], "not a positive number"),
    ] {
        let out = setup.run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let many: Vec<String> = (0..51).map(|i| format!("{:04}", 100 + i)).collect();
    let out = setup.run(&["changes", "--hs", &many.join(",")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at most 50 per query"), "{err}");
}
