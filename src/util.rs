//! Small helpers every room uses, each written once: text truncation, safe
//! links, URL redaction, error chains, Retry-After, backoff with jitter and
//! this instance's name.

use std::time::Duration;

/// Cut to at most `max` characters, ending with `…` when something was cut;
/// the flag says whether it was.
pub fn cut(s: &str, max: usize) -> (String, bool) {
    if s.chars().count() <= max {
        return (s.to_string(), false);
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    (t, true)
}

/// [`cut`] without the flag.
pub fn truncate(s: &str, max: usize) -> String {
    cut(s, max).0
}

/// A link from a polled source, a case export or a config, kept only when
/// it is http(s): `javascript:`, `data:`, `file:` and relative links are
/// dropped. What is kept is parsed and re-serialized, and after the host
/// the characters that end or break a link in Markdown, Slack mrkdwn or
/// HTML (`( ) [ ] < > | " ' \` and backquote) are percent-encoded, so the
/// link can be put inside `[text](link)`, `<link|text>` or an attribute
/// and stay one link to the same address.
pub fn safe_link(link: Option<&str>) -> Option<String> {
    let u = http_url(link?)?;
    let s = u.as_str();
    let at = u[..url::Position::BeforePath].len();
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..at]);
    for ch in s[at..].chars() {
        match ch {
            '(' | ')' | '[' | ']' | '<' | '>' | '|' | '"' | '\'' | '\\' | '`' | ' ' => {
                out.push_str(&format!("%{:02X}", ch as u32))
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// A link kept only when it is http(s) with a host, parsed and
/// re-serialized but otherwise as written: what extraction stores (item
/// keys and links compare with what earlier snapshots stored), while
/// [`safe_link`] is for putting a link into a message or a page.
pub fn http_link(link: Option<&str>) -> Option<String> {
    http_url(link?).map(String::from)
}

fn http_url(link: &str) -> Option<url::Url> {
    url::Url::parse(link.trim()).ok().filter(is_http)
}

/// Whether a parsed URL is an http(s) address with a host.
pub fn is_http(u: &url::Url) -> bool {
    matches!(u.scheme(), "http" | "https") && !u.host_str().is_none_or(str::is_empty)
}

/// Query parameters whose values are credentials.
const SECRET_PARAMS: &[&str] = &[
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "auth",
    "password",
    "secret",
    "sig",
    "signature",
];

/// A URL as it may be shown or logged: the user's password and credential
/// query parameters are masked (`***`). Text that is not a URL is returned as is.
pub fn redact_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(p) => redact(&p),
        _ => u.to_string(),
    }
}

/// [`redact_url`] for a parsed URL.
pub fn redact(u: &url::Url) -> String {
    let mut p = u.clone();
    if p.password().is_some() {
        let _ = p.set_password(Some("***"));
    }
    if p.query().is_some() {
        let pairs: Vec<(String, String)> = p
            .query_pairs()
            .map(|(k, v)| {
                let secret = SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str());
                (
                    k.into_owned(),
                    if secret { "***".into() } else { v.into_owned() },
                )
            })
            .collect();
        if pairs.iter().any(|(_, v)| v == "***") {
            p.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    p.to_string()
}

/// Every http(s) URL inside a text (an error message stored before URLs
/// were kept out of it, a receiver's answer), redacted as by [`redact_url`].
pub fn redact_urls_in(text: &str) -> String {
    static URL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = URL.get_or_init(|| regex::Regex::new(r#"(?i)https?://[^\s<>"'()]+"#).expect("valid"));
    re.replace_all(text, |c: &regex::Captures<'_>| redact_url(&c[0]))
        .into_owned()
}

/// An error and its causes on one line, each cause once.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// The longest Retry-After honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// A Retry-After value: seconds or an HTTP date, at most a day. A date is
/// counted from `sent`, the response's `Date` header, when there is one (the
/// server's own clock), else from the system clock: this is the protocol's
/// time, not a date the program reasons about.
pub fn parse_retry_after(v: &str, sent: Option<chrono::DateTime<chrono::Utc>>) -> Option<Duration> {
    let v = v.trim();
    if let Ok(n) = v.parse::<u64>() {
        return Some(Duration::from_secs(n).min(MAX_RETRY_AFTER));
    }
    let t = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let d = t.with_timezone(&chrono::Utc) - sent.unwrap_or_else(chrono::Utc::now);
    Some(d.to_std().unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// The Retry-After of an HTTP response, as seconds or an HTTP date counted
/// from the response's own `Date`.
pub fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let sent = h
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    parse_retry_after(h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?, sent)
}

/// Exponential backoff: `base` doubled per failed attempt (attempt 1 waits
/// `base`), capped at `max`, with jitter in [d/2, d].
pub fn backoff(base: Duration, attempt: u32, max: Duration) -> Duration {
    let exp = attempt.clamp(1, 31) - 1;
    let d = base
        .checked_mul(1u32 << exp.min(20))
        .unwrap_or(max)
        .min(max);
    jitter_down(d)
}

/// A random duration in [d/2, d].
pub fn jitter_down(d: Duration) -> Duration {
    let ms = d.as_millis() as u64;
    if ms < 2 {
        return d;
    }
    Duration::from_millis(rand::random_range(ms / 2..=ms))
}

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// This process's name in leases: `host:pid`, so a holder on the same host
/// that died can be told apart from one that is alive.
pub fn instance_id() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

/// Whether the `host:pid` lease owner is a process of this host that died.
pub fn owner_is_dead(owner: &str) -> bool {
    let Some((h, pid)) = owner.rsplit_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    h == hostname()
        && pid != std::process::id()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_inside_text_are_redacted() {
        let t = redact_urls_in(
            "error sending request for url (http://bob:pw@h.example/x?token=T0K&page=2): refused",
        );
        assert_eq!(
            t,
            "error sending request for url (http://bob:***@h.example/x?token=***&page=2): refused"
        );
        assert_eq!(redact_urls_in("no url here"), "no url here");
    }

    #[test]
    fn only_http_links_are_kept() {
        assert_eq!(
            safe_link(Some("https://a.example/x?y=1")).as_deref(),
            Some("https://a.example/x?y=1")
        );
        assert_eq!(safe_link(Some("javascript:alert(1)")), None);
        assert_eq!(safe_link(Some("data:text/html,<b>")), None);
        assert_eq!(safe_link(Some("/relative")), None);
        assert_eq!(safe_link(None), None);
    }

    #[test]
    fn credentials_are_masked() {
        assert_eq!(redact_url("postgres://u:pw@db/x"), "postgres://u:***@db/x");
        let r = redact_url("https://api.example/v1?q=8517&api_key=abc123");
        assert!(!r.contains("abc123"), "{r}");
        assert!(r.contains("q=8517"), "{r}");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn cut_marks_what_was_cut() {
        assert_eq!(cut("abc", 3), ("abc".into(), false));
        assert_eq!(cut("abcdef", 4), ("abc…".into(), true));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("2", None), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", None),
            Some(Duration::ZERO)
        );
        let sent = chrono::DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:26:00 GMT")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", Some(sent)),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after("soon", None), None);
        assert_eq!(
            parse_retry_after("99999999999", None),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        let d1 = backoff(b, 1, max);
        assert!(d1 >= Duration::from_millis(50) && d1 <= b);
        let d3 = backoff(b, 3, max);
        assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
        assert!(backoff(b, 30, max) <= max);
    }
}

/// `t` relative to `now` for a person: "just now", "5 minutes ago",
/// "3 hours ago", "2 days ago", "in 20 minutes".
pub fn ago(t: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let secs = (now - t).num_seconds();
    let (n, future) = (secs.unsigned_abs(), secs < 0);
    if n < 60 {
        return if future { "in a moment" } else { "just now" }.to_string();
    }
    let (v, unit) = match n {
        n if n < 3600 => (n / 60, "minute"),
        n if n < 86_400 => (n / 3600, "hour"),
        n => (n / 86_400, "day"),
    };
    let unit = if v == 1 {
        unit.to_string()
    } else {
        format!("{unit}s")
    };
    if future {
        format!("in {v} {unit}")
    } else {
        format!("{v} {unit} ago")
    }
}

#[cfg(test)]
mod ago_tests {
    #[test]
    fn humanized() {
        let now: chrono::DateTime<chrono::Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(super::ago(at("2026-12-01T11:59:30Z"), now), "just now");
        assert_eq!(super::ago(at("2026-12-01T09:00:00Z"), now), "3 hours ago");
        assert_eq!(super::ago(at("2026-11-30T12:00:00Z"), now), "1 day ago");
        assert_eq!(super::ago(at("2026-12-01T12:20:00Z"), now), "in 20 minutes");
    }
}
