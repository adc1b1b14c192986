//! A source's extraction rules: as written in `sources/*.toml`
//! ([`ExtractRules`]), and compiled once when the sources are loaded (and on
//! reload) into [`CompiledRules`]: CSS selectors, JSONPath expressions and
//! `ignore` regexes. The extract stage takes only compiled rules, so a poll
//! never parses a selector again.

use crate::model::{ChangeKind, SourceKind};
use regex::Regex;
use scraper::Selector;
use serde::Deserialize;
use serde_json_path::JsonPath;

/// `[source.extract]` as written.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExtractRules {
    pub content: Option<String>,
    pub exclude: Vec<String>,
    pub item: Option<String>,
    /// Relative to item. JSON: one path, or a list whose values are joined
    /// with " — " (a code, its description, its parents).
    pub item_title: Option<Fields>,
    pub item_link: Option<String>,
    /// Optional, relative to item: the item's text (default: the item's whole
    /// text). JSON: one path or a list, one line each; an entry may carry a
    /// label before its path (`"Effective: $.effective_on"`), written before
    /// the value when there is one, so the tagger reads what a date means.
    pub item_text: Option<Fields>,
    /// Optional, JSON only: a stable id field relative to the item.
    pub item_id: Option<String>,
    pub ignore: Vec<String>,
    pub follow: bool,
    /// CSS selector (or JSONPath) of the part of a followed page that matters.
    pub follow_content: Option<String>,
    pub report: Option<Vec<ChangeKind>>,
    pub fail_if: Vec<String>,
}

/// One selector or path, or (JSON) a list of paths.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Fields {
    One(String),
    Many(Vec<String>),
}

impl Fields {
    pub fn list(&self) -> Vec<&str> {
        match self {
            Fields::One(s) => vec![s.as_str()],
            Fields::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
    /// The one CSS selector of a page key.
    fn single(&self, key: &'static str) -> Result<&str, RuleError> {
        match self {
            Fields::One(s) => Ok(s),
            Fields::Many(_) => Err(RuleError {
                key,
                message: format!("`{key}` is one CSS selector for a page (a list of paths applies to JSON); join selectors with `,` instead"),
            }),
        }
    }
}

impl From<&str> for Fields {
    fn from(s: &str) -> Fields {
        Fields::One(s.to_string())
    }
}

/// A JSON path of `item_text` with the label written before its value.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub label: String,
    pub path: Path,
}

/// A rule that does not compile: the key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    pub key: &'static str,
    pub message: String,
}

/// A CSS selector with the text it was written as (for messages).
#[derive(Debug, Clone)]
pub struct Css {
    pub text: String,
    pub selector: Selector,
}

impl Css {
    pub fn parse(key: &'static str, s: &str) -> Result<Css, RuleError> {
        Selector::parse(s)
            .map(|selector| Css {
                text: s.to_string(),
                selector,
            })
            .map_err(|e| RuleError {
                key,
                message: format!(
                    "`{key}` CSS selector `{s}` is invalid: {}; write a CSS selector such as `li`, `div.news a` or `a[href]`",
                    selector_problem(&e)
                ),
            })
    }
}

/// What is wrong with a selector, in a page author's words (scraper's own
/// message for most mistakes is "Unexpected error occurred. Please report
/// this to the developer").
fn selector_problem(e: &scraper::error::SelectorErrorKind) -> String {
    use scraper::error::SelectorErrorKind as K;
    use selectors::parser::SelectorParseErrorKind as P;
    match e {
        K::UnexpectedToken => "a character is out of place (check quotes and brackets)".into(),
        K::EndOfLine => "it ends too early (an unclosed `[`, `(` or quote, or a dangling `>`)".into(),
        K::InvalidAtRule | K::InvalidAtRuleBody => "`@` rules are not selectors".into(),
        K::QualRuleInvalid => "it is not a selector".into(),
        K::TooManyNestedBlocks => "it nests too deeply".into(),
        K::ExpectedColonOnPseudoElement | K::ExpectedIdentityOnPseudoElement => {
            "a pseudo-element needs `::` and a name, e.g. `::before`".into()
        }
        K::UnexpectedSelectorParseError(k) => match k {
            P::NoQualifiedNameInAttributeSelector | P::InvalidQualNameInAttr => {
                "an attribute selector needs an attribute name, e.g. `a[href]` or `[data-id=\"7\"]`".into()
            }
            P::EmptySelector => "it is empty".into(),
            P::DanglingCombinator => "a combinator (`>`, `+`, `~`) has nothing after it".into(),
            P::UnexpectedTokenInAttributeSelector | P::BadValueInAttr | P::ExpectedBarInAttr => {
                "the attribute selector is malformed: write `[name]`, `[name=value]` or `[name=\"a value\"]`".into()
            }
            P::NoIdentForPseudo | P::UnsupportedPseudoClassOrElement => {
                "that pseudo-class is not supported (supported: :first-child, :nth-child(n), :not(...), :has(...), …)".into()
            }
            P::ClassNeedsIdent => "a `.` must be followed by a class name".into(),
            P::UnexpectedIdent | P::NonCompoundSelector => "a name is out of place".into(),
            _ => "it is not a selector regwatch can use".into(),
        },
    }
}

/// A JSONPath expression with the text it was written as.
#[derive(Debug, Clone)]
pub struct Path {
    pub text: String,
    pub path: JsonPath,
}

impl Path {
    pub fn parse(key: &'static str, s: &str) -> Result<Path, RuleError> {
        JsonPath::parse(s)
            .map(|path| Path {
                text: s.to_string(),
                path,
            })
            .map_err(|e| RuleError {
                key,
                message: format!(
                    "`{key}` JSONPath `{s}` is invalid: {e} (JSONPath starts with `$`, e.g. `$.results[*]`)"
                ),
            })
    }
}

/// The selectors of a page source.
#[derive(Debug, Clone, Default)]
pub struct PageRules {
    pub content: Option<Css>,
    pub exclude: Vec<Css>,
    pub item: Option<Css>,
    pub item_title: Option<Css>,
    pub item_link: Option<Css>,
    pub item_text: Option<Css>,
    /// What the extract stage derives from these selectors, once for the
    /// rule set and its clones: its streaming plan, or that the selectors
    /// need the DOM. Opaque here, since extract sits below the rules.
    pub derived: Derived,
}

/// A compile-once slot for what a later stage derives from a rule set,
/// shared by every clone of the rules. The rules neither name nor build
/// what it holds, so they import nothing from the stages that use them.
#[derive(Clone, Default)]
pub struct Derived(std::sync::Arc<std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>>);

impl Derived {
    /// The value, made by `make` on the first call. `None` only when the
    /// slot already holds a value of another type (one user per slot).
    pub fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        make: impl FnOnce() -> T,
    ) -> Option<&T> {
        self.0.get_or_init(|| Box::new(make())).downcast_ref()
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.0.get().is_some() {
            "made"
        } else {
            "empty"
        };
        f.debug_tuple("Derived").field(&state).finish()
    }
}

/// The JSONPath expressions of a JSON source.
#[derive(Debug, Clone, Default)]
pub struct JsonRules {
    pub content: Option<Path>,
    pub item: Option<Path>,
    /// Joined with " — " (empty values left out).
    pub item_title: Vec<Path>,
    pub item_link: Option<Path>,
    /// One line each; `None`: the whole record.
    pub item_text: Option<Vec<Labelled>>,
    pub item_id: Option<Path>,
}

/// Everything a poll needs of a source's rules, compiled.
#[derive(Debug, Clone, Default)]
pub struct CompiledRules {
    pub page: PageRules,
    pub json: JsonRules,
    /// Of a followed page: the part that matters.
    pub follow_content: Option<Css>,
    pub ignore: Vec<Regex>,
    /// Blocked-page markers, lowercased (matched case-insensitively).
    pub fail_if: Vec<String>,
    pub follow: bool,
    pub report: Option<Vec<ChangeKind>>,
    /// What the rules are (kind and every key), hashed: a body fetched
    /// again byte for byte under the same rules extracts the same.
    pub fingerprint: String,
}

#[cfg(any(test, feature = "test-counters"))]
static COMPILED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many rule sets were compiled since the process started (a test
/// checks that polling never compiles again). Counted for tests only
/// (feature `test-counters`).
#[cfg(any(test, feature = "test-counters"))]
pub fn compile_count() -> usize {
    COMPILED.load(std::sync::atomic::Ordering::Relaxed)
}

fn opt_css(key: &'static str, s: &Option<String>) -> Result<Option<Css>, RuleError> {
    s.as_deref().map(|s| Css::parse(key, s)).transpose()
}

fn opt_path(key: &'static str, s: &Option<String>) -> Result<Option<Path>, RuleError> {
    s.as_deref().map(|s| Path::parse(key, s)).transpose()
}

fn misplaced(key: &'static str, message: String) -> RuleError {
    RuleError { key, message }
}

impl PageRules {
    /// The CSS selectors of a page source.
    fn compile(x: &ExtractRules) -> Result<PageRules, RuleError> {
        if x.item.is_none() && (x.item_title.is_some() || x.item_link.is_some()) {
            return Err(misplaced(
                "item_title",
                "`item_title`/`item_link` need `item` (the selector of one item)".into(),
            ));
        }
        Ok(PageRules {
            content: opt_css("content", &x.content)?,
            exclude: x
                .exclude
                .iter()
                .map(|s| Css::parse("exclude", s))
                .collect::<Result<_, _>>()?,
            item: opt_css("item", &x.item)?,
            item_title: x
                .item_title
                .as_ref()
                .map(|f| {
                    f.single("item_title")
                        .and_then(|s| Css::parse("item_title", s))
                })
                .transpose()?,
            item_link: opt_css("item_link", &x.item_link)?,
            item_text: x
                .item_text
                .as_ref()
                .map(|f| {
                    f.single("item_text")
                        .and_then(|s| Css::parse("item_text", s))
                })
                .transpose()?,
            derived: Derived::default(),
        })
    }
}

impl JsonRules {
    /// The JSONPath expressions of a JSON source.
    fn compile(x: &ExtractRules) -> Result<JsonRules, RuleError> {
        if !x.exclude.is_empty() {
            return Err(misplaced(
                "exclude",
                "`exclude` applies to pages; for JSON select what matters with `content` or `item`"
                    .into(),
            ));
        }
        Ok(JsonRules {
            content: opt_path("content", &x.content)?,
            item: opt_path("item", &x.item)?,
            item_title: x
                .item_title
                .as_ref()
                .map(|f| f.list())
                .unwrap_or_default()
                .into_iter()
                .map(|s| Path::parse("item_title", s))
                .collect::<Result<_, _>>()?,
            item_link: opt_path("item_link", &x.item_link)?,
            item_text: x
                .item_text
                .as_ref()
                .map(|f| {
                    f.list()
                        .into_iter()
                        .map(|s| {
                            let at = s.find('$').unwrap_or(0);
                            Ok(Labelled {
                                label: s[..at].trim().to_string(),
                                path: Path::parse("item_text", s[at..].trim())?,
                            })
                        })
                        .collect::<Result<Vec<_>, RuleError>>()
                })
                .transpose()?,
            item_id: opt_path("item_id", &x.item_id)?,
        })
    }
}

impl CompiledRules {
    /// Compile (and so validate) the rules of a source of `kind`.
    pub fn compile(kind: SourceKind, x: &ExtractRules) -> Result<CompiledRules, RuleError> {
        #[cfg(any(test, feature = "test-counters"))]
        COMPILED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ignore = x
            .ignore
            .iter()
            .map(|re| {
                Regex::new(re).map_err(|e| RuleError {
                    key: "ignore",
                    message: format!("ignore regex `{re}` is invalid: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut page = PageRules::default();
        let mut json = JsonRules::default();
        match kind {
            SourceKind::Page => page = PageRules::compile(x)?,
            SourceKind::Json => json = JsonRules::compile(x)?,
            SourceKind::Feed | SourceKind::Pdf => {
                if x.content.is_some() || x.item.is_some() || !x.exclude.is_empty() {
                    return Err(misplaced(
                        "content",
                        format!(
                            "`content`/`item`/`exclude` do not apply to kind = \"{}\": remove them",
                            kind.as_str()
                        ),
                    ));
                }
            }
        }
        Ok(CompiledRules {
            page,
            json,
            follow_content: opt_css("follow_content", &x.follow_content)?,
            ignore,
            fail_if: x.fail_if.iter().map(|f| f.to_lowercase()).collect(),
            follow: x.follow,
            report: x.report.clone(),
            fingerprint: {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(format!("{kind:?}{x:?}").as_bytes()))
            },
        })
    }

    /// Whether changes of this kind are reported.
    pub fn reports(&self, kind: ChangeKind) -> bool {
        self.report.as_ref().is_none_or(|k| k.contains(&kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_value_is_made_once_and_shared_by_clones() {
        let slot = Derived::default();
        let copy = slot.clone();
        let made = std::cell::Cell::new(0);
        let make = || {
            made.set(made.get() + 1);
            7u32
        };
        assert_eq!(slot.get_or_init(make), Some(&7));
        assert_eq!(copy.get_or_init(make), Some(&7));
        assert_eq!(made.get(), 1, "made again");
        assert_eq!(copy.get_or_init(|| "other"), None, "another type");
        assert_eq!(format!("{slot:?}"), "Derived(\"made\")");
    }

    #[test]
    fn selector_errors_speak_to_page_authors() {
        for bad in ["a[", "[=x]", "div >", ".", "li:nosuch", "a[href=]"] {
            let e = Css::parse("item", bad).map(|_| ()).expect_err(bad).message;
            assert!(!e.contains("report this to the developer"), "{bad}: {e}");
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains("such as"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn bad_rules_name_their_key() {
        let x = ExtractRules {
            item: Some("li[".into()),
            ..Default::default()
        };
        let e = CompiledRules::compile(SourceKind::Page, &x).unwrap_err();
        assert_eq!(e.key, "item");
        let x = ExtractRules {
            item: Some("results[*]".into()),
            ..Default::default()
        };
        let e = CompiledRules::compile(SourceKind::Json, &x).unwrap_err();
        assert!(e.message.contains("JSONPath"), "{e}");
        let x = ExtractRules {
            ignore: vec!["(".into()],
            ..Default::default()
        };
        assert_eq!(
            CompiledRules::compile(SourceKind::Feed, &x)
                .unwrap_err()
                .key,
            "ignore"
        );
    }
}
