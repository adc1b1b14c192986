//! Server-rendered pages: the change log with its search form, one change
//! with its diff, and source health. minijinja with HTML autoescape; the
//! templates are compiled into the binary.
//!
//! This file holds what every page shares (the template environment, the
//! page frame, a change as the list shows it, form reading and redirects);
//! each group of pages has its own file.

mod change;
mod check;
mod coverage;
mod index;
mod signin;
mod sources;

pub use change::{change, review};
pub use check::check;
pub use index::index;
pub use signin::{signin, signin_page, signout};
pub use sources::{source, sources};

use crate::model::Change;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, Environment};
use serde::Serialize;
use std::sync::OnceLock;

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Autoescape is decided by the template name: *.html escape for HTML.
        for (name, src) in [
            ("base.html", include_str!("../templates/base.html")),
            ("index.html", include_str!("../templates/index.html")),
            ("change.html", include_str!("../templates/change.html")),
            ("sources.html", include_str!("../templates/sources.html")),
            ("source.html", include_str!("../templates/source.html")),
            ("check.html", include_str!("../templates/check.html")),
            ("signin.html", include_str!("../templates/signin.html")),
            ("coverage.html", include_str!("../templates/coverage.html")),
            ("error.html", include_str!("../templates/error.html")),
            ("clients.html", include_str!("../templates/clients.html")),
            ("client.html", include_str!("../templates/client.html")),
            ("notice.html", include_str!("../templates/notice.html")),
        ] {
            env.add_template(name, src)
                .expect("the embedded templates are valid");
        }
        env
    })
}

pub(super) fn page(status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
    // Every page's header: who is signed in, and the unread count.
    let ctx = context! { nav => super::nav::current(), ..ctx };
    let rendered = env().get_template(name).and_then(|t| t.render(ctx));
    html_response(status, name, rendered, &[])
}

/// A rendered template as a response, with `extra` headers; a template that
/// failed is logged and answered with a 500 that names no detail.
pub(super) fn html_response(
    status: StatusCode,
    name: &str,
    rendered: Result<String, minijinja::Error>,
    extra: &[(header::HeaderName, &'static str)],
) -> Response {
    match rendered {
        Ok(html) => {
            let mut r = (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response();
            for (k, v) in extra {
                r.headers_mut()
                    .insert(k.clone(), header::HeaderValue::from_static(v));
            }
            r
        }
        Err(e) => {
            tracing::error!(template = name, error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: see the daemon's log",
            )
                .into_response()
        }
    }
}

pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "error.html",
        context! { title => status.canonical_reason().unwrap_or("Error"), message },
    )
}

/// The one stylesheet of every page: a file, so pages keep working under a
/// `default-src 'self'` Content-Security-Policy (no inline styles).
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
        .into_response()
}

pub async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "There is no page at this address.")
}

/// A change as the list shows it.
#[derive(Serialize)]
pub(super) struct Row {
    id: i64,
    title: String,
    detected: String,
    jurisdiction: String,
    source: String,
    kind: &'static str,
    categories: Vec<String>,
    hs_codes: Vec<String>,
    effective: Option<String>,
    cases: Vec<String>,
    excerpt: String,
    urgency: &'static str,
    urgency_reasons: Vec<String>,
    /// The English gist of a notice not in English, one line.
    gist: Option<String>,
    /// `new`, `reviewed` or `dismissed`, and by whom.
    review: String,
    review_by: Option<String>,
    /// The clients of the matched cases, once each.
    clients: Vec<String>,
}

pub(super) fn row(c: &Change) -> Row {
    let mut clients: Vec<String> = c
        .cases
        .iter()
        .map(|m| m.client.clone())
        .filter(|k| !k.is_empty())
        .collect();
    clients.sort();
    clients.dedup();
    Row {
        id: c.id,
        title: if c.title.trim().is_empty() {
            format!("(untitled {} change)", c.kind.as_str())
        } else {
            c.title.clone()
        },
        detected: c.detected_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        jurisdiction: c.jurisdiction.clone(),
        source: c.source.clone(),
        kind: c.kind.as_str(),
        categories: c.categories.clone(),
        hs_codes: c.hs_codes.clone(),
        effective: c.effective_date.map(|d| d.to_string()),
        cases: c.cases.iter().map(|m| m.id.clone()).collect(),
        excerpt: crate::util::truncate(&c.excerpt, 240),
        urgency: c.urgency.as_str(),
        urgency_reasons: c.urgency_reasons.clone(),
        gist: c.gist.as_ref().map(|g| g.text.clone()),
        review: c.review.state.clone(),
        review_by: c.review.by.clone(),
        clients,
    }
}

pub(super) fn form(body: &str) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

pub(super) fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
    if let Some(c) = cookie {
        if let Ok(v) = header::HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    no_store(r)
}

/// The signed-in reviewer (or admin) who posted form `f` with the
/// session's CSRF token, or the page to answer instead: to `signin` when
/// nobody is signed in; 403 when the form has expired (`expired` says what
/// to do) or for a viewer (`only` names what only reviewers and admins do).
/// The role is the one the configuration gives now (a reload may have
/// changed it since sign-in, which ends the session).
#[allow(clippy::result_large_err)] // the page to answer instead
pub(super) fn reviewer_form(
    cfg: &crate::config::Config,
    headers: &axum::http::HeaderMap,
    f: &std::collections::HashMap<String, String>,
    signin: &str,
    expired: &str,
    only: &str,
) -> Result<super::session::Session, Response> {
    let Some(s) = super::session::current(cfg, headers) else {
        return Err(see_other(signin, None));
    };
    if !super::session::csrf_ok(&s, f.get("csrf").map(String::as_str).unwrap_or("")) {
        return Err(error_page(StatusCode::FORBIDDEN, expired));
    }
    if s.role < crate::config::Role::Reviewer {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            &format!(
                "{} is a {}: only reviewers and admins {only}.",
                s.name,
                s.role.as_str()
            ),
        ));
    }
    Ok(s)
}

/// A response that must not be kept by a browser or a cache on the way (it
/// carries a CSRF token, or a signed-in user's view).
fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// The dispositions a reviewer can choose, with the words a page shows.
pub const DISPOSITION_CHOICES: &[(&str, &str)] = &[
    ("open", "open (not assessed yet)"),
    ("affects", "affects this case"),
    ("not_affected", "does not affect this case"),
    ("done", "done (dealt with)"),
];

/// How a page words a disposition state.
pub fn disposition_label(state: &str) -> &'static str {
    DISPOSITION_CHOICES
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, l)| *l)
        .unwrap_or("open (not assessed yet)")
}
