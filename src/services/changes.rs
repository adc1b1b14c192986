//! The change log: filters from what a person typed, pages with cursors,
//! and the change page's URL.

use super::{App, ServiceError};
use crate::config::Config;
use crate::model::{Change, Country, HsCode};
use crate::store::ChangeFilter;
use chrono::{DateTime, NaiveDate, Utc};

/// Default and maximum page sizes of the change log.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
/// At most this many HS codes in one query: the store builds one condition
/// per code (and its HS 2017/2022 equivalents).
pub const MAX_HS_CODES: usize = 50;
/// The longest text filter (query, source, case, category, country, cursor), in characters.
pub const MAX_FILTER_CHARS: usize = 200;

const PERIOD_HINT: &str = "write e.g. 30d, 12h, 2w or a date 2026-01-31";

/// `30d`, `12h`, `2w`, `6m` (months), `1y` or a date, as the start of a period.
pub fn parse_since(s: &str) -> Result<DateTime<Utc>, ServiceError> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let bad = || ServiceError::invalid(format!("`{s}` is not a period: {PERIOD_HINT}"));
    let n: i64 = n.parse().map_err(|_| bad())?;
    let days = match unit {
        "h" => None,
        "d" | "" => Some(n),
        "w" => n.checked_mul(7),
        "m" => n.checked_mul(30),
        "y" => n.checked_mul(365),
        _ => return Err(bad()),
    };
    let d = match days {
        None => chrono::Duration::try_hours(n),
        Some(d) => d
            .checked_mul(86_400)
            .and_then(chrono::Duration::try_seconds),
    };
    d.and_then(|d| Utc::now().checked_sub_signed(d))
        .ok_or_else(|| {
            ServiceError::invalid(format!(
                "`{s}` reaches back too far: give at most 100y (or a date)"
            ))
        })
}

/// HS codes a person typed, parsed.
pub fn parse_hs(hs: &[String]) -> Result<Vec<HsCode>, ServiceError> {
    if hs.len() > MAX_HS_CODES {
        return Err(ServiceError::invalid(format!(
            "{} HS codes given: at most {MAX_HS_CODES} per query",
            hs.len()
        )));
    }
    hs.iter()
        .map(|h| HsCode::parse(h).map_err(ServiceError::Invalid))
        .collect()
}

/// The store filter for HS codes: each code's digits and its HS 2017/2022 equivalents'.
pub fn hs_filter(hs: &[HsCode]) -> Option<Vec<String>> {
    (!hs.is_empty()).then(|| hs.iter().flat_map(HsCode::search_digits).collect())
}

/// The change-log filters as a person typed them (CLI flags or query parameters).
#[derive(Debug, Clone, Default)]
pub struct ChangeQuery {
    pub since: Option<String>,
    pub country: Option<String>,
    pub category: Option<String>,
    pub hs: Vec<String>,
    pub source: Option<String>,
    pub case_id: Option<String>,
    pub query: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl ChangeQuery {
    /// Validate into a store filter; a bad value is [`ServiceError::Invalid`].
    pub fn filter(&self) -> Result<ChangeFilter, ServiceError> {
        for (name, v) in [
            ("since", &self.since),
            ("country", &self.country),
            ("category", &self.category),
            ("source", &self.source),
            ("case", &self.case_id),
            ("query", &self.query),
            ("cursor", &self.cursor),
        ] {
            if v.as_deref()
                .is_some_and(|v| v.chars().count() > MAX_FILTER_CHARS)
            {
                return Err(ServiceError::invalid(format!(
                    "`{name}` is longer than {MAX_FILTER_CHARS} characters"
                )));
            }
        }
        let since = self.since.as_deref().map(parse_since).transpose()?;
        let country = self
            .country
            .as_deref()
            .map(|c| Country::parse(c).map_err(ServiceError::Invalid))
            .transpose()?;
        let hs = hs_filter(&parse_hs(&self.hs)?);
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(l) if l >= 1 => l.min(MAX_LIMIT),
            Some(l) => {
                return Err(ServiceError::invalid(format!(
                    "limit `{l}` is not a positive number"
                )))
            }
        };
        let before_id = self
            .cursor
            .as_deref()
            .map(|c| {
                c.parse::<i64>().map_err(|_| {
                    ServiceError::invalid(format!("cursor `{c}` is not one this server gave out"))
                })
            })
            .transpose()?;
        Ok(ChangeFilter {
            since,
            country,
            category: self.category.as_deref().map(str::to_lowercase),
            hs,
            source: self.source.clone(),
            case_id: self.case_id.clone(),
            query: self.query.clone(),
            limit: Some(limit),
            before_id,
            ids: None,
        })
    }
}

/// Each change with the URL of its page, and its source link only when it
/// is http(s): every output (pages, JSON, feeds, CLI, alerts and webhook
/// bodies) reads changes through here, so a `javascript:` or `file:` link
/// from a polled page reaches none of them.
pub fn with_urls(cfg: &Config, mut changes: Vec<Change>) -> Vec<Change> {
    for c in &mut changes {
        c.url = cfg.server.change_url(c.id);
        c.link = crate::util::safe_link(c.link.as_deref());
    }
    changes
}

/// The changes that match `f`, newest first, with URLs.
pub async fn list(app: &App, f: &ChangeFilter) -> Result<Vec<Change>, ServiceError> {
    Ok(with_urls(&app.config, app.store.changes(f).await?))
}

/// One page of the change log and the cursor of the next page.
pub async fn page(
    app: &App,
    f: &ChangeFilter,
) -> Result<(Vec<Change>, Option<String>), ServiceError> {
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT);
    let probe = ChangeFilter {
        limit: Some(limit + 1),
        ..f.clone()
    };
    let mut changes = app.store.changes(&probe).await?;
    let next = if changes.len() as i64 > limit {
        changes.truncate(limit as usize);
        changes.last().map(|c| c.id.to_string())
    } else {
        None
    };
    Ok((with_urls(&app.config, changes), next))
}

/// One change, with its URL.
pub async fn one(app: &App, id: i64) -> Result<Change, ServiceError> {
    let c = app
        .store
        .change(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no change #{id}")))?;
    Ok(with_urls(&app.config, vec![c]).remove(0))
}

/// Several changes by id, with URLs.
pub async fn by_ids(app: &App, ids: Vec<i64>) -> Result<Vec<Change>, ServiceError> {
    let f = ChangeFilter {
        ids: Some(ids),
        ..Default::default()
    };
    list(app, &f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let now = Utc::now();
        let t = parse_since("30d").unwrap();
        assert!((now - t).num_days() == 30 || (now - t).num_days() == 29);
        assert_eq!(
            parse_since("2026-01-31").unwrap().to_rfc3339(),
            "2026-01-31T00:00:00+00:00"
        );
        assert!(matches!(
            parse_since("lately"),
            Err(ServiceError::Invalid(_))
        ));
        for absurd in [
            "99999999d",
            "99999999999999999999d",
            "9999999999h",
            "999999999y",
        ] {
            assert!(
                matches!(parse_since(absurd), Err(ServiceError::Invalid(_))),
                "{absurd}"
            );
        }
    }

    #[test]
    fn filters_from_what_a_person_typed() {
        let q = ChangeQuery {
            country: Some("tr".into()),
            category: Some("Telecom".into()),
            hs: vec!["8517.62".into()],
            since: Some("30d".into()),
            limit: Some(900),
            cursor: Some("42".into()),
            ..Default::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(f.country.as_ref().map(|c| c.as_str()), Some("TR"));
        assert_eq!(f.category.as_deref(), Some("telecom"));
        assert!(f.hs.as_ref().unwrap().contains(&"851762".to_string()));
        assert_eq!(f.limit, Some(MAX_LIMIT));
        assert_eq!(f.before_id, Some(42));
        let bad = |q: ChangeQuery| matches!(q.filter(), Err(ServiceError::Invalid(_)));
        assert!(bad(ChangeQuery {
            hs: vec!["abc".into()],
            ..Default::default()
        }));
        assert!(bad(ChangeQuery {
            cursor: Some("x".into()),
            ..Default::default()
        }));
        assert!(bad(ChangeQuery {
            limit: Some(0),
            ..Default::default()
        }));
        let fifty: Vec<String> = (0..MAX_HS_CODES)
            .map(|i| format!("85{:02}", i % 100))
            .collect();
        assert!(ChangeQuery {
            hs: fifty.clone(),
            ..Default::default()
        }
        .filter()
        .is_ok());
        let mut many = fifty;
        many.push("8517".into());
        match (ChangeQuery {
            hs: many,
            ..Default::default()
        })
        .filter()
        {
            Err(ServiceError::Invalid(m)) => assert!(m.contains("at most 50"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(bad(ChangeQuery {
            query: Some("x".repeat(MAX_FILTER_CHARS + 1)),
            ..Default::default()
        }));
    }
}
