//! The HS 2022 nomenclature's descriptions, read from the published file
//! shipped as data (`crates/classify/data/hs2022-descriptions.csv`, UN
//! Comtrade's HS 2022 descriptions, its header naming the source), parsed once.
//!
//! [`describe`] gives a code's published description (the longest known
//! prefix: subheading, else heading, else chapter); [`short`] turns it into a
//! short product phrase for a one-line gist ("electrical static converters").

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::hs::hs_digits;

pub(crate) const DESCRIPTIONS: &str = include_str!("../data/hs2022-descriptions.csv");

/// Split one CSV line: fields may be double-quoted, `""` is a quote.
pub(crate) fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Parse the descriptions file: `#` header lines, a `code,description` line,
/// then one row per code (2, 4 or 6 digits). Unreadable rows are errors.
///
/// Codes and descriptions borrow the file's text (compiled into the binary)
/// where they stand in it as written: only a description with an escaped
/// quote is copied. The table was 1.2 MB of copies, a twentieth of a
/// one-shot pass's memory once a change needed one description.
pub(crate) fn parse(src: &'static str) -> (Table, Vec<String>) {
    let mut map = HashMap::new();
    let mut errors = Vec::new();
    let mut lines = src
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    if lines.next().map(str::trim) != Some("code,description") {
        errors.push("the column line must be `code,description`".to_string());
        return (map, errors);
    }
    for line in lines {
        let f = csv_fields(line);
        match f.as_slice() {
            [code, desc]
                if matches!(code.len(), 2 | 4 | 6)
                    && code.bytes().all(|b| b.is_ascii_digit())
                    && !desc.trim().is_empty() =>
            {
                let Cow::Borrowed(code) = borrowed(line, code) else {
                    errors.push(format!("write the code of row {line:?} without quotes"));
                    continue;
                };
                if map.insert(code, borrowed(line, desc.trim())).is_some() {
                    errors.push(format!("duplicate code {code}"));
                }
            }
            _ => errors.push(format!("cannot read row {line:?}")),
        }
    }
    (map, errors)
}

/// `field` as a slice of `line` when it stands there as written.
fn borrowed(line: &'static str, field: &str) -> Cow<'static, str> {
    match line.find(field) {
        Some(i) => Cow::Borrowed(&line[i..i + field.len()]),
        None => Cow::Owned(field.to_string()),
    }
}

/// Codes (digits) and their descriptions.
type Table = HashMap<&'static str, Cow<'static, str>>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| parse(DESCRIPTIONS).0)
}

/// The published HS 2022 description of a code's longest known prefix:
/// the subheading of a national line (`"8517.62.59"` -> 8517.62's), else the
/// heading (`"3822.00"`, an HS 2017 code, -> heading 3822's), else the
/// chapter. `None` when not even the chapter is known ("77", "99").
pub fn describe(code: &str) -> Option<&'static str> {
    describe_with_code(code).map(|(_, d)| d)
}

/// Like [`describe`], with the code (digits) whose description it is.
pub fn describe_with_code(code: &str) -> Option<(&'static str, &'static str)> {
    let d = hs_digits(code);
    let t = table();
    [6usize, 4, 2]
        .into_iter()
        .filter(|&n| d.len() >= n)
        .find_map(|n| t.get_key_value(&d[..n]))
        .map(|(k, v)| (*k, v.as_ref()))
}

/// Number of chapters, headings and subheadings (2-, 4- and 6-digit codes)
/// the shipped nomenclature describes.
pub fn counts() -> (usize, usize, usize) {
    let t = table();
    let n = |len: usize| t.keys().filter(|k| k.len() == len).count();
    (n(2), n(4), n(6))
}

/// Longest a short phrase gets before it is cut at a comma or a word.
const SHORT_MAX: usize = 90;

/// A short English product phrase for a code, from its published
/// description: parentheses, "n.e.c." references, "including"/"excluding"/
/// "whether or not" clauses and leading dashes are dropped, "; " becomes ", ",
/// the first letter is lowercased (acronyms kept), and a phrase longer than
/// 90 characters is cut at a word, with "…"; when the part after "; " names
/// the goods and the whole is too long, that part alone is kept.
/// `"8504.40"` -> "electrical static converters"; `"9018.90"` -> "medical,
/// surgical or dental instruments and appliances".
pub fn short(code: &str) -> Option<String> {
    describe(code).map(short_phrase)
}

/// The short form of any description (see [`short`]).
pub fn short_phrase(desc: &str) -> String {
    // parentheses, nested or not
    let mut s = String::with_capacity(desc.len());
    let mut depth = 0usize;
    for c in desc.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if depth == 0 => s.push(c),
            _ => {}
        }
    }
    // leading dashes of the WCO layout ("- - Smartphones")
    let s = s.trim_start_matches(|c: char| c == '-' || c == '–' || c.is_whitespace());
    // clauses: split at "; ", drop qualifying clauses, cut the others at
    // qualifying words
    let mut parts: Vec<String> = Vec::new();
    for clause in s.split(';') {
        let mut c = clause.trim().to_string();
        // a clause opening with "including …, " keeps what follows the comma
        for lead in ["including ", "excluding ", "whether or not "] {
            if c.to_lowercase().starts_with(lead) {
                c = match c.find(", ") {
                    Some(i) => c[i + 2..].to_string(),
                    None => String::new(),
                };
            }
        }
        let lower = c.to_lowercase();
        let first_cut = [
            "n.e.c",
            "n.e.s",
            ", including",
            " including ",
            ", excluding",
            " excluding ",
            ", whether or not",
            "whether or not",
            ", other than those",
            " of heading ",
            " of subheading ",
            " in heading no",
            " in item no",
        ]
        .iter()
        .filter_map(|cut| lower.find(cut))
        .min();
        if let Some(i) = first_cut {
            if c.is_char_boundary(i) {
                c.truncate(i);
            }
        }
        let c = c
            .trim()
            .trim_end_matches([',', ':', '.', ' '])
            .trim()
            .to_string();
        if !c.is_empty() {
            parts.push(c);
        }
    }
    let mut out = match parts.split_first() {
        None => String::new(),
        Some((head, [])) => head.clone(),
        Some((head, spec)) => {
            let spec = spec.join(", ");
            let full = format!("{head}, {spec}");
            let first = spec.split([' ', ',']).next().unwrap_or("").to_lowercase();
            if full.chars().count() <= SHORT_MAX || QUALIFIERS.contains(&first.as_str()) {
                full
            } else {
                // the part after "; " names the goods ("Blood, …; immunological
                // products, put up in measured doses")
                spec
            }
        }
    };
    out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    while let Some(i) = out.find(" ,").or_else(|| out.find(",,")) {
        out.remove(i);
    }
    // lowercase the first word unless it is an acronym or has digits
    if let Some(first) = out.split(' ').next() {
        let acronym = first.chars().filter(|c| c.is_alphabetic()).count() > 1
            && first
                .chars()
                .filter(|c| c.is_alphabetic())
                .all(char::is_uppercase);
        if !acronym && !first.chars().any(|c| c.is_ascii_digit()) {
            let mut cs = out.chars();
            if let Some(c0) = cs.next() {
                out = c0.to_lowercase().chain(cs).collect();
            }
        }
    }
    if out.chars().count() > SHORT_MAX {
        let cut: String = out.chars().take(SHORT_MAX).collect();
        let cut = match cut.rfind(' ') {
            Some(i) => &cut[..i],
            None => &cut[..],
        };
        let mut cut = cut.trim_end_matches([',', ';', ' ']).to_string();
        for tail in [" and", " or", " of", " for", " the", " a", " in", " with"] {
            if let Some(c) = cut.strip_suffix(tail) {
                cut = c.trim_end_matches([',', ' ']).to_string();
            }
        }
        out = format!("{cut}…");
    }
    out
}

/// Words that open a qualifying clause rather than naming goods.
const QUALIFIERS: &[&str] = &[
    "for",
    "of",
    "with",
    "without",
    "other",
    "not",
    "whether",
    "containing",
    "put",
    "in",
    "live",
    "fresh",
    "chilled",
    "frozen",
    "excluding",
    "including",
    "except",
    "having",
    "weighing",
    "used",
    "a",
    "an",
    "the",
    "on",
    "at",
    "by",
    "comprising",
    "made",
    "and",
    "or",
    "new",
    "unwrought",
    "worked",
    "mixed",
    "unmixed",
    "n.e.c.",
    "n.e.c",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_reads_cleanly() {
        let (map, errors) = parse(DESCRIPTIONS);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(map.len() > 6_900);
        // only descriptions with an escaped quote are copies
        let copies = map.values().filter(|d| matches!(d, Cow::Owned(_))).count();
        assert!(copies < 50, "{copies} copied descriptions");
    }

    #[test]
    fn quoted_fields() {
        assert_eq!(
            csv_fields(r#"841510,"a, ""split"" b""#),
            vec!["841510", r#"a, "split" b"#]
        );
    }

    #[test]
    fn short_phrases() {
        assert_eq!(short("8504.40").unwrap(), "electrical static converters");
        assert_eq!(
            short("9018.90").unwrap(),
            "medical, surgical or dental instruments and appliances"
        );
        assert_eq!(
            short_phrase("- - Smartphones"),
            "smartphones",
            "WCO layout dashes go"
        );
        assert_eq!(short_phrase("LED lamps; other"), "LED lamps, other");
        for code in [
            "8517.13", "8517.62", "8806.21", "8541.51", "8471.30", "3822.00",
        ] {
            let s = short(code).unwrap();
            assert!(s.chars().count() <= SHORT_MAX + 1, "{code}: {s}");
            assert!(!s.contains("n.e.c") && !s.contains('('), "{code}: {s}");
        }
    }
}
