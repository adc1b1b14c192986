//! What the header of every page shows: who is signed in (with a sign-out
//! form), and how many changes nobody has reviewed yet. Set once per page
//! request by a middleware, read by the page renderer, so no handler has
//! to remember it.

use crate::app::LiveApp;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

/// The header's state for one request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Nav {
    /// The signed-in user's name.
    pub who: Option<String>,
    pub role: Option<&'static str>,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: Option<String>,
    /// Changes nobody reviewed yet (None when the store cannot say).
    pub unread: Option<i64>,
}

tokio::task_local! {
    static NAV: Nav;
}

/// The header's state of the request being rendered (empty outside one).
pub fn current() -> Nav {
    NAV.try_with(Nav::clone).unwrap_or_default()
}

/// For page requests (GET, not the API, feed or assets): who is signed
/// in and the unread count, for the renderer; a signed-in page is not kept
/// by caches (it carries a CSRF token).
pub async fn layer(State(live): State<LiveApp>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = req.method() == Method::GET
        && !path.starts_with("/api/")
        && !matches!(path, "/style.css" | "/healthz" | "/metrics" | "/feed.atom");
    if !is_page {
        return next.run(req).await;
    }
    let app = live.current();
    let session = super::session::current(&app.config, req.headers());
    let unread = match app.store.count_new().await {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "cannot count unreviewed changes");
            None
        }
    };
    let nav = Nav {
        who: session.as_ref().map(|s| s.name.clone()),
        role: session.as_ref().map(|s| s.role.as_str()),
        csrf: session.as_ref().map(|s| s.csrf.clone()),
        unread,
    };
    let signed_in = session.is_some();
    let mut res = NAV.scope(nav, next.run(req)).await;
    if signed_in {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
