//! Charset decoding: BOM, then the HTTP header, then `<meta>` / XML
//! declaration, then detection. Turkish sites serve windows-1254 / ISO-8859-9.

use encoding_rs::{Encoding, UTF_8};

/// Decode `body` to a String (never fails: undecodable bytes become U+FFFD).
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let enc = detect(body, content_type);
    let (text, _, _) = enc.decode(body);
    text.into_owned()
}

pub fn detect(body: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(body) {
        return enc;
    }
    if let Some(label) = content_type.and_then(charset_param) {
        if let Some(enc) = Encoding::for_label(label.as_bytes()) {
            return prefer_utf8(body, enc);
        }
    }
    if let Some(label) = sniff_declared(body) {
        if let Some(enc) = Encoding::for_label(label.as_bytes()) {
            return prefer_utf8(body, enc);
        }
    }
    if std::str::from_utf8(body).is_ok() {
        return UTF_8;
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(body, true);
    det.guess(None, true)
}

/// Pages often declare a legacy charset while sending UTF-8 (DOF declares
/// ISO-8859-1 then UTF-8). Bytes that are valid UTF-8 and contain multi-byte
/// sequences are UTF-8 whatever the label says.
fn prefer_utf8(body: &[u8], declared: &'static Encoding) -> &'static Encoding {
    if declared != UTF_8 && !body.is_ascii() && std::str::from_utf8(body).is_ok() {
        UTF_8
    } else {
        declared
    }
}

fn charset_param(ct: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("charset") {
            Some(v.trim().trim_matches('"').trim_matches('\'').to_string())
        } else {
            None
        }
    })
}

/// The first charset declared in the first 4 KB: `<meta charset=…>`,
/// `<meta http-equiv content="…; charset=…">` or `<?xml encoding="…"?>`.
fn sniff_declared(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    for marker in ["charset=", "encoding="] {
        if let Some(pos) = head.find(marker) {
            let rest = &head[pos + marker.len()..];
            let rest = rest.trim_start_matches(['"', '\'', ' ']);
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let label = &rest[..end];
            if !label.is_empty() {
                return Some(label.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1254_from_meta() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1254
            .encode("<meta charset=\"windows-1254\"><p>Tıbbi Cihaz Yönetmeliği İŞĞ</p>");
        let s = decode(&bytes, Some("text/html"));
        assert!(s.contains("Tıbbi Cihaz Yönetmeliği İŞĞ"), "{s}");
    }

    #[test]
    fn header_wins_over_meta_and_utf8_wins_over_wrong_labels() {
        let (bytes, _, _) =
            encoding_rs::WINDOWS_1254.encode("<meta charset=\"utf-8\"><p>Gümrük ışık</p>");
        assert!(decode(&bytes, Some("text/html; charset=windows-1254")).contains("Gümrük ışık"));
        let utf8 = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"><p>Secretaría de Economía</p>";
        assert!(decode(utf8.as_bytes(), None).contains("Secretaría de Economía"));
    }

    #[test]
    fn undeclared_legacy_is_detected() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1254.encode("<p>Türkiye Cumhuriyeti Resmî Gazete, gümrük tarife cetveli değişikliği, ithalat rejimi kararı, yürürlüğe girer. Şubat, Çarşamba, Perşembe, Cumartesi.</p>");
        let s = decode(&bytes, None);
        assert!(s.contains("gümrük tarife cetveli değişikliği"), "{s}");
    }
}
