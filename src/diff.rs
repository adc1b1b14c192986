//! Diff: the new content against the last snapshot -> changes.

use crate::canon::Canon;
use crate::model::{ChangeKind, Content, Item, NewChange};
use crate::normalize::strip_title;
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
    if let Some(l) = crate::util::http_link(it.link.as_deref()) {
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

/// What the diff knows beyond the two snapshots: how to compare (the
/// source's canonical rules) and which items the source showed before the
/// last snapshot (its seen-item memory).
pub struct DiffContext<'a> {
    pub canon: &'a Canon,
    /// Whether the source showed this item at some earlier poll.
    pub seen: &'a dyn Fn(&Item) -> bool,
}

/// Compare two snapshots with the built-in rules and no memory. `None` as
/// `old` is the baseline: no change. (Polls compare through [`diff_in`].)
#[cfg(test)]
pub fn diff(old: Option<&Content>, new: &Content, source_name: &str) -> Vec<NewChange> {
    let canon = Canon::builtin();
    diff_in(
        old,
        new,
        source_name,
        &DiffContext {
            canon: &canon,
            seen: &|_| false,
        },
    )
}

/// Compare two snapshots. `None` as `old` is the baseline: no change.
pub fn diff_in(
    old: Option<&Content>,
    new: &Content,
    source_name: &str,
    ctx: &DiffContext,
) -> Vec<NewChange> {
    let Some(old) = old else { return vec![] };
    match (old, new) {
        (Content::Items { items: a }, Content::Items { items: b }) => diff_items(a, b, ctx),
        (Content::Text { text: a }, Content::Text { text: b }) => {
            diff_text(a, b, source_name, ctx.canon)
        }
        // The source changed shape (a rule was edited): report the new text as one block.
        (a, b) => diff_text(&flatten(a), &flatten(b), source_name, ctx.canon),
    }
}

fn flatten(c: &Content) -> String {
    match c {
        Content::Text { text } => text.clone(),
        Content::Items { items } => items.iter().map(item_body).collect::<Vec<_>>().join("\n"),
    }
}

/// The keys under which an item is remembered and recognised: its own key
/// (a guid, else its link, else a hash of its text), the identity of its
/// link, and a hash of its title and text in canonical form. A site that
/// regenerates guids, rewrites links or re-types quotes still shows one of
/// them unchanged.
pub fn identity_keys(canon: &Canon, it: &Item) -> Vec<String> {
    let mut keys = vec![it.key.clone()];
    if let Some(l) = it.link.as_deref().and_then(|l| canon.link(l)) {
        keys.push(format!("link:{l}"));
    }
    keys.push(format!("text:{}", text_identity(canon, it)));
    keys
}

/// The items a poll saw arrive in a listing and leave it, by identity key:
/// those arriving are asked of the source's memory (seen before?), and
/// both are remembered.
#[derive(Debug, Default)]
pub struct Turnover {
    /// Identity keys of the items not in the last snapshot (by key).
    pub arriving: Vec<String>,
    /// Identity keys to remember: the arriving and the leaving items'.
    pub remember: Vec<String>,
}

impl Turnover {
    pub fn of(canon: &Canon, old: Option<&Content>, new: &Content) -> Turnover {
        let Content::Items { items: b } = new else {
            return Turnover::default();
        };
        let a: &[Item] = match old {
            Some(Content::Items { items }) => items,
            Some(Content::Text { .. }) => &[],
            // A first snapshot: nothing arrives, since nothing was there to
            // arrive in, and nothing needs remembering, since every item is
            // in the snapshot the next poll compares with: one that leaves
            // is remembered by the poll that sees it leave. (Remembering
            // them all was 115 rows per source on its first poll, 95 % of
            // a new store, and most of that poll's writes.)
            None => return Turnover::default(),
        };
        let old_keys: std::collections::HashSet<&str> = a.iter().map(|i| i.key.as_str()).collect();
        let new_keys: std::collections::HashSet<&str> = b.iter().map(|i| i.key.as_str()).collect();
        let mut t = Turnover::default();
        for it in b.iter().filter(|i| !old_keys.contains(i.key.as_str())) {
            t.arriving.extend(identity_keys(canon, it));
        }
        t.remember = t.arriving.clone();
        for it in a.iter().filter(|i| !new_keys.contains(i.key.as_str())) {
            t.remember.extend(identity_keys(canon, it));
        }
        t.remember.sort();
        t.remember.dedup();
        t
    }
}

/// A hash of an item's title and text in canonical form.
fn text_identity(canon: &Canon, it: &Item) -> String {
    let text = strip_title(&it.text, &it.title);
    crate::normalize::sha256_hex(
        format!("{}\n{}", canon.text(&it.title), canon.text(&text)).as_bytes(),
    )[..32]
        .to_string()
}

/// An item as compared: title, text and link in canonical form.
fn canonical_body(canon: &Canon, it: &Item) -> String {
    let text = strip_title(&it.text, &it.title);
    let link = it.link.as_deref().and_then(|l| canon.link(l));
    format!(
        "{}\n{}\n{}",
        canon.text(&it.title),
        canon.text(&text),
        link.unwrap_or_default()
    )
}

fn diff_text(a: &str, b: &str, source_name: &str, canon: &Canon) -> Vec<NewChange> {
    if a == b || canon.text(a) == canon.text(b) {
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
        published: None,
    }]
}

/// One way of telling which item an item is.
type Identity<'a> = &'a dyn Fn(&Item) -> Option<String>;

/// Which old item each new item is, if any: by key, else by the identity of
/// its link, else by its canonical title and text, else by its canonical
/// title when only one old and one new item carry it.
fn pair_items(canon: &Canon, a: &[Item], b: &[Item]) -> Vec<Option<usize>> {
    let mut taken = vec![false; a.len()];
    let mut pair: Vec<Option<usize>> = vec![None; b.len()];
    let passes: [Identity; 4] = [
        &|it| Some(it.key.clone()),
        &|it| it.link.as_deref().and_then(|l| canon.link(l)),
        &|it| Some(text_identity(canon, it)),
        &|it| Some(canon.text(&it.title)).filter(|t| !t.is_empty()),
    ];
    for (n, ident) in passes.iter().enumerate() {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, it) in a.iter().enumerate().filter(|(i, _)| !taken[*i]) {
            if let Some(k) = ident(it) {
                index.entry(k).or_default().push(i);
            }
        }
        let mut wanted: HashMap<String, usize> = HashMap::new();
        if n == 3 {
            for it in b.iter().zip(&pair).filter(|(_, p)| p.is_none()) {
                if let Some(k) = ident(it.0) {
                    *wanted.entry(k).or_default() += 1;
                }
            }
        }
        for (j, it) in b.iter().enumerate() {
            if pair[j].is_some() {
                continue;
            }
            let Some(k) = ident(it) else { continue };
            let Some(cands) = index.get_mut(&k) else {
                continue;
            };
            // A title alone identifies only when it is unique on both sides.
            if n == 3 && (cands.len() != 1 || wanted.get(&k) != Some(&1)) {
                continue;
            }
            if let Some(pos) = cands.iter().position(|&i| !taken[i]) {
                let i = cands.remove(pos);
                taken[i] = true;
                pair[j] = Some(i);
            }
        }
    }
    pair
}

fn diff_items(a: &[Item], b: &[Item], ctx: &DiffContext) -> Vec<NewChange> {
    let canon = ctx.canon;
    let pair = pair_items(canon, a, b);
    let mut matched_old = vec![false; a.len()];
    for i in pair.iter().flatten() {
        matched_old[*i] = true;
    }
    // New to this listing and never seen before: truly added. One the
    // source showed before (an act sliding back from page 2) is not news.
    let fresh: Vec<usize> = (0..b.len())
        .filter(|&j| pair[j].is_none() && !(ctx.seen)(&b[j]))
        .collect();
    let mut out = vec![];
    for (j, it) in b.iter().enumerate() {
        match pair[j] {
            None if fresh.contains(&j) => out.push(added(it)),
            None => {}
            Some(i) if canonical_body(canon, &a[i]) != canonical_body(canon, it) => {
                out.push(modified(&a[i], it))
            }
            Some(_) => {}
        }
    }
    let window_end = sliding_end(&pair, &fresh, b.len());
    let entering = pair.iter().filter(|p| p.is_none()).count();
    for i in removed_items(&matched_old, window_end, entering) {
        out.push(removed(&a[i]));
    }
    out
}

/// Which end of a listing items leave by when they are only pushed out of
/// a "latest N" window: the bottom for a newest-first listing (new entries
/// arrive on top), the top when new entries arrive below every known one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WindowEnd {
    Bottom,
    Top,
}

fn sliding_end(pair: &[Option<usize>], fresh: &[usize], len: usize) -> WindowEnd {
    let last_matched = (0..len).rev().find(|&j| pair[j].is_some());
    match last_matched {
        Some(last) if !fresh.is_empty() && fresh.iter().all(|&j| j > last) => WindowEnd::Top,
        _ => WindowEnd::Bottom,
    }
}

/// The old items that were withdrawn. An item gone from beyond the last
/// kept one (on the window's far end) may only have been pushed out by the
/// `entering` items (new, or back from page 2): as many of those as entered
/// are not removals; the rest, and every item gone from between kept ones,
/// are. When nothing was kept at all, every item is reported (the poll's
/// emptiness checks judge such a listing first).
fn removed_items(matched_old: &[bool], end: WindowEnd, entering: usize) -> Vec<usize> {
    let gone: Vec<usize> = (0..matched_old.len())
        .filter(|&i| !matched_old[i])
        .collect();
    if !matched_old.iter().any(|m| *m) {
        return gone;
    }
    // The gone items past the far end, farthest first: those pushed out.
    let pushed_out: Vec<usize> = match end {
        WindowEnd::Bottom => {
            let last_kept = matched_old.iter().rposition(|m| *m).unwrap_or(0);
            gone.iter()
                .rev()
                .copied()
                .filter(|&i| i > last_kept)
                .collect()
        }
        WindowEnd::Top => {
            let first_kept = matched_old.iter().position(|m| *m).unwrap_or(0);
            gone.iter().copied().filter(|&i| i < first_kept).collect()
        }
    };
    let silent: std::collections::HashSet<usize> = pushed_out.into_iter().take(entering).collect();
    gone.into_iter().filter(|i| !silent.contains(i)).collect()
}

fn added(it: &Item) -> NewChange {
    NewChange {
        kind: ChangeKind::Added,
        item_key: Some(it.key.clone()),
        title: it.title.clone(),
        link: crate::util::http_link(it.link.as_deref()),
        excerpt: crate::util::truncate(&it.text, EXCERPT_CHARS),
        diff: unified("", &item_body(it)),
        text: it.text.clone(),
        published: it.published,
    }
}

fn modified(prev: &Item, it: &Item) -> NewChange {
    let d = unified(&item_body(prev), &item_body(it));
    let added = added_lines(&d);
    NewChange {
        kind: ChangeKind::Modified,
        item_key: Some(it.key.clone()),
        title: it.title.clone(),
        link: crate::util::http_link(it.link.as_deref()),
        excerpt: crate::util::truncate(
            if added.is_empty() { &it.text } else { &added },
            EXCERPT_CHARS,
        ),
        diff: d,
        text: it.text.clone(),
        published: it.published,
    }
}

fn removed(it: &Item) -> NewChange {
    NewChange {
        kind: ChangeKind::Removed,
        item_key: Some(it.key.clone()),
        title: it.title.clone(),
        link: crate::util::http_link(it.link.as_deref()),
        excerpt: crate::util::truncate(&it.text, EXCERPT_CHARS),
        diff: unified(&item_body(it), ""),
        text: String::new(),
        published: it.published,
    }
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
            published: None,
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

    /// A first snapshot remembers nothing (its items are in it); later,
    /// the items arriving and leaving are remembered, by link and text.
    #[test]
    fn a_turnover_remembers_what_arrives_and_leaves_after_the_first_snapshot() {
        let canon = Canon::builtin();
        let first = Content::Items {
            items: vec![item("1", "One", "x"), item("2", "Two", "y")],
        };
        let t = Turnover::of(&canon, None, &first);
        assert!(t.arriving.is_empty() && t.remember.is_empty(), "{t:?}");
        let next = Content::Items {
            items: vec![item("3", "Three", "z"), item("1", "One", "x")],
        };
        let t = Turnover::of(&canon, Some(&first), &next);
        assert_eq!(t.arriving, identity_keys(&canon, &item("3", "Three", "z")));
        let mut both = identity_keys(&canon, &item("3", "Three", "z"));
        both.extend(identity_keys(&canon, &item("2", "Two", "y")));
        both.sort();
        assert_eq!(t.remember, both);
        assert!(t.remember.iter().any(|k| k.starts_with("link:")));
    }

    #[test]
    fn added_modified_removed() {
        let a = Content::Items {
            items: vec![
                item("1", "One", "x"),
                item("2", "Two", "y"),
                item("3", "Three", "w"),
            ],
        };
        let b = Content::Items {
            items: vec![
                item("0", "Zero", "z"),
                item("1", "One", "x2"),
                item("3", "Three", "w"),
            ],
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

    fn items(v: Vec<Item>) -> Content {
        Content::Items { items: v }
    }

    fn kinds(ch: &[NewChange]) -> Vec<(ChangeKind, String)> {
        ch.iter().map(|c| (c.kind, c.title.clone())).collect()
    }

    #[test]
    fn what_sites_do_without_meaning_anything_is_no_change() {
        let listing = |key: &dyn Fn(usize) -> String,
                       link: &dyn Fn(usize) -> String,
                       t: &dyn Fn(usize) -> String| {
            items(
                (1..=4)
                    .map(|i| Item {
                        key: key(i),
                        title: t(i),
                        link: Some(link(i)),
                        text: format!("Karar {i} metni"),
                        published: None,
                    })
                    .collect(),
            )
        };
        let before = listing(
            &|i| format!("id:urn:cms:{i}"),
            &|i| format!("http://www.bakanlik.gov.tr/duyuru/{i}"),
            &|i| format!("\"Telsiz\" duyurusu {i} - ek"),
        );
        // A CMS re-import: new guids, https, session ids, typographic quotes.
        let after = listing(
            &|i| format!("id:urn:cms2:{}", 100 + i),
            &|i| format!("https://bakanlik.gov.tr/duyuru/{i};jsessionid=A{i}B?utm_source=rss"),
            &|i| format!("“Telsiz” duyurusu {i} – ek"),
        );
        assert!(diff(Some(&before), &after, "s").is_empty());
    }

    #[test]
    fn json_numbers_compare_by_value_where_the_rule_says() {
        let t = |x: &str| items(vec![item("8517.13", "8517.13", x)]);
        let json = Canon::with(Some(&crate::canon::CanonRules {
            text: crate::canon::TextRules {
                numbers: Some(true),
                ..Default::default()
            },
            ..Default::default()
        }))
        .unwrap();
        let ctx = DiffContext {
            canon: &json,
            seen: &|_| false,
        };
        assert!(diff_in(
            Some(&t("duty 1.0 rate 2.50")),
            &t("duty 1 rate 2.5"),
            "s",
            &ctx
        )
        .is_empty());
        assert_eq!(
            diff_in(Some(&t("duty 1.0")), &t("duty 1.5"), "s", &ctx).len(),
            1
        );
    }

    #[test]
    fn a_latest_n_window_slides_without_removals_and_returns_are_not_new() {
        let n = |r: std::ops::RangeInclusive<u32>| {
            items(
                r.rev()
                    .map(|i| item(&i.to_string(), &format!("Act {i}"), "t"))
                    .collect(),
            )
        };
        // Newest first; act 11 arrives on top, act 1 slides to page 2.
        let ch = diff(Some(&n(1..=10)), &n(2..=11), "s");
        assert_eq!(kinds(&ch), vec![(ChangeKind::Added, "Act 11".into())]);
        // The newest (11) is withdrawn: act 1 slides back from page 2. It was
        // seen before, so it is not news; the withdrawal is.
        let seen: &dyn Fn(&Item) -> bool = &|it| it.key == "1";
        let canon = Canon::builtin();
        let ctx = DiffContext {
            canon: &canon,
            seen,
        };
        let ch = diff_in(Some(&n(2..=11)), &n(1..=10), "s", &ctx);
        assert_eq!(kinds(&ch), vec![(ChangeKind::Removed, "Act 11".into())]);
        // A listing that only shrinks lost its last item for real.
        let ch = diff(Some(&n(1..=10)), &n(2..=10), "s");
        assert_eq!(kinds(&ch), vec![(ChangeKind::Removed, "Act 1".into())]);
        // Oldest first, new entries appended: the top slides out.
        let up = |r: std::ops::RangeInclusive<u32>| {
            items(
                r.map(|i| item(&i.to_string(), &format!("Act {i}"), "t"))
                    .collect(),
            )
        };
        let ch = diff(Some(&up(1..=10)), &up(2..=11), "s");
        assert_eq!(kinds(&ch), vec![(ChangeKind::Added, "Act 11".into())]);
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
