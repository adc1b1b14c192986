//! Change volume per week, by country and by category, for the change
//! log's filters: what the chart on `/` draws (server-side SVG) and its table.

use super::changes::{match_probe, Checked};
use super::{App, ServiceError};
use crate::store::ChangeFilter;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

/// The most changes a chart reads (the count says when it is capped).
pub const MAX_SCAN: i64 = 20_000;
/// Series shown by name; the rest are summed as `other`.
pub const TOP: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub counts: Vec<usize>,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    /// Mondays (UTC) starting each week, oldest first.
    pub weeks: Vec<String>,
    pub by_country: Vec<Series>,
    pub by_category: Vec<Series>,
    pub totals: Vec<usize>,
    /// How many changes match the filters in the period.
    pub total: usize,
    pub capped: bool,
    /// When watching began for the filtered destination (else for any
    /// source): the first successful poll; None when nothing was watched yet.
    pub watched_since: Option<String>,
    /// How many of the first weeks end before watching began: drawn as
    /// "not watched", never as weeks without changes.
    pub unwatched: usize,
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

fn series(mut m: Vec<(String, Vec<usize>)>, n: usize) -> Vec<Series> {
    m.sort_by(|a, b| {
        let (x, y): (usize, usize) = (a.1.iter().sum(), b.1.iter().sum());
        y.cmp(&x).then_with(|| a.0.cmp(&b.0))
    });
    let mut out: Vec<Series> = vec![];
    let mut other = vec![0usize; n];
    for (i, (name, counts)) in m.into_iter().enumerate() {
        if i < TOP {
            let total = counts.iter().sum();
            out.push(Series {
                name,
                counts,
                total,
            });
        } else {
            for (o, c) in other.iter_mut().zip(counts) {
                *o += c;
            }
        }
    }
    let total: usize = other.iter().sum();
    if total > 0 {
        out.push(Series {
            name: "other".into(),
            counts: other,
            total,
        });
    }
    out
}

/// The weekly volume of the changes matching `q` since its `since` (else 90 days).
pub async fn weekly(app: &App, q: &Checked) -> Result<Volume, ServiceError> {
    let since = q
        .filter
        .since
        .unwrap_or_else(|| app.now() - Duration::days(90));
    let f = ChangeFilter {
        since: Some(since),
        limit: Some(MAX_SCAN),
        before_id: None,
        ..q.filter.clone()
    };
    let changes: Vec<_> = app
        .store
        .changes(&f)
        .await?
        .into_iter()
        .filter(|c| q.probe.as_ref().is_none_or(|p| match_probe(c, p).is_some()))
        .collect();
    let capped = changes.len() as i64 >= MAX_SCAN;
    let first = monday(since.date_naive());
    let last = monday(app.clock.today());
    let n = ((last - first).num_days() / 7 + 1).clamp(1, 520) as usize;
    let weeks: Vec<String> = (0..n)
        .map(|i| (first + Duration::days(7 * i as i64)).to_string())
        .collect();
    let mut totals = vec![0usize; n];
    let mut countries: Vec<(String, Vec<usize>)> = vec![];
    let mut categories: Vec<(String, Vec<usize>)> = vec![];
    let bump = |m: &mut Vec<(String, Vec<usize>)>, k: &str, w: usize| match m
        .iter_mut()
        .find(|(name, _)| name == k)
    {
        Some(e) => e.1[w] += 1,
        None => {
            let mut v = vec![0; n];
            v[w] = 1;
            m.push((k.to_string(), v));
        }
    };
    for c in &changes {
        let w = ((monday(c.detected_at.date_naive()) - first).num_days() / 7).clamp(0, n as i64 - 1)
            as usize;
        totals[w] += 1;
        bump(&mut countries, &c.jurisdiction, w);
        bump(
            &mut categories,
            c.categories
                .first()
                .map(String::as_str)
                .unwrap_or("uncategorized"),
            w,
        );
    }
    // Watching began with the first poll of the earliest source covering
    // the destination (or any source): weeks that ended before were not
    // watched, which is not the same as quiet.
    let began = {
        let first = app.store.watched_since().await?;
        app.sources
            .all()
            .iter()
            .filter(|s| {
                q.filter
                    .country
                    .as_ref()
                    .is_none_or(|d| super::sources::covers(&s.def.jurisdiction, d))
            })
            .filter_map(|s| first.get(s.id()).copied())
            .min()
    };
    let unwatched = match began {
        None => n,
        Some(b) => (0..n)
            .take_while(|i| first + Duration::days(7 * *i as i64 + 7) <= b.date_naive())
            .count(),
    };
    Ok(Volume {
        watched_since: began.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        unwatched,
        weeks,
        by_country: series(countries, n),
        by_category: series(categories, n),
        totals,
        total: changes.len(),
        capped,
    })
}

/// A stacked bar chart as SVG: no script, no font, no style attribute
/// (colours come from the page's stylesheet classes `s0`…`s5`). Every
/// text is escaped.
pub fn svg(title: &str, weeks: &[String], series: &[Series], unwatched: usize) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let (w, h, pad) = (640.0f64, 180.0f64, 24.0f64);
    let n = weeks.len().max(1);
    let max = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.counts.get(i).copied().unwrap_or(0))
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let bw = (w - 2.0 * pad) / n as f64;
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    out.push_str(&format!(
        "<line class=\"axis\" x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        h - pad,
        w - pad,
        h - pad
    ));
    for (i, week) in weeks.iter().enumerate().take(unwatched) {
        out.push_str(&format!(
            "<rect class=\"unwatched\" x=\"{:.1}\" y=\"{pad}\" width=\"{:.1}\" height=\"{:.1}\"><title>the week of {}: not watched yet</title></rect>",
            pad + i as f64 * bw + 1.0,
            (bw - 2.0).max(1.0),
            h - 2.0 * pad,
            esc(week)
        ));
    }
    for (i, week) in weeks.iter().enumerate() {
        let mut y = h - pad;
        for (k, s) in series.iter().enumerate() {
            let c = s.counts.get(i).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            let bh = (h - 2.0 * pad) * c as f64 / max;
            y -= bh;
            out.push_str(&format!(
                "<rect class=\"s{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {} in the week of {}</title></rect>",
                k.min(5),
                pad + i as f64 * bw + 1.0,
                y,
                (bw - 2.0).max(1.0),
                bh,
                esc(&s.name),
                c,
                esc(week)
            ));
        }
    }
    out.push_str(&format!(
        "<text class=\"label\" x=\"{pad}\" y=\"{}\">{}</text><text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><text class=\"label\" x=\"{pad}\" y=\"14\">max {} a week</text>",
        h - 6.0,
        esc(weeks.first().map(String::as_str).unwrap_or("")),
        w - pad,
        h - 6.0,
        esc(weeks.last().map(String::as_str).unwrap_or("")),
        max as usize
    ));
    out.push_str("</svg>");
    out
}
