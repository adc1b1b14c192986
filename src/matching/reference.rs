//! The matcher as it was before the match stage was made cheaper per
//! candidate (reasons put together once, for the strongest only; the HS
//! correlation looked up only for codes it can tie to the change; digits
//! worked out once): kept, for the tests only, as the reference the
//! faster one must agree with on every strength and every reason.

use super::{destination, direct_depth, haystack, names_goods, origin_rule, Links};
use crate::model::{Case, Reach, Strength, Tags};
use regwatch_classify::{hs_digits, hs_in_range, hs_overlap};

/// How one case code relates to one change code.
pub(super) fn relate(change_hs: &str, case_hs: &str) -> Option<(Strength, usize, String)> {
    let (cd, kd) = (hs_digits(change_hs), hs_digits(case_hs));
    if cd.len() < 2 || kd.len() < 2 {
        return None;
    }
    if cd == kd {
        return Some((
            Strength::Direct,
            cd.len(),
            format!("HS {case_hs} = {change_hs}"),
        ));
    }
    if kd.starts_with(&cd) {
        // The change names an ancestor: a chapter (2 digits) or a heading and deeper.
        if cd.len() < 4 {
            return Some((
                Strength::Chapter,
                cd.len(),
                format!("HS {case_hs} ⊂ Chapter {cd}"),
            ));
        }
        return Some((
            Strength::Direct,
            cd.len(),
            format!("HS {case_hs} ⊂ {change_hs}"),
        ));
    }
    if cd.starts_with(&kd) {
        if kd.len() < 4 {
            return None;
        }
        return Some((
            Strength::Direct,
            kd.len(),
            format!("HS {change_hs} ⊂ {case_hs}"),
        ));
    }
    // Siblings under one heading (8517.62 vs 8517.13): related, not affected.
    let shared = hs_overlap(change_hs, case_hs)?;
    let len = hs_digits(&shared).len();
    (len >= 4).then(|| {
        (
            Strength::Related,
            len,
            format!("HS {case_hs} and {change_hs} share heading {shared}"),
        )
    })
}

/// Whether the change excludes this case code ("8517.62 hariç", "other
/// codes of this heading are not affected"): an excluded code or one of its
/// descendants, unless the change names the case code, or an ancestor of it
/// more precise than the exclusion, as affected (heading 8528 excluded,
/// 8528.52 named: a case on 8528.52.00 is affected, one on 8528.71 is not).
fn excluded(tags: &Tags, case_hs: &str) -> bool {
    let kd = hs_digits(case_hs);
    tags.excluded_hs_codes.iter().any(|x| {
        let xd = hs_digits(x);
        xd.len() >= 4
            && kd.starts_with(&xd)
            && !tags.hs_codes.iter().any(|p| {
                let pd = hs_digits(p);
                pd.len() > xd.len() && pd.starts_with(&xd) && kd.starts_with(&pd)
            })
    })
}

/// The strongest reason offered so far: strongest first, deepest first
/// within a strength, the first offered among equals.
#[derive(Default)]
struct Best(Option<(Strength, std::cmp::Reverse<usize>, String)>);

impl Best {
    fn offer(&mut self, strength: Strength, depth: usize, reason: String) {
        let cand = (strength, std::cmp::Reverse(depth), reason);
        if self
            .0
            .as_ref()
            .is_none_or(|b| (cand.0, cand.1) < (b.0, b.1))
        {
            self.0 = Some(cand);
        }
    }
}

/// The change's codes against one case code: the same, an ancestor, a
/// descendant, a sibling; and across the HS 2017/2022 correlation, an
/// equivalent (direct) or a code sharing only some goods (related).
fn offer_codes(best: &mut Best, tags: &Tags, case_hs: &str, links: &Links, dest_note: &str) {
    for change_hs in &tags.hs_codes {
        if let Some((st, depth, rel)) = relate(change_hs, case_hs) {
            best.offer(st, depth, format!("{rel}; {dest_note}"));
        }
        let cd = hs_digits(change_hs);
        for (eq, ed) in &links.equivalents {
            if let Some(depth) = direct_depth(&cd, ed) {
                best.offer(
                    Strength::Direct,
                    depth,
                    format!(
                        "HS {case_hs} ≡ {eq} (HS 2017/2022), named as {change_hs}; {dest_note}"
                    ),
                );
            }
        }
    }
    // Codes that share only some goods across the versions (8524 display
    // modules were partly 8529.90): related, shown but not alerted by default.
    let change_digits: Vec<String> = tags.hs_codes.iter().map(|c| hs_digits(c)).collect();
    for (other, od) in &links.parts {
        for (change_hs, cd) in tags.hs_codes.iter().zip(&change_digits) {
            if let Some(depth) = direct_depth(cd, od) {
                best.offer(
                    Strength::Related,
                    depth,
                    format!(
                        "HS {case_hs} shares goods with {other} (HS 2017/2022 correlation), named as {change_hs}; {dest_note}"
                    ),
                );
            }
        }
    }
}

/// The change's ranges and chapters against one case code. A range covers
/// the codes inside it ("8528.42 to 8528.59" holds 8528.52), never its
/// siblings outside (8528.71 is only related).
fn offer_ranges_and_chapters(best: &mut Best, tags: &Tags, case_hs: &str, dest_note: &str) {
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
                format!("HS {case_hs} ∈ {lo}–{hi}; {dest_note}"),
            );
        }
    }
    for ch in &tags.chapters {
        if hs_digits(case_hs).starts_with(&hs_digits(ch)) {
            best.offer(
                Strength::Chapter,
                2,
                format!("HS {case_hs} ⊂ Chapter {ch}; {dest_note}"),
            );
        }
    }
}

/// What of a change is worked out once however many cases it is matched
/// against: its title and text folded for keyword searches (at the first
/// search), the HS 2017/2022 links of each case code met, and how its
/// rules reach each destination met.
struct Prepared<'a> {
    hay: &'a str,
    folded: std::cell::OnceCell<regwatch_classify::KeywordText<'a>>,
    links: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<Links>>>,
    destinations: std::cell::RefCell<std::collections::HashMap<String, Option<(Reach, String)>>>,
}

impl<'a> Prepared<'a> {
    fn new(hay: &'a str) -> Prepared<'a> {
        Prepared {
            hay,
            folded: Default::default(),
            links: Default::default(),
            destinations: Default::default(),
        }
    }

    /// [`destination`] of a case, worked out once per destination.
    fn destination(&self, jurisdiction: &str, tags: &Tags, case: &Case) -> Option<(Reach, String)> {
        if let Some(d) = self.destinations.borrow().get(&case.country) {
            return d.clone();
        }
        let d = destination(jurisdiction, tags, &case.country);
        self.destinations
            .borrow_mut()
            .insert(case.country.clone(), d.clone());
        d
    }

    fn contains(&self, keyword: &str) -> bool {
        self.folded
            .get_or_init(|| regwatch_classify::KeywordText::new(self.hay))
            .contains(keyword)
    }

    fn links(&self, code: &str) -> std::rc::Rc<Links> {
        if let Some(l) = self.links.borrow().get(code) {
            return l.clone();
        }
        let l = std::rc::Rc::new(Links::of(code));
        self.links.borrow_mut().insert(code.to_string(), l.clone());
        l
    }
}

/// The first of the case's keywords found in the change's title or text.
fn offer_keyword(best: &mut Best, case: &Case, change: &Prepared, dest_note: &str) {
    if let Some(kw) = case.keywords.iter().find(|kw| {
        let k = kw.trim();
        !k.is_empty() && change.contains(k)
    }) {
        best.offer(
            Strength::Keyword,
            0,
            format!("keyword \"{kw}\"; {dest_note}"),
        );
    }
}

/// Category overlap decides only where HS codes cannot: when the change
/// names no HS code or chapter (a rule for "all medical devices") or the
/// case has none. A change naming other HS codes of the same category
/// (trackers vs smartphones) is not about this case's goods.
fn offer_category(best: &mut Best, tags: &Tags, case: &Case, dest_note: &str) {
    if names_goods(tags) && !case.hs_codes.is_empty() {
        return;
    }
    if let Some(cat) = case
        .categories
        .iter()
        .find(|cat| tags.categories.iter().any(|c| c.eq_ignore_ascii_case(cat)))
    {
        best.offer(
            Strength::Category,
            0,
            format!("category {cat}; {dest_note}"),
        );
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
    match_prepared(jurisdiction, tags, &Prepared::new(&hay), case)
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
    let (reach, dest_note) = change.destination(jurisdiction, tags, case)?;
    let mut best = Best::default();
    let case_codes: Vec<&str> = case
        .hs_codes
        .iter()
        .map(|h| h.as_str())
        .filter(|h| !excluded(tags, h))
        .collect();
    for &case_hs in &case_codes {
        offer_codes(&mut best, tags, case_hs, &change.links(case_hs), &dest_note);
        offer_ranges_and_chapters(&mut best, tags, case_hs, &dest_note);
    }
    offer_keyword(&mut best, case, change, &dest_note);
    offer_category(&mut best, tags, case, &dest_note);
    // A case whose every code is excluded is not affected through its goods,
    // whatever else the text says about them.
    if !case.hs_codes.is_empty() && case_codes.is_empty() {
        return None;
    }
    let (strength, _, reason) = best.0?;
    // EU duties reach Northern Ireland only for goods at risk: shown, not alerted.
    let strength = if reach == Reach::Partly {
        strength.max(Strength::Related)
    } else {
        strength
    };
    origin_rule(tags, case, strength, reason)
}
