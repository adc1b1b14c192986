//! What every channel shows: the digest view (grouped by jurisdiction, then
//! category, the most urgent first), diff excerpts with added lines first,
//! subjects. How each channel lays it out is in its own file.

use crate::model::Change;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The longest mail subject we write; longer ones are cut with `…`.
pub const MAX_SUBJECT_CHARS: usize = 180;

/// Titles are cut here in messages (the change page shows them whole).
pub const MAX_TITLE_CHARS: usize = 300;

/// One change as the templates see it (every string is untrusted text,
/// escaped by the template engine for HTML and by the Slack renderer).
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub id: i64,
    pub title: String,
    pub link: Option<String>,
    pub url: String,
    pub source: String,
    pub jurisdiction: String,
    pub kind: String,
    pub detected_at: String,
    pub categories: Vec<String>,
    pub hs_codes: Vec<String>,
    pub effective_date: Option<String>,
    /// Diff lines, added first (`+ …`), then removed (`- …`); or the excerpt.
    pub excerpt: String,
    pub excerpt_cut: bool,
    /// The excerpt line by line (for the text template's indentation).
    pub excerpt_lines: Vec<String>,
    pub cases: Vec<CaseView>,
    /// `high`, `medium` or `low`, and why (bad news first).
    pub urgency: &'static str,
    pub urgency_reasons: Vec<String>,
    pub deadline: Option<String>,
    /// The other sources that reported the same act (its story), oldest first.
    pub also: Vec<AlsoView>,
    /// The English gist of a notice not in English, shown beside its title.
    pub gist: Option<GistView>,
    /// `new`, `reviewed` (marked in digests) or `dismissed`, and by whom.
    pub review: String,
    pub review_by: Option<String>,
}

/// A source down, as a digest's first section shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DownView {
    pub id: String,
    pub name: String,
    /// Down since, in the channel's timezone (None: never polled successfully).
    pub since: Option<String>,
    pub error: String,
    /// Its page in regwatch.
    pub url: String,
}

/// A client hit by a digest's changes.
#[derive(Debug, Clone, Serialize)]
pub struct ClientLine {
    pub name: String,
    pub changes: usize,
    pub high: usize,
    pub cases: Vec<String>,
    pub url: String,
}

/// A gist as messages show it: its label (what it is, and that it is not a
/// translation) and its one line.
#[derive(Debug, Clone, Serialize)]
pub struct GistView {
    pub label: String,
    pub text: String,
}

/// Gists are cut here in messages (the change page shows them whole).
pub const MAX_GIST_CHARS: usize = 600;

/// Another source's report of the same act.
#[derive(Debug, Clone, Serialize)]
pub struct AlsoView {
    pub id: i64,
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub id: String,
    /// The case's client (empty when none).
    pub client: String,
    pub link: Option<String>,
    pub strength: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryGroup {
    pub category: String,
    pub changes: Vec<ChangeView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JurisdictionGroup {
    pub jurisdiction: String,
    pub count: usize,
    pub categories: Vec<CategoryGroup>,
}

/// The context of both digest templates.
#[derive(Debug, Clone, Serialize)]
pub struct DigestView {
    pub channel: String,
    pub subject: String,
    /// True for a one-change message of an immediate channel.
    pub immediate: bool,
    pub period_start: String,
    pub period_end: String,
    pub total: usize,
    /// How many are high urgency (shown first).
    pub high: usize,
    pub counts: String,
    pub groups: Vec<JurisdictionGroup>,
    pub base_url: String,
    pub log_url: String,
    /// Sources down as the digest is sent: the first section.
    pub failing: Vec<DownView>,
    /// Per client, what hits its open cases.
    pub clients: Vec<ClientLine>,
    /// The timezone the message's times are in.
    pub timezone: String,
    /// How many changes a person already reviewed (marked as such).
    pub reviewed: usize,
}

pub use crate::services::evidence::{diff_excerpt, one_line};
pub use crate::util::{cut, safe_link};

pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `t` in the IANA timezone `tz` (`2026-12-02 10:15 Europe/Istanbul`); UTC
/// (and a name that is not a timezone) as [`fmt_time`].
pub fn fmt_time_in(t: DateTime<Utc>, tz: &str) -> String {
    match tz.parse::<chrono_tz::Tz>() {
        Ok(z) if z != chrono_tz::UTC && z != chrono_tz::Etc::UTC => format!(
            "{} {}",
            t.with_timezone(&z).format("%Y-%m-%d %H:%M"),
            z.name()
        ),
        _ => fmt_time(t),
    }
}

pub fn change_view(c: &Change, excerpt_chars: usize) -> ChangeView {
    let (excerpt, excerpt_cut) = diff_excerpt(c, excerpt_chars);
    ChangeView {
        id: c.id,
        title: cut(&one_line(&c.title), MAX_TITLE_CHARS).0,
        link: safe_link(c.link.as_deref()),
        url: c.url.clone(),
        source: c.source.clone(),
        jurisdiction: c.jurisdiction.clone(),
        kind: c.kind.as_str().to_string(),
        detected_at: fmt_time(c.detected_at),
        categories: c.categories.clone(),
        hs_codes: c.hs_codes.clone(),
        effective_date: c.effective_date.map(|d| d.format("%Y-%m-%d").to_string()),
        urgency: c.urgency.as_str(),
        urgency_reasons: c.urgency_reasons.clone(),
        deadline: c.deadline.map(|d| d.format("%Y-%m-%d").to_string()),
        also: c
            .also_reported_by
            .iter()
            .map(|m| AlsoView {
                id: m.id,
                source: m.source_id.clone(),
                title: cut(&one_line(&m.title), 200).0,
                link: safe_link(m.link.as_deref()),
                url: m.url.clone(),
            })
            .collect(),
        gist: c.gist.as_ref().map(|g| GistView {
            label: crate::gist::label(g),
            text: cut(&one_line(&g.text), MAX_GIST_CHARS).0,
        }),
        review: c.review.state.clone(),
        review_by: c.review.by.clone(),
        excerpt_lines: excerpt.lines().map(str::to_string).collect(),
        excerpt,
        excerpt_cut,
        cases: c
            .cases
            .iter()
            .map(|m| CaseView {
                id: m.id.clone(),
                client: m.client.clone(),
                link: safe_link(m.link.as_deref()),
                strength: m.strength.as_str(),
                reason: m.reason.clone(),
            })
            .collect(),
    }
}

/// `TR 4, VN 3`, biggest first.
pub fn counts_by_jurisdiction(changes: &[Change]) -> Vec<(String, usize)> {
    let mut m: Vec<(String, usize)> = vec![];
    for c in changes {
        match m.iter_mut().find(|(j, _)| *j == c.jurisdiction) {
            Some(e) => e.1 += 1,
            None => m.push((c.jurisdiction.clone(), 1)),
        }
    }
    m.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    m
}

/// Jurisdictions in the order a digest shows them: the one with the most
/// urgent change first (bad news first), then the biggest, then by name.
pub fn jurisdiction_order(changes: &[Change]) -> Vec<(String, usize)> {
    let mut m = counts_by_jurisdiction(changes);
    let best = |j: &str| {
        changes
            .iter()
            .filter(|c| c.jurisdiction == j)
            .map(|c| c.urgency)
            .min()
            .unwrap_or_default()
    };
    m.sort_by(|a, b| {
        best(&a.0)
            .cmp(&best(&b.0))
            .then_with(|| b.1.cmp(&a.1))
            .then_with(|| a.0.cmp(&b.0))
    });
    m
}

/// A jurisdiction's changes in digest order: most urgent first, then oldest.
pub fn in_digest_order<'a>(changes: &'a [Change], j: &str) -> Vec<&'a Change> {
    let mut mine: Vec<&Change> = changes.iter().filter(|c| c.jurisdiction == j).collect();
    mine.sort_by_key(|c| (c.urgency, c.detected_at, c.id));
    mine
}

/// How many changes are high urgency.
pub fn high_count(changes: &[Change]) -> usize {
    changes
        .iter()
        .filter(|c| c.urgency == crate::model::Urgency::High)
        .count()
}

pub fn digest_subject(changes: &[Change]) -> String {
    let n = changes.len();
    let counts = counts_by_jurisdiction(changes)
        .iter()
        .map(|(j, k)| format!("{} {k}", one_line(j)))
        .collect::<Vec<_>>()
        .join(", ");
    let s = match n {
        0 => "regwatch: no changes".to_string(),
        1 => format!("regwatch: 1 change — {counts}"),
        _ => format!("regwatch: {n} changes — {counts}"),
    };
    cut(&s, MAX_SUBJECT_CHARS).0
}

pub fn immediate_subject(c: &Change) -> String {
    let cats = if c.categories.is_empty() {
        String::new()
    } else {
        format!(" {}", c.categories.join(", "))
    };
    let s = format!(
        "regwatch: {}{cats} — {}",
        one_line(&c.jurisdiction),
        one_line(&c.title)
    );
    cut(&s, MAX_SUBJECT_CHARS).0
}

/// Group changes by jurisdiction (the most urgent, then the biggest first),
/// then by first category (the most urgent first, `other` last when
/// equally urgent); most urgent then oldest change first inside a group.
pub fn digest_view(
    channel: &str,
    base_url: &str,
    changes: &[Change],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    immediate: bool,
) -> DigestView {
    let mut groups: Vec<JurisdictionGroup> = vec![];
    for (j, n) in jurisdiction_order(changes) {
        let mut cats: Vec<CategoryGroup> = vec![];
        for c in in_digest_order(changes, &j) {
            let cat = c
                .categories
                .first()
                .cloned()
                .unwrap_or_else(|| "other".into());
            let v = change_view(c, 1200);
            match cats.iter_mut().find(|g| g.category == cat) {
                Some(g) => g.changes.push(v),
                None => cats.push(CategoryGroup {
                    category: cat,
                    changes: vec![v],
                }),
            }
        }
        let rank = |g: &CategoryGroup| {
            g.changes
                .iter()
                .map(|c| match c.urgency {
                    "high" => 0,
                    "medium" => 1,
                    _ => 2,
                })
                .min()
                .unwrap_or(2)
        };
        cats.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| (a.category == "other").cmp(&(b.category == "other")))
                .then_with(|| a.category.cmp(&b.category))
        });
        groups.push(JurisdictionGroup {
            jurisdiction: j,
            count: n,
            categories: cats,
        });
    }
    let counts = counts_by_jurisdiction(changes)
        .iter()
        .map(|(j, k)| format!("{j} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let base = base_url.trim_end_matches('/').to_string();
    DigestView {
        channel: channel.to_string(),
        subject: if immediate && changes.len() == 1 {
            immediate_subject(&changes[0])
        } else {
            digest_subject(changes)
        },
        immediate,
        period_start: fmt_time(start),
        period_end: fmt_time(end),
        total: changes.len(),
        high: high_count(changes),
        counts,
        groups,
        log_url: format!("{base}/?since={}", start.format("%Y-%m-%d")),
        base_url: base,
        failing: vec![],
        clients: vec![],
        timezone: "UTC".into(),
        reviewed: changes
            .iter()
            .filter(|c| c.review.state == "reviewed")
            .count(),
    }
}

/// A digest's view as its channel sends it: the changes grouped as in
/// [`digest_view`], the sources down first, the clients hit, and every
/// time in the channel's timezone.
pub fn digest_view_of(channel: &str, base_url: &str, d: &super::channel::Digest) -> DigestView {
    let mut v = digest_view(
        channel,
        base_url,
        &d.changes,
        d.period_start,
        d.period_end,
        false,
    );
    let tz = if d.timezone.is_empty() {
        "UTC"
    } else {
        d.timezone.as_str()
    };
    v.timezone = tz.to_string();
    v.period_start = fmt_time_in(d.period_start, tz);
    v.period_end = fmt_time_in(d.period_end, tz);
    for g in &mut v.groups {
        for cat in &mut g.categories {
            for cv in &mut cat.changes {
                if let Some(c) = d.changes.iter().find(|c| c.id == cv.id) {
                    cv.detected_at = fmt_time_in(c.detected_at, tz);
                }
            }
        }
    }
    if !d.failing.is_empty() {
        let n = d.failing.len();
        v.subject = cut(
            &format!(
                "{} · {n} source{} down",
                v.subject,
                if n == 1 { "" } else { "s" }
            ),
            MAX_SUBJECT_CHARS,
        )
        .0;
    }
    let base = v.base_url.clone();
    v.failing = d
        .failing
        .iter()
        .map(|s| DownView {
            url: format!("{base}/sources/{}", s.id),
            id: s.id.clone(),
            name: one_line(&s.name),
            since: s.since.map(|t| fmt_time_in(t, tz)),
            error: one_line(&s.error),
        })
        .collect();
    v.clients = d
        .clients
        .iter()
        .map(|k| ClientLine {
            url: format!(
                "{base}/clients/{}",
                url::form_urlencoded::byte_serialize(k.name.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20")
            ),
            name: one_line(&k.name),
            changes: k.changes.len(),
            high: k.high,
            cases: k.cases.clone(),
        })
        .collect();
    v
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{CaseMatch, ChangeKind};

    pub(crate) fn change(id: i64, j: &str, cat: &str, title: &str) -> Change {
        Change {
            id,
            source: "tr-gazette".into(),
            jurisdiction: j.into(),
            detected_at: "2026-11-25T06:00:00Z".parse().unwrap(),
            kind: ChangeKind::Added,
            title: title.into(),
            link: Some("https://example.gov/a?x=1&y=2".into()),
            excerpt: "excerpt".into(),
            diff: "--- a\n+++ b\n@@ -1 +1 @@\n-old line\n+new line\n".into(),
            categories: if cat.is_empty() {
                vec![]
            } else {
                vec![cat.into()]
            },
            hs_codes: vec!["8517.62".into()],
            evidence: vec![],
            effective_date: None,
            deadline: None,
            excluded_hs_codes: vec![],
            chapters: vec![],
            member: None,
            urgency: Default::default(),
            review: Default::default(),
            urgency_reasons: vec![],
            story_id: 0,
            also_reported_by: vec![],
            gist: None,
            corrections: vec![],
            lead_days: None,
            origins: vec![],
            exempt_origins: vec![],
            hs_ranges: vec![],
            measures: vec![],
            dates: vec![],
            cases: vec![CaseMatch {
                id: "CASE-7".into(),
                link: Some("https://cases/7".into()),
                strength: crate::model::Strength::Direct,
                reason: "HS 8517.62 ⊂ 8517; destination TR".into(),
                ..Default::default()
            }],
            author: None,
            url: format!("http://rw/changes/{id}"),
        }
    }

    /// A Turkish change whose gist carries markup of every channel: HTML,
    /// Slack mrkdwn and mentions, Markdown links, and a line break with a
    /// mail header after it.
    pub(crate) fn gist_change() -> Change {
        let mut c = change(11, "TR", "telecom", "Yönetmelik <b>2026/1</b>");
        c.gist = Some(crate::model::Gist {
            lang: "tr".into(),
            country: Some("Türkiye".into()),
            issuer: Some("<!channel> Kurumu".into()),
            act_type: Some("Regulation".into()),
            action: None,
            products: vec![],
            dates: vec![],
            text: "Türkiye · <!channel> <script>alert(1)</script> · **[click](javascript:alert(1))** · _x_ & y\r\nBcc: evil@example.com".into(),
        });
        c
    }

    #[test]
    fn a_gist_is_one_labelled_line_in_every_view() {
        let v = change_view(&gist_change(), 100);
        let g = v.gist.unwrap();
        assert_eq!(
            g.label,
            "English gist of the Turkish original (not a translation)"
        );
        assert!(
            !g.text.contains('\r') && !g.text.contains('\n'),
            "{}",
            g.text
        );
        assert!(g.text.ends_with("& y Bcc: evil@example.com"), "{}", g.text);
        // not in the subject: a gist never reaches a mail header
        let s = immediate_subject(&gist_change());
        assert!(!s.contains("Bcc") && !s.contains("gist"), "{s}");
        assert!(change_view(&change(1, "TR", "", "t"), 100).gist.is_none());
    }

    #[test]
    fn excerpt_puts_added_lines_first() {
        let c = change(1, "TR", "telecom", "t");
        assert_eq!(diff_excerpt(&c, 100).0, "+ new line\n- old line");
    }

    #[test]
    fn subject_counts_and_cuts() {
        let cs = vec![
            change(1, "TR", "", "a"),
            change(2, "VN", "", "b"),
            change(3, "TR", "", "c"),
        ];
        assert_eq!(digest_subject(&cs), "regwatch: 3 changes — TR 2, VN 1");
        let long = change(
            4,
            "TR",
            "telecom",
            &format!("x\r\nBcc: evil@example.com {}", "y".repeat(2000)),
        );
        let s = immediate_subject(&long);
        assert!(!s.contains('\r') && !s.contains('\n'));
        assert!(s.chars().count() <= MAX_SUBJECT_CHARS);
    }

    /// Three changes, oldest first: a low one in VN, a low one in TR, and a
    /// high one in TR (effective in 5 days, a direct match on an open case).
    pub(crate) fn mixed_urgency() -> Vec<Change> {
        use crate::model::Urgency;
        let mut low_vn = change(1, "VN", "pharma", "VN quiet notice");
        low_vn.cases.clear();
        let mut low_tr = change(2, "TR", "electronics", "TR routine notice");
        low_tr.cases.clear();
        let mut high_tr = change(3, "TR", "telecom", "TR radio rule in force soon");
        high_tr.detected_at = "2026-11-25T09:00:00Z".parse().unwrap();
        high_tr.urgency = Urgency::High;
        high_tr.urgency_reasons = vec![
            "effective in 5 days".into(),
            "direct match on open case CASE-7".into(),
        ];
        // Two VN changes make VN the bigger jurisdiction: only urgency puts TR first.
        let mut low_vn2 = change(4, "VN", "pharma", "VN second notice");
        low_vn2.cases.clear();
        vec![low_vn, low_tr, high_tr, low_vn2]
    }

    #[test]
    fn only_web_links_are_links() {
        assert_eq!(safe_link(Some("javascript:alert(1)")), None);
        assert!(safe_link(Some("https://x.example/a")).is_some());
    }

    /// A change whose story two other sources reported.
    pub(crate) fn story_change() -> Change {
        let mut c = change(7, "TR", "telecom", "Yönetmelik 2024/12");
        c.story_id = 7;
        c.also_reported_by = vec![
            crate::model::StoryMember {
                id: 8,
                source_id: "tr-ministry".into(),
                title: "2024/12 sayılı <b>Yönetmelik</b>".into(),
                link: Some("javascript:alert(1)".into()),
                detected_at: c.detected_at,
                url: "http://rw.example/changes/8".into(),
            },
            crate::model::StoryMember {
                id: 9,
                source_id: "wto-eping".into(),
                title: "G/TBT/N/TUR/123 Regulation 2024/12".into(),
                link: Some("https://eping.example/123".into()),
                detected_at: c.detected_at,
                url: "http://rw.example/changes/9".into(),
            },
        ];
        c
    }
}
