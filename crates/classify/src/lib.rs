//! regwatch's tagger: product categories, HS codes and effective dates, each
//! tag with the evidence that triggered it.
//!
//! The categories are data (`config/taxonomy.toml`, documented in
//! `docs/taxonomy.md`); this crate only knows how to read them, extract HS
//! codes from bulletin text, match phrases in every language in one pass, and
//! find when a rule takes effect.

mod correlation;
mod dates;
mod gist;
mod hs;
pub mod nomenclature;
mod norm;
mod origin;
mod taxonomy;
mod wto;

pub use correlation::{hs_correlated, hs_equivalents, HsVersion, Relation};
pub use dates::effective_date;
pub use gist::{gist, Gist};
pub use hs::{extract_hs_codes, hs_digits, hs_overlap, normalize_hs};
pub use norm::{contains_keyword, fold_public as fold};
pub use origin::origins;
pub use taxonomy::{Taxonomy, TaxonomyError};
pub use wto::wto_member;

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
    /// The notice's publication date, when known: relative dates ("30 days
    /// after its publication", "yayımı tarihinde", "al día siguiente de su
    /// publicación") are counted from it.
    pub published: Option<chrono::NaiveDate>,
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
    /// A comment or transition deadline the text states ("comments must be
    /// received by", "görüşlerinizi ... tarihine kadar", "góp ý trước ngày",
    /// "dentro de los 60 días naturales").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<chrono::NaiveDate>,
    /// The sentence each date came from, so a page can show it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub date_evidence: Vec<DateEvidence>,
    /// HS codes the text excludes ("except 8517.62", "8517.62 alt pozisyonu
    /// hariç", "excepto la fracción 8517.62.01"), normalized like `hs_codes`.
    /// They are not in `hs_codes` and give no category.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_hs_codes: Vec<String>,
    /// Chapters the text names, alone or in a range ("Chapter 85",
    /// "chapters 84 to 85", "84-85. fasıllar"), two digits each ("84", "85"),
    /// every chapter of a range included ("chapters 84 to 87": 84, 85, 86,
    /// 87). The chapters written out are also in `hs_codes` ("84", "87").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chapters: Vec<String>,
    /// For a WTO notification (`G/TBT/N/TUR/123`), the notifying member as
    /// ISO 3166-1 alpha-2 ("TR"; "EU" for the European Union).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wto_member: Option<String>,
}

/// Where a date came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateEvidence {
    /// "effective" or "deadline".
    pub field: String,
    pub date: chrono::NaiveDate,
    /// The sentence of the text that states it, as written.
    pub sentence: String,
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
