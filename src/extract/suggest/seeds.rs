//! Seeds: the repeated structures of a page, each with selectors to try.

use super::options::SuggestOptions;
use super::scan::*;
use scraper::ElementRef;
use std::collections::BTreeMap;

/// A set of elements found repeated, and how to name them.
pub(super) struct Seed {
    /// Scan indexes, in document order.
    pub(super) members: Vec<usize>,
    /// Selectors to try, simplest first.
    pub(super) ladder: Vec<String>,
    /// The members are links themselves (a link family), not containers.
    pub(super) links: bool,
}
/// Children of one parent that share tag and classes, or tag and the
/// classes common to all of them (`li` and `li.active`; `div.views-row
/// views-row-1`, `div.views-row views-row-2`), with a link in at least
/// `min_count` of them.
pub(super) fn sibling_seeds(scan: &Scan<'_>, opts: &SuggestOptions, deep: bool) -> Vec<Seed> {
    let mut seeds = vec![];
    for pi in 0..scan.nodes.len() {
        let Some(groups) = sibling_groups(scan, pi, opts) else {
            continue;
        };
        for (sig, all) in groups {
            seeds.extend(sibling_seed(scan, pi, sig, &all, opts, deep));
        }
    }
    seeds
}

/// The children of `pi` by signature (tag and classes), then, for a tag
/// with more children than its largest signature, by tag and the classes
/// they all share; `None` when no tag has `min_count` children.
pub(super) fn sibling_groups(
    scan: &Scan<'_>,
    pi: usize,
    opts: &SuggestOptions,
) -> Option<Vec<(String, Vec<usize>)>> {
    let mut by_sig: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_tag: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for child in scan.nodes[pi].el.children() {
        let Some(c) = ElementRef::wrap(child) else {
            continue;
        };
        let Some(&ci) = scan.index.get(&child.id()) else {
            continue;
        };
        let name = c.value().name();
        if NOT_ITEMS.contains(&name) {
            continue;
        }
        by_sig.entry(compound(&c, true)).or_default().push(ci);
        by_tag.entry(name.to_string()).or_default().push(ci);
    }
    if by_tag.values().all(|m| m.len() < opts.min_count) {
        return None;
    }
    let mut groups: Vec<(String, Vec<usize>)> = by_sig.into_iter().collect();
    for (tag, m) in by_tag {
        let largest = groups
            .iter()
            .filter(|(s, _)| s.split('.').next() == Some(tag.as_str()))
            .map(|(_, g)| g.len())
            .max()
            .unwrap_or(0);
        if m.len() > largest {
            let sig = std::iter::once(tag)
                .chain(common_kind_classes(scan, &m))
                .collect::<Vec<_>>()
                .join(".");
            groups.push((sig, m));
        }
    }
    Some(groups)
}

/// The kind classes every one of `members` has.
pub(super) fn common_kind_classes(scan: &Scan<'_>, members: &[usize]) -> Vec<String> {
    let mut common: Option<Vec<String>> = None;
    for i in members {
        let c = kind_classes(&scan.nodes[*i].el);
        common = Some(match common {
            None => c,
            Some(prev) => prev.into_iter().filter(|x| c.contains(x)).collect(),
        });
    }
    common.unwrap_or_default()
}

/// A seed of the children `all` of `pi` named `sig`, when enough of them
/// hold a link (and, on a deep page, without `:has()`).
pub(super) fn sibling_seed(
    scan: &Scan<'_>,
    pi: usize,
    sig: String,
    all: &[usize],
    opts: &SuggestOptions,
    deep: bool,
) -> Option<Seed> {
    let linked: Vec<usize> = all
        .iter()
        .copied()
        .filter(|i| scan.nodes[*i].has_link)
        .collect();
    if linked.len() < opts.min_count || linked.len() * 2 < all.len() {
        return None;
    }
    let is_a = sig == "a" || sig.starts_with("a.");
    let filter = if linked.len() == all.len() {
        ""
    } else if is_a {
        "[href]"
    } else if deep {
        return None;
    } else {
        ":has(a[href])"
    };
    let member = format!("{sig}{filter}");
    Some(Seed {
        members: linked,
        ladder: sibling_ladder(scan, pi, &sig, &member),
        links: is_a,
    })
}

/// Selectors for `member` children of `pi`, simplest first: the member
/// alone when it has a class, then through its parent, its grandparent and
/// its nearest ancestor with an id.
pub(super) fn sibling_ladder(scan: &Scan<'_>, pi: usize, sig: &str, member: &str) -> Vec<String> {
    let parent = &scan.nodes[pi];
    let p = ancestor_part(&parent.el);
    let bare_parent = !p.contains('.') && !p.contains('#');
    let g = scan
        .parent(pi)
        .filter(|_| usable_id(&parent.el).is_none())
        .map(|g| ancestor_part(&scan.nodes[g].el));
    let a = scan
        .id_ancestor(pi)
        .filter(|_| usable_id(&parent.el).is_none())
        .map(|a| ancestor_part(&scan.nodes[a].el));
    let mut anchored = vec![];
    if let Some(a) = &a {
        anchored.push(format!("{a} {p} > {member}"));
    }
    if let Some(g) = &g {
        anchored.push(format!("{g} > {p} > {member}"));
        if let Some(a) = &a {
            anchored.push(format!("{a} {g} > {p} > {member}"));
        }
    }
    let mut ladder = vec![];
    if sig.contains('.') {
        ladder.push(member.to_string());
    }
    // `tbody > tr` alone would take any table the page adds later:
    // a bare parent is named through an ancestor first.
    if bare_parent {
        ladder.extend(anchored);
        ladder.push(format!("{p} > {member}"));
    } else {
        ladder.push(format!("{p} > {member}"));
        ladder.extend(anchored);
    }
    ladder
}

/// Characters a quoted attribute selector takes as they are.
pub(super) fn quotable(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-_.~%?=&".contains(c))
}

/// What a link's `href` says of its kind, as a substring a selector can
/// match: its path's directory without trailing number or date segments
/// (`/duyurular/` of `/duyurular/x-19-06-2026`, `/eskiler/` of
/// `/eskiler/2026/09/20260916-1.htm`), and for an address with a query
/// its page and first parameter (`nota_detalle.php?codigo=`, matched
/// ignoring case). Only same-site links, and only what the raw `href`
/// contains as written.
pub(super) fn href_patterns(href: &str, page: &url::Url) -> Vec<String> {
    let mut out = vec![];
    let Ok(abs) = page.join(href.trim()) else {
        return out;
    };
    if abs.host_str() != page.host_str() {
        return out;
    }
    let segments: Vec<&str> = abs.path().split('/').collect();
    let (file, dirs) = segments.split_last().unwrap_or((&"", &[]));
    let mut keep = dirs.len();
    while keep > 1
        && dirs[keep - 1]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '_')
    {
        keep -= 1;
    }
    let dir = format!("{}/", dirs[..keep].join("/"));
    if dir.len() > 1 && dir.len() <= 80 && quotable(&dir) && href.contains(&dir) {
        out.push(dir);
    }
    if let Some((key, _)) = abs.query_pairs().next() {
        let pat = format!("{file}?{key}=").to_ascii_lowercase();
        if !file.is_empty()
            && pat.len() <= 80
            && quotable(&pat)
            && href.to_ascii_lowercase().contains(&pat)
        {
            out.push(format!("{pat} i"));
        }
    }
    out
}

/// Links outside boilerplate that share a class, or a kind of address.
pub(super) fn link_seeds(scan: &Scan<'_>, url: &url::Url, opts: &SuggestOptions) -> Vec<Seed> {
    let mut by_class: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_href: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, n) in scan.nodes.iter().enumerate() {
        if !is_link(&n.el) || n.flags & BOILER != 0 {
            continue;
        }
        let c = compound(&n.el, true);
        if c.contains('.') {
            by_class.entry(c).or_default().push(i);
        }
        if let Some(h) = n.el.value().attr("href") {
            for p in href_patterns(h, url) {
                by_href.entry(p).or_default().push(i);
            }
        }
    }
    let mut seeds = vec![];
    let mut add = |member: String, members: Vec<usize>| {
        if members.len() < opts.min_count {
            return;
        }
        let mut ladder = vec![member.clone()];
        for scope in ["main", "article", "[role=main]"] {
            ladder.push(format!("{scope} {member}"));
        }
        if let Some(a) = scan.common_id_ancestor(&members) {
            ladder.push(format!("{} {member}", ancestor_part(&scan.nodes[a].el)));
        }
        seeds.push(Seed {
            members,
            ladder,
            links: true,
        });
    };
    for (c, m) in by_class {
        add(c, m);
    }
    for (p, m) in by_href {
        let member = match p.strip_suffix(" i") {
            Some(q) => format!("a[href*='{q}' i]"),
            None => format!("a[href*='{p}']"),
        };
        add(member, m);
    }
    seeds
}
