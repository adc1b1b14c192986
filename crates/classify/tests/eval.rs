//! Evaluation over the labelled notices (title + summary -> categories, HS
//! codes, effective date, deadline). Prints precision, recall and F1 per
//! category and micro-averaged, the HS-code exact-match rate and the date
//! exact-match rates. Fails below micro-F1 0.95, HS exact match 0.95 or
//! effective-date exact match 0.90.

use std::collections::BTreeSet;

use regwatch_classify::{hs_digits, Input, Taxonomy};
use serde_json::Value;

const DATA: &str = include_str!("data/notices-dev.jsonl");

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn prf(&self) -> (f64, f64, f64) {
        let p = if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        };
        let r = if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        };
        let f = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        (p, r, f)
    }
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn eval_dev_notices() {
    let tax = Taxonomy::builtin();
    let cats = tax.category_names();
    let mut counts = vec![Counts::default(); cats.len()];
    let (mut hs_exact, mut hs_total, mut hs_with, mut hs_with_exact) = (0, 0, 0, 0);
    let (mut eff_exact, mut dl_exact) = (0, 0);
    let mut errors = Vec::new();
    for line in DATA.lines().filter(|l| !l.trim().is_empty()) {
        let n: Value = serde_json::from_str(line).expect("valid JSON line");
        let day = |k: &str| {
            n[k].as_str()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        let published = day("published").or_else(|| day("date"));
        let input = Input {
            title: n["title"].as_str().unwrap_or(""),
            text: n["summary"].as_str().unwrap_or(""),
            lang: n["lang"].as_str(),
            hints: &[],
            published,
        };
        let got = tax.classify_at(&input, published.unwrap_or_default());
        let (want_eff, want_dl) = (day("effective_date"), day("deadline"));
        if want_eff == got.effective_date {
            eff_exact += 1;
        }
        if want_dl == got.deadline {
            dl_exact += 1;
        }
        if want_eff != got.effective_date || want_dl != got.deadline {
            errors.push(format!(
                "  {}: effective want {:?} got {:?}; deadline want {:?} got {:?}\n    {:?}",
                n["id"].as_str().unwrap_or("?"),
                want_eff,
                got.effective_date,
                want_dl,
                got.deadline,
                got.date_evidence
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.sentence))
                    .collect::<Vec<_>>()
            ));
        }
        let want = strings(&n["categories"]);
        let have: BTreeSet<String> = got.categories.iter().cloned().collect();
        for (i, c) in cats.iter().enumerate() {
            match (have.contains(c), want.contains(c)) {
                (true, true) => counts[i].tp += 1,
                (true, false) => counts[i].fp += 1,
                (false, true) => counts[i].fn_ += 1,
                _ => {}
            }
        }
        // codes named, and codes excluded ("except 8517.62"): both must agree
        let want_hs = strings(&n["hs_codes"]);
        let have_hs: BTreeSet<String> = got.hs_codes.iter().map(|c| hs_digits(c)).collect();
        let want_exc = strings(&n["excluded_hs_codes"]);
        let have_exc: BTreeSet<String> =
            got.excluded_hs_codes.iter().map(|c| hs_digits(c)).collect();
        let (want_hs, have_hs) = (
            want_hs
                .into_iter()
                .chain(want_exc.iter().map(|c| format!("-{c}")))
                .collect::<BTreeSet<_>>(),
            have_hs
                .into_iter()
                .chain(have_exc.iter().map(|c| format!("-{c}")))
                .collect::<BTreeSet<_>>(),
        );
        hs_total += 1;
        if !want_hs.is_empty() {
            hs_with += 1;
        }
        if want_hs == have_hs {
            hs_exact += 1;
            if !want_hs.is_empty() {
                hs_with_exact += 1;
            }
        }
        if want != have || want_hs != have_hs {
            errors.push(format!(
                "  {}: categories want {:?} got {:?}; hs want {:?} got {:?}\n    evidence: {:?}",
                n["id"].as_str().unwrap_or("?"),
                want,
                have,
                want_hs,
                have_hs,
                got.evidence
                    .iter()
                    .map(|e| format!("{}<-{}:{}", e.category, e.via, e.matched))
                    .collect::<Vec<_>>()
            ));
        }
    }
    let mut micro = Counts::default();
    println!("\n| category | P | R | F1 | TP | FP | FN |\n|---|---|---|---|---|---|---|");
    for (i, c) in cats.iter().enumerate() {
        let (p, r, f) = counts[i].prf();
        println!(
            "| {c} | {p:.3} | {r:.3} | {f:.3} | {} | {} | {} |",
            counts[i].tp, counts[i].fp, counts[i].fn_
        );
        micro.tp += counts[i].tp;
        micro.fp += counts[i].fp;
        micro.fn_ += counts[i].fn_;
    }
    let (p, r, f) = micro.prf();
    println!(
        "| **micro** | {p:.3} | {r:.3} | **{f:.3}** | {} | {} | {} |",
        micro.tp, micro.fp, micro.fn_
    );
    println!(
        "\nHS-code exact match: {hs_exact}/{hs_total} notices ({:.3}); on notices that name codes: {hs_with_exact}/{hs_with} ({:.3})",
        hs_exact as f64 / hs_total as f64,
        hs_with_exact as f64 / hs_with.max(1) as f64
    );
    let eff_rate = eff_exact as f64 / hs_total as f64;
    println!(
        "Effective-date exact match: {eff_exact}/{hs_total} ({eff_rate:.3}); deadline exact match: {dl_exact}/{hs_total} ({:.3})",
        dl_exact as f64 / hs_total as f64
    );
    println!("notices: {hs_total}");
    if !errors.is_empty() {
        println!("\nDisagreements:\n{}", errors.join("\n"));
    }
    assert!(hs_total >= 150, "only {hs_total} labelled notices");
    assert!(f >= 0.95, "micro-F1 {f:.3} is below 0.95");
    assert!(
        hs_exact as f64 / hs_total as f64 >= 0.95,
        "HS exact-match rate below 0.95"
    );
    assert!(
        eff_rate >= 0.90,
        "effective-date exact match {eff_rate:.3} is below 0.90"
    );
}
