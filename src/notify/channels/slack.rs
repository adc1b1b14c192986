//! `type = "slack"`: an incoming webhook, messages in Block Kit within
//! Slack's limits (header 150 chars, section text 3000, 50 blocks), with
//! every polled string escaped for mrkdwn so `<!channel>` arrives as text.

use crate::config::{ChannelConfig, ConfigError, Needed, Secret};
use crate::model::Change;
use crate::notify::channel::{Alert, Channel, ChannelType, Health, Message, Preview, SendError};
use crate::notify::http::Poster;
use crate::notify::render::{
    change_view, counts_by_jurisdiction, cut, fmt_time, high_count, in_digest_order,
    jurisdiction_order, one_line, ChangeView,
};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

pub const TYPE: ChannelType = ChannelType {
    name: "slack",
    build,
};

/// A Slack channel's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    webhook_url: Option<Secret>,
}

struct Slack {
    webhook_url: Needed<Secret>,
    poster: Poster,
}

fn build(ch: &ChannelConfig) -> Result<Box<dyn Channel>, ConfigError> {
    let s: Settings = ch.settings()?;
    Ok(Box::new(Slack {
        webhook_url: ch.needed(s.webhook_url, "webhook_url", "a slack channel needs `webhook_url` (better: `webhook_url_env` naming an environment variable that is set)")?,
        poster: Poster::new(ch.timeout.0),
    }))
}

/// The message for `m`, without the delivery's key.
fn message(m: &Message<'_>) -> Value {
    match m.alert {
        Alert::Change(c) => change_message(c),
        Alert::Digest(d) => {
            let mut v = digest_message(
                &d.changes,
                d.period_start,
                d.period_end,
                &m.log_url(d.period_start),
            );
            down_first(&mut v, d, m.base_url);
            v
        }
        Alert::Health(h) => health_message(h, m.base_url),
    }
}

impl Channel for Slack {
    fn deliver<'a>(&'a self, m: &'a Message<'_>) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let url = self
                .webhook_url
                .as_ref()
                .map_err(|e| SendError::new(e.clone()))?;
            let msg = with_dedup_key(message(m), m.key);
            let body = serde_json::to_vec(&msg).unwrap_or_default();
            self.poster.post(url.expose(), body, &[]).await
        })
    }

    fn preview(&self, m: &Message<'_>) -> Result<Preview, SendError> {
        Ok(Preview {
            text: serde_json::to_string_pretty(&message(m)).unwrap_or_default(),
            html: None,
        })
    }
}

pub const MAX_HEADER: usize = 150;
pub const MAX_SECTION: usize = 3000;
pub const MAX_BLOCKS: usize = 50;

/// Escape the three characters Slack's mrkdwn treats as control characters.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `<url|text>` with both parts made safe: the URL percent-encoded where
/// Slack would end it, the text escaped and without `|`.
pub fn link(url: &str, text: &str) -> String {
    let u = url
        .replace('|', "%7C")
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace(' ', "%20");
    format!("<{u}|{}>", esc(text).replace('|', "¦"))
}

fn header(text: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": cut(&one_line(text), MAX_HEADER).0, "emoji": true}})
}

fn section(mrkdwn: String) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}})
}

fn context(mrkdwn: String) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]})
}

/// Fit already-escaped mrkdwn into a section, cutting with a "more" link.
fn fit(text: String, more_url: &str) -> String {
    let more = format!("… {}", link(more_url, "more"));
    if text.chars().count() <= MAX_SECTION {
        return text;
    }
    let keep = MAX_SECTION - more.chars().count() - 1;
    let mut t: String = text.chars().take(keep).collect();
    // Never leave half an escape (`&am`) or half a link behind.
    if let Some(i) = t.rfind('&') {
        if !t[i..].contains(';') {
            t.truncate(i);
        }
    }
    if let Some(i) = t.rfind('<') {
        if !t[i..].contains('>') {
            t.truncate(i);
        }
    }
    format!("{t}\n{more}")
}

/// The story's other sources, each linked to its change page.
fn also_links(v: &ChangeView) -> String {
    v.also
        .iter()
        .map(|a| link(&a.url, &a.source))
        .collect::<Vec<_>>()
        .join(", ")
}

fn title_line(v: &ChangeView) -> String {
    let title = if v.title.is_empty() {
        "(untitled)".to_string()
    } else {
        v.title.clone()
    };
    match &v.link {
        Some(l) => format!("*{}*", link(l, &title)),
        None => format!("*{}*", esc(&title)),
    }
}

/// `:red_circle: *HIGH* — effective in 12 days; direct match on open case CASE-7`
fn urgency_line(v: &ChangeView) -> String {
    let icon = match v.urgency {
        "high" => ":red_circle:",
        "medium" => ":large_orange_circle:",
        _ => ":white_circle:",
    };
    let mut t = format!("{icon} *{}*", v.urgency.to_uppercase());
    if !v.urgency_reasons.is_empty() {
        t.push_str(&format!(" — {}", esc(&v.urgency_reasons.join("; "))));
    }
    t
}

fn tags(v: &ChangeView) -> String {
    if v.categories.is_empty() {
        "uncategorized".to_string()
    } else {
        v.categories.join(", ")
    }
}

/// The `metadata.event_type` of every message regwatch sends to Slack.
pub const EVENT_TYPE: &str = "regwatch_alert";

/// Attach the delivery's idempotency key (the outbox row's, the same for
/// every attempt) as message metadata, so that a copy sent again after a
/// crash between sending and recording it carries the same key and a
/// consumer of the channel's messages can fold the two.
pub fn with_dedup_key(mut msg: Value, key: &str) -> Value {
    if let Value::Object(m) = &mut msg {
        m.insert(
            "metadata".into(),
            json!({"event_type": EVENT_TYPE, "event_payload": {"idempotency_key": key}}),
        );
    }
    msg
}

/// One change as a message (immediate mode).
pub fn change_message(c: &Change) -> Value {
    let v = change_view(c, 2400);
    let mut blocks = vec![header(&format!("{} · {}", v.jurisdiction, tags(&v)))];
    let mut meta = format!(
        "{}\n{}\n{} · {} · detected {}",
        urgency_line(&v),
        title_line(&v),
        esc(&v.source),
        esc(&v.kind),
        v.detected_at
    );
    if !v.hs_codes.is_empty() {
        meta.push_str(&format!(" · HS {}", esc(&v.hs_codes.join(", "))));
    }
    if let Some(e) = &v.effective_date {
        meta.push_str(&format!("\n*Effective:* {e}"));
    }
    if let Some(d) = &v.deadline {
        meta.push_str(&format!("\n*Deadline:* {d}"));
    }
    blocks.push(section(fit(meta, &v.url)));
    if let Some(g) = &v.gist {
        blocks.push(section(fit(
            format!("*{}*\n{}", esc(&g.label), esc(&g.text)),
            &v.url,
        )));
    }
    if !v.excerpt.is_empty() {
        let mut body = format!("```{}```", esc(&v.excerpt));
        if v.excerpt_cut {
            body.push_str(&format!("\n{}", link(&v.url, "more")));
        }
        blocks.push(section(fit(body, &v.url)));
    }
    if !v.cases.is_empty() {
        let mut t = String::from("*Affected open cases*");
        for k in &v.cases {
            let id = match &k.link {
                Some(l) => link(l, &k.id),
                None => esc(&k.id),
            };
            t.push_str(&format!("\n• {id} ({}): {}", k.strength, esc(&k.reason)));
        }
        blocks.push(section(fit(t, &v.url)));
    }
    if !v.also.is_empty() {
        let mut t = String::from("*Also reported by*");
        for a in &v.also {
            let src = match &a.link {
                Some(l) => link(l, &a.source),
                None => esc(&a.source),
            };
            t.push_str(&format!(
                "\n• {src}: {} ({})",
                esc(&a.title),
                link(&a.url, &format!("#{}", a.id))
            ));
        }
        blocks.push(section(fit(t, &v.url)));
    }
    blocks.push(context(link(
        &v.url,
        &format!("View change #{} in regwatch", v.id),
    )));
    json!({
        "text": esc(&format!("{}: {}", v.jurisdiction, v.title)),
        "blocks": blocks,
        "unfurl_links": false,
    })
}

/// One message listing a digest period's changes, cut at the block limit
/// with a link to the web change log.
pub fn digest_message(
    changes: &[Change],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    log_url: &str,
) -> Value {
    let counts = counts_by_jurisdiction(changes)
        .iter()
        .map(|(j, n)| format!("{j} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let n = changes.len();
    let title = match n {
        0 => "regwatch digest: no changes".to_string(),
        1 => format!("regwatch digest: 1 change — {counts}"),
        _ => format!("regwatch digest: {n} changes — {counts}"),
    };
    let high = high_count(changes);
    let mut when = format!("{} → {}", fmt_time(start), fmt_time(end));
    if high > 0 {
        when.push_str(&format!(
            " · {high} high-urgency change{} first",
            if high == 1 { "" } else { "s" }
        ));
    }
    let mut blocks = vec![header(&title), context(when)];
    // Room for the changes: keep 2 blocks for the jurisdiction line and the tail.
    let mut shown = 0usize;
    'outer: for (j, count) in jurisdiction_order(changes) {
        if blocks.len() + 2 > MAX_BLOCKS - 1 {
            break;
        }
        blocks.push(section(format!(
            "*{}* · {count} change{}",
            esc(&j),
            if count == 1 { "" } else { "s" }
        )));
        for c in in_digest_order(changes, &j) {
            if blocks.len() >= MAX_BLOCKS - 1 {
                break 'outer;
            }
            let v = change_view(c, 300);
            let mut t = format!(
                "{}\n{}\n{}",
                urgency_line(&v),
                title_line(&v),
                esc(&tags(&v))
            );
            if !v.hs_codes.is_empty() {
                t.push_str(&format!(" · HS {}", esc(&v.hs_codes.join(", "))));
            }
            if let Some(e) = &v.effective_date {
                t.push_str(&format!(" · *effective {e}*"));
            }
            if let Some(g) = &v.gist {
                t.push_str(&format!("\n_Gist (not a translation):_ {}", esc(&g.text)));
            }
            if !v.cases.is_empty() {
                let ids: Vec<String> = v
                    .cases
                    .iter()
                    .map(|k| match &k.link {
                        Some(l) => link(l, &k.id),
                        None => esc(&k.id),
                    })
                    .collect();
                t.push_str(&format!("\nCases: {}", ids.join(", ")));
            }
            if !v.also.is_empty() {
                t.push_str(&format!("\nAlso reported by: {}", also_links(&v)));
            }
            if !v.excerpt.is_empty() {
                let first = v.excerpt.lines().next().unwrap_or_default();
                t.push_str(&format!("\n> {}", esc(&cut(first, 200).0)));
            }
            t.push_str(&format!("\n{}", link(&v.url, &format!("#{}", v.id))));
            blocks.push(section(fit(t, &v.url)));
            shown += 1;
        }
    }
    if shown < n {
        blocks.truncate(MAX_BLOCKS - 1);
        blocks.push(section(format!(
            "…and {} more: {}",
            n - shown,
            link(log_url, "the full change log")
        )));
    } else if n == 0 {
        blocks.push(section("No change in this period.".into()));
    }
    json!({"text": esc(&title), "blocks": blocks, "unfurl_links": false})
}

/// Bad news first: the sources down as the digest is sent, right under its
/// header (which, since when in the channel's timezone, why), within
/// Slack's block limit.
fn down_first(v: &mut Value, d: &crate::notify::channel::Digest, base_url: &str) {
    if d.failing.is_empty() {
        return;
    }
    let base = base_url.trim_end_matches('/');
    let n = d.failing.len();
    let mut t = format!(
        ":warning: *{n} source{} down*: changes there are not seen",
        if n == 1 { "" } else { "s" }
    );
    for s in d.failing.iter().take(10) {
        let since = match s.since {
            Some(t) => format!(
                "since {}",
                crate::notify::render::fmt_time_in(t, &d.timezone)
            ),
            None => "never polled successfully".to_string(),
        };
        t.push_str(&format!(
            "\n• {} {since}: {}",
            link(&format!("{base}/sources/{}", s.id), &s.name),
            esc(&s.error)
        ));
    }
    if n > 10 {
        t.push_str(&format!(
            "\n…and {} more: {}",
            n - 10,
            link(&format!("{base}/sources"), "source health")
        ));
    }
    if let Some(blocks) = v.get_mut("blocks").and_then(Value::as_array_mut) {
        if blocks.len() >= MAX_BLOCKS && blocks.len() >= 3 {
            // Room for it: drop the last change shown before the tail line.
            blocks.remove(blocks.len() - 2);
        }
        let at = blocks.len().min(1);
        blocks.insert(at, section(fit(t, &format!("{base}/sources"))));
    }
}

/// A source went down or recovered.
pub fn health_message(h: &Health, base_url: &str) -> Value {
    let title = match h.state.as_str() {
        "down" => format!("Source down: {} ({})", h.source, h.jurisdiction),
        _ => format!("Source recovered: {} ({})", h.source, h.jurisdiction),
    };
    let mut blocks = vec![header(&title)];
    let body = if h.is_down() {
        format!(
            "*{}* failed {} polls in a row (since {}).\nLast error:\n```{}```",
            esc(&h.source),
            h.failures,
            esc(&h.at),
            esc(&cut(&h.error, 2000).0)
        )
    } else {
        format!("*{}* answers again ({}).", esc(&h.source), esc(&h.at))
    };
    blocks.push(section(fit(
        body,
        &format!("{}/sources", base_url.trim_end_matches('/')),
    )));
    blocks.push(context(link(
        &format!("{}/sources", base_url.trim_end_matches('/')),
        "Source health in regwatch",
    )));
    json!({"text": esc(&title), "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::render::tests::change;

    #[test]
    fn escapes_mentions_and_markup() {
        let c = change(1, "TR", "telecom", "<!channel> & <script>");
        let m = change_message(&c).to_string();
        assert!(!m.contains("<!channel>"));
        assert!(m.contains("&lt;!channel&gt; &amp; &lt;script&gt;"));
    }

    #[test]
    fn a_gist_is_labelled_and_escaped_in_messages_and_digests() {
        let c = crate::notify::render::tests::gist_change();
        for m in [
            change_message(&c).to_string(),
            digest_message(
                std::slice::from_ref(&c),
                c.detected_at,
                c.detected_at,
                "http://rw/",
            )
            .to_string(),
        ] {
            assert!(!m.contains("<!channel>") && !m.contains("<script>"), "{m}");
            assert!(m.contains("&lt;!channel&gt; &lt;script&gt;"), "{m}");
            assert!(m.contains("_x_ &amp; y Bcc"), "{m}");
            assert!(m.contains("not a translation"), "{m}");
        }
        let m = change_message(&c);
        // beside the title: the block right after it
        assert_eq!(
            m["blocks"][2]["text"]["text"]
                .as_str()
                .unwrap()
                .lines()
                .next(),
            Some("*English gist of the Turkish original (not a translation)*")
        );
    }

    #[test]
    fn long_change_is_cut_not_rejected() {
        let mut c = change(1, "TR", "telecom", &"T".repeat(5000));
        c.diff = (0..2000).map(|i| format!("+line {i} <b>\n")).collect();
        let m = change_message(&c);
        let blocks = m["blocks"].as_array().unwrap();
        assert!(blocks.len() <= MAX_BLOCKS);
        for b in blocks {
            if let Some(t) = b["text"]["text"].as_str() {
                let lim = if b["type"] == "header" {
                    MAX_HEADER
                } else {
                    MAX_SECTION
                };
                assert!(t.chars().count() <= lim, "{} > {lim}", t.chars().count());
            }
        }
        assert!(m.to_string().contains("|more>"));
    }

    #[test]
    fn a_digest_starts_with_the_sources_that_are_down() {
        let now = crate::clock::Clock::at_date(2026, 6, 1).now();
        let d = crate::notify::channel::Digest {
            period_start: now,
            period_end: now,
            changes: crate::notify::render::tests::mixed_urgency(),
            failing: vec![crate::notify::channel::DownSource {
                id: "tr-gazete".into(),
                name: "Resmî <Gazete>".into(),
                since: Some(now),
                error: "DNS: no such host".into(),
            }],
            timezone: "Europe/Istanbul".into(),
            clients: vec![],
        };
        let mut v = digest_message(&d.changes, now, now, "http://rw/");
        let before = v["blocks"].as_array().unwrap().len();
        down_first(&mut v, &d, "http://rw");
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), before + 1);
        let t = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(t.starts_with(":warning: *1 source down*"), "{t}");
        assert!(
            t.contains("<http://rw/sources/tr-gazete|Resmî &lt;Gazete&gt;> since 2026-06-01 03:00 Europe/Istanbul: DNS: no such host"),
            "{t}"
        );
        // Full digests keep within Slack's block limit.
        let mut full = json!({"blocks": vec![json!({}); MAX_BLOCKS]});
        down_first(&mut full, &d, "http://rw");
        assert_eq!(full["blocks"].as_array().unwrap().len(), MAX_BLOCKS);
    }

    #[test]
    fn digest_and_message_put_the_most_urgent_first_with_the_reason() {
        let cs = crate::notify::render::tests::mixed_urgency();
        let m = digest_message(
            &cs,
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            "http://rw/",
        )
        .to_string();
        let high = m.find("TR radio rule in force soon").unwrap();
        let low_tr = m.find("TR routine notice").unwrap();
        let vn = m.find("VN quiet notice").unwrap();
        assert!(high < low_tr && low_tr < vn, "{m}");
        assert!(m.contains("1 high-urgency change first"), "{m}");
        assert!(
            m.contains(
                ":red_circle: *HIGH* — effective in 5 days; direct match on open case CASE-7"
            ),
            "{m}"
        );
        let one = change_message(&cs[2]).to_string();
        assert!(one.contains("*HIGH* — effective in 5 days"), "{one}");
    }

    #[test]
    fn digest_is_cut_at_the_block_limit() {
        let cs: Vec<Change> = (1..=120)
            .map(|i| change(i, if i % 2 == 0 { "TR" } else { "VN" }, "telecom", "x"))
            .collect();
        let m = digest_message(
            &cs,
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            "http://rw/?since=2026-11-24",
        );
        let blocks = m["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), MAX_BLOCKS);
        assert!(blocks.last().unwrap().to_string().contains("more"));
    }

    #[test]
    fn a_story_lists_its_other_sources() {
        let c = crate::notify::render::tests::story_change();
        let m = change_message(&c).to_string();
        assert!(m.contains("*Also reported by*"), "{m}");
        assert!(
            m.contains("tr-ministry") && m.contains("<https://eping.example/123|wto-eping>"),
            "{m}"
        );
        assert!(
            m.contains("&lt;b&gt;Yönetmelik") && !m.contains("javascript:"),
            "{m}"
        );
        let d = digest_message(
            &[c],
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            crate::clock::Clock::at_date(2026, 6, 1).now(),
            "http://rw.example/",
        )
        .to_string();
        assert!(
            d.contains("Also reported by: <http://rw.example/changes/8|tr-ministry>"),
            "{d}"
        );
    }
}
