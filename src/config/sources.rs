//! `sources/*.toml`: every `[[source]]`, validated with its schedule
//! resolved and its extraction rules compiled once. Errors name the file,
//! the line (from the parser's spans) and the key, in the user's terms.

use super::file::{ConfigError, TomlText};
use super::sections::{Config, ScheduleConfig};
use crate::model::{ChangeKind, Country, SourceId, SourceKind};
use crate::rules::CompiledRules;
use crate::schedule::Schedule;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

pub use crate::rules::ExtractRules;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    pub id: SourceId,
    pub name: String,
    pub jurisdiction: Country,
    #[serde(default = "default_language")]
    pub language: String,
    pub kind: SourceKind,
    pub url: url::Url,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Shared by the sources of one file that write the same rules (a
    /// large config repeats a handful).
    #[serde(default)]
    pub extract: Arc<ExtractRules>,
    /// An empty result is a valid answer (a filtered query on a quiet day).
    /// Otherwise zero items after a non-empty snapshot is a failed poll.
    #[serde(default)]
    pub may_be_empty: bool,
    /// `render = "browser"` (pages only): load the page in headless Chromium
    /// and extract the DOM it builds, for pages whose list is made by JavaScript.
    #[serde(default)]
    pub render: Option<Render>,
    /// With `render`: wait until this CSS selector matches (default: the
    /// load event, then network quiet).
    #[serde(default)]
    pub wait_for: Option<String>,
    /// Free-form note for people (what the source covers, known quirks).
    #[serde(default)]
    pub notes: Option<String>,
    /// What a redirect means: `follow` it (the default), or `empty`: a
    /// redirect to another page means "nothing today" (a gazette's
    /// extra-issue address on a day without one).
    #[serde(default)]
    pub redirect: Option<RedirectRule>,
    /// This source's additions to the canonical comparison rules (tracking
    /// parameters of its own, numbers compared by value, ...).
    /// (Boxed: most sources have none, and a source is kept per source.)
    #[serde(default)]
    pub canonical: Option<Box<crate::canon::CanonRules>>,
}

/// `redirect = "follow" | "empty"`.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RedirectRule {
    Follow,
    Empty,
}

/// How a page is turned into a document before extraction.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Render {
    /// Headless Chromium, driven over the DevTools protocol.
    Browser,
}

fn default_language() -> String {
    "en".into()
}
fn yes() -> bool {
    true
}

/// A validated source with its schedule resolved.
#[derive(Debug, Clone)]
pub struct Source {
    pub def: SourceDef,
    pub schedule: Schedule,
    /// The file it is written in (one copy per file).
    pub file: Arc<Path>,
    /// `def.extract`, compiled once at load.
    pub rules: Arc<CompiledRules>,
    /// How this source's items and text are compared (the built-in rules,
    /// numbers by value for JSON, plus `def.canonical`), compiled once.
    pub canon: Arc<crate::canon::Canon>,
}

impl Source {
    /// Whether a redirect to another page means "nothing today".
    pub fn redirect_means_empty(&self) -> bool {
        self.def.redirect == Some(RedirectRule::Empty)
    }
    pub fn id(&self) -> &str {
        self.def.id.as_str()
    }
    pub fn reports(&self, kind: ChangeKind) -> bool {
        self.rules.reports(kind)
    }
}

impl Config {
    /// Load the sources directory.
    pub fn load_sources(&self) -> Result<Vec<Source>, ConfigError> {
        load_sources_dir(&self.sources.dir, &self.schedule)
    }
}

/// Load every `*.toml` in `dir` (sorted), validate each source, and reject
/// duplicate ids across files.
pub fn load_sources_dir(dir: &Path, sched: &ScheduleConfig) -> Result<Vec<Source>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        ConfigError::invalid(
            dir,
            None,
            format!(
                "the sources directory ([sources] dir) cannot be read: {e}; create it \
                 (`regwatch init` writes one with example sources) or set [sources] dir \
                 in the config to where the sources/*.toml files are"
            ),
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "toml").unwrap_or(false))
        .collect();
    files.sort();
    let mut out: Vec<Source> = vec![];
    // Each id, with the file (its index in `files`) that defines it.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (f, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError::read(file, e))?;
        let sources = parse_sources(file, &text, sched)?;
        for (i, s) in sources.iter().enumerate() {
            if let Some(prev) = seen.get(s.id()) {
                let line = TomlText::new(file, &text).line_of(&["source", &i.to_string(), "id"]);
                return Err(ConfigError::invalid(
                    file,
                    line,
                    format!(
                        "source id `{}` is already defined in {}: ids must be unique",
                        s.id(),
                        files[*prev].display()
                    ),
                ));
            }
            seen.insert(s.id().to_string(), f);
        }
        // One file's list is taken as it is (not copied into another: a
        // second list of 100,000 sources was a third of the daemon's peak).
        if out.is_empty() {
            out = sources;
        } else {
            out.extend(sources);
        }
    }
    out.shrink_to_fit();
    Ok(out)
}

/// Parse and validate one sources file.
pub fn parse_sources(
    file: &Path,
    text: &str,
    sched: &ScheduleConfig,
) -> Result<Vec<Source>, ConfigError> {
    if let Some(sources) = by_source(file, text, sched)? {
        return Ok(sources);
    }
    let mut reader = Reader::new(sched);
    let whole = TomlText::new(file, text);
    reader.read(&whole, whole.parse()?)?;
    Ok(reader.finish())
}

/// A large sources file read one `[[source]]` at a time, each piece parsed
/// and read before the next: the TOML parser holds a token list many times
/// the size of what it parses, which made loading 10,000 sources peak at
/// tens of megabytes (and holding every piece's parse at once, 100,000
/// sources at hundreds). `None` (parse the whole file instead, for its
/// exact error messages) when the file is small or anything is unusual: a
/// line `[[source]]` inside a multi-line string, another table, a piece
/// that does not parse. A source that does not validate is the error,
/// once every piece is known to parse.
fn by_source(
    file: &Path,
    text: &str,
    sched: &ScheduleConfig,
) -> Result<Option<Vec<Source>>, ConfigError> {
    const WHOLE_BELOW: usize = 64 * 1024;
    if text.len() < WHOLE_BELOW {
        return Ok(None);
    }
    // (start, end, first line) of each piece.
    let mut cuts = vec![];
    let (mut start, mut at, mut line, mut start_line) = (0, 0, 1, 1);
    for l in text.split_inclusive('\n') {
        if l.trim() == "[[source]]" && at > 0 {
            cuts.push((start, at, start_line));
            (start, start_line) = (at, line);
        }
        at += l.len();
        line += 1;
    }
    cuts.push((start, text.len(), start_line));
    let mut reader = Reader::new(sched);
    // A piece a source: the list is made at its size, not doubled to it.
    reader.sources.reserve_exact(cuts.len());
    let mut invalid = None;
    for (a, b, first_line) in cuts {
        let piece = TomlText::piece(file, &text[a..b], first_line);
        let Ok(doc) = DeTable::parse(piece.text) else {
            return Ok(None);
        };
        let only_sources = doc
            .get_ref()
            .iter()
            .all(|(k, v)| k.get_ref() == "source" && matches!(v.get_ref(), DeValue::Array(_)));
        if !only_sources {
            return Ok(None);
        }
        if invalid.is_none() {
            invalid = reader.read(&piece, doc).err();
        }
    }
    match invalid {
        Some(e) => Err(e),
        None => Ok(Some(reader.finish())),
    }
}

/// Reads the sources of one file. Sources with the same schedule, or the
/// same extraction rules, share one parsed copy: most of a large config
/// repeats a handful of each.
struct Reader<'s> {
    sched: &'s ScheduleConfig,
    ids: HashSet<SourceId>,
    schedules: HashMap<(String, String), Schedule>,
    compiled: HashMap<String, (Arc<ExtractRules>, Arc<CompiledRules>)>,
    canons: HashMap<String, Arc<crate::canon::Canon>>,
    files: Vec<Arc<Path>>,
    sources: Vec<Source>,
}

/// Where a source is written: its text, its index there and its line.
struct At<'a> {
    text: TomlText<'a>,
    index: usize,
    line: usize,
}

impl At<'_> {
    /// An error about the source's `key` (or `extract.key`), at its line.
    fn invalid(&self, def: &SourceDef, key: &str, message: impl Into<String>) -> ConfigError {
        let i = self.index.to_string();
        let line = (self.text.line_of(&["source", &i, key]))
            .or_else(|| self.text.line_of(&["source", &i, "extract", key]))
            .unwrap_or(self.line);
        ConfigError::invalid(
            self.text.path,
            Some(line),
            format!("source `{}`: {}", def.id, message.into()),
        )
    }
}

impl<'s> Reader<'s> {
    /// The sources read, in a list no larger than they are.
    fn finish(mut self) -> Vec<Source> {
        self.sources.shrink_to_fit();
        self.sources
    }

    fn new(sched: &'s ScheduleConfig) -> Reader<'s> {
        Reader {
            sched,
            ids: HashSet::new(),
            schedules: HashMap::new(),
            compiled: HashMap::new(),
            canons: HashMap::new(),
            files: vec![],
            sources: vec![],
        }
    }

    /// The `[[source]]` tables of one parsed text, each deserialized on its
    /// own so that an error names its line.
    fn read(
        &mut self,
        text: &TomlText<'_>,
        mut doc: Spanned<DeTable<'_>>,
    ) -> Result<(), ConfigError> {
        let table = doc.get_mut();
        let items = match table.remove_entry("source") {
            None => vec![],
            Some((_, v)) if matches!(v.get_ref(), DeValue::Array(_)) => match v.into_inner() {
                DeValue::Array(a) => a.into_iter().collect(),
                _ => vec![],
            },
            Some((k, _)) => {
                return Err(text.invalid(
                    Some(k.span()),
                    "`source` must be an array of tables: write `[[source]]`",
                ))
            }
        };
        if let Some((k, _)) = table.iter().next() {
            return Err(text.invalid(
                Some(k.span()),
                format!(
                    "unknown key `{}`: a sources file holds only `[[source]]` tables",
                    k.get_ref()
                ),
            ));
        }
        self.sources.reserve(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let id_span = match item.get_ref() {
                DeValue::Table(t) => t.get_key_value("id").map(|(k, _)| k.span()),
                _ => None,
            };
            let line = text.line(&id_span.unwrap_or(item.span()));
            let def = SourceDef::deserialize(ValueDeserializer::from(item))
                .map_err(|e| text.de_error(&e))?;
            let at = At {
                text: *text,
                index,
                line,
            };
            self.add(def, &at)?;
        }
        Ok(())
    }

    fn add(&mut self, mut def: SourceDef, at: &At<'_>) -> Result<(), ConfigError> {
        if !self.ids.insert(def.id.clone()) {
            return Err(at.invalid(
                &def,
                "id",
                "this id is defined twice in this file: ids must be unique",
            ));
        }
        if !matches!(def.url.scheme(), "http" | "https") {
            let url = crate::util::redact(&def.url);
            return Err(at.invalid(
                &def,
                "url",
                format!("url `{url}` must be http:// or https://"),
            ));
        }
        let schedule = self
            .schedule(&def)
            .map_err(|(k, m)| at.invalid(&def, k, m))?;
        validate_def(&def).map_err(|(k, m)| at.invalid(&def, k, m))?;
        let rules = self
            .rules(&mut def)
            .map_err(|e| at.invalid(&def, e.key, e.message))?;
        let canon = self
            .canon(&def)
            .map_err(|m| at.invalid(&def, "canonical", m))?;
        let file = self.file(at.text.path);
        self.sources.push(Source {
            def,
            schedule,
            file,
            rules,
            canon,
        });
        Ok(())
    }

    /// The path of the file being read, shared by its sources.
    fn file(&mut self, path: &Path) -> Arc<Path> {
        if let Some(f) = self.files.iter().find(|f| ***f == *path) {
            return f.clone();
        }
        let f: Arc<Path> = Arc::from(path);
        self.files.push(f.clone());
        f
    }

    /// The source's schedule (the `[schedule]` default when it has none).
    fn schedule(&mut self, def: &SourceDef) -> Result<Schedule, (&'static str, String)> {
        let expr = def.schedule.as_ref().unwrap_or(&self.sched.default);
        let tz = def.timezone.as_ref().unwrap_or(&self.sched.timezone);
        let key = (expr.clone(), tz.clone());
        if let Some(s) = self.schedules.get(&key) {
            return Ok(s.clone());
        }
        let s = Schedule::parse(expr, tz).map_err(|e| {
            let key = if e.contains("IANA") {
                "timezone"
            } else {
                "schedule"
            };
            (key, e)
        })?;
        self.schedules.insert(key, s.clone());
        Ok(s)
    }

    /// The source's comparison rules, compiled (shared by sources with the
    /// same additions). JSON sources compare numbers by value unless they
    /// say otherwise.
    fn canon(&mut self, def: &SourceDef) -> Result<Arc<crate::canon::Canon>, String> {
        let mut extra = def.canonical.as_deref().cloned().unwrap_or_default();
        if def.kind == SourceKind::Json && extra.text.numbers.is_none() {
            extra.text.numbers = Some(true);
        }
        let key = format!("{extra:?}");
        if let Some(c) = self.canons.get(&key) {
            return Ok(c.clone());
        }
        let c = crate::canon::Canon::with(Some(&extra))?;
        self.canons.insert(key, c.clone());
        Ok(c)
    }

    /// The source's extraction rules, compiled; the source takes the copy
    /// of its rules that sources with the same rules share.
    fn rules(
        &mut self,
        def: &mut SourceDef,
    ) -> Result<Arc<CompiledRules>, crate::rules::RuleError> {
        let key = format!("{:?} {:?}", def.kind, def.extract);
        if let Some((extract, r)) = self.compiled.get(&key) {
            def.extract = extract.clone();
            return Ok(r.clone());
        }
        let r = Arc::new(CompiledRules::compile(def.kind, &def.extract)?);
        self.compiled.insert(key, (def.extract.clone(), r.clone()));
        Ok(r)
    }
}

fn validate_def(def: &SourceDef) -> Result<(), (&'static str, String)> {
    if def.language.is_empty() {
        return Err((
            "language",
            "`language` must be a BCP 47 tag such as tr, vi, es or en".into(),
        ));
    }
    if def.name.trim().is_empty() {
        return Err((
            "name",
            "`name` must say what the source is, for people".into(),
        ));
    }
    if def.render.is_some() && def.kind != SourceKind::Page {
        return Err((
            "render",
            format!(
                "`render = \"browser\"` applies to kind = \"page\" only, not \"{}\"",
                def.kind.as_str()
            ),
        ));
    }
    if let Some(w) = &def.wait_for {
        if def.render.is_none() {
            return Err((
                "wait_for",
                "`wait_for` needs `render = \"browser\"` (a fetched page is complete when it arrives)".into(),
            ));
        }
        crate::rules::Css::parse("wait_for", w).map_err(|e| (e.key, e.message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sources that repeat a schedule or extraction rules share one parsed copy.
    #[test]
    fn repeated_schedules_and_rules_are_shared() {
        let mut text = String::new();
        for i in 0..3 {
            text.push_str(&format!("[[source]]\nid = \"s{i}\"\nname = \"S\"\njurisdiction = \"TR\"\nkind = \"feed\"\nurl = \"https://a.example/{i}\"\nschedule = \"0 * * * *\"\n\n"));
        }
        let s = parse_sources(Path::new("s.toml"), &text, &sched()).unwrap();
        assert!(std::sync::Arc::ptr_eq(&s[0].rules, &s[2].rules));
        assert!(std::sync::Arc::ptr_eq(&s[0].def.extract, &s[2].def.extract));
        assert!(s[0].schedule.shares_parse_with(&s[2].schedule));
        // Parsed apart, the same line is equal but not shared.
        let apart = crate::schedule::Schedule::parse("0 * * * *", "UTC").unwrap();
        assert_eq!(apart, s[0].schedule);
        assert!(!apart.shares_parse_with(&s[0].schedule));
    }

    fn large(n: usize) -> String {
        let mut text = String::from("# sources\n");
        for i in 0..n {
            text.push_str(&format!("[[source]]\nid = \"s{i}\"\nname = \"S\"\njurisdiction = \"TR\"\nkind = \"page\"\nurl = \"https://a.example/{i}\"\n[source.extract]\nitem = \"li\"\n\n"));
        }
        assert!(text.len() > 64 * 1024);
        text
    }

    /// A large file is parsed a source at a time, with the same result as
    /// whole; anything unusual goes the whole-file way.
    #[test]
    fn large_files_parse_by_source_like_whole() {
        let text = large(800);
        let file = Path::new("s.toml");
        let s = sched();
        let pieces = by_source(file, &text, &s).unwrap();
        assert_eq!(pieces.map(|p| p.len()), Some(800));
        let by_piece = parse_sources(file, &text, &sched()).unwrap();
        let whole = TomlText::new(file, &text);
        let mut reader = Reader::new(&s);
        reader.read(&whole, whole.parse().unwrap()).unwrap();
        let defs = |v: &[Source]| v.iter().map(|s| s.def.clone()).collect::<Vec<_>>();
        assert_eq!(defs(&by_piece), defs(&reader.sources));
        let odd = format!("{text}note = \"\"\"\n[[source]]\n\"\"\"\n");
        assert!(by_source(file, &odd, &s).unwrap().is_none());
        let other = format!("{text}[fetch]\ntimeout = \"1s\"\n");
        assert!(by_source(file, &other, &s).unwrap().is_none());
    }

    /// Lines come from the parser's spans, in a file read a piece at a time too.
    #[test]
    fn an_error_deep_in_a_large_file_names_its_line() {
        let line_of = |text: &str, l: &str| text.lines().position(|x| x == l).unwrap() + 1;
        let text = large(800).replace("https://a.example/700\"", "ftp://a.example/700\"");
        let e = parse_sources(Path::new("s.toml"), &text, &sched())
            .unwrap_err()
            .to_string();
        let want = line_of(&text, "url = \"ftp://a.example/700\"");
        assert!(
            e.starts_with(&format!("s.toml:{want}: source `s700`:")),
            "{e}"
        );
        let text = large(800).replace("id = \"s750\"", "id = \"s3\"");
        let e = parse_sources(Path::new("s.toml"), &text, &sched())
            .unwrap_err()
            .to_string();
        let want = line_of(&text, "url = \"https://a.example/750\"") - 4;
        assert!(
            e.starts_with(&format!("s.toml:{want}: source `s3`:")) && e.contains("twice"),
            "{e}"
        );
        let text = large(800).replace(
            "kind = \"page\"\nurl = \"https://a.example/600\"",
            "kind = \"page\"\nurll = \"https://a.example/600\"",
        );
        let e = parse_sources(Path::new("s.toml"), &text, &sched())
            .unwrap_err()
            .to_string();
        let want = line_of(&text, "urll = \"https://a.example/600\"");
        assert!(
            e.starts_with(&format!("s.toml:{want}:")) && e.contains("urll"),
            "{e}"
        );
    }

    fn sched() -> ScheduleConfig {
        ScheduleConfig::default()
    }

    const GOOD: &str = r##"
[[source]]
id = "tr-resmi-gazete"
name = "Resmî Gazete"
jurisdiction = "TR"
language = "tr"
kind = "page"
url = "https://www.resmigazete.gov.tr/"
schedule = "15 0 * * *"
timezone = "Europe/Istanbul"
[source.extract]
content = "#html-content"
exclude = [".date-now", "nav"]
item = "li"
ignore = ['Güncelleme: .*']
fail_if = ["Request Rejected"]
"##;

    #[test]
    fn parses_design_example() {
        let s = parse_sources(Path::new("sources/tr.toml"), GOOD, &sched()).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].id(), "tr-resmi-gazete");
        assert_eq!(s[0].def.extract.fail_if, vec!["Request Rejected"]);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let bad = GOOD.replace("schedule = ", "scheduel = ");
        let e = parse_sources(Path::new("sources/tr.toml"), &bad, &sched())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sources/tr.toml:9:"), "{e}");
        assert!(e.contains("scheduel"), "{e}");
    }

    #[test]
    fn bad_cron_selector_regex_url_are_errors_with_lines() {
        let cases = [
            (GOOD.replace("15 0 * * *", "15 0 * *"), ":9:", "fields"),
            (
                GOOD.replace("\"#html-content\"", "\"#html[\""),
                ":12:",
                "content",
            ),
            (
                GOOD.replace("'Güncelleme: .*'", "'(unclosed'"),
                ":15:",
                "regex",
            ),
            (
                GOOD.replace("https://www.resmigazete.gov.tr/", "ftp://x/"),
                ":8:",
                "http",
            ),
            (
                GOOD.replace("Europe/Istanbul", "Europe/Ankara"),
                ":10:",
                "IANA",
            ),
        ];
        for (text, line, word) in cases {
            let e = parse_sources(Path::new("s.toml"), &text, &sched())
                .unwrap_err()
                .to_string();
            assert!(e.contains(line), "{e}");
            assert!(e.contains(word), "{e}");
        }
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let two = format!("{GOOD}\n{}", GOOD.replace("Resmî Gazete", "Other"));
        let e = parse_sources(Path::new("s.toml"), &two, &sched())
            .unwrap_err()
            .to_string();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn source_errors_name_the_line_in_the_users_terms() {
        let bad_cron = GOOD.replace("schedule = \"15 0 * * *\"", "schedule = \"0 25 * * *\"");
        let e = parse_sources(Path::new("sources/tr.toml"), &bad_cron, &sched())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sources/tr.toml:9:"), "{e}");
        assert!(
            e.contains("`0 25 * * *`: hour `25` is out of range: hours are 0-23"),
            "{e}"
        );
        let bad_sel = GOOD.replace("item = \"li\"", "item = \"a[\"");
        let e = parse_sources(Path::new("sources/tr.toml"), &bad_sel, &sched())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sources/tr.toml:14:"), "{e}");
        assert!(
            e.contains("`item` CSS selector `a[` is invalid") && !e.contains("developer"),
            "{e}"
        );
    }
}
