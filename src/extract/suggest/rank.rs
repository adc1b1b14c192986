//! Scoring the seeds, naming them, and checking them with the extractor.

use super::super::page;
use super::fields::*;
use super::options::{Candidate, SuggestOptions};
use super::scan::*;
use super::seeds::*;
use crate::model::{Content, SourceKind};
use crate::rules::{CompiledRules, ExtractRules, Fields};
use ego_tree::NodeId;
use scraper::{ElementRef, Selector};
use std::collections::{HashMap, HashSet};

/// A seed with the selector that selects exactly it, and its score.
pub(super) struct Found {
    pub(super) item: String,
    pub(super) members: Vec<usize>,
    pub(super) score: f64,
    pub(super) links: HashSet<String>,
}

pub(super) fn score(
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
pub(super) fn extract_with(
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

/// The repeated structures of the page, the most promising first, at most
/// `max_groups` of them (each gets a selector, and each try is a pass over
/// the scanned elements).
pub(super) fn ranked_seeds(
    scan: &Scan<'_>,
    url: &url::Url,
    opts: &SuggestOptions,
    deep: bool,
) -> Vec<Seed> {
    let mut seeds = sibling_seeds(scan, opts, deep);
    seeds.extend(link_seeds(scan, url, opts));
    seeds.retain(|s| s.members.len() <= opts.max_items);
    let mut ranked: Vec<(f64, Seed)> = seeds
        .into_iter()
        .map(|s| (score(scan, &s.members, url, s.links).0, s))
        .filter(|(sc, _)| *sc > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.truncate(opts.max_groups);
    ranked.into_iter().map(|(_, s)| s).collect()
}

/// On a deep document, matching `:has(…)` or a descendant combinator
/// costs a walk of the subtree or of the ancestors for every element:
/// only child combinators are tried.
pub(super) fn too_costly_when_deep(sel_text: &str) -> bool {
    sel_text.contains(":has(")
        || sel_text
            .replace(" > ", ">")
            .replace("' i]", "']")
            .contains(' ')
}

/// Each seed with the first selector of its ladder that selects exactly
/// its members (a selector is tried once, for the best seed that has it).
pub(super) fn name_seeds(
    scan: &Scan<'_>,
    ranked: Vec<Seed>,
    url: &url::Url,
    deep: bool,
) -> Vec<Found> {
    let mut found: Vec<Found> = vec![];
    let mut tried: HashSet<String> = HashSet::new();
    for seed in ranked {
        for sel_text in &seed.ladder {
            if deep && too_costly_when_deep(sel_text) {
                continue;
            }
            if !tried.insert(sel_text.clone()) {
                continue;
            }
            let Ok(sel) = Selector::parse(sel_text) else {
                continue;
            };
            if scan.matching(&sel) == seed.members {
                let (score, links) = score(scan, &seed.members, url, seed.links);
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
    found
}

/// The named seeds best first, without repeats: the same items by two
/// selectors (`ul.list > li` and the links in them) keep the better one,
/// and a part of each item of a better candidate (the PDF links inside
/// each row) is not a listing of its own.
pub(super) fn distinct(scan: &Scan<'_>, mut found: Vec<Found>) -> Vec<Found> {
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.item.len().cmp(&b.item.len()))
    });
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
    kept
}

/// The candidates the project's extractor confirms (the same count of
/// items, or at least as many on a truncated scan), with the members of
/// the best one.
pub(super) fn verify(
    html: &str,
    url: &url::Url,
    scan: &Scan<'_>,
    kept: Vec<Found>,
    opts: &SuggestOptions,
) -> (Vec<Candidate>, Option<Vec<usize>>) {
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
    (candidates, best_members)
}
