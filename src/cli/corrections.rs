//! `regwatch corrections export`: every reviewer's correction of a tag,
//! with the change it corrects, before and after, who, when and why: the
//! material for tuning the tagger. CSV (formula-safe: a cell a spreadsheet
//! would run as a formula is quoted with a leading `'`), JSON lines, or a
//! table on a terminal.

use super::failure::Failure;
use super::output::{print_rows, Format, JsonLines};
use crate::app::App;
use crate::services;

const COLUMNS: &[&str] = &[
    "change_id",
    "source",
    "jurisdiction",
    "title",
    "by",
    "at",
    "reason",
    "categories_before",
    "categories_after",
    "hs_codes_before",
    "hs_codes_after",
    "effective_before",
    "effective_after",
];

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`.
pub fn formula_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

pub async fn export(app: &App, fmt: Format) -> Result<u8, Failure> {
    let rows = services::corrections::all(app).await?;
    if fmt == Format::Json {
        let mut out = JsonLines::stdout();
        for r in &rows {
            out.write(&serde_json::to_value(r).unwrap_or_default());
        }
        return Ok(0);
    }
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let table: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let k = &r.correction;
            serde_json::json!({
                "change_id": r.change_id,
                "source": r.source,
                "jurisdiction": r.jurisdiction,
                "title": r.title,
                "by": k.by,
                "at": k.at,
                "reason": k.reason,
                "categories_before": k.before.categories.join(";"),
                "categories_after": k.after.categories.join(";"),
                "hs_codes_before": k.before.hs_codes.join(";"),
                "hs_codes_after": k.after.hs_codes.join(";"),
                "effective_before": day(k.before.effective_date),
                "effective_after": day(k.after.effective_date),
            })
        })
        .collect();
    if fmt == Format::Csv {
        let mut w = csv::Writer::from_writer(std::io::stdout());
        let _ = w.write_record(COLUMNS);
        for r in &table {
            let _ = w.write_record(COLUMNS.iter().map(|c| {
                formula_safe(&match &r[*c] {
                    serde_json::Value::String(s) => s.clone(),
                    v => v.to_string(),
                })
            }));
        }
        let _ = w.flush();
        return Ok(0);
    }
    if table.is_empty() {
        println!("No correction recorded yet: a reviewer corrects a tag on the change's page or with POST /api/changes/ID/correction.");
        return Ok(0);
    }
    print_rows(&table, COLUMNS, fmt)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(
            super::formula_safe("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(super::formula_safe("-2+3"), "'-2+3");
        assert_eq!(super::formula_safe("8517.62"), "8517.62");
    }
}
