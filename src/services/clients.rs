//! Clients (DESIGN.md, "Client"): the `client` of the open cases. A
//! client's view is its open cases and the changes that hit them, most
//! urgent first; its draft notice tells the client the bad news first, each
//! change with what changed, when it applies and which shipments, and an
//! empty "what we will do" for the officer. A notice the officer edited is
//! saved with who and when (every save kept).

use super::{App, ServiceError};
use crate::model::{Case, Change, Urgency};
pub use crate::store::dispositions::SavedNotice;
use crate::store::ChangeFilter;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The period of a client's view when none is given.
pub const DEFAULT_SINCE: &str = "90d";
/// The period of a draft notice when none is given.
pub const NOTICE_SINCE: &str = "30d";
/// At most this many changes per case are read for a view.
const PER_CASE_LIMIT: i64 = 500;
/// The longest notice text kept.
pub const MAX_NOTICE_CHARS: usize = 100_000;

/// One client in the list: its open cases and what hits them.
#[derive(Debug, Clone, Serialize)]
pub struct ClientSummary {
    pub name: String,
    /// Its open cases' ids.
    pub open_cases: Vec<String>,
    /// Changes in the period that hit an open case of it (dismissed ones left out).
    pub changes: usize,
    /// Of those, nobody reviewed yet.
    pub new: usize,
    /// Of those, high urgency.
    pub high: usize,
    /// How many of its open cases are hit.
    pub cases_hit: usize,
    /// Its page.
    pub url: String,
}

/// One client: its open cases and the changes that hit them, most urgent
/// first (each change listing only this client's cases).
#[derive(Debug, Clone, Serialize)]
pub struct ClientView {
    pub name: String,
    pub since: DateTime<Utc>,
    pub cases: Vec<Case>,
    pub changes: Vec<Change>,
    pub url: String,
    /// The latest notice an officer saved for this client.
    pub notice: Option<SavedNotice>,
}

fn page_url(app: &App, name: &str) -> String {
    let enc: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!(
        "{}/clients/{}",
        app.config.server.base_url.trim_end_matches('/'),
        enc.replace('+', "%20")
    )
}

/// Open cases by client (cases without a client are not a client's).
async fn open_by_client(app: &App) -> Result<BTreeMap<String, Vec<Case>>, ServiceError> {
    let mut m: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    for c in app.store.open_cases().await? {
        let name = c.client.trim().to_string();
        if !name.is_empty() {
            m.entry(name).or_default().push(c);
        }
    }
    Ok(m)
}

/// The changes since `since` that hit one of `cases`, each keeping only
/// matches on those cases; urgency as of today, most urgent first.
async fn hitting(
    app: &App,
    cases: &[Case],
    since: DateTime<Utc>,
    new_only: bool,
) -> Result<Vec<Change>, ServiceError> {
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let mut by_id: BTreeMap<i64, Change> = BTreeMap::new();
    for id in &ids {
        let f = ChangeFilter {
            since: Some(since),
            case_id: Some(id.to_string()),
            limit: Some(PER_CASE_LIMIT),
            new_only,
            ..Default::default()
        };
        for c in app.store.changes(&f).await? {
            by_id.entry(c.id).or_insert(c);
        }
    }
    let mut changes: Vec<Change> = by_id
        .into_values()
        .map(|mut c| {
            c.cases.retain(|m| ids.contains(&m.id.as_str()));
            c
        })
        .collect();
    changes = super::changes::finish(app, changes).await?;
    super::urgency::sort(&mut changes, app.clock.today());
    Ok(changes)
}

/// The client named `name` (case and surrounding spaces ignored), by its
/// name as the cases write it, with its open cases; NotFound lists the clients.
async fn find(app: &App, name: &str) -> Result<(String, Vec<Case>), ServiceError> {
    let want = name.trim().to_lowercase();
    let mut all = open_by_client(app).await?;
    let key = all.keys().find(|k| k.to_lowercase() == want).cloned();
    match key {
        Some(k) => {
            let cases = all.remove(&k).unwrap_or_default();
            Ok((k, cases))
        }
        None => {
            let names: Vec<String> = all.into_keys().collect();
            Err(ServiceError::NotFound(if names.is_empty() {
                format!("no open case has the client `{}`: no client has an open case (import cases with a `client` column)", name.trim())
            } else {
                format!(
                    "no open case has the client `{}`: the clients are {}",
                    name.trim(),
                    names.join(", ")
                )
            }))
        }
    }
}

fn since_of(app: &App, since: Option<&str>, default: &str) -> Result<DateTime<Utc>, ServiceError> {
    super::changes::parse_since(since.unwrap_or(default), app.now())
}

/// Every client with an open case, the most pressing first (most high
/// urgency changes, then most new ones, then by name).
pub async fn list(
    app: &App,
    since: Option<&str>,
    new_only: bool,
) -> Result<Vec<ClientSummary>, ServiceError> {
    let since = since_of(app, since, DEFAULT_SINCE)?;
    let mut out = vec![];
    for (name, cases) in open_by_client(app).await? {
        let changes: Vec<Change> = hitting(app, &cases, since, new_only)
            .await?
            .into_iter()
            .filter(|c| c.review.state != "dismissed")
            .collect();
        let mut hit: Vec<&str> = changes
            .iter()
            .flat_map(|c| c.cases.iter().map(|m| m.id.as_str()))
            .collect();
        hit.sort();
        hit.dedup();
        out.push(ClientSummary {
            url: page_url(app, &name),
            open_cases: cases.iter().map(|c| c.id.clone()).collect(),
            cases_hit: hit.len(),
            changes: changes.len(),
            new: changes.iter().filter(|c| c.review.state == "new").count(),
            high: changes
                .iter()
                .filter(|c| c.urgency == Urgency::High)
                .count(),
            name,
        });
    }
    out.sort_by(|a, b| {
        b.high
            .cmp(&a.high)
            .then_with(|| b.new.cmp(&a.new))
            .then_with(|| b.changes.cmp(&a.changes))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(out)
}

/// One client: its open cases and the changes that hit them, most urgent first.
pub async fn one(
    app: &App,
    name: &str,
    since: Option<&str>,
    new_only: bool,
) -> Result<ClientView, ServiceError> {
    let since = since_of(app, since, DEFAULT_SINCE)?;
    let (name, cases) = find(app, name).await?;
    let changes = hitting(app, &cases, since, new_only).await?;
    let notice = app.store.latest_notice(&name).await?;
    Ok(ClientView {
        url: page_url(app, &name),
        name,
        since,
        cases,
        changes,
        notice,
    })
}

/// A case as a notice names it.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeCase {
    pub id: String,
    pub title: String,
    pub country: String,
    pub hs_codes: Vec<String>,
    pub strength: &'static str,
    pub reason: String,
    pub disposition: String,
}

/// One change in a notice.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeItem {
    pub n: usize,
    pub id: i64,
    pub title: String,
    pub urgency: &'static str,
    pub reasons: Vec<String>,
    /// What changed: the added text first, cut.
    pub what: String,
    pub jurisdiction: String,
    pub source: String,
    pub link: Option<String>,
    pub url: String,
    pub detected: String,
    /// When it applies, in words ("applies from 2027-01-01").
    pub when: Vec<String>,
    pub cases: Vec<NoticeCase>,
}

/// A draft notice to a client.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub client: String,
    pub since: String,
    pub prepared: String,
    pub items: Vec<NoticeItem>,
    pub high: usize,
    pub cases_hit: usize,
    /// Changes left out, and why (dismissed; every case of the client marked
    /// not affected or done).
    pub left_out: Vec<String>,
    /// The draft as Markdown.
    pub markdown: String,
}

/// The draft notice to `name`: the changes since `since` hitting its open
/// cases, bad news first; dismissed changes and cases marked not affected
/// or done left out (and said so at the end).
pub async fn notice(app: &App, name: &str, since: Option<&str>) -> Result<Notice, ServiceError> {
    let since_t = since_of(app, since, NOTICE_SINCE)?;
    let (name, cases) = find(app, name).await?;
    let changes = hitting(app, &cases, since_t, false).await?;
    let mut items = vec![];
    let mut left_out = vec![];
    for c in &changes {
        if c.review.state == "dismissed" {
            left_out.push(format!(
                "#{} {} (dismissed by {})",
                c.id,
                super::evidence::one_line(&c.title),
                c.review.by.as_deref().unwrap_or("a reviewer")
            ));
            continue;
        }
        let kept = notice_cases(c, &cases);
        if kept.is_empty() {
            left_out.push(format!(
                "#{} {} (every case marked not affected or done)",
                c.id,
                super::evidence::one_line(&c.title)
            ));
            continue;
        }
        items.push(notice_item(app, c, items.len() + 1, kept));
    }
    let mut hit: Vec<&str> = items
        .iter()
        .flat_map(|i| i.cases.iter().map(|k| k.id.as_str()))
        .collect();
    hit.sort();
    hit.dedup();
    let mut n = Notice {
        client: name,
        since: since_t.format("%Y-%m-%d").to_string(),
        prepared: app.clock.today().to_string(),
        high: items.iter().filter(|i| i.urgency == "high").count(),
        cases_hit: hit.len(),
        items,
        left_out,
        markdown: String::new(),
    };
    n.markdown = render_markdown(&n)?;
    Ok(n)
}

/// The client's cases a change hits that no reviewer has marked not
/// affected or done, as the notice names them.
fn notice_cases(c: &Change, cases: &[Case]) -> Vec<NoticeCase> {
    c.cases
        .iter()
        .filter(|m| !matches!(m.disposition.state.as_str(), "not_affected" | "done"))
        .map(|m| {
            let case = cases.iter().find(|k| k.id == m.id);
            NoticeCase {
                id: m.id.clone(),
                title: case.map(|k| k.title.clone()).unwrap_or_default(),
                country: case.map(|k| k.country.clone()).unwrap_or_default(),
                hs_codes: case
                    .map(|k| k.hs_codes.iter().map(|h| h.as_str().to_string()).collect())
                    .unwrap_or_default(),
                strength: m.strength.as_str(),
                reason: m.reason.clone(),
                disposition: m.disposition.state.clone(),
            }
        })
        .collect()
}

/// Item `n` of the notice: the change in plain words, with the cases it hits.
fn notice_item(app: &App, c: &Change, n: usize, cases: Vec<NoticeCase>) -> NoticeItem {
    let (what, _) = super::evidence::diff_excerpt(c, 600);
    NoticeItem {
        n,
        id: c.id,
        title: super::evidence::one_line(&c.title),
        urgency: c.urgency.as_str(),
        reasons: c.urgency_reasons.clone(),
        what: what
            .lines()
            .map(|l| l.trim_start_matches(['+', '-', ' ']).trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        jurisdiction: c.jurisdiction.clone(),
        source: if c.source == "field" {
            "seen in practice, not yet published (a field report)".to_string()
        } else {
            app.sources
                .get(&c.source)
                .map(|s| s.def.name.clone())
                .unwrap_or_else(|| c.source.clone())
        },
        link: c.link.clone(),
        url: c.url.clone(),
        detected: c.detected_at.format("%Y-%m-%d").to_string(),
        when: when_words(c),
        cases,
    }
}

/// When a change applies, in words: its effective date and deadline, or
/// that the text states none.
fn when_words(c: &Change) -> Vec<String> {
    let mut when = vec![];
    if let Some(d) = c.effective_date {
        when.push(format!("applies from {d}"));
    }
    if let Some(d) = c.deadline {
        when.push(format!("deadline {d}"));
    }
    if when.is_empty() {
        when.push(format!(
            "no date stated in the text (published or seen {})",
            c.detected_at.format("%Y-%m-%d")
        ));
    }
    when
}

const NOTICE_MD: &str = include_str!("templates/notice.md");

fn render_markdown(n: &Notice) -> Result<String, ServiceError> {
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.add_template("notice.md", NOTICE_MD)
        .map_err(|e| ServiceError::Internal(e.into()))?;
    env.get_template("notice.md")
        .and_then(|t| t.render(n))
        .map_err(|e| ServiceError::Internal(e.into()))
}

/// Keep the notice text an officer edited, with who and when.
pub async fn save_notice(
    app: &App,
    name: &str,
    body: &str,
    by: &str,
) -> Result<SavedNotice, ServiceError> {
    let (name, _) = find(app, name).await?;
    let body = body.replace("\r\n", "\n");
    if body.trim().is_empty() {
        return Err(ServiceError::invalid(
            "the notice is empty: write it (or start from the draft) before saving",
        ));
    }
    if body.chars().count() > MAX_NOTICE_CHARS {
        return Err(ServiceError::invalid(format!(
            "the notice is longer than {MAX_NOTICE_CHARS} characters"
        )));
    }
    let by = by.trim();
    if by.is_empty() {
        return Err(ServiceError::invalid(
            "say who saves the notice (--by NAME)",
        ));
    }
    app.store.save_notice(&name, &body, by, app.now()).await?;
    app.store
        .latest_notice(&name)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("the saved notice is not there")))
}

/// The latest saved notice of a client, if any.
pub async fn saved_notice(app: &App, name: &str) -> Result<Option<SavedNotice>, ServiceError> {
    let (name, _) = find(app, name).await?;
    Ok(app.store.latest_notice(&name).await?)
}

/// The notice's Markdown as an HTML document (the subset the notice uses:
/// headings, bullet lists, paragraphs, `**bold**`, `_italic_` and
/// `[text](http…)` links), every piece of text escaped.
pub fn markdown_to_html(title: &str, md: &str) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    out.push_str(&escape(title));
    out.push_str("</title>\n</head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;max-width:760px;margin:16px auto;color:#1d1f23;\">\n");
    out.push_str(&markdown_fragment(md));
    out.push_str("</body>\n</html>\n");
    out
}

/// The notice's Markdown as HTML elements (no document around them).
pub fn markdown_fragment(md: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    let mut para: Vec<String> = vec![];
    let flush = |para: &mut Vec<String>, out: &mut String| {
        if !para.is_empty() {
            out.push_str("<p>");
            out.push_str(&para.join("<br>\n"));
            out.push_str("</p>\n");
            para.clear();
        }
    };
    for line in md.lines() {
        let t = line.trim_end();
        let item = t
            .trim_start()
            .strip_prefix("- ")
            .or_else(|| t.trim_start().strip_prefix("* "));
        if item.is_none() && in_list {
            out.push_str("</ul>\n");
            in_list = false;
        }
        if t.trim().is_empty() {
            flush(&mut para, &mut out);
            continue;
        }
        let hashes = t.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') {
            flush(&mut para, &mut out);
            out.push_str(&format!(
                "<h{hashes}>{}</h{hashes}>\n",
                inline(t[hashes..].trim())
            ));
        } else if let Some(item) = item {
            flush(&mut para, &mut out);
            if !in_list {
                out.push_str("<ul>\n");
                in_list = true;
            }
            out.push_str(&format!("<li>{}</li>\n", inline(item.trim())));
        } else if t.trim() == "---" {
            flush(&mut para, &mut out);
            out.push_str("<hr>\n");
        } else {
            para.push(inline(t.trim()));
        }
    }
    if in_list {
        out.push_str("</ul>\n");
    }
    flush(&mut para, &mut out);
    out
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// One line's inline Markdown: links to http(s) only, bold, italics; the rest escaped.
fn inline(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let link = after.find("](").and_then(|close| {
            let url_part = &after[close + 2..];
            let end = url_part.find(')')?;
            Some((&after[..close], &url_part[..end], close + 2 + end + 1))
        });
        match link {
            Some((text, href, used))
                if href.starts_with("http://") || href.starts_with("https://") =>
            {
                out.push_str(&emphasis(&rest[..open]));
                out.push_str(&format!(
                    "<a href=\"{}\">{}</a>",
                    escape(href),
                    emphasis(text)
                ));
                rest = &rest[open + 1 + used..];
            }
            _ => {
                out.push_str(&emphasis(&rest[..open + 1]));
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(&emphasis(rest));
    out
}

/// `**bold**` and `_italic_` (whole words) around escaped text.
fn emphasis(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split("**").enumerate() {
        let e = escape(part);
        if i % 2 == 1 && s.matches("**").count() >= i {
            out.push_str(&format!("<strong>{e}</strong>"));
        } else {
            out.push_str(&e);
        }
    }
    if out.starts_with('_') && out.ends_with('_') && out.len() > 2 {
        return format!("<em>{}</em>", &out[1..out.len() - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_markdown_becomes_escaped_html() {
        let md = "# Notice to <Acme>\n\nHello **team**,\nline two\n\n- [source](https://x.example/a?b=1&c=2)\n- [bad](javascript:alert(1))\n\n_to be filled in_\n";
        let h = markdown_to_html("t", md);
        assert!(h.contains("<h1>Notice to &lt;Acme&gt;</h1>"), "{h}");
        assert!(
            h.contains("<p>Hello <strong>team</strong>,<br>\nline two</p>"),
            "{h}"
        );
        assert!(
            h.contains("<li><a href=\"https://x.example/a?b=1&amp;c=2\">source</a></li>"),
            "{h}"
        );
        assert!(!h.contains("href=\"javascript"), "{h}");
        assert!(h.contains("<em>to be filled in</em>"), "{h}");
        assert!(h.contains("</ul>"));
    }
}
