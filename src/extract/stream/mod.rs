//! Page extraction in one streaming pass (lol_html), for sources whose
//! selectors allow it; the answer is the DOM path's (`page::extract`), to
//! the byte.
//!
//! lol_html tokenizes: it reports every start tag (with its attributes),
//! comment and doctype with where it is in the document. The bytes between
//! two reported tokens are text and end tags, which this module reads
//! itself, in the tokenizer state html5ever would be in (data, or the raw
//! text of a `<script>`, `<style>`, `<title>`, `<textarea>` …), decoding
//! character references as html5ever does. Every token then goes through a
//! port of html5ever's tree construction ([`tree`]), so implied and
//! misnested tags give the elements html5ever gives; the extraction
//! ([`collect`]) sees those elements open and close and matches the
//! source's selectors on the stack of open elements with the `selectors`
//! crate, as scraper does on the tree.
//!
//! Two decisions keep it exact:
//! - at rule-compile time ([`Plan::compile`]), a source streams only if
//!   every selector is decided by an element and its ancestors (no `:has()`,
//!   no sibling combinators or positional pseudo-classes, no `:scope`);
//! - per document, the pass stops ([`Bail`]) at the first thing the port
//!   does not follow (foster parenting, the adoption agency's
//!   restructuring, `<template>`, MathML, a selector matching inside SVG,
//!   lol_html and this reader disagreeing on a token boundary …) and the
//!   page is extracted on the DOM path instead. A bail happens before
//!   anything is returned, and costs the part of the stream already read.

mod collect;
pub mod select;
mod text;
pub mod tree;

use crate::extract::ExtractError;
use crate::model::{Content, Item};
use crate::normalize::{item_key, normalize_text, strip_title};
use lol_html::html_content::{Comment, Doctype, Element};
use select::Sel;
use std::borrow::Cow;
use std::cell::RefCell;
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

/// Where the reader is between two tokens lol_html reported.
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
    /// The first bail, kept while lol_html unwinds.
    bail: Option<Bail>,
}

/// Stream `src` through lol_html and the tree builder into `sink`.
pub fn run<'s, S: tree::Sink<'s>>(src: &'s str, sink: S) -> Result<S, Bail> {
    // html5ever drops one leading byte-order mark; lol_html gets the whole
    // document (so its positions are ours) and the reader starts after it.
    let start = if src.starts_with('\u{FEFF}') { 3 } else { 0 };
    let reader = RefCell::new(Reader {
        src,
        pos: start,
        state: State::Data,
        tree: TreeBuilder::new(sink),
        bail: None,
    });
    let fail = |r: &mut Reader<'s, S>, b: Bail| -> lol_html::HandlerResult {
        r.bail.get_or_insert(b);
        Err(Box::new(b))
    };
    {
        let on_element = |el: &mut Element<'_, '_>| -> lol_html::HandlerResult {
            let mut r = reader.borrow_mut();
            let loc = el.source_location().bytes();
            let res = r.gap(loc.start).and_then(|()| r.start_tag(el, loc.clone()));
            let res = res.and_then(|()| r.after_restart(loc.end));
            match res {
                Ok(pos) => {
                    r.pos = pos;
                    Ok(())
                }
                Err(b) => fail(&mut r, b),
            }
        };
        let on_comment = |c: &mut Comment<'_>| -> lol_html::HandlerResult {
            let mut r = reader.borrow_mut();
            let loc = c.source_location().bytes();
            let res = r.gap(loc.start).and_then(|()| {
                if !matches!(r.state, State::Data) {
                    return Err(Bail("comment in raw text"));
                }
                r.tree.comment()
            });
            match res {
                Ok(()) => {
                    r.pos = loc.end;
                    Ok(())
                }
                Err(b) => fail(&mut r, b),
            }
        };
        let on_doctype = |d: &mut Doctype<'_>| -> lol_html::HandlerResult {
            let mut r = reader.borrow_mut();
            let loc = d.source_location().bytes();
            let quirks = quirks(&r.src[loc.clone()]);
            let res = r.gap(loc.start).and_then(|()| r.tree.doctype(quirks));
            match res {
                Ok(()) => {
                    r.pos = loc.end;
                    Ok(())
                }
                Err(b) => fail(&mut r, b),
            }
        };
        let settings = lol_html::Settings::new()
            .append_element_content_handler(lol_html::element!("*", on_element))
            .append_document_content_handler(
                lol_html::DocumentContentHandlers::default()
                    .comments(on_comment)
                    .doctype(on_doctype),
            );
        let mut rewriter = lol_html::HtmlRewriter::new(settings, |_: &[u8]| {});
        let res = match rewriter.write(src.as_bytes()) {
            Ok(()) => rewriter.end(),
            Err(e) => Err(e),
        };
        if res.is_err() {
            let r = reader.borrow();
            return Err(r.bail.unwrap_or(Bail("lol_html stopped")));
        }
    }
    let mut r = reader.into_inner();
    r.gap(src.len())?;
    r.tree.eof()?;
    Ok(r.tree.sink)
}

/// Quirks mode from a doctype's text: only the plain `<!DOCTYPE html>` is
/// read as no-quirks (lol_html does not say when a doctype forces quirks).
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
    /// Read the text and end tags from `pos` to `end` (where lol_html's
    /// next token starts).
    fn gap(&mut self, end: usize) -> R {
        if end < self.pos || end > self.src.len() {
            return Err(Bail("token boundaries disagree"));
        }
        let src = self.src;
        let b = src.as_bytes();
        let mut p = self.pos;
        while p < end {
            if let State::Raw(kind, name) = &self.state {
                let kind = *kind;
                let close = find_raw_end(&src[p..end], name, kind)?;
                let Some(close) = close else {
                    if end < src.len() {
                        return Err(Bail("markup inside raw text"));
                    }
                    self.raw_text(&src[p..end], kind)?;
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
                if after > end {
                    return Err(Bail("token boundaries disagree"));
                }
                self.state = State::Data;
                self.tree.end_tag(text::lower(tag))?;
                p = self.after_restart(after)?;
                continue;
            }
            // Data: text up to a '<' that starts an end tag.
            let mut q = p;
            let tag_at = loop {
                match memchr(b'<', &b[q..end]) {
                    None => break None,
                    Some(i) => {
                        let lt = q + i;
                        match b.get(lt + 1) {
                            // '<' right before a reported token, or last:
                            // text.
                            _ if lt + 1 >= end => q = lt + 1,
                            Some(b'/') => match b.get(lt + 2) {
                                Some(c) if c.is_ascii_alphabetic() => break Some(lt),
                                Some(b'>') => break Some(lt),
                                _ => return Err(Bail("unreported markup")),
                            },
                            Some(b'!' | b'?') => return Err(Bail("unreported markup")),
                            Some(c) if c.is_ascii_alphabetic() => {
                                return Err(Bail("unreported start tag"))
                            }
                            _ => q = lt + 1,
                        }
                    }
                }
            };
            let text_end = tag_at.unwrap_or(end);
            if text_end > p {
                self.data_text(&src[p..text_end])?;
            }
            let Some(lt) = tag_at else {
                p = end;
                break;
            };
            if b.get(lt + 2) == Some(&b'>') {
                // `</>`: no token, but a parse error.
                self.tree.tokenless_error();
                p = lt + 3;
                continue;
            }
            let Some((after, tag)) = text::end_tag(src, lt) else {
                if end == src.len() {
                    // An end tag cut by the end of the document: no token.
                    p = end;
                    break;
                }
                return Err(Bail("token boundaries disagree"));
            };
            if after > end {
                return Err(Bail("token boundaries disagree"));
            }
            if tag.as_bytes().contains(&0) {
                return Err(Bail("NUL in a tag name"));
            }
            self.tree.end_tag(text::lower(tag))?;
            p = after;
        }
        self.pos = p.max(self.pos);
        Ok(())
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

    fn start_tag(&mut self, el: &Element<'_, '_>, loc: std::ops::Range<usize>) -> R {
        if !matches!(self.state, State::Data) {
            return Err(Bail("start tag inside raw text"));
        }
        let src = self.src;
        let raw = &src[loc.clone()];
        let name_end = raw
            .bytes()
            .skip(1)
            .position(|c| text::is_tag_ws(c) || c == b'/' || c == b'>')
            .map_or(raw.len(), |i| i + 1);
        let name = &raw[1..name_end];
        if name.is_empty() || name.as_bytes().contains(&0) {
            return Err(Bail("unusual tag name"));
        }
        let mut attrs: Vec<Attr<'s>> = Vec::new();
        for a in el.attributes() {
            let Some(nl) = a.name_source_location() else {
                return Err(Bail("attribute without position"));
            };
            let aname = &src[nl.bytes()];
            if aname.as_bytes().contains(&0) {
                return Err(Bail("NUL in an attribute name"));
            }
            let aname = text::lower(aname);
            if attrs.iter().any(|x| x.name == aname) {
                continue;
            }
            let value: Cow<'s, str> = match a.value_source_location() {
                Some(vl) => text::decode(&src[vl.bytes()], true, true, Nul::Replace),
                None => Cow::Borrowed(""),
            };
            attrs.push(Attr { name: aname, value });
        }
        let tag = Tag {
            name: text::lower(name),
            attrs,
            self_closing: el.is_self_closing(),
        };
        let name_for_raw = tag.name.clone();
        self.tree.start_tag(tag)?;
        if let Some(kind) = self.tree.switch.take() {
            self.state = State::Raw(kind, name_for_raw);
        }
        Ok(())
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
