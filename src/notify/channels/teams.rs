//! `type = "teams"`: Microsoft Teams through a Workflows incoming webhook,
//! an Adaptive Card with the same content as the Slack message (title
//! linked, tags, effective date, excerpt, affected cases, link to the
//! change page). Polled text is escaped for the card's Markdown subset, and
//! links are only ever http(s) (`util::safe_link`).

use crate::config::{ChannelConfig, ConfigError, Needed, Secret};
use crate::model::Change;
use crate::notify::channel::{Alert, Channel, ChannelType, Health, Message, Preview, SendError};
use crate::notify::http::Poster;
use crate::notify::render::{
    change_view, counts_by_jurisdiction, cut, fmt_time, one_line, ChangeView,
};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

pub const TYPE: ChannelType = ChannelType {
    name: "teams",
    build,
};

/// A Teams channel's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    webhook_url: Option<Secret>,
}

struct Teams {
    webhook_url: Needed<Secret>,
    poster: Poster,
}

fn build(ch: &ChannelConfig) -> Result<Box<dyn Channel>, ConfigError> {
    let s: Settings = ch.settings()?;
    Ok(Box::new(Teams {
        webhook_url: ch.needed(s.webhook_url, "webhook_url", "a teams channel needs `webhook_url` (the Workflows webhook; better: `webhook_url_env` naming an environment variable)")?,
        poster: Poster::new(ch.timeout.0),
    }))
}

/// The message for `m`, carrying its key.
fn message(m: &Message<'_>) -> Value {
    match m.alert {
        Alert::Change(c) => change_message(c, m.key),
        Alert::Digest(d) => digest_message(
            &d.changes,
            d.period_start,
            d.period_end,
            &m.log_url(d.period_start),
            m.key,
        ),
        Alert::Health(h) => health_message(h, m.base_url, m.key),
    }
}

impl Channel for Teams {
    fn deliver<'a>(&'a self, m: &'a Message<'_>) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let url = self
                .webhook_url
                .as_ref()
                .map_err(|e| SendError::new(e.clone()))?;
            let body = serde_json::to_vec(&message(m)).unwrap_or_default();
            let headers = [("Idempotency-Key", m.key.to_string())];
            self.poster.post(url.expose(), body, &headers).await
        })
    }

    fn preview(&self, m: &Message<'_>) -> Result<Preview, SendError> {
        Ok(Preview {
            text: serde_json::to_string_pretty(&message(m)).unwrap_or_default(),
            html: None,
        })
    }
}

/// Cards over about 28 KB are refused by Teams; changes beyond this are left
/// to the digest's link to the change log.
const MAX_CHANGES: usize = 25;

/// Escape what the card's Markdown subset would interpret.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '`' | '>' | '<' | '~' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn text(t: impl Into<String>) -> Value {
    json!({"type": "TextBlock", "text": t.into(), "wrap": true})
}

/// `summary` is shown as plain text in notifications: callers keep polled
/// text out of it.
fn card(key: &str, summary: &str, body: Vec<Value>, url: &str) -> Value {
    let mut content = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let Some(u) = crate::util::safe_link(Some(url)) {
        content["actions"] =
            json!([{"type": "Action.OpenUrl", "title": "View in regwatch", "url": u}]);
    }
    json!({
        "type": "message",
        "summary": cut(&one_line(summary), 150).0,
        // The same on a redelivery: receivers drop a copy they have seen.
        "regwatch_idempotency_key": key,
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": content,
        }],
    })
}

fn change_blocks(v: &ChangeView, body: &mut Vec<Value>) {
    let title = if v.title.is_empty() {
        "(untitled)".to_string()
    } else {
        esc(&v.title)
    };
    let title = match &v.link {
        Some(l) => format!("**[{title}]({l})**"),
        None => format!("**{title}**"),
    };
    body.push(text(title));
    if let Some(g) = &v.gist {
        body.push(text(format!("**{}**\n\n{}", esc(&g.label), esc(&g.text))));
    }
    let mut facts = vec![
        json!({"title": "Urgency", "value": if v.urgency_reasons.is_empty() { v.urgency.to_uppercase() } else { format!("{} — {}", v.urgency.to_uppercase(), esc(&v.urgency_reasons.join("; "))) }}),
        json!({"title": "Source", "value": esc(&v.source)}),
        json!({"title": "Detected", "value": format!("{} ({})", v.detected_at, esc(&v.kind))}),
        json!({"title": "Tags", "value": if v.categories.is_empty() { "uncategorized".into() } else { esc(&v.categories.join(", ")) }}),
    ];
    if !v.hs_codes.is_empty() {
        facts.push(json!({"title": "HS", "value": esc(&v.hs_codes.join(", "))}));
    }
    if let Some(e) = &v.effective_date {
        facts.push(json!({"title": "Effective", "value": e}));
    }
    if let Some(d) = &v.deadline {
        facts.push(json!({"title": "Deadline", "value": d}));
    }
    body.push(json!({"type": "FactSet", "facts": facts}));
    if !v.excerpt.is_empty() {
        body.push(json!({"type": "TextBlock", "text": esc(&v.excerpt), "wrap": true, "fontType": "Monospace", "isSubtle": true}));
    }
    if !v.cases.is_empty() {
        let lines: Vec<String> = v
            .cases
            .iter()
            .map(|k| {
                let id = match &k.link {
                    Some(l) => format!("[{}]({l})", esc(&k.id)),
                    None => esc(&k.id),
                };
                format!("- {id} ({}): {}", k.strength, esc(&k.reason))
            })
            .collect();
        body.push(text(format!(
            "**Affected open cases**\n\n{}",
            lines.join("\n")
        )));
    }
    if !v.also.is_empty() {
        let lines: Vec<String> = v
            .also
            .iter()
            .map(|a| {
                let src = match &a.link {
                    Some(l) => format!("[{}]({l})", esc(&a.source)),
                    None => esc(&a.source),
                };
                format!("- {src}: {} ([#{}]({}))", esc(&a.title), a.id, a.url)
            })
            .collect();
        body.push(text(format!(
            "**Also reported by**\n\n{}",
            lines.join("\n")
        )));
    }
}

/// One change (immediate mode).
pub fn change_message(c: &Change, key: &str) -> Value {
    let v = change_view(c, 1500);
    let mut body = vec![json!({
        "type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
        "text": esc(&format!("{} · {}", v.jurisdiction, if v.categories.is_empty() { "uncategorized".into() } else { v.categories.join(", ") })),
    })];
    change_blocks(&v, &mut body);
    // The notification preview is plain text nobody escapes: no polled text in it.
    let summary = format!("regwatch: {} change #{}", v.jurisdiction, v.id);
    card(key, &summary, body, &v.url)
}

/// A digest of a period.
pub fn digest_message(
    changes: &[Change],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    log_url: &str,
    key: &str,
) -> Value {
    let counts = counts_by_jurisdiction(changes)
        .iter()
        .map(|(j, n)| format!("{j} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let title = match changes.len() {
        0 => "regwatch digest: no changes".to_string(),
        1 => format!("regwatch digest: 1 change — {counts}"),
        n => format!("regwatch digest: {n} changes — {counts}"),
    };
    let mut body = vec![
        json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": esc(&title)}),
        json!({"type": "TextBlock", "isSubtle": true, "wrap": true, "text": format!("{} → {}", fmt_time(start), fmt_time(end))}),
    ];
    // Bad news first: most urgent, then oldest.
    let mut ordered: Vec<&Change> = changes.iter().collect();
    ordered.sort_by_key(|c| (c.urgency, c.detected_at, c.id));
    for c in ordered.into_iter().take(MAX_CHANGES) {
        change_blocks(&change_view(c, 300), &mut body);
    }
    if changes.len() > MAX_CHANGES {
        body.push(text(format!(
            "… and {} more in the change log",
            changes.len() - MAX_CHANGES
        )));
    }
    card(key, &title, body, log_url)
}

/// A source went down or recovered.
pub fn health_message(h: &Health, base_url: &str, key: &str) -> Value {
    let title = if h.is_down() {
        format!("regwatch: source {} is failing", h.source)
    } else {
        format!("regwatch: source {} recovered", h.source)
    };
    let mut body = vec![
        json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": esc(&title)}),
    ];
    if !h.error.is_empty() {
        body.push(text(esc(&cut(&h.error, 2000).0)));
    }
    card(
        key,
        "regwatch: source health",
        body,
        &format!("{}/sources", base_url.trim_end_matches('/')),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_title_is_escaped_and_links_stay_http() {
        let mut c = crate::notify::render::tests::change(1, "TR", "telecom", "t");
        c.title = "**[click](javascript:alert(1))** <at>all</at>".into();
        c.link = Some("javascript:alert(1)".into());
        let m = change_message(&c, "change:1:teams");
        let s = m.to_string();
        assert!(!s.contains("](javascript"), "{s}");
        assert!(s.contains("\\\\*\\\\*\\\\[click\\\\]"), "{s}");
        assert_eq!(m["regwatch_idempotency_key"], "change:1:teams");
        assert_eq!(
            m["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(m["attachments"][0]["content"]["type"], "AdaptiveCard");
    }

    /// A polled link or a case link with `)` or `]` in it stays one link to
    /// the same address: no second, attacker-worded link in the card.
    #[test]
    fn a_link_cannot_close_its_markdown_and_open_another() {
        let mut c = crate::notify::render::tests::change(1, "TR", "telecom", "t");
        c.link = Some("https://gazette.example/a)[Pay here](https://evil.example".into());
        c.cases = vec![crate::model::CaseMatch {
            id: "CASE-1".into(),
            link: Some("https://crm.example/c/1)](https://evil.example/x".into()),
            strength: crate::model::Strength::Direct,
            reason: "HS 8517.13".into(),
            ..Default::default()
        }];
        let m = change_message(&c, "change:1:teams").to_string();
        assert!(!m.contains("](https://evil.example"), "{m}");
        assert!(
            m.contains("https://gazette.example/a%29%5BPay%20here%5D%28https://evil.example"),
            "{m}"
        );
        for bad in ["http://[::1]/a", "https://x.example/(a)"] {
            let l = crate::util::safe_link(Some(bad)).unwrap();
            assert!(!l[8..].contains(['(', ')']), "{l}");
        }
        assert_eq!(
            crate::util::safe_link(Some("http://[::1]:8080/a")).as_deref(),
            Some("http://[::1]:8080/a")
        );
    }

    #[test]
    fn a_gist_is_labelled_and_escaped() {
        let c = crate::notify::render::tests::gist_change();
        let m = change_message(&c, "change:11:teams");
        let body = m["attachments"][0]["content"]["body"].as_array().unwrap();
        let g = body
            .iter()
            .find_map(|b| {
                b["text"]
                    .as_str()
                    .filter(|t| t.contains("not a translation"))
            })
            .expect("a gist block");
        assert!(
            g.starts_with("**English gist of the Turkish original \\(not a translation\\)**\n\n"),
            "{g}"
        );
        assert!(!g.contains("](javascript"), "{g}");
        assert!(
            g.contains("\\*\\*\\[click\\]\\(javascript:alert\\(1\\)\\)\\*\\*"),
            "{g}"
        );
        assert!(g.contains("\\<script\\>") && g.contains("\\_x\\_"), "{g}");
        let d = digest_message(
            std::slice::from_ref(&c),
            c.detected_at,
            c.detected_at,
            "http://rw/",
            "digest:1",
        )
        .to_string();
        assert!(
            d.contains("not a translation") && !d.contains("](javascript"),
            "{d}"
        );
    }

    #[test]
    fn a_story_lists_its_other_sources() {
        let c = crate::notify::render::tests::story_change();
        let m = change_message(&c, "change:7:teams").to_string();
        assert!(m.contains("**Also reported by**"), "{m}");
        assert!(
            m.contains("[wto-eping](https://eping.example/123)") && m.contains("tr-ministry"),
            "{m}"
        );
        assert!(!m.contains("javascript:"), "{m}");
    }
}
