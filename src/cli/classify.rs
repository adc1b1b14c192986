//! `regwatch classify`: tag texts with the taxonomy, one with `--text` or
//! JSON lines on stdin; JSON lines out unless a table or CSV is asked for.

use super::failure::Failure;
use super::output::{print_json_line, print_rows, Format, JsonLines};
use super::setup;
use crate::classify::Tagger;
use serde_json::Value;
use std::path::Path;

const COLUMNS: [&str; 6] = [
    "categories",
    "hs_codes",
    "effective_date",
    "deadline",
    "dates",
    "evidence",
];

/// Classify `text`, or each JSON line of stdin; 1 when a line was not a
/// JSON object.
pub fn classify(
    config: Option<&Path>,
    text: Option<&str>,
    lang: Option<&str>,
    asked: Option<Format>,
) -> Result<u8, Failure> {
    let tagger = tagger(config)?;
    let Some(t) = text else {
        return classify_stdin(&tagger, lang, asked);
    };
    let mut v = tags(&tagger, "", t, lang, None);
    match asked {
        Some(f @ (Format::Table | Format::Csv)) => {
            evidence_cell(&mut v);
            dates_cell(&mut v);
            print_rows(&[v], &COLUMNS, f)?;
        }
        _ => print_json_line(&v),
    }
    Ok(0)
}

/// The config's taxonomy when a config loads; else `config/taxonomy.toml`,
/// so that classifying needs no setup.
fn tagger(config: Option<&Path>) -> Result<Tagger, Failure> {
    match setup::config(config).ok() {
        Some(cfg) => setup::tagger(&cfg),
        None => Tagger::load(Path::new("config/taxonomy.toml")).map_err(Failure::bad_config),
    }
}

/// One text's tags with their evidence and dates (each with its kind and
/// the sentence it came from); `published` anchors what the text counts
/// from publication.
fn tags(
    tagger: &Tagger,
    title: &str,
    text: &str,
    lang: Option<&str>,
    published: Option<chrono::NaiveDate>,
) -> Value {
    let c = tagger.taxonomy.classify(&regwatch_classify::Input {
        title,
        text,
        lang,
        hints: &[],
        published,
    });
    serde_json::json!({"categories": c.categories, "hs_codes": c.hs_codes, "evidence": c.evidence,
        "effective_date": c.effective_date, "deadline": c.deadline, "dates": c.dates,
        "excluded_hs_codes": c.excluded_hs_codes, "chapters": c.chapters,
        "hs_ranges": c.hs_ranges, "origins": c.origins, "exempt_origins": c.exempt_origins,
        "measures": c.measures})
}

/// The dates as one `{kind} {date}: {sentence}` per date, for a table or
/// CSV cell.
fn dates_cell(v: &mut Value) {
    let d: Vec<String> = v["dates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            format!(
                "{} {}: {}",
                d["kind"].as_str().unwrap_or(""),
                d["date"].as_str().unwrap_or(""),
                d["evidence"].as_str().unwrap_or("")
            )
        })
        .collect();
    v["dates"] = serde_json::json!(d);
}

/// The evidence as one `{category} via {via}: {match}` per tag, for a table
/// or CSV cell.
fn evidence_cell(v: &mut Value) {
    let e: Vec<String> = v["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} via {}: {}",
                e["category"].as_str().unwrap_or(""),
                e["via"].as_str().unwrap_or(""),
                e["match"].as_str().unwrap_or("")
            )
        })
        .collect();
    v["evidence"] = serde_json::json!(e);
}

/// One line of stdin.
#[derive(serde::Deserialize)]
struct In {
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    lang: Option<String>,
    /// The publication date (YYYY-MM-DD), `date` as the notice files name
    /// it: relative dates count from it.
    #[serde(default, alias = "date")]
    published: Option<String>,
}

/// A line's publication date: none, or YYYY-MM-DD.
fn published(raw: Option<&str>) -> Result<Option<chrono::NaiveDate>, String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("\"published\": {s:?} is not a date: write it as 2026-03-01")),
    }
}

/// Each JSON line of stdin, answered line by line (a bad line with an
/// `error` object), or as one table or CSV at the end.
fn classify_stdin(
    tagger: &Tagger,
    lang: Option<&str>,
    asked: Option<Format>,
) -> Result<u8, Failure> {
    let stdin = std::io::stdin();
    let mut out = JsonLines::stdout();
    let mut bad = 0;
    let table = matches!(asked, Some(Format::Table | Format::Csv));
    let mut rows = vec![];
    for (i, line) in std::io::BufRead::lines(stdin.lock()).enumerate() {
        let line = line.map_err(anyhow::Error::from)?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<In>(&line)
            .map_err(|e| {
                format!("not a JSON object {{\"title\",\"text\",\"lang\",\"published\"}}: {e}")
            })
            .and_then(|x| published(x.published.as_deref()).map(|p| (x, p)));
        match parsed {
            Ok((x, day)) => {
                let body = if x.text.is_empty() { x.summary } else { x.text };
                let mut v = tags(tagger, &x.title, &body, x.lang.as_deref().or(lang), day);
                if table {
                    evidence_cell(&mut v);
                    dates_cell(&mut v);
                    rows.push(v);
                } else {
                    out.write(&v);
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!("stdin line {}: {e}", i + 1);
                if !table {
                    out.write(&serde_json::json!({"error": e}));
                }
            }
        }
    }
    drop(out);
    if let Some(f @ (Format::Table | Format::Csv)) = asked {
        print_rows(&rows, &COLUMNS, f)?;
    }
    Ok(if bad > 0 { 1 } else { 0 })
}
