//! Text normalization shared by patterns and texts, so both are folded the
//! same way: NFC, lowercase with Turkish-aware folding of the four i's, and a
//! diacritic-stripped twin used by the one-pass automaton.
//!
//! Every folded form maps one NFC character to exactly one character, so byte
//! offsets can be carried between the forms through a per-character table.

use unicode_normalization::{
    char::decompose_canonical, is_nfc_quick, IsNormalized, UnicodeNormalization,
};

/// NFC form of `s`, borrowing when it already is NFC.
pub(crate) fn nfc(s: &str) -> std::borrow::Cow<'_, str> {
    if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

/// Lowercase one character to one character. Turkish İ, I, ı and i all fold to
/// `i`, so "GTİP", "GTIP", "gtıp" and "gtip" are equal whatever the language.
pub(crate) fn fold_char(c: char, hyphen_to_space: bool) -> char {
    match c {
        'İ' | 'I' | 'ı' => 'i',
        '-' | '‐' | '‑' | '–' | '—' if hyphen_to_space => ' ',
        '\t' | '\n' | '\r' | '\u{a0}' => ' ',
        '’' | 'ʼ' | '‘' => '\'',
        c if c.is_ascii() => c.to_ascii_lowercase(),
        c => {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        }
    }
}

/// The base letter of an already folded character: "ş" -> "s", "ệ" -> "e",
/// "đ" -> "d". Standalone combining marks are kept so the mapping stays 1:1.
pub(crate) fn strip_char(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    match c {
        'đ' => 'd',
        'ø' => 'o',
        'ł' => 'l',
        'æ' => 'a',
        _ => {
            let mut base = None;
            decompose_canonical(c, |d| {
                if base.is_none() {
                    base = Some(d);
                }
            });
            base.unwrap_or(c)
        }
    }
}

/// Fold a pattern or short string: NFC, lowercase, Turkish i's, hyphens to spaces.
pub(crate) fn fold(s: &str, hyphen_to_space: bool) -> String {
    nfc(s)
        .chars()
        .map(|c| fold_char(c, hyphen_to_space))
        .collect()
}

/// Fold and strip diacritics.
pub(crate) fn fold_strip(s: &str, hyphen_to_space: bool) -> String {
    nfc(s)
        .chars()
        .map(|c| strip_char(fold_char(c, hyphen_to_space)))
        .collect()
}

/// A text in three aligned forms.
pub(crate) struct Folded<'a> {
    pub nfc: std::borrow::Cow<'a, str>,
    pub folded: String,
    pub stripped: String,
    /// For every char index: (nfc byte, folded byte, stripped byte); one extra
    /// entry at the end holds the lengths.
    offsets: Vec<(u32, u32, u32)>,
    /// stripped byte offset -> char index (only valid at char boundaries).
    stripped_to_char: Vec<u32>,
}

impl<'a> Folded<'a> {
    pub fn new(text: &'a str, hyphen_to_space: bool) -> Folded<'a> {
        let nfc = nfc(text);
        let mut folded = String::with_capacity(nfc.len());
        let mut stripped = String::with_capacity(nfc.len());
        let mut offsets = Vec::with_capacity(nfc.len() + 1);
        let mut prev_space = true;
        for (b, c) in nfc.char_indices() {
            let f = fold_char(c, hyphen_to_space);
            // runs of white space count as one space, as in patterns
            if f == ' ' && prev_space {
                continue;
            }
            prev_space = f == ' ';
            let s = strip_char(f);
            offsets.push((b as u32, folded.len() as u32, stripped.len() as u32));
            folded.push(f);
            stripped.push(s);
        }
        offsets.push((nfc.len() as u32, folded.len() as u32, stripped.len() as u32));
        let mut stripped_to_char = vec![0u32; stripped.len() + 1];
        for (i, o) in offsets.iter().enumerate() {
            stripped_to_char[o.2 as usize] = i as u32;
        }
        Folded {
            nfc,
            folded,
            stripped,
            offsets,
            stripped_to_char,
        }
    }

    /// Char index of a stripped byte offset that lies on a char boundary.
    pub fn char_at_stripped(&self, byte: usize) -> usize {
        self.stripped_to_char[byte] as usize
    }

    pub fn folded_span(&self, c0: usize, c1: usize) -> &str {
        &self.folded[self.offsets[c0].1 as usize..self.offsets[c1].1 as usize]
    }

    pub fn nfc_span(&self, c0: usize, c1: usize) -> &str {
        &self.nfc[self.offsets[c0].0 as usize..self.offsets[c1].0 as usize]
    }

    /// The stripped char before char index `c`, if any.
    pub fn stripped_char_before(&self, c: usize) -> Option<char> {
        if c == 0 {
            return None;
        }
        let b = self.offsets[c].2 as usize;
        self.stripped[..b].chars().next_back()
    }

    pub fn stripped_char_at(&self, c: usize) -> Option<char> {
        let b = self.offsets.get(c)?.2 as usize;
        self.stripped[b..].chars().next()
    }

    /// Number of characters (runs of white space count as one).
    pub fn len_chars(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The NFC byte offset of char index `c` (the NFC length at the end).
    pub fn nfc_byte(&self, c: usize) -> usize {
        self.offsets[c.min(self.offsets.len() - 1)].0 as usize
    }

    /// The stripped byte offset of char index `c`.
    pub fn stripped_byte(&self, c: usize) -> usize {
        self.offsets[c.min(self.offsets.len() - 1)].2 as usize
    }

    /// The char index of an NFC byte offset: the char that starts there, or
    /// the next one (inside a collapsed run of white space).
    pub fn char_of_nfc_byte(&self, b: usize) -> usize {
        self.offsets.partition_point(|o| (o.0 as usize) < b)
    }

    /// The text's characters as written (NFC, case kept), one per char
    /// index; a run of white space that holds a line break is `'\n'`.
    pub fn nfc_chars(&self) -> Vec<char> {
        (0..self.len_chars())
            .map(|i| {
                let (a, b) = (self.offsets[i].0 as usize, self.offsets[i + 1].0 as usize);
                let c = self.nfc[a..].chars().next().unwrap_or(' ');
                if c.is_whitespace() && self.nfc[a..b].contains('\n') {
                    '\n'
                } else {
                    c
                }
            })
            .collect()
    }
}

/// A word character for boundary checks: letters, digits and combining marks.
pub(crate) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || ('\u{300}'..='\u{36f}').contains(&c)
}

/// Turkish case and possessive endings after a stem (in folded, stripped
/// form: ı -> i, ü -> u), and English plurals: "cihaz|ların", "ithalat|ında",
/// "telefon|larının", "router|s". Nothing else may follow a keyword.
static SUFFIX: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    crate::re::compile(
        r"^(?:(?:lar|ler)?(?:[iu]|s[iu]|y[iu]|n[iu])?n?(?:[iu]n|n[iu]n|[ae]|y[ae]|n[ae]|[dt][ae]|n[dt][ae]|[dt][ae]n|n[dt][ae]n|y?l[ae]|[dt][ae]ki|n[dt][ae]ki)?(?:ki)?|e?s)$",
    )
    .unwrap()
});

pub(crate) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The tagger's folding, for comparing keywords: NFC, lowercase with the
/// Turkish İ/I/ı/i all as `i`, hyphens and runs of white space as one space.
/// Diacritics are kept ("thiết bị y tế"); `contains_keyword` also matches
/// text written without them.
pub fn fold_public(text: &str) -> String {
    collapse(&fold(text, true))
}

/// Whether `keyword` occurs in `haystack` as whole words, folded as by
/// [`fold_public`]: case-blind (Turkish-aware), NFC, hyphens as spaces.
/// The last word may carry Turkish suffixes or an English plural ("tıbbi
/// cihaz" matches "TIBBİ CİHAZLARIN", "ithalat" matches "ithalatında"), but
/// nothing else ("IMEI" is not in "IMEIX"). Text written without diacritics
/// matches a keyword with them and the other way round ("thiet bi y te" /
/// "thiết bị y tế"); two different accented forms never match ("điện từ" is
/// not "điện tử").
pub fn contains_keyword(haystack: &str, keyword: &str) -> bool {
    KeywordText::new(haystack).contains(keyword)
}

/// The word a text must hold (as one of its [`KeywordText::keys`]) for
/// `keyword` to occur in it: the keyword's last word, folded and stripped
/// of diacritics as the search compares them; None for a keyword without
/// a letter or digit, which never occurs.
pub fn keyword_key(keyword: &str) -> Option<String> {
    collapse(&fold_strip(keyword, true))
        .split(|c: char| !is_word(c))
        .rfind(|w| !w.is_empty())
        .map(str::to_string)
}

/// A text folded once for many keyword searches: what
/// [`contains_keyword`] does for one keyword, without folding the text
/// again for each (a change searched for thousands of case keywords).
pub struct KeywordText<'a> {
    f: Folded<'a>,
}

impl<'a> KeywordText<'a> {
    pub fn new(haystack: &'a str) -> KeywordText<'a> {
        // offsets are kept in 32 bits: read at most 1 GiB
        let mut cut = haystack.len().min(1 << 30);
        while !haystack.is_char_boundary(cut) {
            cut -= 1;
        }
        KeywordText {
            f: Folded::new(&haystack[..cut], true),
        }
    }

    /// Every word of the text (diacritics stripped, folded) and each of its
    /// stems a keyword could end on ("cihazlarin" gives "cihazlarin",
    /// "cihazlar" and "cihaz"): a keyword can occur only if its
    /// [`keyword_key`] is among them, so a vocabulary of many keywords is
    /// looked up by these rather than each searched for.
    pub fn keys(&self) -> std::collections::BTreeSet<String> {
        let words: std::collections::BTreeSet<&str> = self
            .f
            .stripped
            .split(|c: char| !is_word(c))
            .filter(|w| !w.is_empty())
            .collect();
        let mut keys = std::collections::BTreeSet::new();
        for w in words {
            keys.insert(w.to_string());
            for (i, _) in w.char_indices().skip(1) {
                if SUFFIX.is_match(&w[i..]) {
                    keys.insert(w[..i].to_string());
                }
            }
        }
        keys
    }

    /// Whether `keyword` occurs in the text, as [`contains_keyword`] says.
    pub fn contains(&self, keyword: &str) -> bool {
        let f = &self.f;
        let kw_s = collapse(&fold_strip(keyword, true));
        if !kw_s.chars().any(is_word) || !f.stripped.contains(&kw_s) {
            return false;
        }
        let kw_f = collapse(&fold(keyword, true));
        let left_word = kw_s.starts_with(is_word);
        let right_word = kw_s.ends_with(is_word);
        let mut from = 0;
        while let Some(p) = f.stripped.get(from..).and_then(|t| t.find(&kw_s)) {
            let start = from + p;
            let end = start + kw_s.len();
            from = start + f.stripped[start..].chars().next().map_or(1, char::len_utf8);
            let c0 = f.char_at_stripped(start);
            let c1 = f.char_at_stripped(end);
            if left_word && f.stripped_char_before(c0).is_some_and(is_word) {
                continue;
            }
            let span = f.folded_span(c0, c1);
            if span != kw_f && !span.is_ascii() && !kw_f.is_ascii() {
                continue;
            }
            if !right_word {
                return true;
            }
            let rest = &f.stripped[end..];
            let suffix: &str = rest
                .char_indices()
                .find(|(_, c)| !is_word(*c))
                .map_or(rest, |(i, _)| &rest[..i]);
            if suffix.is_empty() || SUFFIX.is_match(suffix) {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyword_found_has_its_key_among_the_texts_keys() {
        let cases = [
            ("TIBBİ CİHAZLARIN ithalatında", "tıbbi cihaz"),
            ("thiết bị y tế nhập khẩu", "thiet bi y te"),
            ("routers and IMEI-registered phones", "router"),
            ("Model-104 yönlendiriciler", "model 104"),
            ("the C++ toolkit", "C++"),
            ("#5G bands", "#5g"),
        ];
        for (text, kw) in cases {
            let t = KeywordText::new(text);
            assert!(t.contains(kw), "{kw} in {text}");
            let key = keyword_key(kw).unwrap();
            assert!(t.keys().contains(&key), "{key} of {kw} in {:?}", t.keys());
        }
        assert_eq!(keyword_key("--"), None);
        assert_eq!(keyword_key("Tıbbi Cihaz"), Some("cihaz".into()));
        // a stem only where the rest is an ending: "imeix" gives no "imei"
        assert!(!KeywordText::new("IMEIX").keys().contains("imei"));
    }

    #[test]
    fn turkish_i_folds() {
        assert_eq!(fold("GTİP", false), "gtip");
        assert_eq!(fold("TIBBİ CİHAZ", false), "tibbi cihaz");
        assert_eq!(fold("tıbbi cihaz", false), "tibbi cihaz");
        assert_eq!(fold_strip("Şarj cihazı", false), "sarj cihazi");
    }

    #[test]
    fn vietnamese_nfd_and_strip() {
        let nfd: String = "thiết bị y tế".nfd().collect();
        assert_ne!(nfd, "thiết bị y tế");
        assert_eq!(fold(&nfd, false), "thiết bị y tế");
        assert_eq!(
            fold_strip("Trang thiết bị Y tế đạt", false),
            "trang thiet bi y te dat"
        );
        assert_eq!(
            fold_strip("điện thoại di động", false),
            "dien thoai di dong"
        );
    }

    #[test]
    fn folded_offsets_align() {
        let f = Folded::new("İthalat Şubat", true);
        assert_eq!(f.folded, "ithalat şubat");
        assert_eq!(f.stripped, "ithalat subat");
        let c0 = f.char_at_stripped(8);
        assert_eq!(f.nfc_span(c0, c0 + 5), "Şubat");
    }

    #[test]
    fn public_fold() {
        assert_eq!(fold_public("TIBBİ  CİHAZ"), "tibbi cihaz");
        assert_eq!(fold_public("İthalat-Rejimi"), "ithalat rejimi");
        let nfd: String = "Thiết Bị Y Tế".nfd().collect();
        assert_eq!(fold_public(&nfd), "thiết bị y tế");
    }

    #[test]
    fn keywords() {
        assert!(contains_keyword("TIBBİ CİHAZLARIN İTHALATI", "tıbbi cihaz"));
        assert!(contains_keyword("tıbbi cihazların kaydı", "cihaz"));
        assert!(contains_keyword(
            "cep telefonlarının ithalatında",
            "ithalat"
        ));
        assert!(contains_keyword("cep telefonlarının", "cep telefon"));
        assert!(contains_keyword("IMEI kaydı", "imei"));
        assert!(contains_keyword("IMEI'nin kaydı", "IMEI"));
        assert!(!contains_keyword("IMEIX kaydı", "IMEI"));
        assert!(!contains_keyword("a surcharge", "charge"));
        assert!(contains_keyword("new routers", "router"));
        assert!(contains_keyword("Wi-Fi access points", "wi fi"));
        assert!(contains_keyword("Nhap khau thiet bi y te", "thiết bị y tế"));
        assert!(contains_keyword("THIẾT BỊ Y TẾ", "thiet bi y te"));
        let nfd: String = "trang thiết bị y tế".nfd().collect();
        assert!(contains_keyword(&nfd, "thiết bị y tế"));
        assert!(!contains_keyword("điện từ trường", "điện tử"));
        assert!(contains_keyword("HS 8517.62 routers", "8517.62"));
        assert!(!contains_keyword("HS 8517.621", "8517.62"));
        assert!(!contains_keyword("anything", "  "));
    }
}
