//! What the change page shows as evidence: the followed text with the
//! matched codes and phrases marked, and a word-level diff of what changed.
//! Plain segments here; the page escapes every one of them.

use super::{App, ServiceError};
use crate::model::Change;
use serde::Serialize;

/// A piece of text, marked when it is evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub text: String,
    pub mark: bool,
}

/// One piece of a word-level diff: `same`, `del` (before) or `ins` (after).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffPiece {
    pub tag: &'static str,
    pub text: String,
}

/// The longest text shown on a page (the rest is cut with `…`).
pub const MAX_TEXT_CHARS: usize = 20_000;

/// What a change's tags matched in its text: the HS codes, chapters and
/// the evidence phrases, longest first (so `8517.62.00` wins over `8517`).
pub fn needles(c: &Change) -> Vec<String> {
    let mut v: Vec<String> = c
        .hs_codes
        .iter()
        .chain(c.evidence.iter().map(|e| &e.matched))
        .map(|s| s.trim().to_string())
        .filter(|s| s.chars().count() >= 2)
        .collect();
    v.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    v.dedup();
    v
}

/// `text` split into segments, the occurrences of any needle marked
/// (ASCII case ignored; non-ASCII letters compared as written).
pub fn highlight(text: &str, needles: &[String]) -> Vec<Segment> {
    let hay = text.to_ascii_lowercase();
    let mut lowered: Vec<String> = needles
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    // Longest first, so a code is marked whole rather than its heading.
    lowered.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut marks: Vec<(usize, usize)> = vec![];
    for n in &lowered {
        let mut from = 0;
        while let Some(i) = hay[from..].find(n.as_str()) {
            let (s, e) = (from + i, from + i + n.len());
            if !marks.iter().any(|&(a, b)| s < b && a < e) {
                marks.push((s, e));
            }
            from = e;
        }
    }
    marks.sort();
    let mut out = vec![];
    let mut at = 0;
    for (s, e) in marks {
        if s > at {
            out.push(Segment {
                text: text[at..s].to_string(),
                mark: false,
            });
        }
        out.push(Segment {
            text: text[s..e].to_string(),
            mark: true,
        });
        at = e;
    }
    if at < text.len() {
        out.push(Segment {
            text: text[at..].to_string(),
            mark: false,
        });
    }
    out
}

/// The before and after texts of a stored unified diff.
fn sides(diff: &str) -> (String, String) {
    let (mut old, mut new) = (vec![], vec![]);
    for l in diff.lines() {
        if l.starts_with("+++") || l.starts_with("---") || l.starts_with("@@") {
            continue;
        }
        if let Some(r) = l.strip_prefix('-') {
            old.push(r);
        } else if let Some(a) = l.strip_prefix('+') {
            new.push(a);
        } else {
            let c = l.strip_prefix(' ').unwrap_or(l);
            old.push(c);
            new.push(c);
        }
    }
    (old.join("\n"), new.join("\n"))
}

/// A word-level diff of the change: within each changed run, what was
/// there before, then what is there after.
pub fn word_diff(diff: &str) -> Vec<DiffPiece> {
    let (old, new) = sides(diff);
    if old.is_empty() && new.is_empty() {
        return vec![];
    }
    let d = similar::TextDiff::from_words(&old, &new);
    let mut out: Vec<DiffPiece> = vec![];
    let mut dels = String::new();
    let mut inss = String::new();
    let flush = |out: &mut Vec<DiffPiece>, dels: &mut String, inss: &mut String| {
        if !dels.is_empty() {
            out.push(DiffPiece {
                tag: "del",
                text: std::mem::take(dels),
            });
        }
        if !inss.is_empty() {
            out.push(DiffPiece {
                tag: "ins",
                text: std::mem::take(inss),
            });
        }
    };
    for ch in d.iter_all_changes() {
        match ch.tag() {
            similar::ChangeTag::Delete => dels.push_str(ch.value()),
            similar::ChangeTag::Insert => inss.push_str(ch.value()),
            similar::ChangeTag::Equal => {
                flush(&mut out, &mut dels, &mut inss);
                match out.last_mut() {
                    Some(p) if p.tag == "same" => p.text.push_str(ch.value()),
                    _ => out.push(DiffPiece {
                        tag: "same",
                        text: ch.value().to_string(),
                    }),
                }
            }
        }
    }
    flush(&mut out, &mut dels, &mut inss);
    out
}

/// The followed text of a change (else its excerpt), marked.
pub async fn marked_text(app: &App, c: &Change) -> Result<(Vec<Segment>, bool), ServiceError> {
    let body = app
        .store
        .change_body(c.id)
        .await?
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| c.excerpt.clone());
    let (text, cut) = crate::util::cut(&body, MAX_TEXT_CHARS);
    Ok((highlight(&text, &needles(c)), cut))
}

/// The diff as a person wants to read it: what was added first, then what
/// was removed; the stored excerpt when there is no diff.
pub fn diff_excerpt(c: &Change, max_chars: usize) -> (String, bool) {
    let mut added = vec![];
    let mut removed = vec![];
    for l in c.diff.lines() {
        if l.starts_with("+++") || l.starts_with("---") || l.starts_with("@@") {
            continue;
        }
        if let Some(a) = l.strip_prefix('+') {
            if !a.trim().is_empty() {
                added.push(format!("+ {}", a.trim_end()));
            }
        } else if let Some(r) = l.strip_prefix('-') {
            if !r.trim().is_empty() {
                removed.push(format!("- {}", r.trim_end()));
            }
        }
    }
    let text = if added.is_empty() && removed.is_empty() {
        c.excerpt.trim().to_string()
    } else {
        added.extend(removed);
        added.join("\n")
    };
    crate::util::cut(&text, max_chars)
}

/// Collapse every run of whitespace and control characters into one space.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_every_needle_once_longest_first() {
        let segs = highlight(
            "GTİP 8517.62.00 ve 8517 telsiz; TELSIZ",
            &["8517".into(), "8517.62.00".into(), "telsiz".into()],
        );
        let marked: Vec<&str> = segs
            .iter()
            .filter(|s| s.mark)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(marked, vec!["8517.62.00", "8517", "telsiz", "TELSIZ"]);
        let all: String = segs.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(all, "GTİP 8517.62.00 ve 8517 telsiz; TELSIZ");
    }

    #[test]
    fn word_diff_puts_before_then_after() {
        let p = word_diff("--- a\n+++ b\n@@ -1 +1 @@\n-duty 5% from May\n+duty 12% from May\n");
        let tags: Vec<(&str, &str)> = p.iter().map(|p| (p.tag, p.text.as_str())).collect();
        assert_eq!(
            tags,
            vec![
                ("same", "duty "),
                ("del", "5%"),
                ("ins", "12%"),
                ("same", " from May")
            ]
        );
    }
}
