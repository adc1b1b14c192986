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

mod bounded;
mod fields;
mod options;
mod rank;
mod scan;
mod seeds;

pub use options::{Candidate, SuggestOptions, Suggestions};

use bounded::bounded_prefix;
use rank::{distinct, extract_with, name_seeds, ranked_seeds, verify};
use scan::{ancestor_part, scan, Scan};
use scraper::{ElementRef, Html, Selector};

/// Candidate item selectors of an HTML page fetched from `url`, with the
/// default limits.
pub fn suggest(html: &str, url: &url::Url) -> Suggestions {
    suggest_with(html, url, &SuggestOptions::default())
}

/// Candidate item selectors of an HTML page fetched from `url`.
pub fn suggest_with(html: &str, url: &url::Url, opts: &SuggestOptions) -> Suggestions {
    let (html, cut) = bounded_prefix(html, opts);
    let doc = Html::parse_document(html);
    let mut scan = scan(&doc, opts.max_elements.max(1));
    scan.truncated |= cut;
    let deep = scan.max_depth > opts.max_depth;
    let ranked = ranked_seeds(&scan, url, opts, deep);
    let found = name_seeds(&scan, ranked, url, deep);
    let kept = distinct(&scan, found);
    let (candidates, best_members) = verify(html, url, &scan, kept, opts);
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
    use super::scan::ident_ok;
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
