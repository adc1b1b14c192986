//! One poll of one source, top to bottom: fetch -> extract -> normalize ->
//! diff -> classify -> match -> route -> record (with outbox rows) in one
//! transaction.

use crate::app::App;
use crate::config::Source;
use crate::events::{PollFinished, SourceHealthChanged};
use crate::extract::{self, ExtractError};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::model::{
    ChangeKind, ChangeRecord, Content, HealthChange, NewChange, PollOutcome, PollStatus, SourceKind,
};
use crate::normalize::content_hash;
use crate::route::immediate_routes;
use crate::store::PollRecord;
use chrono::{DateTime, Utc};
use std::time::Instant;

/// At most this many new or modified items of one poll have their link followed.
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
    let started_at = app.now();
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
        body_hash: None,
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
    let status = match fetch_source(&app.fetcher, source, &validators, started_at).await {
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
        Ok(FetchOutcome::Fetched(f)) if same_bytes(source, &state, &f.body, &mut record) => {
            // The very bytes last extracted, under the same rules: no parsing.
            record.status = Some(f.status as i64);
            record.bytes = Some(f.body.len() as i64);
            record.outcome = PollOutcome::Unchanged {
                etag: f.validators.etag.clone(),
                last_modified: f.validators.last_modified.clone(),
            };
            PollStatus::Unchanged
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
            let extracted = match extracted {
                Err(ExtractError::NoItems(why)) => zero_items(app, source, &state, why).await?,
                other => other,
            };
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
                        // A sudden shrink is held until the next poll shows
                        // the same content again (then it is diffed below).
                        let held = match (&previous, &content) {
                            (
                                Some(Content::Items { items: old }),
                                Content::Items { items: new },
                            ) if state.suspect_hash.as_deref() != Some(hash.as_str()) => {
                                suspect_shrink(old.len(), new.len())
                            }
                            _ => None,
                        };
                        if let Some(reason) = held {
                            record.outcome = PollOutcome::Suspect {
                                hash,
                                reason: reason.clone(),
                            };
                            PollStatus::Suspect(reason)
                        } else {
                            let baseline = previous.is_none();
                            let raw =
                                crate::diff::diff(previous.as_ref(), &content, &source.def.name);
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

/// The source's document: fetched, or rendered in the browser for
/// `render = "browser"` (always in full: a browser has no conditional GET).
async fn fetch_source(
    fetcher: &Fetcher,
    source: &Source,
    validators: &Validators,
    now: DateTime<Utc>,
) -> Result<FetchOutcome, crate::fetch::FetchError> {
    let url = source_url(source, now);
    match source.def.render {
        Some(crate::config::Render::Browser) => fetcher
            .render(&url, source.def.wait_for.as_deref())
            .await
            .map(FetchOutcome::Fetched),
        None => fetcher.fetch(&url, validators).await,
    }
}

/// The URL to fetch now: `{today}` and `{today-Nd}` in it become the date
/// (YYYY-MM-DD) in the source's timezone, for sources addressed by date
/// (today's extra issue, a window of the last N days).
pub fn source_url(source: &Source, now: DateTime<Utc>) -> url::Url {
    let u = source.def.url.as_str();
    if !u.contains("{today") && !u.contains("%7Btoday") {
        return source.def.url.clone();
    }
    let tz: chrono_tz::Tz = source
        .def
        .timezone
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let today = now.with_timezone(&tz).date_naive();
    let re = regex::Regex::new(r"(?:\{|%7B)today(?:-(\d+)d)?(?:\}|%7D)").expect("valid regex");
    let out = re.replace_all(u, |c: &regex::Captures| {
        let back: i64 = c.get(1).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
        (today - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string()
    });
    url::Url::parse(&out).unwrap_or_else(|_| source.def.url.clone())
}

/// A listing without items: a valid answer where the source says so
/// (`may_be_empty`), a failed poll where the last snapshot had items (a
/// broken page or query far more often than a source that emptied), and
/// otherwise an empty feed, or the extraction error of a page or API.
async fn zero_items(
    app: &App,
    source: &Source,
    state: &crate::store::SourceState,
    why: String,
) -> anyhow::Result<Result<Content, ExtractError>> {
    let empty = Content::Items { items: vec![] };
    if source.def.may_be_empty {
        return Ok(Ok(empty));
    }
    let had = match state.last_snapshot_id {
        Some(sid) => match app.store.snapshot_content(sid).await? {
            Some(Content::Items { items }) => items.len(),
            _ => 0,
        },
        None => 0,
    };
    Ok(if had > 0 {
        Err(ExtractError::Emptied { had, why })
    } else if source.def.kind == SourceKind::Feed {
        Ok(empty)
    } else {
        Err(ExtractError::NoItems(why))
    })
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

/// Whether `body` is the very body last extracted for this source under the
/// same rules; sets the record's body hash either way.
fn same_bytes(
    source: &Source,
    state: &crate::store::SourceState,
    body: &[u8],
    record: &mut PollRecord,
) -> bool {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(source.rules.fingerprint.as_bytes());
    h.update(body);
    let hash = hex::encode(h.finalize());
    let same = state.last_snapshot_id.is_some()
        && state.suspect_hash.is_none()
        && state.body_hash.as_deref() == Some(hash.as_str());
    record.body_hash = Some(hash);
    same
}

/// The next due time from the source's schedule, plus jitter.
pub fn next_due(app: &App, source: &Source, after: DateTime<Utc>) -> DateTime<Utc> {
    let day = chrono::Duration::hours(24);
    let base = source.schedule.next_after(after).unwrap_or(after + day);
    // The period at this point of the schedule: up to the time after `base`.
    let period = source
        .schedule
        .next_after(base)
        .map(|n| n - base)
        .unwrap_or(day);
    base + jitter_within(app.config.schedule.jitter.0, period)
}

/// A random delay of up to `jitter`, and never more than a tenth of
/// `period`: jitter spreads sources that share a schedule, it must not push
/// a source on a 5-second schedule 30 s late, or run into its next time.
pub fn jitter_within(jitter: std::time::Duration, period: chrono::Duration) -> chrono::Duration {
    let cap = period.num_milliseconds().max(0) / 10;
    let max = i64::try_from(jitter.as_millis())
        .unwrap_or(i64::MAX)
        .min(cap);
    if max > 0 {
        chrono::Duration::milliseconds(rand::random_range(0..=max))
    } else {
        chrono::Duration::zero()
    }
}

/// Tag, match and route each change; follow the links of new and modified
/// items where asked (a listing entry edited in place often means that the
/// act behind the link changed, and is tagged on that text).
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
        let followable = matches!(c.kind, ChangeKind::Added | ChangeKind::Modified);
        if source.rules.follow && followable && followed < MAX_FOLLOW_PER_POLL {
            if let Some(link) = c.link.as_deref().and_then(|l| url::Url::parse(l).ok()) {
                followed += 1;
                match follow(app, source, &link).await {
                    Ok(text) => {
                        // A modified item keeps its excerpt: what changed.
                        if c.kind == ChangeKind::Added {
                            c.excerpt = crate::util::truncate(&text, 600);
                        }
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
    match fetch_source(fetcher, source, &Validators::default(), now).await? {
        FetchOutcome::NotModified { .. } => {
            anyhow::bail!("the server answered 304 to an unconditional request")
        }
        FetchOutcome::Fetched(f) => {
            let kind = source.def.kind;
            let rules = source.rules.clone();
            let may_be_empty = source.def.may_be_empty || kind == SourceKind::Feed;
            let content = tokio::task::spawn_blocking(move || {
                extract::extract(
                    kind,
                    &rules,
                    &f.body,
                    f.content_type.as_deref(),
                    &f.final_url,
                )
            })
            .await?;
            match content {
                Err(ExtractError::NoItems(_)) if may_be_empty => {
                    Ok(Content::Items { items: vec![] })
                }
                c => Ok(c?),
            }
        }
    }
}
