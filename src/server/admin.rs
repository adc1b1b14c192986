//! Managing what regwatch watches, from the web and the JSON API (admin):
//! add, edit, pause, resume, enable and disable a source (written by
//! [`SourcesEditor`] into its `sources/*.toml`, then the running daemon
//! reloaded), preview what one fetch of a draft would extract, browse a
//! source's snapshots and compare two, send a test message through a
//! channel, and see and retry the outbox. The pages are in `admin_pages.rs`;
//! both call the functions here.

use super::{require, ApiError};
use crate::app::{App, LiveApp};
use crate::config::{Role, Source};
use crate::extract::suggest::Suggestions;
use crate::model::Content;
use crate::model::SourceKind;
use crate::notify::{Alert, Message};
use crate::services::evidence::{word_diff, DiffPiece};
use crate::sources_edit::{EditError, SourceDraft, SourcesEditor, Stamp, Written};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Snapshots a history lists (the newest).
pub const HISTORY_LIMIT: i64 = 200;
/// Items of a preview shown in full (the count is always the whole).
pub const PREVIEW_ITEMS: usize = 50;
/// Characters of a text preview shown.
pub const PREVIEW_TEXT_CHARS: usize = 20_000;

/// The editor of the running configuration's sources directory.
pub fn editor(app: &App) -> SourcesEditor {
    SourcesEditor::new(&app.config.sources.dir, app.config.schedule.clone())
}

/// One write to the sources files.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per request, moved once
pub enum SourceOp {
    Add(SourceDraft),
    Edit {
        id: String,
        draft: SourceDraft,
        base: Option<SourceDraft>,
    },
    Pause {
        id: String,
        reason: Option<String>,
    },
    Resume(String),
    Enable(String),
    Disable(String),
}

/// Categories a draft names must be in the taxonomy (`sources check` says so too).
fn check_categories(app: &App, draft: &SourceDraft) -> Result<(), EditError> {
    let cats = app.tagger.taxonomy.category_names();
    for c in &draft.categories {
        if !cats.contains(&c.trim().to_lowercase()) {
            return Err(EditError::Field {
                field: "categories".into(),
                message: format!(
                    "category `{c}` is not in the taxonomy: use one of {}",
                    cats.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// Validate and write `op` (on a blocking thread: the editor waits on a
/// file lock and fsyncs), then, when a file changed, reload the running
/// daemon's configuration and sources and re-plan them, as SIGHUP does.
/// A reload that fails keeps the previous configuration; the write stands
/// and the error says so.
pub async fn write(live: &LiveApp, who: &str, op: SourceOp) -> Result<Written, EditError> {
    let app = live.current();
    if let SourceOp::Add(d) | SourceOp::Edit { draft: d, .. } = &op {
        check_categories(&app, d)?;
    }
    let ed = editor(&app);
    let stamp = Stamp::new(who, app.now());
    let written = tokio::task::spawn_blocking(move || match &op {
        SourceOp::Add(d) => ed.add(d, &stamp),
        SourceOp::Edit { id, draft, base } => ed.edit(id, draft, base.as_ref(), &stamp),
        SourceOp::Pause { id, reason } => ed.pause(id, reason.as_deref(), &stamp),
        SourceOp::Resume(id) => ed.resume(id, &stamp),
        SourceOp::Enable(id) => ed.set_enabled(id, true, &stamp),
        SourceOp::Disable(id) => ed.set_enabled(id, false, &stamp),
    })
    .await
    .map_err(|e| EditError::Io {
        path: app.config.sources.dir.display().to_string(),
        message: format!("the write was interrupted: {e}"),
    })??;
    if written.written {
        reload(live).await.map_err(|e| EditError::Io {
            path: written.file.display().to_string(),
            message: format!("written, but the running daemon could not reload it (it keeps the previous sources until the next reload): {e}"),
        })?;
    }
    Ok(written)
}

/// Reload the configuration and sources into `live` and re-plan them.
pub async fn reload(live: &LiveApp) -> anyhow::Result<()> {
    let path = live.current().config.path.clone();
    let (app, diff) = live.reload(&path, crate::notify::check_channels)?;
    if let Err(e) = crate::poll::reconcile(&app, app.now()).await {
        tracing::warn!(
            error = format!("{e:#}"),
            "could not re-plan the reloaded sources"
        );
    }
    tracing::info!(
        sources = app.sources.len(),
        added = diff.added.join(","),
        removed = diff.removed.join(","),
        changed = diff.changed.join(","),
        "sources written from the web: configuration reloaded"
    );
    Ok(())
}

/// The HTTP status of an edit error: a field is 422, an unknown id 404, a
/// conflict 409, another file that does not load 422, I/O 500.
pub fn edit_status(e: &EditError) -> StatusCode {
    match e {
        EditError::Field { .. } | EditError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        EditError::UnknownId { .. } => StatusCode::NOT_FOUND,
        EditError::Conflict { .. } => StatusCode::CONFLICT,
        EditError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `{"error": "...", "field": "..."}` with the edit error's status.
fn edit_response(e: EditError) -> Response {
    let status = edit_status(&e);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "writing a source failed");
    }
    let body = match &e {
        EditError::Field { field, message } => {
            json!({"error": format!("{field}: {message}"), "field": field, "message": message})
        }
        EditError::Conflict { fields, .. } => json!({"error": e.to_string(), "fields": fields}),
        _ => json!({"error": e.to_string()}),
    };
    (status, Json(body)).into_response()
}

fn written_json(w: &Written) -> serde_json::Value {
    json!({
        "id": w.id,
        "file": w.file.file_name().map(|f| f.to_string_lossy().to_string()),
        "action": w.action,
        "written": w.written,
        "changes": w.changes,
    })
}

// ---------------------------------------------------------------- preview

/// What one fetch of a draft gives: its items or text, or why not, and for
/// a page the candidate item selectors.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub url: String,
    pub final_url: Option<String>,
    pub status: Option<u16>,
    pub rendered: bool,
    /// Why nothing could be extracted (a failed fetch, a selector that
    /// matches nothing, an empty page).
    pub error: Option<String>,
    /// `items` or `text`.
    pub kind: Option<&'static str>,
    /// Every item extracted (the page shows the first [`PREVIEW_ITEMS`]).
    pub count: usize,
    pub items: Vec<crate::model::Item>,
    pub text: Option<String>,
    pub suggestions: Option<Suggestions>,
}

/// Fetch the draft once, through the same fetcher, fetch policy and
/// browser as a poll (`render = "browser"` included), and extract as a
/// poll would; store nothing. For a page, the candidate item selectors of
/// the (rendered) document come with it, even when the draft's own
/// selectors extract nothing.
pub async fn preview(app: &App, draft: &SourceDraft) -> Result<Preview, EditError> {
    let ed = editor(app);
    let d = draft.clone();
    let source: Source = tokio::task::spawn_blocking(move || ed.source_of(&d))
        .await
        .map_err(|e| EditError::Io {
            path: String::new(),
            message: e.to_string(),
        })??;
    let url = crate::poll::source_url(&source, app.now());
    let mut p = Preview {
        url: crate::util::redact(&url),
        final_url: None,
        status: None,
        rendered: source.def.render.is_some(),
        error: None,
        kind: None,
        count: 0,
        items: vec![],
        text: None,
        suggestions: None,
    };
    let fetched = match source.def.render {
        Some(crate::config::Render::Browser) => app
            .fetcher
            .render(&url, source.def.wait_for.as_deref())
            .await
            .map(crate::fetch::FetchOutcome::Fetched),
        None => {
            app.fetcher
                .fetch(&url, &crate::fetch::Validators::default())
                .await
        }
    };
    let f = match fetched {
        Ok(crate::fetch::FetchOutcome::Fetched(f)) => f,
        Ok(crate::fetch::FetchOutcome::NotModified { .. }) => {
            p.error = Some("the server answered 304 to an unconditional request".into());
            return Ok(p);
        }
        Err(e) => {
            p.error = Some(format!("the fetch failed: {e}"));
            return Ok(p);
        }
    };
    p.final_url = Some(crate::util::redact(&f.final_url));
    p.status = Some(f.status);
    let kind = source.def.kind;
    let rules = source.rules.clone();
    let (content, suggestions) = tokio::task::spawn_blocking(move || {
        let content = crate::extract::extract(
            kind,
            &rules,
            &f.body,
            f.content_type.as_deref(),
            &f.final_url,
        );
        let suggestions = (kind == SourceKind::Page).then(|| {
            let html = crate::extract::charset::decode(&f.body, f.content_type.as_deref());
            crate::extract::suggest::suggest(&html, &f.final_url)
        });
        (content, suggestions)
    })
    .await
    .map_err(|e| EditError::Io {
        path: String::new(),
        message: format!("the extractor crashed on this document: {e}"),
    })?;
    p.suggestions = suggestions;
    match content {
        Ok(Content::Items { items }) => {
            p.kind = Some("items");
            p.count = items.len();
            p.items = items;
        }
        Ok(Content::Text { text }) => {
            p.kind = Some("text");
            p.count = 1;
            p.text = Some(text);
        }
        Err(crate::extract::ExtractError::NoItems(_))
            if source.def.may_be_empty || kind == SourceKind::Feed =>
        {
            p.kind = Some("items");
        }
        Err(e) => p.error = Some(e.to_string()),
    }
    Ok(p)
}

// ---------------------------------------------------------------- history

/// A snapshot as a history lists it.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotRow {
    /// Its number (the snapshot's id: `…/snapshots/{n}`).
    pub n: i64,
    pub taken_at: Option<String>,
    /// `items` or `text`.
    pub kind: &'static str,
    pub items: usize,
    /// Characters of its text (every item's title, link and text).
    pub size: usize,
    pub hash: String,
}

/// The text a snapshot is compared by: a text block as it is; a listing
/// one item per block (title, link, text), in order.
pub fn snapshot_text(c: &Content) -> String {
    match c {
        Content::Text { text } => text.clone(),
        Content::Items { items } => items
            .iter()
            .map(|it| {
                let mut s = it.title.clone();
                if let Some(l) = &it.link {
                    s.push('\n');
                    s.push_str(l);
                }
                if !it.text.is_empty() && it.text != it.title {
                    s.push('\n');
                    s.push_str(&it.text);
                }
                s
            })
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
}

fn utc(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

pub fn snapshot_row(s: &crate::store::history::StoredSnapshot) -> SnapshotRow {
    let (kind, items) = match &s.content {
        Content::Items { items } => ("items", items.len()),
        Content::Text { .. } => ("text", 1),
    };
    SnapshotRow {
        n: s.id,
        taken_at: utc(s.taken_at),
        kind,
        items,
        size: snapshot_text(&s.content).chars().count(),
        hash: s.content_hash.chars().take(12).collect(),
    }
}

/// A source id known to the configuration, or to the store (a source
/// removed from the files keeps its history).
async fn known_source(app: &App, id: &str) -> Result<(), ApiError> {
    if app.sources.get(id).is_some() || app.store.count_snapshots(id).await.unwrap_or(0) > 0 {
        Ok(())
    } else {
        Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("there is no source `{id}`"),
        ))
    }
}

/// The word diff of snapshots `from` and `to` of `id`.
pub async fn snapshot_diff(
    app: &App,
    id: &str,
    from: i64,
    to: i64,
) -> Result<(SnapshotRow, SnapshotRow, Vec<DiffPiece>), ApiError> {
    let get = |n: i64| async move {
        app.store
            .snapshot_of(id, n)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError(
                    StatusCode::NOT_FOUND,
                    format!("source `{id}` has no snapshot {n}: see /api/sources/{id}/snapshots"),
                )
            })
    };
    let (a, b) = (get(from).await?, get(to).await?);
    let unified = crate::diff::unified(&snapshot_text(&a.content), &snapshot_text(&b.content));
    Ok((snapshot_row(&a), snapshot_row(&b), word_diff(&unified)))
}

/// `from` and `to` of a diff query: snapshot numbers.
pub fn diff_params(q: Option<&str>) -> Result<(i64, i64), ApiError> {
    let p = super::Params::parse(q);
    let num = |k: &str| -> Result<i64, ApiError> {
        let v = p.get(k).ok_or_else(|| {
            ApiError::bad(format!(
                "`{k}` is missing: give two snapshot numbers, ?from=N&to=M"
            ))
        })?;
        v.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::bad(format!("`{k}={v}` is not a snapshot number")))
    };
    Ok((num("from")?, num("to")?))
}

// ---------------------------------------------------------------- channels

/// The test message of a channel: a change that says, in its title and
/// text, that it is a test, sent through the channel's own `deliver`.
pub fn test_change(app: &App, channel: &str, who: &str) -> anyhow::Result<crate::model::Change> {
    let now = app.now();
    Ok(serde_json::from_value(json!({
        "id": 0,
        "source": "regwatch-test",
        "jurisdiction": "TEST",
        "detected_at": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "kind": "added",
        "title": format!("TEST — regwatch test message for channel `{channel}` (no change happened)"),
        "link": app.config.server.base_url,
        "excerpt": format!("This is a test message sent by {who} from regwatch at {} to check that channel `{channel}` delivers. Nothing changed; no action is needed.", now.format("%Y-%m-%d %H:%M UTC")),
        "diff": "",
        "categories": [],
        "hs_codes": [],
        "evidence": [],
        "url": app.config.server.base_url,
    }))?)
}

/// Send the test message through channel `name`. `Ok` once the receiver
/// accepted it; the error is the channel's own.
pub async fn send_test(app: &App, name: &str, who: &str) -> Result<String, ApiError> {
    let Some(ch) = app.config.channels.iter().find(|c| c.name == name) else {
        let names: Vec<&str> = app
            .config
            .channels
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!(
                "there is no channel `{name}` (configured: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ));
    };
    let channel = crate::notify::channels::build(ch)
        .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let change = test_change(app, name, who).map_err(ApiError::internal)?;
    let alert = Alert::Change(Box::new(change));
    let key = format!("test:{name}:{}", app.now().timestamp_millis());
    let m = Message {
        alert: &alert,
        key: &key,
        base_url: &app.config.server.base_url,
    };
    match channel.deliver(&m).await {
        Ok(()) => {
            tracing::info!(channel = name, who, "test message delivered");
            Ok(key)
        }
        Err(e) => Err(ApiError(
            StatusCode::BAD_GATEWAY,
            format!(
                "channel `{name}` ({}) could not deliver the test message: {}",
                ch.kind, e.message
            ),
        )),
    }
}

/// A delivery as the outbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub change_id: Option<i64>,
    /// `pending` (not tried yet) or `failed` (tried, waiting to be retried).
    pub state: &'static str,
    pub attempts: i64,
    pub reason: Option<String>,
    pub next_attempt_at: Option<String>,
    pub queued_at: Option<String>,
}

/// Every delivery not yet delivered, oldest first.
pub async fn outbox(app: &App) -> anyhow::Result<Vec<OutboxRow>> {
    Ok(app
        .store
        .pending_deliveries()
        .await?
        .into_iter()
        .map(|d| OutboxRow {
            state: if d.attempts > 0 || d.last_error.is_some() {
                "failed"
            } else {
                "pending"
            },
            id: d.id,
            channel: d.channel,
            kind: d.kind,
            change_id: d.change_id,
            attempts: d.attempts,
            reason: d.last_error.as_deref().map(crate::util::redact_urls_in),
            next_attempt_at: utc(d.next_attempt_at),
            queued_at: utc(d.created_at),
        })
        .collect())
}

/// Deliver everything waiting now, whatever its backoff (`notify retry`).
pub async fn retry_now(app: &App) -> anyhow::Result<crate::notify::DeliveryReport> {
    crate::notify::deliver_due(app, true).await
}

// ---------------------------------------------------------------- API

type ApiResult = Result<Response, ApiError>;

/// Who an admin request is: an admin's bearer token (the `[server]` API
/// token acts as an admin). The web pages sign in with a session instead
/// (`admin_pages.rs`).
fn admin(app: &App, headers: &HeaderMap) -> Result<String, ApiError> {
    require(&app.config, headers, Role::Admin)
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::bad(format!("the body is not valid: {e}")))
}

/// `GET /api/sources/{id}/definition`: the source as its file says it.
pub async fn get_definition(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let app = live.current();
    admin(&app, &headers)?;
    let ed = editor(&app);
    match tokio::task::spawn_blocking(move || ed.read(&id)).await {
        Ok(Ok(f)) => Ok(Json(json!({
            "source": f.draft,
            "file": f.file.file_name().map(|f| f.to_string_lossy().to_string()),
            "state": f.state,
        }))
        .into_response()),
        Ok(Err(e)) => Ok(edit_response(e)),
        Err(e) => Err(ApiError::internal(e.into())),
    }
}

/// `POST /api/sources`: add a source (`{source definition}`).
pub async fn post_source(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let who = admin(&live.current(), &headers)?;
    let draft: SourceDraft = json_body(&body)?;
    Ok(match write(&live, &who, SourceOp::Add(draft)).await {
        Ok(w) => (StatusCode::CREATED, Json(written_json(&w))).into_response(),
        Err(e) => edit_response(e),
    })
}

/// The body of `PUT /api/sources/{id}`: the definition, or
/// `{"source": {...}, "base": {...}}` with the one the form was opened with.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutBody {
    source: SourceDraft,
    base: Option<SourceDraft>,
}

/// `PUT /api/sources/{id}`: change a source.
pub async fn put_source(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let who = admin(&live.current(), &headers)?;
    let (draft, base) = match serde_json::from_str::<PutBody>(&body) {
        Ok(b) => (b.source, b.base),
        Err(_) => (json_body::<SourceDraft>(&body)?, None),
    };
    Ok(
        match write(&live, &who, SourceOp::Edit { id, draft, base }).await {
            Ok(w) => Json(written_json(&w)).into_response(),
            Err(e) => edit_response(e),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct PauseBody {
    reason: Option<String>,
}

/// `POST /api/sources/{id}/pause` (`{"reason": "…"}` optional).
pub async fn pause_source(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let who = admin(&live.current(), &headers)?;
    let b: PauseBody = if body.trim().is_empty() {
        PauseBody::default()
    } else {
        json_body(&body)?
    };
    switch(
        &live,
        &who,
        SourceOp::Pause {
            id,
            reason: b.reason,
        },
    )
    .await
}

async fn switch(live: &LiveApp, who: &str, op: SourceOp) -> ApiResult {
    Ok(match write(live, who, op).await {
        Ok(w) => Json(written_json(&w)).into_response(),
        Err(e) => edit_response(e),
    })
}

/// `POST /api/sources/{id}/resume`
pub async fn resume_source(
    live: State<LiveApp>,
    id: Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    switch_by_admin(live, id, headers, SourceOp::Resume).await
}

/// `POST /api/sources/{id}/disable`
pub async fn disable_source(
    live: State<LiveApp>,
    id: Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    switch_by_admin(live, id, headers, SourceOp::Disable).await
}

/// `POST /api/sources/{id}/enable`
pub async fn enable_source(
    live: State<LiveApp>,
    id: Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    switch_by_admin(live, id, headers, SourceOp::Enable).await
}

/// A switch that takes no body (resume, disable, enable): an admin's, on
/// the source the path names.
async fn switch_by_admin(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    op: fn(String) -> SourceOp,
) -> ApiResult {
    let who = admin(&live.current(), &headers)?;
    switch(&live, &who, op(id)).await
}

/// `POST /api/sources/preview`: `{source definition}` → what one fetch
/// would extract, and candidate item selectors for a page. Stores nothing.
pub async fn post_preview(
    State(live): State<LiveApp>,
    headers: HeaderMap,
    body: String,
) -> ApiResult {
    let app = live.current();
    admin(&app, &headers)?;
    let draft: SourceDraft = json_body(&body)?;
    Ok(match preview(&app, &draft).await {
        Ok(p) => Json(p).into_response(),
        Err(e) => edit_response(e),
    })
}

/// `GET /api/sources/{id}/snapshots`: newest first.
pub async fn snapshots(State(live): State<LiveApp>, Path(id): Path<String>) -> ApiResult {
    let app = live.current();
    known_source(&app, &id).await?;
    let list = app
        .store
        .snapshots_of(&id, HISTORY_LIMIT)
        .await
        .map_err(ApiError::internal)?;
    let rows: Vec<SnapshotRow> = list.iter().map(snapshot_row).collect();
    Ok(Json(json!({"source": id, "snapshots": rows})).into_response())
}

/// `GET /api/sources/{id}/snapshots/{n}`: one snapshot with its content.
pub async fn snapshot(
    State(live): State<LiveApp>,
    Path((id, n)): Path<(String, String)>,
) -> ApiResult {
    let app = live.current();
    let Ok(n) = n.parse::<i64>() else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("`{n}` is not a snapshot number"),
        ));
    };
    let s = app
        .store
        .snapshot_of(&id, n)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError(
                StatusCode::NOT_FOUND,
                format!("source `{id}` has no snapshot {n}"),
            )
        })?;
    let mut v = serde_json::to_value(snapshot_row(&s)).unwrap_or_default();
    v["content"] = serde_json::to_value(&s.content).unwrap_or_default();
    v["source"] = json!(id);
    Ok(Json(v).into_response())
}

/// `GET /api/sources/{id}/diff?from=N&to=M`: the word diff of two snapshots.
pub async fn diff(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let app = live.current();
    let (from, to) = diff_params(q.as_deref())?;
    let (a, b, pieces) = snapshot_diff(&app, &id, from, to).await?;
    Ok(Json(json!({"source": id, "from": a, "to": b, "diff": pieces})).into_response())
}

/// `POST /api/channels/{name}/test`
pub async fn channel_test(
    State(live): State<LiveApp>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let app = live.current();
    let who = admin(&app, &headers)?;
    let key = send_test(&app, &name, &who).await?;
    Ok(Json(json!({"channel": name, "delivered": true, "key": key})).into_response())
}

/// `GET /api/outbox`: deliveries waiting, and those failed with their reason (admin).
pub async fn get_outbox(State(live): State<LiveApp>, headers: HeaderMap) -> ApiResult {
    let app = live.current();
    admin(&app, &headers)?;
    let rows = outbox(&app).await.map_err(ApiError::internal)?;
    Ok(Json(json!({"deliveries": rows})).into_response())
}

/// `POST /api/outbox/retry`: deliver what waits now.
pub async fn post_retry(State(live): State<LiveApp>, headers: HeaderMap) -> ApiResult {
    let app = live.current();
    admin(&app, &headers)?;
    let r = retry_now(&app).await.map_err(ApiError::internal)?;
    Ok(Json(json!({
        "delivered": r.delivered,
        "failed": r.failed.iter().map(|(id, ch, e)| json!({"id": id, "channel": ch, "error": crate::util::redact_urls_in(e)})).collect::<Vec<_>>(),
        "waiting": r.waiting.len(),
    }))
    .into_response())
}
