//! Source health, the same words for the CLI, the API and the pages.

use super::{App, ServiceError};
use crate::config::Source;
use crate::model::{HealthState, SourceHealth};
use chrono::{DateTime, Utc};

/// One source with its health and plan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceRow {
    pub id: String,
    pub name: String,
    pub jurisdiction: String,
    pub kind: &'static str,
    /// Credentials masked.
    pub url: String,
    pub schedule: String,
    pub timezone: String,
    pub enabled: bool,
    pub health: HealthState,
    #[serde(with = "opt_seconds")]
    pub last_poll: Option<DateTime<Utc>>,
    #[serde(with = "opt_seconds")]
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub down: bool,
    #[serde(with = "opt_seconds")]
    pub next_poll: Option<DateTime<Utc>>,
}

mod opt_seconds {
    use chrono::{DateTime, Utc};
    use serde::Serializer;
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            None => s.serialize_none(),
        }
    }
}

impl SourceRow {
    fn of(s: &Source, h: Option<&SourceHealth>) -> SourceRow {
        SourceRow {
            id: s.id().to_string(),
            name: s.def.name.clone(),
            jurisdiction: s.def.jurisdiction.to_string(),
            kind: s.def.kind.as_str(),
            url: crate::util::redact(&s.def.url),
            schedule: s.schedule.expr().to_string(),
            timezone: s.schedule.timezone().name().to_string(),
            enabled: s.def.enabled,
            health: HealthState::of(s.def.enabled, h),
            last_poll: h.and_then(|h| h.last_poll_at),
            last_success: h.and_then(|h| h.last_success_at),
            // Errors recorded by older versions may name the URL in full.
            last_error: h.and_then(|h| h.last_error.as_deref().map(crate::util::redact_urls_in)),
            consecutive_failures: h.map(|h| h.consecutive_failures).unwrap_or(0),
            down: h.is_some_and(|h| h.down),
            next_poll: h.and_then(|h| h.next_poll_at),
        }
    }
}

/// Every configured source with its health, in the order configured.
pub async fn rows(app: &App, sources: &[Source]) -> Result<Vec<SourceRow>, ServiceError> {
    let health = app.store.health().await?;
    let by_id: std::collections::HashMap<&str, &SourceHealth> =
        health.iter().map(|h| (h.id.as_str(), h)).collect();
    Ok(sources
        .iter()
        .map(|s| SourceRow::of(s, by_id.get(s.id()).copied()))
        .collect())
}
