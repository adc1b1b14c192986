//! The one place where answers take their format: a table for people, JSON
//! for programs, CSV for spreadsheets. A command builds its rows (JSON
//! objects) and names its columns; how a cell, a column width or a CSV
//! record is written is decided here and nowhere else.

use super::failure::Failure;
use clap::ValueEnum;
use serde::Serialize;
use serde_json::Value;
use std::io::{IsTerminal, Write};
use unicode_width::UnicodeWidthStr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// Only for `clients notice` (a notice as an HTML document).
    Html,
}

impl Format {
    /// The format asked for, else a table on a terminal and JSON otherwise.
    pub fn resolve(asked: Option<Format>) -> Format {
        asked.unwrap_or(if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        })
    }
}

/// `rows` under `cols`, in `fmt`.
pub fn print_rows(rows: &[Value], cols: &[&str], fmt: Format) -> Result<(), Failure> {
    match fmt {
        Format::Json => print_json(rows)?,
        Format::Csv => print_csv(rows, cols),
        Format::Table | Format::Html => print_table(rows, cols),
    }
    Ok(())
}

/// `v` as pretty JSON, the answer to `--format json`.
pub fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(v).map_err(anyhow::Error::from)?;
    println!("{text}");
    Ok(())
}

/// `v` as one line of JSON (`poll`'s summary, `classify --text`).
pub fn print_json_line(v: &Value) {
    println!("{v}");
}

/// JSON lines streamed to stdout as they are made (`classify` reading
/// stdin), a closed pipe ignored.
pub struct JsonLines(std::io::StdoutLock<'static>);

impl JsonLines {
    pub fn stdout() -> JsonLines {
        JsonLines(std::io::stdout().lock())
    }

    pub fn write(&mut self, v: &Value) {
        let _ = writeln!(self.0, "{v}");
    }
}

/// Every CSV answer of the CLI goes through here: a header of `cols`, then a
/// record per row. Text cells are made spreadsheet-safe like the API's
/// (one starting with = + - @ tab or CR gets a leading `'`), since polled
/// titles and case cells are untrusted and a CSV is opened in a spreadsheet.
pub fn print_csv(rows: &[Value], cols: &[&str]) {
    let mut w = csv::Writer::from_writer(std::io::stdout());
    let _ = w.write_record(cols);
    for r in rows {
        let _ = w.write_record(cols.iter().map(|c| match &r[*c] {
            Value::Number(n) => n.to_string(),
            v => crate::services::cases::spreadsheet_safe(&cell(v)),
        }));
    }
    let _ = w.flush();
}

/// Columns padded to their widest cell (by display width, so CJK and
/// diacritics line up), cells on one line and cut at 60 characters, the
/// header in capitals.
fn print_table(rows: &[Value], cols: &[&str]) {
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| crate::util::truncate(&cell(&r[*c]).replace('\n', " "), 60))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = cols.iter().map(|c| c.width()).collect();
    for r in &table {
        for (i, v) in r.iter().enumerate() {
            widths[i] = widths[i].max(v.width());
        }
    }
    let line = |vals: Vec<String>| {
        vals.iter()
            .enumerate()
            .map(|(i, v)| format!("{v}{}", " ".repeat(widths[i].saturating_sub(v.width()))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(cols.iter().map(|c| c.to_uppercase()).collect()));
    for r in table {
        println!("{}", line(r));
    }
}

/// A cell's text: nothing for null, a string as it is, a list joined by `;`.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}
