//! `regwatch poll`: poll now, with a progress bar on a terminal, hand the
//! alerts to the outbox, and say what each source did.

use super::failure::{usage, Failure};
use super::logging::set_progress;
use super::notify::hand_to_outbox;
use super::output::{print_csv, print_json_line, Format};
use super::setup;
use crate::app::App;
use crate::config::Source;
use crate::model::PollStatus;
use crate::poll::{self, PollSummary};
use serde_json::Value;
use std::io::IsTerminal;

const COLUMNS: [&str; 5] = ["source", "outcome", "changes", "detail", "elapsed_ms"];

/// Poll the sources named by `ids` (every enabled one when none is) and
/// record their changes; 1 when every poll failed. The summary is for
/// people unless a format is `asked` for.
pub async fn poll(app: &App, ids: &[String], asked: Option<Format>) -> Result<u8, Failure> {
    let chosen = choose(app, ids)?;
    let results = poll_with_progress(app, chosen).await;
    hand_to_outbox(app).await;
    let rows: Vec<Value> = results.iter().map(row).collect();
    let polled = results.len();
    let ok = results
        .iter()
        .filter(|r| !matches!(r.status, PollStatus::Failed(_)))
        .count();
    let changes: usize = results.iter().map(|r| r.change_ids.len()).sum();
    match asked {
        Some(Format::Json) => print_json_line(&serde_json::json!({"sources": rows,
            "polled": polled, "ok": ok, "failed": polled - ok, "changes": changes})),
        Some(Format::Csv) => print_csv(&rows, &COLUMNS),
        _ => {
            for r in &rows {
                println!(
                    "{:<32} {:<13} {}",
                    r["source"].as_str().unwrap_or(""),
                    r["outcome"].as_str().unwrap_or(""),
                    r["detail"].as_str().unwrap_or("")
                );
            }
            println!(
                "polled {polled} source(s): {ok} ok, {} failed, {changes} change(s) recorded",
                polled - ok
            );
        }
    }
    Ok(if ok == 0 { 1 } else { 0 })
}

/// The sources to poll: those named, else every enabled one.
fn choose(app: &App, ids: &[String]) -> Result<Vec<Source>, Failure> {
    let chosen: Vec<Source> = if ids.is_empty() {
        app.sources.enabled().cloned().collect()
    } else {
        ids.iter()
            .map(|id| setup::source(&app.sources, id).cloned())
            .collect::<Result<_, _>>()?
    };
    if chosen.is_empty() {
        return Err(usage(format!(
            "no enabled source in {}: add one (see `regwatch init`)",
            app.config.sources.dir.display()
        )));
    }
    Ok(chosen)
}

/// Poll `chosen`, showing a progress bar while stderr is a terminal.
async fn poll_with_progress(app: &App, chosen: Vec<Source>) -> Vec<PollSummary> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(chosen.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("  polling {pos}/{len} {wide_bar} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        set_progress(Some(b.clone()));
        b
    });
    let results = poll::poll_many(app, chosen, |done, _| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    })
    .await;
    if let Some(b) = bar {
        b.finish_and_clear();
        set_progress(None);
    }
    results
}

/// One source's line: its outcome and what it means.
fn row(r: &PollSummary) -> Value {
    let detail = match &r.status {
        PollStatus::Baseline => "first snapshot stored (no changes reported)".to_string(),
        PollStatus::Changed(n) => format!(
            "{n} change(s): {}",
            r.change_ids
                .iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        PollStatus::Unchanged => String::new(),
        PollStatus::NotModified => "304".to_string(),
        PollStatus::Failed(e) => e.clone(),
        PollStatus::Suspect(w) => w.clone(),
        PollStatus::Deferred(why) => why.clone(),
    };
    // What the source's health asks of a person (moved, rate limited), said
    // on its line until it is done.
    let said = |n: &str| {
        detail.contains(n) || (n.starts_with("rate limited") && detail.contains("rate limited"))
    };
    let detail = match r.note.as_deref() {
        Some(n) if said(n) => detail,
        Some(n) if detail.is_empty() => n.to_string(),
        Some(n) => format!("{detail}; {n}"),
        None => detail,
    };
    serde_json::json!({
        "source": r.source, "outcome": r.status.name(), "changes": r.change_ids,
        "detail": detail, "elapsed_ms": r.elapsed_ms, "note": r.note,
    })
}
