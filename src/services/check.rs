//! The pre-quote check: what changed for a product going to a destination.

use super::changes::{finish, parse_hs, parse_since};
use super::sources::Coverage;
use super::{App, ServiceError};
use crate::model::{Change, Country, HsCode, Strength};
use crate::store::ChangeFilter;
use chrono::{DateTime, Utc};

/// What to check, as a person typed it.
#[derive(Debug, Clone, Default)]
pub struct CheckQuery {
    pub country: String,
    pub hs: Vec<String>,
    pub category: Option<String>,
    /// Default: 90d.
    pub since: Option<String>,
    /// Only changes nobody reviewed yet (`--new`, `new=true`).
    pub new_only: bool,
}

#[derive(Debug, serde::Serialize)]
pub struct CheckReport {
    pub country: String,
    pub hs_codes: Vec<HsCode>,
    pub category: Option<String>,
    pub since: DateTime<Utc>,
    /// Changes whose effective date is still ahead, soonest first.
    pub upcoming: Vec<CheckItem>,
    /// Which sources cover the destination, and which could not answer.
    pub coverage: Coverage,
    /// Everything relevant, bad news first: most urgent, then the strongest
    /// match, then newest.
    pub changes: Vec<CheckItem>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckItem {
    #[serde(flatten)]
    pub change: Change,
    /// How strongly the change bears on the product checked.
    pub strength: Strength,
    pub why: String,
}

/// The pre-quote check: changes covering the destination that name an
/// overlapping HS code (heading level or deeper, both HS versions), or, when
/// asked, a category; with the coverage of the destination by the configured sources.
pub async fn check(app: &App, q: &CheckQuery) -> Result<CheckReport, ServiceError> {
    let dest = Country::parse(&q.country).map_err(ServiceError::Invalid)?;
    if q.hs.is_empty() && q.category.is_none() {
        return Err(ServiceError::invalid(
            "give an HS code (hs) and/or a category: the check is for a product",
        ));
    }
    let category = q
        .category
        .as_deref()
        .map(|c| super::changes::check_category(app, c))
        .transpose()?;
    let since = parse_since(q.since.as_deref().unwrap_or("90d"), app.now())?;
    let hs = parse_hs(&q.hs)?;
    let probe = super::changes::probe_case(&dest, &hs, category.as_deref());
    // Narrow in SQL by destination, period and heading, then match in Rust
    // with reasons: the same matching as a change-log search by country and HS.
    let headings = super::changes::heading_filter(&hs);
    let base = ChangeFilter {
        since: Some(since),
        country: Some(dest.clone()),
        ..Default::default()
    };
    let mut candidates: Vec<Change> = vec![];
    if !headings.is_empty() {
        let f = ChangeFilter {
            hs: Some(headings),
            ..base.clone()
        };
        candidates.extend(app.store.changes(&f).await?);
    }
    if let Some(c) = &category {
        let f = ChangeFilter {
            category: Some(c.clone()),
            ..base.clone()
        };
        for ch in app.store.changes(&f).await? {
            if !candidates.iter().any(|x| x.id == ch.id) {
                candidates.push(ch);
            }
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.id));
    let today = app.clock.today();
    let mut changes = vec![];
    for ch in finish(app, candidates).await? {
        if let Some((strength, why)) = super::changes::match_probe(&ch, &probe) {
            changes.push(CheckItem {
                change: ch,
                strength,
                why,
            });
        }
    }
    changes.sort_by(|a, b| {
        a.change
            .urgency
            .cmp(&b.change.urgency)
            .then_with(|| a.strength.cmp(&b.strength))
            .then_with(|| b.change.id.cmp(&a.change.id))
    });
    let mut upcoming: Vec<CheckItem> = changes
        .iter()
        .filter(|c| c.change.effective_date.is_some_and(|d| d >= today))
        .cloned()
        .collect();
    upcoming.sort_by_key(|c| c.change.effective_date);
    if q.new_only {
        changes.retain(|c| c.change.review.state == "new");
        upcoming.retain(|c| c.change.review.state == "new");
    }
    let coverage = super::sources::coverage(app, Some(&dest), since).await?;
    Ok(CheckReport {
        coverage,
        country: dest.to_string(),
        hs_codes: hs,
        category,
        since,
        upcoming,
        changes,
    })
}
