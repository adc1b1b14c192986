//! The canonical form of links and text: what item identity and the diff
//! compare, so that what sites do without meaning anything (a regenerated
//! guid, http→https, a session id or tracking parameter in a link, quotes
//! turned typographic, a JSON number written `1.0` or `1`) is never a
//! change. The stored text stays as the site wrote it.
//!
//! The rules are data (`rules.toml` beside this file, built in); a source
//! extends them with its own `[source.canonical]` table.

use regex::Regex;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

/// The rules as written in `rules.toml` or a source's `[source.canonical]`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CanonRules {
    #[serde(default)]
    pub link: LinkRules,
    #[serde(default)]
    pub text: TextRules,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRules {
    pub ignore_scheme: Option<bool>,
    pub ignore_www: Option<bool>,
    #[serde(default)]
    pub drop_query: Vec<String>,
    #[serde(default)]
    pub path_params: Vec<String>,
    #[serde(default)]
    pub path_drop: Vec<String>,
    /// Drop a parameter whose value is a Unix time, whatever its name.
    pub drop_time_values: Option<bool>,
    /// Names never dropped for their value (`*` matches any run).
    #[serde(default)]
    pub keep_names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TextRules {
    #[serde(default)]
    pub fold: Vec<(String, String)>,
    pub numbers: Option<bool>,
}

/// The built-in rules.
pub const BUILTIN: &str = include_str!("rules.toml");

/// Compiled rules.
#[derive(Debug)]
pub struct Canon {
    ignore_scheme: bool,
    ignore_www: bool,
    drop_exact: HashSet<String>,
    drop_prefix: Vec<String>,
    path_params: HashSet<String>,
    path_drop: Vec<Regex>,
    drop_time_values: bool,
    keep_names: Vec<Regex>,
    fold: Fold,
    numbers: bool,
}

/// The characters a text folds, and what to: looked up for every character
/// of every item compared, so an ASCII character is one table read, and
/// the others a binary search in the few that fold.
#[derive(Debug, Default)]
struct Fold {
    /// Bit `c` for each ASCII character `c` that folds.
    ascii: u128,
    /// Sorted by character, one entry each.
    to: Vec<(char, String)>,
}

impl Fold {
    /// The last replacement given for a character stands.
    fn insert(&mut self, c: char, to: String) {
        if c.is_ascii() {
            self.ascii |= 1 << (c as u32);
        }
        match self.to.binary_search_by_key(&c, |(k, _)| *k) {
            Ok(i) => self.to[i].1 = to,
            Err(i) => self.to.insert(i, (c, to)),
        }
    }

    fn get(&self, c: char) -> Option<&str> {
        if c.is_ascii() && self.ascii & (1 << (c as u32)) == 0 {
            return None;
        }
        let i = self.to.binary_search_by_key(&c, |(k, _)| *k).ok()?;
        Some(&self.to[i].1)
    }
}

static BUILTIN_CANON: LazyLock<Arc<Canon>> = LazyLock::new(|| {
    let rules: CanonRules = toml::from_str(BUILTIN).expect("the built-in canonical rules parse");
    Arc::new(Canon::compile(&rules).expect("the built-in canonical rules compile"))
});

/// Numbers with a decimal point, for the `numbers` rule.
static DECIMAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d+)\.(\d*?)0+\b").expect("valid regex"));

impl Canon {
    /// The built-in rules, compiled once.
    pub fn builtin() -> Arc<Canon> {
        BUILTIN_CANON.clone()
    }

    /// The built-in rules with a source's additions; the built-in rules
    /// themselves when it adds nothing.
    pub fn with(extra: Option<&CanonRules>) -> Result<Arc<Canon>, String> {
        match extra {
            None => Ok(Canon::builtin()),
            Some(x) if *x == CanonRules::default() => Ok(Canon::builtin()),
            Some(x) => {
                let mut rules: CanonRules =
                    toml::from_str(BUILTIN).expect("the built-in canonical rules parse");
                let l = &mut rules.link;
                l.ignore_scheme = x.link.ignore_scheme.or(l.ignore_scheme);
                l.ignore_www = x.link.ignore_www.or(l.ignore_www);
                l.drop_query.extend(x.link.drop_query.iter().cloned());
                l.path_params.extend(x.link.path_params.iter().cloned());
                l.path_drop.extend(x.link.path_drop.iter().cloned());
                l.drop_time_values = x.link.drop_time_values.or(l.drop_time_values);
                l.keep_names.extend(x.link.keep_names.iter().cloned());
                rules.text.fold.extend(x.text.fold.iter().cloned());
                rules.text.numbers = x.text.numbers.or(rules.text.numbers);
                Ok(Arc::new(Canon::compile(&rules)?))
            }
        }
    }

    /// Compile rules; an error names the bad rule.
    pub fn compile(r: &CanonRules) -> Result<Canon, String> {
        let mut drop_exact = HashSet::new();
        let mut drop_prefix = vec![];
        for q in &r.link.drop_query {
            let q = q.trim().to_ascii_lowercase();
            match q.strip_suffix('*') {
                Some(p) => drop_prefix.push(p.to_string()),
                None => {
                    drop_exact.insert(q);
                }
            }
        }
        let path_drop = r
            .link
            .path_drop
            .iter()
            .map(|p| Regex::new(p).map_err(|e| format!("path_drop `{p}` is not a regex: {e}")))
            .collect::<Result<_, _>>()?;
        let keep_names = r
            .link
            .keep_names
            .iter()
            .map(|p| {
                let body = p
                    .trim()
                    .to_ascii_lowercase()
                    .split('*')
                    .map(regex::escape)
                    .collect::<Vec<_>>()
                    .join(".*");
                Regex::new(&format!("^{body}$"))
                    .map_err(|e| format!("keep_names `{p}` is not a pattern: {e}"))
            })
            .collect::<Result<_, _>>()?;
        let mut fold = Fold::default();
        for (from, to) in &r.text.fold {
            let mut cs = from.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => {
                    fold.insert(c, to.clone());
                }
                _ => return Err(format!("fold `{from}`: give one character to replace")),
            }
        }
        Ok(Canon {
            ignore_scheme: r.link.ignore_scheme.unwrap_or(true),
            ignore_www: r.link.ignore_www.unwrap_or(true),
            drop_exact,
            drop_prefix,
            path_params: r
                .link
                .path_params
                .iter()
                .map(|p| p.trim().to_ascii_lowercase())
                .collect(),
            path_drop,
            drop_time_values: r.link.drop_time_values.unwrap_or(false),
            keep_names,
            fold,
            numbers: r.text.numbers.unwrap_or(false),
        })
    }

    /// These rules comparing numbers by value (`1.0` = `1`), as JSON sources do.
    pub fn numbers(&self) -> bool {
        self.numbers
    }

    fn drops(&self, name: &str, value: &str) -> bool {
        let n = name.to_ascii_lowercase();
        self.drop_exact.contains(&n)
            || self.drop_prefix.iter().any(|p| n.starts_with(p))
            || (self.drop_time_values
                && is_unix_time(value)
                && !self.keep_names.iter().any(|k| k.is_match(&n)))
    }

    /// The identity of a link: the document it names, whatever the scheme,
    /// `www.`, fragment, session ids, tracking and cache-busting parameters
    /// and the order of the remaining parameters. None for what is not an
    /// absolute URL.
    pub fn link(&self, raw: &str) -> Option<String> {
        let mut u = url::Url::parse(raw.trim()).ok()?;
        u.set_fragment(None);
        let mut path = u.path().to_string();
        if path.contains(';') {
            path = path
                .split('/')
                .map(|seg| self.strip_path_params(seg))
                .collect::<Vec<_>>()
                .join("/");
        }
        for re in &self.path_drop {
            if re.is_match(&path) {
                path = re.replace_all(&path, "").into_owned();
            }
        }
        // `/a/` and `/a` name the same page (sites add and drop the slash
        // when they move, to https among others).
        while path.len() > 1 && path.ends_with('/') {
            path.pop();
        }
        if path.is_empty() {
            path.push('/');
        }
        let mut kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, v)| !self.drops(k, v))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        kept.sort();
        let mut host = u.host_str().unwrap_or("").to_ascii_lowercase();
        if self.ignore_www {
            if let Some(h) = host.strip_prefix("www.") {
                host = h.to_string();
            }
        }
        let port = match (u.scheme(), u.port()) {
            (_, None) | ("http", Some(80)) | ("https", Some(443)) => String::new(),
            (_, Some(p)) => format!(":{p}"),
        };
        let scheme = match u.scheme() {
            "http" | "https" if self.ignore_scheme => "",
            s => s,
        };
        let mut out = format!("{scheme}//{host}{port}{path}");
        if !kept.is_empty() {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish();
            out.push('?');
            out.push_str(&q);
        }
        Some(out)
    }

    /// A path segment without its `;name=value` session parameters.
    fn strip_path_params(&self, seg: &str) -> String {
        let mut parts = seg.split(';');
        let mut out = parts.next().unwrap_or("").to_string();
        for p in parts {
            let name = p.split('=').next().unwrap_or("");
            if !self.path_params.contains(&name.to_ascii_lowercase()) {
                out.push(';');
                out.push_str(p);
            }
        }
        out
    }

    /// The comparable form of a text: its words one space apart (as
    /// [`crate::normalize::rendered`]), typographic characters folded, and
    /// with the `numbers` rule, decimals written by value.
    pub fn text(&self, s: &str) -> String {
        let words = crate::normalize::rendered(s);
        let mut out = String::with_capacity(words.len());
        // The runs between folded characters are copied as they are.
        let mut from = 0;
        for (i, c) in words.char_indices() {
            if let Some(to) = self.fold.get(c) {
                out.push_str(&words[from..i]);
                out.push_str(to);
                from = i + c.len_utf8();
            }
        }
        out.push_str(&words[from..]);
        if self.numbers && out.contains('.') {
            out = DECIMAL
                .replace_all(&out, |c: &regex::Captures| {
                    if c[2].is_empty() {
                        c[1].to_string()
                    } else {
                        format!("{}.{}", &c[1], &c[2])
                    }
                })
                .into_owned();
        }
        out
    }
}

/// A Unix time in seconds (10 digits) or milliseconds (13 digits) between
/// 2001 and 2036: what cache-busters and "last updated" stamps put in links.
fn is_unix_time(v: &str) -> bool {
    let v = v.trim();
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(n) = v.parse::<u64>() else {
        return false;
    };
    match v.len() {
        10 => (1_000_000_000..2_100_000_000).contains(&n),
        13 => (1_000_000_000_000..2_100_000_000_000).contains(&n),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> String {
        Canon::builtin().link(s).unwrap()
    }

    #[test]
    fn links_that_name_the_same_document_are_one() {
        let base = l("https://www.ticaret.gov.tr/duyurular/a?id=3");
        for same in [
            "http://www.ticaret.gov.tr/duyurular/a?id=3",
            "https://ticaret.gov.tr/duyurular/a?id=3#top",
            "https://WWW.Ticaret.gov.tr:443/duyurular/a?utm_source=rss&id=3&utm_medium=x",
            "https://www.ticaret.gov.tr/duyurular/a;jsessionid=0A1B2C3D?id=3",
            "https://www.ticaret.gov.tr/duyurular/a?id=3&JSESSIONID=ab12&PHPSESSID=zz",
            "https://www.ticaret.gov.tr/duyurular/a?_=1733140000000&id=3&cb=991",
            "https://www.ticaret.gov.tr/(S(abc123def))/duyurular/a?id=3",
            "https://www.ticaret.gov.tr/duyurular/a?id=3&fbclid=IwAR0x&gclid=Cj0",
        ] {
            assert_eq!(l(same), base, "{same}");
        }
        assert_ne!(l("https://www.ticaret.gov.tr/duyurular/a?id=4"), base);
        assert_eq!(l("https://a.gov/x/y/"), l("http://a.gov/x/y"));
        assert_eq!(l("https://a.gov/"), l("https://a.gov"));
        // A cache-buster of any name, by its value (a Unix time).
        for same in [
            "https://www.ticaret.gov.tr/duyurular/a?id=3&v=1764633600",
            "https://www.ticaret.gov.tr/duyurular/a?t=1764633600123&id=3",
            "https://www.ticaret.gov.tr/duyurular/a?id=3&sesskey=x9&_dc=1764633600123",
        ] {
            assert_eq!(l(same), base, "{same}");
        }
        // Names that identify keep their value, however it looks.
        assert_ne!(l("https://a.gov/x?docid=1764633600"), l("https://a.gov/x"));
        assert_ne!(l("https://a.gov/x?codigo=1764633600"), l("https://a.gov/x"));
        assert_ne!(l("https://a.gov/x?id=1764633600"), l("https://a.gov/x"));
        assert_ne!(l("https://a.gov/x?v=2"), l("https://a.gov/x"));
        assert_ne!(l("https://www.ticaret.gov.tr/duyurular/b?id=3"), base);
        // Parameter order does not matter; other parameters stay.
        assert_eq!(l("https://a.gov/x?b=2&a=1"), l("https://a.gov/x?a=1&b=2"));
        assert_eq!(l("https://a.gov/x?a=1"), "//a.gov/x?a=1");
        assert!(Canon::builtin().link("not a url").is_none());
    }

    #[test]
    fn typographic_characters_and_numbers_fold() {
        let c = Canon::builtin();
        assert_eq!(
            c.text("“Telsiz” ekipmanı – yönetmelik…"),
            c.text("\"Telsiz\" ekipmanı - yönetmelik...")
        );
        assert_eq!(c.text("it’s"), c.text("it's"));
        // exactly, ASCII among them (the backtick), runs between kept
        assert_eq!(
            c.text("“Telsiz” `ekipman` – 3…"),
            "\"Telsiz\" 'ekipman' - 3..."
        );
        // a source's fold of a character replaces the built-in one
        let own = Canon::with(Some(&CanonRules {
            text: TextRules {
                fold: vec![("–".to_string(), "~".to_string())],
                ..Default::default()
            },
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(own.text("a – b — c"), "a ~ b - c");
        // Numbers compare by value only where the rule is on.
        assert_ne!(c.text("rate 1.0"), c.text("rate 1"));
        let json = Canon::with(Some(&CanonRules {
            text: TextRules {
                numbers: Some(true),
                ..Default::default()
            },
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(json.text("rate 1.0 and 2.50"), json.text("rate 1 and 2.5"));
        assert_ne!(json.text("rate 1.5"), json.text("rate 1.05"));
        assert_eq!(json.text("8517.10"), "8517.1");
    }

    #[test]
    fn a_source_adds_its_own_rules() {
        let c = Canon::with(Some(&CanonRules {
            link: LinkRules {
                drop_query: vec!["lang".into()],
                ..Default::default()
            },
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(
            c.link("https://a.gov/x?lang=tr&id=1"),
            c.link("https://a.gov/x?id=1")
        );
        assert_ne!(l("https://a.gov/x?lang=tr&id=1"), l("https://a.gov/x?id=1"));
        assert!(Canon::with(Some(&CanonRules {
            link: LinkRules {
                path_drop: vec!["(".into()],
                ..Default::default()
            },
            ..Default::default()
        }))
        .is_err());
    }
}
