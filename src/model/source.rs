//! What a source is and what it said: its kind, its items, its content.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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
    /// The date the source gives the item (a feed entry's published or
    /// updated date): the anchor of the dates its text counts from
    /// publication. Not part of what the item says: neither stored in the
    /// snapshot nor hashed, so a feed that only re-dates an entry has not
    /// changed.
    #[serde(skip)]
    pub published: Option<NaiveDate>,
}

/// What a source said at one poll, after extraction and normalization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Content {
    Items { items: Vec<Item> },
    Text { text: String },
}
