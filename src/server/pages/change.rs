//! One change with its diff, its text, its cases and its review; and the
//! review a signed-in reviewer posts.

use crate::app::{App, LiveApp};
use crate::model::{Change, Gist};
use crate::services::{self, ServiceError};
use crate::util::safe_link as safe_href;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::{
    disposition_label, error_page, form, no_store, page, reviewer_form, row, see_other,
    DISPOSITION_CHOICES,
};

#[derive(Serialize)]
struct DiffLine {
    class: &'static str,
    text: String,
}

/// Unified-diff lines classed for display: `add` and `del` are shown as
/// `<ins>`/`<del>`, `hunk` and `meta` muted.
fn diff_lines(diff: &str) -> Vec<DiffLine> {
    diff.lines()
        .map(|l| {
            let class = if l.starts_with("+++") || l.starts_with("---") {
                "meta"
            } else if l.starts_with("@@") {
                "hunk"
            } else if l.starts_with('+') {
                "add"
            } else if l.starts_with('-') {
                "del"
            } else {
                "ctx"
            };
            DiffLine {
                class,
                text: l.to_string(),
            }
        })
        .collect()
}

pub async fn change(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let app = live.current();
    let c = match load(&app, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let cases = case_views(&app, &c).await;
    let (text, text_cut) = match services::evidence::marked_text(&app, &c).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "change text failed");
            (vec![], false)
        }
    };
    let session = crate::server::session::current(&app.config, &headers);
    let trail = services::reviews::trail(&app, c.id)
        .await
        .unwrap_or_default();
    let ctx = context! {
        title => format!("#{} {}", c.id, c.title),
        review => c.review.clone(),
        trail => trail,
        can_review => session.as_ref().is_some_and(|s| s.role >= crate::config::Role::Reviewer),
        csrf => session.as_ref().map(|s| s.csrf.clone()),
        who => session.as_ref().map(|s| format!("{} ({})", s.name, s.role.as_str())),
        c => row(&c),
        deadline => c.deadline.map(|d| d.to_string()),
        dates => date_views(&c),
        text => text,
        text_cut => text_cut,
        words => services::evidence::word_diff(&c.diff),
        link => c.link,
        href => safe_href(c.link.as_deref()),
        author => c.author,
        evidence => evidence_views(&c),
        cases => cases,
        dispositions => DISPOSITION_CHOICES,
        also => also_views(&app, &c),
        diff => diff_lines(&c.diff),
        corrections => c.corrections,
        lead_days => c.lead_days,
        is_field => c.source == "field",
        api_url => format!("/api/changes/{}", c.id),
        gist => c.gist.as_ref().map(gist_view),
    };
    let r = page(StatusCode::OK, "change.html", ctx);
    // A signed-in view carries the session's CSRF token.
    if session.is_some() {
        no_store(r)
    } else {
        r
    }
}

/// The change a page's number names, or the error page to answer instead
/// (404 for a number that is not one or names no change).
async fn load(app: &App, id: &str) -> Result<Change, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(error_page(
            StatusCode::NOT_FOUND,
            "There is no change with this number.",
        ));
    };
    match services::changes::one(app, id).await {
        Ok(c) => Ok(c),
        Err(ServiceError::NotFound(_)) | Err(ServiceError::Invalid(_)) => Err(error_page(
            StatusCode::NOT_FOUND,
            &format!("There is no change #{id}."),
        )),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "change page failed");
            Err(error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The change log cannot be read right now.",
            ))
        }
    }
}

/// The matched cases, each with its disposition (worded) and the trail of
/// marks reviewers gave it.
async fn case_views(app: &App, c: &Change) -> Vec<minijinja::Value> {
    let marks = services::reviews::dispositions(app, c.id)
        .await
        .unwrap_or_default();
    c.cases
        .iter()
        .map(|m| {
            let trail: Vec<&crate::model::Disposition> =
                marks.iter().filter(|(k, _)| *k == m.id).map(|(_, d)| d).collect();
            let mut d = serde_json::to_value(&m.disposition).unwrap_or_default();
            d["label"] = serde_json::json!(disposition_label(&m.disposition.state));
            context! { id => m.id, client => m.client, strength => m.strength.as_str(), reason => m.reason, href => safe_href(m.link.as_deref()), disposition => d, trail => trail }
        })
        .collect()
}

/// The other sources' changes that report the same act.
fn also_views(app: &App, c: &Change) -> Vec<minijinja::Value> {
    c.also_reported_by
        .iter()
        .map(|m| {
            let name = app.sources.get(&m.source_id).map(|s| s.def.name.clone());
            context! { id => m.id, source => m.source_id, name => name, title => m.title, detected => m.detected_at.format("%Y-%m-%d %H:%M UTC").to_string(), href => safe_href(m.link.as_deref()) }
        })
        .collect()
}

/// Why the change carries each of its categories.
fn evidence_views(c: &Change) -> Vec<minijinja::Value> {
    c.evidence
        .iter()
        .map(|e| context! { category => e.category, via => e.via, matched => e.matched })
        .collect()
}

/// Every date of the text, with the words an officer reads.
fn date_views(c: &Change) -> Vec<minijinja::Value> {
    c.dates
        .iter()
        .map(|d| context! { kind => d.kind, label => date_label(&d.kind), date => d.date.to_string(), evidence => d.evidence })
        .collect()
}

/// The English gist of a notice not in English.
fn gist_view(g: &Gist) -> minijinja::Value {
    context! {
        label => crate::gist::label(g),
        lang => g.lang,
        text => g.text,
        country => g.country,
        issuer => g.issuer,
        act_type => g.act_type,
        action => g.action,
        products => g.products,
        dates => g.dates,
    }
}

/// A date's kind as an officer reads it.
fn date_label(kind: &str) -> &str {
    match kind {
        "applies" => "applies from",
        "in_force" => "in force from",
        "comment_deadline" => "comments due by",
        "transition_end" => "transition ends",
        other => other,
    }
}

/// `POST /changes/{id}/review` (form: state, note, csrf), for a signed-in reviewer.
pub async fn review(
    State(live): State<LiveApp>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: String,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            StatusCode::NOT_FOUND,
            "There is no change with this number.",
        );
    };
    let f = form(&body);
    let app = live.current();
    let s = match reviewer_form(
        &app.config,
        &headers,
        &f,
        &crate::server::clients::signin_to(&format!("/changes/{id}")),
        "This form has expired: reload the page and try again.",
        "mark changes",
    ) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let state = f.get("state").map(String::as_str).unwrap_or("");
    match services::reviews::mark(&app, id, state, &s.name, f.get("note").map(String::as_str)).await
    {
        Ok(_) => see_other(&format!("/changes/{id}"), None),
        Err(ServiceError::Invalid(m)) => error_page(StatusCode::BAD_REQUEST, &m),
        Err(ServiceError::NotFound(m)) => error_page(StatusCode::NOT_FOUND, &m),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "review failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The review could not be saved.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{env, Row};
    use super::*;

    #[test]
    fn templates_escape_source_text() {
        let c = Row {
            id: 1,
            title: "<img src=x onerror=alert(1)>".into(),
            detected: "d".into(),
            jurisdiction: "TR".into(),
            source: "s".into(),
            kind: "added",
            categories: vec![],
            hs_codes: vec![],
            effective: None,
            cases: vec![],
            excerpt: "<script>x</script>".into(),
            urgency: "low",
            urgency_reasons: vec![],
            gist: None,
            review: "new".into(),
            review_by: None,
            clients: vec![],
        };
        let html = env()
            .get_template("change.html")
            .unwrap()
            .render(context! { title => "t", review => crate::model::Review::default(), trail => Vec::<String>::new(), c => c, diff => diff_lines("@@ -1 +1 @@\n-old <b>\n+new"), href => None::<String>, link => Some("javascript:alert(1)"), evidence => Vec::<String>::new(), cases => Vec::<String>::new(), api_url => "/api/changes/1" })
            .unwrap();
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(!html.contains("<img"));
        assert!(!html.contains("href=\"javascript"));
        assert!(
            html.contains("<del class=\"del\">-old &lt;b&gt;</del>"),
            "{html}"
        );
        assert!(html.contains("<ins class=\"add\">+new</ins>"));
    }
}
