//! Refusing a reload that reads a write caught half-way.
//!
//! An editor or a copy that is interrupted leaves a file cut short: empty,
//! ending in the middle of a line, or (the case no parser sees) ending at a
//! line boundary with the rest of the file simply missing, which still
//! parses and would silently drop the users, channels or sources after the
//! cut. The guard keeps what each file held when it was last loaded
//! (compressed: a catalogue of repetitive TOML shrinks tenfold) and refuses
//! a SIGHUP whose file is a strict prefix of that with something left out.
//! Deleting the end of a file on purpose looks the same, so a second SIGHUP
//! over the very same files applies it (docs/daemon.md).

use crate::app::App;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the config file and the running sources' files held at the last load.
pub(super) struct Loaded {
    files: HashMap<PathBuf, Vec<u8>>,
    /// The sources this memory was taken with: after a reload by someone
    /// else (the web's source editor writes and reloads its files itself)
    /// the memory of the sources files is out of date and not used.
    sources: Arc<crate::app::Sources>,
    /// The files of a refused reload: the same files again are applied.
    refused: Option<[u8; 32]>,
}

impl Loaded {
    /// Read the files `app` was loaded from, now.
    pub(super) fn take(config_path: &Path, app: &App) -> Loaded {
        let mut files = HashMap::new();
        for p in std::iter::once(config_path.to_path_buf()).chain(source_files(app)) {
            if let Some(z) = std::fs::read(&p)
                .ok()
                .and_then(|b| zstd::encode_all(&b[..], 3).ok())
            {
                files.insert(p, z);
            }
        }
        Loaded {
            files,
            sources: app.sources.clone(),
            refused: None,
        }
    }

    /// Why the files a reload would read look caught half-way by a write,
    /// if they do: the config file or a file running sources came from is
    /// empty, or cut short (see [`cut_short`]). None (go ahead) as well when
    /// the same cut files were refused just before. Each file is read once.
    pub(super) fn check(&mut self, config_path: &Path, old: &App) -> Option<String> {
        let fresh = Arc::ptr_eq(&self.sources, &old.sources);
        let mut digest = Sha256::new();
        let mut why = None;
        let files = std::iter::once(config_path.to_path_buf()).chain(source_files(old));
        for p in files {
            let Ok(now) = std::fs::read(&p) else { continue };
            let is_config = p == config_path;
            if !has_content(&String::from_utf8_lossy(&now)) {
                // A file left empty on purpose is one no running source
                // came from: those are not read here.
                let fix = if is_config {
                    ""
                } else {
                    ", or remove the file,"
                };
                return Some(format!(
                    "{} is empty (a write caught half-way?): save it whole{fix} and send SIGHUP again",
                    p.display()
                ));
            }
            // After a reload by the web's source editor the memory of the
            // sources files is out of date: only the config file is compared.
            if !is_config && !fresh {
                continue;
            }
            digest.update(p.to_string_lossy().as_bytes());
            digest.update((now.len() as u64).to_le_bytes());
            digest.update(&now);
            if why.is_none() {
                let before = self
                    .files
                    .get(&p)
                    .and_then(|z| zstd::decode_all(&z[..]).ok());
                why = before.and_then(|b| cut_short(&p, &b, &now, !is_config));
            }
        }
        let digest: [u8; 32] = digest.finalize().into();
        let why = why?;
        if self.refused == Some(digest) {
            tracing::warn!(
                reason = %why,
                "reload applied on a second SIGHUP over the same files: the end of the file was deleted on purpose"
            );
            self.refused = None;
            return None;
        }
        self.refused = Some(digest);
        Some(why)
    }
}

/// The files the running sources came from, once each.
fn source_files(app: &App) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = app
        .sources
        .all()
        .iter()
        .map(|s| s.file.to_path_buf())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Why `now` looks like `before` cut short: a strict prefix of it, with
/// more than blanks and comments left out.
fn cut_short(path: &Path, before: &[u8], now: &[u8], sources: bool) -> Option<String> {
    if now.len() >= before.len() || !before.starts_with(now) {
        return None;
    }
    let lost = String::from_utf8_lossy(&before[now.len()..]);
    if !has_content(&lost) {
        return None;
    }
    let line = now.iter().filter(|b| **b == b'\n').count() + 1;
    let what = if sources {
        let ids: Vec<&str> = lost.lines().filter_map(id_of).collect();
        match ids.len() {
            0 => "the end of its last source".to_string(),
            n => {
                let shown: Vec<&str> = ids.iter().take(5).copied().collect();
                let more = if n > 5 { ", …" } else { "" };
                format!("{n} source(s) after it ({}{more})", shown.join(", "))
            }
        }
    } else {
        let users = lost.matches("[[user]]").count();
        let channels = lost.matches("[[channel]]").count();
        format!("what followed it ({users} [[user]], {channels} [[channel]])")
    };
    Some(format!(
        "{} now stops at line {line}, where the file loaded before went on, and {what} would be gone: a write caught half-way? Save it whole and send SIGHUP again; if you did delete the end of the file, send SIGHUP once more to apply it",
        path.display()
    ))
}

/// The id a `id = "…"` line names.
fn id_of(line: &str) -> Option<&str> {
    let rest = line
        .trim()
        .strip_prefix("id")?
        .trim_start()
        .strip_prefix('=')?;
    Some(rest.trim().trim_matches('"').trim_matches('\''))
}

/// Text with something in it besides blanks and `#` comments.
fn has_content(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#')
    })
}

/// A reloaded configuration that lost every user and channel the running
/// one had, from a file that does not end its last line: a truncated write,
/// not an edit.
pub(super) fn lost_everything(
    config_path: &Path,
    had: (usize, usize),
    new: &crate::config::Config,
) -> Option<String> {
    let truncated = std::fs::read(config_path)
        .map(|b| !b.is_empty() && !b.ends_with(b"\n"))
        .unwrap_or(false);
    (had != (0, 0) && new.users.is_empty() && new.channels.is_empty() && truncated).then(|| {
        format!(
            "the file ends in the middle of a line and has none of the {} user(s) and {} channel(s) running now: it looks truncated; save it whole and send SIGHUP again",
            had.0, had.1
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "[[source]]\nid = \"a\"\nurl = \"http://x/a\"\n\n[[source]]\nid = \"b\"\nurl = \"http://x/b\"\n";

    #[test]
    fn a_file_cut_at_a_line_boundary_is_named_with_what_it_loses() {
        let cut = &TWO[..TWO.find("[[source]]\nid = \"b\"").unwrap()];
        let why = cut_short(Path::new("s.toml"), TWO.as_bytes(), cut.as_bytes(), true).unwrap();
        assert!(why.contains("s.toml now stops at line 5"), "{why}");
        assert!(why.contains("1 source(s) after it (b)"), "{why}");
        // cut inside the last source: its end is lost
        let mid = &TWO[..TWO.find("url = \"http://x/b\"").unwrap()];
        let why = cut_short(Path::new("s.toml"), TWO.as_bytes(), mid.as_bytes(), true).unwrap();
        assert!(why.contains("the end of its last source"), "{why}");
    }

    #[test]
    fn edits_and_cuts_of_nothing_but_comments_pass() {
        let s = |a: &str, b: &str| cut_short(Path::new("s.toml"), a.as_bytes(), b.as_bytes(), true);
        // an edit inside the file: not a prefix
        assert!(s(TWO, &TWO.replace("x/b", "y/b")).is_none());
        // grown: not cut
        assert!(s(TWO, &format!("{TWO}\n# more\n")).is_none());
        // only a trailing comment and blank lines left out
        assert!(s(&format!("{TWO}\n# the end\n\n"), TWO).is_none());
        // the same file
        assert!(s(TWO, TWO).is_none());
    }

    #[test]
    fn a_config_cut_counts_the_users_and_channels_it_drops() {
        let full = "[server]\nlisten = \"127.0.0.1:0\"\n\n[[user]]\nname = \"a\"\n\n[[channel]]\nname = \"c\"\n";
        let cut = &full[..full.find("[[user]]").unwrap()];
        let why = cut_short(Path::new("r.toml"), full.as_bytes(), cut.as_bytes(), false).unwrap();
        assert!(why.contains("1 [[user]], 1 [[channel]]"), "{why}");
    }
}
