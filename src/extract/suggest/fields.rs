//! `item_title` and `item_link`, where the extractor's defaults miss.

use super::scan::*;
use scraper::{ElementRef, Selector};

/// The member's main link: the `a[href]` with the longest text.
pub(super) fn main_link<'a>(el: ElementRef<'a>) -> Option<ElementRef<'a>> {
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

pub(super) static HEADING_OR_LINK: std::sync::LazyLock<Selector> = std::sync::LazyLock::new(|| {
    Selector::parse("h1, h2, h3, h4, h5, h6, a").unwrap_or_else(|_| unreachable!())
});
pub(super) static HEADING: std::sync::LazyLock<Selector> = std::sync::LazyLock::new(|| {
    Selector::parse("h1, h2, h3, h4, h5, h6").unwrap_or_else(|_| unreachable!())
});

/// A selector relative to each member that finds `targets[i]` in member
/// `i`, first, for every member; `None` when none is found.
pub(super) fn relative_selector(
    members: &[ElementRef<'_>],
    targets: &[ElementRef<'_>],
) -> Option<String> {
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
pub(super) fn title_and_link(members: &[ElementRef<'_>]) -> (Option<String>, Option<String>) {
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
