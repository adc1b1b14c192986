//! Web sign-in: a person pastes their token once; the server keeps a
//! session (in memory: a restart signs everyone out) behind an HttpOnly,
//! SameSite=Strict cookie, and every form that writes carries the
//! session's CSRF token.

use super::{constant_time_eq, identify};
use crate::config::{Config, Role};
use axum::http::{header, HeaderMap};
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
    expires: Instant,
}

fn sessions() -> &'static Mutex<HashMap<String, Session>> {
    static S: OnceLock<Mutex<HashMap<String, Session>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
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
            expires: now + TTL,
        },
    );
    let secure = if cfg.server.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    Some(format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        TTL.as_secs()
    ))
}

fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The session of a request, if it is signed in.
pub fn current(headers: &HeaderMap) -> Option<Session> {
    let id = cookie_id(headers)?;
    let m = sessions().lock().unwrap_or_else(|e| e.into_inner());
    m.get(&id).filter(|s| s.expires > Instant::now()).cloned()
}

/// Sign out: forget the session; the `Set-Cookie` value that clears it.
pub fn sign_out(headers: &HeaderMap) -> String {
    if let Some(id) = cookie_id(headers) {
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
