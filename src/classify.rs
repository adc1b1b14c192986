//! The classify stage: the taxonomy applied to a change's title and text.

use crate::config::Config;
use crate::model::Tags;
use regwatch_classify::{Input, Taxonomy, TaxonomyError};
use std::path::Path;

pub struct Tagger {
    pub taxonomy: Taxonomy,
}

impl Tagger {
    /// Load the taxonomy file; a missing file falls back to the built-in
    /// taxonomy (the one `regwatch init` writes).
    pub fn load(path: &Path) -> Result<Tagger, TaxonomyError> {
        let taxonomy = if path.exists() {
            Taxonomy::load(path)?
        } else {
            Taxonomy::builtin()
        };
        Ok(Tagger { taxonomy })
    }

    /// The taxonomy a config names (`[sources].taxonomy`, else beside the config).
    pub fn for_config(cfg: &Config) -> Result<Tagger, TaxonomyError> {
        Tagger::load(&cfg.taxonomy_file())
    }

    pub fn builtin() -> Tagger {
        Tagger {
            taxonomy: Taxonomy::builtin(),
        }
    }

    pub fn tag(&self, title: &str, text: &str, lang: Option<&str>, hints: &[String]) -> Tags {
        let c = self.taxonomy.classify(&Input {
            title,
            text,
            lang,
            hints,
            ..Default::default()
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
            origins: regwatch_classify::origins(&format!("{title}\n{text}"))
                .into_iter()
                .map(str::to_string)
                .collect(),
        }
    }
}
