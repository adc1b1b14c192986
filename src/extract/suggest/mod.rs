//! Candidate item selectors for a page: the repeated structures on it
//! (`ul.list > li`, `table tbody tr`, `div.news-item`, `a.enlaces`), each
//! with the number of items and the first titles the project's own page
//! extraction gives with it, best first; the answer of "Preview" beside what
//! one fetch extracts (`POST /api/sources/preview`).
//!
//! Pure and synchronous: the document is parsed and dropped inside
//! [`suggest`] (`scraper::Html` is not `Send`); call it from
//! `spawn_blocking` in async code. Work is bounded on any input: at most
//! [`SuggestOptions::max_elements`] elements are scanned, at most
//! [`SuggestOptions::max_groups`] structures get a selector, and at most
//! [`SuggestOptions::max_verify`] are run through the extractor.
//!
//! How (docs/editing-sources.md says more):
//! 1. One pass over the document, top-down then bottom-up: each element's
//!    depth, whether it sits in navigation, a header, footer or aside (or a
//!    menu, breadcrumb, pagination container), whether in `main`/`article`,
//!    whether it holds a link.
//! 2. Seeds: children of one parent sharing tag and classes (3 or more with
//!    a link); links sharing a class; links sharing a path directory
//!    (`a[href*='/duyurular/']`).
//! 3. A selector for each seed, from the simplest up (`li.item`,
//!    `ul.list > li`, `#main ul.list > li`, …): the first that selects
//!    exactly the seed's elements, and nothing else, is kept.
//! 4. A score: more items, longer and distinct titles, links sharing one
//!    pattern, in the main content, not in navigation or boilerplate.
//! 5. The best are checked by running [`super::page::extract`] with the
//!    selector as `item` (and the suggested `item_title`/`item_link`): the
//!    count must match, and the titles shown are the extracted ones.

use super::page;
use crate::model::{Content, SourceKind};
use crate::rules::{CompiledRules, ExtractRules, Fields};
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Limits of one [`suggest_with`] call.
#[derive(Debug, Clone)]
pub struct SuggestOptions {
    /// Elements scanned, in document order; the rest of a huge page is not
    /// looked at (its items are still counted by the extractor).
    pub max_elements: usize,
    /// Fewest items a candidate has.
    pub min_count: usize,
    /// Candidates returned.
    pub max_candidates: usize,
    /// Seeds (repeated structures) given a selector, best first.
    pub max_groups: usize,
    /// Candidates run through the extractor.
    pub max_verify: usize,
    /// A structure repeated more often than this is not a listing to watch.
    pub max_items: usize,
    /// Deeper documents get no `:has(…)` or descendant selectors, and
    /// items nesting deeper than this are not extracted (the extractor
    /// recurses).
    pub max_depth: usize,
    /// Only this much of the page is parsed: the HTML parser's time grows
    /// with the square of the nesting depth, and every check parses again.
    pub max_bytes: usize,
    /// The page is cut where its tags (as counted before parsing) nest
    /// deeper than this.
    pub max_nesting: usize,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            max_elements: 20_000,
            min_count: 3,
            max_candidates: 5,
            max_groups: 40,
            max_verify: 8,
            max_items: 5_000,
            max_depth: 256,
            max_bytes: 2 << 20,
            max_nesting: 1_000,
        }
    }
}

/// One candidate: the rules a click on it puts in the form, and what they
/// extract from this page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// `item`: selects exactly the repeated elements.
    pub item: String,
    /// `item_title`, when the extractor's default (the first heading or
    /// link) would take another element than the item's main link.
    pub item_title: Option<String>,
    /// `item_link`, when the extractor's default (the first link) would
    /// take another link than the item's main one.
    pub item_link: Option<String>,
    /// Items the project's extractor gives with these rules on this page.
    pub count: usize,
    /// The first three titles, as extracted.
    pub titles: Vec<String>,
    /// Higher is better; only the order means something.
    pub score: f64,
}

/// What [`suggest`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Suggestions {
    /// Best first.
    pub candidates: Vec<Candidate>,
    /// `content`, when one main container is obvious (`main`, or the
    /// container with an id that holds the best candidate's items).
    pub content: Option<String>,
    /// Elements scanned.
    pub scanned: usize,
    /// Whether the page had more elements than were scanned.
    pub truncated: bool,
}

/// Candidate item selectors of an HTML page fetched from `url`, with the
/// default limits.
pub fn suggest(html: &str, url: &url::Url) -> Suggestions {
    suggest_with(html, url, &SuggestOptions::default())
}

/// Elements never taken as items: table cells (a row is the item), parts of
/// a page that are not content.
const NOT_ITEMS: &[&str] = &[
    "td", "th", "tbody", "thead", "tfoot", "option", "optgroup", "script", "style", "br", "hr",
    "img", "input", "meta", "link", "svg", "path", "source", "col", "colgroup", "head", "title",
    "noscript", "template", "iframe", "button", "select", "textarea", "label", "wbr",
];
/// Where navigation and boilerplate live.
/// (Not `form`: ASP.NET pages wrap everything in one.)
const BOILER_TAGS: &[&str] = &["nav", "header", "footer", "aside"];
const BOILER_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "menu",
    "menubar",
    "search",
];
/// Words of an id or class that mark a container as boilerplate.
const BOILER_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "menu",
    "menus",
    "header",
    "footer",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "pagination",
    "pager",
    "paging",
    "social",
    "share",
    "cookie",
    "cookies",
    "toolbar",
    "topbar",
    "skip",
    "language",
    "lang",
    "login",
    "masthead",
    "encabezado",
    "cabecera",
];
const CONTAINER_TAGS: &[&str] = &["div", "ul", "ol", "section", "table", "span", "p", "dl"];
/// Classes that say a state, not a kind of element.
const STATE_CLASSES: &[&str] = &[
    "active",
    "current",
    "selected",
    "first",
    "last",
    "odd",
    "even",
    "open",
    "hidden",
    "show",
    "clearfix",
    "is-active",
    "in",
    "collapsed",
    "visible",
    "disabled",
];

const BOILER: u8 = 1;
const MAIN: u8 = 2;

/// What the scan knows of one element.
struct Info<'a> {
    el: ElementRef<'a>,
    depth: usize,
    flags: u8,
    /// It is, or holds, an `a[href]`.
    has_link: bool,
    /// Levels of elements below it.
    below: usize,
}

/// A CSS identifier regwatch writes without escaping.
fn ident_ok(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = match chars.next() {
        Some(c) => c.is_ascii_alphabetic() || c == '_' || (c == '-' && !s.starts_with("--")),
        None => false,
    };
    first_ok
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && s.chars().filter(|c| c.is_ascii_digit()).count() < 3
        && !s.starts_with("css-")
        && !s.starts_with("sc-")
}

/// Layout utility classes (Bootstrap, Tailwind): they say where, not what.
fn utility_class(c: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "m-",
        "mb-",
        "mt-",
        "ml-",
        "mr-",
        "mx-",
        "my-",
        "ms-",
        "me-",
        "p-",
        "pb-",
        "pt-",
        "pl-",
        "pr-",
        "px-",
        "py-",
        "ps-",
        "pe-",
        "col-",
        "d-",
        "float-",
        "w-",
        "h-",
        "g-",
        "gap-",
        "order-",
        "offset-",
        "align-",
        "justify-",
        "flex-",
        "text-",
        "bg-",
        "border-",
        "rounded",
        "shadow",
        "position-",
        "overflow-",
    ];
    c == "col" || PREFIXES.iter().any(|p| c.starts_with(p))
}

/// The classes of an element that describe what it is, sorted.
fn kind_classes(el: &ElementRef<'_>) -> Vec<String> {
    let mut c: Vec<String> = el
        .value()
        .classes()
        .filter(|c| {
            ident_ok(c)
                && !utility_class(c)
                && !STATE_CLASSES.contains(&c.to_ascii_lowercase().as_str())
        })
        .map(str::to_string)
        .collect();
    c.sort();
    c.dedup();
    c
}

/// `tag.class1.class2`.
fn compound(el: &ElementRef<'_>, classes: bool) -> String {
    let mut s = el.value().name().to_string();
    if classes {
        for c in kind_classes(el) {
            s.push('.');
            s.push_str(&c);
        }
    }
    s
}

fn usable_id(el: &ElementRef<'_>) -> Option<String> {
    el.value()
        .id()
        .filter(|id| ident_ok(id))
        .map(|id| format!("#{id}"))
}

/// How a selector names an ancestor: its id, else its tag and classes.
fn ancestor_part(el: &ElementRef<'_>) -> String {
    usable_id(el).unwrap_or_else(|| compound(el, true))
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
}

fn own_flags(el: &ElementRef<'_>) -> u8 {
    let v = el.value();
    let name = v.name();
    let mut f = 0;
    if BOILER_TAGS.contains(&name) {
        f |= BOILER;
    }
    if let Some(role) = v.attr("role") {
        let role = role.trim().to_ascii_lowercase();
        if BOILER_ROLES.contains(&role.as_str()) {
            f |= BOILER;
        }
        if role == "main" {
            f |= MAIN;
        }
    }
    if CONTAINER_TAGS.contains(&name) {
        let named = format!("{} {}", v.id().unwrap_or(""), v.attr("class").unwrap_or(""));
        if words(&named).any(|w| BOILER_WORDS.contains(&w.as_str())) {
            f |= BOILER;
        }
    }
    if name == "main" || name == "article" {
        f |= MAIN;
    }
    if let Some(id) = v.id() {
        let id = id.to_ascii_lowercase();
        if ["content", "main", "main-content", "maincontent", "primary"].contains(&id.as_str()) {
            f |= MAIN;
        }
    }
    f
}

fn is_link(el: &ElementRef<'_>) -> bool {
    el.value().name() == "a"
        && el.value().attr("href").is_some_and(|h| {
            let h = h.trim();
            !h.is_empty()
                && !h.starts_with('#')
                && !h.to_ascii_lowercase().starts_with("javascript:")
        })
}

/// A text's first `max` characters, whitespace collapsed.
fn short_text(el: &ElementRef<'_>, max: usize) -> String {
    let mut out = String::new();
    let mut space = false;
    for t in el.text() {
        for c in t.chars() {
            if c.is_whitespace() {
                space = !out.is_empty();
                continue;
            }
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
            if out.chars().count() >= max {
                return out;
            }
        }
    }
    out
}

/// The scanned document.
struct Scan<'a> {
    nodes: Vec<Info<'a>>,
    index: HashMap<NodeId, usize>,
    truncated: bool,
    max_depth: usize,
}

fn scan<'a>(doc: &'a Html, max: usize) -> Scan<'a> {
    let mut nodes: Vec<Info<'a>> = vec![];
    let mut index = HashMap::new();
    let mut truncated = false;
    let mut max_depth = 0;
    for node in doc.root_element().descendants() {
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        if nodes.len() >= max {
            truncated = true;
            break;
        }
        let parent = node.parent().and_then(|p| index.get(&p.id()).copied());
        let (depth, inherited) = match parent {
            Some(p) => {
                let p: &Info<'_> = &nodes[p];
                (p.depth + 1, p.flags)
            }
            None => (0, 0),
        };
        max_depth = max_depth.max(depth);
        index.insert(node.id(), nodes.len());
        nodes.push(Info {
            el,
            depth,
            flags: inherited | own_flags(&el),
            has_link: is_link(&el),
            below: 0,
        });
    }
    // Bottom-up: children come after their parent in document order.
    for i in (0..nodes.len()).rev() {
        let (has_link, below) = (nodes[i].has_link, nodes[i].below);
        if let Some(p) = nodes[i]
            .el
            .parent()
            .and_then(|p| index.get(&p.id()).copied())
        {
            nodes[p].has_link |= has_link;
            nodes[p].below = nodes[p].below.max(below + 1);
        }
    }
    Scan {
        nodes,
        index,
        truncated,
        max_depth,
    }
}

/// A set of elements found repeated, and how to name them.
struct Seed {
    /// Scan indexes, in document order.
    members: Vec<usize>,
    /// Selectors to try, simplest first.
    ladder: Vec<String>,
    /// The members are links themselves (a link family), not containers.
    links: bool,
}

impl Scan<'_> {
    fn parent(&self, i: usize) -> Option<usize> {
        self.nodes[i]
            .el
            .parent()
            .and_then(|p| self.index.get(&p.id()).copied())
    }

    /// The nearest ancestor (from `i`'s parent up) with a usable id.
    fn id_ancestor(&self, i: usize) -> Option<usize> {
        let mut cur = self.parent(i);
        let mut steps = 0;
        while let Some(c) = cur {
            if usable_id(&self.nodes[c].el).is_some() {
                return Some(c);
            }
            steps += 1;
            if steps > 64 {
                return None;
            }
            cur = self.parent(c);
        }
        None
    }

    /// The nearest ancestor with a usable id (not `body` or `html`) that
    /// holds every member: among the first member's eight nearest such
    /// ancestors, the deepest that each member has within 128 levels.
    fn common_id_ancestor(&self, members: &[usize]) -> Option<usize> {
        let first = *members.first()?;
        let mut chain: Vec<usize> = vec![];
        let mut cur = self.id_ancestor(first);
        while let Some(a) = cur {
            let name = self.nodes[a].el.value().name();
            if chain.len() >= 8 || name == "body" || name == "html" {
                break;
            }
            chain.push(a);
            cur = self.id_ancestor(a);
        }
        let ids: HashMap<NodeId, usize> = chain
            .iter()
            .enumerate()
            .map(|(depth, a)| (self.nodes[*a].el.id(), depth))
            .collect();
        // The deepest chain element each member has; the common one is the
        // shallowest of those.
        let mut common = 0;
        for m in members {
            let nearest = self.nodes[*m]
                .el
                .ancestors()
                .take(128)
                .find_map(|x| ids.get(&x.id()).copied())?;
            common = common.max(nearest);
        }
        chain.get(common).copied()
    }

    /// Elements among the scanned ones that `sel` matches.
    fn matching(&self, sel: &Selector) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| sel.matches(&self.nodes[*i].el))
            .collect()
    }
}

/// Children of one parent that share tag and classes, or tag and the
/// classes common to all of them (`li` and `li.active`; `div.views-row
/// views-row-1`, `div.views-row views-row-2`), with a link in at least
/// `min_count` of them.
fn sibling_seeds(scan: &Scan<'_>, opts: &SuggestOptions, deep: bool) -> Vec<Seed> {
    let mut seeds = vec![];
    for (pi, parent) in scan.nodes.iter().enumerate() {
        let mut by_sig: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by_tag: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for child in parent.el.children() {
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
            continue;
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
                let mut common: Option<Vec<String>> = None;
                for i in &m {
                    let c = kind_classes(&scan.nodes[*i].el);
                    common = Some(match common {
                        None => c,
                        Some(prev) => prev.into_iter().filter(|x| c.contains(x)).collect(),
                    });
                }
                let sig = std::iter::once(tag)
                    .chain(common.unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(".");
                groups.push((sig, m));
            }
        }
        for (sig, all) in groups {
            let linked: Vec<usize> = all
                .iter()
                .copied()
                .filter(|i| scan.nodes[*i].has_link)
                .collect();
            if linked.len() < opts.min_count || linked.len() * 2 < all.len() {
                continue;
            }
            let is_a = sig == "a" || sig.starts_with("a.");
            let filter = if linked.len() == all.len() {
                ""
            } else if is_a {
                "[href]"
            } else if deep {
                continue;
            } else {
                ":has(a[href])"
            };
            let member = format!("{sig}{filter}");
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
                ladder.push(member.clone());
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
            seeds.push(Seed {
                members: linked,
                ladder,
                links: is_a,
            });
        }
    }
    seeds
}

/// Characters a quoted attribute selector takes as they are.
fn quotable(s: &str) -> bool {
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
fn href_patterns(href: &str, page: &url::Url) -> Vec<String> {
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
fn link_seeds(scan: &Scan<'_>, url: &url::Url, opts: &SuggestOptions) -> Vec<Seed> {
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

/// The member's main link: the `a[href]` with the longest text.
fn main_link<'a>(el: ElementRef<'a>) -> Option<ElementRef<'a>> {
    if is_link(&el) {
        return Some(el);
    }
    static ANCHOR: std::sync::LazyLock<Selector> =
        std::sync::LazyLock::new(|| Selector::parse("a[href]").unwrap_or_else(|_| unreachable!()));
    el.select(&ANCHOR)
        .filter(is_link)
        .take(20)
        .max_by_key(|a| short_text(a, 200).chars().count())
}

static HEADING_OR_LINK: std::sync::LazyLock<Selector> = std::sync::LazyLock::new(|| {
    Selector::parse("h1, h2, h3, h4, h5, h6, a").unwrap_or_else(|_| unreachable!())
});
static HEADING: std::sync::LazyLock<Selector> = std::sync::LazyLock::new(|| {
    Selector::parse("h1, h2, h3, h4, h5, h6").unwrap_or_else(|_| unreachable!())
});

/// A selector relative to each member that finds `targets[i]` in member
/// `i`, first, for every member; `None` when none is found.
fn relative_selector(members: &[ElementRef<'_>], targets: &[ElementRef<'_>]) -> Option<String> {
    let t0 = targets.first()?;
    let mut tries: Vec<String> = vec![compound(t0, true), compound(t0, false)];
    if let Some(p) = t0.parent().and_then(ElementRef::wrap) {
        if p.id() != members[0].id() {
            tries.push(format!("{} {}", compound(&p, true), compound(t0, true)));
            tries.push(format!("{} {}", compound(&p, true), compound(t0, false)));
        }
    }
    tries.dedup();
    tries.into_iter().find(|t| {
        let Ok(sel) = Selector::parse(t) else {
            return false;
        };
        members.iter().zip(targets).all(|(m, target)| {
            let first = if sel.matches(m) {
                Some(*m)
            } else {
                m.select(&sel).next()
            };
            first.map(|f| f.id()) == Some(target.id())
        })
    })
}

/// `item_title` and `item_link` for members whose main link the
/// extractor's defaults would not take.
fn title_and_link(members: &[ElementRef<'_>]) -> (Option<String>, Option<String>) {
    let links: Option<Vec<ElementRef<'_>>> = members.iter().map(|m| main_link(*m)).collect();
    let Some(links) = links else {
        return (None, None);
    };
    // The title element: a heading inside the link, else the link.
    let titles: Vec<ElementRef<'_>> = links
        .iter()
        .map(|a| a.select(&HEADING).next().unwrap_or(*a))
        .collect();
    static ANCHOR: std::sync::LazyLock<Selector> =
        std::sync::LazyLock::new(|| Selector::parse("a[href]").unwrap_or_else(|_| unreachable!()));
    let default_title_ok = members.iter().zip(&titles).all(|(m, t)| {
        m.select(&HEADING_OR_LINK).next().map(|x| x.id()) == Some(t.id()) || m.id() == t.id()
    });
    let default_link_ok = members
        .iter()
        .zip(&links)
        .all(|(m, a)| m.id() == a.id() || m.select(&ANCHOR).next().map(|x| x.id()) == Some(a.id()));
    let title = (!default_title_ok)
        .then(|| relative_selector(members, &titles))
        .flatten();
    let link = (!default_link_ok)
        .then(|| relative_selector(members, &links))
        .flatten();
    (title, link)
}

/// A seed with the selector that selects exactly it, and its score.
struct Found {
    item: String,
    members: Vec<usize>,
    score: f64,
    links: HashSet<String>,
}

fn score(
    scan: &Scan<'_>,
    members: &[usize],
    url: &url::Url,
    link_family: bool,
) -> (f64, HashSet<String>) {
    let n = members.len();
    let mut title_chars = 0usize;
    let mut titles = HashSet::new();
    let mut links = HashSet::new();
    let mut dirs: HashMap<String, usize> = HashMap::new();
    let mut boiler = 0usize;
    let mut main = 0usize;
    let mut numeric = 0usize;
    for &m in members {
        let info = &scan.nodes[m];
        if info.flags & BOILER != 0 {
            boiler += 1;
        }
        if info.flags & MAIN != 0 {
            main += 1;
        }
        let Some(a) = main_link(info.el) else {
            continue;
        };
        let t = short_text(&a, 200);
        if !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_digit() || "<>«»‹›.…-| ".contains(c))
        {
            numeric += 1;
        }
        title_chars += t.chars().count().min(120);
        titles.insert(t);
        if let Some(h) = a.value().attr("href") {
            if let Ok(abs) = url.join(h.trim()) {
                let p = abs.path();
                let dir = p[..p.rfind('/').unwrap_or(0) + 1].to_string();
                *dirs
                    .entry(format!("{}{dir}", abs.host_str().unwrap_or("")))
                    .or_default() += 1;
                links.insert(abs.to_string());
            }
        }
    }
    if boiler * 2 > n {
        // Navigation, a header's or footer's links: never the listing.
        return (0.0, links);
    }
    let nf = n as f64;
    let mean_title = title_chars as f64 / nf;
    let distinct = titles.len() as f64 / nf;
    let coherence = dirs.values().max().copied().unwrap_or(0) as f64 / nf;
    let mut s = (1.0 + nf).ln()
        * (mean_title / 40.0).clamp(0.05, 1.5)
        * distinct
        * (1.0 - 0.85 * boiler as f64 / nf)
        * (0.6 + 0.4 * coherence)
        * (1.0 - 0.9 * numeric as f64 / nf);
    if main * 2 > n {
        s *= 1.3;
    }
    if link_family {
        // A container carries the item's text as well as its link.
        s *= 0.9;
    }
    (s, links)
}

/// Run the project's page extraction with these rules.
fn extract_with(
    html: &str,
    url: &url::Url,
    content: Option<&str>,
    item: &str,
    title: Option<&str>,
    link: Option<&str>,
) -> Option<Vec<crate::model::Item>> {
    let rules = ExtractRules {
        content: content.map(str::to_string),
        item: Some(item.to_string()),
        item_title: title.map(Fields::from),
        item_link: link.map(str::to_string),
        ..ExtractRules::default()
    };
    let compiled = CompiledRules::compile(SourceKind::Page, &rules).ok()?;
    match page::extract(html, &compiled.page, url) {
        Ok(Content::Items { items }) => Some(items),
        _ => None,
    }
}

/// Elements that never nest in a parsed document: void ones, and those the
/// parser closes when the next one opens (`<li>`, `<p>`, `<td>` …).
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "!doctype",
];

/// The part of `html` that is parsed: at most `max_bytes`, at most
/// `max_elements` opening tags, and no deeper than `max_nesting` (counted
/// on the raw tags, before parsing), cut before a `<`. True when cut.
fn bounded_prefix<'h>(html: &'h str, opts: &SuggestOptions) -> (&'h str, bool) {
    let bytes = html.as_bytes();
    let limit = bytes.len().min(opts.max_bytes);
    let (mut at, mut tags, mut depth) = (0usize, 0usize, 0usize);
    let skip_to = |from: usize, end: &[u8]| -> usize {
        bytes[from..]
            .windows(end.len())
            .position(|w| w.eq_ignore_ascii_case(end))
            .map(|p| from + p + end.len())
            .unwrap_or(bytes.len())
    };
    while at < bytes.len() {
        let Some(p) = bytes[at..].iter().position(|b| *b == b'<') else {
            break;
        };
        let lt = at + p;
        if lt >= limit {
            return cut_at(html, lt);
        }
        let rest = &bytes[lt + 1..];
        if rest.starts_with(b"!--") {
            at = skip_to(lt + 4, b"-->");
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'!')
            .count();
        if name_len == 0 {
            at = lt + 1;
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let end = bytes[name_start..]
            .iter()
            .position(|b| *b == b'>')
            .map(|e| name_start + e + 1)
            .unwrap_or(bytes.len());
        let self_closing = end >= 2 && bytes[end - 2] == b'/';
        let nests = !FLAT.contains(&name.as_str()) && !self_closing;
        if closing {
            if nests {
                depth = depth.saturating_sub(1);
            }
        } else {
            tags += 1;
            if tags > opts.max_elements.max(1) {
                return cut_at(html, lt);
            }
            if nests {
                depth += 1;
                if depth > opts.max_nesting {
                    return cut_at(html, lt);
                }
            }
        }
        at = if !closing && (name == "script" || name == "style") {
            skip_to(end, format!("</{name}").as_bytes())
        } else {
            end
        };
    }
    (html, false)
}

fn cut_at(html: &str, at: usize) -> (&str, bool) {
    // `<` is ASCII: a char boundary.
    (&html[..at], true)
}

/// Candidate item selectors of an HTML page fetched from `url`.
pub fn suggest_with(html: &str, url: &url::Url, opts: &SuggestOptions) -> Suggestions {
    let (html, cut) = bounded_prefix(html, opts);
    let doc = Html::parse_document(html);
    let mut scan = scan(&doc, opts.max_elements.max(1));
    scan.truncated |= cut;
    let deep = scan.max_depth > opts.max_depth;
    let mut seeds = sibling_seeds(&scan, opts, deep);
    seeds.extend(link_seeds(&scan, url, opts));
    seeds.retain(|s| s.members.len() <= opts.max_items);
    // The most promising seeds get a selector (each try is a pass over
    // the scanned elements).
    let mut ranked: Vec<(f64, Seed)> = seeds
        .into_iter()
        .map(|s| (score(&scan, &s.members, url, s.links).0, s))
        .filter(|(sc, _)| *sc > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.truncate(opts.max_groups);
    let mut found: Vec<Found> = vec![];
    let mut tried: HashSet<String> = HashSet::new();
    for (_, seed) in ranked {
        for sel_text in &seed.ladder {
            // On a deep document, matching `:has(…)` or a descendant
            // combinator costs a walk of the subtree or of the ancestors
            // for every element: only child combinators are tried.
            if deep
                && (sel_text.contains(":has(")
                    || sel_text
                        .replace(" > ", ">")
                        .replace("' i]", "']")
                        .contains(' '))
            {
                continue;
            }
            if !tried.insert(sel_text.clone()) {
                continue;
            }
            let Ok(sel) = Selector::parse(sel_text) else {
                continue;
            };
            if scan.matching(&sel) == seed.members {
                let (score, links) = score(&scan, &seed.members, url, seed.links);
                found.push(Found {
                    item: sel_text.clone(),
                    members: seed.members.clone(),
                    score,
                    links,
                });
                break;
            }
        }
    }
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.item.len().cmp(&b.item.len()))
    });
    // The same items by two selectors (`ul.list > li` and the links in
    // them): the better one stays.
    // And a part of each item of a better candidate (the PDF links inside
    // each row) is not a listing of its own.
    let mut kept: Vec<Found> = vec![];
    let mut inside: HashSet<NodeId> = HashSet::new();
    for f in found {
        let dup = kept
            .iter()
            .any(|k| k.members == f.members || (!f.links.is_empty() && k.links == f.links));
        let part = f.members.iter().all(|m| {
            scan.nodes[*m]
                .el
                .ancestors()
                .take(64)
                .any(|a| inside.contains(&a.id()))
        });
        if !dup && !part {
            inside.extend(f.members.iter().map(|m| scan.nodes[*m].el.id()));
            kept.push(f);
        }
    }
    let mut candidates = vec![];
    let mut best_members: Option<Vec<usize>> = None;
    for f in kept.into_iter().take(opts.max_verify) {
        if candidates.len() >= opts.max_candidates {
            break;
        }
        if f.members
            .iter()
            .any(|m| scan.nodes[*m].below > opts.max_depth)
        {
            continue;
        }
        let els: Vec<ElementRef<'_>> = f.members.iter().map(|m| scan.nodes[*m].el).collect();
        let (title, link) = title_and_link(&els);
        let Some(items) = extract_with(html, url, None, &f.item, title.as_deref(), link.as_deref())
        else {
            continue;
        };
        let ok = if scan.truncated {
            items.len() >= f.members.len()
        } else {
            items.len() == f.members.len()
        };
        if !ok {
            continue;
        }
        if best_members.is_none() {
            best_members = Some(f.members.clone());
        }
        candidates.push(Candidate {
            item: f.item,
            item_title: title,
            item_link: link,
            count: items.len(),
            titles: items.iter().take(3).map(|i| i.title.clone()).collect(),
            score: (f.score * 1000.0).round() / 1000.0,
        });
    }
    let content = suggest_content(
        &doc,
        &scan,
        html,
        url,
        best_members.as_deref(),
        candidates.first(),
    );
    Suggestions {
        candidates,
        content,
        scanned: scan.nodes.len(),
        truncated: scan.truncated,
    }
}

/// `content`: the one `main` (or `[role=main]`) of the page, else the
/// container with an id that holds the best candidate's items; checked to
/// keep the best candidate's items.
fn suggest_content(
    doc: &Html,
    scan: &Scan<'_>,
    html: &str,
    url: &url::Url,
    members: Option<&[usize]>,
    best: Option<&Candidate>,
) -> Option<String> {
    let unique = |s: &str| -> Option<ElementRef<'_>> {
        let sel = Selector::parse(s).ok()?;
        let mut it = doc.select(&sel);
        let first = it.next()?;
        it.next().is_none().then_some(first)
    };
    let holds = |c: &ElementRef<'_>, members: &[usize]| {
        members.iter().all(|m| {
            scan.nodes[*m]
                .el
                .ancestors()
                .take(256)
                .any(|a| a.id() == c.id())
        })
    };
    let mut tries: Vec<String> = vec![];
    for s in ["main", "[role=main]"] {
        if let Some(c) = unique(s) {
            if members.is_none_or(|m| holds(&c, m)) {
                tries.push(s.to_string());
            }
        }
    }
    match members {
        Some(m) => {
            if let Some(a) = scan.common_id_ancestor(m) {
                tries.push(ancestor_part(&scan.nodes[a].el));
            }
        }
        None => {
            for s in ["article", "#content", "#main", "#main-content"] {
                if unique(s).is_some() {
                    tries.push(s.to_string());
                }
            }
        }
    }
    let check = |c: &str| match best {
        Some(b) => extract_with(
            html,
            url,
            Some(c),
            &b.item,
            b.item_title.as_deref(),
            b.item_link.as_deref(),
        )
        .is_some_and(|items| items.len() == b.count),
        None => true,
    };
    tries.into_iter().find(|c| check(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> url::Url {
        url::Url::parse("https://www.example.gov/duyurular").unwrap()
    }

    #[test]
    fn a_plain_list_in_main_beats_the_menu() {
        let html = r#"<html><body>
          <nav><ul><li><a href="/">Home</a></li><li><a href="/a">About</a></li><li><a href="/c">Contact</a></li></ul></nav>
          <main><ul class="duyurular">
            <li><a href="/duyurular/bir">Birinci duyuru metni burada yer alır</a> <span>19.06.2026</span></li>
            <li class="active"><a href="/duyurular/iki">İkinci duyuru metni burada yer alır</a> <span>18.06.2026</span></li>
            <li><a href="/duyurular/uc">Üçüncü duyuru metni burada yer alır</a> <span>17.06.2026</span></li>
          </ul></main></body></html>"#;
        let s = suggest(html, &url());
        let best = &s.candidates[0];
        assert_eq!(best.item, "ul.duyurular > li");
        assert_eq!(best.count, 3);
        assert_eq!(best.titles[0], "Birinci duyuru metni burada yer alır");
        assert_eq!(best.item_title, None);
        assert_eq!(s.content.as_deref(), Some("main"));
        assert!(s
            .candidates
            .iter()
            .all(|c| !c.titles.contains(&"Home".to_string())));
    }

    #[test]
    fn rows_whose_first_link_is_not_the_main_one_get_title_and_link() {
        let rows: String = (1..=4)
            .map(|i| format!(r#"<tr><td><a href="/img?{i}"><img src="x.png"></a></td><td><a class="enlace" href="/nota?codigo={i}">Decreto número {i} por el que se reforma el reglamento</a></td></tr>"#))
            .collect();
        let html = format!(
            r#"<html><body><div id="content"><table class="notas"><tr><th>x</th></tr>{rows}</table></div></body></html>"#
        );
        let s = suggest(&html, &url());
        let best = &s.candidates[0];
        assert_eq!(best.count, 4, "{s:?}");
        assert!(best.titles[0].starts_with("Decreto número 1"), "{s:?}");
        if best.item.starts_with("a.") {
            assert_eq!(best.item_title, None);
        } else {
            assert_eq!(best.item_link.as_deref(), Some("a.enlace"), "{s:?}");
        }
    }

    #[test]
    fn nothing_repeated_is_no_candidate() {
        let s = suggest(
            "<html><body><p>Only text, <a href='/x'>one link</a>.</p></body></html>",
            &url(),
        );
        assert!(s.candidates.is_empty());
    }

    #[test]
    fn identifiers_that_look_generated_are_not_used() {
        assert!(ident_ok("news-item"));
        assert!(!ident_ok("css-1x2y3z"));
        assert!(!ident_ok("ctl00_ContentPlaceHolder1_123"));
        assert!(!ident_ok("9lives"));
        assert!(!ident_ok("a b"));
    }
}

#[cfg(test)]
mod hostile {
    use super::*;

    fn url() -> url::Url {
        url::Url::parse("https://x.example/").unwrap()
    }

    #[test]
    fn deep_nesting_is_cut_before_parsing() {
        let depth = 100_000;
        let html = format!(
            "<html><body>{}<ul>{}</ul>{}</body></html>",
            "<div>".repeat(depth),
            "<li><a href='/a/1'>one title here</a></li>".repeat(5),
            "</div>".repeat(depth)
        );
        let s = suggest(&html, &url());
        assert!(s.truncated);
        assert!(
            s.scanned <= SuggestOptions::default().max_nesting + 10,
            "{}",
            s.scanned
        );
        assert!(s.candidates.is_empty());
    }

    #[test]
    fn deep_items_get_no_has_or_descendant_selectors() {
        // 300 levels (over max_depth, under max_nesting), then a list.
        let html = format!(
            "<html><body>{}<ul class='x'>{}<li>no link</li></ul>{}</body></html>",
            "<div>".repeat(300),
            (0..4)
                .map(|i| format!("<li><a href='/a/{i}'>title number {i} of the list</a></li>"))
                .collect::<String>(),
            "</div>".repeat(300)
        );
        let s = suggest(&html, &url());
        assert!(!s.truncated);
        assert!(!s.candidates.is_empty());
        for c in &s.candidates {
            assert!(!c.item.contains(":has("), "{}", c.item);
        }
    }

    #[test]
    fn a_hundred_thousand_siblings_are_cut_and_counted_no_further() {
        let items: String = (0..100_000)
            .map(|i| format!("<li><a href='/n/{i}'>Notice number {i} of the day</a></li>"))
            .collect();
        let html = format!("<html><body><main><ul class='news'>{items}</ul></main></body></html>");
        let opts = SuggestOptions::default();
        let s = suggest(&html, &url());
        assert!(s.truncated);
        assert!(s.scanned <= opts.max_elements);
        assert!(s.candidates.len() <= opts.max_candidates);
        // Beyond max_items a structure is no listing to watch.
        assert!(s.candidates.iter().all(|c| c.count <= opts.max_items));
    }

    #[test]
    fn a_long_listing_is_counted_whole() {
        let items: String = (0..2_000)
            .map(|i| format!("<li><a href='/n/{i}'>Notice number {i} of the day</a></li>"))
            .collect();
        let html = format!("<html><body><main><ul class='news'>{items}</ul></main></body></html>");
        let s = suggest(&html, &url());
        assert!(!s.truncated);
        assert_eq!(s.candidates[0].item, "ul.news > li");
        assert_eq!(s.candidates[0].count, 2_000);
    }

    #[test]
    fn the_prefix_counts_raw_tags() {
        let opts = SuggestOptions {
            max_nesting: 3,
            ..SuggestOptions::default()
        };
        // Void, self-closing and auto-closed tags, comments and scripts do
        // not nest.
        let ok = "<div><p>a<p>b<br><img src=x><li>c<!-- <div><div><div> --><script>'<div><div><div>'</script><x/></div>";
        assert_eq!(bounded_prefix(ok, &opts), (ok, false));
        let (cut, was) = bounded_prefix("<div><div><div><div>deep</div></div></div></div>", &opts);
        assert!(was);
        assert_eq!(cut, "<div><div><div>");
    }
}
