//! Changing a source's tables in place with `toml_edit`, the way `cargo add`
//! does: a key whose value does not change is not touched (its line stays
//! byte for byte), a changed value keeps its key, its place, the comment
//! lines above it and a comment after it on the line, a new key goes where
//! the key order puts it, and a key the draft leaves out is removed.

use super::draft::{value_in, Field, Section, Val, FIELDS};
use toml_edit::{Array, InlineTable, Item, Key, Table, Value};
use toml_writer::ToTomlValue as _;

/// One key whose value a write changes (`None`: absent, or its default).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyChange {
    pub field: &'static Field,
    pub old: Option<Val>,
    pub new: Option<Val>,
}

/// A string as a TOML value, escaped by the TOML writer: quotes,
/// backslashes and control characters never leave the string. Only a
/// multi-line field (`notes`) may be written as a multi-line string; any
/// other string stays on one line, a newline written `\n`, so no line of
/// the file that a person or a line-based tool reads can be forged by a
/// value.
pub(crate) fn string_value(s: &str, multiline: bool) -> Value {
    let b = toml_writer::TomlStringBuilder::new(s);
    let repr = if multiline && !looks_like_toml(s) {
        b.as_default()
    } else {
        b.as_basic_pretty()
            .or_else(|| b.as_literal())
            .unwrap_or_else(|| b.as_basic())
    }
    .to_toml_value();
    match repr.parse::<Value>() {
        Ok(mut v) if v.as_str() == Some(s) => {
            v.decor_mut().clear();
            v
        }
        // Never expected: toml_edit's own choice of quoting then.
        _ => Value::from(s),
    }
}

/// Whether a line of `s` would read, on its own, as a table header, a
/// comment or a key: such a text is written on one line, escaped, even
/// where a multi-line string is allowed, so that no line of the file
/// looks like what it is not.
fn looks_like_toml(s: &str) -> bool {
    s.lines().any(|l| {
        let t = l.trim_start();
        let key: String = t
            .chars()
            .take_while(|c| c.is_alphanumeric() || "_-.\"'".contains(*c))
            .collect();
        t.starts_with('[')
            || t.starts_with('#')
            || (!key.is_empty() && t[key.len()..].trim_start().starts_with('='))
    })
}

/// A field's value as TOML.
pub(crate) fn to_value(field: &Field, v: &Val) -> Value {
    match v {
        Val::Str(s) => string_value(s, field.multiline),
        Val::Bool(b) => Value::from(*b),
        Val::List(l) => {
            let mut a: Array = l.iter().map(|s| string_value(s, false)).collect();
            a.fmt();
            Value::Array(a)
        }
        Val::Other(s) => s
            .parse::<Value>()
            .unwrap_or_else(|_| Value::from(s.as_str())),
    }
}

/// The value of every field in a `[[source]]` table (`None`: absent or the
/// default).
pub(crate) fn current(t: &Table) -> Vec<(&'static Field, Option<Val>)> {
    let extract = t.get("extract").and_then(Item::as_table_like);
    FIELDS
        .iter()
        .map(|f| {
            let v = match f.section {
                Section::Source => value_in(t, f),
                Section::Extract => extract.and_then(|x| value_in(x, f)),
            };
            (f, v)
        })
        .collect()
}

/// A table a source's keys live in: a standard table (`[source.extract]`,
/// or dotted keys) or an inline one (`extract = { item = "li" }`).
enum Tbl<'a> {
    Std(&'a mut Table),
    Inline(&'a mut InlineTable),
}

impl Tbl<'_> {
    fn remove(&mut self, key: &str) {
        match self {
            Tbl::Std(t) => {
                t.remove(key);
            }
            Tbl::Inline(t) => {
                let was_last = t.iter().last().is_some_and(|(k, _)| k == key);
                if let Some(gone) = t.remove(key) {
                    // `{ a = 1, b = 2 }` without `b` keeps its space before `}`.
                    let space = gone.decor().suffix().cloned();
                    if let (true, Some(space)) = (was_last, space) {
                        if let Some((_, v)) = t.iter_mut().last() {
                            v.decor_mut().set_suffix(space);
                        }
                    }
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Tbl::Std(t) => t.is_empty(),
            Tbl::Inline(t) => t.is_empty(),
        }
    }

    /// Set `field` to `v`: in place, keeping the comments around it, when
    /// the key is there; else where the key order puts it.
    fn set(&mut self, field: &Field, v: Value) {
        let mut v = v;
        match self {
            Tbl::Std(t) => match t.get_mut(field.key) {
                Some(Item::Value(old)) => {
                    *v.decor_mut() = old.decor().clone();
                    *old = v;
                }
                Some(other) => *other = Item::Value(v),
                None => insert_ordered(t, field, Item::Value(v)),
            },
            Tbl::Inline(t) => match t.get_mut(field.key) {
                Some(old) => {
                    *v.decor_mut() = old.decor().clone();
                    *old = v;
                }
                None => {
                    t.insert(field.key, v);
                }
            },
        }
    }
}

/// Insert `field` after the last key that comes before it in the key
/// order (keys the editor does not know stay where they are).
fn insert_ordered(t: &mut Table, field: &Field, item: Item) {
    let rank = |k: &str| {
        FIELDS
            .iter()
            .position(|f| f.section == field.section && f.key == k)
    };
    let mine = rank(field.key);
    let keys: Vec<String> = t
        .iter()
        .filter(|(_, i)| i.is_value())
        .map(|(k, _)| k.to_string())
        .collect();
    let after = keys
        .iter()
        .rposition(|k| rank(k).is_some_and(|r| Some(r) < mine));
    let at = match after {
        Some(i) => i + 1,
        None => keys
            .iter()
            .position(|k| rank(k).is_some_and(|r| Some(r) > mine))
            .unwrap_or(keys.len()),
    };
    let tail: Vec<(Key, Item)> = keys[at..]
        .iter()
        .filter_map(|k| t.remove_entry(k))
        .collect();
    t.insert(field.key, item);
    for (k, v) in tail {
        t.insert_formatted(&k, v);
    }
}

/// Apply `wanted` (a value, or `None` for "absent", per field; fields not
/// listed are left alone) to the `[[source]]` table `t`. Returns what
/// changed; an unchanged key is not touched.
pub(crate) fn apply(t: &mut Table, wanted: &[(&'static Field, Option<Val>)]) -> Vec<KeyChange> {
    let before = current(t);
    let old_of = |f: &Field| {
        before
            .iter()
            .find(|(g, _)| g.section == f.section && g.key == f.key)
            .and_then(|(_, v)| v.clone())
    };
    let changes: Vec<KeyChange> = wanted
        .iter()
        .filter_map(|(field, new)| {
            let old = old_of(field);
            (old != *new).then(|| KeyChange {
                field,
                old,
                new: new.clone(),
            })
        })
        .collect();
    for c in changes
        .iter()
        .filter(|c| c.field.section == Section::Source)
    {
        let mut tbl = Tbl::Std(t);
        match &c.new {
            Some(v) => tbl.set(c.field, to_value(c.field, v)),
            None => tbl.remove(c.field.key),
        }
    }
    let extract: Vec<&KeyChange> = changes
        .iter()
        .filter(|c| c.field.section == Section::Extract)
        .collect();
    if !extract.is_empty() {
        if !t.contains_key("extract") {
            let mut x = Table::new();
            x.decor_mut().set_prefix("");
            t.insert("extract", Item::Table(x));
        }
        let mut empty = false;
        if let Some(item) = t.get_mut("extract") {
            let mut tbl = match item {
                Item::Table(x) => Some(Tbl::Std(x)),
                Item::Value(Value::InlineTable(x)) => Some(Tbl::Inline(x)),
                _ => None,
            };
            if let Some(tbl) = tbl.as_mut() {
                for c in &extract {
                    match &c.new {
                        Some(v) => tbl.set(c.field, to_value(c.field, v)),
                        None => tbl.remove(c.field.key),
                    }
                }
                empty = tbl.is_empty();
            }
        }
        if empty {
            t.remove("extract");
        }
    }
    changes
}

/// The `[[source]]` block of a new source, as text ending in a newline:
/// the keys in the key order, `[source.extract]` right after them.
pub(crate) fn new_block(values: &[(&'static Field, Option<Val>)]) -> String {
    let mut t = Table::new();
    apply(&mut t, values);
    let mut aot = toml_edit::ArrayOfTables::new();
    aot.push(t);
    let mut doc = toml_edit::DocumentMut::new();
    doc.insert("source", Item::ArrayOfTables(aot));
    let text = doc.to_string();
    let mut text = text.trim_start_matches('\n').to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The comment after `enabled = false` that marks a pause.
pub(crate) const PAUSE_MARK: &str = "# paused by ";

/// Text fit for a comment: one line, no control characters.
pub(crate) fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Put `comment` (or none) after the value of `enabled` on its line.
pub(crate) fn set_enabled_comment(t: &mut Table, comment: Option<&str>) {
    if let Some(Item::Value(v)) = t.get_mut("enabled") {
        let suffix = match comment {
            Some(c) => format!(" {}", comment_safe(c)),
            None => String::new(),
        };
        v.decor_mut().set_suffix(suffix);
    }
}

/// The comment after `enabled`'s value, if any.
pub(crate) fn enabled_comment(t: &Table) -> Option<String> {
    let v = t.get("enabled")?.as_value()?;
    let s = v.decor().suffix()?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::draft::SourceDraft;
    use super::*;

    #[test]
    fn hostile_strings_stay_one_value_on_one_line() {
        for s in [
            "]\n[[source]]\nid=\"x",
            "a\"b\\c",
            "tab\there",
            "nul\u{0}del\u{7f}esc\u{1b}",
            "'''\"\"\"",
            "# not a comment",
        ] {
            let v = string_value(s, false);
            let text = v.to_string();
            assert!(!text.contains('\n'), "{text}");
            assert_eq!(v.as_str(), Some(s));
            let back: Value = text.parse().unwrap();
            assert_eq!(back.as_str(), Some(s));
        }
        let notes = string_value("line one\nline two \"\"\" end", true);
        assert_eq!(notes.as_str(), Some("line one\nline two \"\"\" end"));
        assert!(notes.to_string().contains('\n'), "notes may span lines");
        for forged in [
            "a\n[[source]]",
            "a\n  id = \"x\"",
            "a\n# comment",
            "a\n\"q\" = 1",
        ] {
            let v = string_value(forged, true);
            assert!(!v.to_string().contains('\n'), "{forged:?}");
            assert_eq!(v.as_str(), Some(forged));
        }
    }

    #[test]
    fn a_new_block_has_the_keys_in_order_and_the_extract_table_after() {
        let d = SourceDraft {
            id: "tr-x".into(),
            name: "X".into(),
            jurisdiction: "TR".into(),
            kind: "page".into(),
            url: "https://x.example/".into(),
            notes: Some("n".into()),
            enabled: false,
            extract: super::super::draft::ExtractDraft {
                item: Some("li".into()),
                ..Default::default()
            },
            ..SourceDraft::default()
        };
        assert_eq!(
            new_block(&d.values()),
            "[[source]]\nid = \"tr-x\"\nname = \"X\"\njurisdiction = \"TR\"\nkind = \"page\"\n\
             url = \"https://x.example/\"\nenabled = false\nnotes = \"n\"\n[source.extract]\nitem = \"li\"\n"
        );
    }

    #[test]
    fn a_new_key_goes_where_the_order_puts_it() {
        let mut doc: toml_edit::DocumentMut =
            "[[source]]\nid = \"a\" # keep\n# about the url\nurl = \"u\"\nnotes = \"n\"\n"
                .parse()
                .unwrap();
        let t = doc["source"]
            .as_array_of_tables_mut()
            .unwrap()
            .get_mut(0)
            .unwrap();
        let name = FIELDS.iter().find(|f| f.key == "name").unwrap();
        let sched = FIELDS.iter().find(|f| f.key == "schedule").unwrap();
        apply(
            t,
            &[
                (name, Some(Val::Str("N".into()))),
                (sched, Some(Val::Str("0 7 * * *".into()))),
            ],
        );
        assert_eq!(
            doc.to_string(),
            "[[source]]\nid = \"a\" # keep\nname = \"N\"\n# about the url\nurl = \"u\"\nschedule = \"0 7 * * *\"\nnotes = \"n\"\n"
        );
    }

    fn field(key: &str) -> &'static Field {
        FIELDS.iter().find(|f| f.name() == key).unwrap()
    }

    #[test]
    fn the_extract_table_comes_and_goes_with_its_keys() {
        let text = "[[source]]\nid = \"a\"\nurl = \"u\"\n\n# b\n[[source]]\nid = \"b\"\n";
        let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
        let t = doc["source"]
            .as_array_of_tables_mut()
            .unwrap()
            .get_mut(0)
            .unwrap();
        let c = apply(t, &[(field("extract.item"), Some(Val::Str("li".into())))]);
        assert_eq!(c.len(), 1);
        assert_eq!(
            doc.to_string(),
            "[[source]]\nid = \"a\"\nurl = \"u\"\n[source.extract]\nitem = \"li\"\n\n# b\n[[source]]\nid = \"b\"\n"
        );
        let t = doc["source"]
            .as_array_of_tables_mut()
            .unwrap()
            .get_mut(0)
            .unwrap();
        apply(t, &[(field("extract.item"), None)]);
        assert_eq!(doc.to_string(), text);
    }

    #[test]
    fn an_inline_extract_table_stays_inline() {
        let text = "[[source]]\nid = \"a\"\nextract = { item = \"li\", follow = true } # kept\n";
        let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
        let t = doc["source"]
            .as_array_of_tables_mut()
            .unwrap()
            .get_mut(0)
            .unwrap();
        apply(
            t,
            &[
                (field("extract.item"), Some(Val::Str("li.news".into()))),
                (field("extract.follow"), None),
            ],
        );
        assert_eq!(
            doc.to_string(),
            "[[source]]\nid = \"a\"\nextract = { item = \"li.news\" } # kept\n"
        );
    }

    #[test]
    fn a_changed_value_keeps_its_comments() {
        let text =
            "[[source]]\nid = \"a\"\n# why daily\nschedule   =   '0 7 * * *'   # Istanbul time\n";
        let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
        let t = doc["source"]
            .as_array_of_tables_mut()
            .unwrap()
            .get_mut(0)
            .unwrap();
        apply(
            t,
            &[(field("schedule"), Some(Val::Str("0 8 * * *".into())))],
        );
        assert_eq!(
            doc.to_string(),
            "[[source]]\nid = \"a\"\n# why daily\nschedule   =   \"0 8 * * *\"   # Istanbul time\n"
        );
    }
}
