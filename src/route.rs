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
                    crate::model::rule_jurisdiction(jurisdiction, tags.member.as_deref()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::Strength;

    fn channel(min: &str) -> ChannelConfig {
        let text = format!(
            "[[channel]]\nname = \"c\"\ntype = \"webhook\"\nurl = \"https://cases.example/h\"\n[channel.filter]\ncases_only = true\nmin_match = \"{min}\"\n"
        );
        Config::from_str(std::path::Path::new("c.toml"), &text)
            .unwrap()
            .channels
            .remove(0)
    }

    fn case_match(strength: Strength) -> CaseMatch {
        CaseMatch {
            id: "PHONE-1".into(),
            link: None,
            strength,
            reason: "r".into(),
            ..Default::default()
        }
    }

    #[test]
    fn weaker_matches_than_min_match_are_not_alerted() {
        let tags = Tags::default();
        let keyword = [channel("keyword")];
        let related = [case_match(Strength::Related)];
        assert!(immediate_routes(&keyword, "TR", &tags, &related).is_empty());
        let direct = [case_match(Strength::Direct)];
        assert_eq!(immediate_routes(&keyword, "TR", &tags, &direct), vec!["c"]);
        // A channel that asks for related matches gets them.
        let loose = [channel("related")];
        assert_eq!(immediate_routes(&loose, "TR", &tags, &related), vec!["c"]);
    }

    #[test]
    fn a_wto_notification_passes_its_members_country_filter() {
        let mut ch = channel("keyword");
        ch.filter.cases_only = false;
        ch.filter.countries = vec![Country::parse("TR").unwrap()];
        let tags = Tags {
            member: Some("TR".into()),
            ..Default::default()
        };
        assert_eq!(
            immediate_routes(&[ch.clone()], "WTO", &tags, &[]),
            vec!["c"]
        );
        assert!(immediate_routes(&[ch], "WTO", &Tags::default(), &[]).is_empty());
    }
}
