//! Unit tests for the taxonomy: language handling, each known trap, the API.

use chrono::NaiveDate;
use regwatch_classify::{Classification, Input, Taxonomy, TaxonomyError};
use std::sync::LazyLock;

static TAX: LazyLock<Taxonomy> = LazyLock::new(Taxonomy::builtin);

fn run(title: &str, text: &str, lang: &str) -> Classification {
    TAX.classify_at(
        &Input {
            title,
            text,
            lang: Some(lang),
            hints: &[],
            ..Default::default()
        },
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    )
}
fn cats(title: &str, text: &str, lang: &str) -> Vec<String> {
    run(title, text, lang).categories
}

#[test]
fn turkish_case_folding() {
    assert_eq!(cats("TIBBİ CİHAZLARIN İTHALATI", "", "tr"), vec!["medical"]);
    assert_eq!(cats("Tıbbi cihazların ithalatı", "", "tr"), vec!["medical"]);
    assert_eq!(
        cats("CEP TELEFONLARI İÇİN IMEI KAYDI", "", "tr"),
        vec!["telecom"]
    );
    assert_eq!(cats("", "İŞİTME CİHAZI ithalatı", "tr"), vec!["medical"]);
}

#[test]
fn vietnamese_nfd_and_no_accents() {
    use unicode_normalization::UnicodeNormalization;
    let nfd: String = "Nhập khẩu trang thiết bị y tế đã qua sử dụng"
        .nfd()
        .collect();
    assert_eq!(cats(&nfd, "", "vi"), vec!["medical"]);
    assert_eq!(
        cats("Nhap khau trang thiet bi y te", "", "vi"),
        vec!["medical"]
    );
    assert_eq!(cats("THIẾT BỊ Y TẾ", "", "vi"), vec!["medical"]);
    // accents present and different: điện từ (electromagnetic) is not điện tử
    assert!(!run("", "điện từ trường", "vi")
        .evidence
        .iter()
        .any(|e| e.matched.contains("từ")
            && e.via == "phrase"
            && e.category == "electronics"
            && e.matched == "điện từ"));
    // unaccented Vietnamese phrases do not fire in other languages' texts
    assert!(cats("Y te", "", "es").is_empty());
}

#[test]
fn word_boundaries() {
    assert!(cats("Surcharge on imports", "", "en").is_empty());
    assert!(cats("Ley de fitosanitarios", "fitosanitario", "es").is_empty());
    assert!(cats("Monitoring of imports", "the monitoring programme", "en").is_empty());
}

#[test]
fn electronic_procedures_are_not_electronics() {
    assert!(cats(
        "Electronic declaration and electronic signature rules",
        "electronic invoices and electronic manifests",
        "en"
    )
    .is_empty());
    assert!(cats(
        "Elektronik imza ve e-ticaret",
        "elektronik tebligat ve elektronik ortamda beyan",
        "tr"
    )
    .is_empty());
    assert!(cats(
        "Hải quan điện tử",
        "hóa đơn điện tử và chữ ký điện tử",
        "vi"
    )
    .is_empty());
    assert!(cats(
        "Pedimento electrónico",
        "firma electrónica y factura electrónica",
        "es"
    )
    .is_empty());
    assert_eq!(
        cats("Import of electronic products", "", "en"),
        vec!["electronics"]
    );
}

#[test]
fn tse_trap() {
    assert!(cats(
        "TSE nedeniyle sığır eti ithalatı",
        "BSE riski; TSE kontrolleri",
        "tr"
    )
    .is_empty());
    // weak phrases alone (TSE, monitör, pil) never tag, however many
    assert!(cats(
        "TSE belgesi ve monitör",
        "TSE belgesi aranacak; monitörler ve piller",
        "tr",
    )
    .is_empty());
    // an HS code of the category supports them
    let c = run(
        "TSE belgesi ve monitör",
        "TSE belgesi aranacak; 8528.52 GTİP'li monitörler ve piller",
        "tr",
    );
    assert_eq!(c.categories, vec!["electronics"]);
    assert!(c
        .evidence
        .iter()
        .any(|e| e.via == "phrase" && e.matched == "TSE"));
}

#[test]
fn weak_phrases_need_support_of_their_own_category() {
    // three weak electronics words, nothing else: no tag
    assert!(cats("Battery, charger and display rules", "", "en").is_empty());
    // a strong phrase of ANOTHER category does not lift them
    assert_eq!(
        cats(
            "Mobile phones: battery, charger and display rules",
            "",
            "en"
        ),
        vec!["telecom"]
    );
    // a strong phrase of the same category does (and they show as evidence)
    let c = run("Laptops: battery, charger and display rules", "", "en");
    assert_eq!(c.categories, vec!["electronics"]);
    assert!(c.evidence.iter().any(|e| e.matched == "battery"));
    // a weak HS code of the category (a bare chapter 90) plus a weak phrase
    assert_eq!(
        cats("Chapter 90 goods for hospitals", "", "en"),
        vec!["medical"]
    );
}

#[test]
fn oversized_user_lists_are_errors_not_panics() {
    let words: Vec<String> = (0..60_000)
        .map(|i| format!("\"negationword{i:06}x{i:06}\""))
        .collect();
    let src = format!(
        "[settings]\nhs_negation_before = [{}]\n[[category]]\nname = \"x\"\nhs = [\"85\"]\n",
        words.join(", ")
    );
    match Taxonomy::from_toml_str(&src, "taxonomy.toml") {
        Err(e) => {
            let m = e.to_string();
            assert!(
                m.contains("hs_negation_before") && m.contains("fix:"),
                "{m}"
            );
        }
        Ok(_) => panic!("a list over the regex size limit must be an error"),
    }
}

#[test]
fn uts_registers_cosmetics_too() {
    assert_eq!(
        cats(
            "Tüm Firmaların Dikkatine",
            "ÜTS'de kayıtlı ürünlerin bilgileri güncellenmelidir.",
            "tr"
        ),
        vec!["medical"]
    );
    assert!(cats(
        "Kozmetik ürünler",
        "Kozmetik Yönetmeliği kapsamında ürün bildirimleri ÜTS üzerinden yapılacaktır.",
        "tr"
    )
    .is_empty());
}

#[test]
fn mdr_trap() {
    assert!(cats(
        "MDR reporting under DAC6",
        "mandatory disclosure rules for tax intermediaries",
        "en"
    )
    .is_empty());
    assert_eq!(
        cats("MDR transition extended", "devices under the MDR", "en"),
        vec!["medical"]
    );
}

#[test]
fn cell_monitor_terminal_mobile_red() {
    assert_eq!(
        cats("Anti-dumping on solar cells", "", "en"),
        vec!["electronics"]
    );
    assert!(cats("Prison cell capacity", "cell culture media", "en").is_empty());
    assert_eq!(cats("Patient monitors", "", "en"), vec!["medical"]);
    assert_eq!(cats("Monitor de signos vitales", "", "es"), vec!["medical"]);
    assert!(cats(
        "Container terminal opening hours",
        "terminal operators at the port",
        "en"
    )
    .is_empty());
    assert_eq!(
        cats("Telecommunications terminal equipment", "", "en"),
        vec!["telecom"]
    );
    assert!(cats(
        "Mobile cranes and mobile X-ray units",
        "mobile customs teams",
        "en"
    )
    .is_empty());
    assert_eq!(cats("Mobile phones", "", "en"), vec!["telecom"]);
    assert!(cats(
        "Interconexión a la red eléctrica",
        "red nacional de transmisión",
        "es"
    )
    .is_empty());
    assert_eq!(
        cats("RED: Directive 2014/53/EU applies", "", "en"),
        vec!["telecom"]
    );
    assert!(cats("Red meat and red peppers", "", "en").is_empty());
}

#[test]
fn xray_and_chapter_90() {
    assert!(cats(
        "Konteyner X-ray tarama",
        "mobil X-ray cihazlarıyla konteyner taraması",
        "tr"
    )
    .is_empty());
    // a bare chapter 90 is weak: alone it tags nothing
    let c = run(
        "Goods of Chapter 90",
        "new documentary requirements for goods of chapter 90",
        "en",
    );
    assert_eq!(c.hs_codes, vec!["90"]);
    assert!(c.categories.is_empty());
    // with another weak medical word it does
    assert_eq!(
        cats("Chapter 90 goods for hospitals", "", "en"),
        vec!["medical"]
    );
    assert_eq!(cats("Chapter 85", "", "en"), vec!["electronics"]);
    assert!(cats("Chapter 84", "", "en").is_empty());
}

#[test]
fn hs_evidence_and_chapter_99() {
    let c = run(
        "Section 301",
        "heading 9903.88.15 applies to 8517.62.00",
        "en",
    );
    assert_eq!(c.hs_codes, vec!["9903.88.15", "8517.62.00"]);
    assert_eq!(c.categories, vec!["telecom"]);
    assert_eq!(c.evidence[0].via, "hs");
    assert_eq!(c.evidence[0].matched, "8517.62.00");
    assert!(cats("", "heading 9903.88.15 only", "en").is_empty());
}

#[test]
fn negated_code_gives_no_category() {
    let c = run("", "classified in 9018.19, not in heading 85.28", "en");
    assert_eq!(c.categories, vec!["medical"]);
    assert_eq!(c.hs_codes, vec!["9018.19", "8528"]);
}

#[test]
fn hints_and_categories_for_hs() {
    let hints = vec!["medical".to_string(), "nope".to_string()];
    let c = TAX.classify(&Input {
        title: "Notice",
        text: "",
        lang: None,
        hints: &hints,
        ..Default::default()
    });
    assert_eq!(c.categories, vec!["medical"]);
    assert_eq!(c.evidence[0].via, "source");
    assert_eq!(TAX.categories_for_hs("8517.62"), vec!["telecom"]);
    assert_eq!(TAX.categories_for_hs("8528.52"), vec!["electronics"]);
    assert_eq!(
        TAX.categories_for_hs("8806.21"),
        vec!["electronics", "telecom"]
    );
    assert_eq!(TAX.categories_for_hs("9021.40"), vec!["medical"]);
    assert!(TAX.categories_for_hs("9903.88.15").is_empty());
    assert!(TAX.categories_for_hs("90").is_empty());
    assert_eq!(
        TAX.category_names(),
        vec!["electronics", "telecom", "medical"]
    );
}

#[test]
fn json_shape() {
    let c = run("", "routers 8517.62", "en");
    let j = serde_json_string(&c);
    assert!(j.contains(r#""match":"8517.62""#), "{j}");
    assert!(!j.contains("effective_date"));
}

fn serde_json_string(c: &Classification) -> String {
    serde_json::to_string(c).unwrap()
}

#[test]
fn effective_date_in_classification() {
    let c = run(
        "Tebliğ",
        "cep telefonları için 1 Temmuz 2026 tarihinden itibaren uygulanır",
        "tr",
    );
    assert_eq!(c.effective_date, NaiveDate::from_ymd_opt(2026, 7, 1));
}

fn err(src: &str) -> String {
    match Taxonomy::from_toml_str(src, "taxonomy.toml") {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn validation_errors_name_file_line_key_fix() {
    let e = err("[[category]]\nname = \"x\"\nhs = [\"85\"]\nstrongg = [\"a\"]\n");
    assert!(
        e.starts_with("taxonomy.toml:4:") && e.contains("strongg") && e.contains("fix:"),
        "{e}"
    );
    let e = err("[[category]]\nname = \"x\"\nhs = [\"85\"]\n[category.phrases.en]\nstrong = [\"a\"]\nweek = [\"b\"]\n");
    assert!(
        e.starts_with("taxonomy.toml:6:") && e.contains("week"),
        "{e}"
    );
    let e = err("[[category]]\nname = \"x\"\nhs = [\"85\", \"851\"]\n");
    assert!(
        e.starts_with("taxonomy.toml:3:")
            && e.contains("\"851\" is not an HS prefix")
            && e.contains("fix:"),
        "{e}"
    );
    let e = err("[[category]]\nname = \"empty\"\n");
    assert!(
        e.starts_with("taxonomy.toml:2:") && e.contains("empty"),
        "{e}"
    );
    let e = err("[[category]]\nname = \"x\"\nhs = [\"85\"]\n[[category.rule]]\nphrases = [\"a\"]\nstrength = \"medium\"\n");
    assert!(
        e.contains("taxonomy.toml:6:") && e.contains("strong"),
        "{e}"
    );
    let e = err("[settings]\nmin_weak = 2\n");
    assert!(e.contains("no categories"), "{e}");
    let e = err("[[category]]\nname = \"x\"\nhs = [\"85\"\n");
    assert!(e.starts_with("taxonomy.toml:"), "{e}");
    assert!(matches!(
        Taxonomy::load(std::path::Path::new("/nonexistent/taxonomy.toml")),
        Err(TaxonomyError::Io { .. })
    ));
}

#[test]
fn new_category_is_pure_data() {
    let src = "[[category]]\nname = \"toys\"\nhs = [\"9503\"]\n[category.phrases.en]\nstrong = [\"toy safety\"]\nweak = [\"toy\", \"children\"]\n";
    let t = Taxonomy::from_toml_str(src, "t.toml").unwrap();
    let c = t.classify(&Input {
        title: "Toy Safety Regulation",
        text: "",
        lang: Some("en"),
        hints: &[],
        ..Default::default()
    });
    assert_eq!(c.categories, vec!["toys"]);
    assert_eq!(t.categories_for_hs("9503.00"), vec!["toys"]);
}

#[test]
fn is_send_sync() {
    fn f<T: Send + Sync>() {}
    f::<Taxonomy>();
}

#[test]
fn never_panics_on_odd_text() {
    let alphabet: Vec<char> = "0123456789 .,/-–:#İIıiŞşđĐệ\u{301}\u{a0}\n'’()%$€TLhsHS8517ex😀a"
        .chars()
        .collect();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..2000 {
        let mut s = String::new();
        for _ in 0..40 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        let c = run(&s, &s, "tr");
        for code in &c.hs_codes {
            assert!(
                regwatch_classify::normalize_hs(code).as_deref() == Some(code.as_str()),
                "{code} from {s:?}"
            );
        }
    }
}

#[test]
fn hs_version_years_are_not_codes() {
    assert!(
        regwatch_classify::extract_hs_codes("the HS 2022 nomenclature replaced HS 2017").is_empty()
    );
    assert_eq!(
        regwatch_classify::extract_hs_codes("heading 2009 (fruit juices)"),
        vec!["2009"]
    );
}

#[test]
fn excluded_codes_chapters_and_dates_in_classification() {
    let c = TAX.classify(&Input {
        title: "İthalat Rejimi Kararında değişiklik",
        text: "85.17 pozisyonundaki eşyaya (8517.62 alt pozisyonu hariç) ve 85. fasıldaki diğer eşyaya ilave gümrük vergisi uygulanır. Bu Karar yayımı tarihinden 30 gün sonra yürürlüğe girer.",
        lang: Some("tr"),
        hints: &[],
        published: NaiveDate::from_ymd_opt(2026, 3, 2),
    });
    assert_eq!(c.hs_codes, vec!["8517", "85"]);
    assert_eq!(c.excluded_hs_codes, vec!["8517.62"]);
    assert_eq!(c.chapters, vec!["85"]);
    assert!(!c.evidence.iter().any(|e| e.matched == "8517.62"));
    assert!(c
        .evidence
        .iter()
        .any(|e| e.category == "electronics" && e.via == "hs" && e.matched == "85. fasıl"));
    assert_eq!(c.effective_date, NaiveDate::from_ymd_opt(2026, 4, 1));
    assert_eq!(c.dates.len(), 1);
    assert_eq!(c.dates[0].kind, "in_force");
    assert_eq!(
        c.dates[0].evidence,
        "Bu Karar yayımı tarihinden 30 gün sonra yürürlüğe girer."
    );
    // an excluded code alone gives no category
    let c = run("", "all goods except those of heading 85.17", "en");
    assert!(c.categories.is_empty());
    assert_eq!(c.excluded_hs_codes, vec!["8517"]);
}

#[test]
fn deadline_and_wto_member_in_classification() {
    let c = TAX.classify(&Input {
        title: "G/TBT/N/VNM/350 – Draft QCVN on 5G terminals",
        text: "Viet Nam notified the draft regulation for 5G mobile phones (HS 8517.13). Final date for comments: 60 days from notification.",
        lang: Some("en"),
        published: NaiveDate::from_ymd_opt(2026, 4, 10),
        ..Default::default()
    });
    assert_eq!(c.wto_member.as_deref(), Some("VN"));
    assert_eq!(c.deadline, NaiveDate::from_ymd_opt(2026, 6, 9));
    assert_eq!(c.effective_date, None);
    let j = serde_json::to_string(&c).unwrap();
    assert!(j.contains(r#""deadline":"2026-06-09""#), "{j}");
    assert!(j.contains(r#""kind":"comment_deadline""#), "{j}");
    assert!(j.contains(r#""wto_member":"VN""#), "{j}");
    // the publication date in Input wins over classify_at's reference
    let c = TAX.classify_at(
        &Input {
            text: "Bu Tebliğ yayımı tarihinde yürürlüğe girer.",
            published: NaiveDate::from_ymd_opt(2026, 5, 5),
            ..Default::default()
        },
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
    );
    assert_eq!(c.effective_date, NaiveDate::from_ymd_opt(2026, 5, 5));
}

#[test]
fn public_helpers() {
    assert_eq!(regwatch_classify::fold("TIBBİ CİHAZ"), "tibbi cihaz");
    assert!(regwatch_classify::contains_keyword(
        "TIBBİ CİHAZLARIN İTHALATI",
        "tıbbi cihaz"
    ));
    assert!(!regwatch_classify::contains_keyword("IMEIX", "IMEI"));
    assert_eq!(regwatch_classify::wto_member("G/TBT/N/TUR/123"), Some("TR"));
    use regwatch_classify::{hs_correlated, HsVersion, Relation};
    assert!(hs_correlated("8806.22").contains(&(
        "8802.20".to_string(),
        HsVersion::Hs2017,
        Relation::Part
    )));
}

#[test]
fn never_panics_on_odd_word_salad() {
    let words = [
        "8517.62",
        "85",
        "hariç",
        "except",
        "Chapter",
        "chapters",
        "fasıl",
        "Fasıl",
        "84-85.",
        "to",
        "y",
        "ve",
        "capítulos",
        "Chương",
        "đến",
        "?v=",
        "http://x.gov/",
        "id:",
        "8517130000",
        "HTS",
        "1o.",
        "1°",
        "de",
        "enero",
        "2026",
        "días",
        "naturales",
        "publicación",
        "yayımı",
        "tarihinden",
        "altı",
        "ay",
        "sonra",
        "kể từ ngày ký",
        "Hà Nội, ngày",
        "tháng",
        "năm",
        "comments",
        "by",
        "until",
        "tarihine kadar",
        "góp ý",
        "trước ngày",
        "G/TBT/N/TUR/",
        "12",
        "trừ",
        "khấu",
        "excepto",
        "la fracción",
        "dentro de los",
        "60",
        ".",
        ",",
        ";",
        "\n",
        "İ",
        "ı",
        "\u{301}",
        "😀",
        "'",
        "’",
        "(",
        ")",
        "–",
        "ex",
        "9903.88.15",
        "a",
        "hábiles",
    ];
    let mut seed: u64 = 0x2545f4914f6cdd1d;
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..25 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push_str(words[(seed % words.len() as u64) as usize]);
            if seed & 3 != 0 {
                s.push(' ');
            }
        }
        let c = TAX.classify(&Input {
            title: &s,
            text: &s,
            lang: Some("tr"),
            published: NaiveDate::from_ymd_opt(2026, 3, 1),
            ..Default::default()
        });
        for code in c.hs_codes.iter().chain(&c.excluded_hs_codes) {
            assert!(
                regwatch_classify::normalize_hs(code).as_deref() == Some(code.as_str()),
                "{code} from {s:?}"
            );
        }
        let head: String = s.chars().take(12).collect();
        let _ = regwatch_classify::contains_keyword(&s, &head);
        let _ = regwatch_classify::contains_keyword(&s, "tıbbi cihaz");
        let _ = regwatch_classify::hs_correlated(&s);
    }
}

#[test]
fn chapter_ranges_in_classification() {
    let c = run("", "goods of chapters 84 to 87, excluding chapter 86", "en");
    assert_eq!(c.hs_codes, vec!["84", "87"]);
    assert_eq!(c.chapters, vec!["84", "85", "87"]);
    assert_eq!(c.excluded_hs_codes, vec!["86"]);
    // chapter 85 inside the range is electronics evidence
    assert_eq!(c.categories, vec!["electronics"]);
    assert!(c
        .evidence
        .iter()
        .any(|e| e.via == "hs" && e.matched == "chapters 84 to 87"));
}

#[test]
fn how_far_a_marker_reaches() {
    // the list after "except" ends where a new phrase opens
    let c = run(
        "",
        "The duty applies to goods classified under heading 8517, except those of subheading 8517.62, from 1 March 2026.",
        "en",
    );
    assert_eq!(c.hs_codes, vec!["8517"]);
    assert_eq!(c.excluded_hs_codes, vec!["8517.62"]);
    assert_eq!(c.effective_date, NaiveDate::from_ymd_opt(2026, 3, 1));
    // "but not" excludes; "but not limited to" does not
    assert_eq!(
        cats(
            "",
            "The rule applies to laptops and tablets, but not to mobile phones.",
            "en"
        ),
        vec!["electronics"]
    );
    let c = run(
        "",
        "Importers of mobile phones, including but not limited to smartphones, must register IMEI numbers.",
        "en",
    );
    assert_eq!(c.categories, vec!["telecom"]);
    assert!(c.evidence.iter().all(|e| e.role.is_none()));
    // a "from" takes the nearest verb before it
    let c = run(
        "",
        "The Commission adopted Regulation (EU) 2024/1781 on ecodesign; it enters into force on 18 July 2024 and applies from 19 July 2026.",
        "en",
    );
    assert_eq!(c.effective_date, NaiveDate::from_ymd_opt(2026, 7, 19));
    assert_eq!(
        c.dates.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(),
        vec!["in_force", "applies"]
    );
}

/// The codes named and the codes excluded, read by clause.
fn hits(s: &str) -> (Vec<String>, Vec<String>) {
    let c = TAX.classify(&Input {
        text: s,
        ..Default::default()
    });
    (c.hs_codes, c.excluded_hs_codes)
}

#[test]
fn exclusions_in_four_languages() {
    let (i, e) = hits("85.17 pozisyonundaki eşya (8517.62 alt pozisyonu hariç)");
    assert_eq!(
        (i, e),
        (vec!["8517".to_string()], vec!["8517.62".to_string()])
    );
    let (i, e) = hits("8517.13 ve 8517.14 alt pozisyonları hariç olmak üzere 8517 pozisyonu");
    assert_eq!(e, vec!["8517.13", "8517.14"]);
    assert_eq!(i, vec!["8517"]);
    let (i, e) = hits("8517 pozisyonu dışında kalan 85. fasıl eşyası");
    assert_eq!((i, e), (vec!["85".to_string()], vec!["8517".to_string()]));
    let (i, e) = hits("all goods of heading 8517, except 8517.62 and 8517.69, are covered");
    assert_eq!(i, vec!["8517"]);
    assert_eq!(e, vec!["8517.62", "8517.69"]);
    let (_, e) = hits("goods other than those of subheading 8528.52");
    assert_eq!(e, vec!["8528.52"]);
    let (i, e) = hits("fracciones 8517.13.01 y 8517.14.01, excepto la fracción 8517.62.01");
    assert_eq!(i, vec!["8517.13.01", "8517.14.01"]);
    assert_eq!(e, vec!["8517.62.01"]);
    let (_, e) = hits("con excepción de la subpartida 8471.30");
    assert_eq!(e, vec!["8471.30"]);
    let (i, e) = hits("hàng hóa thuộc nhóm 85.17, trừ mã HS 8517.62.59");
    assert_eq!(i, vec!["8517"]);
    assert_eq!(e, vec!["8517.62.59"]);
    let (_, e) = hits("không bao gồm mã 8517.13.00");
    assert_eq!(e, vec!["8517.13.00"]);
    // scope: a later code in another clause is not excluded
    let (i, e) = hits("except those of 8517.62; the duty on heading 8528 rises");
    assert_eq!(e, vec!["8517.62"]);
    assert_eq!(i, vec!["8528"]);
    // "khấu trừ" (deduction) is no exclusion
    let (i, e) = hits("khấu trừ thuế mã HS 8517.62");
    assert!(e.is_empty());
    assert_eq!(i, vec!["8517.62"]);
    // excluded codes are not in extract_hs_codes
    assert_eq!(
        regwatch_classify::extract_hs_codes("heading 8517 except 8517.62"),
        vec!["8517"]
    );
    // chapters too: one inside a range, named again in an exclusion
    let (i, e) = hits("chapters 84 to 86, excluding Chapter 85");
    assert_eq!(e, vec!["85"]);
    assert_eq!(i, vec!["84", "86"]);
    // a code named in the scope and again in an exclusion (an exemption
    // for some producers) stays a code of the measure
    let (i, e) = hits("54.07 GTİP'li eşyaya önlem uygulanır. Belirli firmalarca üretilen 54.07 GTİP'li eşyaya önlem uygulanmaz.");
    assert_eq!((i, e), (vec!["5407".to_string()], vec![]));
}

#[test]
fn origin_cues_in_four_languages() {
    assert_eq!(
        regwatch_classify::origins("Anti-dumping duty on certain steel products originating in the People's Republic of China"),
        vec!["CN"]
    );
    assert_eq!(
        regwatch_classify::origins(
            "Çin Halk Cumhuriyeti menşeli cep telefonlarına ek gümrük vergisi"
        ),
        vec!["CN"]
    );
    assert_eq!(
        regwatch_classify::origins("cuota compensatoria a las importaciones de productos originarias de la República Popular China"),
        vec!["CN"]
    );
    assert_eq!(
        regwatch_classify::origins("hàng hóa có xuất xứ từ Trung Quốc"),
        vec!["CN"]
    );
    assert_eq!(
        regwatch_classify::origins(
            "Notice of Action: Section 301 tariffs on products of China, list 4A"
        ),
        vec!["CN"]
    );
    assert_eq!(
        regwatch_classify::origins("Vietnam-origin solar cells"),
        vec!["VN"]
    );
}

#[test]
fn a_country_merely_named_is_no_origin() {
    assert!(regwatch_classify::origins("The EU and China discussed trade in Geneva").is_empty());
    assert!(regwatch_classify::origins("Çin'de düzenlenen fuar").is_empty());
    assert!(regwatch_classify::origins("Telsiz ekipmanı ithalatında uygunluk belgesi").is_empty());
}
