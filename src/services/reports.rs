//! Field reports: a rule seen changing in practice before it is published,
//! recorded, tagged, matched and routed like any change (`source` = `field`).

use super::{App, ServiceError};
use crate::model::{ChangeKind, ChangeRecord, Country, Evidence, HsCode, NewChange};
use crate::normalize::{normalize_inline, normalize_text};
use chrono::NaiveDate;

/// A field report as a person entered it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldReport {
    pub country: String,
    #[serde(default)]
    pub hs: Vec<String>,
    /// YYYY-MM-DD
    #[serde(default)]
    pub effective: Option<String>,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub author: Option<String>,
}

/// Record a field report; its change id.
pub async fn add(app: &App, r: &FieldReport) -> Result<i64, ServiceError> {
    let dest = Country::parse(&r.country).map_err(ServiceError::Invalid)?;
    if r.title.trim().is_empty() {
        return Err(ServiceError::invalid(
            "the title is empty: say in a line what changed",
        ));
    }
    let author = r
        .author
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or("unknown");
    let mut tags = app.tagger.tag(&r.title, &r.text, None, &r.categories);
    for h in &r.hs {
        let n = HsCode::parse(h).map_err(ServiceError::Invalid)?;
        let n = n.as_str().to_string();
        if !tags.hs_codes.contains(&n) {
            tags.hs_codes.push(n.clone());
        }
        for c in app.tagger.taxonomy.categories_for_hs(&n) {
            if !tags.categories.contains(&c) {
                tags.categories.push(c.clone());
                tags.evidence.push(Evidence {
                    category: c,
                    via: "hs".into(),
                    matched: n.clone(),
                    ..Default::default()
                });
            }
        }
    }
    if let Some(e) = &r.effective {
        tags.effective_date = Some(NaiveDate::parse_from_str(e, "%Y-%m-%d").map_err(|_| {
            ServiceError::invalid(format!(
                "effective date `{e}` is not a date: write 2026-12-31"
            ))
        })?);
    }
    let text = normalize_text(&r.text);
    let new = NewChange {
        kind: ChangeKind::Added,
        item_key: None,
        title: normalize_inline(&r.title),
        link: None,
        excerpt: crate::util::truncate(&text, 600),
        diff: crate::diff::unified("", &text),
        text,
    };
    let open = app.store.open_cases().await?;
    let cases = crate::matching::match_change(dest.as_str(), &tags, &new.title, &new.text, &open);
    let deliver_to =
        crate::route::immediate_routes(&app.config.channels, dest.as_str(), &tags, &cases);
    let rec = ChangeRecord {
        change: new,
        tags,
        cases,
        deliver_to,
    };
    let id = app
        .store
        .record_field_report(dest.as_str(), app.now(), &rec, author)
        .await?;
    tracing::info!(change = id, country = %dest, author, "field report recorded");
    Ok(id)
}
