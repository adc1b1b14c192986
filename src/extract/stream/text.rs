//! Text as html5ever's tokenizer gives it: character references decoded
//! (its own table and rules, `tokenizer/char_ref`), CR LF and lone CR read
//! as LF, NUL replaced where the tokenizer replaces it; and where the
//! tokenizer's tags and comments end.

use std::borrow::Cow;
use std::ops::Range;

/// How NUL characters come out of the text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nul {
    /// Left in place (the data state: the caller makes them tokens).
    Keep,
    /// U+FFFD (attribute values, RCDATA, RAWTEXT, script data).
    Replace,
}

/// Decode `raw`: character references when `refs` (data and RCDATA text,
/// attribute values when `in_attr`), newlines, NULs.
pub fn decode(raw: &str, refs: bool, in_attr: bool, nul: Nul) -> Cow<'_, str> {
    // The three bytes that can change the text, found a vector at a time.
    let wanted = |b: u8| (refs && b == b'&') || b == b'\r' || (b == 0 && nul == Nul::Replace);
    let mut needs = false;
    let mut from = 0;
    while let Some(i) = memchr::memchr3(b'&', b'\r', 0, &raw.as_bytes()[from..]) {
        if wanted(raw.as_bytes()[from + i]) {
            needs = true;
            break;
        }
        from += i + 1;
    }
    if !needs {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                out.push_str(&raw[start..i]);
                out.push('\n');
                i += 1;
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
                start = i;
            }
            0 if nul == Nul::Replace => {
                out.push_str(&raw[start..i]);
                out.push('\u{FFFD}');
                i += 1;
                start = i;
            }
            b'&' if refs => {
                out.push_str(&raw[start..i]);
                let (consumed, chars) = char_ref(&raw[i + 1..], in_attr);
                match chars {
                    Some((a, b)) => {
                        out.push(a);
                        if let Some(b) = b {
                            out.push(b);
                        }
                        i += 1 + consumed;
                        start = i;
                    }
                    None => {
                        out.push('&');
                        i += 1;
                        start = i;
                    }
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&raw[start..]);
    Cow::Owned(out)
}

type Chars = Option<(char, Option<char>)>;

/// A character reference after its `&`: how many bytes it takes and what
/// it stands for (`None`: the `&` is literal and nothing is consumed).
fn char_ref(s: &str, in_attr: bool) -> (usize, Chars) {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphanumeric() => named(s, in_attr),
        Some(b'#') => numeric(s),
        _ => (0, None),
    }
}

fn named(s: &str, in_attr: bool) -> (usize, Chars) {
    let map = &html5ever::data::NAMED_ENTITIES;
    // (end of the match in s, code points)
    let mut matched: Option<(usize, (u32, u32))> = None;
    for (i, c) in s.char_indices() {
        let j = i + c.len_utf8();
        match map.get(&s[..j]) {
            // A whole name (it may go on to a longer one) or a prefix.
            Some(&m) => {
                if m.0 != 0 {
                    matched = Some((j, m));
                }
            }
            None => break,
        }
    }
    let Some((len, (c1, c2))) = matched else {
        // No entity: the `&` and the name are text (a bogus name, with or
        // without `;`, is text too).
        return (0, None);
    };
    let last = s[..len].chars().next_back();
    let next = s[len..].chars().next();
    if in_attr && last != Some(';') && next.is_some_and(|c| c == '=' || c.is_ascii_alphanumeric()) {
        return (0, None);
    }
    let a = char::from_u32(c1).unwrap_or('\u{FFFD}');
    let b = (c2 != 0).then(|| char::from_u32(c2).unwrap_or('\u{FFFD}'));
    (len, Some((a, b)))
}

fn numeric(s: &str) -> (usize, Chars) {
    let b = s.as_bytes();
    let mut i = 1; // '#'
    let base = match b.get(1) {
        Some(b'x' | b'X') => {
            i += 1;
            16
        }
        _ => 10,
    };
    let mut num: u32 = 0;
    let mut too_big = false;
    let mut seen = false;
    while let Some(&c) = b.get(i) {
        let Some(d) = (c as char).to_digit(base) else {
            break;
        };
        num = num.wrapping_mul(base);
        if num > 0x10FFFF {
            too_big = true;
        }
        num = num.wrapping_add(d);
        seen = true;
        i += 1;
    }
    if !seen {
        return (0, None);
    }
    if b.get(i) == Some(&b';') {
        i += 1;
    }
    let c = match num {
        n if n > 0x10FFFF || too_big => '\u{FFFD}',
        0x00 | 0xD800..=0xDFFF => '\u{FFFD}',
        0x80..=0x9F => html5ever::data::C1_REPLACEMENTS[(num - 0x80) as usize]
            .unwrap_or_else(|| char::from_u32(num).unwrap_or('\u{FFFD}')),
        n => char::from_u32(n).unwrap_or('\u{FFFD}'),
    };
    (i, Some((c, None)))
}

/// ASCII-lowercase a tag or attribute name, borrowing when it already is.
pub fn lower(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

pub fn is_tag_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Where the end tag starting at `at` (`</` and an ASCII letter) ends,
/// following the tokenizer's states through whatever attributes it has,
/// and its name; `None` at the end of input inside it (no token).
pub fn end_tag(src: &str, at: usize) -> Option<(usize, &str)> {
    let t = tag(src, at + 2, false)?;
    Some((t.end, t.name))
}

/// A tag as the tokenizer reads it, in byte offsets of the document.
#[derive(Debug, PartialEq, Eq)]
pub struct TagParts<'s> {
    /// Just after its `>`.
    pub end: usize,
    /// As written.
    pub name: &'s str,
    /// Each attribute's name and value as written (a value without its
    /// quotes; empty when the attribute has none), duplicates included.
    pub attrs: Vec<(Range<usize>, Range<usize>)>,
    /// `/>`.
    pub self_closing: bool,
}

/// The tag whose name starts at `name_start` (after `<` or `</`), read
/// through the tokenizer's states from the tag name to the `>` that ends it
/// (HTML's tokenization, "tag name state" to "self-closing start tag
/// state"); its attributes are kept when `attrs`. `None` at the end of
/// input inside it: the tokenizer emits no token then.
pub fn tag(src: &str, name_start: usize, attrs: bool) -> Option<TagParts<'_>> {
    fn done(mut t: TagParts<'_>, gt: usize) -> Option<TagParts<'_>> {
        t.end = gt + 1;
        Some(t)
    }
    let b = src.as_bytes();
    let mut i = name_start;
    while i < b.len() && !is_tag_ws(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let mut t = TagParts {
        end: 0,
        name: &src[name_start..i],
        attrs: vec![],
        self_closing: false,
    };
    #[derive(Clone, Copy)]
    enum St {
        BeforeName,
        Name,
        AfterName,
        BeforeValue,
        Dq,
        Sq,
        Unquoted,
        AfterQuoted,
        SelfClosing,
    }
    // Where the attribute being read starts (its name), and the value's start.
    let (mut name_at, mut value_at) = (0, 0);
    let mut st = St::BeforeName;
    // The tag-name state hands over like the before-attribute-name state.
    while i < b.len() {
        let c = b[i];
        match st {
            St::BeforeName => match c {
                _ if is_tag_ws(c) => {}
                b'/' => st = St::SelfClosing,
                b'>' => return done(t, i),
                // An attribute's name, even `=` ("unexpected equals sign
                // before attribute name").
                _ => {
                    name_at = i;
                    st = St::Name;
                }
            },
            St::Name => {
                let ends = is_tag_ws(c) || matches!(c, b'/' | b'>' | b'=');
                if ends && attrs {
                    t.attrs.push((name_at..i, i..i));
                }
                match c {
                    _ if is_tag_ws(c) => st = St::AfterName,
                    b'/' => st = St::SelfClosing,
                    b'>' => return done(t, i),
                    b'=' => st = St::BeforeValue,
                    _ => {}
                }
            }
            St::AfterName => match c {
                _ if is_tag_ws(c) => {}
                b'/' => st = St::SelfClosing,
                b'=' => st = St::BeforeValue,
                b'>' => return done(t, i),
                _ => {
                    name_at = i;
                    st = St::Name;
                }
            },
            St::BeforeValue => match c {
                _ if is_tag_ws(c) => {}
                b'"' => {
                    value_at = i + 1;
                    st = St::Dq;
                }
                b'\'' => {
                    value_at = i + 1;
                    st = St::Sq;
                }
                // "missing attribute value": the tag ends.
                b'>' => return done(t, i),
                _ => {
                    value_at = i;
                    st = St::Unquoted;
                }
            },
            St::Dq | St::Sq => {
                let quote = if matches!(st, St::Dq) { b'"' } else { b'\'' };
                // The value runs to its closing quote.
                match memchr::memchr(quote, &b[i..]) {
                    Some(k) => {
                        i += k;
                        if let Some(a) = t.attrs.last_mut() {
                            a.1 = value_at..i;
                        }
                        st = St::AfterQuoted;
                    }
                    None => return None,
                }
            }
            St::Unquoted => {
                if is_tag_ws(c) || c == b'>' {
                    if let Some(a) = t.attrs.last_mut() {
                        a.1 = value_at..i;
                    }
                    if c == b'>' {
                        return done(t, i);
                    }
                    st = St::BeforeName;
                }
            }
            St::AfterQuoted => match c {
                _ if is_tag_ws(c) => st = St::BeforeName,
                b'/' => st = St::SelfClosing,
                b'>' => return done(t, i),
                // "missing whitespace between attributes": read again as
                // the start of the next.
                _ => {
                    st = St::BeforeName;
                    continue;
                }
            },
            St::SelfClosing => match c {
                b'>' => {
                    t.self_closing = true;
                    return done(t, i);
                }
                // "unexpected solidus in tag": read again.
                _ => {
                    st = St::BeforeName;
                    continue;
                }
            },
        }
        i += 1;
    }
    None
}

/// Where the comment whose `<!--` starts at `at` ends (just after its
/// `>`), as the tokenizer's comment states read it: `<!-->` and `<!--->`
/// are empty comments, and one ends at the first `-->` or `--!>`. `None`
/// at the end of input inside it.
pub fn comment_end(src: &str, at: usize) -> Option<usize> {
    let from = at + 4;
    let rest = src.as_bytes().get(from..)?;
    if rest.starts_with(b">") {
        return Some(from + 1);
    }
    if rest.starts_with(b"->") {
        return Some(from + 2);
    }
    let mut k = 0;
    while let Some(d) = memchr::memmem::find(&rest[k..], b"--") {
        let j = k + d;
        match rest.get(j + 2) {
            Some(b'>') => return Some(from + j + 3),
            Some(b'!') if rest.get(j + 3) == Some(&b'>') => return Some(from + j + 4),
            _ => k = j + 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_decode_as_html5ever_does() {
        let d = |s| decode(s, true, false, Nul::Keep).into_owned();
        assert_eq!(d("a &amp; b"), "a & b");
        assert_eq!(d("&notit; &notin;"), "¬it; ∉");
        assert_eq!(
            d("&#x41;&#66&#0;&#x80;&#xD800;&#1114112;"),
            "AB\u{FFFD}€\u{FFFD}\u{FFFD}"
        );
        assert_eq!(d("&#; &#x; &bogus; & &"), "&#; &#x; &bogus; & &");
        assert_eq!(d("a\r\nb\rc"), "a\nb\nc");
        let a = |s| decode(s, true, true, Nul::Replace).into_owned();
        assert_eq!(a("?a=1&amp;b=2&copy=3&copy;"), "?a=1&b=2&copy=3©");
        assert_eq!(a("x\0y"), "x\u{FFFD}y");
    }

    #[test]
    fn end_tags_end_where_the_tokenizer_ends_them() {
        let s = "</div class=\"a>b\" x=y/>rest";
        let (end, name) = end_tag(s, 0).unwrap();
        assert_eq!(name, "div");
        assert_eq!(&s[end..], "rest");
        assert_eq!(end_tag("</p >x", 0), Some((5, "p")));
        assert_eq!(end_tag("</p", 0), None);
    }

    /// A start tag's attributes as written, by the tokenizer's states.
    #[test]
    fn start_tags_read_their_attributes_as_the_tokenizer_does() {
        type Read<'a> = (&'a str, Vec<(&'a str, &'a str)>, bool, &'a str);
        fn attrs(s: &str) -> Read<'_> {
            let t = tag(s, 1, true).unwrap();
            let a = t
                .attrs
                .iter()
                .map(|(n, v)| (&s[n.clone()], &s[v.clone()]))
                .collect();
            (t.name, a, t.self_closing, &s[t.end..])
        }
        assert_eq!(
            attrs("<a href=\"/x?a>b\" class='c d' id=e hidden>rest"),
            (
                "a",
                vec![
                    ("href", "/x?a>b"),
                    ("class", "c d"),
                    ("id", "e"),
                    ("hidden", "")
                ],
                false,
                "rest"
            )
        );
        // whitespace around `=`, none between attributes, a stray `/`
        assert_eq!(
            attrs("<p a = \"1\"b='2' / c=3 />r"),
            ("p", vec![("a", "1"), ("b", "2"), ("c", "3")], true, "r")
        );
        // a name that starts with `=`, odd characters kept, no value before `>`
        assert_eq!(
            attrs("<p =x a\"b=c'd e=>r"),
            (
                "p",
                vec![("=x", ""), ("a\"b", "c'd"), ("e", "")],
                false,
                "r"
            )
        );
        // a `/` not before `>` does not close the tag; in an unquoted
        // value it is the value's
        assert_eq!(attrs("<br/ >r"), ("br", vec![], false, "r"));
        assert_eq!(attrs("<a b=c/>r"), ("a", vec![("b", "c/")], false, "r"));
        assert_eq!(attrs("<DIV>r"), ("DIV", vec![], false, "r"));
        // cut by the end of input: no token
        assert_eq!(tag("<a href=\"x>", 1, true), None);
        assert_eq!(tag("<a href=x", 1, true), None);
    }

    #[test]
    fn comments_end_where_the_tokenizer_ends_them() {
        let rest = |s: &'static str| comment_end(s, 0).map(|e| &s[e..]);
        assert_eq!(rest("<!---->r"), Some("r"));
        assert_eq!(rest("<!-->r"), Some("r"));
        assert_eq!(rest("<!--->r"), Some("r"));
        assert_eq!(rest("<!-- a -- b --->r"), Some("r"));
        assert_eq!(rest("<!-- a --!>r"), Some("r"));
        assert_eq!(rest("<!-- <!-- a -->r -->"), Some("r -->"));
        assert_eq!(rest("<!-- a --! b -- >c-->r"), Some("r"));
        assert_eq!(rest("<!-- cut --"), None);
        assert_eq!(rest("<!--"), None);
    }
}
