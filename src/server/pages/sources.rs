//! Source health: every source, and one source with its recent polls.

use crate::app::LiveApp;
use crate::services::{self, ServiceError};
use crate::util::safe_link as safe_href;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

use super::{error_page, page};

/// A source row as pages show it: humanized times (UTC in the title), the
/// short error, staleness.
fn source_value(
    r: &services::sources::SourceRow,
    stale: &std::collections::HashSet<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    v["href"] = serde_json::json!(safe_href(Some(&r.url)));
    let is_stale = stale.contains(&r.id);
    v["stale"] = serde_json::json!(is_stale);
    // Bad news first: down, failing, rate limited, suspect, moved, stale,
    // never polled, ok, disabled.
    let rank = u32::from(r.rank()) * 2;
    v["rank"] = serde_json::json!(if is_stale && rank > 8 { 9 } else { rank });
    for (key, t) in [
        ("last_success", r.last_success),
        ("last_poll", r.last_poll),
        ("next_poll", r.next_poll),
    ] {
        v[format!("{key}_ago")] = serde_json::json!(t.map(|t| crate::util::ago(t, now)));
        v[format!("{key}_utc")] =
            serde_json::json!(t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()));
    }
    v
}

/// Rows and who is failing or stale (the coverage's words).
async fn source_rows(
    live: &LiveApp,
) -> Result<(Vec<serde_json::Value>, usize, usize), ServiceError> {
    let app = live.current();
    let rows = services::sources::rows(&app).await?;
    let now = app.now();
    let cov = services::sources::coverage(&app, None, now - chrono::Duration::days(30)).await?;
    let stale: std::collections::HashSet<String> = cov.stale.iter().map(|g| g.id.clone()).collect();
    let mut rows: Vec<serde_json::Value> =
        rows.iter().map(|r| source_value(r, &stale, now)).collect();
    rows.sort_by_key(|v| v["rank"].as_u64().unwrap_or(u64::MAX));
    Ok((rows, cov.failing.len(), cov.stale.len()))
}

pub async fn sources(State(live): State<LiveApp>) -> Response {
    match source_rows(&live).await {
        Ok((rows, failing, stale)) => page(
            StatusCode::OK,
            "sources.html",
            context! { title => "Sources", rows => rows, failing => failing, stale => stale },
        ),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "sources page failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Source health cannot be read right now.",
            )
        }
    }
}

/// `GET /sources/{id}`: one source, its full error chain and recent polls.
pub async fn source(State(live): State<LiveApp>, Path(id): Path<String>) -> Response {
    let rows = match source_rows(&live).await {
        Ok((rows, _, _)) => rows,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "source page failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Source health cannot be read right now.",
            );
        }
    };
    let Some(s) = rows.into_iter().find(|r| r["id"] == id.as_str()) else {
        return error_page(
            StatusCode::NOT_FOUND,
            &format!("There is no source `{id}`."),
        );
    };
    let log: Vec<minijinja::Value> = live
        .current()
        .store
        .fetch_log(&id, 20)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(outcome, error)| context! { outcome => outcome, error => error })
        .collect();
    page(
        StatusCode::OK,
        "source.html",
        context! { title => format!("Source {id}"), s => s, log => log },
    )
}
