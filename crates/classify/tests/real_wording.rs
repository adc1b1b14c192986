//! One test per class of error found on real notices, each on real wording:
//! passages quoted from the real development notices (their ids, dNN, refer
//! to the shared development set notices-real-dev.jsonl), to the real notice
//! files of tests/data (en-N, tr-N, vi-N, es-N) or, where those have none,
//! the wording quoted in issue 22.

use chrono::NaiveDate;
use regwatch_classify::{Classification, ClauseRole, Input, Taxonomy};
use std::sync::LazyLock;

static TAX: LazyLock<Taxonomy> = LazyLock::new(Taxonomy::builtin);

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn read(title: &str, text: &str, lang: &str, published: Option<NaiveDate>) -> Classification {
    TAX.classify(&Input {
        title,
        text,
        lang: Some(lang),
        hints: &[],
        published,
    })
}

fn kinds(c: &Classification) -> Vec<(String, NaiveDate)> {
    c.dates.iter().map(|f| (f.kind.clone(), f.date)).collect()
}

// ---------------------------------------------------------------- citations

#[test]
fn citations_are_never_goods_codes() {
    // d8
    let c = read(
        "CSMS #50516224 - GUIDANCE: Revocation of 30 Section 232 Steel and Aluminum General Approved Exclusions",
        "On December 14, 2020, DOC's Bureau of Industry and Security (BIS) published Federal Register (FR) Notice 85 FR 81060, issuing 123 GAEs. On December 9, 2021, BIS issued FR Notice 86 FR 70003, revoking 30 GAEs. Importers should not report any other Section 232 exclusion number or Chapter 99 Section 232 HTS classification on an entry summary line.",
        "en",
        None,
    );
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
    // d71
    let c = read(
        "Medical Devices; Classification of the Reagents for Molecular Diagnostic Instrument Test Systems",
        "82 FR 61162. Federal Register Volume 82, Issue 247 (December 27, 2017). Page Range 61162-61163. FR Document 2017-27853. Food and Drug Administration, 21 CFR Part 862 [Docket No. FDA-2017-N-6593].",
        "en",
        None,
    );
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
    // d105: statutory instrument numbers
    let c = read(
        "Statutory Instruments (law): Medical Device Regulations",
        "1. Statutory Instruments 2002 No. 618 (Consolidated legislation), 2. 2003 No. 1697 (Amendments), 3. Medical Devices Regulations 2007 No. 400, and the 4. Medical Devices (Amendment) Regulations 2008 No 2936 which transpose Directive 2007/47/EC into UK law.",
        "en",
        None,
    );
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
    // d30: document numbers with the issuer's suffix, next to real codes
    let c = read(
        "Thông báo 37691/TB-CHQ về kết quả xác định trước mã số",
        "Số: 37691/TB-CHQ, Hà Nội, ngày 21 tháng 11 năm 2025. Trên cơ sở công văn số 1447/TCHQ-TXNK ngày 04/4/2024 của Tổng cục Hải quan; Mã số: thuộc nhóm 85.17, phân nhóm 8517.62, mã số 8517.62.59 “- - - - Loại khác” tại Danh mục hàng hóa xuất khẩu, nhập khẩu Việt Nam. Thông báo này có hiệu lực từ ngày ký.",
        "vi",
        None,
    );
    assert_eq!(c.hs_codes, vec!["8517", "8517.62", "8517.62.59"]);
    // d93: standard numbers; d63: annex numbers
    let c = read(
        "EU's Cybersecurity Mandate",
        "The decision updates the existing framework by incorporating revised harmonised standards EN 18031-1:2024, EN 18031-2:2024, and EN 18031-3:2024 under Directive 2014/53/EU.",
        "en",
        None,
    );
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
    let c = read(
        "ANEXOS 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 19, 21, 23, 24, 25, 26, 27, 28, 29, 30 y 31 de las Reglas Generales de Comercio Exterior para 2019",
        "ANEXO 4 DE LAS REGLAS GENERALES DE COMERCIO EXTERIOR PARA 2019. Horario de las aduanas.",
        "es",
        None,
    );
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
    // a standard of the issue: NOM-001-SCFI-2018, QCVN 117:2023/BTTTT, EN 301 489
    let c = read(
        "",
        "Los equipos deben cumplir la NOM-001-SCFI-2018; thiết bị theo QCVN 117:2023/BTTTT; radio equipment tested to EN 301 489-1.",
        "en",
        None,
    );
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
}

#[test]
fn a_code_outside_the_category_tables_tags_nothing() {
    // d108: 8511.10 (spark plugs) is in chapter 85 but not electronics
    let c = read(
        "Observación: la fracción 8511.10.99 está negociada en el Segundo Protocolo Adicional",
        "LA FRACCION 8511.10.99 CORRESPONDIENTE A (LOS DEMAS) ESTA NEGOCIADA EN EL DECRETO PARA LA APLICACIÓN DEL SEGUNDO PROTOCOLO ADICIONAL AL APENDICE 1 DEL ACUERDO DE COMPLEMENTACION ECONOMICA No. 55 ENTRE MERCOSUR Y LOS ESTADOS UNIDOS MEXICANOS. Importaciones. País: Total 31,716,747 (valor 2007 ene-jun).",
        "es",
        None,
    );
    assert_eq!(c.hs_codes, vec!["8511.10.99"]);
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
}

// ---------------------------------------------------------------- scope-out clauses

#[test]
fn a_category_named_only_in_an_exclusion_does_not_count() {
    // d88 (tr): medical and radiology equipment only in "kapsamı dışında"
    let c = read(
        "Belirli Gerilim Sınırları İçin Tasarlanan Elektrikli Ekipman ile İlgili Yönetmelik Yayımlandı",
        "Yönetmelik, alternatif akım için 50 Volt ile 1000 Volt, doğru akım için 75 Volt ile 1500 Volt arasındaki gerilimlerde kullanılmak üzere tasarlanan elektrikli ekipmanları kapsamaktadır. Patlayıcı ortamlarda kullanılmak için tasarlanan elektrikli ekipmanlar, radyoloji ve tıbbi amaçlar için tasarlanan elektrikli ekipmanlar, yük ve yolcu asansörleri için tasarlanan elektrikli parçalar, elektrik sayaçları, evsel kullanım için fişler ve prizler, elektrikli çit kontrolörleri ise Yönetmeliğin kapsamı dışında bulunmaktadır.",
        "tr",
        None,
    );
    assert_eq!(c.categories, vec!["electronics"]);
    assert!(c
        .evidence
        .iter()
        .any(|e| e.category == "medical" && e.role == Some(ClauseRole::Exclusion)));
    // d95 (en): sectors with "different rules", and another agency's statement
    let c = read(
        "UK government announces that businesses can use the CE mark indefinitely",
        "There are different rules for medical devices, construction products, cableways, transportable pressure equipment, unmanned aircraft systems, rail products, marine equipment and ecodesign. The relevant departments covering these sectors either have communicated, or will communicate, plans in due course. The Medicines and Healthcare Regulatory Agency (MHRA) has already issued a statement on CE marking recognition for medical devices and in vitro diagnostics.",
        "en",
        None,
    );
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
    assert!(c.evidence.iter().all(|e| e.role.is_some()));
    // the role is serialized only for evidence that does not count
    let j = serde_json::to_string(&c).unwrap();
    assert!(j.contains(r#""role":"exclusion""#), "{j}");
    assert!(j.contains(r#""role":"background""#), "{j}");
    // d34 (vi): "không dùng cho viễn thông" (not for telecommunications)
    let c = read(
        "Cáp tín hiệu có lưới, cách điện bằng Silicon",
        "Sử dụng cho điện áp 30V, không dùng cho viễn thông. Chỉ truyền tín hiệu, không sử dụng cho mục đích cấp điện. Mã số: thuộc nhóm 85.44, phân nhóm 8544.49 “- - Loại khác”, phân nhóm “- - - Loại không dùng cho viễn thông, điện áp không quá 80 V”, mã số 8544.49.24.",
        "vi",
        None,
    );
    assert_eq!(c.categories, vec!["electronics"]);
    // d90 (tr): amateur radios only in the exclusion, EMC for telecom devices in the scope
    let c = read(
        "Elektromanyetik Uyumluluk Yönetmeliği (89/336/AT)",
        "Bu Yönetmeliğin amacı; radyokomünikasyon ile telekomünikasyon ve elektrikli / elektronik cihazlar ile sistemlerin elektromanyetik bozulma seviyeleri ile imal edilmeleri ve piyasaya arz edilmelerini sağlamaktır. Radyo amatörleri tarafından kullanılan radyolar (telsizler), cihaz ticari olarak piyasada bulunmuyor ise, bu Yönetmeliğin kapsamı dışındadır.",
        "tr",
        None,
    );
    assert_eq!(c.categories, vec!["electronics", "telecom"]);
    // d46 (es): "excepto" keeps its clause out, the list item before it in
    let c = read(
        "DECRETO por el que se establecen diversos Programas de Promoción Sectorial",
        "II. De la Industria Electrónica; XV. De la Industria del Transporte, excepto el Sector de la Industria Automotriz y de Autopartes.",
        "es",
        None,
    );
    assert_eq!(c.categories, vec!["electronics"]);
}

#[test]
fn a_law_cited_as_legal_basis_is_not_the_subject() {
    // d80 (vi): the Telecommunications Law cited after "Căn cứ"
    let c = read(
        "Quyết định 100/2025/QĐ-UBND quy định thời gian hoạt động của các đại lý Internet",
        "Căn cứ Luật Viễn thông số 24/2023/QH15; Điều 1. Phạm vi điều chỉnh: Quyết định này quy định thời gian hoạt động của các đại lý Internet và điểm truy nhập Internet công cộng không cung cấp dịch vụ trò chơi điện tử trên địa bàn tỉnh Phú Thọ.",
        "vi",
        None,
    );
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
    assert!(c
        .evidence
        .iter()
        .any(|e| e.category == "telecom" && e.role == Some(ClauseRole::Citation)));
    // d22 (tr): "5809 sayılı Elektronik Haberleşme Kanununun ... istinaden"
    let c = read(
        "Telsiz Altyapı Cihazlarının OKTH İşletmecileri Tarafından Kullanılması",
        "Bilgi Teknolojileri ve İletişim Kurulu’nun 21.12.2012 Tarih ve 2012/DK-08/610 sayılı kararı: 5809 sayılı Elektronik Haberleşme Kanununun 3’üncü ve 8’inci maddesi ve ilgili diğer mevzuata istinaden; Kamu kurum ve kuruluşlarının mülkiyetinde bulunan telsiz altyapı cihazlarının Ortak Kullanımlı Telsiz Hizmeti (OKTH) işletmecileri tarafından kullanılabileceği hususuna karar verilmiştir.",
        "tr",
        None,
    );
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
}

#[test]
fn a_ministry_suffix_is_no_evidence_the_subject_is() {
    // issue 22: "12/2024/TT-BTTTT" counted as telecom while the text's own
    // subject (information-technology products) was missed
    let c = read(
        "Thông tư 12/2024/TT-BTTTT",
        "Thông tư 12/2024/TT-BTTTT ban hành Danh mục sản phẩm, hàng hóa công nghệ thông tin đã qua sử dụng cấm nhập khẩu.",
        "vi",
        None,
    );
    assert_eq!(c.categories, vec!["electronics"]);
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
}

// ---------------------------------------------------------------- ranges and negations

#[test]
fn ranges_are_ranges() {
    // d61
    let c = read(
        "RESOLUCION por la que se declara de oficio el inicio de la revisión de la cuota compensatoria",
        "importaciones de productos químicos orgánicos, mercancías comprendidas en diversas fracciones arancelarias de las partidas 2915 a la 2941, así como en la fracción arancelaria 3808.50.01, de la Tarifa",
        "es",
        None,
    );
    assert_eq!(c.hs_codes, vec!["2915", "2941", "3808.50.01"]);
    assert_eq!(c.hs_ranges, vec![("2915".into(), "2941".into())]);
    // the forms issue 22 names, in the four languages
    for (text, lo, hi) in [
        ("subheadings 8528.42 to 8528.59", "8528.42", "8528.59"),
        ("las partidas 85.01 a 85.04", "8501", "8504"),
        ("headings 8501-8504 of the tariff", "8501", "8504"),
        ("từ nhóm 8501 đến 8504", "8501", "8504"),
        ("8501 ila 8504 pozisyonlarındaki eşya", "8501", "8504"),
        ("84 ila 85. fasıllardaki eşya", "84", "85"),
    ] {
        let c = read("", text, "en", None);
        assert!(
            c.hs_ranges.contains(&(lo.to_string(), hi.to_string())),
            "{text}: {:?} {:?}",
            c.hs_ranges,
            c.hs_codes
        );
        assert!(c.hs_codes.contains(&lo.to_string()) && c.hs_codes.contains(&hi.to_string()));
    }
    assert!(regwatch_classify::hs_in_range(
        "8528.52", "8528.42", "8528.59"
    ));
    assert!(!regwatch_classify::hs_in_range(
        "8528.71", "8528.42", "8528.59"
    ));
    assert!(!regwatch_classify::hs_in_range(
        "8528", "8528.42", "8528.59"
    ));
    // frequency bands and years are no ranges of codes (d99, d66)
    let c = read(
        "",
        "bandas 902-928 MHz, 2400-2483.5 MHz y 5725-5850 MHz; the average level of imports in the years 2015 to 2017",
        "es",
        None,
    );
    assert!(c.hs_ranges.is_empty() && c.hs_codes.is_empty(), "{c:?}");
}

#[test]
fn negations_exclude() {
    // d31: headings named in the "trừ" (except) clause of the heading text
    let c = read(
        "Thông báo 37693/TB-CHQ: Thiết bị đeo tay thông minh Huawei Watch Fit 4 Pro",
        "Mã số: thuộc nhóm 85.17 “Bộ điện thoại, kể cả điện thoại thông minh và điện thoại khác cho mạng di động tế bào hoặc mạng không dây khác; thiết bị khác để truyền hoặc nhận tiếng, hình ảnh hoặc dữ liệu khác, ..., trừ loại thiết bị truyền hoặc thu của nhóm 84.43, 85.25, 85.27 hoặc 85.28”, phân nhóm 8517.62, mã số 8517.62.59 “- - - - Loại khác”.",
        "vi",
        None,
    );
    assert_eq!(c.hs_codes, vec!["8517", "8517.62", "8517.62.59"]);
    assert_eq!(c.excluded_hs_codes, vec!["8443", "8525", "8527", "8528"]);
    assert_eq!(c.categories, vec!["telecom"]);
    // the wordings of issue 22
    let c = read(
        "",
        "Subheading 8528.52 is subject to the duty; other codes of this heading are not affected.",
        "en",
        None,
    );
    assert_eq!(c.hs_codes, vec!["8528.52"]);
    assert_eq!(c.excluded_hs_codes, vec!["8528"]);
    let c = read(
        "",
        "Se modifica la fracción 8517.62.01; las fracciones 8517.13.01 y 8517.14.01 no se ven afectadas.",
        "es",
        None,
    );
    assert_eq!(c.hs_codes, vec!["8517.62.01"]);
    assert_eq!(c.excluded_hs_codes, vec!["8517.13.01", "8517.14.01"]);
    let c = read(
        "",
        "85.17 pozisyonundaki eşya (8517.62 alt pozisyonu hariç) gözetime tabidir.",
        "tr",
        None,
    );
    assert_eq!(
        (c.hs_codes, c.excluded_hs_codes),
        (vec!["8517".to_string()], vec!["8517.62".to_string()])
    );
    // decimal commas are codes
    let c = read("", "la subpartida 8517,62 del arancel", "es", None);
    assert_eq!(c.hs_codes, vec!["8517.62"]);
}

// ---------------------------------------------------------------- origins and territory

#[test]
fn origin_exemptions_are_exemptions() {
    for (text, lang, exempt) in [
        (
            "Se impone una cuota compensatoria a las importaciones de tornillos, excepto las originarias de Canadá.",
            "es",
            "CA",
        ),
        (
            "An additional duty applies to steel fasteners, except products of Mexico.",
            "en",
            "MX",
        ),
        (
            "Vida ve cıvatalara ilave gümrük vergisi uygulanır; Meksika menşeli olanlar hariç.",
            "tr",
            "MX",
        ),
    ] {
        let c = read("", text, lang, None);
        assert_eq!(c.exempt_origins, vec![exempt], "{text}");
        assert!(c.origins.is_empty(), "{text}: {:?}", c.origins);
    }
    // d65: an origin-specific measure stays one
    let c = read(
        "",
        "imports into the Union of certain iron or steel fasteners originating in the People's Republic of China. This product is currently classified under CN codes 73181290, 73181491, 73181499.",
        "en",
        None,
    );
    assert_eq!(c.origins, vec!["CN"]);
    assert!(c.exempt_origins.is_empty());
}

#[test]
fn kinds_of_measure_for_territory() {
    // d13: a UK trade remedy on commodity codes (reaches XI)
    let c = read(
        "Update to anti-dumping duty and countervailing duty on bus and lorry tyres from China",
        "These changes affect the following commodity codes: 4011209000, 4012120010. Further information on the anti-dumping duties can be found in Trade Remedies Notice 2025/17.",
        "en",
        None,
    );
    assert!(
        c.measures.contains(&"trade_defence".to_string()),
        "{:?}",
        c.measures
    );
    assert!(
        c.measures.contains(&"tariff".to_string()),
        "{:?}",
        c.measures
    );
    // d10: an EU radio-equipment goods rule (reaches XI)
    let c = read(
        "Commission Implementing Decision (EU) 2023/2392 as regards harmonised standards",
        "In accordance with Article 16 of Directive 2014/53/EU, radio equipment which is in conformity with harmonised standards is to be presumed to be in conformity with the essential requirements.",
        "en",
        None,
    );
    assert_eq!(c.measures, vec!["goods_rule"]);
    // a UKCA rule
    let c = read(
        "",
        "Products placed on the market in Great Britain must bear the UKCA marking.",
        "en",
        None,
    );
    assert!(c.measures.contains(&"ukca".to_string()), "{:?}", c.measures);
}

// ---------------------------------------------------------------- dates

#[test]
fn relative_dates_count_from_the_anchor_in_each_language() {
    // tr, d87: "yayım tarihinde" with the gazette date stated
    let c = read(
        "Bazı Tehlikeli Maddelerin ... Kısıtlamalar Hakkında Yönetmelik",
        "Yönetmelik, 26 Aralık 2008 Tarih ve 27092 (Mükerrer) Sayılı Resmi Gazete'de yayımlanmış ve yayım tarihinde yürürlüğe girmiştir.",
        "tr",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2008, 12, 26)));
    // tr: "yayımından 6 ay sonra" from the source's publication date
    let c = read(
        "",
        "Bu Yönetmelik yayımından 6 ay sonra yürürlüğe girer.",
        "tr",
        Some(d(2026, 3, 2)),
    );
    assert_eq!(c.effective_date, Some(d(2026, 9, 2)));
    // en, d103: a comment date counted from the Federal Register publication
    let c = read(
        "FCC 22-84",
        "Adopted: November 11, 2022. Released: November 25, 2022. Comment Date: 30 days after Federal Register publication.",
        "en",
        Some(d(2023, 2, 6)),
    );
    assert_eq!(c.deadline, Some(d(2023, 3, 8)));
    assert_eq!(c.effective_date, None);
    // ... and nothing without it ("Released" is no publication in the FR)
    let c = read(
        "FCC 22-84",
        "Adopted: November 11, 2022. Released: November 25, 2022. Comment Date: 30 days after Federal Register publication.",
        "en",
        None,
    );
    assert_eq!((c.deadline, c.effective_date), (None, None));
    // en: "20 days after publication"
    let c = read(
        "",
        "This rule takes effect 20 days after publication in the Federal Register.",
        "en",
        Some(d(2026, 1, 5)),
    );
    assert_eq!(c.effective_date, Some(d(2026, 1, 25)));
    // vi, d30/d40: "kể từ ngày ký" from the signing date in the header
    let c = read(
        "Thông tư 61/2025/TT-BCT",
        "Số: 61/2025/TT-BCT, Hà Nội, ngày 02 tháng 12 năm 2025. Điều 5. Hiệu lực thi hành 1. Thông tư này có hiệu lực thi hành kể từ ngày ký đến hết ngày 24 tháng 02 năm 2030.",
        "vi",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2025, 12, 2)));
    let c = read(
        "",
        "Số: 37698/TB-CHQ, ngày 21/11/2025. Thông báo này có hiệu lực từ ngày ký.",
        "vi",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2025, 11, 21)));
    // es: "30 días hábiles siguientes a su publicación"
    let c = read(
        "",
        "El presente Acuerdo entrará en vigor a los 30 días hábiles siguientes a su publicación en el Diario Oficial de la Federación.",
        "es",
        Some(d(2026, 4, 1)),
    );
    // 1 and 4 May are holidays? only 1 May (LFT art. 74): 30 business days from 1 April 2026
    assert_eq!(
        c.effective_date,
        regwatch_classify::add_business_days(d(2026, 4, 1), 30, true)
    );
    assert_eq!(c.effective_date, Some(d(2026, 5, 14)));
}

#[test]
fn mexican_business_days_skip_the_holidays() {
    // third Monday of March 2026 (16 March): ten business days from Thursday 12 March
    assert!(regwatch_classify::mexican_holiday(d(2026, 3, 16)));
    assert_eq!(
        regwatch_classify::add_business_days(d(2026, 3, 12), 10, true),
        Some(d(2026, 3, 27))
    );
    assert_eq!(
        regwatch_classify::add_business_days(d(2026, 3, 12), 10, false),
        Some(d(2026, 3, 26))
    );
    for h in [
        d(2026, 1, 1),
        d(2026, 2, 2),
        d(2026, 5, 1),
        d(2026, 9, 16),
        d(2026, 11, 16),
        d(2026, 12, 25),
        d(2024, 10, 1),
        d(2030, 10, 1),
    ] {
        assert!(regwatch_classify::mexican_holiday(h), "{h}");
    }
    assert!(!regwatch_classify::mexican_holiday(d(2026, 10, 1)));
    let c = read(
        "",
        "Entrará en vigor a los 10 días hábiles siguientes a su publicación.",
        "es",
        Some(d(2026, 3, 12)),
    );
    assert_eq!(c.effective_date, Some(d(2026, 3, 27)));
}

#[test]
fn stated_gazette_dates_and_plain_english() {
    // d88: "yayımlanmış ve aynı tarihte yürürlüğe girmiştir"
    let c = read(
        "",
        "Yönetmelik 2 Ekim 2016 tarihli, 29845 sayılı Resmi Gazete’de yayımlanmış ve aynı tarihte yürürlüğe girmiştir.",
        "tr",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2016, 10, 2)));
    // d89: "yayınlanarak yürürlüğe girmiştir"
    let c = read(
        "",
        "11.01.2002 tarihinde 24637 sayılı Resmi Gazete’de yayınlanarak yürürlüğe girmiştir.",
        "tr",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2002, 1, 11)));
    // d69: in force on one date, applies from another
    let c = read(
        "The new EU Battery Regulation (EU) 2023/1542",
        "The new Regulation (EU) 2023/1542 on batteries and waste batteries, which was adopted by the EU Parliament and Council on July 12, 2023 and came into force on August 17, 2023, ultimately repeals the old Battery Directive 2006/66/EC. It will apply directly in all member states from February 18, 2024.",
        "en",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2024, 2, 18)));
    assert_eq!(
        kinds(&c),
        vec![
            ("in_force".to_string(), d(2023, 8, 17)),
            ("applies".to_string(), d(2024, 2, 18))
        ]
    );
    // d6: "retroactive to"; d11: "Date of effect:"
    let c = read("", "Each exclusion is retroactive to July 6, 2018. Batch 1 will remain in place until December 28, 2019.", "en", None);
    assert_eq!(c.effective_date, Some(d(2018, 7, 6)));
    let c = read("", "Date of document: 19/07/2021; Date of adoption. Date of effect: 20/07/2021; Entry into force Date pub.", "en", None);
    assert_eq!(c.effective_date, Some(d(2021, 7, 20)));
    // the issue's plain English
    let c = read(
        "",
        "The amendment came into effect on 1 March 2026.",
        "en",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2026, 3, 1)));
}

#[test]
fn no_date_from_today_and_no_year_invented() {
    // issue 22: "Yayımı tarihinde yürürlüğe girer" without a stated or given date
    let c = read(
        "",
        "Bu Tebliğ yayımı tarihinde yürürlüğe girer.",
        "tr",
        None,
    );
    assert_eq!(c.effective_date, None);
    assert!(c.dates.is_empty());
    // d20: "23 Nisan'dan itibaren"; d99: "el próximo 20 de octubre"
    let c = read(
        "Bazı elektrikli ev cihazlarının ithalatında gözetim uygulaması",
        "Ticaret Bakanlığı, bazı elektrikli ev cihazlarının ithalatında 23 Nisan'dan itibaren gözetim uygulaması yapılacağını açıkladı.",
        "tr",
        Some(d(2026, 4, 10)),
    );
    assert_eq!(c.effective_date, None);
    assert_eq!(c.categories, vec!["electronics"]);
    let c = read(
        "",
        "La disposición iniciará su vigencia el próximo 20 de octubre.",
        "es",
        Some(d(2015, 9, 1)),
    );
    assert_eq!(c.effective_date, None);
    // d4: an end date is no effective date; d107: a plan is none either
    let c = read("", "These products will continue to be excluded from the Section 301 tariff until December 31, 2020.", "en", None);
    assert_eq!(c.effective_date, None);
    let c = read("", "These regulations are expected to be approved by Parliament and come into force before 30 June 2023.", "en", None);
    assert_eq!(c.effective_date, None);
    // d24: the background date ("Bilindiği üzere") is not the new rule's
    let c = read(
        "Ürün Takip Sistemi Belge Kayıt İşlemleri",
        "Bilindiği üzere 12 Haziran 2017 tarihinden itibaren tıbbi cihazlarla ilişkili belge kayıt işlemleri Ürün Takip Sistemi (ÜTS) üzerinden gerçekleştirilmektedir. Tıbbi cihazlara ilişkin belge kayıt başvuruları 01 Mart 2019 tarihinden itibaren aşağıdaki şekilde yapılacaktır.",
        "tr",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2019, 3, 1)));
    // d83: "điện tử ngày" is not "từ ngày", and a cited law's date is not this act's
    let c = read(
        "",
        "Số: 2629/QĐ-TTg, Hà Nội, ngày 01 tháng 12 năm 2025. Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023; Quyết định này có hiệu lực kể từ ngày ký.",
        "vi",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2025, 12, 1)));
}

#[test]
fn staged_dates_follow_the_title() {
    // d47: five stages; the notice is about the 2013 one
    let c = read(
        "Reducción Arancelaria de la TIGIE 2013 – Etapa Final",
        "La reducción consiste en 5 Etapas: 1ra Etapa.- Entrada en Vigor a partir del 1º de enero de 2009. 2da Etapa.- A partir del 1º de enero de 2010. 3ra Etapa.- A partir del 1º de enero de 2011. 4ta Etapa.- A partir del 1º de enero de 2012. 5ta Etapa.- A partir del 1º de enero de 2013.",
        "es",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2013, 1, 1)));
}

// ------------------------------------------- tuning on the real notice files
// (ids refer to tests/data/notices-real-en.jsonl and notices-real-intl.jsonl)

fn cats(c: &Classification) -> Vec<&str> {
    c.categories.iter().map(String::as_str).collect()
}

#[test]
fn a_list_after_a_scope_out_colon_is_scoped_out() {
    // en-29: "(e) external power supplies for medical devices" in the list
    let c = read(
        r#"Ecodesign requirements"#,
        r#"This Regulation establishes ecodesign requirements related to electric power consumption in no-load condition and average active efficiency of external power supplies. 2. This Regulation shall not apply to: (a) voltage converters; (b) uninterruptible power supplies; (c) battery chargers; (d) halogen lighting converters; (e) external power supplies for medical devices; (f) external power supplies placed on the market no later than 30 June 2015 as a service part or spare part for an identical external power supply which was placed on the market not later than one year after this Regulation has come into force, under the condition that the service part or spare part, or its packaging, clearly indicates the primary load product(s) for which the spare part or service part is intended to be used with."#,
        "en",
        None,
    );
    assert_eq!(cats(&c), vec!["electronics"], "{:?}", c.evidence);
    // en-34: "The regulations do not cover: ... medical devices ... desktop
    // computers ... which do not have the capability to connect to cellular networks"
    let c = read(
        r#"Regulations: consumer connectable product security"#,
        r#"Key announcements The UK’s consumer connectable product security regime came into effect on 29 April 2024. Businesses involved in the supply chains of these products need to be compliant with the new legislation from that date. What is covered The regulations apply to relevant consumer products that can connect to the internet or a network. The regulations do not cover: products made available for supply in Northern Ireland to which relevant legislation applies (legislation listed in Annex 2 of the Windsor Framework, and contains a free movement article) charge points for electric vehicles medical devices smart meter products desktop computers, laptop computers and tablet computers which do not have the capability to connect to cellular networks"#,
        "en",
        None,
    );
    assert_eq!(cats(&c), vec!["electronics"], "{:?}", c.evidence);
    // en-25: "shall not apply to radio equipment to which ... applies: (a)
    // Regulation (EU) 2017/745; (b) Regulation (EU) 2017/746."
    let c = read(
        r#"Commission Delegated Regulation (EU) 2022/30 of 29 October 2021 supplementing Directive 2014/53/EU of the European Parliament and of the Council with regard to the application of the essential requirements referred to in Article 3(3), points (d), (e) and (f), of that Directive"#,
        r#"Article 1 The essential requirement set out in Article 3(3), point (e), of Directive 2014/53/EU shall apply to any of the following radio equipment, if that radio equipment is capable of processing, within the meaning of Article 4(2) of Regulation (EU) 2016/679, personal data, as defined in Article 4(1) of Regulation (EU) 2016/679, or traffic data or location data, as defined in Article 2, points (b) and (c), of Directive 2002/58/EC: (a) internet-connected radio equipment, other than the equipment referred to in points (b), (c) or (d); Article 2 By way of derogation from Article 1, the essential requirements set out in Article 3(3), points (d), (e) and (f), of Directive 2014/53/EU shall not apply to radio equipment to which either of the following Union legislation also applies: (a) Regulation (EU) 2017/745; (b) Regulation (EU) 2017/746."#,
        "en",
        None,
    );
    assert_eq!(cats(&c), vec!["telecom"], "{:?}", c.evidence);
}

#[test]
fn agency_ministry_and_law_names_are_no_product() {
    // en-52: the FCC's Wireless Telecommunications Bureau grants licences
    let c = read(
        r#"WIRELESS TELECOMMUNICATIONS BUREAU GRANTS BROADBAND PCS LICENSES"#,
        r#"Released: February 16 2010 PUBLIC NOTICE DA 10-257 February 16, 2010 Auction 78 Report No. AUC-78 (Auction 78) On August 20, 2008, the Federal Communications Commission completed an auction of licenses in the Broadband Personal Communications Service (“Broadband PCS”) (Auction 78). After a preliminary review of the FCC long-form applications (FCC Form 601), the application listed in Attachment A to this Public Notice was accepted for filing. Furthermore, the Commission has received full payment, as required by section 1.2109(a) of its rules, for the licenses listed in Attachment A. Accordingly, by this Public Notice, we announce the grant of the licenses listed in Attachment A. We grant these licenses pursuant to Section 309(a) of the Communications Act, 47 U.S.C. § 309(a), and section 0.331 of the Commission’s rules, 47 C.F.R. § 0.331."#,
        "en",
        None,
    );
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
    // es-29: Comisión / Ley Federal de Telecomunicaciones, frequency bands
    let c = read(
        r#"RESOLUCIÓN DEL PLENO DE LA COMISION FEDERAL DE TELECOMUNICACIONES PARA CLASIFICAR CIERTAS BANDAS DE FRECUENCIAS CONFORME A LA LEY FEDERAL DE TELECOMUNICACIONES"#,
        r#"PLENO DE LA COMISIÓN FEDERAL DE TELECOMUNICACIONES México, D.F. a 22 de julio de 2005 RESOLUCIÓN DEL PLENO DE LA COMISION FEDERAL DE TELECOMUNICACIONES PARA CLASIFICAR CIERTAS BANDAS DE FRECUENCIAS CONFORME A LA LEY FEDERAL DE TELECOMUNICACIONES. ANTECEDENTES I. Creación de la Comisión Federal de Telecomunicaciones. El artículo Décimo Primero (sic) transitorio de la Ley Federal de Telecomunicaciones (en lo sucesivo, la “Ley”), publicada en el Diario Oficial de la Federación el 7 de junio de 1995, dispone que el Ejecutivo Federal constituirá un órgano desconcentrado de la Secretaría de Comunicaciones y Transportes con autonomía técnica y operativa, el cual tendrá la organización y facultades necesarias para regular y promover el desarrollo eficiente de las telecomunicaciones en el país. II. Planteamientos de la industria sobre las bandas de 900 MHz, 2.4 y 5 GHz como bandas de uso libre."#,
        "es",
        None,
    );
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
    // vi-6: the Law on Radio Frequencies is spectrum law, not equipment
    let c = read(
        r#"Luật Tần số vô tuyến điện"#,
        r#"Luật Tần số vô tuyến điện số 42/2009/QH12 ngày 04/12/2009 có hiệu lực từ ngày 01/07/2010."#,
        "vi",
        None,
    );
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
    // vi-19: used IT products; "Bộ Bưu chính viễn thông" is the old ministry
    let c = read(
        r#"Danh mục sản phẩm công nghệ thông tin đã qua sử dụng cấm nhập khẩu"#,
        r#"được Bộ Thông tin và Truyền thông ban hành tại Thông tư số 43/2009/TT-BTTTT ngày 30/12/2009; áp dụng đối với thương nhân Việt Nam, tổ chức, cá nhân hoạt động có liên quan đến thương mại tham gia nhập khẩu hàng hóa là sản phẩm công nghệ thông tin đã qua sử dụng. Thông tư được đăng Công báo ngày 26/1/2010, có hiệu lực thi hành kể từ ngày 15/2/2010; thay thế Quyết định số 20/2006/QĐ-BBCVT ngày 30/6/2006 của Bộ Bưu chính viễn thông và Quyết định số 11/2007/QĐ-BBCVT ngày 24/5/2007 sửa đổi, bổ sung Quyết định số 20/2006/QĐ-BBCVT nói trên."#,
        "vi",
        None,
    );
    assert_eq!(cats(&c), vec!["electronics"], "{:?}", c.evidence);
    // vi-14: numbering and spectrum of telecom networks: a service rule
    let c = read(
        r#"Nghị định 25/2011/NĐ-CP ngày 06 tháng 04 năm 2011, Chương V: Tài nguyên, quy chuẩn kỹ thuật, chất lượng và giá cước viễn thông"#,
        r#"Chương V TÀI NGUYÊN, QUY CHUẨN KỸ THUẬT, CHẤT LƯỢNG VÀ GIÁ CƯỚC VIỄN THÔNG Điều 31. Phân bổ băng tần số, số thuê bao viễn thông 1. Để bảo đảm tần số vô tuyến điện, kho số viễn thông được sử dụng một cách có hiệu quả, băng tần số, số thuê bao viễn thông chỉ được phân bổ cho các doanh nghiệp có giấy phép thiết lập mạng viễn thông công cộng sau đây: a) Mạng viễn thông cố định mặt đất thiết lập trên phạm vi khu vực hoặc toàn quốc; b) Mạng viễn thông di động mặt đất thiết lập trên phạm vi toàn quốc; c) Mạng viễn thông cố định vệ tinh; d) Mạng viễn thông di động vệ tinh. Điều 32. Đổi số thuê bao viễn thông 1. Số thuê bao viễn thông là một chuỗi các chữ số (hoặc các ký tự) chỉ thị điểm kết cuối duy nhất trong mạng viễn thông bao gồm các thông tin cần thiết để định tuyến cuộc gọi tới điểm kết cuối đó."#,
        "vi",
        None,
    );
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
}

#[test]
fn chapters_in_a_catalogue_of_the_tariff_tag_nothing() {
    // en-2: 38 chapters named alone, 84 and 85 among them
    let c = read(
        r#"CSMS # 54468100 - GUIDANCE: Extension of Section 301 China Product Exclusions"#,
        r#"On December 21, 2022, United States Trade Representative (USTR) published 87 FR 78187, extending 352 previously reinstated Section 301 product exclusions for nine months, through September 30, 2023. Per the Annex to 87 FR 17380 and Federal Register notice 87 FR 78187, in addition to reporting the regular Chapters 03, 05, 16, 29, 34, 38, 39, 40, 42, 48, 50, 51, 52, 54, 55, 56, 57, 58, 60, 61, 62, 63, 65, 68, 69, 70, 73, 75, 76, 82, 83, 84, 85, 86, 87, 90, 91 and 94 classifications of the HTSUS for the imported merchandise, importers shall report the HTSUS classification 9903.88.67 (Articles, the product of China as provided for in U.S. notes 20(ttt)(i), 20(ttt)(ii), 20(ttt)(iii), and 20(ttt)(iv) to this subchapter, each covered by an exclusion granted by the USTR for imported merchandise subject to the exclusion)."#,
        "en",
        None,
    );
    assert!(c.categories.is_empty(), "{:?}", c.evidence);
    assert!(c.chapters.contains(&"85".to_string()), "{:?}", c.chapters);
    // one chapter named alone still is the goods of the rule
    let c = read("", "Tariff changes for goods of Chapter 85.", "en", None);
    assert_eq!(cats(&c), vec!["electronics"], "{:?}", c.evidence);
}

#[test]
fn a_chapter_of_a_standard_is_no_goods_chapter() {
    // es-22: "Capítulo 6 (Información comercial) de la NOM-139-SCFI-2012"
    let c = read(
        r#"Acuerdo que modifica el Anexo 2.4.1 del Acuerdo por el que la SE emite reglas y criterios de carácter general en materia de Comercio Exterior (artículos transitorios; Circular G-0328/12)"#,
        r#"PRIMERO.- El presente Acuerdo (Anexo 2.4.1. del "Acuerdo por el que la SE emite reglas y criterios de carácter general en materia de Comercio Exterior") entrará en vigor el día siguiente al de su publicación en el DOF. SEGUNDO.- ... TERCERO.- A partir del 8 de septiembre de 2012, el encabezado de la fracción IV del Art. 3 del Anexo 2.4.1 será el siguiente: Capítulo 6 (Información comercial) de la NOM-139-SCFI-2012, Información Comercial-Etiquetado de extracto natural de vainilla (Vanilla spp.), derivados y sustitutos, publicada el 10/VII/2012. CUARTO.- Lo dispuesto en el Art. 3, fracc. VIII, para la fracción arancelaria 0407.21.01, únicamente, del Anexo 2.4.1, entrará en vigor cuando cesen los efectos de la contingencia sobre el virus de la Influenza Aviar tipo A, subtipo H7N3."#,
        "es",
        None,
    );
    assert_eq!(c.hs_codes, vec!["0407.21.01"], "{:?}", c.hs_codes);
    for (text, lang) in [
        (
            "Chapter 3 of this Regulation sets out the obligations of importers.",
            "en",
        ),
        ("Chương 2 của Luật này quy định về thiết bị.", "vi"),
        (
            "Bu Yönetmeliğin 4 üncü bölümü ile Fasıl 2 bu Yönetmeliğin ekidir.",
            "tr",
        ),
    ] {
        let c = read("", text, lang, None);
        assert!(c.hs_codes.is_empty(), "{text}: {:?}", c.hs_codes);
    }
    // a goods chapter stays one
    let c = read("", "las mercancías del Capítulo 85 de la TIGIE", "es", None);
    assert_eq!(c.chapters, vec!["85"]);
}

#[test]
fn a_time_of_day_between_cue_and_date() {
    // en-8: "on or after 12:01 a.m. eastern daylight time on May 20, 2019"
    let c = read(
        r#"CSMS# 19-000252 - UPDATE: Termination of Section 232 Duty For Steel and Aluminum Products of Canada and MX"#,
        r#"UPDATE: Effective for goods entered for consumption, or withdrawn from warehouse for consumption, on or after 12:01 a.m. eastern daylight time on May 20, 2019, the Section 232 duty on imports of steel and aluminum articles with a country of origin of Canada or Mexico will no longer be in effect. FILING INSTRUCTIONS: Imports of steel mill and aluminum articles with a country of origin of Canada or Mexico: Do not report Harmonized Tariff Schedule (HTS) classification 9903.80.01 or 9903.85.01. Steel Products Report the regular Chapter 72 or 73 HTS classification for the imported merchandise. Aluminum Products Report the regular Chapter 76 HTS classification for the imported merchandise. FOR FURTHER INFORMATION: See the May 2019 Proclamations on Adjusting Imports of Steel and Aluminum into the United States. Related CSMS No. 18-000240, 18-000258, 18-000372"#,
        "en",
        Some(d(2019, 5, 20)),
    );
    assert_eq!(c.effective_date, Some(d(2019, 5, 20)), "{:?}", kinds(&c));
    // en-77: "effective as of 11:59 p.m. Eastern Standard Time on January 11, 2023"
    let c = read(
        r#"Notice of Termination of Arrival Restrictions Applicable to All Flights Carrying Persons Who Have Recently Traveled From or Were Otherwise Present Within Uganda"#,
        r#"Since November 27, 2022, there have been no new confirmed Ebola disease cases reported in Uganda and two 21-day incubation periods have passed. Therefore, flight arrival restrictions are no longer required for flights to the United States carrying persons who have recently traveled from, or were otherwise present within, Uganda. Pursuant to 6 U.S.C. 112(a), 19 U.S.C. 1433(c), and 19 CFR 122.32, and effective as of 11:59 p.m. Eastern Standard Time on January 11, 2023, for all affected flights arriving at a United States airport, I hereby terminate the arrival restrictions applicable to flights to the United States carrying persons who have recently traveled from, or were otherwise present within, Uganda announced in the Arrival Restrictions document published at 87 FR 61488 (October 12, 2022)."#,
        "en",
        Some(d(2023, 1, 17)),
    );
    assert_eq!(c.effective_date, Some(d(2023, 1, 11)), "{:?}", kinds(&c));
}

#[test]
fn the_date_goods_entered_are_subject_wins() {
    // en-20: the proclamation's date in the background, the guidance's for goods entered
    let c = read(
        r#"CSMS # 65936570 - GUIDANCE: Section 232 Additional Steel Derivative Tariff Inclusion Products"#,
        r#"BACKGROUND On February 10, 2025, the President issued Proclamation 10896, “Adjusting Imports of Steel into the United States,” under Section 232 of the Trade Expansion Act of 1962, as amended (19 U.S.C. 1862). This proclamation imposes a 25 percent ad valorem tariff on certain imports of steel articles and derivative steel articles from all countries, effective June 23, 2025. See 90 FR 11249 (March 5, 2025). ENTRY FILING INSTRUCTIONS This guidance provides instructions for importers, brokers, and filers on submitting entries to U.S. Customs and Border Protection (CBP) on certain steel derivative imports, effective with respect to goods entered for consumption, or withdrawn from warehouse for consumption, on or after 12:01 a.m. Eastern Daylight Time on August 18, 2025."#,
        "en",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2025, 8, 18)), "{:?}", kinds(&c));
}

#[test]
fn relative_dates_from_the_gazette_or_signing_date_the_text_states() {
    // vi-11: "đăng Công báo ngày 12/3/2008 ... sau 15 ngày kể từ ngày đăng Công báo"
    let c = read(
        r#"Danh mục áp mã số HS hàng xuất khẩu, nhập khẩu chuyên ngành thủy sản"#,
        r#"Ngày 28/2/2008, Bộ Nông nghiệp và Phát triển nông thôn đã ban hành Quyết định số 38/2008/QĐ-BNN về việc ban hành Danh mục áp mã số HS hàng hóa xuất khẩu, nhập khẩu chuyên ngành thủy sản, bao gồm Danh mục các giống thủy sản được phép nhập khẩu thông thường (Phụ lục 1); Danh mục thuốc thú y, sản phẩm xử lý, cải tạo môi trường dùng trong nuôi trồng thủy sản nhập khẩu thông thường (Phụ lục 2); Danh mục các mặt hàng phục vụ nuôi trồng thủy sản nhập khẩu có điều kiện (Phụ lục 3); Danh mục những loài thủy sản xuất khẩu có điều kiện (Phụ lục 4) và Danh mục những loài thủy sản cấm xuất khẩu (Phụ lục 5). Quyết định được đăng Công báo ngày 12/3/2008 (các số từ 169-174) và có hiệu lực thi hành sau 15 ngày kể từ ngày đăng Công báo."#,
        "vi",
        Some(d(2008, 2, 28)),
    );
    assert_eq!(c.effective_date, Some(d(2008, 3, 27)), "{:?}", kinds(&c));
    // vi-26: "sau 07 (bảy) ngày kể từ ngày được ban hành", issued 18/03/2020
    let c = read(
        r#"Quyết định 880/QĐ-BCT ngày 18/03/2020: Áp dụng thuế CBPG tạm thời đối với SP plastic và SP bằng plastic có xuất xứ từ Trung Hoa, Thái Lan và Ma-lai-xi-a"#,
        r#"Điều 1. Áp dụng thuế chống bán phá giá tạm thời đối với một số sản phẩm plastic và sản phẩm bằng plastic được làm từ các polyme từ propylen thuộc các mã HS sau: 3920.20.10 và 3920.20.91 có xuất xứ từ Cộng hòa Nhân dân Trung Hoa, Vương quốc Thái Lan và Ma-lai-xi-a (mã vụ việc: AD07) với nội dung chi tiết nêu tại Thông báo kèm theo Quyết định này. Điều 2. Quyết định này có hiệu lực thi hành sau 07 (bảy) ngày kể từ ngày được ban hành. Điều 3. Chánh Văn phòng Bộ, Cục trưởng Cục Phòng vệ thương mại và Thủ trưởng các đơn vị, các bên liên quan chịu trách nhiệm thi hành Quyết định này./."#,
        "vi",
        Some(d(2020, 3, 18)),
    );
    assert_eq!(c.effective_date, Some(d(2020, 3, 25)), "{:?}", kinds(&c));
    // vi-20: "sau 45 ngày, kể từ ngày ký", signed 23/10/2009, gazette 11/11/2009
    let c = read(
        r#"Danh mục bổ sung thức ăn hỗn hợp dùng trong nuôi trồng thủy sản được phép lưu hành tại Việt Nam"#,
        r#"bao gồm danh mục 1949 sản phẩm sản xuất trong nước, 263 sản phẩm nhập khẩu được ban hành kèm theo Thông tư số 67/2009/TT-BNNPTNT ngày 23/10/2009 của Bộ Nông nghiệp và Phát triển nông thôn. Thông tư được đăng Công báo ngày 11/11/2009 (các số từ 515-518), có hiệu lực thi hành sau 45 ngày, kể từ ngày ký."#,
        "vi",
        Some(d(2009, 10, 23)),
    );
    assert_eq!(c.effective_date, Some(d(2009, 12, 7)), "{:?}", kinds(&c));
    // tr-4: "14/1/2021 tarihli ve 31364 sayılı Resmi Gazetede yayımlananarak yürürlüğe girmiştir"
    let c = read(
        r#"Hayvan Kaynaklı Dokular Kullanılarak İmal Edilen Tıbbi Cihazlara Dair Yönetmelik Resmi Gazetede Yayımlanarak Yürürlüğe Girmiştir"#,
        r#"AB mevzuatına uyum kapsamında 722/2012 sayılı AB Komisyon Tüzüğü’ne paralel olarak hazırlanan Hayvan Kaynaklı Dokular Kullanılarak İmal Edilen Tıbbi Cihazlara Dair Yönetmelik 14/1/2021 tarihli ve 31364 sayılı Resmi Gazetede yayımlananarak yürürlüğe girmiştir. Bu yönetmelik ile hayvan kaynaklı dokular kullanılarak imal edilen tıbbi cihazlar ve vücuda yerleştirilebilir aktif tıbbi cihazlar bakımından 7/6/2011 tarihli ve 27957 sayılı Resmî Gazete’de yayımlanan Tıbbi Cihaz Yönetmeliği, 7/6/2011 tarihli ve 27957 sayılı Resmî Gazete’de yayımlanan Vücuda Yerleştirilebilir Aktif Tıbbi Cihazlar Yönetmeliğinde yer alan gerekliliklere ilişkin özel şartlar düzenlenmiştir. İlgili Yönetmelik Kurumumuz web sitesinde Mevzuat sekmesi altında yayımlanmıştır. TİTCK"#,
        "tr",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2021, 1, 14)), "{:?}", kinds(&c));
    // en-47: "take effect 30 days after the final rule publication date"
    let c = read(
        r#"Energy Conservation Program: Test Procedure for Battery Chargers"#,
        r#"On August 6, 2015, the U.S. Department of Energy ("DOE") issued a notice of proposed rulemaking ("NOPR") to amend the test procedure for battery chargers. This final rule is based on that NOPR. The final rule amends the current test procedure, incorporating changes that will take effect 30 days after the final rule publication date. In summary, these changes update the battery selection criteria for multi-voltage, multi-capacity battery chargers, harmonize the instrumentation resolution and uncertainty requirements with the second edition of the International Electrotechnical Commission ("IEC") 62301 standard for measuring standby power, define and exclude back-up battery chargers from the testing requirements of this rulemaking,"#,
        "en",
        Some(d(2016, 5, 20)),
    );
    assert_eq!(c.effective_date, Some(d(2016, 6, 19)), "{:?}", kinds(&c));
    // without the publication date nothing is counted
    let c = read(
        r#"Energy Conservation Program: Test Procedure for Battery Chargers"#,
        r#"On August 6, 2015, the U.S. Department of Energy ("DOE") issued a notice of proposed rulemaking ("NOPR") to amend the test procedure for battery chargers. This final rule is based on that NOPR. The final rule amends the current test procedure, incorporating changes that will take effect 30 days after the final rule publication date. In summary, these changes update the battery selection criteria for multi-voltage, multi-capacity battery chargers, harmonize the instrumentation resolution and uncertainty requirements with the second edition of the International Electrotechnical Commission ("IEC") 62301 standard for measuring standby power, define and exclude back-up battery chargers from the testing requirements of this rulemaking,"#,
        "en",
        None,
    );
    assert_eq!(c.effective_date, None, "{:?}", kinds(&c));
}

#[test]
fn dates_of_derogations_and_of_other_acts_are_not_the_acts() {
    // en-81: "It shall apply from 26 May 2021. By way of derogation ...: (a)
    // Articles 35 to 50 shall apply from 26 November 2017."
    let c = read(
        r#"Regulation (EU) 2017/745 of the European Parliament and of the Council: Article 123 Entry into force and date of application"#,
        r#"Article 123: Entry into force and date of application 1. This Regulation shall enter into force on the twentieth day following that of its publication in the Official Journal of the European Union. 2. It shall apply from 26 May 2021. 3. By way of derogation from paragraph 2: (a) Articles 35 to 50 shall apply from 26 November 2017. (c) Article 102 shall apply from 26 May 2018; (d) without prejudice to the obligations of the Commission pursuant to Article 34, the obligations and requirements that relate to any of the electronic systems referred to in Article 33(2) shall apply from the date corresponding to 6 months from the date of publication of the notice referred to in Article 34(3), informing that the relevant electronic system is functional and meets the functional specifications drawn up pursuant to Article 34(1)."#,
        "en",
        None,
    );
    assert_eq!(c.effective_date, Some(d(2021, 5, 26)), "{:?}", kinds(&c));
    // vi-2: the header of a consolidated text names the consolidated acts' dates
    let c = read(
        r#"Văn bản hợp nhất 04/VBHN-BYT năm 2024 Nghị định về quản lý thiết bị y tế"#,
        r#"BỘ Y TẾ Số: 04/VBHN-BYT Hà Nội, ngày 03 tháng 6 năm 2024 NGHỊ ĐỊNH VỀ QUẢN LÝ THIẾT BỊ Y TẾ[1] Nghị định số 98/2021/NĐ-CP ngày 08 tháng 11 năm 2021 của Chính phủ về quản lý thiết bị y tế[2], có hiệu lực kể từ ngày 01 tháng 01 năm 2022 được sửa đổi, bổ sung bởi: Nghị định số 07/2023/NĐ-CP ngày 03 tháng 3 năm 2023 của Chính phủ sửa đổi, bổ sung một số điều của Nghị định số 98/2021/NĐ-CP ngày 08 tháng 11 năm 2021 của Chính phủ về quản lý thiết bị y tế[3], có hiệu lực kể từ ngày 03 tháng 3 năm 2023. Điều 1. Phạm vi điều chỉnh 1. Nghị định này quy định về việc quản lý thiết bị y tế[5] bao gồm: phân loại thiết bị y tế[6]; sản xuất, nghiên cứu lâm sàng, lưu hành, mua bán, xuất khẩu, nhập khẩu, cung cấp dịch vụ thiết bị y tế[7]; thông tin, quảng cáo thiết bị y tế[8]; quản lý giá thiết bị y tế[9] và quản lý, sử dụng thiết bị y tế[10] tại các cơ sở y tế."#,
        "vi",
        None,
    );
    assert_eq!(c.effective_date, None, "{:?}", kinds(&c));
    // en-69: "In force 7.12.2022", a register's status field
    let c = read(
        r#"Directive (EU) 2022/2380 of the European Parliament and of the Council of 23 November 2022 amending Directive 2014/53/EU on the harmonisation of the laws of the Member States relating to the making available on the market of radio equipment"#,
        r#"PE/44/2022/REV/1 OJ L 315, 7.12.2022, p. 30–43 (BG, ES, CS, DA, DE, ET, EL, EN, FR, GA, HR, IT, LV, LT, HU, MT, NL, PL, PT, RO, SK, SL, FI, SV) In force 7.12.2022 | EN | Official Journal of the European Union | L 315/30 | DIRECTIVE (EU) 2022/2380 OF THE EUROPEAN PARLIAMENT AND OF THE COUNCIL of 23 November 2022 amending Directive 2014/53/EU on the harmonisation of the laws of the Member States relating to the making available on the market of radio equipment (Text with EEA relevance) THE EUROPEAN PARLIAMENT AND THE COUNCIL OF THE EUROPEAN UNION, Having regard to the Treaty on the Functioning of the European Union, and in particular Article 114 thereof, Having regard to the proposal from the European Commission, Whereas: (1) One of the objectives of Directive 2014/53/EU of the European Parliament and of the Council is to ensure the proper functioning of the internal market."#,
        "en",
        Some(d(2022, 12, 7)),
    );
    assert_eq!(c.effective_date, None, "{:?}", kinds(&c));
}

#[test]
fn sector_words_need_equipment_in_every_language() {
    for (text, lang) in [
        ("Rules on the quality of telecommunications services.", "en"),
        (
            "Telekomünikasyon hizmetlerinin kalitesine ilişkin usul ve esaslar.",
            "tr",
        ),
        ("Quy định về chất lượng dịch vụ viễn thông.", "vi"),
        (
            "Lineamientos sobre la calidad de los servicios de telecomunicaciones.",
            "es",
        ),
    ] {
        let c = read("", text, lang, None);
        assert!(c.categories.is_empty(), "{text}: {:?}", c.evidence);
    }
    for (text, lang) in [
        (
            "Requirements for telecommunications equipment placed on the market.",
            "en",
        ),
        ("Telekomünikasyon cihazlarının piyasaya arzı.", "tr"),
        ("Quy định về thiết bị viễn thông nhập khẩu.", "vi"),
        (
            "Requisitos para equipos de telecomunicaciones importados.",
            "es",
        ),
    ] {
        let c = read("", text, lang, None);
        assert_eq!(cats(&c), vec!["telecom"], "{text}: {:?}", c.evidence);
    }
}

#[test]
fn message_lists_and_registry_references_are_not_codes() {
    // en-7: "Related messages: 51597300, 51515097, ... 43043838, 19-000052"
    let c = read(
        "CSMS # 51787412 - GUIDANCE",
        "For questions related to Section 301 entry-filing requirements, please refer to CSMS message 40969690 Information on Trade Remedy Questions and Resources. Related messages: 51597300, 51515097, 51469298, 43043838, 19-000052, 19-000332",
        "en",
        None,
    );
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
    // en-73: the Commission's registry number "Ares(2025)216290"
    let c = read(
        "",
        "Document Ares(2025)216290 Please be aware that this draft act does not constitute the final position of the institution.",
        "en",
        None,
    );
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
    // a code after the list still is one
    let c = read(
        "",
        "Related messages: 51597300, 51515097. Report HTS 8517.62.00 for the routers.",
        "en",
        None,
    );
    assert_eq!(c.hs_codes, vec!["8517.62.00"]);
}

#[test]
fn a_title_ending_in_an_act_word_does_not_swallow_the_texts_first_code() {
    for (title, text, lang) in [
        (
            "İthalatta Gözetim Uygulamasına İlişkin Tebliğ",
            "8528.42 ila 8528.59 alt pozisyonlarındaki monitörlere ilave gümrük vergisi uygulanır.",
            "tr",
        ),
        (
            "Commission Implementing Regulation",
            "8528.42 to 8528.59: monitors are subject to an additional duty.",
            "en",
        ),
    ] {
        let c = read(title, text, lang, None);
        assert_eq!(c.hs_codes, vec!["8528.42", "8528.59"], "{title}");
        assert_eq!(c.hs_ranges.len(), 1, "{title}");
    }
    // on the same line the word still makes the number a document number
    let c = read("", "Tebliğ: 2020.4 sayılı karar", "tr", None);
    assert!(c.hs_codes.is_empty(), "{:?}", c.hs_codes);
}
