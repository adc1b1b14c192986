//! One poll of one source, top to bottom: fetch -> extract -> normalize ->
//! diff -> classify -> match -> route -> record (with outbox rows) in one
//! transaction.

use crate::app::App;
use crate::config::Source;
use crate::events::{PollFinished, SourceHealthChanged};
use crate::extract::{self, ExtractError};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::model::{
    ChangeKind, ChangeRecord, Content, HealthChange, NewChange, PollOutcome, PollStatus,
};
use crate::normalize::content_hash;
use crate::route::immediate_routes;
use crate::store::PollRecord;
use chrono::{DateTime, Utc};
use std::time::Instant;

/// At most this many new items of one poll have their link followed.
pub const MAX_FOLLOW_PER_POLL: usize = 20;

#[derive(Debug, Clone)]
pub struct PollSummary {
    pub source: String,
    pub status: PollStatus,
    pub change_ids: Vec<i64>,
    pub health: Option<HealthChange>,
    pub elapsed_ms: u64,
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
        expected_snapshot: state.last_snapshot_id,
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
            let kind = source.def.kind;
            let rules = source.rules.clone();
            let final_url = f.final_url.clone();
            let ct = f.content_type.clone();
            let body = f.body;
            let extracted = tokio::task::spawn_blocking(move || {
                extract::extract(kind, &rules, &body, ct.as_deref(), &final_url)
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
    // Another poll of this source (another process, an instance sharing the
    // database) was recorded meanwhile and reported what changed; this one
    // recorded nothing but its fetch.
    let status = if res.superseded {
        tracing::info!(source = %id, "another poll of this source was recorded meanwhile; this one recorded only its fetch");
        PollStatus::Unchanged
    } else {
        status
    };
    let elapsed_ms = t0.elapsed().as_millis() as u64;
    PollFinished {
        source: &id,
        url: &source.def.url,
        status: &status,
        elapsed_ms,
        changes: res.change_ids.len(),
    }
    .emit();
    if let Some(change) = res.health {
        SourceHealthChanged {
            source: &id,
            change,
            error: match &status {
                PollStatus::Failed(e) => Some(e),
                _ => None,
            },
        }
        .emit();
    }
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
        if source.rules.follow && c.kind == ChangeKind::Added && followed < MAX_FOLLOW_PER_POLL {
            if let Some(link) = c.link.as_deref().and_then(|l| url::Url::parse(l).ok()) {
                followed += 1;
                match follow(app, source, &link).await {
                    Ok(text) => {
                        c.excerpt = crate::util::truncate(&text, 600);
                        c.text = text;
                    }
                    Err(e) => {
                        tracing::warn!(source = %source.id(), url = crate::util::redact(&link), error = format!("{e:#}"), "could not follow the item's link; tagging on the listing text")
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
        let cases = crate::matching::match_change(
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
    match app.fetcher.fetch_link(link, &source.def.url).await? {
        FetchOutcome::NotModified { .. } => anyhow::bail!("304 without validators"),
        FetchOutcome::Fetched(f) => {
            let rules = source.rules.clone();
            let url = f.final_url.clone();
            let text = tokio::task::spawn_blocking(move || {
                extract::followed_text(
                    &f.body,
                    f.content_type.as_deref(),
                    &url,
                    rules.follow_content.as_ref(),
                )
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
            let kind = source.def.kind;
            let rules = source.rules.clone();
            let content = tokio::task::spawn_blocking(move || {
                extract::extract(
                    kind,
                    &rules,
                    &f.body,
                    f.content_type.as_deref(),
                    &f.final_url,
                )
            })
            .await??;
            Ok(content)
        }
    }
}
