//! `regwatch classify`: tag texts with the taxonomy, one with `--text` or
//! JSON lines on stdin; JSON lines out unless a table or CSV is asked for.

use super::failure::Failure;
use super::output::{print_json_line, print_rows, Format, JsonLines};
use super::setup;
use crate::classify::Tagger;
use serde_json::Value;
use std::path::Path;

const COLUMNS: [&str; 5] = [
    "categories",
    "hs_codes",
    "effective_date",
    "deadline",
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
    let mut v = tags(&tagger, "", t, lang);
    match asked {
        Some(f @ (Format::Table | Format::Csv)) => {
            evidence_cell(&mut v);
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

/// One text's tags with their evidence and dates.
fn tags(tagger: &Tagger, title: &str, text: &str, lang: Option<&str>) -> Value {
    let c = tagger.taxonomy.classify(&regwatch_classify::Input {
        title,
        text,
        lang,
        hints: &[],
        ..Default::default()
    });
    serde_json::json!({"categories": c.categories, "hs_codes": c.hs_codes, "evidence": c.evidence,
        "effective_date": c.effective_date, "deadline": c.deadline,
        "excluded_hs_codes": c.excluded_hs_codes, "chapters": c.chapters})
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
        match serde_json::from_str::<In>(&line) {
            Ok(x) => {
                let body = if x.text.is_empty() { x.summary } else { x.text };
                let mut v = tags(tagger, &x.title, &body, x.lang.as_deref().or(lang));
                if table {
                    evidence_cell(&mut v);
                    rows.push(v);
                } else {
                    out.write(&v);
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!(
                    "stdin line {}: not a JSON object {{\"title\",\"text\",\"lang\"}}: {e}",
                    i + 1
                );
                if !table {
                    out.write(&serde_json::json!({"error": e.to_string()}));
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
