//! Coverage as pages show it: which sources fail or are stale.

use crate::app::LiveApp;
use crate::server::Params;
use crate::services::{self};

/// The coverage as pages show it: the summary sentence and times in UTC.
pub(super) fn coverage_value(c: &services::sources::Coverage) -> serde_json::Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["summary"] = serde_json::json!(c.summary());
    v["blind"] = serde_json::json!(c.blind());
    v["watched_since"] = serde_json::json!(c
        .watched_since
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()));
    for key in ["failing", "stale"] {
        let list = match key {
            "failing" => &c.failing,
            _ => &c.stale,
        };
        v[key] = list
            .iter()
            .map(|g| {
                serde_json::json!({
                    "id": g.id, "name": g.name,
                    "since": g.since.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                    "error": g.error.as_deref().map(services::sources::short_error),
                })
            })
            .collect();
    }
    v
}

/// The list's coverage: of the filtered country, else of every source,
/// over the filtered period (else the last 30 days). None when unreadable.
pub(super) async fn coverage_view(live: &LiveApp, p: &Params) -> Option<serde_json::Value> {
    let app = live.current();
    let dest = p
        .get("country")
        .and_then(|c| crate::model::Country::parse(c).ok());
    let since = p
        .get("since")
        .and_then(|s| services::changes::parse_since(s, app.now()).ok())
        .unwrap_or_else(|| app.now() - chrono::Duration::days(30));
    match services::sources::coverage(&app, dest.as_ref(), since).await {
        Ok(c) => Some(coverage_value(&c)),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "coverage failed");
            None
        }
    }
}
