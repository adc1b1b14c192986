//! One poll of one source, top to bottom: fetch -> extract -> normalize ->
//! diff -> classify -> match -> route -> record (with outbox rows) in one
//! transaction.
//!
//! [`poll_source`] reads as that sequence: [`observe`] runs the stages, any
//! of which may end the poll with its outcome (failed, not modified, the
//! same bytes, the same content, held as suspect, changed); the store
//! records the outcome and the poll reports it. `plan` says where and when
//! a source is polled, `records` makes its changes ready to record.

use crate::app::App;
use crate::config::Source;
use crate::events::{PollFinished, SourceHealthChanged};
use crate::extract::{self, ExtractError};
use crate::fetch::{FetchError, FetchOutcome, Fetched, Fetcher, Validators};
use crate::model::{Content, HealthChange, PollOutcome, PollStatus, SourceKind};
use crate::normalize::content_json;
use crate::store::{PollRecord, PollResult, SourceState};
use chrono::{DateTime, Utc};
use std::time::Instant;

mod plan;
pub use plan::reconcile;
mod records;

pub use plan::{jitter_within, next_due, source_url};
pub use records::MAX_FOLLOW_PER_POLL;

#[derive(Debug, Clone)]
pub struct PollSummary {
    pub source: String,
    pub status: PollStatus,
    pub change_ids: Vec<i64>,
    pub health: Option<HealthChange>,
    pub elapsed_ms: u64,
    /// What a person should do about the source beyond this poll's outcome
    /// ("moved to …: update the source", "rate limited until …"), as its
    /// health says after the poll.
    pub note: Option<String>,
}

/// Poll one source now and record the outcome.
pub async fn poll_source(app: &App, source: &Source) -> anyhow::Result<PollSummary> {
    poll_source_from(app, source, None).await
}

/// Poll one source now, from `start` when its pass read it already (see
/// [`crate::store::Store::pass_start`]), and record the outcome.
async fn poll_source_from(
    app: &App,
    source: &Source,
    start: Option<crate::store::PollStart>,
) -> anyhow::Result<PollSummary> {
    let t0 = Instant::now();
    let started_at = app.now();
    // The source's state and the rate limits running, in one read.
    let start = match start {
        Some(s) => s,
        None => app.store.poll_start(source.id(), started_at).await?,
    };
    if let Some((until, why)) = deferred(app, source, &start.rate_limits) {
        // Not asked at all: nothing fetched, nothing recorded; planned
        // again when the wait is over.
        app.store.defer_source(source.id(), until).await?;
        tracing::info!(source = %source.id(), outcome = crate::model::DEFERRED, reason = %why, "poll deferred: the site asked us to wait");
        return Ok(PollSummary {
            source: source.id().to_string(),
            status: PollStatus::Deferred(why.clone()),
            change_ids: vec![],
            health: None,
            elapsed_ms: t0.elapsed().as_millis() as u64,
            note: Some(why),
        });
    }
    let state = start.state;
    let mut record = PollRecord {
        source_id: source.id().to_string(),
        jurisdiction: source.def.jurisdiction.to_string(),
        started_at,
        duration_ms: 0,
        status: None,
        bytes: None,
        outcome: PollOutcome::NotModified,
        expected_snapshot: state.last_snapshot_id,
        body_hash: None,
        next_poll_at: Some(next_due(app, source, started_at)),
        down_after: app.config.health.failures_before_alert,
        health_channels: app.health_channels(),
        url: source.def.url.to_string(),
        moved_to: None,
        rate_limited_until: None,
        seen_keys: vec![],
        standing: Some(crate::health::Standing {
            consecutive_failures: state.consecutive_failures,
            down: state.down,
        }),
        stories: None,
        content_json: None,
    };
    record.outcome = observe(app, source, &state, &mut record).await?;
    let status = status_of(&record.outcome);
    record.duration_ms = t0.elapsed().as_millis() as i64;
    let mut recorded = app.store.record_poll(record).await?;
    let health = recorded.source_health.take();
    let mut summary = report(source, status, recorded, t0);
    summary.note = note_after(app, source, health).await?;
    Ok(summary)
}

/// Why `source` must not be asked now, if it must not: it, or another
/// source on its host, was told by the site to wait (429/503 with
/// Retry-After) until a time still to come. `limits` are the rate limits
/// the store holds (see [`crate::store::Store::poll_start`]), so a second
/// `regwatch poll`, or another instance, waits as well.
fn deferred(
    app: &App,
    source: &Source,
    limits: &[(String, DateTime<Utc>)],
) -> Option<(DateTime<Utc>, String)> {
    let host = |s: &Source| s.def.url.host_str().map(str::to_ascii_lowercase);
    let mine = host(source);
    let mut until: Option<(DateTime<Utc>, String)> = None;
    for (id, t) in limits {
        let same =
            id == source.id() || (mine.is_some() && app.sources.get(id).and_then(host) == mine);
        if same && until.as_ref().is_none_or(|(u, _)| t > u) {
            until = Some((*t, id.clone()));
        }
    }
    until.map(|(t, id)| {
        let whom = if id == source.id() {
            "the site".to_string()
        } else {
            format!("the site (its host, for source `{id}`)")
        };
        let why = format!(
            "rate limited until {}: {whom} asked us to wait (HTTP 429/503 Retry-After); not asked before then",
            t.format("%Y-%m-%d %H:%M:%S UTC")
        );
        (t, why)
    })
}

/// The source's health note after a poll (see [`crate::services::sources`]),
/// from the health row the record returned (read here only when it did not).
async fn note_after(
    app: &App,
    source: &Source,
    health: Option<crate::model::SourceHealth>,
) -> anyhow::Result<Option<String>> {
    let health = match health {
        Some(h) => Some(h),
        None => app.store.source_health(source.id()).await?,
    };
    let now = app.now();
    Ok(health.and_then(|h| crate::services::sources::health_note(source, &h, now)))
}

/// The stages of one poll, each of which may end it with its outcome:
/// fetch (failed, or not modified), the very bytes last extracted, extract
/// (failed), the same content, a sudden shrink (held as suspect), and at
/// last the diff, its changes tagged, matched and routed. `record` takes
/// the fetch's status, size and body hash on the way.
async fn observe(
    app: &App,
    source: &Source,
    state: &SourceState,
    record: &mut PollRecord,
) -> anyhow::Result<PollOutcome> {
    let validators = stored_validators(state);
    let url = source_url(source, record.started_at);
    let f = match fetch_source(&app.fetcher, source, &url, &validators).await {
        Err(FetchError::RateLimited(wait)) => return Ok(rate_limited(record, wait)),
        Err(e) => return Ok(failed(e)),
        Ok(FetchOutcome::NotModified { moved_to, .. }) => {
            record.status = Some(304);
            if !source.redirect_means_empty() {
                record.moved_to = moved_to.map(|u| u.to_string());
            }
            return Ok(PollOutcome::NotModified);
        }
        Ok(FetchOutcome::Fetched(f)) => f,
    };
    record.status = Some(f.status as i64);
    if source.redirect_means_empty() && f.final_url != url {
        // A redirect to another page: nothing at this address today. The
        // last snapshot stands (its items are not withdrawn), and the
        // address has not moved.
        tracing::debug!(source = %source.id(), to = %crate::util::redact(&f.final_url), "redirected: nothing today");
        return Ok(PollOutcome::NotModified);
    }
    record.moved_to = f.moved_to.as_ref().map(|u| u.to_string());
    record.bytes = Some(f.body.len() as i64);
    let body_hash = body_hash(source, &f.body);
    let same_bytes = state.last_snapshot_id.is_some()
        && state.suspect_hash.is_none()
        && state.body_hash.as_deref() == Some(body_hash.as_str());
    record.body_hash = Some(body_hash);
    let etag = f.validators.etag.clone();
    let last_modified = f.validators.last_modified.clone();
    if same_bytes {
        // The very bytes last extracted, under the same rules: no parsing.
        return Ok(PollOutcome::Unchanged {
            etag,
            last_modified,
        });
    }
    let content = match extract_content(app, source, state, f).await? {
        Ok(content) => content,
        Err(e) => return Ok(failed(e)),
    };
    let json = content_json(&content);
    let hash = crate::normalize::sha256_hex(json.as_bytes());
    if state.last_hash.as_deref() == Some(hash.as_str()) {
        return Ok(PollOutcome::Unchanged {
            etag,
            last_modified,
        });
    }
    // The last snapshot, the items seen before and the stories this poll's
    // changes may join, in one read.
    let keys = match state.last_snapshot_id {
        Some(_) => all_identity_keys(source, &content),
        None => vec![],
    };
    let ahead = app
        .store
        .read_ahead(
            source.id(),
            source.def.jurisdiction.as_str(),
            state.last_snapshot_id,
            &keys,
            record.started_at,
        )
        .await?;
    let previous = ahead.previous;
    if let Some(reason) = held(state, previous.as_ref(), &content, &hash) {
        return Ok(PollOutcome::Suspect { hash, reason });
    }
    record.stories = ahead.stories;
    let raw = diff_remembering(source, previous.as_ref(), &content, ahead.seen, record);
    let changes = records::build_records(app, source, raw).await?;
    // (Empty only if the content did not serialize: the store then tries
    // again, and reports why.)
    record.content_json = Some(json).filter(|j| !j.is_empty());
    Ok(PollOutcome::Changed {
        content,
        hash,
        etag,
        last_modified,
        baseline: previous.is_none(),
        changes,
    })
}

/// The diff against the last snapshot, with the source's comparison rules
/// and its memory of items seen before (an act sliding back from page 2 is
/// not new); what arrived and left is remembered with the poll. `seen`:
/// which of the content's identity keys the source showed before.
fn diff_remembering(
    source: &Source,
    previous: Option<&Content>,
    content: &Content,
    mut seen: std::collections::HashSet<String>,
    record: &mut PollRecord,
) -> Vec<crate::model::NewChange> {
    use crate::diff::{diff_in, identity_keys, DiffContext, Turnover};
    let canon = &source.canon;
    let turnover = Turnover::of(canon, previous, content);
    // Asked of the memory: only the items arriving since the last snapshot.
    let arriving: std::collections::HashSet<&String> = turnover.arriving.iter().collect();
    seen.retain(|k| previous.is_some() && arriving.contains(k));
    let seen_before = |it: &crate::model::Item| {
        !seen.is_empty() && identity_keys(canon, it).iter().any(|k| seen.contains(k))
    };
    let ctx = DiffContext {
        canon,
        seen: &seen_before,
    };
    let raw = diff_in(previous, content, &source.def.name, &ctx);
    record.seen_keys = turnover.remember;
    raw
}

/// The identity keys of every item of `content` (what the source's memory
/// of items seen before is asked about; the arriving ones among them).
fn all_identity_keys(source: &Source, content: &Content) -> Vec<String> {
    match content {
        Content::Items { items } => items
            .iter()
            .flat_map(|it| crate::diff::identity_keys(&source.canon, it))
            .collect(),
        Content::Text { .. } => vec![],
    }
}

/// A site that asked us to wait: a failed poll whose source (and host) is
/// not asked again before then.
fn rate_limited(record: &mut PollRecord, wait: std::time::Duration) -> PollOutcome {
    let until =
        record.started_at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
    record.rate_limited_until = Some(until);
    record.next_poll_at = Some(record.next_poll_at.map_or(until, |n| n.max(until)));
    PollOutcome::Failed {
        error: format!(
            "rate limited by the site (HTTP 429/503): asked to wait {}s, not polled again before {}",
            wait.as_secs(),
            until.format("%Y-%m-%d %H:%M:%S UTC")
        ),
    }
}

/// The poll's events (each logged and counted) and its summary.
fn report(source: &Source, status: PollStatus, recorded: PollResult, t0: Instant) -> PollSummary {
    let id = source.id();
    // Another poll of this source (another process, an instance sharing the
    // database) was recorded meanwhile and reported what changed; this one
    // recorded nothing but its fetch.
    let status = if recorded.superseded {
        tracing::info!(source = %id, "another poll of this source was recorded meanwhile; this one recorded only its fetch");
        PollStatus::Unchanged
    } else {
        status
    };
    let elapsed_ms = t0.elapsed().as_millis() as u64;
    PollFinished {
        source: id,
        url: &source.def.url,
        status: &status,
        elapsed_ms,
        changes: recorded.change_ids.len(),
    }
    .emit();
    if let Some(change) = recorded.health {
        SourceHealthChanged {
            source: id,
            change,
            error: match &status {
                PollStatus::Failed(e) => Some(e),
                _ => None,
            },
        }
        .emit();
    }
    PollSummary {
        source: id.to_string(),
        status,
        change_ids: recorded.change_ids,
        health: recorded.health,
        elapsed_ms,
        note: None,
    }
}

/// The poll's result as its caller sees it.
fn status_of(outcome: &PollOutcome) -> PollStatus {
    match outcome {
        PollOutcome::NotModified => PollStatus::NotModified,
        PollOutcome::Unchanged { .. } => PollStatus::Unchanged,
        PollOutcome::Changed { baseline: true, .. } => PollStatus::Baseline,
        PollOutcome::Changed { changes, .. } => PollStatus::Changed(changes.len()),
        PollOutcome::Failed { error } => PollStatus::Failed(error.clone()),
        PollOutcome::Suspect { reason, .. } => PollStatus::Suspect(reason.clone()),
    }
}

fn failed(e: impl std::fmt::Display) -> PollOutcome {
    PollOutcome::Failed {
        error: e.to_string(),
    }
}

/// The validators of a conditional GET: none before the first snapshot, as
/// a source without one must be fetched in full.
fn stored_validators(state: &SourceState) -> Validators {
    if state.last_snapshot_id.is_some() {
        Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        }
    } else {
        Validators::default()
    }
}

/// The source's document: fetched, or rendered in the browser for
/// `render = "browser"` (always in full: a browser has no conditional GET).
async fn fetch_source(
    fetcher: &Fetcher,
    source: &Source,
    url: &url::Url,
    validators: &Validators,
) -> Result<FetchOutcome, FetchError> {
    match source.def.render {
        Some(crate::config::Render::Browser) => fetcher
            .render(url, source.def.wait_for.as_deref())
            .await
            .map(FetchOutcome::Fetched),
        None => fetcher.fetch(url, validators).await,
    }
}

/// The fetched body's hash under the source's rules: the same bytes under
/// the same rules extract the same content.
fn body_hash(source: &Source, body: &[u8]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(source.rules.fingerprint.as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

/// A document up to this size is extracted on the async thread that
/// fetched it: a small feed parses in tens of microseconds, less than the
/// two thread hand-offs of sending it to the blocking pool and back.
const INLINE_EXTRACT_BYTES: usize = 32 * 1024;

/// Extract off the async threads (parsing is CPU work, and `scraper::Html`
/// is not `Send`), but for small documents (see [`INLINE_EXTRACT_BYTES`]).
/// On a current-thread runtime (the one-shot `regwatch poll`), on that
/// thread: a pass is CPU work from end to end, and handing every document
/// to another thread and back cost more than the parsing.
async fn extract_fetched(
    source: &Source,
    f: Fetched,
) -> Result<Result<Content, ExtractError>, tokio::task::JoinError> {
    let kind = source.def.kind;
    let rules = source.rules.clone();
    let small = f.body.len() <= INLINE_EXTRACT_BYTES;
    let run = move || {
        extract::extract(
            kind,
            &rules,
            &f.body,
            f.content_type.as_deref(),
            &f.final_url,
        )
    };
    let current_thread = tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::CurrentThread;
    if current_thread || small {
        // A panic in an extractor is a failed extraction here too.
        if let Ok(r) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            return Ok(r);
        }
        return Ok(Err(ExtractError::Rule(
            "the extractor crashed on this document".into(),
        )));
    }
    tokio::task::spawn_blocking(run).await
}

/// The fetched document's content, or why it has none (see [`zero_items`]).
async fn extract_content(
    app: &App,
    source: &Source,
    state: &SourceState,
    f: Fetched,
) -> anyhow::Result<Result<Content, ExtractError>> {
    let extracted = extract_fetched(source, f).await.unwrap_or_else(|_| {
        Err(ExtractError::Rule(
            "the extractor crashed on this document".into(),
        ))
    });
    match extracted {
        Err(ExtractError::NoItems(why)) => zero_items(app, source, state, why).await,
        other => Ok(other),
    }
}

/// The content of the source's last snapshot, if it has one.
async fn last_content(app: &App, state: &SourceState) -> anyhow::Result<Option<Content>> {
    match state.last_snapshot_id {
        Some(sid) => app.store.snapshot_content(sid).await,
        None => Ok(None),
    }
}

/// A listing without items: a valid answer where the source says so
/// (`may_be_empty`), a failed poll where the last snapshot had items (a
/// broken page or query far more often than a source that emptied), and
/// otherwise an empty feed, or the extraction error of a page or API.
async fn zero_items(
    app: &App,
    source: &Source,
    state: &SourceState,
    why: String,
) -> anyhow::Result<Result<Content, ExtractError>> {
    let empty = Content::Items { items: vec![] };
    if source.def.may_be_empty {
        return Ok(Ok(empty));
    }
    let had = match last_content(app, state).await? {
        Some(Content::Items { items }) => items.len(),
        _ => 0,
    };
    Ok(if had > 0 {
        Err(ExtractError::Emptied { had, why })
    } else if source.def.kind == SourceKind::Feed {
        Ok(empty)
    } else {
        Err(ExtractError::NoItems(why))
    })
}

/// Why a listing that shrank suddenly is held, not diffed: until the next
/// poll shows the same content again (then it is diffed).
fn held(
    state: &SourceState,
    previous: Option<&Content>,
    content: &Content,
    hash: &str,
) -> Option<String> {
    match (previous, content) {
        (Some(Content::Items { items: old }), Content::Items { items: new })
            if state.suspect_hash.as_deref() != Some(hash) =>
        {
            suspect_shrink(old.len(), new.len())
        }
        _ => None,
    }
}

/// A listing that loses more than half of its items (two at least) in one
/// poll is held as suspect: far more often a page that broke than a mass
/// withdrawal. The reason, as the source's health shows it.
pub fn suspect_shrink(had: usize, has: usize) -> Option<String> {
    let lost = had.saturating_sub(has);
    (has > 0 && lost >= 2 && lost * 2 > had).then(|| {
        format!(
            "suspect: {has} items where the last snapshot had {had}; \
             held until the next poll shows the same"
        )
    })
}

/// Poll many sources with bounded concurrency (per-host limits are in the fetcher).
/// `on_done(done, total)` is called as each poll ends (a progress bar).
pub async fn poll_many(
    app: &App,
    sources: Vec<Source>,
    mut on_done: impl FnMut(usize, usize),
) -> Vec<PollSummary> {
    use futures_util::stream::{self, StreamExt};
    let total = sources.len();
    let conc = app.config.fetch.concurrency.max(1);
    let mut done = 0usize;
    let mut out = Vec::with_capacity(total);
    // Every poll's state and the rate limits, in one read for the pass; if
    // it fails, each poll reads its own (and reports what fails).
    let ids: std::collections::HashSet<&str> = sources.iter().map(|s| s.id()).collect();
    let pass = match app.store.pass_start(&ids, app.now()).await {
        Ok(p) => Some(std::sync::Arc::new(p)),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "the sources' states could not be read for the pass; each poll reads its own");
            None
        }
    };
    drop(ids);
    let mut s = stream::iter(sources.into_iter().map(|src| {
        let app = app.clone();
        let pass = pass.clone();
        async move {
            let id = src.id().to_string();
            let start = pass.as_ref().map(|p| p.of(&id));
            match poll_source_from(&app, &src, start).await {
                Ok(s) => s,
                Err(e) => PollSummary {
                    source: id,
                    status: PollStatus::Failed(format!("could not record the poll: {e:#}")),
                    change_ids: vec![],
                    health: None,
                    elapsed_ms: 0,
                    note: None,
                },
            }
        }
    }))
    .buffer_unordered(conc);
    while let Some(r) = s.next().await {
        done += 1;
        on_done(done, total);
        out.push(r);
    }
    out.sort_by(|a, b| a.source.cmp(&b.source));
    out
}

/// `sources test`: fetch one source and extract, storing nothing.
pub async fn test_source(
    fetcher: &Fetcher,
    source: &Source,
    now: DateTime<Utc>,
) -> anyhow::Result<Content> {
    let url = source_url(source, now);
    match fetch_source(fetcher, source, &url, &Validators::default()).await? {
        FetchOutcome::NotModified { .. } => {
            anyhow::bail!("the server answered 304 to an unconditional request")
        }
        FetchOutcome::Fetched(f) => {
            let may_be_empty = source.def.may_be_empty || source.def.kind == SourceKind::Feed;
            match extract_fetched(source, f).await? {
                Err(ExtractError::NoItems(_)) if may_be_empty => {
                    Ok(Content::Items { items: vec![] })
                }
                c => Ok(c?),
            }
        }
    }
}
