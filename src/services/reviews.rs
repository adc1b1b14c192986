//! Review marks: a reviewer marks a change reviewed, dismissed or new again,
//! with a note; every mark is kept (the audit trail) and the latest is the
//! change's `review`.

use super::{App, ServiceError};
use crate::model::{Change, Review, REVIEW_STATES};

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
