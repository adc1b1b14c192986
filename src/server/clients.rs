//! Clients on the web and in the API: `/clients`, `/clients/{name}`, the
//! draft notice (`/clients/{name}/notice`, saved by a reviewer with who and
//! when), and per-case dispositions of a change (web form with CSRF, and
//! `POST /api/changes/{id}/cases/{case}/disposition`). Client names are
//! confidential: once any token or user is configured, reading them needs
//! a viewer's token or session.

use super::pages::{error_page, form, page, reviewer_form, row, see_other};
use super::{require, writes_configured, ApiError, Params};
use crate::app::LiveApp;
use crate::config::Role;
use crate::services::clients::{Notice, SavedNotice};
use crate::services::{self, ServiceError};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minijinja::context;
use serde_json::json;

use super::pages::disposition_label;

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Whether this request may read client names: always when nothing is
/// configured to sign in with; else with a viewer's (or stronger) bearer
/// token or session.
fn may_read(live: &LiveApp, headers: &HeaderMap) -> bool {
    let cfg = &live.current().config;
    !writes_configured(cfg)
        || super::session::current(cfg, headers).is_some()
        || require(cfg, headers, Role::Viewer).is_ok()
}

/// The sign-in form's address, coming back to `next`.
pub(super) fn signin_to(next: &str) -> String {
    format!("/signin?next={}", enc(next))
}

/// A page that needs a signed-in viewer: to the sign-in form, and back.
fn to_signin(next: &str) -> Response {
    see_other(&signin_to(next), None)
}

fn api_reader(live: &LiveApp, headers: &HeaderMap) -> Result<(), ApiError> {
    if may_read(live, headers) {
        Ok(())
    } else {
        require(&live.current().config, headers, Role::Viewer).map(|_| ())
    }
}

fn service_page(e: ServiceError, what: &str) -> Response {
    match e {
        ServiceError::Invalid(m) => error_page(StatusCode::BAD_REQUEST, &m),
        ServiceError::NotFound(m) => error_page(StatusCode::NOT_FOUND, &m),
        ServiceError::Internal(e) => {
            tracing::error!(error = format!("{e:#}"), "{what} failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("The {what} cannot be read right now; see the daemon's log."),
            )
        }
    }
}

/// `GET /clients`: every client with an open case, the most pressing first.
pub async fn list_page(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if !may_read(&live, &headers) {
        return to_signin("/clients");
    }
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let since = p.get("since").unwrap_or(services::clients::DEFAULT_SINCE);
    match services::clients::list(&app, Some(since), p.flag("new")).await {
        Ok(clients) => page(
            StatusCode::OK,
            "clients.html",
            context! { title => "Clients", clients => clients, since => since, new => p.flag("new") },
        ),
        Err(e) => service_page(e, "client list"),
    }
}

/// `GET /clients/{name}`: one client's open cases and the changes hitting them.
pub async fn client_page(
    State(live): State<LiveApp>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if !may_read(&live, &headers) {
        return to_signin(&format!("/clients/{}", enc(&name)));
    }
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let since = p.get("since").unwrap_or(services::clients::DEFAULT_SINCE);
    let v = match services::clients::one(&app, &name, Some(since), p.flag("new")).await {
        Ok(v) => v,
        Err(e) => return service_page(e, "client page"),
    };
    let changes: Vec<serde_json::Value> = v
        .changes
        .iter()
        .map(|c| {
            let mut r = serde_json::to_value(row(c)).unwrap_or_default();
            r["cases"] = c
                .cases
                .iter()
                .map(|m| {
                    json!({"id": m.id, "strength": m.strength.as_str(), "reason": m.reason,
                           "disposition": disposition_label(&m.disposition.state),
                           "state": m.disposition.state, "by": m.disposition.by})
                })
                .collect();
            r
        })
        .collect();
    let cases: Vec<serde_json::Value> = v
        .cases
        .iter()
        .map(|k| {
            let hits = v
                .changes
                .iter()
                .filter(|c| c.cases.iter().any(|m| m.id == k.id))
                .count();
            json!({"id": k.id, "title": k.title, "country": k.country,
                   "hs_codes": k.hs_codes.iter().map(|h| h.as_str()).collect::<Vec<_>>(),
                   "href": crate::util::safe_link(k.link.as_deref()), "hits": hits})
        })
        .collect();
    page(
        StatusCode::OK,
        "client.html",
        context! {
            title => format!("Client {}", v.name),
            name => v.name,
            enc_name => enc(&v.name),
            since => since,
            new => p.flag("new"),
            cases => cases,
            changes => changes,
            notice => v.notice,
        },
    )
}

/// `GET /clients/{name}/notice`: the draft notice (and the last saved text,
/// with who and when); `?format=md` or `?format=html` downloads it.
pub async fn notice_page(
    State(live): State<LiveApp>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if !may_read(&live, &headers) {
        return to_signin(&format!("/clients/{}/notice", enc(&name)));
    }
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let since = p.get("since");
    let (n, saved, title) = match notice_and_saved(&app, &name, since).await {
        Ok(v) => v,
        Err(e) => return service_page(e, "client notice"),
    };
    // The saved text wins unless the draft is asked for.
    let text = match (&saved, p.flag("draft")) {
        (Some(s), false) => s.body.clone(),
        _ => n.markdown.clone(),
    };
    match p.get("format") {
        Some("md") | Some("markdown") => {
            return (
                [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
                text,
            )
                .into_response()
        }
        Some("html") => {
            return (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                services::clients::markdown_to_html(&title, &text),
            )
                .into_response()
        }
        _ => {}
    }
    let session = super::session::current(&app.config, &headers);
    let can_save = session.as_ref().is_some_and(|s| s.role >= Role::Reviewer);
    page(
        StatusCode::OK,
        "notice.html",
        context! {
            title => title,
            name => n.client,
            enc_name => enc(&n.client),
            notice => n,
            saved => saved,
            text => text,
            preview => minijinja::Value::from_safe_string(services::clients::markdown_fragment(&text)),
            can_save => can_save,
            csrf => session.as_ref().map(|s| s.csrf.clone()),
        },
    )
}

/// The draft notice to a client, the text last saved as the client's, and
/// the notice's title: what the notice page and the API both show.
async fn notice_and_saved(
    app: &crate::app::App,
    name: &str,
    since: Option<&str>,
) -> Result<(Notice, Option<SavedNotice>, String), ServiceError> {
    let n = services::clients::notice(app, name, since).await?;
    let saved = services::clients::saved_notice(app, &n.client).await?;
    let title = format!("Notice to {}", n.client);
    Ok((n, saved, title))
}

/// `POST /clients/{name}/notice` (form: text, csrf), for a signed-in reviewer.
pub async fn save_notice_form(
    State(live): State<LiveApp>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let f = form(&body);
    let app = live.current();
    let back = format!("/clients/{}/notice", enc(&name));
    let s = match reviewer_form(
        &app.config,
        &headers,
        &f,
        &signin_to(&back),
        "This form has expired: reload the page and try again (copy your text first).",
        "save client notices",
    ) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let text = f.get("text").map(String::as_str).unwrap_or("");
    match services::clients::save_notice(&app, &name, text, &s.name).await {
        Ok(_) => see_other(&back, None),
        Err(e) => service_page(e, "client notice"),
    }
}

/// `POST /changes/{id}/cases/{case}/disposition` (form: state, note, csrf),
/// for a signed-in reviewer.
pub async fn disposition_form(
    State(live): State<LiveApp>,
    Path((id, case)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            StatusCode::NOT_FOUND,
            "There is no change with this number.",
        );
    };
    let f = form(&body);
    let app = live.current();
    let s = match reviewer_form(
        &app.config,
        &headers,
        &f,
        &signin_to(&format!("/changes/{id}")),
        "This form has expired: reload the page and try again.",
        "mark cases",
    ) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let state = f.get("state").map(String::as_str).unwrap_or("");
    match services::reviews::dispose(
        &app,
        id,
        &case,
        state,
        &s.name,
        f.get("note").map(String::as_str),
    )
    .await
    {
        Ok(_) => see_other(&format!("/changes/{id}#cases"), None),
        Err(e) => service_page(e, "disposition"),
    }
}

type ApiResult = Result<Response, ApiError>;

/// `GET /api/clients?since=90d&new=true`
pub async fn api_list(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    api_reader(&live, &headers)?;
    let p = Params::parse(q.as_deref());
    let v = services::clients::list(&live.current(), p.get("since"), p.flag("new")).await?;
    Ok(Json(json!({"clients": v})).into_response())
}

/// `GET /api/clients/{name}?since=90d&new=true`
pub async fn api_client(
    State(live): State<LiveApp>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    api_reader(&live, &headers)?;
    let p = Params::parse(q.as_deref());
    let v = services::clients::one(&live.current(), &name, p.get("since"), p.flag("new")).await?;
    Ok(Json(v).into_response())
}

/// `GET /api/clients/{name}/notice?since=30d`: the draft (Markdown and
/// HTML) and the last saved text.
pub async fn api_notice(
    State(live): State<LiveApp>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    api_reader(&live, &headers)?;
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let (n, saved, title) = notice_and_saved(&app, &name, p.get("since")).await?;
    let html = services::clients::markdown_to_html(&title, &n.markdown);
    Ok(Json(json!({"notice": n, "html": html, "saved": saved})).into_response())
}

/// `POST /api/clients/{name}/notice` `{"text": "…"}`: save the edited
/// notice (a reviewer).
pub async fn api_save_notice(
    State(live): State<LiveApp>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = live.current();
    let by = require(&app.config, &headers, Role::Reviewer)?;
    #[derive(serde::Deserialize)]
    struct Text {
        text: String,
    }
    let t: Text = serde_json::from_str(&body)
        .map_err(|e| ApiError::bad(format!("{e}: send {{\"text\": \"the notice\"}}")))?;
    let saved = services::clients::save_notice(&app, &name, &t.text, &by).await?;
    Ok(Json(json!({"saved": saved})).into_response())
}

/// `POST /api/changes/{id}/cases/{case}/disposition`
/// `{"state": "affects"|"not_affected"|"done"|"open", "note": "…"}` (a reviewer).
pub async fn api_disposition(
    State(live): State<LiveApp>,
    Path((id, case)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = live.current();
    let (by, id, m) = super::api::reviewer_mark(
        &app.config,
        &headers,
        &id,
        &body,
        "\"affects\"|\"not_affected\"|\"done\"|\"open\"",
    )?;
    let c = services::reviews::dispose(&app, id, &case, &m.state, &by, m.note.as_deref()).await?;
    let d = c
        .cases
        .iter()
        .find(|k| k.id == case.trim())
        .map(|k| k.disposition.clone());
    Ok(
        Json(json!({"id": id, "case": case.trim(), "disposition": d, "cases": c.cases}))
            .into_response(),
    )
}
