//! Effective dates: "yürürlüğe girer", "có hiệu lực", "entrará en vigor",
//! "effective", "1 Ocak 2026 itibarıyla", "a partir del", "with effect from".
//!
//! The text is folded (lowercase, Turkish i's, no diacritics) so the patterns
//! below are plain ASCII. A date counts only when a cue is next to it: before
//! it for English, Spanish and Vietnamese, after it for Turkish.

use chrono::{Datelike, Days, Months, NaiveDate};
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
        r"\b(\d{{1,2}})(?:\s?(?:st|nd|rd|th|ero|er|ro|o|º|°|ª)\.?)?(?:\s+de)?\s+({})\b(?:'\w+)?\.?(?:\s*,?\s*(?:del?\s+)?(\d{{4}})\b)?",
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
        r"(?:^|[^\w])(het\s+)?(effective|with effect|takes? effect|taking effect|took effect|into force|in force|entry into|on or after|appl(?:y|ies|ied|icable|ication)|from|as of|starting|beginning|begins?|starts?|commencing|a partir|vigor|vigencia|vigente|desde|hieu luc|tu ngay|ke tu|ap dung|bat dau)\b(?:[^.;!?]|\d\.|\b(?:o|ro|no|art|arts)\.){0,35}$",
    )
    .unwrap()
});

/// Cue after a date (Turkish, "onwards").
static CUE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[^.;!?]{0,30}?(?:itibar\w*|yururluge|gecerli olmak|uygulanmaya|onwards|tro di)|\s*tarihli[^.;!?]{0,60}?yayimlanarak\s+yururluge)")
        .unwrap()
});

/// Numbers written as words, in the four languages (folded, no accents).
const NUM_WORDS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("fifteen", 15),
    ("eighteen", 18),
    ("twenty", 20),
    ("thirty", 30),
    ("forty five", 45),
    ("sixty", 60),
    ("ninety", 90),
    ("on iki", 12),
    ("on sekiz", 18),
    ("kirk bes", 45),
    ("bir", 1),
    ("iki", 2),
    ("uc", 3),
    ("dort", 4),
    ("bes", 5),
    ("alti", 6),
    ("yedi", 7),
    ("sekiz", 8),
    ("dokuz", 9),
    ("on", 10),
    ("yirmi", 20),
    ("otuz", 30),
    ("altmis", 60),
    ("doksan", 90),
    ("un", 1),
    ("uno", 1),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
    ("nueve", 9),
    ("diez", 10),
    ("doce", 12),
    ("quince", 15),
    ("dieciocho", 18),
    ("veinte", 20),
    ("treinta", 30),
    ("cuarenta y cinco", 45),
    ("sesenta", 60),
    ("noventa", 90),
    ("ciento ochenta", 180),
];

fn num_alt() -> String {
    let mut names: Vec<&str> = NUM_WORDS.iter().map(|m| m.0).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    format!(r"\d{{1,3}}|{}", names.join("|"))
}

fn num_value(s: &str) -> Option<u32> {
    s.parse()
        .ok()
        .or_else(|| NUM_WORDS.iter().find(|m| m.0 == s).map(|m| m.1))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Unit {
    Days,
    BusinessDays,
    Months,
    Years,
}

fn unit_of(s: &str, qualifier: Option<&str>) -> Unit {
    let q = qualifier.unwrap_or("");
    if q.contains("habil")
        || q.contains("business")
        || q.contains("working")
        || q.contains("is gunu")
        || q.contains("lam viec")
    {
        return Unit::BusinessDays;
    }
    match s {
        s if s.starts_with("month") || s.starts_with("mes") || s == "ay" || s == "thang" => {
            Unit::Months
        }
        s if s.starts_with("year") || s.starts_with("ano") || s == "yil" || s == "nam" => {
            Unit::Years
        }
        _ => Unit::Days,
    }
}

fn add(base: NaiveDate, n: u32, unit: Unit) -> Option<NaiveDate> {
    match unit {
        Unit::Days => base.checked_add_days(Days::new(n.into())),
        Unit::Months => base.checked_add_months(Months::new(n)),
        Unit::Years => base.checked_add_months(Months::new(n.checked_mul(12)?)),
        Unit::BusinessDays => {
            let mut d = base;
            let mut left = n.min(3660);
            while left > 0 {
                d = d.succ_opt()?;
                if d.weekday().number_from_monday() <= 5 {
                    left -= 1;
                }
            }
            Some(d)
        }
    }
}

/// The base a relative period counts from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Base {
    Publication,
    /// Vietnamese "kể từ ngày ký": the signing date when the text gives one.
    Signing,
}

struct Relative {
    re: Regex,
    base: Base,
    /// Fixed offset in days; otherwise groups `n`, `unit` and optional `q`.
    fixed: Option<u32>,
    /// A time limit ("dentro de los 30 días", "plazo de 180 días"): a
    /// deadline when the sentence is about comments or the limit is a
    /// "plazo", never an entry into force.
    limit: bool,
}

/// Dates relative to the publication date. A period in a sentence about
/// comments is a deadline; otherwise it is when the rule takes effect.
static RELATIVE: LazyLock<Vec<Relative>> = LazyLock::new(|| {
    let num = num_alt();
    let unit = r"(?P<unit>days?|months?|years?|gun|ay|yil|dias|meses|mes|anos?|ngay|thang|nam)";
    let r = |s: String, base: Base, fixed: Option<u32>| Relative {
        limit: s.starts_with("dentro de") || s.starts_with("plazo"),
        re: Regex::new(&s).unwrap(),
        base,
        fixed,
    };
    let p = Base::Publication;
    vec![
        // Turkish: "yayımı tarihinden altı ay sonra", "yayımından 30 gün sonra", "... 30 gün içinde"
        r(format!(r"yayim\w*\s+(?:tarihin\w*\s+)?(?:itibaren\s+)?(?P<n>{num})\s+(?P<q>is\s+)?{unit}\s+(?:sonra|icinde|icerisinde)"), p, None),
        // Vietnamese: "sau 45 ngày kể từ ngày ký", "hiệu lực sau 30 ngày"
        r(format!(r"(?:hieu luc\s+(?:thi hanh\s+)?)?(?:sau|ke tu sau|trong vong|trong thoi han|trong)\s+(?P<n>{num})\s+{unit}(?P<q>\s+lam viec)?\s+(?:ke\s+)?tu\s+ngay\s+(?:ky|ban hanh)"), Base::Signing, None),
        r(format!(r"(?:sau|ke tu sau|trong vong|trong thoi han|trong)\s+(?P<n>{num})\s+{unit}(?P<q>\s+lam viec)?\s+(?:ke\s+)?tu\s+ngay\s+(?:dang|cong bo|dang tai|thong bao)"), p, None),
        r(format!(r"(?P<n>{num})\s+{unit}(?P<q>\s+lam viec)?\s+(?:ke\s+)?tu\s+ngay\s+(?:dang|cong bo|dang tai|thong bao)"), p, None),
        r(format!(r"hieu luc\s+(?:thi hanh\s+)?(?:sau|ke tu sau)\s+(?P<n>{num})\s+{unit}"), p, None),
        // Spanish: "a los 30 días naturales siguientes a su publicación", "dentro de los 60 días naturales"
        r(format!(r"(?:(?:a los|despues de|transcurridos)\s+)?(?P<n>{num})\s+{unit}\s+(?P<q>naturales\s+|habiles\s+)?(?:siguientes|posteriores|contados|despues)?\s*(?:a partir del|a partir de|al de|del|a|de)\s+(?P<next>(?:el\s+)?dia\s+(?:habil\s+)?siguiente\s+(?:al de|al|a|de)\s+)?(?:la fecha de\s+)?(?:su|la)\s+publicacion"), p, None),
        r(format!(r"dentro de (?:los\s+)?(?P<n>{num})\s+{unit}\s*(?P<q>naturales|habiles)?"), p, None),
        r(format!(r"plazo de\s+(?P<n>{num})\s+{unit}\s*(?P<q>naturales|habiles)?\s*(?:contados\s+)?(?:a partir de|siguientes a|posteriores a|despues de)\s+(?:la fecha de\s+)?(?:su|la)\s+publicacion"), p, None),
        // English: "six months after publication", "30 days after its publication", "within 60 days of publication"
        r(format!(r"(?:within\s+)?(?P<n>{num})\s+(?P<q>calendar\s+|business\s+|working\s+)?{unit}\s+(?:after|following|from|of)\s+(?:the\s+)?(?:date\s+of\s+)?(?:its\s+|their\s+|this\s+notice'?s?\s+)?(?:publication|notification)"), p, None),
        r(r"(?:twentieth|twenty)\s+day\s+following\s+(?:that of\s+)?its\s+publication".into(), p, Some(20)),
        // next day
        r(r"(?:dia\s+siguiente|dia\s+habil\s+siguiente)\s+(?:al\s+de|al|de)\s+(?:la fecha de\s+)?su\s+publicacion".into(), p, Some(1)),
        r(r"(?:day|date)\s+following\s+(?:that of\s+)?(?:its\s+)?publication".into(), p, Some(1)),
        r(r"yayim\w*\s+izleyen\s+gun".into(), p, Some(1)),
        // same day
        r(r"yayim\w*\s+tarihinde".into(), p, Some(0)),
        r(r"hieu luc\s+(?:thi hanh\s+)?(?:ke\s+)?tu\s+ngay\s+(?:ky|ban hanh)".into(), Base::Signing, Some(0)),
        r(r"(?:entrara|entra)\s+en\s+vigor\s+(?:el\s+)?(?:mismo\s+)?dia\s+de\s+su\s+publicacion".into(), p, Some(0)),
        r(r"(?:into force|effect|effective)\s+(?:on\s+)?(?:the\s+)?(?:day|date)\s+of\s+(?:its\s+)?publication|effective immediately|with immediate effect|upon (?:its\s+)?publication".into(), p, Some(0)),
    ]
});

/// Cheap pre-check: every relative pattern contains one of these.
static RELATIVE_GATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"publica|yayim|hieu luc|immediate|notification|ngay ky|ngay ban hanh|tu ngay dang|ngay thong bao|cong bo|dentro de").unwrap()
});

/// A sentence about comments or consultations, or naming a deadline: its
/// dates after "by", "until", "before", ":" are deadlines.
static COMMENT_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:comments?|commenting|comentarios?|observaciones|opiniones|consulta|consultations?|call for evidence|gop y|y kien|gorus\w*|deadline|final date|closing date|plazo|fecha limite|son tarih\w*|son gun\w*|han gop y)\b",
    )
    .unwrap()
});

/// A sentence about a transition period: its dates after "until", "hasta",
/// "đến", "tarihine kadar" are deadlines ("may be placed on the market until").
static TRANSITION_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:transition\w*|grace period|on the market|made available|sell through|sell off|gecis\w*|piyasaya arz\w*|chuyen tiep|transitori\w*)\b",
    )
    .unwrap()
});

/// Right before a comment deadline: "by", "on or before", "a más tardar", "trước ngày", ":".
static DEADLINE_BY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\b(?:by|before|no later than|not later than|on or before|due(?: on)?|a mas tardar|antes del?|truoc|cham nhat(?: la| vao)?|deadline(?: is| of)?|son tarih\w*|son gun\w*)|:)\s*(?:on\s+|el\s+|the\s+|ngay\s+|la\s+)?$",
    )
    .unwrap()
});

/// Right before the end of a period: "until", "hasta el", "đến hết ngày", "to".
static DEADLINE_UNTIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:to|al|until|till|through|ends?|ending|closes?|hasta|den het|den|truoc)\s*(?:on\s+|el\s+|the\s+|ngay\s+)?$",
    )
    .unwrap()
});

/// Entry-into-force words: a period next to them is an effective date even
/// in a sentence that also speaks of a "plazo".
static INTO_FORCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:into force|effective|vigor|yururluge|hieu luc|takes? effect|apply|applies)\b")
        .unwrap()
});

/// Right after a Turkish deadline date: "15 Mart 2026 tarihine kadar".
static DEADLINE_AFTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:tarihine kadar|'?(?:e|a|ye|ya) kadar|kadar)").unwrap());

/// Vietnamese signing date: "Hà Nội, ngày 15 tháng 3 năm 2026", "ký ngày 15/3/2026".
static SIGNED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\b(?:ky|ban hanh)\s+ngay|\b(?:ha noi|tp\. ho chi minh|thanh pho ho chi minh),\s*ngay)\s*$").unwrap()
});

/// Weak effective cues: a comment period "from 1 March" is not an effective date.
static WEAK_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:from|as of|starting|beginning|begins?|starts?|commencing|a partir|desde|tu ngay|ke tu|bat dau)$",
    )
    .unwrap()
});

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

/// A date and the sentence it came from.
#[derive(Debug, Clone)]
pub(crate) struct DateHit {
    pub date: NaiveDate,
    pub sentence: String,
}

/// The dates of one text.
#[derive(Debug, Default)]
pub(crate) struct Dates {
    pub effective: Option<DateHit>,
    pub deadline: Option<DateHit>,
}

impl Dates {
    pub fn evidence(&self) -> Vec<crate::DateEvidence> {
        let mut out = Vec::new();
        for (field, hit) in [("effective", &self.effective), ("deadline", &self.deadline)] {
            if let Some(h) = hit {
                out.push(crate::DateEvidence {
                    field: field.to_string(),
                    date: h.date,
                    sentence: h.sentence.clone(),
                });
            }
        }
        out
    }
}

/// The NFC text and its folded twin, char for char, for cutting sentences.
struct Sentences {
    nfc: Vec<char>,
    /// folded byte offset -> char index (valid at char boundaries)
    to_char: Vec<usize>,
    /// char index -> folded byte offset (one extra entry: the length)
    to_byte: Vec<usize>,
}

impl Sentences {
    fn new(text: &str, folded: &str) -> Sentences {
        let nfc: Vec<char> = crate::norm::nfc(text).chars().collect();
        let mut to_char = vec![0usize; folded.len() + 1];
        let mut to_byte = Vec::with_capacity(nfc.len() + 1);
        let mut n = 0;
        for (i, (b, _)) in folded.char_indices().enumerate() {
            to_char[b] = i;
            to_byte.push(b);
            n = i + 1;
        }
        to_char[folded.len()] = n;
        to_byte.push(folded.len());
        Sentences {
            nfc,
            to_char,
            to_byte,
        }
    }

    fn is_end(&self, i: usize) -> bool {
        let c = self.nfc[i];
        if c == '\n' {
            return true;
        }
        if !matches!(c, '.' | '!' | '?') {
            return false;
        }
        // ". " then a capital letter (or the end): "1o. de enero" and "No. 5" go on
        let mut j = i + 1;
        if j < self.nfc.len() && !self.nfc[j].is_whitespace() {
            return false;
        }
        while j < self.nfc.len() && self.nfc[j].is_whitespace() {
            if self.nfc[j] == '\n' {
                return true;
            }
            j += 1;
        }
        j >= self.nfc.len()
            || self.nfc[j].is_uppercase()
            || self.nfc[j] == '"'
            || self.nfc[j] == '('
    }

    /// The sentence around folded bytes [start, end), as written.
    fn around(&self, start: usize, end: usize) -> String {
        let len = self.nfc.len();
        let (c0, c1) = (
            self.to_char[start.min(self.to_char.len() - 1)],
            self.to_char[end.min(self.to_char.len() - 1)],
        );
        let mut a = c0.min(len);
        while a > 0 && !self.is_end(a - 1) {
            a -= 1;
        }
        let mut b = c1.min(len);
        while b < len && !self.is_end(b) {
            b += 1;
        }
        if b < len && self.nfc[b] != '\n' {
            b += 1;
        }
        let s: String = self.nfc[a..b.max(a)].iter().collect();
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        // a runaway sentence (a table, a list) is cut around the date
        if s.chars().count() > 400 {
            let from = c0.saturating_sub(150).max(a);
            let to = (c1 + 150).min(b.max(from));
            let cut: String = self.nfc[from..to].iter().collect();
            return format!("…{}…", cut.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        s
    }

    /// Folded byte range of the sentence around folded byte `at`.
    fn bounds(&self, folded: &str, at: usize) -> (usize, usize) {
        let c = self.to_char[at.min(self.to_char.len() - 1)];
        let len = self.nfc.len();
        let mut a = c.min(len);
        while a > 0 && !self.is_end(a - 1) {
            a -= 1;
        }
        let mut b = c.min(len);
        while b < len && !self.is_end(b) {
            b += 1;
        }
        let byte_of = |ci: usize| self.to_byte.get(ci).copied().unwrap_or(folded.len());
        (byte_of(a), byte_of(b))
    }
}

/// Effective date and deadline of a text, each with its sentence.
/// `published` resolves relative dates and gives dates written without a
/// year their year; without it relative dates are not resolved.
pub(crate) fn find_dates(text: &str, published: Option<NaiveDate>) -> Dates {
    let t = crate::norm::fold_strip(text, false);
    let year_ref = published.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let found = all_dates(&t, year_ref);
    let mut out = Dates::default();
    let relative = published.is_some() && RELATIVE_GATE.is_match(&t);
    if found.is_empty() && !relative {
        return out;
    }
    let sentences = Sentences::new(text, &t);
    let hit = |start: usize, end: usize, date: NaiveDate| DateHit {
        date,
        sentence: sentences.around(start, end),
    };
    for f in &found {
        let Some(date) = f.date else { continue };
        let head = &t[..f.start];
        let from = head
            .char_indices()
            .rev()
            .nth(60)
            .map(|(i, _)| i)
            .unwrap_or(0);
        let (s0, s1) = sentences.bounds(&t, f.start);
        let sentence = &t[s0.min(f.start)..s1.max(f.end)];
        let comment_ctx = COMMENT_CONTEXT.is_match(sentence);
        let transition_ctx = TRANSITION_CONTEXT.is_match(sentence);
        let before = &head[from..];
        let until = DEADLINE_UNTIL.is_match(before) || DEADLINE_AFTER.is_match(&t[f.end..]);
        let is_deadline =
            comment_ctx && (until || DEADLINE_BY.is_match(before)) || transition_ctx && until;
        if is_deadline {
            if out.deadline.is_none() {
                out.deadline = Some(hit(f.start, f.end, date));
            }
            continue;
        }
        if out.effective.is_some() {
            continue;
        }
        if let Some(c) = CUE_BEFORE.captures(&head[from..]) {
            // "hết hiệu lực" = expires, not takes effect
            let weak = c.get(2).is_some_and(|w| WEAK_CUE.is_match(w.as_str()));
            if c.get(1).is_none() && !(weak && comment_ctx) {
                out.effective = Some(hit(f.start, f.end, date));
                continue;
            }
        }
        if CUE_AFTER.is_match(&t[f.end..]) && !comment_ctx {
            out.effective = Some(hit(f.start, f.end, date));
        }
    }
    let Some(published) = published else {
        return out;
    };
    if (out.effective.is_some() && out.deadline.is_some()) || !relative {
        return out;
    }
    // the signing date, for "kể từ ngày ký"
    let signed = found.iter().find_map(|f| {
        let head = &t[..f.start];
        let from = head.char_indices().rev().nth(40).map_or(0, |(i, _)| i);
        SIGNED.is_match(&head[from..]).then_some(f.date).flatten()
    });
    let mut best_eff: Option<(usize, usize, usize, NaiveDate)> = None;
    let mut best_dl: Option<(usize, usize, usize, NaiveDate)> = None;
    for rel in RELATIVE.iter() {
        for c in rel.re.captures_iter(&t) {
            let Some(m) = c.get(0) else { continue };
            let base = match rel.base {
                Base::Signing => signed.unwrap_or(published),
                Base::Publication => published,
            };
            let date = match rel.fixed {
                Some(d) => add(base, d, Unit::Days),
                None => {
                    let n = c.name("n").and_then(|n| num_value(n.as_str()));
                    let unit = c
                        .name("unit")
                        .map(|u| unit_of(u.as_str(), c.name("q").map(|q| q.as_str())));
                    // "contados a partir del día siguiente de su publicación"
                    let base = if c.name("next").is_some() {
                        base.succ_opt().unwrap_or(base)
                    } else {
                        base
                    };
                    n.zip(unit).and_then(|(n, u)| add(base, n, u))
                }
            };
            let Some(date) = date else { continue };
            let (s0, s1) = sentences.bounds(&t, m.start());
            let sentence = &t[s0.min(m.start())..s1.max(m.end())];
            // a period in a sentence about comments or a transition is a
            // deadline; "plazo de N días ... para su cumplimiento" too
            let deadline = COMMENT_CONTEXT.is_match(sentence) && !INTO_FORCE.is_match(m.as_str())
                || TRANSITION_CONTEXT.is_match(sentence) && !INTO_FORCE.is_match(sentence)
                || rel.limit && m.as_str().starts_with("plazo");
            let slot = if deadline {
                &mut best_dl
            } else if rel.limit {
                continue;
            } else {
                &mut best_eff
            };
            if slot.is_none_or(|(p, ..)| m.start() < p) {
                *slot = Some((m.start(), m.start(), m.end(), date));
            }
        }
    }
    if out.effective.is_none() {
        out.effective = best_eff.map(|(_, a, b, d)| hit(a, b, d));
    }
    if out.deadline.is_none() {
        out.deadline = best_dl.map(|(_, a, b, d)| hit(a, b, d));
    }
    out
}

/// The date a rule takes effect, when the text states it. `reference` is the
/// publication date: it resolves "on its publication date", "al día siguiente
/// de su publicación", dates written without a year, and similar.
pub fn effective_date(text: &str, lang: Option<&str>, reference: NaiveDate) -> Option<NaiveDate> {
    let _ = lang; // cues of all languages are tried: notices mix languages
    find_dates(text, Some(reference)).effective.map(|d| d.date)
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
            eff("Karar, 12 Şubat 2026 tarihli ve 33166 sayılı Resmî Gazete'de yayımlanarak yürürlüğe girmiştir.", "tr"),
            Some(d(2026, 2, 12))
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
            eff("the new requirements begin on December 19, 2024", "en"),
            Some(d(2024, 12, 19))
        );
        assert_eq!(
            eff("for entries on or after June 4, 2025", "en"),
            Some(d(2025, 6, 4))
        );
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

    fn both(s: &str) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let f = find_dates(s, Some(d(2026, 3, 14)));
        (f.effective.map(|h| h.date), f.deadline.map(|h| h.date))
    }

    #[test]
    fn mexican_ordinals() {
        assert_eq!(
            eff("entrará en vigor el 1o. de enero de 2026", "es"),
            Some(d(2026, 1, 1))
        );
        assert_eq!(
            eff("será aplicable a partir del 1ro. de julio de 2026.", "es"),
            Some(d(2026, 7, 1))
        );
        assert_eq!(
            eff("Entrará en vigor el 1° de marzo.", "es"),
            Some(d(2026, 3, 1))
        );
        assert_eq!(
            eff("Entrará en vigor el 1º de abril de 2027.", "es"),
            Some(d(2027, 4, 1))
        );
    }

    #[test]
    fn relative_to_publication() {
        assert_eq!(
            eff(
                "This Regulation shall apply six months after publication.",
                "en"
            ),
            Some(d(2026, 9, 14))
        );
        assert_eq!(
            eff(
                "The rule takes effect 30 days after its publication in the Federal Register.",
                "en"
            ),
            Some(d(2026, 4, 13))
        );
        assert_eq!(
            eff(
                "Bu Yönetmelik yayımı tarihinden altı ay sonra yürürlüğe girer.",
                "tr"
            ),
            Some(d(2026, 9, 14))
        );
        assert_eq!(
            eff("Bu Tebliğ yayımı tarihinde yürürlüğe girer.", "tr"),
            Some(d(2026, 3, 14))
        );
        assert_eq!(
            eff(
                "entrará en vigor a los 30 días naturales siguientes a su publicación en el DOF",
                "es"
            ),
            Some(d(2026, 4, 13))
        );
        assert_eq!(
            eff("entrará en vigor al día siguiente de su publicación", "es"),
            Some(d(2026, 3, 15))
        );
        // Vietnamese: from the signing date when the text gives it
        assert_eq!(
            eff("Hà Nội, ngày 02 tháng 3 năm 2026. Thông tư này có hiệu lực thi hành sau 45 ngày kể từ ngày ký.", "vi"),
            Some(d(2026, 4, 16))
        );
        assert_eq!(
            eff("Quyết định có hiệu lực kể từ ngày ký.", "vi"),
            Some(d(2026, 3, 14))
        );
        // without a publication date, relative dates stay unresolved
        assert!(
            find_dates("takes effect 30 days after its publication", None)
                .effective
                .is_none()
        );
    }

    #[test]
    fn deadlines() {
        assert_eq!(
            both("DATES: Comments must be received on or before April 20, 2026. The rule is effective June 1, 2026."),
            (Some(d(2026, 6, 1)), Some(d(2026, 4, 20)))
        );
        assert_eq!(
            both("Comments must be received by 15 May 2026."),
            (None, Some(d(2026, 5, 15)))
        );
        assert_eq!(
            both("Taslağa ilişkin görüşlerin 10 Nisan 2026 tarihine kadar Bakanlığa iletilmesi rica olunur."),
            (None, Some(d(2026, 4, 10)))
        );
        assert_eq!(
            both("Đề nghị các tổ chức, cá nhân gửi ý kiến góp ý trước ngày 30/4/2026."),
            (None, Some(d(2026, 4, 30)))
        );
        assert_eq!(
            both("los interesados podrán presentar sus comentarios dentro de los 60 días naturales contados a partir de la fecha de su publicación"),
            (None, Some(d(2026, 5, 13)))
        );
        assert_eq!(
            both("Devices may continue to be placed on the market until 31 December 2027 under the transitional provisions."),
            (None, Some(d(2027, 12, 31)))
        );
        // a comment period "from" is no entry into force
        assert_eq!(
            both("Comments are invited from 1 April 2026 to 31 May 2026."),
            (None, Some(d(2026, 5, 31)))
        );
    }

    #[test]
    fn evidence_sentence() {
        let f = find_dates(
            "Bu Tebliğ kapsamındaki eşya. Bu Tebliğ 01.07.2026 tarihinde yürürlüğe girer. Başka bir cümle.",
            Some(d(2026, 3, 14)),
        );
        assert_eq!(
            f.effective.map(|h| h.sentence).as_deref(),
            Some("Bu Tebliğ 01.07.2026 tarihinde yürürlüğe girer.")
        );
        let f = find_dates(
            "El Acuerdo entrará en vigor el 1o. de enero de 2026. Fin.",
            None,
        );
        assert_eq!(
            f.effective.map(|h| h.sentence).as_deref(),
            Some("El Acuerdo entrará en vigor el 1o. de enero de 2026.")
        );
    }
}
