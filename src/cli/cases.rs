//! `regwatch cases`: import the case system's export, list, export, close.

use super::failure::{usage, Failure};
use super::output::{print_rows, Format};
use crate::app::App;
use crate::services::cases::{spreadsheet_safe, Progress, CASE_COLUMNS};
use crate::services::{self, ServiceError};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A reader's message as `FILE:LINE: …` when it names a line.
fn at_file(file: &Path, m: &str) -> String {
    if let Some(rest) = m.strip_prefix("line ") {
        if let Some((n, msg)) = rest.split_once(": ") {
            if n.chars().all(|c| c.is_ascii_digit()) {
                return format!("{}:{n}: {msg}", file.display());
            }
        }
    }
    format!("{}: {m}", file.display())
}

/// `cases import FILE`: CSV or JSON, UTF-8, streamed in one transaction;
/// 1 when a row was bad.
pub async fn import(app: &App, file: &Path, close_missing: bool) -> Result<u8, Failure> {
    let f = std::fs::File::open(file)
        .map_err(|e| usage(format!("{}: cannot read: {e}", file.display())))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let cap = app.config.cases.max_file_bytes;
    if size > cap {
        return Err(usage(format!(
            "{}: {size} bytes, more than [cases].max_file_bytes = {cap}: split the file, or raise the cap in the configuration (nothing imported)",
            file.display()
        )));
    }
    let is_json = file.extension().is_some_and(|e| e == "json");
    // Progress on a terminal only, at most twice a second.
    let tty = std::io::stderr().is_terminal();
    let last = Mutex::new(Instant::now());
    let shown = file.display().to_string();
    let progress = move |p: Progress| {
        if !tty {
            return;
        }
        let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
        if l.elapsed() < Duration::from_millis(500) {
            return;
        }
        *l = Instant::now();
        let pct = (p.bytes * 100)
            .checked_div(size)
            .map(|n| format!(" ({n}%)"))
            .unwrap_or_default();
        eprint!(
            "\r{shown}: {} row(s), {} of {} MB{pct}   ",
            p.rows,
            p.bytes / 1_000_000,
            size / 1_000_000
        );
        let _ = std::io::stderr().flush();
    };
    let r = services::cases::import_from(
        app,
        std::io::BufReader::with_capacity(256 * 1024, f),
        is_json,
        close_missing,
        &progress,
    )
    .await;
    if tty {
        eprint!("\r\x1b[K");
    }
    let r = r.map_err(|e| match e {
        ServiceError::Invalid(m) => usage(format!("{} (nothing imported)", at_file(file, &m))),
        e => e.into(),
    })?;
    if !r.ignored_columns.is_empty() {
        eprintln!(
            "{}: column(s) {} ignored: regwatch reads {}",
            file.display(),
            r.ignored_columns
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            CASE_COLUMNS.join(",")
        );
    }
    if r.close_refused {
        eprintln!(
            "{}: --close-missing skipped: with bad rows regwatch cannot tell a case missing from the export from one it could not read; fix the rows and import again",
            file.display()
        );
    }
    for b in &r.bad {
        eprintln!(
            "{} (row skipped)",
            at_file(file, &format!("{}: {}", b.row, b.reason))
        );
    }
    if r.bad_total > r.bad.len() as u64 {
        eprintln!(
            "{}: … and {} more bad row(s)",
            file.display(),
            r.bad_total - r.bad.len() as u64
        );
    }
    println!(
        "{} case(s) read, {} new or updated, {} unchanged, {} bad row(s), {} closed, {} match(es) with recent changes",
        r.rows,
        r.updated,
        r.read - r.updated,
        r.bad_total,
        r.closed,
        r.matched
    );
    Ok(if r.bad_total == 0 { 0 } else { 1 })
}

/// `cases list`: the open cases, or every case with `all`.
pub async fn list(app: &App, all: bool, fmt: Format) -> Result<u8, Failure> {
    let cases = services::cases::list(app, all).await?;
    let rows: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or_default())
        .collect();
    print_rows(&rows, &CASE_COLUMNS, fmt)?;
    Ok(0)
}

/// `cases export`: every case, as `cases import` reads it back, each cell
/// formula-safe.
pub async fn export(app: &App, output: Option<&Path>) -> Result<u8, Failure> {
    let cases = services::cases::list(app, true).await?;
    let out: Box<dyn Write> = match output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| usage(format!("{}: cannot write: {e}", p.display())))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| Failure::from(anyhow::anyhow!("cannot write the export: {e}"));
    w.write_record(CASE_COLUMNS).map_err(io)?;
    for c in &cases {
        let list = |v: Vec<String>| spreadsheet_safe(&v.join(";"));
        w.write_record([
            spreadsheet_safe(&c.id),
            spreadsheet_safe(&c.client),
            spreadsheet_safe(&c.title),
            c.country.clone(),
            list(c.hs_codes.iter().map(|h| h.as_str().to_string()).collect()),
            list(c.categories.clone()),
            list(c.keywords.clone()),
            c.status.clone(),
            spreadsheet_safe(c.link.as_deref().unwrap_or("")),
            c.origin.clone().unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    w.flush()
        .map_err(|e| Failure::from(anyhow::anyhow!("cannot write the export: {e}")))?;
    if let Some(p) = output {
        eprintln!("{} case(s) written to {}", cases.len(), p.display());
    }
    Ok(0)
}

/// `cases close ID`
pub async fn close(app: &App, id: &str) -> Result<u8, Failure> {
    services::cases::close(app, id).await?;
    println!("case {id} closed");
    Ok(0)
}
