//! Dates in the four languages: cues, relative periods, deadlines, the
//! sentence each date comes from.

use chrono::NaiveDate;
use regwatch_classify::{effective_date, Taxonomy};
use std::sync::LazyLock;

static TAX: LazyLock<Taxonomy> = LazyLock::new(Taxonomy::builtin);

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}
fn eff(s: &str, lang: &str) -> Option<NaiveDate> {
    effective_date(s, Some(lang), d(2026, 3, 14))
}

#[test]
fn turkish() {
    assert_eq!(
        eff(
            "IMEI kayıt harcı 1 Ocak 2026 itibarıyla 54.258 TL'ye yükseldi",
            "tr"
        ),
        Some(d(2026, 1, 1))
    );
    assert_eq!(
        eff("Bu Tebliğ 01.07.2026 tarihinde yürürlüğe girer.", "tr"),
        Some(d(2026, 7, 1))
    );
    assert_eq!(
        eff("1 Haziran 2026 tarihinden itibaren zorunludur", "tr"),
        Some(d(2026, 6, 1))
    );
    assert_eq!(
        eff("Karar, 12 Şubat 2026 tarihli ve 33166 sayılı Resmî Gazete'de yayımlanarak yürürlüğe girmiştir.", "tr"),
        Some(d(2026, 2, 12))
    );
    assert_eq!(
        eff("Karar yayımı tarihinde yürürlüğe girer.", "tr"),
        Some(d(2026, 3, 14))
    );
    assert_eq!(
        eff("Bu Karar yayımından 30 gün sonra yürürlüğe girer.", "tr"),
        Some(d(2026, 4, 13))
    );
}

#[test]
fn vietnamese() {
    assert_eq!(
        eff("Thông tư này có hiệu lực kể từ ngày 01/7/2026.", "vi"),
        Some(d(2026, 7, 1))
    );
    assert_eq!(
        eff(
            "Nghị định có hiệu lực thi hành từ ngày 15 tháng 3 năm 2026.",
            "vi"
        ),
        Some(d(2026, 3, 15))
    );
    assert_eq!(
        eff("Quyết định có hiệu lực kể từ ngày ký.", "vi"),
        Some(d(2026, 3, 14))
    );
    assert_eq!(
        eff("giấy phép sắp hết hiệu lực từ ngày 01/01/2027", "vi"),
        None
    );
}

#[test]
fn spanish() {
    assert_eq!(
        eff(
            "El presente Acuerdo entrará en vigor el 1 de enero de 2027.",
            "es"
        ),
        Some(d(2027, 1, 1))
    );
    assert_eq!(
        eff("aplicable a partir del 15 de julio de 2026", "es"),
        Some(d(2026, 7, 15))
    );
    assert_eq!(
        eff("entrará en vigor al día siguiente de su publicación en el Diario Oficial de la Federación", "es"),
        Some(d(2026, 3, 15))
    );
}

#[test]
fn english() {
    assert_eq!(
        eff("expected to take effect on 1 January 2024", "en"),
        Some(d(2024, 1, 1))
    );
    assert_eq!(
        eff("From April 1, 2024, CBP implements", "en"),
        Some(d(2024, 4, 1))
    );
    assert_eq!(
        eff("with effect from 20 June 2025", "en"),
        Some(d(2025, 6, 20))
    );
    assert_eq!(
        eff("effective 2026-05-01 for all filers", "en"),
        Some(d(2026, 5, 1))
    );
    assert_eq!(eff("Issued on 2 March 2025 after the merger", "en"), None);
    assert_eq!(
        eff("the new requirements begin on December 19, 2024", "en"),
        Some(d(2024, 12, 19))
    );
    assert_eq!(
        eff("for entries on or after June 4, 2025", "en"),
        Some(d(2025, 6, 4))
    );
    assert_eq!(
        eff("may stay on the market until 31 December 2027", "en"),
        None
    );
    assert_eq!(
        eff(
            "It shall enter into force on the twentieth day following that of its publication",
            "en"
        ),
        Some(d(2026, 4, 3))
    );
}

fn read_at(s: &str, published: Option<NaiveDate>) -> regwatch_classify::Classification {
    TAX.classify(&regwatch_classify::Input {
        text: s,
        published,
        ..Default::default()
    })
}

fn both(s: &str) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let c = read_at(s, Some(d(2026, 3, 14)));
    (c.effective_date, c.deadline)
}

#[test]
fn mexican_ordinals() {
    assert_eq!(
        eff("entrará en vigor el 1o. de enero de 2026", "es"),
        Some(d(2026, 1, 1))
    );
    assert_eq!(
        eff("será aplicable a partir del 1ro. de julio de 2026.", "es"),
        Some(d(2026, 7, 1))
    );
    // no year is invented for a date written without one
    assert_eq!(eff("Entrará en vigor el 1° de marzo.", "es"), None);
    assert_eq!(
        eff("Entrará en vigor el 1º de abril de 2027.", "es"),
        Some(d(2027, 4, 1))
    );
}

#[test]
fn relative_to_publication() {
    assert_eq!(
        eff(
            "This Regulation shall apply six months after publication.",
            "en"
        ),
        Some(d(2026, 9, 14))
    );
    assert_eq!(
        eff(
            "The rule takes effect 30 days after its publication in the Federal Register.",
            "en"
        ),
        Some(d(2026, 4, 13))
    );
    assert_eq!(
        eff(
            "Bu Yönetmelik yayımı tarihinden altı ay sonra yürürlüğe girer.",
            "tr"
        ),
        Some(d(2026, 9, 14))
    );
    assert_eq!(
        eff("Bu Tebliğ yayımı tarihinde yürürlüğe girer.", "tr"),
        Some(d(2026, 3, 14))
    );
    assert_eq!(
        eff(
            "entrará en vigor a los 30 días naturales siguientes a su publicación en el DOF",
            "es"
        ),
        Some(d(2026, 4, 13))
    );
    assert_eq!(
        eff("entrará en vigor al día siguiente de su publicación", "es"),
        Some(d(2026, 3, 15))
    );
    // Vietnamese: from the signing date when the text gives it
    assert_eq!(
        eff("Hà Nội, ngày 02 tháng 3 năm 2026. Thông tư này có hiệu lực thi hành sau 45 ngày kể từ ngày ký.", "vi"),
        Some(d(2026, 4, 16))
    );
    assert_eq!(
        eff("Quyết định có hiệu lực kể từ ngày ký.", "vi"),
        Some(d(2026, 3, 14))
    );
    // without a publication date, relative dates stay unresolved
    assert!(read_at("takes effect 30 days after its publication", None)
        .effective_date
        .is_none());
}

#[test]
fn deadlines() {
    assert_eq!(
        both("DATES: Comments must be received on or before April 20, 2026. The rule is effective June 1, 2026."),
        (Some(d(2026, 6, 1)), Some(d(2026, 4, 20)))
    );
    assert_eq!(
        both("Comments must be received by 15 May 2026."),
        (None, Some(d(2026, 5, 15)))
    );
    assert_eq!(
        both("Taslağa ilişkin görüşlerin 10 Nisan 2026 tarihine kadar Bakanlığa iletilmesi rica olunur."),
        (None, Some(d(2026, 4, 10)))
    );
    assert_eq!(
        both("Đề nghị các tổ chức, cá nhân gửi ý kiến góp ý trước ngày 30/4/2026."),
        (None, Some(d(2026, 4, 30)))
    );
    assert_eq!(
        both("los interesados podrán presentar sus comentarios dentro de los 60 días naturales contados a partir de la fecha de su publicación"),
        (None, Some(d(2026, 5, 13)))
    );
    assert_eq!(
        both("Devices may continue to be placed on the market until 31 December 2027 under the transitional provisions."),
        (None, Some(d(2027, 12, 31)))
    );
    // a comment period "from" is no entry into force
    assert_eq!(
        both("Comments are invited from 1 April 2026 to 31 May 2026."),
        (None, Some(d(2026, 5, 31)))
    );
}

#[test]
fn evidence_sentence() {
    let c = read_at(
        "Bu Tebliğ kapsamındaki eşya. Bu Tebliğ 01.07.2026 tarihinde yürürlüğe girer. Başka bir cümle.",
        Some(d(2026, 3, 14)),
    );
    assert_eq!(
        c.dates.first().map(|f| f.evidence.as_str()),
        Some("Bu Tebliğ 01.07.2026 tarihinde yürürlüğe girer.")
    );
    let c = read_at(
        "El Acuerdo entrará en vigor el 1o. de enero de 2026. Fin.",
        None,
    );
    assert_eq!(
        c.dates.first().map(|f| f.evidence.as_str()),
        Some("El Acuerdo entrará en vigor el 1o. de enero de 2026.")
    );
}
