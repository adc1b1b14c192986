//! The tagger's regexes: Rust's regex syntax, read in one dialect.
//!
//! - `\d` is an ASCII digit. Every number the tagger reads (an HS code, a
//!   date, an act's number) is parsed as ASCII afterwards, and a code never
//!   has other digits.
//! - `\w` is a letter of the Latin, Greek or Cyrillic script, a combining
//!   diacritic (U+0300–U+036F, text written decomposed), an ASCII digit or
//!   `_`; `\W` is anything else. These are the scripts of the markets the
//!   tagger reads (English, Turkish, Vietnamese, Spanish, and the EU's
//!   Greek and Bulgarian); a letter of another script counts as a
//!   separator, as a punctuation mark does.
//!
//! Unicode's own classes are about 700 ranges (`\w`) and 60 (`\d`): each
//! use compiles to an automaton of tens of kilobytes, and the tagger's
//! patterns use them hundreds of times. Read this way, the shipped patterns
//! took 11.7 MB compiled, and take 7.3 MB; they are compiled once per
//! process, so that is also the time a one-shot pass spends on them.
//!
//! `\b` keeps Unicode's meaning (it is one state, whatever its class).
//! Inside a pattern that turns Unicode off (`(?-u)`), `\w` is left as
//! written: it is ASCII there already.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;
use regex_automata::meta;

/// The body of the word class, for patterns that spell it in a class of
/// their own.
pub const WORD: &str = r"\p{Latin}\p{Greek}\p{Cyrillic}\x{300}-\x{36F}0-9_";

/// `src` with `\d`, `\D`, `\w` and `\W` spelled as this dialect reads them.
/// Each becomes a bracketed class, which is valid both outside a class and
/// nested inside one (`[^\w/.-]` → `[^[…]/.-]`).
pub fn dialect(src: &str) -> Cow<'_, str> {
    if !src.contains('\\') {
        return Cow::Borrowed(src);
    }
    let unicode_off = turns_unicode_off(src);
    let mut out = String::with_capacity(src.len() + 64);
    let mut chars = src.chars();
    let mut changed = false;
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') if !unicode_off => {
                out.push('[');
                out.push_str(WORD);
                out.push(']');
            }
            Some('W') if !unicode_off => {
                out.push_str("[^");
                out.push_str(WORD);
                out.push(']');
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
                continue;
            }
            None => {
                out.push('\\');
                continue;
            }
        }
        changed = true;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(src)
    }
}

/// Whether a flag group of `src` turns Unicode off (`(?-u)`, `(?i-u:…)`).
fn turns_unicode_off(src: &str) -> bool {
    src.match_indices("(?").any(|(i, _)| {
        let flags = src[i + 2..].split([':', ')']).next().unwrap_or("");
        flags
            .split_once('-')
            .is_some_and(|(_, off)| off.contains('u'))
    })
}

/// A regex of this dialect.
pub fn compile(src: &str) -> Result<Regex, regex::Error> {
    Regex::new(&dialect(src))
}

/// A regex of this dialect without a one-pass DFA, for the patterns that
/// name a group in an alternation of many terms (a glossary's cues, the
/// origin cues' country names). For every pattern with a group the engine
/// builds a one-pass DFA, to find the group's bounds in a match the lazy DFA
/// has already found: 300 to 600 KB for each of these, 5 MB in all. The
/// texts are a notice's few sentences: the backtracker finds the bounds as
/// well. The error is the engine's message.
pub(crate) fn lean(src: &str) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .configure(meta::Regex::config().onepass(false))
        .build(&dialect(src))
        .map_err(|e| e.to_string())
}

/// A table of patterns, each with the words one of which it needs in the
/// text (none: it always runs).
pub(crate) type Gated = [(&'static [&'static str], &'static str)];

/// The patterns of `table` whose words `text` holds, in the table's order,
/// each built by `build` the first time a text needs it and kept in its
/// cell of `cells` (the table's own, one per pattern). A pattern that does
/// not build is skipped. Most texts hold the words of a few patterns: the
/// others are never compiled.
pub(crate) fn gated<'t, R: Sync + Send>(
    table: &'static Gated,
    cells: &'static [OnceLock<Option<R>>],
    text: &'t str,
    build: fn(&str) -> Option<R>,
) -> impl Iterator<Item = &'static R> + 't {
    debug_assert_eq!(table.len(), cells.len());
    table
        .iter()
        .zip(cells)
        .filter(move |((words, _), _)| words.is_empty() || words.iter().any(|w| text.contains(w)))
        .filter_map(move |((_, src), cell)| cell.get_or_init(|| build(src)).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(src: &str) -> Regex {
        compile(src).unwrap()
    }

    #[test]
    fn digits_are_ascii() {
        assert!(re(r"^\d{4}$").is_match("2024"));
        // Arabic-Indic and fullwidth digits are not codes
        assert!(!re(r"^\d{4}$").is_match("٢٠٢٤"));
        assert!(!re(r"^\d$").is_match("１"));
        assert!(re(r"^\D$").is_match("a"));
        assert!(!re(r"^\D$").is_match("7"));
    }

    #[test]
    fn words_are_the_markets_scripts() {
        let word = re(r"^\w+$");
        for w in [
            "teblig",
            "Tebliğ",
            "ıİşçğü",
            "nghị_định",
            "Resolución",
            "niño",
            "Κανονισμός",
            "Регламент",
            "a\u{301}",
            "x86",
        ] {
            assert!(word.is_match(w), "{w:?} is a word");
        }
        for w in ["a-b", "a b", "«", "—", "中国", "§"] {
            assert!(!word.is_match(w), "{w:?} is not one word");
        }
        let sep = re(r"^\W$");
        assert!(sep.is_match("-") && sep.is_match("中") && !sep.is_match("ş"));
    }

    #[test]
    fn classes_nest_inside_classes() {
        let r = re(r"(?:^|[^\w/.-])(\d+)/\w+");
        assert_eq!(&r.captures("x 12/abc").unwrap()[1], "12");
        assert!(r.captures("a12/abc").is_none_or(|c| &c[1] != "12"));
        assert!(re(r"^[\w'-]+$").is_match("l'ou-ü"));
        assert!(re(r"^[\d.]+$").is_match("85.17") && !re(r"^[\d.]+$").is_match("8a"));
    }

    #[test]
    fn escapes_that_are_not_classes_are_kept() {
        // an escaped backslash then `d` is the two characters, not a digit
        assert!(re(r"^\\d$").is_match(r"\d"));
        assert!(!re(r"^\\d$").is_match("7"));
        assert!(re(r"^\p{L}\.\s\x{41}$").is_match("ş. A"));
        assert_eq!(dialect(r"\bab\s"), r"\bab\s");
        assert!(matches!(dialect("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn ascii_scopes_are_left_alone() {
        let r = re(r"(?i-u)\b\d{2}:\d{2}\w");
        assert!(r.is_match("at 12:30h"));
        assert!(
            compile(r"(?-u:\w+)").is_ok(),
            "an ASCII scope keeps its \\w"
        );
        assert!(turns_unicode_off(r"(?-u:\b)x") && turns_unicode_off(r"(?i-u)x"));
        // a hyphen and a u in the text are not a flag
        assert!(!turns_unicode_off(r"anti-u\w+") && !turns_unicode_off(r"(?i)pre-u\w"));
        assert_eq!(dialect(r"anti-u\w"), format!("anti-u[{WORD}]"));
    }

    #[test]
    fn gated_patterns_build_when_a_text_needs_them() {
        static TABLE: &Gated = &[
            (&["dumping"], r"dumping \d+"),
            (&[], "always"),
            (&["x"], "("),
        ];
        static CELLS: [OnceLock<Option<Regex>>; 3] = [const { OnceLock::new() }; 3];
        let build = |s: &str| compile(s).ok();
        let run = |t: &str| {
            gated(TABLE, &CELLS, t, build)
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(run("no such word"), ["always"]);
        assert!(CELLS[0].get().is_none(), "built without its word");
        assert_eq!(run("anti-dumping 12"), ["dumping [0-9]+", "always"]);
        // a pattern that does not build is skipped, and not tried again
        assert_eq!(run("x"), ["always"]);
        assert!(matches!(CELLS[2].get(), Some(None)));
    }

    #[test]
    fn lean_regexes_match_as_the_others() {
        let src = r"\b(?:imports?|goods) from (?P<c>china|viet nam|türkiye)\b";
        let (full, lean) = (compile(src).unwrap(), lean(src).unwrap());
        for t in [
            "goods from türkiye and imports from china",
            "goods from chinatown",
            "",
        ] {
            let a: Vec<_> = full
                .captures_iter(t)
                .map(|c| c.name("c").unwrap().range())
                .collect();
            let b: Vec<_> = lean
                .captures_iter(t)
                .map(|c| c.get_group_by_name("c").unwrap().range())
                .collect();
            assert_eq!(a, b, "{t:?}");
        }
        assert!(
            lean.memory_usage() * 2
                < regex_automata::meta::Regex::new(&dialect(src))
                    .unwrap()
                    .memory_usage()
        );
    }

    #[test]
    fn the_dialect_is_smaller() {
        // the point of it: measured here, not assumed
        let unicode = regex_automata::meta::Regex::new(r"(?:^|[^\w])\d{4}\w*").unwrap();
        let ours = regex_automata::meta::Regex::new(&dialect(r"(?:^|[^\w])\d{4}\w*")).unwrap();
        assert!(
            ours.memory_usage() * 4 < unicode.memory_usage(),
            "{} against {}",
            ours.memory_usage(),
            unicode.memory_usage()
        );
    }
}
