//! regwatch's tagger: product categories, HS codes and effective dates, each
//! tag with the evidence that triggered it.
//!
//! The categories are data (`config/taxonomy.toml`, documented in
//! `docs/taxonomy.md`); this crate only knows how to read them, extract HS
//! codes from bulletin text, match phrases in every language in one pass, and
//! find when a rule takes effect.

mod dates;
mod hs;
mod norm;
mod taxonomy;

pub use dates::effective_date;
pub use hs::{extract_hs_codes, hs_digits, hs_equivalents, hs_overlap, normalize_hs};
pub use taxonomy::{Taxonomy, TaxonomyError};

/// A text to classify.
#[derive(Debug, Clone, Copy, Default)]
pub struct Input<'a> {
    pub title: &'a str,
    pub text: &'a str,
    /// ISO 639-1 code of the text's language, when known ("tr", "vi", "es", "en").
    pub lang: Option<&'a str>,
    /// Categories the source is known to cover; each becomes a tag with
    /// evidence via "source". Names not in the taxonomy are ignored.
    pub hints: &'a [String],
}

/// The tags of one text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Classification {
    /// Category names, in taxonomy order.
    pub categories: Vec<String>,
    /// HS codes as named in the text, normalized to digits and dots, in order
    /// of appearance. Includes codes that imply no category (US chapter 99,
    /// food, ...).
    pub hs_codes: Vec<String>,
    /// Why each category was tagged.
    pub evidence: Vec<Evidence>,
    /// When the text says the rule takes effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<chrono::NaiveDate>,
}

/// One reason for a tag.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    pub category: String,
    /// "hs", "phrase" or "source".
    pub via: String,
    /// The HS code, the phrase as written in the text, or the category hint.
    #[serde(rename = "match")]
    pub matched: String,
}
