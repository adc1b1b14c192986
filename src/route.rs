//! The route stage: which channels want a change, by mode and filter.

use crate::config::{ChannelConfig, ChannelMode};
use crate::model::{CaseMatch, Country, Tags};

/// The channels that want this change delivered now (immediate mode and
/// the filter passes).
pub fn immediate_routes(
    channels: &[ChannelConfig],
    jurisdiction: &str,
    tags: &Tags,
    cases: &[CaseMatch],
) -> Vec<String> {
    channels
        .iter()
        .filter(|c| {
            c.mode == ChannelMode::Immediate
                && filter_passes(
                    c,
                    tags.member
                        .as_deref()
                        .filter(|_| jurisdiction == "WTO")
                        .unwrap_or(jurisdiction),
                    &tags.categories,
                    cases,
                )
        })
        .map(|c| c.name.clone())
        .collect()
}

/// Whether a change passes a channel's filter. `jurisdiction` is the one
/// whose rule it is (a WTO notification's member); only case matches of
/// the channel's `min_match` or stronger count as affected cases.
pub fn filter_passes(
    c: &ChannelConfig,
    jurisdiction: &str,
    categories: &[String],
    cases: &[CaseMatch],
) -> bool {
    let has_cases = cases
        .iter()
        .any(|m| m.strength.at_least(c.filter.min_match));
    let f = &c.filter;
    if !f.countries.is_empty() {
        let Ok(j) = Country::parse(jurisdiction) else {
            return false;
        };
        let ok = f.countries.iter().any(|cc| j.covers(cc));
        if !ok {
            return false;
        }
    }
    if !f.categories.is_empty()
        && !categories
            .iter()
            .any(|c| f.categories.iter().any(|x| x.eq_ignore_ascii_case(c)))
    {
        return false;
    }
    if f.cases_only && !has_cases {
        return false;
    }
    true
}
