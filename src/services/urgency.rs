//! Urgency: how soon a change needs a person (DESIGN.md, "Urgency,
//! deadlines, review"). Computed each time a change is read, from the
//! change, its case matches, which cases are still open, its review and
//! today's date: nothing is stored, so a case closed, a review recorded or
//! a date passing changes the answer at the next read without any
//! recomputation job.
//!
//! `high` means act this week:
//! - a direct or chapter match on an open case with a date (applies or a
//!   deadline) within [`HIGH_DAYS`] days, or already passed while nobody
//!   reviewed the change; or
//! - a ban, a suspension or a new fee on a direct match on an open case.
//!
//! `medium`: other direct or chapter matches on an open case, or a keyword
//! match on an open case with a date within [`MEDIUM_DAYS`] days.
//!
//! `low`: the rest (weaker matches, no open case, closed cases).

use crate::model::{Change, Strength, Urgency};
use chrono::NaiveDate;
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Days ahead within which a date on a direct or chapter match is "act this week".
pub const HIGH_DAYS: i64 = 14;
/// Days ahead within which a date on a keyword match is worth a look.
pub const MEDIUM_DAYS: i64 = 30;

/// The words of a ban, a suspension or a new fee, per language, matched on
/// the folded title and excerpt (see [`crate::story::fold`]: lower case,
/// no diacritics, Turkish ı/İ as i, đ as d). Whole words; Turkish and
/// Spanish words with their suffixes. Vietnamese text is read with the
/// Vietnamese words only: folded, its syllables look like English words
/// ("văn bản" → "van ban", "ban hành": to issue).
const SEVERE: &[(&str, &str)] = &[
    // English
    (
        "ban",
        r"\b(?:bans?|banned|banning|prohibit(?:s|ed|ion|ing)?|embargo(?:es)?)\b",
    ),
    ("suspension", r"\b(?:suspen(?:d|ds|ded|ding|sion))\b"),
    ("new fee", r"\b(?:fees?|levy|levies|surcharges?)\b"),
    // Turkish: yasak, yasağı, yasaklandı; askıya alınmıştır; durduruldu; ücret, harç
    ("ban", r"\byasa(?:k|g)\w*"),
    ("suspension", r"\baskiya al\w*|\bdurduru\w*"),
    ("new fee", r"\bucret\w*|\bharc(?:i|lar\w*)?\b"),
    // Vietnamese: cấm nhập khẩu, tạm dừng, tạm ngừng, đình chỉ, phí, lệ phí
    (
        "ban",
        r"\b(?:lenh cam|cam (?:nhap khau|xuat khau|luu thong|kinh doanh|su dung))\b",
    ),
    ("suspension", r"\b(?:tam dung|tam ngung|dinh chi)\b"),
    (
        "new fee",
        r"\b(?:le phi|thu phi|muc (?:thu )?phi|phi (?:moi|dang ky|kiem tra|chung nhan))\b",
    ),
    // Spanish: prohíbe, prohibición, suspende, suspensión, tasa, tarifa, derecho de trámite
    ("ban", r"\b(?:prohib\w*|veda)\b"),
    ("suspension", r"\bsuspend\w*|\bsuspension\w*"),
    ("new fee", r"\b(?:tasas?|tarifas?|derechos? de tramite)\b"),
];

/// Vietnamese: cấm nhập khẩu, tạm dừng, tạm ngừng, đình chỉ, lệ phí.
const SEVERE_VI: &[(&str, &str)] = &[
    (
        "ban",
        r"\b(?:lenh cam|cam (?:nhap khau|xuat khau|luu thong|kinh doanh|su dung))\b",
    ),
    ("suspension", r"\b(?:tam dung|tam ngung|dinh chi)\b"),
    (
        "new fee",
        r"\b(?:le phi|thu phi|muc (?:thu )?phi|phi (?:moi|dang ky|kiem tra|chung nhan))\b",
    ),
];

/// Letters only Vietnamese writes (among the four languages): ơ, ư, ă, đ and
/// the tone marks stacked on vowels.
fn is_vietnamese(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(
            c.to_lowercase().next().unwrap_or(c),
            'ơ' | 'ư' | 'ă' | 'đ' | 'ạ'..='ỹ'
        )
    })
}

/// Lifting a ban or a fee is good news: never "act this week" on its own.
const LIFTED: &str = r"\b(?:lift(?:s|ed|ing)?|repeal(?:s|ed)?|abolish(?:es|ed)?|kaldir\w*|levant\w*|deroga\w*|elimina\w*|bai bo|go bo|bo (?:lenh|quy dinh))\b";

type Patterns = Vec<(&'static str, Regex)>;

fn compile(list: &[(&'static str, &str)]) -> Patterns {
    list.iter()
        .map(|(what, re)| (*what, Regex::new(re).expect("severe-measure pattern")))
        .collect()
}

static SEVERE_RE: LazyLock<Patterns> = LazyLock::new(|| compile(SEVERE));
static SEVERE_VI_RE: LazyLock<Patterns> = LazyLock::new(|| compile(SEVERE_VI));
static LIFTED_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(LIFTED).expect("lifted pattern"));

/// Whether the change's title or excerpt announces a ban, a suspension or a
/// new fee, and which with the words that say it.
pub fn severe_measure(c: &Change) -> Option<(&'static str, String)> {
    for text in [&c.title, &c.excerpt] {
        let folded = crate::story::fold(text);
        if LIFTED_RE.is_match(&folded) {
            continue;
        }
        let patterns = if is_vietnamese(text) {
            &*SEVERE_VI_RE
        } else {
            &*SEVERE_RE
        };
        for (what, re) in patterns.iter() {
            if let Some(m) = re.find(&folded) {
                return Some((what, m.as_str().to_string()));
            }
        }
    }
    None
}

fn days_phrase(n: i64) -> String {
    match n {
        0 => "today".to_string(),
        1 => "in 1 day".to_string(),
        -1 => "1 day ago".to_string(),
        n if n < 0 => format!("{} days ago", -n),
        n => format!("in {n} days"),
    }
}

/// The urgency of one change and why, strongest reason first.
pub fn assess(
    c: &Change,
    open_cases: &HashSet<String>,
    today: NaiveDate,
) -> (Urgency, Vec<String>) {
    let unreviewed = c.review.state == "new";
    let dates: Vec<(&str, i64)> = [("applies", c.effective_date), ("deadline", c.deadline)]
        .into_iter()
        .filter_map(|(k, d)| d.map(|d| (k, (d - today).num_days())))
        .collect();
    let open: Vec<_> = c
        .cases
        .iter()
        .filter(|m| open_cases.contains(&m.id))
        .collect();
    let Some(best) = open.iter().map(|m| m.strength).min() else {
        return (Urgency::Low, vec![]);
    };
    let ids: Vec<&str> = open
        .iter()
        .filter(|m| m.strength == best)
        .map(|m| m.id.as_str())
        .collect();
    let on_cases = format!("{} match on open case {}", best.as_str(), ids.join(", "));
    let strong = matches!(best, Strength::Direct | Strength::Chapter);
    let mut high = vec![];
    let mut medium = vec![];
    for (kind, n) in &dates {
        let what = match *kind {
            "applies" => "applies",
            _ => "deadline",
        };
        if strong && (0..=HIGH_DAYS).contains(n) {
            high.push(format!("{what} {}", days_phrase(*n)));
        } else if strong && *n < 0 && unreviewed {
            high.push(format!("{what} {}, not reviewed", days_phrase(*n)));
        } else if best == Strength::Keyword && (0..=MEDIUM_DAYS).contains(n) {
            medium.push(format!("{what} {}", days_phrase(*n)));
        }
    }
    if best == Strength::Direct {
        if let Some((what, words)) = severe_measure(c) {
            high.push(format!("{what} (“{words}”)"));
        }
    }
    if !high.is_empty() {
        high.push(on_cases);
        return (Urgency::High, high);
    }
    if strong || !medium.is_empty() {
        medium.push(on_cases);
        return (Urgency::Medium, medium);
    }
    (Urgency::Low, vec![on_cases])
}

/// Fill in `urgency` and `urgency_reasons` on each change.
pub fn annotate(changes: &mut [Change], open_cases: &HashSet<String>, today: NaiveDate) {
    for c in changes {
        let (u, r) = assess(c, open_cases, today);
        c.urgency = u;
        c.urgency_reasons = r;
    }
}

/// The nearest date that makes a change pressing (effective or deadline, still ahead).
fn nearest(c: &Change, today: NaiveDate) -> NaiveDate {
    [c.effective_date, c.deadline]
        .into_iter()
        .flatten()
        .filter(|d| *d >= today)
        .min()
        .unwrap_or(NaiveDate::MAX)
}

/// Bad news first: most urgent first, then the nearest date, then newest.
/// Stable, so callers that sorted by something else keep it within a tie.
pub fn sort(changes: &mut [Change], today: NaiveDate) {
    changes.sort_by(|a, b| {
        a.urgency
            .cmp(&b.urgency)
            .then_with(|| nearest(a, today).cmp(&nearest(b, today)))
            .then_with(|| b.id.cmp(&a.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::render::tests::change;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A change on open case CASE-7 with the given strength, no date, a neutral title.
    fn on_case(strength: Strength) -> Change {
        let mut c = change(1, "TR", "telecom", "t");
        c.title = "Regulation on telecommunication equipment amended".into();
        c.excerpt = "The annex is replaced.".into();
        for m in &mut c.cases {
            m.strength = strength;
        }
        c
    }

    #[test]
    fn high_is_a_strong_match_with_a_date_this_fortnight() {
        let today = day(2026, 12, 1);
        let open: HashSet<String> = ["CASE-7".to_string()].into();
        let mut c = on_case(Strength::Direct);
        c.effective_date = Some(day(2026, 12, 13));
        let (u, r) = assess(&c, &open, today);
        assert_eq!(u, Urgency::High);
        assert_eq!(
            r,
            vec!["applies in 12 days", "direct match on open case CASE-7"]
        );
        // A chapter match with a comment deadline on day 14: still high.
        let mut c = on_case(Strength::Chapter);
        c.deadline = Some(day(2026, 12, 15));
        assert_eq!(assess(&c, &open, today).0, Urgency::High);
        // Day 15: medium (a strong match without a pressing date).
        c.deadline = Some(day(2026, 12, 16));
        let (u, r) = assess(&c, &open, today);
        assert_eq!(u, Urgency::Medium);
        assert_eq!(r, vec!["chapter match on open case CASE-7"]);
    }

    #[test]
    fn a_passed_date_is_high_until_reviewed() {
        let today = day(2026, 12, 1);
        let open: HashSet<String> = ["CASE-7".to_string()].into();
        let mut c = on_case(Strength::Direct);
        c.effective_date = Some(day(2026, 11, 20));
        let (u, r) = assess(&c, &open, today);
        assert_eq!(u, Urgency::High);
        assert_eq!(r[0], "applies 11 days ago, not reviewed");
        c.review.state = "reviewed".into();
        assert_eq!(assess(&c, &open, today).0, Urgency::Medium);
    }

    #[test]
    fn a_direct_match_without_a_date_is_medium_not_high() {
        let today = day(2026, 12, 1);
        let open: HashSet<String> = ["CASE-7".to_string()].into();
        let c = on_case(Strength::Direct);
        assert_eq!(assess(&c, &open, today).0, Urgency::Medium);
        // Closed case: low, and nothing to say.
        let (u, r) = assess(&c, &HashSet::new(), today);
        assert_eq!((u, r.len()), (Urgency::Low, 0));
    }

    #[test]
    fn ban_suspension_or_fee_on_a_direct_match_is_high_in_four_languages() {
        let today = day(2026, 12, 1);
        let open: HashSet<String> = ["CASE-7".to_string()].into();
        for (title, what) in [
            ("Import ban on used mobile phones", "ban"),
            (
                "Cep telefonları için IMEI kayıt ücreti belirlendi",
                "new fee",
            ),
            (
                "Kullanılmış cihazların ithalatı askıya alınmıştır",
                "suspension",
            ),
            ("Tạm dừng nhập khẩu thiết bị phát sóng", "suspension"),
            ("Quy định mức lệ phí chứng nhận hợp quy", "new fee"),
            (
                "Se prohíbe la importación de teléfonos reacondicionados",
                "ban",
            ),
            ("Nueva tasa por trámite de homologación", "new fee"),
        ] {
            let mut c = on_case(Strength::Direct);
            c.title = title.into();
            let (u, r) = assess(&c, &open, today);
            assert_eq!(u, Urgency::High, "{title}");
            assert!(r[0].starts_with(what), "{title}: {r:?}");
            // On a chapter match only: medium.
            let mut c = on_case(Strength::Chapter);
            c.title = title.into();
            assert_eq!(assess(&c, &open, today).0, Urgency::Medium, "{title}");
        }
        // Lifting a ban is not act-this-week news; nor words that merely contain "ban".
        for title in [
            "Import ban on used phones lifted",
            "İthalat yasağı kaldırıldı",
            "Se levanta la prohibición de importación",
            "Bãi bỏ lệnh cấm nhập khẩu",
            "Banking rules for importers",
            // Folded Vietnamese looks like English: "văn bản", "ban hành" are no ban.
            "Công văn 32168/TB-CHQ ban hành văn bản hướng dẫn",
        ] {
            let mut c = on_case(Strength::Direct);
            c.title = title.into();
            assert_eq!(assess(&c, &open, today).0, Urgency::Medium, "{title}");
        }
    }

    #[test]
    fn keyword_matches_are_medium_only_with_a_date_within_30_days() {
        let today = day(2026, 12, 1);
        let open: HashSet<String> = ["CASE-7".to_string()].into();
        let mut c = on_case(Strength::Keyword);
        assert_eq!(assess(&c, &open, today).0, Urgency::Low);
        c.effective_date = Some(day(2026, 12, 31));
        let (u, r) = assess(&c, &open, today);
        assert_eq!(u, Urgency::Medium);
        assert_eq!(
            r,
            vec!["applies in 30 days", "keyword match on open case CASE-7"]
        );
        c.effective_date = Some(day(2027, 1, 1));
        assert_eq!(assess(&c, &open, today).0, Urgency::Low);
        // Even a ban is not high on a keyword match.
        c.title = "Import ban".into();
        assert_eq!(assess(&c, &open, today).0, Urgency::Low);
        // Related and category matches are low whatever the date.
        for s in [Strength::Related, Strength::Category] {
            let mut c = on_case(s);
            c.effective_date = Some(day(2026, 12, 2));
            assert_eq!(assess(&c, &open, today).0, Urgency::Low, "{s:?}");
        }
    }

    #[test]
    fn no_open_case_is_low_whatever_the_date() {
        let today = day(2026, 12, 1);
        let mut c = on_case(Strength::Direct);
        c.cases.clear();
        c.effective_date = Some(day(2026, 12, 2));
        c.title = "Import ban".into();
        assert_eq!(
            assess(&c, &["CASE-7".to_string()].into(), today),
            (Urgency::Low, vec![])
        );
    }
}
