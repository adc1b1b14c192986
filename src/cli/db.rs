//! `regwatch db`: migrations, and copying the store into another database.

use super::failure::Failure;
use crate::app::App;
use crate::store::Store;
use crate::util::redact_url;
use anyhow::Context as _;

/// `db migrate`
pub async fn migrate(app: &App) -> Result<u8, Failure> {
    app.store.migrate().await?;
    println!(
        "migrations applied to {}",
        redact_url(&app.config.storage.url)
    );
    Ok(0)
}

/// `db copy --to URL`: every table into a new, empty database, with the
/// rows copied per table.
pub async fn copy(app: &App, to: &str) -> Result<u8, Failure> {
    let from = &app.config.storage.url;
    let target = Store::open(to)
        .await
        .with_context(|| format!("opening the target database {}", redact_url(to)))?;
    let counts = app
        .store
        .copy_to(&target)
        .await
        .with_context(|| format!("copying {} to {}", redact_url(from), redact_url(to)))?;
    target.close().await;
    let total: u64 = counts.iter().map(|c| c.1).sum();
    for (table, n) in &counts {
        println!("{table:<18} {n:>9}");
    }
    println!(
        "copied {total} rows from {} to {}",
        redact_url(from),
        redact_url(to)
    );
    Ok(0)
}
