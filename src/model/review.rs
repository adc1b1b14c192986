//! A person's marks on a change: its urgency, its review, its disposition per case.

use serde::{Deserialize, Serialize};

/// How soon a change needs a person's attention (DESIGN.md, "Urgency,
/// deadlines, review"), most urgent first when sorted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    High,
    Medium,
    #[default]
    Low,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Low => "low",
        }
    }
}

/// A person's mark on a change (DESIGN.md: `review`); `state` is `new`
/// until someone marks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub state: String,
    pub by: Option<String>,
    #[serde(default)]
    pub at: Option<String>,
    pub note: Option<String>,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            state: "new".into(),
            by: None,
            at: None,
            note: None,
        }
    }
}

/// The states a review can mark.
pub const REVIEW_STATES: &[&str] = &["new", "reviewed", "dismissed"];

/// A reviewer's mark on one case of a change (DESIGN.md: `disposition`):
/// `open` until someone says it `affects` the case, is `not_affected` or `done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disposition {
    pub state: String,
    pub by: Option<String>,
    #[serde(default)]
    pub at: Option<String>,
    pub note: Option<String>,
}

impl Default for Disposition {
    fn default() -> Self {
        Disposition {
            state: "open".into(),
            by: None,
            at: None,
            note: None,
        }
    }
}

/// The states a disposition can mark (`open` takes a mark back).
pub const DISPOSITION_STATES: &[&str] = &["open", "affects", "not_affected", "done"];
