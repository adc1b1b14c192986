//! The change log from the command line: `changes` (the list), `show` (one
//! change in full) and `check` (the pre-quote check).

use super::args::ChangesArgs;
use super::failure::Failure;
use super::output::{print_csv, print_json, print_rows, Format};
use crate::app::App;
use crate::model::Change;
use crate::services;
use crate::services::changes::ChangeQuery;
use crate::services::check::{CheckQuery, CheckReport};
use crate::services::sources::Coverage;
use chrono::{DateTime, Utc};

/// `changes`: the log, with the filters the web list and the API take.
pub async fn list(app: &App, a: &ChangesArgs, fmt: Format) -> Result<u8, Failure> {
    let q = ChangeQuery {
        since: a.since.clone(),
        country: a.country.clone(),
        category: a.category.clone(),
        // As the API's `hs=` takes it: `8517,62` is 8517.62, never 8517
        // and chapter 62 (see `HsCode::parse_list`).
        hs: a.hs.iter().cloned().collect(),
        source: a.source.clone(),
        case_id: a.case_id.clone(),
        query: a.query.clone(),
        limit: Some(a.limit),
        cursor: None,
        new_only: a.new,
    };
    let changes = services::changes::list_checked(app, &q.checked(app)?).await?;
    if changes.is_empty() {
        // Never a bare header: say why nothing is listed (on stderr when
        // the output is for a program).
        let why = why_empty(app).await?;
        if fmt == Format::Table {
            println!("{why}");
            return Ok(0);
        }
        eprintln!("{why}");
    }
    print_changes(&changes, fmt)?;
    Ok(0)
}

/// Why the change log shows nothing: no source configured, every source
/// failing, only baselines so far, or filters that match nothing.
async fn why_empty(app: &App) -> Result<String, Failure> {
    let total = app.store.count_changes().await?;
    let cov = services::sources::coverage(app, None, chrono::DateTime::<Utc>::MIN_UTC).await?;
    let failing = cov.failing.len();
    Ok(if total > 0 {
        "No change matches these filters.".to_string()
    } else if cov.sources == 0 {
        "No change recorded: no source is enabled. Add sources under sources/ (see docs/sources.md and the catalogue in sources/), then `regwatch poll`.".to_string()
    } else if cov.succeeded == 0 && failing > 0 {
        format!(
            "No change recorded, and none can be: {} of the {} sources failed and none has ever been polled successfully. This is not an all-clear; see `regwatch sources list` for each error.",
            failing, cov.sources
        )
    } else if cov.succeeded == 0 {
        format!(
            "No change recorded yet: none of the {} sources has been polled. Run `regwatch poll` (or `regwatch run`).",
            cov.sources
        )
    } else {
        let down = if failing > 0 {
            format!(" {failing} source(s) are failing: see `regwatch sources list`.")
        } else {
            String::new()
        };
        format!(
            "No change recorded yet: a source's first poll is its baseline, and changes appear from the next poll on.{down}"
        )
    })
}

/// `show ID`: one change with its diff, tags with evidence and matched cases.
pub async fn show(app: &App, id: i64, fmt: Format) -> Result<u8, Failure> {
    let c = services::changes::one(app, id).await?;
    match fmt {
        Format::Json => print_json(&c)?,
        Format::Csv => print_changes(std::slice::from_ref(&c), Format::Csv)?,
        Format::Table | Format::Html => print_change_detail(&c),
    }
    Ok(0)
}

/// `check --country CC --hs CODE`: the relevant changes for a product and
/// destination, most urgent first; 1 when no source could be checked, so
/// that silence is never read as an all-clear.
pub async fn check(
    app: &App,
    country: &str,
    hs: &[String],
    category: Option<&str>,
    since: &str,
    new_only: bool,
    fmt: Format,
) -> Result<u8, Failure> {
    let q = CheckQuery {
        country: country.to_string(),
        hs: hs.to_vec(),
        category: category.map(str::to_string),
        since: Some(since.to_string()),
        new_only,
    };
    let report = services::check::check(app, &q).await?;
    match fmt {
        Format::Json => print_json(&report)?,
        Format::Csv => print_check_csv(&report),
        Format::Table | Format::Html => print_check(&report),
    }
    // Never an all-clear when nothing could be checked.
    if report.coverage.blind() {
        if fmt != Format::Table {
            eprintln!("{}", report.answer);
        }
        return Ok(1);
    }
    Ok(0)
}

/// The check's changes as CSV rows, with the match strength and reason.
fn print_check_csv(report: &CheckReport) {
    let rows: Vec<serde_json::Value> = report
        .changes
        .iter()
        .map(|c| serde_json::json!({
            "id": c.change.id, "detected": c.change.detected_at.format("%Y-%m-%d %H:%M").to_string(),
            "country": c.change.jurisdiction, "source": c.change.source, "title": c.change.title,
            "effective": c.change.effective_date.map(|d| d.to_string()),
            "strength": c.strength.as_str(), "why": c.why, "url": c.change.url,
            "review": review_cell(&c.change),
        }))
        .collect();
    print_csv(
        &rows,
        &[
            "id",
            "detected",
            "country",
            "source",
            "title",
            "effective",
            "strength",
            "why",
            "review",
            "url",
        ],
    );
}

/// Changes as rows: the table leaves out what only a spreadsheet wants
/// (effective date, links); JSON is the change in full.
fn print_changes(changes: &[Change], fmt: Format) -> Result<(), Failure> {
    if fmt == Format::Json {
        return print_json(changes);
    }
    let rows: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id, "detected": c.detected_at.format("%Y-%m-%d %H:%M").to_string(), "source": c.source,
                "country": c.jurisdiction, "kind": c.kind.as_str(), "title": c.title,
                "categories": c.categories, "hs_codes": c.hs_codes,
                "effective": c.effective_date.map(|d| d.to_string()),
                "cases": c.cases.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), "link": c.link, "url": c.url,
                "review": review_cell(c),
            })
        })
        .collect();
    let cols: &[&str] = if fmt == Format::Csv {
        &[
            "id",
            "detected",
            "source",
            "country",
            "kind",
            "title",
            "categories",
            "hs_codes",
            "effective",
            "cases",
            "review",
            "link",
            "url",
        ]
    } else {
        &[
            "id",
            "detected",
            "country",
            "source",
            "kind",
            "title",
            "categories",
            "hs_codes",
            "cases",
            "review",
        ]
    };
    print_rows(&rows, cols, fmt)
}

/// A change's review state as a cell: `new`, or `reviewed (rita)`.
fn review_cell(c: &Change) -> String {
    match &c.review.by {
        Some(by) if c.review.state != "new" => format!("{} ({by})", c.review.state),
        _ => c.review.state.clone(),
    }
}

/// One change for a person: what, where, when, why it was tagged and
/// matched, and its diff.
fn print_change_detail(c: &Change) {
    println!(
        "#{} {} [{}] {}",
        c.id,
        c.kind.as_str(),
        c.jurisdiction,
        c.title
    );
    if let Some(g) = &c.gist {
        // Beside the original title above, labelled for what it is.
        println!("{}:", crate::gist::label(g));
        println!("  {}", crate::notify::render::one_line(&g.text));
    }
    println!("source:    {}", c.source);
    println!("detected:  {}", c.detected_at.to_rfc3339());
    if let Some(d) = c.effective_date {
        println!("effective: {d}");
    }
    if let Some(l) = &c.link {
        println!("link:      {l}");
    }
    println!("page:      {}", c.url);
    println!(
        "review:    {}{}",
        review_cell(c),
        c.review
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default()
    );
    if let Some(a) = &c.author {
        println!("reported by: {a}");
    }
    println!(
        "categories: {}",
        if c.categories.is_empty() {
            "-".into()
        } else {
            c.categories.join(", ")
        }
    );
    println!(
        "hs codes:   {}",
        if c.hs_codes.is_empty() {
            "-".into()
        } else {
            c.hs_codes.join(", ")
        }
    );
    for e in &c.evidence {
        println!(
            "  evidence: {} via {}: \"{}\"",
            e.category, e.via, e.matched
        );
    }
    for m in &c.cases {
        println!(
            "  case {}{} ({}, {}{}): {}{}",
            m.id,
            if m.client.is_empty() {
                String::new()
            } else {
                format!(" · {}", m.client)
            },
            m.strength.as_str(),
            m.disposition.state,
            m.disposition
                .by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default(),
            m.reason,
            m.link
                .as_deref()
                .map(|l| format!(" <{l}>"))
                .unwrap_or_default()
        );
    }
    println!("\n{}", c.diff);
}

/// Which sources answered the check, and which failed or went stale.
fn print_coverage(c: &Coverage) {
    println!("Coverage: {}", c.summary());
    let since = |t: Option<DateTime<Utc>>| match t {
        Some(t) => format!("since {}", t.format("%Y-%m-%d %H:%M UTC")),
        None => "never polled successfully".to_string(),
    };
    for g in &c.failing {
        println!(
            "  FAILING {} {}: {}",
            g.id,
            since(g.since),
            crate::util::truncate(g.error.as_deref().unwrap_or("unknown error"), 200)
        );
    }
    for g in &c.stale {
        println!(
            "  STALE   {} {}",
            g.id,
            match g.since {
                Some(t) => format!("last success {}", t.format("%Y-%m-%d %H:%M UTC")),
                None => "never polled successfully".to_string(),
            }
        );
    }
}

/// The check for a person: coverage, what takes effect soon, then every
/// relevant change, most urgent first.
fn print_check(r: &CheckReport) {
    println!(
        "Pre-quote check: HS {} into {} since {}{}",
        if r.hs_codes.is_empty() {
            "-".into()
        } else {
            r.hs_codes
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        r.country,
        r.since.format("%Y-%m-%d"),
        r.category
            .as_deref()
            .map(|c| format!(", category {c}"))
            .unwrap_or_default()
    );
    print_coverage(&r.coverage);
    if let Some(w) = r.coverage.watched_since {
        println!("Watched since {}", w.format("%Y-%m-%d %H:%M UTC"));
    }
    println!("\n{}", r.answer);
    if r.changes.is_empty() {
        if r.coverage.sources > 0 && !r.coverage.blind() {
            println!("(Only sources regwatch watches are covered; see `regwatch sources list`.)");
        }
        return;
    }
    if !r.upcoming.is_empty() {
        println!("\nTaking effect soon:");
        for c in &r.upcoming {
            println!(
                "  {}  #{} [{}] {}\n      why: {}",
                c.change
                    .effective_date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                c.change.id,
                c.change.jurisdiction,
                c.change.title,
                c.why
            );
        }
    }
    println!("\nAll relevant changes, most urgent first:");
    for c in &r.changes {
        let urgent = if c.change.urgency_reasons.is_empty() {
            String::new()
        } else {
            format!("\n      urgent: {}", c.change.urgency_reasons.join("; "))
        };
        let gist = c
            .change
            .gist
            .as_ref()
            .map(|g| {
                format!(
                    "\n      gist ({}, not a translation): {}",
                    crate::gist::language_name(&g.lang),
                    crate::notify::render::one_line(&g.text)
                )
            })
            .unwrap_or_default();
        println!(
            "  {:<6}  {:<9} {}  #{} [{}] {}{}{gist}{urgent}
      why: {}
      {}",
            c.change.urgency.as_str().to_uppercase(),
            review_cell(&c.change),
            c.change.detected_at.format("%Y-%m-%d"),
            c.change.id,
            c.change.source,
            c.change.title,
            c.change
                .effective_date
                .map(|d| format!(" (effective {d})"))
                .unwrap_or_default(),
            c.why,
            c.change.url
        );
    }
}
