//! PDF bulletins to text (pdf-extract). The parser may panic on hostile
//! input: that is caught and reported as an unreadable PDF.

use super::ExtractError;
use crate::normalize::normalize_text;

/// The deepest page tree we follow.
const MAX_PAGE_DEPTH: usize = 64;

/// `pdf_extract::extract_text_from_mem`, with the page tree checked first:
/// pdf-extract looks up inherited page attributes by walking `/Parent`
/// links without a bound, so a page that is its own ancestor made it loop
/// for ever (found by fuzzing).
fn read_text(body: &[u8]) -> Result<String, String> {
    use pdf_extract::{Document, Object};
    let mut doc = Document::load_mem(body).map_err(|e| e.to_string())?;
    if doc.is_encrypted() {
        doc.decrypt("")
            .map_err(|e| format!("the PDF is encrypted ({e})"))?;
    }
    for (n, page) in doc.get_pages() {
        let mut seen = std::collections::HashSet::new();
        let mut id = page;
        while let Some(parent) = doc
            .get_dictionary(id)
            .ok()
            .and_then(|d| d.get(b"Parent").ok())
            .and_then(|p: &Object| p.as_reference().ok())
        {
            if !seen.insert(parent) || seen.len() > MAX_PAGE_DEPTH {
                return Err(format!(
                    "the page tree of page {n} loops or is deeper than {MAX_PAGE_DEPTH} levels"
                ));
            }
            id = parent;
        }
    }
    let mut text = String::new();
    pdf_extract::output_doc(&doc, &mut pdf_extract::PlainTextOutput::new(&mut text))
        .map_err(|e| e.to_string())?;
    Ok(text)
}

pub fn extract(body: &[u8]) -> Result<String, ExtractError> {
    if !body.starts_with(b"%PDF-") {
        return Err(ExtractError::Pdf(
            "the response is not a PDF (no %PDF- header)".into(),
        ));
    }
    let owned = body.to_vec();
    let result = std::panic::catch_unwind(move || read_text(&owned));
    match result {
        Ok(Ok(text)) => {
            let t = normalize_text(&text);
            if t.is_empty() {
                Err(ExtractError::Pdf("no text layer (a scanned image?)".into()))
            } else {
                Ok(t)
            }
        }
        Ok(Err(e)) => Err(ExtractError::Pdf(e)),
        Err(_) => Err(ExtractError::Pdf(
            "the PDF parser failed on this file".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(super::extract(b"<html>").is_err());
        assert!(super::extract(b"%PDF-1.4\n garbage garbage").is_err());
    }

    /// Found by the extract_pdf fuzz target: a page whose /Parent is itself
    /// (and that lacks /Resources) made pdf-extract loop for ever.
    #[test]
    fn a_page_tree_cycle_is_an_error_not_a_hang() {
        let body = include_bytes!("../../tests/fixtures/fuzz/pdf-page-tree-cycle.pdf");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(super::extract(body));
        });
        let r = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the PDF reader returns");
        assert!(r.unwrap_err().to_string().contains("page tree"));
    }

    #[test]
    fn a_text_pdf_is_read() {
        let t = super::extract(include_bytes!("../../tests/fixtures/pdf/notice.pdf")).unwrap();
        assert!(t.contains("GTIP 8517.62"), "{t}");
        assert!(t.contains("01.07.2026"), "{t}");
    }
}
