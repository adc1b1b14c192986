//! Domain types shared by every stage: parse, don't validate.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use regwatch_classify::{Evidence, Gist};

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

/// An HS code, parsed once: digits and dots as bulletins write them
/// (`8517.62`, `8517.62.00.10`), at least a chapter (2 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HsCode(String);

/// How deep an HS code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HsLevel {
    Chapter,
    Heading,
    Subheading,
    /// A national tariff line (8 digits or more).
    National,
}

impl HsCode {
    /// `8517.62`, `8517,62`, `851762`, `8517 62`, `8517.62.00`, `HS 8517`:
    /// normalized to digits and dots. A decimal comma between digits is a dot.
    pub fn parse(s: &str) -> Result<HsCode, String> {
        let dotted: String = {
            let b = s.as_bytes();
            s.char_indices()
                .map(|(i, c)| {
                    let between = i > 0
                        && b[i - 1].is_ascii_digit()
                        && b.get(i + 1).is_some_and(u8::is_ascii_digit);
                    if c == ',' && between {
                        '.'
                    } else {
                        c
                    }
                })
                .collect()
        };
        regwatch_classify::normalize_hs(&dotted)
            .map(HsCode)
            .ok_or_else(|| format!("`{s}` is not an HS code: write e.g. 8517.62 or 851762"))
    }

    /// The HS codes of one typed value: codes separated by `;`, `|`, a
    /// comma followed by a space, or a line break. Within a code, a comma or
    /// space between digit groups joins them (`8517,62` and `8517 62` are
    /// 8517.62, never 8517 and chapter 62); a two-digit code is a chapter
    /// only when written alone. Space-separated codes of four or more
    /// digits each are a list (`8517 8471`).
    pub fn parse_list(s: &str) -> Result<Vec<HsCode>, String> {
        let mut out = vec![];
        for piece in s
            .split([';', '|', '\n'])
            .flat_map(|p| p.split(", "))
            .flat_map(split_commas)
        {
            let mut code = String::new();
            for tok in piece.split_whitespace() {
                let continues = !code.is_empty()
                    && tok.len() == 2
                    && tok.bytes().all(|b| b.is_ascii_digit())
                    && hs_digit_count(&code) >= 4;
                if continues {
                    code.push('.');
                } else if !code.is_empty() && !code.ends_with(['.', ',']) {
                    out.push(HsCode::parse(&code)?);
                    code.clear();
                }
                code.push_str(tok);
            }
            let code = code.trim_matches([',', ' ']);
            if !code.is_empty() {
                out.push(HsCode::parse(code)?);
            }
        }
        Ok(out)
    }
    /// The code as written, normalized (`8517.62.00`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Its digits only (`85176200`).
    pub fn digits(&self) -> String {
        regwatch_classify::hs_digits(&self.0)
    }
    pub fn level(&self) -> HsLevel {
        match self.digits().len() {
            0..=3 => HsLevel::Chapter,
            4..=5 => HsLevel::Heading,
            6..=7 => HsLevel::Subheading,
            _ => HsLevel::National,
        }
    }
    /// Its HS 2017/2022 counterparts (a split's other side).
    pub fn equivalents(&self) -> Vec<HsCode> {
        regwatch_classify::hs_equivalents(&self.0)
            .into_iter()
            .map(HsCode)
            .collect()
    }
    /// The digits of this code and of its equivalents, for a store filter.
    pub fn search_digits(&self) -> Vec<String> {
        let mut v = vec![self.digits()];
        v.extend(self.equivalents().iter().map(HsCode::digits));
        v
    }
}
/// A comma without a space between codes: a decimal comma when what
/// follows is two digits after a heading or longer (`8517,62` is 8517.62,
/// `8517,62,00` 8517.62.00); otherwise a list separator (`0101,0102`,
/// `8517.62,8471.30`).
fn split_commas(piece: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for (i, part) in piece.split(',').enumerate() {
        let two = part.len() >= 2
            && part.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && !part.as_bytes().get(2).is_some_and(u8::is_ascii_digit);
        match out.last_mut() {
            Some(code) if i > 0 && two && hs_digit_count(code) >= 4 => {
                code.push(',');
                code.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

fn hs_digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

impl TryFrom<String> for HsCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        HsCode::parse(&s)
    }
}
impl From<HsCode> for String {
    fn from(c: HsCode) -> String {
        c.0
    }
}
impl fmt::Display for HsCode {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Feed,
    Page,
    Pdf,
    Json,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Page => "page",
            SourceKind::Pdf => "pdf",
            SourceKind::Json => "json",
        }
    }
}

/// One extracted item of a listing (feed entry, list element, JSON record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Stable key: guid, else canonical link, else hash of normalized title+text.
    pub key: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default)]
    pub text: String,
    /// The date the source gives the item (a feed entry's published or
    /// updated date): the anchor of the dates its text counts from
    /// publication. Not part of what the item says: neither stored in the
    /// snapshot nor hashed, so a feed that only re-dates an entry has not
    /// changed.
    #[serde(skip)]
    pub published: Option<NaiveDate>,
}

/// What a source said at one poll, after extraction and normalization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Content {
    Items { items: Vec<Item> },
    Text { text: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
    Text,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Removed => "removed",
            ChangeKind::Text => "text",
        }
    }
    pub fn parse(s: &str) -> Option<ChangeKind> {
        Some(match s {
            "added" => ChangeKind::Added,
            "modified" => ChangeKind::Modified,
            "removed" => ChangeKind::Removed,
            "text" => ChangeKind::Text,
            _ => return None,
        })
    }
}

/// A change as the diff stage produces it, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    pub kind: ChangeKind,
    pub item_key: Option<String>,
    pub title: String,
    pub link: Option<String>,
    pub excerpt: String,
    pub diff: String,
    /// The text the tagger reads (title excluded).
    pub text: String,
    /// The date the source gives the item, or a field report's date: the
    /// tagger counts "in force on publication" and "30 days after
    /// publication" from it when the text states no date of its own.
    pub published: Option<NaiveDate>,
}

/// How strongly a change affects a case, strongest first (DESIGN.md, "Match strength").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// The same code, an ancestor or descendant, or its HS 2017/2022 equivalent.
    Direct,
    /// The change names the case's chapter, or a range that contains it.
    Chapter,
    /// A case keyword appears.
    #[default]
    Keyword,
    /// Only the heading is shared, by sibling subheadings.
    Related,
    /// No HS code on one side; the same category.
    Category,
}

impl Strength {
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Direct => "direct",
            Strength::Chapter => "chapter",
            Strength::Keyword => "keyword",
            Strength::Related => "related",
            Strength::Category => "category",
        }
    }
    pub fn parse(s: &str) -> Option<Strength> {
        Some(match s {
            "direct" => Strength::Direct,
            "chapter" => Strength::Chapter,
            "keyword" => Strength::Keyword,
            "related" => Strength::Related,
            "category" => Strength::Category,
            _ => return None,
        })
    }
    /// Whether this is `min` or stronger.
    pub fn at_least(self, min: Strength) -> bool {
        self <= min
    }
}

/// How soon a change needs a person's attention (DESIGN.md, "Urgency,
/// deadlines, review"), most urgent first when sorted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    High,
    Medium,
    #[default]
    Low,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Low => "low",
        }
    }
}

/// A person's mark on a change (DESIGN.md: `review`); `state` is `new`
/// until someone marks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub state: String,
    pub by: Option<String>,
    #[serde(default)]
    pub at: Option<String>,
    pub note: Option<String>,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            state: "new".into(),
            by: None,
            at: None,
            note: None,
        }
    }
}

/// The states a review can mark.
pub const REVIEW_STATES: &[&str] = &["new", "reviewed", "dismissed"];

/// Why a change affects a case.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CaseMatch {
    pub id: String,
    /// The case's client (empty when the case is unknown or has none).
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub strength: Strength,
    pub reason: String,
    /// A reviewer's latest word on this change for this case.
    #[serde(default)]
    pub disposition: Disposition,
}

/// A reviewer's mark on one case of a change (DESIGN.md: `disposition`):
/// `open` until someone says it `affects` the case, is `not_affected` or `done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disposition {
    pub state: String,
    pub by: Option<String>,
    #[serde(default)]
    pub at: Option<String>,
    pub note: Option<String>,
}

impl Default for Disposition {
    fn default() -> Self {
        Disposition {
            state: "open".into(),
            by: None,
            at: None,
            note: None,
        }
    }
}

/// The states a disposition can mark (`open` takes a mark back).
pub const DISPOSITION_STATES: &[&str] = &["open", "affects", "not_affected", "done"];

/// A recorded change, in the JSON shape DESIGN.md fixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: i64,
    pub source: String,
    pub jurisdiction: String,
    #[serde(with = "seconds")]
    pub detected_at: DateTime<Utc>,
    pub kind: ChangeKind,
    pub title: String,
    pub link: Option<String>,
    pub excerpt: String,
    pub diff: String,
    pub categories: Vec<String>,
    pub hs_codes: Vec<String>,
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub effective_date: Option<NaiveDate>,
    /// A comment or transition deadline the text states.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// Codes the text names as excluded ("8517.62 hariç"): they never match.
    #[serde(default)]
    pub excluded_hs_codes: Vec<String>,
    /// Chapters the text names ("Fasıl 85", "chapters 84 to 85").
    #[serde(default)]
    pub chapters: Vec<String>,
    /// For a WTO notification: the notifying member, whose cases it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The origins an origin-specific measure names ("originating in China").
    #[serde(default)]
    pub origins: Vec<String>,
    /// Origins the measure exempts ("excepto las originarias de Canadá"):
    /// it covers every other origin and never these.
    #[serde(default)]
    pub exempt_origins: Vec<String>,
    /// Ranges of codes by their two ends (`["8528.42", "8528.59"]`): the
    /// codes inside match, not only the ends.
    #[serde(default)]
    pub hs_ranges: Vec<(String, String)>,
    /// What kind of measure it is (`tariff`, `trade_defence`, `goods_rule`,
    /// `ukca`), for territory.
    #[serde(default)]
    pub measures: Vec<String>,
    /// Every date of the text: `{kind, date, evidence}`, the kind one of
    /// `applies`, `in_force`, `comment_deadline`, `transition_end`, the
    /// evidence the sentence it came from.
    #[serde(default)]
    pub dates: Vec<regwatch_classify::DateFact>,
    /// Computed when the change is read (from its dates, its case matches
    /// and today), never stored: see `services::urgency`.
    #[serde(default)]
    pub urgency: Urgency,
    #[serde(default)]
    pub urgency_reasons: Vec<String>,
    #[serde(default)]
    pub cases: Vec<CaseMatch>,
    /// The latest review mark (attached when the change is read).
    #[serde(default)]
    pub review: Review,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default)]
    pub url: String,
    /// The story: the id of the first change that reported the same act
    /// (its own id when it stands alone). See `crate::story`.
    #[serde(default)]
    pub story_id: i64,
    /// The other changes of its story, oldest first (attached when read).
    #[serde(default)]
    pub also_reported_by: Vec<StoryMember>,
    /// An offline English gist of a notice not in English (see
    /// `docs/gist.md`); absent for English and for changes recorded before
    /// gists were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gist: Option<Gist>,
    /// A reviewer's corrections of its tags, oldest first (attached when
    /// read); the change shows the values of the latest.
    #[serde(default)]
    pub corrections: Vec<Correction>,
    /// Practice before publication: the days between a field report of its
    /// story and the first official change that reported the same act
    /// (attached when read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_days: Option<i64>,
}

/// The tags a reviewer may correct, as they were before or after a correction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorrectedTags {
    pub categories: Vec<String>,
    pub hs_codes: Vec<String>,
    pub effective_date: Option<NaiveDate>,
}

/// A reviewer's correction of a change's tags: who, when, why, before, after.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub by: String,
    pub at: String,
    pub reason: String,
    pub before: CorrectedTags,
    pub after: CorrectedTags,
}

/// Another source's change that reports the same act.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoryMember {
    pub id: i64,
    pub source_id: String,
    pub title: String,
    pub link: Option<String>,
    #[serde(with = "seconds")]
    pub detected_at: DateTime<Utc>,
    /// The change's page.
    #[serde(default)]
    pub url: String,
}

impl Change {
    /// The change's tags, as matching reads them.
    pub fn tags(&self) -> Tags {
        Tags {
            categories: self.categories.clone(),
            hs_codes: self.hs_codes.clone(),
            evidence: vec![],
            effective_date: self.effective_date,
            deadline: self.deadline,
            excluded_hs_codes: self.excluded_hs_codes.clone(),
            chapters: self.chapters.clone(),
            member: self.member.clone(),
            origins: self.origins.clone(),
            exempt_origins: self.exempt_origins.clone(),
            hs_ranges: self.hs_ranges.clone(),
            measures: self.measures.clone(),
            dates: self.dates.clone(),
        }
    }
}

/// Timestamps in JSON as `2026-11-25T00:15:04Z`.
mod seconds {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// An open client shipment or quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub title: String,
    pub country: String,
    #[serde(default)]
    pub hs_codes: Vec<HsCode>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub link: Option<String>,
    /// Country of origin (ISO alpha-2), when known: origin-specific
    /// measures (trade remedies, Section 301) match only cases of their origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

fn default_status() -> String {
    "open".into()
}

/// The health of one source, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub id: String,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub down: bool,
    /// Where the source's address now lives (permanent redirects followed),
    /// shown until the source is edited.
    pub moved_to: Option<String>,
    /// The address the move was seen from: when the source's configured
    /// `url` is no longer this one, it was edited and the move is old news.
    #[serde(default)]
    pub moved_from: Option<String>,
    /// The site asked us to wait (429/503 with Retry-After) until then.
    pub rate_limited_until: Option<DateTime<Utc>>,
}

/// Tags of a change, from the classifier. Stored whole with the change (as
/// JSON, `changes.tags`); a field missing from a stored set is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tags {
    pub categories: Vec<String>,
    pub hs_codes: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub effective_date: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub excluded_hs_codes: Vec<String>,
    pub chapters: Vec<String>,
    /// A WTO notification's member (ISO alpha-2, or EU).
    pub member: Option<String>,
    /// Origins an origin-specific measure names (ISO alpha-2).
    pub origins: Vec<String>,
    /// Origins the measure exempts ("excepto las originarias de Canadá"):
    /// it covers every other origin and never these.
    pub exempt_origins: Vec<String>,
    /// Ranges of codes by their two ends ("8528.42" to "8528.59"): the codes
    /// inside match, not only the ends.
    pub hs_ranges: Vec<(String, String)>,
    /// What kind of measure the change is (`tariff`, `trade_defence`,
    /// `goods_rule`, `ukca`), for territory ([`Country::reach`]).
    pub measures: Vec<String>,
    /// Every date of the text with its kind and sentence (`applies`,
    /// `in_force`, `comment_deadline`, `transition_end`).
    pub dates: Vec<regwatch_classify::DateFact>,
}

/// A change ready to be recorded: diffed, tagged, matched and routed.
#[derive(Debug, Clone)]
pub struct ChangeRecord {
    pub change: NewChange,
    pub tags: Tags,
    pub cases: Vec<CaseMatch>,
    /// Channels that want this change delivered immediately.
    pub deliver_to: Vec<String>,
    /// The English gist of a notice not in English (`crate::gist`).
    pub gist: Option<Gist>,
}

/// What one poll found, as the store records it.
#[derive(Debug, Clone)]
pub enum PollOutcome {
    NotModified,
    Unchanged {
        etag: Option<String>,
        last_modified: Option<String>,
    },
    Changed {
        content: Content,
        hash: String,
        etag: Option<String>,
        last_modified: Option<String>,
        baseline: bool,
        changes: Vec<ChangeRecord>,
    },
    Failed {
        error: String,
    },
    /// A listing that shrank by more than half at once: held, not diffed,
    /// until the next poll shows the same content (`hash`) again.
    Suspect {
        hash: String,
        reason: String,
    },
}

impl PollOutcome {
    /// The outcome's name (see [`PollStatus::name`]).
    pub fn name(&self) -> &'static str {
        match self {
            PollOutcome::NotModified => NOT_MODIFIED,
            PollOutcome::Unchanged { .. } => UNCHANGED,
            PollOutcome::Changed { baseline: true, .. } => BASELINE,
            PollOutcome::Changed { .. } => CHANGED,
            PollOutcome::Failed { .. } => FAILED,
            PollOutcome::Suspect { .. } => SUSPECT,
        }
    }
}

/// The names of poll outcomes: one set, used by logs, metrics, the store's
/// fetch log and the CLI.
pub const BASELINE: &str = "baseline";
pub const CHANGED: &str = "changed";
pub const UNCHANGED: &str = "unchanged";
pub const NOT_MODIFIED: &str = "not_modified";
pub const FAILED: &str = "failed";
pub const SUSPECT: &str = "suspect";
pub const DEFERRED: &str = "deferred";

/// A poll's result as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStatus {
    Baseline,
    Changed(usize),
    Unchanged,
    NotModified,
    Failed(String),
    /// Held as suspect (a health warning): nothing recorded but the hold.
    Suspect(String),
    /// Not asked: the site (or its host) asked us to wait until a time that
    /// has not come (429/503 with Retry-After). Nothing fetched, nothing
    /// recorded; the reason, for the summary.
    Deferred(String),
}

impl PollStatus {
    pub fn name(&self) -> &'static str {
        match self {
            PollStatus::Baseline => BASELINE,
            PollStatus::Changed(_) => CHANGED,
            PollStatus::Unchanged => UNCHANGED,
            PollStatus::NotModified => NOT_MODIFIED,
            PollStatus::Failed(_) => FAILED,
            PollStatus::Suspect(_) => SUSPECT,
            PollStatus::Deferred(_) => DEFERRED,
        }
    }
}

/// A health transition recorded by a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    Same,
    WentDown,
    Recovered,
}

/// A source's health in one word, the same in the CLI, the API and the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    Disabled,
    NeverPolled,
    Ok,
    Failing,
    Down,
    /// Polls work, but the last one was held as suspect (see `last_error`).
    Suspect,
    /// The site asked us to wait (429/503 with Retry-After); polled again after that.
    RateLimited,
    /// Polls work through permanent redirects: the source should be updated.
    Moved,
    /// The store refuses writes: this source's polls are not recorded.
    StorageFailing,
}

impl HealthState {
    pub fn of(enabled: bool, h: Option<&SourceHealth>) -> HealthState {
        match h {
            _ if !enabled => HealthState::Disabled,
            None => HealthState::NeverPolled,
            Some(h) if h.down => HealthState::Down,
            Some(h) if h.rate_limited_until.is_some() => HealthState::RateLimited,
            Some(h) if h.consecutive_failures > 0 => HealthState::Failing,
            // Only a suspect poll leaves an error behind without a failure.
            Some(h) if h.last_error.is_some() => HealthState::Suspect,
            Some(h) if h.last_success_at.is_none() => HealthState::NeverPolled,
            Some(h) if h.moved_to.is_some() => HealthState::Moved,
            Some(_) => HealthState::Ok,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            HealthState::Disabled => "disabled",
            HealthState::NeverPolled => "never polled",
            HealthState::Ok => "ok",
            HealthState::Failing => "failing",
            HealthState::Down => "down",
            HealthState::Suspect => "suspect",
            HealthState::RateLimited => "rate limited",
            HealthState::Moved => "moved",
            HealthState::StorageFailing => "storage failing",
        }
    }
}

impl Serialize for HealthState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
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

    #[test]
    fn hs_input_as_people_type_it() {
        let one = |s: &str| {
            HsCode::parse_list(s)
                .unwrap()
                .iter()
                .map(|c| c.as_str().to_string())
                .collect::<Vec<_>>()
        };
        for typed in ["8517.62", "8517,62", "851762", "8517 62", " 8517.62 "] {
            assert_eq!(one(typed), vec!["8517.62"], "{typed}");
        }
        assert_eq!(one("8517 62 00"), vec!["8517.62.00"]);
        assert_eq!(one("8517;8471"), vec!["8517", "8471"]);
        assert_eq!(one("8517, 8471.30"), vec!["8517", "8471.30"]);
        assert_eq!(one("8517 8471"), vec!["8517", "8471"]);
        // A comma without a space: decimal before two digits, else a list.
        assert_eq!(one("8517,62,8471,30"), vec!["8517.62", "8471.30"]);
        assert_eq!(one("8517.62,8471.30"), vec!["8517.62", "8471.30"]);
        assert_eq!(one("0101,0102"), vec!["0101", "0102"]);
        assert_eq!(one("8517,62,00"), vec!["8517.62.00"]);
        // A chapter only when written alone.
        assert_eq!(one("85"), vec!["85"]);
        assert!(HsCode::parse_list("8517,6x").is_err());
        assert_eq!(HsCode::parse("8517,62").unwrap().as_str(), "8517.62");
    }
}
