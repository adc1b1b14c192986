//! WTO SPS/TBT notification symbols (`G/TBT/N/TUR/123`, `G/SPS/N/VNM/45/Add.1`)
//! name the notifying member by its ISO 3166-1 alpha-3 code (with a few WTO
//! spellings: `EU`, `TPKM`). A notification covers that member.

use regex::Regex;
use std::sync::LazyLock;

static SYMBOL: LazyLock<Regex> = LazyLock::new(|| {
    crate::re::compile(r"(?i)\bG\s*/\s*(?:TBT|SPS)\s*/\s*N\s*/\s*([A-Z]{2,4})\s*/\s*\d").unwrap()
});

/// WTO members (and the EU) as they appear in notification symbols -> ISO
/// 3166-1 alpha-2 ("EU" for the European Union).
#[rustfmt::skip]
const MEMBERS: &[(&str, &str)] = &[
    ("AFG", "AF"), ("AGO", "AO"), ("ALB", "AL"), ("ARE", "AE"), ("ARG", "AR"), ("ARM", "AM"),
    ("ATG", "AG"), ("AUS", "AU"), ("AUT", "AT"), ("BDI", "BI"), ("BEL", "BE"), ("BEN", "BJ"),
    ("BFA", "BF"), ("BGD", "BD"), ("BGR", "BG"), ("BHR", "BH"), ("BLZ", "BZ"), ("BOL", "BO"),
    ("BRA", "BR"), ("BRB", "BB"), ("BRN", "BN"), ("BWA", "BW"), ("CAF", "CF"), ("CAN", "CA"),
    ("CHE", "CH"), ("CHL", "CL"), ("CHN", "CN"), ("CIV", "CI"), ("CMR", "CM"), ("COD", "CD"),
    ("COG", "CG"), ("COL", "CO"), ("COM", "KM"), ("CPV", "CV"), ("CRI", "CR"), ("CUB", "CU"),
    ("CYP", "CY"), ("CZE", "CZ"), ("DEU", "DE"), ("DJI", "DJ"), ("DMA", "DM"), ("DNK", "DK"),
    ("DOM", "DO"), ("ECU", "EC"), ("EGY", "EG"), ("ESP", "ES"), ("EST", "EE"), ("FIN", "FI"),
    ("FJI", "FJ"), ("FRA", "FR"), ("GAB", "GA"), ("GBR", "GB"), ("GEO", "GE"), ("GHA", "GH"),
    ("GIN", "GN"), ("GMB", "GM"), ("GNB", "GW"), ("GRC", "GR"), ("GRD", "GD"), ("GTM", "GT"),
    ("GUY", "GY"), ("HKG", "HK"), ("HND", "HN"), ("HRV", "HR"), ("HTI", "HT"), ("HUN", "HU"),
    ("IDN", "ID"), ("IND", "IN"), ("IRL", "IE"), ("ISL", "IS"), ("ISR", "IL"), ("ITA", "IT"),
    ("JAM", "JM"), ("JOR", "JO"), ("JPN", "JP"), ("KAZ", "KZ"), ("KEN", "KE"), ("KGZ", "KG"),
    ("KHM", "KH"), ("KNA", "KN"), ("KOR", "KR"), ("KWT", "KW"), ("LAO", "LA"), ("LBR", "LR"),
    ("LCA", "LC"), ("LIE", "LI"), ("LKA", "LK"), ("LSO", "LS"), ("LTU", "LT"), ("LUX", "LU"),
    ("LVA", "LV"), ("MAC", "MO"), ("MAR", "MA"), ("MDA", "MD"), ("MDG", "MG"), ("MDV", "MV"),
    ("MEX", "MX"), ("MKD", "MK"), ("MLI", "ML"), ("MLT", "MT"), ("MMR", "MM"), ("MNE", "ME"),
    ("MNG", "MN"), ("MOZ", "MZ"), ("MRT", "MR"), ("MUS", "MU"), ("MWI", "MW"), ("MYS", "MY"),
    ("NAM", "NA"), ("NER", "NE"), ("NGA", "NG"), ("NIC", "NI"), ("NLD", "NL"), ("NOR", "NO"),
    ("NPL", "NP"), ("NZL", "NZ"), ("OMN", "OM"), ("PAK", "PK"), ("PAN", "PA"), ("PER", "PE"),
    ("PHL", "PH"), ("PNG", "PG"), ("POL", "PL"), ("PRT", "PT"), ("PRY", "PY"), ("QAT", "QA"),
    ("ROU", "RO"), ("RUS", "RU"), ("RWA", "RW"), ("SAU", "SA"), ("SEN", "SN"), ("SGP", "SG"),
    ("SLB", "SB"), ("SLE", "SL"), ("SLV", "SV"), ("SUR", "SR"), ("SVK", "SK"), ("SVN", "SI"),
    ("SWE", "SE"), ("SWZ", "SZ"), ("SYC", "SC"), ("TCD", "TD"), ("TGO", "TG"), ("THA", "TH"),
    ("TJK", "TJ"), ("TLS", "TL"), ("TON", "TO"), ("TPKM", "TW"), ("TTO", "TT"), ("TUN", "TN"),
    ("TUR", "TR"), ("TZA", "TZ"), ("UGA", "UG"), ("UKR", "UA"), ("URY", "UY"), ("USA", "US"),
    ("VCT", "VC"), ("VEN", "VE"), ("VNM", "VN"), ("VUT", "VU"), ("WSM", "WS"), ("YEM", "YE"),
    ("ZAF", "ZA"), ("ZMB", "ZM"), ("ZWE", "ZW"),
    // the European Union notifies as "EU" (formerly "EEC"); Chinese Taipei as "TPKM"
    ("EU", "EU"), ("EEC", "EU"), ("TWN", "TW"),
];

/// The notifying member of the first WTO notification symbol in `text`, as
/// ISO 3166-1 alpha-2: `G/TBT/N/TUR/123` -> `"TR"`, `G/SPS/N/VNM/45` ->
/// `"VN"`, `G/TBT/N/EU/1100` -> `"EU"`, `G/TBT/N/GBR/80` -> `"GB"`. `None`
/// when there is no symbol or the member code is unknown.
pub fn wto_member(text: &str) -> Option<&'static str> {
    SYMBOL.captures_iter(text).find_map(|c| {
        let code = c.get(1)?.as_str().to_ascii_uppercase();
        MEMBERS.iter().find(|m| m.0 == code).map(|m| m.1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_to_members() {
        assert_eq!(wto_member("G/TBT/N/TUR/123"), Some("TR"));
        assert_eq!(
            wto_member("notification G/SPS/N/VNM/145/Add.1 of"),
            Some("VN")
        );
        assert_eq!(wto_member("G/TBT/N/MEX/566 – Proyecto"), Some("MX"));
        assert_eq!(wto_member("G/TBT/N/EU/1100"), Some("EU"));
        assert_eq!(wto_member("G/TBT/N/GBR/80"), Some("GB"));
        assert_eq!(wto_member("G/TBT/N/USA/2150/Rev.1"), Some("US"));
        assert_eq!(wto_member("G/TBT/N/TPKM/500"), Some("TW"));
        assert_eq!(wto_member("g/tbt/n/chn/1900"), Some("CN"));
        assert_eq!(wto_member("G / TBT / N / KOR / 1200"), Some("KR"));
        assert_eq!(wto_member("G/TBT/N/XYZ/1"), None);
        assert_eq!(wto_member("G/TBT/W/123"), None);
        assert_eq!(wto_member("no symbol"), None);
    }
}
