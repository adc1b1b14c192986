//! Server-rendered pages: the change log with its search form, one change
//! with its diff, and source health. minijinja with HTML autoescape; the
//! templates are compiled into the binary.

use super::Params;
use crate::app::LiveApp;
use crate::model::Change;
use crate::services::{self, ServiceError};
use crate::util::safe_link as safe_href;
use axum::extract::{Path, RawQuery, State};
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
            ("base.html", include_str!("templates/base.html")),
            ("index.html", include_str!("templates/index.html")),
            ("change.html", include_str!("templates/change.html")),
            ("sources.html", include_str!("templates/sources.html")),
            ("source.html", include_str!("templates/source.html")),
            ("check.html", include_str!("templates/check.html")),
            ("signin.html", include_str!("templates/signin.html")),
            ("coverage.html", include_str!("templates/coverage.html")),
            ("error.html", include_str!("templates/error.html")),
            ("clients.html", include_str!("templates/clients.html")),
            ("client.html", include_str!("templates/client.html")),
            ("notice.html", include_str!("templates/notice.html")),
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
    match env().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
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
        include_str!("static/app.css"),
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
    let mut since = p.get("since").unwrap_or("").to_string();
    let mut periods: Vec<(String, String)> = PERIODS
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    if !since.is_empty() && !periods.iter().any(|(v, _)| *v == since) {
        periods.push((since.clone(), format!("since {since}")));
    }
    since = since.trim().to_string();
    let coverage = coverage_view(&live, &p).await;
    let charts = volume.as_ref().map(|v| {
        context! {
            country => minijinja::Value::from_safe_string(services::volume::svg("Changes per week by country", &v.weeks, &v.by_country, v.unwatched)),
            category => minijinja::Value::from_safe_string(services::volume::svg("Changes per week by category", &v.weeks, &v.by_category, v.unwatched)),
        }
    });
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

#[derive(Serialize)]
struct DiffLine {
    class: &'static str,
    text: String,
}

/// Unified-diff lines classed for display: `add` and `del` are shown as
/// `<ins>`/`<del>`, `hunk` and `meta` muted.
fn diff_lines(diff: &str) -> Vec<DiffLine> {
    diff.lines()
        .map(|l| {
            let class = if l.starts_with("+++") || l.starts_with("---") {
                "meta"
            } else if l.starts_with("@@") {
                "hunk"
            } else if l.starts_with('+') {
                "add"
            } else if l.starts_with('-') {
                "del"
            } else {
                "ctx"
            };
            DiffLine {
                class,
                text: l.to_string(),
            }
        })
        .collect()
}

pub async fn change(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let app = live.current();
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            StatusCode::NOT_FOUND,
            "There is no change with this number.",
        );
    };
    let c = match services::changes::one(&app, id).await {
        Ok(c) => c,
        Err(ServiceError::NotFound(_)) | Err(ServiceError::Invalid(_)) => {
            return error_page(StatusCode::NOT_FOUND, &format!("There is no change #{id}."))
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "change page failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The change log cannot be read right now.",
            );
        }
    };
    let marks = services::reviews::dispositions(&app, c.id)
        .await
        .unwrap_or_default();
    let cases: Vec<minijinja::Value> = c
        .cases
        .iter()
        .map(|m| {
            let trail: Vec<&crate::model::Disposition> =
                marks.iter().filter(|(k, _)| *k == m.id).map(|(_, d)| d).collect();
            let mut d = serde_json::to_value(&m.disposition).unwrap_or_default();
            d["label"] = serde_json::json!(disposition_label(&m.disposition.state));
            context! { id => m.id, client => m.client, strength => m.strength.as_str(), reason => m.reason, href => safe_href(m.link.as_deref()), disposition => d, trail => trail }
        })
        .collect();
    let also: Vec<minijinja::Value> = c
        .also_reported_by
        .iter()
        .map(|m| {
            let name = app.sources.get(&m.source_id).map(|s| s.def.name.clone());
            context! { id => m.id, source => m.source_id, name => name, title => m.title, detected => m.detected_at.format("%Y-%m-%d %H:%M UTC").to_string(), href => safe_href(m.link.as_deref()) }
        })
        .collect();
    let evidence: Vec<minijinja::Value> = c
        .evidence
        .iter()
        .map(|e| context! { category => e.category, via => e.via, matched => e.matched })
        .collect();
    let (text, text_cut) = match services::evidence::marked_text(&app, &c).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "change text failed");
            (vec![], false)
        }
    };
    let session = super::session::current(&app.config, &headers);
    let trail = services::reviews::trail(&app, c.id)
        .await
        .unwrap_or_default();
    let ctx = context! {
        title => format!("#{} {}", c.id, c.title),
        review => c.review.clone(),
        trail => trail,
        can_review => session.as_ref().is_some_and(|s| s.role >= crate::config::Role::Reviewer),
        csrf => session.as_ref().map(|s| s.csrf.clone()),
        who => session.as_ref().map(|s| format!("{} ({})", s.name, s.role.as_str())),
        c => row(&c),
        deadline => c.deadline.map(|d| d.to_string()),
        dates => c.dates.iter().map(|d| context! { kind => d.kind, label => date_label(&d.kind), date => d.date.to_string(), evidence => d.evidence }).collect::<Vec<_>>(),
        text => text,
        text_cut => text_cut,
        words => services::evidence::word_diff(&c.diff),
        link => c.link,
        href => safe_href(c.link.as_deref()),
        author => c.author,
        evidence => evidence,
        cases => cases,
        dispositions => DISPOSITION_CHOICES,
        also => also,
        diff => diff_lines(&c.diff),
        corrections => c.corrections,
        lead_days => c.lead_days,
        is_field => c.source == "field",
        api_url => format!("/api/changes/{}", c.id),
        gist => c.gist.as_ref().map(|g| context! {
            label => crate::gist::label(g),
            lang => g.lang,
            text => g.text,
            country => g.country,
            issuer => g.issuer,
            act_type => g.act_type,
            action => g.action,
            products => g.products,
            dates => g.dates,
        }),
    };
    let r = page(StatusCode::OK, "change.html", ctx);
    // A signed-in view carries the session's CSRF token.
    if session.is_some() {
        no_store(r)
    } else {
        r
    }
}

/// A date's kind as an officer reads it.
fn date_label(kind: &str) -> &str {
    match kind {
        "applies" => "applies from",
        "in_force" => "in force from",
        "comment_deadline" => "comments due by",
        "transition_end" => "transition ends",
        other => other,
    }
}

/// The coverage as pages show it: the summary sentence and times in UTC.
fn coverage_value(c: &services::sources::Coverage) -> serde_json::Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["summary"] = serde_json::json!(c.summary());
    v["blind"] = serde_json::json!(c.blind());
    v["watched_since"] = serde_json::json!(c
        .watched_since
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()));
    for key in ["failing", "stale"] {
        let list = match key {
            "failing" => &c.failing,
            _ => &c.stale,
        };
        v[key] = list
            .iter()
            .map(|g| {
                serde_json::json!({
                    "id": g.id, "name": g.name,
                    "since": g.since.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                    "error": g.error.as_deref().map(services::sources::short_error),
                })
            })
            .collect();
    }
    v
}

/// The list's coverage: of the filtered country, else of every source,
/// over the filtered period (else the last 30 days). None when unreadable.
async fn coverage_view(live: &LiveApp, p: &Params) -> Option<serde_json::Value> {
    let app = live.current();
    let dest = p
        .get("country")
        .and_then(|c| crate::model::Country::parse(c).ok());
    let since = p
        .get("since")
        .and_then(|s| services::changes::parse_since(s, app.now()).ok())
        .unwrap_or_else(|| app.now() - chrono::Duration::days(30));
    match services::sources::coverage(&app, dest.as_ref(), since).await {
        Ok(c) => Some(coverage_value(&c)),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "coverage failed");
            None
        }
    }
}

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

/// A source row as pages show it: humanized times (UTC in the title), the
/// short error, staleness.
fn source_value(
    r: &services::sources::SourceRow,
    stale: &std::collections::HashSet<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    v["href"] = serde_json::json!(safe_href(Some(&r.url)));
    let is_stale = stale.contains(&r.id);
    v["stale"] = serde_json::json!(is_stale);
    // Bad news first: down, failing, rate limited, suspect, moved, stale,
    // never polled, ok, disabled.
    let rank = u32::from(r.rank()) * 2;
    v["rank"] = serde_json::json!(if is_stale && rank > 8 { 9 } else { rank });
    for (key, t) in [
        ("last_success", r.last_success),
        ("last_poll", r.last_poll),
        ("next_poll", r.next_poll),
    ] {
        v[format!("{key}_ago")] = serde_json::json!(t.map(|t| crate::util::ago(t, now)));
        v[format!("{key}_utc")] =
            serde_json::json!(t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()));
    }
    v
}

/// Rows and who is failing or stale (the coverage's words).
async fn source_rows(
    live: &LiveApp,
) -> Result<(Vec<serde_json::Value>, usize, usize), ServiceError> {
    let app = live.current();
    let rows = services::sources::rows(&app).await?;
    let now = app.now();
    let cov = services::sources::coverage(&app, None, now - chrono::Duration::days(30)).await?;
    let stale: std::collections::HashSet<String> = cov.stale.iter().map(|g| g.id.clone()).collect();
    let mut rows: Vec<serde_json::Value> =
        rows.iter().map(|r| source_value(r, &stale, now)).collect();
    rows.sort_by_key(|v| v["rank"].as_u64().unwrap_or(u64::MAX));
    Ok((rows, cov.failing.len(), cov.stale.len()))
}

pub async fn sources(State(live): State<LiveApp>) -> Response {
    match source_rows(&live).await {
        Ok((rows, failing, stale)) => page(
            StatusCode::OK,
            "sources.html",
            context! { title => "Sources", rows => rows, failing => failing, stale => stale },
        ),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "sources page failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Source health cannot be read right now.",
            )
        }
    }
}

/// `GET /sources/{id}`: one source, its full error chain and recent polls.
pub async fn source(State(live): State<LiveApp>, Path(id): Path<String>) -> Response {
    let rows = match source_rows(&live).await {
        Ok((rows, _, _)) => rows,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "source page failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Source health cannot be read right now.",
            );
        }
    };
    let Some(s) = rows.into_iter().find(|r| r["id"] == id.as_str()) else {
        return error_page(
            StatusCode::NOT_FOUND,
            &format!("There is no source `{id}`."),
        );
    };
    let log: Vec<minijinja::Value> = live
        .current()
        .store
        .fetch_log(&id, 20)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(outcome, error)| context! { outcome => outcome, error => error })
        .collect();
    page(
        StatusCode::OK,
        "source.html",
        context! { title => format!("Source {id}"), s => s, log => log },
    )
}

pub(super) fn form(body: &str) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// Where to go after signing in: `next` only when it is a path on this
/// site. It is parsed by a URL parser against the server's base URL (as a
/// browser would: tabs and newlines dropped, `\\` read as `/`), kept only
/// when the result has the same origin, and re-serialized: the redirect
/// goes to the parsed path and query, never to the text as given.
/// Anything else goes to `/`.
fn local_path(base_url: &str, next: Option<&str>) -> String {
    let fallback = || "/".to_string();
    let Some(next) = next else {
        return fallback();
    };
    if !next.starts_with('/') {
        return fallback();
    }
    let base = url::Url::parse(base_url)
        .ok()
        .filter(|b| b.has_host() && matches!(b.scheme(), "http" | "https"))
        .unwrap_or_else(|| url::Url::parse("http://regwatch.invalid/").expect("a valid URL"));
    let Ok(u) = base.join(next) else {
        return fallback();
    };
    if u.origin() != base.origin() {
        return fallback();
    }
    let path = u.path();
    // `//host` in a Location header is another site.
    if !path.starts_with('/') || path.starts_with("//") {
        return fallback();
    }
    match u.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    }
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

/// A response that must not be kept by a browser or a cache on the way (it
/// carries a CSRF token, or a signed-in user's view).
fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// The sign-in form with a fresh CSRF token (and its cookie).
fn signin_form(
    cfg: &crate::config::Config,
    status: StatusCode,
    next: String,
    error: Option<&str>,
) -> Response {
    let (token, cookie) = super::session::signin_token(cfg);
    let mut r = page(
        status,
        "signin.html",
        context! { title => "Sign in", next => next, csrf => token, error => error },
    );
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    no_store(r)
}

/// `GET /signin`
pub async fn signin_page(
    State(live): State<LiveApp>,
    headers: axum::http::HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let next = local_path(&app.config.server.base_url, p.get("next"));
    match super::session::current(&app.config, &headers) {
        Some(s) => no_store(page(
            StatusCode::OK,
            "signin.html",
            context! { title => "Sign in", who => context! { name => s.name, role => s.role.as_str(), csrf => s.csrf } },
        )),
        None => signin_form(&app.config, StatusCode::OK, next, None),
    }
}

/// `POST /signin` (form: token, next, csrf). The form's CSRF token must be
/// the one issued with it; a client that gave [`MAX_FAILED_SIGNINS`] wrong
/// tokens within the window is refused (429, `Retry-After`) until the
/// oldest ages out, whatever it sends, while others sign in as usual.
///
/// [`MAX_FAILED_SIGNINS`]: super::session::MAX_FAILED_SIGNINS
pub async fn signin(
    State(live): State<LiveApp>,
    headers: axum::http::HeaderMap,
    ext: axum::http::Extensions,
    body: String,
) -> Response {
    let f = form(&body);
    let app = live.current();
    let next = local_path(
        &app.config.server.base_url,
        f.get("next").map(String::as_str),
    );
    if !super::session::signin_csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or("")) {
        return signin_form(
            &app.config,
            StatusCode::FORBIDDEN,
            next,
            Some("This form has expired or did not come from this site: sign in again."),
        );
    }
    let peer = ext
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let client = super::session::client_key(peer, &headers);
    if let Err(wait) = super::session::signin_allowed(&client) {
        let secs = wait.as_secs().max(1);
        tracing::warn!(client = %client, "sign-in refused: too many wrong tokens");
        let mut r = signin_form(
            &app.config,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            Some(&format!(
                "Too many wrong tokens from this address: try again in {} minutes.",
                secs.div_ceil(60)
            )),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        return r;
    }
    match super::session::sign_in(
        &app.config,
        f.get("token").map(String::as_str).unwrap_or(""),
    ) {
        Some(cookie) => see_other(&next, Some(cookie)),
        None => {
            super::session::signin_failed(&client);
            tracing::info!(client = %client, "sign-in with a wrong token");
            signin_form(
                &app.config,
                StatusCode::UNAUTHORIZED,
                next,
                Some("This token is not one of the configured users' (nor the API token)."),
            )
        }
    }
}

/// `POST /signout` (form: csrf). Without a session there is nothing to
/// forge: the cookie is cleared.
pub async fn signout(
    State(live): State<LiveApp>,
    headers: axum::http::HeaderMap,
    body: String,
) -> Response {
    let f = form(&body);
    match super::session::current(&live.current().config, &headers) {
        Some(s) if super::session::csrf_ok(&s, f.get("csrf").map(String::as_str).unwrap_or("")) => {
            see_other("/", Some(super::session::sign_out(&headers)))
        }
        None => see_other("/", Some(super::session::sign_out(&headers))),
        _ => error_page(
            StatusCode::FORBIDDEN,
            "This form has expired: reload the page.",
        ),
    }
}

/// `POST /changes/{id}/review` (form: state, note, csrf), for a signed-in reviewer.
pub async fn review(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
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
    // The role is the one the configuration gives now (a reload may have
    // changed it since sign-in, which ends the session).
    let Some(s) = super::session::current(&app.config, &headers) else {
        return see_other(&format!("/signin?next=/changes/{id}"), None);
    };
    if !super::session::csrf_ok(&s, f.get("csrf").map(String::as_str).unwrap_or("")) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form has expired: reload the page and try again.",
        );
    }
    if s.role < crate::config::Role::Reviewer {
        return error_page(
            StatusCode::FORBIDDEN,
            &format!(
                "{} is a {}: only reviewers and admins mark changes.",
                s.name,
                s.role.as_str()
            ),
        );
    }
    let state = f.get("state").map(String::as_str).unwrap_or("");
    match services::reviews::mark(&app, id, state, &s.name, f.get("note").map(String::as_str)).await
    {
        Ok(_) => see_other(&format!("/changes/{id}"), None),
        Err(ServiceError::Invalid(m)) => error_page(StatusCode::BAD_REQUEST, &m),
        Err(ServiceError::NotFound(m)) => error_page(StatusCode::NOT_FOUND, &m),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "review failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The review could not be saved.",
            )
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_path_of_this_site_or_home() {
        let base = "http://127.0.0.1:8080";
        for (given, want) in [
            ("/changes/42", "/changes/42"),
            ("/?country=TR&hs=8517.62", "/?country=TR&hs=8517.62"),
            ("/changes/42#review", "/changes/42"),
            ("/a/../changes/7", "/changes/7"),
            ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
            ("/\t/evil.example", "/"),
            ("/\t\t/evil.example", "/"),
            ("/\n/evil.example", "/"),
            ("/\r\n/evil.example", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("/\\/evil.example", "/"),
            ("\\\\evil.example", "/"),
            ("/.//evil.example", "/"),
            ("/./\\evil.example", "/"),
            ("/\t/\t/evil.example", "/"),
            ("javascript:alert(1)", "/"),
            ("/javascript:alert(1)", "/javascript:alert(1)"),
            ("http://evil.example/", "/"),
            ("https://127.0.0.1:8080/x", "/"),
            ("http://127.0.0.1:8080/x", "/"),
            (" /x", "/"),
            ("", "/"),
        ] {
            assert_eq!(local_path(base, Some(given)), want, "next = {given:?}");
        }
        assert_eq!(local_path(base, None), "/");
        // A base URL that is not one still yields only local paths.
        assert_eq!(local_path("not a url", Some("//evil.example")), "/");
        assert_eq!(local_path("not a url", Some("/x?y=1")), "/x?y=1");
    }

    #[test]
    fn templates_escape_source_text() {
        let c = Row {
            id: 1,
            title: "<img src=x onerror=alert(1)>".into(),
            detected: "d".into(),
            jurisdiction: "TR".into(),
            source: "s".into(),
            kind: "added",
            categories: vec![],
            hs_codes: vec![],
            effective: None,
            cases: vec![],
            excerpt: "<script>x</script>".into(),
            urgency: "low",
            urgency_reasons: vec![],
            gist: None,
            review: "new".into(),
            review_by: None,
            clients: vec![],
        };
        let html = env()
            .get_template("change.html")
            .unwrap()
            .render(context! { title => "t", review => crate::model::Review::default(), trail => Vec::<String>::new(), c => c, diff => diff_lines("@@ -1 +1 @@\n-old <b>\n+new"), href => None::<String>, link => Some("javascript:alert(1)"), evidence => Vec::<String>::new(), cases => Vec::<String>::new(), api_url => "/api/changes/1" })
            .unwrap();
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(!html.contains("<img"));
        assert!(!html.contains("href=\"javascript"));
        assert!(
            html.contains("<del class=\"del\">-old &lt;b&gt;</del>"),
            "{html}"
        );
        assert!(html.contains("<ins class=\"add\">+new</ins>"));
    }
}
