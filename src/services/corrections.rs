//! Corrections: a reviewer corrects a wrong tag (a category, an HS code the
//! text scopes out, a misread date) with a reason. The tagger's original
//! stays in the change's row; every correction is kept with who, when, why,
//! before and after (the audit), shown on the change page, and exported
//! (`regwatch corrections export`) as material for tuning the tagger.

use super::{App, ServiceError};
use crate::model::{Change, CorrectedTags, HsCode};
use crate::store::corrections::CorrectionRow;
use chrono::NaiveDate;

/// The longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// A correction as a reviewer sends it: only the fields given change.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    #[serde(default)]
    pub hs_codes: Option<Vec<String>>,
    /// `YYYY-MM-DD`, or null / "" to say the text states no date.
    #[serde(default, deserialize_with = "some_date")]
    pub effective_date: Option<Option<String>>,
    #[serde(default)]
    pub reason: String,
}

/// `"effective_date": null` (the text states none) is not the same as leaving it out.
fn some_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    use serde::Deserialize;
    Ok(Some(Option::<String>::deserialize(d)?))
}

/// Correct change `id`'s tags as `by`; the change as it now reads.
pub async fn correct(
    app: &App,
    id: i64,
    input: &CorrectionInput,
    by: &str,
) -> Result<Change, ServiceError> {
    let by = by.trim();
    let current = super::changes::one(app, id).await?;
    if by.is_empty() {
        return Err(ServiceError::invalid(
            "say who corrects (a reviewer's name)",
        ));
    }
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::invalid(
            "give a reason: what the text says that the tag got wrong (it is kept for tuning the tagger)",
        ));
    }
    if input.categories.is_none() && input.hs_codes.is_none() && input.effective_date.is_none() {
        return Err(ServiceError::invalid(
            "nothing to correct: give categories, hs_codes and/or effective_date",
        ));
    }
    let before = CorrectedTags {
        categories: current.categories.clone(),
        hs_codes: current.hs_codes.clone(),
        effective_date: current.effective_date,
    };
    let mut after = before.clone();
    if let Some(cats) = &input.categories {
        let mut v = vec![];
        for c in cats {
            v.push(super::changes::check_category(app, c)?);
        }
        v.sort();
        v.dedup();
        after.categories = v;
    }
    if let Some(codes) = &input.hs_codes {
        let mut v = vec![];
        for h in codes {
            for code in HsCode::parse_list(h).map_err(ServiceError::Invalid)? {
                v.push(code.as_str().to_string());
            }
        }
        v.dedup();
        after.hs_codes = v;
    }
    if let Some(d) = &input.effective_date {
        after.effective_date = match d.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                ServiceError::invalid(format!(
                    "effective_date `{d}` is not a date: write YYYY-MM-DD (2027-01-01), or null for none"
                ))
            })?),
        };
    }
    if after == before {
        return Err(ServiceError::invalid(
            "the correction changes nothing: the change already has these values",
        ));
    }
    let reason = crate::util::cut(reason, MAX_REASON_CHARS).0;
    if !app
        .store
        .add_correction(id, by, app.now(), &reason, &before, &after)
        .await?
    {
        return Err(ServiceError::NotFound(format!("no change #{id}")));
    }
    super::changes::one(app, id).await
}

/// Every correction, oldest first, with its change.
pub async fn all(app: &App) -> Result<Vec<CorrectionRow>, ServiceError> {
    Ok(app.store.all_corrections().await?)
}
