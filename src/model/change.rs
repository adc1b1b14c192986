//! A change: as the diff stage produces it, as it is recorded, and its tags.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{CaseMatch, Evidence, Gist, Review, Urgency};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
    Text,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Removed => "removed",
            ChangeKind::Text => "text",
        }
    }
    pub fn parse(s: &str) -> Option<ChangeKind> {
        Some(match s {
            "added" => ChangeKind::Added,
            "modified" => ChangeKind::Modified,
            "removed" => ChangeKind::Removed,
            "text" => ChangeKind::Text,
            _ => return None,
        })
    }
}

/// A change as the diff stage produces it, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    pub kind: ChangeKind,
    pub item_key: Option<String>,
    pub title: String,
    pub link: Option<String>,
    pub excerpt: String,
    pub diff: String,
    /// The text the tagger reads (title excluded).
    pub text: String,
    /// The date the source gives the item, or a field report's date: the
    /// tagger counts "in force on publication" and "30 days after
    /// publication" from it when the text states no date of its own.
    pub published: Option<NaiveDate>,
}

/// A recorded change, in the JSON shape DESIGN.md fixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: i64,
    pub source: String,
    pub jurisdiction: String,
    #[serde(with = "seconds")]
    pub detected_at: DateTime<Utc>,
    pub kind: ChangeKind,
    pub title: String,
    pub link: Option<String>,
    pub excerpt: String,
    pub diff: String,
    pub categories: Vec<String>,
    pub hs_codes: Vec<String>,
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub effective_date: Option<NaiveDate>,
    /// A comment or transition deadline the text states.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// Codes the text names as excluded ("8517.62 hariç"): they never match.
    #[serde(default)]
    pub excluded_hs_codes: Vec<String>,
    /// Chapters the text names ("Fasıl 85", "chapters 84 to 85").
    #[serde(default)]
    pub chapters: Vec<String>,
    /// For a WTO notification: the notifying member, whose cases it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The origins an origin-specific measure names ("originating in China").
    #[serde(default)]
    pub origins: Vec<String>,
    /// Origins the measure exempts ("excepto las originarias de Canadá"):
    /// it covers every other origin and never these.
    #[serde(default)]
    pub exempt_origins: Vec<String>,
    /// Ranges of codes by their two ends (`["8528.42", "8528.59"]`): the
    /// codes inside match, not only the ends.
    #[serde(default)]
    pub hs_ranges: Vec<(String, String)>,
    /// What kind of measure it is (`tariff`, `trade_defence`, `goods_rule`,
    /// `ukca`), for territory.
    #[serde(default)]
    pub measures: Vec<String>,
    /// Every date of the text: `{kind, date, evidence}`, the kind one of
    /// `applies`, `in_force`, `comment_deadline`, `transition_end`, the
    /// evidence the sentence it came from.
    #[serde(default)]
    pub dates: Vec<regwatch_classify::DateFact>,
    /// Computed when the change is read (from its dates, its case matches
    /// and today), never stored: see `services::urgency`.
    #[serde(default)]
    pub urgency: Urgency,
    #[serde(default)]
    pub urgency_reasons: Vec<String>,
    #[serde(default)]
    pub cases: Vec<CaseMatch>,
    /// The latest review mark (attached when the change is read).
    #[serde(default)]
    pub review: Review,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default)]
    pub url: String,
    /// The story: the id of the first change that reported the same act
    /// (its own id when it stands alone). See `crate::story`.
    #[serde(default)]
    pub story_id: i64,
    /// The other changes of its story, oldest first (attached when read).
    #[serde(default)]
    pub also_reported_by: Vec<StoryMember>,
    /// An offline English gist of a notice not in English (see
    /// `docs/gist.md`); absent for English and for changes recorded before
    /// gists were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gist: Option<Gist>,
    /// A reviewer's corrections of its tags, oldest first (attached when
    /// read); the change shows the values of the latest.
    #[serde(default)]
    pub corrections: Vec<Correction>,
    /// Practice before publication: the days between a field report of its
    /// story and the first official change that reported the same act
    /// (attached when read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_days: Option<i64>,
}

/// The tags a reviewer may correct, as they were before or after a correction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorrectedTags {
    pub categories: Vec<String>,
    pub hs_codes: Vec<String>,
    pub effective_date: Option<NaiveDate>,
}

/// A reviewer's correction of a change's tags: who, when, why, before, after.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub by: String,
    pub at: String,
    pub reason: String,
    pub before: CorrectedTags,
    pub after: CorrectedTags,
}

/// Another source's change that reports the same act.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoryMember {
    pub id: i64,
    pub source_id: String,
    pub title: String,
    pub link: Option<String>,
    #[serde(with = "seconds")]
    pub detected_at: DateTime<Utc>,
    /// The change's page.
    #[serde(default)]
    pub url: String,
}

impl Change {
    /// The change's tags, as matching reads them.
    pub fn tags(&self) -> Tags {
        Tags {
            categories: self.categories.clone(),
            hs_codes: self.hs_codes.clone(),
            evidence: vec![],
            effective_date: self.effective_date,
            deadline: self.deadline,
            excluded_hs_codes: self.excluded_hs_codes.clone(),
            chapters: self.chapters.clone(),
            member: self.member.clone(),
            origins: self.origins.clone(),
            exempt_origins: self.exempt_origins.clone(),
            hs_ranges: self.hs_ranges.clone(),
            measures: self.measures.clone(),
            dates: self.dates.clone(),
        }
    }
}

/// Timestamps in JSON as `2026-11-25T00:15:04Z`.
mod seconds {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// Tags of a change, from the classifier. Stored whole with the change (as
/// JSON, `changes.tags`); a field missing from a stored set is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tags {
    pub categories: Vec<String>,
    pub hs_codes: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub effective_date: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub excluded_hs_codes: Vec<String>,
    pub chapters: Vec<String>,
    /// A WTO notification's member (ISO alpha-2, or EU).
    pub member: Option<String>,
    /// Origins an origin-specific measure names (ISO alpha-2).
    pub origins: Vec<String>,
    /// Origins the measure exempts ("excepto las originarias de Canadá"):
    /// it covers every other origin and never these.
    pub exempt_origins: Vec<String>,
    /// Ranges of codes by their two ends ("8528.42" to "8528.59"): the codes
    /// inside match, not only the ends.
    pub hs_ranges: Vec<(String, String)>,
    /// What kind of measure the change is (`tariff`, `trade_defence`,
    /// `goods_rule`, `ukca`), for territory ([`Country::reach`]).
    pub measures: Vec<String>,
    /// Every date of the text with its kind and sentence (`applies`,
    /// `in_force`, `comment_deadline`, `transition_end`).
    pub dates: Vec<regwatch_classify::DateFact>,
}

/// A change ready to be recorded: diffed, tagged, matched and routed.
#[derive(Debug, Clone)]
pub struct ChangeRecord {
    pub change: NewChange,
    pub tags: Tags,
    pub cases: Vec<CaseMatch>,
    /// Channels that want this change delivered immediately.
    pub deliver_to: Vec<String>,
    /// The English gist of a notice not in English (`crate::gist`).
    pub gist: Option<Gist>,
}
