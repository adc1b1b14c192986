//! Page extraction alone, DOM path against the streaming pass, on the
//! 500 pages of the poll-pass benchmark (same generator): CPU seconds of
//! this process for all 500, in rounds alternating the two, medians.
//!
//! `cargo bench --bench extract_pages` — figures go to docs/benchmarks.md.

mod common;

use regwatch::extract::{extract, page, stream};
use regwatch::model::SourceKind;
use regwatch::rules::{CompiledRules, ExtractRules};

const PAGES: usize = 500;
const ROUNDS: usize = 7;

fn compile(content: Option<&str>, item: Option<&str>) -> CompiledRules {
    let x = ExtractRules {
        content: content.map(Into::into),
        item: item.map(Into::into),
        ..Default::default()
    };
    CompiledRules::compile(SourceKind::Page, &x).unwrap()
}

fn median(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (xs[0], xs[xs.len() / 2], xs[xs.len() - 1])
}

fn main() {
    let pages: Vec<String> = (0..PAGES).map(|i| common::page(i, 0)).collect();
    let bytes: usize = pages.iter().map(String::len).sum();
    let url = url::Url::parse("http://127.0.0.1/p").unwrap();
    let configs = [
        (
            "listing (`content = \"#list\"`, `item = \"li\"`, as the poll pass)",
            Some("#list"),
            Some("li"),
        ),
        ("whole-page text (no selector: `body`)", None, None),
    ];
    let mut rows = vec![];
    for (label, content, item) in configs {
        let on = compile(content, item);
        let plan = page::stream_plan(&on.page).expect("the benchmark rules stream");
        let mut off = on.clone();
        off.page = page::dom_only(&on.page);
        // The same answer, page for page, before anything is timed.
        for p in &pages {
            let s = stream::extract(p, plan, &url).expect("the benchmark pages stream");
            assert_eq!(s, page::extract_dom(p, &off.page, &url));
        }
        let mut t: [Vec<f64>; 4] = Default::default();
        for _ in 0..ROUNDS {
            // Selection and text alone (the page as a &str).
            let c = common::process_cpu();
            for p in &pages {
                std::hint::black_box(page::extract_dom(p, &off.page, &url).ok());
            }
            t[0].push(common::process_cpu() - c);
            let c = common::process_cpu();
            for p in &pages {
                std::hint::black_box(stream::extract(p, plan, &url).ok());
            }
            t[1].push(common::process_cpu() - c);
            // The whole extract stage a poll runs: charset, page, ignore,
            // keys.
            let c = common::process_cpu();
            for p in &pages {
                std::hint::black_box(
                    extract(
                        SourceKind::Page,
                        &off,
                        p.as_bytes(),
                        Some("text/html; charset=utf-8"),
                        &url,
                    )
                    .ok(),
                );
            }
            t[2].push(common::process_cpu() - c);
            let c = common::process_cpu();
            for p in &pages {
                std::hint::black_box(
                    extract(
                        SourceKind::Page,
                        &on,
                        p.as_bytes(),
                        Some("text/html; charset=utf-8"),
                        &url,
                    )
                    .ok(),
                );
            }
            t[3].push(common::process_cpu() - c);
        }
        let [dom, st, dom_all, st_all] = t.map(median);
        let mbs = |s: f64| bytes as f64 / 1e6 / s;
        println!(
            "{label}: DOM {:.3} s, stream {:.3} s; extract() DOM {:.3} s, stream {:.3} s",
            dom.1, st.1, dom_all.1, st_all.1
        );
        rows.push(format!(
            "| {label} | page extraction | {:.3} s ({:.3}–{:.3}), {:.0} MB/s | **{:.3} s** ({:.3}–{:.3}), {:.0} MB/s | {:.2}× |",
            dom.1, dom.0, dom.2, mbs(dom.1), st.1, st.0, st.2, mbs(st.1), st.1 / dom.1
        ));
        rows.push(format!(
            "| {label} | the whole extract stage (`extract::extract`: charset, page, `ignore`, keys) | {:.3} s ({:.3}–{:.3}) | **{:.3} s** ({:.3}–{:.3}) | {:.2}× |",
            dom_all.1, dom_all.0, dom_all.2, st_all.1, st_all.0, st_all.2, st_all.1 / dom_all.1
        ));
    }
    let body = format!(
        "## Page extraction alone (issue 28)\n\n`cargo bench --bench extract_pages` on {}; the {PAGES} pages of the poll pass ({:.1} MB), extracted in one process, {ROUNDS} rounds alternating the DOM path (html5ever + scraper) and the streaming pass (lol_html), CPU seconds of the process for all {PAGES} pages: median (min–max). Both answers are compared page by page before timing.\n\n| rules | what | DOM path | streaming | stream / DOM |\n|---|---|---|---|---|\n{}\n",
        common::machine(),
        bytes as f64 / 1e6,
        rows.join("\n")
    );
    common::write_section("extract_pages", &body);
}
