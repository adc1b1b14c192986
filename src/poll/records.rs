//! A poll's changes made ready to record: each tagged, matched with the
//! open cases and routed to the channels that want it now; the links of new
//! and modified items followed where the source asks.

use crate::app::App;
use crate::config::Source;
use crate::extract;
use crate::fetch::FetchOutcome;
use crate::model::{ChangeKind, ChangeRecord, NewChange};
use crate::route::immediate_routes;

/// At most this many new or modified items of one poll have their link followed.
pub const MAX_FOLLOW_PER_POLL: usize = 20;

/// Tag, match and route each change; follow the links of new and modified
/// items where asked (a listing entry edited in place often means that the
/// act behind the link changed, and is tagged on that text).
pub(super) async fn build_records(
    app: &App,
    source: &Source,
    raw: Vec<NewChange>,
) -> anyhow::Result<Vec<ChangeRecord>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut followed = 0usize;
    for mut c in raw {
        if !source.reports(c.kind) {
            continue;
        }
        let followable = matches!(c.kind, ChangeKind::Added | ChangeKind::Modified);
        if source.rules.follow && followable && followed < MAX_FOLLOW_PER_POLL {
            if let Some(link) = c.link.as_deref().and_then(|l| url::Url::parse(l).ok()) {
                followed += 1;
                follow_into(app, source, &link, &mut c).await;
            }
        }
        // a feed item's published date anchors the dates its text counts
        // from publication ("yayımı tarihinde", "30 días hábiles siguientes")
        let tags = app.tagger.tag_published(
            &c.title,
            &c.text,
            Some(&source.def.language),
            &source.def.categories,
            c.published,
        );
        // The open cases it affects, read through the store's index of
        // match terms (only the candidates, not every case of the country).
        let j = source.def.jurisdiction.as_str();
        let cases =
            crate::services::cases::matching_cases(app, j, &tags, &c.title, &c.text).await?;
        let deliver_to = immediate_routes(
            &app.config.channels,
            source.def.jurisdiction.as_str(),
            &tags,
            &cases,
        );
        let gist = crate::gist::of(
            &c.title,
            &c.text,
            Some(&source.def.language),
            source.def.jurisdiction.as_str(),
            &tags,
        );
        out.push(ChangeRecord {
            change: c,
            tags,
            cases,
            deliver_to,
            gist,
        });
    }
    Ok(out)
}

/// The change takes the text behind its link (a new item its excerpt too;
/// a modified item keeps its excerpt: what changed). A link that cannot be
/// followed leaves the listing's text.
async fn follow_into(app: &App, source: &Source, link: &url::Url, c: &mut NewChange) {
    match follow(app, source, link).await {
        Ok(text) => {
            if c.kind == ChangeKind::Added {
                c.excerpt = crate::util::truncate(&text, 600);
            }
            c.text = text;
        }
        Err(e) => {
            tracing::warn!(source = %source.id(), url = crate::util::redact(link), error = format!("{e:#}"), "could not follow the item's link; tagging on the listing text")
        }
    }
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
