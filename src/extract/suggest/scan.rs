//! One pass over the document: what each element is, where it sits.

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use std::collections::HashMap;

/// Elements never taken as items: table cells (a row is the item), parts of
/// a page that are not content.
pub(super) const NOT_ITEMS: &[&str] = &[
    "td", "th", "tbody", "thead", "tfoot", "option", "optgroup", "script", "style", "br", "hr",
    "img", "input", "meta", "link", "svg", "path", "source", "col", "colgroup", "head", "title",
    "noscript", "template", "iframe", "button", "select", "textarea", "label", "wbr",
];
/// Where navigation and boilerplate live.
/// (Not `form`: ASP.NET pages wrap everything in one.)
pub(super) const BOILER_TAGS: &[&str] = &["nav", "header", "footer", "aside"];
pub(super) const BOILER_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "menu",
    "menubar",
    "search",
];
/// Words of an id or class that mark a container as boilerplate.
pub(super) const BOILER_WORDS: &[&str] = &[
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
pub(super) const CONTAINER_TAGS: &[&str] =
    &["div", "ul", "ol", "section", "table", "span", "p", "dl"];
/// Classes that say a state, not a kind of element.
pub(super) const STATE_CLASSES: &[&str] = &[
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

pub(super) const BOILER: u8 = 1;
pub(super) const MAIN: u8 = 2;

/// What the scan knows of one element.
pub(super) struct Info<'a> {
    pub(super) el: ElementRef<'a>,
    pub(super) depth: usize,
    pub(super) flags: u8,
    /// It is, or holds, an `a[href]`.
    pub(super) has_link: bool,
    /// Levels of elements below it.
    pub(super) below: usize,
}

/// A CSS identifier regwatch writes without escaping.
pub(super) fn ident_ok(s: &str) -> bool {
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
pub(super) fn utility_class(c: &str) -> bool {
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
pub(super) fn kind_classes(el: &ElementRef<'_>) -> Vec<String> {
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
pub(super) fn compound(el: &ElementRef<'_>, classes: bool) -> String {
    let mut s = el.value().name().to_string();
    if classes {
        for c in kind_classes(el) {
            s.push('.');
            s.push_str(&c);
        }
    }
    s
}

pub(super) fn usable_id(el: &ElementRef<'_>) -> Option<String> {
    el.value()
        .id()
        .filter(|id| ident_ok(id))
        .map(|id| format!("#{id}"))
}

/// How a selector names an ancestor: its id, else its tag and classes.
pub(super) fn ancestor_part(el: &ElementRef<'_>) -> String {
    usable_id(el).unwrap_or_else(|| compound(el, true))
}

pub(super) fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
}

pub(super) fn own_flags(el: &ElementRef<'_>) -> u8 {
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

pub(super) fn is_link(el: &ElementRef<'_>) -> bool {
    el.value().name() == "a"
        && el.value().attr("href").is_some_and(|h| {
            let h = h.trim();
            !h.is_empty()
                && !h.starts_with('#')
                && !h.to_ascii_lowercase().starts_with("javascript:")
        })
}

/// A text's first `max` characters, whitespace collapsed.
pub(super) fn short_text(el: &ElementRef<'_>, max: usize) -> String {
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
pub(super) struct Scan<'a> {
    pub(super) nodes: Vec<Info<'a>>,
    pub(super) index: HashMap<NodeId, usize>,
    pub(super) truncated: bool,
    pub(super) max_depth: usize,
}

pub(super) fn scan<'a>(doc: &'a Html, max: usize) -> Scan<'a> {
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

impl Scan<'_> {
    pub(super) fn parent(&self, i: usize) -> Option<usize> {
        self.nodes[i]
            .el
            .parent()
            .and_then(|p| self.index.get(&p.id()).copied())
    }

    /// The nearest ancestor (from `i`'s parent up) with a usable id.
    pub(super) fn id_ancestor(&self, i: usize) -> Option<usize> {
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
    pub(super) fn common_id_ancestor(&self, members: &[usize]) -> Option<usize> {
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
    pub(super) fn matching(&self, sel: &Selector) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| sel.matches(&self.nodes[*i].el))
            .collect()
    }
}
