//! `regwatch init`: a working starter config, taxonomy and example sources.

use super::failure::{usage, Failure};
use std::path::Path;

/// Write the starter files into `dir`, which must not hold them already.
pub fn init(dir: &Path) -> Result<u8, Failure> {
    let files: [(&str, &str); 3] = [
        ("config/regwatch.toml", crate::starter::CONFIG),
        (
            "config/taxonomy.toml",
            regwatch_classify::Taxonomy::builtin_source(),
        ),
        ("sources/example.toml", crate::starter::SOURCES),
    ];
    for (rel, _) in &files {
        let p = dir.join(rel);
        if p.exists() {
            return Err(usage(format!(
                "{} already exists: init writes only into an empty folder",
                p.display()
            )));
        }
    }
    for (rel, body) in &files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&p, body)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
        println!("wrote {}", p.display());
    }
    println!("next: `regwatch sources check`, then `regwatch poll`, then `regwatch changes`");
    Ok(0)
}
