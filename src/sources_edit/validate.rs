//! Before anything is written: the sources directory as it would be after
//! the write is loaded the way `regwatch sources check` and the daemon load
//! it (`config::parse_sources` on every file, ids unique across files), and
//! an error in the edited source is mapped to the draft's field.

use super::draft::{field_named, FIELDS};
use super::EditError;
use crate::config::{parse_sources, ConfigError, ScheduleConfig};
use regex::Regex;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use toml_edit::{Item, Table};

/// The `*.toml` files of a sources directory, sorted (as the loader reads them).
pub(crate) fn source_files(dir: &Path) -> Result<Vec<PathBuf>, EditError> {
    let entries = std::fs::read_dir(dir).map_err(|e| EditError::io(dir, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Where a source's text is in a sources file, and the line of each of its
/// keys (`name`, `extract.item`).
pub(crate) struct Block {
    /// From its `[[source]]` header to the next one (or the end).
    pub range: Range<usize>,
    pub key_lines: BTreeMap<usize, String>,
}

fn line_at(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

fn id_of(t: &Table) -> Option<&str> {
    t.get("id").and_then(Item::as_str)
}

/// The block of source `id` in `text`, from the parser's spans (a line
/// inside a multi-line string is never taken for a key).
pub(crate) fn block_of(text: &str, id: &str) -> Option<Block> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let aot = doc.get("source")?.as_array_of_tables()?;
    let tables: Vec<&Table> = aot.iter().collect();
    let i = tables.iter().position(|t| id_of(t) == Some(id))?;
    let start = tables[i].span()?.start;
    let end = tables
        .get(i + 1)
        .and_then(|t| t.span())
        .map(|s| s.start)
        .unwrap_or(text.len());
    let mut key_lines = BTreeMap::new();
    let mut add = |t: &dyn toml_edit::TableLike, prefix: &str| {
        for (k, _) in t.iter() {
            if let Some(span) = t.key(k).and_then(|key| key.span()) {
                key_lines.insert(line_at(text, span.start), format!("{prefix}{k}"));
            }
        }
    };
    add(tables[i], "");
    if let Some(x) = tables[i].get("extract").and_then(Item::as_table_like) {
        add(x, "extract.");
    }
    Some(Block {
        range: start..end,
        key_lines,
    })
}

/// The field a message names: `missing field `url``, `` `wait_for` needs …``.
fn field_in_message(message: &str) -> Option<String> {
    static NAMED: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"(?:missing|unknown) field `([^`]+)`").ok());
    static QUOTED: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"`([^`]+)`").ok());
    if let Some(c) = NAMED.as_ref().and_then(|re| re.captures(message)) {
        return Some(
            field_named(&c[1])
                .map(|f| f.name())
                .unwrap_or_else(|| c[1].to_string()),
        );
    }
    let quoted = QUOTED.as_ref()?;
    let found = quoted
        .captures_iter(message)
        .filter_map(|c| field_named(&c[1]).map(|f| f.name()))
        .find(|n| n != "id");
    found
}

/// A load error of the edited file, as an error on a field of the edited
/// source when it is one.
pub(crate) fn map_error(
    text: &str,
    id: &str,
    line: Option<usize>,
    message: String,
    path: &str,
) -> EditError {
    let message = message.trim().to_string();
    // Shown beside the field, a message need not name the source.
    let prefix = format!("source `{id}`: ");
    let message = message
        .strip_prefix(&prefix)
        .map(str::to_string)
        .unwrap_or(message);
    let block = block_of(text, id);
    let in_block = match (&block, line) {
        (Some(b), Some(l)) => {
            l >= line_at(text, b.range.start) && l <= line_at(text, b.range.end.saturating_sub(1))
        }
        _ => false,
    };
    // A missing or unknown key names itself; its line is only a guess.
    if message.contains("missing field `") || message.contains("unknown field `") {
        if let Some(field) = field_in_message(&message) {
            return EditError::Field { field, message };
        }
    }
    if in_block {
        let by_line = block
            .as_ref()
            .zip(line)
            .and_then(|(b, l)| b.key_lines.get(&l).cloned());
        let field = by_line
            .filter(|f| f != "id" || message.contains("id"))
            .or_else(|| field_in_message(&message))
            .unwrap_or_else(|| "id".to_string());
        let field = field_named(&field).map(|f| f.name()).unwrap_or(field);
        return EditError::Field { field, message };
    }
    EditError::Invalid {
        file: path.to_string(),
        line,
        message: format!("{message} (another source of this file: fix it first)"),
    }
}

/// Load the directory as it would be with `new_text` in `target`: every
/// file parsed and validated, ids unique across files.
pub(crate) fn validate(
    dir: &Path,
    target: &Path,
    new_text: &str,
    id: &str,
    sched: &ScheduleConfig,
) -> Result<(), EditError> {
    let mut files = source_files(dir)?;
    if !files.iter().any(|f| f == target) {
        files.push(target.to_path_buf());
        files.sort();
    }
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in &files {
        let is_target = file == target;
        let owned;
        let text = if is_target {
            new_text
        } else {
            owned = std::fs::read_to_string(file).map_err(|e| EditError::io(file, e))?;
            &owned
        };
        let sources = match parse_sources(file, text, sched) {
            Ok(s) => s,
            Err(ConfigError::Invalid {
                path,
                line,
                message,
            }) => {
                return Err(if is_target {
                    map_error(text, id, line, message, &path)
                } else {
                    EditError::Invalid {
                        file: path,
                        line,
                        message: format!("{message} (another sources file: fix it first)"),
                    }
                })
            }
            Err(e) => {
                return Err(EditError::Invalid {
                    file: file.display().to_string(),
                    line: None,
                    message: e.to_string(),
                })
            }
        };
        for s in sources {
            if let Some(prev) = seen.get(s.id()) {
                let message = format!(
                    "source id `{}` is already defined in {}: ids must be unique across sources files",
                    s.id(),
                    if is_target { prev } else { file }.display()
                );
                return Err(if s.id() == id {
                    EditError::Field {
                        field: "id".into(),
                        message,
                    }
                } else {
                    EditError::Invalid {
                        file: file.display().to_string(),
                        line: None,
                        message,
                    }
                });
            }
            seen.insert(s.id().to_string(), file.clone());
        }
    }
    Ok(())
}

/// Every field name, as `EditError::Field` gives it.
pub fn field_names() -> Vec<String> {
    FIELDS.iter().map(|f| f.name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# head\n[[source]]\nid = \"a\"\nnotes = \"\"\"\nid = \"b\"\n\"\"\"\n[source.extract]\nitem = \"li\"\n\n[[source]]\nid = \"b\"\nname = \"B\"\n";

    #[test]
    fn a_block_runs_from_its_header_to_the_next_and_knows_its_key_lines() {
        let a = block_of(TEXT, "a").unwrap();
        assert!(TEXT[a.range.clone()].starts_with("[[source]]\nid = \"a\""));
        assert!(TEXT[a.range.clone()].ends_with("item = \"li\"\n\n"));
        assert_eq!(a.key_lines.get(&3).map(String::as_str), Some("id"));
        assert_eq!(a.key_lines.get(&4).map(String::as_str), Some("notes"));
        assert_eq!(
            a.key_lines.get(&5),
            None,
            "a line inside a string is no key"
        );
        assert_eq!(
            a.key_lines.get(&8).map(String::as_str),
            Some("extract.item")
        );
        let b = block_of(TEXT, "b").unwrap();
        assert_eq!(&TEXT[b.range], "[[source]]\nid = \"b\"\nname = \"B\"\n");
    }

    #[test]
    fn messages_name_fields() {
        assert_eq!(
            field_in_message("missing field `url`").as_deref(),
            Some("url")
        );
        assert_eq!(
            field_in_message("source `x`: `wait_for` needs `render = \"browser\"`").as_deref(),
            Some("wait_for")
        );
        assert_eq!(
            field_in_message("`item` CSS selector `li[` is invalid").as_deref(),
            Some("extract.item")
        );
    }
}
