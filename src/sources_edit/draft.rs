//! [`SourceDraft`]: a source as a form, the API or the CLI gives it, and the
//! table of every key the editor knows (its section, its default, its order
//! in a `[[source]]` table), used to compare a draft with a file key by key.

use serde::{Deserialize, Serialize};
use toml_edit::{Item, TableLike, Value};

/// One string, or a list of strings (`item_title` and `item_text` take a
/// list of JSONPath expressions for a JSON source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `[source.extract]` as a form gives it. Every key is optional; an empty
/// string or list, `false` and `None` all mean "not written".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractDraft {
    pub content: Option<String>,
    pub exclude: Vec<String>,
    pub item: Option<String>,
    pub item_title: Option<OneOrMany>,
    pub item_link: Option<String>,
    pub item_text: Option<OneOrMany>,
    pub item_id: Option<String>,
    pub ignore: Vec<String>,
    pub follow: bool,
    pub follow_content: Option<String>,
    /// `None`: every kind of change alerts; `Some([])` is written as
    /// `report = []` (nothing alerts), so it is kept apart from `None`.
    pub report: Option<Vec<String>>,
    pub fail_if: Vec<String>,
}

/// A source as a form, the JSON API or the CLI gives it: every key of a
/// `[[source]]` table (docs/sources.md), as the strings a person typed.
/// Nothing is checked here: the editor validates the file it would write
/// with the project's own parser, and maps an error back to the field.
///
/// Deserializes from the JSON body of `POST /api/sources` and
/// `PUT /api/sources/{id}` (unknown keys refused, missing ones default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceDraft {
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-2, or EU, WTO: also chooses the file
    /// (`sources/<lowercase>.toml`) a new source is added to.
    pub jurisdiction: String,
    /// BCP 47; `None` means the default (`en`).
    pub language: Option<String>,
    /// `feed` | `page` | `pdf` | `json`.
    pub kind: String,
    pub url: String,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub categories: Vec<String>,
    pub enabled: bool,
    /// `browser`, or `None`.
    pub render: Option<String>,
    pub wait_for: Option<String>,
    pub may_be_empty: bool,
    /// `follow` | `empty` (DESIGN.md). Written as given; the file is refused
    /// while the project's parser does not know the key yet.
    pub redirect: Option<String>,
    pub notes: Option<String>,
    pub extract: ExtractDraft,
}

impl Default for SourceDraft {
    fn default() -> Self {
        SourceDraft {
            id: String::new(),
            name: String::new(),
            jurisdiction: String::new(),
            language: None,
            kind: String::new(),
            url: String::new(),
            schedule: None,
            timezone: None,
            categories: vec![],
            enabled: true,
            render: None,
            wait_for: None,
            may_be_empty: false,
            redirect: None,
            notes: None,
            extract: ExtractDraft::default(),
        }
    }
}

/// Which table of a source a key lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// The `[[source]]` table itself.
    Source,
    /// `[source.extract]`.
    Extract,
}

/// What a key means when it is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Absent {
    /// Nothing (an optional string).
    Nothing,
    /// This boolean.
    Bool(bool),
    /// An empty list.
    EmptyList,
    /// This string (`language = "en"`).
    Str(&'static str),
}

/// One key the editor knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub section: Section,
    pub key: &'static str,
    pub absent: Absent,
    /// May be written as a multi-line string (`notes`); every other string
    /// is written on one line, its newlines escaped.
    pub multiline: bool,
}

impl Field {
    /// The field's name in errors and audit lines: `name`, `extract.item`.
    pub fn name(&self) -> String {
        match self.section {
            Section::Source => self.key.to_string(),
            Section::Extract => format!("extract.{}", self.key),
        }
    }
}

const fn f(section: Section, key: &'static str, absent: Absent) -> Field {
    Field {
        section,
        key,
        absent,
        multiline: false,
    }
}

use Absent::{Bool, EmptyList, Nothing};
use Section::{Extract, Source};

/// Every key, in the order a new key is placed among existing ones (the
/// order of DESIGN.md and the shipped files: `notes` last, then the
/// extract table).
pub(crate) const FIELDS: &[Field] = &[
    f(Source, "id", Nothing),
    f(Source, "name", Nothing),
    f(Source, "jurisdiction", Nothing),
    f(Source, "language", Absent::Str("en")),
    f(Source, "kind", Nothing),
    f(Source, "url", Nothing),
    f(Source, "schedule", Nothing),
    f(Source, "timezone", Nothing),
    f(Source, "categories", EmptyList),
    f(Source, "enabled", Bool(true)),
    f(Source, "render", Nothing),
    f(Source, "wait_for", Nothing),
    f(Source, "may_be_empty", Bool(false)),
    f(Source, "redirect", Nothing),
    Field {
        section: Source,
        key: "notes",
        absent: Nothing,
        multiline: true,
    },
    f(Extract, "content", Nothing),
    f(Extract, "exclude", EmptyList),
    f(Extract, "item", Nothing),
    f(Extract, "item_title", Nothing),
    f(Extract, "item_link", Nothing),
    f(Extract, "item_text", Nothing),
    f(Extract, "item_id", Nothing),
    f(Extract, "ignore", EmptyList),
    f(Extract, "follow", Bool(false)),
    f(Extract, "follow_content", Nothing),
    f(Extract, "report", Nothing),
    f(Extract, "fail_if", EmptyList),
];

/// The field of a name as errors give it (`item`, `extract.item`,
/// `source.extract.item`, `[source.extract].item`).
pub(crate) fn field_named(name: &str) -> Option<&'static Field> {
    let n = name.trim_matches(|c| c == '`' || c == '[' || c == ']');
    let n = n.strip_prefix("source.").unwrap_or(n);
    let n = n.strip_prefix("source].").unwrap_or(n);
    if let Some(k) = n
        .strip_prefix("extract.")
        .or_else(|| n.strip_prefix("extract]."))
    {
        return FIELDS.iter().find(|f| f.section == Extract && f.key == k);
    }
    FIELDS.iter().find(|f| f.key == n)
}

/// A key's value, as the editor compares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    Str(String),
    Bool(bool),
    List(Vec<String>),
    /// A value of another shape (a number, a table): only ever compared
    /// unequal, shown by its TOML text.
    Other(String),
}

impl Val {
    /// As JSON, for audit lines and API answers.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::Str(s) | Val::Other(s) => serde_json::Value::String(s.clone()),
            Val::Bool(b) => serde_json::Value::Bool(*b),
            Val::List(l) => serde_json::Value::Array(
                l.iter()
                    .map(|s| serde_json::Value::String(s.clone()))
                    .collect(),
            ),
        }
    }

    /// `None` when this is what the key means when absent: the editor
    /// never writes a key that says its default.
    fn unless_default(self, absent: Absent) -> Option<Val> {
        let is_default = match (&self, absent) {
            (Val::Bool(b), Absent::Bool(d)) => *b == d,
            (Val::List(l), Absent::EmptyList) => l.is_empty(),
            (Val::Str(s), Absent::Str(d)) => s == d,
            _ => false,
        };
        (!is_default).then_some(self)
    }
}

fn opt_str(s: &Option<String>) -> Option<Val> {
    s.as_ref().filter(|s| !s.is_empty()).cloned().map(Val::Str)
}
fn list(l: &[String]) -> Option<Val> {
    Some(Val::List(
        l.iter().filter(|s| !s.is_empty()).cloned().collect(),
    ))
}
fn one_or_many(v: &Option<OneOrMany>) -> Option<Val> {
    match v {
        None => None,
        Some(OneOrMany::One(s)) if s.is_empty() => None,
        Some(OneOrMany::One(s)) => Some(Val::Str(s.clone())),
        Some(OneOrMany::Many(l)) => {
            let l: Vec<String> = l.iter().filter(|s| !s.is_empty()).cloned().collect();
            (!l.is_empty()).then_some(Val::List(l))
        }
    }
}
fn str_(s: &str) -> Option<Val> {
    (!s.is_empty()).then(|| Val::Str(s.to_string()))
}

impl SourceDraft {
    /// The value of every field, `None` where the draft leaves it out or
    /// says its default. Empty strings (a blank form input) are left out,
    /// and so are empty entries of a list.
    pub(crate) fn values(&self) -> Vec<(&'static Field, Option<Val>)> {
        let x = &self.extract;
        FIELDS
            .iter()
            .map(|field| {
                let v = match (field.section, field.key) {
                    (Source, "id") => str_(&self.id),
                    (Source, "name") => str_(&self.name),
                    (Source, "jurisdiction") => str_(&self.jurisdiction),
                    (Source, "language") => opt_str(&self.language),
                    (Source, "kind") => str_(&self.kind),
                    (Source, "url") => str_(&self.url),
                    (Source, "schedule") => opt_str(&self.schedule),
                    (Source, "timezone") => opt_str(&self.timezone),
                    (Source, "categories") => list(&self.categories),
                    (Source, "enabled") => Some(Val::Bool(self.enabled)),
                    (Source, "render") => opt_str(&self.render),
                    (Source, "wait_for") => opt_str(&self.wait_for),
                    (Source, "may_be_empty") => Some(Val::Bool(self.may_be_empty)),
                    (Source, "redirect") => opt_str(&self.redirect),
                    (Source, "notes") => opt_str(&self.notes),
                    (Extract, "content") => opt_str(&x.content),
                    (Extract, "exclude") => list(&x.exclude),
                    (Extract, "item") => opt_str(&x.item),
                    (Extract, "item_title") => one_or_many(&x.item_title),
                    (Extract, "item_link") => opt_str(&x.item_link),
                    (Extract, "item_text") => one_or_many(&x.item_text),
                    (Extract, "item_id") => opt_str(&x.item_id),
                    (Extract, "ignore") => list(&x.ignore),
                    (Extract, "follow") => Some(Val::Bool(x.follow)),
                    (Extract, "follow_content") => opt_str(&x.follow_content),
                    (Extract, "report") => x.report.as_ref().map(|r| Val::List(r.clone())),
                    (Extract, "fail_if") => list(&x.fail_if),
                    _ => None,
                };
                (field, v.and_then(|v| v.unless_default(field.absent)))
            })
            .collect()
    }

    /// A draft from the values of a source's tables (what the edit form
    /// starts from).
    pub(crate) fn from_values(values: &[(&'static Field, Option<Val>)]) -> SourceDraft {
        let mut d = SourceDraft::default();
        for (field, v) in values {
            let Some(v) = v else { continue };
            let s = match v {
                Val::Str(s) | Val::Other(s) => Some(s.clone()),
                _ => None,
            };
            let l = match v {
                Val::List(l) => l.clone(),
                Val::Str(s) | Val::Other(s) => vec![s.clone()],
                Val::Bool(_) => vec![],
            };
            let b = matches!(v, Val::Bool(true));
            let om = match v {
                Val::List(l) => Some(OneOrMany::Many(l.clone())),
                Val::Str(s) | Val::Other(s) => Some(OneOrMany::One(s.clone())),
                Val::Bool(_) => None,
            };
            let x = &mut d.extract;
            match (field.section, field.key) {
                (Source, "id") => d.id = s.unwrap_or_default(),
                (Source, "name") => d.name = s.unwrap_or_default(),
                (Source, "jurisdiction") => d.jurisdiction = s.unwrap_or_default(),
                (Source, "language") => d.language = s,
                (Source, "kind") => d.kind = s.unwrap_or_default(),
                (Source, "url") => d.url = s.unwrap_or_default(),
                (Source, "schedule") => d.schedule = s,
                (Source, "timezone") => d.timezone = s,
                (Source, "categories") => d.categories = l,
                (Source, "enabled") => d.enabled = b,
                (Source, "render") => d.render = s,
                (Source, "wait_for") => d.wait_for = s,
                (Source, "may_be_empty") => d.may_be_empty = b,
                (Source, "redirect") => d.redirect = s,
                (Source, "notes") => d.notes = s,
                (Extract, "content") => x.content = s,
                (Extract, "exclude") => x.exclude = l,
                (Extract, "item") => x.item = s,
                (Extract, "item_title") => x.item_title = om,
                (Extract, "item_link") => x.item_link = s,
                (Extract, "item_text") => x.item_text = om,
                (Extract, "item_id") => x.item_id = s,
                (Extract, "ignore") => x.ignore = l,
                (Extract, "follow") => x.follow = b,
                (Extract, "follow_content") => x.follow_content = s,
                (Extract, "report") => x.report = Some(l),
                (Extract, "fail_if") => x.fail_if = l,
                _ => {}
            }
        }
        d
    }
}

/// A TOML value as the editor compares it.
pub(crate) fn val_of(v: &Value) -> Val {
    match v {
        Value::String(s) => Val::Str(s.value().clone()),
        Value::Boolean(b) => Val::Bool(*b.value()),
        Value::Array(a) => {
            let strings: Option<Vec<String>> =
                a.iter().map(|x| x.as_str().map(str::to_string)).collect();
            match strings {
                Some(l) => Val::List(l),
                None => Val::Other(v.to_string().trim().to_string()),
            }
        }
        _ => Val::Other(v.to_string().trim().to_string()),
    }
}

/// The value of `field` in a table, `None` when absent or the default.
pub(crate) fn value_in(table: &dyn TableLike, field: &Field) -> Option<Val> {
    let v = match table.get(field.key)? {
        Item::Value(v) => val_of(v),
        Item::None => return None,
        other => Val::Other(other.to_string().trim().to_string()),
    };
    v.unless_default(field.absent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_blanks_are_not_values() {
        let d = SourceDraft {
            id: "a".into(),
            language: Some("en".into()),
            schedule: Some(String::new()),
            categories: vec![String::new()],
            ..SourceDraft::default()
        };
        let set: Vec<String> = d
            .values()
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(f, _)| f.name())
            .collect();
        assert_eq!(set, vec!["id"]);
    }

    #[test]
    fn a_draft_survives_values_and_back() {
        let d = SourceDraft {
            id: "tr-x".into(),
            name: "X".into(),
            jurisdiction: "TR".into(),
            language: Some("tr".into()),
            kind: "json".into(),
            url: "https://x.example/".into(),
            categories: vec!["telecom".into()],
            enabled: false,
            may_be_empty: true,
            notes: Some("a\nb".into()),
            extract: ExtractDraft {
                item: Some("$.items[*]".into()),
                item_title: Some(OneOrMany::Many(vec!["$.a".into(), "$.b".into()])),
                report: Some(vec![]),
                follow: true,
                ..ExtractDraft::default()
            },
            ..SourceDraft::default()
        };
        assert_eq!(SourceDraft::from_values(&d.values()), d);
    }

    #[test]
    fn fields_are_found_by_any_name_errors_use() {
        for n in [
            "item",
            "extract.item",
            "source.extract.item",
            "[source.extract].item",
        ] {
            assert_eq!(
                field_named(n).map(|f| f.name()),
                Some("extract.item".into())
            );
        }
        assert_eq!(field_named("`url`").map(|f| f.name()), Some("url".into()));
        assert!(field_named("nope").is_none());
    }
}
