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
    crate::util::http_link(Some(base.join(href).ok()?.as_str()))
}
