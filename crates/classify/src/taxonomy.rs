//! The taxonomy file, its validation, and the classifier built from it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::clause::{parse_marker, ClauseRole, MarkerKind, Reading};
use crate::hs::{extract_hits, format_digits, hs_digits, range_pairs, HsHit};
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
    /// Clause-role markers per language: `[clauses.en]`.
    #[serde(default)]
    clauses: BTreeMap<Spanned<String>, ClausesDoc>,
    /// Words saying what kind of measure a notice is (for territory).
    measures: Option<MeasuresDoc>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ClausesDoc {
    #[serde(default)]
    exclusion: Vec<Spanned<String>>,
    #[serde(default)]
    citation: Vec<Spanned<String>>,
    #[serde(default)]
    background: Vec<Spanned<String>>,
    #[serde(default)]
    same_heading: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MeasuresDoc {
    #[serde(default)]
    tariff: Vec<Spanned<String>>,
    #[serde(default)]
    trade_defence: Vec<Spanned<String>>,
    #[serde(default)]
    goods_rule: Vec<Spanned<String>>,
    #[serde(default)]
    ukca: Vec<Spanned<String>>,
}

/// The measure kinds, in the order `Classification::measures` lists them.
const MEASURE_KINDS: &[&str] = &["tariff", "trade_defence", "goods_rule", "ukca"];

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
    /// A clause-role marker ("except …", "… hariç").
    Marker(MarkerKind),
    /// A word of a measure kind (index into `MEASURE_KINDS`).
    Measure(usize),
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
    phrase_spec(ctx, p.get_ref(), p.span(), key)
}

fn phrase_spec(
    ctx: &Ctx,
    raw: &str,
    span: std::ops::Range<usize>,
    key: &str,
) -> Result<PhraseSpec, TaxonomyError> {
    let raw = raw.trim();
    let (body, stem) = match raw.strip_suffix('*') {
        Some(b) => (b.trim_end(), true),
        None => (raw, false),
    };
    if body.is_empty() || body.contains('*') {
        return Err(ctx.err(
            span.clone(),
            key,
            format!("phrase {raw:?} is empty or has a `*` inside it"),
            "write a word or phrase; `*` is allowed only at the very end, to match any ending",
        ));
    }
    if !body.chars().any(char::is_alphanumeric) {
        return Err(ctx.err(
            span,
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
    crate::re::compile(&format!(r"(?:^|[^\w])(?:{})(?:[^\w]|$)", alts.join("|")))
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

        // clause markers and measure words: the file's own, else the shipped
        // file's (a taxonomy written before they existed reads by clause too)
        if doc.clauses.is_empty() || doc.measures.is_none() {
            let builtin: FileDoc = toml::from_str(BUILTIN)
                .map_err(|e| toml_error(BUILTIN, "config/taxonomy.toml (shipped)", e))?;
            let bctx = Ctx {
                src: BUILTIN,
                origin: "config/taxonomy.toml (shipped)",
            };
            if doc.clauses.is_empty() {
                marker_specs(&bctx, &builtin.clauses, &mut specs)?;
            }
            if doc.measures.is_none() {
                measure_specs(&bctx, builtin.measures.as_ref(), &mut specs)?;
            }
        }
        marker_specs(&ctx, &doc.clauses, &mut specs)?;
        measure_specs(&ctx, doc.measures.as_ref(), &mut specs)?;

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
        let (src, origin) = read_file(path)?;
        Taxonomy::from_toml_str(&src, &origin)
    }

    /// [`Taxonomy::load`], sharing the shipped taxonomy when the file is
    /// the shipped one (as `regwatch init` writes it).
    pub fn load_shared(path: &Path) -> Result<std::sync::Arc<Taxonomy>, TaxonomyError> {
        let (src, origin) = read_file(path)?;
        Taxonomy::from_toml_shared(&src, &origin)
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
    /// count from the publication date the text states, else from
    /// `input.published`; without either they give nothing.
    pub fn classify(&self, input: &Input) -> Classification {
        let full: String;
        let text: &str = if input.title.trim().is_empty() {
            input.text
        } else if input.text.trim().is_empty() {
            input.title
        } else {
            full = format!("{}\n{}", input.title, input.text);
            &full
        };
        let title_len = if input.title.trim().is_empty() {
            0
        } else {
            crate::norm::nfc(input.title).len().min(text.len())
        };
        let text = cut(text);
        let lang = input.lang.map(|l| l.to_ascii_lowercase());
        let f = Folded::new(text, true);
        let scan = self.scan(&f, lang.as_deref());
        let reading = Reading::new(&f, &scan.markers);
        let nc = self.categories.len();
        let role_at = |c: usize| reading.role_at(c);

        // ---- exclusions, rules, containment
        let hits = &scan.hits;
        let present = &scan.present;
        let excl: Vec<(usize, usize, usize)> = hits
            .iter()
            .filter(|h| h.meta.role == Role::Exclude)
            .map(|h| (h.meta.cat, h.c0, h.c1))
            .collect();
        let mut kept: Vec<(usize, bool, usize, usize, &PatMeta)> = Vec::new(); // (cat, strong, c0, c1)
        for h in hits {
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
        let hs = self.read_hs(&f, &reading);

        // ---- decide: only evidence from clauses that count
        let hints: Vec<usize> = input
            .hints
            .iter()
            .filter_map(|h| self.categories.iter().position(|c| c.name == h.trim()))
            .collect();
        let mut categories = Vec::new();
        let mut evidence = Vec::new();
        let mut shown: Vec<Evidence> = Vec::new();
        for ci in 0..nc {
            let counted = |c0: usize| role_at(c0).counts();
            let strong = kept.iter().any(|k| k.0 == ci && k.1 && counted(k.2))
                || hs.ev.iter().any(|e| e.0 == ci && e.1 && e.3.counts());
            // variants of one word (monitor / monitors / monitör) count once: key on the first four letters
            let mut weak: Vec<String> = kept
                .iter()
                .filter(|k| k.0 == ci && !k.1 && counted(k.2))
                .map(|k| fold_strip(&k.4.folded, true).chars().take(4).collect())
                .collect();
            weak.sort_unstable();
            weak.dedup();
            // weak phrases never tag on their own, however many: they need
            // an HS code of this category (a weak one such as a bare chapter
            // 90 counts) or a strong phrase of this category beside them
            let weak_hs = hs.ev.iter().any(|e| e.0 == ci && !e.1 && e.3.counts());
            let n_weak = weak.len() + usize::from(weak_hs);
            let hinted = hints.contains(&ci);
            let tagged = strong || hinted || weak_hs && n_weak >= self.categories[ci].min_weak;
            let name = &self.categories[ci].name;
            if tagged {
                categories.push(name.clone());
            }
            let mut list: Vec<Evidence> = Vec::new();
            let mut push = |via: &str, matched: String, role: ClauseRole| {
                let role = (!role.counts()).then_some(role);
                if !list.iter().any(|e: &Evidence| {
                    e.via == via
                        && e.role == role
                        && e.matched.to_lowercase() == matched.to_lowercase()
                }) {
                    list.push(Evidence {
                        category: name.clone(),
                        via: via.to_string(),
                        matched,
                        role,
                    });
                }
            };
            if hinted {
                push("source", name.clone(), ClauseRole::Scope);
            }
            for e in hs.ev.iter().filter(|e| e.0 == ci) {
                push("hs", e.2.clone(), e.3);
            }
            let mut ph: Vec<_> = kept.iter().filter(|k| k.0 == ci).collect();
            ph.sort_by_key(|k| (!k.1, k.2));
            for k in ph {
                push("phrase", f.nfc_span(k.2, k.3).to_string(), role_at(k.2));
            }
            // what counts first; what does not is shown after, tagging nothing
            for e in list {
                if !tagged && e.role.is_none() {
                    continue;
                }
                if e.role.is_none() {
                    evidence.push(e);
                } else {
                    shown.push(e);
                }
            }
        }
        evidence.extend(shown);

        let (origins, exempt_origins) = crate::origin::read(&f, &reading);
        let mut measures: Vec<String> = Vec::new();
        for (k, c0) in &scan.measures {
            let name = MEASURE_KINDS[*k].to_string();
            if role_at(*c0).counts() && !measures.contains(&name) {
                measures.push(name);
            }
        }
        measures.sort_by_key(|m| MEASURE_KINDS.iter().position(|k| k == m));
        let dates = crate::dates::read(&f, &reading, input.published, title_len);
        Classification {
            categories,
            hs_codes: hs.codes,
            evidence,
            effective_date: dates.effective,
            deadline: dates.deadline,
            dates: dates.facts,
            excluded_hs_codes: hs.excluded,
            hs_ranges: hs.ranges,
            chapters: hs.chapters,
            wto_member: crate::wto::wto_member(text).map(str::to_string),
            origins,
            exempt_origins,
            measures,
        }
    }

    /// Classify a notice published on `reference` when `input.published`
    /// is `None` (the input's own date wins).
    pub fn classify_at(&self, input: &Input, reference: chrono::NaiveDate) -> Classification {
        self.classify(&Input {
            published: input.published.or(Some(reference)),
            ..*input
        })
    }

    /// The HS codes of a text and the codes it excludes, read by clause.
    pub(crate) fn hs_codes_of(&self, text: &str) -> (Vec<String>, Vec<String>) {
        let f = Folded::new(cut(text), true);
        let scan = self.scan(&f, None);
        let reading = Reading::new(&f, &scan.markers);
        let hs = self.read_hs(&f, &reading);
        (hs.codes, hs.excluded)
    }

    /// The one pass of the automaton: phrases, context terms, clause markers
    /// and measure words.
    fn scan<'s>(&'s self, f: &Folded, lang: Option<&str>) -> Scan<'s> {
        let mut out = Scan {
            hits: Vec::new(),
            present: vec![false; self.n_terms],
            markers: Vec::new(),
            measures: Vec::new(),
        };
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
                    let lang_ok =
                        meta.lang.is_none() || lang.is_none() || lang == meta.lang.as_deref();
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
                match meta.role {
                    Role::Context(t) => out.present[t] = true,
                    Role::Marker(kind) => {
                        let mut end = c1;
                        if meta.stem {
                            while f.stripped_char_at(end).is_some_and(is_word) {
                                end += 1;
                            }
                        }
                        out.markers.push((c0, end, kind));
                    }
                    Role::Measure(k) => out.measures.push((k, c0)),
                    _ => out.hits.push(Hit { meta, c0, c1 }),
                }
            }
        }
        out
    }

    /// The HS codes of a read text: which are named, which excluded (named
    /// only in an exclusion, or the heading an exclusion refers back to),
    /// the chapters, the ranges, and the category evidence of each code with
    /// its clause's role.
    fn read_hs(&self, f: &Folded, reading: &Reading) -> HsRead {
        let mut hits = extract_hits(&f.nfc);
        let role_of = |h: &HsHit| reading.role_at(f.char_of_nfc_byte(h.start));
        let roles: Vec<ClauseRole> = hits.iter().map(role_of).collect();
        // named outside an exclusion: a code the text applies (or cites)
        let named: std::collections::HashSet<String> = hits
            .iter()
            .zip(&roles)
            .filter(|(h, r)| !h.in_range && **r != ClauseRole::Exclusion)
            .map(|(h, _)| h.code.clone())
            .collect();
        for (h, r) in hits.iter_mut().zip(&roles) {
            h.excluded = *r == ClauseRole::Exclusion && !named.contains(&h.code);
        }
        let only_excluded: Vec<String> = hits
            .iter()
            .filter(|h| h.excluded)
            .map(|h| h.code.clone())
            .fold(Vec::new(), |mut v, c| {
                if !v.contains(&c) {
                    v.push(c);
                }
                v
            });
        let mut excluded = only_excluded.clone();
        // "other codes of this heading are not affected": the heading of the
        // code named before the exclusion
        for &(a, b) in &reading.same_heading {
            let inside = hits.iter().any(|h| {
                let c = f.char_of_nfc_byte(h.start);
                a <= c && c < b
            });
            if inside {
                continue;
            }
            let before = hits.iter().rev().find(|h| {
                !h.excluded && !h.chapter && f.char_of_nfc_byte(h.start) < a && h.code.len() >= 4
            });
            if let Some(h) = before {
                let heading = format_digits(&hs_digits(&h.code)[..4]);
                if !excluded.contains(&heading) {
                    excluded.push(heading);
                }
            }
        }
        let mut codes: Vec<String> = Vec::new();
        let mut chapters: Vec<String> = Vec::new();
        let mut ev: Vec<(usize, bool, String, ClauseRole)> = Vec::new();
        let many_chapters = {
            let mut c: Vec<&str> = hits
                .iter()
                .filter(|h| h.chapter && !h.excluded)
                .map(|h| h.code.as_str())
                .collect();
            c.sort_unstable();
            c.dedup();
            c.len()
        };
        for (h, role) in hits.iter().zip(&roles) {
            if h.excluded || only_excluded.contains(&h.code) {
                continue;
            }
            if !h.in_range && !codes.contains(&h.code) {
                codes.push(h.code.clone());
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
                    // a chapter named alone among many ("report the regular
                    // Chapters 03, 05, ... 84, 85, 86 ... classifications")
                    // is a catalogue of the tariff, not the goods of the
                    // rule: weak evidence, never enough on its own
                    let strong =
                        k == HsKind::Strong && (d.len() > 2 || many_chapters <= CHAPTER_LIST);
                    ev.push((ci, strong, shown.clone(), *role));
                }
            }
        }
        let mut ranges: Vec<(String, String)> = Vec::new();
        for (i, j) in range_pairs(&f.nfc, &hits) {
            if hits[i].excluded || hits[j].excluded {
                continue;
            }
            let r = (hits[i].code.clone(), hits[j].code.clone());
            if !ranges.contains(&r) {
                ranges.push(r);
            }
        }
        // chapter ranges ("chapters 84 to 87", "84 ila 85. fasıllar")
        for h in hits.iter().filter(|h| h.chapter && !h.excluded) {
            if let Some(from) = &h.range_from {
                let r = (from.clone(), h.code.clone());
                if !ranges.contains(&r) && !only_excluded.contains(from) {
                    ranges.push(r);
                }
            }
        }
        HsRead {
            codes,
            excluded,
            chapters,
            ranges,
            ev,
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

/// The clause-role markers of `[clauses.<lang>]` as automaton patterns.
fn marker_specs(
    ctx: &Ctx,
    clauses: &BTreeMap<Spanned<String>, ClausesDoc>,
    specs: &mut Vec<(PhraseSpec, PatMeta)>,
) -> Result<(), TaxonomyError> {
    for (lang, doc) in clauses {
        let lang_s = lang.get_ref().trim().to_lowercase();
        if lang_s.len() < 2 || lang_s.len() > 3 || !lang_s.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(ctx.err(
                lang.span(),
                "clauses",
                format!("{lang_s:?} is not a language code"),
                "use a two-letter ISO 639-1 code such as en, tr, vi, es: [clauses.en]",
            ));
        }
        for (list, role, k) in [
            (&doc.exclusion, Some(ClauseRole::Exclusion), "exclusion"),
            (&doc.citation, Some(ClauseRole::Citation), "citation"),
            (&doc.background, Some(ClauseRole::Background), "background"),
            (&doc.same_heading, None, "same_heading"),
        ] {
            let key = format!("clauses.{lang_s}.{k}");
            for p in list {
                let m = parse_marker(p.get_ref()).map_err(|msg| {
                    ctx.err(
                        p.span(),
                        &key,
                        msg,
                        "write the marker's words with `…` on the side its role reaches: \"except …\", \"… hariç\", or \"… has already …\" for the whole clause; \"!khấu trừ\" cancels a marker inside it",
                    )
                })?;
                let kind = match role {
                    None => MarkerKind::SameHeading,
                    Some(_) if m.cancel => MarkerKind::Cancel,
                    Some(r) => MarkerKind::Role(r, m.kind_reach),
                };
                let spec = phrase_spec(ctx, &m.body, p.span(), &key)?;
                let meta = meta_for(&spec, Role::Marker(kind), usize::MAX, None, true);
                specs.push((spec, meta));
            }
        }
    }
    Ok(())
}

/// The words of `[measures]` as automaton patterns.
fn measure_specs(
    ctx: &Ctx,
    measures: Option<&MeasuresDoc>,
    specs: &mut Vec<(PhraseSpec, PatMeta)>,
) -> Result<(), TaxonomyError> {
    let Some(m) = measures else { return Ok(()) };
    for (k, list) in [&m.tariff, &m.trade_defence, &m.goods_rule, &m.ukca]
        .into_iter()
        .enumerate()
    {
        let key = format!("measures.{}", MEASURE_KINDS[k]);
        for p in list {
            let spec = parse_phrase(ctx, p, &key)?;
            let meta = meta_for(&spec, Role::Measure(k), usize::MAX, None, true);
            specs.push((spec, meta));
        }
    }
    Ok(())
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

/// A text cut to `MAX_TEXT` bytes (offsets are kept in 32 bits).
fn cut(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut c = MAX_TEXT;
    while !text.is_char_boundary(c) {
        c -= 1;
    }
    &text[..c]
}

struct Hit<'m> {
    meta: &'m PatMeta,
    c0: usize,
    c1: usize,
}

/// What one pass of the automaton found.
struct Scan<'m> {
    hits: Vec<Hit<'m>>,
    present: Vec<bool>,
    markers: Vec<(usize, usize, MarkerKind)>,
    /// (measure kind, first char)
    measures: Vec<(usize, usize)>,
}

/// The HS codes of a text, read by clause.
struct HsRead {
    codes: Vec<String>,
    excluded: Vec<String>,
    chapters: Vec<String>,
    ranges: Vec<(String, String)>,
    /// (category, strong, shown as, role of the clause)
    ev: Vec<(usize, bool, String, ClauseRole)>,
}

/// More chapters named alone than this make a list of the tariff's
/// chapters, whose members are no evidence of a category on their own.
const CHAPTER_LIST: usize = 4;

const BUILTIN: &str = include_str!("../../../config/taxonomy.toml");

fn read_file(path: &Path) -> Result<(String, String), TaxonomyError> {
    let origin = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|source| TaxonomyError::Io {
        origin: origin.clone(),
        source,
    })?;
    Ok((src, origin))
}

/// The shipped taxonomy, built once, for the helpers that read without a
/// taxonomy of their own (`extract_hs_codes`, `origins`, `effective_date`).
pub(crate) fn builtin_ref() -> &'static Taxonomy {
    shared_builtin()
}

fn shared_builtin() -> &'static std::sync::Arc<Taxonomy> {
    static T: std::sync::OnceLock<std::sync::Arc<Taxonomy>> = std::sync::OnceLock::new();
    T.get_or_init(|| std::sync::Arc::new(Taxonomy::builtin()))
}

impl Taxonomy {
    /// The shipped taxonomy, built once per process and shared with the
    /// helpers above: a tagger on the shipped file does not build a second
    /// one (about 1 MB of patterns, and their compilation).
    pub fn shared() -> std::sync::Arc<Taxonomy> {
        shared_builtin().clone()
    }

    /// The taxonomy in `src` (read from `origin`): the shared shipped one
    /// when `src` is the shipped file's text, else its own.
    pub fn from_toml_shared(
        src: &str,
        origin: &str,
    ) -> Result<std::sync::Arc<Taxonomy>, TaxonomyError> {
        if src == BUILTIN {
            Ok(Taxonomy::shared())
        } else {
            Taxonomy::from_toml_str(src, origin).map(std::sync::Arc::new)
        }
    }
}
