//! Identifiers parsed once: a source's id and a jurisdiction.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A source id: a lowercase slug that never changes, since history hangs on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceId(String);

impl SourceId {
    pub fn parse(s: &str) -> Result<SourceId, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && s.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(SourceId(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a valid source id: use lowercase letters, digits and dashes, e.g. `tr-resmi-gazete`"
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SourceId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SourceId::parse(&s)
    }
}
impl From<SourceId> for String {
    fn from(s: SourceId) -> String {
        s.0
    }
}
impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A jurisdiction: ISO 3166-1 alpha-2 (uppercase), or `EU` / `WTO`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(String);

/// EU member states (2026), for "an EU change covers EU members".
pub const EU_MEMBERS: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

impl Country {
    pub fn parse(s: &str) -> Result<Country, String> {
        let up = s.trim().to_ascii_uppercase();
        let up = match up.as_str() {
            "UK" => "GB".to_string(),
            "EL" => "GR".to_string(),
            _ => up,
        };
        if up == "EU"
            || up == "WTO"
            || (up.len() == 2 && up.bytes().all(|b| b.is_ascii_uppercase()))
        {
            Ok(Country(up))
        } else {
            Err(format!(
                "`{s}` is not a country: use an ISO 3166-1 alpha-2 code (TR, VN, MX, GB, US), EU or WTO"
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether a rule of this jurisdiction may apply to goods going to
    /// `dest`, whatever kind of measure it is (channel filters and source
    /// coverage): itself, the EU for its members and Northern Ireland, the
    /// UK's tariff and customs measures for Northern Ireland. Matching asks
    /// [`Country::reach`], which knows the kind of measure.
    pub fn covers(&self, dest: &Country) -> bool {
        self == dest
            || self.0 == "EU" && dest.follows_eu_goods_rules()
            || self.0 == "GB" && dest.0 == "XI"
    }
    /// How a rule of this jurisdiction reaches goods going to `dest`, given
    /// the kinds of measure the change is (`tariff`, `trade_defence`,
    /// `goods_rule`, `ukca`; none known counts as a goods rule). The whole
    /// table, with its reasons, is in docs/matching.md:
    /// - a jurisdiction covers itself;
    /// - the EU covers its member states, whatever the measure;
    /// - EU goods rules (product safety, RED, MDR/IVDR, CE, ecodesign) cover
    ///   Northern Ireland (`XI`, Windsor Framework); EU duties (tariff, trade
    ///   defence) reach it only for goods at risk of moving into the EU:
    ///   [`Reach::Partly`];
    /// - UK tariff and customs measures (tariff, trade defence) cover `XI`;
    ///   other UK rules (a UKCA rule) cover Great Britain only;
    /// - nothing of the EU reaches Türkiye (`TR`), customs union or not.
    pub fn reach(&self, dest: &Country, measures: &[String]) -> Reach {
        if self == dest {
            return Reach::Covers;
        }
        let is = |k: &str| measures.iter().any(|m| m == k);
        let duties = is("tariff") || is("trade_defence");
        match (self.0.as_str(), dest.0.as_str()) {
            ("EU", d) if EU_MEMBERS.contains(&d) => Reach::Covers,
            ("EU", "XI") if duties && !is("goods_rule") => Reach::Partly,
            ("EU", "XI") => Reach::Covers,
            ("GB", "XI") if duties => Reach::Covers,
            _ => Reach::None,
        }
    }
    /// Whether EU goods rules apply here: the member states, and Northern
    /// Ireland (`XI`, under the Windsor Framework).
    pub fn follows_eu_goods_rules(&self) -> bool {
        self.0 == "XI" || EU_MEMBERS.contains(&self.0.as_str())
    }
    /// Every destination this jurisdiction's rules may reach (by
    /// [`Country::reach`], for some measure): itself; for the EU its member
    /// states and Northern Ireland (`XI`); for the UK Northern Ireland.
    /// What matching asks the store for, so it reads only the cases that
    /// can match.
    pub fn reaches(&self) -> Vec<Country> {
        let mut v = vec![self.clone()];
        match self.0.as_str() {
            "EU" => {
                v.extend(EU_MEMBERS.iter().map(|m| Country((*m).to_string())));
                v.push(Country("XI".into()));
            }
            "GB" => v.push(Country("XI".into())),
            _ => {}
        }
        v
    }
    /// Every jurisdiction whose rules apply to goods going to this
    /// destination: itself, and the EU for a member state. The one place
    /// membership is decided (the store's filters ask here too).
    pub fn covered_by(&self) -> Vec<Country> {
        let mut v = vec![self.clone()];
        if self.follows_eu_goods_rules() {
            v.push(Country("EU".into()));
        }
        // UK tariff and customs measures apply in Northern Ireland
        if self.0 == "XI" {
            v.push(Country("GB".into()));
        }
        v
    }
}

/// How a rule reaches a destination ([`Country::reach`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The rule applies to goods going there.
    Covers,
    /// It applies there only to some goods (EU duties on goods at risk of
    /// moving into the EU through Northern Ireland): a match is at most
    /// `related`, shown and not alerted by default.
    Partly,
    /// It does not apply there.
    None,
}
impl TryFrom<String> for Country {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Country::parse(&s)
    }
}
impl From<Country> for String {
    fn from(c: Country) -> String {
        c.0
    }
}
impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The jurisdiction whose rule a change carries: for a WTO notification the
/// member that notified it (when known), else the source's own. The one
/// place this is decided, for matching, routing and digests alike.
pub fn rule_jurisdiction<'a>(jurisdiction: &'a str, member: Option<&'a str>) -> &'a str {
    match member {
        Some(m) if jurisdiction == "WTO" => m,
        _ => jurisdiction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_covers_members_only() {
        let eu = Country::parse("EU").unwrap();
        assert!(eu.covers(&Country::parse("de").unwrap()));
        assert!(!eu.covers(&Country::parse("TR").unwrap()));
        assert!(Country::parse("TR")
            .unwrap()
            .covers(&Country::parse("tr").unwrap()));
        assert_eq!(Country::parse("uk").unwrap().as_str(), "GB");
        assert!(Country::parse("Turkey").is_err());
    }

    #[test]
    fn source_id_is_a_slug() {
        assert!(SourceId::parse("tr-resmi-gazete").is_ok());
        assert!(SourceId::parse("TR gazette").is_err());
        assert!(SourceId::parse("").is_err());
    }
}
