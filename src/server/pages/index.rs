//! The change log with its search form, charts and coverage.

use crate::app::LiveApp;
use crate::server::Params;
use crate::services::{self};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

use super::coverage::coverage_view;
use super::{page, row};

const PERIODS: &[(&str, &str)] = &[
    ("", "any time"),
    ("7d", "last 7 days"),
    ("30d", "last 30 days"),
    ("90d", "last 90 days"),
    ("365d", "last year"),
];

pub async fn index(State(live): State<LiveApp>, RawQuery(q): RawQuery) -> Response {
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let checked = p.change_query().checked(&app);
    let volume = match &checked {
        Ok(c) => services::volume::weekly(&app, c)
            .await
            .map_err(|e| tracing::error!(error = format!("{e:#}"), "volume failed"))
            .ok(),
        Err(_) => None,
    };
    let (rows, next, error) = match checked {
        Err(e) => (vec![], None, Some(e.to_string())),
        Ok(f) => match services::changes::page(&app, &f).await {
            Ok((mut changes, next)) => {
                // Bad news first within the page; pages still go newest to oldest.
                services::urgency::sort(&mut changes, app.clock.today());
                (changes.iter().map(row).collect::<Vec<_>>(), next, None)
            }
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "change log page failed");
                (
                    vec![],
                    None,
                    Some("the change log cannot be read right now; see the daemon's log".into()),
                )
            }
        },
    };
    let base_q = p.query_without(&["cursor"]);
    let next_url = next.map(|n| {
        if base_q.is_empty() {
            format!("/?cursor={n}")
        } else {
            format!("/?{base_q}&cursor={n}")
        }
    });
    let feed_url = if base_q.is_empty() {
        "/feed.atom".to_string()
    } else {
        format!("/feed.atom?{base_q}")
    };
    let since = p.get("since").unwrap_or("");
    let periods = periods(since);
    let since = since.trim().to_string();
    let coverage = coverage_view(&live, &p).await;
    let charts = volume.as_ref().map(charts);
    let export_q = p.query_without(&["cursor", "format"]);
    let sep = if export_q.is_empty() { "" } else { "&" };
    let ctx = context! {
        title => "Changes",
        volume => volume,
        charts => charts,
        csv_url => format!("/api/changes?{export_q}{sep}format=csv&limit=500"),
        json_url => format!("/api/changes?{export_q}{sep}limit=500"),
        coverage => coverage,
        form => context! {
            country => p.get("country").unwrap_or(""),
            category => p.get("category").unwrap_or("").to_lowercase(),
            hs => p.raw_all("hs").join(", "),
            query => p.get("query").or_else(|| p.get("q")).unwrap_or(""),
            since => since,
            source => p.get("source").unwrap_or(""),
            case => p.get("case").unwrap_or(""),
            new => p.flag("new"),
        },
        categories => app.tagger.taxonomy.category_names(),
        periods => periods,
        rows => rows,
        error => error,
        next_url => next_url,
        feed_url => feed_url,
        filtered => !base_q.is_empty(),
    };
    page(
        if ctx.get_attr("error").map(|e| !e.is_none()).unwrap_or(false) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        "index.html",
        ctx,
    )
}

/// The periods the form offers: the usual ones, and the one asked when it
/// is another (`since 2026-01-01`).
fn periods(since: &str) -> Vec<(String, String)> {
    let mut periods: Vec<(String, String)> = PERIODS
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    if !since.is_empty() && !periods.iter().any(|(v, _)| *v == since) {
        periods.push((since.to_string(), format!("since {since}")));
    }
    periods
}

/// The weekly volume charts, by country and by category (SVG).
fn charts(v: &services::volume::Volume) -> minijinja::Value {
    context! {
        country => minijinja::Value::from_safe_string(services::volume::svg("Changes per week by country", &v.weeks, &v.by_country, v.unwatched)),
        category => minijinja::Value::from_safe_string(services::volume::svg("Changes per week by category", &v.weeks, &v.by_category, v.unwatched)),
    }
}
