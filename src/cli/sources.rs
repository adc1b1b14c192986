//! `regwatch sources`: list with health, check the files, test one source.

use super::failure::{usage, Failure};
use super::output::{print_csv, print_json, print_rows, Format};
use super::setup::{self, Offline};
use crate::app::{App, Sources};
use crate::clock::Clock;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::model::Content;
use crate::services;
use chrono::{DateTime, Utc};

/// `sources list`: schedule, last and next poll, health. The last error is
/// shortened by meaning (its kind first); what needs doing (a source that
/// moved, a site that asked us to wait, a failing source) is said under the
/// table in full, never cut.
pub async fn list(app: &App, fmt: Format) -> Result<u8, Failure> {
    let minute = |t: Option<DateTime<Utc>>| t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    let mut rows = vec![];
    let listed = services::sources::rows(app).await?;
    // After the rows: a never-polled source's next poll is their "now".
    let now = app.now();
    for r in &listed {
        let health = if r.consecutive_failures > 0 {
            format!("{} ({} failures)", r.health.label(), r.consecutive_failures)
        } else {
            r.health.label().to_string()
        };
        let next_poll = match r.next_poll {
            Some(t) if t <= now => Some("due now".to_string()),
            t => minute(t),
        };
        rows.push(serde_json::json!({
            "id": r.id, "jurisdiction": r.jurisdiction, "kind": r.kind,
            "schedule": format!("{} {}", r.schedule, r.timezone),
            "enabled": r.enabled,
            "last_poll": minute(r.last_poll),
            "last_success": minute(r.last_success),
            "next_poll": next_poll,
            "health": health,
            "last_error": if fmt == Format::Table { r.short_error.clone() } else { r.last_error.clone() },
            "short_error": r.short_error,
            "error_kind": r.error_kind,
            "note": r.note,
            "advice": r.advice,
            "moved_to": r.moved_to,
            "rate_limited_until": minute(r.rate_limited_until),
        }));
    }
    print_rows(
        &rows,
        &[
            "id",
            "jurisdiction",
            "kind",
            "schedule",
            "last_poll",
            "next_poll",
            "health",
            "last_error",
        ],
        fmt,
    )?;
    if fmt == Format::Table {
        print_to_do(&listed);
    }
    Ok(0)
}

/// Under the table: each source that needs something, bad news first, with
/// its note or error and what to do, whole.
fn print_to_do(rows: &[services::sources::SourceRow]) {
    let mut todo: Vec<&services::sources::SourceRow> = rows
        .iter()
        .filter(|r| r.enabled && (r.note.is_some() || r.short_error.is_some()))
        .collect();
    todo.sort_by_key(|r| r.rank());
    if todo.is_empty() {
        return;
    }
    println!();
    for r in todo {
        let what = r.note.as_deref().or(r.short_error.as_deref()).unwrap_or("");
        println!("{}: {what}", r.id);
        if let Some(a) = &r.advice {
            println!("  {a}");
        }
    }
}

/// `sources check`: validate every source and config file without
/// fetching; warn about what works but should be fixed.
pub fn check(offline: &Offline) -> Result<u8, Failure> {
    let Offline {
        config: cfg,
        sources,
    } = offline;
    let tax = cfg.taxonomy_file();
    if !tax.exists() {
        eprintln!(
            "warning: {} not found: the built-in taxonomy is used",
            tax.display()
        );
    }
    let cats = setup::tagger(cfg)?.taxonomy.category_names();
    check_categories(cfg, sources, &cats)?;
    warn_config(cfg);
    let mut by: std::collections::BTreeMap<String, usize> = Default::default();
    for s in sources.all() {
        *by.entry(s.def.jurisdiction.to_string()).or_default() += 1;
    }
    let per: Vec<String> = by.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "ok: {} and {} source(s) in {} ({} enabled; {}), taxonomy with {} categories, {} channel(s)",
        cfg.path.display(),
        sources.len(),
        cfg.sources.dir.display(),
        sources.enabled().count(),
        per.join(", "),
        cats.len(),
        cfg.channels.len()
    );
    Ok(0)
}

/// Every category a source or a channel's filter names is in the taxonomy.
fn check_categories(cfg: &Config, sources: &Sources, cats: &[String]) -> Result<(), Failure> {
    for s in sources.all() {
        for c in &s.def.categories {
            if !cats.contains(&c.to_lowercase()) {
                return Err(usage(format!(
                    "{}: source `{}`: category `{c}` is not in the taxonomy ({})",
                    s.file.display(),
                    s.id(),
                    cats.join(", ")
                )));
            }
        }
    }
    for ch in &cfg.channels {
        for c in &ch.filter.categories {
            if !cats.contains(&c.to_lowercase()) {
                return Err(usage(format!(
                    "{}: channel `{}`: filter category `{c}` is not in the taxonomy",
                    cfg.path.display(),
                    ch.name
                )));
            }
        }
    }
    Ok(())
}

/// What a secret without a value breaks, by its key: a user's sign-in, the
/// API's writes, or a channel's sends.
fn what_needs(key: &str) -> &'static str {
    if key.starts_with("user") {
        "that user's sign-in (web and bearer token)"
    } else if key.starts_with("server.") {
        "what uses the server token (API writes)"
    } else if key.starts_with("channel") {
        "that channel's sends"
    } else {
        "what needs it"
    }
}

/// Warnings about a config that loads but should be fixed: an example
/// user agent, secrets without a value or written in the file.
fn warn_config(cfg: &Config) {
    if cfg.fetch.user_agent.contains("compliance@example.com") {
        eprintln!(
            "warning: {}: [fetch].user_agent still names compliance@example.com: say who you are (a team address), as authorities block anonymous or fake robots",
            cfg.path.display()
        );
    }
    for (key, why) in &cfg.unresolved {
        eprintln!(
            "warning: {}: `{key}` has no value ({why}): {} fails until it is set",
            cfg.path.display(),
            what_needs(key)
        );
    }
    for key in &cfg.plain_secrets {
        eprintln!(
            "warning: {}: `{key}` is a secret written in the file: prefer `{key}_env` (an environment variable) or `{key}_file` (a systemd credential)",
            cfg.path.display()
        );
    }
}

/// `sources test ID`: fetch one source and print what would be extracted,
/// storing nothing.
pub async fn test(offline: &Offline, id: &str, fmt: Format) -> Result<u8, Failure> {
    let cfg = &offline.config;
    let src = setup::source(&offline.sources, id)?;
    let fetcher = Fetcher::new(&cfg.fetch)?;
    let content = crate::poll::test_source(&fetcher, src, Clock::from_env().now())
        .await
        .map_err(|e| Failure {
            code: 1,
            error: anyhow::anyhow!(
                "source `{id}` ({}): {e:#}",
                crate::util::redact(&src.def.url)
            ),
        })?;
    if src.def.render.is_some() && fmt == Format::Table {
        println!(
            "rendered in the browser ([fetch].browser = \"{}\"), the DOM after its scripts ran:",
            cfg.fetch.browser
        );
    }
    print_content(&content, fmt)?;
    Ok(0)
}

/// What a source yields: its items, or its block of text.
fn print_content(c: &Content, fmt: Format) -> Result<(), Failure> {
    match fmt {
        Format::Json => print_json(c)?,
        Format::Csv => {
            let rows: Vec<serde_json::Value> = match c {
                Content::Items { items } => items
                    .iter()
                    .map(|it| serde_json::json!({"key": it.key, "title": it.title, "link": it.link, "text": it.text}))
                    .collect(),
                Content::Text { text } => vec![serde_json::json!({"text": text})],
            };
            print_csv(&rows, &["key", "title", "link", "text"]);
        }
        Format::Table | Format::Html => print_content_text(c),
    }
    Ok(())
}

fn print_content_text(c: &Content) {
    match c {
        Content::Items { items } => {
            println!("{} item(s):", items.len());
            for (i, it) in items.iter().enumerate() {
                println!("{:>3}. {}", i + 1, it.title);
                if let Some(l) = &it.link {
                    println!("     link: {l}");
                }
                let text = crate::util::truncate(&it.text.replace('\n', " / "), 200);
                if !text.is_empty() && text != it.title {
                    println!("     text: {text}");
                }
                println!("     key:  {}", it.key);
            }
        }
        Content::Text { text } => {
            println!(
                "text block ({} characters):\n{}",
                text.chars().count(),
                text
            );
        }
    }
}
