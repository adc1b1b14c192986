//! JSON API: the change log, the pre-quote check, source health, cases and
//! field reports. Reads are open; writes need the bearer token.

use super::{authorize, change_filter, change_page, ApiError, Params};
use crate::daemon::Shared;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

type ApiResult = Result<Response, ApiError>;

/// `{"changes": [...], "next": CURSOR|null}`
pub async fn changes(State(shared): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let app = shared.app();
    let f = change_filter(&Params::parse(q.as_deref())).map_err(ApiError::bad)?;
    let (changes, next) = change_page(&app, &f).await.map_err(ApiError::internal)?;
    Ok(Json(json!({"changes": changes, "next": next})).into_response())
}

pub async fn change(State(shared): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let app = shared.app();
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError(StatusCode::NOT_FOUND, format!("no change `{id}`")))?;
    let c = app.store.change(id).await.map_err(ApiError::internal)?;
    let c = c.ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no change #{id}")))?;
    Ok(Json(crate::cli::with_urls(&app.config, vec![c]).remove(0)).into_response())
}

/// `/api/check?country=TR&hs=8517.62&category=telecom&since=90d`
pub async fn check(State(shared): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let app = shared.app();
    let p = Params::parse(q.as_deref());
    let country = p
        .get("country")
        .ok_or_else(|| ApiError::bad("give country=CC (the destination)"))?;
    let hs = p.all("hs");
    let since = p.get("since").unwrap_or("90d");
    match crate::cli::check(&app, country, &hs, p.get("category"), since).await {
        Ok(r) => Ok(Json(r).into_response()),
        Err(f) if f.code == 2 => Err(ApiError::bad(format!("{:#}", f.error).replace("--", ""))),
        Err(f) => Err(ApiError::internal(f.error)),
    }
}

/// Every configured source with its health and plan.
pub async fn sources(State(shared): State<Shared>) -> ApiResult {
    let rows = source_rows(&shared).await.map_err(ApiError::internal)?;
    Ok(Json(json!({"sources": rows})).into_response())
}

pub async fn source_rows(shared: &Shared) -> anyhow::Result<Vec<Value>> {
    let app = shared.app();
    let health = app.store.health().await?;
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    };
    Ok(shared
        .sources()
        .iter()
        .map(|s| {
            let h = health.iter().find(|h| h.id == s.id());
            let state = match h {
                None => "never polled",
                Some(h) if h.down => "down",
                Some(h) if h.consecutive_failures > 0 => "failing",
                Some(h) if h.last_success_at.is_none() => "never polled",
                Some(_) => "ok",
            };
            json!({
                "id": s.id(), "name": s.def.name, "jurisdiction": s.def.jurisdiction, "kind": s.def.kind.as_str(),
                "url": s.def.url.as_str(), "schedule": s.schedule.expr(), "timezone": s.schedule.timezone().name(),
                "enabled": s.def.enabled, "health": if s.def.enabled { state } else { "disabled" },
                "last_poll": fmt(h.and_then(|h| h.last_poll_at)),
                "last_success": fmt(h.and_then(|h| h.last_success_at)),
                "last_error": h.and_then(|h| h.last_error.clone()),
                "consecutive_failures": h.map(|h| h.consecutive_failures).unwrap_or(0),
                "down": h.map(|h| h.down).unwrap_or(false),
                "next_poll": fmt(h.and_then(|h| h.next_poll_at)),
            })
        })
        .collect())
}

/// `GET /api/cases` (open cases; `?all=true` for every case)
pub async fn cases(State(shared): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let app = shared.app();
    let p = Params::parse(q.as_deref());
    let all = matches!(p.get("all"), Some("1" | "true" | "yes"));
    let cases = app
        .store
        .cases(if all { None } else { Some("open") })
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({"cases": cases})).into_response())
}

/// `POST /api/cases`: one case object or an array of them (the import JSON
/// keys); idempotent by case id; new or updated cases are matched against
/// recent changes.
pub async fn post_cases(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = shared.app();
    authorize(&app.config, &headers)?;
    let v: Value = serde_json::from_str(&body)
        .map_err(|e| ApiError::bad(format!("the body is not JSON: {e}")))?;
    let arr = match v {
        Value::Array(a) => Value::Array(a),
        o @ Value::Object(_) => Value::Array(vec![o]),
        _ => {
            return Err(ApiError::bad(
                "send a case object or an array of case objects",
            ))
        }
    };
    let cats = app.tagger.taxonomy.category_names();
    let tax = &app.tagger.taxonomy;
    let (good, bad) = crate::cases::parse_cases(
        &arr.to_string(),
        true,
        &cats,
        &|h| tax.categories_for_hs(h),
        &app.config.cases.link,
    )
    .map_err(ApiError::bad)?;
    if good.is_empty() && !bad.is_empty() {
        let errors: Vec<Value> = bad
            .iter()
            .map(|b| json!({"row": b.row, "error": b.reason}))
            .collect();
        return Err(ApiError::bad(format!(
            "no valid case: {}",
            errors
                .iter()
                .map(|e| e["error"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let mut updated = vec![];
    let mut matched = 0;
    for c in &good {
        if app.store.upsert_case(c).await.map_err(ApiError::internal)? {
            updated.push(c.id.clone());
            matched += crate::cli::backmatch_case(&app, c)
                .await
                .map_err(ApiError::internal)?;
        }
    }
    tracing::info!(
        cases = good.len(),
        updated = updated.len(),
        matched,
        "cases posted"
    );
    let errors: Vec<Value> = bad
        .iter()
        .map(|b| json!({"row": b.row, "error": b.reason}))
        .collect();
    Ok(Json(
        json!({"received": good.len(), "updated": updated, "matches": matched, "errors": errors}),
    )
    .into_response())
}

pub async fn close_case(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let app = shared.app();
    authorize(&app.config, &headers)?;
    if app
        .store
        .close_case(&id)
        .await
        .map_err(ApiError::internal)?
    {
        tracing::info!(case = %id, "case closed");
        Ok(Json(json!({"id": id, "status": "closed"})).into_response())
    } else {
        Err(ApiError(StatusCode::NOT_FOUND, format!("no case `{id}`")))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    pub country: String,
    #[serde(default)]
    pub hs: Vec<String>,
    #[serde(default)]
    pub effective: Option<String>,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub author: Option<String>,
}

/// `POST /api/reports`: a field report, tagged, matched and alerted like any change.
pub async fn post_report(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = shared.app();
    authorize(&app.config, &headers)?;
    let r: ReportIn = serde_json::from_str(&body).map_err(|e| {
        ApiError::bad(format!("{e}: send {{\"country\", \"title\", \"text\", \"hs\": [...], \"categories\": [...], \"effective\": \"YYYY-MM-DD\", \"author\"}}"))
    })?;
    let author = r
        .author
        .clone()
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "api".into());
    let id = match crate::cli::add_field_report(
        &app,
        &r.country,
        &r.hs,
        r.effective.as_deref(),
        &r.title,
        &r.text,
        &r.categories,
        &author,
    )
    .await
    {
        Ok(id) => id,
        Err(f) if f.code == 2 => {
            return Err(ApiError::bad(format!("{:#}", f.error).replace("--", "")))
        }
        Err(f) => return Err(ApiError::internal(f.error)),
    };
    tracing::info!(change = id, country = %r.country, "field report recorded");
    let c = app.store.change(id).await.map_err(ApiError::internal)?;
    let c = c.map(|c| crate::cli::with_urls(&app.config, vec![c]).remove(0));
    Ok((StatusCode::CREATED, Json(json!({"id": id, "url": crate::cli::change_url(&app.config.server.base_url, id), "change": c}))).into_response())
}
