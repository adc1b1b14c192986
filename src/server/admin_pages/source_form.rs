//! The source form, to add a source or edit one: its preview, and the
//! candidate item selectors a "use" button applies.

use crate::app::{App, LiveApp};
use crate::server::admin::{self, SourceOp};
use crate::server::session::Session;
use crate::sources_edit::{EditError, ExtractDraft, Found, OneOrMany, SourceDraft, SourceState};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::context;
use std::collections::BTreeMap;

use super::{admin_post, admin_session, error_page, field, form, opt, page, see_other};

/// One value per line (blank lines dropped).
fn lines(v: &str) -> Vec<String> {
    v.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn one_or_many(v: &str) -> Option<OneOrMany> {
    let l = lines(v);
    match l.len() {
        0 => None,
        1 => Some(OneOrMany::One(l[0].clone())),
        _ => Some(OneOrMany::Many(l)),
    }
}

fn show_one_or_many(v: &Option<OneOrMany>) -> String {
    match v {
        None => String::new(),
        Some(OneOrMany::One(s)) => s.clone(),
        Some(OneOrMany::Many(l)) => l.join("\n"),
    }
}

/// The draft a posted form describes. Keys the form does not show
/// (`item_text`, `item_id`, `follow_content`, `report`, `redirect`) are
/// carried in the hidden `base` draft of an edit, so an edit keeps them.
pub fn draft_of(f: &[(String, String)], keep: Option<&SourceDraft>) -> SourceDraft {
    let keep_x = keep.map(|k| k.extract.clone()).unwrap_or_default();
    SourceDraft {
        id: field(f, "id").trim().to_string(),
        name: field(f, "name").trim().to_string(),
        jurisdiction: field(f, "jurisdiction").trim().to_string(),
        language: opt(field(f, "language")),
        kind: field(f, "kind").trim().to_string(),
        url: field(f, "url").trim().to_string(),
        schedule: opt(field(f, "schedule")),
        timezone: opt(field(f, "timezone")),
        categories: field(f, "categories")
            .split([',', '\n'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        enabled: keep.map(|k| k.enabled).unwrap_or(true),
        render: (field(f, "render") == "browser").then(|| "browser".to_string()),
        wait_for: opt(field(f, "wait_for")),
        may_be_empty: field(f, "may_be_empty") == "true",
        redirect: keep.and_then(|k| k.redirect.clone()),
        notes: opt(field(f, "notes")),
        extract: ExtractDraft {
            content: opt(field(f, "extract.content")),
            exclude: lines(field(f, "extract.exclude")),
            item: opt(field(f, "extract.item")),
            item_title: one_or_many(field(f, "extract.item_title")),
            item_link: opt(field(f, "extract.item_link")),
            item_text: keep_x.item_text,
            item_id: keep_x.item_id,
            ignore: lines(field(f, "extract.ignore")),
            follow: field(f, "extract.follow") == "true",
            follow_content: keep_x.follow_content,
            report: keep_x.report,
            fail_if: lines(field(f, "extract.fail_if")),
        },
    }
}

/// The form's values as the template shows them.
fn values(d: &SourceDraft) -> serde_json::Value {
    serde_json::json!({
        "id": d.id, "name": d.name, "jurisdiction": d.jurisdiction,
        "language": d.language.clone().unwrap_or_default(), "kind": d.kind, "url": d.url,
        "schedule": d.schedule.clone().unwrap_or_default(), "timezone": d.timezone.clone().unwrap_or_default(),
        "categories": d.categories.join(", "), "render": d.render.is_some(),
        "wait_for": d.wait_for.clone().unwrap_or_default(), "may_be_empty": d.may_be_empty,
        "notes": d.notes.clone().unwrap_or_default(),
        "content": d.extract.content.clone().unwrap_or_default(),
        "exclude": d.extract.exclude.join("\n"),
        "item": d.extract.item.clone().unwrap_or_default(),
        "item_title": show_one_or_many(&d.extract.item_title),
        "item_link": d.extract.item_link.clone().unwrap_or_default(),
        "ignore": d.extract.ignore.join("\n"),
        "follow": d.extract.follow,
        "fail_if": d.extract.fail_if.join("\n"),
    })
}

/// Everything the source form shows.
struct FormView<'a> {
    session: &'a Session,
    draft: &'a SourceDraft,
    /// The draft an edit form was opened with (`None`: a new source).
    base: Option<&'a SourceDraft>,
    state: Option<&'a SourceState>,
    file: Option<String>,
    errors: BTreeMap<String, String>,
    error: Option<String>,
    notice: Option<String>,
    preview: Option<admin::Preview>,
}

fn form_page(app: &App, status: StatusCode, v: FormView<'_>) -> Response {
    let editing = v.base.is_some();
    let action = if editing {
        format!(
            "/sources/{}/edit",
            url::form_urlencoded::byte_serialize(v.draft.id.as_bytes()).collect::<String>()
        )
    } else {
        "/sources/new".to_string()
    };
    let base = v.base.map(|b| serde_json::to_string(b).unwrap_or_default());
    let preview = v.preview.map(|p| {
        let mut j = serde_json::to_value(&p).unwrap_or_default();
        j["items"] = p
            .items
            .iter()
            .take(admin::PREVIEW_ITEMS)
            .map(|it| serde_json::json!({"title": it.title, "link": it.link, "text": crate::util::truncate(&it.text, 200)}))
            .collect();
        j["more"] = serde_json::json!(p.count.saturating_sub(admin::PREVIEW_ITEMS));
        j["text_chars"] = serde_json::json!(p.text.as_deref().map(|t| t.chars().count()));
        j["text"] = serde_json::json!(p
            .text
            .as_deref()
            .map(|t| crate::util::truncate(t, admin::PREVIEW_TEXT_CHARS)));
        if let Some(s) = &p.suggestions {
            j["candidates"] = s
                .candidates
                .iter()
                .map(|c| {
                    let mut x = serde_json::to_value(c).unwrap_or_default();
                    x["use"] = serde_json::json!(serde_json::json!({
                        "item": c.item, "item_title": c.item_title, "item_link": c.item_link,
                        "content": s.content,
                    })
                    .to_string());
                    x
                })
                .collect();
        }
        j
    });
    let state = v.state.map(|s| match s {
        SourceState::Enabled => serde_json::json!({"state": "enabled", "label": "watched"}),
        SourceState::Disabled => serde_json::json!({"state": "disabled", "label": "disabled"}),
        SourceState::Paused { by, since, reason } => serde_json::json!({
            "state": "paused",
            "label": format!("paused by {by} on {since}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()),
        }),
    });
    page(
        status,
        "admin_source.html",
        context! {
            title => if editing { format!("Edit source {}", v.draft.id) } else { "Add a source".to_string() },
            editing => editing,
            action => action,
            v => values(v.draft),
            base => base,
            file => v.file,
            state => state,
            errors => v.errors,
            error => v.error,
            notice => v.notice,
            preview => preview,
            csrf => v.session.csrf.clone(),
            who => format!("{} ({})", v.session.name, v.session.role.as_str()),
            categories => app.tagger.taxonomy.category_names(),
        },
    )
}

/// An edit error as the form shows it: on its field, or above the form.
fn form_errors(e: &EditError) -> (BTreeMap<String, String>, Option<String>) {
    match e {
        EditError::Field { field, message } => (
            BTreeMap::from([(field.clone(), message.clone())]),
            Some(format!("Not saved: {field}: {message}")),
        ),
        other => (BTreeMap::new(), Some(format!("Not saved: {other}"))),
    }
}

/// `GET /sources/new`
pub async fn new_form(State(live): State<LiveApp>, headers: HeaderMap) -> Response {
    let app = live.current();
    let s = match admin_session(&app, &headers, "/sources/new") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let draft = SourceDraft {
        kind: "page".into(),
        ..Default::default()
    };
    form_page(
        &app,
        StatusCode::OK,
        FormView {
            session: &s,
            draft: &draft,
            base: None,
            state: None,
            file: None,
            errors: BTreeMap::new(),
            error: None,
            notice: None,
            preview: None,
        },
    )
}

/// Apply a candidate's rules (the `use` button's value) to the draft.
fn apply_candidate(draft: &mut SourceDraft, chosen: &str) {
    let Ok(c) = serde_json::from_str::<serde_json::Value>(chosen) else {
        return;
    };
    let s = |k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_string);
    draft.extract.item = s("item");
    draft.extract.item_title = s("item_title").map(OneOrMany::One);
    draft.extract.item_link = s("item_link");
    if draft.extract.content.is_none() {
        draft.extract.content = s("content");
    }
}

/// The buttons of the source form: `preview`, `use` (a candidate, then
/// preview), `save`.
async fn handle_form(
    live: &LiveApp,
    headers: &HeaderMap,
    body: &str,
    editing: Option<String>,
) -> Response {
    let app = live.current();
    let f = form(body);
    let here = match &editing {
        Some(id) => format!("/sources/{id}/edit"),
        None => "/sources/new".into(),
    };
    let s = match admin_post(&app, headers, &f, &here) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let base: Option<SourceDraft> = editing
        .as_ref()
        .and_then(|_| serde_json::from_str(field(&f, "base")).ok());
    if editing.is_some() && base.is_none() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "This form lost the values it was opened with: reload the edit page and try again.",
        );
    }
    let mut draft = draft_of(&f, base.as_ref());
    if let Some(id) = &editing {
        // The id never changes; the form does not offer it.
        draft.id = id.clone();
    }
    let chosen = field(&f, "use");
    if !chosen.is_empty() {
        apply_candidate(&mut draft, chosen);
    }
    let found_state = stored(&app, editing.as_deref()).await;
    let view = |errors, error, notice, preview| FormView {
        session: &s,
        draft: &draft,
        base: base.as_ref(),
        state: found_state.as_ref().map(|f| &f.state),
        file: found_state
            .as_ref()
            .and_then(|f| f.file.file_name())
            .map(|f| f.to_string_lossy().to_string()),
        errors,
        error,
        notice,
        preview,
    };
    if field(&f, "action") == "save" && chosen.is_empty() {
        let op = match &editing {
            Some(id) => SourceOp::Edit {
                id: id.clone(),
                draft: draft.clone(),
                base: base.clone(),
            },
            None => SourceOp::Add(draft.clone()),
        };
        return match admin::write(live, &s.name, op).await {
            Ok(w) => see_other(&format!(
                "/sources/{}/edit?saved={}",
                url::form_urlencoded::byte_serialize(w.id.as_bytes()).collect::<String>(),
                if w.written { "1" } else { "0" }
            )),
            Err(e) => {
                let status = admin::edit_status(&e);
                let (errors, error) = form_errors(&e);
                form_page(&app, status, view(errors, error, None, None))
            }
        };
    }
    // Preview (also after a candidate was chosen): one fetch, nothing stored.
    match admin::preview(&app, &draft).await {
        Ok(p) => form_page(
            &app,
            StatusCode::OK,
            view(BTreeMap::new(), None, None, Some(p)),
        ),
        Err(e) => {
            let (errors, error) = form_errors(&e);
            let error = error.map(|m| m.replacen("Not saved", "Cannot preview", 1));
            form_page(
                &app,
                StatusCode::UNPROCESSABLE_ENTITY,
                view(errors, error, None, None),
            )
        }
    }
}

/// The source an edit form is about, as its file holds it now (its state
/// and file); `None` for a new source or one that cannot be read.
async fn stored(app: &App, editing: Option<&str>) -> Option<Found> {
    let id = editing?.to_string();
    let ed = admin::editor(app);
    tokio::task::spawn_blocking(move || ed.read(&id))
        .await
        .ok()
        .and_then(Result::ok)
}

/// `POST /sources/new` (form: the source's fields, csrf, action = preview | save, or use = a candidate)
pub async fn new_post(State(live): State<LiveApp>, headers: HeaderMap, body: String) -> Response {
    handle_form(&live, &headers, &body, None).await
}

/// `GET /sources/{id}/edit`
pub async fn edit_form(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let app = live.current();
    let s = match admin_session(&app, &headers, &format!("/sources/{id}/edit")) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ed = admin::editor(&app);
    let read_id = id.clone();
    let found = match tokio::task::spawn_blocking(move || ed.read(&read_id)).await {
        Ok(Ok(f)) => f,
        Ok(Err(EditError::UnknownId { .. })) => {
            return error_page(
                StatusCode::NOT_FOUND,
                &format!("There is no source `{id}`."),
            )
        }
        Ok(Err(e)) => return error_page(admin::edit_status(&e), &e.to_string()),
        Err(e) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let p = crate::server::Params::parse(q.as_deref());
    let notice = match p.get("saved") {
        Some("1") => {
            Some("Saved: the file was written and the running daemon reloaded it.".to_string())
        }
        Some(_) => Some("Nothing to save: the source already says this.".to_string()),
        None => p.get("done").map(|d| format!("Done: {d}.")),
    };
    form_page(
        &app,
        StatusCode::OK,
        FormView {
            session: &s,
            draft: &found.draft,
            base: Some(&found.draft),
            state: Some(&found.state),
            file: found
                .file
                .file_name()
                .map(|f| f.to_string_lossy().to_string()),
            errors: BTreeMap::new(),
            error: None,
            notice,
            preview: None,
        },
    )
}

/// `POST /sources/{id}/edit`
pub async fn edit_post(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    handle_form(&live, &headers, &body, Some(id)).await
}

#[cfg(test)]
mod tests {
    use super::super::env;
    use super::*;

    #[test]
    fn the_source_form_renders_and_escapes_what_a_page_gave() {
        let ctx = context! {
            title => "Add a source", editing => false, action => "/sources/new",
            v => values(&SourceDraft { name: "<b>x</b>".into(), ..Default::default() }),
            errors => BTreeMap::from([("extract.item".to_string(), "bad <i>".to_string())]),
            csrf => "c", who => "ada (admin)", categories => vec!["telecom"],
            preview => serde_json::json!({"url": "http://a", "kind": "items", "count": 1,
                "items": [{"key": "k", "title": "<img src=x>", "link": "http://a/1", "text": "some text"}],
                "candidates": [{"item": "li.x", "count": 3, "titles": ["<script>"], "use": "{\"item\":\"li.x\"}"}]}),
        };
        let html = env()
            .get_template("admin_source.html")
            .and_then(|t| t.render(ctx))
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert!(html.contains("&lt;b&gt;x&lt;&#x2f;b&gt;"), "{html}");
        assert!(html.contains("id=\"error-extract-item\""), "{html}");
        assert!(
            !html.contains("<img") && !html.contains("<script>"),
            "{html}"
        );
        assert!(html.contains("name=\"use\""), "{html}");
    }
}
