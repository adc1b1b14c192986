//! The English gist of a change whose notice is not in English: computed
//! once, when the change is recorded (a poll's change or a field report),
//! from the same title, text and tags the change is recorded with, and kept
//! beside it. The reading itself is `regwatch_classify::gist` (glossaries
//! and the HS nomenclature as data); this module only feeds it. See
//! `docs/gist.md`.

use crate::model::{Gist, Tags};
use regwatch_classify::Classification;

/// The gist of a change, `None` when its notice is in English or in a
/// language nobody can tell. `lang` is the source's language (BCP 47); a
/// field report has none, and its language is read from its words
/// ([`detect_lang`]).
pub fn of(
    title: &str,
    text: &str,
    lang: Option<&str>,
    jurisdiction: &str,
    tags: &Tags,
) -> Option<Gist> {
    let lang = match lang.map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) => l.to_string(),
        None => detect_lang(title, text)?.to_string(),
    };
    regwatch_classify::gist(title, text, &lang, jurisdiction, &classification(tags))
}

/// The English name of a notice's language ("tr" -> "Turkish"), for the
/// label beside a gist; the code itself for a language without one here.
pub fn language_name(lang: &str) -> String {
    match lang {
        "tr" => "Turkish",
        "vi" => "Vietnamese",
        "es" => "Spanish",
        "fr" => "French",
        "de" => "German",
        "pt" => "Portuguese",
        "it" => "Italian",
        "zh" => "Chinese",
        "ja" => "Japanese",
        "ko" => "Korean",
        "ar" => "Arabic",
        "ru" => "Russian",
        other => return other.to_string(),
    }
    .to_string()
}

/// The label every front end puts before a gist: what it is and what it is
/// not ("English gist of the Turkish original (not a translation)").
pub fn label(g: &Gist) -> String {
    format!(
        "English gist of the {} original (not a translation)",
        language_name(&g.lang)
    )
}

/// The tagger's result as the gist reads it (its HS codes and dates).
fn classification(t: &Tags) -> Classification {
    Classification {
        categories: t.categories.clone(),
        hs_codes: t.hs_codes.clone(),
        evidence: t.evidence.clone(),
        effective_date: t.effective_date,
        deadline: t.deadline,
        dates: t.dates.clone(),
        excluded_hs_codes: t.excluded_hs_codes.clone(),
        hs_ranges: t.hs_ranges.clone(),
        chapters: t.chapters.clone(),
        wto_member: t.member.clone(),
        origins: t.origins.clone(),
        exempt_origins: t.exempt_origins.clone(),
        measures: t.measures.clone(),
    }
}

/// Words that mark a language in running text: the commonest function
/// words of administrative prose, and letters only that language writes.
struct Marks {
    lang: &'static str,
    words: &'static [&'static str],
    letters: fn(char) -> bool,
}

const MARKS: &[Marks] = &[
    Marks {
        lang: "en",
        words: &[
            "the", "of", "and", "to", "for", "is", "are", "with", "by", "on", "this", "be",
            "shall", "from", "at", "will", "has", "have", "which", "that",
        ],
        letters: |_| false,
    },
    Marks {
        lang: "tr",
        words: &[
            "ve",
            "bir",
            "ile",
            "için",
            "bu",
            "olarak",
            "olan",
            "veya",
            "tarihinde",
            "sayılı",
            "hakkında",
            "ilişkin",
            "göre",
            "yapılan",
            "edilen",
            "olması",
            "tarihli",
            "gümrük",
        ],
        letters: |c| matches!(c, 'ı' | 'ğ' | 'Ğ' | 'ş' | 'Ş' | 'İ'),
    },
    Marks {
        lang: "vi",
        words: &[
            "của", "và", "các", "được", "theo", "về", "cho", "có", "là", "trong", "này", "tại",
            "với", "những", "không", "hàng", "hóa", "thông", "tư", "quy", "định",
        ],
        // đ, ơ, ư and the stacked tone marks of Latin Extended Additional
        letters: |c| {
            matches!(c, 'đ' | 'Đ' | 'ơ' | 'Ơ' | 'ư' | 'Ư') || ('\u{1EA0}'..='\u{1EF9}').contains(&c)
        },
    },
    Marks {
        lang: "es",
        words: &[
            "el",
            "la",
            "los",
            "las",
            "del",
            "que",
            "por",
            "para",
            "se",
            "con",
            "y",
            "una",
            "al",
            "su",
            "sus",
            "como",
            "mediante",
            "dicho",
            "artículo",
            "aduana",
        ],
        letters: |c| matches!(c, 'ñ' | 'Ñ' | '¿' | '¡'),
    },
];

/// The language a text is written in, among those regwatch reads (en, tr,
/// vi, es), from its function words and the letters only one of them
/// writes; `None` when the text says too little to tell (fewer than three
/// marks) or two languages score alike. A text of a field report has no
/// declared language: it is read so, and never guessed from the country
/// (an officer reporting on Türkiye often writes in English).
pub fn detect_lang(title: &str, text: &str) -> Option<&'static str> {
    let all = format!("{title}\n{text}");
    let mut scores = vec![0usize; MARKS.len()];
    for word in all
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w = lower(word);
        for (i, m) in MARKS.iter().enumerate() {
            if m.words.contains(&w.as_str()) {
                scores[i] += 1;
            }
        }
    }
    for c in all.chars() {
        for (i, m) in MARKS.iter().enumerate() {
            if (m.letters)(c) {
                scores[i] += 1;
            }
        }
    }
    let mut ranked: Vec<(usize, &'static str)> = scores
        .iter()
        .zip(MARKS)
        .map(|(s, m)| (*s, m.lang))
        .collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    let (best, lang) = ranked[0];
    (best >= 3 && best > ranked[1].0).then_some(lang)
}

/// Lowercase, with Turkish dotted and dotless I as `i`/`ı` the way Turkish
/// writes them ("İLE" is "ile").
fn lower(w: &str) -> String {
    w.chars()
        .flat_map(|c| match c {
            'İ' => vec!['i'],
            'I' => vec!['i'],
            c => c.to_lowercase().collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_of_a_report_is_read_from_its_words() {
        for (text, lang) in [
            (
                "Halkalı gümrük müdürlüğü cep telefonları için BTK kayıt belgesi istiyor",
                Some("tr"),
            ),
            (
                "Hải quan yêu cầu giấy chứng nhận hợp quy cho bộ sạc điện thoại",
                Some("vi"),
            ),
            (
                "La aduana de Manzanillo exige el permiso de la COFEPRIS para los equipos médicos",
                Some("es"),
            ),
            (
                "Istanbul customs now asks for the BTK registration of phones on every shipment",
                Some("en"),
            ),
            ("IMEI", None),
            ("8517.13", None),
            ("", None),
        ] {
            assert_eq!(detect_lang("", text), lang, "{text}");
        }
    }

    #[test]
    fn an_english_report_has_no_gist_and_a_turkish_one_has() {
        let tags = Tags {
            hs_codes: vec!["8517.13".into()],
            ..Default::default()
        };
        let en = of(
            "Phones held at Halkalı",
            "Customs asks for the BTK registration of the phones on every shipment",
            None,
            "TR",
            &tags,
        );
        assert!(en.is_none(), "{en:?}");
        let tr = of(
            "Halkalı'da telefonlar bekletiliyor",
            "Gümrük idaresi her sevkiyatta cep telefonları için BTK kayıt belgesi istiyor ve bu uygulama yeni",
            None,
            "TR",
            &tags,
        )
        .expect("a Turkish report has a gist");
        assert_eq!(tr.lang, "tr");
        assert!(tr.text.starts_with("Türkiye"), "{}", tr.text);
        assert!(tr.text.contains("(8517.13)"), "{}", tr.text);
        // a declared language wins over the words
        let declared = of("x", "the text", Some("es-MX"), "MX", &tags).unwrap();
        assert_eq!(declared.lang, "es");
        assert!(of("x", "el texto de la", Some("en"), "MX", &tags).is_none());
    }
}
