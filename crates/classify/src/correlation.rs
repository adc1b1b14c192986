//! HS nomenclature versions and the correlation between them, read from data
//! files (`crates/classify/correlation/hs2017-hs2022.csv`): one row per pair of
//! 6-digit subheadings, with how they relate and where the row comes from.
//! A later version (HS 2028) is one more file and one more `HsVersion`.

use std::sync::LazyLock;

use crate::hs::{format_digits, hs_digits};

/// A version of the Harmonized System nomenclature.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum HsVersion {
    Hs2017,
    Hs2022,
}

impl HsVersion {
    fn from_column(name: &str) -> Option<HsVersion> {
        match name.trim() {
            "hs2017" => Some(HsVersion::Hs2017),
            "hs2022" => Some(HsVersion::Hs2022),
            _ => None,
        }
    }
}

/// How a code of one version relates to a code of the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// The same goods under both codes.
    Equivalent,
    /// The older code was divided: the newer one covers a part of it, and the
    /// split rows together cover all of it.
    Split,
    /// Some of the goods moved between the two codes; either code may also
    /// cover goods of other codes (regrouped headings, new headings built
    /// from several old ones).
    Part,
}

impl Relation {
    fn parse(s: &str) -> Option<Relation> {
        match s.trim() {
            "equivalent" => Some(Relation::Equivalent),
            "split" => Some(Relation::Split),
            "part" => Some(Relation::Part),
            _ => None,
        }
    }
}

/// One row of a correlation table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub old: (HsVersion, String),
    pub new: (HsVersion, String),
    pub relation: Relation,
    #[allow(dead_code)]
    pub source: String,
}

const TABLES: &[&str] = &[include_str!("../correlation/hs2017-hs2022.csv")];

/// Split one CSV line; double quotes protect commas.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Parse a table; rows that cannot be read are returned as errors (the tests
/// require none).
pub(crate) fn parse_table(src: &str) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut lines = src.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return (rows, vec!["empty table".into()]);
    };
    let h = fields(header);
    let versions = (
        h.first().and_then(|c| HsVersion::from_column(c)),
        h.get(1).and_then(|c| HsVersion::from_column(c)),
    );
    let (Some(v_old), Some(v_new)) = versions else {
        return (rows, vec![format!("bad header {header:?}")]);
    };
    for line in lines {
        let f = fields(line);
        let code = |i: usize| {
            f.get(i)
                .map(|c| hs_digits(c))
                .filter(|d| d.len() == 6 && f[i].trim().len() == 7)
                .map(|d| format_digits(&d))
        };
        match (
            code(0),
            code(1),
            f.get(2).and_then(|r| Relation::parse(r)),
            f.get(3),
        ) {
            (Some(a), Some(b), Some(relation), Some(source)) if !source.trim().is_empty() => rows
                .push(Row {
                    old: (v_old, a),
                    new: (v_new, b),
                    relation,
                    source: source.trim().to_string(),
                }),
            _ => errors.push(format!("cannot read row {line:?}")),
        }
    }
    (rows, errors)
}

pub(crate) static ROWS: LazyLock<Vec<Row>> =
    LazyLock::new(|| TABLES.iter().flat_map(|t| parse_table(t).0).collect());

/// Codes of the other HS versions correlated with `code` (national digits
/// beyond six are dropped; a 4-digit heading takes every row under it):
/// `"8517.12"` -> `[("8517.13", Hs2022, Split), ("8517.14", Hs2022, Split)]`;
/// `"8524.11"` -> `[("8529.90", Hs2017, Part), ("9013.80", Hs2017, Part)]`.
/// A code kept in both versions with a narrower scope lists itself
/// (`"8529.90"` -> `("8529.90", Hs2022, Part)`). Empty when no row names it.
pub fn hs_correlated(code: &str) -> Vec<(String, HsVersion, Relation)> {
    let d = hs_digits(code);
    if d.len() < 4 {
        return Vec::new();
    }
    let key = format_digits(&d[..d.len().min(6)]);
    let hit = |c: &str| {
        if d.len() >= 6 {
            c == key
        } else {
            c.starts_with(key.as_str())
        }
    };
    let mut out: Vec<(String, HsVersion, Relation)> = Vec::new();
    for r in ROWS.iter() {
        let mut add = |(v, c): &(HsVersion, String)| {
            let item = (c.clone(), *v, r.relation);
            if !out.contains(&item) {
                out.push(item);
            }
        };
        if hit(&r.old.1) {
            add(&r.new);
        }
        if hit(&r.new.1) {
            add(&r.old);
        }
    }
    out
}

/// Codes in the other HS version that cover the same goods, from the
/// correlation data (`correlation/hs2017-hs2022.csv`): equivalent codes and the
/// parts of a split, 8517.12 (HS 2017) <-> 8517.13 / 8517.14 (HS 2022),
/// 8525.80 <-> 8525.81-89, 8539.50 <-> 8539.51/52, 8548.10 <-> 8549.11-19,
/// 3824.71 <-> 3827.11, 8803.10 <-> 8807.10. Codes that only share some goods
/// (8529.90 -> 8524.xx, 8802.20 -> 8806.xx) are left to [`hs_correlated`].
/// National digits beyond six are dropped; the code itself is never listed.
/// Empty for chapters, headings and codes without such a row.
///
/// [`hs_correlated`]: hs_correlated
pub fn hs_equivalents(code: &str) -> Vec<String> {
    let d = hs_digits(code);
    if d.len() < 6 {
        return Vec::new();
    }
    let own = format_digits(&d[..6]);
    let mut out: Vec<String> = Vec::new();
    for (c, _, rel) in hs_correlated(&own) {
        if rel != Relation::Part && c != own && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn equivalents_are_same_goods_only() {
        assert_eq!(hs_equivalents("8517.12.00"), vec!["8517.13", "8517.14"]);
        assert_eq!(hs_equivalents("8517.13"), vec!["8517.12"]);
        assert_eq!(hs_equivalents("8539.52"), vec!["8539.50"]);
        assert!(hs_equivalents("8517.62").is_empty());
        assert_eq!(hs_equivalents("8548.10")[0], "8549.11");
        assert_eq!(hs_equivalents("3827.11"), vec!["3824.71"]);
        // sharing only some goods is not equivalence
        assert!(hs_equivalents("8529.90").is_empty());
        assert!(hs_equivalents("8806.22").is_empty());
    }

    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn table_reads_cleanly_and_says_where_rows_come_from() {
        for t in TABLES {
            let (rows, errors) = parse_table(t);
            assert!(errors.is_empty(), "{errors:?}");
            assert!(rows.len() > 100);
            for r in &rows {
                assert!(r.source.contains("WCO"), "{r:?}");
                assert!(
                    crate::normalize_hs(&r.old.1).is_some()
                        && crate::normalize_hs(&r.new.1).is_some()
                );
            }
            let pairs: BTreeSet<_> = rows.iter().map(|r| (&r.old.1, &r.new.1)).collect();
            assert_eq!(pairs.len(), rows.len(), "duplicate rows");
        }
        assert!(
            parse_table("hs2017,hs2022,relation,source\n8517.12,8517.13,maybe,x\n")
                .1
                .len()
                == 1
        );
        assert!(parse_table("a,b\n").1.len() == 1);
    }

    #[test]
    fn every_code_maps_back() {
        for r in ROWS.iter() {
            assert!(
                hs_correlated(&r.new.1)
                    .iter()
                    .any(|c| c.1 == HsVersion::Hs2017),
                "{} has no HS 2017 code",
                r.new.1
            );
            assert!(
                hs_correlated(&r.old.1)
                    .iter()
                    .any(|c| c.1 == HsVersion::Hs2022),
                "{} has no HS 2022 code",
                r.old.1
            );
        }
        // every new HS 2022 heading of the file is reached from HS 2017
        let headings: BTreeSet<String> = ROWS.iter().map(|r| r.new.1[..4].to_string()).collect();
        for h in ["3827", "8485", "8524", "8549", "8806", "8807"] {
            assert!(headings.contains(h), "{h}");
            assert!(
                hs_correlated(h).iter().any(|c| c.1 == HsVersion::Hs2017),
                "{h}"
            );
        }
    }

    #[test]
    fn known_changes() {
        use HsVersion::*;
        use Relation::*;
        assert_eq!(
            hs_correlated("8517.12.00"),
            vec![
                ("8517.13".to_string(), Hs2022, Split),
                ("8517.14".to_string(), Hs2022, Split)
            ]
        );
        assert!(hs_correlated("8806.21").contains(&("8802.20".to_string(), Hs2017, Part)));
        assert!(hs_correlated("8549.11").contains(&("8548.10".to_string(), Hs2017, Split)));
        assert!(hs_correlated("8524.11").contains(&("8529.90".to_string(), Hs2017, Part)));
        assert!(hs_correlated("8485.20").contains(&("8477.80".to_string(), Hs2017, Part)));
        assert!(hs_correlated("3827.11").contains(&("3824.71".to_string(), Hs2017, Equivalent)));
        assert!(hs_correlated("4015.12").contains(&("4015.19".to_string(), Hs2017, Part)));
        assert!(hs_correlated("8539.52").contains(&("8539.50".to_string(), Hs2017, Split)));
        assert!(hs_correlated("8517.62").is_empty());
        assert!(hs_correlated("85").is_empty());
    }
}
