//! What people write into the change log: field reports (`report add`) and
//! review marks (`review`).

use super::args::ReportArgs;
use super::failure::Failure;
use super::notify::hand_to_outbox;
use super::output::{print_json, Format};
use crate::app::App;
use crate::services;
use crate::services::reports::FieldReport;

/// `report add`: record the report as a change, send its alerts, and print
/// its number and page. The author is `$USER` unless given.
pub async fn add(app: &App, a: &ReportArgs) -> Result<u8, Failure> {
    let report = FieldReport {
        country: a.country.clone(),
        hs: a.hs.clone(),
        effective: a.effective.clone(),
        title: a.title.clone(),
        text: a.text.clone(),
        categories: a.category.clone(),
        author: a.author.clone().or_else(|| std::env::var("USER").ok()),
        lang: a.lang.clone(),
    };
    let id = services::reports::add(app, &report).await?;
    hand_to_outbox(app).await;
    println!(
        "field report recorded as change #{id}: {}",
        app.config.server.change_url(id)
    );
    Ok(0)
}

/// `review ID --state S`: mark a change reviewed, dismissed or new again,
/// by `by` (else `$USER`), with an optional note.
pub async fn review(
    app: &App,
    id: i64,
    state: &str,
    note: Option<&str>,
    by: Option<&str>,
    fmt: Format,
) -> Result<u8, Failure> {
    // A change that does not exist is said first, whoever reviews.
    services::changes::one(app, id).await?;
    let by = by
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_default();
    let c = services::reviews::mark(app, id, state, &by, note).await?;
    match fmt {
        Format::Json => print_json(&c.review)?,
        _ => println!(
            "change #{id} marked {} by {} at {}{}",
            c.review.state,
            c.review.by.as_deref().unwrap_or("-"),
            c.review.at.as_deref().unwrap_or("-"),
            c.review
                .note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ),
    }
    Ok(0)
}
