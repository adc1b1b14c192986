//! Extraction: bytes of a fetched document -> normalized items or text.
//! Every function here is pure and synchronous (scraper's `Html` is not `Send`).

pub mod charset;
pub mod feed;
mod html;
pub mod json;
pub mod page;
pub mod pdf;
pub mod stream;
pub mod suggest;

use crate::model::{Content, SourceKind};
use crate::normalize::{apply_ignore, dedupe_keys};
use crate::rules::{CompiledRules, Css};

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ExtractError {
    #[error("blocked page: the response contains `{0}` (fail_if)")]
    Blocked(String),
    #[error("selector `{selector}` for `{key}` matched nothing: the page layout may have changed (check with `regwatch sources test`)")]
    SelectorEmpty { key: &'static str, selector: String },
    #[error("the document is empty after extraction")]
    Empty,
    /// The listing has no item (the message says why: an empty feed, an
    /// `item` selector or path that matched nothing). Whether that is a
    /// valid answer depends on the source and its last snapshot.
    #[error("{0}")]
    NoItems(String),
    /// A listing that had items yields none: a broken page or a failing
    /// query far more often than a source that really emptied.
    #[error("0 items where the last snapshot had {had} ({why})")]
    Emptied { had: usize, why: String },
    #[error("malformed feed: {0}")]
    Feed(String),
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("PDF could not be read: {0}")]
    Pdf(String),
    #[error("invalid rule: {0}")]
    Rule(String),
}

#[cfg(any(test, feature = "test-counters"))]
static EXTRACTIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many documents were extracted since the process started (a test
/// checks that a body fetched again byte for byte is not parsed again).
/// Counted for tests only (feature `test-counters`).
#[cfg(any(test, feature = "test-counters"))]
pub fn extraction_count() -> usize {
    EXTRACTIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Extract a source's content from a fetched body. The charset is decoded
/// here (header, BOM, `<meta>`, detection); `exclude`, `ignore` and
/// `fail_if` are applied; the result is normalized.
pub fn extract(
    kind: SourceKind,
    rules: &CompiledRules,
    body: &[u8],
    content_type: Option<&str>,
    url: &url::Url,
) -> Result<Content, ExtractError> {
    #[cfg(any(test, feature = "test-counters"))]
    EXTRACTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let is_pdf = kind == SourceKind::Pdf || body.starts_with(b"%PDF-");
    if !is_pdf && !rules.fail_if.is_empty() {
        let text = charset::decode(body, content_type);
        check_fail_if(&text, &rules.fail_if)?;
    }
    let ignore = &rules.ignore;
    // An item selector that matched nothing is a listing without items.
    let no_items = |e: ExtractError| match e {
        ExtractError::SelectorEmpty { key: "item", .. } => ExtractError::NoItems(e.to_string()),
        e => e,
    };
    let mut content = match kind {
        SourceKind::Feed => feed::extract(body, url)?,
        SourceKind::Page => {
            let text = charset::decode(body, content_type);
            page::extract(&text, &rules.page, url).map_err(no_items)?
        }
        SourceKind::Json => {
            let text = charset::decode(body, content_type);
            json::extract(&text, &rules.json, url).map_err(no_items)?
        }
        SourceKind::Pdf => {
            let text = pdf::extract(body)?;
            check_fail_if(&text, &rules.fail_if)?;
            Content::Text { text }
        }
    };
    match &mut content {
        Content::Items { items } => {
            for it in items.iter_mut() {
                it.title = apply_ignore(&it.title, ignore);
                it.text = apply_ignore(&it.text, ignore);
            }
            items.retain(|it| !(it.title.is_empty() && it.text.is_empty() && it.link.is_none()));
            if items.is_empty() {
                return Err(ExtractError::NoItems(match kind {
                    SourceKind::Feed => "the feed has no entries".into(),
                    _ => "no item left after extraction (`ignore` removed them all?)".into(),
                }));
            }
            dedupe_keys(items);
        }
        Content::Text { text } => {
            *text = apply_ignore(text, ignore);
            if text.trim().is_empty() {
                return Err(ExtractError::Empty);
            }
        }
    }
    Ok(content)
}

/// `fail_if` markers are lowercased when compiled.
pub fn check_fail_if(text: &str, fail_if: &[String]) -> Result<(), ExtractError> {
    let lower = text.to_lowercase();
    for f in fail_if {
        if lower.contains(f.as_str()) {
            return Err(ExtractError::Blocked(f.clone()));
        }
    }
    Ok(())
}

/// The text of a followed link (an HTML page or a PDF), for classification.
pub fn followed_text(
    body: &[u8],
    content_type: Option<&str>,
    url: &url::Url,
    content_selector: Option<&Css>,
) -> Result<String, ExtractError> {
    let is_pdf = body.starts_with(b"%PDF-")
        || content_type
            .map(|c| c.to_ascii_lowercase().contains("application/pdf"))
            .unwrap_or(false);
    let text = if is_pdf {
        pdf::extract(body)?
    } else {
        let html = charset::decode(body, content_type);
        page::main_text(&html, content_selector, url)?
    };
    if text.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    Ok(text)
}
