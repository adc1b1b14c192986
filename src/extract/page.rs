//! HTML pages with CSS selectors (scraper): `content`, `exclude`, `item`,
//! `item_title`, `item_link`, `item_text`; links made absolute.

use super::ExtractError;
use crate::model::{Content, Item};
use crate::normalize::{item_key, normalize_inline, normalize_text, strip_title};
use crate::rules::{Css, PageRules};
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;

/// A selector of the extractor itself (not a user's), parsed once.
fn fixed(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|_| unreachable!("the fixed selector `{s}` parses"))
}
static BASE: LazyLock<Selector> = LazyLock::new(|| fixed("base[href]"));
static BODY: LazyLock<Selector> = LazyLock::new(|| fixed("body"));
static HEADING: LazyLock<Selector> = LazyLock::new(|| fixed("h1, h2, h3, h4, h5, h6, a"));
static ANCHOR: LazyLock<Selector> = LazyLock::new(|| fixed("a[href]"));
/// Where a followed page's main text is looked for, in order.
static MAIN: LazyLock<[Selector; 4]> =
    LazyLock::new(|| ["main", "article", "#content", "body"].map(fixed));

pub use super::html::absolute;
use super::html::{BLOCK, SKIP};

/// The visible text of an element, skipping excluded subtrees, with line
/// breaks at block elements.
/// Rendered as a browser does: whitespace in text nodes collapses to one
/// space (newlines and tabs of the markup included; kept inside `<pre>`),
/// so reflowed markup gives the same text.
pub fn element_text(el: ElementRef<'_>, excluded: &HashSet<NodeId>) -> String {
    let mut out = String::new();
    let pre = el.value().name() == "pre" || el.ancestors().any(|a| is_pre(&a));
    walk(el, excluded, pre, &mut out);
    normalize_text(&out)
}

fn is_pre(n: &ego_tree::NodeRef<'_, Node>) -> bool {
    matches!(n.value(), Node::Element(e) if e.name() == "pre")
}

fn walk(el: ElementRef<'_>, excluded: &HashSet<NodeId>, pre: bool, out: &mut String) {
    for child in el.children() {
        if excluded.contains(&child.id()) {
            continue;
        }
        match child.value() {
            Node::Text(t) if pre => out.push_str(t),
            Node::Text(t) => crate::normalize::collapse_spaces(t, out),
            Node::Element(e) => {
                let name = e.name();
                if SKIP.contains(&name) {
                    continue;
                }
                let block = BLOCK.contains(&name);
                if block {
                    out.push('\n');
                }
                if let Some(c) = ElementRef::wrap(child) {
                    walk(c, excluded, pre || name == "pre", out);
                }
                if block {
                    out.push('\n');
                } else if name == "td" || name == "th" {
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
}

/// The base URL of a document: its `<base href>` resolved against the URL.
fn base_url(doc: &Html, url: &url::Url) -> url::Url {
    doc.select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| url.join(h.trim()).ok())
        .unwrap_or_else(|| url.clone())
}

fn excluded_ids(doc: &Html, rules: &PageRules) -> HashSet<NodeId> {
    let mut ids = HashSet::new();
    for s in &rules.exclude {
        for el in doc.select(&s.selector) {
            ids.insert(el.id());
        }
    }
    ids
}

fn is_excluded(el: ElementRef<'_>, excluded: &HashSet<NodeId>) -> bool {
    excluded.contains(&el.id()) || el.ancestors().any(|a| excluded.contains(&a.id()))
}

/// Extract a page: in one streaming pass when the source's selectors allow
/// it ([`stream_plan`]) and the document does not need the DOM, else on the
/// DOM. Both give the same answer (tests/stream_equivalence.rs).
pub fn extract(html: &str, rules: &PageRules, url: &url::Url) -> Result<Content, ExtractError> {
    if let Some(plan) = stream_plan(rules).filter(|_| *STREAM_ON) {
        match super::stream::extract(html, plan, url) {
            Ok(answer) => {
                STREAMED.fetch_add(1, Ordering::Relaxed);
                return answer;
            }
            Err(_) => {
                FELL_BACK.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    extract_dom(html, rules, url)
}

/// The streaming plan of a page source's selectors, `None` when one of them
/// needs the DOM (`:has()`, sibling or positional pseudo-classes). Compiled
/// from the selectors as written on the first call for a rule set, then
/// kept in the rules' slot for it and its clones.
pub fn stream_plan(rules: &PageRules) -> Option<&super::stream::Plan> {
    rules
        .derived
        .get_or_init(|| {
            fn text(c: &Option<Css>) -> Option<&str> {
                c.as_ref().map(|c| c.text.as_str())
            }
            super::stream::Plan::compile(&super::stream::Selectors {
                content: text(&rules.content),
                exclude: rules.exclude.iter().map(|c| c.text.as_str()).collect(),
                item: text(&rules.item),
                item_title: text(&rules.item_title),
                item_link: text(&rules.item_link),
                item_text: text(&rules.item_text),
            })
        })
        .and_then(Option::as_ref)
}

/// A copy of `rules` that always takes the DOM path (to compare the two
/// paths); `rules` itself keeps its plan.
pub fn dom_only(rules: &PageRules) -> PageRules {
    let copy = PageRules {
        derived: crate::rules::Derived::default(),
        ..rules.clone()
    };
    copy.derived.get_or_init(|| None::<super::stream::Plan>);
    copy
}

/// `REGWATCH_PAGE_STREAM=0` keeps every page on the DOM path (to compare,
/// or should the stream ever be in doubt).
static STREAM_ON: LazyLock<bool> =
    LazyLock::new(|| std::env::var("REGWATCH_PAGE_STREAM").map_or(true, |v| v != "0"));

static STREAMED: AtomicUsize = AtomicUsize::new(0);
static FELL_BACK: AtomicUsize = AtomicUsize::new(0);

/// Pages extracted by the stream, and pages of streamable sources that
/// went to the DOM path, since the process started.
pub fn stream_counts() -> (usize, usize) {
    (
        STREAMED.load(Ordering::Relaxed),
        FELL_BACK.load(Ordering::Relaxed),
    )
}

/// The DOM path: html5ever's tree, scraper's selectors.
pub fn extract_dom(html: &str, rules: &PageRules, url: &url::Url) -> Result<Content, ExtractError> {
    let doc = Html::parse_document(html);
    let base = base_url(&doc, url);
    let excluded = excluded_ids(&doc, rules);
    let content_sel = rules.content.as_ref().map(|c| &c.selector).unwrap_or(&BODY);
    let roots: Vec<ElementRef<'_>> = doc
        .select(content_sel)
        .filter(|e| !is_excluded(*e, &excluded))
        .collect();
    if roots.is_empty() {
        if rules.content.is_none() {
            return Err(ExtractError::Empty);
        }
        return Err(ExtractError::SelectorEmpty {
            key: "content",
            selector: rules
                .content
                .as_ref()
                .map(|c| c.text.clone())
                .unwrap_or_default(),
        });
    }
    let Some(item_s) = &rules.item else {
        let text: Vec<String> = roots.iter().map(|r| element_text(*r, &excluded)).collect();
        let text = normalize_text(&text.join("\n"));
        return Ok(Content::Text { text });
    };
    let mut items = vec![];
    let mut seen_nodes = HashSet::new();
    for root in &roots {
        for it in root.select(&item_s.selector) {
            if is_excluded(it, &excluded) || !seen_nodes.insert(it.id()) {
                continue;
            }
            items.extend(read_item(it, rules, &base, &excluded));
        }
    }
    if items.is_empty() {
        return Err(ExtractError::SelectorEmpty {
            key: "item",
            selector: item_s.text.clone(),
        });
    }
    Ok(Content::Items { items })
}

/// One item element to an item: its title (the `item_title` selector, else
/// its first heading, else its first line), link, text and key; `None` when
/// it has neither title nor text.
fn read_item(
    it: ElementRef<'_>,
    rules: &PageRules,
    base: &url::Url,
    excluded: &HashSet<NodeId>,
) -> Option<Item> {
    let text_all = element_text(it, excluded);
    let first = |sel: &Selector| {
        it.select(sel)
            .next()
            .map(|t| normalize_inline(&element_text(t, excluded)))
    };
    let title = match &rules.item_title {
        Some(c) => first(&c.selector).unwrap_or_default(),
        None => first(&HEADING)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| text_all.lines().next().unwrap_or("").to_string()),
    };
    let is_link = |sel: &Selector| it.value().name() == "a" && sel.matches(&it);
    let link_el = match &rules.item_link {
        Some(c) if is_link(&c.selector) => Some(it),
        Some(c) => it.select(&c.selector).next(),
        None if it.value().name() == "a" && it.value().attr("href").is_some() => Some(it),
        None => it.select(&ANCHOR).next(),
    };
    let link = link_el
        .and_then(|a| a.value().attr("href").or_else(|| a.value().attr("src")))
        .and_then(|h| absolute(base, h));
    let text = match &rules.item_text {
        Some(c) => it
            .select(&c.selector)
            .map(|t| element_text(t, excluded))
            .collect::<Vec<_>>()
            .join("\n"),
        None => text_all,
    };
    if title.is_empty() && text.is_empty() {
        return None;
    }
    // The key from the item's whole text, as it always was, so stored
    // snapshots keep matching.
    let key = item_key(None, link.as_deref(), &title, &text);
    let text = strip_title(&text, &title);
    Some(Item {
        key,
        title,
        link,
        text,
        published: None,
    })
}

/// The main text of a followed page: `content_selector`, else `main`,
/// `article`, `#content`, else the body.
pub fn main_text(
    html: &str,
    content_selector: Option<&Css>,
    _url: &url::Url,
) -> Result<String, ExtractError> {
    let doc = Html::parse_document(html);
    let none = HashSet::new();
    let mut candidates: Vec<&Selector> = vec![];
    if let Some(c) = content_selector {
        candidates.push(&c.selector);
    }
    candidates.extend(MAIN.iter());
    for s in candidates {
        let parts: Vec<String> = doc.select(s).map(|e| element_text(e, &none)).collect();
        let text = normalize_text(&parts.join("\n"));
        if !text.is_empty() {
            return Ok(text);
        }
    }
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(toml_src: &str) -> PageRules {
        let raw: crate::rules::ExtractRules = toml::from_str(toml_src).unwrap();
        crate::rules::CompiledRules::compile(crate::model::SourceKind::Page, &raw)
            .unwrap()
            .page
    }

    const PAGE: &str = r#"<html><head><base href="/duyurular/"><title>x</title></head><body>
      <nav>Menu <a href="/a">A</a></nav>
      <div id="main"><span class="date-now">25.11.2026 10:02</span>
        <ul>
          <li><a href="ilan-1">Tıbbi Cihaz Duyurusu</a><p>Metin bir</p></li>
          <li class="ad"><a href="/promo">Banner</a></li>
          <li><a href="https://other.example/x#frag">İkinci</a> metin iki</li>
        </ul>
      </div><script>var t = 123;</script></body></html>"#;

    #[test]
    fn the_stream_plan_is_made_once_per_rule_set_and_shared_by_clones() {
        let r = rules("content = '#main'\nitem = 'li'\n");
        let copy = r.clone();
        let first = stream_plan(&r).expect("plain selectors stream");
        let again = stream_plan(&copy).expect("the clone has it too");
        assert!(std::ptr::eq(first, again), "the plan was compiled twice");
        assert!(stream_plan(&dom_only(&r)).is_none(), "the copy streams");
        assert!(stream_plan(&r).is_some(), "the original lost its plan");
        let dom_only = rules("item = 'li:nth-child(2)'\n");
        assert!(stream_plan(&dom_only).is_none(), "positional needs the DOM");
    }

    #[test]
    fn items_with_absolute_links_and_exclusions() {
        let r = rules("content = '#main'\nexclude = ['.date-now', 'li.ad']\nitem = 'li'\n");
        let url = url::Url::parse("https://www.ticaret.gov.tr/x").unwrap();
        let Content::Items { items } = extract(PAGE, &r, &url).unwrap() else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "Tıbbi Cihaz Duyurusu");
        assert_eq!(
            items[0].link.as_deref(),
            Some("https://www.ticaret.gov.tr/duyurular/ilan-1")
        );
        assert_eq!(items[0].text, "Metin bir", "the title is not repeated");
        assert_eq!(items[1].title, "İkinci");
        assert_eq!(items[1].text, "metin iki");
        assert_eq!(
            items[1].link.as_deref(),
            Some("https://other.example/x#frag")
        );
        assert_eq!(items[1].key, "link:https://other.example/x");
    }

    #[test]
    fn text_mode_skips_scripts_and_excluded() {
        let r = rules("content = '#main'\nexclude = ['.date-now']\n");
        let url = url::Url::parse("https://a.example/").unwrap();
        let Content::Text { text } = extract(PAGE, &r, &url).unwrap() else {
            panic!()
        };
        assert!(!text.contains("25.11.2026"));
        assert!(!text.contains("var t"));
        assert!(text.contains("Metin bir"));
    }

    #[test]
    fn selectors_matching_nothing_are_errors() {
        let url = url::Url::parse("https://a.example/").unwrap();
        let e = extract(PAGE, &rules("content = '#gone'"), &url).unwrap_err();
        assert!(matches!(
            e,
            ExtractError::SelectorEmpty { key: "content", .. }
        ));
        let e = extract(PAGE, &rules("item = 'article'"), &url).unwrap_err();
        assert!(matches!(e, ExtractError::SelectorEmpty { key: "item", .. }));
    }
}
