//! Evaluation of the tagger, printed (`cargo test -p regwatch-classify --test
//! eval -- --nocapture`) and enforced:
//!
//! 1. the written notices (`tests/data/notices-dev.jsonl` of this crate):
//!    micro-F1 over categories, HS-code exact match, effective date and
//!    deadline exact match;
//! 2. every real notice file of the repository (`tests/data/notices-real*.jsonl`
//!    at the workspace root, read at test time so files added later count),
//!    plus any file named in `REGWATCH_EVAL_REAL` (paths separated by `:`):
//!    micro-F1, HS sets exact, stated effective dates right, and dates
//!    invented where the text states none.
//!
//! A real notice line has `id, lang, title, text, exp_cat, exp_hs, exp_eff`
//! and optionally `published` (YYYY-MM-DD or null), given to the tagger as the
//! publication date. Without it nothing stands in for the publication date,
//! exactly as `regwatch classify` reads a line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use regwatch_classify::{hs_digits, Classification, Input, Taxonomy};
use serde_json::Value;

const WRITTEN: &str = include_str!("data/notices-dev.jsonl");

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

/// Category counts, per category and micro-averaged.
struct CatScore {
    names: Vec<String>,
    counts: Vec<Counts>,
}

impl CatScore {
    fn new(names: Vec<String>) -> CatScore {
        let counts = vec![Counts::default(); names.len()];
        CatScore { names, counts }
    }
    fn add(&mut self, want: &BTreeSet<String>, have: &BTreeSet<String>) {
        for (i, c) in self.names.iter().enumerate() {
            match (have.contains(c), want.contains(c)) {
                (true, true) => self.counts[i].tp += 1,
                (true, false) => self.counts[i].fp += 1,
                (false, true) => self.counts[i].fn_ += 1,
                _ => {}
            }
        }
    }
    fn micro(&self) -> (f64, f64, f64) {
        let mut m = Counts::default();
        for c in &self.counts {
            m.tp += c.tp;
            m.fp += c.fp;
            m.fn_ += c.fn_;
        }
        m.prf()
    }
    fn table(&self) -> String {
        let mut out = String::from(
            "| category | P | R | F1 | TP | FP | FN |\n|---|---|---|---|---|---|---|\n",
        );
        let mut m = Counts::default();
        for (i, c) in self.names.iter().enumerate() {
            let k = self.counts[i];
            let (p, r, f) = k.prf();
            out.push_str(&format!(
                "| {c} | {p:.3} | {r:.3} | {f:.3} | {} | {} | {} |\n",
                k.tp, k.fp, k.fn_
            ));
            m.tp += k.tp;
            m.fp += k.fp;
            m.fn_ += k.fn_;
        }
        let (p, r, f) = m.prf();
        out.push_str(&format!(
            "| **micro** | {p:.3} | {r:.3} | **{f:.3}** | {} | {} | {} |\n",
            m.tp, m.fp, m.fn_
        ));
        out
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

fn digits_set(v: &Value) -> BTreeSet<String> {
    strings(v).iter().map(|c| hs_digits(c)).collect()
}

fn day(v: &Value) -> Option<NaiveDate> {
    v.as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn evidence(got: &Classification) -> Vec<String> {
    got.evidence
        .iter()
        .map(|e| match &e.role {
            Some(r) => format!(
                "({}<-{}:{} [{r}, not counted])",
                e.category, e.via, e.matched
            ),
            None => format!("{}<-{}:{}", e.category, e.via, e.matched),
        })
        .collect()
}

fn dates(got: &Classification) -> Vec<String> {
    got.dates
        .iter()
        .map(|d| format!("{} {}: {}", d.kind, d.date, d.evidence))
        .collect()
}

#[test]
fn eval_written_notices() {
    let tax = Taxonomy::builtin();
    let mut cats = CatScore::new(tax.category_names());
    let (mut hs_exact, mut total, mut hs_with, mut hs_with_exact) = (0, 0, 0, 0);
    let (mut eff_exact, mut dl_exact) = (0, 0);
    let mut errors = Vec::new();
    for line in WRITTEN.lines().filter(|l| !l.trim().is_empty()) {
        let n: Value = serde_json::from_str(line).expect("valid JSON line");
        let published = day(&n["published"]).or_else(|| day(&n["date"]));
        let input = Input {
            title: n["title"].as_str().unwrap_or(""),
            text: n["summary"].as_str().unwrap_or(""),
            lang: n["lang"].as_str(),
            hints: &[],
            published,
        };
        let got = tax.classify(&input);
        let (want_eff, want_dl) = (day(&n["effective_date"]), day(&n["deadline"]));
        eff_exact += usize::from(want_eff == got.effective_date);
        dl_exact += usize::from(want_dl == got.deadline);
        if want_eff != got.effective_date || want_dl != got.deadline {
            errors.push(format!(
                "  {}: effective want {:?} got {:?}; deadline want {:?} got {:?}\n    {:?}",
                n["id"].as_str().unwrap_or("?"),
                want_eff,
                got.effective_date,
                want_dl,
                got.deadline,
                dates(&got)
            ));
        }
        let want = strings(&n["categories"]);
        let have: BTreeSet<String> = got.categories.iter().cloned().collect();
        cats.add(&want, &have);
        // codes named, and codes excluded ("except 8517.62"): both must agree
        let want_hs: BTreeSet<String> = digits_set(&n["hs_codes"])
            .into_iter()
            .chain(
                digits_set(&n["excluded_hs_codes"])
                    .iter()
                    .map(|c| format!("-{c}")),
            )
            .collect();
        let have_hs: BTreeSet<String> = got
            .hs_codes
            .iter()
            .map(|c| hs_digits(c))
            .chain(
                got.excluded_hs_codes
                    .iter()
                    .map(|c| format!("-{}", hs_digits(c))),
            )
            .collect();
        total += 1;
        hs_with += usize::from(!want_hs.is_empty());
        if want_hs == have_hs {
            hs_exact += 1;
            hs_with_exact += usize::from(!want_hs.is_empty());
        }
        if want != have || want_hs != have_hs {
            errors.push(format!(
                "  {}: categories want {:?} got {:?}; hs want {:?} got {:?}\n    evidence: {:?}",
                n["id"].as_str().unwrap_or("?"),
                want,
                have,
                want_hs,
                have_hs,
                evidence(&got)
            ));
        }
    }
    let (_, _, f) = cats.micro();
    let hs_rate = hs_exact as f64 / total as f64;
    let eff_rate = eff_exact as f64 / total as f64;
    let summary = format!(
        "written notices: {total}; micro-F1 {f:.3}; HS exact {hs_exact}/{total} ({hs_rate:.3}), on notices naming codes {hs_with_exact}/{hs_with}; effective date exact {eff_exact}/{total} ({eff_rate:.3}); deadline exact {dl_exact}/{total}"
    );
    println!("\n## Written notices\n\n{}\n{summary}", cats.table());
    if !errors.is_empty() {
        println!("\nDisagreements:\n{}", errors.join("\n"));
    }
    assert!(total >= 150, "only {total} labelled notices");
    assert!(f >= 0.95, "micro-F1 below 0.95: {summary}");
    assert!(hs_rate >= 0.95, "HS exact match below 0.95: {summary}");
    assert!(
        eff_rate >= 0.90,
        "effective-date exact match below 0.90: {summary}"
    );
}

/// The real notice files: the repository's, then any named in REGWATCH_EVAL_REAL.
fn real_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("notices-real") && n.ends_with(".jsonl"))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if let Ok(extra) = std::env::var("REGWATCH_EVAL_REAL") {
        files.extend(
            extra
                .split(':')
                .filter(|p| !p.trim().is_empty())
                .map(PathBuf::from),
        );
    }
    files
}

#[test]
fn eval_real_notices() {
    let tax = Taxonomy::builtin();
    let mut cats = CatScore::new(tax.category_names());
    let files = real_files();
    assert!(
        !files.is_empty(),
        "no tests/data/notices-real*.jsonl at the workspace root"
    );
    let mut seen = BTreeSet::new();
    let (mut total, mut hs_exact, mut hs_with, mut hs_with_exact) = (0, 0, 0, 0);
    let (mut stated, mut stated_right, mut invented) = (0, 0, 0);
    let mut reported: Vec<String> = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        let src = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("{}: cannot read: {e}", file.display()));
        for (i, line) in src.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let n: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", file.display(), i + 1));
            let id = n["id"].as_str().unwrap_or("?").to_string();
            // the same notice in two files counts once
            if !seen.insert((id.clone(), n["text"].as_str().unwrap_or("").to_string())) {
                continue;
            }
            let got = tax.classify(&Input {
                title: n["title"].as_str().unwrap_or(""),
                text: n["text"].as_str().unwrap_or(""),
                lang: n["lang"].as_str(),
                hints: &[],
                published: day(&n["published"]),
            });
            total += 1;
            let want = strings(&n["exp_cat"]);
            let have: BTreeSet<String> = got.categories.iter().cloned().collect();
            cats.add(&want, &have);
            let want_hs = digits_set(&n["exp_hs"]);
            let have_hs: BTreeSet<String> = got.hs_codes.iter().map(|c| hs_digits(c)).collect();
            hs_with += usize::from(!want_hs.is_empty());
            if want_hs == have_hs {
                hs_exact += 1;
                hs_with_exact += usize::from(!want_hs.is_empty());
            }
            let mut wrong = Vec::new();
            if want != have {
                wrong.push(format!("categories want {want:?} got {have:?}"));
            }
            if want_hs != have_hs {
                wrong.push(format!("hs want {want_hs:?} got {have_hs:?}"));
            }
            match n["exp_eff"].as_str() {
                Some(s) if day(&n["exp_eff"]).is_some() => {
                    stated += 1;
                    if got.effective_date.map(|d| d.to_string()).as_deref() == Some(s) {
                        stated_right += 1;
                    } else {
                        wrong.push(format!("effective want {s} got {:?}", got.effective_date));
                    }
                }
                Some(kind) => reported.push(format!(
                    "  {id} ({kind}): effective {:?}",
                    got.effective_date
                )),
                None => {
                    if let Some(d) = got.effective_date {
                        invented += 1;
                        wrong.push(format!("effective date invented: {d}"));
                    }
                }
            }
            if !wrong.is_empty() {
                errors.push(format!(
                    "  {id}: {}\n    evidence: {:?}\n    dates: {:?}",
                    wrong.join("; "),
                    evidence(&got),
                    dates(&got)
                ));
            }
        }
    }
    let (p, r, f) = cats.micro();
    let hs_rate = hs_exact as f64 / total.max(1) as f64;
    let stated_rate = stated_right as f64 / stated.max(1) as f64;
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let summary = format!(
        "real notices: {total} ({}); micro-F1 {f:.3} (P {p:.3}, R {r:.3}); HS sets exact {hs_exact}/{total} ({hs_rate:.3}), on notices naming codes {hs_with_exact}/{hs_with}; stated effective dates right {stated_right}/{stated} ({stated_rate:.3}); invented dates {invented}",
        names.join(", ")
    );
    println!("\n## Real notices\n\n{}\n{summary}", cats.table());
    if !reported.is_empty() {
        println!(
            "\nIn force on publication or signature (reported only):\n{}",
            reported.join("\n")
        );
    }
    if !errors.is_empty() {
        println!("\nDisagreements:\n{}", errors.join("\n"));
    }
    assert!(total > 0, "the real notice files hold no notices");
    assert!(f >= 0.95, "micro-F1 below 0.95: {summary}");
    assert!(hs_rate >= 0.95, "HS sets exact below 95 %: {summary}");
    assert!(
        stated_rate >= 0.90,
        "stated effective dates right below 90 %: {summary}"
    );
    assert!(invented == 0, "effective dates invented: {summary}");
}
