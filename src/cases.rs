//! Cases: import from CSV/JSON, and matching changes to open cases with a
//! reason a person can check ("HS 8517.62 ⊂ 8517; destination TR").

use crate::model::{Case, CaseMatch, Country};
use crate::store::Tags;
use regwatch_classify::{hs_digits, hs_equivalents, hs_overlap, normalize_hs};

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
        let mut case_codes = vec![case_hs.clone()];
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

/// The columns of a cases CSV, in order.
pub const CASE_COLUMNS: [&str; 9] = [
    "id",
    "client",
    "title",
    "country",
    "hs_codes",
    "categories",
    "keywords",
    "status",
    "link",
];

/// A bad row of an import: its line (CSV) or index (JSON) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: String,
    pub reason: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(';')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCase {
    id: String,
    #[serde(default)]
    client: String,
    #[serde(default)]
    title: String,
    country: String,
    #[serde(default)]
    hs_codes: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    link: Option<String>,
}

/// One case as read from a file, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawCase {
    pub id: String,
    pub client: String,
    pub title: String,
    pub country: String,
    pub hs_codes: Vec<String>,
    pub categories: Vec<String>,
    pub keywords: Vec<String>,
    pub status: Option<String>,
    pub link: Option<String>,
}

/// Validate one case; derive categories from HS codes when none are given.
pub fn build_case(
    raw: RawCase,
    known_categories: &[String],
    categories_for_hs: &dyn Fn(&str) -> Vec<String>,
    link_template: &str,
) -> Result<Case, String> {
    let RawCase {
        id,
        client,
        title,
        country,
        hs_codes: hs,
        categories: cats,
        keywords,
        status,
        link,
    } = raw;
    let id = id.trim().to_string();
    if id.is_empty() {
        return Err("`id` is empty: every case needs its id from the case system".into());
    }
    let country = Country::parse(&country).map_err(|e| format!("`country`: {e}"))?;
    let mut hs_codes = vec![];
    for h in hs {
        let n = normalize_hs(&h).ok_or_else(|| {
            format!("`hs_codes`: `{h}` is not an HS code (write e.g. 8517.62 or 85176200)")
        })?;
        if !hs_codes.contains(&n) {
            hs_codes.push(n);
        }
    }
    let mut categories = vec![];
    for c in cats {
        let c = c.to_lowercase();
        if !known_categories.contains(&c) {
            return Err(format!(
                "`categories`: `{c}` is not a category of the taxonomy ({})",
                known_categories.join(", ")
            ));
        }
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    if categories.is_empty() {
        for h in &hs_codes {
            for c in categories_for_hs(h) {
                if !categories.contains(&c) {
                    categories.push(c);
                }
            }
        }
    }
    let status = status
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "open".into());
    if status != "open" && status != "closed" {
        return Err(format!("`status` must be open or closed, not `{status}`"));
    }
    let link = link
        .filter(|l| !l.trim().is_empty())
        .or_else(|| (!link_template.is_empty()).then(|| link_template.replace("{id}", &id)));
    Ok(Case {
        id,
        client,
        title,
        country: country.to_string(),
        hs_codes,
        categories,
        keywords,
        status,
        link,
    })
}

/// Parse a CSV or JSON export into cases and bad rows (good rows still import).
pub fn parse_cases(
    text: &str,
    is_json: bool,
    known_categories: &[String],
    categories_for_hs: &dyn Fn(&str) -> Vec<String>,
    link_template: &str,
) -> Result<(Vec<Case>, Vec<RowError>), String> {
    let mut good = vec![];
    let mut bad = vec![];
    if is_json {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("not a JSON array of cases: {e}"))?;
        for (i, v) in rows.into_iter().enumerate() {
            let row = format!("item {}", i + 1);
            match serde_json::from_value::<JsonCase>(v) {
                Err(e) => bad.push(RowError {
                    row,
                    reason: e.to_string(),
                }),
                Ok(j) => match build_case(
                    RawCase {
                        id: j.id,
                        client: j.client,
                        title: j.title,
                        country: j.country,
                        hs_codes: j.hs_codes,
                        categories: j.categories,
                        keywords: j.keywords,
                        status: j.status,
                        link: j.link,
                    },
                    known_categories,
                    categories_for_hs,
                    link_template,
                ) {
                    Ok(c) => good.push(c),
                    Err(reason) => bad.push(RowError { row, reason }),
                },
            }
        }
        return Ok((good, bad));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("cannot read the CSV header: {e}"))?
        .clone();
    let expected = CASE_COLUMNS;
    for h in headers.iter() {
        if !expected.contains(&h) {
            return Err(format!(
                "unknown CSV column `{h}`: the header is {}",
                expected.join(",")
            ));
        }
    }
    for req in ["id", "country"] {
        if !headers.iter().any(|h| h == req) {
            return Err(format!(
                "the CSV header lacks `{req}`: the header is {}",
                expected.join(",")
            ));
        }
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| p.line().to_string())
                    .unwrap_or_else(|| "?".into());
                bad.push(RowError {
                    row: format!("line {line}"),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).unwrap_or("").to_string();
        if rec.len() != headers.len() {
            bad.push(RowError {
                row: format!("line {line}"),
                reason: format!("{} fields, the header has {}", rec.len(), headers.len()),
            });
            continue;
        }
        let raw = RawCase {
            id: get("id"),
            client: get("client"),
            title: get("title"),
            country: get("country"),
            hs_codes: split_list(&get("hs_codes")),
            categories: split_list(&get("categories")),
            keywords: split_list(&get("keywords")),
            status: Some(get("status")),
            link: Some(get("link")),
        };
        match build_case(raw, known_categories, categories_for_hs, link_template) {
            Ok(c) => good.push(c),
            Err(reason) => bad.push(RowError {
                row: format!("line {line}"),
                reason,
            }),
        }
    }
    Ok((good, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            hs_codes: hs.iter().map(|s| s.to_string()).collect(),
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

    #[test]
    fn csv_bad_rows_are_reported_good_rows_kept() {
        let csv = "id,client,title,country,hs_codes,categories,keywords,status,link\n\
                   C1,Acme,Phones,TR,8517.13;8517.62,,IMEI,open,\n\
                   C2,Acme,Bad,Narnia,8517,,,open,\n\
                   C3,Acme,Bad HS,TR,85x7,,,open,\n\
                   C4,Beta,Monitors,VN,9018.19,,,,\n";
        let cats = vec![
            "electronics".to_string(),
            "telecom".into(),
            "medical".into(),
        ];
        let f = |h: &str| {
            if h.starts_with("9018") {
                vec!["medical".to_string()]
            } else {
                vec!["telecom".to_string()]
            }
        };
        let (good, bad) = parse_cases(csv, false, &cats, &f, "https://cases/{id}").unwrap();
        assert_eq!(
            good.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            vec!["C1", "C4"]
        );
        assert_eq!(good[0].categories, vec!["telecom"]);
        assert_eq!(good[1].categories, vec!["medical"]);
        assert_eq!(good[1].link.as_deref(), Some("https://cases/C4"));
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].row, "line 3");
        assert!(bad[0].reason.contains("country"));
        assert_eq!(bad[1].row, "line 4");
    }
}
