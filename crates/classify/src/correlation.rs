//! HS nomenclature versions and the correlation between them, read from the
//! published tables shipped as data (`crates/classify/data/*-correlation.csv`,
//! each with a header naming its publisher, edition and the copy it was taken
//! from): one row per pair of 6-digit subheadings with the relationship the
//! table gives the pair (`1:1`, `1:n`, `n:1`, `n:n`).
//!
//! A `1:1` row means the same goods under both codes: an equivalence (`≡`,
//! match strength `direct`). Every other row means the two codes share only
//! some goods (`related`): a split (8517.12 → 8517.13 / 8517.14), a merger,
//! or goods moved to a new heading (8525.80 camera drones → 8806).
//!
//! A later version is one more data file: HS 2028's table is
//! `data/hs2022-hs2028-correlation.csv` with the header `hs2028,hs2022,relationship`,
//! listed in [`TABLES`]; [`HsVersion::Hs2028`] already exists.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::hs::{format_digits, hs_digits};

/// A version of the Harmonized System nomenclature.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum HsVersion {
    Hs2017,
    Hs2022,
    /// Accepted by the WCO Council; its correlation with HS 2022 becomes a
    /// data file when the UN Statistics Division publishes it.
    Hs2028,
}

impl HsVersion {
    fn from_column(name: &str) -> Option<HsVersion> {
        match name.trim() {
            "hs2017" => Some(HsVersion::Hs2017),
            "hs2022" => Some(HsVersion::Hs2022),
            "hs2028" => Some(HsVersion::Hs2028),
            _ => None,
        }
    }

    /// "HS 2017", for messages.
    pub fn label(self) -> &'static str {
        match self {
            HsVersion::Hs2017 => "HS 2017",
            HsVersion::Hs2022 => "HS 2022",
            HsVersion::Hs2028 => "HS 2028",
        }
    }
}

/// How a code of one version relates to a code of another, as the published
/// correlation table says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// A one-to-one row (`1:1`): the same goods under both codes.
    Equivalent,
    /// Any other row (`1:n`, `n:1`, `n:n`): the codes share some goods; either
    /// may also cover goods of other codes (a split, a merger, goods moved to
    /// a new heading).
    Part,
}

/// The relationship column of a published table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Published {
    OneToOne,
    OneToMany,
    ManyToOne,
    ManyToMany,
}

impl Published {
    fn parse(s: &str) -> Option<Published> {
        match s.trim() {
            "1:1" => Some(Published::OneToOne),
            "1:n" => Some(Published::OneToMany),
            "n:1" => Some(Published::ManyToOne),
            "n:n" => Some(Published::ManyToMany),
            _ => None,
        }
    }

    fn relation(self) -> Relation {
        match self {
            Published::OneToOne => Relation::Equivalent,
            _ => Relation::Part,
        }
    }
}

/// One row of a correlation table: the newer version's code first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub new: (HsVersion, String),
    pub old: (HsVersion, String),
    pub published: Published,
}

impl Row {
    pub fn relation(&self) -> Relation {
        self.published.relation()
    }
}

/// The shipped tables. A new edition replaces a file; a new version adds one
/// line here.
pub(crate) const TABLES: &[(&str, &str)] = &[(
    "data/hs2017-hs2022-correlation.csv",
    include_str!("../data/hs2017-hs2022-correlation.csv"),
)];

/// Parse a table: `#` lines are its header comment, then a column line naming
/// the two versions (`hs2022,hs2017,relationship`), then rows. Rows that
/// cannot be read are returned as errors (the tests require none).
pub(crate) fn parse_table(src: &str) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut lines = src
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(header) = lines.next() else {
        return (rows, vec!["empty table".into()]);
    };
    let h: Vec<&str> = header.split(',').collect();
    let versions = (
        h.first().and_then(|c| HsVersion::from_column(c)),
        h.get(1).and_then(|c| HsVersion::from_column(c)),
    );
    let (Some(va), Some(vb)) = versions else {
        return (rows, vec![format!("bad header {header:?}")]);
    };
    if h.get(2).map(|c| c.trim()) != Some("relationship") || va == vb {
        return (rows, vec![format!("bad header {header:?}")]);
    }
    for line in lines {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let code = |i: usize| {
            f.get(i)
                .filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
                .map(|c| format_digits(c))
        };
        match (code(0), code(1), f.get(2).and_then(|r| Published::parse(r))) {
            (Some(a), Some(b), Some(published)) if f.len() == 3 => {
                let (new, old) = if va > vb {
                    ((va, a), (vb, b))
                } else {
                    ((vb, b), (va, a))
                };
                rows.push(Row {
                    new,
                    old,
                    published,
                });
            }
            _ => errors.push(format!("cannot read row {line:?}")),
        }
    }
    (rows, errors)
}

struct Index {
    rows: Vec<Row>,
    /// 6-digit code (dotted) -> rows naming it on either side.
    by_code: HashMap<String, Vec<usize>>,
    /// 4-digit heading -> rows naming a code under it on either side.
    by_heading: HashMap<String, Vec<usize>>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let rows: Vec<Row> = TABLES.iter().flat_map(|t| parse_table(t.1).0).collect();
        let mut by_code: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_heading: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            for c in [&r.new.1, &r.old.1] {
                let v = by_code.entry(c.clone()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
                let v = by_heading.entry(c[..4].to_string()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
        Index {
            rows,
            by_code,
            by_heading,
        }
    })
}

/// Every row of the shipped tables, in file order.
#[cfg(test)]
pub(crate) fn rows() -> &'static [Row] {
    &index().rows
}

/// Codes of the other HS versions correlated with `code`, with how they
/// relate, in table order. National digits beyond six are dropped; a 4-digit
/// heading takes every row naming a code under it; chapters and shorter
/// codes give nothing.
///
/// `"8517.12"` (HS 2017) -> `("8517.13", Hs2022, Part)`, `("8517.14", Hs2022, Part)`
/// and the other HS 2022 codes the table sends part of it to;
/// `"8539.52"` -> `("8539.50", Hs2017, Part)`; `"3827.11"` ->
/// `("3824.71", Hs2017, Equivalent)`. A code kept in both versions lists
/// itself with the other version (`"8517.62"` -> `("8517.62", Hs2017, Part)`,
/// ...). Empty when no row names it.
pub fn hs_correlated(code: &str) -> Vec<(String, HsVersion, Relation)> {
    let d = hs_digits(code);
    if d.len() < 4 {
        return Vec::new();
    }
    let idx = index();
    let key = format_digits(&d[..d.len().min(6)]);
    let hits = if d.len() >= 6 {
        idx.by_code.get(&key)
    } else {
        idx.by_heading.get(&key)
    };
    let hit = |c: &str| {
        if d.len() >= 6 {
            c == key
        } else {
            c.starts_with(key.as_str())
        }
    };
    let mut out: Vec<(String, HsVersion, Relation)> = Vec::new();
    // A code of many n:n rows names the same codes again and again: a set,
    // not a search of `out`, keeps the first of each.
    let mut seen = std::collections::HashSet::new();
    for &i in hits.map(Vec::as_slice).unwrap_or_default() {
        let r: &'static Row = &idx.rows[i];
        let mut add = |(v, c): &'static (HsVersion, String)| {
            let rel = r.relation();
            if seen.insert((c.as_str(), *v, rel)) {
                out.push((c.clone(), *v, rel));
            }
        };
        if hit(&r.new.1) {
            add(&r.old);
        }
        if hit(&r.old.1) {
            add(&r.new);
        }
    }
    out
}

/// Codes of another HS version that cover exactly the same goods: the other
/// side of a one-to-one (`1:1`) row of the published table, when its code
/// differs (3827.11 (HS 2022) ≡ 3824.71 (HS 2017), 3822.13 ≡ 3006.20).
/// National digits beyond six are dropped; the code itself is never listed.
/// Empty for chapters and headings, for codes kept unchanged, and for every
/// split or merger (8517.12 → 8517.13 / 8517.14 shares goods: see
/// [`hs_correlated`]).
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
        if rel == Relation::Equivalent && c != own && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn tables_read_cleanly() {
        for (name, t) in TABLES {
            let (rows, errors) = parse_table(t);
            assert!(errors.is_empty(), "{name}: {errors:?}");
            assert!(rows.len() > 15_000, "{name}: {}", rows.len());
            assert!(t.starts_with("# "), "{name} has no header comment");
            for word in ["Publisher:", "Edition:", "Copied from:"] {
                assert!(t.contains(word), "{name}: header lacks {word}");
            }
            let pairs: BTreeSet<_> = rows.iter().map(|r| (&r.new.1, &r.old.1)).collect();
            assert_eq!(pairs.len(), rows.len(), "{name}: duplicate rows");
        }
    }

    #[test]
    fn rows_as_published() {
        // the UNSD sheet "HS2022-HS2017 Correlations": 15,657 rows, of which
        // 4,097 1:1, 54 1:n, 1,392 n:1 and 10,114 n:n
        let r = rows();
        assert_eq!(r.len(), 15_657);
        let n = |p: Published| r.iter().filter(|x| x.published == p).count();
        assert_eq!(n(Published::OneToOne), 4_097);
        assert_eq!(n(Published::OneToMany), 54);
        assert_eq!(n(Published::ManyToOne), 1_392);
        assert_eq!(n(Published::ManyToMany), 10_114);
        assert!(r
            .iter()
            .all(|x| x.new.0 == HsVersion::Hs2022 && x.old.0 == HsVersion::Hs2017));
        assert_eq!(r[0].new.1, "0101.21");
        let last = r.last().unwrap();
        assert_eq!(
            (last.new.1.as_str(), last.old.1.as_str()),
            ("9999.99", "9999.99")
        );
    }

    #[test]
    fn bad_tables_are_errors() {
        assert_eq!(
            parse_table("hs2022,hs2017,relationship\n851713,851712,maybe\n")
                .1
                .len(),
            1
        );
        assert_eq!(
            parse_table("hs2022,hs2017,relationship\n8517.13,851712,1:1\n")
                .1
                .len(),
            1
        );
        assert_eq!(parse_table("a,b\n").1.len(), 1);
        assert_eq!(parse_table("hs2022,hs2022,relationship\n").1.len(), 1);
        let (rows, errors) = parse_table("# x\nhs2028,hs2022,relationship\n851713,851713,1:1\n");
        assert!(errors.is_empty());
        assert_eq!(rows[0].new.0, HsVersion::Hs2028);
        assert_eq!(rows[0].old.0, HsVersion::Hs2022);
    }

    #[test]
    fn one_to_one_is_the_only_equivalence() {
        use HsVersion::*;
        assert_eq!(hs_equivalents("3827.11"), vec!["3824.71"]);
        assert_eq!(hs_equivalents("3824.71.00"), vec!["3827.11"]);
        assert!(hs_equivalents("8517.12").is_empty());
        assert!(hs_equivalents("8517.13").is_empty());
        assert!(hs_equivalents("0101.21").is_empty(), "never itself");
        assert!(hs_equivalents("8517").is_empty());
        assert!(hs_correlated("85").is_empty());
        assert!(hs_correlated("8517.13").contains(&(
            "8517.12".to_string(),
            Hs2017,
            Relation::Part
        )));
        // a code kept as it was: itself, in the other version, either way
        assert_eq!(
            hs_correlated("0101.21"),
            vec![
                ("0101.21".to_string(), Hs2017, Relation::Equivalent),
                ("0101.21".to_string(), Hs2022, Relation::Equivalent)
            ]
        );
    }
}
