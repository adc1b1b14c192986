//! Dates: when a rule applies to goods, enters into force, and the comment
//! and transition deadlines, each with the sentence it came from.
//!
//! Every date is read from the text or counted from an anchor: the
//! publication date the text states ("12 Şubat 2026 tarihli Resmî Gazete'de
//! yayımlanarak", "DOF: 19/12/2023", "Published: 15 February 2024"), the
//! signature date it states ("Hà Nội, ngày 21 tháng 11 năm 2025", "Made 14th
//! May 2025"), or the source's publication date (`Input.published`). Never
//! from today, and no year is invented: a date written without a year gives
//! nothing unless a date right beside it states the year ("1 Ocak ve 31
//! Aralık 2026").
//!
//! The text is folded (lowercase, Turkish i's, no diacritics) so the cue
//! patterns below are plain ASCII; a Vietnamese cue written with accents
//! must have its own ("từ ngày", not "tử ngày"). A date counts only when a
//! cue is next to it, in a clause that counts (scope): the nearest cue
//! before it decides ("excluded from the tariff until December 31" is an
//! end, not a start), else a cue after it (Turkish word order).

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use regex::Regex;
use std::sync::LazyLock;

use crate::clause::{ClauseRole, Reading};
use crate::norm::Folded;
use crate::DateFact;

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
    crate::re::compile(&format!(
        r"\b(\d{{1,2}})(?:\s?(?:st|nd|rd|th|ero|er|ro|o|º|°|ª)\.?)?(?:\s+de)?\s+({})\b(?:'\w+)?\.?(?:\s*,?\s*(?:del?\s+)?(\d{{4}})\b)?",
        month_alt()
    ))
    .unwrap()
});
static MDY_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(&format!(
        r"\b({})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?",
        month_alt()
    ))
    .unwrap()
});
static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| crate::re::compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b").unwrap());
static ISO: LazyLock<Regex> =
    LazyLock::new(|| crate::re::compile(r"\b(\d{4})-(\d{2})-(\d{2})\b").unwrap());
static VI: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"\b(\d{1,2})\s+thang\s+(\d{1,2})(?:\s*(?:,\s*)?nam\s+(\d{4}))?\b").unwrap()
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

/// How a Mexican federal holiday falls (Ley Federal del Trabajo, art. 74).
#[derive(Clone, Copy, Debug)]
enum Holiday {
    /// The same day every year.
    Fixed { month: u32, day: u32 },
    /// The `nth` Monday of a month.
    NthMonday { month: u32, nth: u32 },
    /// Every six years from `from` (the transmission of the federal
    /// executive power: 1 October since 2024).
    EverySixYears { month: u32, day: u32, from: i32 },
}

/// Mexico's mandatory rest days (LFT art. 74), the days "días hábiles"
/// skip besides Saturdays and Sundays.
const MX_HOLIDAYS: &[Holiday] = &[
    Holiday::Fixed { month: 1, day: 1 },
    Holiday::NthMonday { month: 2, nth: 1 },
    Holiday::NthMonday { month: 3, nth: 3 },
    Holiday::Fixed { month: 5, day: 1 },
    Holiday::Fixed { month: 9, day: 16 },
    Holiday::EverySixYears {
        month: 10,
        day: 1,
        from: 2024,
    },
    Holiday::NthMonday { month: 11, nth: 3 },
    Holiday::Fixed { month: 12, day: 25 },
];

/// Whether `d` is a Mexican federal holiday (LFT art. 74).
pub fn mexican_holiday(d: NaiveDate) -> bool {
    MX_HOLIDAYS.iter().any(|h| match *h {
        Holiday::Fixed { month, day } => d.month() == month && d.day() == day,
        Holiday::NthMonday { month, nth } => {
            d.month() == month && d.weekday() == Weekday::Mon && (d.day() - 1) / 7 + 1 == nth
        }
        Holiday::EverySixYears { month, day, from } => {
            d.month() == month && d.day() == day && d.year() >= from && (d.year() - from) % 6 == 0
        }
    })
}

/// `n` business days after `base`: Saturdays and Sundays are skipped, and,
/// for a Mexican text ("días hábiles"), the Mexican federal holidays.
pub fn add_business_days(base: NaiveDate, n: u32, mexican: bool) -> Option<NaiveDate> {
    let mut d = base;
    let mut left = n.min(3660);
    while left > 0 {
        d = d.succ_opt()?;
        if d.weekday().number_from_monday() <= 5 && !(mexican && mexican_holiday(d)) {
            left -= 1;
        }
    }
    Some(d)
}

fn add(base: NaiveDate, n: u32, unit: Unit, mexican: bool) -> Option<NaiveDate> {
    match unit {
        Unit::Days => base.checked_add_days(Days::new(n.into())),
        Unit::Months => base.checked_add_months(Months::new(n)),
        Unit::Years => base.checked_add_months(Months::new(n.checked_mul(12)?)),
        Unit::BusinessDays => add_business_days(base, n, mexican),
    }
}

/// The anchor a relative period counts from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Base {
    Publication,
    /// Vietnamese "kể từ ngày ký" / "ngày ban hành": the signing date.
    Signing,
}

struct Relative {
    re: Regex,
    /// Words the pattern needs (one of them), checked before running it.
    need: &'static [&'static str],
    base: Base,
    /// Fixed offset in days; otherwise groups `n`, `unit` and optional `q`.
    fixed: Option<u32>,
    /// A time limit ("dentro de los 30 días", "plazo de 180 días"): a
    /// deadline when the sentence is about comments or the limit is a
    /// "plazo", never an entry into force.
    limit: bool,
}

/// Dates relative to the publication or signing date.
static RELATIVE: LazyLock<Vec<Relative>> = LazyLock::new(|| {
    let num = num_alt();
    let unit = r"(?P<unit>days?|months?|years?|gun|ay|yil|dias|meses|mes|anos?|ngay|thang|nam)";
    let r = |s: String, base: Base, fixed: Option<u32>| Relative {
        limit: s.starts_with("dentro de") || s.starts_with("plazo"),
        need: &[],
        re: crate::re::compile(&s).unwrap(),
        base,
        fixed,
    };
    let p = Base::Publication;
    let needs: [&[&str]; 18] = [
        &["yay"],
        &["ngay"],
        &["ngay"],
        &["ngay"],
        &["hieu luc"],
        &["publicacion"],
        &["dentro de"],
        &["plazo"],
        &["publication", "notification"],
        &["publication"],
        &["publicacion"],
        &["publication"],
        &["izleyen"],
        &["yay"],
        &["ayni tarihte"],
        &["ngay"],
        &["publicacion"],
        &["publication", "immediate"],
    ];
    let rules = vec![
        // Turkish: "yayımı tarihinden altı ay sonra", "yayımından 30 gün sonra", "... 30 gün içinde"
        r(format!(r"yay[iı]m\w*\s+(?:tarihin\w*\s+)?(?:itibaren\s+)?(?P<n>{num})\s+(?P<q>is\s+)?{unit}\s+(?:sonra|icinde|icerisinde)"), p, None),
        // Vietnamese: "sau 45 ngày kể từ ngày ký", "hiệu lực sau 30 ngày"
        r(format!(r"(?:hieu luc\s+(?:thi hanh\s+)?)?(?:sau|ke tu sau|trong vong|trong thoi han|trong)\s+(?P<n>{num})\s+(?:\([^)]{{1,20}}\)\s+)?{unit}(?P<q>\s+lam viec)?,?\s+(?:ke\s+)?tu\s+ngay\s+(?:duoc\s+)?(?:ky|ban hanh)"), Base::Signing, None),
        r(format!(r"(?:sau|ke tu sau|trong vong|trong thoi han|trong)\s+(?P<n>{num})\s+(?:\([^)]{{1,20}}\)\s+)?{unit}(?P<q>\s+lam viec)?,?\s+(?:ke\s+)?tu\s+ngay\s+(?:duoc\s+)?(?:dang|cong bo|dang tai|thong bao)"), p, None),
        r(format!(r"(?P<n>{num})\s+(?:\([^)]{{1,20}}\)\s+)?{unit}(?P<q>\s+lam viec)?,?\s+(?:ke\s+)?tu\s+ngay\s+(?:duoc\s+)?(?:dang|cong bo|dang tai|thong bao)"), p, None),
        r(format!(r"hieu luc\s+(?:thi hanh\s+)?(?:sau|ke tu sau)\s+(?P<n>{num})\s+(?:\([^)]{{1,20}}\)\s+)?{unit}"), p, None),
        // Spanish: "a los 30 días naturales siguientes a su publicación", "dentro de los 60 días naturales"
        r(format!(r"(?:(?:a los|despues de|transcurridos)\s+)?(?P<n>{num})\s+{unit}\s+(?P<q>naturales\s+|habiles\s+)?(?:siguientes|posteriores|contados|despues)?\s*(?:a partir del|a partir de|al de|del|a|de)\s+(?P<next>(?:el\s+)?dia\s+(?:habil\s+)?siguiente\s+(?:al de|al|a|de)\s+)?(?:la fecha de\s+)?(?:su|la)\s+publicacion"), p, None),
        r(format!(r"dentro de (?:los\s+)?(?P<n>{num})\s+{unit}\s*(?P<q>naturales|habiles)?"), p, None),
        r(format!(r"plazo de\s+(?P<n>{num})\s+{unit}\s*(?P<q>naturales|habiles)?\s*(?:contados\s+)?(?:a partir de|siguientes a|posteriores a|despues de)\s+(?:la fecha de\s+)?(?:su|la)\s+publicacion"), p, None),
        // English: "six months after publication", "30 days after its publication", "within 60 days of publication"
        r(format!(r"(?:within\s+)?(?P<n>{num})\s+(?P<q>calendar\s+|business\s+|working\s+)?{unit}\s+(?:after|following|from|of)\s+(?:the\s+)?(?:date\s+of\s+)?(?:its\s+|their\s+|this\s+notice'?s?\s+)?(?:federal register\s+|official (?:journal|gazette)\s+)?(?:(?:final\s+)?(?:rule|notice|order|regulation)'?s?\s+)?(?:publication|notification)"), p, None),
        r(r"(?:twentieth|twenty)\s+day\s+following\s+(?:that of\s+)?its\s+publication".into(), p, Some(20)),
        // next day
        r(r"(?:dia\s+siguiente|dia\s+habil\s+siguiente)\s+(?:al\s+de|al|de)\s+(?:la fecha de\s+)?su\s+publicacion".into(), p, Some(1)),
        r(r"(?:day|date)\s+following\s+(?:that of\s+)?(?:its\s+)?publication".into(), p, Some(1)),
        r(r"yay[iı]m\w*\s+izleyen\s+gun".into(), p, Some(1)),
        // same day
        r(r"yay[iı]m\w*\s+tarihinde\b".into(), p, Some(0)),
        r(r"(?:yay[iı]mlanmis|yay[iı]nlanmis)\s+ve\s+ayni\s+tarihte\s+yururluge".into(), p, Some(0)),
        r(r"hieu luc\s+(?:thi hanh\s+)?(?:ke\s+)?tu\s+ngay\s+(?:ky|ban hanh)".into(), Base::Signing, Some(0)),
        r(r"(?:entrara|entra)\s+en\s+vigor\s+(?:el\s+)?(?:mismo\s+)?dia\s+de\s+su\s+publicacion".into(), p, Some(0)),
        r(r"(?:into force|effect|effective)\s+(?:on\s+)?(?:the\s+)?(?:day|date)\s+of\s+(?:its\s+)?publication|effective immediately|with immediate effect|upon (?:its\s+)?publication".into(), p, Some(0)),
    ];
    rules
        .into_iter()
        .zip(needs)
        .map(|(rule, need)| Relative { need, ..rule })
        .collect()
});

/// Cheap pre-check: every relative pattern contains one of these.
static RELATIVE_GATE: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"publica|yayim|yayin|hieu luc|immediate|notification|ngay ky|ngay ban hanh|tu ngay dang|ngay thong bao|cong bo|dentro de").unwrap()
});

/// A sentence about comments or consultations, or naming a deadline: its
/// dates after "by", "until", "before", ":" are comment deadlines.
static COMMENT_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"\b(?:comments?|commenting|comentarios?|observaciones|opiniones|consulta|consultations?|call for evidence|responses?|gop y|y kien|gorus\w*|deadline|final date|closing date|plazo|fecha limite|son tarih\w*|son gun\w*|han gop y)\b",
    )
    .unwrap()
});

/// A sentence about a transition period or an old regime's validity: its
/// dates after "until", "hasta", "đến", "tarihine kadar" are the end of the
/// transition ("may be placed on the market until"), and a "from" in it
/// does not start this rule ("certificates issued starting from 25 May
/// 2017 ... are considered valid until").
static TRANSITION_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"\b(?:transition\w*|grace period|on the market|made available|sell through|sell off|remain valid|considered valid|continue to be valid|valid until|validity|gecis\w*|piyasaya arz\w*|chuyen tiep|transitori\w*|validez|seguiran vigentes)\b",
    )
    .unwrap()
});

/// How a cue reads the date beside it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
enum Cue {
    /// "from", "a partir de", "itibaren", "kể từ": a start, the weakest.
    From,
    /// "applies", "effective", "with effect from", "retroactive to".
    Applies,
    /// "enters into force", "yürürlüğe girer", "có hiệu lực", "vigor".
    InForce,
    /// "until", "hasta", "đến hết", "kadar", "before": an end.
    End,
    /// "expires", "ceases to have effect", "hết hiệu lực": an end, also of
    /// a "from" after it ("hết hiệu lực từ ngày").
    Ends,
    /// "by", "no later than", "a más tardar", "trước", "due": a limit.
    By,
}

/// Cues before a date (folded text), each with how it reads the date.
static CUES_BEFORE: LazyLock<Vec<(Regex, Cue)>> = LazyLock::new(|| {
    [
        (r"\b(?:het hieu luc|expires?|expiring|expiry|expiration|ceases?|ceasing|cease to have effect|yururlukten kalk\w*)\b", Cue::Ends),
        (r"\b(?:until|till|through|ends?|ending|hasta(?: el)?|al|den het(?: ngay)?|den(?: ngay)?|before|antes del?|truoc(?: ngay)?|to)\b", Cue::End),
        (r"\b(?:by|no later than|not later than|on or before|due(?: on)?|a mas tardar(?: el)?|cham nhat(?: la| vao)?(?: ngay)?|deadline(?: is| of)?|son tarih\w*|son gun\w*)\b", Cue::By),
        (r"\b(?:into force|in force|entrara en vigor|entra en vigor|en vigor|vigor|vigencia|vigente|(?:co )?hieu luc(?: thi hanh)?|yururluk tarihi)\b", Cue::InForce),
        (r"\b(?:effective(?: date)?|with effect|takes? effect|took effect|taking effect|(?:came|come|comes|coming) into effect|date of effect|appl(?:y|ies|ied|icable|ication)|retroactive(?:ly)?(?: to)?|aplicable|aplicar\w*|se aplicara|ap dung|on or after)\b", Cue::Applies),
        (r"\b(?:from|as of|starting|beginning|begins?|starts?|commencing|a partir(?: de| del)?|desde|tu ngay|ke tu|bat dau)\b", Cue::From),
    ]
    .into_iter()
    .map(|(p, c)| (crate::re::compile(p).unwrap(), c))
    .collect()
});

/// Every cue before a date in one pattern, for one pass over the window;
/// the kind of a match is then read from `CUES_BEFORE`.
static CUE_ANY: LazyLock<Regex> = LazyLock::new(|| {
    let alts: Vec<String> = CUES_BEFORE
        .iter()
        .map(|(r, _)| format!("(?:{})", r.as_str()))
        .collect();
    crate::re::compile(&alts.join("|")).unwrap()
});

/// The kind of a cue found by `CUE_ANY`: the first list it is whole in.
fn cue_kind(m: &str) -> Option<Cue> {
    CUES_BEFORE
        .iter()
        .find(|(re, _)| {
            re.find(m)
                .is_some_and(|x| x.start() == 0 && x.end() == m.len())
        })
        .map(|(_, c)| *c)
}

/// Cues after a date (Turkish word order, "onwards", "trở đi").
static CUES_AFTER: LazyLock<Vec<(Regex, Cue)>> = LazyLock::new(|| {
    [
        (r"^\s*(?:tarih\w*\s*)?(?:['’]?(?:e|a|ye|ya|ne|na)\s+)?kadar\b", Cue::End),
        (r"^[^.;]{0,40}?\byururlukten kalk", Cue::Ends),
        (r"^\s*tarih\w*,?[^.;]{0,80}?\b(?:yay[iı]mlan|yay[iı]nlan)(?:an)?(?:arak|mis)\b[^.;]{0,30}?\byururluge gir", Cue::InForce),
        (r"^[^.;]{0,40}?\byururluge gir", Cue::InForce),
        (r"^[^.;]{0,40}?\b(?:gecerli olmak|uygulan\w*)", Cue::Applies),
        (r"^[^.;]{0,40}?\b(?:itibar\w*|onwards|tro di)", Cue::From),
    ]
    .into_iter()
    .map(|(p, c)| (crate::re::compile(p).unwrap(), c))
    .collect()
});

/// Right before a date, a publication statement: "Published: 15 February
/// 2024", "Publication date:", "DOF: 19/12/2023", "Resmî Gazete 14 Şubat 2012".
static PUBLISHED_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"(?:\b(?:published(?: date)?|publication date|date of publication|publicad[oa] el|fecha de publicacion|dof|yayim tarihi|resmi gazete|ngay dang(?: cong bao)?|dang (?:tren )?cong bao(?: so [^\s,.;]+)?\s+ngay|published in the (?:federal register|official journal)(?: on)?)\s*:?\s*(?:on\s+)?)$").unwrap()
});

/// Right after a date, a publication statement of this text: "12 Şubat 2026
/// tarihli ve 33166 sayılı Resmî Gazete'de yayımlanarak", "2 Ekim 2016
/// tarihli, 29845 sayılı Resmi Gazete'de yayımlanmış", "3.9.2019 EN
/// Official Journal of the European Union" (not "... yayımlanan", a cited act).
static PUBLISHED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"^(?:\s*tarih\w*,?\s*(?:ve\s*)?(?:\d+\s*(?:\(?mukerrer\)?\s*)?sayili\s*)?resmi gazete\S*\s*(?:ayrica\s+)?(?:yay[iı]mlan|yay[iı]nlan)(?:an)?(?:arak|mis|di)|\s*\|?\s*en\s*\|?\s*official journal of the european union)").unwrap()
});

/// Right before a date, a signature or making statement: "Số: 37691/TB-CHQ,
/// Hà Nội, ngày", "ký ngày", "Made", "Date of document:", "Adopted:",
/// "Ciudad de México, a".
static SIGNED_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"(?:\bso\s*:?\s*\S+\s*,\s*(?:[^,.;:]{1,40},\s*)?ngay|\b(?:ky|ban hanh)\s+ngay|\b(?:ha noi|tp\.? ho chi minh|thanh pho ho chi minh)\s*,\s*ngay|\bmade|\bdate of document\s*:?|\badopted\s*:|\bciudad de mexico,?\s*a|\bdado en [^.;]{0,60},?\s*a)\s*$").unwrap()
});

/// Vietnamese cues written with accents must be written with these ("từ
/// ngày", from, is not "tử ngày" as in "điện tử ngày ..."): stripped form,
/// accented form.
const VI_ACCENTS: &[(&str, &str)] = &[
    ("tu ngay", "từ ngày"),
    ("ke tu", "kể từ"),
    ("hieu luc", "hiệu lực"),
    ("co hieu luc", "có hiệu lực"),
    ("het hieu luc", "hết hiệu lực"),
    ("hieu luc thi hanh", "hiệu lực thi hành"),
    ("co hieu luc thi hanh", "có hiệu lực thi hành"),
    ("ap dung", "áp dụng"),
    ("bat dau", "bắt đầu"),
    ("den het", "đến hết"),
    ("den het ngay", "đến hết ngày"),
    ("den", "đến"),
    ("den ngay", "đến ngày"),
    ("truoc", "trước"),
    ("truoc ngay", "trước ngày"),
    ("tro di", "trở đi"),
];

struct Found {
    start: usize,
    end: usize,
    /// (year if written, month, day)
    ymd: (Option<i32>, u32, u32),
}

impl Found {
    fn date(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.ymd.0?, self.ymd.1, self.ymd.2)
    }
}

fn all_dates(t: &str) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let year = |s: Option<regex::Match>| s.and_then(|m| m.as_str().parse::<i32>().ok());
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    for c in DMY_TEXT.captures_iter(t) {
        let m = c.get(0).unwrap();
        let Some(mo) = month_num(&c[2]) else { continue };
        out.push(Found {
            start: m.start(),
            end: m.end(),
            ymd: (year(c.get(3)), mo, num(&c[1])),
        });
    }
    for c in MDY_TEXT.captures_iter(t) {
        let m = c.get(0).unwrap();
        // "may 5" is a month; "mar" and "may" as words are too ambiguous without a year
        if c.get(3).is_none() && c[1].len() <= 3 {
            continue;
        }
        let Some(mo) = month_num(&c[1]) else { continue };
        out.push(Found {
            start: m.start(),
            end: m.end(),
            ymd: (year(c.get(3)), mo, num(&c[2])),
        });
    }
    for c in NUMERIC.captures_iter(t) {
        let m = c.get(0).unwrap();
        let (a, b) = (num(&c[1]), num(&c[2]));
        let (d, mo) = if b > 12 && a <= 12 { (b, a) } else { (a, b) };
        out.push(Found {
            start: m.start(),
            end: m.end(),
            ymd: (year(c.get(3)), mo, d),
        });
    }
    for c in ISO.captures_iter(t) {
        let m = c.get(0).unwrap();
        out.push(Found {
            start: m.start(),
            end: m.end(),
            ymd: (year(c.get(1)), num(&c[2]), num(&c[3])),
        });
    }
    for c in VI.captures_iter(t) {
        let m = c.get(0).unwrap();
        out.push(Found {
            start: m.start(),
            end: m.end(),
            ymd: (year(c.get(3)), num(&c[2]), num(&c[1])),
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
    // a date without a year takes the year of the date right beside it in a
    // range or list ("1 Ocak ve 31 Aralık 2026", "del 1 de marzo al 28 de
    // febrero de 2027"); otherwise it stays without one and gives nothing
    static JOIN: LazyLock<Regex> = LazyLock::new(|| {
        crate::re::compile(r"^\s*(?:-|–|to|and|until|through|al|y|a|ve|ila|ile|den|den het|hasta|,)\s*(?:el\s+|the\s+|ngay\s+)?$").unwrap()
    });
    for i in 0..kept.len() {
        if kept[i].ymd.0.is_some() || i + 1 >= kept.len() {
            continue;
        }
        let (next_year, next_month) = (kept[i + 1].ymd.0, kept[i + 1].ymd.1);
        if let Some(y) = next_year {
            if JOIN.is_match(&t[kept[i].end..kept[i + 1].start]) {
                kept[i].ymd.0 = Some(if kept[i].ymd.1 > next_month { y - 1 } else { y });
            }
        }
    }
    kept
}

/// A text prepared for the date reader: its folded twin (`t`: lowercase,
/// no accents, one char per NFC char) and the maps between the two.
struct Text<'a> {
    f: &'a Folded<'a>,
    reading: &'a Reading,
    t: String,
    /// t byte -> NFC char index
    tchar: Vec<u32>,
    /// NFC char index -> t byte (one extra: the length)
    tbyte: Vec<usize>,
    /// NFC char index -> NFC byte (one extra: the length)
    nbyte: Vec<usize>,
}

impl<'a> Text<'a> {
    fn new(f: &'a Folded<'a>, reading: &'a Reading) -> Text<'a> {
        let t = crate::norm::fold_strip(&f.nfc, false);
        let mut tchar = vec![0u32; t.len() + 1];
        let mut tbyte = Vec::with_capacity(t.len() + 1);
        let mut n = 0u32;
        for (b, _) in t.char_indices() {
            tchar[b] = n;
            tbyte.push(b);
            n += 1;
        }
        tchar[t.len()] = n;
        tbyte.push(t.len());
        let mut nbyte: Vec<usize> = f.nfc.char_indices().map(|(b, _)| b).collect();
        nbyte.push(f.nfc.len());
        Text {
            f,
            reading,
            t,
            tchar,
            tbyte,
            nbyte,
        }
    }

    /// The char index of [`Folded`] at t byte `tb`.
    fn fc(&self, tb: usize) -> usize {
        let ci = self.tchar[tb.min(self.t.len())] as usize;
        self.f
            .char_of_nfc_byte(self.nbyte[ci.min(self.nbyte.len() - 1)])
    }

    /// The t byte of a [`Folded`] char index.
    fn tb(&self, c: usize) -> usize {
        let nb = self.f.nfc_byte(c);
        let ci = self.nbyte.partition_point(|&b| b < nb);
        self.tbyte[ci.min(self.tbyte.len() - 1)]
    }

    fn role(&self, tb: usize) -> ClauseRole {
        self.reading.role_at(self.fc(tb))
    }

    /// The sentence around t byte `tb`, as t bytes.
    fn sentence(&self, tb: usize) -> (usize, usize) {
        let (a, b) = self.reading.sentence_of(self.fc(tb));
        (self.tb(a), self.tb(b))
    }

    /// The sentence around t bytes [start, end), as written.
    fn evidence(&self, start: usize, end: usize) -> String {
        let (a, b) = self.reading.sentence_of(self.fc(start));
        let (na, nb) = (self.f.nfc_byte(a), self.f.nfc_byte(b.max(a)));
        let s = crate::norm::collapse(&self.f.nfc[na..nb]);
        if s.chars().count() <= 400 {
            return s;
        }
        // a runaway sentence (a table, a list) is cut around the date
        let (d0, d1) = (
            self.nbyte[self.tchar[start] as usize],
            self.nbyte[self.tchar[end.min(self.t.len())] as usize],
        );
        let from = floor(&self.f.nfc, d0.saturating_sub(200).max(na));
        let to = ceil(&self.f.nfc, (d1 + 200).min(nb.max(d1)));
        format!("…{}…", crate::norm::collapse(&self.f.nfc[from..to]))
    }

    /// Whether a Vietnamese cue matched at t bytes [a, b) has its accents,
    /// or is written without any.
    fn accents_ok(&self, a: usize, b: usize) -> bool {
        let stripped = &self.t[a..b];
        let Some((_, accented)) = VI_ACCENTS.iter().find(|(s, _)| *s == stripped) else {
            return true;
        };
        let (c0, c1) = (self.fc(a), self.fc(b));
        let folded = self.f.folded_span(c0, c1.max(c0));
        folded.is_ascii() || folded == *accented
    }
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The dates of one text, and the two a change shows.
#[derive(Debug, Default)]
pub(crate) struct DateRead {
    pub facts: Vec<DateFact>,
    pub effective: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
}

/// One date found, before the choice.
struct Cand {
    at: usize,
    kind: &'static str,
    date: NaiveDate,
    evidence: String,
}

/// Read the dates of a text. `published`: the source's publication date;
/// `title`: the title's length in NFC bytes (0 when there is none), whose
/// years decide between staged dates.
pub(crate) fn read(
    f: &Folded,
    reading: &Reading,
    published: Option<NaiveDate>,
    title: usize,
) -> DateRead {
    let x = Text::new(f, reading);
    let t = x.t.as_str();
    let found = all_dates(t);
    let relative_here = RELATIVE_GATE.is_match(t);
    if found.is_empty() && !relative_here {
        return DateRead::default();
    }
    let counts = |tb: usize| x.role(tb).counts();

    // ---- anchors: the publication and signing dates the text states
    let mut stated_pub: Option<NaiveDate> = None;
    let mut stated_sig: Option<NaiveDate> = None;
    for d in &found {
        let Some(date) = d.date() else { continue };
        if !counts(d.start) {
            continue;
        }
        let (cs, _) = x.sentence(d.start);
        let head = &t[cs.min(d.start)..d.start];
        if stated_pub.is_none()
            && (PUBLISHED_BEFORE.is_match(head) || PUBLISHED_AFTER.is_match(&t[d.end..]))
        {
            stated_pub = Some(date);
        }
        if stated_sig.is_none() && SIGNED_BEFORE.is_match(head) {
            stated_sig = Some(date);
        }
    }
    let own_date = match (stated_pub, stated_sig) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let pub_anchor = stated_pub.or(published);
    // a signing date is before the gazette's: without a stated one, the
    // source's own date stands in before the gazette date the text states
    let sig_anchor = stated_sig.or(published).or(stated_pub);

    let mut cands: Vec<Cand> = Vec::new();
    // ---- dates written out
    for d in &found {
        let Some(date) = d.date() else { continue };
        if !counts(d.start) {
            continue;
        }
        let (ss, se) = x.sentence(d.start);
        let sentence = &t[ss.min(d.start)..se.max(d.end).min(t.len())];
        // comments and transitions are read in the date's part of the
        // sentence, between semicolons
        let part = {
            let a = t[ss.min(d.start)..d.start]
                .rfind(';')
                .map_or(ss.min(d.start), |p| ss + p + 1);
            let b = t[d.end..se.max(d.end).min(t.len())]
                .find(';')
                .map_or(se.max(d.end).min(t.len()), |p| d.end + p);
            &t[a..b]
        };
        // an end date in a sentence about comments or a transition is its
        // deadline; a start is no start of this rule only in such a part
        let comment = COMMENT_CONTEXT.is_match(sentence);
        let transition = TRANSITION_CONTEXT.is_match(sentence);
        let comment_part = COMMENT_CONTEXT.is_match(part);
        let transition_part = TRANSITION_CONTEXT.is_match(part);
        // the window before the date, within its sentence ("Date of effect:
        // 20/07/2021"), at most 90 chars, not across a `;`
        let mut from = floor(t, d.start.saturating_sub(90)).max(ss.min(d.start));
        if let Some(p) = t[from..d.start].rfind(';') {
            from += p + 1;
        }
        let window = &t[from..d.start];
        let mut nearest: Option<(usize, usize, Cue)> = None; // (end, len, cue)
        let mut strongest: Option<Cue> = None;
        for m in CUE_ANY.find_iter(window) {
            let Some(cue) = cue_kind(m.as_str()) else {
                continue;
            };
            let cue = &cue;
            {
                let gap = &window[m.end()..];
                if gap.contains(';') || !x.accents_ok(from + m.start(), from + m.end()) {
                    continue;
                }
                // a time of day between cue and date ("on or after 12:01
                // a.m. eastern daylight time on May 20, 2019") is no distance
                let gap_len = TIME_OF_DAY.replace_all(gap, " ").chars().count();
                // "In force 7.12.2022": a status field of a register page
                // (the act is in force now), not a date of entry into force
                if *cue == Cue::InForce && m.as_str() == "in force" && gap.trim().is_empty() {
                    continue;
                }
                if gap_len <= 35 {
                    let cand = (m.end(), m.len(), *cue);
                    if nearest.is_none_or(|n| (cand.0, cand.1) > (n.0, n.1)) {
                        nearest = Some(cand);
                    }
                }
                // the nearest of the verbs decides a "from": "in force on
                // 18 July 2024 and applies from 19 July 2026"
                if matches!(cue, Cue::Applies | Cue::InForce | Cue::Ends) {
                    strongest = Some(*cue);
                }
            }
        }
        let tail = &t[d.end..se.max(d.end).min(t.len())];
        let after = CUES_AFTER
            .iter()
            .filter(|(re, _)| re.is_match(tail))
            .map(|(_, c)| *c)
            .max_by_key(|c| match c {
                Cue::End | Cue::Ends | Cue::By => 4,
                Cue::InForce => 3,
                Cue::Applies => 2,
                Cue::From => 1,
            });
        let colon = window.trim_end().ends_with(':');
        let cue = match (nearest.map(|n| n.2), after) {
            (Some(Cue::End | Cue::Ends | Cue::By), _) => nearest.map(|n| n.2),
            (_, Some(Cue::End | Cue::Ends | Cue::By)) => after,
            (Some(Cue::From), _) => Some(
                strongest
                    .unwrap_or(Cue::From)
                    .max(after.unwrap_or(Cue::From)),
            ),
            (Some(c), a) => Some(c.max(a.unwrap_or(c))),
            (None, a) => a,
        };
        let kind = match cue {
            Some(Cue::End | Cue::By) if comment => "comment_deadline",
            Some(Cue::End) if transition => "transition_end",
            Some(Cue::End | Cue::Ends | Cue::By) => continue,
            None if comment && colon => "comment_deadline",
            None => continue,
            Some(Cue::InForce) => "in_force",
            Some(Cue::Applies) => "applies",
            Some(Cue::From) => {
                // a start in a comment or transition sentence is not this
                // rule's, nor one before the text's own date (background)
                if comment_part || transition_part || own_date.is_some_and(|o| date < o) {
                    continue;
                }
                "applies"
            }
        };
        cands.push(Cand {
            at: d.start,
            kind,
            date,
            evidence: x.evidence(d.start, d.end),
        });
    }

    // ---- dates counted from the publication or signing date
    if relative_here && (pub_anchor.is_some() || sig_anchor.is_some()) {
        let mexican = t.contains("habil");
        for rel in RELATIVE.iter() {
            if !rel.need.iter().any(|n| t.contains(n)) {
                continue;
            }
            for c in rel.re.captures_iter(t) {
                let Some(m) = c.get(0) else { continue };
                if !counts(m.start()) {
                    continue;
                }
                let base = match rel.base {
                    Base::Signing => sig_anchor,
                    Base::Publication => pub_anchor,
                };
                let Some(base) = base else { continue };
                let date = match rel.fixed {
                    Some(d) => add(base, d, Unit::Days, false),
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
                        n.zip(unit).and_then(|(n, u)| add(base, n, u, mexican))
                    }
                };
                let Some(date) = date else { continue };
                let (ss, se) = x.sentence(m.start());
                let sentence = &t[ss.min(m.start())..se.max(m.end()).min(t.len())];
                let into_force = INTO_FORCE.is_match(m.as_str());
                let kind = if COMMENT_CONTEXT.is_match(sentence) && !into_force
                    || rel.limit && m.as_str().starts_with("plazo")
                {
                    "comment_deadline"
                } else if TRANSITION_CONTEXT.is_match(sentence) && !INTO_FORCE.is_match(sentence) {
                    "transition_end"
                } else if rel.limit {
                    continue;
                } else {
                    let from = floor(t, m.start().saturating_sub(60)).max(ss.min(m.start()));
                    if APPLIES_WORD.is_match(&t[from..m.end()]) {
                        "applies"
                    } else {
                        "in_force"
                    }
                };
                cands.push(Cand {
                    at: m.start(),
                    kind,
                    date,
                    evidence: x.evidence(m.start(), m.end()),
                });
            }
        }
    }
    choose(cands, &t[..x.tb(f.char_of_nfc_byte(title)).min(t.len())])
}

/// A time of day with its zone: "12:01 a.m. eastern daylight time on",
/// "11:59 p.m. EST", "a las 00:00 horas del".
static TIME_OF_DAY: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"\b\d{1,2}[:.]\d{2}\s*(?:a\.?\s?m\.?|p\.?\s?m\.?|hrs?\.?|horas|saat)?\s*(?:(?:eastern|central|mountain|pacific|local|universal|greenwich mean)\s+)?(?:(?:standard|daylight|prevailing)\s+)?(?:time|est|edt|cet|cest|gmt|utc)?\b")
        .unwrap()
});

/// Entry-into-force words: a period next to them is an entry into force
/// even in a sentence that also speaks of a "plazo".
static INTO_FORCE: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"\b(?:into force|effective|vigor|yururluge|hieu luc|takes? effect|apply|applies)\b",
    )
    .unwrap()
});

/// Words saying a rule applies (not only enters into force).
static APPLIES_WORD: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"\b(?:appl(?:y|ies|ied|icable)|aplica\w*|uygulan\w*|ap dung|effective|takes? effect)\b",
    )
    .unwrap()
});

/// A sentence giving the date goods entered from then on are subject to a
/// measure.
static GOODS_ENTERED: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(
        r"(?i)\b(?:entered|withdrawn from warehouse|imported)\b[^.;]{0,120}\bon or after\b",
    )
    .unwrap()
});

static YEAR: LazyLock<Regex> = LazyLock::new(|| crate::re::compile(r"\b(?:19|20)\d{2}\b").unwrap());

/// Order the dates, drop repeats, and pick the effective date (the applies
/// date, else the entry into force; among staged dates of one kind, the
/// one whose year the title names, else the first) and the deadline.
fn choose(mut cands: Vec<Cand>, title: &str) -> DateRead {
    cands.sort_by_key(|c| c.at);
    let mut facts: Vec<DateFact> = Vec::new();
    for c in &cands {
        if !facts.iter().any(|f| f.kind == c.kind && f.date == c.date) {
            facts.push(DateFact {
                kind: c.kind.to_string(),
                date: c.date,
                evidence: c.evidence.clone(),
            });
        }
    }
    let title_years: Vec<i32> = YEAR
        .find_iter(title)
        .filter_map(|m| m.as_str().parse().ok())
        .collect();
    let pick = |kind: &str| -> Option<NaiveDate> {
        let of: Vec<NaiveDate> = facts
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.date)
            .collect();
        if of.len() > 1 {
            let named: Vec<NaiveDate> = of
                .iter()
                .copied()
                .filter(|d| title_years.contains(&d.year()))
                .collect();
            if named.len() == 1 {
                return named.first().copied();
            }
        }
        of.first().copied()
    };
    // the date from which goods entered are subject to the rule ("effective
    // with respect to goods entered for consumption ... on or after") is
    // the rule's for goods, before any other date it applies from
    let for_goods: Vec<NaiveDate> = facts
        .iter()
        .filter(|f| f.kind == "applies" && GOODS_ENTERED.is_match(&f.evidence))
        .map(|f| f.date)
        .collect();
    let effective = match for_goods.as_slice() {
        [one] => Some(*one),
        _ => pick("applies"),
    }
    .or_else(|| pick("in_force"));
    let deadline = pick("comment_deadline").or_else(|| pick("transition_end"));
    DateRead {
        facts,
        effective,
        deadline,
    }
}
