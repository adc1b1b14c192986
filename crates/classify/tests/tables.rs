//! The published tables shipped as data, checked against the publications:
//! the UN Statistics Division's HS 2022–HS 2017 correlation table
//! (HS2022toHS2017ConversionAndCorrelationTables.xlsx, sheet "HS2022-HS2017
//! Correlations") and UN Comtrade's HS 2022 descriptions. Each expected row
//! below was read in the published workbook.

use regwatch_classify::nomenclature::{counts, describe, short};
use regwatch_classify::{hs_correlated, hs_digits, hs_equivalents, HsVersion, Relation};

use HsVersion::{Hs2017, Hs2022};
use Relation::{Equivalent, Part};

fn has(code: &str, other: &str, v: HsVersion, r: Relation) -> bool {
    hs_correlated(code).contains(&(other.to_string(), v, r))
}

fn names(code: &str, other: &str) -> bool {
    hs_correlated(code).iter().any(|c| c.0 == other)
}

#[test]
fn mobile_phones_8517_12_split_in_two_and_shared() {
    // 851713 851712 n:1; 851714 851712 n:1; and part of it went to the 8524
    // display modules and 8549 e-waste (n:n)
    assert!(has("8517.12", "8517.13", Hs2022, Part));
    assert!(has("8517.12.00", "8517.14", Hs2022, Part));
    assert!(has("8517.12", "8524.11", Hs2022, Part));
    assert!(has("8517.12", "8549.21", Hs2022, Part));
    assert!(has("8517.13", "8517.12", Hs2017, Part));
    // a split is no equivalence: a case on 8517.13 is related to 8517.12, not direct
    assert!(hs_equivalents("8517.12").is_empty());
    assert!(hs_equivalents("8517.13").is_empty());
}

#[test]
fn led_lamps_8539_50_go_to_8539_52_only() {
    // 853952 853950 n:1; 853951 (LED modules) comes from 8539.90, 8543.70
    // and 9405.10-40 (n:n), never from 8539.50
    assert!(has("8539.50", "8539.52", Hs2022, Part));
    assert!(!names("8539.50", "8539.51"));
    for old in [
        "8539.90", "8543.70", "9405.10", "9405.20", "9405.30", "9405.40",
    ] {
        assert!(has("8539.51", old, Hs2017, Part), "{old}");
    }
    assert!(hs_equivalents("8539.50").is_empty());
}

#[test]
fn data_processing_units_8471_70_stay_and_feed_e_waste() {
    // 847170 847170 n:1, 854921..854999 847170 n:n; nothing to 8523.51
    assert!(has("8471.70", "8471.70", Hs2022, Part));
    assert!(has("8471.70", "8549.91", Hs2022, Part));
    assert!(!names("8471.70", "8523.51"));
    // 852351 852351 n:1
    assert!(has("8523.51", "8523.51", Hs2017, Part));
}

#[test]
fn medical_instruments_9018_90_partly_moved_to_9022() {
    // 901890 901890 n:1; 902221 901890 n:n; 902229 901890 n:n
    assert!(has("9018.90", "9018.90", Hs2022, Part));
    assert!(has("9018.90", "9022.21", Hs2022, Part));
    assert!(has("9018.90", "9022.29", Hs2022, Part));
    assert!(has("9022.21", "9022.21", Hs2017, Part));
    // implants: 902110 / 902129 from 7317, 7318.xx and 8108.90 (n:n)
    for old in [
        "7317.00", "7318.14", "7318.15", "7318.16", "7318.19", "7318.22", "7318.24", "7318.29",
        "8108.90",
    ] {
        assert!(has("9021.10", old, Hs2017, Part), "{old}");
        assert!(has("9021.29", old, Hs2017, Part), "{old}");
    }
}

#[test]
fn cameras_8525_80_split_and_camera_drones_to_8806() {
    // 852581..852589 852580 n:1; 880621..880699 852580 n:n
    for new in ["8525.81", "8525.82", "8525.83", "8525.89"] {
        assert!(has("8525.80", new, Hs2022, Part), "{new}");
    }
    for new in [
        "8806.21", "8806.22", "8806.23", "8806.24", "8806.29", "8806.91", "8806.92", "8806.93",
        "8806.94", "8806.99",
    ] {
        assert!(has("8525.80", new, Hs2022, Part), "{new}");
    }
    assert!(has("8806.21", "8802.11", Hs2017, Part));
    assert!(has("8806.21", "8802.20", Hs2017, Part));
}

#[test]
fn semiconductor_transducers_8541_51_come_from_many_headings() {
    // 854151 -> 8422.11 ... 9504.90, all n:n
    let olds: Vec<String> = hs_correlated("8541.51")
        .into_iter()
        .filter(|c| c.1 == Hs2017)
        .map(|c| c.0)
        .collect();
    assert!(olds.len() > 100, "{}", olds.len());
    for old in [
        "8422.11", "8504.40", "8517.62", "9026.10", "9032.89", "9504.90",
    ] {
        assert!(olds.iter().any(|o| o == old), "{old}");
    }
    assert!(hs_correlated("8541.51").iter().all(|c| c.2 == Part));
}

#[test]
fn links_the_table_does_not_have() {
    assert!(
        hs_correlated("9027.40").is_empty(),
        "9027.40 is in neither version"
    );
    assert!(!names("8479.50", "8428.70"));
    assert!(!names("8474.80", "8485.30"));
    assert!(!names("8515.80", "8485.10"));
    assert!(!names("8462.91", "8462.11"));
    // what the table has instead: 842870 842890 n:1, 848510 846390 n:1,
    // 846211 846210 n:1, 848530 847989 n:n
    assert!(has("8428.70", "8428.90", Hs2017, Part));
    assert!(has("8485.10", "8463.90", Hs2017, Part));
    assert!(has("8462.11", "8462.10", Hs2017, Part));
    assert!(has("8485.30", "8479.89", Hs2017, Part));
}

#[test]
fn one_to_one_and_one_to_many_rows() {
    // 382711 382471 1:1 (renumbered), 382213 300620 1:1 (moved), 010121 010121 1:1
    assert!(has("3827.11", "3824.71", Hs2017, Equivalent));
    assert_eq!(hs_equivalents("3824.71"), vec!["3827.11"]);
    assert_eq!(hs_equivalents("3006.20"), vec!["3822.13"]);
    assert!(has("0101.21", "0101.21", Hs2017, Equivalent));
    // 382712 382473 1:1 .. 382714 382476 1:1 (the hand-written table had them swapped)
    assert_eq!(hs_equivalents("3827.12"), vec!["3824.73"]);
    assert_eq!(hs_equivalents("3827.14"), vec!["3824.76"]);
    // 401512 401511 1:n: one HS 2022 code for surgical gloves and part of 4015.19
    assert!(has("4015.12", "4015.11", Hs2017, Part));
    assert!(has("4015.12", "4015.19", Hs2017, Part));
    assert!(hs_equivalents("4015.12").is_empty());
    // headings take every row under them; chapters take none
    assert!(has("8517", "8517.13", Hs2022, Part));
    assert!(hs_correlated("85").is_empty());
}

#[test]
fn hs_2028_is_a_version() {
    assert!(HsVersion::Hs2028 > HsVersion::Hs2022);
    assert_eq!(HsVersion::Hs2028.label(), "HS 2028");
}

#[test]
fn descriptions_cover_every_heading_and_subheading() {
    // The published file describes 96 chapters, 1,228 headings and 5,612
    // six-digit subheadings (UN Comtrade's own "not specified" code 99/9999/
    // 999999 left out). The 5,609 often quoted is 3 fewer: BACI's count.
    assert_eq!(counts(), (96, 1228, 5612));
    // every HS 2022 code of the correlation table has its description and its
    // heading's
    let table = include_str!("../data/hs2017-hs2022-correlation.csv");
    let mut n = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let code = line.split(',').next().unwrap();
        if code == "999999" {
            continue;
        }
        n += 1;
        let d = describe(code).unwrap_or_else(|| panic!("{code} undescribed"));
        assert!(!d.is_empty());
        assert_eq!(
            regwatch_classify::nomenclature::describe_with_code(code)
                .unwrap()
                .0,
            code,
            "{code} described by a shorter code"
        );
        assert!(describe(&code[..4]).is_some(), "heading {}", &code[..4]);
    }
    assert!(n > 15_000);
}

#[test]
fn descriptions_as_published() {
    assert_eq!(
        describe("8517.13"),
        Some("Telephone sets; smartphones for cellular or other wireless networks")
    );
    assert_eq!(describe("850440"), Some("Electrical static converters"));
    assert_eq!(describe("8806"), Some("Unmanned aircraft"));
    // a national line: its subheading; a code of another version: its heading
    assert_eq!(describe("8517.62.59"), describe("8517.62"));
    assert_eq!(
        regwatch_classify::nomenclature::describe_with_code("3822.00")
            .unwrap()
            .0,
        "3822"
    );
    assert_eq!(describe("85.17"), describe("8517"));
    assert!(describe("99").is_none() && describe("9903.88.15").is_none());
    assert!(describe("77").is_none());
    assert_eq!(hs_digits("8517.13"), "851713");
}

#[test]
fn short_forms_are_product_phrases() {
    assert_eq!(short("8504.40").unwrap(), "electrical static converters");
    assert_eq!(
        short("8517.13").unwrap(),
        "telephone sets, smartphones for cellular or other wireless networks"
    );
    assert_eq!(
        short("8517.14").unwrap(),
        "telephone sets, other than smartphones, for cellular or other wireless networks"
    );
    assert_eq!(short("8806").unwrap(), "unmanned aircraft");
    assert_eq!(
        short("9018.90").unwrap(),
        "medical, surgical or dental instruments and appliances"
    );
    assert_eq!(
        short("8712.00").unwrap(),
        "bicycles and other cycles, not motorised"
    );
    for code in ["01", "8541.51", "8806.21", "3002.15", "8517.62"] {
        let s = short(code).unwrap();
        assert!(s.chars().count() <= 91, "{code}: {s}");
        assert!(s.starts_with(|c: char| c.is_lowercase()), "{code}: {s}");
        assert!(
            !s.contains('(') && !s.contains("n.e.c") && !s.contains(" ,"),
            "{code}: {s}"
        );
    }
}
