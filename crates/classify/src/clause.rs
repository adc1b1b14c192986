//! Read by clause: a text becomes sentences, sentences become clauses
//! (split at `;` and `:`, with brackets and quotations as clauses inside
//! their clause), and each clause, or the part of it a marker reaches, gets
//! a role: scope (what the rule applies to, the default), exclusion (what it
//! does not cover), citation (another act named as a legal basis) or
//! background (what was, not what the act does).
//!
//! The mechanism is one; the words that mark each role are per-language data
//! (`[clauses.<lang>]` in the taxonomy file). A marker is written with `…`
//! on the side its role reaches: `"except …"` marks what follows it,
//! `"… hariç"` what precedes it in its clause, `"… has already …"` (or no
//! `…`) the whole clause. `"!khấu trừ"` cancels a marker inside it.

use crate::norm::Folded;

/// The role of a clause.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ClauseRole {
    /// What the rule applies to: its evidence counts.
    Scope,
    /// What the rule does not cover ("does not apply to", "hariç",
    /// "excepto", "trừ", "quedan excluidos"): shown, never counted.
    Exclusion,
    /// Another act cited as a legal basis ("Căn cứ", "con fundamento en",
    /// "dayanılarak", "having regard to"): shown, never counted.
    Citation,
    /// Background: what was before or elsewhere ("originally", "bilindiği
    /// üzere", "se publicó en el DOF"): shown, never counted.
    Background,
}

impl ClauseRole {
    /// Whether evidence from a clause of this role tags a category.
    pub fn counts(self) -> bool {
        self == ClauseRole::Scope
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClauseRole::Scope => "scope",
            ClauseRole::Exclusion => "exclusion",
            ClauseRole::Citation => "citation",
            ClauseRole::Background => "background",
        }
    }

    /// Which role wins where two overlap: an exclusion inside a citation is
    /// still an exclusion.
    fn rank(self) -> u8 {
        match self {
            ClauseRole::Scope => 0,
            ClauseRole::Background => 1,
            ClauseRole::Citation => 2,
            ClauseRole::Exclusion => 3,
        }
    }
}

impl std::fmt::Display for ClauseRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of its clause a marker gives its role to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Reach {
    /// The marker and what follows it ("except …").
    Next,
    /// What precedes the marker, and the marker ("… hariç").
    Prev,
    /// The whole clause.
    Whole,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MarkerKind {
    Role(ClauseRole, Reach),
    /// `!phrase`: a marker inside this phrase is no marker ("khấu trừ").
    Cancel,
    /// Words of an exclusion that refer back to the heading of the code
    /// named before ("other codes of this heading are not affected").
    SameHeading,
}

/// A marker as written in the data file, split into its parts.
pub(crate) struct MarkerText {
    pub kind_reach: Reach,
    pub cancel: bool,
    /// The words, without `…` and `!`.
    pub body: String,
}

/// Split `"except …"`, `"… hariç"`, `"… already …"`, `"!khấu trừ"`.
pub(crate) fn parse_marker(raw: &str) -> Result<MarkerText, String> {
    let t = raw.trim();
    let (cancel, t) = match t.strip_prefix('!') {
        Some(r) => (true, r.trim()),
        None => (false, t),
    };
    let ell = |s: &str| -> (bool, String) {
        for e in ["…", "..."] {
            if let Some(r) = s.strip_prefix(e) {
                return (true, r.to_string());
            }
        }
        (false, s.to_string())
    };
    let (lead, rest) = ell(t);
    let rest = rest.trim().to_string();
    let (trail, body) = {
        let mut r = (false, rest.clone());
        for e in ["…", "..."] {
            if let Some(b) = rest.strip_suffix(e) {
                r = (true, b.trim().to_string());
                break;
            }
        }
        r
    };
    if body.contains('…') || body.contains("...") {
        return Err(format!(
            "marker {raw:?} has `…` inside it: write `…` only at its start, its end, or both"
        ));
    }
    if body.is_empty() || !body.chars().any(char::is_alphanumeric) {
        return Err(format!("marker {raw:?} has no words"));
    }
    let kind_reach = match (lead, trail) {
        (false, true) => Reach::Next,
        (true, false) => Reach::Prev,
        _ => Reach::Whole,
    };
    Ok(MarkerText {
        kind_reach,
        cancel,
        body,
    })
}

/// A text read by clause: the role of every character, the clauses and the
/// sentences.
#[derive(Debug)]
pub(crate) struct Reading {
    /// The role of each char (indices of [`Folded`]).
    role: Vec<ClauseRole>,
    /// Clause index of each char.
    clause_of: Vec<u32>,
    /// Clauses as char ranges [start, end).
    clauses: Vec<(usize, usize)>,
    /// Sentences as char ranges [start, end).
    sentences: Vec<(usize, usize)>,
    /// Exclusion spans that refer back to a heading ("other codes of this
    /// heading are not affected"): (span start, span end).
    pub same_heading: Vec<(usize, usize)>,
    /// Every span given a role other than scope: (start, end, role).
    pub spans: Vec<(usize, usize, ClauseRole)>,
}

const CONJUNCTIONS: &[&str] = &[
    "and", "or", "y", "o", "e", "u", "ve", "veya", "ya", "ile", "và", "hoặc", "hay", "cùng",
];

/// Abbreviations after which ". Capital" goes on ("No. 5", "U.S. Customs").
const ABBREVIATIONS: &[&str] = &[
    "no", "nos", "nr", "art", "arts", "sec", "secs", "fed", "reg", "doc", "vol", "rev", "dr", "mr",
    "mrs", "ms", "st", "inc", "ltd", "co", "corp", "dept", "núm", "num", "fracc", "frac", "párr",
    "pág", "pp", "p", "cd", "sr", "sra", "lic", "ing", "vs", "cf", "ca", "approx",
];

impl Reading {
    /// Read `f`; `found` are the markers the taxonomy's automaton found in
    /// it: (first char, end char, kind).
    pub fn new(f: &Folded, found: &[(usize, usize, MarkerKind)]) -> Reading {
        let ch = f.nfc_chars();
        let n = ch.len();
        let mut clauses: Vec<(usize, usize)> = Vec::new();
        let mut clause_of = vec![0u32; n];
        let mut sentences: Vec<(usize, usize)> = Vec::new();
        let mut sentence_start = 0;
        // (clause, the character that closes it)
        let mut stack: Vec<(usize, char)> = Vec::new();
        let open = |clauses: &mut Vec<(usize, usize)>, start: usize| {
            clauses.push((start, usize::MAX));
            clauses.len() - 1
        };
        let first = open(&mut clauses, 0);
        stack.push((first, '\0'));
        let mut straight = false;
        for i in 0..n {
            let c = ch[i];
            let top = stack.last().map_or(0, |s| s.0);
            clause_of[i] = top as u32;
            let closer = match c {
                '(' => Some(')'),
                '[' => Some(']'),
                '“' => Some('”'),
                '«' => Some('»'),
                '"' if !straight => Some('"'),
                _ => None,
            };
            if let Some(cl) = closer {
                straight |= c == '"';
                let k = open(&mut clauses, i + 1);
                stack.push((k, cl));
                continue;
            }
            if stack.len() > 1
                && matches!(c, ')' | ']' | '”' | '»' | '"')
                && stack.iter().skip(1).any(|s| s.1 == c)
            {
                while stack.len() > 1 {
                    let (k, cl) = stack.pop().unwrap_or((0, '\0'));
                    clauses[k].1 = i;
                    if cl == c {
                        break;
                    }
                }
                if c == '"' {
                    straight = false;
                }
                clause_of[i] = stack.last().map_or(0, |s| s.0) as u32;
                continue;
            }
            if is_end(&ch, i) {
                while let Some((k, _)) = stack.pop() {
                    clauses[k].1 = i + 1;
                }
                straight = false;
                sentences.push((sentence_start, i + 1));
                sentence_start = i + 1;
                let k = open(&mut clauses, i + 1);
                stack.push((k, '\0'));
            } else if matches!(c, ';' | ':') {
                let (k, cl) = stack.pop().unwrap_or((0, '\0'));
                clauses[k].1 = i + 1;
                let k2 = open(&mut clauses, i + 1);
                stack.push((k2, cl));
            }
        }
        for (k, _) in stack {
            clauses[k].1 = n;
        }
        if sentence_start < n {
            sentences.push((sentence_start, n));
        }
        let mut r = Reading {
            role: vec![ClauseRole::Scope; n],
            clause_of,
            clauses,
            sentences,
            same_heading: Vec::new(),
            spans: Vec::new(),
        };
        r.mark(&ch, found);
        r
    }

    fn mark(&mut self, ch: &[char], found: &[(usize, usize, MarkerKind)]) {
        if found.is_empty() || ch.is_empty() {
            return;
        }
        let cancels: Vec<(usize, usize)> = found
            .iter()
            .filter(|m| m.2 == MarkerKind::Cancel)
            .map(|m| (m.0, m.1))
            .collect();
        let refs: Vec<(usize, usize)> = found
            .iter()
            .filter(|m| m.2 == MarkerKind::SameHeading)
            .map(|m| (m.0, m.1))
            .collect();
        for &(m0, m1, kind) in found {
            let MarkerKind::Role(role, reach) = kind else {
                continue;
            };
            if cancels.iter().any(|&(a, b)| a <= m0 && m1 <= b) {
                continue;
            }
            let k = self.clause_of[m0.min(ch.len() - 1)] as usize;
            let (cs, ce) = self.clauses[k];
            let (a, b) = match reach {
                Reach::Whole => (cs, ce),
                Reach::Next if role == ClauseRole::Exclusion => {
                    (m0, self.extend_next(ch, m1, ce, k))
                }
                Reach::Next if role == ClauseRole::Citation => (m0, self.citation_end(ch, ce)),
                Reach::Next => (m0, ce),
                Reach::Prev if role != ClauseRole::Exclusion || self.is_final(ch, m1, ce, k) => {
                    (cs, m1)
                }
                Reach::Prev => (self.extend_prev(ch, m0, cs, k), m1),
            };
            // a marker whose reach ends at a colon introduces a list ("shall
            // not apply to: (a) ...; (b) ..."): the list, to the sentence's
            // end, has the same role
            let b = if b >= ce.min(ch.len()) && ce > 0 && ch.get(ce - 1) == Some(&':') {
                let (_, se) = self.sentence_of(ce - 1);
                se.max(b)
            } else {
                b
            };
            if a >= b {
                continue;
            }
            for c in a..b.min(self.role.len()) {
                if role.rank() > self.role[c].rank() {
                    self.role[c] = role;
                }
            }
            if role == ClauseRole::Exclusion && refs.iter().any(|&(r0, r1)| a <= r0 && r1 <= b) {
                self.same_heading.push((a, b));
            }
            self.spans.push((a, b, role));
        }
    }

    /// Whether at most two words follow the marker in its clause ("…
    /// kapsamı dışında bulunmaktadır."): it then closes the clause and
    /// reaches all of it.
    fn is_final(&self, ch: &[char], m1: usize, ce: usize, k: usize) -> bool {
        let tail: String = (m1..ce.min(ch.len()))
            .filter(|&j| self.clause_of[j] as usize == k)
            .map(|j| ch[j])
            .collect();
        tail.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .count()
            <= 2
    }

    /// The end of an exclusion that starts at a marker: the clause's end, or
    /// the first comma of the clause after which the list does not go on.
    fn extend_next(&self, ch: &[char], m1: usize, ce: usize, k: usize) -> usize {
        let ce = ce.min(ch.len());
        let mut j = m1;
        while j < ce {
            if ch[j] == ',' && self.clause_of[j] as usize == k {
                let mut e = j + 1;
                while e < ce && !(ch[e] == ',' && self.clause_of[e] as usize == k) {
                    e += 1;
                }
                if !continues(&ch[j + 1..e]) {
                    return j;
                }
                j = e;
                continue;
            }
            j += 1;
        }
        ce
    }

    /// The start of an exclusion that ends at a marker ("8517.62 hariç
    /// olmak üzere"): the clause's start, or the last comma before the
    /// marker before which the list does not go on.
    fn extend_prev(&self, ch: &[char], m0: usize, cs: usize, k: usize) -> usize {
        let mut j = m0;
        while j > cs {
            j -= 1;
            if ch[j] == ',' && self.clause_of[j] as usize == k {
                let mut s = j;
                while s > cs && !(ch[s - 1] == ',' && self.clause_of[s - 1] as usize == k) {
                    s -= 1;
                }
                if !continues(&ch[s..j]) {
                    return j + 1;
                }
                j = s;
            }
        }
        cs
    }

    /// A citation goes on over `;` while the next item starts with a number
    /// ("con fundamento en los artículos 17 ... de la Ley General de Salud;
    /// 11, fracciones XI ... del Reglamento").
    fn citation_end(&self, ch: &[char], ce: usize) -> usize {
        let mut end = ce.min(ch.len());
        while end > 0 && end < ch.len() && ch[end - 1] == ';' {
            let mut j = end;
            while j < ch.len() && ch[j].is_whitespace() {
                j += 1;
            }
            if j >= ch.len() || !ch[j].is_ascii_digit() {
                break;
            }
            let k = self.clause_of[j] as usize;
            end = self.clauses[k].1.min(ch.len());
        }
        end
    }

    /// The role of the char at `c`.
    pub fn role_at(&self, c: usize) -> ClauseRole {
        self.role.get(c).copied().unwrap_or(ClauseRole::Scope)
    }

    /// The sentence around char `c`, as a char range.
    pub fn sentence_of(&self, c: usize) -> (usize, usize) {
        let i = self.sentences.partition_point(|s| s.1 <= c);
        self.sentences
            .get(i)
            .copied()
            .unwrap_or((c, c.saturating_add(1)))
    }
}

/// Words that open a new phrase after a comma ("except 8517.62, from 1
/// March": the list has ended): prepositions, relative words, verbs.
const PHRASE_OPENERS: &[&str] = &[
    "from",
    "as",
    "on",
    "by",
    "with",
    "in",
    "at",
    "to",
    "for",
    "which",
    "that",
    "who",
    "where",
    "when",
    "while",
    "if",
    "unless",
    "until",
    "since",
    "shall",
    "must",
    "will",
    "may",
    "is",
    "are",
    "was",
    "were",
    "effective",
    "apply",
    "applies",
    "desde",
    "con",
    "por",
    "para",
    "que",
    "cuando",
    "hasta",
    "se",
    "será",
    "serán",
    "entrará",
    "aplicará",
    "từ",
    "kể",
    "có",
    "được",
    "sẽ",
    "theo",
    "khi",
];

/// Whether a comma-separated segment continues a list: a number, a short
/// item that does not open a new phrase, or a last item after a conjunction.
fn continues(seg: &[char]) -> bool {
    let s: String = seg.iter().collect();
    let s = s.trim();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    let words: Vec<&str> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let first = words.first().map(|w| w.to_lowercase()).unwrap_or_default();
    if PHRASE_OPENERS.contains(&first.as_str()) {
        return false;
    }
    if words.len() <= 4 {
        return true;
    }
    words.len() <= 6
        && CONJUNCTIONS
            .iter()
            .any(|c| words[0].eq_ignore_ascii_case(c) || words[0].to_lowercase() == *c)
}

/// Whether the char at `i` ends a sentence: a line break, or `.` `!` `?`
/// before white space and a capital, a bracket or a quotation (not after an
/// abbreviation), or before a number after a long word or a year
/// ("çıkarılmıştır. 4- Bu", "de 2009. 2da Etapa").
fn is_end(ch: &[char], i: usize) -> bool {
    let c = ch[i];
    if c == '\n' {
        return true;
    }
    if !matches!(c, '.' | '!' | '?') {
        return false;
    }
    let n = ch.len();
    let mut j = i + 1;
    if j < n && !ch[j].is_whitespace() {
        return false;
    }
    while j < n && ch[j].is_whitespace() {
        if ch[j] == '\n' {
            return true;
        }
        j += 1;
    }
    if j >= n {
        return true;
    }
    let next = ch[j];
    // the word before the mark
    let mut w = i;
    while w > 0 && (ch[w - 1].is_alphanumeric()) {
        w -= 1;
    }
    let word: String = ch[w..i].iter().collect();
    if next.is_uppercase() || matches!(next, '"' | '(' | '“' | '«' | '[' | '¿' | '¡' | '„') {
        if c != '.' {
            return true;
        }
        let lower = word.to_lowercase();
        let single = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
        return !(single || ABBREVIATIONS.contains(&lower.as_str()));
    }
    if next.is_ascii_digit() && c == '.' {
        let letters = word.chars().all(char::is_alphabetic);
        let long_word = letters
            && word.chars().count() >= 4
            && !ABBREVIATIONS.contains(&word.to_lowercase().as_str());
        let year = word.len() == 4 && word.chars().all(|c| c.is_ascii_digit());
        return long_word || year;
    }
    false
}
