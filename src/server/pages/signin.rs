//! Signing in and out of the pages.

use crate::app::LiveApp;
use crate::server::Params;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use minijinja::context;

use super::{error_page, form, no_store, page, see_other};

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

/// The sign-in form with a fresh CSRF token (and its cookie).
fn signin_form(
    cfg: &crate::config::Config,
    status: StatusCode,
    next: String,
    error: Option<&str>,
) -> Response {
    let (token, cookie) = crate::server::session::signin_token(cfg);
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
    match crate::server::session::current(&app.config, &headers) {
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
/// [`MAX_FAILED_SIGNINS`]: crate::server::session::MAX_FAILED_SIGNINS
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
    if !crate::server::session::signin_csrf_ok(
        &headers,
        f.get("csrf").map(String::as_str).unwrap_or(""),
    ) {
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
    let client = crate::server::session::client_key(peer, &headers);
    if let Err(wait) = crate::server::session::signin_allowed(&client) {
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
    match crate::server::session::sign_in(
        &app.config,
        f.get("token").map(String::as_str).unwrap_or(""),
    ) {
        Some(cookie) => see_other(&next, Some(cookie)),
        None => {
            crate::server::session::signin_failed(&client);
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
    match crate::server::session::current(&live.current().config, &headers) {
        Some(s)
            if crate::server::session::csrf_ok(
                &s,
                f.get("csrf").map(String::as_str).unwrap_or(""),
            ) =>
        {
            see_other("/", Some(crate::server::session::sign_out(&headers)))
        }
        None => see_other("/", Some(crate::server::session::sign_out(&headers))),
        _ => error_page(
            StatusCode::FORBIDDEN,
            "This form has expired: reload the page.",
        ),
    }
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
}
