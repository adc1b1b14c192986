//! Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) with feed-rs, keyed by our own
//! stable item key: guid, else canonical link, else hash of title and text.

use super::ExtractError;
use crate::model::{Content, Item};
use crate::normalize::{item_key, normalize_inline, strip_title};
use scraper::Html;

/// The id feed-rs gives an entry that has none: we mark it, then make our own.
const NO_ID: &str = "regwatch:no-id";

/// Feed text is HTML (escaped or not): rendered as such, so a line break
/// in it is a space unless markup makes it one.
fn html_to_text(s: &str) -> String {
    if !s.contains('<') {
        return normalize_inline(&decode_entities(s));
    }
    let frag = Html::parse_fragment(s);
    let none = std::collections::HashSet::new();
    super::page::element_text(frag.root_element(), &none)
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let frag = Html::parse_fragment(s);
    frag.root_element().text().collect()
}

pub fn extract(body: &[u8], url: &url::Url) -> Result<Content, ExtractError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ExtractError::Empty);
    }
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| NO_ID.to_string())
        .base_uri(Some(url.as_str()))
        .build();
    // The XML reader below feed-rs panics on some malformed documents (found
    // by fuzzing: a second encoding switch after its prefix buffer drained);
    // that is a malformed feed, not a crash.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(body)));
    let feed = match parsed {
        Ok(r) => r.map_err(|e| ExtractError::Feed(e.to_string()))?,
        Err(_) => {
            return Err(ExtractError::Feed(
                "the feed parser failed on this document".into(),
            ))
        }
    };
    let mut items = Vec::with_capacity(feed.entries.len());
    for e in feed.entries {
        let title = e
            .title
            .as_ref()
            .map(|t| normalize_inline(&html_to_text(&t.content)))
            .unwrap_or_default();
        let link = e
            .links
            .iter()
            .find(|l| l.rel.as_deref().map(|r| r == "alternate").unwrap_or(true))
            .or_else(|| e.links.first())
            .and_then(|l| url.join(l.href.trim()).ok())
            .map(|u| u.to_string());
        let summary = e.summary.as_ref().map(|s| html_to_text(&s.content));
        let body_text = e
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .map(html_to_text);
        let text = match (summary, body_text) {
            (Some(s), Some(b)) if !b.contains(&s) => format!("{s}\n{b}"),
            (_, Some(b)) => b,
            (Some(s), None) => s,
            (None, None) => String::new(),
        };
        let guid = (e.id != NO_ID && !e.id.trim().is_empty()).then_some(e.id.as_str());
        let key = item_key(guid, link.as_deref(), &title, &text);
        let text = strip_title(&text, &title);
        // the entry's own date, as the anchor of dates counted from
        // publication (not a date the text states)
        let published = e.published.or(e.updated).map(|d| d.date_naive());
        items.push(Item {
            key,
            title,
            link,
            text,
            published,
        });
    }
    Ok(Content::Items { items })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_parser_panic_is_a_malformed_feed() {
        let body =
            include_bytes!("../../tests/fixtures/fuzz/feed-quick-xml-set-encoding-panic.xml");
        let url = url::Url::parse("https://example.org/feed.xml").unwrap();
        let e = super::extract(body, &url).unwrap_err();
        assert!(e.to_string().starts_with("malformed feed"), "{e}");
    }

    use super::*;

    #[test]
    fn rss_items_keyed_by_guid_link_or_hash() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
          <item><title>With guid</title><guid>abc-1</guid><link>https://x.example/1</link><description>&lt;p&gt;Body &amp;amp; more&lt;/p&gt;</description></item>
          <item><title>Link only</title><link>/2?utm_source=rss</link></item>
          <item><description>No title, no link</description></item>
        </channel></rss>"#;
        let url = url::Url::parse("https://x.example/feed").unwrap();
        let Content::Items { items } = extract(rss.as_bytes(), &url).unwrap() else {
            panic!()
        };
        assert_eq!(items[0].key, "id:abc-1");
        assert_eq!(items[0].text, "Body & more");
        assert_eq!(items[1].key, "link:https://x.example/2");
        assert!(items[2].key.starts_with("hash:"));
        // Parsing again gives the same keys (feed-rs would invent random ids).
        let Content::Items { items: again } = extract(rss.as_bytes(), &url).unwrap() else {
            panic!()
        };
        assert_eq!(items, again);
    }

    #[test]
    fn malformed_xml_is_an_error() {
        let url = url::Url::parse("https://x.example/feed").unwrap();
        assert!(matches!(
            extract(b"<rss><channel><item><title>x</channel>", &url),
            Err(ExtractError::Feed(_))
        ));
        assert!(matches!(extract(b"   ", &url), Err(ExtractError::Empty)));
    }
}
