//! Web sign-in: a person pastes their token once; the server keeps a
//! session (in memory: a restart signs everyone out) behind an HttpOnly,
//! SameSite=Strict cookie, and every form that writes carries the
//! session's CSRF token.
//!
//! A session is bound to the identity it signed in as: the user's name,
//! role and a digest of their token. Every request checks that binding
//! against the configuration as it is *now* (a SIGHUP reload replaces it),
//! so a user removed, demoted, promoted or re-keyed by a reload is signed
//! out at their next request, and a role check never reads a role older
//! than the running configuration.

use super::{constant_time_eq, identify};
use crate::config::{Config, Role};
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const COOKIE: &str = "rw_session";
/// How long a session lasts.
pub const TTL: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, Clone)]
pub struct Session {
    pub name: String,
    pub role: Role,
    pub csrf: String,
    /// SHA-256 of the token signed in with (the token itself is not kept).
    token_digest: [u8; 32],
    expires: Instant,
}

fn sessions() -> &'static Mutex<HashMap<String, Session>> {
    static S: OnceLock<Mutex<HashMap<String, Session>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

/// Who a token digest identifies in `cfg` now, in the order `identify`
/// tries tokens (users in file order, then the `[server]` API token).
fn identity_of(cfg: &Config, token_digest: &[u8; 32]) -> Option<(String, Role)> {
    let users = cfg.users.iter().filter_map(|u| {
        u.token
            .as_ref()
            .filter(|t| !t.expose().trim().is_empty())
            .map(|t| (u.name.clone(), u.role, digest(t.expose())))
    });
    let api = cfg
        .server
        .api_token
        .as_ref()
        .filter(|t| !t.expose().trim().is_empty())
        .map(|t| ("admin".to_string(), Role::Admin, digest(t.expose())));
    let mut found = None;
    // Compare with every identity (no early exit on a match).
    for (name, role, d) in users.chain(api) {
        if constant_time_eq(&d, token_digest) && found.is_none() {
            found = Some((name, role));
        }
    }
    found
}

/// Whether the session still is who the configuration says its token is:
/// same name, same role.
fn still_bound(cfg: &Config, s: &Session) -> bool {
    identity_of(cfg, &s.token_digest).is_some_and(|(name, role)| name == s.name && role == s.role)
}

/// Sign in with a token: the `Set-Cookie` value of a new session, or None
/// when the token is nobody's.
pub fn sign_in(cfg: &Config, token: &str) -> Option<String> {
    let (name, role) = identify(cfg, token)?;
    let id = random_hex();
    let mut m = sessions().lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    m.retain(|_, s| s.expires > now);
    m.insert(
        id.clone(),
        Session {
            name,
            role,
            csrf: random_hex(),
            token_digest: digest(token),
            expires: now + TTL,
        },
    );
    Some(format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        TTL.as_secs(),
        secure(cfg)
    ))
}

/// `; Secure` when the site is served over https.
pub fn secure(cfg: &Config) -> &'static str {
    if cfg.server.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// The value of cookie `name` in a request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The session of a request, if it is signed in and its user is still who
/// they were when they signed in, under the configuration `cfg` (the live
/// one). A session whose user was removed, demoted, promoted or given a new
/// token is ended here.
pub fn current(cfg: &Config, headers: &HeaderMap) -> Option<Session> {
    let id = cookie(headers, COOKIE)?;
    let mut m = sessions().lock().unwrap_or_else(|e| e.into_inner());
    let s = m.get(&id)?;
    if s.expires <= Instant::now() {
        m.remove(&id);
        return None;
    }
    if !still_bound(cfg, s) {
        tracing::info!(
            user = %s.name,
            "web session ended: the configuration no longer gives this user that token and role"
        );
        m.remove(&id);
        return None;
    }
    Some(s.clone())
}

/// Sign out: forget the session; the `Set-Cookie` value that clears it.
pub fn sign_out(headers: &HeaderMap) -> String {
    if let Some(id) = cookie(headers, COOKIE) {
        sessions()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// Whether a form's CSRF token is the session's.
pub fn csrf_ok(s: &Session, given: &str) -> bool {
    !given.is_empty() && constant_time_eq(s.csrf.as_bytes(), given.as_bytes())
}

/// The cookie of the sign-in form's CSRF token (a pre-session token: the
/// form is posted before there is a session to carry one).
pub const SIGNIN_COOKIE: &str = "rw_signin";

/// A token for a new sign-in form and the `Set-Cookie` value that pairs it
/// with this browser. The form posts it back in its `csrf` field; only a
/// page of this site can read it, and the SameSite=Strict cookie is not
/// sent with a cross-site post, so a forged sign-in (logging a victim into
/// the attacker's account) fails.
pub fn signin_token(cfg: &Config) -> (String, String) {
    let t = random_hex();
    let cookie = format!(
        "{SIGNIN_COOKIE}={t}; HttpOnly; SameSite=Strict; Path=/signin; Max-Age=3600{}",
        secure(cfg)
    );
    (t, cookie)
}

/// Whether a sign-in post is this site's own form: its `csrf` field is the
/// browser's sign-in cookie, and the browser does not say it came from
/// another site (`Sec-Fetch-Site`).
pub fn signin_csrf_ok(headers: &HeaderMap, given: &str) -> bool {
    let fetched_from = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if matches!(fetched_from, "cross-site" | "same-site") {
        return false;
    }
    match cookie(headers, SIGNIN_COOKIE) {
        Some(c) => !given.is_empty() && constant_time_eq(c.as_bytes(), given.as_bytes()),
        None => false,
    }
}

/// Wrong tokens one client may try within [`THROTTLE_WINDOW`]; after that its
/// sign-ins are refused (429) until the oldest of them is that old.
pub const MAX_FAILED_SIGNINS: usize = 5;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Who is signing in, for throttling: the peer address (an IPv6 client by
/// its /64, which one machine usually has whole). A peer on loopback that
/// forwards `X-Forwarded-For` is a reverse proxy on this host: the address
/// it appended last is the client.
pub fn client_key(peer: Option<std::net::SocketAddr>, headers: &HeaderMap) -> String {
    use std::net::IpAddr;
    let Some(peer) = peer else {
        return "unknown".into();
    };
    let mut ip = peer.ip();
    if let IpAddr::V6(v6) = ip {
        if let Some(v4) = v6.to_ipv4_mapped() {
            ip = IpAddr::V4(v4);
        }
    }
    if ip.is_loopback() {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back();
        if let Some(f) = forwarded {
            ip = f;
        }
    }
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        IpAddr::V4(v4) => v4.to_string(),
    }
}

fn failures() -> &'static Mutex<HashMap<String, Vec<Instant>>> {
    static F: OnceLock<Mutex<HashMap<String, Vec<Instant>>>> = OnceLock::new();
    F.get_or_init(Default::default)
}

/// `Err(wait)` when `client` has used up its wrong tokens for now.
pub fn signin_allowed(client: &str) -> Result<(), Duration> {
    let now = Instant::now();
    let mut m = failures().lock().unwrap_or_else(|e| e.into_inner());
    let Some(list) = m.get_mut(client) else {
        return Ok(());
    };
    list.retain(|t| now.duration_since(*t) < THROTTLE_WINDOW);
    if list.len() < MAX_FAILED_SIGNINS {
        return Ok(());
    }
    let oldest = list.iter().min().copied().unwrap_or(now);
    Err((oldest + THROTTLE_WINDOW).saturating_duration_since(now))
}

/// Count a wrong token from `client`. A right one clears nothing: a user
/// with one valid token must not reset the count to keep guessing others.
pub fn signin_failed(client: &str) {
    let now = Instant::now();
    let mut m = failures().lock().unwrap_or_else(|e| e.into_inner());
    if m.len() > 10_000 {
        m.retain(|_, l| l.iter().any(|t| now.duration_since(*t) < THROTTLE_WINDOW));
    }
    let list = m.entry(client.to_string()).or_default();
    list.retain(|t| now.duration_since(*t) < THROTTLE_WINDOW);
    list.push(now);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, UserConfig};

    fn cfg(users: &[(&str, &str, Role)]) -> Config {
        Config {
            users: users
                .iter()
                .map(|(n, t, r)| UserConfig {
                    name: n.to_string(),
                    token: Some(Secret::new(t.to_string())),
                    role: *r,
                })
                .collect(),
            ..Config::default()
        }
    }

    fn headers(set_cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let pair = set_cookie.split(';').next().unwrap();
        h.insert(header::COOKIE, pair.parse().unwrap());
        h
    }

    #[test]
    fn a_session_ends_when_its_user_changes() {
        let before = cfg(&[
            ("rita", "tok-r", Role::Reviewer),
            ("vic", "tok-v", Role::Viewer),
        ]);
        let h = headers(&sign_in(&before, "tok-r").unwrap());
        assert_eq!(current(&before, &h).unwrap().role, Role::Reviewer);
        // Unchanged (another user edited): still signed in.
        let same = cfg(&[
            ("rita", "tok-r", Role::Reviewer),
            ("vic", "tok-v2", Role::Viewer),
        ]);
        assert!(current(&same, &h).is_some());
        for after in [
            cfg(&[("vic", "tok-v", Role::Viewer)]),
            cfg(&[("rita", "tok-r", Role::Viewer)]),
            cfg(&[("rita", "tok-new", Role::Reviewer)]),
            cfg(&[("rosa", "tok-r", Role::Reviewer)]),
        ] {
            let h = headers(&sign_in(&before, "tok-r").unwrap());
            assert!(current(&after, &h).is_none());
            // Ended for good, even if the old configuration came back.
            assert!(current(&before, &h).is_none());
        }
    }

    #[test]
    fn wrong_tokens_are_counted_per_client() {
        let a = "test-client-a";
        for _ in 0..MAX_FAILED_SIGNINS {
            assert!(signin_allowed(a).is_ok());
            signin_failed(a);
        }
        let wait = signin_allowed(a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= THROTTLE_WINDOW, "{wait:?}");
        assert!(signin_allowed("test-client-b").is_ok());
    }

    #[test]
    fn clients_are_told_apart_by_address() {
        let h = HeaderMap::new();
        let peer = |s: &str| Some(s.parse::<std::net::SocketAddr>().unwrap());
        assert_eq!(client_key(peer("192.0.2.7:5000"), &h), "192.0.2.7");
        assert_eq!(
            client_key(peer("[2001:db8:1:2:3:4:5:6]:80"), &h),
            client_key(peer("[2001:db8:1:2:ff::1]:80"), &h)
        );
        let mut fwd = HeaderMap::new();
        fwd.insert("x-forwarded-for", "10.9.9.9, 198.51.100.4".parse().unwrap());
        assert_eq!(client_key(peer("127.0.0.1:4000"), &fwd), "198.51.100.4");
        // Only a proxy on this host is believed.
        assert_eq!(client_key(peer("192.0.2.7:5000"), &fwd), "192.0.2.7");
        assert_eq!(client_key(None, &h), "unknown");
    }
}
