//! Effective dates: "yürürlüğe girer", "có hiệu lực", "entrará en vigor",
//! "effective", "1 Ocak 2026 itibarıyla", "a partir del", "with effect from".
//!
//! The text is folded (lowercase, Turkish i's, no diacritics) so the patterns
//! below are plain ASCII. A date counts only when a cue is next to it: before
//! it for English, Spanish and Vietnamese, after it for Turkish.

use chrono::{Datelike, Days, NaiveDate};
use regex::Regex;
use std::sync::LazyLock;

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("sept", 9),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("ocak", 1),
    ("subat", 2),
    ("mart", 3),
    ("nisan", 4),
    ("mayis", 5),
    ("haziran", 6),
    ("temmuz", 7),
    ("agustos", 8),
    ("eylul", 9),
    ("ekim", 10),
    ("kasim", 11),
    ("aralik", 12),
];

fn month_alt() -> String {
    let mut names: Vec<&str> = MONTHS.iter().map(|m| m.0).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.join("|")
}

fn month_num(name: &str) -> Option<u32> {
    MONTHS.iter().find(|m| m.0 == name).map(|m| m.1)
}

static DMY_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|°)?(?:\s+de)?\s+({})\b(?:'\w+)?\.?(?:\s*,?\s*(?:del?\s+)?(\d{{4}})\b)?",
        month_alt()
    ))
    .unwrap()
});
static MDY_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b({})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?",
        month_alt()
    ))
    .unwrap()
});
static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b").unwrap());
static ISO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").unwrap());
static VI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})\s+thang\s+(\d{1,2})(?:\s*(?:,\s*)?nam\s+(\d{4}))?\b").unwrap()
});

/// Cue before a date, at most ~35 characters before it, same sentence.
static CUE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^\w])(het\s+)?(effective|with effect|takes? effect|taking effect|took effect|into force|in force|entry into|appl(?:y|ies|ied|icable|ication)|from|as of|starting|beginning|commencing|a partir|vigor|vigencia|vigente|desde|hieu luc|tu ngay|ke tu|ap dung|bat dau)\b[^.;!?]{0,35}$",
    )
    .unwrap()
});

/// Cue after a date (Turkish, "onwards").
static CUE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^.;!?]{0,30}?(?:itibar\w*|yururluge|gecerli olmak|uygulanmaya|onwards|tro di)")
        .unwrap()
});

/// Dates relative to the publication (reference) date.
static RELATIVE: LazyLock<Vec<(Regex, Option<u64>)>> = LazyLock::new(|| {
    let r = |s: &str| Regex::new(s).unwrap();
    vec![
        // +N days
        (
            r(r"yayim\w*\s+(?:tarihinden\s+)?(\d{1,3})\s+gun\s+sonra\s+yururluge"),
            None,
        ),
        (
            r(r"hieu luc\s+(?:thi hanh\s+)?(?:sau|ke tu sau)\s+(\d{1,3})\s+ngay"),
            None,
        ),
        (
            r(
                r"a los\s+(\d{1,3})\s+dias\s+(?:naturales\s+|habiles\s+)?(?:siguientes|posteriores)\s+(?:a|al de)\s+(?:la fecha de\s+)?su publicacion",
            ),
            None,
        ),
        (
            r(
                r"(\d{1,3})\s+days\s+(?:after|following)\s+(?:the date of\s+)?(?:its\s+)?publication",
            ),
            None,
        ),
        (
            r(r"(twentieth|twenty)\s+day\s+following\s+(?:that of\s+)?its\s+publication"),
            Some(20),
        ),
        // next day
        (
            r(
                r"(?:dia\s+siguiente|dia\s+habil\s+siguiente)\s+(?:al\s+de|al|de)\s+(?:la fecha de\s+)?su\s+publicacion",
            ),
            Some(1),
        ),
        (
            r(r"(?:day|date)\s+following\s+(?:that of\s+)?(?:its\s+)?publication"),
            Some(1),
        ),
        (r(r"yayim\w*\s+izleyen\s+gun"), Some(1)),
        // same day
        (
            r(r"yayim\w*\s+tarihinde\s+(?:yururluge|yururlukte)"),
            Some(0),
        ),
        (
            r(r"hieu luc\s+(?:thi hanh\s+)?(?:ke\s+)?tu\s+ngay\s+(?:ky|ban hanh)"),
            Some(0),
        ),
        (
            r(
                r"(?:entrara|entra)\s+en\s+vigor\s+(?:el\s+)?(?:mismo\s+)?dia\s+de\s+su\s+publicacion",
            ),
            Some(0),
        ),
        (
            r(
                r"(?:into force|effect|effective)\s+(?:on\s+)?(?:the\s+)?(?:day|date)\s+of\s+(?:its\s+)?publication|effective immediately|with immediate effect|upon publication",
            ),
            Some(0),
        ),
    ]
});

/// Cheap pre-check: every relative pattern contains one of these.
static RELATIVE_GATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"publica|yayim|hieu luc|immediate|upon publication").unwrap());

struct Found {
    start: usize,
    end: usize,
    date: Option<NaiveDate>,
}

fn ymd(y: Option<&str>, m: u32, d: &str, reference: NaiveDate) -> Option<NaiveDate> {
    let d: u32 = d.parse().ok()?;
    let y: i32 = match y {
        Some(y) => y.parse().ok()?,
        None => reference.year(),
    };
    NaiveDate::from_ymd_opt(y, m, d)
}

fn all_dates(t: &str, reference: NaiveDate) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    for c in DMY_TEXT.captures_iter(t) {
        let m = c.get(0).unwrap();
        let date =
            month_num(&c[2]).and_then(|mo| ymd(c.get(3).map(|x| x.as_str()), mo, &c[1], reference));
        out.push(Found {
            start: m.start(),
            end: m.end(),
            date,
        });
    }
    for c in MDY_TEXT.captures_iter(t) {
        let m = c.get(0).unwrap();
        // "may 5" is a month; "mar" and "may" as words are too ambiguous without a year
        if c.get(3).is_none() && c[1].len() <= 3 {
            continue;
        }
        let date =
            month_num(&c[1]).and_then(|mo| ymd(c.get(3).map(|x| x.as_str()), mo, &c[2], reference));
        out.push(Found {
            start: m.start(),
            end: m.end(),
            date,
        });
    }
    for c in NUMERIC.captures_iter(t) {
        let m = c.get(0).unwrap();
        let (a, b): (u32, u32) = (c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0));
        let (d, mo) = if b > 12 && a <= 12 { (b, a) } else { (a, b) };
        let date = ymd(Some(&c[3]), mo, &d.to_string(), reference);
        out.push(Found {
            start: m.start(),
            end: m.end(),
            date,
        });
    }
    for c in ISO.captures_iter(t) {
        let m = c.get(0).unwrap();
        let date = ymd(Some(&c[1]), c[2].parse().unwrap_or(0), &c[3], reference);
        out.push(Found {
            start: m.start(),
            end: m.end(),
            date,
        });
    }
    for c in VI.captures_iter(t) {
        let m = c.get(0).unwrap();
        let date = ymd(
            c.get(3).map(|x| x.as_str()),
            c[2].parse().unwrap_or(0),
            &c[1],
            reference,
        );
        out.push(Found {
            start: m.start(),
            end: m.end(),
            date,
        });
    }
    out.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    // drop dates nested in a longer one
    let mut kept: Vec<Found> = Vec::new();
    for f in out {
        if kept.last().is_some_and(|k| f.start < k.end) {
            continue;
        }
        kept.push(f);
    }
    kept
}

/// The date a rule takes effect, when the text states it. `reference` is the
/// publication date: it resolves "on its publication date", "al día siguiente
/// de su publicación", dates written without a year, and similar.
pub fn effective_date(text: &str, lang: Option<&str>, reference: NaiveDate) -> Option<NaiveDate> {
    let _ = lang; // cues of all languages are tried: notices mix languages
    let t = crate::norm::fold_strip(text, false);
    for f in all_dates(&t, reference) {
        let Some(date) = f.date else { continue };
        let head = &t[..f.start];
        let from = head
            .char_indices()
            .rev()
            .nth(60)
            .map(|(i, _)| i)
            .unwrap_or(0);
        if let Some(c) = CUE_BEFORE.captures(&head[from..]) {
            // "hết hiệu lực" = expires, not takes effect
            if c.get(1).is_none() {
                return Some(date);
            }
        }
        if CUE_AFTER.is_match(&t[f.end..]) {
            return Some(date);
        }
    }
    let mut best: Option<(usize, NaiveDate)> = None;
    if !RELATIVE_GATE.is_match(&t) {
        return None;
    }
    for (re, fixed) in RELATIVE.iter() {
        if let Some(c) = re.captures(&t) {
            let days = match fixed {
                Some(d) => *d,
                None => c[1].parse().unwrap_or(0),
            };
            let pos = c.get(0).unwrap().start();
            if let Some(d) = reference.checked_add_days(Days::new(days)) {
                if best.is_none_or(|(p, _)| pos < p) {
                    best = Some((pos, d));
                }
            }
        }
    }
    best.map(|b| b.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn eff(s: &str, lang: &str) -> Option<NaiveDate> {
        effective_date(s, Some(lang), d(2026, 3, 14))
    }

    #[test]
    fn turkish() {
        assert_eq!(
            eff(
                "IMEI kayıt harcı 1 Ocak 2026 itibarıyla 54.258 TL'ye yükseldi",
                "tr"
            ),
            Some(d(2026, 1, 1))
        );
        assert_eq!(
            eff("Bu Tebliğ 01.07.2026 tarihinde yürürlüğe girer.", "tr"),
            Some(d(2026, 7, 1))
        );
        assert_eq!(
            eff("1 Haziran 2026 tarihinden itibaren zorunludur", "tr"),
            Some(d(2026, 6, 1))
        );
        assert_eq!(
            eff("Karar yayımı tarihinde yürürlüğe girer.", "tr"),
            Some(d(2026, 3, 14))
        );
        assert_eq!(
            eff("Bu Karar yayımından 30 gün sonra yürürlüğe girer.", "tr"),
            Some(d(2026, 4, 13))
        );
    }

    #[test]
    fn vietnamese() {
        assert_eq!(
            eff("Thông tư này có hiệu lực kể từ ngày 01/7/2026.", "vi"),
            Some(d(2026, 7, 1))
        );
        assert_eq!(
            eff(
                "Nghị định có hiệu lực thi hành từ ngày 15 tháng 3 năm 2026.",
                "vi"
            ),
            Some(d(2026, 3, 15))
        );
        assert_eq!(
            eff("Quyết định có hiệu lực kể từ ngày ký.", "vi"),
            Some(d(2026, 3, 14))
        );
        assert_eq!(
            eff("giấy phép sắp hết hiệu lực từ ngày 01/01/2027", "vi"),
            None
        );
    }

    #[test]
    fn spanish() {
        assert_eq!(
            eff(
                "El presente Acuerdo entrará en vigor el 1 de enero de 2027.",
                "es"
            ),
            Some(d(2027, 1, 1))
        );
        assert_eq!(
            eff("aplicable a partir del 15 de julio de 2026", "es"),
            Some(d(2026, 7, 15))
        );
        assert_eq!(
            eff("entrará en vigor al día siguiente de su publicación en el Diario Oficial de la Federación", "es"),
            Some(d(2026, 3, 15))
        );
    }

    #[test]
    fn english() {
        assert_eq!(
            eff("expected to take effect on 1 January 2024", "en"),
            Some(d(2024, 1, 1))
        );
        assert_eq!(
            eff("From April 1, 2024, CBP implements", "en"),
            Some(d(2024, 4, 1))
        );
        assert_eq!(
            eff("with effect from 20 June 2025", "en"),
            Some(d(2025, 6, 20))
        );
        assert_eq!(
            eff("effective 2026-05-01 for all filers", "en"),
            Some(d(2026, 5, 1))
        );
        assert_eq!(eff("Issued on 2 March 2025 after the merger", "en"), None);
        assert_eq!(
            eff("may stay on the market until 31 December 2027", "en"),
            None
        );
        assert_eq!(
            eff(
                "It shall enter into force on the twentieth day following that of its publication",
                "en"
            ),
            Some(d(2026, 4, 3))
        );
    }
}
