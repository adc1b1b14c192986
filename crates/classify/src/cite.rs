//! The grammar of legal citations, whose numbers are never goods codes:
//! sections of the U.S. Code and the CFR, Federal Register pages, CSMS
//! messages, dockets, Official Journal references, document numbers with an
//! issuer's suffix (`12/2024/TT-BTTTT`, `37691/TB-CHQ`), standards
//! (`EN 301 489-1`, `NOM-001-SCFI-2018`, `QCVN 117:2023/BTTTT`), articles,
//! sections and numbered acts in the four languages. Each pattern is a shape
//! of citation, not a notice's wording.

use regex::Regex;
use std::sync::OnceLock;

// Word boundaries are written as a non-letter (`\W` of the tagger's
// dialect, see `crate::re`, or the text's edge) on either side rather than
// `\b`: a Unicode `\b` makes the regex engine leave
// its fast automaton on every non-ASCII text (most Turkish and Vietnamese
// notices), and these patterns run over every text.
// Each shape runs only when the lowercased text holds one of its needles
// (none: always), and is compiled the first time it runs: the Unicode
// classes make each a large automaton (all of them together were 5 MB),
// and most texts hold the needles of a few.
const CITATIONS: &crate::re::Gated = &[
    // U.S. Code, CFR, Federal Register: "19 U.S.C. 2411", "47 CFR Part 2",
    // "21 CFR 1040.10(c)", "90 FR 53227", "86 Fed. Reg. 46644"
    (
        &["u.s", "usc", "u. s", "cfr", "c.f", "c. f"],
        r"(?:^|\W)\d+\s*(?:U\.?\s?S\.?\s?C\.?|C\.?\s?F\.?\s?R\.?)\s*(?:Parts?|§+|[Ss]ec(?:tion|s?\.)?|[Cc]hapter|[Ss]ubchapter)?\s*\d[\w.]*(?:\([\w]+\))*(?:\s*(?:-|–|through|to|and|,)\s*\d[\w.]*(?:\([\w]+\))*)*",
    ),
    (
        &["u.s", "usc", "cfr", "c.f"],
        r"(?:^|\W)(?:U\.?S\.?C\.?|C\.?F\.?R\.?)\s*(?:Parts?|§+)?\s*\d[\w.]*(?:\([\w]+\))*",
    ),
    (
        &["fr ", "fed"],
        r"(?:^|\W)\d+\s+(?:FR|Fed\.?\s*Reg\.?)\s+\d[\d,]*(?:\s*[-–]\s*\d+)?",
    ),
    (
        &["fr "],
        r"(?:^|\W)FR\s+(?:Doc\.?|Document|ID)\s*(?:No\.?|Number)?\s*:?\s*[\d-]+",
    ),
    (
        &["page range"],
        r"(?i)(?:^|\W)Page\s+Range\s+\d+(?:\s*[-–]\s*\d+)?",
    ),
    // CBP messages, dockets, FCC and USTR numbers
    (
        &["csms"],
        r"(?i)(?:^|\W)CSMS\s*(?:#|No\.?|message)?\s*\d+(?:\s*(?:,|and)\s*\d[\d-]*)*",
    ),
    // lists of message numbers: "Related messages: 51597300, 51515097, ..."
    (
        &["message"],
        r"(?i)(?:^|\W)messages?\s*(?:#|No\.?|Nos\.?)?\s*:?\s*\d[\d-]*(?:\s*(?:,|and)\s*\d[\d-]*)*",
    ),
    // EU registry references: "Ares(2025)216290", "C(2023) 1234", "COM(2022) 142"
    (
        &["("],
        r"(?:^|\W)(?:Ares|C|COM|SWD|SEC|JOIN|PE)\s*\(\d{4}\)\s*\d+",
    ),
    (
        &["docket", "dkt"],
        r"(?i)(?:^|\W)(?:docket|dkt\.?)\s*(?:No\.?|Nos\.?|Number|#)?\s*:?\s*[A-Z]{0,6}[- ]?\d[\w-]*(?:\s*(?:,|and)\s*(?:[A-Z]{2,6}\s+Docket\s+Nos?\.\s*)?[A-Z]{0,6}-?\d[\w-]*)*",
    ),
    (
        &[
            "fcc", "da", "rm", "ustr", "fda", "bis", "ita", "cbp", "aphis", "epa",
        ],
        r"(?:^|\W)(?:FCC|DA|RM|USTR|FDA|BIS|ITA|CBP|APHIS|EPA)[- ]\d{2,4}(?:-[A-Z]?-?\d+)+",
    ),
    (&["fcc"], r"(?:^|\W)FCC\s+\d{2}-\d+"),
    (
        &["law", "pub."],
        r"(?i)(?:^|\W)(?:public\s+law|pub\.\s*l\.)\s*(?:No\.?\s*)?\d+-\d+",
    ),
    (
        &["order", "e.o", "e. o", "proclamation", "presidential"],
        r"(?i)(?:^|\W)(?:executive\s+order|e\.\s?o\.|proclamation|presidential\s+memorandum)\s*(?:No\.?\s*)?\d+",
    ),
    (&["alert"], r"(?i)(?:^|\W)import\s+alert\s*#?\s*\d+-\d+"),
    // sections, articles, paragraphs: "section 501(c)", "Article 14(5)",
    // "artículos 6o., 7o., 27 y 105", "Madde 3", "Điều 76", "khoản 52"
    (
        &[],
        r"(?i)(?:§+|(?:^|\W)(?:sections?|secs?\.|articles?|arts?\.|art[ií]culos?|paragraphs?|para\.|párrafos?|apartados?|incisos?|numerales?|regulations?|reglas?|maddes?i?|madde|fıkra\w*|bent\w*|điều|dieu|khoản|khoan|điểm|mục|annex(?:es)?|anexos?|appendix|apéndice|phụ\s+lục|ek|schedule))\s*[-–:]?\s*\d+[A-Za-z]{0,3}(?:\(\w+\))*(?:[.º°o]{0,2})(?:\s*(?:,|y|e|and|or|ve|và|to|a|al|-|–)\s*\d+[A-Za-z]{0,3}(?:\(\w+\))*[.º°o]{0,2})*",
    ),
    // a legal chapter or fracción written in Roman numerals ("Chương II", "fracción X")
    (
        &[
            "chapter", "cap", "chương", "fasıl", "frac", "tít", "tit", "secc", "sec", "part",
        ],
        r"(?i)(?:^|\W)(?:chapter|cap[ií]tulo|chương|fasıl|fracci[oó]n(?:es)?|fracc?\.|t[ií]tulo|title|secci[oó]n|part)\s+[IVXLC]+(?:\W|$)",
    ),
    // Turkish ordinals and numbered acts: "3'üncü", "8 inci maddesi", "5809 sayılı"
    (
        &[
            "inci", "ıncı", "nci", "ncı", "üncü", "uncu", "ncü", "ncu", "nolu", "numaral",
            "sayılı", "sayili",
        ],
        r"(?i)(?:^|\W)\d+\s*['’]?\s*(?:inci|ıncı|nci|ncı|üncü|uncu|ncü|ncu|nolu|numaralı|sayılı|sayili)(?:\W|$)",
    ),
    (
        &["sayı", "tebliğ"],
        r"(?i)(?:^|\W)(?:sayı|sayısı|karar\s+sayısı|tebliğ\s+no)\s*[:.]\s*\d[\d/.-]*",
    ),
    // EU: OJ references, page numbers, acts "(EU) 2023/1542", "2014/53/EU", CELEX
    (
        &["oj", "o.j", "abl.", "do", "jo"],
        r"(?:^|\W)(?:OJ|O\.J\.|ABl\.|DO|JO)\s*(?:No\.?\s*)?[LC]\s*\d+[A-Z]?(?:\s*[/,]\s*\d+)?(?:\s*,\s*\d{1,2}\.\d{1,2}\.\d{2,4})?(?:\s*,\s*p\.\s*\d+)?",
    ),
    (&["/"], r"(?:^|\W)[LC]\s\d{1,4}/\d+(?:\W|$)"),
    (&["p."], r"(?:^|\W)p{1,2}\.\s*\d+(?:\s*[-–]\s*\d+)?"),
    (
        &["/"],
        r"\((?:EU|EC|EEC|EURATOM|Euratom|UE|CE|AB|AT)\)\s*(?:No\.?\s*)?\d+/\d+",
    ),
    (
        &["/"],
        r"(?:^|\W)\d{2,4}/\d{1,4}/(?:EU|EC|EEC|AB|AT|CE|UE|EG|EWG)(?:\W|$)",
    ),
    (&[], r"(?:^|\W)3\d{4}[A-Z]\d{4}(?:\W|$)"),
    // document numbers with an issuer's suffix: "12/2024/TT-BTTTT",
    // "37691/TB-CHQ", "2012/DK-08/610", "301025/MHD-HQ", "57-NQ/TW",
    // "128.2025/OL.WMCLV", "G417/2010", "Rev. 35/07"
    (
        &["/"],
        r"(?:^|\W)\d+(?:[./-]\d+)*/(?:\d+/)*[A-ZĐ][A-ZĐa-zđ0-9]*(?:[-–.][A-ZĐa-zđ0-9]+)*(?:/[A-ZĐ0-9][\w-]*)*",
    ),
    (&["/"], r"(?:^|\W)\d+-[A-ZĐ]{2,}/[A-ZĐ]+(?:\W|$)"),
    (&["/"], r"(?:^|\W)[A-Z]{1,3}\d+/\d{2,4}(?:\W|$)"),
    (&["rev."], r"(?i)(?:^|\W)rev\.\s*\d+/\d+"),
    // standards: "EN 301 489-1", "IEC 62368-1", "NOM-001-SCFI-2018",
    // "QCVN 117:2023/BTTTT", "TS EN 60950", "CAN/CSA-C22.2 No. 60950-1-07",
    // "IR 2030", "CISPR 32", "ISO 13485:2016"
    (
        &[],
        r"(?:^|\W)(?:(?:TS|BS|DIN|NF|UNE|SS)\s+)?(?:EN|IEC|ISO|ISO/IEC|EN\s+IEC|ETSI(?:\s+EN|\s+TS)?|TCVN|QCVN|UL|ANSI(?:/UL)?|CSA|CAN/CSA|CISPR|IEEE|ITU-[RT]|IR|SASO|JIS|KS|GB(?:/T)?|AS/NZS|NZS|NMX|NOM|PROY-NOM|IFT|NOM-EM|SCFI|SFS|TSE|TS)(?:[\s-]+[A-Z]{1,6}\d*(?:\.\d+)?)?[\s-]*\d[\d.]*(?:[\s-]+\d[\d.]*)*(?:[:/-]\s?[\dA-Z][\w.]*)*(?:\s+No\.\s*\d[\d-]*)?",
    ),
    // numbered acts: "Trade Remedies Notice 2025/17", "ACE No. 55",
    // "2002 No. 618", "Decreto No. 5", "Thông tư số 31/2022", "S.I. 2025/591"
    (
        &["no", "nr", "núm", "nº", "n°", "số", "sayı"],
        r"(?i)(?:^|\W)(?:notice|aviso|circular|sirküler|genelge|law|ley|kanun|luật|act|decree|decreto|nghị định|thông tư|quyết định|decision|karar|tebliğ|resolution|resolución|order|orden|acuerdo|agreement|ace|instrument|s\.\s?i\.|statutory\s+instruments?|c\.)\s*(?:No\.?|Nr\.?|Número|Núm\.?|n[º°o]\.?|số|sayı)\s*:?\s*\d[\d/.-]*",
    ),
    (
        &["no", "c."],
        r"(?:^|\W)(?:19|20)\d{2}\s+(?:No\.?|c\.)\s*\d+",
    ),
    // act numbers: "2023/1542", "2017/745" (never codes)
    (&["/"], r"(?:^|\W)\d{2,4}/\d{1,5}(?:\W|$)"),
    (&["s.i", "s. i"], r"(?i)(?:^|\W)S\.\s?I\.\s*\d{4}/\d+"),
];

/// The shapes of [`CITATIONS`], each compiled when a text first needs it.
static COMPILED: [OnceLock<Option<Regex>>; CITATIONS.len()] =
    [const { OnceLock::new() }; CITATIONS.len()];

/// Byte spans of the citations in an NFC text. A citation stays on its
/// line: a title ending in "Implementing Regulation" or "Tebliğ" cites
/// nothing with the code that opens the text under it.
pub(crate) fn citation_spans(text: &str) -> Vec<(usize, usize)> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let lower = text.to_lowercase();
    let shapes: Vec<&Regex> =
        crate::re::gated(CITATIONS, &COMPILED, &lower, |s| crate::re::compile(s).ok()).collect();
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.bytes().any(|b| b.is_ascii_digit()) {
            for re in &shapes {
                out.extend(re.find_iter(line).map(|m| (at + m.start(), at + m.end())));
            }
        }
        at += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(text: &str, needle: &str) -> bool {
        let at = text.find(needle).expect("needle in text");
        let end = at + needle.len();
        citation_spans(text)
            .iter()
            .any(|&(a, b)| a <= at && end <= b)
    }

    #[test]
    fn citation_shapes() {
        for (t, n) in [
            ("under 19 U.S.C. 2411 the", "2411"),
            ("47 CFR Part 2 [ET Docket", "2"),
            ("Notice 85 FR 81060, issuing", "81060"),
            ("86 Fed. Reg. 46644 (Aug. 19, 2021)", "46644"),
            ("CSMS #50516224 - GUIDANCE", "50516224"),
            ("[Docket No. FDA-2017-N-6593]", "6593"),
            ("ET Docket No. 21-232, EA Docket No. 21-233", "21-233"),
            ("(OJ L 176, 30.6.2016, p. 21)", "176"),
            ("Official Journal of the European Union L 227/1.", "227"),
            ("Thông tư 12/2024/TT-BTTTT ngày", "12/2024"),
            ("Số: 37691/TB-CHQ, Hà Nội", "37691"),
            ("standards EN 301 489-1 and", "301 489"),
            ("NOM-001-SCFI-2018 applies", "001"),
            ("QCVN 117:2023/BTTTT về", "117"),
            ("section 501(c) of the Act", "501"),
            ("artículos 6o., 7o., 27, 28, 73 y 105 de la", "73"),
            ("5809 sayılı Elektronik", "5809"),
            ("3'üncü ve 8'inci maddesi", "8"),
            ("Điều 76 Thông tư số 38/2015/TT-BTC", "76"),
            ("Trade Remedies Notice 2025/17.", "2025/17"),
            ("Statutory Instruments 2002 No. 618.", "618"),
            ("MERCOSUR, ACE No. 55 entre", "55"),
            ("IR 2030 - UK Interface", "2030"),
            ("Executive Order 14257 of", "14257"),
            ("Mục 2 Chương II, Điều 91", "II"),
            ("a\nthe Regulation 5 of these", "5"),
        ] {
            assert!(covered(t, n), "{n} in {t:?}: {:?}", citation_spans(t));
        }
    }

    #[test]
    fn tariff_wording_is_no_citation() {
        for (t, n) in [
            ("fracción arancelaria 8517.62.01 de la", "8517.62.01"),
            ("subheading 8517.62 of the HTSUS", "8517.62"),
            ("GTİP 8517.12.00.00.00 kapsamında", "8517.12"),
            ("thuộc nhóm 85.17, phân nhóm 8517.62", "8517.62"),
            ("Chapter 85 of the tariff", "85"),
            ("partidas 2915 a la 2941", "2941"),
            ("Implementing Regulation\n8528.42 to 8528.59", "8528.42"),
        ] {
            assert!(!covered(t, n), "{n} in {t:?}: {:?}", citation_spans(t));
        }
    }
}
