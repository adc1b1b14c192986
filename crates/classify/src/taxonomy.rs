//! The taxonomy file, its validation, and the classifier built from it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::hs::{extract_hits, hs_digits};
use crate::norm::{fold, fold_strip, is_word, Folded};
use crate::{Classification, Evidence, Input};

// ---------------------------------------------------------------- file format

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[allow(dead_code)]
    version: Option<u32>,
    #[serde(default)]
    settings: SettingsDoc,
    #[serde(default)]
    category: Vec<CategoryDoc>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsDoc {
    min_weak: Option<u32>,
    #[serde(default)]
    diacritic_insensitive: Vec<String>,
    #[serde(default)]
    hs_ignore: Vec<Spanned<String>>,
    #[serde(default)]
    hs_negation_before: Vec<String>,
    #[serde(default)]
    hs_negation_after: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryDoc {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    min_weak: Option<u32>,
    #[serde(default)]
    hs: Vec<Spanned<String>>,
    #[serde(default)]
    hs_weak: Vec<Spanned<String>>,
    #[serde(default)]
    hs_exclude: Vec<Spanned<String>>,
    #[serde(default)]
    phrases: BTreeMap<Spanned<String>, LangDoc>,
    #[serde(default)]
    rule: Vec<RuleDoc>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LangDoc {
    #[serde(default)]
    strong: Vec<Spanned<String>>,
    #[serde(default)]
    weak: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    phrases: Vec<Spanned<String>>,
    lang: Option<String>,
    strength: Spanned<String>,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
    #[serde(default)]
    unless: Vec<Spanned<String>>,
}

// ---------------------------------------------------------------- errors

/// A taxonomy that cannot be used. Messages name the file, the line and the
/// key, and say how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("{origin}: cannot read the taxonomy file: {source}; fix: check the path and its permissions")]
    Io {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}: {key}: {message}; fix: {fix}")]
    Invalid {
        origin: String,
        line: usize,
        key: String,
        message: String,
        fix: String,
    },
}

impl TaxonomyError {
    /// The line the error points at (1-based), when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            TaxonomyError::Invalid { line, .. } => Some(*line),
            TaxonomyError::Io { .. } => None,
        }
    }
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

struct Ctx<'a> {
    src: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> TaxonomyError {
        TaxonomyError::Invalid {
            origin: self.origin.to_string(),
            line: line_of(self.src, span.start),
            key: key.to_string(),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

fn toml_error(src: &str, origin: &str, e: toml::de::Error) -> TaxonomyError {
    let span = e.span().unwrap_or(0..0);
    let msg = e.message().trim().to_string();
    let unknown = Regex::new(r"unknown field `([^`]*)`").unwrap();
    let (key, fix) = if let Some(c) = unknown.captures(&msg) {
        (
            c[1].to_string(),
            "remove the key or correct its spelling; the keys allowed are listed in docs/taxonomy.md".to_string(),
        )
    } else if let Some(c) = Regex::new(r"missing field `([^`]*)`")
        .unwrap()
        .captures(&msg)
    {
        (
            c[1].to_string(),
            format!("add `{} = ...` to this table", &c[1]),
        )
    } else {
        // the key is what stands before `=` on the line the error points at
        let line_start = src[..span.start.min(src.len())]
            .rfind('\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        let line = src[line_start..].lines().next().unwrap_or("");
        let key = match line.split_once('=') {
            Some((k, _)) if !k.trim().is_empty() => k.trim().to_string(),
            _ => line.trim().chars().take(40).collect::<String>(),
        };
        let key = if key.is_empty() {
            "(syntax)".to_string()
        } else {
            key
        };
        (
            key,
            "correct the TOML at this line (quotes, commas, brackets) and check the value's type"
                .to_string(),
        )
    };
    TaxonomyError::Invalid {
        origin: origin.to_string(),
        line: line_of(src, span.start),
        key,
        message: msg,
        fix,
    }
}

// ---------------------------------------------------------------- built form

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Strong,
    Weak,
    Exclude,
    Rule(usize),
    Context(usize),
}

#[derive(Debug)]
struct PatMeta {
    role: Role,
    cat: usize,
    lang: Option<String>,
    folded: String,
    /// Case-sensitive phrases (written with capitals) must match this exactly.
    exact: Option<String>,
    stem: bool,
    diacritic_insensitive: bool,
    left_word: bool,
    right_word: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HsKind {
    Strong,
    Weak,
    Exclude,
}

#[derive(Debug)]
struct Category {
    name: String,
    #[allow(dead_code)]
    description: String,
    min_weak: usize,
    hs: Vec<(String, HsKind)>,
}

#[derive(Debug)]
struct Rule {
    strong: bool,
    requires: Vec<usize>,
    unless: Vec<usize>,
}

/// A loaded taxonomy: categories, HS prefixes, and one automaton over the
/// phrases of all languages. Build once, share (it is `Send + Sync`).
#[derive(Debug)]
pub struct Taxonomy {
    categories: Vec<Category>,
    automaton: AhoCorasick,
    metas: Vec<Vec<PatMeta>>,
    rules: Vec<Rule>,
    n_terms: usize,
    hs_ignore: Vec<String>,
    negation_before: Option<Regex>,
    negation_after: Option<Regex>,
}

struct PhraseSpec {
    folded: String,
    stripped: String,
    exact: Option<String>,
    stem: bool,
}

fn parse_phrase(ctx: &Ctx, p: &Spanned<String>, key: &str) -> Result<PhraseSpec, TaxonomyError> {
    let raw = p.get_ref().trim();
    let (body, stem) = match raw.strip_suffix('*') {
        Some(b) => (b.trim_end(), true),
        None => (raw, false),
    };
    if body.is_empty() || body.contains('*') {
        return Err(ctx.err(
            p.span(),
            key,
            format!("phrase {raw:?} is empty or has a `*` inside it"),
            "write a word or phrase; `*` is allowed only at the very end, to match any ending",
        ));
    }
    if !body.chars().any(char::is_alphanumeric) {
        return Err(ctx.err(
            p.span(),
            key,
            format!("phrase {raw:?} has no letters or digits"),
            "write a word or phrase",
        ));
    }
    let collapse = |s: String| {
        s.split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let exact = body
        .chars()
        .any(char::is_uppercase)
        .then(|| collapse(crate::norm::nfc(body).replace(['-', '‐', '–'], " ")));
    Ok(PhraseSpec {
        folded: collapse(fold(body, true)),
        stripped: collapse(fold_strip(body, true)),
        exact,
        stem,
    })
}

fn parse_prefix(ctx: &Ctx, p: &Spanned<String>, key: &str) -> Result<String, TaxonomyError> {
    let raw = p.get_ref().trim();
    let ok_chars = !raw.is_empty()
        && raw
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ' ');
    let d = hs_digits(raw);
    let chapter: u32 = d.get(..2).and_then(|c| c.parse().ok()).unwrap_or(0);
    if !ok_chars || !matches!(d.len(), 2 | 4 | 6 | 8 | 10 | 12) || chapter == 0 {
        return Err(ctx.err(
            p.span(),
            key,
            format!("{raw:?} is not an HS prefix"),
            "write a chapter (\"85\"), heading (\"8517\" or \"85.17\") or subheading (\"8517.62\"): 2, 4, 6, 8, 10 or 12 digits, dots allowed",
        ));
    }
    Ok(d)
}

/// One regex matching any of `words` as whole words. The words are user data:
/// a list too large for the regex engine is an error, never a panic.
fn word_regex(ctx: &Ctx, words: &[String], key: &str) -> Result<Option<Regex>, TaxonomyError> {
    let alts: Vec<String> = words
        .iter()
        .map(|w| fold_strip(w, true).trim().to_string())
        .filter(|w| !w.is_empty())
        .map(|w| regex::escape(&w))
        .collect();
    if alts.is_empty() {
        return Ok(None);
    }
    let line = ctx
        .src
        .find(key.rsplit('.').next().unwrap_or(key))
        .unwrap_or(0);
    Regex::new(&format!(r"(?:^|[^\w])(?:{})(?:[^\w]|$)", alts.join("|")))
        .map(Some)
        .map_err(|e| {
            let msg = match e {
                regex::Error::CompiledTooBig(limit) => {
                    format!("the list is too large to match (over the {limit}-byte limit)")
                }
                other => format!("cannot build the matcher for this list: {other}"),
            };
            ctx.err(
                line..line,
                key,
                msg,
                "shorten the list: keep the words that really mark a negation",
            )
        })
}

impl Taxonomy {
    /// Parse and validate a taxonomy. `origin` names the file in messages.
    pub fn from_toml_str(src: &str, origin: &str) -> Result<Taxonomy, TaxonomyError> {
        let doc: FileDoc = toml::from_str(src).map_err(|e| toml_error(src, origin, e))?;
        let ctx = Ctx { src, origin };
        if doc.category.is_empty() {
            return Err(ctx.err(
                0..0,
                "category",
                "the taxonomy has no categories",
                "add at least one [[category]] table with a name, HS prefixes and phrases",
            ));
        }
        let default_min_weak = doc.settings.min_weak.unwrap_or(2).max(1) as usize;
        let insensitive: Vec<String> = doc
            .settings
            .diacritic_insensitive
            .iter()
            .map(|l| l.to_lowercase())
            .collect();
        let mut hs_ignore = Vec::new();
        for p in &doc.settings.hs_ignore {
            hs_ignore.push(parse_prefix(&ctx, p, "settings.hs_ignore")?);
        }

        let mut categories = Vec::new();
        let mut specs: Vec<(PhraseSpec, PatMeta)> = Vec::new();
        let mut rules = Vec::new();
        let mut terms: HashMap<String, usize> = HashMap::new();
        let mut names = std::collections::HashSet::new();

        for (ci, c) in doc.category.iter().enumerate() {
            let name = c.name.get_ref().trim().to_string();
            let key = |k: &str| format!("category.{name}.{k}");
            if name.is_empty()
                || !name.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-'
                })
            {
                return Err(ctx.err(
                    c.name.span(),
                    "category.name",
                    format!("{name:?} is not a valid category name"),
                    "use lowercase letters, digits, '-' or '_' (e.g. \"electronics\")",
                ));
            }
            if !names.insert(name.clone()) {
                return Err(ctx.err(
                    c.name.span(),
                    "category.name",
                    format!("category {name:?} is defined twice"),
                    "merge the two [[category]] tables or rename one",
                ));
            }
            let mut hs = Vec::new();
            for (list, kind, k) in [
                (&c.hs, HsKind::Strong, "hs"),
                (&c.hs_weak, HsKind::Weak, "hs_weak"),
                (&c.hs_exclude, HsKind::Exclude, "hs_exclude"),
            ] {
                for p in list {
                    hs.push((parse_prefix(&ctx, p, &key(k))?, kind));
                }
            }
            let mut n_positive = hs.iter().filter(|h| h.1 != HsKind::Exclude).count();
            for (lang, l) in &c.phrases {
                let lang_s = lang.get_ref().trim().to_lowercase();
                if lang_s.len() < 2
                    || lang_s.len() > 3
                    || !lang_s.chars().all(|ch| ch.is_ascii_lowercase())
                {
                    return Err(ctx.err(lang.span(), &key("phrases"), format!("{lang_s:?} is not a language code"), "use a two-letter ISO 639-1 code such as en, tr, vi, es: [category.phrases.en]"));
                }
                let insens = insensitive.contains(&lang_s);
                for (list, role, k) in [
                    (&l.strong, Role::Strong, "strong"),
                    (&l.weak, Role::Weak, "weak"),
                    (&l.exclude, Role::Exclude, "exclude"),
                ] {
                    for p in list {
                        let spec = parse_phrase(&ctx, p, &key(&format!("phrases.{lang_s}.{k}")))?;
                        if role != Role::Exclude {
                            n_positive += 1;
                        }
                        let meta = meta_for(&spec, role, ci, Some(lang_s.clone()), insens);
                        specs.push((spec, meta));
                    }
                }
            }
            for r in &c.rule {
                let strong = match r.strength.get_ref().as_str() {
                    "strong" => true,
                    "weak" => false,
                    other => {
                        return Err(ctx.err(
                            r.strength.span(),
                            &key("rule.strength"),
                            format!("{other:?} is not a strength"),
                            "write strength = \"strong\" or strength = \"weak\"",
                        ));
                    }
                };
                if r.phrases.is_empty() {
                    return Err(ctx.err(
                        r.strength.span(),
                        &key("rule.phrases"),
                        "the rule has no phrases",
                        "list the phrases the rule applies to: phrases = [\"...\"]",
                    ));
                }
                let lang = r.lang.as_ref().map(|l| l.to_lowercase());
                let insens = lang.as_ref().is_some_and(|l| insensitive.contains(l));
                let ri = rules.len();
                let mut rule = Rule {
                    strong,
                    requires: Vec::new(),
                    unless: Vec::new(),
                };
                for (list, out) in [
                    (&r.requires, &mut rule.requires),
                    (&r.unless, &mut rule.unless),
                ] {
                    for p in list {
                        let spec = parse_phrase(&ctx, p, &key("rule"))?;
                        let id_key = format!("{}|{}|{:?}", spec.folded, spec.stem, spec.exact);
                        let next = terms.len();
                        let id = *terms.entry(id_key).or_insert(next);
                        if id == next {
                            let meta = meta_for(&spec, Role::Context(id), ci, lang.clone(), true);
                            specs.push((spec, meta));
                        }
                        out.push(id);
                    }
                }
                for p in &r.phrases {
                    let spec = parse_phrase(&ctx, p, &key("rule.phrases"))?;
                    let meta = meta_for(&spec, Role::Rule(ri), ci, lang.clone(), insens);
                    specs.push((spec, meta));
                    n_positive += 1;
                }
                rules.push(rule);
            }
            if n_positive == 0 {
                return Err(ctx.err(c.name.span(), &key("hs"), format!("category {name:?} is empty: it has no HS prefixes and no phrases"), "add HS prefixes (hs = [\"8517\"]) or phrases ([category.phrases.en] strong = [...])"));
            }
            categories.push(Category {
                name,
                description: c.description.clone(),
                min_weak: c
                    .min_weak
                    .map(|m| m.max(1) as usize)
                    .unwrap_or(default_min_weak),
                hs,
            });
        }

        let mut index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut metas: Vec<Vec<PatMeta>> = Vec::new();
        for (spec, meta) in specs {
            let id = *index.entry(spec.stripped.clone()).or_insert_with(|| {
                patterns.push(spec.stripped.clone());
                metas.push(Vec::new());
                patterns.len() - 1
            });
            metas[id].push(meta);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| {
                ctx.err(
                    0..0,
                    "phrases",
                    format!("cannot build the phrase matcher: {e}"),
                    "shorten or reduce the phrase lists",
                )
            })?;
        Ok(Taxonomy {
            categories,
            automaton,
            metas,
            rules,
            n_terms: terms.len(),
            hs_ignore,
            negation_before: word_regex(
                &ctx,
                &doc.settings.hs_negation_before,
                "settings.hs_negation_before",
            )?,
            negation_after: word_regex(
                &ctx,
                &doc.settings.hs_negation_after,
                "settings.hs_negation_after",
            )?,
        })
    }

    /// Read and validate a taxonomy file.
    pub fn load(path: &Path) -> Result<Taxonomy, TaxonomyError> {
        let origin = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| TaxonomyError::Io {
            origin: origin.clone(),
            source,
        })?;
        Taxonomy::from_toml_str(&src, &origin)
    }

    /// The taxonomy shipped in `config/taxonomy.toml`.
    pub fn builtin() -> Taxonomy {
        Taxonomy::from_toml_str(BUILTIN, "config/taxonomy.toml")
            .expect("the shipped config/taxonomy.toml is valid")
    }

    /// The shipped taxonomy file's text (for `regwatch init`).
    pub fn builtin_source() -> &'static str {
        BUILTIN
    }

    /// Category names in file order.
    pub fn category_names(&self) -> Vec<String> {
        self.categories.iter().map(|c| c.name.clone()).collect()
    }

    fn hs_kind(&self, cat: &Category, d: &str) -> Option<HsKind> {
        let mut best: Option<(usize, HsKind)> = None;
        for (p, k) in &cat.hs {
            let hit = match k {
                // a chapter given as weak counts only when the text names the bare chapter
                HsKind::Weak if p.len() == 2 => d == p,
                _ => d.starts_with(p.as_str()),
            };
            if hit && best.is_none_or(|(l, _)| p.len() > l || p.len() == l && *k == HsKind::Exclude)
            {
                best = Some((p.len(), *k));
            }
        }
        best.map(|b| b.1).filter(|k| *k != HsKind::Exclude)
    }

    fn hs_ignored(&self, d: &str) -> bool {
        self.hs_ignore.iter().any(|p| d.starts_with(p.as_str()))
    }

    /// Categories an HS code belongs to (strong prefixes only): "8517.62" ->
    /// ["telecom"]. Codes of ignored chapters (98, 99) belong to none.
    pub fn categories_for_hs(&self, hs: &str) -> Vec<String> {
        let d = hs_digits(hs);
        if d.len() < 2 || self.hs_ignored(&d) {
            return Vec::new();
        }
        self.categories
            .iter()
            .filter(|c| self.hs_kind(c, &d) == Some(HsKind::Strong))
            .map(|c| c.name.clone())
            .collect()
    }

    /// Classify a notice. Relative dates ("30 days after its publication")
    /// count from `input.published`; without it, from today (UTC).
    pub fn classify(&self, input: &Input) -> Classification {
        self.classify_at(input, chrono::Utc::now().date_naive())
    }

    /// Classify a notice; `reference` stands in for its publication date when
    /// `input.published` is `None`, for dates such as "on the day of its
    /// publication" and for dates written without a year.
    pub fn classify_at(&self, input: &Input, reference: chrono::NaiveDate) -> Classification {
        let full: String;
        let text: &str = if input.title.trim().is_empty() {
            input.text
        } else if input.text.trim().is_empty() {
            input.title
        } else {
            full = format!("{}\n{}", input.title, input.text);
            &full
        };
        // offsets are kept in 32 bits: a text beyond 1 GiB is read up to there
        let text = if text.len() > MAX_TEXT {
            let mut cut = MAX_TEXT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            &text[..cut]
        } else {
            text
        };
        let lang = input.lang.map(|l| l.to_ascii_lowercase());
        let f = Folded::new(text, true);
        let nc = self.categories.len();

        // ---- phrases: one pass
        struct Hit<'m> {
            meta: &'m PatMeta,
            c0: usize,
            c1: usize,
        }
        let mut hits: Vec<Hit> = Vec::new();
        let mut present = vec![false; self.n_terms];
        for m in self.automaton.find_overlapping_iter(f.stripped.as_str()) {
            let c0 = f.char_at_stripped(m.start());
            let c1 = f.char_at_stripped(m.end());
            let before_word = f.stripped_char_before(c0).is_some_and(is_word);
            let after_word = f.stripped_char_at(c1).is_some_and(is_word);
            let mut folded_cache: Option<&str> = None;
            for meta in &self.metas[m.pattern().as_usize()] {
                if meta.left_word && before_word || meta.right_word && !meta.stem && after_word {
                    continue;
                }
                let folded = *folded_cache.get_or_insert_with(|| f.folded_span(c0, c1));
                if folded != meta.folded {
                    // matched only once accents are ignored: allowed when the
                    // text itself is written without accents ("thiet bi y te"),
                    // never between two accented words ("điện từ" != "điện tử")
                    let lang_ok = meta.lang.is_none() || lang.is_none() || lang == meta.lang;
                    let plain = folded.is_ascii();
                    if !meta.diacritic_insensitive || !lang_ok || !plain {
                        continue;
                    }
                }
                if let Some(exact) = &meta.exact {
                    let span = f.nfc_span(c0, c1);
                    let span: Vec<&str> = span
                        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '‐' | '–'))
                        .filter(|w| !w.is_empty())
                        .collect();
                    if !span.iter().copied().eq(exact.split(' ')) {
                        continue;
                    }
                }
                if let Role::Context(t) = meta.role {
                    present[t] = true;
                } else {
                    hits.push(Hit { meta, c0, c1 });
                }
            }
        }

        // ---- exclusions, rules, containment
        let excl: Vec<(usize, usize, usize)> = hits
            .iter()
            .filter(|h| h.meta.role == Role::Exclude)
            .map(|h| (h.meta.cat, h.c0, h.c1))
            .collect();
        let mut kept: Vec<(usize, bool, usize, usize, &PatMeta)> = Vec::new(); // (cat, strong, c0, c1)
        for h in &hits {
            let strong = match h.meta.role {
                Role::Strong => true,
                Role::Weak => false,
                Role::Rule(r) => {
                    let rule = &self.rules[r];
                    if !rule.requires.is_empty() && !rule.requires.iter().any(|t| present[*t]) {
                        continue;
                    }
                    if rule.unless.iter().any(|t| present[*t]) {
                        continue;
                    }
                    rule.strong
                }
                _ => continue,
            };
            if excl
                .iter()
                .any(|&(cat, a, b)| cat == h.meta.cat && h.c0 < b && a < h.c1)
            {
                continue;
            }
            kept.push((h.meta.cat, strong, h.c0, h.c1, h.meta));
        }
        let kept: Vec<_> = kept
            .iter()
            .enumerate()
            .filter(|(i, k)| {
                !kept.iter().enumerate().any(|(j, o)| {
                    j != *i
                        && o.0 == k.0
                        && o.2 <= k.2
                        && k.3 <= o.3
                        && (o.3 - o.2 > k.3 - k.2 || j < *i && o.2 == k.2 && o.3 == k.3)
                })
            })
            .map(|(_, k)| *k)
            .collect();

        // ---- HS codes
        let hs_hits = extract_hits(&f.nfc);
        let mut hs_codes: Vec<String> = Vec::new();
        let mut excluded_hs_codes: Vec<String> = Vec::new();
        let mut chapters: Vec<String> = Vec::new();
        for h in hs_hits.iter().filter(|h| h.excluded) {
            if !excluded_hs_codes.contains(&h.code) {
                excluded_hs_codes.push(h.code.clone());
            }
        }
        let mut hs_ev: Vec<(usize, bool, String)> = Vec::new();
        for h in hs_hits.iter().filter(|h| !h.excluded) {
            if excluded_hs_codes.contains(&h.code) {
                continue;
            }
            if !h.in_range && !hs_codes.contains(&h.code) {
                hs_codes.push(h.code.clone());
            }
            if h.chapter && !chapters.contains(&h.code) {
                chapters.push(h.code.clone());
            }
            let d = hs_digits(&h.code);
            if self.hs_ignored(&d) || self.negated(&f.nfc, h.start, h.end) {
                continue;
            }
            let shown = match &h.label {
                Some(l) if h.chapter => l.clone(),
                _ => h.code.clone(),
            };
            for (ci, c) in self.categories.iter().enumerate() {
                if let Some(k) = self.hs_kind(c, &d) {
                    hs_ev.push((ci, k == HsKind::Strong, shown.clone()));
                }
            }
        }

        // ---- decide
        let hints: Vec<usize> = input
            .hints
            .iter()
            .filter_map(|h| self.categories.iter().position(|c| c.name == h.trim()))
            .collect();
        let mut categories = Vec::new();
        let mut evidence = Vec::new();
        for ci in 0..nc {
            let strong =
                kept.iter().any(|k| k.0 == ci && k.1) || hs_ev.iter().any(|e| e.0 == ci && e.1);
            // variants of one word (monitor / monitors / monitör) count once: key on the first four letters
            let mut weak: Vec<String> = kept
                .iter()
                .filter(|k| k.0 == ci && !k.1)
                .map(|k| fold_strip(&k.4.folded, true).chars().take(4).collect())
                .collect();
            weak.sort_unstable();
            weak.dedup();
            // weak phrases never tag on their own, however many: they need an
            // HS code of this category (a weak one such as a bare chapter 90
            // counts) or a strong phrase of this category beside them
            let weak_hs = hs_ev.iter().any(|e| e.0 == ci && !e.1);
            let n_weak = weak.len() + usize::from(weak_hs);
            let hinted = hints.contains(&ci);
            if !(strong || hinted || weak_hs && n_weak >= self.categories[ci].min_weak) {
                continue;
            }
            let name = &self.categories[ci].name;
            categories.push(name.clone());
            let mut push = |via: &str, matched: String| {
                if !evidence.iter().any(|e: &Evidence| {
                    e.category == *name
                        && e.via == via
                        && e.matched.to_lowercase() == matched.to_lowercase()
                }) {
                    evidence.push(Evidence {
                        category: name.clone(),
                        via: via.to_string(),
                        matched,
                    });
                }
            };
            if hinted {
                push("source", name.clone());
            }
            for e in hs_ev.iter().filter(|e| e.0 == ci) {
                push("hs", e.2.clone());
            }
            let mut ph: Vec<_> = kept.iter().filter(|k| k.0 == ci).collect();
            ph.sort_by_key(|k| (!k.1, k.2));
            for k in ph {
                push("phrase", f.nfc_span(k.2, k.3).to_string());
            }
        }
        let dates = crate::dates::find_dates(text, input.published.or(Some(reference)));
        Classification {
            categories,
            hs_codes,
            evidence,
            effective_date: dates.effective.as_ref().map(|d| d.date),
            deadline: dates.deadline.as_ref().map(|d| d.date),
            date_evidence: dates.evidence(),
            excluded_hs_codes,
            chapters,
            wto_member: crate::wto::wto_member(text).map(str::to_string),
        }
    }

    /// An HS code in a negative context ("not classified in 85.28") gives no category.
    fn negated(&self, text: &str, start: usize, end: usize) -> bool {
        let head = &text[..start];
        let from = head
            .char_indices()
            .rev()
            .nth(45)
            .map(|(i, _)| i)
            .unwrap_or(0);
        let mut w = &head[from..];
        if let Some(p) = w.rfind([',', ';', '.', ':', '!', '?', '(', '\n']) {
            // dots inside codes are not clause ends
            if !w[p + 1..]
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit())
            {
                w = &w[p + 1..];
            }
        }
        if self
            .negation_before
            .as_ref()
            .is_some_and(|r| r.is_match(&fold_strip(w, true)))
        {
            return true;
        }
        let tail = &text[end..];
        let to = tail
            .char_indices()
            .nth(30)
            .map(|(i, _)| i)
            .unwrap_or(tail.len());
        let mut a = &tail[..to];
        if let Some(p) = a.find([',', ';', '!', '?', ')', '\n']) {
            a = &a[..p];
        }
        self.negation_after
            .as_ref()
            .is_some_and(|r| r.is_match(&fold_strip(a, true)))
    }
}

fn meta_for(
    spec: &PhraseSpec,
    role: Role,
    cat: usize,
    lang: Option<String>,
    insens: bool,
) -> PatMeta {
    PatMeta {
        role,
        cat,
        lang,
        folded: spec.folded.clone(),
        exact: spec.exact.clone(),
        stem: spec.stem,
        diacritic_insensitive: insens,
        left_word: spec.stripped.starts_with(is_word),
        right_word: spec.stripped.ends_with(is_word),
    }
}

/// The longest text classified (bytes); the rest of a longer one is ignored.
const MAX_TEXT: usize = 1 << 30;

const BUILTIN: &str = include_str!("../../../config/taxonomy.toml");
