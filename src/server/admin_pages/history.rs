//! A source's state and past: pause, resume, disable or enable it; its
//! snapshots, with the word diff of any two, and one snapshot as read.

use crate::app::LiveApp;
use crate::server::admin::{self, SourceOp};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;

use super::{admin_post, error_page, field, form, opt, page, see_other};

/// `POST /sources/{id}/state` (form: csrf, do = pause | resume | disable | enable, reason)
pub async fn state_post(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let app = live.current();
    let f = form(&body);
    let s = match admin_post(&app, &headers, &f, &format!("/sources/{id}/edit")) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (op, done) = match field(&f, "do") {
        "pause" => (
            SourceOp::Pause {
                id: id.clone(),
                reason: opt(field(&f, "reason")),
            },
            "paused",
        ),
        "resume" => (SourceOp::Resume(id.clone()), "resumed"),
        "disable" => (SourceOp::Disable(id.clone()), "disabled"),
        "enable" => (SourceOp::Enable(id.clone()), "enabled"),
        other => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &format!("`{other}` is not an action: pause, resume, disable or enable"),
            )
        }
    };
    match admin::write(&live, &s.name, op).await {
        Ok(_) => see_other(&format!(
            "/sources/{}/edit?done={done}",
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        )),
        Err(e) => error_page(admin::edit_status(&e), &e.to_string()),
    }
}

/// `GET /sources/{id}/history[?from=N&to=M]`: the snapshots, and the word
/// diff of two when asked.
pub async fn history(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let app = live.current();
    let list = match app.store.snapshots_of(&id, admin::HISTORY_LIMIT).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "history failed");
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The history cannot be read right now.",
            );
        }
    };
    if list.is_empty() && app.sources.get(&id).is_none() {
        return error_page(
            StatusCode::NOT_FOUND,
            &format!("There is no source `{id}`."),
        );
    }
    let rows: Vec<admin::SnapshotRow> = list.iter().map(admin::snapshot_row).collect();
    let p = crate::server::Params::parse(q.as_deref());
    let (mut diff, mut error, mut pair) = (None, None, None);
    if p.get("from").is_some() || p.get("to").is_some() {
        match admin::diff_params(q.as_deref()) {
            Ok((from, to)) => match admin::snapshot_diff(&app, &id, from, to).await {
                Ok((a, b, pieces)) => {
                    pair = Some(context! { from => a, to => b });
                    diff = Some(pieces);
                }
                Err(e) => error = Some(e.1),
            },
            Err(e) => error = Some(e.1),
        }
    } else if rows.len() >= 2 {
        // The last two, by default.
        if let Ok((a, b, pieces)) = admin::snapshot_diff(&app, &id, rows[1].n, rows[0].n).await {
            pair = Some(context! { from => a, to => b });
            diff = Some(pieces);
        }
    }
    let name = app.sources.get(&id).map(|s| s.def.name.clone());
    page(
        if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        "admin_history.html",
        context! {
            title => format!("History of {id}"),
            id => id, name => name, rows => rows, diff => diff, pair => pair, error => error,
            from => p.get("from").unwrap_or(""), to => p.get("to").unwrap_or(""),
        },
    )
}

/// `GET /sources/{id}/snapshots/{n}`: one snapshot as it was read.
pub async fn snapshot_page(
    State(live): State<LiveApp>,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    let app = live.current();
    let Ok(n) = n.parse::<i64>() else {
        return error_page(
            StatusCode::NOT_FOUND,
            "There is no snapshot with this number.",
        );
    };
    match app.store.snapshot_of(&id, n).await {
        Ok(Some(s)) => {
            let row = admin::snapshot_row(&s);
            let content = serde_json::to_value(&s.content).unwrap_or_default();
            page(
                StatusCode::OK,
                "admin_snapshot.html",
                context! { title => format!("{id} snapshot {n}"), id => id, s => row, content => content },
            )
        }
        Ok(None) => error_page(
            StatusCode::NOT_FOUND,
            &format!("Source `{id}` has no snapshot {n}."),
        ),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "snapshot page failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The snapshot cannot be read right now.",
            )
        }
    }
}
