//! Domain types shared by every stage: parse, don't validate.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use regwatch_classify::Evidence;

/// A source id: a lowercase slug that never changes, since history hangs on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceId(String);

impl SourceId {
    pub fn parse(s: &str) -> Result<SourceId, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && s.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(SourceId(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a valid source id: use lowercase letters, digits and dashes, e.g. `tr-resmi-gazete`"
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SourceId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SourceId::parse(&s)
    }
}
impl From<SourceId> for String {
    fn from(s: SourceId) -> String {
        s.0
    }
}
impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A jurisdiction: ISO 3166-1 alpha-2 (uppercase), or `EU` / `WTO`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(String);

/// EU member states (2026), for "an EU change covers EU members".
pub const EU_MEMBERS: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

impl Country {
    pub fn parse(s: &str) -> Result<Country, String> {
        let up = s.trim().to_ascii_uppercase();
        let up = match up.as_str() {
            "UK" => "GB".to_string(),
            "EL" => "GR".to_string(),
            _ => up,
        };
        if up == "EU"
            || up == "WTO"
            || (up.len() == 2 && up.bytes().all(|b| b.is_ascii_uppercase()))
        {
            Ok(Country(up))
        } else {
            Err(format!(
                "`{s}` is not a country: use an ISO 3166-1 alpha-2 code (TR, VN, MX, GB, US), EU or WTO"
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether a rule of this jurisdiction applies to goods going to `dest`.
    pub fn covers(&self, dest: &Country) -> bool {
        self == dest || (self.0 == "EU" && EU_MEMBERS.contains(&dest.0.as_str()))
    }
}
impl TryFrom<String> for Country {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Country::parse(&s)
    }
}
impl From<Country> for String {
    fn from(c: Country) -> String {
        c.0
    }
}
impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Feed,
    Page,
    Pdf,
    Json,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Page => "page",
            SourceKind::Pdf => "pdf",
            SourceKind::Json => "json",
        }
    }
}

/// One extracted item of a listing (feed entry, list element, JSON record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Stable key: guid, else canonical link, else hash of normalized title+text.
    pub key: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default)]
    pub text: String,
}

/// What a source said at one poll, after extraction and normalization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Content {
    Items { items: Vec<Item> },
    Text { text: String },
}

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
}

/// Why a change affects a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseMatch {
    pub id: String,
    #[serde(default)]
    pub link: Option<String>,
    pub reason: String,
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
    #[serde(default)]
    pub cases: Vec<CaseMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default)]
    pub url: String,
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

/// An open client shipment or quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub title: String,
    pub country: String,
    #[serde(default)]
    pub hs_codes: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub link: Option<String>,
}

fn default_status() -> String {
    "open".into()
}

/// The health of one source, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub id: String,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub down: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_covers_members_only() {
        let eu = Country::parse("EU").unwrap();
        assert!(eu.covers(&Country::parse("de").unwrap()));
        assert!(!eu.covers(&Country::parse("TR").unwrap()));
        assert!(Country::parse("TR")
            .unwrap()
            .covers(&Country::parse("tr").unwrap()));
        assert_eq!(Country::parse("uk").unwrap().as_str(), "GB");
        assert!(Country::parse("Turkey").is_err());
    }

    #[test]
    fn source_id_is_a_slug() {
        assert!(SourceId::parse("tr-resmi-gazete").is_ok());
        assert!(SourceId::parse("TR gazette").is_err());
        assert!(SourceId::parse("").is_err());
    }
}
