//! The change log: recording a change (with its tags, case matches, story
//! and outbox rows, in the transaction of its poll or field report) and
//! reading it back with every filter of the front ends.

use super::db::{parse_ts, ts, Backend, Store, Tx};
use super::{cases, gists, outbox, stories};
use crate::model::{Change, ChangeKind, ChangeRecord, Country, Tags};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    pub since: Option<DateTime<Utc>>,
    /// The destination: changes of every jurisdiction that covers it.
    pub country: Option<Country>,
    pub category: Option<String>,
    /// HS digits; matches by prefix both ways.
    pub hs: Option<Vec<String>>,
    pub source: Option<String>,
    pub case_id: Option<String>,
    pub query: Option<String>,
    pub limit: Option<i64>,
    /// Cursor: only changes with an id below this one.
    pub before_id: Option<i64>,
    pub ids: Option<Vec<i64>>,
    /// Only changes nobody reviewed yet (`--new`, `new=true`).
    pub new_only: bool,
}

/// The SQL condition on `c` (a change) that nobody reviewed it yet: its
/// latest review mark is `new`, or it has none.
pub(super) const UNREVIEWED: &str = "COALESCE((SELECT r.state FROM reviews r WHERE r.change_id = c.id ORDER BY r.id DESC LIMIT 1), 'new') = 'new'";

/// Where a recorded change comes from.
pub(super) struct Provenance<'a> {
    pub source_id: &'a str,
    pub jurisdiction: &'a str,
    /// When it was detected (its poll's start, or the report's time).
    pub at: DateTime<Utc>,
    /// The snapshot its poll took; none for a field report.
    pub snapshot_id: Option<i64>,
    /// The person who reported it (a field report).
    pub author: Option<&'a str>,
}

impl Store {
    /// Record a change entered by a person (a field report).
    pub async fn record_field_report(
        &self,
        jurisdiction: &str,
        at: DateTime<Utc>,
        rec: &ChangeRecord,
        author: &str,
    ) -> anyhow::Result<i64> {
        let from = Provenance {
            source_id: "field",
            jurisdiction,
            at,
            snapshot_id: None,
            author: Some(author),
        };
        let mut tx = self.pool.begin().await?;
        let id = insert_change(&mut tx, self.backend, &from, rec).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn count_changes(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM changes")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The text a change was detected in (the followed page's text, or the
    /// item's), as stored with it.
    pub async fn change_body(&self, id: i64) -> anyhow::Result<Option<String>> {
        let b: Option<Option<String>> =
            sqlx::query_scalar("SELECT body FROM changes WHERE id = CAST($1 AS BIGINT)")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(b.flatten())
    }

    pub async fn change(&self, id: i64) -> anyhow::Result<Option<Change>> {
        let f = ChangeFilter {
            ids: Some(vec![id]),
            limit: Some(1),
            ..Default::default()
        };
        Ok(self.changes(&f).await?.into_iter().next())
    }

    /// The change log, newest first, with every filter of the CLI; each
    /// change with its case matches, its last review and its story.
    pub async fn changes(&self, f: &ChangeFilter) -> anyhow::Result<Vec<Change>> {
        let Some(query) = f.select(self.backend) else {
            return Ok(vec![]);
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(query.text));
        for b in &query.binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut out: Vec<Change> = rows
            .into_iter()
            .map(row_to_change)
            .collect::<anyhow::Result<_>>()?;
        self.attach_cases(&mut out).await?;
        self.attach_reviews(&mut out).await?;
        self.attach_stories(&mut out).await?;
        self.attach_gists(&mut out).await?;
        self.attach_corrections(&mut out).await?;
        Ok(out)
    }
}

/// A query's text and its values, bound in order (all as text: numbers
/// are cast in the SQL).
struct Query {
    text: String,
    binds: Vec<String>,
}

impl Query {
    /// Bind `v`; its placeholder.
    fn bind(&mut self, v: String) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }

    fn and(&mut self, clause: &str) {
        self.text.push_str(" AND ");
        self.text.push_str(clause);
    }
}

impl ChangeFilter {
    /// The query of the changes this filter lets through; None when it
    /// lets none through (an empty list of ids).
    fn select(&self, _backend: Backend) -> Option<Query> {
        let mut q = Query {
            text: String::from(
                "SELECT c.id, c.source_id, c.jurisdiction, c.detected_at, c.kind, c.title, c.link, c.excerpt,
                    c.diff, c.categories, c.hs_codes, c.evidence, c.effective_date, c.author,
                    c.deadline, c.excluded_hs_codes, c.chapters, c.member, c.origins, c.story_id, c.tags
             FROM changes c WHERE 1=1",
            ),
            binds: vec![],
        };
        if let Some(since) = self.since {
            let ph = q.bind(ts(since));
            q.and(&format!("c.detected_at >= {ph}"));
        }
        if let Some(country) = &self.country {
            destination(&mut q, country);
        }
        if let Some(cat) = &self.category {
            let ph = q.bind(cat.to_lowercase());
            q.and(&format!(
                "EXISTS (SELECT 1 FROM change_categories k WHERE k.change_id = c.id AND k.category = {ph})"
            ));
        }
        if let Some(hs) = &self.hs {
            hs_prefixes(&mut q, hs);
        }
        if let Some(src) = &self.source {
            let ph = q.bind(src.clone());
            q.and(&format!("c.source_id = {ph}"));
        }
        if let Some(case) = &self.case_id {
            let ph = q.bind(case.clone());
            q.and(&format!(
                "EXISTS (SELECT 1 FROM case_matches m WHERE m.change_id = c.id AND m.case_id = {ph})"
            ));
        }
        if let Some(text) = &self.query {
            words(&mut q, text);
        }
        if self.new_only {
            q.and(UNREVIEWED);
        }
        if let Some(before) = self.before_id {
            let ph = q.bind(before.to_string());
            q.and(&format!("c.id < CAST({ph} AS BIGINT)"));
        }
        if let Some(ids) = &self.ids {
            if ids.is_empty() {
                return None;
            }
            let list: Vec<String> = ids
                .iter()
                .map(|i| format!("CAST({} AS BIGINT)", q.bind(i.to_string())))
                .collect();
            q.and(&format!("c.id IN ({})", list.join(",")));
        }
        q.text.push_str(" ORDER BY c.id DESC");
        if let Some(l) = self.limit {
            q.text.push_str(&format!(" LIMIT {}", l.max(0)));
        }
        Some(q)
    }
}

/// Changes of every jurisdiction whose rules reach `country` (the model
/// decides: itself, and the EU for a member state); a WTO notification
/// covers its notifying member.
fn destination(q: &mut Query, country: &Country) {
    let phs: Vec<String> = country
        .covered_by()
        .into_iter()
        .map(|j| q.bind(j.to_string()))
        .collect();
    let list = phs.join(", ");
    q.and(&format!(
        "(c.jurisdiction IN ({list}) OR (c.jurisdiction = 'WTO' AND c.member IN ({list})))"
    ));
}

/// Changes with an HS code that one of `hs` starts, or that starts one of them.
fn hs_prefixes(q: &mut Query, hs: &[String]) {
    let ors: Vec<String> = hs
        .iter()
        .map(|code| {
            let ph = q.bind(code.clone());
            format!("(h.digits LIKE {ph} || '%' OR {ph} LIKE h.digits || '%')")
        })
        .collect();
    if !ors.is_empty() {
        q.and(&format!(
            "EXISTS (SELECT 1 FROM change_hs h WHERE h.change_id = c.id AND ({}))",
            ors.join(" OR ")
        ));
    }
}

/// Changes with every word of `text` in their title, excerpt, text or HS
/// codes, folding case and diacritics in every language (the stored
/// `search_text` is folded the same way: see [`search_text`]).
fn words(q: &mut Query, text: &str) {
    for word in crate::story::fold(text).split_whitespace() {
        let ph = q.bind(format!(
            "%{}%",
            word.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        ));
        q.and(&format!("c.search_text LIKE {ph} ESCAPE '\\'"));
    }
}

/// The folded text a change is searched in: its title, excerpt, text and
/// HS codes, case and diacritics folded (`ısıtıcı`, `ISITICI` → `isitici`;
/// `thiết bị` → `thiet bi`; `señal` → `senal`).
pub(super) fn search_text(title: &str, excerpt: &str, body: &str, hs_codes: &[String]) -> String {
    crate::story::fold(&format!(
        "{title}\n{excerpt}\n{body}\n{}",
        hs_codes.join(" ")
    ))
}

impl Store {
    /// Fill the folded search text of changes recorded before it existed
    /// (run at start, after the migrations; a no-op once done).
    pub(super) async fn fill_search_text(&self) -> anyhow::Result<u64> {
        let mut done = 0u64;
        loop {
            let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
                "SELECT id, title, excerpt, body, hs_codes FROM changes
                 WHERE search_text IS NULL ORDER BY id LIMIT 500",
            )
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = self.pool.begin().await?;
            for (id, title, excerpt, body, hs) in rows {
                let hs: Vec<String> = serde_json::from_str(&hs).unwrap_or_default();
                sqlx::query("UPDATE changes SET search_text = $1 WHERE id = $2")
                    .bind(search_text(&title, &excerpt, &body, &hs))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                done += 1;
            }
            tx.commit().await?;
        }
        if done > 0 {
            tracing::info!(
                changes = done,
                "filled the folded search text of older changes"
            );
        }
        Ok(done)
    }
}

fn row_to_change(r: sqlx::any::AnyRow) -> anyhow::Result<Change> {
    let date = |i: usize| {
        r.get::<Option<String>, _>(i)
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
    };
    let json = |i: usize| r.get::<String, _>(i);
    let kind: String = r.get(4);
    let id: i64 = r.get(0);
    let tags = stored_tags(id, r.get::<Option<String>, _>(20).as_deref());
    Ok(Change {
        id: r.get(0),
        source: r.get(1),
        jurisdiction: r.get(2),
        detected_at: parse_ts(&r.get::<String, _>(3)).unwrap_or_default(),
        kind: ChangeKind::parse(&kind).unwrap_or(ChangeKind::Text),
        title: r.get(5),
        link: r.get(6),
        excerpt: r.get(7),
        diff: r.get(8),
        categories: serde_json::from_str(&json(9))?,
        hs_codes: serde_json::from_str(&json(10))?,
        evidence: serde_json::from_str(&json(11))?,
        effective_date: date(12),
        author: r.get(13),
        deadline: date(14),
        excluded_hs_codes: serde_json::from_str(&json(15))?,
        chapters: serde_json::from_str(&json(16))?,
        member: r.get(17),
        urgency: Default::default(),
        review: Default::default(),
        urgency_reasons: vec![],
        story_id: r.get::<Option<i64>, _>(19).unwrap_or(r.get(0)),
        also_reported_by: vec![],
        corrections: vec![],
        lead_days: None,
        origins: serde_json::from_str(&json(18))?,
        exempt_origins: tags.exempt_origins,
        hs_ranges: tags.hs_ranges,
        measures: tags.measures,
        dates: tags.dates,
        cases: vec![],
        url: String::new(),
        gist: None,
    })
}

/// The whole tag set stored with a change. A change recorded before the
/// set was stored (NULL) has only its columns; a set that cannot be read is
/// logged and left out, and the change loads with its columns.
fn stored_tags(id: i64, raw: Option<&str>) -> Tags {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Tags::default(),
        Some(s) => serde_json::from_str(s).unwrap_or_else(|e| {
            tracing::warn!(change = id, error = %e, "stored tags unreadable: the change loads without its dates, ranges and exempt origins");
            Tags::default()
        }),
    }
}

/// Record one change: its row, its categories and HS codes for search,
/// its case matches, its story, and an outbox row for each channel that
/// wants it now (unless its story was already alerted there). Returns its id.
pub(super) async fn insert_change(
    tx: &mut Tx<'_>,
    backend: Backend,
    from: &Provenance<'_>,
    rec: &ChangeRecord,
) -> anyhow::Result<i64> {
    // Before the id is drawn: see `stories::serialize`.
    stories::serialize(tx, backend).await?;
    let id = insert_row(tx, from, rec).await?;
    index(tx, backend, id, &rec.tags).await?;
    gists::insert(tx, id, rec.gist.as_ref()).await?;
    let matches = rec
        .cases
        .iter()
        .map(|m| (m.id.as_str(), m.reason.as_str(), m.strength));
    cases::insert_change_matches(tx, backend, id, matches).await?;
    let story = stories::link(tx, id, (from.source_id, from.jurisdiction), from.at, rec).await?;
    queue_alerts(tx, id, story, rec, from.at).await?;
    Ok(id)
}

/// A change's row in `changes` (but its id and story), as
/// [`insert_row`] binds it and the one-statement record of a changed poll
/// on PostgreSQL hands it over (JSON named by column).
#[derive(serde::Serialize)]
pub(super) struct ChangeRow<'a> {
    source_id: &'a str,
    jurisdiction: &'a str,
    detected_at: String,
    kind: &'static str,
    item_key: Option<&'a str>,
    title: &'a str,
    link: Option<&'a str>,
    excerpt: &'a str,
    diff: &'a str,
    body: &'a str,
    categories: String,
    hs_codes: String,
    evidence: String,
    effective_date: Option<String>,
    author: Option<&'a str>,
    snapshot_id: Option<i64>,
    deadline: Option<String>,
    excluded_hs_codes: String,
    chapters: String,
    member: Option<&'a str>,
    origins: String,
    tags: String,
    search_text: String,
}

impl<'a> ChangeRow<'a> {
    pub(super) fn of(from: &Provenance<'a>, rec: &'a ChangeRecord) -> anyhow::Result<Self> {
        let c = &rec.change;
        let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        let t = &rec.tags;
        Ok(ChangeRow {
            source_id: from.source_id,
            jurisdiction: from.jurisdiction,
            detected_at: ts(from.at),
            kind: c.kind.as_str(),
            item_key: c.item_key.as_deref(),
            title: &c.title,
            link: c.link.as_deref(),
            excerpt: &c.excerpt,
            diff: &c.diff,
            body: &c.text,
            categories: serde_json::to_string(&t.categories)?,
            hs_codes: serde_json::to_string(&t.hs_codes)?,
            evidence: serde_json::to_string(&t.evidence)?,
            effective_date: day(t.effective_date),
            author: from.author,
            snapshot_id: from.snapshot_id,
            deadline: day(t.deadline),
            excluded_hs_codes: serde_json::to_string(&t.excluded_hs_codes)?,
            chapters: serde_json::to_string(&t.chapters)?,
            member: t.member.as_deref(),
            origins: serde_json::to_string(&t.origins)?,
            tags: serde_json::to_string(t)?,
            search_text: search_text(&c.title, &c.excerpt, &c.text, &t.hs_codes),
        })
    }
}

async fn insert_row(
    tx: &mut Tx<'_>,
    from: &Provenance<'_>,
    rec: &ChangeRecord,
) -> anyhow::Result<i64> {
    let r = ChangeRow::of(from, rec)?;
    Ok(sqlx::query_scalar(
        "INSERT INTO changes (source_id, jurisdiction, detected_at, kind, item_key, title, link, excerpt, diff,
             body, categories, hs_codes, evidence, effective_date, author, snapshot_id,
             deadline, excluded_hs_codes, chapters, member, origins, tags, search_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
         RETURNING id",
    )
    .bind(r.source_id)
    .bind(r.jurisdiction)
    .bind(r.detected_at)
    .bind(r.kind)
    .bind(r.item_key)
    .bind(r.title)
    .bind(r.link)
    .bind(r.excerpt)
    .bind(r.diff)
    .bind(r.body)
    .bind(r.categories)
    .bind(r.hs_codes)
    .bind(r.evidence)
    .bind(r.effective_date)
    .bind(r.author)
    .bind(r.snapshot_id)
    .bind(r.deadline)
    .bind(r.excluded_hs_codes)
    .bind(r.chapters)
    .bind(r.member)
    .bind(r.origins)
    .bind(r.tags)
    .bind(r.search_text)
    .fetch_one(&mut **tx)
    .await?)
}

/// The digits a change is found by: its HS codes', and its chapters' as
/// 2-digit codes (a check for 8524.11 finds "Fasıl 85").
pub(super) fn hs_digits(tags: &Tags) -> Vec<String> {
    tags.hs_codes
        .iter()
        .chain(&tags.chapters)
        .map(|hs| hs.chars().filter(|c| c.is_ascii_digit()).collect())
        .collect()
}

/// The change's categories and HS digits, as searched by [`ChangeFilter`]:
/// a statement for each table, whatever the number of codes.
async fn index(tx: &mut Tx<'_>, backend: Backend, id: i64, tags: &Tags) -> anyhow::Result<()> {
    let digits = hs_digits(tags);
    let elements = match backend {
        Backend::Sqlite => "json_each($2)",
        Backend::Postgres => "json_array_elements_text($2::json) AS value",
    };
    for (table, column, values) in [
        ("change_categories", "category", &tags.categories),
        ("change_hs", "digits", &digits),
    ] {
        if values.is_empty() {
            continue;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} (change_id, {column}) SELECT CAST($1 AS BIGINT), value FROM {elements} WHERE true ON CONFLICT DO NOTHING"
        )))
        .bind(id)
        .bind(serde_json::to_string(values)?)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// An outbox row for each channel the change is routed to now. A story is
/// alerted once per channel: the first of its changes to reach the channel
/// is the alert (and lists the others when sent).
async fn queue_alerts(
    tx: &mut Tx<'_>,
    id: i64,
    story: i64,
    rec: &ChangeRecord,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let payload = serde_json::json!({});
    for ch in &rec.deliver_to {
        if story != id && stories::alerted(tx, story, ch).await? {
            tracing::info!(change = id, story, channel = %ch, "change joins a story already alerted on the channel: no second alert");
            continue;
        }
        let key = format!("change:{id}:{ch}");
        outbox::enqueue(tx, ch, "change", Some(id), &payload, &key, at).await?;
    }
    Ok(())
}
