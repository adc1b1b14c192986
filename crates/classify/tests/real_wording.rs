//! One test per class of error found on real notices, each on real wording:
//! passages quoted from the real development notices (their ids, dNN, refer
//! to /work/shared/data/notices-real-dev.jsonl) or, where those have none,
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
