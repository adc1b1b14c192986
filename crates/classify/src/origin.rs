//! Origins named by origin-specific measures: trade remedies on goods
//! "originating in" a country, "Çin menşeli", "originarias de China",
//! "có xuất xứ từ Trung Quốc", Section 301 actions on China. Only an origin
//! named with such a cue counts: a country merely mentioned ("the EU and
//! China discussed…") is no origin.
//!
//! An origin named inside an exclusion clause is an exemption: "excepto las
//! originarias de Canadá", "except products of Mexico", "Meksika menşeli
//! olanlar hariç". The measure then covers every other origin and never
//! the exempt one.

use regex_automata::meta;
use std::sync::{LazyLock, OnceLock};

use crate::clause::{ClauseRole, Reading};
use crate::norm::Folded;

/// Country names as bulletins write them (folded), with ISO 3166-1 alpha-2.
const NAMES: &[(&str, &str)] = &[
    ("people's republic of china", "CN"),
    ("china", "CN"),
    ("chinese", "CN"),
    ("cin halk cumhuriyeti", "CN"),
    ("cin", "CN"),
    ("trung quoc", "CN"),
    ("republica popular china", "CN"),
    ("vietnam", "VN"),
    ("viet nam", "VN"),
    ("vietnamese", "VN"),
    ("india", "IN"),
    ("indian", "IN"),
    ("hindistan", "IN"),
    ("an do", "IN"),
    ("korea", "KR"),
    ("republic of korea", "KR"),
    ("kore", "KR"),
    ("han quoc", "KR"),
    ("corea", "KR"),
    ("japan", "JP"),
    ("japanese", "JP"),
    ("japonya", "JP"),
    ("nhat ban", "JP"),
    ("japon", "JP"),
    ("taiwan", "TW"),
    ("tayvan", "TW"),
    ("dai loan", "TW"),
    ("thailand", "TH"),
    ("tayland", "TH"),
    ("thai lan", "TH"),
    ("tailandia", "TH"),
    ("malaysia", "MY"),
    ("malezya", "MY"),
    ("malasia", "MY"),
    ("indonesia", "ID"),
    ("endonezya", "ID"),
    ("mexico", "MX"),
    ("meksika", "MX"),
    ("turkey", "TR"),
    ("turkiye", "TR"),
    ("turquia", "TR"),
    ("tho nhi ky", "TR"),
    ("united states", "US"),
    ("estados unidos", "US"),
    ("hoa ky", "US"),
    ("abd", "US"),
    ("russia", "RU"),
    ("rusya", "RU"),
    ("nga", "RU"),
    ("rusia", "RU"),
    ("canada", "CA"),
    ("kanada", "CA"),
    ("united states of america", "US"),
    ("estados unidos de america", "US"),
    ("amerika birlesik devletleri", "US"),
    ("the united states", "US"),
    ("brazil", "BR"),
    ("brasil", "BR"),
    ("brezilya", "BR"),
    ("united kingdom", "GB"),
    ("reino unido", "GB"),
    ("birlesik krallik", "GB"),
    ("vuong quoc anh", "GB"),
    ("laos", "LA"),
    ("lao", "LA"),
    ("cambodia", "KH"),
    ("campuchia", "KH"),
    ("camboya", "KH"),
    ("kambocya", "KH"),
    ("pakistan", "PK"),
    ("bangladesh", "BD"),
    ("philippines", "PH"),
    ("filipinas", "PH"),
    ("filipinler", "PH"),
    ("singapore", "SG"),
    ("singapur", "SG"),
    ("hong kong", "HK"),
    ("australia", "AU"),
    ("avustralya", "AU"),
    ("ukraine", "UA"),
    ("ucrania", "UA"),
    ("ukrayna", "UA"),
    ("egypt", "EG"),
    ("misir", "EG"),
    ("south africa", "ZA"),
    ("sudafrica", "ZA"),
    ("argentina", "AR"),
    ("arjantin", "AR"),
    ("chile", "CL"),
    ("sili", "CL"),
    ("colombia", "CO"),
    ("kolombiya", "CO"),
    ("peru", "PE"),
    ("switzerland", "CH"),
    ("suiza", "CH"),
    ("isvicre", "CH"),
    ("norway", "NO"),
    ("noruega", "NO"),
    ("norvec", "NO"),
    ("israel", "IL"),
    ("iran", "IR"),
    ("saudi arabia", "SA"),
    ("arabia saudita", "SA"),
    ("suudi arabistan", "SA"),
    ("united arab emirates", "AE"),
    ("birlesik arap emirlikleri", "AE"),
    ("germany", "DE"),
    ("alemania", "DE"),
    ("almanya", "DE"),
    ("duc", "DE"),
    ("italy", "IT"),
    ("italia", "IT"),
    ("italya", "IT"),
    ("france", "FR"),
    ("francia", "FR"),
    ("fransa", "FR"),
    ("phap", "FR"),
    ("spain", "ES"),
    ("espana", "ES"),
    ("ispanya", "ES"),
    ("guatemala", "GT"),
    ("honduras", "HN"),
    ("nicaragua", "NI"),
    ("costa rica", "CR"),
    ("el salvador", "SV"),
    ("panama", "PA"),
    ("uruguay", "UY"),
    ("paraguay", "PY"),
    ("kazakhstan", "KZ"),
    ("kazakistan", "KZ"),
    ("azerbaijan", "AZ"),
    ("azerbaycan", "AZ"),
    ("myanmar", "MM"),
    ("sri lanka", "LK"),
    ("new zealand", "NZ"),
    ("european union", "EU"),
    ("union europea", "EU"),
    ("avrupa birligi", "EU"),
    ("lien minh chau au", "EU"),
];

fn names_alt() -> String {
    let mut names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|")
}

/// Cues, in the folded text: the country name is the capture `c` (`{n}`
/// stands for any country name). Each with the words one of which it
/// needs: a cue runs, and is compiled, only when the text holds one (the
/// twelve together are 1.3 MB of automata, and most texts name no origin).
const CUES: &crate::re::Gated = &[
    // English
    (
        &["origin"],
        r"\b(?:originating|originated|of origin) (?:in|from) (?:the )?(?P<c>{n})\b",
    ),
    (&["origin"], r"\b(?P<c>{n})[- ]origin\b"),
    (&["origin"], r"\bof (?P<c>{n}) origin\b"),
    (
        &["dumping", "countervailing", "safeguard"],
        r"\b(?:imports?|goods|products) from (?:the )?(?P<c>{n})\b[^.]{0,80}\b(?:anti ?dumping|countervailing|safeguard|dumping)",
    ),
    (
        &["dumping", "countervailing", "safeguard"],
        r"\b(?:anti ?dumping|countervailing|safeguard)\b[^.]{0,120}\bfrom (?:the )?(?P<c>{n})\b",
    ),
    (
        &["section 301"],
        r"\bsection 301\b[^.]{0,160}\b(?P<c>china|chinese)\b",
    ),
    (
        &["section 301"],
        r"\b(?P<c>china|chinese)\b[^.]{0,160}\bsection 301\b",
    ),
    // Turkish: "Çin menşeli", "menşei Çin olan"
    (&["mensel"], r"\b(?P<c>{n})\w* mensel"),
    (&["mensei"], r"\bmensei (?P<c>{n})\b"),
    // Spanish
    (
        &["originari"],
        r"\boriginari[oa]s? de (?:la |los |el )?(?:republica (?:popular |de )?(?:de )?)?(?P<c>{n})\b",
    ),
    (
        &["procedent"],
        r"\bprocedentes? de (?:la |los |el )?(?P<c>{n})\b",
    ),
    // Vietnamese
    (
        &["xuat xu"],
        r"\bxuat xu (?:tu )?(?:nuoc )?(?:chdcnd |cong hoa )?(?P<c>{n})\b",
    ),
];

/// The cues, each compiled when a text first holds one of its words.
static COMPILED: [OnceLock<Option<meta::Regex>>; CUES.len()] =
    [const { OnceLock::new() }; CUES.len()];

/// Any country name, for a name right after an exclusion word ("excepto
/// Canadá y México", "except Mexico").
static NAME: LazyLock<meta::Regex> =
    LazyLock::new(|| crate::re::lean(&format!(r"\b(?P<c>{})\b", names_alt())).unwrap());

/// Exempting cues that name goods of a country only inside an exclusion:
/// "except products of Mexico", "excepto los productos de Canadá".
static EXEMPT_CUES: LazyLock<meta::Regex> = LazyLock::new(|| {
    let n = names_alt();
    crate::re::lean(&format!(
        r"\b(?:products?|goods|imports?|articles?|merchandise|productos?|mercancias|bienes|importaciones|esya\w*|urun\w*|hang hoa|san pham)\s+(?:of|from|de|del|de la|den|tu)\s+(?:the\s+|la\s+)?(?P<c>{n})\b"
    ))
    .unwrap()
});

fn code_of(name: &str) -> Option<&'static str> {
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// The origins a read text names and the origins it exempts (ISO alpha-2),
/// in order of appearance.
pub(crate) fn read(f: &Folded, reading: &Reading) -> (Vec<String>, Vec<String>) {
    let t = f.stripped.as_str();
    let mut origins: Vec<String> = Vec::new();
    let mut exempt: Vec<String> = Vec::new();
    let excluded_at =
        |byte: usize| reading.role_at(f.char_at_stripped(byte)) == ClauseRole::Exclusion;
    let push = |v: &mut Vec<String>, c: &str| {
        if !v.iter().any(|x| x == c) {
            v.push(c.to_string());
        }
    };
    let excluding = reading.spans.iter().any(|s| s.2 == ClauseRole::Exclusion);
    let cued = crate::re::gated(CUES, &COMPILED, t, |src| {
        crate::re::lean(&src.replace("{n}", &names_alt())).ok()
    })
    .map(|re| (re, false));
    let exempting = excluding.then(|| (&*EXEMPT_CUES, true));
    for (re, exempting) in cued.chain(exempting) {
        for cap in re.captures_iter(t) {
            let Some(name) = cap.get_group_by_name("c") else {
                continue;
            };
            let Some(code) = code_of(&t[name.range()]) else {
                continue;
            };
            if excluded_at(name.start) {
                push(&mut exempt, code);
            } else if !exempting {
                push(&mut origins, code);
            }
        }
    }
    // a country right after an exclusion word: "excepto Canadá y México"
    for &(a, b, role) in &reading.spans {
        if role != ClauseRole::Exclusion {
            continue;
        }
        let (sa, sb) = (f.stripped_byte(a), f.stripped_byte(b));
        let span = &t[sa..sb];
        for cap in NAME.captures_iter(span) {
            let Some(name) = cap.get_group_by_name("c") else {
                continue;
            };
            let lead = span[..name.start]
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .count();
            if lead <= 6 {
                if let Some(code) = code_of(&span[name.range()]) {
                    push(&mut exempt, code);
                }
            }
        }
    }
    origins.retain(|o| !exempt.contains(o));
    (origins, exempt)
}
