//! Cases: import (CSV or JSON, idempotent by id), close, and matching a new
//! or updated case against recent changes.

use super::{App, ServiceError};
use crate::model::{Case, Country, HsCode};
use crate::store::ChangeFilter;

/// The columns of a cases CSV, in order.
/// `origin` is optional.
pub const CASE_COLUMNS: [&str; 10] = [
    "id",
    "client",
    "title",
    "country",
    "hs_codes",
    "categories",
    "keywords",
    "status",
    "link",
    "origin",
];

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
    let link = link
        .filter(|l| !l.trim().is_empty())
        .or_else(|| (!link_template.is_empty()).then(|| link_template.replace("{id}", &id)));
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

/// Parse a CSV or JSON export into cases and bad rows (good rows still import).
pub fn parse_cases(
    text: &str,
    is_json: bool,
    known_categories: &[String],
    categories_for_hs: &dyn Fn(&str) -> Vec<String>,
    link_template: &str,
) -> Result<(Vec<Case>, Vec<RowError>), String> {
    let mut good = vec![];
    let mut bad = vec![];
    if is_json {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("not a JSON array of cases: {e}"))?;
        for (i, v) in rows.into_iter().enumerate() {
            let row = format!("item {}", i + 1);
            match serde_json::from_value::<JsonCase>(v) {
                Err(e) => bad.push(RowError {
                    row,
                    reason: e.to_string(),
                }),
                Ok(j) => match build_case(
                    RawCase {
                        id: j.id,
                        client: j.client,
                        title: j.title,
                        country: j.country,
                        hs_codes: j.hs_codes,
                        categories: j.categories,
                        keywords: j.keywords,
                        status: j.status,
                        link: j.link,
                        origin: j.origin,
                    },
                    known_categories,
                    categories_for_hs,
                    link_template,
                ) {
                    Ok(c) => good.push(c),
                    Err(reason) => bad.push(RowError { row, reason }),
                },
            }
        }
        return Ok((good, bad));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| format!("cannot read the CSV header: {e}"))?
        .clone();
    let expected = CASE_COLUMNS;
    for h in headers.iter() {
        if !expected.contains(&h) {
            return Err(format!(
                "unknown CSV column `{h}`: the header is {}",
                expected.join(",")
            ));
        }
    }
    for req in ["id", "country"] {
        if !headers.iter().any(|h| h == req) {
            return Err(format!(
                "the CSV header lacks `{req}`: the header is {}",
                expected.join(",")
            ));
        }
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| p.line().to_string())
                    .unwrap_or_else(|| "?".into());
                bad.push(RowError {
                    row: format!("line {line}"),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).unwrap_or("").to_string();
        if rec.len() != headers.len() {
            bad.push(RowError {
                row: format!("line {line}"),
                reason: format!("{} fields, the header has {}", rec.len(), headers.len()),
            });
            continue;
        }
        let raw = RawCase {
            id: get("id"),
            client: get("client"),
            title: get("title"),
            country: get("country"),
            hs_codes: split_list(&get("hs_codes")),
            categories: split_list(&get("categories")),
            keywords: split_list(&get("keywords")),
            status: Some(get("status")),
            link: Some(get("link")),
            origin: Some(get("origin")),
        };
        match build_case(raw, known_categories, categories_for_hs, link_template) {
            Ok(c) => good.push(c),
            Err(reason) => bad.push(RowError {
                row: format!("line {line}"),
                reason,
            }),
        }
    }
    Ok((good, bad))
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub read: usize,
    pub updated: Vec<String>,
    pub matched: usize,
    pub closed: usize,
    pub bad: Vec<RowError>,
    /// `close_missing` was asked but refused, since rows could not be read.
    pub close_refused: bool,
}

/// Import cases from an export's text: new or updated cases are stored and
/// matched against recent changes; with `close_missing`, open cases absent
/// from the export are closed, unless a row could not be read (a case
/// missing from the export cannot then be told from one not understood).
pub async fn import(
    app: &App,
    text: &str,
    is_json: bool,
    close_missing: bool,
) -> Result<ImportReport, ServiceError> {
    let cats = app.tagger.taxonomy.category_names();
    let tax = &app.tagger.taxonomy;
    let (good, bad) = parse_cases(
        text,
        is_json,
        &cats,
        &|h| tax.categories_for_hs(h),
        &app.config.cases.link,
    )
    .map_err(ServiceError::Invalid)?;
    let mut report = ImportReport {
        read: good.len(),
        ..Default::default()
    };
    for c in &good {
        if app.store.upsert_case(c, app.now()).await? {
            report.updated.push(c.id.clone());
            report.matched += backmatch(app, c).await?;
        }
    }
    if close_missing && !bad.is_empty() {
        report.close_refused = true;
    } else if close_missing {
        for c in app.store.open_cases().await? {
            if !good.iter().any(|g| g.id == c.id) {
                app.store.close_case(&c.id, app.now()).await?;
                report.closed += 1;
            }
        }
    }
    report.bad = bad;
    Ok(report)
}

/// Close one case.
pub async fn close(app: &App, id: &str) -> Result<(), ServiceError> {
    if app.store.close_case(id, app.now()).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("no case `{id}`")))
    }
}

/// Cases, open ones or all.
pub async fn list(app: &App, all: bool) -> Result<Vec<Case>, ServiceError> {
    Ok(app
        .store
        .cases(if all { None } else { Some("open") })
        .await?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_bad_rows_are_reported_good_rows_kept() {
        let csv = "id,client,title,country,hs_codes,categories,keywords,status,link\n\
                   C1,Acme,Phones,TR,8517.13;8517.62,,IMEI,open,\n\
                   C2,Acme,Bad,Narnia,8517,,,open,\n\
                   C3,Acme,Bad HS,TR,85x7,,,open,\n\
                   C4,Beta,Monitors,VN,9018.19,,,,\n";
        let cats = vec![
            "electronics".to_string(),
            "telecom".into(),
            "medical".into(),
        ];
        let f = |h: &str| {
            if h.starts_with("9018") {
                vec!["medical".to_string()]
            } else {
                vec!["telecom".to_string()]
            }
        };
        let (good, bad) = parse_cases(csv, false, &cats, &f, "https://cases/{id}").unwrap();
        assert_eq!(
            good.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            vec!["C1", "C4"]
        );
        assert_eq!(good[0].categories, vec!["telecom"]);
        assert_eq!(good[1].categories, vec!["medical"]);
        assert_eq!(good[1].link.as_deref(), Some("https://cases/C4"));
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].row, "line 3");
        assert!(bad[0].reason.contains("country"));
        assert_eq!(bad[1].row, "line 4");
    }
}
