//! Field reports: a rule seen changing in practice before it is published,
//! recorded, tagged, matched and routed like any change (`source` = `field`).

use super::{App, ServiceError};
use crate::model::{ChangeKind, ChangeRecord, Country, Evidence, HsCode, NewChange};
use crate::normalize::{normalize_inline, normalize_text};
use chrono::NaiveDate;

/// A field report as a person entered it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldReport {
    pub country: String,
    #[serde(default)]
    pub hs: Vec<String>,
    /// YYYY-MM-DD
    #[serde(default)]
    pub effective: Option<String>,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub author: Option<String>,
    /// The language the report is written in (BCP 47: tr, vi, es, en), for
    /// its English gist; read from its words when not given.
    #[serde(default)]
    pub lang: Option<String>,
}

/// The longest title, in characters: a title is one line saying what
/// changed, but an act's official title can be long (EU regulation titles
/// run past 700 characters), and one may be pasted whole.
pub const MAX_TITLE_CHARS: usize = 2_048;
/// The longest text, in characters (the observation, a quote, a reference).
pub const MAX_TEXT_CHARS: usize = 100_000;
/// The longest author, category or HS code given, in characters.
pub const MAX_SHORT_CHARS: usize = 200;
/// The most categories or HS codes one report may give.
pub const MAX_LIST: usize = 100;

/// A field of a report that is too long or carries a control character
/// (NUL and the rest; tab is text, and so are a newline and a CRLF line end
/// where `multiline`): the words
/// of the refusal, naming the field and the fix.
fn check_field(what: &str, value: &str, max: usize, multiline: bool) -> Result<(), ServiceError> {
    let n = value.chars().count();
    if n > max {
        return Err(ServiceError::invalid(format!(
            "the {what} is {n} characters long: at most {max} are accepted{}",
            if what == "title" {
                " (say in a line what changed; the details go in the text)"
            } else {
                ""
            }
        )));
    }
    let mut chars = value.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let allowed = match c {
            '\t' => true,
            '\n' => multiline,
            '\r' => multiline && chars.peek().is_some_and(|(_, n)| *n == '\n'),
            c => !c.is_control(),
        };
        if !allowed {
            return Err(ServiceError::invalid(format!(
                "the {what} contains a control character (U+{:04X}) at character {}: remove it{}",
                c as u32,
                i + 1,
                if multiline { "" } else { " (it is one line)" }
            )));
        }
    }
    Ok(())
}

/// A language tag as BCP 47 writes one: a primary subtag of 2 or 3 letters,
/// then subtags of letters and digits ("tr", "es-MX", "vi").
fn check_lang(l: &str) -> Result<(), ServiceError> {
    let mut parts = l.split('-');
    let primary = parts.next().unwrap_or("");
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(format!(
            "the language {:?} is not a language tag: write tr, vi, es or en (or leave it out: it is read from the text)",
            crate::util::truncate(l, 40)
        )))
    }
}

/// Every field within its length and free of control characters.
fn check_report(r: &FieldReport) -> Result<(), ServiceError> {
    // A newline in the title is folded into a space when it is stored.
    check_field("title", &r.title, MAX_TITLE_CHARS, true)?;
    check_field("text", &r.text, MAX_TEXT_CHARS, true)?;
    check_field("country", &r.country, MAX_SHORT_CHARS, false)?;
    if let Some(a) = &r.author {
        check_field("author", a, MAX_SHORT_CHARS, false)?;
    }
    if let Some(e) = &r.effective {
        check_field("effective date", e, MAX_SHORT_CHARS, false)?;
    }
    if let Some(l) = &r.lang {
        check_lang(l)?;
    }
    for (what, list) in [("HS codes", &r.hs), ("categories", &r.categories)] {
        if list.len() > MAX_LIST {
            return Err(ServiceError::invalid(format!(
                "{} {what} given: at most {MAX_LIST} are accepted",
                list.len()
            )));
        }
        for v in list {
            check_field(&format!("{what} entry"), v, MAX_SHORT_CHARS, false)?;
        }
    }
    Ok(())
}

/// Record a field report; its change id.
pub async fn add(app: &App, r: &FieldReport) -> Result<i64, ServiceError> {
    check_report(r)?;
    let dest = Country::parse(&r.country).map_err(ServiceError::Invalid)?;
    if r.title.trim().is_empty() {
        return Err(ServiceError::invalid(
            "the title is empty: say in a line what changed",
        ));
    }
    let author = r
        .author
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or("unknown");
    // the report's day anchors what it counts from publication
    let reported = app.now().date_naive();
    let lang = r.lang.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let mut tags = app
        .tagger
        .tag_published(&r.title, &r.text, lang, &r.categories, Some(reported));
    for h in &r.hs {
        let n = HsCode::parse(h).map_err(ServiceError::Invalid)?;
        let n = n.as_str().to_string();
        if !tags.hs_codes.contains(&n) {
            tags.hs_codes.push(n.clone());
        }
        for c in app.tagger.taxonomy.categories_for_hs(&n) {
            if !tags.categories.contains(&c) {
                tags.categories.push(c.clone());
                tags.evidence.push(Evidence {
                    category: c,
                    via: "hs".into(),
                    matched: n.clone(),
                    ..Default::default()
                });
            }
        }
    }
    if let Some(e) = &r.effective {
        tags.effective_date = Some(NaiveDate::parse_from_str(e, "%Y-%m-%d").map_err(|_| {
            ServiceError::invalid(format!(
                "effective date `{e}` is not a date: write 2026-12-31"
            ))
        })?);
    }
    let text = normalize_text(&r.text);
    let new = NewChange {
        kind: ChangeKind::Added,
        item_key: None,
        title: normalize_inline(&r.title),
        link: None,
        excerpt: crate::util::truncate(&text, 600),
        diff: crate::diff::unified("", &text),
        text,
        published: Some(reported),
    };
    let cases =
        super::cases::matching_cases(app, dest.as_str(), &tags, &new.title, &new.text).await?;
    let deliver_to =
        crate::route::immediate_routes(&app.config.channels, dest.as_str(), &tags, &cases);
    // The language given, else its words tell (an English report has no gist).
    let gist = crate::gist::of(&new.title, &new.text, lang, dest.as_str(), &tags);
    let rec = ChangeRecord {
        change: new,
        tags,
        cases,
        deliver_to,
        gist,
    };
    let id = app
        .store
        .record_field_report(dest.as_str(), app.now(), &rec, author)
        .await?;
    tracing::info!(change = id, country = %dest, author, "field report recorded");
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(title: &str, text: &str) -> FieldReport {
        FieldReport {
            country: "TR".into(),
            title: title.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn lengths_are_capped_and_control_characters_refused() {
        assert!(check_report(&report(
            "IMEI fee doubled",
            "Seen at Halkalı.\n\tLine two\r\n"
        ))
        .is_ok());
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        let e = check_report(&report(&long, "")).unwrap_err().to_string();
        assert!(
            e.contains("the title is 2049 characters long: at most 2048"),
            "{e}"
        );
        assert!(check_report(&report(&"é".repeat(MAX_TITLE_CHARS), "")).is_ok());
        let e = check_report(&report("a", &"y".repeat(MAX_TEXT_CHARS + 1)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("the text is 100001 characters long"), "{e}");
        let e = check_report(&report("fee\0doubled", ""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the title contains a control character (U+0000) at character 4"),
            "{e}"
        );
        for bad in ["a\u{1b}[31m", "a\u{7f}", "a\u{85}", "a\rb"] {
            assert!(check_report(&report("t", bad)).is_err(), "{bad:?}");
        }
        assert!(check_report(&report("two\nlines", "")).is_ok());
        let mut r = report("t", "");
        r.author = Some("eve\0".into());
        assert!(check_report(&r).is_err());
        r.author = None;
        for good in ["tr", "es-MX", "vi", "en"] {
            r.lang = Some(good.into());
            assert!(check_report(&r).is_ok(), "{good}");
        }
        for bad in ["turkish", "t", "tr_TR", "es-", "<b>", "tr\n"] {
            r.lang = Some(bad.into());
            let e = check_report(&r).unwrap_err().to_string();
            assert!(
                e.contains("is not a language tag: write tr, vi, es or en"),
                "{bad}: {e}"
            );
        }
        r.lang = None;
        r.categories = vec!["x".into(); MAX_LIST + 1];
        assert!(check_report(&r).is_err());
    }
}
