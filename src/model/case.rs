//! A client case and why a change affects it.

use serde::{Deserialize, Serialize};

use super::{Disposition, HsCode};

/// How strongly a change affects a case, strongest first (DESIGN.md, "Match strength").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// The same code, an ancestor or descendant, or its HS 2017/2022 equivalent.
    Direct,
    /// The change names the case's chapter, or a range that contains it.
    Chapter,
    /// A case keyword appears.
    #[default]
    Keyword,
    /// Only the heading is shared, by sibling subheadings.
    Related,
    /// No HS code on one side; the same category.
    Category,
}

impl Strength {
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Direct => "direct",
            Strength::Chapter => "chapter",
            Strength::Keyword => "keyword",
            Strength::Related => "related",
            Strength::Category => "category",
        }
    }
    pub fn parse(s: &str) -> Option<Strength> {
        Some(match s {
            "direct" => Strength::Direct,
            "chapter" => Strength::Chapter,
            "keyword" => Strength::Keyword,
            "related" => Strength::Related,
            "category" => Strength::Category,
            _ => return None,
        })
    }
    /// Whether this is `min` or stronger.
    pub fn at_least(self, min: Strength) -> bool {
        self <= min
    }
}

/// Why a change affects a case.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CaseMatch {
    pub id: String,
    /// The case's client (empty when the case is unknown or has none).
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub strength: Strength,
    pub reason: String,
    /// A reviewer's latest word on this change for this case.
    #[serde(default)]
    pub disposition: Disposition,
}

/// The fields of a case, in the order of a cases CSV (`origin` is
/// optional there): the import's header, the CLI's CSV and the store's
/// columns all follow it.
pub const CASE_COLUMNS: [&str; 10] = [
    "id",
    "client",
    "title",
    "country",
    "hs_codes",
    "categories",
    "keywords",
    "status",
    "link",
    "origin",
];

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
    pub hs_codes: Vec<HsCode>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub link: Option<String>,
    /// Country of origin (ISO alpha-2), when known: origin-specific
    /// measures (trade remedies, Section 301) match only cases of their origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

fn default_status() -> String {
    "open".into()
}
