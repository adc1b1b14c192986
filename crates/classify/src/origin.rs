//! Origins named by origin-specific measures: trade remedies on goods
//! "originating in" a country, "Çin menşeli", "originarias de China",
//! "có xuất xứ từ Trung Quốc", Section 301 actions on China. Only an origin
//! named with such a cue counts: a country merely mentioned ("the EU and
//! China discussed…") is no origin.

use regex::Regex;
use std::sync::LazyLock;

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

/// Cues, in the folded text: the country name is the capture `c`.
static CUES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let n = names_alt();
    [
        // English
        format!(r"\b(?:originating|originated|of origin) (?:in|from) (?:the )?(?P<c>{n})\b"),
        format!(r"\b(?P<c>{n})[- ]origin\b"),
        format!(r"\bof (?P<c>{n}) origin\b"),
        format!(r"\b(?:imports?|goods|products) from (?:the )?(?P<c>{n})\b[^.]{{0,80}}\b(?:anti ?dumping|countervailing|safeguard|dumping)"),
        format!(r"\b(?:anti ?dumping|countervailing|safeguard)\b[^.]{{0,120}}\bfrom (?:the )?(?P<c>{n})\b"),
        r"\bsection 301\b[^.]{0,160}\b(?P<c>china|chinese)\b".to_string(),
        r"\b(?P<c>china|chinese)\b[^.]{0,160}\bsection 301\b".to_string(),
        // Turkish: "Çin menşeli", "menşei Çin olan"
        format!(r"\b(?P<c>{n})\w* mensel"),
        format!(r"\bmensei (?P<c>{n})\b"),
        // Spanish
        format!(r"\boriginari[oa]s? de (?:la )?(?P<c>{n})\b"),
        // Vietnamese
        format!(r"\bxuat xu (?:tu )?(?P<c>{n})\b"),
    ]
    .iter()
    .filter_map(|re| Regex::new(re).ok())
    .collect()
});

/// The origins an origin-specific measure names (ISO alpha-2), in order.
pub fn origins(text: &str) -> Vec<&'static str> {
    // Case-blind, Turkish-aware, diacritics and hyphens dropped.
    let folded = crate::norm::collapse(&crate::norm::fold_strip(text, true));
    let mut out: Vec<&'static str> = vec![];
    for re in CUES.iter() {
        for cap in re.captures_iter(&folded) {
            let Some(name) = cap.name("c") else { continue };
            if let Some((_, code)) = NAMES.iter().find(|(n, _)| *n == name.as_str()) {
                if !out.contains(code) {
                    out.push(code);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_cues_in_four_languages() {
        assert_eq!(
            origins("Anti-dumping duty on certain steel products originating in the People's Republic of China"),
            vec!["CN"]
        );
        assert_eq!(
            origins("Çin Halk Cumhuriyeti menşeli cep telefonlarına ek gümrük vergisi"),
            vec!["CN"]
        );
        assert_eq!(
            origins("cuota compensatoria a las importaciones de productos originarias de la República Popular China"),
            vec!["CN"]
        );
        assert_eq!(origins("hàng hóa có xuất xứ từ Trung Quốc"), vec!["CN"]);
        assert_eq!(
            origins("Notice of Action: Section 301 tariffs on products of China, list 4A"),
            vec!["CN"]
        );
        assert_eq!(origins("Vietnam-origin solar cells"), vec!["VN"]);
    }

    #[test]
    fn a_country_merely_named_is_no_origin() {
        assert!(origins("The EU and China discussed trade in Geneva").is_empty());
        assert!(origins("Çin'de düzenlenen fuar").is_empty());
        assert!(origins("Telsiz ekipmanı ithalatında uygunluk belgesi").is_empty());
    }
}
