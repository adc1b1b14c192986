//! A TOML file as regwatch reads it: parsed with the span of every key and
//! value, so that an error names the file, the line and the key, says what
//! was written and what to write instead. Lines come from the parser's
//! spans only; nothing here searches the text for a key.

use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // The I/O error is part of the message, not a `source`: printed as a
    // chain it would be said twice.
    #[error("{path}: cannot read: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path}{line}: {message}", line = fmt_line(*.line))]
    Invalid {
        path: String,
        line: Option<usize>,
        message: String,
    },
    #[error("no configuration found (looked at {tried}): run `regwatch init` to write one, or pass --config PATH")]
    NotFound { tried: String },
}

fn fmt_line(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

impl ConfigError {
    pub(crate) fn invalid(
        path: &Path,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: path.display().to_string(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn read(path: &Path, error: std::io::Error) -> ConfigError {
        ConfigError::Read {
            path: path.display().to_string(),
            error,
        }
    }
}

/// The text of a TOML file, or of a piece of one, with the file's path:
/// what turns the parser's spans into line numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TomlText<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    /// The line of the file on which `text` starts (1 for a whole file).
    first_line: usize,
}

impl<'a> TomlText<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> TomlText<'a> {
        TomlText::piece(path, text, 1)
    }

    /// A piece of a file that starts on `first_line`.
    pub fn piece(path: &'a Path, text: &'a str, first_line: usize) -> TomlText<'a> {
        TomlText {
            path,
            text,
            first_line,
        }
    }

    /// The line (1-based, in the whole file) where `span` starts.
    pub fn line(&self, span: &Range<usize>) -> usize {
        let start = span.start.min(self.text.len());
        self.first_line
            + self.text.as_bytes()[..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
    }

    /// An error at `span` (at no line when there is none).
    pub fn invalid(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ConfigError {
        ConfigError::invalid(self.path, span.map(|s| self.line(&s)), message)
    }

    pub fn parse(&self) -> Result<Spanned<DeTable<'a>>, ConfigError> {
        DeTable::parse(self.text).map_err(|e| {
            let mut msg = e.message().trim().replace('\n', " ");
            if let (true, Some(at)) = (msg.starts_with("duplicate key"), e.span()) {
                // "duplicate key" alone does not say which: name it, and where it was first.
                msg = self.defined_twice(at);
            }
            self.invalid(e.span(), msg)
        })
    }

    /// What a "duplicate key" at `at` is, and the line of its first definition.
    fn defined_twice(&self, at: Range<usize>) -> String {
        let line_start = self.text[..at.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[at.start..]
            .find('\n')
            .map_or(self.text.len(), |i| at.start + i);
        let written = self.text[line_start..line_end].trim();
        let key = self.text[at.clone()].trim_matches(|c| c == '"' || c == '\'');
        let name = if written.starts_with('[') {
            written
        } else {
            key
        };
        // The text before the repeated line parses (the repeat was the first
        // error); its last key of that name is the first definition.
        let first = DeTable::parse(&self.text[..line_start])
            .ok()
            .and_then(|before| last_key_named(before.get_ref(), key))
            .map(|span| self.line(&span));
        match first {
            Some(f) if f != self.line(&at) => {
                format!("`{name}` is defined twice (first on line {f}): merge the two into one")
            }
            _ => format!("`{name}` is defined twice: keep one"),
        }
    }

    /// The line of the key at `path` (table keys; array items by their
    /// index, written as a number), when the text has it.
    pub fn line_of(&self, path: &[&str]) -> Option<usize> {
        let doc = DeTable::parse(self.text).ok()?;
        let span = find_in_table(doc.get_ref(), path)?;
        Some(self.line(&span))
    }

    /// A deserialization error as a person reads it: the line, the key as
    /// written (`[fetch].timeout = "30 seconds"`), what is wrong and how to
    /// fix it.
    pub fn de_error(&self, e: &toml::de::Error) -> ConfigError {
        let msg = e.message().trim().replace('\n', " ");
        let Some(span) = e.span() else {
            return self.invalid(None, msg);
        };
        let at = DeTable::parse(self.text)
            .ok()
            .and_then(|doc| key_at(doc.get_ref(), span.start));
        let hint = if msg.starts_with("unknown field") {
            " (check the spelling: every key is shown, commented, in config/regwatch.toml as `regwatch init` writes it, and in docs/sources.md)"
        } else {
            ""
        };
        let message = match at {
            Some((path, value)) if path.len() >= 2 && hint.is_empty() => {
                let written = value.map(|v| self.text[v].trim().to_string());
                let key = path.last().map(String::as_str).unwrap_or_default();
                let fix = if msg.starts_with("invalid type: string") && msg.contains("expected u") {
                    let n = written.as_deref().unwrap_or("\"1\"").trim_matches('"');
                    format!("; write a number without quotes, e.g. `{key} = {n}`")
                } else {
                    String::new()
                };
                let shown = display_path(&path);
                match written {
                    Some(w) => format!("{shown} = {w}: {msg}{fix}"),
                    None => format!("{shown}: {msg}{fix}"),
                }
            }
            _ => format!("{msg}{hint}"),
        };
        self.invalid(Some(span), message)
    }
}

/// The table and key a path names, as a person reads it: `[fetch].timeout`.
fn display_path(path: &[String]) -> String {
    match path.split_last() {
        Some((key, tables)) if !tables.is_empty() => format!("[{}].{key}", tables.join(".")),
        Some((key, _)) => format!("`{key}`"),
        None => String::new(),
    }
}

/// The key path holding byte `pos` (in a key or a value), deepest first,
/// with the span of the value as written when it is not a table.
fn key_at(t: &DeTable<'_>, pos: usize) -> Option<(Vec<String>, Option<Range<usize>>)> {
    for (k, v) in t.iter() {
        if k.span().contains(&pos) {
            let value = (!matches!(v.get_ref(), DeValue::Table(_))).then(|| v.span());
            return Some((vec![k.get_ref().to_string()], value));
        }
        let inner = match v.get_ref() {
            DeValue::Table(t) => key_at(t, pos),
            DeValue::Array(a) => a.iter().find_map(|item| match item.get_ref() {
                DeValue::Table(t) => key_at(t, pos),
                _ => None,
            }),
            _ => None,
        };
        if let Some((mut path, value)) = inner {
            path.insert(0, k.get_ref().to_string());
            return Some((path, value));
        }
        if v.span().contains(&pos) {
            let value = (!matches!(v.get_ref(), DeValue::Table(_))).then(|| v.span());
            return Some((vec![k.get_ref().to_string()], value));
        }
    }
    None
}

/// The span of the last key called `name`, anywhere in `t`.
fn last_key_named(t: &DeTable<'_>, name: &str) -> Option<Range<usize>> {
    let mut last: Option<Range<usize>> = None;
    let mut keep = |s: Range<usize>| {
        if last.as_ref().is_none_or(|l| s.start > l.start) {
            last = Some(s);
        }
    };
    for (k, v) in t.iter() {
        if k.get_ref() == name {
            keep(k.span());
        }
        let tables: Vec<&DeTable<'_>> = match v.get_ref() {
            DeValue::Table(t) => vec![t],
            DeValue::Array(a) => a
                .iter()
                .filter_map(|i| match i.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        };
        for inner in tables {
            if let Some(s) = last_key_named(inner, name) {
                keep(s);
            }
        }
    }
    last
}

fn find_in_table(t: &DeTable<'_>, path: &[&str]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let (k, v) = t.get_key_value(*first)?;
    if rest.is_empty() {
        return Some(k.span());
    }
    find_in_value(v, rest)
}

fn find_in_value(v: &Spanned<DeValue<'_>>, path: &[&str]) -> Option<Range<usize>> {
    match v.get_ref() {
        DeValue::Table(t) => find_in_table(t, path),
        DeValue::Array(a) => {
            let (first, rest) = path.split_first()?;
            let item = a.get(first.parse::<usize>().ok()?)?;
            if rest.is_empty() {
                return Some(item.span());
            }
            find_in_value(item, rest)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_from_spans_in_whole_files_and_pieces() {
        let text = "a = 1\n[fetch]\ntimeout = 3\n[[channel]]\nname = 'x'\n";
        let f = TomlText::new(Path::new("c.toml"), text);
        assert_eq!(f.line_of(&["fetch", "timeout"]), Some(3));
        assert_eq!(f.line_of(&["channel", "0", "name"]), Some(5));
        assert_eq!(f.line_of(&["channel", "1", "name"]), None);
        assert_eq!(f.line_of(&["server"]), None);
        let piece = TomlText::piece(Path::new("s.toml"), "[[source]]\nid = 'b'\n", 40);
        assert_eq!(piece.line_of(&["source", "0", "id"]), Some(41));
    }

    #[test]
    fn a_repeated_key_or_table_names_its_first_line() {
        let e = |t: &str| {
            TomlText::new(Path::new("c.toml"), t)
                .parse()
                .unwrap_err()
                .to_string()
        };
        let t = e("[fetch]\nretries = 1\n[server]\n[fetch]\n");
        assert!(
            t.starts_with("c.toml:4:")
                && t.contains("`[fetch]` is defined twice (first on line 1)"),
            "{t}"
        );
        let t = e("[fetch]\nretries = 1\nretries = 2\n");
        assert!(
            t.starts_with("c.toml:3:")
                && t.contains("`retries` is defined twice (first on line 2)"),
            "{t}"
        );
    }
}
