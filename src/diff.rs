//! Diff: the new content against the last snapshot -> changes.

use crate::model::{ChangeKind, Content, Item, NewChange};
use crate::normalize::{rendered, strip_title};
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
    // Snapshots stored before titles were taken out of item texts have it
    // there still.
    let text = strip_title(&it.text, &it.title);
    if !text.is_empty() {
        s.push('\n');
        s.push_str(&text);
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

/// Two versions of an item that a reader sees as the same: only how their
/// text was broken into lines or spaced differs (markup reflowed, or a
/// snapshot stored before extraction rendered text as a browser does).
fn same_item(a: &Item, b: &Item) -> bool {
    a == b || (a.link == b.link && rendered(&item_body(a)) == rendered(&item_body(b)))
}

fn diff_text(a: &str, b: &str, source_name: &str) -> Vec<NewChange> {
    if a == b || rendered(a) == rendered(b) {
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
    // An item keyed by a hash of its text (no guid, no link) gets a new key
    // when its text is only spaced or broken differently: the same item, not
    // one removed and one added. Matched by rendered text, in order.
    let mut by_text: HashMap<String, Vec<&str>> = HashMap::new();
    for it in a.iter().rev() {
        if it.key.starts_with("hash:") && !new.contains_key(it.key.as_str()) {
            by_text
                .entry(rendered(&item_body(it)))
                .or_default()
                .push(it.key.as_str());
        }
    }
    let mut rekeyed: std::collections::HashSet<&str> = Default::default();
    let mut out = vec![];
    for it in b {
        if it.key.starts_with("hash:") && !old.contains_key(it.key.as_str()) {
            if let Some(k) = by_text
                .get_mut(&rendered(&item_body(it)))
                .and_then(|ks| ks.pop())
            {
                rekeyed.insert(k);
                continue;
            }
        }
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
            Some(prev) if !same_item(prev, it) => {
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
        if !new.contains_key(it.key.as_str()) && !rekeyed.contains(it.key.as_str()) {
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
    fn reflowed_text_and_a_title_once_repeated_are_no_change() {
        // As stored before: the title repeated in the text, a line broken
        // by the markup; as extracted now: neither.
        let mut before = item("1", "Duyuru A", "Duyuru A\nTelsiz\nekipmanları");
        let after = item("1", "Duyuru A", "Telsiz ekipmanları");
        let a = Content::Items {
            items: vec![before.clone()],
        };
        let b = Content::Items {
            items: vec![after.clone()],
        };
        assert!(diff(Some(&a), &b, "s").is_empty());
        // Link-less items keyed by their text's hash: re-keyed, not churned.
        before.link = None;
        before.key = "hash:old".into();
        let mut after = after;
        after.link = None;
        after.key = "hash:new".into();
        let a = Content::Items {
            items: vec![before],
        };
        let b = Content::Items {
            items: vec![after.clone(), item("2", "Yeni", "x")],
        };
        let ch = diff(Some(&a), &b, "s");
        assert_eq!(ch.len(), 1, "{ch:?}");
        assert_eq!(ch[0].kind, ChangeKind::Added);
        let t = |s: &str| Content::Text { text: s.into() };
        assert!(diff(Some(&t("a\nb  c")), &t("a b c"), "s").is_empty());
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
