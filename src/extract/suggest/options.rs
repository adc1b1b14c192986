//! What a suggestion call is given (its limits) and what it answers.

use serde::Serialize;

/// Limits of one [`super::suggest_with`] call.
#[derive(Debug, Clone)]
pub struct SuggestOptions {
    /// Elements scanned, in document order; the rest of a huge page is not
    /// looked at (its items are still counted by the extractor).
    pub max_elements: usize,
    /// Fewest items a candidate has.
    pub min_count: usize,
    /// Candidates returned.
    pub max_candidates: usize,
    /// Seeds (repeated structures) given a selector, best first.
    pub max_groups: usize,
    /// Candidates run through the extractor.
    pub max_verify: usize,
    /// A structure repeated more often than this is not a listing to watch.
    pub max_items: usize,
    /// Deeper documents get no `:has(…)` or descendant selectors, and
    /// items nesting deeper than this are not extracted (the extractor
    /// recurses).
    pub max_depth: usize,
    /// Only this much of the page is parsed: the HTML parser's time grows
    /// with the square of the nesting depth, and every check parses again.
    pub max_bytes: usize,
    /// The page is cut where its tags (as counted before parsing) nest
    /// deeper than this.
    pub max_nesting: usize,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            max_elements: 20_000,
            min_count: 3,
            max_candidates: 5,
            max_groups: 40,
            max_verify: 8,
            max_items: 5_000,
            max_depth: 256,
            max_bytes: 2 << 20,
            max_nesting: 1_000,
        }
    }
}

/// One candidate: the rules a click on it puts in the form, and what they
/// extract from this page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// `item`: selects exactly the repeated elements.
    pub item: String,
    /// `item_title`, when the extractor's default (the first heading or
    /// link) would take another element than the item's main link.
    pub item_title: Option<String>,
    /// `item_link`, when the extractor's default (the first link) would
    /// take another link than the item's main one.
    pub item_link: Option<String>,
    /// Items the project's extractor gives with these rules on this page.
    pub count: usize,
    /// The first three titles, as extracted.
    pub titles: Vec<String>,
    /// Higher is better; only the order means something.
    pub score: f64,
}

/// What [`super::suggest`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Suggestions {
    /// Best first.
    pub candidates: Vec<Candidate>,
    /// `content`, when one main container is obvious (`main`, or the
    /// container with an id that holds the best candidate's items).
    pub content: Option<String>,
    /// Elements scanned.
    pub scanned: usize,
    /// Whether the page had more elements than were scanned.
    pub truncated: bool,
}
