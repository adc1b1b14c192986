//! The classify stage: the taxonomy applied to a change's title and text.

use crate::config::Config;
use crate::model::Tags;
use regwatch_classify::{Input, Taxonomy, TaxonomyError};
use std::path::Path;
use std::sync::Arc;

pub struct Tagger {
    /// Shared with the classify crate's own helpers when it is the shipped
    /// taxonomy.
    pub taxonomy: Arc<Taxonomy>,
}

impl Tagger {
    /// Load the taxonomy file; a missing file falls back to the built-in
    /// taxonomy (the one `regwatch init` writes).
    pub fn load(path: &Path) -> Result<Tagger, TaxonomyError> {
        let taxonomy = if path.exists() {
            Taxonomy::load_shared(path)?
        } else {
            Taxonomy::shared()
        };
        Ok(Tagger { taxonomy })
    }

    /// The taxonomy a config names (`[sources].taxonomy`, else beside the config).
    pub fn for_config(cfg: &Config) -> Result<Tagger, TaxonomyError> {
        Tagger::load(&cfg.taxonomy_file())
    }

    pub fn builtin() -> Tagger {
        Tagger {
            taxonomy: Taxonomy::shared(),
        }
    }

    /// Tag a text whose publication date is not known: relative dates
    /// ("yayımı tarihinde", "30 días hábiles siguientes a su publicación")
    /// count from the publication date the text states, or give nothing.
    pub fn tag(&self, title: &str, text: &str, lang: Option<&str>, hints: &[String]) -> Tags {
        self.tag_published(title, text, lang, hints, None)
    }

    /// Tag a text published on `published` (a feed item's published date):
    /// relative dates the text does not anchor itself count from it.
    pub fn tag_published(
        &self,
        title: &str,
        text: &str,
        lang: Option<&str>,
        hints: &[String],
        published: Option<chrono::NaiveDate>,
    ) -> Tags {
        let c = self.taxonomy.classify(&Input {
            title,
            text,
            lang,
            hints,
            published,
        });
        Tags {
            categories: c.categories,
            hs_codes: c.hs_codes,
            evidence: c.evidence,
            effective_date: c.effective_date,
            deadline: c.deadline,
            excluded_hs_codes: c.excluded_hs_codes,
            chapters: c.chapters,
            member: c.wto_member,
            origins: c.origins,
            exempt_origins: c.exempt_origins,
            hs_ranges: c.hs_ranges,
            measures: c.measures,
            dates: c.dates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_taxonomy_is_built_once_and_shared() {
        let dir = tempfile::tempdir().unwrap();
        let shipped = dir.path().join("taxonomy.toml");
        std::fs::write(&shipped, Taxonomy::builtin_source()).unwrap();
        let a = Tagger::load(&shipped).unwrap();
        let b = Tagger::load(&dir.path().join("missing.toml")).unwrap();
        assert!(Arc::ptr_eq(&a.taxonomy, &Taxonomy::shared()));
        assert!(Arc::ptr_eq(&b.taxonomy, &Taxonomy::shared()));

        // an edited file is its own taxonomy, with its own categories
        let edited = dir.path().join("edited.toml");
        let src = Taxonomy::builtin_source().replacen(
            "[[category]]",
            "[[category]]\nname = \"only-here\"\nhs = [\"9999\"]\n\n[[category]]",
            1,
        );
        std::fs::write(&edited, src).unwrap();
        let c = Tagger::load(&edited).unwrap();
        assert!(!Arc::ptr_eq(&c.taxonomy, &Taxonomy::shared()));
        assert!(c
            .taxonomy
            .category_names()
            .contains(&"only-here".to_string()));
        assert!(!a
            .taxonomy
            .category_names()
            .contains(&"only-here".to_string()));
    }
}
