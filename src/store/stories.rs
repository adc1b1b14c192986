//! Stories: the changes of several sources that report one act, linked as
//! each is recorded (whether two titles name the same act is
//! [`crate::story`]'s to say) and read back with each change.

use super::db::{parse_ts, ts, Backend, Store, Tx};
use crate::model::{Change, ChangeKind, ChangeRecord, StoryMember};
use chrono::{DateTime, Utc};

/// The PostgreSQL advisory lock that serializes story linking ("rwstory").
pub(super) const STORY_LOCK: i64 = 0x0072_7773_746f_7279;

/// Two sources recording the same act at once (the polls of one
/// `regwatch poll`, or two instances) must see each other when their
/// changes are linked into stories: on PostgreSQL, recording changes is
/// serialized by a transaction-level lock held to commit, taken before
/// the id is drawn, so ids follow the order of recording and the next
/// transaction reads the change the one before committed. One lock for
/// all: a lock per jurisdiction could deadlock two polls of WTO
/// notifications of several members. SQLite serializes writers already
/// (a poll holds the write lock from its first INSERT).
pub(super) async fn serialize(tx: &mut Tx<'_>, backend: Backend) -> anyhow::Result<()> {
    if backend == Backend::Postgres {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT pg_advisory_xact_lock({STORY_LOCK})"
        )))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Link a just-inserted change to the story of the same act reported by
/// another source (see [`crate::story`]), or start its own story. Returns
/// the story id.
pub(super) async fn link(
    tx: &mut Tx<'_>,
    id: i64,
    (source_id, jurisdiction): (&str, &str),
    at: DateTime<Utc>,
    rec: &ChangeRecord,
) -> anyhow::Result<i64> {
    let mut story = id;
    if looks_for_story(source_id, rec) {
        let candidates = candidates(tx, (source_id, jurisdiction), at, rec).await?;
        if let Some(found) = best_of(id, rec, &candidates) {
            story = found;
        }
    }
    sqlx::query("UPDATE changes SET story_id = $1 WHERE id = $2")
        .bind(story)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(story)
}

/// Whether a change looks for a story to join: a removal is not a report
/// of an act; a person's field report is about practice, not a text, and
/// always alerts on its own.
pub(super) fn looks_for_story(source_id: &str, rec: &ChangeRecord) -> bool {
    rec.change.kind != ChangeKind::Removed && source_id != "field"
}

/// The story among `candidates` (most recent first) that the change `id`
/// (None: not recorded yet) reports the same act as, if any.
pub(super) fn best_of(
    id: impl std::fmt::Debug,
    rec: &ChangeRecord,
    candidates: &[(i64, String)],
) -> Option<i64> {
    let (found, why) = crate::story::best_story(
        &rec.change.title,
        candidates.iter().map(|(s, t)| (*s, t.as_str())),
    )?;
    tracing::info!(change = ?id, story = found, why = ?why, "change reports the same act as an earlier one");
    Some(found)
}

/// The stories a change may join, as (story id, title): changes of other
/// sources, recent (a field report: within [`crate::story::FIELD_WINDOW_DAYS`],
/// practice often runs weeks ahead of the text), not removals, of the same rule jurisdiction (a WTO
/// notification counts for its member), and of stories this source is not
/// yet part of (a source's own follow-up, such as a modified entry, is
/// never folded into a story it already told). The change itself is none
/// of them: it is this source's, and has no story yet.
async fn candidates(
    tx: &mut Tx<'_>,
    (source_id, jurisdiction): (&str, &str),
    at: DateTime<Utc>,
    rec: &ChangeRecord,
) -> anyhow::Result<Vec<(i64, String)>> {
    let rule = crate::model::rule_jurisdiction(jurisdiction, rec.tags.member.as_deref());
    let sql = candidates_sql(rule == "WTO", 1, false);
    let mut q = sqlx::query_as::<_, (i64, String, i64)>(sqlx::AssertSqlSafe(sql));
    for v in candidates_params(source_id, rule, at) {
        q = q.bind(v);
    }
    let rows = q.fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().map(|(s, t, _)| (s, t)).collect())
}

/// The statement of the stories a change of a rule jurisdiction may join
/// (see [`candidates`]): `story_id, title, id`, newest first, its
/// parameters numbered from `$first` as [`candidates_params`] gives them;
/// with `after`, only changes of a higher id than one more parameter.
pub(super) fn candidates_sql(wto: bool, first: usize, after: bool) -> String {
    let p = |i: usize| format!("${}", first + i);
    let same_rule = if wto {
        "c.jurisdiction = 'WTO' AND c.member IS NULL".to_string()
    } else {
        format!(
            "((c.jurisdiction = {r} AND c.jurisdiction <> 'WTO') OR (c.jurisdiction = 'WTO' AND c.member = {r}))",
            r = p(3)
        )
    };
    let after = if after {
        format!(" AND c.id > {}", p(if wto { 3 } else { 4 }))
    } else {
        String::new()
    };
    format!(
        "SELECT c.story_id, c.title, c.id FROM changes c
         WHERE c.source_id <> {src}
           AND (c.detected_at >= {window} OR (c.source_id = 'field' AND c.detected_at >= {field}))
           AND c.kind <> 'removed' AND c.story_id IS NOT NULL AND {same_rule}{after}
           AND NOT EXISTS (SELECT 1 FROM changes s WHERE s.story_id = c.story_id AND s.source_id = {src})
         ORDER BY c.id DESC LIMIT {}",
        crate::story::MAX_CANDIDATES,
        window = p(0),
        src = p(1),
        field = p(2),
    )
}

/// The parameters of [`candidates_sql`]: the window's start, the source,
/// the field reports' window's start, and the rule jurisdiction (not
/// bound for WTO's own notifications).
pub(super) fn candidates_params(source_id: &str, rule: &str, at: DateTime<Utc>) -> Vec<String> {
    let mut v = vec![
        ts(at - chrono::Duration::days(crate::story::WINDOW_DAYS)),
        source_id.to_string(),
        ts(at - chrono::Duration::days(crate::story::FIELD_WINDOW_DAYS)),
    ];
    if rule != "WTO" {
        v.push(rule.to_string());
    }
    v
}

/// Whether a change of `story` was already queued as an alert on `channel`.
/// A field report's alert does not count: when the official text follows
/// what was seen in practice, the publication is news and is alerted.
pub(super) async fn alerted(tx: &mut Tx<'_>, story: i64, channel: &str) -> anyhow::Result<bool> {
    let hit: Option<i64> = sqlx::query_scalar(
        "SELECT o.id FROM outbox o JOIN changes s ON s.id = o.change_id
         WHERE s.story_id = $1 AND o.kind = 'change' AND o.channel = $2
           AND s.source_id <> 'field' LIMIT 1",
    )
    .bind(story)
    .bind(channel)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(hit.is_some())
}

impl Store {
    /// Each change's story members from other sources, oldest first.
    pub(super) async fn attach_stories(&self, changes: &mut [Change]) -> anyhow::Result<()> {
        // One query per 500 stories, on the story index.
        let mut stories: Vec<i64> = changes.iter().map(|c| c.story_id).collect();
        stories.sort_unstable();
        stories.dedup();
        for chunk in stories.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let sql = format!(
                "SELECT id, source_id, title, link, detected_at, story_id FROM changes
                 WHERE story_id IN ({}) ORDER BY id",
                list.join(",")
            );
            let rows: Vec<(i64, String, String, Option<String>, String, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&self.pool)
                    .await?;
            for c in changes.iter_mut() {
                c.also_reported_by.extend(
                    rows.iter()
                        .filter(|r| r.5 == c.story_id && r.0 != c.id)
                        .map(|(id, src, title, link, at, _)| StoryMember {
                            id: *id,
                            source_id: src.clone(),
                            title: title.clone(),
                            link: link.clone(),
                            detected_at: parse_ts(at).unwrap_or_default(),
                            url: String::new(),
                        }),
                );
                c.lead_days = lead_days(c);
            }
        }
        Ok(())
    }
}

/// Practice before publication: how many days a field report of the story
/// saw the act before the first official change reported it (None when
/// the story has no field report, no official change, or the text came first).
pub fn lead_days(c: &Change) -> Option<i64> {
    let first = |want_field: bool| {
        std::iter::once((c.source.as_str(), c.detected_at))
            .chain(
                c.also_reported_by
                    .iter()
                    .map(|m| (m.source_id.as_str(), m.detected_at)),
            )
            .filter(|(s, _)| (*s == "field") == want_field)
            .map(|(_, t)| t)
            .min()
    };
    let (seen, published) = (first(true)?, first(false)?);
    let days = (published.date_naive() - seen.date_naive()).num_days();
    (days > 0).then_some(days)
}
