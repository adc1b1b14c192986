//! JSON API: the change log, the pre-quote check, source health, cases and
//! field reports. Reads are open; writes need the bearer token. Every
//! answer comes from the service layer; its errors choose the status.

use super::{authorize, ApiError, Params};
use crate::app::LiveApp;
use crate::services::cases::{self, RowError};
use crate::services::check::CheckQuery;
use crate::services::reports::FieldReport;
use crate::services::{self, ServiceError};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

type ApiResult = Result<Response, ApiError>;

/// `{"changes": [...], "next": CURSOR|null}`
pub async fn changes(State(live): State<LiveApp>, RawQuery(q): RawQuery) -> ApiResult {
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let f = p.change_query().checked(&app)?;
    let (changes, next) = services::changes::page(&app, &f).await?;
    if p.get("format") == Some("csv") {
        return Ok(csv_response(&changes));
    }
    Ok(Json(json!({"changes": changes, "next": next})).into_response())
}

pub async fn change(State(live): State<LiveApp>, Path(id): Path<String>) -> ApiResult {
    let app = live.current();
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError(StatusCode::NOT_FOUND, format!("no change `{id}`")))?;
    Ok(Json(services::changes::one(&app, id).await?).into_response())
}

/// `/api/check?country=TR&hs=8517.62&category=telecom&since=90d`
pub async fn check(State(live): State<LiveApp>, RawQuery(q): RawQuery) -> ApiResult {
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let country = p
        .get("country")
        .ok_or_else(|| ApiError::bad("give country=CC (the destination)"))?;
    let q = CheckQuery {
        country: country.to_string(),
        hs: p.raw_all("hs"),
        category: p.get("category").map(str::to_string),
        since: p.get("since").map(str::to_string),
        new_only: p.flag("new"),
    };
    Ok(Json(services::check::check(&app, &q).await?).into_response())
}

/// Every configured source with its health and plan.
pub async fn sources(State(live): State<LiveApp>) -> ApiResult {
    let rows = services::sources::rows(&live.current()).await?;
    Ok(Json(json!({"sources": rows})).into_response())
}

/// `GET /api/cases` (open cases; `?all=true` for every case), a page at a
/// time: `?limit=N` (100 by default, at most 1000) and `?cursor=` the
/// `next` of the page before. Client names are confidential: once any
/// token or user is configured, only a viewer (token or web session) reads.
pub async fn cases(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let app = live.current();
    super::require_reader(&app.config, &headers)?;
    let p = Params::parse(q.as_deref());
    let all = matches!(p.get("all"), Some("1" | "true" | "yes"));
    let limit = match p.get("limit") {
        None => 100,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=cases::MAX_PAGE).contains(n))
            .ok_or_else(|| {
                ApiError::bad(format!(
                    "limit must be a number from 1 to {}",
                    cases::MAX_PAGE
                ))
            })?,
    };
    let (page, next) = cases::page(&app, all, p.get("cursor"), limit).await?;
    Ok(Json(json!({"cases": page, "next": next})).into_response())
}

fn row_errors(bad: &[RowError]) -> Vec<Value> {
    bad.iter()
        .map(|b| json!({"row": b.row, "error": b.reason}))
        .collect()
}

/// `POST /api/cases`: one case object or an array of them (the import JSON
/// keys); idempotent by case id; new or updated cases are matched against
/// recent changes.
pub async fn post_cases(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = live.current();
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
    let r = cases::import(&app, &arr.to_string(), true, false).await?;
    if r.read == 0 && !r.bad.is_empty() {
        return Err(ApiError::bad(format!(
            "no valid case: {}",
            r.bad
                .iter()
                .map(|b| b.reason.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    tracing::info!(
        cases = r.read,
        updated = r.updated,
        matched = r.matched,
        "cases posted"
    );
    Ok(Json(json!({"received": r.rows, "updated": r.updated_ids, "matches": r.matched, "errors": row_errors(&r.bad)}))
        .into_response())
}

pub async fn close_case(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let app = live.current();
    authorize(&app.config, &headers)?;
    cases::close(&app, &id).await?;
    tracing::info!(case = %id, "case closed");
    Ok(Json(json!({"id": id, "status": "closed"})).into_response())
}

/// `POST /api/reports`: a field report, tagged, matched and alerted like any change.
pub async fn post_report(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = live.current();
    let (user, role) = poster(&app.config, &headers, crate::config::Role::Reviewer)?;
    let mut r: FieldReport = serde_json::from_str(&body).map_err(|e| {
        ApiError::bad(format!("{e}: send {{\"country\", \"title\", \"text\", \"hs\": [...], \"categories\": [...], \"effective\": \"YYYY-MM-DD\", \"author\"}}"))
    })?;
    r.author = Some(report_author(&user, role, r.author.as_deref())?);
    let id = services::reports::add(&app, &r).await?;
    let c = match services::changes::one(&app, id).await {
        Ok(c) => Some(c),
        Err(ServiceError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "url": app.config.server.change_url(id), "change": c})),
    )
        .into_response())
}

/// Who posts a write: the bearer token's user, else the signed-in web
/// session's user (the session's CSRF token in `X-CSRF-Token`), with at
/// least `role`. Without either, the bearer token's answer (401/403).
fn poster(
    cfg: &crate::config::Config,
    headers: &HeaderMap,
    role: crate::config::Role,
) -> Result<(String, crate::config::Role), ApiError> {
    if super::bearer(headers).is_none() {
        if let Some(s) = super::session::current(cfg, headers) {
            let given = headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !super::session::csrf_ok(&s, given) {
                return Err(ApiError(
                    StatusCode::FORBIDDEN,
                    "a write from a signed-in session needs its CSRF token in `X-CSRF-Token` (or send `Authorization: Bearer <token>`)".into(),
                ));
            }
            if s.role < role {
                return Err(ApiError(
                    StatusCode::FORBIDDEN,
                    format!(
                        "{} is a {}: this needs a {}",
                        s.name,
                        s.role.as_str(),
                        role.as_str()
                    ),
                ));
            }
            return Ok((s.name, s.role));
        }
    }
    let name = super::require(cfg, headers, role)?;
    let found = super::bearer(headers)
        .and_then(|t| super::identify(cfg, t))
        .map(|(_, r)| r)
        .unwrap_or(role);
    Ok((name, found))
}

/// The author a field report is recorded with: the poster, always. An
/// admin may enter a report someone else saw (a colleague on the phone from
/// the border): it is recorded as "NAME (entered by ADMIN)". Anyone else
/// can name only themselves: a report is never recorded under the name of
/// a person who did not post it.
fn report_author(
    user: &str,
    role: crate::config::Role,
    given: Option<&str>,
) -> Result<String, ApiError> {
    let given = given.map(str::trim).filter(|a| !a.is_empty());
    match given {
        None => Ok(user.to_string()),
        Some(a) if a.eq_ignore_ascii_case(user) => Ok(user.to_string()),
        Some(a) if role >= crate::config::Role::Admin => Ok(format!("{a} (entered by {user})")),
        Some(a) => Err(ApiError(
            StatusCode::FORBIDDEN,
            format!(
                "`author` is \"{}\" but you are {user}: a {} records field reports in their own name (leave `author` out); an admin may enter a report for someone else",
                crate::util::truncate(a, 60),
                role.as_str()
            ),
        )),
    }
}

/// `POST /api/changes/{id}/review` `{"state": "reviewed"|"dismissed"|"new", "note": "…"}`
/// with a reviewer's (or an admin's) bearer token.
pub async fn review(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = live.current();
    let (by, id, m) = reviewer_mark(
        &app.config,
        &headers,
        &id,
        &body,
        "\"reviewed\"|\"dismissed\"|\"new\"",
    )?;
    let c = services::reviews::mark(&app, id, &m.state, &by, m.note.as_deref()).await?;
    Ok(Json(json!({"id": id, "review": c.review})).into_response())
}

/// `POST /api/changes/{id}/correction` `{"categories"?, "hs_codes"?,
/// "effective_date"?, "reason"}` with a reviewer's (or an admin's) token:
/// the tagger's original is kept, the correction audited.
pub async fn correction(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = live.current();
    let (by, id) = reviewer_on_change(&app.config, &headers, &id)?;
    let input: services::corrections::CorrectionInput =
        serde_json::from_str(&body).map_err(|e| {
            ApiError::bad(format!(
                "{e}: send {{\"categories\": [..], \"hs_codes\": [..], \"effective_date\": \"YYYY-MM-DD\"|null, \"reason\": \"…\"}} (any of the first three)"
            ))
        })?;
    let c = services::corrections::correct(&app, id, &input, &by).await?;
    Ok(Json(json!({"id": id, "change": c})).into_response())
}

/// A reviewer's (or an admin's) name from the bearer token, and the change
/// number of the path: 404 for one that is not a number.
pub(super) fn reviewer_on_change(
    cfg: &crate::config::Config,
    headers: &HeaderMap,
    id: &str,
) -> Result<(String, i64), ApiError> {
    let by = super::require(cfg, headers, crate::config::Role::Reviewer)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError(StatusCode::NOT_FOUND, format!("no change `{id}`")))?;
    Ok((by, id))
}

/// A mark a reviewer posts on a change (its review, or its disposition for
/// a case): `{"state": …, "note": "…"}`.
#[derive(serde::Deserialize)]
pub(super) struct Mark {
    pub state: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Who posts a mark on which change, and the mark; `states` lists the
/// states the error message offers.
pub(super) fn reviewer_mark(
    cfg: &crate::config::Config,
    headers: &HeaderMap,
    id: &str,
    body: &str,
    states: &str,
) -> Result<(String, i64, Mark), ApiError> {
    let (by, id) = reviewer_on_change(cfg, headers, id)?;
    let m: Mark = serde_json::from_str(body).map_err(|e| {
        ApiError::bad(format!(
            "{e}: send {{\"state\": {states}, \"note\": \"…\"}}"
        ))
    })?;
    Ok((by, id, m))
}

/// The change log as CSV (`?format=csv`), one row per change.
fn csv_response(changes: &[crate::model::Change]) -> Response {
    let mut w = csv::Writer::from_writer(vec![]);
    let _ = w.write_record([
        "id",
        "detected_at",
        "jurisdiction",
        "source",
        "urgency",
        "title",
        "categories",
        "hs_codes",
        "effective_date",
        "deadline",
        "review",
        "url",
    ]);
    for c in changes {
        // A cell starting with = + - @ tab CR is text, not a formula, in a spreadsheet.
        let cell = crate::services::cases::spreadsheet_safe;
        let _ = w.write_record([
            c.id.to_string(),
            c.detected_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            c.jurisdiction.clone(),
            cell(&c.source),
            c.urgency.as_str().to_string(),
            cell(&c.title),
            c.categories.join(";"),
            c.hs_codes.join(";"),
            c.effective_date.map(|d| d.to_string()).unwrap_or_default(),
            c.deadline.map(|d| d.to_string()).unwrap_or_default(),
            c.review.state.clone(),
            c.url.clone(),
        ]);
    }
    let body = w.into_inner().unwrap_or_default();
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"regwatch-changes.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}
