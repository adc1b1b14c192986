//! `/feed.atom`: the change log as an Atom 1.0 feed (RFC 4287), with the
//! same filters as `/api/changes`.

use super::{ApiError, Params};
use crate::app::LiveApp;
use crate::model::Change;
use crate::services::changes;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

pub async fn atom(State(live): State<LiveApp>, RawQuery(q): RawQuery) -> Response {
    let app = live.current();
    let p = Params::parse(q.as_deref());
    let f = match p.change_query().checked(&app) {
        Ok(f) => f,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let changes = match changes::page(&app, &f).await {
        Ok((c, _)) => c,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let body = render(
        &app.config.server.base_url,
        &p.query_without(&["cursor"]),
        &changes,
        app.now(),
    );
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// XML text and attribute escaping, dropping characters XML 1.0 forbids.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The tag URI authority: the host of `[server].base_url`.
fn authority(base_url: &str) -> String {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into())
}

/// Entry ids are `tag:HOST,DATE:change/ID` with the detection date, so they
/// never change for a recorded change.
pub fn entry_id(base_url: &str, c: &Change) -> String {
    format!(
        "tag:{},{}:change/{}",
        authority(base_url),
        c.detected_at.format("%Y-%m-%d"),
        c.id
    )
}

pub fn render(base_url: &str, query: &str, changes: &[Change], now: DateTime<Utc>) -> String {
    let base = base_url.trim_end_matches('/');
    let self_url = if query.is_empty() {
        format!("{base}/feed.atom")
    } else {
        format!("{base}/feed.atom?{query}")
    };
    let alt_url = if query.is_empty() {
        format!("{base}/")
    } else {
        format!("{base}/?{query}")
    };
    let updated = changes.iter().map(|c| c.detected_at).max().unwrap_or(now);
    let title = if query.is_empty() {
        "regwatch: regulatory changes".to_string()
    } else {
        format!(
            "regwatch: regulatory changes ({})",
            query.replace('&', ", ")
        )
    };
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    x.push_str(&format!(
        "  <id>tag:{},2024:regwatch/feed{}</id>\n",
        xml_escape(&authority(base_url)),
        xml_escape(&if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        })
    ));
    x.push_str(&format!("  <title>{}</title>\n", xml_escape(&title)));
    x.push_str(&format!("  <updated>{}</updated>\n", rfc3339(updated)));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml_escape(&self_url)
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml_escape(&alt_url)
    ));
    x.push_str("  <author><name>regwatch</name></author>\n  <generator>regwatch</generator>\n");
    for c in changes {
        entry(&mut x, base_url, c);
    }
    x.push_str("</feed>\n");
    x
}

/// One change as an Atom entry.
fn entry(x: &mut String, base_url: &str, c: &Change) {
    let page = &c.url;
    x.push_str("  <entry>\n");
    x.push_str(&format!(
        "    <id>{}</id>\n",
        xml_escape(&entry_id(base_url, c))
    ));
    x.push_str(&format!(
        "    <title type=\"text\">[{}] {}</title>\n",
        xml_escape(&c.jurisdiction),
        xml_escape(&c.title)
    ));
    x.push_str(&format!(
        "    <updated>{}</updated>\n    <published>{}</published>\n",
        rfc3339(c.detected_at),
        rfc3339(c.detected_at)
    ));
    x.push_str(&format!(
        "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml_escape(page)
    ));
    if let Some(l) = crate::util::safe_link(c.link.as_deref()) {
        x.push_str(&format!(
            "    <link rel=\"related\" href=\"{}\"/>\n",
            xml_escape(&l)
        ));
    }
    for cat in &c.categories {
        x.push_str(&format!("    <category term=\"{}\"/>\n", xml_escape(cat)));
    }
    for hs in &c.hs_codes {
        x.push_str(&format!(
            "    <category term=\"HS {}\" scheme=\"urn:regwatch:hs\"/>\n",
            xml_escape(hs)
        ));
    }
    let mut summary = format!(
        "{} change from {} ({})",
        c.kind.as_str(),
        c.source,
        c.jurisdiction
    );
    if let Some(d) = c.effective_date {
        summary.push_str(&format!(", effective {d}"));
    }
    if let Some(g) = &c.gist {
        summary.push_str(&format!("\n{}: {}", crate::gist::label(g), g.text));
    }
    for m in &c.cases {
        summary.push_str(&format!("\nCase {}: {}", m.id, m.reason));
    }
    x.push_str(&format!(
        "    <summary type=\"text\">{}</summary>\n",
        xml_escape(&summary)
    ));
    let content = if c.diff.is_empty() {
        c.excerpt.clone()
    } else {
        c.diff.clone()
    };
    x.push_str(&format!(
        "    <content type=\"text\">{}</content>\n",
        xml_escape(&content)
    ));
    x.push_str("  </entry>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_title_is_escaped_and_the_feed_parses() {
        let c = Change {
            id: 7,
            source: "s".into(),
            jurisdiction: "TR".into(),
            detected_at: "2026-01-02T03:04:05Z".parse().unwrap(),
            kind: crate::model::ChangeKind::Added,
            title: "<img src=x onerror=alert(1)> & \u{1}".into(),
            link: Some("javascript:alert(1)".into()),
            excerpt: "e".into(),
            diff: "+ new <b>".into(),
            categories: vec!["telecom".into()],
            hs_codes: vec!["8517.62".into()],
            evidence: vec![],
            effective_date: None,
            deadline: None,
            excluded_hs_codes: vec![],
            chapters: vec![],
            member: None,
            urgency: Default::default(),
            review: Default::default(),
            urgency_reasons: vec![],
            story_id: 0,
            also_reported_by: vec![],
            gist: Some(crate::model::Gist {
                lang: "tr".into(),
                country: None,
                issuer: None,
                act_type: None,
                action: None,
                products: vec![],
                dates: vec![],
                text: "Türkiye · <script>alert(1)</script> & ]]>".into(),
            }),
            corrections: vec![],
            lead_days: None,
            origins: vec![],
            exempt_origins: vec![],
            hs_ranges: vec![],
            measures: vec![],
            dates: vec![],
            cases: vec![],
            author: None,
            url: "http://regwatch.example:8080/changes/7".into(),
        };
        let x = render(
            "http://regwatch.example:8080",
            "country=TR&hs=8517",
            &[c],
            crate::clock::Clock::at_date(2026, 6, 1).now(),
        );
        assert!(
            x.contains("&lt;img src=x onerror=alert(1)&gt; &amp; </title>"),
            "{x}"
        );
        assert!(!x.contains("javascript:"));
        assert!(x.contains("<id>tag:regwatch.example,2026-01-02:change/7</id>"));
        assert!(
            x.contains("English gist of the Turkish original (not a translation): Türkiye · &lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt;"),
            "{x}"
        );
        let feed = feed_rs::parser::parse(x.as_bytes()).unwrap();
        assert_eq!(feed.entries.len(), 1);
        assert!(feed.entries[0]
            .summary
            .as_ref()
            .unwrap()
            .content
            .contains("Türkiye · <script>alert(1)</script> & ]]>"));
        assert_eq!(
            feed.entries[0].links[0].href,
            "http://regwatch.example:8080/changes/7"
        );
    }
}
