//! Importing cases: the reader on its own thread hands on batches, each
//! written to the store in the import's one transaction and matched back
//! against the changes of the back-matching window.

use super::*;
use crate::model::Change;
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Rows read (cases and bad rows; blank rows are not counted).
    pub rows: u64,
    /// Cases read well.
    pub read: u64,
    /// New or changed cases.
    pub updated: u64,
    /// The first ids of those (for an API answer).
    pub updated_ids: Vec<String>,
    pub matched: usize,
    pub closed: u64,
    /// Bad rows, the first [`MAX_BAD_KEPT`] of them.
    pub bad: Vec<RowError>,
    pub bad_total: u64,
    /// `close_missing` was asked but refused, since rows could not be read.
    pub close_refused: bool,
    /// Header columns regwatch does not read (ignored).
    pub ignored_columns: Vec<String>,
    pub separator: char,
}

/// How far an import is, for a progress line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub rows: u64,
    pub bytes: u64,
}

enum Msg {
    Header {
        separator: char,
        ignored: Vec<String>,
    },
    Batch {
        cases: Vec<Case>,
        bad: Vec<RowError>,
        rows: u64,
    },
}

/// Import cases from an export's text (the API's posted cases).
pub async fn import(
    app: &App,
    text: &str,
    is_json: bool,
    close_missing: bool,
) -> Result<ImportReport, ServiceError> {
    import_from(
        app,
        std::io::Cursor::new(text.as_bytes().to_vec()),
        is_json,
        close_missing,
        &|_| {},
    )
    .await
}

/// Import cases from a reader (a file): new or updated cases are stored and
/// matched against recent changes; with `close_missing`, open cases absent
/// from the export are closed, unless a row could not be read (a case
/// missing from the export cannot then be told from one not understood).
/// One transaction: on any error nothing is changed.
pub async fn import_from(
    app: &App,
    input: impl Read + Send + 'static,
    is_json: bool,
    close_missing: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportReport, ServiceError> {
    let bytes = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(2);
    let reader = spawn_reader(app, input, is_json, bytes.clone(), tx);
    let since = app.now() - chrono::Duration::days(app.config.cases.backmatch_days);
    let recent = Recent::load(app, since).await?;
    let now = app.now();
    let mut report = ImportReport {
        separator: ',',
        ..Default::default()
    };
    let mut w = app.store.begin_case_import(close_missing).await?;
    let written = async {
        while let Some(m) = rx.recv().await {
            match m {
                Msg::Header { separator, ignored } => {
                    report.separator = separator;
                    report.ignored_columns = ignored;
                }
                Msg::Batch { cases, bad, rows } => {
                    report.rows = rows;
                    write_batch(&mut w, &recent, &mut report, cases, bad, close_missing, now)
                        .await?;
                    progress(Progress {
                        rows,
                        bytes: bytes.load(Ordering::Relaxed),
                    });
                }
            }
        }
        reader_outcome(reader.await)?;
        if close_missing && report.bad_total > 0 {
            report.close_refused = true;
        } else if close_missing {
            report.closed = w.close_unseen(now).await?;
        }
        Ok::<(), ServiceError>(())
    }
    .await;
    if let Err(e) = written {
        // Nothing of the import is kept; its connection gets its settings
        // back before it returns to the pool.
        if let Err(undo) = w.abandon().await {
            tracing::warn!(error = %undo, "rolling back a failed case import");
        }
        return Err(e);
    }
    w.commit().await?;
    Ok(report)
}

/// The reader, on a thread of its own: the file parsed in batches of
/// [`BATCH`] rows handed on through `tx`.
fn spawn_reader(
    app: &App,
    input: impl Read + Send + 'static,
    is_json: bool,
    counter: Arc<AtomicU64>,
    tx: tokio::sync::mpsc::Sender<Msg>,
) -> tokio::task::JoinHandle<Result<(), Stop>> {
    let limits = Limits::of(&app.config.cases);
    let tagger = app.tagger.clone();
    let template = app.config.cases.link.clone();
    tokio::task::spawn_blocking(move || -> Result<(), Stop> {
        let cats = tagger.taxonomy.category_names();
        let by_hs = |h: &str| tagger.taxonomy.categories_for_hs(h);
        let parser = CaseParser {
            known_categories: &cats,
            categories_for_hs: &by_hs,
            link_template: &template,
        };
        let mut cases: Vec<Case> = Vec::with_capacity(BATCH);
        let mut bad = vec![];
        let mut rows = 0u64;
        let send = |m: Msg| tx.blocking_send(m).map_err(|_| Stop::Cancelled);
        read_cases(input, is_json, limits, &parser, counter, &mut |p| {
            match p {
                Parsed::Header { separator, ignored } => send(Msg::Header { separator, ignored })?,
                Parsed::Row(r) => {
                    rows += 1;
                    match r {
                        Ok(c) => cases.push(c),
                        Err(e) => bad.push(e),
                    }
                    if cases.len() + bad.len() >= BATCH {
                        send(Msg::Batch {
                            cases: std::mem::take(&mut cases),
                            bad: std::mem::take(&mut bad),
                            rows,
                        })?;
                    }
                }
            }
            Ok(())
        })?;
        send(Msg::Batch { cases, bad, rows })
    })
}

/// One batch written in the import's transaction: the last row of an id
/// wins, the new or changed cases have their matches made again against
/// the recent changes.
async fn write_batch(
    w: &mut crate::store::cases::CaseImport,
    recent: &Recent,
    report: &mut ImportReport,
    cases: Vec<Case>,
    bad: Vec<RowError>,
    close_missing: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    report.read += cases.len() as u64;
    report.bad_total += bad.len() as u64;
    for b in bad {
        if report.bad.len() < MAX_BAD_KEPT {
            report.bad.push(b);
        }
    }
    // The last row of one id wins, as if each row were imported in turn.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, c) in cases.iter().enumerate() {
        last.insert(&c.id, i);
    }
    let cases: Vec<&Case> = cases
        .iter()
        .enumerate()
        .filter(|(i, c)| last.get(c.id.as_str()) == Some(i))
        .map(|(_, c)| c)
        .collect();
    let changed = w.upsert(&cases, now).await?;
    if close_missing {
        w.seen(&cases).await?;
    }
    let changed: Vec<&Case> = cases
        .into_iter()
        .filter(|c| changed.contains(&c.id))
        .collect();
    report.updated += changed.len() as u64;
    for c in &changed {
        if report.updated_ids.len() < MAX_BAD_KEPT {
            report.updated_ids.push(c.id.clone());
        }
    }
    w.clear_matches(&changed).await?;
    for c in changed {
        let m = recent.matches(c);
        if !m.is_empty() {
            report.matched += w.add_matches(&c.id, &m).await?;
        }
    }
    Ok(())
}

/// How the reader ended: an error of the file, or of the reader itself,
/// fails the whole import.
fn reader_outcome(
    joined: Result<Result<(), Stop>, tokio::task::JoinError>,
) -> Result<(), ServiceError> {
    match joined {
        Ok(Ok(())) => Ok(()),
        Ok(Err(Stop::Fatal(m))) => Err(ServiceError::Invalid(m)),
        Ok(Err(Stop::Cancelled)) => Err(ServiceError::Internal(anyhow::anyhow!(
            "the import was cancelled: nothing was changed"
        ))),
        Err(e) => Err(ServiceError::Internal(anyhow::anyhow!(
            "the import's reader failed ({e}): nothing was changed"
        ))),
    }
}

/// The changes of the back-matching window, each with its tags, by the
/// jurisdiction whose rules it carries: a case is compared only with the
/// changes of the jurisdictions that cover its destination.
struct Recent {
    by_jurisdiction: HashMap<String, Vec<(Change, crate::model::Tags)>>,
}

impl Recent {
    async fn load(app: &App, since: chrono::DateTime<chrono::Utc>) -> anyhow::Result<Recent> {
        let f = ChangeFilter {
            since: Some(since),
            ..Default::default()
        };
        let mut by_jurisdiction: HashMap<String, Vec<_>> = HashMap::new();
        for ch in app.store.changes(&f).await? {
            let tags = ch.tags();
            if let Some(j) = crate::matching::effective_jurisdiction(&ch.jurisdiction, &tags) {
                by_jurisdiction
                    .entry(j.to_string())
                    .or_default()
                    .push((ch, tags));
            }
        }
        Ok(Recent { by_jurisdiction })
    }

    fn matches(&self, c: &Case) -> Vec<(i64, crate::model::Strength, String)> {
        let mut out = vec![];
        if c.status != "open" || self.by_jurisdiction.is_empty() {
            return out;
        }
        let Ok(dest) = Country::parse(&c.country) else {
            return out;
        };
        for j in dest.covered_by() {
            for (ch, tags) in self.by_jurisdiction.get(j.as_str()).into_iter().flatten() {
                if let Some((strength, reason)) =
                    crate::matching::match_case(&ch.jurisdiction, tags, &ch.title, &ch.excerpt, c)
                {
                    out.push((ch.id, strength, reason));
                }
            }
        }
        out
    }
}
