//! Diff: the new content against the last snapshot -> changes.

use crate::model::{ChangeKind, Content, Item, NewChange};
use similar::TextDiff;
use std::collections::HashMap;

const EXCERPT_CHARS: usize = 600;

pub fn unified(old: &str, new: &str) -> String {
    let old = if old.is_empty() {
        String::new()
    } else {
        format!("{old}\n")
    };
    let new = if new.is_empty() {
        String::new()
    } else {
        format!("{new}\n")
    };
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(2)
        .header("before", "after")
        .to_string()
}

fn item_body(it: &Item) -> String {
    let mut s = it.title.clone();
    if !it.text.is_empty() && it.text != it.title {
        let text = it
            .text
            .strip_prefix(&it.title)
            .map(str::trim_start)
            .unwrap_or(&it.text);
        if !text.is_empty() {
            s.push('\n');
            s.push_str(text);
        }
    }
    // Only http(s) links are shown: a `javascript:` or `data:` link from a
    // polled page is left out of the diff, as out of every other output.
    if let Some(l) = crate::util::safe_link(it.link.as_deref()) {
        s.push_str("\n<");
        s.push_str(&l);
        s.push('>');
    }
    s
}

/// The lines a diff added, for excerpts ("what is new").
pub fn added_lines(diff: &str) -> String {
    diff.lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| l[1..].trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compare two snapshots. `None` as `old` is the baseline: no change.
pub fn diff(old: Option<&Content>, new: &Content, source_name: &str) -> Vec<NewChange> {
    let Some(old) = old else { return vec![] };
    match (old, new) {
        (Content::Items { items: a }, Content::Items { items: b }) => diff_items(a, b),
        (Content::Text { text: a }, Content::Text { text: b }) => diff_text(a, b, source_name),
        // The source changed shape (a rule was edited): report the new text as one block.
        (a, b) => diff_text(&flatten(a), &flatten(b), source_name),
    }
}

fn flatten(c: &Content) -> String {
    match c {
        Content::Text { text } => text.clone(),
        Content::Items { items } => items.iter().map(item_body).collect::<Vec<_>>().join("\n"),
    }
}

fn diff_text(a: &str, b: &str, source_name: &str) -> Vec<NewChange> {
    if a == b {
        return vec![];
    }
    let d = unified(a, b);
    let added = added_lines(&d);
    let title = added
        .lines()
        .next()
        .map(|l| crate::util::truncate(l, 160))
        .unwrap_or_else(|| format!("{source_name}: text removed"));
    vec![NewChange {
        kind: ChangeKind::Text,
        item_key: None,
        title,
        link: None,
        excerpt: crate::util::truncate(if added.is_empty() { &d } else { &added }, EXCERPT_CHARS),
        diff: d,
        text: added,
    }]
}

fn diff_items(a: &[Item], b: &[Item]) -> Vec<NewChange> {
    let old: HashMap<&str, &Item> = a.iter().map(|i| (i.key.as_str(), i)).collect();
    let new: HashMap<&str, &Item> = b.iter().map(|i| (i.key.as_str(), i)).collect();
    let mut out = vec![];
    for it in b {
        match old.get(it.key.as_str()) {
            None => {
                let body = item_body(it);
                out.push(NewChange {
                    kind: ChangeKind::Added,
                    item_key: Some(it.key.clone()),
                    title: it.title.clone(),
                    link: crate::util::safe_link(it.link.as_deref()),
                    excerpt: crate::util::truncate(&it.text, EXCERPT_CHARS),
                    diff: unified("", &body),
                    text: it.text.clone(),
                });
            }
            Some(prev) if *prev != it => {
                let d = unified(&item_body(prev), &item_body(it));
                let added = added_lines(&d);
                out.push(NewChange {
                    kind: ChangeKind::Modified,
                    item_key: Some(it.key.clone()),
                    title: it.title.clone(),
                    link: crate::util::safe_link(it.link.as_deref()),
                    excerpt: crate::util::truncate(
                        if added.is_empty() { &it.text } else { &added },
                        EXCERPT_CHARS,
                    ),
                    diff: d,
                    text: it.text.clone(),
                });
            }
            _ => {}
        }
    }
    for it in a {
        if !new.contains_key(it.key.as_str()) {
            out.push(NewChange {
                kind: ChangeKind::Removed,
                item_key: Some(it.key.clone()),
                title: it.title.clone(),
                link: crate::util::safe_link(it.link.as_deref()),
                excerpt: crate::util::truncate(&it.text, EXCERPT_CHARS),
                diff: unified(&item_body(it), ""),
                text: String::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(k: &str, t: &str, x: &str) -> Item {
        Item {
            key: k.into(),
            title: t.into(),
            link: Some(format!("https://a/{k}")),
            text: x.into(),
        }
    }

    #[test]
    fn baseline_is_silent() {
        let c = Content::Items {
            items: vec![item("1", "a", "b")],
        };
        assert!(diff(None, &c, "s").is_empty());
        assert!(diff(Some(&c), &c, "s").is_empty());
    }

    #[test]
    fn added_modified_removed() {
        let a = Content::Items {
            items: vec![item("1", "One", "x"), item("2", "Two", "y")],
        };
        let b = Content::Items {
            items: vec![item("0", "Zero", "z"), item("1", "One", "x2")],
        };
        let ch = diff(Some(&a), &b, "s");
        let kinds: Vec<_> = ch.iter().map(|c| (c.kind, c.title.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Added, "Zero"),
                (ChangeKind::Modified, "One"),
                (ChangeKind::Removed, "Two")
            ]
        );
        assert!(ch[1].diff.contains("-x\n+x2"), "{}", ch[1].diff);
        assert_eq!(ch[1].excerpt, "x2");
    }

    #[test]
    fn text_change_has_unified_diff() {
        let a = Content::Text {
            text: "line a\nline b".into(),
        };
        let b = Content::Text {
            text: "line a\nline c".into(),
        };
        let ch = diff(Some(&a), &b, "s");
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].kind, ChangeKind::Text);
        assert!(ch[0].diff.contains("-line b\n+line c"));
        assert_eq!(ch[0].title, "line c");
    }
}
