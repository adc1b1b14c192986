//! What both page extractors (the DOM path, `page.rs`, and the streaming
//! one, `stream/`) agree on: which elements hide their text, which break a
//! line, and how a link of the page becomes an absolute http(s) link.

/// Elements whose text is never part of a page's text.
pub(crate) const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "iframe",
];
/// Elements that start a new line of text.
pub(crate) const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "hr",
    "form",
    "td",
    "th",
    "main",
    "aside",
    "nav",
    "figure",
    "figcaption",
    "address",
    "center",
    "option",
];

/// A link of the page made absolute against its base, kept only when http(s)
/// (fragments and empty links are none).
pub fn absolute(base: &url::Url, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    // joined once: serializing it to parse it again was a third of the
    // URL work of a page's items
    let u = base.join(href).ok().filter(crate::util::is_http)?;
    Some(u.into())
}

#[cfg(test)]
mod tests {
    use super::absolute;

    #[test]
    fn links_made_absolute_are_http_and_parse_to_themselves() {
        let base = url::Url::parse("https://gazete.example.gov.tr/liste/2024/?p=2").unwrap();
        let cases = [
            (
                "../2023/karar.pdf",
                Some("https://gazete.example.gov.tr/liste/2023/karar.pdf"),
            ),
            (
                "  /duyuru?id=7#top ",
                Some("https://gazete.example.gov.tr/duyuru?id=7#top"),
            ),
            (
                "//cdn.example.com/a b.pdf",
                Some("https://cdn.example.com/a%20b.pdf"),
            ),
            ("HTTP://Example.COM", Some("http://example.com/")),
            ("#section", None),
            ("", None),
            ("mailto:info@example.gov.tr", None),
            ("javascript:void(0)", None),
            ("data:text/plain,x", None),
            ("file:///etc/passwd", None),
            ("http://[::1", None),
        ];
        for (href, want) in cases {
            let got = absolute(&base, href);
            assert_eq!(got.as_deref(), want, "{href:?}");
            if let Some(g) = got {
                // what the store keeps parses back to the same text
                assert_eq!(
                    crate::util::http_link(Some(&g)).as_deref(),
                    Some(g.as_str())
                );
            }
        }
    }
}
