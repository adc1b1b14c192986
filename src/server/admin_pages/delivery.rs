//! Delivery: the channels with their "send test" button, and the outbox
//! with what waits, what failed and "retry now".

use crate::app::{App, LiveApp};
use crate::config::Role;
use crate::server::admin::{self};
use crate::server::session::{self, Session};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;

use super::{admin_post, admin_session, error_page, form, page, see_other};

/// `GET /channels`: the channels; an admin gets a "send test" button on each.
pub async fn channels(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let app = live.current();
    let s = session::current(&app.config, &headers);
    let p = crate::server::Params::parse(q.as_deref());
    channels_page(
        &app,
        s.as_ref(),
        StatusCode::OK,
        p.get("sent")
            .map(|c| format!("A test message went to `{c}`: check that it arrived.")),
        None,
    )
}

fn channels_page(
    app: &App,
    s: Option<&Session>,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let rows: Vec<minijinja::Value> = app
        .config
        .channels
        .iter()
        .map(|c| context! { name => c.name, kind => c.kind, mode => format!("{:?}", c.mode).to_lowercase() })
        .collect();
    page(
        status,
        "admin_channels.html",
        context! {
            title => "Channels", rows => rows, notice => notice, error => error,
            can_test => s.is_some_and(|s| s.role >= Role::Admin),
            csrf => s.map(|s| s.csrf.clone()),
        },
    )
}

/// `POST /channels/{name}/test` (form: csrf)
pub async fn channel_test_post(
    State(live): State<LiveApp>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let app = live.current();
    let f = form(&body);
    let s = match admin_post(&app, &headers, &f, "/channels") {
        Ok(s) => s,
        Err(r) => return r,
    };
    match admin::send_test(&app, &name, &s.name).await {
        Ok(_) => see_other(&format!(
            "/channels?sent={}",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        )),
        Err(e) => channels_page(&app, Some(&s), e.0, None, Some(e.1)),
    }
}

/// `GET /outbox`: what waits to be delivered, and what failed with why (admin).
pub async fn outbox_page(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let app = live.current();
    let s = match admin_session(&app, &headers, "/outbox") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let p = crate::server::Params::parse(q.as_deref());
    let notice = p.get("delivered").map(|n| {
        format!(
            "Retried now: {n} delivered, {} failed again.",
            p.get("failed").unwrap_or("0")
        )
    });
    match admin::outbox(&app).await {
        Ok(rows) => page(
            StatusCode::OK,
            "admin_outbox.html",
            context! { title => "Outbox", rows => rows, csrf => s.csrf, notice => notice },
        ),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "outbox page failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The outbox cannot be read right now.",
            )
        }
    }
}

/// `POST /outbox/retry` (form: csrf)
pub async fn retry_post(State(live): State<LiveApp>, headers: HeaderMap, body: String) -> Response {
    let app = live.current();
    let f = form(&body);
    if let Err(r) = admin_post(&app, &headers, &f, "/outbox") {
        return r;
    }
    match admin::retry_now(&app).await {
        Ok(r) => see_other(&format!(
            "/outbox?delivered={}&failed={}",
            r.delivered,
            r.failed.len()
        )),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "retry failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The outbox could not be retried; see the daemon's log.",
            )
        }
    }
}
