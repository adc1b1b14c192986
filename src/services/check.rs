//! The pre-quote check: what changed for a product going to a destination.

use super::changes::{finish, parse_hs, parse_since};
use super::sources::Coverage;
use super::{App, ServiceError};
use crate::model::{Case, Change, Country, HsCode, Strength};
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
    /// The subjects (taxonomy categories) the check is about: the category
    /// asked for, else those of the HS codes.
    pub subjects: Vec<String>,
    /// Of those, the ones no enabled source of the destination watches.
    pub unwatched: Vec<String>,
    /// The answer in one or two sentences, bad news first: never an
    /// unqualified "nothing changed" (since when watched, which subjects
    /// no source covers, whether anything could be checked).
    pub answer: String,
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
    let candidates = candidates(app, &dest, since, &hs, category.as_deref()).await?;
    let today = app.clock.today();
    let mut changes = matching(app, candidates, &probe).await?;
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
    let subjects = subjects(app, &hs, category.as_deref());
    let unwatched: Vec<String> = subjects
        .iter()
        .filter(|s| coverage.subjects.get(*s).is_none_or(|c| c.sources == 0))
        .cloned()
        .collect();
    let mut r = CheckReport {
        coverage,
        country: dest.to_string(),
        hs_codes: hs,
        category,
        since,
        upcoming,
        changes,
        subjects,
        unwatched,
        answer: String::new(),
    };
    r.answer = answer(&r);
    Ok(r)
}

/// The changes that may bear on the product: those covering the
/// destination since `since` that name one of the codes' headings or the
/// category, newest first. Narrowed in SQL by destination, period and
/// heading; [`matching`] then decides with reasons.
async fn candidates(
    app: &App,
    dest: &Country,
    since: DateTime<Utc>,
    hs: &[HsCode],
    category: Option<&str>,
) -> Result<Vec<Change>, ServiceError> {
    let headings = super::changes::heading_filter(hs);
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
    if let Some(c) = category {
        let f = ChangeFilter {
            category: Some(c.to_string()),
            ..base.clone()
        };
        for ch in app.store.changes(&f).await? {
            if !candidates.iter().any(|x| x.id == ch.id) {
                candidates.push(ch);
            }
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.id));
    Ok(candidates)
}

/// The candidates the probe matches, with how strongly and why: the same
/// matching as a change-log search by country and HS. Most urgent first,
/// then strongest, then newest.
async fn matching(
    app: &App,
    candidates: Vec<Change>,
    probe: &Case,
) -> Result<Vec<CheckItem>, ServiceError> {
    let mut changes = vec![];
    for ch in finish(app, candidates).await? {
        if let Some((strength, why)) = super::changes::match_probe(&ch, probe) {
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
    Ok(changes)
}

/// The categories the check is about: the one asked, else those of the codes.
fn subjects(app: &App, hs: &[HsCode], category: Option<&str>) -> Vec<String> {
    let mut subjects: Vec<String> = match category {
        Some(c) => vec![c.to_string()],
        None => hs
            .iter()
            .flat_map(|h| app.tagger.taxonomy.categories_for_hs(h.as_str()))
            .collect(),
    };
    subjects.sort();
    subjects.dedup();
    subjects
}

fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A period's start: its date, with the time when it is not midnight.
fn start(t: DateTime<Utc>) -> String {
    if t.time() == chrono::NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else {
        minute(t)
    }
}

/// What the check found, in words a compliance officer can quote: bad
/// news first (subjects nobody watches, sources that could not answer),
/// and a "no recorded change" always says since when it was watched.
pub fn answer(r: &CheckReport) -> String {
    let what = {
        let mut parts = vec![];
        if !r.hs_codes.is_empty() {
            let codes: Vec<&str> = r.hs_codes.iter().map(HsCode::as_str).collect();
            parts.push(format!("HS {}", codes.join(", ")));
        }
        if let Some(c) = &r.category {
            parts.push(format!("{c} goods"));
        }
        format!("{} into {}", parts.join(" / "), r.country)
    };
    let mut out = vec![];
    for s in &r.unwatched {
        out.push(format!(
            "No source covers {s} goods into {}: regwatch cannot see {s} rules there, so this is not an all-clear for {s} goods.",
            r.country
        ));
    }
    let cov = &r.coverage;
    if cov.sources == 0 || cov.blind() {
        out.push(format!(
            "No change could be checked for {what}: {}",
            cov.summary()
        ));
        return out.join(" ");
    }
    let n = r.changes.len();
    if n > 0 {
        out.push(format!(
            "{n} recorded change{} for {what} since {}, most urgent first.",
            if n == 1 { "" } else { "s" },
            r.since.format("%Y-%m-%d")
        ));
    } else {
        // Since when the subjects asked about were watched (the earliest
        // source covering one of them), else the destination.
        let watched = r
            .subjects
            .iter()
            .filter_map(|s| cov.subjects.get(s).and_then(|c| c.watched_since))
            .min()
            .or(cov.watched_since);
        let from = match watched {
            Some(w) if w > r.since => format!("since {}, when watching began", minute(w)),
            Some(w) => format!("since {} (watched since {})", start(r.since), minute(w)),
            None => format!("since {}", start(r.since)),
        };
        out.push(format!("No recorded change for {what} {from}."));
    }
    if !cov.failing.is_empty() || !cov.stale.is_empty() {
        out.push(format!(
            "{} of the {} covering sources could not answer: changes there may be missing.",
            cov.failing.len() + cov.stale.len(),
            cov.sources
        ));
    }
    out.join(" ")
}
