//! Page extraction in one streaming pass, for sources whose selectors
//! allow it; the answer is the DOM path's (`page::extract`), to the byte.
//!
//! The reader tokenizes as html5ever's tokenizer does, in one pass over the
//! document: start tags with their attributes ([`text::tag`]), end tags,
//! comments and doctypes, and text in the state html5ever would be in
//! (data, or the raw text of a `<script>`, `<style>`, `<title>`,
//! `<textarea>` …), decoding character references as html5ever does.
//! Every token then goes through a port of html5ever's tree construction
//! ([`tree`]), so implied and misnested tags give the elements html5ever
//! gives; the extraction ([`collect`]) sees those elements open and close
//! and matches the source's selectors on the stack of open elements with
//! the `selectors` crate, as scraper does on the tree.
//!
//! Two decisions keep it exact:
//! - at rule-compile time ([`Plan::compile`]), a source streams only if
//!   every selector is decided by an element and its ancestors (no `:has()`,
//!   no sibling combinators or positional pseudo-classes, no `:scope`);
//! - per document, the pass stops ([`Bail`]) at the first thing the port
//!   does not follow (foster parenting, the adoption agency's
//!   restructuring, `<template>`, MathML, a selector matching inside SVG,
//!   a bogus comment or CDATA section, a comment or doctype cut by the end
//!   of input …) and the page is extracted on the DOM path instead. A bail
//!   happens before anything is returned, and costs the part of the stream
//!   already read.

mod collect;
pub mod select;
mod text;
pub mod tree;

use crate::extract::ExtractError;
use crate::model::{Content, Item};
use crate::normalize::{item_key, normalize_text, strip_title};
use select::Sel;
use std::borrow::Cow;
use std::sync::LazyLock;
use text::Nul;
pub use tree::Bail;
use tree::{Attr, Quirks, RawKind, Tag, TreeBuilder, R};

/// The selectors of a source, parsed for the stream (compiled with the
/// rules; `None` there when a selector needs the DOM).
#[derive(Debug, Clone)]
pub struct Plan {
    content: Option<Sel>,
    exclude: Vec<Sel>,
    item: Option<Sel>,
    title: Option<Sel>,
    link: Option<Sel>,
    text: Option<Sel>,
    /// A selector names something with upper-case letters or a namespace.
    case_or_ns: bool,
    /// The selectors as written, for messages.
    content_src: Option<String>,
    item_src: Option<String>,
}

fn fixed(s: &str) -> Sel {
    Sel::parse(s).unwrap_or_else(|| unreachable!("the fixed selector `{s}` streams"))
}
pub(crate) static BODY: LazyLock<Sel> = LazyLock::new(|| fixed("body"));
pub(crate) static HEADING: LazyLock<Sel> = LazyLock::new(|| fixed("h1, h2, h3, h4, h5, h6, a"));
pub(crate) static ANCHOR: LazyLock<Sel> = LazyLock::new(|| fixed("a[href]"));
pub(crate) static BASE: LazyLock<Sel> = LazyLock::new(|| fixed("base[href]"));

/// A page source's selectors as written (the keys of its rules).
pub struct Selectors<'a> {
    pub content: Option<&'a str>,
    pub exclude: Vec<&'a str>,
    pub item: Option<&'a str>,
    pub item_title: Option<&'a str>,
    pub item_link: Option<&'a str>,
    pub item_text: Option<&'a str>,
}

impl Plan {
    /// The plan of a page source's selectors (as written), `None` when one
    /// of them needs the DOM.
    pub fn compile(rules: &Selectors<'_>) -> Option<Plan> {
        let one = |c: Option<&str>| -> Option<Option<Sel>> {
            match c {
                None => Some(None),
                Some(c) => Sel::parse(c).map(Some),
            }
        };
        let plan = Plan {
            content: one(rules.content)?,
            exclude: rules
                .exclude
                .iter()
                .map(|c| Sel::parse(c))
                .collect::<Option<_>>()?,
            item: one(rules.item)?,
            title: one(rules.item_title)?,
            link: one(rules.item_link)?,
            text: one(rules.item_text)?,
            case_or_ns: false,
            content_src: rules.content.map(str::to_string),
            item_src: rules.item.map(str::to_string),
        };
        let case_or_ns = [
            &plan.content,
            &plan.item,
            &plan.title,
            &plan.link,
            &plan.text,
        ]
        .into_iter()
        .flatten()
        .chain(plan.exclude.iter())
        .any(|s| s.case_or_ns);
        Some(Plan { case_or_ns, ..plan })
    }
}

/// Extract `html` in one streaming pass: the DOM path's answer, or
/// [`Bail`] when the document needs the DOM path.
pub fn extract(
    html: &str,
    plan: &Plan,
    url: &url::Url,
) -> Result<Result<Content, ExtractError>, Bail> {
    let collect = run(html, collect::Collect::new(plan))?;
    Ok(finish(collect, plan, url))
}

fn finish(c: collect::Collect<'_>, plan: &Plan, url: &url::Url) -> Result<Content, ExtractError> {
    if c.roots == 0 {
        return Err(match &plan.content {
            None => ExtractError::Empty,
            Some(_) => ExtractError::SelectorEmpty {
                key: "content",
                selector: plan.content_src.clone().unwrap_or_default(),
            },
        });
    }
    if plan.item.is_none() {
        let text = normalize_text(&c.root_texts.join("\n"));
        return Ok(Content::Text { text });
    }
    let base = c
        .base
        .as_deref()
        .and_then(|h| url.join(h.trim()).ok())
        .unwrap_or_else(|| url.clone());
    let mut items = vec![];
    for out in c.items {
        let (title, link, text) = out.parts(plan);
        let link = link.and_then(|h| crate::extract::html::absolute(&base, &h));
        if title.is_empty() && text.is_empty() {
            continue;
        }
        let key = item_key(None, link.as_deref(), &title, &text);
        let text = strip_title(&text, &title);
        items.push(Item {
            key,
            title,
            link,
            text,
            published: None,
        });
    }
    if items.is_empty() {
        return Err(ExtractError::SelectorEmpty {
            key: "item",
            selector: plan.item_src.clone().unwrap_or_default(),
        });
    }
    Ok(Content::Items { items })
}

/// Where the reader is: in data, or in a raw-text element.
enum State<'s> {
    Data,
    /// Inside a raw-text element (its name): until its end tag.
    Raw(RawKind, Cow<'s, str>),
}

struct Reader<'s, S> {
    src: &'s str,
    /// Everything before this byte has been read.
    pos: usize,
    state: State<'s>,
    tree: TreeBuilder<'s, S>,
}

/// What starts at a `<` in data.
enum Markup {
    /// A start tag (`<` and an ASCII letter).
    Start,
    /// `<!`: a comment, a doctype, or what the stream does not read.
    Declaration,
}

/// Read `src` as html5ever's tokenizer does, into the tree builder and
/// `sink`.
pub fn run<'s, S: tree::Sink<'s>>(src: &'s str, sink: S) -> Result<S, Bail> {
    // html5ever drops one leading byte-order mark.
    let start = if src.starts_with('\u{FEFF}') { 3 } else { 0 };
    let mut r = Reader {
        src,
        pos: start,
        state: State::Data,
        tree: TreeBuilder::new(sink),
    };
    while let Some((lt, markup)) = r.gap()? {
        r.pos = match markup {
            Markup::Start => match r.start_tag(lt)? {
                Some(end) => r.after_restart(end)?,
                // Cut by the end of input: no token.
                None => src.len(),
            },
            Markup::Declaration => r.declaration(lt)?,
        };
    }
    r.tree.eof()?;
    Ok(r.tree.sink)
}

/// Quirks mode from a doctype's text: only the plain `<!DOCTYPE html>` is
/// read as no-quirks (the others are not classified).
fn quirks(raw: &str) -> Quirks {
    let inner = raw
        .get(2..raw.len().saturating_sub(1))
        .unwrap_or("")
        .trim_matches(|c: char| text::is_tag_ws(c as u8) && c.is_ascii());
    let mut words = inner.split(|c: char| c.is_ascii() && text::is_tag_ws(c as u8));
    let first = words.next().unwrap_or("");
    let rest: Vec<&str> = words.filter(|w| !w.is_empty()).collect();
    if raw.ends_with('>')
        && first.eq_ignore_ascii_case("doctype")
        && rest.len() == 1
        && rest[0].eq_ignore_ascii_case("html")
    {
        return Quirks::NoQuirks;
    }
    Quirks::Unknown
}

impl<'s, S: tree::Sink<'s>> Reader<'s, S> {
    /// Read the text and end tags from `pos` up to the next start tag or
    /// `<!` in data (its `<` and what it is), or to the end of input.
    fn gap(&mut self) -> R<Option<(usize, Markup)>> {
        let src = self.src;
        let b = src.as_bytes();
        let end = src.len();
        let mut p = self.pos;
        while p < end {
            if let State::Raw(kind, name) = &self.state {
                let kind = *kind;
                let close = find_raw_end(&src[p..], name, kind)?;
                let Some(close) = close else {
                    // Raw text to the end of input.
                    self.raw_text(&src[p..], kind)?;
                    p = end;
                    break;
                };
                let at = p + close;
                if at > p {
                    self.raw_text(&src[p..at], kind)?;
                }
                let Some((after, tag)) = text::end_tag(src, at) else {
                    return Err(Bail("unterminated end tag"));
                };
                self.state = State::Data;
                self.tree.end_tag(text::lower(tag))?;
                p = self.after_restart(after)?;
                continue;
            }
            // Data: text up to a '<' that starts a tag or a declaration
            // (`None` beside it: an end tag, read here).
            let mut q = p;
            let found = loop {
                let Some(i) = memchr(b'<', &b[q..]) else {
                    break None;
                };
                let lt = q + i;
                match b.get(lt + 1) {
                    Some(b'/') => match b.get(lt + 2) {
                        Some(c) if c.is_ascii_alphabetic() => break Some((lt, None)),
                        Some(b'>') => break Some((lt, None)),
                        _ => return Err(Bail("a bogus comment")),
                    },
                    Some(b'!') => break Some((lt, Some(Markup::Declaration))),
                    Some(b'?') => return Err(Bail("a bogus comment")),
                    Some(c) if c.is_ascii_alphabetic() => break Some((lt, Some(Markup::Start))),
                    // '<' before anything else, or last: text.
                    _ => q = lt + 1,
                }
            };
            let text_end = found.as_ref().map_or(end, |(lt, _)| *lt);
            if text_end > p {
                self.data_text(&src[p..text_end])?;
            }
            let Some((lt, markup)) = found else {
                p = end;
                break;
            };
            if let Some(markup) = markup {
                self.pos = lt;
                return Ok(Some((lt, markup)));
            }
            if b.get(lt + 2) == Some(&b'>') {
                // `</>`: no token, but a parse error.
                self.tree.tokenless_error();
                p = lt + 3;
                continue;
            }
            let Some((after, tag)) = text::end_tag(src, lt) else {
                // An end tag cut by the end of the document: no token.
                p = end;
                break;
            };
            if tag.as_bytes().contains(&0) {
                return Err(Bail("NUL in a tag name"));
            }
            self.tree.end_tag(text::lower(tag))?;
            p = after;
        }
        self.pos = p.max(self.pos);
        Ok(None)
    }

    /// Where reading goes on after a token at whose end html5ever's
    /// tokenizer was fed again (see `TreeBuilder::restart`).
    fn after_restart(&mut self, at: usize) -> R<usize> {
        match self.tree.restart.take() {
            Some(certain) if self.src[at..].starts_with('\u{FEFF}') => {
                if certain {
                    Ok(at + 3)
                } else {
                    Err(Bail("U+FEFF after a <meta> content charset"))
                }
            }
            _ => Ok(at),
        }
    }

    fn data_text(&mut self, raw: &'s str) -> R {
        let mut rest = raw;
        loop {
            let (piece, nul) = match rest.find('\0') {
                Some(i) => (&rest[..i], Some(i)),
                None => (rest, None),
            };
            if !piece.is_empty() {
                let t = text::decode(piece, true, false, Nul::Keep);
                self.tree.chars(&t)?;
            }
            match nul {
                Some(i) => {
                    self.tree.null()?;
                    rest = &rest[i + 1..];
                }
                None => return Ok(()),
            }
        }
    }

    fn raw_text(&mut self, raw: &'s str, kind: RawKind) -> R {
        if raw.is_empty() {
            return Ok(());
        }
        let t = text::decode(raw, kind == RawKind::Rcdata, false, Nul::Replace);
        self.tree.chars(&t)
    }

    /// The start tag at `lt`, into the tree; where it ends, or `None` when
    /// the end of input cuts it.
    fn start_tag(&mut self, lt: usize) -> R<Option<usize>> {
        let src = self.src;
        let Some(t) = text::tag(src, lt + 1, true) else {
            return Ok(None);
        };
        if t.name.as_bytes().contains(&0) {
            return Err(Bail("unusual tag name"));
        }
        let mut attrs: Vec<Attr<'s>> = Vec::with_capacity(t.attrs.len());
        for (name, value) in t.attrs {
            let aname = &src[name];
            if aname.as_bytes().contains(&0) {
                return Err(Bail("NUL in an attribute name"));
            }
            let aname = text::lower(aname);
            // A repeated attribute is dropped ("duplicate attribute").
            if attrs.iter().any(|x| x.name == aname) {
                continue;
            }
            let value = text::decode(&src[value], true, true, Nul::Replace);
            attrs.push(Attr { name: aname, value });
        }
        let tag = Tag {
            name: text::lower(t.name),
            attrs,
            self_closing: t.self_closing,
        };
        let name_for_raw = tag.name.clone();
        self.tree.start_tag(tag)?;
        if let Some(kind) = self.tree.switch.take() {
            self.state = State::Raw(kind, name_for_raw);
        }
        Ok(Some(t.end))
    }

    /// The `<!` at `lt`: a comment or a doctype, into the tree; where it
    /// ends. What else starts so (a CDATA section, a bogus comment), and
    /// either cut by the end of input, go to the DOM path.
    fn declaration(&mut self, lt: usize) -> R<usize> {
        let src = self.src;
        let b = src.as_bytes();
        let rest = &b[lt + 2..];
        if rest.starts_with(b"--") {
            let end =
                text::comment_end(src, lt).ok_or(Bail("a comment cut by the end of input"))?;
            self.tree.comment()?;
            return Ok(end);
        }
        if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"doctype") {
            // Whatever its state, the doctype ends at the first `>`.
            let gt = memchr(b'>', &rest[7..]).ok_or(Bail("a doctype cut by the end of input"))?;
            let end = lt + 2 + 7 + gt + 1;
            let quirks = quirks(&src[lt..end]);
            self.tree.doctype(quirks)?;
            return Ok(end);
        }
        Err(Bail("a bogus comment or CDATA section"))
    }
}

/// Where the appropriate end tag of a raw-text element starts in `s`.
fn find_raw_end(s: &str, name: &str, kind: RawKind) -> R<Option<usize>> {
    let b = s.as_bytes();
    let n = name.len();
    let mut from = 0;
    while let Some(i) = memchr(b'<', &b[from..]) {
        let at = from + i;
        let ok = b.get(at + 1) == Some(&b'/')
            && b.len() >= at + 2 + n
            && b[at + 2..at + 2 + n].eq_ignore_ascii_case(name.as_bytes())
            && b.get(at + 2 + n)
                .is_some_and(|&c| text::is_tag_ws(c) || c == b'/' || c == b'>');
        if ok {
            if kind == RawKind::Script {
                // The escaped states: `<!--` then `<script` double-escapes
                // and `</script>` no longer ends the element.
                let before = &s[..at];
                if let Some(c) = before.find("<!--") {
                    if before[c..].to_ascii_lowercase().contains("<script") {
                        return Err(Bail("double-escaped script"));
                    }
                }
            }
            return Ok(Some(at));
        }
        from = at + 1;
    }
    Ok(None)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}
