//! JSON APIs with JSONPath (RFC 9535, serde_json_path) in the same `extract`
//! keys as pages: `item` selects the records, `item_title`/`item_link`/
//! `item_text`/`item_id` are paths relative to one record.

use super::ExtractError;
use crate::model::{Content, Item};
use crate::normalize::{item_key, normalize_inline, normalize_text};
use crate::rules::{JsonRules, Path};
use serde_json::Value;

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

/// A JSON value as readable lines (`key: value`), stable for diffing.
fn to_lines(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                to_lines(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                to_lines(x, &format!("{prefix}[{i}]"), out);
            }
        }
        Value::Null => {}
        other => out.push(format!("{prefix}: {}", normalize_inline(&scalar(other)))),
    }
}

fn first(v: &Value, p: Option<&Path>) -> Option<String> {
    p?.path
        .query(v)
        .all()
        .into_iter()
        .map(scalar)
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
}

/// `2026-11-14T00:00:00` (how APIs write a bare date) as `2026-11-14`, the
/// form the tagger reads as a date.
fn midnight_to_date(v: &str) -> &str {
    let b = v.as_bytes();
    let is_date = b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if is_date
        && v[10..]
            .trim_start_matches('T')
            .trim_start_matches("00:00:00")
            .trim_start_matches(".000")
            .trim_start_matches('Z')
            .is_empty()
    {
        &v[..10]
    } else {
        v
    }
}

pub fn extract(text: &str, rules: &JsonRules, url: &url::Url) -> Result<Content, ExtractError> {
    if text.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    let doc: Value = serde_json::from_str(text).map_err(|e| ExtractError::Json(e.to_string()))?;
    let scope: Vec<&Value> = match &rules.content {
        Some(c) => {
            let nodes = c.path.query(&doc).all();
            if nodes.is_empty() {
                return Err(ExtractError::SelectorEmpty {
                    key: "content",
                    selector: c.text.clone(),
                });
            }
            nodes
        }
        None => vec![&doc],
    };
    let Some(item_p) = &rules.item else {
        let mut lines = vec![];
        for v in scope {
            to_lines(v, "", &mut lines);
        }
        return Ok(Content::Text {
            text: normalize_text(&lines.join("\n")),
        });
    };
    let mut items = vec![];
    for v in scope {
        for rec in item_p.path.query(v).all() {
            items.push(record_item(rec, rules, url));
        }
    }
    if items.is_empty() {
        return Err(ExtractError::SelectorEmpty {
            key: "item",
            selector: item_p.text.clone(),
        });
    }
    Ok(Content::Items { items })
}

/// One record of a JSON listing as an item.
fn record_item(rec: &Value, rules: &JsonRules, url: &url::Url) -> Item {
    let title = normalize_inline(
        &rules
            .item_title
            .iter()
            .filter_map(|p| first(rec, Some(p)))
            .collect::<Vec<_>>()
            .join(" — "),
    );
    let link = first(rec, rules.item_link.as_ref())
        .and_then(|l| url.join(&l).ok())
        .map(|u| u.to_string());
    let mut lines = vec![];
    match &rules.item_text {
        Some(fields) => {
            for f in fields {
                let v = f
                    .path
                    .path
                    .query(rec)
                    .all()
                    .into_iter()
                    .map(scalar)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
                if v.is_empty() {
                    continue;
                }
                lines.push(if f.label.is_empty() {
                    v
                } else {
                    format!("{} {}", f.label, midnight_to_date(&v))
                });
            }
        }
        None => to_lines(rec, "", &mut lines),
    }
    let text = normalize_text(&lines.join("\n"));
    let title = if title.is_empty() {
        text.lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect()
    } else {
        title
    };
    let id = first(rec, rules.item_id.as_ref());
    let key = item_key(id.as_deref(), link.as_deref(), &title, &text);
    Item {
        key,
        title,
        link,
        text,
        published: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(raw: crate::rules::ExtractRules) -> JsonRules {
        crate::rules::CompiledRules::compile(crate::model::SourceKind::Json, &raw)
            .unwrap()
            .json
    }

    #[test]
    fn records_with_paths_and_filters() {
        let rules = compile(toml::from_str(
            "item = \"$.results[?@.type == 'Rule']\"\nitem_title = '$.title'\nitem_link = '$.html_url'\nitem_text = '$.abstract'\nitem_id = '$.document_number'\n",
        )
        .unwrap());
        let json = r#"{"results":[
            {"type":"Rule","title":"Tariff  change","html_url":"/d/1","abstract":"Effective soon","document_number":"2026-1"},
            {"type":"Notice","title":"Other","html_url":"/d/2"}]}"#;
        let url = url::Url::parse("https://api.example/v1/docs.json").unwrap();
        let Content::Items { items } = extract(json, &rules, &url).unwrap() else {
            panic!()
        };
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title, "Tariff change");
        assert_eq!(items[0].link.as_deref(), Some("https://api.example/d/1"));
        assert_eq!(items[0].key, "id:2026-1");
        assert_eq!(items[0].text, "Effective soon");
    }

    #[test]
    fn titles_composed_and_text_from_labelled_fields_only() {
        let rules = compile(toml::from_str(
            "item = '$.included[*]'\nitem_title = ['$.attributes.goods_nomenclature_item_id', '$.attributes.description']\nitem_text = ['$.attributes.abstract', 'Effective on $.attributes.effective_on', 'Comments due by $.attributes.comments_close_on', 'Comments due by $.attributes.deadline']\n",
        )
        .unwrap());
        let json = r#"{"included":[{"id":"8517130000","attributes":{"goods_nomenclature_item_id":"8517130000","description":"Smartphones","abstract":"New rate","effective_on":"2026-01-15","comments_close_on":null,"deadline":"2026-11-14T00:00:00","url":"https://x/?v=85171300"}}]}"#;
        let url = url::Url::parse("https://api.example/").unwrap();
        let Content::Items { items } = extract(json, &rules, &url).unwrap() else {
            panic!()
        };
        assert_eq!(items[0].title, "8517130000 — Smartphones");
        assert_eq!(
            items[0].text,
            "New rate\nEffective on 2026-01-15\nComments due by 2026-11-14"
        );
        // A list is JSON only: a page takes one selector.
        let e = crate::rules::CompiledRules::compile(
            crate::model::SourceKind::Page,
            &toml::from_str("item = 'li'\nitem_title = ['a', 'b']\n").unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.key, "item_title");
    }

    #[test]
    fn text_mode_and_errors() {
        let url = url::Url::parse("https://api.example/").unwrap();
        let rules = compile(crate::rules::ExtractRules {
            content: Some("$.data.attributes".into()),
            ..Default::default()
        });
        let Content::Text { text } =
            extract(r#"{"data":{"attributes":{"b":1,"a":"x"}}}"#, &rules, &url).unwrap()
        else {
            panic!()
        };
        assert_eq!(text, "a: x\nb: 1");
        assert!(matches!(
            extract("{not json", &rules, &url),
            Err(ExtractError::Json(_))
        ));
        assert!(matches!(
            extract("{}", &rules, &url),
            Err(ExtractError::SelectorEmpty { .. })
        ));
    }
}
