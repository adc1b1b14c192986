//! HS codes as people type them, parsed once.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An HS code, parsed once: digits and dots as bulletins write them
/// (`8517.62`, `8517.62.00.10`), at least a chapter (2 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HsCode(String);

/// How deep an HS code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HsLevel {
    Chapter,
    Heading,
    Subheading,
    /// A national tariff line (8 digits or more).
    National,
}

impl HsCode {
    /// `8517.62`, `8517,62`, `851762`, `8517 62`, `8517.62.00`, `HS 8517`:
    /// normalized to digits and dots. A decimal comma between digits is a dot.
    pub fn parse(s: &str) -> Result<HsCode, String> {
        let dotted: String = {
            let b = s.as_bytes();
            s.char_indices()
                .map(|(i, c)| {
                    let between = i > 0
                        && b[i - 1].is_ascii_digit()
                        && b.get(i + 1).is_some_and(u8::is_ascii_digit);
                    if c == ',' && between {
                        '.'
                    } else {
                        c
                    }
                })
                .collect()
        };
        regwatch_classify::normalize_hs(&dotted)
            .map(HsCode)
            .ok_or_else(|| format!("`{s}` is not an HS code: write e.g. 8517.62 or 851762"))
    }

    /// The HS codes of one typed value: codes separated by `;`, `|`, a
    /// comma followed by a space, or a line break. Within a code, a comma or
    /// space between digit groups joins them (`8517,62` and `8517 62` are
    /// 8517.62, never 8517 and chapter 62); a two-digit code is a chapter
    /// only when written alone. Space-separated codes of four or more
    /// digits each are a list (`8517 8471`).
    pub fn parse_list(s: &str) -> Result<Vec<HsCode>, String> {
        let mut out = vec![];
        for piece in s
            .split([';', '|', '\n'])
            .flat_map(|p| p.split(", "))
            .flat_map(split_commas)
        {
            let mut code = String::new();
            for tok in piece.split_whitespace() {
                let continues = !code.is_empty()
                    && tok.len() == 2
                    && tok.bytes().all(|b| b.is_ascii_digit())
                    && hs_digit_count(&code) >= 4;
                if continues {
                    code.push('.');
                } else if !code.is_empty() && !code.ends_with(['.', ',']) {
                    out.push(HsCode::parse(&code)?);
                    code.clear();
                }
                code.push_str(tok);
            }
            let code = code.trim_matches([',', ' ']);
            if !code.is_empty() {
                out.push(HsCode::parse(code)?);
            }
        }
        Ok(out)
    }
    /// The code as written, normalized (`8517.62.00`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Its digits only (`85176200`).
    pub fn digits(&self) -> String {
        regwatch_classify::hs_digits(&self.0)
    }
    pub fn level(&self) -> HsLevel {
        match self.digits().len() {
            0..=3 => HsLevel::Chapter,
            4..=5 => HsLevel::Heading,
            6..=7 => HsLevel::Subheading,
            _ => HsLevel::National,
        }
    }
    /// Its HS 2017/2022 counterparts (a split's other side).
    pub fn equivalents(&self) -> Vec<HsCode> {
        regwatch_classify::hs_equivalents(&self.0)
            .into_iter()
            .map(HsCode)
            .collect()
    }
    /// The digits of this code and of its equivalents, for a store filter.
    pub fn search_digits(&self) -> Vec<String> {
        let mut v = vec![self.digits()];
        v.extend(self.equivalents().iter().map(HsCode::digits));
        v
    }
}
/// A comma without a space between codes: a decimal comma when what
/// follows is two digits after a heading or longer (`8517,62` is 8517.62,
/// `8517,62,00` 8517.62.00); otherwise a list separator (`0101,0102`,
/// `8517.62,8471.30`).
fn split_commas(piece: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for (i, part) in piece.split(',').enumerate() {
        let two = part.len() >= 2
            && part.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && !part.as_bytes().get(2).is_some_and(u8::is_ascii_digit);
        match out.last_mut() {
            Some(code) if i > 0 && two && hs_digit_count(code) >= 4 => {
                code.push(',');
                code.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

fn hs_digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

impl TryFrom<String> for HsCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        HsCode::parse(&s)
    }
}
impl From<HsCode> for String {
    fn from(c: HsCode) -> String {
        c.0
    }
}
impl fmt::Display for HsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs_input_as_people_type_it() {
        let one = |s: &str| {
            HsCode::parse_list(s)
                .unwrap()
                .iter()
                .map(|c| c.as_str().to_string())
                .collect::<Vec<_>>()
        };
        for typed in ["8517.62", "8517,62", "851762", "8517 62", " 8517.62 "] {
            assert_eq!(one(typed), vec!["8517.62"], "{typed}");
        }
        assert_eq!(one("8517 62 00"), vec!["8517.62.00"]);
        assert_eq!(one("8517;8471"), vec!["8517", "8471"]);
        assert_eq!(one("8517, 8471.30"), vec!["8517", "8471.30"]);
        assert_eq!(one("8517 8471"), vec!["8517", "8471"]);
        // A comma without a space: decimal before two digits, else a list.
        assert_eq!(one("8517,62,8471,30"), vec!["8517.62", "8471.30"]);
        assert_eq!(one("8517.62,8471.30"), vec!["8517.62", "8471.30"]);
        assert_eq!(one("0101,0102"), vec!["0101", "0102"]);
        assert_eq!(one("8517,62,00"), vec!["8517.62.00"]);
        // A chapter only when written alone.
        assert_eq!(one("85"), vec!["85"]);
        assert!(HsCode::parse_list("8517,6x").is_err());
        assert_eq!(HsCode::parse("8517,62").unwrap().as_str(), "8517.62");
    }
}
