//! Review marks: a reviewer marks a change reviewed, dismissed or new again,
//! with a note; every mark is kept (the audit trail) and the latest is the
//! change's `review`.

use super::{App, ServiceError};
use crate::model::{Change, Disposition, Review, DISPOSITION_STATES, REVIEW_STATES};

/// The longest note kept.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Mark change `id` as `state` by `by`, with an optional note; the change as it is now.
pub async fn mark(
    app: &App,
    id: i64,
    state: &str,
    by: &str,
    note: Option<&str>,
) -> Result<Change, ServiceError> {
    let state = state.trim().to_lowercase();
    if !REVIEW_STATES.contains(&state.as_str()) {
        return Err(ServiceError::invalid(format!(
            "review state `{state}` is not one of {}",
            REVIEW_STATES.join(", ")
        )));
    }
    let by = by.trim();
    if by.is_empty() {
        return Err(ServiceError::invalid("say who reviews (--by NAME)"));
    }
    let note = note
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| crate::util::cut(n, MAX_NOTE_CHARS).0);
    if !app
        .store
        .add_review(id, &state, by, app.now(), note.as_deref())
        .await?
    {
        return Err(ServiceError::NotFound(format!("no change #{id}")));
    }
    super::changes::one(app, id).await
}

/// Every mark of a change, oldest first.
pub async fn trail(app: &App, id: i64) -> Result<Vec<Review>, ServiceError> {
    Ok(app.store.reviews(id).await?)
}

/// Record whether change `id` `affects` case `case_id`, is `not_affected`
/// or `done` (or `open` again), by `by`, with an optional note; every mark
/// is kept. The change as it is now.
pub async fn dispose(
    app: &App,
    id: i64,
    case_id: &str,
    state: &str,
    by: &str,
    note: Option<&str>,
) -> Result<Change, ServiceError> {
    let state = state.trim().to_lowercase().replace(['-', ' '], "_");
    if !DISPOSITION_STATES.contains(&state.as_str()) {
        return Err(ServiceError::invalid(format!(
            "disposition `{state}` is not one of {}",
            DISPOSITION_STATES.join(", ")
        )));
    }
    // The change and the case first: a typo in either says so, whoever asks.
    let c = super::changes::one(app, id).await?;
    let case_id = case_id.trim();
    if !c.cases.iter().any(|m| m.id == case_id) {
        let known: Vec<&str> = c.cases.iter().map(|m| m.id.as_str()).collect();
        return Err(ServiceError::NotFound(if known.is_empty() {
            format!("change #{id} matches no case, so there is nothing to mark for `{case_id}`")
        } else {
            format!(
                "change #{id} does not match case `{case_id}`: its cases are {}",
                known.join(", ")
            )
        }));
    }
    let by = by.trim();
    if by.is_empty() {
        return Err(ServiceError::invalid("say who marks it (--by NAME)"));
    }
    let note = note
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| crate::util::cut(n, MAX_NOTE_CHARS).0);
    if !app
        .store
        .add_disposition(id, case_id, &state, by, app.now(), note.as_deref())
        .await?
    {
        return Err(ServiceError::NotFound(format!(
            "change #{id} does not match case `{case_id}`"
        )));
    }
    super::changes::one(app, id).await
}

/// Every disposition of a change, oldest first: (case id, mark).
pub async fn dispositions(app: &App, id: i64) -> Result<Vec<(String, Disposition)>, ServiceError> {
    Ok(app.store.dispositions(id).await?)
}
