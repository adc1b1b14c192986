//! HS-code extraction and arithmetic.
//!
//! Codes are recognised in the forms bulletins print them (`8517.62.00`,
//! `8517 62 00 00`, `85171300`, `85.17` after a cue word, `GTİP 8517.12.00.00.00`,
//! `Chapter 85` / `Fasıl 85` / `Chương 85` / `Capítulo 85`) and normalized to
//! digits grouped as 4 + pairs: `85`, `8517`, `8517.62`, `8517.62.00`,
//! `8517.62.00.90`, `8517.13.00.00.00`.

use regex::Regex;
use std::sync::LazyLock;

use crate::norm::fold_strip;

/// One code found in a text, with its byte span in the NFC text.
#[derive(Debug, Clone)]
pub(crate) struct HsHit {
    pub code: String,
    pub start: usize,
    pub end: usize,
    /// A chapter reference ("Chapter 85", "84-85. fasıllar").
    pub chapter: bool,
    /// The text excludes this code ("except 8517.62", "8517.62 hariç"):
    /// set by the clause reader (an exclusion clause).
    pub excluded: bool,
    /// For chapters: the reference as written ("Chapter 85").
    pub label: Option<String>,
    /// A chapter inside a range, not written itself (86 in "chapters 84 to
    /// 87"): it is one of the text's chapters but not one of its codes.
    pub in_range: bool,
    /// For the end of a range of chapters ("chapters 84 to 87", "84 ila
    /// 85. fasıllar"): the chapter the range starts with.
    pub range_from: Option<String>,
}

static RUN: LazyLock<Regex> =
    LazyLock::new(|| crate::re::compile(r"\d+(?:[., \u{a0}]\d+)*").unwrap());

/// Cue words that announce a tariff code, anywhere in the window before it.
static CUE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"(?:^|[^\w])(?:hs|gtip|gtp|g\.\s?t\.\s?i\.\s?p\.?|headings?|subheadings?|tariff|tarife|codes?|cn|taric|commodity|nhom|phan nhom|ma so|ma hs|partidas?|subpartidas?|fraccion(?:es)?|arancelarias?|hts|htsus|ex|pozisyon\w*|positions?|chuong|fasil|chapters?|capitulos?)(?:[^\w]|$)",
    )
    .unwrap()
});

/// Cue words right after a code: "85.17 pozisyonu", "8541.43 GTİP'lerinde".
static CUE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"^[\s'’)]{0,3}(?:alt\s+)?(?:pozisyon|gtip|gtp|g\.t\.i\.p|nico|heading|hs\b)",
    )
    .unwrap()
});

/// Tokens that make the following number a document, standard or law number
/// (on the same line: a title ending in "Tebliğ" or "Regulation" says
/// nothing of the number that opens the text under it).
static HARD_REJECT: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"(?:[#№=]|(?:^|[^\w])(?:(?:document|status|procedure|additional procedure|reason|authori[sz]ation|country|currency|postal|zip|area|activity|message|error|response|return|security|ticket|reference|tracking|promo|discount|access|verification) codes?|bond|invoice|account|order|serial|lot|batch|container|awb|b/l|bl|fatura|hesap|tai khoan|cuenta|factura|pedimento|entry|id|ids|uuid|guid|ref|referans|ticket|token|session|build|version|cfr|form|iso|iec|qcvn|tcvn|nom|csms|cip|sec\.?|section|part|article|art\.|madde(?:si)?|dieu|tel\.?|phone|fax|codigo|folio|expediente|decree|decision|quyet dinh|nghi dinh|thong tu|cong van|resolution|regulation|directive|law|kanun|ley|circular|case|dosya|karar|genelge|teblig|sayili|us\$|usd|eur|tl|vnd|mxn|gbp|yuzde|\$|€|£|₺))\s*[:.]?\s*$",
    )
    .unwrap()
});

/// "No." / "số" / "Sayı:" reject a number unless an HS cue comes before them
/// ("G.T.İ.P. No", "mã số HS").
static SOFT_REJECT: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"(?:^|[^\w])(?:no|nr|number|numero|num|so|sayi|sayisi)\s*[:.]?\s*$")
        .unwrap()
});

/// Units and currencies: a number followed by them is a quantity, not a code.
static UNIT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"^\s?(?:sayili|sayisi|numarali|nolu|tarihli|tl|try|usd|eur|euros?|vnd|dong|mxn|pesos?|gbp|ghz|mhz|khz|hz|kg|km|mm|cm|kw|kwh|mah|wh|w|v|kv|tons?|adet|units?|pcs|days?|ngay|gun|dias?|years?|yil|nam|percent|per cent|pct|por ciento|phan tram|%)(?:[^\w]|$)",
    )
    .unwrap()
});

/// Gap between two codes of one list: "8471, 8473 and 8486".
static LIST_GAP: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"^(?:[\s,;()/&]|ex\b|and\b|or\b|ve\b|veya\b|ile\b|ila\b|va\b|hoac\b|y\b|o\b|e\b|to\b|a\b|la\b|al\b|through\b|den\b|hasta\b|the\b)*$").unwrap()
});

/// "Chapter 85", "chapters 84 to 87", "capítulos 84 y 85", "Chương 85", "Fasıl 85".
static CHAPTER: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"(?i)\b(?:chapters?|fas[ıi]l(?:lar[ıi]?)?|ch(?:ương|uong)|cap[íi]tulos?|kapitel)\s+(\d{1,2}(?:\s*(?:,|-|–|\bto\b|\bthrough\b|\band\b|\bor\b|\bve\b|\bveya\b|\bile\b|\bvà\b|\bva\b|\bđến\b|\bden\b|\by\b|\bo\b|\be\b|\ba\b|\bal\b|\bhasta\b)\s*\d{1,2}\b)*)",
    )
    .unwrap()
});

/// Turkish "85. fasıl", "85 inci fasıl", "84-85. fasıllar", "84 ve 85. fasıllar".
static CHAPTER_TR_POSTFIX: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"(?i)\b(\d{2}(?:\.?\s*(?:-|–|,|\bve\b|\bila\b|\bile\b)\s*\d{2})*)\.?\s*(?:['’]?(?:inci|ıncı|nci|ncı|üncü|uncu|ncü)\s+)?fas[ıi]l",
    )
    .unwrap()
});

/// Separators inside a chapter list: which ones make a range.
static CHAPTER_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"(?i)(\d{1,2})|(-|–|\bto\b|\bthrough\b|\bđến\b|\bden\b|\ba\b|\bal\b|\bhasta\b|\bila\b)",
    )
    .unwrap()
});

/// Web addresses: their numbers are never codes.
static URL: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r#"(?i)(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>"'\])]+"#).unwrap()
});

/// File extensions: the name before one is never a code ("Ek-1_851713.pdf").
static FILE_EXT: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"(?i)\.(?:pdf|docx?|xlsx?|xml|json|csv|zip|rar|7z|html?|jsp|aspx?|php|jpe?g|png|gif|txt|rtf|odt|ods)(?-u:\b)").unwrap()
});

/// Query strings ("?v=851762", "&id=901830").
static QUERY: LazyLock<Regex> =
    LazyLock::new(|| crate::re::compile(r#"[?&][\w.\[\]%-]+=[^\s&<>"']*"#).unwrap());

/// Timestamps and clock times.
static CLOCK: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"(?i-u)\b\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:z|[+-]\d{2}:?\d{2})?|\b\d{1,2}:\d{2}(?::\d{2})?\b").unwrap()
});

/// Spans whose numbers are never codes: URLs, file names, query strings,
/// timestamps and clock times. Each pattern runs only when its telltale
/// character is in the text.
fn mask_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if text.contains("://") || text.contains("www.") {
        out.extend(URL.find_iter(text).map(|m| (m.start(), m.end())));
    }
    if text.contains('.') {
        for m in FILE_EXT.find_iter(text) {
            let head = &text[..m.start()];
            let start = head
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace() || "\"'(<[".contains(*c))
                .map_or(0, |(i, c)| i + c.len_utf8());
            out.push((start, m.end()));
        }
    }
    if text.contains('=') {
        out.extend(QUERY.find_iter(text).map(|m| (m.start(), m.end())));
    }
    if text.contains(':') {
        out.extend(CLOCK.find_iter(text).map(|m| (m.start(), m.end())));
    }
    out.extend(crate::cite::citation_spans(text));
    out
}

/// Connectors between the two ends of a range: "8528.42 to 8528.59", "85.01
/// a 85.04", "8501-8504", "partidas 2915 a la 2941", "8501 ila 8504", "từ
/// nhóm 8501 đến 8504".
static RANGE_GAP: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"^\s*(?:-|–|—|to|through|thru|a|a la|al|hasta|ila|den|den het|a partir de)\s*(?:(?:the\s+)?(?:sub)?headings?|(?:sub)?partidas?|fracci[oó]n(?:es)?|nhom|phan nhom|ma)?\s*$").unwrap()
});

/// Pairs of hits that are the two ends of a range (indices into `hits`).
pub(crate) fn range_pairs(text: &str, hits: &[HsHit]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..hits.len().saturating_sub(1) {
        let (a, b) = (&hits[i], &hits[i + 1]);
        if a.chapter || b.chapter || a.end > b.start {
            continue;
        }
        let (da, db) = (hs_digits(&a.code), hs_digits(&b.code));
        if da.len() != db.len() || da >= db || da[..2] != db[..2] && da.len() > 4 {
            continue;
        }
        if RANGE_GAP.is_match(&fold_strip(&text[a.end..b.start], false)) {
            out.push((i, i + 1));
        }
    }
    out
}

/// Whether `code` lies within the range `lo`..=`hi` (each end covering the
/// codes under it): "8528.52" is in "8528.42".."8528.59"; "8528.71" is not;
/// "8528" is not (it holds codes outside).
pub fn hs_in_range(code: &str, lo: &str, hi: &str) -> bool {
    let (c, l, h) = (hs_digits(code), hs_digits(lo), hs_digits(hi));
    if c.len() < 2 || l.len() < 2 || h.len() < 2 {
        return false;
    }
    let pad = |d: &str, fill: char| {
        let mut s = d.to_string();
        while s.len() < 12 {
            s.push(fill);
        }
        s
    };
    pad(&c, '0') >= pad(&l, '0') && pad(&c, '9') <= pad(&h, '9')
}

/// Byte spans after a cue word and a colon, to the end of the sentence:
/// every code-shaped number there is a listed code ("The following
/// commodity codes have been created: 2903290010 Hexachlorobutadiene (CAS
/// 87-68-3); 2903290090 Other; ...").
fn colon_lists(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices(':') {
        let before = window_before(text, i, 70);
        let clause = before.rsplit(['.', ';', '\n']).next().unwrap_or("");
        if !CUE_WORD.is_match(clause) {
            continue;
        }
        let rest = &text[i + 1..];
        let mut end = rest.len();
        let b = rest.as_bytes();
        for (j, &c) in b.iter().enumerate() {
            if c == b'\n' {
                end = j;
                break;
            }
            if c == b'.' {
                let next = rest[j + 1..].chars().next();
                let after = rest[j + 1..].trim_start().chars().next();
                if next.is_none_or(char::is_whitespace)
                    && after.is_none_or(|c| c.is_uppercase() && !c.is_ascii_digit())
                {
                    end = j;
                    break;
                }
            }
        }
        out.push((i + 1, i + 1 + end));
    }
    out
}

/// A cue word anywhere in a clause (for lists after a colon).
static CUE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"(?:^|[^\w])(?:hs|hts|htsus|gtip|gtp|(?:sub)?headings?|tariff (?:items?|lines?|codes?|numbers?)|commodity codes?|cn codes?|taric codes?|(?:sub)?partidas?|fracciones arancelarias|fraccion arancelaria|ma hs|ma so|pozisyon\w*)(?:[^\w]|$)",
    )
    .unwrap()
});

/// A year-like number (2022) is a heading only right after a heading word.
static CLOSE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"(?:^|[^\w])(?:headings?|subheadings?|partidas?|nhom|pozisyon\w*|positions?|tariff item)\s*:?\s*$").unwrap()
});

fn valid_chapter(ch: u32) -> bool {
    (1..=99).contains(&ch) && ch != 77
}

/// Format a digit string as an HS code: 4 digits then pairs.
/// HS digits written as bulletins write them: `851762` → `8517.62`.
pub fn format_digits(d: &str) -> String {
    if d.len() <= 4 {
        return d.to_string();
    }
    let mut out = String::with_capacity(d.len() + 4);
    out.push_str(&d[..4]);
    let rest = &d[4..];
    for (i, ch) in rest.chars().enumerate() {
        if i % 2 == 0 {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

fn digits_ok(d: &str) -> bool {
    matches!(d.len(), 2 | 4 | 6 | 8 | 10 | 12)
        && d.bytes().all(|b| b.is_ascii_digit())
        && valid_chapter(d[..2].parse().unwrap_or(0))
}

/// `"8517.62.00"` -> `"85176200"`.
pub fn hs_digits(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Normalize a code typed by a person: "8517.62", "851762", "8517 62 00",
/// "85.17", "HS 8517.62" -> "8517.62" / "8517.62.00" / "8517". `None` when the
/// input is not an HS code (wrong number of digits, stray characters, chapter
/// 00 or 77).
pub fn normalize_hs(input: &str) -> Option<String> {
    let t = input.trim();
    let t = t
        .strip_prefix("HS")
        .or_else(|| t.strip_prefix("hs"))
        .map(str::trim_start)
        .unwrap_or(t);
    let t = t.strip_prefix("ex ").unwrap_or(t).trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ' ' || c == '-')
    {
        return None;
    }
    if !t.starts_with(|c: char| c.is_ascii_digit()) || !t.ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // "85.17" dotted heading
    let groups: Vec<&str> = t.split(['.', ' ', '-']).filter(|g| !g.is_empty()).collect();
    if groups.len() == 2 && groups[0].len() == 2 && groups[1].len() == 2 {
        let d = format!("{}{}", groups[0], groups[1]);
        return digits_ok(&d).then(|| format_digits(&d));
    }
    if groups.len() > 1 && groups[0].len() != 4 {
        return None;
    }
    if groups.iter().skip(1).any(|g| g.len() != 2 && g.len() != 4) {
        return None;
    }
    let d = hs_digits(t);
    digits_ok(&d).then(|| format_digits(&d))
}

/// Longest shared code of two HS codes, for case matching ("HS 8517.62 ⊂
/// 8517"): when one is a prefix of the other, the shorter one; otherwise their
/// common prefix cut to a heading or subheading when it has at least 4 digits.
pub fn hs_overlap(a: &str, b: &str) -> Option<String> {
    let (a, b) = (hs_digits(a), hs_digits(b));
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.starts_with(short.as_str()) {
        return Some(format_digits(short));
    }
    shared_heading(&a, &b).map(format_digits)
}

/// The digits two codes' digits begin with alike, cut to whole pairs, when
/// they make at least a heading (`851762`, `851713` → `8517`): what
/// siblings under one heading share.
pub fn shared_heading<'a>(a: &'a str, b: &str) -> Option<&'a str> {
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let even = common - common % 2;
    (even >= 4).then(|| &a[..even])
}

#[derive(Clone, Copy, PartialEq)]
enum Need {
    /// Accepted on its form alone.
    Nothing,
    /// Needs a cue word nearby or to continue a list of codes.
    Cue,
    /// Looks like a year: needs a cue word right before it.
    CloseCue,
}

fn window_before(text: &str, start: usize, chars: usize) -> String {
    let head = &text[..start];
    let mut b = start;
    for (n, (i, _)) in head.char_indices().rev().enumerate() {
        b = i;
        if n + 1 >= chars {
            break;
        }
    }
    fold_strip(&text[b..start], false)
}

fn window_after(text: &str, end: usize, chars: usize) -> String {
    let tail = &text[end..];
    let e = tail
        .char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(tail.len());
    fold_strip(&tail[..e], false)
}

/// Every code-shaped number of an NFC text that reads as a goods code, with
/// its byte span. Which of them the text excludes is the clause reader's to
/// say.
pub(crate) fn extract_hits(text: &str) -> Vec<HsHit> {
    let mut hits: Vec<HsHit> = Vec::new();
    let masks = mask_spans(text);
    let masked = |a: usize, b: usize| masks.iter().any(|&(s, e)| a < e && s < b);
    let lists = if text.contains(':') {
        colon_lists(text)
    } else {
        Vec::new()
    };
    // candidates that lacked only a cue, for a cue that follows the list
    let mut waiting: Vec<(String, usize, usize)> = Vec::new();
    let bytes = text.as_bytes();
    let mut last_end: Option<usize> = None;
    for m in RUN.find_iter(text) {
        // groups of digits with the separator that precedes each
        let mut groups: Vec<(usize, usize, u8)> = Vec::new();
        let mut gs = m.start();
        let mut sep = 0u8;
        let mut i = m.start();
        while i < m.end() {
            if bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            groups.push((gs, i, sep));
            sep = match bytes[i] {
                b'.' => b'.',
                b',' => b',',
                _ => b' ',
            };
            // NBSP is two bytes
            i += if bytes[i] == 0xc2 { 2 } else { 1 };
            gs = i;
        }
        groups.push((gs, m.end(), sep));
        let len = |k: usize| groups[k].1 - groups[k].0;
        let mut k = 0;
        while k < groups.len() {
            let n = groups.len();
            let sep_at = |j: usize| if j < n { groups[j].2 } else { 0 };
            let mut digits = String::new();
            let end_k;
            let need;
            if len(k) == 4 && sep_at(k + 1) == b'.' && len(k + 1) == 2 {
                // dotted 4.2[.2...] or US 4.2.4
                let mut j = k + 1;
                digits.push_str(&text[groups[k].0..groups[k].1]);
                while j < n && groups[j].2 == b'.' {
                    let l = len(j);
                    let total = digits.len() + l;
                    if l == 2 && total <= 12
                        || l == 4 && total <= 10 && (j + 1 == n || groups[j + 1].2 != b'.')
                    {
                        digits.push_str(&text[groups[j].0..groups[j].1]);
                        j += 1;
                    } else {
                        break;
                    }
                }
                end_k = j;
                let year: u32 = digits[..4].parse().unwrap_or(0);
                let datey = (1900..=2099).contains(&year)
                    && digits.len() == 8
                    && (1..=12).contains(&digits[4..6].parse::<u32>().unwrap_or(0))
                    && (1..=31).contains(&digits[6..8].parse::<u32>().unwrap_or(0));
                need = if datey { Need::CloseCue } else { Need::Nothing };
            } else if len(k) == 4
                && sep_at(k + 1) == b','
                && len(k + 1) == 2
                && (k + 2 >= n || sep_at(k + 2) != b',')
            {
                // a decimal comma: "8517,62" (never "8,517" or "31,716,747")
                digits.push_str(&text[groups[k].0..groups[k].1]);
                digits.push_str(&text[groups[k + 1].0..groups[k + 1].1]);
                end_k = k + 2;
                need = Need::Cue;
            } else if len(k) == 2 && sep_at(k + 1) == b'.' && len(k + 1) == 2 {
                if sep_at(k + 2) == b'.' {
                    // a date (12.04.2016) or a version number: skip the chain
                    let mut j = k + 1;
                    while j < n && groups[j].2 == b'.' {
                        j += 1;
                    }
                    k = j;
                    continue;
                }
                digits.push_str(&text[groups[k].0..groups[k].1]);
                digits.push_str(&text[groups[k + 1].0..groups[k + 1].1]);
                end_k = k + 2;
                need = Need::Cue;
            } else if len(k) == 4 && sep_at(k + 1) == b' ' && len(k + 1) == 2 {
                let mut j = k + 1;
                digits.push_str(&text[groups[k].0..groups[k].1]);
                while j < n && groups[j].2 == b' ' && len(j) == 2 && digits.len() < 12 {
                    digits.push_str(&text[groups[j].0..groups[j].1]);
                    j += 1;
                }
                end_k = j;
                need = if digits.len() >= 8 {
                    Need::Nothing
                } else {
                    Need::Cue
                };
            } else if matches!(len(k), 4 | 6 | 8 | 10 | 12) {
                digits.push_str(&text[groups[k].0..groups[k].1]);
                end_k = k + 1;
                let year: u32 = if digits.len() == 4 {
                    digits.parse().unwrap_or(0)
                } else {
                    0
                };
                need = if (1900..=2099).contains(&year) {
                    Need::CloseCue
                } else if matches!(digits.len(), 4 | 10 | 12) {
                    // bare 10/12-digit runs are as often ids or epoch timestamps
                    Need::Cue
                } else if digits.len() == 8
                    && (1900..=2099).contains(&digits[..4].parse::<u32>().unwrap_or(0))
                {
                    // 20260115 reads as a date
                    Need::Cue
                } else {
                    Need::Nothing
                };
            } else {
                k += 1;
                continue;
            }
            let start = groups[k].0;
            let end = groups[end_k - 1].1;
            k = end_k;
            if !digits_ok(&digits) {
                continue;
            }
            if !boundaries_ok(text, start, end) || masked(start, end) {
                continue;
            }
            let before = window_before(text, start, 40);
            let cue_after = CUE_AFTER.is_match(&window_after(text, end, 20));
            let cue = CUE_BEFORE.is_match(&before) || cue_after;
            // on the number's own line: a title ending in "Tebliğ" says
            // nothing of the code that opens the text under it
            let line = text[..start].rfind('\n').map_or(0, |p| p + 1);
            if HARD_REJECT.is_match(&window_before(&text[line..], start - line, 40)) {
                continue;
            }
            if SOFT_REJECT.is_match(&before) && !cue {
                continue;
            }
            let in_list = last_end.is_some_and(|le| {
                le <= start && LIST_GAP.is_match(&fold_strip(&text[le..start], false))
            }) || lists.iter().any(|&(a, b)| a <= start && end <= b);
            let ok = match need {
                Need::Nothing => true,
                Need::Cue => cue || in_list,
                Need::CloseCue => CLOSE_CUE.is_match(&before),
            };
            let code = format_digits(&digits);
            if !ok {
                if need == Need::Cue {
                    waiting.push((code, start, end));
                }
                continue;
            }
            // a cue after the code covers the list before it: "0201 ve 0202
            // GTİP'li", "8471 ve 8473 pozisyonlarındaki"
            if cue_after {
                let mut at = start;
                let mut back = Vec::new();
                while let Some((c, s0, e0)) = waiting.pop() {
                    if e0 <= at && LIST_GAP.is_match(&fold_strip(&text[e0..at], false)) {
                        at = s0;
                        back.push((c, s0, e0));
                    } else {
                        break;
                    }
                }
                for (c, s0, e0) in back.into_iter().rev() {
                    hits.push(HsHit {
                        code: c,
                        start: s0,
                        end: e0,
                        chapter: false,
                        excluded: false,
                        label: None,
                        in_range: false,
                        range_from: None,
                    });
                }
            }
            waiting.clear();
            last_end = Some(end);
            hits.push(HsHit {
                code,
                start,
                end,
                chapter: false,
                excluded: false,
                label: None,
                in_range: false,
                range_from: None,
            });
        }
    }
    chapter_hits(text, &mut hits);
    hits.retain(|h| !masked(h.start, h.end));
    hits.sort_by_key(|h| (h.start, h.code.len()));
    hits
}

/// Digits and dots replaced by one shape: "85.01" -> "dd.dd".
fn shape(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect()
}

/// Whether the code at `start..end` is one end of a hyphenated range of two
/// codes of the same shape ("8501-8504", "85.01–85.04"), not a document
/// number or a date ("2012/DK-08/610", "2026-01-15").
fn hyphen_range_end(text: &str, start: usize, end: usize) -> bool {
    let me = shape(&text[start..end]);
    let run = |s: &str| -> usize {
        s.char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
            .map_or(s.len(), |(i, _)| i)
    };
    let tail = &text[end..];
    if let Some(rest) = tail
        .strip_prefix('-')
        .or_else(|| tail.strip_prefix('–'))
        .or_else(|| tail.strip_prefix('‐'))
    {
        let n = run(rest);
        let other = rest[..n].trim_end_matches('.');
        let after = rest[other.len()..].chars().next();
        if shape(other) == me && !after.is_some_and(|c| c.is_alphanumeric() || "-/–".contains(c))
        {
            return true;
        }
    }
    let head = &text[..start];
    if let Some(h) = head
        .strip_suffix('-')
        .or_else(|| head.strip_suffix('–'))
        .or_else(|| head.strip_suffix('‐'))
    {
        let n = h
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
            .last()
            .map_or(h.len(), |(i, _)| i);
        let other = &h[n..];
        let before = h[..n].chars().next_back();
        if shape(other) == me && !before.is_some_and(|c| c.is_alphanumeric() || "-/–.".contains(c))
        {
            return true;
        }
    }
    false
}

fn boundaries_ok(text: &str, start: usize, end: usize) -> bool {
    let range_end = hyphen_range_end(text, start, end);
    if let Some(p) = text[..start].chars().next_back() {
        if p.is_alphanumeric() || "/-‐–.,_#=$€£¥₺@".contains(p) && !(range_end && "-‐–".contains(p))
        {
            return false;
        }
    }
    let tail = &text[end..];
    let mut it = tail.chars();
    match it.next() {
        None => true,
        Some(c) if c.is_alphanumeric() || c == '/' || c == '%' => false,
        Some('-' | '‐' | '–') if range_end => true,
        Some('-' | '‐' | '–') => !it.next().is_some_and(|c| c.is_alphanumeric()),
        Some(',' | '.') => !it.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => !UNIT_AFTER.is_match(&window_after(text, end, 12)),
    }
}

/// What follows a chapter of an act rather than of the nomenclature: "(its
/// title) de la NOM ...", "of this Regulation", "del Reglamento", "của Luật",
/// "bu Yönetmeliğin".
static LEGAL_CHAPTER_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"(?i)^\s*(?:\([^)]{0,80}\)\s*)?(?:,\s*)?(?:(?:de|en)\s+(?:la|el|esta|este|dicha|dicho|las|los)\s+(?:nom\b|norma|ley|reglamento|acuerdo|decreto|anexo|disposici[oó]n|resoluci[oó]n|lineamientos)|del\s+(?:reglamento|acuerdo|decreto|anexo|presente|c[oó]digo)|of\s+(?:the|this|that)\s+(?:act|regulation|directive|decree|standard|law|convention|agreement|annex|code|order|proclamation|rules)\b|(?:c[uủ]a|t[aạ]i)\s+(?:lu[aậ]t|ngh[iị] [dđ][iị]nh|th[oô]ng t[uư]|quy chu[aẩ]n|quy[eế]t [dđ][iị]nh)|(?:bu|i[sş]bu|anılan)\s+(?:y[oö]netmeli|kanun|tebli[gğ]|karar))",
    )
    .unwrap()
});

/// The chapters of a list or range as written ("84 to 87", "84 y 85",
/// "84-85"). Ranges wider than 20 chapters ("chapters 1-97", the whole
/// nomenclature) name no chapter in particular and give none.
/// Each chapter: (number, inside a range, the start of the range it ends).
fn chapter_list(list: &str) -> Vec<(u32, bool, Option<u32>)> {
    let mut out: Vec<(u32, bool, Option<u32>)> = Vec::new();
    let mut range_open = false;
    for c in CHAPTER_ITEM.captures_iter(list) {
        if let Some(n) = c.get(1) {
            let n: u32 = n.as_str().parse().unwrap_or(0);
            match out.last().copied() {
                Some((a, _, _)) if range_open => {
                    if n <= a || n - a > 20 {
                        return Vec::new();
                    }
                    out.extend((a + 1..n).map(|k| (k, true, None)));
                    out.push((n, false, Some(a)));
                }
                _ => out.push((n, false, None)),
            }
            range_open = false;
        } else {
            range_open = !out.is_empty();
        }
    }
    out
}

fn chapter_hits(text: &str, hits: &mut Vec<HsHit>) {
    let push = |hits: &mut Vec<HsHit>,
                nums: Vec<(u32, bool, Option<u32>)>,
                start: usize,
                end: usize,
                label: &str| {
        for (n, in_range, from) in nums {
            // chapters 98 and 99 (national special provisions) named
            // alone are legal provisions, not goods
            if !valid_chapter(n) || n > 97 {
                continue;
            }
            let code = format!("{n:02}");
            if hits.iter().any(|h| h.start == start && h.code == code) {
                continue;
            }
            hits.push(HsHit {
                code,
                start,
                end,
                chapter: true,
                excluded: false,
                label: Some(label.to_string()),
                in_range,
                range_from: from
                    .filter(|a| valid_chapter(*a) && *a <= 97)
                    .map(|a| format!("{a:02}")),
            });
        }
    };
    for c in CHAPTER.captures_iter(text) {
        let (Some(all), Some(g)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let tail = &text[g.end()..];
        // headings ("85.17"), document numbers and open ranges are not chapter references
        if tail.starts_with(['-', '–', '/'])
            || tail.starts_with(|c: char| c.is_alphanumeric())
            || tail.starts_with('.') && tail[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        // a chapter of an act or a standard ("Capítulo 6 (Información
        // comercial) de la NOM-139-SCFI-2012", "Chapter 3 of this
        // Regulation", "Chương 2 của Luật") is no goods chapter
        if LEGAL_CHAPTER_TAIL.is_match(tail) {
            continue;
        }
        push(
            hits,
            chapter_list(g.as_str()),
            g.start(),
            g.end(),
            all.as_str().trim(),
        );
    }
    for c in CHAPTER_TR_POSTFIX.captures_iter(text) {
        let (Some(all), Some(g)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if text[..g.start()].ends_with(|ch: char| ch.is_alphanumeric() || ch == '.' || ch == '/') {
            continue;
        }
        if hits.iter().any(|h| h.start < g.end() && g.start() < h.end) {
            continue;
        }
        push(
            hits,
            chapter_list(g.as_str()),
            g.start(),
            g.end(),
            all.as_str().trim(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes a text names as codes, without reading its clauses.
    fn ex(s: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for h in extract_hits(&crate::norm::nfc(s)) {
            if !h.in_range && !out.contains(&h.code) {
                out.push(h.code);
            }
        }
        out
    }

    #[test]
    fn dotted_forms() {
        assert_eq!(
            ex("routers of subheading 8517.62.00 are"),
            vec!["8517.62.00"]
        );
        assert_eq!(
            ex("HTS 8517.13.0000 and 8473.30.1180"),
            vec!["8517.13.00.00", "8473.30.11.80"]
        );
        assert_eq!(
            ex("GTİP 8517.12.00.00.00 kapsamında"),
            vec!["8517.12.00.00.00"]
        );
        assert_eq!(
            ex("fracción arancelaria 8517.62.01 NICO 00"),
            vec!["8517.62.01"]
        );
        assert_eq!(ex("subpartida 1005.10 procedente"), vec!["1005.10"]);
    }

    #[test]
    fn spaced_and_plain_forms() {
        assert_eq!(ex("TARIC code 8517 62 00 00"), vec!["8517.62.00.00"]);
        assert_eq!(
            ex("CN codes ex 8427 10 10, ex 8427 20 90"),
            vec!["8427.10.10", "8427.20.90"]
        );
        assert_eq!(
            ex("DECT phones (HS 85171100), desktops (84714110)"),
            vec!["8517.11.00", "8471.41.10"]
        );
        assert_eq!(ex("commodity code 8517130000"), vec!["8517.13.00.00"]);
        assert_eq!(ex("CN code 8517 62"), vec!["8517.62"]);
    }

    #[test]
    fn headings_need_a_cue() {
        assert_eq!(ex("mã HS 8517 đối với"), vec!["8517"]);
        assert_eq!(ex("partida 85.17 de la TIGIE"), vec!["8517"]);
        assert_eq!(ex("85.17 pozisyonundaki eşya"), vec!["8517"]);
        assert_eq!(ex("thuộc nhóm 85.28"), vec!["8528"]);
        assert_eq!(
            ex("headings 8471, 8473 and 8486"),
            vec!["8471", "8473", "8486"]
        );
        assert!(ex("a ratio of 85.17 percent").is_empty());
        assert!(ex("Form FDA 2877 at entry; 21 CFR 1040 and 1030").is_empty());
        assert!(ex("the value rose by 8517 units").is_empty());
    }

    #[test]
    fn chapters() {
        assert_eq!(ex("goods of Chapter 85"), vec!["85"]);
        assert_eq!(ex("Fasıl 85 kapsamındaki"), vec!["85"]);
        assert_eq!(ex("85. fasılda yer alan"), vec!["85"]);
        assert_eq!(ex("hàng hóa thuộc Chương 85"), vec!["85"]);
        assert_eq!(ex("mercancías del Capítulo 85"), vec!["85"]);
        assert_eq!(
            ex("commodity codes in chapters 23, 85 and 90"),
            vec!["23", "85", "90"]
        );
        assert!(ex("the chapter 1-97 classification").is_empty());
    }

    #[test]
    fn look_alikes_rejected() {
        assert!(ex("Công văn số 8471/TCHQ-GSQL ngày").is_empty());
        assert!(ex("Công văn 8517/TCHQ-TXNK").is_empty());
        assert!(ex("harç 8.517,00 TL oldu").is_empty());
        assert!(ex("ücret 54.258 TL'ye yükseldi").is_empty());
        assert!(ex("on 12.04.2016 and 2026-01-15 and 15/01/2026").is_empty());
        assert!(ex("Regulation (EU) 2017/745 and Directive 2014/53/EU").is_empty());
        assert!(ex("CSMS # 60011750 – Announcement").is_empty());
        assert!(ex("DOF codigo=5752569 and FR 2024-12345").is_empty());
        assert!(ex("Sayı: 32909 and EN 55032, NOM-001-SCFI-2018").is_empty());
        assert!(ex("bands of 2.4 GHz and 5 GHz, version 1.1").is_empty());
        assert!(ex("from 1 January 2026 the 2025 rules").is_empty());
        assert!(ex("Decree 55/2025/ND-CP; QCVN 132:2022/BTTTT").is_empty());
    }

    #[test]
    fn chapter_99_is_extracted_but_plain() {
        assert_eq!(ex("report heading 9903.88.69 too"), vec!["9903.88.69"]);
    }

    #[test]
    fn normalize() {
        assert_eq!(normalize_hs("8517.62").as_deref(), Some("8517.62"));
        assert_eq!(normalize_hs("851762").as_deref(), Some("8517.62"));
        assert_eq!(normalize_hs("8517 62 00").as_deref(), Some("8517.62.00"));
        assert_eq!(normalize_hs("85.17").as_deref(), Some("8517"));
        assert_eq!(
            normalize_hs("HS 8517.13.00.00.00").as_deref(),
            Some("8517.13.00.00.00")
        );
        assert_eq!(normalize_hs("85").as_deref(), Some("85"));
        assert_eq!(normalize_hs("85176"), None);
        assert_eq!(normalize_hs("8517/62"), None);
        assert_eq!(normalize_hs("abc"), None);
        assert_eq!(normalize_hs("0017"), None);
        assert_eq!(hs_digits("8517.62.00"), "85176200");
    }

    #[test]
    fn overlap() {
        assert_eq!(hs_overlap("8517.62", "8517").as_deref(), Some("8517"));
        assert_eq!(hs_overlap("8517.62.00", "8517.69").as_deref(), Some("8517"));
        assert_eq!(
            hs_overlap("8517.62.10", "8517.62.90").as_deref(),
            Some("8517.62")
        );
        assert_eq!(hs_overlap("85", "8517.62").as_deref(), Some("85"));
        assert_eq!(hs_overlap("8517", "8518"), None);
    }

    #[test]
    fn numbers_in_urls_ids_timestamps_files_are_not_codes() {
        assert!(
            ex("see https://www.dof.gob.mx/nota_detalle.php?codigo=851762&fecha=01/02/2026")
                .is_empty()
        );
        assert!(ex("https://example.gov/uploads/2026/8517130000/annex").is_empty());
        assert!(ex("www.btk.gov.tr/duyuru/851713 adresinde").is_empty());
        assert!(ex("id: 900001 and ID 851762").is_empty());
        assert!(ex("styles.css?v=851762 loaded").is_empty());
        assert!(ex("Ek-1_851713.pdf ve liste 85171300.xlsx").is_empty());
        assert!(ex("updated 2026-01-15T10:20:30Z by the system").is_empty());
        assert!(ex("timestamp 1767225600 in the feed").is_empty());
        assert!(ex("at 08:51:17 local time").is_empty());
        assert!(ex("bond 85171300, invoice 85176200, account 8517130000").is_empty());
        assert!(ex("document code 9120 and status code AE").is_empty());
        assert!(ex("GTİP'lerine ilişkin 4458 sayılı Gümrük Kanunu").is_empty());
        // a cue after the list covers the codes before it
        assert_eq!(ex("0201 ve 0202 GTİP'li etler"), vec!["0201", "0202"]);
        // the code next to the URL is still read
        assert_eq!(
            ex("HS 8517.62 (https://x.gov/a?id=851762)"),
            vec!["8517.62"]
        );
    }

    #[test]
    fn us_hts_ten_digit_forms() {
        assert_eq!(ex("HTSUS 8517.13.0000 applies"), vec!["8517.13.00.00"]);
        assert_eq!(ex("HTS 8517.13.00.10 and"), vec!["8517.13.00.10"]);
        assert_eq!(ex("HTS 8517130000"), vec!["8517.13.00.00"]);
        assert_eq!(ex("subheading 8517130000"), vec!["8517.13.00.00"]);
        assert_eq!(
            ex("statistical reporting numbers 8517.13.0000, 8517.14.0000"),
            vec!["8517.13.00.00", "8517.14.00.00"]
        );
        // a bare 10-digit number without a cue is an id, not a code
        assert!(ex("call 8517130000 for help").is_empty());
    }

    #[test]
    fn chapter_ranges_and_lists() {
        assert_eq!(ex("chapters 84 to 85"), vec!["84", "85"]);
        // codes as written; the chapters inside the range are marked
        assert_eq!(ex("chapters 84 to 87"), vec!["84", "87"]);
        let h = extract_hits("chapters 84 to 87");
        let inside: Vec<&str> = h
            .iter()
            .filter(|h| h.in_range)
            .map(|h| h.code.as_str())
            .collect();
        assert_eq!(inside, vec!["85", "86"]);
        assert_eq!(ex("84-85. fasıllar"), vec!["84", "85"]);
        assert_eq!(ex("84 ve 85. fasıllarda"), vec!["84", "85"]);
        assert_eq!(ex("capítulos 84 y 85 de la TIGIE"), vec!["84", "85"]);
        assert_eq!(ex("Chương 84 đến 85"), vec!["84", "85"]);
        assert_eq!(ex("Fasıl 85"), vec!["85"]);
        assert!(ex("chapters 1 to 97 of the tariff").is_empty());
        let h = extract_hits("goods of Chapter 85 only");
        assert!(h[0].chapter);
        assert_eq!(h[0].label.as_deref(), Some("Chapter 85"));
    }
}
