//! Stories: whether two changes from different sources describe the same
//! act. Pure functions over titles; the store asks them when it records a
//! change (see `Store::record_poll`), and links the change to the story of
//! its best match.
//!
//! Conservative by design: a wrong grouping suppresses an alert, which is
//! worse than a duplicate. Two titles are the same act when
//! - they name the same official reference as their subject (`12/2024/TT-BTTTT`,
//!   `Yönetmelik 2024/12`, `G/TBT/N/TUR/123`, `NOM-001-SCFI-2018`,
//!   `FR Doc. 2024-12345`, `QCVN 101:2020/BTTTT`): a reference only cited
//!   ("under Directive 2014/53/EU", "hướng dẫn Nghị định …") does not count,
//!   and dates never are references; or
//! - neither names a reference and the titles are nearly the same words
//!   (token-set similarity of at least [`MIN_SIMILARITY`], both of at least
//!   [`MIN_TOKENS`] words, the same numbers in the same order).
//!
//! Titles naming different references never group, however alike.

use regex::Regex;
use regwatch_classify::re::compile;
use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock, Mutex};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Only changes detected this many days before a change can be its story.
pub const WINDOW_DAYS: i64 = 14;
/// A field report (practice seen before any text) can be this many days
/// older than the official change that joins its story.
pub const FIELD_WINDOW_DAYS: i64 = 120;
/// At most this many recent changes are compared with a new one.
pub const MAX_CANDIDATES: i64 = 500;
/// Token-set (Jaccard) similarity that makes two titles the same act.
pub const MIN_SIMILARITY: f64 = 0.8;
/// Titles shorter than this (in distinct words) never group by similarity.
pub const MIN_TOKENS: usize = 4;

/// Lowercase, Turkish i's as `i`, `đ` as `d`, diacritics stripped, dashes as
/// `-`, every white space as a space: "NĐ-CP" and "nd-cp", "İthalat" and
/// "ithalat", "Tebliğ" and "teblig" are equal.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfc() {
        let c = match c {
            'İ' | 'I' | 'ı' => 'i',
            'Đ' | 'đ' | 'Ð' | 'ð' => 'd',
            'Ø' | 'ø' => 'o',
            'Ł' | 'ł' => 'l',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        for l in c.to_lowercase() {
            for d in std::iter::once(l).nfd() {
                if !is_combining_mark(d) {
                    out.push(d);
                }
            }
        }
    }
    out
}

/// Dates in any of the common writings: never an act's number.
static DATES: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{4}[./-]\d{1,2}[./-]\d{1,2}\b").unwrap()
});
/// WTO document symbols: `G/TBT/N/TUR/123`, `G/SPS/N/VNM/45/Add.1`.
static WTO: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"\bg\s*/\s*(tbt|sps)\s*/\s*n\s*/\s*([a-z]{2,4})\s*/\s*(\d{1,6})((?:\s*/\s*(?:add|rev|corr)\.?\s*\d{1,3})*)").unwrap()
});
/// US Federal Register documents: `FR Doc. 2024-12345`.
static FR_DOC: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\bfr\s*doc\.?\s*(?:no\.?\s*)?(\d{4}-\d{3,6})\b").unwrap());
/// Mexican standards: `NOM-001-SCFI-2018`, `NMX-J-…` is not one.
static NOM: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"\b(nom|nmx)[-\s]?(\d{3})[-\s]([a-z]{2,8})(?:[-\s](\d{1,3}))?[-\s]((?:19|20)\d{2})\b")
        .unwrap()
});
/// Vietnamese national standards and technical regulations: `QCVN 101:2020/BTTTT`.
static VN_STANDARD: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(qcvn|tcvn)\s*(\d{1,5}(?:-\d{1,3})?)\s*:\s*((?:19|20)\d{2})(?:\s*/\s*([a-z]{2,10}))?",
    )
    .unwrap()
});
/// Numbers that carry their issuer: `12/2024/TT-BTTTT`, `15/2018/NĐ-CP`,
/// `1234/QĐ-BTTTT`, `5/2024/QH15`.
static CODED: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?:^|[^\w/.-])(\d{1,6}(?:/\d{1,6})*/[a-z]{1,10}\d{0,3}(?:-[a-z]{1,10}\d{0,3})+|\d{1,6}/(?:19|20)\d{2}/[a-z]{2,10}\d{0,3})\b").unwrap()
});

/// The words that name an act, and the kind each names (across languages,
/// so "Yönetmelik 2024/12" and "Regulation 2024/12" are one act but
/// "Karar 2024/12" is another). Turkish words take suffixes.
const KINDS: &[(&str, &str)] = &[
    ("kararname\\w*", "decree"),
    ("karar\\w*", "decision"),
    ("teblig\\w*", "communique"),
    ("yonetmeli\\w*", "regulation"),
    ("genelge\\w*", "circular"),
    ("kanun\\w*", "law"),
    ("regulations?", "regulation"),
    ("reglamentos?", "regulation"),
    ("regulamentos?", "regulation"),
    ("directives?", "directive"),
    ("directivas?", "directive"),
    ("decisions?", "decision"),
    ("decisao", "decision"),
    ("quyet dinh", "decision"),
    ("decrees?", "decree"),
    ("decretos?", "decree"),
    ("decrets?", "decree"),
    ("nghi dinh", "decree"),
    ("circulars?", "circular"),
    ("circulares", "circular"),
    ("thong tu", "circular"),
    ("communiques?", "communique"),
    ("acuerdos?", "agreement"),
    ("resolutions?", "resolution"),
    ("resolucion(?:es)?", "resolution"),
    ("resolucao", "resolution"),
    ("ordinances?", "order"),
    ("orders?", "order"),
    ("arretes?", "order"),
    ("laws?", "law"),
    ("leyes|ley", "law"),
    ("luat", "law"),
    ("s\\.?\\s?i\\.?", "si"),
];

/// A reference's number: `2024/1234`, `2014/53`, `2024-12`, `8901`.
const NUMBER: &str = r"(\d{1,6}(?:[/-]\d{1,6}){0,3})(?:/[a-z]{1,6})?\b";
/// What may stand between the word and its number: "Regulation (EU) No",
/// "Thông tư số", "Tebliğ (No: …)", "Kararı Sayı:".
const FILLER: &str =
    r"(?:[\s(),:#.°º]|\b(?:eu|ab|ue|ec|eec|ce|no|nr|nro|num|number|so|sayi|sayisi)\b)*";

static KEYWORD_LED: LazyLock<Regex> = LazyLock::new(|| {
    let words: Vec<String> = KINDS.iter().map(|(w, _)| format!("(?:{w})")).collect();
    compile(&format!(r"\b({})\b{FILLER}{NUMBER}", words.join("|"))).unwrap()
});
/// Turkish "2024/12 sayılı … Yönetmelik": the number before the word.
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    let words: Vec<String> = KINDS.iter().map(|(w, _)| format!("(?:{w})")).collect();
    compile(&format!(
        r"(?:^|[^\w/.-])(\d{{1,6}}(?:[/-]\d{{1,6}}){{0,3}})\s+sayili\s+(?:[\w']+\s+){{0,8}}?({})\b",
        words.join("|")
    ))
    .unwrap()
});

/// Words just before a reference that say it is cited, not the subject:
/// "under Directive …", "implementing Regulation …", "hướng dẫn Nghị định …".
const CITED_BEFORE: &[&str] = &[
    "under",
    "pursuant",
    "according",
    "accordance",
    "amending",
    "amends",
    "amend",
    "amendment",
    "amendments",
    "repealing",
    "repeals",
    "replacing",
    "replaces",
    "cited",
    "referred",
    "based",
    "per",
    "theo",
    "can cu",
    "huong dan",
    "sua doi",
    "bo sung",
    "thay the",
    "segun",
    "conforme",
    "conformidad",
    "virtud",
    "modifica",
    "reforma",
];
/// Words just after a reference that say the same ("… sayılı Yönetmelik
/// uyarınca", "… Tebliğde değişiklik").
const CITED_AFTER: &[&str] = &[
    "uyarinca",
    "kapsaminda",
    "cercevesinde",
    "gore",
    "degisiklik",
    "hukumleri",
];

static KIND_WORDS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    KINDS
        .iter()
        .map(|(w, k)| (compile(&format!("^(?:{w})$")).unwrap(), *k))
        .collect()
});

fn kind_of(word: &str) -> &'static str {
    KIND_WORDS
        .iter()
        .find(|(r, _)| r.is_match(word))
        .map(|(_, k)| *k)
        .unwrap_or("act")
}

/// `2024/012` and `2024/12` are one number.
fn norm_number(n: &str) -> String {
    let mut out = String::new();
    let mut part = String::new();
    let flush = |part: &mut String, out: &mut String| {
        let t = part.trim_start_matches('0');
        out.push_str(if t.is_empty() && !part.is_empty() {
            "0"
        } else {
            t
        });
        part.clear();
    };
    for c in n.chars() {
        if c.is_ascii_digit() {
            part.push(c);
        } else {
            flush(&mut part, &mut out);
            out.push(c);
        }
    }
    flush(&mut part, &mut out);
    out
}

fn is_cited(text: &str, start: usize, end: usize) -> bool {
    let before: Vec<&str> = text[..start]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let tail = before[before.len().saturating_sub(3)..].join(" ");
    let padded = format!(" {tail} ");
    if CITED_BEFORE
        .iter()
        .any(|w| padded.contains(&format!(" {w} ")))
    {
        return true;
    }
    let after: Vec<&str> = text[end..]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(2)
        .collect();
    after
        .iter()
        .any(|w| CITED_AFTER.iter().any(|c| w.starts_with(c)))
}

/// The official references a title names as its subject, normalized
/// (`wto:g/tbt/n/tur/123`, `regulation:2024/12`, `coded:12/2024/tt-btttt`).
pub fn references(title: &str) -> BTreeSet<String> {
    let folded = fold(title);
    let text = DATES.replace_all(&folded, |c: &regex::Captures| " ".repeat(c[0].len()));
    let text = text.as_ref();
    let mut found = Found {
        text,
        refs: BTreeSet::new(),
        taken: vec![],
    };
    for c in WTO.captures_iter(text) {
        let m = c.get(0).unwrap();
        let suffix: String = c[4]
            .chars()
            .filter(|ch| !ch.is_whitespace() && *ch != '.')
            .collect();
        let key = format!(
            "wto:g/{}/n/{}/{}{}",
            &c[1],
            &c[2],
            norm_number(&c[3]),
            suffix
        );
        found.add((m.start(), m.end()), key, m.start());
    }
    for c in FR_DOC.captures_iter(text) {
        let m = c.get(0).unwrap();
        found.add((m.start(), m.end()), format!("frdoc:{}", &c[1]), m.start());
    }
    for c in NOM.captures_iter(text) {
        let m = c.get(0).unwrap();
        let part = c
            .get(4)
            .map(|p| format!("-{}", p.as_str()))
            .unwrap_or_default();
        let key = format!("{}:{}-{}{part}-{}", &c[1], &c[2], &c[3], &c[5]);
        found.add((m.start(), m.end()), key, m.start());
    }
    for c in VN_STANDARD.captures_iter(text) {
        let m = c.get(0).unwrap();
        let issuer = c
            .get(4)
            .map(|p| format!("/{}", p.as_str()))
            .unwrap_or_default();
        let key = format!("{}:{}:{}{issuer}", &c[1], &c[2], &c[3]);
        found.add((m.start(), m.end()), key, m.start());
    }
    for c in CODED.captures_iter(text) {
        let m = c.get(1).unwrap();
        if found.overlaps(m.start(), m.end()) {
            continue;
        }
        // The word before names the act ("Thông tư 12/2024/TT-BTTTT"): a
        // cue before it ("hướng dẫn Nghị định …") is looked for before it.
        let kw = KEYWORD_LED
            .captures_iter(&text[..m.end()])
            .find(|k| k.get(2).is_some_and(|n| n.start() == m.start()))
            .and_then(|k| k.get(0))
            .map_or(m.start(), |k| k.start());
        found.add(
            (m.start(), m.end()),
            format!("coded:{}", norm_number(m.as_str())),
            kw,
        );
    }
    for c in KEYWORD_LED.captures_iter(text) {
        let num = c.get(2).unwrap();
        let m = c.get(0).unwrap();
        found.numbered(
            (num.start(), num.end()),
            kind_of(&c[1]),
            num.as_str(),
            m.start(),
        );
    }
    for c in NUMBERED.captures_iter(text) {
        let num = c.get(1).unwrap();
        let word = c.get(2).unwrap();
        found.numbered(
            (num.start(), num.end()),
            kind_of(word.as_str()),
            num.as_str(),
            num.start(),
        );
        // "… sayılı Yönetmelik uyarınca": the cue follows the word.
        if is_cited(text, num.start(), word.end()) {
            found.refs.remove(&format!(
                "{}:{}",
                kind_of(word.as_str()),
                norm_number(num.as_str())
            ));
        }
    }
    found.refs
}

struct Found<'t> {
    text: &'t str,
    refs: BTreeSet<String>,
    taken: Vec<(usize, usize)>,
}

impl Found<'_> {
    fn overlaps(&self, s: usize, e: usize) -> bool {
        self.taken.iter().any(|&(ts, te)| s < te && ts < e)
    }

    /// A reference at `s..e`, whose naming word starts at `kw_start`.
    fn add(&mut self, (s, e): (usize, usize), key: String, kw_start: usize) {
        if !is_cited(self.text, kw_start.min(s), e) {
            self.refs.insert(key);
        }
        self.taken.push((s, e));
    }

    /// A number named by a word of `kind`.
    fn numbered(&mut self, (s, e): (usize, usize), kind: &str, number: &str, kw_start: usize) {
        if self.overlaps(s, e) {
            return;
        }
        let n = norm_number(number);
        if n.chars().all(|c| c.is_ascii_digit()) {
            // A bare number must be long enough to name something, and not a year.
            let year = n.len() == 4 && (n.starts_with("19") || n.starts_with("20"));
            if n.len() < 3 || year {
                return;
            }
        }
        self.add((s, e), format!("{kind}:{n}"), kw_start);
    }
}

/// A title's words: folded, punctuation dropped, each once.
pub fn tokens(title: &str) -> BTreeSet<String> {
    fold(title)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// One title, read once for many comparisons.
#[derive(Debug, Clone)]
pub struct Title {
    pub refs: BTreeSet<String>,
    pub tokens: BTreeSet<String>,
    /// The words with a digit, in the title's order ("Notice 10 of list 1"
    /// is not "Notice 1 of list 10").
    pub numbers: Vec<String>,
}

/// Why two titles are one act.
#[derive(Debug, Clone, PartialEq)]
pub enum SameAct {
    /// Both name this reference as their subject.
    Reference(String),
    /// Nearly the same words (the similarity).
    Similar(f64),
}

impl SameAct {
    /// Higher is a better match: a shared reference beats any similarity.
    pub fn score(&self) -> f64 {
        match self {
            SameAct::Reference(_) => 2.0,
            SameAct::Similar(s) => *s,
        }
    }
}

impl Title {
    pub fn new(title: &str) -> Title {
        Title {
            refs: references(title),
            tokens: tokens(title),
            numbers: fold(title)
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
                .map(str::to_string)
                .collect(),
        }
    }

    /// Whether `self` and `other` describe the same act, and why.
    pub fn same_act(&self, other: &Title) -> Option<SameAct> {
        if let Some(r) = self.refs.intersection(&other.refs).next() {
            return Some(SameAct::Reference(r.clone()));
        }
        // Different references, or a reference on one side only: not one act.
        if !self.refs.is_empty() || !other.refs.is_empty() {
            return None;
        }
        if self.tokens.len() < MIN_TOKENS || other.tokens.len() < MIN_TOKENS {
            return None;
        }
        if self.numbers != other.numbers {
            return None;
        }
        let shared = self.tokens.intersection(&other.tokens).count();
        let all = self.tokens.union(&other.tokens).count();
        let sim = shared as f64 / all as f64;
        (sim >= MIN_SIMILARITY).then_some(SameAct::Similar(sim))
    }
}

/// How many titles each generation of the memo of [`read`] keeps.
const MEMO: usize = 2048;

/// Titles read before: each change recorded is compared with up to
/// [`MAX_CANDIDATES`] recent titles of its jurisdiction, mostly the ones the
/// change before it was compared with, and reading a title (folding,
/// references, words) costs far more than comparing two. Two generations
/// of at most [`MEMO`] titles: when the newer is full it becomes the older
/// and the older is dropped, so a title used in either is not read again
/// and the memo never holds more than twice [`MEMO`].
#[derive(Default)]
struct Memo {
    now: std::collections::HashMap<Box<str>, Arc<Title>>,
    before: std::collections::HashMap<Box<str>, Arc<Title>>,
}

static MEMO_OF_TITLES: LazyLock<Mutex<Memo>> = LazyLock::new(Mutex::default);

/// A title, as read before if it was (see [`Memo`]).
fn read(title: &str) -> Arc<Title> {
    let found = {
        let mut m = MEMO_OF_TITLES.lock().unwrap_or_else(|e| e.into_inner());
        match m.now.get(title) {
            Some(t) => return t.clone(),
            None => m.before.remove(title),
        }
    };
    // Read outside the lock: other polls compare meanwhile.
    let t = found.unwrap_or_else(|| Arc::new(Title::new(title)));
    let mut m = MEMO_OF_TITLES.lock().unwrap_or_else(|e| e.into_inner());
    if m.now.len() >= MEMO {
        m.before = std::mem::take(&mut m.now);
    }
    m.now.insert(title.into(), t.clone());
    t
}

/// The best match for `title` among `candidates` (`(story_id, title)`, most
/// recent first): the story it belongs to, and why. Ties go to the most
/// recent candidate.
pub fn best_story<'a>(
    title: &str,
    candidates: impl IntoIterator<Item = (i64, &'a str)>,
) -> Option<(i64, SameAct)> {
    let me = Title::new(title);
    let mut best: Option<(i64, SameAct)> = None;
    for (story, t) in candidates {
        if let Some(why) = me.same_act(&read(t)) {
            if best.as_ref().is_none_or(|(_, b)| why.score() > b.score()) {
                best = Some((story, why));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> Option<SameAct> {
        Title::new(a).same_act(&Title::new(b))
    }

    fn refs(t: &str) -> Vec<String> {
        references(t).into_iter().collect()
    }

    #[test]
    fn references_are_read_generically_and_normalized() {
        assert_eq!(
            refs("Thông tư số 12/2024/TT-BTTTT quy định danh mục"),
            ["coded:12/2024/tt-btttt"]
        );
        assert_eq!(
            refs("Nghị định 15/2018/NĐ-CP về an toàn thực phẩm"),
            ["coded:15/2018/nd-cp"]
        );
        assert_eq!(refs("NGHI DINH 15/2018/nd-cp"), ["coded:15/2018/nd-cp"]);
        assert_eq!(
            refs("Commission Implementing Regulation (EU) 2024/1234 on radio"),
            ["regulation:2024/1234"]
        );
        assert_eq!(
            refs("Telsiz Ekipmanları Yönetmeliği (No: 2024/012)"),
            ["regulation:2024/12"]
        );
        assert_eq!(
            refs("2024/12 sayılı Telsiz Ekipmanları Yönetmeliği yayımlandı"),
            ["regulation:2024/12"]
        );
        assert_eq!(
            refs("İTHALAT DENETİMİ TEBLİĞİ 2024/5"),
            ["communique:2024/5"]
        );
        assert_eq!(
            refs("Notification G/TBT/N/TUR/123 — Türkiye — radio equipment"),
            ["wto:g/tbt/n/tur/123"]
        );
        assert_eq!(
            refs("G/SPS/N/VNM/45/Add.1 Viet Nam"),
            ["wto:g/sps/n/vnm/45/add1"]
        );
        assert_eq!(
            refs("NOM-001-SCFI-2018 Aparatos electrónicos"),
            ["nom:001-scfi-2018"]
        );
        assert_eq!(
            refs("Import rules for drones (FR Doc. 2024-12345)"),
            ["frdoc:2024-12345"]
        );
        assert_eq!(
            refs("QCVN 101:2020/BTTTT về pin lithium"),
            ["qcvn:101:2020/btttt"]
        );
        assert_eq!(refs("Decreto 123 de 2024"), ["decree:123"]);
        assert_eq!(refs("The Radio Equipment SI 2024/567"), ["si:2024/567"]);
    }

    #[test]
    fn dates_years_and_small_numbers_are_not_references() {
        assert!(refs("Karar 12/05/2024 tarihli").is_empty());
        assert!(refs("Decision of 2024-05-12 on tariffs").is_empty());
        assert!(refs("Quyết định ngày 12.05.2024").is_empty());
        assert!(refs("Regulation 2024 on batteries").is_empty());
        assert!(refs("Decision 5 on tariffs").is_empty());
        assert!(refs("Resmî Gazete 1 Aralık 2026 sayısı").is_empty());
    }

    #[test]
    fn cited_references_are_not_the_subject() {
        assert!(refs("Market surveillance under Directive 2014/53/EU").is_empty());
        assert!(refs("Thông tư hướng dẫn Nghị định 15/2018/NĐ-CP").is_empty());
        assert!(refs("2024/12 sayılı Tebliğde değişiklik yapılmasına dair").is_empty());
        assert!(refs("Rules amending Regulation (EU) 2024/1234").is_empty());
        assert_eq!(
            refs("Directive 2014/53/EU: new harmonised standards"),
            ["directive:2014/53"]
        );
    }

    #[test]
    fn the_same_reference_in_both_titles_is_one_act() {
        let r = same(
            "Telsiz Ekipmanları Yönetmeliği (2024/12) Resmî Gazete'de yayımlandı",
            "Türkiye: Regulation 2024/12 on radio equipment notified",
        );
        assert_eq!(r, Some(SameAct::Reference("regulation:2024/12".into())));
        assert!(same(
            "Thông tư 12/2024/TT-BTTTT danh mục sản phẩm",
            "Ban hành Thông tư số 12/2024/TT-BTTTT"
        )
        .is_some());
        assert!(same(
            "G/TBT/N/TUR/123 Türkiye radio",
            "WTO notification G/TBT/N/TUR/123: telsiz ekipmanları"
        )
        .is_some());
    }

    #[test]
    fn different_references_never_group_however_alike() {
        assert_eq!(
            same(
                "Telsiz Ekipmanları Yönetmeliği 2024/12 yayımlandı",
                "Telsiz Ekipmanları Yönetmeliği 2024/13 yayımlandı"
            ),
            None
        );
        assert_eq!(
            same(
                "Thông tư 12/2024/TT-BTTTT danh mục sản phẩm",
                "Nghị định 12/2024/NĐ-CP danh mục sản phẩm"
            ),
            None
        );
        // The same number for another kind of act is another act.
        assert_eq!(same("Karar 2024/12", "Tebliğ 2024/12"), None);
        // A reference on one side only: not enough.
        assert_eq!(
            same(
                "Regulation 2024/12 on radio equipment conformity",
                "Regulation on radio equipment conformity"
            ),
            None
        );
    }

    #[test]
    fn a_directive_cited_in_unrelated_titles_does_not_group() {
        assert_eq!(
            same(
                "Market surveillance campaign under Directive 2014/53/EU",
                "New customs procedure for radio equipment under Directive 2014/53/EU"
            ),
            None
        );
    }

    #[test]
    fn dates_do_not_make_the_same_act() {
        assert_eq!(
            same(
                "Karar 01/12/2026 tarihli ithalat",
                "Tebliğ 01/12/2026 tarihli ihracat"
            ),
            None
        );
    }

    #[test]
    fn near_identical_titles_group_and_different_ones_do_not() {
        let r = same(
            "New conformity rules for lithium batteries in radio equipment",
            "New Conformity Rules for Lithium Batteries in Radio Equipment!",
        );
        assert!(matches!(r, Some(SameAct::Similar(s)) if s >= 0.99));
        // Diacritics and Turkish i's do not matter.
        assert!(same(
            "İthalat denetimi tebliği değişikliği yürürlüğe girdi",
            "ithalat denetimi tebligi degisikligi yururluge girdi"
        )
        .is_some());
        assert_eq!(
            same(
                "New conformity rules for lithium batteries",
                "New labelling rules for medical devices"
            ),
            None
        );
        // Short titles never group by similarity.
        assert_eq!(same("Duyuru", "Duyuru"), None);
        assert_eq!(same("Yeni duyuru var", "Yeni duyuru var"), None);
        // The same numbers in another order are another act.
        assert_eq!(
            same(
                "Notice 10 of source 1: customs rule",
                "Notice 1 of source 10: customs rule"
            ),
            None
        );
        // Other numbers are another act.
        assert_eq!(
            same(
                "Tariff quota list number 7 for frozen fish imports published today",
                "Tariff quota list number 8 for frozen fish imports published today"
            ),
            None
        );
    }

    #[test]
    fn the_best_story_prefers_a_shared_reference() {
        let got = best_story(
            "Regulation 2024/12 on radio equipment",
            [
                (9, "Something else entirely here today"),
                (7, "Radio equipment regulation 2024/12 notified"),
                (5, "Regulation 2024/13 on radio equipment"),
            ],
        );
        assert_eq!(got.map(|(s, _)| s), Some(7));
        assert_eq!(
            best_story("Regulation 2024/12", [(3, "Karar 2024/12")]),
            None
        );
    }
}
