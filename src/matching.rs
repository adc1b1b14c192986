//! The match stage: which open cases a change affects, each with a reason a
//! person can check ("HS 8517.62 ⊂ 8517; destination TR").

use crate::model::{Case, CaseMatch, Country, Tags};
use regwatch_classify::{hs_digits, hs_equivalents, hs_overlap};

/// Why `tags` of a change from `jurisdiction` affect `case`, or None.
pub fn match_case(
    jurisdiction: &str,
    tags: &Tags,
    title: &str,
    text: &str,
    case: &Case,
) -> Option<String> {
    if case.status != "open" {
        return None;
    }
    let j = Country::parse(jurisdiction).ok()?;
    let dest = Country::parse(&case.country).ok()?;
    if !j.covers(&dest) {
        return None;
    }
    let dest_note = if j == dest {
        format!("destination {dest}")
    } else {
        format!("destination {dest} (covered by {j})")
    };
    // HS overlap at heading level (4 digits) or deeper, across HS versions;
    // the most specific overlap is the reason given.
    let mut best: Option<(usize, String)> = None;
    for case_hs in &case.hs_codes {
        let case_hs = case_hs.as_str();
        let mut case_codes = vec![case_hs.to_string()];
        case_codes.extend(hs_equivalents(case_hs));
        for change_hs in &tags.hs_codes {
            for cc in &case_codes {
                let Some(shared) = hs_overlap(change_hs, cc) else {
                    continue;
                };
                let len = hs_digits(&shared).len();
                if len < 4 || best.as_ref().map(|(l, _)| *l >= len).unwrap_or(false) {
                    continue;
                }
                let via = if cc != case_hs {
                    format!(" (HS 2017/2022 equivalent {cc})")
                } else {
                    String::new()
                };
                let (sd, cd, xd) = (hs_digits(&shared), hs_digits(change_hs), hs_digits(cc));
                let rel = if sd != cd && sd != xd {
                    format!("HS {case_hs} and {change_hs} share {shared}")
                } else if cd == hs_digits(case_hs) {
                    format!("HS {case_hs} = {change_hs}")
                } else if cd.len() <= hs_digits(case_hs).len() {
                    format!("HS {case_hs} ⊂ {change_hs}")
                } else {
                    format!("HS {change_hs} ⊂ {case_hs}")
                };
                best = Some((len, format!("{rel}{via}; {dest_note}")));
            }
        }
    }
    if let Some((_, reason)) = best {
        return Some(reason);
    }
    // Category overlap decides only where HS codes cannot: when the change
    // names no HS code (a rule for "all medical devices") or the case has
    // none. A change naming other HS codes of the same category (trackers vs
    // smartphones) is not about this case's goods.
    let hs_decides = !tags.hs_codes.is_empty() && !case.hs_codes.is_empty();
    for cat in case.categories.iter().filter(|_| !hs_decides) {
        if tags.categories.iter().any(|c| c.eq_ignore_ascii_case(cat)) {
            return Some(format!("category {cat}; {dest_note}"));
        }
    }
    if !case.keywords.is_empty() {
        let hay = format!("{title}\n{text}").to_lowercase();
        for kw in &case.keywords {
            let k = kw.trim().to_lowercase();
            if !k.is_empty() && contains_word(&hay, &k) {
                return Some(format!("keyword \"{kw}\"; {dest_note}"));
            }
        }
    }
    None
}

fn contains_word(hay: &str, needle: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = hay[start..].find(needle) {
        let a = start + pos;
        let b = a + needle.len();
        let before = hay[..a]
            .chars()
            .next_back()
            .map(|c| c.is_alphanumeric())
            .unwrap_or(false);
        let after = hay[b..]
            .chars()
            .next()
            .map(|c| c.is_alphanumeric())
            .unwrap_or(false);
        if !before && !after {
            return true;
        }
        start = a + needle.len().max(1);
        while !hay.is_char_boundary(start) {
            start += 1;
        }
    }
    false
}

/// Every open case this change affects, with its reason.
pub fn match_change(
    jurisdiction: &str,
    tags: &Tags,
    title: &str,
    text: &str,
    cases: &[Case],
) -> Vec<CaseMatch> {
    cases
        .iter()
        .filter_map(|c| {
            match_case(jurisdiction, tags, title, text, c).map(|reason| CaseMatch {
                id: c.id.clone(),
                link: c.link.clone(),
                reason,
            })
        })
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
        }
    }

    fn tags(hs: &[&str], cats: &[&str]) -> Tags {
        Tags {
            hs_codes: hs.iter().map(|s| s.to_string()).collect(),
            categories: cats.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn hs_heading_match_with_reason() {
        let c = case("CASE-7", "TR", &["8517.62"], &[], &[], "open");
        let r = match_case("TR", &tags(&["8517"], &[]), "", "", &c).unwrap();
        assert_eq!(r, "HS 8517.62 ⊂ 8517; destination TR");
        let r = match_case("TR", &tags(&["8517.62.00.00"], &[]), "", "", &c).unwrap();
        assert_eq!(r, "HS 8517.62.00.00 ⊂ 8517.62; destination TR");
    }

    #[test]
    fn non_matches() {
        let c = case("C", "TR", &["8517.62"], &[], &[], "open");
        // wrong country
        assert!(match_case("VN", &tags(&["8517.62"], &[]), "", "", &c).is_none());
        // sharing only the chapter
        assert!(match_case("TR", &tags(&["8504.40"], &[]), "", "", &c).is_none());
        assert!(match_case("TR", &tags(&["85"], &[]), "", "", &c).is_none());
        // closed case
        let closed = case("C", "TR", &["8517.62"], &[], &[], "closed");
        assert!(match_case("TR", &tags(&["8517.62"], &[]), "", "", &closed).is_none());
    }

    #[test]
    fn category_decides_only_without_hs_codes() {
        let c = case("C", "TR", &["8517.13"], &["telecom"], &[], "open");
        // Another telecom heading: HS decides, and it says no.
        assert!(match_case("TR", &tags(&["8526.91"], &["telecom"]), "", "", &c).is_none());
        // A telecom rule naming no HS code: the category matches.
        let r = match_case("TR", &tags(&[], &["telecom"]), "", "", &c).unwrap();
        assert_eq!(r, "category telecom; destination TR");
        // A case with categories only matches any change of its category.
        let c = case("C", "TR", &[], &["medical"], &[], "open");
        assert!(match_case("TR", &tags(&["9018.19"], &["medical"]), "", "", &c).is_some());
    }

    #[test]
    fn eu_covers_members_and_wto_names_member() {
        let c = case("C", "DE", &[], &["medical"], &[], "open");
        let r = match_case("EU", &tags(&[], &["medical"]), "", "", &c).unwrap();
        assert_eq!(r, "category medical; destination DE (covered by EU)");
        assert!(match_case(
            "EU",
            &tags(&[], &["medical"]),
            "",
            "",
            &case("C", "TR", &[], &["medical"], &[], "open")
        )
        .is_none());
    }

    #[test]
    fn hs_version_split_and_keywords() {
        let c = case("C", "VN", &["8517.13"], &[], &["IMEI"], "open");
        let r = match_case("VN", &tags(&["8517.12"], &[]), "", "", &c).unwrap();
        assert!(r.contains("equivalent"), "{r}");
        let r = match_case("VN", &tags(&[], &[]), "Quy định IMEI mới", "", &c).unwrap();
        assert_eq!(r, "keyword \"IMEI\"; destination VN");
        assert!(match_case("VN", &tags(&[], &[]), "IMEIX", "", &c).is_none());
    }
}
