//! The change log: filters from what a person typed, pages with cursors,
//! and the change page's URL.

use super::{App, ServiceError};
use crate::config::{Config, Source};
use crate::model::{Case, Change, Country, HsCode, Strength};
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

const PERIOD_HINT: &str =
    "write a number and a unit: h (hours), d (days), w (weeks), m (months), y (years), e.g. 30d, 12h, 2w, 3m, 1y; or a date 2026-01-31";

/// `30d`, `12h`, `2w`, `6m` (months), `1y` or a date, as the start of a period.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ServiceError> {
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
    d.and_then(|d| now.checked_sub_signed(d)).ok_or_else(|| {
        ServiceError::invalid(format!(
            "`{s}` reaches back too far: give at most 100y (or a date)"
        ))
    })
}

/// HS codes a person typed, parsed: each value may hold several codes
/// (see [`HsCode::parse_list`]: `8517,62` is one code, 8517.62).
pub fn parse_hs(hs: &[String]) -> Result<Vec<HsCode>, ServiceError> {
    let mut out = vec![];
    for h in hs {
        out.extend(HsCode::parse_list(h).map_err(ServiceError::Invalid)?);
        if out.len() > MAX_HS_CODES {
            return Err(ServiceError::invalid(format!(
                "more than {MAX_HS_CODES} HS codes given: at most {MAX_HS_CODES} per query"
            )));
        }
    }
    Ok(out)
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
    /// Only changes nobody reviewed yet.
    pub new_only: bool,
}

/// A category a person typed, checked against the taxonomy; the error
/// lists every valid one (`category=telcom` → "use one of …, telecom, …").
pub fn check_category(app: &App, category: &str) -> Result<String, ServiceError> {
    let c = category.trim().to_lowercase();
    let known = app.tagger.taxonomy.category_names();
    if known.contains(&c) {
        Ok(c)
    } else {
        Err(ServiceError::invalid(format!(
            "category `{category}` is not in the taxonomy: use one of {}",
            known.join(", ")
        )))
    }
}

/// A source id a person typed, checked against the configured sources
/// (and `field`, the source of field reports); the error lists them.
pub fn check_source(sources: &[Source], id: &str) -> Result<String, ServiceError> {
    let id = id.trim();
    if id == "field" || sources.iter().any(|s| s.id() == id) {
        return Ok(id.to_string());
    }
    let mut known: Vec<&str> = sources.iter().map(|s| s.id()).collect();
    known.push("field");
    Err(ServiceError::invalid(format!(
        "source `{id}` is not configured: use one of {}",
        known.join(", ")
    )))
}

/// A product going to a destination, as matching sees it: the same probe
/// case for the pre-quote check and for a change-log search by country and
/// HS code, so the two always agree.
pub fn probe_case(dest: &Country, hs: &[HsCode], category: Option<&str>) -> Case {
    Case {
        id: "check".into(),
        client: String::new(),
        title: String::new(),
        country: dest.to_string(),
        hs_codes: hs.to_vec(),
        categories: category.iter().map(|c| c.to_string()).collect(),
        keywords: vec![],
        status: "open".into(),
        link: None,
        origin: None,
    }
}

/// The store's narrowing for HS codes before matching: each code's heading
/// (4 digits), both HS versions, so sibling subheadings reach the matcher.
pub fn heading_filter(hs: &[HsCode]) -> Vec<String> {
    let mut v: Vec<String> = hs
        .iter()
        .flat_map(HsCode::search_digits)
        .map(|d| d[..d.len().min(4)].to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Whether a change bears on the probe, how strongly and why.
pub fn match_probe(c: &Change, probe: &Case) -> Option<(Strength, String)> {
    crate::matching::match_case(&c.jurisdiction, &c.tags(), "", "", probe)
}

/// A checked change-log query: the store filter, and when a destination
/// and HS codes are given, the probe every result must match (the check's
/// matching, with its exclusions and HS-version equivalences).
#[derive(Debug, Clone)]
pub struct Checked {
    pub filter: ChangeFilter,
    pub probe: Option<Case>,
}

impl ChangeQuery {
    /// The one way every front end (web list, `/api/changes`, the feed,
    /// `regwatch changes`) turns typed filters into a store filter: each
    /// value checked, unknown categories and sources refused with the valid
    /// ones listed.
    pub fn checked(&self, app: &App) -> Result<Checked, ServiceError> {
        let mut f = self.filter(app.now())?;
        if let Some(c) = &self.category {
            f.category = Some(check_category(app, c)?);
        }
        if let Some(s) = &self.source {
            f.source = Some(check_source(app.sources.all(), s)?);
        }
        let hs = parse_hs(&self.hs)?;
        let probe = match (&f.country, hs.is_empty()) {
            (Some(dest), false) => {
                f.hs = Some(heading_filter(&hs));
                Some(probe_case(dest, &hs, None))
            }
            _ => None,
        };
        Ok(Checked { filter: f, probe })
    }

    /// Validate the form of each value into a store filter (no check
    /// against the taxonomy or sources: see [`ChangeQuery::checked`]); a bad
    /// value is [`ServiceError::Invalid`].
    pub fn filter(&self, now: DateTime<Utc>) -> Result<ChangeFilter, ServiceError> {
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
        let since = self
            .since
            .as_deref()
            .map(|s| parse_since(s, now))
            .transpose()?;
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
            new_only: self.new_only,
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
        for m in &mut c.also_reported_by {
            m.url = cfg.server.change_url(m.id);
            m.link = crate::util::safe_link(m.link.as_deref());
        }
    }
    changes
}

/// Each change as read by a person: its URL, and its urgency as of today
/// (computed at read time, see [`super::urgency`]).
pub async fn finish(app: &App, mut changes: Vec<Change>) -> Result<Vec<Change>, ServiceError> {
    if !changes.iter().all(|c| c.cases.is_empty()) {
        // Only the matched cases are asked about (not every open case).
        let matched: Vec<&str> = changes
            .iter()
            .flat_map(|c| c.cases.iter().map(|m| m.id.as_str()))
            .collect();
        let open = app.store.open_among(&matched).await?;
        super::urgency::annotate(&mut changes, &open, app.clock.today());
    } else {
        super::urgency::annotate(&mut changes, &Default::default(), app.clock.today());
    }
    Ok(with_urls(&app.config, changes))
}

/// The changes that match `f`, newest first, with URLs and urgency.
pub async fn list(app: &App, f: &ChangeFilter) -> Result<Vec<Change>, ServiceError> {
    finish(app, app.store.changes(f).await?).await
}

/// One page of the change log and the cursor of the next page. With a
/// probe, only changes that match it count (scanning on past the others).
pub async fn page(app: &App, q: &Checked) -> Result<(Vec<Change>, Option<String>), ServiceError> {
    let f = &q.filter;
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT);
    let mut changes: Vec<Change> = vec![];
    let mut before = f.before_id;
    loop {
        let probe = ChangeFilter {
            limit: Some(limit + 1),
            before_id: before,
            ..f.clone()
        };
        let batch = app.store.changes(&probe).await?;
        let exhausted = (batch.len() as i64) <= limit;
        before = batch.last().map(|c| c.id);
        changes.extend(
            batch
                .into_iter()
                .filter(|c| q.probe.as_ref().is_none_or(|p| match_probe(c, p).is_some())),
        );
        if changes.len() as i64 > limit || exhausted || q.probe.is_none() {
            break;
        }
    }
    let next = if changes.len() as i64 > limit {
        changes.truncate(limit as usize);
        changes.last().map(|c| c.id.to_string())
    } else {
        None
    };
    Ok((finish(app, changes).await?, next))
}

/// Every change of a checked query (up to its limit), newest first.
pub async fn list_checked(app: &App, q: &Checked) -> Result<Vec<Change>, ServiceError> {
    Ok(page(app, q).await?.0)
}

/// One change, with its URL.
pub async fn one(app: &App, id: i64) -> Result<Change, ServiceError> {
    let c = app
        .store
        .change(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no change #{id}")))?;
    Ok(finish(app, vec![c]).await?.remove(0))
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

    fn now() -> DateTime<Utc> {
        crate::clock::Clock::at_date(2026, 6, 1).now()
    }

    #[test]
    fn periods() {
        let now = crate::clock::Clock::at_date(2026, 6, 1).now();
        let t = parse_since("30d", now).unwrap();
        assert_eq!((now - t).num_days(), 30);
        assert_eq!(
            parse_since("2026-01-31", now).unwrap().to_rfc3339(),
            "2026-01-31T00:00:00+00:00"
        );
        assert!(matches!(
            parse_since("lately", now),
            Err(ServiceError::Invalid(_))
        ));
        for absurd in [
            "99999999d",
            "99999999999999999999d",
            "9999999999h",
            "999999999y",
        ] {
            assert!(
                matches!(parse_since(absurd, now), Err(ServiceError::Invalid(_))),
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
        let f = q.filter(now()).unwrap();
        assert_eq!(f.country.as_ref().map(|c| c.as_str()), Some("TR"));
        assert_eq!(f.category.as_deref(), Some("telecom"));
        assert!(f.hs.as_ref().unwrap().contains(&"851762".to_string()));
        assert_eq!(f.limit, Some(MAX_LIMIT));
        assert_eq!(f.before_id, Some(42));
        let bad = |q: ChangeQuery| matches!(q.filter(now()), Err(ServiceError::Invalid(_)));
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
        .filter(now())
        .is_ok());
        let mut many = fifty;
        many.push("8517".into());
        match (ChangeQuery {
            hs: many,
            ..Default::default()
        })
        .filter(now())
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
