//! Cases: import (CSV or JSON, idempotent by id), export, close, and
//! matching a new or updated case against recent changes.
//!
//! An import reads what spreadsheets write (`,` `;` or tab separated, a
//! UTF-8 BOM, CRLF, extra columns noted and ignored) and is streamed: a
//! reader thread parses the file in batches while the store writes them,
//! so memory stays bounded whatever the file's size. Everything is written
//! in one transaction: an import that fails (a cap exceeded, a file that is
//! not UTF-8, the store failing, the process stopped) leaves the cases as
//! they were. A bad row is skipped and named; the good rows import.

//!
//! `read` turns a file into cases (the CSV or spreadsheet and JSON
//! readers), `import` writes them to the store in one transaction and
//! matches them back against recent changes; here, a row made a case and
//! the services on stored cases.

mod import;
mod read;

pub use import::*;
pub use read::*;

use super::{App, ServiceError};
use crate::model::{Case, Country, HsCode};
use crate::store::ChangeFilter;

pub use crate::model::CASE_COLUMNS;

/// Cases written to the store at once.
const BATCH: usize = 500;
/// Bad rows kept with their reason (the rest are only counted).
const MAX_BAD_KEPT: usize = 1000;

/// A bad row of an import: its line (CSV) or index (JSON) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: String,
    pub reason: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(';')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// A text cell as the case system meant it: the `'` a spreadsheet (or
/// `cases export`) puts before a cell starting with a formula character is
/// dropped again.
fn unquote_formula(s: &str) -> String {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) || rest.starts_with('\'') => rest.to_string(),
        _ => s.to_string(),
    }
}

/// What a spreadsheet reads as the start of a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell made safe for a spreadsheet: one starting with a formula
/// character (= + - @ tab CR) gets a leading `'`, so it is shown as text
/// and never evaluated; so does one starting with `'` before such a
/// character, so that an import reads back exactly what was exported.
pub fn spreadsheet_safe(s: &str) -> String {
    let quoted_formula = s
        .strip_prefix('\'')
        .is_some_and(|r| r.starts_with(FORMULA_START) || r.starts_with('\''));
    if s.starts_with(FORMULA_START) || quoted_formula {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCase {
    id: String,
    #[serde(default)]
    client: String,
    #[serde(default)]
    title: String,
    country: String,
    #[serde(default)]
    hs_codes: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    origin: Option<String>,
}

/// One case as read from a file, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawCase {
    pub id: String,
    pub client: String,
    pub title: String,
    pub country: String,
    pub hs_codes: Vec<String>,
    pub categories: Vec<String>,
    pub keywords: Vec<String>,
    pub status: Option<String>,
    pub link: Option<String>,
    pub origin: Option<String>,
}

/// A case's link into the case system: its own when given (http or https
/// only, re-serialized), else the `[cases].link` template with the id
/// percent-encoded into it.
fn case_link(id: &str, given: Option<String>, template: &str) -> Result<Option<String>, String> {
    if let Some(l) = given
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
    {
        return crate::util::safe_link(Some(&l)).map(Some).ok_or_else(|| {
            format!(
                "`link`: `{}` is not an http or https address (write the case's address in the case system, or leave the cell empty)",
                crate::util::truncate(&l, 80)
            )
        });
    }
    if template.is_empty() {
        return Ok(None);
    }
    let enc: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Ok(crate::util::safe_link(Some(
        &template.replace("{id}", &enc),
    )))
}

/// Validate one case; derive categories from HS codes when none are given.
pub fn build_case(
    raw: RawCase,
    known_categories: &[String],
    categories_for_hs: &dyn Fn(&str) -> Vec<String>,
    link_template: &str,
) -> Result<Case, String> {
    let RawCase {
        id,
        client,
        title,
        country,
        hs_codes: hs,
        categories: cats,
        keywords,
        status,
        link,
        origin,
    } = raw;
    let id = id.trim().to_string();
    if id.is_empty() {
        return Err("`id` is empty: every case needs its id from the case system".into());
    }
    if id.chars().any(char::is_control) || client.chars().any(|c| c == '\0') {
        return Err("`id` or `client` holds a control character: retype the cell".into());
    }
    let country = Country::parse(&country).map_err(|e| format!("`country`: {e}"))?;
    let mut hs_codes = vec![];
    for h in hs {
        let n = HsCode::parse(&h).map_err(|_| {
            format!("`hs_codes`: `{h}` is not an HS code (write e.g. 8517.62 or 85176200)")
        })?;
        if !hs_codes.contains(&n) {
            hs_codes.push(n);
        }
    }
    let mut categories = vec![];
    for c in cats {
        let c = c.to_lowercase();
        if !known_categories.contains(&c) {
            return Err(format!(
                "`categories`: `{c}` is not a category of the taxonomy ({})",
                known_categories.join(", ")
            ));
        }
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    if categories.is_empty() {
        for h in &hs_codes {
            for c in categories_for_hs(h.as_str()) {
                if !categories.contains(&c) {
                    categories.push(c);
                }
            }
        }
    }
    let status = status
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "open".into());
    if status != "open" && status != "closed" {
        return Err(format!("`status` must be open or closed, not `{status}`"));
    }
    let link = case_link(&id, link, link_template)?;
    let origin = origin
        .filter(|o| !o.trim().is_empty())
        .map(|o| Country::parse(&o).map(|c| c.to_string()))
        .transpose()
        .map_err(|e| format!("`origin`: {e}"))?;
    Ok(Case {
        id,
        client,
        title,
        country: country.to_string(),
        hs_codes,
        categories,
        keywords,
        status,
        link,
        origin,
    })
}

/// Close one case.
pub async fn close(app: &App, id: &str) -> Result<(), ServiceError> {
    if app.store.close_case(id, app.now()).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("no case `{id}`")))
    }
}

/// Cases, open ones or all, with only http(s) links.
pub async fn list(app: &App, all: bool) -> Result<Vec<Case>, ServiceError> {
    let mut cases = app
        .store
        .cases(if all { None } else { Some("open") })
        .await?;
    for c in &mut cases {
        c.link = crate::util::safe_link(c.link.as_deref());
    }
    Ok(cases)
}

/// Most cases one page of `/api/cases` holds.
pub const MAX_PAGE: i64 = 1000;

/// One page of cases in id order, after the id `after`; and the cursor of
/// the next page, if any.
pub async fn page(
    app: &App,
    all: bool,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Case>, Option<String>), ServiceError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let mut cases = app
        .store
        .cases_page(if all { None } else { Some("open") }, after, limit + 1)
        .await?;
    let next = if cases.len() as i64 > limit {
        cases.truncate(limit as usize);
        cases.last().map(|c| c.id.clone())
    } else {
        None
    };
    for c in &mut cases {
        c.link = crate::util::safe_link(c.link.as_deref());
    }
    Ok((cases, next))
}

/// Match a new or updated case against the changes of the last
/// `[cases].backmatch_days` days.
pub async fn backmatch(app: &App, c: &Case) -> anyhow::Result<usize> {
    app.store.clear_case_matches(&c.id).await?;
    if c.status != "open" {
        return Ok(0);
    }
    let since = app.now() - chrono::Duration::days(app.config.cases.backmatch_days);
    let f = ChangeFilter {
        since: Some(since),
        country: Country::parse(&c.country).ok(),
        ..Default::default()
    };
    let mut matches = vec![];
    for ch in app.store.changes(&f).await? {
        let tags = ch.tags();
        if let Some((strength, reason)) =
            crate::matching::match_case(&ch.jurisdiction, &tags, &ch.title, &ch.excerpt, c)
        {
            matches.push((ch.id, strength, reason));
        }
    }
    app.store.add_case_matches(&c.id, &matches).await
}

/// The open cases a change from `jurisdiction` affects, each with its
/// strength and reason: only the candidates the store's index of match
/// terms gives (cases of a country its rules reach sharing an HS heading,
/// chapter, keyword or category with it) are read and matched, so the cost
/// follows the cases that can match, not every case.
pub async fn matching_cases(
    app: &App,
    jurisdiction: &str,
    tags: &crate::model::Tags,
    title: &str,
    text: &str,
) -> anyhow::Result<Vec<crate::model::CaseMatch>> {
    let Some(probe) = crate::matching::probe(jurisdiction, tags) else {
        return Ok(vec![]);
    };
    let candidates = app.store.candidate_cases(&probe, title, text).await?;
    Ok(crate::matching::match_change(
        jurisdiction,
        tags,
        title,
        text,
        &candidates,
    ))
}
