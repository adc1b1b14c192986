//! `GET /check`: the pre-quote check as a page.

use crate::app::LiveApp;
use crate::server::Params;
use crate::services::{self, ServiceError};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

use super::coverage::coverage_value;
use super::{error_page, page, row};

/// `GET /check`: the pre-quote check as a page, coverage first.
pub async fn check(State(live): State<LiveApp>, RawQuery(q): RawQuery) -> Response {
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let form = context! {
        country => p.get("country").unwrap_or("").to_uppercase(),
        hs => p.raw_all("hs").join(", "),
        category => p.get("category").unwrap_or("").to_lowercase(),
        since => p.get("since").unwrap_or(""),
        new => p.flag("new"),
    };
    let categories = app.tagger.taxonomy.category_names();
    let Some(country) = p.get("country") else {
        return page(
            StatusCode::OK,
            "check.html",
            context! { title => "Check", form => form, categories => categories },
        );
    };
    let q = services::check::CheckQuery {
        country: country.to_string(),
        hs: p.raw_all("hs"),
        category: p.get("category").map(str::to_string),
        since: p.get("since").map(str::to_string),
        new_only: p.flag("new"),
    };
    match services::check::check(&app, &q).await {
        Ok(r) => {
            let rows: Vec<serde_json::Value> = r
                .changes
                .iter()
                .map(|i| {
                    let mut v = serde_json::to_value(row(&i.change)).unwrap_or_default();
                    v["strength"] = serde_json::json!(i.strength.as_str());
                    v["why"] = serde_json::json!(i.why);
                    v
                })
                .collect();
            let api_url = format!("/api/check?{}", p.query_without(&[]));
            let coverage = coverage_value(&r.coverage);
            let blind = r.coverage.blind();
            page(
                StatusCode::OK,
                "check.html",
                context! {
                    title => format!("Check {}", r.country),
                    form => form, categories => categories,
                    since => r.since.format("%Y-%m-%d").to_string(),
                    coverage => coverage, blind => blind,
                    report => minijinja::Value::from_serialize(&r), rows => rows, api_url => api_url,
                },
            )
        }
        Err(ServiceError::Invalid(m)) | Err(ServiceError::NotFound(m)) => page(
            StatusCode::BAD_REQUEST,
            "check.html",
            context! { title => "Check", form => form, categories => categories, error => m },
        ),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "check page failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The check cannot be run right now; see the daemon's log.",
            )
        }
    }
}
