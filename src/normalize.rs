//! Normalization: Unicode NFC, whitespace and invisible characters folded,
//! `ignore` regexes applied, stable item keys and content hashes.

use crate::model::{Content, Item};
use regex::Regex;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// Characters that carry no meaning for a reader and often differ between
/// two renderings of the same page.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM/RLM
            | '\u{202A}'..='\u{202E}' // bidi embedding
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{FEFF}' // BOM / zero-width no-break space
            | '\u{180E}'
    ) || (c.is_control() && c != '\n' && c != '\t')
}

/// NFC, invisible characters removed, runs of spaces folded to one, lines
/// trimmed, blank lines dropped.
pub fn normalize_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(&nfc(s), '\n', &mut out);
    out
}

/// `s` in NFC (borrowed when it already is: always when ASCII).
fn nfc(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii()
        || unicode_normalization::is_nfc_quick(s.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

/// The words of each line of `s` one space apart, lines that have words
/// joined by `line_sep`, invisible characters dropped: one pass over `s`
/// (what used to be a filter, then a split into lines, then into words).
fn normalize_into(s: &str, line_sep: char, out: &mut String) {
    let mut line_start = true;
    let mut space = false;
    let mut rest = s;
    while let Some((c, piece)) = next_piece(&mut rest) {
        if c == '\n' {
            line_start = true;
            space = false;
        } else if is_invisible(c) {
            // Gone before the text is split: the characters around it join.
        } else if c.is_whitespace() {
            space = true;
        } else {
            if line_start {
                if !out.is_empty() {
                    out.push(line_sep);
                }
                line_start = false;
            } else if space {
                out.push(' ');
            }
            space = false;
            out.push_str(piece);
        }
    }
}

/// The next piece of `rest`, taken off it, with its first character: a run
/// of printable ASCII (`!` to `~`: no space, no control) whole, else one
/// character. Most of a page's text goes in runs, not a character at a
/// time; a run's characters all take the path of its first.
fn next_piece<'a>(rest: &mut &'a str) -> Option<(char, &'a str)> {
    let c = rest.chars().next()?;
    let run = rest
        .bytes()
        .position(|b| !b.is_ascii_graphic())
        .unwrap_or(rest.len());
    let (piece, tail) = rest.split_at(run.max(c.len_utf8()));
    *rest = tail;
    Some((c, piece))
}

/// Text as a browser renders a text node of HTML: every run of whitespace
/// (newlines and tabs of the markup, NBSP and the other Unicode spaces)
/// is one space, and invisible characters are gone. Only elements (block
/// elements, `<br>`) break lines; the caller adds those.
pub fn collapse_spaces(s: &str, out: &mut String) {
    let mut space = false;
    let mut rest = s;
    while let Some((c, piece)) = next_piece(&mut rest) {
        if c.is_whitespace() {
            space = true;
        } else if !is_invisible(c) {
            if space {
                out.push(' ');
                space = false;
            }
            out.push_str(piece);
        }
    }
    if space {
        out.push(' ');
    }
}

/// The words of a text, one space apart: what two renderings of the same
/// content share however their lines were broken. Diffs compare this.
pub fn rendered(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s
        .split(|c: char| c.is_whitespace() || is_invisible(c))
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// An item's text without its title: a listing's item (or a feed entry's
/// content) often starts with the title, which is already the title. The
/// title is removed where it is a whole line of the text, or where the text
/// starts with it; elsewhere the text is left alone.
pub fn strip_title(text: &str, title: &str) -> String {
    let title = title.trim();
    if title.is_empty() || !text.contains(title) {
        return text.to_string();
    }
    let mut lines: Vec<&str> = text.lines().collect();
    if let Some(i) = lines.iter().position(|l| l.trim() == title) {
        lines.remove(i);
        return lines.join("\n");
    }
    match text.strip_prefix(title) {
        Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim_start().to_string(),
        _ => text.to_string(),
    }
}

/// One line of text: everything folded onto a single line.
pub fn normalize_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(&nfc(s), ' ', &mut out);
    out
}

/// Remove what the `ignore` regexes match; a line left empty disappears.
pub fn apply_ignore(text: &str, ignore: &[Regex]) -> String {
    if ignore.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = std::borrow::Cow::Borrowed(line);
        for re in ignore {
            if re.is_match(&l) {
                l = std::borrow::Cow::Owned(re.replace_all(&l, "").into_owned());
            }
        }
        let t = l.trim();
        if !t.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&normalize_inline(t));
        }
    }
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A stable key for an item: its guid, else its canonical link, else a hash of
/// its normalized title and text.
pub fn item_key(guid: Option<&str>, link: Option<&str>, title: &str, text: &str) -> String {
    if let Some(g) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return format!("id:{g}");
    }
    if let Some(l) = link.and_then(canonical_link) {
        return format!("link:{l}");
    }
    let mut h = Sha256::new();
    h.update(normalize_inline(title).as_bytes());
    h.update([0]);
    h.update(normalize_text(text).as_bytes());
    format!("hash:{}", &hex::encode(h.finalize())[..32])
}

/// A link without fragment and without tracking/session parameters.
pub fn canonical_link(link: &str) -> Option<String> {
    let mut u = url::Url::parse(link.trim()).ok()?;
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !(k.starts_with("utm_")
                || k == "fbclid"
                || k == "gclid"
                || k == "jsessionid"
                || k == "phpsessid"
                || k == "sid"
                || k == "sessionid")
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(u.to_string())
}

/// Make keys unique inside one snapshot (two items with the same link get
/// `#2`, `#3` suffixes in document order).
pub fn dedupe_keys(items: &mut [Item]) {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for it in items.iter_mut() {
        let n = seen.entry(it.key.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            it.key = format!("{}#{}", it.key, n);
        }
    }
}

/// The content hash of a snapshot: identical content is stored once.
pub fn content_hash(c: &Content) -> String {
    sha256_hex(content_json(c).as_bytes())
}

/// A snapshot's content as JSON: what [`content_hash`] hashes, and what the
/// store keeps (compressed). A poll serializes it once for both.
pub fn content_json(c: &Content) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// normalize_text as it was written before it became one pass.
    fn normalize_text_reference(s: &str) -> String {
        let nfc: String = s.nfc().collect();
        let nfc: String = nfc.chars().filter(|c| !is_invisible(*c)).collect();
        let mut out = String::new();
        for line in nfc.lines() {
            let mut first = true;
            for word in line
                .split(|c: char| c.is_whitespace())
                .filter(|w| !w.is_empty())
            {
                if first {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    first = false;
                } else {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
        out
    }

    /// collapse_spaces as it was written before it copied ASCII runs whole.
    fn collapse_spaces_reference(s: &str) -> String {
        let mut out = String::new();
        let mut space = false;
        for c in s.chars() {
            if c.is_whitespace() {
                space = true;
            } else if !is_invisible(c) {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push(c);
            }
        }
        if space {
            out.push(' ');
        }
        out
    }

    #[test]
    fn one_pass_normalization_is_the_old_one() {
        let pieces = [
            "a",
            "Ş",
            "e\u{0301}",
            " ",
            "\n",
            "\r\n",
            "\r",
            "\t",
            "\u{00A0}",
            "\u{2028}",
            "\u{200B}",
            "\u{00AD}",
            "\u{FEFF}",
            "\u{0085}",
            "\x0B",
            "\x0C",
            "\0",
            "İ",
            "  \n\n ",
            "word",
            "a.b/c",
            "\u{3000}",
            "\u{202E}",
        ];
        // Every sequence of up to 4 pieces.
        let n = pieces.len();
        let mut count = 0;
        for len in 0..=4u32 {
            for mut k in 0..n.pow(len) {
                let mut s = String::new();
                for _ in 0..len {
                    s.push_str(pieces[k % n]);
                    k /= n;
                }
                assert_eq!(normalize_text(&s), normalize_text_reference(&s), "{s:?}");
                assert_eq!(
                    normalize_inline(&s),
                    normalize_text_reference(&s).replace('\n', " "),
                    "{s:?}"
                );
                let mut collapsed = String::from("x");
                collapse_spaces(&s, &mut collapsed);
                assert_eq!(
                    collapsed,
                    format!("x{}", collapse_spaces_reference(&s)),
                    "{s:?}"
                );
                let words: Vec<&str> = s
                    .split(|c: char| c.is_whitespace() || is_invisible(c))
                    .filter(|w| !w.is_empty())
                    .collect();
                assert_eq!(rendered(&s), words.join(" "), "{s:?}");
                count += 1;
            }
        }
        assert!(count > 200_000);
    }

    #[test]
    fn folds_whitespace_invisibles_and_nfc() {
        let s = "  Tıbbi\u{00A0}Cihaz \u{200B}Yönetmeliği \n\n\t  e\u{0301}tat  ";
        assert_eq!(normalize_text(s), "Tıbbi Cihaz Yönetmeliği\nétat");
    }

    #[test]
    fn collapses_like_a_browser() {
        let mut out = String::new();
        collapse_spaces(
            "Telsiz\n\t ekipmanları\u{00A0}\u{2003}yönetmeliği\u{200B}.",
            &mut out,
        );
        assert_eq!(out, "Telsiz ekipmanları yönetmeliği.");
        assert_eq!(rendered(" a\n b\u{00A0} c\u{FEFF} "), "a b c");
    }

    #[test]
    fn title_is_not_repeated_in_the_text() {
        assert_eq!(strip_title("Duyuru A\nMetin bir", "Duyuru A"), "Metin bir");
        assert_eq!(strip_title("İkinci metin iki", "İkinci"), "metin iki");
        assert_eq!(
            strip_title("25.11.2026\nDuyuru A\nMetin", "Duyuru A"),
            "25.11.2026\nMetin"
        );
        assert_eq!(strip_title("Duyuru A", "Duyuru A"), "");
        assert_eq!(
            strip_title("Duyuru AB metin", "Duyuru A"),
            "Duyuru AB metin"
        );
        assert_eq!(
            strip_title("see Duyuru A here", "Duyuru A"),
            "see Duyuru A here"
        );
        assert_eq!(strip_title("metin", ""), "metin");
    }

    #[test]
    fn ignore_removes_matches_and_empty_lines() {
        let re = vec![
            Regex::new(r"Güncelleme: .*").unwrap(),
            Regex::new(r"^\d{2}:\d{2}$").unwrap(),
        ];
        let t = "Duyuru A\nGüncelleme: 25.11.2026 10:02\n12:30\nDuyuru B — Güncelleme: dün";
        assert_eq!(apply_ignore(t, &re), "Duyuru A\nDuyuru B —");
    }

    #[test]
    fn keys_prefer_guid_then_link_then_hash() {
        assert_eq!(item_key(Some("g1"), Some("https://a/x"), "t", ""), "id:g1");
        assert_eq!(
            item_key(None, Some("https://a/x?utm_source=rss&id=3#top"), "t", ""),
            "link:https://a/x?id=3"
        );
        let a = item_key(None, None, "Title  one", "body");
        let b = item_key(None, None, "Title one", "body");
        assert_eq!(a, b);
        assert!(a.starts_with("hash:"));
    }
}
