//! One poll of one source, top to bottom: fetch -> extract -> normalize ->
//! diff -> classify -> match -> record (with outbox rows) in one transaction.

use crate::config::{ChannelConfig, ChannelMode, Config, Source};
use crate::extract::{self, ExtractError};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::model::{CaseMatch, ChangeKind, Content, Country, NewChange};
use crate::normalize::content_hash;
use crate::store::{ChangeRecord, Health, PollOutcome, PollRecord, Store, Tags};
use crate::tagging::Tagger;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Instant;

/// Everything a poll needs, shared by the CLI and the daemon.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    pub fetcher: Fetcher,
    pub tagger: Arc<Tagger>,
}

/// At most this many new items of one poll have their link followed.
pub const MAX_FOLLOW_PER_POLL: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStatus {
    Baseline,
    Changed(usize),
    Unchanged,
    NotModified,
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct PollSummary {
    pub source: String,
    pub status: PollStatus,
    pub change_ids: Vec<i64>,
    pub health: Option<Health>,
    pub elapsed_ms: u64,
}

impl App {
    pub fn new(config: Config, store: Store, tagger: Tagger) -> anyhow::Result<App> {
        let fetcher = Fetcher::new(&config.fetch)?;
        Ok(App {
            config: Arc::new(config),
            store,
            fetcher,
            tagger: Arc::new(tagger),
        })
    }

    pub fn health_channels(&self) -> Vec<String> {
        self.config
            .channels
            .iter()
            .filter(|c| c.filter.health.unwrap_or(true))
            .map(|c| c.name.clone())
            .collect()
    }
}

/// The channels that want this change delivered now (immediate mode and
/// the filter passes).
pub fn immediate_routes(
    channels: &[ChannelConfig],
    jurisdiction: &str,
    tags: &Tags,
    cases: &[CaseMatch],
) -> Vec<String> {
    channels
        .iter()
        .filter(|c| {
            c.mode == ChannelMode::Immediate
                && filter_passes(c, jurisdiction, &tags.categories, !cases.is_empty())
        })
        .map(|c| c.name.clone())
        .collect()
}

pub fn filter_passes(
    c: &ChannelConfig,
    jurisdiction: &str,
    categories: &[String],
    has_cases: bool,
) -> bool {
    let f = &c.filter;
    if !f.countries.is_empty() {
        let Ok(j) = Country::parse(jurisdiction) else {
            return false;
        };
        let ok = f.countries.iter().any(|cc| {
            Country::parse(cc)
                .map(|cc| j.covers(&cc) || j == cc)
                .unwrap_or(false)
        });
        if !ok {
            return false;
        }
    }
    if !f.categories.is_empty()
        && !categories
            .iter()
            .any(|c| f.categories.iter().any(|x| x.eq_ignore_ascii_case(c)))
    {
        return false;
    }
    if f.cases_only && !has_cases {
        return false;
    }
    true
}

/// Poll one source now and record the outcome.
pub async fn poll_source(app: &App, source: &Source) -> anyhow::Result<PollSummary> {
    let started_at = Utc::now();
    let t0 = Instant::now();
    let id = source.id().to_string();
    let state = app.store.state(&id).await?;
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    let next = next_due(app, source, started_at);
    let mut record = PollRecord {
        source_id: id.clone(),
        jurisdiction: source.def.jurisdiction.to_string(),
        started_at,
        duration_ms: 0,
        status: None,
        bytes: None,
        outcome: PollOutcome::NotModified,
        next_poll_at: Some(next),
        down_after: app.config.health.failures_before_alert,
        health_channels: app.health_channels(),
    };
    // A source without a stored snapshot must be fetched in full.
    let validators = if state.last_snapshot_id.is_some() {
        validators
    } else {
        Validators::default()
    };
    let status = match app.fetcher.fetch(&source.def.url, &validators).await {
        Err(e) => {
            record.outcome = PollOutcome::Failed {
                error: e.to_string(),
            };
            PollStatus::Failed(e.to_string())
        }
        Ok(FetchOutcome::NotModified { .. }) => {
            record.status = Some(304);
            PollStatus::NotModified
        }
        Ok(FetchOutcome::Fetched(f)) => {
            record.status = Some(f.status as i64);
            record.bytes = Some(f.body.len() as i64);
            let def = source.def.clone();
            let final_url = f.final_url.clone();
            let ct = f.content_type.clone();
            let body = f.body;
            let extracted = tokio::task::spawn_blocking(move || {
                extract::extract(&def, &body, ct.as_deref(), &final_url)
            })
            .await
            .unwrap_or_else(|_| {
                Err(ExtractError::Rule(
                    "the extractor crashed on this document".into(),
                ))
            });
            match extracted {
                Err(e) => {
                    record.outcome = PollOutcome::Failed {
                        error: e.to_string(),
                    };
                    PollStatus::Failed(e.to_string())
                }
                Ok(content) => {
                    let hash = content_hash(&content);
                    let etag = f.validators.etag.clone();
                    let last_modified = f.validators.last_modified.clone();
                    if state.last_hash.as_deref() == Some(hash.as_str()) {
                        record.outcome = PollOutcome::Unchanged {
                            etag,
                            last_modified,
                        };
                        PollStatus::Unchanged
                    } else {
                        let previous = match state.last_snapshot_id {
                            Some(sid) => app.store.snapshot_content(sid).await?,
                            None => None,
                        };
                        let baseline = previous.is_none();
                        let raw = crate::diff::diff(previous.as_ref(), &content, &source.def.name);
                        let changes = build_records(app, source, raw).await?;
                        let n = changes.len();
                        record.outcome = PollOutcome::Changed {
                            content,
                            hash,
                            etag,
                            last_modified,
                            baseline,
                            changes,
                        };
                        if baseline {
                            PollStatus::Baseline
                        } else {
                            PollStatus::Changed(n)
                        }
                    }
                }
            }
        }
    };
    record.duration_ms = t0.elapsed().as_millis() as i64;
    let res = app.store.record_poll(record).await?;
    let elapsed_ms = t0.elapsed().as_millis() as u64;
    match &status {
        PollStatus::Failed(e) => {
            tracing::warn!(source = %id, url = %source.def.url, error = %e, elapsed_ms, "poll failed")
        }
        s => {
            tracing::info!(source = %id, url = %source.def.url, outcome = ?s, elapsed_ms, "polled")
        }
    }
    crate::metrics::poll(&id, &status, elapsed_ms, res.change_ids.len());
    Ok(PollSummary {
        source: id,
        status,
        change_ids: res.change_ids,
        health: res.health,
        elapsed_ms,
    })
}

/// The next due time from the source's schedule, plus jitter.
pub fn next_due(app: &App, source: &Source, after: DateTime<Utc>) -> DateTime<Utc> {
    let base = source
        .schedule
        .next_after(after)
        .unwrap_or(after + chrono::Duration::hours(24));
    let jitter = app.config.schedule.jitter.0.as_millis() as i64;
    if jitter > 0 {
        base + chrono::Duration::milliseconds(rand::random_range(0..=jitter))
    } else {
        base
    }
}

/// Tag, match and route each change; follow new items' links where asked.
async fn build_records(
    app: &App,
    source: &Source,
    raw: Vec<NewChange>,
) -> anyhow::Result<Vec<ChangeRecord>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut followed = 0usize;
    let open_cases = app.store.open_cases().await?;
    for mut c in raw {
        if !source.reports(c.kind) {
            continue;
        }
        if source.def.extract.follow
            && c.kind == ChangeKind::Added
            && followed < MAX_FOLLOW_PER_POLL
        {
            if let Some(link) = c.link.as_deref().and_then(|l| url::Url::parse(l).ok()) {
                followed += 1;
                match follow(app, source, &link).await {
                    Ok(text) => {
                        c.excerpt = crate::diff::truncate(&text, 600);
                        c.text = text;
                    }
                    Err(e) => {
                        tracing::warn!(source = %source.id(), url = %link, error = %e, "could not follow the item's link; tagging on the listing text")
                    }
                }
            }
        }
        let tags = app.tagger.tag(
            &c.title,
            &c.text,
            Some(&source.def.language),
            &source.def.categories,
        );
        let cases = crate::cases::match_change(
            source.def.jurisdiction.as_str(),
            &tags,
            &c.title,
            &c.text,
            &open_cases,
        );
        let deliver_to = immediate_routes(
            &app.config.channels,
            source.def.jurisdiction.as_str(),
            &tags,
            &cases,
        );
        out.push(ChangeRecord {
            change: c,
            tags,
            cases,
            deliver_to,
        });
    }
    Ok(out)
}

async fn follow(app: &App, source: &Source, link: &url::Url) -> anyhow::Result<String> {
    match app.fetcher.fetch(link, &Validators::default()).await? {
        FetchOutcome::NotModified { .. } => anyhow::bail!("304 without validators"),
        FetchOutcome::Fetched(f) => {
            let sel = source.def.extract.follow_content.clone();
            let url = f.final_url.clone();
            let text = tokio::task::spawn_blocking(move || {
                extract::followed_text(&f.body, f.content_type.as_deref(), &url, sel.as_deref())
            })
            .await??;
            Ok(text)
        }
    }
}

/// Poll many sources with bounded concurrency (per-host limits are in the fetcher).
pub async fn poll_many(app: &App, sources: Vec<Source>, progress: bool) -> Vec<PollSummary> {
    use futures_util::stream::{self, StreamExt};
    let total = sources.len();
    let conc = app.config.fetch.concurrency.max(1);
    let mut done = 0usize;
    let mut out = Vec::with_capacity(total);
    let mut s = stream::iter(sources.into_iter().map(|src| {
        let app = app.clone();
        async move {
            let id = src.id().to_string();
            match poll_source(&app, &src).await {
                Ok(s) => s,
                Err(e) => PollSummary {
                    source: id,
                    status: PollStatus::Failed(format!("could not record the poll: {e:#}")),
                    change_ids: vec![],
                    health: None,
                    elapsed_ms: 0,
                },
            }
        }
    }))
    .buffer_unordered(conc);
    while let Some(r) = s.next().await {
        done += 1;
        if progress {
            eprint!("\r  polled {done}/{total}  ");
        }
        out.push(r);
    }
    if progress && total > 0 {
        eprintln!();
    }
    out.sort_by(|a, b| a.source.cmp(&b.source));
    out
}

/// `sources test`: fetch one source and extract, storing nothing.
pub async fn test_source(fetcher: &Fetcher, source: &Source) -> anyhow::Result<Content> {
    match fetcher
        .fetch(&source.def.url, &Validators::default())
        .await?
    {
        FetchOutcome::NotModified { .. } => {
            anyhow::bail!("the server answered 304 to an unconditional request")
        }
        FetchOutcome::Fetched(f) => {
            let def = source.def.clone();
            let content = tokio::task::spawn_blocking(move || {
                extract::extract(&def, &f.body, f.content_type.as_deref(), &f.final_url)
            })
            .await??;
            Ok(content)
        }
    }
}
