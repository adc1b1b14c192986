//! `regwatch clients`: clients with their open cases and the changes
//! hitting them; one client, most urgent first; `clients notice NAME`, the
//! draft notice (Markdown, or HTML with `--format html`), printed, written
//! to a file, or saved as the client's with who and when. And `review ID
//! --case CASE --state …`: a per-case disposition.

use super::args::{ClientsArgs, ClientsCmd};
use super::failure::{usage, Failure};
use super::output::{print_json, print_rows, Format};
use crate::app::App;
use crate::services;
use crate::services::clients::ClientView;
use std::path::Path;

fn who(by: Option<&str>) -> String {
    by.map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_default()
}

/// `clients`, `clients NAME`, `clients notice NAME`.
pub async fn run(
    app: &App,
    a: &ClientsArgs,
    asked: Option<Format>,
    fmt: Format,
) -> Result<u8, Failure> {
    match (&a.cmd, &a.name) {
        (
            Some(ClientsCmd::Notice {
                name,
                since,
                output,
                saved,
                save,
                by,
            }),
            _,
        ) => {
            notice(
                app,
                name,
                since.as_deref(),
                output.as_deref(),
                *saved,
                save.as_deref(),
                by.as_deref(),
                asked,
            )
            .await
        }
        (None, Some(name)) => one(app, name, a.since.as_deref(), a.new, fmt).await,
        (None, None) => list(app, a.since.as_deref(), a.new, fmt).await,
    }
}

async fn list(app: &App, since: Option<&str>, new: bool, fmt: Format) -> Result<u8, Failure> {
    let clients = services::clients::list(app, since, new).await?;
    if fmt == Format::Json {
        print_json(&clients)?;
        return Ok(0);
    }
    if clients.is_empty() && fmt == Format::Table {
        println!("No open case names a client: import cases with a `client` column (regwatch cases import FILE).");
        return Ok(0);
    }
    let rows: Vec<serde_json::Value> = clients
        .iter()
        .map(|k| {
            serde_json::json!({
                "client": k.name, "open_cases": k.open_cases.len(), "cases_hit": k.cases_hit,
                "changes": k.changes, "high": k.high, "new": k.new, "url": k.url,
            })
        })
        .collect();
    print_rows(
        &rows,
        &[
            "client",
            "open_cases",
            "cases_hit",
            "changes",
            "high",
            "new",
            "url",
        ],
        fmt,
    )?;
    Ok(0)
}

async fn one(
    app: &App,
    name: &str,
    since: Option<&str>,
    new: bool,
    fmt: Format,
) -> Result<u8, Failure> {
    let v = services::clients::one(app, name, since, new).await?;
    match fmt {
        Format::Json => print_json(&v)?,
        Format::Csv => print_hits(&v, fmt)?,
        Format::Table | Format::Html => print_client(&v, new),
    }
    Ok(0)
}

/// One row per change and case it hits, for a spreadsheet.
fn print_hits(v: &ClientView, fmt: Format) -> Result<(), Failure> {
    let rows: Vec<serde_json::Value> = v
        .changes
        .iter()
        .flat_map(|c| {
            c.cases.iter().map(move |m| {
                serde_json::json!({
                    "change": c.id, "urgency": c.urgency.as_str(), "review": c.review.state,
                    "detected": c.detected_at.format("%Y-%m-%d %H:%M").to_string(),
                    "country": c.jurisdiction, "title": c.title,
                    "effective": c.effective_date.map(|d| d.to_string()),
                    "case": m.id, "strength": m.strength.as_str(), "reason": m.reason,
                    "disposition": m.disposition.state, "url": c.url,
                })
            })
        })
        .collect();
    print_rows(
        &rows,
        &[
            "change",
            "urgency",
            "review",
            "detected",
            "country",
            "title",
            "effective",
            "case",
            "strength",
            "reason",
            "disposition",
            "url",
        ],
        fmt,
    )?;
    Ok(())
}

/// The client's cases, then the changes hitting them with why, most urgent
/// first, and how to draft a notice.
fn print_client(v: &ClientView, new: bool) {
    println!(
        "{}: {} open case(s), {} change(s) since {}{}",
        v.name,
        v.cases.len(),
        v.changes.len(),
        v.since.format("%Y-%m-%d"),
        if new { " nobody reviewed yet" } else { "" }
    );
    for k in &v.cases {
        println!(
            "  case {}: {} → {} (HS {})",
            k.id,
            k.title,
            k.country,
            k.hs_codes
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if v.changes.is_empty() {
        println!("\nNo change hits these cases in the period.");
    } else {
        println!("\nMost urgent first:");
    }
    for c in &v.changes {
        println!(
            "  {:<6} {:<9} #{} [{}] {}{}",
            c.urgency.as_str().to_uppercase(),
            c.review.state,
            c.id,
            c.jurisdiction,
            c.title,
            c.effective_date
                .map(|d| format!(" (effective {d})"))
                .unwrap_or_default()
        );
        if !c.urgency_reasons.is_empty() {
            println!("      urgent: {}", c.urgency_reasons.join("; "));
        }
        for m in &c.cases {
            println!(
                "      case {} ({}, {}): {}",
                m.id,
                m.strength.as_str(),
                m.disposition.state,
                m.reason
            );
        }
        println!("      {}", c.url);
    }
    if let Some(n) = &v.notice {
        println!("\nLast notice saved by {} at {}.", n.by, n.at);
    }
    println!("Draft a notice: regwatch clients notice \"{}\"", v.name);
}

#[allow(clippy::too_many_arguments)]
async fn notice(
    app: &App,
    name: &str,
    since: Option<&str>,
    output: Option<&Path>,
    saved: bool,
    save: Option<&Path>,
    by: Option<&str>,
    asked: Option<Format>,
) -> Result<u8, Failure> {
    if let Some(file) = save {
        let text = std::fs::read_to_string(file).map_err(|e| {
            usage(format!(
                "cannot read the notice to save from {}: {e}",
                file.display()
            ))
        })?;
        let s = services::clients::save_notice(app, name, &text, &who(by)).await?;
        println!(
            "notice to {} saved by {} at {} ({} characters)",
            s.client,
            s.by,
            s.at,
            s.body.chars().count()
        );
        return Ok(0);
    }
    let (client, text) = if saved {
        match services::clients::saved_notice(app, name).await? {
            Some(s) => (s.client, s.body),
            None => {
                return Err(Failure::from(services::ServiceError::NotFound(format!(
                    "no notice to `{name}` was saved yet: print the draft (without --saved)"
                ))))
            }
        }
    } else {
        let n = services::clients::notice(app, name, since).await?;
        (n.client, n.markdown)
    };
    let out = match asked {
        Some(Format::Html) => {
            services::clients::markdown_to_html(&format!("Notice to {client}"), &text)
        }
        Some(Format::Json) => {
            serde_json::to_string_pretty(&serde_json::json!({"client": client, "markdown": text}))
                .map_err(anyhow::Error::from)?
        }
        Some(Format::Csv) => {
            return Err(usage(
                "a notice is Markdown (default) or HTML (--format html), not CSV",
            ))
        }
        _ => text,
    };
    match output {
        Some(path) => {
            std::fs::write(path, &out).map_err(|e| {
                Failure::from(anyhow::anyhow!("cannot write {}: {e}", path.display()))
            })?;
            eprintln!("notice to {client} written to {}", path.display());
        }
        None => print!("{out}"),
    }
    Ok(0)
}

/// `review ID --case CASE --state affects|not_affected|done|open`.
pub async fn dispose(
    app: &App,
    id: i64,
    case: &str,
    state: &str,
    note: Option<&str>,
    by: Option<&str>,
    fmt: Format,
) -> Result<u8, Failure> {
    let c = services::reviews::dispose(app, id, case, state, &who(by), note).await?;
    let m = c
        .cases
        .iter()
        .find(|m| m.id == case.trim())
        .ok_or_else(|| anyhow::anyhow!("case {case} vanished from change #{id}"))?;
    match fmt {
        Format::Json => print_json(m)?,
        _ => println!(
            "change #{id}, case {}: {} by {} at {}{}",
            m.id,
            m.disposition.state,
            m.disposition.by.as_deref().unwrap_or("-"),
            m.disposition.at.as_deref().unwrap_or("-"),
            m.disposition
                .note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ),
    }
    Ok(0)
}
