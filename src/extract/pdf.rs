//! PDF bulletins to text (pdf-extract). The parser may panic on hostile
//! input: that is caught and reported as an unreadable PDF.

use super::ExtractError;
use crate::normalize::normalize_text;

pub fn extract(body: &[u8]) -> Result<String, ExtractError> {
    if !body.starts_with(b"%PDF-") {
        return Err(ExtractError::Pdf(
            "the response is not a PDF (no %PDF- header)".into(),
        ));
    }
    let owned = body.to_vec();
    let result = std::panic::catch_unwind(move || pdf_extract::extract_text_from_mem(&owned));
    match result {
        Ok(Ok(text)) => {
            let t = normalize_text(&text);
            if t.is_empty() {
                Err(ExtractError::Pdf("no text layer (a scanned image?)".into()))
            } else {
                Ok(t)
            }
        }
        Ok(Err(e)) => Err(ExtractError::Pdf(e.to_string())),
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
}
