//! `regwatch cases`: import the case system's export, list, close.

use super::failure::{usage, Failure};
use super::output::{print_rows, Format};
use crate::app::App;
use crate::services::{self, ServiceError};
use std::path::Path;

/// `cases import FILE`: CSV or JSON, UTF-8 only; 1 when a row was bad.
pub async fn import(app: &App, file: &Path, close_missing: bool) -> Result<u8, Failure> {
    let bytes =
        std::fs::read(file).map_err(|e| usage(format!("{}: cannot read: {e}", file.display())))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let col = at - before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        usage(format!(
            "{}:{line}: column {col}: not UTF-8 text (byte 0x{:02X}): save the export as UTF-8 (in Excel: \"CSV UTF-8\"; in LibreOffice: character set Unicode (UTF-8)) and import again",
            file.display(),
            e.as_bytes()[at]
        ))
    })?;
    let is_json =
        file.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('[');
    let r = services::cases::import(app, &text, is_json, close_missing)
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(m) => usage(format!("{}: {m}", file.display())),
            e => e.into(),
        })?;
    if r.close_refused {
        eprintln!(
            "{}: --close-missing skipped: with bad rows regwatch cannot tell a case missing from the export from one it could not read; fix the rows and import again",
            file.display()
        );
    }
    for b in &r.bad {
        eprintln!("{}: {}: {} (row skipped)", file.display(), b.row, b.reason);
    }
    println!(
        "{} case(s) read, {} new or updated, {} unchanged, {} bad row(s), {} closed, {} match(es) with recent changes",
        r.read,
        r.updated.len(),
        r.read - r.updated.len(),
        r.bad.len(),
        r.closed,
        r.matched
    );
    Ok(if r.bad.is_empty() { 0 } else { 1 })
}

/// `cases list`: the open cases, or every case with `all`.
pub async fn list(app: &App, all: bool, fmt: Format) -> Result<u8, Failure> {
    let cases = services::cases::list(app, all).await?;
    let rows: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or_default())
        .collect();
    print_rows(&rows, &services::cases::CASE_COLUMNS, fmt)?;
    Ok(0)
}

/// `cases close ID`
pub async fn close(app: &App, id: &str) -> Result<u8, Failure> {
    services::cases::close(app, id).await?;
    println!("case {id} closed");
    Ok(0)
}
