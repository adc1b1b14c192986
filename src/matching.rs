//! The match stage: which open cases a change affects, each with a reason a
//! person can check ("HS 8517.62 ⊂ 8517; destination TR").

use crate::model::{Case, CaseMatch, Country, Reach, Strength, Tags};
use regwatch_classify::{format_digits, hs_digits, hs_equivalents, hs_in_range, shared_heading};

#[cfg(test)]
mod reference;

/// Why a case is tied to a change, as the words of its reason will say
/// (before "; destination …"): put together only for the strongest reason
/// of a case, once, however many a case offers on the way.
#[derive(Clone, Copy)]
enum Why<'a> {
    /// "HS {case} = {change}"
    Same { case: &'a str, change: &'a str },
    /// "HS {case} ⊂ Chapter {chapter}": a change code shorter than a heading
    /// (its digits) or a chapter the change names (as written).
    Chapter { case: &'a str, chapter: &'a str },
    /// "HS {case} ⊂ {change}"
    Inside { case: &'a str, change: &'a str },
    /// "HS {change} ⊂ {case}"
    Holds { case: &'a str, change: &'a str },
    /// "HS {case} and {change} share heading {shared}", `shared` as digits.
    Siblings {
        case: &'a str,
        change: &'a str,
        shared: &'a str,
    },
    /// "HS {case} ≡ {other} (HS 2017/2022), named as {change}"
    Equivalent {
        case: &'a str,
        other: &'a str,
        change: &'a str,
    },
    /// "HS {case} shares goods with {other} (HS 2017/2022 correlation), named as {change}"
    SharesGoods {
        case: &'a str,
        other: &'a str,
        change: &'a str,
    },
    /// "HS {case} ∈ {lo}–{hi}"
    InRange {
        case: &'a str,
        lo: &'a str,
        hi: &'a str,
    },
    /// "keyword \"{0}\""
    Keyword(&'a str),
    /// "category {0}"
    Category(&'a str),
}

impl Why<'_> {
    /// The reason's words, then `; {dest_note}`.
    fn reason(&self, dest_note: &str) -> String {
        match *self {
            Why::Same { case, change } => format!("HS {case} = {change}; {dest_note}"),
            Why::Chapter { case, chapter } => {
                format!("HS {case} ⊂ Chapter {chapter}; {dest_note}")
            }
            Why::Inside { case, change } => format!("HS {case} ⊂ {change}; {dest_note}"),
            Why::Holds { case, change } => format!("HS {change} ⊂ {case}; {dest_note}"),
            Why::Siblings {
                case,
                change,
                shared,
            } => format!(
                "HS {case} and {change} share heading {}; {dest_note}",
                format_digits(shared)
            ),
            Why::Equivalent {
                case,
                other,
                change,
            } => format!(
                "HS {case} ≡ {other} (HS 2017/2022), named as {change}; {dest_note}"
            ),
            Why::SharesGoods {
                case,
                other,
                change,
            } => format!(
                "HS {case} shares goods with {other} (HS 2017/2022 correlation), named as {change}; {dest_note}"
            ),
            Why::InRange { case, lo, hi } => format!("HS {case} ∈ {lo}–{hi}; {dest_note}"),
            Why::Keyword(kw) => format!("keyword \"{kw}\"; {dest_note}"),
            Why::Category(cat) => format!("category {cat}; {dest_note}"),
        }
    }
}

/// How one case code relates to one change code, each with its digits
/// (`cd`, `kd`): the same, an ancestor (a chapter, or a heading and
/// deeper), a descendant of heading depth, or a sibling under one heading.
fn relate<'a>(
    change_hs: &'a str,
    cd: &'a str,
    case_hs: &'a str,
    kd: &str,
) -> Option<(Strength, usize, Why<'a>)> {
    if cd.len() < 2 || kd.len() < 2 {
        return None;
    }
    let (case, change) = (case_hs, change_hs);
    if cd == kd {
        return Some((Strength::Direct, cd.len(), Why::Same { case, change }));
    }
    if kd.starts_with(cd) {
        // The change names an ancestor: a chapter (2 digits) or a heading and deeper.
        if cd.len() < 4 {
            return Some((
                Strength::Chapter,
                cd.len(),
                Why::Chapter { case, chapter: cd },
            ));
        }
        return Some((Strength::Direct, cd.len(), Why::Inside { case, change }));
    }
    if cd.starts_with(kd) {
        if kd.len() < 4 {
            return None;
        }
        return Some((Strength::Direct, kd.len(), Why::Holds { case, change }));
    }
    // Siblings under one heading (8517.62 vs 8517.13): related, not affected.
    let shared = shared_heading(cd, kd)?;
    Some((
        Strength::Related,
        shared.len(),
        Why::Siblings {
            case,
            change,
            shared,
        },
    ))
}

/// Whether the change excludes this case code (its digits `kd`: "8517.62
/// hariç", "other codes of this heading are not affected"): an excluded
/// code or one of its descendants, unless the change names the case code,
/// or an ancestor of it more precise than the exclusion, as affected
/// (heading 8528 excluded, 8528.52 named: a case on 8528.52.00 is affected,
/// one on 8528.71 is not).
fn excluded(change: &Prepared, kd: &str) -> bool {
    change.excluded.iter().any(|xd| {
        xd.len() >= 4
            && kd.starts_with(xd.as_str())
            && !change.codes.iter().any(|(_, pd)| {
                pd.len() > xd.len() && pd.starts_with(xd.as_str()) && kd.starts_with(pd.as_str())
            })
    })
}

/// The jurisdiction whose goods rules a change carries: its source's, or
/// for a WTO notification the notifying member.
/// A WTO notification whose member is unknown covers no one.
pub fn effective_jurisdiction(jurisdiction: &str, tags: &Tags) -> Option<Country> {
    Country::parse(crate::model::rule_jurisdiction(
        jurisdiction,
        tags.member.as_deref(),
    ))
    .ok()
}

/// The strongest reason offered so far: strongest first, deepest first
/// within a strength, the first offered among equals.
#[derive(Default)]
struct Best<'a>(Option<(Strength, std::cmp::Reverse<usize>, Why<'a>)>);

impl<'a> Best<'a> {
    fn offer(&mut self, strength: Strength, depth: usize, why: Why<'a>) {
        let cand = (strength, std::cmp::Reverse(depth));
        if self.0.as_ref().is_none_or(|b| cand < (b.0, b.1)) {
            self.0 = Some((cand.0, cand.1, why));
        }
    }
}

/// How the change's rules reach the case's destination, and the words
/// saying so; None when they do not.
fn destination(jurisdiction: &str, tags: &Tags, country: &str) -> Option<(Reach, String)> {
    let j = effective_jurisdiction(jurisdiction, tags)?;
    let dest = Country::parse(country).ok()?;
    let reach = j.reach(&dest, &tags.measures);
    if reach == Reach::None {
        return None;
    }
    let note = if j == dest && jurisdiction == j.as_str() {
        format!("destination {dest}")
    } else if jurisdiction == "WTO" {
        format!("destination {dest} (WTO notification of {j})")
    } else if reach == Reach::Partly {
        format!("destination {dest} (covered by {j} only for goods at risk of moving into the EU)")
    } else {
        format!("destination {dest} (covered by {j})")
    };
    Some((reach, note))
}

/// The depth at which [`relate`] finds two codes' digits directly related
/// (the same, or one inside the other at heading level or deeper), without
/// the words: the HS links of a case code are many, and only a direct
/// relation counts for them.
fn direct_depth(cd: &str, kd: &str) -> Option<usize> {
    if cd.len() < 2 || kd.len() < 2 {
        None
    } else if cd == kd || (kd.starts_with(cd) && cd.len() >= 4) {
        // The same code, or the change names an ancestor of heading depth.
        Some(cd.len())
    } else if cd.starts_with(kd) && kd.len() >= 4 {
        Some(kd.len())
    } else {
        None
    }
}

/// The change's codes against one case code (`case_hs`, its digits `kd`):
/// the same, an ancestor, a descendant, a sibling; and across the HS
/// 2017/2022 correlation, an equivalent (direct) or a code sharing only
/// some goods (related).
fn offer_codes<'a>(
    best: &mut Best<'a>,
    change: &'a Prepared,
    case_hs: &'a str,
    kd: &str,
    links: Option<&'a Links>,
) {
    for (change_hs, cd) in &change.codes {
        if let Some((st, depth, why)) = relate(change_hs, cd, case_hs, kd) {
            best.offer(st, depth, why);
        }
        for (eq, ed) in links.map(|l| l.equivalents.as_slice()).unwrap_or_default() {
            if let Some(depth) = direct_depth(cd, ed) {
                best.offer(
                    Strength::Direct,
                    depth,
                    Why::Equivalent {
                        case: case_hs,
                        other: eq,
                        change: change_hs,
                    },
                );
            }
        }
    }
    // Codes that share only some goods across the versions (8524 display
    // modules were partly 8529.90): related, shown but not alerted by default.
    for (other, od) in links.map(|l| l.parts.as_slice()).unwrap_or_default() {
        for (change_hs, cd) in &change.codes {
            if let Some(depth) = direct_depth(cd, od) {
                best.offer(
                    Strength::Related,
                    depth,
                    Why::SharesGoods {
                        case: case_hs,
                        other,
                        change: change_hs,
                    },
                );
            }
        }
    }
}

/// The change's ranges and chapters against one case code (its digits
/// `kd`). A range covers the codes inside it ("8528.42 to 8528.59" holds
/// 8528.52), never its siblings outside (8528.71 is only related).
fn offer_ranges_and_chapters<'a>(
    best: &mut Best<'a>,
    tags: &'a Tags,
    change: &'a Prepared,
    case_hs: &'a str,
    kd: &str,
) {
    for (lo, hi) in &tags.hs_ranges {
        if hs_in_range(case_hs, lo, hi) {
            let depth = hs_digits(lo).len().min(hs_digits(hi).len());
            let strength = if depth < 4 {
                Strength::Chapter
            } else {
                Strength::Direct
            };
            best.offer(
                strength,
                depth,
                Why::InRange {
                    case: case_hs,
                    lo,
                    hi,
                },
            );
        }
    }
    for (ch, chd) in tags.chapters.iter().zip(&change.chapters) {
        if kd.starts_with(chd.as_str()) {
            best.offer(
                Strength::Chapter,
                2,
                Why::Chapter {
                    case: case_hs,
                    chapter: ch,
                },
            );
        }
    }
}

/// What of a change is worked out once however many cases it is matched
/// against: the digits of its codes, chapters and exclusions; its title
/// and text folded for keyword searches (at the first search); which case
/// codes the HS 2017/2022 correlation can tie to it, and the links of each
/// of those met; how its rules reach each destination met.
struct Prepared<'a> {
    hay: &'a str,
    /// Each HS code of the change with its digits.
    codes: Vec<(&'a str, String)>,
    /// The digits of each chapter the change names.
    chapters: Vec<String>,
    /// The digits of each code the change excludes.
    excluded: Vec<String>,
    folded: std::cell::OnceCell<regwatch_classify::KeywordText<'a>>,
    /// The keys (see [`link_key`]) of the case codes some correlated code
    /// of which shares a heading with a code of the change; None when every
    /// case code's links are to be looked at (a change code shorter than a
    /// heading).
    linked: std::cell::OnceCell<Option<std::collections::HashSet<String>>>,
    links: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<Links>>>,
    destinations: std::cell::RefCell<Vec<(String, Option<Reaching>)>>,
}

/// How a change's rules reach a destination, and the words saying so.
type Reaching = (Reach, std::rc::Rc<str>);

/// A case code's other-version codes, each with its digits: those
/// covering the same goods, and those sharing only some of them.
struct Links {
    equivalents: Vec<(String, String)>,
    parts: Vec<(String, String)>,
}

impl Links {
    /// The links of a case code, from the HS 2017/2022 correlation.
    fn of(code: &str) -> Links {
        let with_digits = |c: String| {
            let d = hs_digits(&c);
            (c, d)
        };
        let parts = regwatch_classify::hs_correlated(code)
            .into_iter()
            .filter(|(_, _, rel)| *rel == regwatch_classify::Relation::Part)
            .map(|(other, _, _)| with_digits(other))
            .collect();
        Links {
            equivalents: hs_equivalents(code).into_iter().map(with_digits).collect(),
            parts,
        }
    }
}

/// What a code's HS 2017/2022 links depend on: its first six digits (its
/// heading's four for a heading; a code of 5 digits or fewer than 4 has none).
fn link_key(kd: &str) -> &str {
    &kd[..kd.len().min(6)]
}

impl<'a> Prepared<'a> {
    fn new(hay: &'a str, tags: &'a Tags) -> Prepared<'a> {
        Prepared {
            hay,
            codes: tags
                .hs_codes
                .iter()
                .map(|c| (c.as_str(), hs_digits(c)))
                .collect(),
            chapters: tags.chapters.iter().map(|c| hs_digits(c)).collect(),
            excluded: tags
                .excluded_hs_codes
                .iter()
                .map(|c| hs_digits(c))
                .collect(),
            folded: Default::default(),
            linked: Default::default(),
            links: Default::default(),
            destinations: Default::default(),
        }
    }

    /// [`destination`] of a case, worked out once per destination.
    fn destination(&self, jurisdiction: &str, tags: &Tags, country: &str) -> Option<Reaching> {
        if let Some((_, d)) = self
            .destinations
            .borrow()
            .iter()
            .find(|(c, _)| c == country)
        {
            return d.clone();
        }
        let d = destination(jurisdiction, tags, country).map(|(r, n)| (r, n.into()));
        self.destinations
            .borrow_mut()
            .push((country.to_string(), d.clone()));
        d
    }

    fn contains(&self, keyword: &str) -> bool {
        self.folded
            .get_or_init(|| regwatch_classify::KeywordText::new(self.hay))
            .contains(keyword)
    }

    /// The keys of the case codes whose links can matter: a correlated code
    /// is only ever directly related to a change code of heading depth or
    /// deeper (see [`direct_depth`]), so under the heading of one; and the
    /// codes correlated with those of a heading are what the table gives for
    /// the heading itself (the relation is read from both sides of a row).
    fn linked(&self) -> Option<&std::collections::HashSet<String>> {
        self.linked
            .get_or_init(|| {
                let mut keys = std::collections::HashSet::new();
                for (_, cd) in &self.codes {
                    match cd.len() {
                        0 | 1 => {}
                        2 | 3 => return None,
                        _ => {
                            for (other, _, _) in regwatch_classify::hs_correlated(&cd[..4]) {
                                let od = hs_digits(&other);
                                keys.insert(od[..od.len().min(4)].to_string());
                                keys.insert(link_key(&od).to_string());
                            }
                        }
                    }
                }
                Some(keys)
            })
            .as_ref()
    }

    /// The HS 2017/2022 links of a case code (its digits `kd`), or None when
    /// none of them can tie it to the change.
    fn links(&self, code: &str, kd: &str) -> Option<std::rc::Rc<Links>> {
        if kd.len() < 4 {
            return None;
        }
        let key = link_key(kd);
        if self.linked().is_some_and(|keys| !keys.contains(key)) {
            return None;
        }
        if let Some(l) = self.links.borrow().get(key) {
            return Some(l.clone());
        }
        let l = std::rc::Rc::new(Links::of(code));
        self.links.borrow_mut().insert(key.to_string(), l.clone());
        Some(l)
    }
}

/// The title and text searched for keywords, as one haystack.
fn haystack(title: &str, text: &str) -> String {
    format!("{title}\n{text}")
}

/// The first of the case's keywords found in the change's title or text.
fn offer_keyword<'a>(best: &mut Best<'a>, case: &'a Case, change: &Prepared) {
    if let Some(kw) = case.keywords.iter().find(|kw| {
        let k = kw.trim();
        !k.is_empty() && change.contains(k)
    }) {
        best.offer(Strength::Keyword, 0, Why::Keyword(kw));
    }
}

/// Whether the change names goods by HS code or chapter (then a category
/// alone does not tie it to a case that has codes).
fn names_goods(tags: &Tags) -> bool {
    !tags.hs_codes.is_empty() || !tags.chapters.is_empty()
}

/// Category overlap decides only where HS codes cannot: when the change
/// names no HS code or chapter (a rule for "all medical devices") or the
/// case has none. A change naming other HS codes of the same category
/// (trackers vs smartphones) is not about this case's goods.
fn offer_category<'a>(best: &mut Best<'a>, tags: &Tags, case: &'a Case) {
    if names_goods(tags) && !case.hs_codes.is_empty() {
        return;
    }
    if let Some(cat) = case
        .categories
        .iter()
        .find(|cat| tags.categories.iter().any(|c| c.eq_ignore_ascii_case(cat)))
    {
        best.offer(Strength::Category, 0, Why::Category(cat));
    }
}

/// Why `tags` of a change from `jurisdiction` affect `case` and how
/// strongly, or None. The strongest reason is given.
pub fn match_case(
    jurisdiction: &str,
    tags: &Tags,
    title: &str,
    text: &str,
    case: &Case,
) -> Option<(Strength, String)> {
    let hay = haystack(title, text);
    match_prepared(jurisdiction, tags, &Prepared::new(&hay, tags), case)
}

/// [`match_case`] with what of the change is worked out once prepared.
fn match_prepared(
    jurisdiction: &str,
    tags: &Tags,
    change: &Prepared,
    case: &Case,
) -> Option<(Strength, String)> {
    if case.status != "open" {
        return None;
    }
    let (reach, dest_note) = change.destination(jurisdiction, tags, &case.country)?;
    // The case's codes the change does not exclude, each with its digits
    // and links.
    let mut codes = Vec::with_capacity(case.hs_codes.len());
    for h in &case.hs_codes {
        let kd = hs_digits(h.as_str());
        if !excluded(change, &kd) {
            let links = change.links(h.as_str(), &kd);
            codes.push((h.as_str(), kd, links));
        }
    }
    // A case whose every code is excluded is not affected through its goods,
    // whatever else the text says about them.
    if !case.hs_codes.is_empty() && codes.is_empty() {
        return None;
    }
    let mut best = Best::default();
    for (case_hs, kd, links) in &codes {
        offer_codes(&mut best, change, case_hs, kd, links.as_deref());
        offer_ranges_and_chapters(&mut best, tags, change, case_hs, kd);
    }
    offer_keyword(&mut best, case, change);
    offer_category(&mut best, tags, case);
    let (strength, _, why) = best.0?;
    let reason = why.reason(&dest_note);
    // EU duties reach Northern Ireland only for goods at risk: shown, not alerted.
    let strength = if reach == Reach::Partly {
        strength.max(Strength::Related)
    } else {
        strength
    };
    origin_rule(tags, case, strength, reason)
}

/// Origins: an origin-specific measure (a trade remedy on goods from China)
/// affects only cases of that origin; an origin exemption ("excepto las
/// originarias de Canadá") affects every origin but the exempt one. A case
/// of unknown origin is only related to either.
fn origin_rule(
    tags: &Tags,
    case: &Case,
    strength: Strength,
    reason: String,
) -> Option<(Strength, String)> {
    let same = |list: &[String], o: &str| list.iter().any(|x| x.eq_ignore_ascii_case(o));
    if tags.origins.is_empty() && tags.exempt_origins.is_empty() {
        return Some((strength, reason));
    }
    let exempt = tags.exempt_origins.join(", ");
    match case.origin.as_deref() {
        Some(o) if same(&tags.exempt_origins, o) => None,
        Some(o) if !tags.origins.is_empty() && !same(&tags.origins, o) => None,
        Some(o) if tags.origins.is_empty() => Some((
            strength,
            format!("{reason}; origin {o} (goods of {exempt} are exempt)"),
        )),
        Some(o) => Some((strength, format!("{reason}; origin {o}"))),
        None if tags.origins.is_empty() => Some((
            strength.max(Strength::Related),
            format!("{reason}; goods of {exempt} are exempt, and the case gives no origin"),
        )),
        None => Some((
            strength.max(Strength::Related),
            format!(
                "{reason}; on goods from {}, and the case gives no origin",
                tags.origins.join(", ")
            ),
        )),
    }
}

/// Every open case this change affects, with its strength and reason.
pub fn match_change(
    jurisdiction: &str,
    tags: &Tags,
    title: &str,
    text: &str,
    cases: &[Case],
) -> Vec<CaseMatch> {
    let hay = haystack(title, text);
    let words = Prepared::new(&hay, tags);
    cases
        .iter()
        .filter_map(|c| {
            match_prepared(jurisdiction, tags, &words, c).map(|(strength, reason)| CaseMatch {
                id: c.id.clone(),
                client: c.client.clone(),
                link: c.link.clone(),
                strength,
                reason,
                disposition: Default::default(),
            })
        })
        .collect()
}

// The index of match terms. A change reads only the open cases sharing a
// term with it: candidates, a superset of the cases `match_case` accepts
// (a property test compares the two over random cases and changes), then
// `match_case` decides on each. A term is `COUNTRY|kind:value`:
// - `hs:DDDD`, the heading of each case code (`hs:DD`/`hs:DDD` for a code
//   shorter than a heading): every relation `relate` accepts shares the
//   heading, or for a change naming a chapter, a range or a code shorter
//   than a heading, the chapter (a range of terms: `hs:85` to `hs:85:`);
// - `hsx:DDDD`, the heading of each code the HS 2017/2022 correlation
//   relates to a case code: those match only a change code of a heading or
//   deeper, looked up exactly;
// - `kw:WORD`, each keyword as written (the change's text is searched for
//   the country's keywords, the vocabulary, and those found are looked up);
// - `cat:name` (`cat0:name` for a case without HS codes, the only ones a
//   change naming goods can reach through a category), folded to lowercase.
// Exclusions, origins and the kind of measure only ever remove a match:
// they are left to `match_case`.

/// How terms are derived. Raise it when that changes (or when the HS
/// correlation tables do): the store rebuilds the terms at first use.
/// The store checks it before writing cases and before matching.
pub const TERMS_VERSION: i64 = 2;

/// The index term of an HS code: its heading, or the chapter (and a third
/// digit) of a shorter code.
fn hs_term(code: &str) -> Option<String> {
    let d = hs_digits(code);
    (d.len() >= 2).then(|| format!("hs:{}", &d[..d.len().min(4)]))
}

/// The terms an open case is found by, each with its destination; none for
/// a closed case or one whose destination is not a country.
pub fn case_terms(case: &Case) -> Vec<String> {
    if case.status != "open" {
        return vec![];
    }
    let Ok(dest) = Country::parse(&case.country) else {
        return vec![];
    };
    let mut terms = std::collections::BTreeSet::new();
    for h in &case.hs_codes {
        let code = h.as_str();
        terms.extend(hs_term(code));
        // Correlated codes (6 digits) count only when a change names them
        // at heading level or deeper: their own kind, never in a chapter's
        // range (8549, waste of many chapters, is not chapter 84's goods).
        let related = regwatch_classify::hs_correlated(code)
            .into_iter()
            .map(|(other, _, _)| other)
            .chain(hs_equivalents(code));
        for other in related {
            let d = hs_digits(&other);
            if d.len() >= 4 {
                terms.insert(format!("hsx:{}", &d[..4]));
            }
        }
    }
    for kw in &case.keywords {
        let k = kw.trim();
        if !k.is_empty() {
            terms.insert(format!("kw:{k}"));
        }
    }
    let cat = if case.hs_codes.is_empty() {
        "cat0"
    } else {
        "cat"
    };
    for c in &case.categories {
        terms.insert(format!("{cat}:{}", c.to_ascii_lowercase()));
    }
    terms.into_iter().map(|t| format!("{dest}|{t}")).collect()
}

/// Whether a term is a keyword's (the vocabulary holds those).
pub fn is_keyword_term(term: &str) -> bool {
    term.split_once('|')
        .is_some_and(|(_, t)| t.starts_with("kw:"))
}

/// The keyword of a keyword term (`TR|kw:IMEI` → `IMEI`).
pub fn term_keyword(term: &str) -> Option<&str> {
    term.split_once('|')?.1.strip_prefix("kw:")
}

/// What a change looks up in the index: terms (exact) and ranges of terms
/// (`[lo, hi)`), each for every country its rules may reach; and the
/// countries whose keywords its text is searched for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    pub countries: Vec<String>,
    pub terms: Vec<String>,
    pub ranges: Vec<(String, String)>,
}

/// The range of terms starting with `prefix` (terms go on with digits only,
/// and `:` sorts after `9`).
fn prefix_range(prefix: String) -> (String, String) {
    let hi = format!("{prefix}:");
    (prefix, hi)
}

/// The index look-up of a change, or None when its rules reach no one (a
/// WTO notification of no known member).
pub fn probe(jurisdiction: &str, tags: &Tags) -> Option<Probe> {
    let j = effective_jurisdiction(jurisdiction, tags)?;
    let mut terms = vec![];
    let mut ranges = vec![];
    for code in &tags.hs_codes {
        let d = hs_digits(code);
        match d.len() {
            0 | 1 => {}
            2 | 3 => ranges.push(prefix_range(format!("hs:{d}"))),
            _ => {
                terms.push(format!("hs:{}", &d[..4]));
                terms.push(format!("hsx:{}", &d[..4]));
            }
        }
    }
    for (lo, hi) in &tags.hs_ranges {
        let (l, h) = (hs_digits(lo), hs_digits(hi));
        if l.len() >= 2 && h.len() >= 2 && l[..2] <= h[..2] {
            ranges.push((format!("hs:{}", &l[..2]), format!("hs:{}:", &h[..2])));
        }
    }
    for ch in &tags.chapters {
        let d = hs_digits(ch);
        ranges.push(prefix_range(format!("hs:{}", &d[..d.len().min(4)])));
    }
    for c in &tags.categories {
        let c = c.to_ascii_lowercase();
        if !names_goods(tags) {
            terms.push(format!("cat:{c}"));
        }
        terms.push(format!("cat0:{c}"));
    }
    let countries: Vec<String> = j.reaches().iter().map(|c| c.to_string()).collect();
    let terms = terms
        .iter()
        .flat_map(|t| countries.iter().map(move |c| format!("{c}|{t}")))
        .collect();
    let ranges = ranges
        .iter()
        .flat_map(|(lo, hi)| {
            countries
                .iter()
                .map(move |c| (format!("{c}|{lo}"), format!("{c}|{hi}")))
        })
        .collect();
    Some(Probe {
        countries,
        terms,
        ranges,
    })
}

/// The key a keyword term is found by in the vocabulary (see
/// [`text_keys`]): its keyword's last word, folded; "" for a keyword that
/// can never occur.
pub fn vocabulary_key(term: &str) -> String {
    term_keyword(term)
        .and_then(regwatch_classify::keyword_key)
        .unwrap_or_default()
}

/// The keys of the vocabulary a change's title or text may hold keywords
/// of: its words and their stems. A keyword term whose
/// [`vocabulary_key`] is not among them cannot be found in the change, so
/// only the others are read and searched for.
pub fn text_keys(title: &str, text: &str) -> Vec<String> {
    let hay = haystack(title, text);
    regwatch_classify::KeywordText::new(&hay)
        .keys()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HsCode;

    fn case(
        id: &str,
        country: &str,
        hs: &[&str],
        cats: &[&str],
        kw: &[&str],
        status: &str,
    ) -> Case {
        Case {
            id: id.into(),
            client: "Acme".into(),
            title: "t".into(),
            country: country.into(),
            hs_codes: hs.iter().map(|s| HsCode::parse(s).unwrap()).collect(),
            categories: cats.iter().map(|s| s.to_string()).collect(),
            keywords: kw.iter().map(|s| s.to_string()).collect(),
            status: status.into(),
            link: None,
            origin: None,
        }
    }

    #[test]
    fn direct_depth_is_relates_direct_answer() {
        let pool = [
            "85",
            "851",
            "8517",
            "8517.62",
            "8517.62.00",
            "8517.13",
            "8528",
            "8528.52",
            "84",
            "8471.30",
            "9018.19",
            "3827.11",
            "38",
        ];
        for a in pool {
            for b in pool {
                let want = match reference::relate(a, b) {
                    Some((Strength::Direct, depth, _)) => Some(depth),
                    _ => None,
                };
                assert_eq!(direct_depth(&hs_digits(a), &hs_digits(b)), want, "{a} {b}");
            }
        }
    }

    #[test]
    fn the_matcher_agrees_with_the_reference_on_every_reason() {
        // Codes of one heading and its neighbours, codes the HS 2017/2022
        // correlation relates (renumbered, split, merged), chapters,
        // headings, national lines; changes naming codes, chapters, ranges,
        // exclusions and origins, from members, unions and the WTO.
        let codes = [
            "85",
            "851",
            "8517",
            "8517.62",
            "8517.62.00",
            "8517.62.00.10",
            "8517.13",
            "8517.12",
            "8517.14",
            "8517.1",
            "8528",
            "8528.52",
            "8528.52.00",
            "8528.71",
            "8524.11",
            "8529.90",
            "8539.50",
            "8539.52",
            "3827.11",
            "3824.71",
            "3822.13",
            "3006.20",
            "8471.30",
            "9018.19",
            "9018.90",
            "8541.43",
            "7318.15",
            "84",
            "8549.11",
            "8548.00",
        ];
        let countries = ["TR", "DE", "XI", "GB", "VN", "US", "MX", "EU"];
        let words = ["IMEI", "router", "tıbbi cihaz", "lithium", "", " model-7 "];
        let cats = ["telecom", "electronics", "medical", "MEDICAL"];
        let mix = |i: usize, salt: usize| {
            let mut x = (i as u64 ^ (salt as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x ^= x >> 31;
            x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
            (x ^ (x >> 29)) as usize
        };
        let pick = |i: usize, salt: usize, n: usize, from: &[&str]| -> Vec<String> {
            (0..mix(i, salt) % (n + 1))
                .map(|k| from[mix(i, salt + 1 + k) % from.len()].to_string())
                .collect()
        };
        let cases: Vec<Case> = (0..400)
            .map(|i| {
                let mut c = case(
                    &format!("C{i}"),
                    countries[mix(i, 1) % countries.len()],
                    &[],
                    &[],
                    &[],
                    if mix(i, 2) % 10 == 0 {
                        "closed"
                    } else {
                        "open"
                    },
                );
                c.hs_codes = pick(i, 3, 3, &codes)
                    .iter()
                    .filter_map(|h| HsCode::parse(h).ok())
                    .collect();
                c.categories = pick(i, 10, 2, &cats);
                c.keywords = pick(i, 20, 2, &words);
                c.origin =
                    [None, Some("CN"), Some("CA"), Some("VN")][mix(i, 30) % 4].map(String::from);
                c
            })
            .collect();
        let (mut compared, mut matched) = (0, 0);
        for i in 0..300 {
            let mut t = tags(&[], &[]);
            t.hs_codes = pick(i, 40, 3, &codes);
            t.chapters = pick(i, 50, 1, &["84", "85", "90", "8"]);
            t.excluded_hs_codes = if mix(i, 60) % 4 == 0 {
                pick(i, 61, 1, &codes)
            } else {
                vec![]
            };
            t.categories = pick(i, 70, 2, &cats);
            if mix(i, 80) % 5 == 0 {
                let (lo, hi) =
                    [("8528.42", "8528.59"), ("8501", "8504"), ("84", "87")][mix(i, 81) % 3];
                t.hs_ranges = vec![(lo.into(), hi.into())];
            }
            t.origins = pick(i, 90, 1, &["CN", "VN"]);
            t.exempt_origins = pick(i, 95, 1, &["CA"]);
            t.measures = pick(
                i,
                100,
                2,
                &["tariff", "goods_rule", "ukca", "trade_defence"],
            );
            let jurisdiction = ["TR", "EU", "GB", "WTO", "US", "VN"][mix(i, 110) % 6];
            if jurisdiction == "WTO" && mix(i, 111) % 2 == 0 {
                t.member = Some("TR".into());
            }
            let title =
                ["Yeni IMEI kaydı", "Routers", "tıbbi cihazların kaydı", ""][mix(i, 120) % 4];
            let text = ["", "model-7 lithium batteries"][mix(i, 121) % 2];
            let all = match_change(jurisdiction, &t, title, text, &cases);
            let mut got = all.iter();
            for c in &cases {
                let want = reference::match_case(jurisdiction, &t, title, text, c);
                assert_eq!(
                    match_case(jurisdiction, &t, title, text, c),
                    want,
                    "{jurisdiction} {t:?} {c:?}"
                );
                if let Some((strength, reason)) = want {
                    let m = got.next().expect("match_change lost a match");
                    assert_eq!((&m.id, m.strength, &m.reason), (&c.id, strength, &reason));
                    matched += 1;
                }
                compared += 1;
            }
            assert!(got.next().is_none(), "match_change found more");
        }
        // Not vacuous: many pairs match, through many kinds of reason.
        assert_eq!(compared, 120_000);
        assert!(matched > 5_000, "{matched} matches");
    }

    fn tags(hs: &[&str], cats: &[&str]) -> Tags {
        Tags {
            hs_codes: hs.iter().map(|s| s.to_string()).collect(),
            categories: cats.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn m(j: &str, t: &Tags, text: &str, c: &Case) -> Option<(Strength, String)> {
        match_case(j, t, "", text, c)
    }

    #[test]
    fn hs_heading_match_with_reason() {
        let c = case("CASE-7", "TR", &["8517.62"], &[], &[], "open");
        let r = m("TR", &tags(&["8517"], &[]), "", &c).unwrap();
        assert_eq!(
            r,
            (Strength::Direct, "HS 8517.62 ⊂ 8517; destination TR".into())
        );
        let r = m("TR", &tags(&["8517.62.00.00"], &[]), "", &c).unwrap();
        assert_eq!(r.1, "HS 8517.62.00.00 ⊂ 8517.62; destination TR");
        assert_eq!(
            m("TR", &tags(&["8517.62"], &[]), "", &c).unwrap().1,
            "HS 8517.62 = 8517.62; destination TR"
        );
    }

    #[test]
    fn non_matches() {
        let c = case("C", "TR", &["8517.62"], &[], &[], "open");
        // wrong country
        assert!(m("VN", &tags(&["8517.62"], &[]), "", &c).is_none());
        // another heading of the same chapter
        assert!(m("TR", &tags(&["8504.40"], &[]), "", &c).is_none());
        // closed case
        let closed = case("C", "TR", &["8517.62"], &[], &[], "closed");
        assert!(m("TR", &tags(&["8517.62"], &[]), "", &closed).is_none());
    }

    #[test]
    fn siblings_are_related_not_direct() {
        // A router rule (8517.62) and a smartphone case (8517.13).
        let phone = case("PHONE", "TR", &["8517.13"], &[], &[], "open");
        let (s, r) = m("TR", &tags(&["8517.62"], &["telecom"]), "", &phone).unwrap();
        assert_eq!(s, Strength::Related);
        assert!(r.contains("share heading 8517"), "{r}");
        assert!(
            !s.at_least(Strength::Keyword),
            "related is never alerted by default"
        );
        // An infusion set (9018.90) and a patient monitor (9018.19).
        let monitor = case("MON", "TR", &["9018.19"], &[], &[], "open");
        assert_eq!(
            m("TR", &tags(&["9018.90"], &[]), "", &monitor).unwrap().0,
            Strength::Related
        );
    }

    #[test]
    fn an_excluded_code_never_matches() {
        let router = case("R", "TR", &["8517.62"], &["telecom"], &[], "open");
        let phone = case("P", "TR", &["8517.13"], &["telecom"], &[], "open");
        let t = Tags {
            hs_codes: vec![],
            chapters: vec!["85".into()],
            excluded_hs_codes: vec!["8517.62".into()],
            categories: vec!["telecom".into()],
            ..Default::default()
        };
        assert!(m("TR", &t, "", &router).is_none());
        let (s, r) = m("TR", &t, "", &phone).unwrap();
        assert_eq!(s, Strength::Chapter);
        assert_eq!(r, "HS 8517.13 ⊂ Chapter 85; destination TR");
        // A descendant of an excluded code is excluded too.
        let line = case("L", "TR", &["8517.62.00.10"], &[], &[], "open");
        assert!(m("TR", &t, "", &line).is_none());
    }

    #[test]
    fn a_chapter_rule_reaches_every_case_in_the_chapter() {
        let t = Tags {
            chapters: vec!["84".into(), "85".into()],
            ..Default::default()
        };
        for hs in ["8524.11", "8471.30", "8517.13"] {
            let c = case("C", "TR", &[hs], &[], &[], "open");
            assert_eq!(m("TR", &t, "", &c).unwrap().0, Strength::Chapter, "{hs}");
        }
        let c = case("C", "TR", &["9018.19"], &[], &[], "open");
        assert!(m("TR", &t, "", &c).is_none());
        // A bare chapter among the HS codes counts the same.
        let c = case("C", "TR", &["8524.11"], &[], &[], "open");
        assert_eq!(
            m("TR", &tags(&["85"], &[]), "", &c).unwrap().0,
            Strength::Chapter
        );
    }

    #[test]
    fn eu_covers_members_and_northern_ireland() {
        let c = case("C", "DE", &[], &["medical"], &[], "open");
        let (s, r) = m("EU", &tags(&[], &["medical"]), "", &c).unwrap();
        assert_eq!(s, Strength::Category);
        assert_eq!(r, "category medical; destination DE (covered by EU)");
        let xi = case("C", "XI", &["9018.19"], &[], &[], "open");
        assert!(m("EU", &tags(&["9018.19"], &[]), "", &xi).is_some());
        let tr = case("C", "TR", &[], &["medical"], &[], "open");
        assert!(m("EU", &tags(&[], &["medical"]), "", &tr).is_none());
    }

    #[test]
    fn a_wto_notification_covers_the_notifying_member() {
        let c = case("C", "TR", &["8517.13"], &[], &[], "open");
        let mut t = tags(&["8517.13"], &[]);
        assert!(m("WTO", &t, "", &c).is_none(), "no member: covers no one");
        t.member = Some("TR".into());
        let (s, r) = m("WTO", &t, "", &c).unwrap();
        assert_eq!(s, Strength::Direct);
        assert!(r.contains("WTO notification of TR"), "{r}");
        let vn = case("C", "VN", &["8517.13"], &[], &[], "open");
        assert!(m("WTO", &t, "", &vn).is_none());
    }

    #[test]
    fn hs_versions_are_equivalent() {
        // A one-to-one row of the published correlation: 3827.11 (HS 2022) = 3824.71 (HS 2017).
        let c = case("C", "VN", &["3827.11"], &[], &[], "open");
        let (s, r) = m("VN", &tags(&["3824.71"], &[]), "", &c).unwrap();
        assert_eq!(s, Strength::Direct);
        assert!(r.contains('≡'), "{r}");
        assert!(!r.contains('⊂'), "an equivalence is not a subset: {r}");
        // 8517.13 and 8517.12 share goods (a split): related, not direct.
        let c = case("C", "VN", &["8517.13"], &[], &["IMEI"], "open");
        let (s, _) = m("VN", &tags(&["8517.12"], &[]), "", &c).unwrap();
        assert_eq!(s, Strength::Related);
    }

    #[test]
    fn correlated_codes_reach_a_case_on_the_other_version_and_back() {
        // Every 25th row of the published table, and every one-to-one row
        // whose codes differ (a renumbering): a full pass takes minutes in a
        // debug build.
        let table = include_str!("../crates/classify/data/hs2017-hs2022-correlation.csv");
        let mut rows = 0;
        let lines = table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .skip(1);
        for (i, line) in lines.enumerate() {
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            let (new, old, relation) = (cols[0], cols[1], cols[2]);
            if new.starts_with("9999") || old.starts_with("9999") {
                continue;
            }
            let renumbered = relation == "1:1" && new != old;
            if i % 25 != 0 && !renumbered {
                continue;
            }
            let expect = if relation == "1:1" {
                Strength::Direct
            } else {
                Strength::Related
            };
            for (case_code, change_code) in [(old, new), (new, old)] {
                let c = case("C", "TR", &[case_code], &[], &[], "open");
                let got = m("TR", &tags(&[change_code], &[]), "", &c);
                let (s, r) = got.unwrap_or_else(|| {
                    panic!("a case on {case_code} is not reached by {change_code} ({relation})")
                });
                assert!(
                    s <= expect,
                    "{case_code} vs {change_code} ({relation}): {s:?} {r}"
                );
                if renumbered {
                    assert!(r.contains('≡'), "{r}");
                }
            }
            rows += 1;
        }
        assert!(rows > 600, "{rows} rows");
    }

    #[test]
    fn origin_specific_measures_match_only_their_origin() {
        let t = Tags {
            hs_codes: vec!["8541.43".into()],
            origins: vec!["CN".into()],
            ..Default::default()
        };
        let mut c = case("C", "US", &["8541.43"], &[], &[], "open");
        c.origin = Some("CN".into());
        let (s, r) = m("US", &t, "", &c).unwrap();
        assert_eq!(s, Strength::Direct);
        assert!(r.ends_with("; origin CN"), "{r}");
        c.origin = Some("VN".into());
        assert!(m("US", &t, "", &c).is_none());
        c.origin = None;
        let (s, r) = m("US", &t, "", &c).unwrap();
        assert_eq!(s, Strength::Related);
        assert!(r.contains("gives no origin"), "{r}");
        // A measure naming no origin applies to every origin.
        c.origin = Some("VN".into());
        assert_eq!(
            m("US", &tags(&["8541.43"], &[]), "", &c).unwrap().0,
            Strength::Direct
        );
    }

    #[test]
    fn keywords_fold_case_and_turkish_suffixes() {
        let c = case("C", "VN", &[], &[], &["IMEI"], "open");
        let (s, r) = match_case("VN", &tags(&[], &[]), "Quy định IMEI mới", "", &c).unwrap();
        assert_eq!(s, Strength::Keyword);
        assert_eq!(r, "keyword \"IMEI\"; destination VN");
        assert!(match_case("VN", &tags(&[], &[]), "IMEIX", "", &c).is_none());
        let c = case("C", "TR", &[], &[], &["tıbbi cihaz"], "open");
        assert!(m("TR", &tags(&[], &[]), "TIBBİ CİHAZ ithalatı", &c).is_some());
        assert!(m("TR", &tags(&[], &[]), "tıbbi cihazların kaydı", &c).is_some());
    }

    #[test]
    fn category_decides_only_without_hs_codes() {
        let c = case("C", "TR", &["8517.13"], &["telecom"], &[], "open");
        // Another telecom heading: HS decides, and it says no.
        assert!(m("TR", &tags(&["8526.91"], &["telecom"]), "", &c).is_none());
        // A telecom rule naming no HS code: the category matches.
        let (s, r) = m("TR", &tags(&[], &["telecom"]), "", &c).unwrap();
        assert_eq!(
            (s, r.as_str()),
            (Strength::Category, "category telecom; destination TR")
        );
        // A case with categories only matches any change of its category.
        let c = case("C", "TR", &[], &["medical"], &[], "open");
        assert!(m("TR", &tags(&["9018.19"], &["medical"]), "", &c).is_some());
    }

    #[test]
    fn the_strongest_reason_wins() {
        let c = case(
            "C",
            "TR",
            &["8517.13", "8517.62"],
            &["telecom"],
            &["router"],
            "open",
        );
        let (s, _) = m("TR", &tags(&["8517.62"], &["telecom"]), "router rule", &c).unwrap();
        assert_eq!(s, Strength::Direct);
        assert!(Strength::Direct.at_least(Strength::Keyword));
        assert!(Strength::Chapter.at_least(Strength::Keyword));
        assert!(!Strength::Category.at_least(Strength::Keyword));
    }

    fn measures(t: &mut Tags, m: &[&str]) {
        t.measures = m.iter().map(|s| s.to_string()).collect();
    }

    #[test]
    fn a_range_matches_the_codes_inside_it_not_its_heading() {
        // "subheadings 8528.42 to 8528.59": the ends are codes, the range is kept
        let mut t = tags(&["8528.42", "8528.59"], &["electronics"]);
        t.hs_ranges = vec![("8528.42".into(), "8528.59".into())];
        let inside = case("IN", "TR", &["8528.52.00"], &[], &[], "open");
        let (s, r) = m("TR", &t, "", &inside).unwrap();
        assert_eq!(s, Strength::Direct);
        assert!(r.contains("∈ 8528.42–8528.59"), "{r}");
        // a sibling outside the range shares the heading only: related, never direct
        let outside = case("OUT", "TR", &["8528.71"], &[], &[], "open");
        assert_eq!(m("TR", &t, "", &outside).unwrap().0, Strength::Related);
        // "85.01 a 85.04": headings inside
        let mut t = tags(&["8501", "8504"], &[]);
        t.hs_ranges = vec![("8501".into(), "8504".into())];
        let c = case("C", "MX", &["8502.11"], &[], &[], "open");
        assert_eq!(m("MX", &t, "", &c).unwrap().0, Strength::Direct);
        let c = case("C", "MX", &["8505.11"], &[], &[], "open");
        assert!(m("MX", &t, "", &c).is_none());
        // a range of chapters is a chapter match
        let mut t = tags(&["84", "87"], &[]);
        t.hs_ranges = vec![("84".into(), "87".into())];
        let c = case("C", "TR", &["8602.10"], &[], &[], "open");
        assert_eq!(m("TR", &t, "", &c).unwrap().0, Strength::Chapter);
    }

    #[test]
    fn other_codes_of_the_heading_not_affected() {
        // "Subheading 8528.52 of heading 85.28 is affected; other codes of
        // this heading are not affected."
        let t = Tags {
            hs_codes: vec!["8528".into(), "8528.52".into()],
            excluded_hs_codes: vec!["8528".into()],
            ..Default::default()
        };
        let named = case("N", "TR", &["8528.52.00"], &[], &[], "open");
        assert_eq!(m("TR", &t, "", &named).unwrap().0, Strength::Direct);
        let other = case("O", "TR", &["8528.71"], &[], &[], "open");
        assert!(m("TR", &t, "", &other).is_none());
        // "8517.62 hariç": never matches, with a keyword or a category either
        let t = Tags {
            hs_codes: vec!["8517".into()],
            excluded_hs_codes: vec!["8517.62".into()],
            categories: vec!["telecom".into()],
            ..Default::default()
        };
        let router = case(
            "R",
            "TR",
            &["8517.62.00"],
            &["telecom"],
            &["router"],
            "open",
        );
        assert!(m("TR", &t, "router", &router).is_none());
    }

    #[test]
    fn an_origin_exemption_covers_every_other_origin() {
        // "excepto las originarias de Canadá"
        let t = Tags {
            hs_codes: vec!["7318.15".into()],
            exempt_origins: vec!["CA".into()],
            ..Default::default()
        };
        let mut c = case("C", "MX", &["7318.15"], &[], &[], "open");
        c.origin = Some("CA".into());
        assert!(
            m("MX", &t, "", &c).is_none(),
            "the exempt origin never matches"
        );
        c.origin = Some("CN".into());
        let (s, r) = m("MX", &t, "", &c).unwrap();
        assert_eq!(s, Strength::Direct);
        assert!(r.ends_with("origin CN (goods of CA are exempt)"), "{r}");
        c.origin = None;
        let (s, r) = m("MX", &t, "", &c).unwrap();
        assert_eq!(s, Strength::Related);
        assert!(
            r.contains("CA are exempt, and the case gives no origin"),
            "{r}"
        );
    }

    #[test]
    fn territory_of_uk_and_eu_measures() {
        let xi = case("XI", "XI", &["8517.13"], &[], &[], "open");
        let gb = case("GB", "GB", &["8517.13"], &[], &[], "open");
        // a UK tariff change reaches Northern Ireland
        let mut t = tags(&["8517.13"], &[]);
        measures(&mut t, &["tariff"]);
        let (s, r) = m("GB", &t, "", &xi).unwrap();
        assert_eq!(s, Strength::Direct);
        assert!(r.ends_with("destination XI (covered by GB)"), "{r}");
        // a UKCA rule covers Great Britain only
        measures(&mut t, &["goods_rule", "ukca"]);
        assert!(m("GB", &t, "", &xi).is_none());
        assert_eq!(m("GB", &t, "", &gb).unwrap().0, Strength::Direct);
        // an EU goods rule (RED, MDR, ecodesign) covers Northern Ireland
        measures(&mut t, &["goods_rule"]);
        assert_eq!(m("EU", &t, "", &xi).unwrap().0, Strength::Direct);
        // EU duties reach it only for goods at risk: related
        measures(&mut t, &["trade_defence", "tariff"]);
        let (s, r) = m("EU", &t, "", &xi).unwrap();
        assert_eq!(s, Strength::Related);
        assert!(r.contains("only for goods at risk"), "{r}");
        // and never Türkiye, customs union or not
        let tr = case("TR", "TR", &["8517.13"], &[], &[], "open");
        assert!(m("EU", &t, "", &tr).is_none());
        measures(&mut t, &["goods_rule"]);
        assert!(m("EU", &t, "", &tr).is_none());
        // the table itself
        let c = |s: &str| Country::parse(s).unwrap();
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(c("GB").reach(&c("XI"), &k(&["tariff"])), Reach::Covers);
        assert_eq!(c("GB").reach(&c("XI"), &k(&["ukca"])), Reach::None);
        assert_eq!(c("EU").reach(&c("XI"), &k(&[])), Reach::Covers);
        assert_eq!(c("EU").reach(&c("DE"), &k(&["tariff"])), Reach::Covers);
        assert_eq!(c("EU").reach(&c("TR"), &k(&["tariff"])), Reach::None);
        assert!(c("XI").covered_by().contains(&c("GB")));
    }
}
