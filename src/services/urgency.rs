//! Urgency: how soon a change needs a person (DESIGN.md, "Urgency,
//! deadlines, review"). Computed each time a change is read, from the
//! change, its case matches, which cases are still open, and today's date:
//! nothing is stored, so a case closed or a date passing changes the
//! answer at the next read without any recomputation job.
//!
//! - **high**: effective within 30 days; a direct or chapter match on an
//!   open case; a comment or transition deadline within 30 days;
//! - **medium**: a field report; effective or a deadline within 90 days;
//!   a weaker (keyword, related, category) match on an open case;
//! - **low**: anything else.

use crate::model::{Change, Strength, Urgency};
use chrono::NaiveDate;
use std::collections::HashSet;

/// Days ahead within which a date makes a change urgent.
pub const SOON_DAYS: i64 = 30;
/// Days ahead within which a date makes a change worth a look.
pub const LATER_DAYS: i64 = 90;

fn days_phrase(n: i64) -> String {
    match n {
        0 => "today".to_string(),
        1 => "in 1 day".to_string(),
        n => format!("in {n} days"),
    }
}

/// The urgency of one change and why, strongest reason first.
pub fn assess(
    c: &Change,
    open_cases: &HashSet<String>,
    today: NaiveDate,
) -> (Urgency, Vec<String>) {
    let mut high = vec![];
    let mut medium = vec![];
    if let Some(d) = c.effective_date {
        let n = (d - today).num_days();
        if (0..=SOON_DAYS).contains(&n) {
            high.push(format!("effective {}", days_phrase(n)));
        } else if (0..=LATER_DAYS).contains(&n) {
            medium.push(format!("effective {}", days_phrase(n)));
        }
    }
    if let Some(d) = c.deadline {
        let n = (d - today).num_days();
        if (0..=SOON_DAYS).contains(&n) {
            high.push(format!("comment deadline {}", days_phrase(n)));
        } else if (0..=LATER_DAYS).contains(&n) {
            medium.push(format!("comment deadline {}", days_phrase(n)));
        }
    }
    let open: Vec<_> = c
        .cases
        .iter()
        .filter(|m| open_cases.contains(&m.id))
        .collect();
    if let Some(best) = open.iter().map(|m| m.strength).min() {
        let ids: Vec<&str> = open
            .iter()
            .filter(|m| m.strength == best)
            .map(|m| m.id.as_str())
            .collect();
        let reason = format!("{} match on open case {}", best.as_str(), ids.join(", "));
        if matches!(best, Strength::Direct | Strength::Chapter) {
            high.push(reason);
        } else {
            medium.push(reason);
        }
    }
    if c.source == "field" {
        medium.push("field report".to_string());
    }
    let u = if !high.is_empty() {
        Urgency::High
    } else if !medium.is_empty() {
        Urgency::Medium
    } else {
        Urgency::Low
    };
    high.extend(medium);
    (u, high)
}

/// Fill in `urgency` and `urgency_reasons` on each change.
pub fn annotate(changes: &mut [Change], open_cases: &HashSet<String>, today: NaiveDate) {
    for c in changes {
        let (u, r) = assess(c, open_cases, today);
        c.urgency = u;
        c.urgency_reasons = r;
    }
}

/// The nearest date that makes a change pressing (effective or deadline, still ahead).
fn nearest(c: &Change, today: NaiveDate) -> NaiveDate {
    [c.effective_date, c.deadline]
        .into_iter()
        .flatten()
        .filter(|d| *d >= today)
        .min()
        .unwrap_or(NaiveDate::MAX)
}

/// Bad news first: most urgent first, then the nearest date, then newest.
/// Stable, so callers that sorted by something else keep it within a tie.
pub fn sort(changes: &mut [Change], today: NaiveDate) {
    changes.sort_by(|a, b| {
        a.urgency
            .cmp(&b.urgency)
            .then_with(|| nearest(a, today).cmp(&nearest(b, today)))
            .then_with(|| b.id.cmp(&a.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::render::tests::change;

    #[test]
    fn reasons_and_levels() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let open: HashSet<String> = ["CASE-7".to_string()].into();
        // The fixture change has a direct match on CASE-7.
        let c = change(1, "TR", "telecom", "t");
        let (u, r) = assess(&c, &open, today);
        assert_eq!(u, Urgency::High);
        assert_eq!(r, vec!["direct match on open case CASE-7"]);
        // Closed case: no longer urgent.
        let (u, r) = assess(&c, &HashSet::new(), today);
        assert_eq!((u, r.len()), (Urgency::Low, 0));
        let mut c2 = change(2, "TR", "telecom", "t");
        c2.cases.clear();
        c2.effective_date = NaiveDate::from_ymd_opt(2026, 12, 13);
        let (u, r) = assess(&c2, &open, today);
        assert_eq!((u, r[0].as_str()), (Urgency::High, "effective in 12 days"));
        c2.effective_date = NaiveDate::from_ymd_opt(2027, 2, 1);
        c2.source = "field".into();
        let (u, r) = assess(&c2, &open, today);
        assert_eq!(u, Urgency::Medium);
        assert_eq!(r, vec!["effective in 62 days", "field report"]);
        // Past dates do not count.
        c2.source = "s".into();
        c2.effective_date = NaiveDate::from_ymd_opt(2026, 11, 1);
        assert_eq!(assess(&c2, &open, today).0, Urgency::Low);
    }
}
