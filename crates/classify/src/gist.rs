//! An offline English gist of a notice that is not in English: what kind of
//! act, by whom, doing what, to which goods, from when. Never a translation:
//! every field comes from a glossary entry (`crates/classify/data/glossary/
//! {tr,vi,es}.toml`), from the HS nomenclature's published descriptions or
//! from the tagger's dates, and a field nothing supports is left out. A name
//! the glossary lacks is kept as the notice wrote it. The original text is
//! always shown beside the gist by the front ends; the gist is plain text
//! (escaping is theirs).
//!
//! Pure and deterministic: the same notice and tags give the same gist.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use regex_automata::{meta, PatternID};
use serde::{Deserialize, Serialize};
use unicode_normalization::{char::decompose_canonical, UnicodeNormalization};

use crate::{extract_hs_codes, hs_digits, nomenclature, Classification};

/// The gist of one notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gist {
    /// The notice's language (ISO 639-1, "tr").
    pub lang: String,
    /// The jurisdiction's English name ("Viet Nam").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Who issued the act, in English ("Ministry of Science and Technology"),
    /// or as written when the glossary lacks the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The kind of act in English with its number as written ("Circular
    /// 12/2026/TT-BKHCN", "Communiqué 2024/12", "Regulation").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act_type: Option<String>,
    /// What the act does ("enters into force", "repeals", "amends", "makes
    /// certification of conformity mandatory for", "bans", …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The goods, in English: from HS codes through the nomenclature
    /// ("electrical static converters (8504.40)"), then from the glossary's
    /// product phrases ("mobile phones").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    /// "applies from 2027-07-01", "deadline 2026-12-31", from the tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<String>,
    /// The fields joined: "Viet Nam · Ministry of Science and Technology ·
    /// Circular 12/2026/TT-BKHCN · makes certification of conformity mandatory
    /// for · static converters (8504.40) · applies from 2027-07-01".
    pub text: String,
}

/// The gist of a notice, `None` for English (or an unknown language).
/// `lang` is the notice's language ("tr", "vi", "es"; a region subtag is
/// ignored), `jurisdiction` its ISO 3166-1 code or "EU"; `tags` are the
/// tagger's tags of the same title and text (HS codes, dates).
pub fn gist(
    title: &str,
    text: &str,
    lang: &str,
    jurisdiction: &str,
    tags: &Classification,
) -> Option<Gist> {
    let lang = lang
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if lang.is_empty() || lang == "en" || !lang.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let title = Prepared::new(title);
    let body = Prepared::new(text);
    let docs = [&title, &body];
    let g = glossary(&lang);

    let mut issuer = None;
    let mut act_type = None;
    let mut action = None;
    let mut phrases = Vec::new();
    if let Some(g) = g {
        let act = g.act(&title, &body);
        if let Some(a) = &act {
            act_type = Some(match &a.number {
                Some(n) => format!("{} {}", a.en, n),
                None => a.en.clone(),
            });
        }
        issuer = act
            .as_ref()
            .and_then(|a| a.issuer.clone())
            .or_else(|| {
                act.as_ref()
                    .and_then(|a| a.number.as_deref())
                    .and_then(|n| g.issuer_from_number(n))
            })
            .or_else(|| g.issuer_from_cues(&docs));
        action = g.action(&docs);
        phrases = g.products(&docs);
    }
    let mut products = hs_products(&title, &body, tags);
    for p in phrases {
        if !products.contains(&p) {
            products.push(p);
        }
    }
    let mut dates = Vec::new();
    if let Some(d) = tags.effective_date {
        dates.push(format!("applies from {d}"));
    }
    if let Some(d) = tags.deadline {
        dates.push(format!("deadline {d}"));
    }
    let country = country_name(jurisdiction).map(str::to_string);

    let mut parts: Vec<String> = Vec::new();
    parts.extend(country.clone());
    parts.extend(issuer.clone());
    parts.extend(act_type.clone());
    parts.extend(action.clone());
    if !products.is_empty() {
        const SHOWN: usize = 4;
        let mut p = products
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        if products.len() > SHOWN {
            p.push_str(&format!("; +{} more", products.len() - SHOWN));
        }
        parts.push(p);
    }
    if !dates.is_empty() {
        parts.push(dates.join(", "));
    }
    Some(Gist {
        lang,
        country,
        issuer,
        act_type,
        action,
        products,
        dates,
        text: parts.join(" · "),
    })
}

/// English names of the jurisdictions regwatch watches.
fn country_name(code: &str) -> Option<&'static str> {
    Some(match code.trim().to_ascii_uppercase().as_str() {
        "TR" => "Türkiye",
        "VN" => "Viet Nam",
        "MX" => "Mexico",
        "GB" => "United Kingdom",
        "US" => "United States",
        "EU" => "European Union",
        "DE" => "Germany",
        "FR" => "France",
        "ES" => "Spain",
        "IT" => "Italy",
        "CN" => "China",
        "JP" => "Japan",
        "KR" => "Republic of Korea",
        "BR" => "Brazil",
        "IN" => "India",
        "CA" => "Canada",
        _ => return None,
    })
}

// ------------------------------------------------------------------ text

/// A character range.
type Span = (usize, usize);

/// A text in three aligned forms, one character of each per character of the
/// others: as written (NFC, runs of white space as one space), folded the way
/// the tagger folds (lowercase, Turkish İ/I/ı as i, hyphens as spaces,
/// typographic apostrophes as '), and folded without diacritics.
struct Prepared {
    orig: String,
    folded: String,
    stripped: String,
    /// Per character: byte offsets in orig, folded, stripped; one extra entry
    /// holds the lengths.
    at: Vec<(usize, usize, usize)>,
    /// Character ranges the goods are not read from (quoted tariff wording,
    /// exclusions), filled per glossary.
    skip: Vec<(usize, usize)>,
}

fn fold_char(c: char) -> char {
    match c {
        'İ' | 'I' | 'ı' => 'i',
        '-' | '‐' | '‑' | '–' | '—' => ' ',
        '’' | 'ʼ' | '‘' => '\'',
        c if c.is_ascii() => c.to_ascii_lowercase(),
        c => {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        }
    }
}

fn strip_char(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    match c {
        'đ' | 'Đ' => 'd',
        'ı' => 'i',
        _ => {
            let mut base = None;
            decompose_canonical(c, |d| {
                if base.is_none() {
                    base = Some(d);
                }
            });
            base.unwrap_or(c)
        }
    }
}

/// Fold a short string (a glossary term) as texts are folded.
fn fold(s: &str) -> String {
    Prepared::new(s).folded
}

impl Prepared {
    fn new(text: &str) -> Prepared {
        let nfc: String = text.nfc().collect();
        let orig = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut folded = String::with_capacity(orig.len());
        let mut stripped = String::with_capacity(orig.len());
        let mut at = Vec::with_capacity(orig.len() + 1);
        for (b, c) in orig.char_indices() {
            at.push((b, folded.len(), stripped.len()));
            let f = fold_char(c);
            folded.push(f);
            stripped.push(strip_char(f));
        }
        at.push((orig.len(), folded.len(), stripped.len()));
        Prepared {
            orig,
            folded,
            stripped,
            at,
            skip: Vec::new(),
        }
    }

    fn char_of_folded(&self, byte: usize) -> usize {
        self.at.partition_point(|a| a.1 < byte)
    }

    fn char_of_stripped(&self, byte: usize) -> usize {
        self.at.partition_point(|a| a.2 < byte)
    }

    fn char_of_orig(&self, byte: usize) -> usize {
        self.at.partition_point(|a| a.0 < byte)
    }

    fn orig_span(&self, c0: usize, c1: usize) -> &str {
        &self.orig[self.at[c0].0..self.at[c1].0]
    }

    fn folded_span(&self, c0: usize, c1: usize) -> &str {
        &self.folded[self.at[c0].1..self.at[c1].1]
    }

    fn folded_char(&self, c: usize) -> Option<char> {
        self.folded[self.at.get(c)?.1..].chars().next()
    }

    fn skipped(&self, c0: usize, c1: usize) -> bool {
        self.skip.iter().any(|&(s, e)| c0 < e && s < c1)
    }

    /// Matches of a regex over the folded text, as character ranges, with the
    /// named group's range when asked; then over the text without diacritics
    /// for the parts written without them.
    fn regex_matches(&self, re: &Pattern, group: Option<&str>) -> Vec<(Span, Option<Span>)> {
        let mut out = Vec::new();
        for caps in re.folded.captures_iter(&self.folded) {
            let m = caps.get_match().expect("a match");
            let g = group
                .and_then(|n| caps.get_group_by_name(n))
                .map(|g| (self.char_of_folded(g.start), self.char_of_folded(g.end)));
            out.push((
                (self.char_of_folded(m.start()), self.char_of_folded(m.end())),
                g,
            ));
        }
        if let Some(stripped) = &re.stripped {
            for caps in stripped.captures_iter(&self.stripped) {
                let m = caps.get_match().expect("a match");
                let (c0, c1) = (
                    self.char_of_stripped(m.start()),
                    self.char_of_stripped(m.end()),
                );
                if !self.folded_span(c0, c1).is_ascii() || out.iter().any(|o| o.0 .0 == c0) {
                    continue;
                }
                let g = group
                    .and_then(|n| caps.get_group_by_name(n))
                    .map(|g| (self.char_of_stripped(g.start), self.char_of_stripped(g.end)));
                out.push(((c0, c1), g));
            }
        }
        out.sort();
        out
    }
}

// -------------------------------------------------------------- glossary

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryFile {
    lang: String,
    title_pick: String,
    #[serde(default)]
    suffix: Option<String>,
    #[serde(default)]
    doc_types: Vec<String>,
    numbers: NumbersFile,
    cues: CuesFile,
    #[serde(default)]
    act: Vec<EntryFile>,
    #[serde(default)]
    issuer: Vec<EntryFile>,
    #[serde(default)]
    action: Vec<EntryFile>,
    #[serde(default)]
    product: Vec<EntryFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumbersFile {
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    before: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CuesFile {
    #[serde(default)]
    act: Vec<String>,
    #[serde(default)]
    issuer: Vec<String>,
    #[serde(default)]
    exclusion_before: Vec<String>,
    #[serde(default)]
    exclusion_after: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    en: String,
    #[serde(default)]
    terms: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    /// act types: the issuer the type names ("Cumhurbaşkanı Kararı")
    #[serde(default)]
    issuer: Option<String>,
    /// issuers: document-number codes ("BKHCN")
    #[serde(default)]
    codes: Vec<String>,
}

/// A regex over folded text, and its twin for text written without
/// diacritics (when the two differ). Both lean ([`crate::re::lean`]): the
/// cues name a group in an alternation of a section's terms.
struct Pattern {
    folded: meta::Regex,
    stripped: Option<meta::Regex>,
}

impl Pattern {
    fn new(src: &str) -> Result<Pattern, String> {
        let folded = crate::re::lean(src)?;
        let s: String = src.chars().map(strip_char).collect();
        let stripped = if s != src {
            Some(crate::re::lean(&s)?)
        } else {
            None
        };
        Ok(Pattern { folded, stripped })
    }

    fn has_group(&self, name: &str) -> bool {
        self.folded
            .group_info()
            .to_index(PatternID::ZERO, name)
            .is_some()
    }
}

struct Term {
    folded: String,
    stripped: String,
    /// A term in capitals only matches only as written.
    exact: Option<String>,
    entry: usize,
}

struct Entry {
    en: String,
    patterns: Vec<Pattern>,
    issuer: Option<String>,
    codes: Vec<String>,
}

/// Terms of one section, longest first.
struct Section {
    entries: Vec<Entry>,
    terms: Vec<Term>,
}

struct Glossary {
    lang: String,
    title_last: bool,
    suffix: Option<Regex>,
    doc_types: Vec<String>,
    num_after: Vec<Regex>,
    num_before: Vec<Regex>,
    act_cues: Vec<Pattern>,
    issuer_cues: Vec<Pattern>,
    excl_before: Vec<Pattern>,
    excl_after: Vec<Pattern>,
    acts: Section,
    issuers: Section,
    actions: Section,
    products: Section,
}

/// The shipped glossaries: (language, file, text).
const GLOSSARIES: &[(&str, &str, &str)] = &[
    (
        "tr",
        "data/glossary/tr.toml",
        include_str!("../data/glossary/tr.toml"),
    ),
    (
        "vi",
        "data/glossary/vi.toml",
        include_str!("../data/glossary/vi.toml"),
    ),
    (
        "es",
        "data/glossary/es.toml",
        include_str!("../data/glossary/es.toml"),
    ),
];

/// The shipped glossary of `lang`, if there is one, compiled the first
/// time a text in that language asks for it. Each holds a few hundred
/// patterns: the three compiled together were 9 MB, the largest part of a
/// one-shot poll's memory, where its sources were in one language.
fn glossary(lang: &str) -> Option<&'static Glossary> {
    static G: [OnceLock<Glossary>; GLOSSARIES.len()] =
        [const { OnceLock::new() }; GLOSSARIES.len()];
    let i = GLOSSARIES.iter().position(|(l, ..)| *l == lang)?;
    Some(G[i].get_or_init(|| {
        let (lang, name, src) = GLOSSARIES[i];
        let g = parse_glossary(src).unwrap_or_else(|e| panic!("shipped {name} is invalid: {e}"));
        assert_eq!(
            g.lang, lang,
            "shipped {name} is the glossary of another language"
        );
        g
    }))
}

fn is_acronym(term: &str) -> bool {
    let letters: Vec<char> = term.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

fn section(files: Vec<EntryFile>) -> Result<Section, String> {
    let mut entries = Vec::new();
    let mut terms = Vec::new();
    for (i, e) in files.into_iter().enumerate() {
        if e.en.trim().is_empty() || (e.terms.is_empty() && e.patterns.is_empty()) {
            return Err(format!("entry {:?} needs `en` and terms or patterns", e.en));
        }
        for t in &e.terms {
            let folded = fold(t.trim());
            if folded.trim().is_empty() {
                return Err(format!("empty term in {:?}", e.en));
            }
            terms.push(Term {
                stripped: folded.chars().map(strip_char).collect(),
                folded,
                exact: is_acronym(t).then(|| t.trim().to_string()),
                entry: i,
            });
        }
        entries.push(Entry {
            en: e.en,
            patterns: e
                .patterns
                .iter()
                .map(|p| Pattern::new(p).map_err(|err| format!("pattern {p:?}: {err}")))
                .collect::<Result<_, _>>()?,
            issuer: e.issuer,
            codes: e.codes,
        });
    }
    terms.sort_by(|a, b| {
        b.folded
            .chars()
            .count()
            .cmp(&a.folded.chars().count())
            .then(a.entry.cmp(&b.entry))
    });
    Ok(Section { entries, terms })
}

/// Replace `{issuer}` / `{act}` in a cue by an alternation of the section's
/// terms (longest first) in a named group.
fn cue(template: &str, name: &str, s: &Section) -> Result<Pattern, String> {
    let key = format!("{{{name}}}");
    let src = if template.contains(&key) {
        let alt = s
            .terms
            .iter()
            .map(|t| regex::escape(&t.folded))
            .collect::<Vec<_>>()
            .join("|");
        template.replace(&key, &format!(r"\b(?P<{name}>{alt})"))
    } else {
        template.to_string()
    };
    Pattern::new(&src).map_err(|e| format!("cue {template:?}: {e}"))
}

fn parse_glossary(src: &str) -> Result<Glossary, String> {
    let f: GlossaryFile = toml::from_str(src).map_err(|e| e.to_string())?;
    let title_last = match f.title_pick.as_str() {
        "first" => false,
        "last" => true,
        other => return Err(format!("title_pick must be first or last, not {other:?}")),
    };
    let re = |v: &[String]| -> Result<Vec<Regex>, String> {
        v.iter()
            .map(|p| crate::re::compile(p).map_err(|e| format!("{p:?}: {e}")))
            .collect()
    };
    let pats = |v: &[String]| -> Result<Vec<Pattern>, String> {
        v.iter()
            .map(|p| Pattern::new(p).map_err(|e| format!("{p:?}: {e}")))
            .collect()
    };
    let acts = section(f.act)?;
    let issuers = section(f.issuer)?;
    Ok(Glossary {
        lang: f.lang,
        title_last,
        suffix: f
            .suffix
            .as_deref()
            .map(crate::re::compile)
            .transpose()
            .map_err(|e| e.to_string())?,
        doc_types: f.doc_types,
        num_after: re(&f.numbers.after)?,
        num_before: re(&f.numbers.before)?,
        act_cues: f
            .cues
            .act
            .iter()
            .map(|c| cue(c, "act", &acts))
            .collect::<Result<_, _>>()?,
        issuer_cues: f
            .cues
            .issuer
            .iter()
            .map(|c| cue(c, "issuer", &issuers))
            .collect::<Result<_, _>>()?,
        excl_before: pats(&f.cues.exclusion_before)?,
        excl_after: pats(&f.cues.exclusion_after)?,
        acts,
        issuers,
        actions: section(f.action)?,
        products: section(f.product)?,
    })
}

/// One match of a term: character range in its text, and the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hit {
    c0: usize,
    c1: usize,
    entry: usize,
}

struct Act {
    en: String,
    number: Option<String>,
    issuer: Option<String>,
}

impl Glossary {
    /// Every match of a section's terms in a text: whole words (the last one
    /// may carry a suffix of the language), case as the term asks, diacritics
    /// as written or absent; overlapping matches keep the longest.
    fn find(&self, s: &Section, p: &Prepared) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        for t in &s.terms {
            let mut from = 0;
            while let Some(i) = p.stripped[from..].find(&t.stripped) {
                let b = from + i;
                from = b + t.stripped.len().max(1);
                let c0 = p.char_of_stripped(b);
                let mut c1 = p.char_of_stripped(b + t.stripped.len());
                let span = p.folded_span(c0, c1);
                if span != t.folded && !span.is_ascii() {
                    continue;
                }
                if c0 > 0 && p.folded_char(c0 - 1).is_some_and(char::is_alphanumeric) {
                    continue;
                }
                if p.folded_char(c1).is_some_and(char::is_alphanumeric) {
                    // the rest of the word must be an ending of the language
                    let mut end = c1;
                    while p.folded_char(end).is_some_and(char::is_alphanumeric) {
                        end += 1;
                    }
                    let rest = p.folded_span(c1, end);
                    if self.suffix.as_ref().is_some_and(|r| r.is_match(rest)) {
                        c1 = end;
                    } else {
                        continue;
                    }
                }
                if let Some(exact) = &t.exact {
                    if !p.orig_span(c0, c1).starts_with(exact.as_str()) {
                        continue;
                    }
                }
                hits.push(Hit {
                    c0,
                    c1,
                    entry: t.entry,
                });
            }
        }
        // longest first at each place; drop what overlaps a kept match
        hits.sort_by(|a, b| (b.c1 - b.c0).cmp(&(a.c1 - a.c0)).then(a.c0.cmp(&b.c0)));
        let mut kept: Vec<Hit> = Vec::new();
        for h in hits {
            if !kept.iter().any(|k| h.c0 < k.c1 && k.c0 < h.c1) {
                kept.push(h);
            }
        }
        kept.sort_by_key(|h| h.c0);
        kept
    }

    /// The section entry a matched name belongs to (a name equal to a term).
    fn entry_of(&self, s: &Section, name: &str) -> Option<usize> {
        let f = fold(name.trim());
        let st: String = f.chars().map(strip_char).collect();
        s.terms
            .iter()
            .find(|t| t.folded == f || (f.is_ascii() && t.stripped == st))
            .map(|t| t.entry)
    }

    fn act(&self, title: &Prepared, body: &Prepared) -> Option<Act> {
        // in the title: the first act term, or for a head-final language the
        // last one outside parentheses
        let mut hits = self.find(&self.acts, title);
        if self.title_last {
            hits.retain(|h| {
                let before = title.orig_span(0, h.c0);
                before.matches('(').count() <= before.matches(')').count()
            });
        }
        let (doc, hit) = match if self.title_last {
            hits.last()
        } else {
            hits.first()
        } {
            Some(h) => (title, *h),
            None => {
                // else an act the text describes by a cue
                let mut found = None;
                'cues: for c in &self.act_cues {
                    for (_, g) in body.regex_matches(c, Some("act")) {
                        let Some((g0, g1)) = g else { continue };
                        if let Some(h) = self
                            .find(&self.acts, body)
                            .into_iter()
                            .find(|h| h.c0 == g0 && h.c1 >= g1)
                        {
                            found = Some(h);
                            break 'cues;
                        }
                    }
                }
                (body, found?)
            }
        };
        let e = &self.acts.entries[hit.entry];
        let after = &doc.orig[doc.at[hit.c1].0..];
        let before = &doc.orig[..doc.at[hit.c0].0];
        let number = self
            .num_after
            .iter()
            .find_map(|r| r.captures(after).and_then(|c| c.name("n")))
            .or_else(|| {
                self.num_before
                    .iter()
                    .find_map(|r| r.captures(before).and_then(|c| c.name("n")))
            })
            .map(|m| m.as_str().to_string());
        Some(Act {
            en: e.en.clone(),
            number,
            issuer: e.issuer.clone(),
        })
    }

    /// The issuer a document number names: "32/2025/TT-BKHCN" -> BKHCN,
    /// "38162/CHQ-GSQL" -> CHQ.
    fn issuer_from_number(&self, number: &str) -> Option<String> {
        let last = number.rsplit('/').next()?;
        let parts: Vec<&str> = last.split('-').collect();
        let code = match parts.as_slice() {
            [t, rest @ ..] if !rest.is_empty() && self.doc_types.iter().any(|d| d == t) => rest[0],
            [first, ..] => first,
            [] => return None,
        };
        self.issuers
            .entries
            .iter()
            .find(|e| e.codes.iter().any(|c| c == code))
            .map(|e| e.en.clone())
    }

    fn issuer_from_cues(&self, docs: &[&Prepared]) -> Option<String> {
        for p in docs {
            let mut best: Option<(usize, String)> = None;
            for c in &self.issuer_cues {
                let with_name = c.has_group("issuer");
                let group = if with_name { "issuer" } else { "raw" };
                for ((m0, _), g) in p.regex_matches(c, Some(group)) {
                    let Some((g0, g1)) = g else { continue };
                    if best.as_ref().is_some_and(|b| b.0 <= m0) {
                        break;
                    }
                    let name = p.orig_span(g0, g1).trim();
                    let found = if with_name {
                        // the term as matched, its case checked
                        self.find(&self.issuers, p)
                            .into_iter()
                            .find(|h| h.c0 == g0 && h.c1 >= g1)
                            .map(|h| self.issuers.entries[h.entry].en.clone())
                    } else {
                        Some(match self.entry_of(&self.issuers, name) {
                            Some(i) => self.issuers.entries[i].en.clone(),
                            None => name.to_string(),
                        })
                    };
                    if let Some(f) = found {
                        best = Some((m0, f));
                        break;
                    }
                }
            }
            if let Some((_, name)) = best {
                return Some(name);
            }
        }
        None
    }

    fn action(&self, docs: &[&Prepared]) -> Option<String> {
        let hits: Vec<Vec<Hit>> = docs.iter().map(|p| self.find(&self.actions, p)).collect();
        for (i, e) in self.actions.entries.iter().enumerate() {
            let by_term = hits.iter().flatten().any(|h| h.entry == i);
            let by_pattern = || {
                e.patterns
                    .iter()
                    .any(|pat| docs.iter().any(|p| !p.regex_matches(pat, None).is_empty()))
            };
            if by_term || by_pattern() {
                return Some(e.en.clone());
            }
        }
        None
    }

    /// Mark what the goods are not read from: exclusions ("… kapsamı
    /// dışındadır", "excepto …", "trừ …"), to the end or from the start of
    /// their clause.
    fn mark_exclusions(&self, p: &mut Prepared) {
        let mut skip = Vec::new();
        let clause_end = |from: usize| {
            let s = &p.orig[p.at[from].0..];
            let mut end = s.len();
            for (i, c) in s.char_indices() {
                let next = s[i + c.len_utf8()..].chars().next();
                if c == ';' || c == ')' || (c == '.' && next.is_none_or(char::is_whitespace)) {
                    end = i;
                    break;
                }
            }
            p.char_of_orig(p.at[from].0 + end)
        };
        let clause_start = |to: usize| {
            let s = &p.orig[..p.at[to].0];
            let b = s.rfind(". ").map(|i| i + 2).unwrap_or(0);
            let b = b.max(s.rfind("; ").map(|i| i + 2).unwrap_or(0));
            p.char_of_orig(b)
        };
        for m in &self.excl_before {
            for ((c0, c1), _) in p.regex_matches(m, None) {
                skip.push((clause_start(c0), c1));
            }
        }
        for m in &self.excl_after {
            for ((c0, _), _) in p.regex_matches(m, None) {
                skip.push((c0, clause_end(c0)));
            }
        }
        p.skip.extend(skip);
    }

    fn products(&self, docs: &[&Prepared]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in docs {
            let mut p2 = Prepared {
                orig: p.orig.clone(),
                folded: p.folded.clone(),
                stripped: p.stripped.clone(),
                at: p.at.clone(),
                skip: quoted_tariff_wording(p),
            };
            self.mark_exclusions(&mut p2);
            // an authority's name is not its goods ("… Tıbbi Cihaz Kurumu")
            let names: Vec<(usize, usize)> = self
                .find(&self.issuers, &p2)
                .iter()
                .map(|h| (h.c0, h.c1))
                .collect();
            p2.skip.extend(names);
            for h in self.find(&self.products, &p2) {
                if p2.skipped(h.c0, h.c1) {
                    continue;
                }
                let en = &self.products.entries[h.entry].en;
                if !out.contains(en) {
                    out.push(en.clone());
                }
            }
        }
        out
    }
}

/// Character ranges of tariff wording quoted after a code ("mã số
/// 8517.62.59 “- - - - Loại khác”", "nhóm 85.17 “Bộ điện thoại, …”"):
/// the nomenclature's text, not the goods of the notice.
fn quoted_tariff_wording(p: &Prepared) -> Vec<(usize, usize)> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        crate::re::compile(r#"(?i)(?:\d[\d.]*\d|nhóm|mã số)\s*(“[^”]*”)"#).expect("static regex")
    });
    re.captures_iter(&p.orig)
        .filter_map(|c| c.get(1))
        .map(|m| (p.char_of_orig(m.start()), p.char_of_orig(m.end())))
        .collect()
}

/// The goods named by HS code: the tagger's codes, less those named only in
/// quoted tariff wording and those a more specific code of the notice
/// refines, grouped by the code the nomenclature describes:
/// "communication apparatus, machines for the reception, conversion and
/// transmission or regeneration of voice… (8517.62.59)".
fn hs_products(title: &Prepared, body: &Prepared, tags: &Classification) -> Vec<String> {
    let join = |a: &Prepared, b: &Prepared| format!("{}\n{}", a.orig, b.orig);
    let blank = |p: &Prepared| {
        let mut s = p.orig.clone();
        for (c0, c1) in quoted_tariff_wording(p).into_iter().rev() {
            let (b0, b1) = (p.at[c0].0, p.at[c1].0);
            s.replace_range(b0..b1, &" ".repeat(p.orig[b0..b1].chars().count()));
        }
        s
    };
    let all: Vec<String> = extract_hs_codes(&join(title, body))
        .iter()
        .map(|c| hs_digits(c))
        .collect();
    let outside: Vec<String> = extract_hs_codes(&format!("{}\n{}", blank(title), blank(body)))
        .iter()
        .map(|c| hs_digits(c))
        .collect();
    let codes: Vec<&String> = tags
        .hs_codes
        .iter()
        .filter(|c| {
            let d = hs_digits(c);
            // dropped when named only inside quoted tariff wording
            !all.contains(&d) || outside.contains(&d)
        })
        .collect();
    let digits: Vec<String> = codes.iter().map(|c| hs_digits(c)).collect();
    let mut groups: Vec<(&'static str, Vec<&String>)> = Vec::new();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (c, d) in codes.iter().zip(&digits) {
        if digits
            .iter()
            .any(|o| o.len() > d.len() && o.starts_with(d.as_str()))
        {
            continue;
        }
        let Some((key, _)) = nomenclature::describe_with_code(d) else {
            continue;
        };
        match index.get(key) {
            Some(&i) => {
                if !groups[i].1.contains(c) {
                    groups[i].1.push(c)
                }
            }
            None => {
                index.insert(key, groups.len());
                groups.push((key, vec![c]));
            }
        }
    }
    groups
        .into_iter()
        .filter_map(|(key, cs)| {
            let short = nomenclature::short(key)?;
            let codes = cs.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
            Some(format!("{short} ({codes})"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(hs: &[&str]) -> Classification {
        Classification {
            categories: vec![],
            hs_codes: hs.iter().map(|s| s.to_string()).collect(),
            evidence: vec![],
            effective_date: None,
            deadline: None,
            dates: vec![],
            excluded_hs_codes: vec![],
            hs_ranges: vec![],
            chapters: vec![],
            wto_member: None,
            origins: vec![],
            exempt_origins: vec![],
            measures: vec![],
        }
    }

    #[test]
    fn glossaries_load() {
        for lang in ["tr", "vi", "es"] {
            assert_eq!(glossary(lang).map(|g| g.lang.as_str()), Some(lang));
        }
        assert!(glossary("en").is_none() && glossary("fr").is_none());
    }

    #[test]
    fn english_has_no_gist() {
        assert!(gist("Notice", "It applies.", "en", "GB", &tags(&[])).is_none());
        assert!(gist("Notice", "It applies.", "en-GB", "GB", &tags(&[])).is_none());
        assert!(gist("Notice", "It applies.", "", "GB", &tags(&[])).is_none());
    }

    #[test]
    fn folding_is_the_taggers() {
        for s in [
            "BİLGİ TEKNOLOJİLERİ VE İLETİŞİM KURUMU",
            "Thông tư 32/2025/TT-BKHCN",
            "RESOLUCIÓN  Preliminar",
            "ısıtıcı ISITICI",
        ] {
            let mine = fold(s);
            assert_eq!(
                mine.split_whitespace().collect::<Vec<_>>(),
                crate::fold(s).split_whitespace().collect::<Vec<_>>(),
                "{s}"
            );
        }
    }

    #[test]
    fn the_example_of_the_issue() {
        let mut t = tags(&["8504.40"]);
        t.effective_date = chrono::NaiveDate::from_ymd_opt(2027, 7, 1);
        let g = gist(
            "Thông tư 12/2026/TT-BKHCN quy định chứng nhận hợp quy bắt buộc đối với bộ nguồn",
            "Bộ nguồn (mã HS 8504.40) phải được chứng nhận hợp quy bắt buộc. Thông tư này có hiệu lực từ ngày 01 tháng 7 năm 2027.",
            "vi",
            "VN",
            &t,
        )
        .unwrap();
        assert_eq!(
            g.text,
            "Viet Nam · Ministry of Science and Technology · Circular 12/2026/TT-BKHCN · makes certification of conformity mandatory for · electrical static converters (8504.40) · applies from 2027-07-01"
        );
    }

    #[test]
    fn unaccented_text_and_turkish_case() {
        let g = gist(
            "THONG TU 5/2026/TT-BYT",
            "Bai bo quy dinh ve thiet bi y te.",
            "vi",
            "VN",
            &tags(&[]),
        )
        .unwrap();
        assert_eq!(g.act_type.as_deref(), Some("Circular 5/2026/TT-BYT"));
        assert_eq!(g.issuer.as_deref(), Some("Ministry of Health"));
        assert_eq!(g.action.as_deref(), Some("repeals"));
        assert_eq!(g.products, ["medical devices"]);
        let g = gist(
            "CEP TELEFONLARININ KAYDI HAKKINDA YÖNETMELİK",
            "BİLGİ TEKNOLOJİLERİ VE İLETİŞİM KURUMUNDAN: Bu Yönetmelik yayımı tarihinde yürürlüğe girer.",
            "tr",
            "TR",
            &tags(&[]),
        )
        .unwrap();
        assert_eq!(g.act_type.as_deref(), Some("Regulation"));
        assert_eq!(
            g.issuer.as_deref(),
            Some("Information and Communication Technologies Authority (BTK)")
        );
        assert_eq!(g.action.as_deref(), Some("enters into force"));
        assert_eq!(g.products, ["mobile phones"]);
    }

    #[test]
    fn names_the_glossary_lacks_stay_as_written() {
        let g = gist(
            "Tebliğ",
            "Gençlik ve Spor Bakanlığından: Bu Tebliğ yürürlüğe girer.",
            "tr",
            "TR",
            &tags(&[]),
        )
        .unwrap();
        assert_eq!(g.issuer.as_deref(), Some("Gençlik ve Spor Bakanlığı"));
        // an acronym matches only in capitals: "se" is not the Secretaría
        let g = gist(
            "Aviso",
            "Se publicó el aviso; se modifica la regla.",
            "es",
            "MX",
            &tags(&[]),
        )
        .unwrap();
        assert_eq!(g.issuer, None);
        assert_eq!(g.action.as_deref(), Some("amends"));
    }
}
