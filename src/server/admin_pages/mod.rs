//! The web side of `admin.rs`: the source form (add and edit, with its
//! preview and candidate item selectors), pause / resume / disable, a
//! source's history with a word diff of any two snapshots, the channels
//! with their "send test" button, and the outbox with "retry now".
//!
//! No script runs in these pages (the CSP forbids it): "use this
//! selector" is a submit button that carries the candidate, and the
//! server answers with the form filled and previewed again. Writes need a
//! signed-in admin and the session's CSRF token; a viewer gets no form.
//!
//! This file holds what the admin pages share: their templates, the page
//! frame and the admin's session and form checks.

mod delivery;
mod history;
mod source_form;

pub use delivery::{channel_test_post, channels, outbox_page, retry_post};
pub use history::{history, snapshot_page, state_post};
pub use source_form::{edit_form, edit_post, new_form, new_post};

use super::session::{self, Session};
use crate::app::App;
use crate::config::Role;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, Environment};
use std::sync::OnceLock;

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, src) in [
            ("base.html", include_str!("../templates/base.html")),
            ("error.html", include_str!("../templates/error.html")),
            (
                "admin_source.html",
                include_str!("../templates/admin_source.html"),
            ),
            (
                "admin_history.html",
                include_str!("../templates/admin_history.html"),
            ),
            (
                "admin_snapshot.html",
                include_str!("../templates/admin_snapshot.html"),
            ),
            (
                "admin_channels.html",
                include_str!("../templates/admin_channels.html"),
            ),
            (
                "admin_outbox.html",
                include_str!("../templates/admin_outbox.html"),
            ),
        ] {
            env.add_template(name, src)
                .expect("the embedded templates are valid");
        }
        env
    })
}

/// A page; signed-in views are never cached (they carry a CSRF token).
fn page(status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
    let rendered = env().get_template(name).and_then(|t| t.render(ctx));
    super::pages::html_response(
        status,
        name,
        rendered,
        &[(header::CACHE_CONTROL, "no-store")],
    )
}

fn error_page(status: StatusCode, message: &str) -> Response {
    page(
        status,
        "error.html",
        context! { title => status.canonical_reason().unwrap_or("Error"), message },
    )
}

fn see_other(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, to.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn field<'a>(f: &'a [(String, String)], key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The signed-in admin, or the page to answer instead: sign in first, or
/// 403 for another role (no form).
#[allow(clippy::result_large_err)] // the page to answer instead
fn admin_session(app: &App, headers: &HeaderMap, here: &str) -> Result<Session, Response> {
    let Some(s) = session::current(&app.config, headers) else {
        return Err(see_other(&super::clients::signin_to(here)));
    };
    if s.role < Role::Admin {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            &format!(
                "{} is a {}: only admins add or change sources, send test messages and retry the outbox.",
                s.name,
                s.role.as_str()
            ),
        ));
    }
    Ok(s)
}

/// A posted form of a signed-in admin with its CSRF token.
#[allow(clippy::result_large_err)]
fn admin_post(
    app: &App,
    headers: &HeaderMap,
    f: &[(String, String)],
    here: &str,
) -> Result<Session, Response> {
    let s = admin_session(app, headers, here)?;
    if !session::csrf_ok(&s, field(f, "csrf")) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "This form has expired: reload the page and try again.",
        ));
    }
    Ok(s)
}

/// A form value, trimmed; `None` when blank.
fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}
