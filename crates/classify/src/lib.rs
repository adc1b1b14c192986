//! regwatch's tagger: product categories, HS codes and effective dates, each
//! tag with the evidence that triggered it.
//!
//! The categories are data (`config/taxonomy.toml`, documented in
//! `docs/taxonomy.md`); this crate only knows how to read them, extract HS
//! codes from bulletin text, match phrases in every language in one pass, and
//! find when a rule takes effect.

mod cite;
mod clause;
mod correlation;
mod dates;
mod gist;
mod hs;
pub mod nomenclature;
mod norm;
mod origin;
pub mod re;
mod taxonomy;
mod wto;

pub use clause::ClauseRole;
pub use correlation::{hs_correlated, hs_equivalents, HsVersion, Relation};
pub use dates::{add_business_days, mexican_holiday};
pub use gist::{gist, Gist};
pub use hs::{format_digits, hs_digits, hs_in_range, hs_overlap, normalize_hs, shared_heading};
pub use norm::{contains_keyword, fold_public as fold, keyword_key, KeywordText};
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
    /// The notice's publication date, when known (a feed item's published
    /// date): relative dates ("30 days after its publication", "yayımı
    /// tarihinde", "al día siguiente de su publicación") are counted from it
    /// when the text states no publication or gazette date of its own.
    /// Without either, relative dates give nothing: no date is ever counted
    /// from today.
    pub published: Option<chrono::NaiveDate>,
}

/// The tags of one text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Classification {
    /// Category names, in taxonomy order.
    pub categories: Vec<String>,
    /// HS codes as named in the text, normalized to digits and dots, in order
    /// of appearance. Includes codes that imply no category (US chapter 99,
    /// food, ...) and the two ends of every range.
    pub hs_codes: Vec<String>,
    /// Why each category was tagged, then the terms found in clauses that do
    /// not count (an exclusion, a citation of another act, background): those
    /// carry their clause's `role` and tag nothing.
    pub evidence: Vec<Evidence>,
    /// The date the rule applies to goods: the `applies` date of `dates`,
    /// else its `in_force` date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<chrono::NaiveDate>,
    /// A comment or transition deadline the text states ("comments must be
    /// received by", "görüşlerinizi ... tarihine kadar", "góp ý trước ngày",
    /// "dentro de los 60 días naturales"): the `comment_deadline` of `dates`,
    /// else its `transition_end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<chrono::NaiveDate>,
    /// Every date the text states or that is counted from its publication
    /// or signature date, each with its kind and the sentence it came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DateFact>,
    /// HS codes the text excludes ("except 8517.62", "8517.62 alt pozisyonu
    /// hariç", "excepto la fracción 8517.62.01", "other codes of this heading
    /// are not affected"), normalized like `hs_codes`. A code named only
    /// there is not in `hs_codes` and gives no category. An excluded code
    /// covers what is under it, except the codes `hs_codes` names more
    /// precisely (heading 8528 excluded, 8528.52 named: 8528.52 is affected).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_hs_codes: Vec<String>,
    /// Ranges of codes, each by its two ends as written ("subheadings
    /// 8528.42 to 8528.59" -> ("8528.42", "8528.59"), "85.01 a 85.04",
    /// "8501-8504", "từ nhóm 8501 đến 8504", "chapters 84 to 87"). The
    /// ends are also in `hs_codes`; the codes between them are covered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hs_ranges: Vec<(String, String)>,
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
    /// Origins an origin-specific measure names (ISO alpha-2): "originating
    /// in China", "Çin menşeli", "originarias de la República Popular China".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
    /// Origins the text exempts ("excepto las originarias de Canadá",
    /// "except products of Mexico", "Meksika menşeli olanlar hariç"): the
    /// measure covers every other origin and never these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exempt_origins: Vec<String>,
    /// What kind of measure the text is, for territory: "tariff" (duties,
    /// commodity codes, customs), "trade_defence" (anti-dumping,
    /// countervailing, safeguards), "goods_rule" (product safety, CE, RED,
    /// MDR/IVDR, ecodesign), "ukca" (a UKCA marking rule). Empty when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<String>,
}

/// One date of a notice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateFact {
    /// `applies` (the rule applies to goods from then), `in_force`,
    /// `comment_deadline` or `transition_end`.
    pub kind: String,
    pub date: chrono::NaiveDate,
    /// The sentence of the text that states it, as written.
    pub evidence: String,
}

/// One reason for a tag.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    pub category: String,
    /// "hs", "phrase" or "source".
    pub via: String,
    /// The HS code, the phrase as written in the text, or the category hint.
    #[serde(rename = "match")]
    pub matched: String,
    /// The role of the clause it was found in, when that clause does not
    /// count (an exclusion, a citation of another act, background): the
    /// term is shown, and tags nothing. Absent for evidence that counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ClauseRole>,
}

// Helpers that read a text with the shipped taxonomy, for callers without
// one of their own.

/// All HS codes in a text, normalized, deduplicated, in order of
/// appearance; codes named only in an exclusion are left out.
pub fn extract_hs_codes(text: &str) -> Vec<String> {
    taxonomy::builtin_ref().hs_codes_of(text).0
}

/// The date a rule takes effect, when the text states it. `reference` is the
/// publication date: it resolves "on its publication date", "al día
/// siguiente de su publicación" and similar.
pub fn effective_date(
    text: &str,
    lang: Option<&str>,
    reference: chrono::NaiveDate,
) -> Option<chrono::NaiveDate> {
    taxonomy::builtin_ref()
        .classify(&Input {
            text,
            lang,
            published: Some(reference),
            ..Default::default()
        })
        .effective_date
}

/// The origins an origin-specific measure names (ISO alpha-2), in order,
/// leaving out the origins it exempts.
pub fn origins(text: &str) -> Vec<String> {
    read_builtin(text).origins
}

/// The origins a text exempts ("excepto las originarias de Canadá"): the
/// measure covers every origin but these.
pub fn exempt_origins(text: &str) -> Vec<String> {
    read_builtin(text).exempt_origins
}

fn read_builtin(text: &str) -> Classification {
    taxonomy::builtin_ref().classify(&Input {
        text,
        ..Default::default()
    })
}
