//! The HTTP side of `regwatch run` (axum): web pages, JSON API, Atom feed,
//! liveness and Prometheus metrics. Everything that came from a polled source
//! is untrusted: pages are rendered by minijinja with HTML autoescape, and
//! only http/https links from sources become clickable.

use crate::app::LiveApp;
use crate::config::{Config, Role};
use crate::services::changes::ChangeQuery;
use crate::services::ServiceError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

mod admin;
mod admin_pages;
mod api;
mod clients;
mod feed;
pub mod listen;
pub mod nav;
mod pages;
mod session;

/// The largest request body (case imports, field reports).
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// The Content-Security-Policy of every response: the daemon's own resources
/// only (the pages use one stylesheet, /style.css, and no script or plugin;
/// nothing inline), and no framing.
pub const CSP: &str = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn router(live: LiveApp) -> Router {
    harden(routes(live.clone()).layer(middleware::from_fn_with_state(live, writes_first)))
}

/// What every response gets, whatever the route: a handler's panic becomes
/// a 500 (never a dropped connection), and the security headers are set.
pub fn harden(router: Router) -> Router {
    router
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(middleware::map_response(security_headers))
}

fn routes(live: LiveApp) -> Router {
    Router::new()
        .route("/", get(pages::index))
        .route("/changes/{id}", get(pages::change))
        .route("/changes/{id}/review", post(pages::review))
        .route("/signin", get(pages::signin_page).post(pages::signin))
        .route("/signout", post(pages::signout))
        .route("/check", get(pages::check))
        .route("/sources", get(pages::sources))
        .route("/sources/{id}", get(pages::source))
        .route("/feed.atom", get(feed::atom))
        .route("/style.css", get(pages::stylesheet))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/changes", get(api::changes))
        .route("/api/changes/{id}", get(api::change))
        .route("/api/changes/{id}/review", post(api::review))
        .route("/api/changes/{id}/correction", post(api::correction))
        .route("/api/check", get(api::check))
        .route("/api/cases", get(api::cases).post(api::post_cases))
        .route("/api/cases/{id}/close", post(api::close_case))
        .route("/api/reports", post(api::post_report))
        .route("/api/sources", get(api::sources).post(admin::post_source))
        .route("/api/sources/preview", post(admin::post_preview))
        .route("/api/sources/{id}", axum::routing::put(admin::put_source))
        .route("/api/sources/{id}/definition", get(admin::get_definition))
        .route("/api/sources/{id}/pause", post(admin::pause_source))
        .route("/api/sources/{id}/resume", post(admin::resume_source))
        .route("/api/sources/{id}/disable", post(admin::disable_source))
        .route("/api/sources/{id}/enable", post(admin::enable_source))
        .route("/api/sources/{id}/snapshots", get(admin::snapshots))
        .route("/api/sources/{id}/snapshots/{n}", get(admin::snapshot))
        .route("/api/sources/{id}/diff", get(admin::diff))
        .route("/api/channels/{name}/test", post(admin::channel_test))
        .route("/api/outbox", get(admin::get_outbox))
        .route("/api/outbox/retry", post(admin::post_retry))
        .route(
            "/sources/new",
            get(admin_pages::new_form).post(admin_pages::new_post),
        )
        .route(
            "/sources/{id}/edit",
            get(admin_pages::edit_form).post(admin_pages::edit_post),
        )
        .route("/sources/{id}/state", post(admin_pages::state_post))
        .route("/sources/{id}/history", get(admin_pages::history))
        .route(
            "/sources/{id}/snapshots/{n}",
            get(admin_pages::snapshot_page),
        )
        .route("/channels", get(admin_pages::channels))
        .route(
            "/channels/{name}/test",
            post(admin_pages::channel_test_post),
        )
        .route("/outbox", get(admin_pages::outbox_page))
        .route("/outbox/retry", post(admin_pages::retry_post))
        .route("/clients", get(clients::list_page))
        .route("/clients/{name}", get(clients::client_page))
        .route(
            "/clients/{name}/notice",
            get(clients::notice_page).post(clients::save_notice_form),
        )
        .route(
            "/changes/{id}/cases/{case}/disposition",
            post(clients::disposition_form),
        )
        .route("/api/clients", get(clients::api_list))
        .route("/api/clients/{name}", get(clients::api_client))
        .route(
            "/api/clients/{name}/notice",
            get(clients::api_notice).post(clients::api_save_notice),
        )
        .route(
            "/api/changes/{id}/cases/{case}/disposition",
            post(clients::api_disposition),
        )
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(live.clone(), nav::layer))
        .layer(axum::extract::DefaultBodyLimit::max(
            MAX_BODY_BYTES as usize,
        ))
        .with_state(live)
}

/// Before any body is read: an API write must carry a known user's token
/// (401; which role it needs is the handler's business, so a reviewer may
/// review and only an admin import cases), and a body announced larger
/// than the cap is refused at once (413). The web forms sign in with a
/// session cookie, checked by their handlers, under the same cap.
async fn writes_first(State(live): State<LiveApp>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && req.uri().path().starts_with("/api/")
    {
        let cfg = live.current().config.clone();
        // A signed-in web session goes on to the handler, which checks its
        // CSRF token and role (only those that take sessions accept it).
        let session =
            bearer(req.headers()).is_none() && session::current(&cfg, req.headers()).is_some();
        if !session {
            if let Err(e) = require(&cfg, req.headers(), Role::Viewer) {
                return e.into_response();
            }
        }
    }
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES) {
        return ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than the limit of {MAX_BODY_BYTES} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

/// A handler that panicked: 500 with the usual JSON error, never a dropped
/// connection. The panic itself is logged.
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = msg, "a request handler panicked");
    ApiError(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error: see the daemon's log".into(),
    )
    .into_response()
}

/// Security headers on every response, pages, API and errors alike.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// Query parameters in order, repeated keys kept (`hs=8517&hs=8471`).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }
    /// The first non-empty value of `key` (an empty form field counts as absent).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }
    /// Whether `key` is set to a yes (`1`, `true`, `yes`, `on`: a checkbox).
    pub fn flag(&self, key: &str) -> bool {
        matches!(
            self.get(key).map(str::to_ascii_lowercase).as_deref(),
            Some("1" | "true" | "yes" | "on")
        )
    }
    /// Every value of `key`, split on commas and spaces.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| {
                v.split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
    /// Every value of `key` as typed (HS codes: split by the service, which
    /// knows that `8517,62` is one code).
    pub fn raw_all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
    /// The query string of these parameters without `drop` keys and empty values.
    pub fn query_without(&self, drop: &[&str]) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            if !drop.contains(&k.as_str()) && !v.trim().is_empty() {
                s.append_pair(k, v.trim());
            }
        }
        s.finish()
    }
}

impl Params {
    /// The change-log filters of the CLI, from query parameters: since,
    /// country, category, hs, source, case, query (or q), limit, cursor.
    /// A limit that is not a number is passed on as 0, so the service
    /// refuses it with its own words.
    pub fn change_query(&self) -> ChangeQuery {
        ChangeQuery {
            since: self.get("since").map(str::to_string),
            country: self.get("country").map(str::to_string),
            category: self.get("category").map(str::to_string),
            hs: self.raw_all("hs"),
            source: self.get("source").map(str::to_string),
            case_id: self.get("case").map(str::to_string),
            query: self
                .get("query")
                .or_else(|| self.get("q"))
                .map(str::to_string),
            limit: self.get("limit").map(|l| l.parse::<i64>().unwrap_or(0)),
            cursor: self.get("cursor").map(str::to_string),
            new_only: self.flag("new"),
        }
    }
}

/// An error answered as JSON `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub fn bad(msg: impl Into<String>) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, msg.into())
    }
    pub fn internal(e: anyhow::Error) -> ApiError {
        tracing::error!(error = format!("{e:#}"), "request failed");
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error: see the daemon's log".into(),
        )
    }
}

/// The status of a service error: 400 for a bad request, 404 for a missing
/// thing, 500 (logged, not shown) for the rest.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Invalid(m) => ApiError(StatusCode::BAD_REQUEST, m),
            ServiceError::NotFound(m) => ApiError(StatusCode::NOT_FOUND, m),
            ServiceError::Internal(e) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.0, axum::Json(serde_json::json!({"error": self.1}))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

/// Equality that takes the same time wherever the inputs differ: both sides
/// are hashed first, so neither the length nor a prefix of the token leaks.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// Who a token belongs to: a `[[user]]` with its role, or the `[server]`
/// API token, which acts as an admin.
pub fn identify(cfg: &Config, token: &str) -> Option<(String, Role)> {
    let token = token.trim();
    if token.is_empty() {
        return None;
    }
    let mut found = None;
    // Compare with every token (no early exit on a match).
    for u in &cfg.users {
        if let Some(t) = u.token.as_ref().filter(|t| !t.expose().is_empty()) {
            if constant_time_eq(token.as_bytes(), t.expose().as_bytes()) && found.is_none() {
                found = Some((u.name.clone(), u.role));
            }
        }
    }
    if let Some(t) = cfg
        .server
        .api_token
        .as_ref()
        .filter(|t| !t.expose().is_empty())
    {
        if constant_time_eq(token.as_bytes(), t.expose().as_bytes()) && found.is_none() {
            found = Some(("admin".to_string(), Role::Admin));
        }
    }
    found
}

/// Whether any write credential is configured at all.
pub(crate) fn writes_configured(cfg: &Config) -> bool {
    cfg.server
        .api_token
        .as_ref()
        .is_some_and(|t| !t.expose().is_empty())
        || cfg
            .users
            .iter()
            .any(|u| u.token.as_ref().is_some_and(|t| !t.expose().is_empty()))
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// A write needs `Authorization: Bearer <token>` of a user with at least
/// `role` (the `[server]` API token is an admin); with no token configured
/// at all, writes are refused.
pub fn require(cfg: &Config, headers: &HeaderMap, role: Role) -> Result<String, ApiError> {
    if !writes_configured(cfg) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "writes are disabled: no API token is configured. Set REGWATCH_API_TOKEN (or [server].api_token_file, e.g. a systemd credential, or a [[user]] with token_env) and restart, then send `Authorization: Bearer <token>`".into(),
        ));
    }
    match bearer(headers) {
        None => Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "writes need `Authorization: Bearer <token>` (the API token)".into(),
        )),
        Some(g) => match identify(cfg, g) {
            None => Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "the bearer token is not the configured API token nor a user's".into(),
            )),
            Some((name, r)) if r >= role => Ok(name),
            Some((name, r)) => Err(ApiError(
                StatusCode::FORBIDDEN,
                format!(
                    "{name} is {} {}: this needs {} {} (change `role` under [[user]])",
                    article(r.as_str()),
                    r.as_str(),
                    article(role.as_str()),
                    role.as_str()
                ),
            )),
        },
    }
}

/// Reads of confidential data (cases, client names): free while no token
/// and no user is configured; after that a viewer's bearer token or web
/// session (401 otherwise, with what to send).
pub fn require_reader(cfg: &Config, headers: &HeaderMap) -> Result<(), ApiError> {
    if !writes_configured(cfg) && cfg.users.is_empty() {
        return Ok(());
    }
    if session::current(cfg, headers).is_some() {
        return Ok(());
    }
    if bearer(headers).is_none() {
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "cases are confidential: send `Authorization: Bearer <token>` (a viewer's, reviewer's or admin's) or sign in at /signin".into(),
        ));
    }
    require(cfg, headers, Role::Viewer).map(|_| ())
}

/// Writes to cases and reports need an admin's token.
pub fn authorize(cfg: &Config, headers: &HeaderMap) -> Result<(), ApiError> {
    require(cfg, headers, Role::Admin).map(|_| ())
}

async fn healthz(axum::extract::State(live): axum::extract::State<LiveApp>) -> Response {
    let app = live.current();
    // A store that answers reads but refuses writes (a full disk) is not
    // healthy: polls are not being recorded.
    if let Some(f) = crate::health::storage_failure() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "storage failing since {}: {} write(s) refused; last error: {}\n",
                f.since.format("%Y-%m-%dT%H:%M:%SZ"),
                f.failed_writes,
                f.reason
            ),
        )
            .into_response();
    }
    if let Err(e) = app.store.ping().await {
        tracing::error!(error = %e, "health check: the database does not answer");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
    }
    // Reads answered; a full disk still refuses writes (nothing polled yet
    // would have noticed).
    match live.store_takes_writes().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            let reason = crate::util::truncate(&format!("{e:#}"), 300);
            tracing::error!(error = %reason, "health check: the database refuses writes");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("storage failing: a write was refused: {reason}\n"),
            )
                .into_response()
        }
    }
}

/// Prometheus metrics (OpenMetrics text); gauges are set from the store at
/// scrape time.
async fn metrics(axum::extract::State(live): axum::extract::State<LiveApp>) -> Response {
    let app = live.current();
    let enabled: Vec<&str> = app.sources.enabled().map(|s| s.id()).collect();
    let outbox = match app.store.outbox_depth_by_channel().await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the outbox depth");
            vec![]
        }
    };
    let health = match app.store.health().await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read source health");
            vec![]
        }
    };
    let health: Vec<_> = health
        .into_iter()
        .filter(|h| enabled.contains(&h.id.as_str()))
        .collect();
    let last_success: Vec<(String, f64)> = health
        .iter()
        .filter_map(|h| {
            h.last_success_at
                .map(|t| (h.id.clone(), t.timestamp_millis() as f64 / 1000.0))
        })
        .collect();
    crate::metrics::set_store_gauges(&crate::metrics::StoreGauges {
        sources: enabled.len() as i64,
        sources_down: health.iter().filter(|h| h.down).count() as i64,
        outbox_by_channel: &outbox,
        last_success: &last_success,
    });
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::metrics::render(),
    )
        .into_response()
}

/// "a" or "an" before a role's name ("an admin", "a reviewer").
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn filters_from_a_query_string() {
        let p = Params::parse(Some(
            "country=tr&category=Telecom&hs=8517.62&query=&since=30d&limit=900&cursor=42",
        ));
        let q = p.change_query();
        let now = crate::clock::Clock::at_date(2026, 6, 1).now();
        assert_eq!(q.country.as_deref(), Some("tr"));
        assert_eq!(q.hs, vec!["8517.62".to_string()]);
        assert_eq!(q.query, None);
        assert_eq!(q.limit, Some(900));
        assert!(q.filter(now).is_ok());
        assert!(Params::parse(Some("hs=abc"))
            .change_query()
            .filter(now)
            .is_err());
        assert!(Params::parse(Some("limit=x"))
            .change_query()
            .filter(now)
            .is_err());
        assert_eq!(
            p.query_without(&["cursor", "limit"]),
            "country=tr&category=Telecom&hs=8517.62&since=30d"
        );
    }
}
