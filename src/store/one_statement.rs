//! A changed poll in few round trips on PostgreSQL: what the poll reads
//! once it has content of its own, in one statement ([`Store::read_ahead`]),
//! and the poll recorded in one statement (the function of migrations 0023 and 0024)
//! instead of a transaction of a statement per row.
//!
//! Recording in one statement means deciding before it what the
//! transaction decides under its locks: the health transition (from the
//! standing the poll read at its start) and the story each change joins
//! (from the stories read ahead). The function checks both under the same
//! locks; when either moved on meanwhile it records nothing. Stories
//! moved on: the poll takes its source's row and the story lock, reads the
//! newer ones and calls the function under them. The standing moved on:
//! the poll is recorded by the transaction, which reads it again.

use super::changes::{self, ChangeRow, Provenance};
use super::db::{on_lane, parse_ts, ts, Backend, Store};
use super::poll_record::{PollRecord, PollResult, StoryCandidates, SEEN_DAYS};
use super::poll_writes::{health_alerts, lock_state, validators};
use super::stories;
use crate::health::{self, Verdict};
use crate::model::{Content, PollOutcome, SourceHealth};
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// What [`Store::read_ahead`] read.
#[derive(Debug, Default)]
pub struct ReadAhead {
    /// The last snapshot's content.
    pub previous: Option<Content>,
    /// Which of the keys asked the source showed before (see
    /// [`Store::seen_among`]).
    pub seen: HashSet<String>,
    /// PostgreSQL, for a source of one jurisdiction: the stories its
    /// changes may join.
    pub stories: Option<StoryCandidates>,
}

impl Store {
    /// What a poll reads once it has content of its own, in one statement:
    /// the content of the snapshot it diffs against, which of `keys` (the
    /// identity keys of its items) the source showed before, and, on
    /// PostgreSQL, the stories of other sources its changes may join (read
    /// for the source's jurisdiction; not for WTO notifications, whose
    /// rule jurisdiction is each change's member).
    pub async fn read_ahead(
        &self,
        source_id: &str,
        jurisdiction: &str,
        snapshot: Option<i64>,
        keys: &[String],
        at: DateTime<Utc>,
    ) -> anyhow::Result<ReadAhead> {
        let stories = self.backend == Backend::Postgres && jurisdiction != "WTO";
        if snapshot.is_none() && !stories {
            // A first poll on SQLite: nothing to read.
            return Ok(ReadAhead::default());
        }
        let body = "(SELECT c.body FROM snapshots s JOIN contents c ON c.hash = s.content_hash WHERE s.id = $1)";
        let seen = format!(
            "(SELECT {} FROM seen_items WHERE source_id = $2 AND item_key {})",
            match self.backend {
                Backend::Sqlite => "json_group_array(item_key)",
                Backend::Postgres => "COALESCE(json_agg(item_key), '[]')::text",
            },
            self.backend.in_json_ids(3)
        );
        let candidates = if stories {
            story_columns(4, false)
        } else {
            "NULL, NULL".to_string()
        };
        let sql = format!("SELECT {body}, {seen}, {candidates}");
        let mut q = sqlx::query_as::<_, (Option<String>, String, Option<i64>, Option<String>)>(
            sqlx::AssertSqlSafe(sql),
        )
        .bind(snapshot)
        .bind(source_id)
        .bind(serde_json::to_string(keys)?);
        if stories {
            for v in stories::candidates_params(source_id, jurisdiction, at) {
                q = q.bind(v);
            }
        }
        let (body, seen, up_to, list) = on_lane!(self, q, fetch_one);
        let previous = body
            .map(|b| {
                serde_json::from_str(&Store::decode_body(&b)?)
                    .context("a stored snapshot is not valid JSON")
            })
            .transpose()?;
        let stories = match (up_to, list) {
            (Some(up_to), Some(list)) => Some(StoryCandidates {
                rule: jurisdiction.to_string(),
                up_to,
                list: serde_json::from_str(&list)?,
            }),
            _ => None,
        };
        Ok(ReadAhead {
            previous,
            seen: serde_json::from_str(&seen)?,
            stories,
        })
    }

    /// A changed poll recorded in one statement on PostgreSQL (what the
    /// transaction of [`Store::record_poll`] writes, the same rows). `None`
    /// when it cannot be: another backend or outcome, the poll's standing
    /// or stories not read ahead, or its standing has moved on (the
    /// function then wrote nothing). Stories that moved on are read again
    /// under the story lock ([`Store::record_changed_poll_in_turn`]).
    pub(super) async fn record_changed_poll(
        &self,
        rec: &PollRecord,
        body: Option<&str>,
    ) -> anyhow::Result<Option<PollResult>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let (Some(standing), Some(body)) = (rec.standing, body) else {
            return Ok(None);
        };
        let t = health::transition(standing, Verdict::of(&rec.outcome), rec.down_after);
        let Some(p) = changed_poll(rec, body, rec.stories.as_ref(), standing, &t)? else {
            return Ok(None);
        };
        let q = sqlx::query_scalar::<_, String>(FUNCTION).bind(p.to_string());
        let out: String = on_lane!(self, q, fetch_one);
        match serde_json::from_str(&out)? {
            Answer::Recorded { change_ids, health } => Ok(Some(recorded(&t, change_ids, health))),
            Answer::Moved { moved } if moved == "stories" => {
                self.record_changed_poll_in_turn(rec, body, standing, &t)
                    .await
            }
            Answer::Moved { moved } => {
                tracing::debug!(source = %rec.source_id, %moved, "what the poll read moved on: recorded by the transaction");
                Ok(None)
            }
        }
    }

    /// A changed poll whose stories others moved on while it ran (many
    /// sources recording at once): recorded by the same function, but in
    /// a transaction that takes the source's row and the story lock first
    /// and reads the newer stories under them, so that it cannot lose the
    /// race again. Six round
    /// trips, the lock held for three: the transaction of
    /// [`Store::record_poll`] holds it for one per row, and when every
    /// poll that lost the race went there, each next wait grew longer and
    /// made the next poll lose it too.
    async fn record_changed_poll_in_turn(
        &self,
        rec: &PollRecord,
        body: &str,
        standing: health::Standing,
        t: &health::Transition,
    ) -> anyhow::Result<Option<PollResult>> {
        let Some(before) = rec.stories.as_ref() else {
            return Ok(None);
        };
        let mut tx = self.pool.begin().await?;
        // The source's row first, then the story lock: the order of every
        // other recording, so that two recordings of one source (a poll
        // that outlived its lease, and the next) cannot deadlock. The
        // function checks the standing and snapshot again.
        lock_state(&mut tx, &rec.source_id).await?;
        stories::serialize(&mut tx, self.backend).await?;
        // Only the candidates recorded since: the ones read before stand
        // (only the source's own changes could take one out, and a poll of
        // it recorded meanwhile fails the function's standing check), and
        // are older than any of these; the newest MAX_CANDIDATES count, as
        // when they are read at once.
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(format!(
            "SELECT {}",
            story_columns(1, true)
        )));
        for v in stories::candidates_params(&rec.source_id, &before.rule, rec.started_at) {
            q = q.bind(v);
        }
        let (up_to, newer) = q.bind(before.up_to).fetch_one(&mut *tx).await?;
        let mut list: Vec<(i64, String)> = serde_json::from_str(&newer)?;
        list.extend(before.list.iter().cloned());
        list.truncate(crate::story::MAX_CANDIDATES as usize);
        let stories = StoryCandidates {
            rule: before.rule.clone(),
            up_to,
            list,
        };
        let Some(p) = changed_poll(rec, body, Some(&stories), standing, t)? else {
            return Ok(None);
        };
        let out: String = sqlx::query_scalar(FUNCTION)
            .bind(p.to_string())
            .fetch_one(&mut *tx)
            .await?;
        match serde_json::from_str(&out)? {
            Answer::Recorded { change_ids, health } => {
                tx.commit().await?;
                Ok(Some(recorded(t, change_ids, health)))
            }
            Answer::Moved { moved } => {
                tracing::debug!(source = %rec.source_id, %moved, "what the poll read moved on: recorded by the transaction");
                Ok(None)
            }
        }
    }
}

/// The call of the function of migrations 0023 and 0024.
const FUNCTION: &str = "SELECT regwatch_record_changed_poll($1::jsonb)::text";

fn recorded(t: &health::Transition, change_ids: Vec<i64>, health: Box<HealthRow>) -> PollResult {
    PollResult {
        change_ids,
        health: Some(t.change),
        superseded: false,
        source_health: Some((*health).into()),
    }
}

/// The two columns of the stories a poll's changes may join: the highest
/// change id when they were read, and the candidates as a JSON array of
/// (story id, title), most recent first; parameters from `$first` (see
/// `stories::candidates_params`), with `after` only those above one more.
fn story_columns(first: usize, after: bool) -> String {
    format!(
        "(SELECT COALESCE(MAX(id), 0) FROM changes),
         (SELECT COALESCE(json_agg(json_build_array(x.story_id, x.title) ORDER BY x.id DESC), '[]')::text
          FROM ({}) x)",
        stories::candidates_sql(false, first, after)
    )
}

/// The function's argument: the poll and every row it writes, named as
/// migration 0024 reads them (`body`: the snapshot's, as
/// [`super::snapshots::body`] stores it). `None` when a change's story cannot be
/// chosen from what was read ahead.
fn changed_poll(
    rec: &PollRecord,
    body: &str,
    stories: Option<&StoryCandidates>,
    standing: health::Standing,
    t: &health::Transition,
) -> anyhow::Result<Option<serde_json::Value>> {
    use serde_json::json;
    let PollOutcome::Changed { hash, changes, .. } = &rec.outcome else {
        return Ok(None);
    };
    let from = Provenance {
        source_id: &rec.source_id,
        jurisdiction: &rec.jurisdiction,
        at: rec.started_at,
        snapshot_id: None,
        author: None,
    };
    let mut rows = Vec::with_capacity(changes.len());
    for c in changes {
        let story = if stories::looks_for_story(&rec.source_id, c) {
            let rule = crate::model::rule_jurisdiction(&rec.jurisdiction, c.tags.member.as_deref());
            match stories {
                Some(s) if s.rule == rule => stories::best_of("(new)", c, &s.list),
                _ => return Ok(None),
            }
        } else {
            None
        };
        rows.push(json!({
            "row": ChangeRow::of(&from, c)?,
            "categories": c.tags.categories,
            "hs_digits": changes::hs_digits(&c.tags),
            "gist": c.gist.as_ref().map(serde_json::to_string).transpose()?,
            "gist_lang": c.gist.as_ref().map(|g| &g.lang),
            "matches": c.cases.iter().map(|m| (&m.id, &m.reason, m.strength.as_str())).collect::<Vec<_>>(),
            "story": story,
            "deliver_to": c.deliver_to,
        }));
    }
    let alerts: Vec<serde_json::Value> = health_alerts(rec, t)
        .into_iter()
        .map(|a| json!({"channel": a.channel, "payload": a.payload.to_string(), "key": a.key}))
        .collect();
    let (etag, last_modified) = validators(&rec.outcome);
    let at = ts(rec.started_at);
    Ok(Some(json!({
        "source_id": rec.source_id,
        "started_at": at,
        "failures": standing.consecutive_failures,
        "down": i64::from(standing.down),
        "expected_snapshot": rec.expected_snapshot,
        "story_lock": stories::STORY_LOCK,
        "changes_read_up_to": stories.map_or(i64::MAX, |s| s.up_to),
        "fetch": {
            "source_id": rec.source_id, "started_at": at, "duration_ms": rec.duration_ms,
            "status": rec.status, "bytes": rec.bytes, "outcome": rec.outcome.name(), "error": null,
        },
        "content_hash": hash,
        "content_body": body,
        "changes": rows,
        "seen_keys": rec.seen_keys,
        "seen_before": ts(rec.started_at - chrono::Duration::days(SEEN_DAYS)),
        "health_alerts": alerts,
        "next_poll_at": rec.next_poll_at.map(ts),
        "etag": etag,
        "last_modified": last_modified,
        "body_hash": rec.body_hash,
        "moved_to": rec.moved_to,
        "url": rec.url,
        "after_failures": t.after.consecutive_failures,
        "after_down": i64::from(t.after.down),
    })))
}

/// What the function hands back: the changes' ids, and the source's
/// health row as moved on (the columns of `polls::HEALTH_COLUMNS`); or,
/// having written nothing, what moved on ("standing" or "stories").
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Answer {
    Recorded {
        change_ids: Vec<i64>,
        health: Box<HealthRow>,
    },
    Moved {
        moved: String,
    },
}

#[derive(serde::Deserialize)]
struct HealthRow(
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl From<HealthRow> for SourceHealth {
    fn from(r: HealthRow) -> SourceHealth {
        let t = |s: Option<String>| s.and_then(|s| parse_ts(&s));
        SourceHealth {
            id: r.0,
            last_poll_at: t(r.1),
            last_success_at: t(r.2),
            last_error: r.3,
            consecutive_failures: r.4,
            next_poll_at: t(r.5),
            down: r.6 != 0,
            moved_to: r.7,
            rate_limited_until: t(r.8),
            moved_from: r.9,
        }
    }
}
