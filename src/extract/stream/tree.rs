//! The tree html5ever would build, followed as a stack of open elements.
//!
//! This is html5ever 0.40's tree construction (`tree_builder/rules.rs`,
//! `tree_builder/mod.rs`, which scraper uses) ported for the cases where
//! every change to the tree happens at the top of the stack: an element is
//! opened as the child of the current node, text goes to the current node,
//! and elements are closed innermost first. Then the stack of open elements
//! is at every moment the chain of ancestors of what comes next, and a sink
//! that sees "open", "text" and "close" sees the document html5ever would
//! build, in document order. Implied elements (`html`, `head`, `body`,
//! `tbody`, `tr`, `colgroup`, an empty `p` for a stray `</p>`), implied end
//! tags, misnested formatting elements that close without restructuring,
//! reconstructed formatting elements (html5ever's clones of an unclosed
//! `<a>` or `<b>`) and tables without stray content are all of that kind.
//!
//! Where html5ever would change the tree elsewhere — foster parenting of
//! content misplaced in a table, the adoption agency's restructuring of
//! misnested formatting elements around a block, `<template>`,
//! `<frameset>`, MathML, attributes merged into `<html>` or `<body>` from a
//! second tag, a `<form>` closed below its children — the builder stops
//! with [`Bail`] and the page goes to the DOM path.

use std::borrow::Cow;

/// Why the stream gave the page to the DOM path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail(pub &'static str);

impl std::fmt::Display for Bail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Bail {}

pub type R<T = ()> = Result<T, Bail>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    Html,
    Svg,
    MathMl,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr<'s> {
    /// ASCII-lowercased, as the tokenizer gives it.
    pub name: Cow<'s, str>,
    /// Character references decoded.
    pub value: Cow<'s, str>,
}

/// An element of the stack of open elements.
#[derive(Debug, Clone)]
pub struct Node<'s> {
    pub name: Cow<'s, str>,
    pub ns: Ns,
    pub attrs: Vec<Attr<'s>>,
    uid: u32,
    /// The sink found it interesting (it matched a selector).
    matched: bool,
}

impl<'s> Node<'s> {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| &*a.value)
    }

    fn html(&self, name: &str) -> bool {
        self.ns == Ns::Html && self.name == name
    }

    fn html_in(&self, set: &[&str]) -> bool {
        self.ns == Ns::Html && set.contains(&&*self.name)
    }
}

/// A start tag, as the tokenizer gives it.
#[derive(Debug, Clone)]
pub struct Tag<'s> {
    pub name: Cow<'s, str>,
    pub attrs: Vec<Attr<'s>>,
    pub self_closing: bool,
}

/// What the tree builder sees: the sink of the document it builds.
pub trait Sink<'s> {
    /// The top of `stack` was just opened; `Ok(true)` if the sink takes an
    /// interest in it (it matched one of its selectors).
    fn open(&mut self, stack: &[Node<'s>]) -> R<bool>;
    /// The top of `stack` is about to be closed.
    fn close(&mut self, stack: &[Node<'s>]) -> R;
    /// Text appended to the top of `stack`.
    fn text(&mut self, stack: &[Node<'s>], text: &str) -> R;
}

/// How the tokenizer reads what follows a start tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// `title`, `textarea`: text with character references, up to the end tag.
    Rcdata,
    /// `style`, `xmp`, `iframe`, `noembed`, `noframes`, `noscript`.
    Rawtext,
    /// `script`.
    Script,
}

/// The document's mode as set by its doctype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirks {
    NoQuirks,
    Quirks,
    /// A doctype this port does not classify: only matters (and then gives
    /// up) where quirks mode changes the tree, a `<table>` in a `<p>`.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Initial,
    BeforeHtml,
    BeforeHead,
    InHead,
    AfterHead,
    InBody,
    Text,
    InTable,
    InTableText,
    InCaption,
    InColumnGroup,
    InTableBody,
    InRow,
    InCell,
    AfterBody,
    AfterAfterBody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    Unsplit,
    Whitespace,
    NotWhitespace,
}

enum Tok<'t, 's> {
    Start(Tag<'s>),
    End(Cow<'s, str>),
    Chars(Split, &'t str),
    Null,
    Comment,
    Eof,
}

enum Step<'t, 's> {
    Done,
    Reprocess(Mode, Tok<'t, 's>),
    /// Process the leading whitespace of the text, then the rest.
    SplitWhitespace(&'t str),
}

#[derive(Debug, Clone)]
enum Fmt<'s> {
    Marker,
    El {
        uid: u32,
        name: Cow<'s, str>,
        attrs: Vec<Attr<'s>>,
    },
}

const SPECIAL: &[&str] = &[
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "base",
    "basefont",
    "bgsound",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dir",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "iframe",
    "img",
    "input",
    "isindex",
    "li",
    "link",
    "listing",
    "main",
    "marquee",
    "menu",
    "meta",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "p",
    "param",
    "plaintext",
    "pre",
    "script",
    "section",
    "select",
    "source",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
    "wbr",
    "xmp",
];
const CURSORY_IMPLIED_END: &[&str] = &[
    "dd", "dt", "li", "option", "optgroup", "p", "rb", "rp", "rt", "rtc",
];
const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];
const FORMATTING: &[&str] = &[
    "b", "big", "code", "em", "font", "i", "s", "small", "strike", "strong", "tt", "u",
];
const TABLE_OUTER: &[&str] = &["table", "tbody", "tfoot", "thead", "tr"];

#[derive(Clone, Copy)]
enum Scope {
    Default,
    ListItem,
    Button,
    Table,
}

fn in_scope_boundary(n: &Node<'_>, scope: Scope) -> bool {
    let default = || match n.ns {
        Ns::Html => matches!(
            &*n.name,
            "applet"
                | "caption"
                | "html"
                | "table"
                | "td"
                | "th"
                | "marquee"
                | "object"
                | "select"
                | "template"
        ),
        Ns::Svg => is_svg_integration_point(n),
        Ns::MathMl => matches!(&*n.name, "mi" | "mo" | "mn" | "ms" | "mtext"),
    };
    match scope {
        Scope::Default => default(),
        Scope::ListItem => default() || n.html_in(&["ol", "ul"]),
        Scope::Button => default() || n.html("button"),
        Scope::Table => n.html_in(&["html", "table", "template"]),
    }
}

fn is_svg_integration_point(n: &Node<'_>) -> bool {
    n.ns == Ns::Svg && matches!(&*n.name, "foreignobject" | "desc" | "title")
}

fn is_ascii_ws(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0C' | '\r' | ' ')
}

pub struct TreeBuilder<'s, S> {
    pub stack: Vec<Node<'s>>,
    afe: Vec<Fmt<'s>>,
    mode: Mode,
    orig_mode: Option<Mode>,
    /// The head element was created (and whether the sink matched it).
    head: Option<bool>,
    /// uid of the form element pointer.
    form: Option<u32>,
    quirks: Quirks,
    ignore_lf: bool,
    pop_head_after_text: bool,
    pending_table_text: Vec<(Split, String)>,
    next_uid: u32,
    /// Set after a start tag that switches the tokenizer.
    pub switch: Option<RawKind>,
    /// html5ever's tokenizer stops after `</script>` and after a `<meta>`
    /// naming a charset, and its driver feeds it again, which drops a
    /// U+FEFF right there (`discard_bom` is never cleared): `Some(true)`
    /// when it does, `Some(false)` when it may (a `content` attribute this
    /// port does not read).
    pub restart: Option<bool>,
    pub sink: S,
}

impl<'s, S: Sink<'s>> TreeBuilder<'s, S> {
    pub fn new(sink: S) -> Self {
        TreeBuilder {
            stack: Vec::with_capacity(64),
            afe: Vec::new(),
            mode: Mode::Initial,
            orig_mode: None,
            head: None,
            form: None,
            quirks: Quirks::NoQuirks,
            ignore_lf: false,
            pop_head_after_text: false,
            pending_table_text: Vec::new(),
            next_uid: 0,
            switch: None,
            restart: None,
            sink,
        }
    }

    // ---- tokens in ----

    /// A doctype token.
    pub fn doctype(&mut self, quirks: Quirks) -> R {
        self.ignore_lf = false;
        if self.mode == Mode::Initial {
            self.quirks = quirks;
            self.mode = Mode::BeforeHtml;
        }
        Ok(())
    }

    pub fn start_tag(&mut self, tag: Tag<'s>) -> R {
        self.ignore_lf = false;
        self.run(Tok::Start(tag))
    }

    pub fn end_tag(&mut self, name: Cow<'s, str>) -> R {
        self.ignore_lf = false;
        self.run(Tok::End(name))
    }

    pub fn comment(&mut self) -> R {
        self.ignore_lf = false;
        self.run(Tok::Comment)
    }

    /// Characters (references decoded, newlines normalized, no NUL).
    pub fn chars(&mut self, text: &str) -> R {
        if text.is_empty() {
            return Ok(());
        }
        let mut text = text;
        if std::mem::take(&mut self.ignore_lf) {
            text = text.strip_prefix('\n').unwrap_or(text);
            if text.is_empty() {
                return Ok(());
            }
        }
        self.run(Tok::Chars(Split::Unsplit, text))
    }

    /// A U+0000 of the data state (the tokenizer's separate token).
    pub fn null(&mut self) -> R {
        self.ignore_lf = false;
        self.run(Tok::Null)
    }

    pub fn eof(&mut self) -> R {
        self.run(Tok::Eof)?;
        while !self.stack.is_empty() {
            self.pop()?;
        }
        Ok(())
    }

    fn run(&mut self, tok: Tok<'_, 's>) -> R {
        let mut more: Option<Tok<'_, 's>> = None;
        let mut tok = tok;
        loop {
            let step = if self.is_foreign(&tok) {
                self.step_foreign(tok)?
            } else {
                self.step(self.mode, tok)?
            };
            match step {
                Step::Done => match more.take() {
                    Some(t) => tok = t,
                    None => return Ok(()),
                },
                Step::Reprocess(m, t) => {
                    self.mode = m;
                    tok = t;
                }
                Step::SplitWhitespace(text) => {
                    let ws = text.len() - text.trim_start_matches(is_ascii_ws).len();
                    if ws == 0 {
                        tok = Tok::Chars(Split::NotWhitespace, text);
                    } else {
                        tok = Tok::Chars(Split::Whitespace, &text[..ws]);
                        if ws < text.len() {
                            if more.is_some() {
                                return Err(Bail("internal: two pending tokens"));
                            }
                            more = Some(Tok::Chars(Split::Unsplit, &text[ws..]));
                        }
                    }
                }
            }
        }
    }

    // ---- stack operations ----

    fn cur(&self) -> &Node<'s> {
        self.stack.last().expect("the stack has the html element")
    }

    fn cur_html(&self, name: &str) -> bool {
        self.stack.last().is_some_and(|n| n.html(name))
    }

    fn cur_html_in(&self, set: &[&str]) -> bool {
        self.stack.last().is_some_and(|n| n.html_in(set))
    }

    fn in_scope(&self, scope: Scope, pred: impl Fn(&Node<'s>) -> bool) -> bool {
        for n in self.stack.iter().rev() {
            if pred(n) {
                return true;
            }
            if in_scope_boundary(n, scope) {
                return false;
            }
        }
        false
    }

    fn in_scope_named(&self, scope: Scope, name: &str) -> bool {
        self.in_scope(scope, |n| n.html(name))
    }

    fn push(&mut self, name: Cow<'s, str>, ns: Ns, attrs: Vec<Attr<'s>>) -> R<u32> {
        if self.stack.len() >= 4096 {
            return Err(Bail("nesting deeper than 4096"));
        }
        let uid = self.next_uid;
        self.next_uid += 1;
        self.stack.push(Node {
            name,
            ns,
            attrs,
            uid,
            matched: false,
        });
        let matched = self.sink.open(&self.stack)?;
        if let Some(top) = self.stack.last_mut() {
            top.matched = matched;
        }
        Ok(uid)
    }

    fn pop(&mut self) -> R<Node<'s>> {
        self.sink.close(&self.stack)?;
        let node = self.stack.pop().expect("pop of an empty stack");
        // A formatting element closed while still listed: keep what a
        // reconstruction would clone (the entry already has it).
        Ok(node)
    }

    fn insert(&mut self, tag: Tag<'s>) -> R<u32> {
        self.push(tag.name, Ns::Html, tag.attrs)
    }

    fn insert_and_pop(&mut self, tag: Tag<'s>) -> R {
        self.push(tag.name, Ns::Html, tag.attrs)?;
        self.pop()?;
        Ok(())
    }

    fn insert_phantom(&mut self, name: &'static str) -> R<u32> {
        self.push(Cow::Borrowed(name), Ns::Html, Vec::new())
    }

    fn append_text(&mut self, text: &str) -> R {
        self.sink.text(&self.stack, text)
    }

    fn pop_until(&mut self, pred: impl Fn(&Node<'s>) -> bool) -> R<usize> {
        let mut n = 0;
        while !self.stack.is_empty() {
            n += 1;
            let node = self.pop()?;
            if pred(&node) {
                break;
            }
        }
        Ok(n)
    }

    fn pop_until_named(&mut self, name: &str) -> R<usize> {
        self.pop_until(|n| n.html(name))
    }

    fn pop_until_current(&mut self, set: &[&str]) -> R {
        while !self.cur_html_in(set) {
            self.pop()?;
        }
        Ok(())
    }

    fn generate_implied_end(&mut self, except: Option<&str>) -> R {
        while let Some(n) = self.stack.last() {
            if n.ns != Ns::Html
                || !CURSORY_IMPLIED_END.contains(&&*n.name)
                || except == Some(&*n.name)
            {
                break;
            }
            self.pop()?;
        }
        Ok(())
    }

    fn close_p_element(&mut self) -> R {
        self.generate_implied_end(Some("p"))?;
        self.pop_until_named("p")?;
        Ok(())
    }

    fn close_p_in_button_scope(&mut self) -> R {
        if self.in_scope_named(Scope::Button, "p") {
            self.close_p_element()?;
        }
        Ok(())
    }

    /// Remove an element from the stack: only possible here when it is the
    /// current node.
    fn remove_from_stack(&mut self, uid: u32) -> R {
        match self.stack.iter().rposition(|n| n.uid == uid) {
            None => Ok(()),
            Some(i) if i + 1 == self.stack.len() => self.pop().map(|_| ()),
            Some(_) => Err(Bail("an element removed below the current node")),
        }
    }

    // ---- active formatting elements ----

    fn is_open(&self, uid: u32) -> bool {
        self.stack.iter().rev().any(|n| n.uid == uid)
    }

    fn reconstruct(&mut self) -> R {
        let Some(last) = self.afe.last() else {
            return Ok(());
        };
        let open = |f: &Fmt<'_>, s: &Self| match f {
            Fmt::Marker => true,
            Fmt::El { uid, .. } => s.is_open(*uid),
        };
        if open(last, self) {
            return Ok(());
        }
        let mut i = self.afe.len() - 1;
        loop {
            if i == 0 {
                break;
            }
            i -= 1;
            if open(&self.afe[i], self) {
                i += 1;
                break;
            }
        }
        loop {
            let Fmt::El { name, attrs, .. } = self.afe[i].clone() else {
                return Err(Bail("internal: marker in reconstruction"));
            };
            let uid = self.push(name.clone(), Ns::Html, attrs.clone())?;
            self.afe[i] = Fmt::El { uid, name, attrs };
            if i == self.afe.len() - 1 {
                break;
            }
            i += 1;
        }
        Ok(())
    }

    fn create_formatting(&mut self, tag: Tag<'s>) -> R {
        let same = |f: &Fmt<'s>| match f {
            Fmt::El { name, attrs, .. } => {
                *name == tag.name
                    && attrs.len() == tag.attrs.len()
                    && attrs.iter().all(|a| tag.attrs.contains(a))
            }
            Fmt::Marker => false,
        };
        let start = self
            .afe
            .iter()
            .rposition(|f| matches!(f, Fmt::Marker))
            .map_or(0, |m| m + 1);
        let mut first = None;
        let mut matches = 0;
        for i in start..self.afe.len() {
            if same(&self.afe[i]) {
                first.get_or_insert(i);
                matches += 1;
            }
        }
        if matches >= 3 {
            if let Some(i) = first {
                self.afe.remove(i);
            }
        }
        let name = tag.name.clone();
        let attrs = tag.attrs.clone();
        let uid = self.insert(tag)?;
        self.afe.push(Fmt::El { uid, name, attrs });
        Ok(())
    }

    fn clear_afe_to_marker(&mut self) {
        while let Some(f) = self.afe.pop() {
            if matches!(f, Fmt::Marker) {
                break;
            }
        }
    }

    /// The last listed formatting element named `name` after the last marker.
    fn afe_find(&self, name: &str) -> Option<(usize, u32)> {
        for (i, f) in self.afe.iter().enumerate().rev() {
            match f {
                Fmt::Marker => return None,
                Fmt::El { uid, name: n, .. } if *n == name => return Some((i, *uid)),
                _ => {}
            }
        }
        None
    }

    fn afe_position(&self, uid: u32) -> Option<usize> {
        self.afe
            .iter()
            .position(|f| matches!(f, Fmt::El { uid: u, .. } if *u == uid))
    }

    /// The adoption agency algorithm, as far as it closes elements at the
    /// top of the stack.
    fn adoption_agency(&mut self, subject: &str) -> R {
        let cur = self.cur();
        if cur.html(subject) && self.afe_position(cur.uid).is_none() {
            self.pop()?;
            return Ok(());
        }
        let Some((fmt_index, fmt_uid)) = self.afe_find(subject) else {
            self.process_end_tag_in_body(subject)?;
            return Ok(());
        };
        let Some(stack_index) = self.stack.iter().rposition(|n| n.uid == fmt_uid) else {
            self.afe.remove(fmt_index);
            return Ok(());
        };
        if !self.in_scope(Scope::Default, |n| n.uid == fmt_uid) {
            return Ok(());
        }
        let furthest_block = self.stack[stack_index..].iter().any(|n| n.html_in(SPECIAL));
        if furthest_block {
            return Err(Bail("misnested formatting element around a block"));
        }
        while self.stack.len() > stack_index {
            self.pop()?;
        }
        self.afe.remove(fmt_index);
        Ok(())
    }

    fn process_end_tag_in_body(&mut self, name: &str) -> R {
        let mut found = None;
        for (i, n) in self.stack.iter().enumerate().rev() {
            if n.html(name) {
                found = Some(i);
                break;
            }
            if n.html_in(SPECIAL) {
                return Ok(());
            }
        }
        let Some(i) = found else {
            return Ok(());
        };
        self.generate_implied_end(Some(name))?;
        while self.stack.len() > i {
            self.pop()?;
        }
        Ok(())
    }

    fn reset_insertion_mode(&self) -> Mode {
        for (i, n) in self.stack.iter().enumerate().rev() {
            if n.ns != Ns::Html {
                continue;
            }
            let last = i == 0;
            match &*n.name {
                "td" | "th" if !last => return Mode::InCell,
                "tr" => return Mode::InRow,
                "tbody" | "thead" | "tfoot" => return Mode::InTableBody,
                "caption" => return Mode::InCaption,
                "colgroup" => return Mode::InColumnGroup,
                "table" => return Mode::InTable,
                "head" if !last => return Mode::InHead,
                "body" => return Mode::InBody,
                "html" => {
                    return if self.head.is_none() {
                        Mode::BeforeHead
                    } else {
                        Mode::AfterHead
                    }
                }
                _ => {}
            }
        }
        Mode::InBody
    }

    fn close_the_cell(&mut self) -> R {
        self.generate_implied_end(None)?;
        self.pop_until(|n| n.html_in(&["td", "th"]))?;
        self.clear_afe_to_marker();
        Ok(())
    }

    fn enter_raw(&mut self, tag: Tag<'s>, kind: RawKind) -> R<Step<'static, 's>> {
        self.insert(tag)?;
        self.orig_mode = Some(self.mode);
        self.mode = Mode::Text;
        self.switch = Some(kind);
        Ok(Step::Done)
    }

    // ---- the insertion modes ----

    fn step<'t>(&mut self, mode: Mode, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match mode {
            Mode::Initial => match tok {
                Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
                Tok::Chars(Split::Whitespace, _) | Tok::Comment => Ok(Done),
                tok => {
                    self.quirks = Quirks::Quirks;
                    Ok(Reprocess(Mode::BeforeHtml, tok))
                }
            },
            Mode::BeforeHtml => match tok {
                Tok::Comment => Ok(Done),
                Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
                Tok::Chars(Split::Whitespace, _) => Ok(Done),
                Tok::Start(tag) if tag.name == "html" => {
                    self.push(tag.name, Ns::Html, tag.attrs)?;
                    self.mode = Mode::BeforeHead;
                    Ok(Done)
                }
                Tok::End(ref n) if !matches!(&**n, "head" | "body" | "html" | "br") => Ok(Done),
                tok => {
                    self.insert_phantom("html")?;
                    Ok(Reprocess(Mode::BeforeHead, tok))
                }
            },
            Mode::BeforeHead => match tok {
                Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
                Tok::Chars(Split::Whitespace, _) | Tok::Comment => Ok(Done),
                Tok::Start(ref tag) if tag.name == "html" => self.step(Mode::InBody, tok),
                Tok::Start(tag) if tag.name == "head" => {
                    self.insert(tag)?;
                    self.head = Some(self.cur().matched);
                    self.mode = Mode::InHead;
                    Ok(Done)
                }
                Tok::End(ref n) if !matches!(&**n, "head" | "body" | "html" | "br") => Ok(Done),
                tok => {
                    self.insert_phantom("head")?;
                    self.head = Some(self.cur().matched);
                    Ok(Reprocess(Mode::InHead, tok))
                }
            },
            Mode::InHead => self.step_in_head(tok),
            Mode::AfterHead => match tok {
                Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
                Tok::Chars(Split::Whitespace, t) => {
                    self.append_text(t)?;
                    Ok(Done)
                }
                Tok::Comment => Ok(Done),
                Tok::Start(ref tag) if tag.name == "html" => self.step(Mode::InBody, tok),
                Tok::Start(tag) if tag.name == "body" => {
                    self.insert(tag)?;
                    self.mode = Mode::InBody;
                    Ok(Done)
                }
                Tok::Start(ref tag) if tag.name == "frameset" => Err(Bail("frameset")),
                Tok::Start(ref tag)
                    if matches!(
                        &*tag.name,
                        "base"
                            | "basefont"
                            | "bgsound"
                            | "link"
                            | "meta"
                            | "noframes"
                            | "script"
                            | "style"
                            | "template"
                            | "title"
                    ) =>
                {
                    // html5ever puts the head back on the stack for it.
                    if self.head != Some(false) {
                        return Err(Bail("head content after the head, in a matched head"));
                    }
                    self.push(Cow::Borrowed("head"), Ns::Html, Vec::new())?;
                    let step = self.step(Mode::InHead, tok)?;
                    if !matches!(step, Done) {
                        return Err(Bail("internal: head content reprocessed"));
                    }
                    // html5ever removes the head from the stack at once, even
                    // from below a raw-text element just opened in it; that
                    // element holds text only, so the head is closed here
                    // right after it instead.
                    if self.cur_html("head") {
                        self.pop()?;
                    } else {
                        self.pop_head_after_text = true;
                    }
                    Ok(Done)
                }
                Tok::End(ref n) if n == "template" => Err(Bail("template")),
                Tok::End(ref n) if !matches!(&**n, "body" | "html" | "br") => Ok(Done),
                Tok::Start(ref tag) if tag.name == "head" => Ok(Done),
                tok => {
                    self.insert_phantom("body")?;
                    Ok(Reprocess(Mode::InBody, tok))
                }
            },
            Mode::InBody => self.step_in_body(tok),
            Mode::Text => match tok {
                Tok::Chars(_, t) => {
                    self.append_text(t)?;
                    Ok(Done)
                }
                Tok::Eof => {
                    self.end_raw()?;
                    let m = self.orig_mode.take().unwrap_or(Mode::InBody);
                    Ok(Reprocess(m, Tok::Eof))
                }
                Tok::End(name) => {
                    if name == "script" {
                        self.restart = Some(true);
                    }
                    self.end_raw()?;
                    self.mode = self.orig_mode.take().unwrap_or(Mode::InBody);
                    Ok(Done)
                }
                Tok::Null => {
                    // The raw-text states give U+FFFD for NUL, never this token.
                    Err(Bail("internal: NUL token in raw text"))
                }
                Tok::Comment | Tok::Start(_) => Err(Bail("internal: markup in raw text")),
            },
            Mode::InTable => self.step_in_table(tok),
            Mode::InTableText => match tok {
                Tok::Null => Ok(Done),
                Tok::Chars(split, t) => {
                    self.pending_table_text.push((split, t.to_string()));
                    Ok(Done)
                }
                tok => {
                    let pending = std::mem::take(&mut self.pending_table_text);
                    let nonspace = pending.iter().any(|(split, t)| match split {
                        Split::Whitespace => false,
                        Split::NotWhitespace => true,
                        Split::Unsplit => t.chars().any(|c| !c.is_ascii_whitespace()),
                    });
                    if nonspace {
                        return Err(Bail("text in a table outside its cells"));
                    }
                    for (_, t) in pending {
                        self.append_text(&t)?;
                    }
                    let m = self.orig_mode.take().unwrap_or(Mode::InTable);
                    Ok(Reprocess(m, tok))
                }
            },
            Mode::InCaption => match tok {
                Tok::Start(ref tag)
                    if matches!(
                        &*tag.name,
                        "caption"
                            | "col"
                            | "colgroup"
                            | "tbody"
                            | "td"
                            | "tfoot"
                            | "th"
                            | "thead"
                            | "tr"
                    ) =>
                {
                    self.caption_end(tok)
                }
                Tok::End(ref n) if n == "table" || n == "caption" => self.caption_end(tok),
                Tok::End(ref n)
                    if matches!(
                        &**n,
                        "body"
                            | "col"
                            | "colgroup"
                            | "html"
                            | "tbody"
                            | "td"
                            | "tfoot"
                            | "th"
                            | "thead"
                            | "tr"
                    ) =>
                {
                    Ok(Done)
                }
                tok => self.step(Mode::InBody, tok),
            },
            Mode::InColumnGroup => match tok {
                Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
                Tok::Chars(Split::Whitespace, t) => {
                    self.append_text(t)?;
                    Ok(Done)
                }
                Tok::Comment => Ok(Done),
                Tok::Start(ref tag) if tag.name == "html" => self.step(Mode::InBody, tok),
                Tok::Start(tag) if tag.name == "col" => {
                    self.insert_and_pop(tag)?;
                    Ok(Done)
                }
                Tok::End(ref n) if n == "colgroup" => {
                    if self.cur_html("colgroup") {
                        self.pop()?;
                        self.mode = Mode::InTable;
                    }
                    Ok(Done)
                }
                Tok::End(ref n) if n == "col" => Ok(Done),
                Tok::Start(ref tag) if tag.name == "template" => Err(Bail("template")),
                Tok::End(ref n) if n == "template" => Err(Bail("template")),
                Tok::Eof => self.step(Mode::InBody, Tok::Eof),
                tok => {
                    if self.cur_html("colgroup") {
                        self.pop()?;
                        Ok(Reprocess(Mode::InTable, tok))
                    } else {
                        Ok(Done)
                    }
                }
            },
            Mode::InTableBody => match tok {
                Tok::Start(tag) if tag.name == "tr" => {
                    self.pop_until_current(&["tbody", "tfoot", "thead", "template", "html"])?;
                    self.insert(tag)?;
                    self.mode = Mode::InRow;
                    Ok(Done)
                }
                Tok::Start(ref tag) if tag.name == "th" || tag.name == "td" => {
                    self.pop_until_current(&["tbody", "tfoot", "thead", "template", "html"])?;
                    self.insert_phantom("tr")?;
                    Ok(Reprocess(Mode::InRow, tok))
                }
                Tok::End(ref n) if matches!(&**n, "tbody" | "tfoot" | "thead") => {
                    if self.in_scope_named(Scope::Table, n) {
                        self.pop_until_current(&["tbody", "tfoot", "thead", "template", "html"])?;
                        self.pop()?;
                        self.mode = Mode::InTable;
                    }
                    Ok(Done)
                }
                Tok::Start(ref tag)
                    if matches!(
                        &*tag.name,
                        "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead"
                    ) =>
                {
                    self.table_body_end(tok)
                }
                Tok::End(ref n) if n == "table" => self.table_body_end(tok),
                Tok::End(ref n)
                    if matches!(
                        &**n,
                        "body" | "caption" | "col" | "colgroup" | "html" | "td" | "th" | "tr"
                    ) =>
                {
                    Ok(Done)
                }
                tok => self.step(Mode::InTable, tok),
            },
            Mode::InRow => match tok {
                Tok::Start(tag) if tag.name == "th" || tag.name == "td" => {
                    self.pop_until_current(&["tr", "template", "html"])?;
                    self.insert(tag)?;
                    self.mode = Mode::InCell;
                    self.afe.push(Fmt::Marker);
                    Ok(Done)
                }
                Tok::End(ref n) if n == "tr" => {
                    if self.in_scope_named(Scope::Table, "tr") {
                        self.pop_until_current(&["tr", "template", "html"])?;
                        self.pop()?;
                        self.mode = Mode::InTableBody;
                    }
                    Ok(Done)
                }
                Tok::Start(ref tag)
                    if matches!(
                        &*tag.name,
                        "caption" | "col" | "colgroup" | "tbody" | "tfoot" | "thead" | "tr"
                    ) =>
                {
                    self.row_end(tok)
                }
                Tok::End(ref n) if n == "table" => self.row_end(tok),
                Tok::End(ref n) if matches!(&**n, "tbody" | "tfoot" | "thead") => {
                    if self.in_scope_named(Scope::Table, n)
                        && self.in_scope_named(Scope::Table, "tr")
                    {
                        self.pop_until_current(&["tr", "template", "html"])?;
                        self.pop()?;
                        return Ok(Reprocess(Mode::InTableBody, tok));
                    }
                    Ok(Done)
                }
                Tok::End(ref n)
                    if matches!(
                        &**n,
                        "body" | "caption" | "col" | "colgroup" | "html" | "td" | "th"
                    ) =>
                {
                    Ok(Done)
                }
                tok => self.step(Mode::InTable, tok),
            },
            Mode::InCell => match tok {
                Tok::End(ref n) if n == "td" || n == "th" => {
                    if self.in_scope_named(Scope::Table, n) {
                        self.generate_implied_end(None)?;
                        self.pop_until_named(n)?;
                        self.clear_afe_to_marker();
                        self.mode = Mode::InRow;
                    }
                    Ok(Done)
                }
                Tok::Start(ref tag)
                    if matches!(
                        &*tag.name,
                        "caption"
                            | "col"
                            | "colgroup"
                            | "tbody"
                            | "td"
                            | "tfoot"
                            | "th"
                            | "thead"
                            | "tr"
                    ) =>
                {
                    if self.in_scope(Scope::Table, |n| n.html_in(&["td", "th"])) {
                        self.close_the_cell()?;
                        Ok(Reprocess(Mode::InRow, tok))
                    } else {
                        Ok(Done)
                    }
                }
                Tok::End(ref n)
                    if matches!(&**n, "body" | "caption" | "col" | "colgroup" | "html") =>
                {
                    Ok(Done)
                }
                Tok::End(ref n) if matches!(&**n, "table" | "tbody" | "tfoot" | "thead" | "tr") => {
                    if self.in_scope_named(Scope::Table, n) {
                        self.close_the_cell()?;
                        Ok(Reprocess(Mode::InRow, tok))
                    } else {
                        Ok(Done)
                    }
                }
                tok => self.step(Mode::InBody, tok),
            },
            Mode::AfterBody => match tok {
                Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
                Tok::Chars(Split::Whitespace, _) => self.step(Mode::InBody, tok),
                Tok::Comment => Ok(Done),
                Tok::Start(ref tag) if tag.name == "html" => self.step(Mode::InBody, tok),
                Tok::End(ref n) if n == "html" => {
                    self.mode = Mode::AfterAfterBody;
                    Ok(Done)
                }
                Tok::Eof => Ok(Done),
                tok => Ok(Reprocess(Mode::InBody, tok)),
            },
            Mode::AfterAfterBody => match tok {
                Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
                Tok::Chars(Split::Whitespace, _) => self.step(Mode::InBody, tok),
                Tok::Comment => Ok(Done),
                Tok::Start(ref tag) if tag.name == "html" => self.step(Mode::InBody, tok),
                Tok::Eof => Ok(Done),
                tok => Ok(Reprocess(Mode::InBody, tok)),
            },
        }
    }

    fn end_raw(&mut self) -> R {
        self.pop()?;
        if std::mem::take(&mut self.pop_head_after_text) {
            self.pop()?;
        }
        Ok(())
    }

    fn caption_end<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        if !self.in_scope_named(Scope::Table, "caption") {
            return Ok(Step::Done);
        }
        self.generate_implied_end(None)?;
        self.pop_until_named("caption")?;
        self.clear_afe_to_marker();
        match tok {
            Tok::End(ref n) if n == "caption" => {
                self.mode = Mode::InTable;
                Ok(Step::Done)
            }
            tok => Ok(Step::Reprocess(Mode::InTable, tok)),
        }
    }

    fn table_body_end<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        if self.in_scope(Scope::Table, |n| n.html_in(&["table", "tbody", "tfoot"])) {
            self.pop_until_current(&["tbody", "tfoot", "thead", "template", "html"])?;
            self.pop()?;
            Ok(Step::Reprocess(Mode::InTable, tok))
        } else {
            Ok(Step::Done)
        }
    }

    fn row_end<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        if self.in_scope_named(Scope::Table, "tr") {
            self.pop_until_current(&["tr", "template", "html"])?;
            self.pop()?;
            Ok(Step::Reprocess(Mode::InTableBody, tok))
        } else {
            Ok(Step::Done)
        }
    }

    fn step_in_head<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match tok {
            Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
            Tok::Chars(Split::Whitespace, t) => {
                self.append_text(t)?;
                Ok(Done)
            }
            Tok::Comment => Ok(Done),
            Tok::Start(ref tag) if tag.name == "html" => self.step(Mode::InBody, tok),
            Tok::Start(tag)
                if matches!(
                    &*tag.name,
                    "base" | "basefont" | "bgsound" | "link" | "meta"
                ) =>
            {
                let attr = |n: &str| tag.attrs.iter().find(|a| a.name == n);
                if attr("charset").is_some() {
                    self.restart = Some(true);
                } else if attr("http-equiv")
                    .is_some_and(|a| a.value.eq_ignore_ascii_case("content-type"))
                    && attr("content").is_some()
                {
                    self.restart = Some(false);
                }
                self.insert_and_pop(tag)?;
                Ok(Done)
            }
            Tok::Start(tag) if tag.name == "title" => self.enter_raw(tag, RawKind::Rcdata),
            Tok::Start(tag) if matches!(&*tag.name, "noframes" | "style" | "noscript") => {
                self.enter_raw(tag, RawKind::Rawtext)
            }
            Tok::Start(tag) if tag.name == "script" => self.enter_raw(tag, RawKind::Script),
            Tok::End(ref n) if n == "head" => {
                self.pop()?;
                self.mode = Mode::AfterHead;
                Ok(Done)
            }
            Tok::Start(ref tag) if tag.name == "template" => Err(Bail("template")),
            Tok::End(ref n) if n == "template" => Err(Bail("template")),
            Tok::End(ref n) if matches!(&**n, "body" | "html" | "br") => {
                self.pop()?;
                Ok(Reprocess(Mode::AfterHead, tok))
            }
            Tok::Start(ref tag) if tag.name == "head" => Ok(Done),
            Tok::End(_) => Ok(Done),
            tok => {
                self.pop()?;
                Ok(Reprocess(Mode::AfterHead, tok))
            }
        }
    }

    fn step_in_table<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess};
        match tok {
            Tok::Null | Tok::Chars(..) => {
                if self.cur_html_in(TABLE_OUTER) {
                    self.orig_mode = Some(self.mode);
                    Ok(Reprocess(Mode::InTableText, tok))
                } else {
                    Err(Bail("text in a table outside its cells"))
                }
            }
            Tok::Comment => Ok(Done),
            Tok::Start(tag) if tag.name == "caption" => {
                self.pop_until_current(&["html", "table", "template"])?;
                self.afe.push(Fmt::Marker);
                self.insert(tag)?;
                self.mode = Mode::InCaption;
                Ok(Done)
            }
            Tok::Start(tag) if tag.name == "colgroup" => {
                self.pop_until_current(&["html", "table", "template"])?;
                self.insert(tag)?;
                self.mode = Mode::InColumnGroup;
                Ok(Done)
            }
            Tok::Start(ref tag) if tag.name == "col" => {
                self.pop_until_current(&["html", "table", "template"])?;
                self.insert_phantom("colgroup")?;
                Ok(Reprocess(Mode::InColumnGroup, tok))
            }
            Tok::Start(tag) if matches!(&*tag.name, "tbody" | "tfoot" | "thead") => {
                self.pop_until_current(&["html", "table", "template"])?;
                self.insert(tag)?;
                self.mode = Mode::InTableBody;
                Ok(Done)
            }
            Tok::Start(ref tag) if matches!(&*tag.name, "td" | "th" | "tr") => {
                self.pop_until_current(&["html", "table", "template"])?;
                self.insert_phantom("tbody")?;
                Ok(Reprocess(Mode::InTableBody, tok))
            }
            Tok::Start(ref tag) if tag.name == "table" => {
                if self.in_scope_named(Scope::Table, "table") {
                    self.pop_until_named("table")?;
                    let m = self.reset_insertion_mode();
                    Ok(Reprocess(m, tok))
                } else {
                    Ok(Done)
                }
            }
            Tok::End(ref n) if n == "table" => {
                if self.in_scope_named(Scope::Table, "table") {
                    self.pop_until_named("table")?;
                    self.mode = self.reset_insertion_mode();
                }
                Ok(Done)
            }
            Tok::End(ref n)
                if matches!(
                    &**n,
                    "body"
                        | "caption"
                        | "col"
                        | "colgroup"
                        | "html"
                        | "tbody"
                        | "td"
                        | "tfoot"
                        | "th"
                        | "thead"
                        | "tr"
                ) =>
            {
                Ok(Done)
            }
            Tok::Start(ref tag) if matches!(&*tag.name, "style" | "script") => {
                self.step(Mode::InHead, tok)
            }
            Tok::Start(ref tag) if tag.name == "template" => Err(Bail("template")),
            Tok::End(ref n) if n == "template" => Err(Bail("template")),
            Tok::Start(tag) if tag.name == "input" => {
                let hidden = tag
                    .attrs
                    .iter()
                    .find(|a| a.name == "type")
                    .is_some_and(|a| a.value.eq_ignore_ascii_case("hidden"));
                if hidden {
                    self.insert_and_pop(tag)?;
                    Ok(Done)
                } else {
                    Err(Bail("element in a table outside its cells"))
                }
            }
            Tok::Start(tag) if tag.name == "form" => {
                if self.form.is_none() {
                    let uid = self.push(tag.name, Ns::Html, tag.attrs)?;
                    self.pop()?;
                    self.form = Some(uid);
                }
                Ok(Done)
            }
            Tok::Eof => self.step(Mode::InBody, Tok::Eof),
            _ => Err(Bail("element in a table outside its cells")),
        }
    }

    fn step_in_body<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::Done;
        match tok {
            Tok::Null | Tok::Comment => Ok(Done),
            Tok::Chars(_, t) => {
                self.reconstruct()?;
                self.append_text(t)?;
                Ok(Done)
            }
            Tok::Eof => Ok(Done),
            Tok::Start(tag) => self.start_in_body(tag),
            Tok::End(name) => self.end_in_body(name),
        }
    }

    fn start_in_body<'t>(&mut self, tag: Tag<'s>) -> R<Step<'t, 's>> {
        use Step::Done;
        match &*tag.name {
            "html" | "body" => {
                if tag.attrs.is_empty() {
                    Ok(Done)
                } else {
                    Err(Bail("attributes of a second <html> or <body>"))
                }
            }
            "base" | "basefont" | "bgsound" | "link" | "meta" | "noframes" | "script" | "style"
            | "title" => self.step_in_head(Tok::Start(tag)),
            "template" => Err(Bail("template")),
            "frameset" => Err(Bail("frameset")),
            "address" | "article" | "aside" | "blockquote" | "center" | "details" | "dialog"
            | "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer" | "header"
            | "hgroup" | "main" | "nav" | "ol" | "p" | "search" | "section" | "summary" | "ul"
            | "menu" => {
                self.close_p_in_button_scope()?;
                self.insert(tag)?;
                Ok(Done)
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.close_p_in_button_scope()?;
                if self.cur_html_in(HEADINGS) {
                    self.pop()?;
                }
                self.insert(tag)?;
                Ok(Done)
            }
            "pre" | "listing" => {
                self.close_p_in_button_scope()?;
                self.insert(tag)?;
                self.ignore_lf = true;
                Ok(Done)
            }
            "form" => {
                if self.form.is_some() {
                    return Ok(Done);
                }
                self.close_p_in_button_scope()?;
                let uid = self.insert(tag)?;
                self.form = Some(uid);
                Ok(Done)
            }
            "li" | "dd" | "dt" => {
                let list = tag.name == "li";
                let mut to_close: Option<Cow<'s, str>> = None;
                for n in self.stack.iter().rev() {
                    let can_close = if list {
                        n.html("li")
                    } else {
                        n.html_in(&["dd", "dt"])
                    };
                    if can_close {
                        to_close = Some(n.name.clone());
                        break;
                    }
                    if n.html_in(SPECIAL) && !n.html_in(&["address", "div", "p"]) {
                        break;
                    }
                }
                if let Some(name) = to_close {
                    self.generate_implied_end(Some(&name))?;
                    self.pop_until_named(&name)?;
                }
                self.close_p_in_button_scope()?;
                self.insert(tag)?;
                Ok(Done)
            }
            "plaintext" => Err(Bail("plaintext")),
            "button" => {
                if self.in_scope_named(Scope::Default, "button") {
                    self.generate_implied_end(None)?;
                    self.pop_until_named("button")?;
                }
                self.reconstruct()?;
                self.insert(tag)?;
                Ok(Done)
            }
            "a" => {
                if let Some((_, uid)) = self.afe_find("a") {
                    self.adoption_agency("a")?;
                    if let Some(i) = self.afe_position(uid) {
                        self.afe.remove(i);
                    }
                    self.remove_from_stack(uid)?;
                }
                self.reconstruct()?;
                self.create_formatting(tag)?;
                Ok(Done)
            }
            n if FORMATTING.contains(&n) => {
                self.reconstruct()?;
                self.create_formatting(tag)?;
                Ok(Done)
            }
            "nobr" => {
                self.reconstruct()?;
                if self.in_scope_named(Scope::Default, "nobr") {
                    self.adoption_agency("nobr")?;
                    self.reconstruct()?;
                }
                self.create_formatting(tag)?;
                Ok(Done)
            }
            "applet" | "marquee" | "object" => {
                self.reconstruct()?;
                self.insert(tag)?;
                self.afe.push(Fmt::Marker);
                Ok(Done)
            }
            "table" => {
                if self.in_scope_named(Scope::Button, "p") {
                    match self.quirks {
                        Quirks::NoQuirks => self.close_p_element()?,
                        Quirks::Quirks => {}
                        Quirks::Unknown => {
                            return Err(Bail("a table in a paragraph under an unusual doctype"))
                        }
                    }
                }
                self.insert(tag)?;
                self.mode = Mode::InTable;
                Ok(Done)
            }
            "area" | "br" | "embed" | "img" | "keygen" | "wbr" => {
                self.reconstruct()?;
                self.insert_and_pop(tag)?;
                Ok(Done)
            }
            "input" => {
                if self.in_scope_named(Scope::Default, "select") {
                    self.pop_until_named("select")?;
                }
                self.reconstruct()?;
                self.insert_and_pop(tag)?;
                Ok(Done)
            }
            "param" | "source" | "track" => {
                self.insert_and_pop(tag)?;
                Ok(Done)
            }
            "hr" => {
                self.close_p_in_button_scope()?;
                if self.in_scope_named(Scope::Default, "select") {
                    self.generate_implied_end(None)?;
                }
                self.insert_and_pop(tag)?;
                Ok(Done)
            }
            "image" => {
                let tag = Tag {
                    name: Cow::Borrowed("img"),
                    ..tag
                };
                self.start_in_body(tag)
            }
            "textarea" => {
                self.ignore_lf = true;
                self.enter_raw(tag, RawKind::Rcdata)
            }
            "xmp" => {
                self.close_p_in_button_scope()?;
                self.reconstruct()?;
                self.enter_raw(tag, RawKind::Rawtext)
            }
            "iframe" | "noembed" | "noscript" => self.enter_raw(tag, RawKind::Rawtext),
            "select" => {
                if self.in_scope_named(Scope::Default, "select") {
                    self.pop_until_named("select")?;
                } else {
                    self.reconstruct()?;
                    self.insert(tag)?;
                }
                Ok(Done)
            }
            "option" => {
                if self.in_scope_named(Scope::Default, "select") {
                    self.generate_implied_end(Some("optgroup"))?;
                } else if self.cur_html("option") {
                    self.pop()?;
                }
                self.reconstruct()?;
                self.insert(tag)?;
                Ok(Done)
            }
            "optgroup" => {
                if self.in_scope_named(Scope::Default, "select") {
                    self.generate_implied_end(None)?;
                } else if self.cur_html("option") {
                    self.pop()?;
                }
                self.reconstruct()?;
                self.insert(tag)?;
                Ok(Done)
            }
            "selectedcontent" => Err(Bail("selectedcontent")),
            "rb" | "rtc" => {
                if self.in_scope_named(Scope::Default, "ruby") {
                    self.generate_implied_end(None)?;
                }
                self.insert(tag)?;
                Ok(Done)
            }
            "rp" | "rt" => {
                if self.in_scope_named(Scope::Default, "ruby") {
                    self.generate_implied_end(Some("rtc"))?;
                }
                self.insert(tag)?;
                Ok(Done)
            }
            "math" => Err(Bail("MathML")),
            "svg" => {
                self.reconstruct()?;
                let self_closing = tag.self_closing;
                self.push(tag.name, Ns::Svg, tag.attrs)?;
                if self_closing {
                    self.pop()?;
                }
                Ok(Done)
            }
            "caption" | "col" | "colgroup" | "frame" | "head" | "tbody" | "td" | "tfoot" | "th"
            | "thead" | "tr" => Ok(Done),
            _ => {
                self.reconstruct()?;
                self.insert(tag)?;
                Ok(Done)
            }
        }
    }

    fn end_in_body<'t>(&mut self, name: Cow<'s, str>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess};
        match &*name {
            "template" => Err(Bail("template")),
            "body" => {
                if self.in_scope_named(Scope::Default, "body") {
                    self.mode = Mode::AfterBody;
                }
                Ok(Done)
            }
            "html" => {
                if self.in_scope_named(Scope::Default, "body") {
                    Ok(Reprocess(Mode::AfterBody, Tok::End(name)))
                } else {
                    Ok(Done)
                }
            }
            "address" | "article" | "aside" | "blockquote" | "button" | "center" | "details"
            | "dialog" | "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer"
            | "header" | "hgroup" | "listing" | "main" | "menu" | "nav" | "ol" | "pre"
            | "search" | "section" | "select" | "summary" | "ul" => {
                if self.in_scope_named(Scope::Default, &name) {
                    self.generate_implied_end(None)?;
                    self.pop_until_named(&name)?;
                }
                Ok(Done)
            }
            "form" => {
                let Some(uid) = self.form.take() else {
                    return Ok(Done);
                };
                if !self.in_scope(Scope::Default, |n| n.uid == uid) {
                    return Ok(Done);
                }
                self.generate_implied_end(None)?;
                self.remove_from_stack(uid)?;
                Ok(Done)
            }
            "option" => {
                // html5ever may clone the option into a <selectedcontent>,
                // which this port gives up on when it is opened.
                self.process_end_tag_in_body(&name)?;
                Ok(Done)
            }
            "p" => {
                if !self.in_scope_named(Scope::Button, "p") {
                    self.insert_phantom("p")?;
                }
                self.close_p_element()?;
                Ok(Done)
            }
            "li" | "dd" | "dt" => {
                let scope = if name == "li" {
                    Scope::ListItem
                } else {
                    Scope::Default
                };
                if self.in_scope_named(scope, &name) {
                    self.generate_implied_end(Some(&name))?;
                    self.pop_until_named(&name)?;
                }
                Ok(Done)
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if self.in_scope(Scope::Default, |n| n.html_in(HEADINGS)) {
                    self.generate_implied_end(None)?;
                    self.pop_until(|n| n.html_in(HEADINGS))?;
                }
                Ok(Done)
            }
            "a" | "b" | "big" | "code" | "em" | "font" | "i" | "nobr" | "s" | "small"
            | "strike" | "strong" | "tt" | "u" => {
                self.adoption_agency(&name)?;
                Ok(Done)
            }
            "applet" | "marquee" | "object" => {
                if self.in_scope_named(Scope::Default, &name) {
                    self.generate_implied_end(None)?;
                    self.pop_until_named(&name)?;
                    self.clear_afe_to_marker();
                }
                Ok(Done)
            }
            "br" => self.start_in_body(Tag {
                name: Cow::Borrowed("br"),
                attrs: Vec::new(),
                self_closing: false,
            }),
            _ => {
                self.process_end_tag_in_body(&name)?;
                Ok(Done)
            }
        }
    }

    // ---- foreign content (SVG) ----

    fn is_foreign(&self, tok: &Tok<'_, 's>) -> bool {
        if matches!(tok, Tok::Eof) {
            return false;
        }
        let Some(cur) = self.stack.last() else {
            return false;
        };
        if cur.ns == Ns::Html {
            return false;
        }
        if is_svg_integration_point(cur)
            && matches!(tok, Tok::Chars(..) | Tok::Null | Tok::Start(_))
        {
            return false;
        }
        true
    }

    fn step_foreign<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        match tok {
            Tok::Null => {
                self.append_text("\u{FFFD}")?;
                Ok(Step::Done)
            }
            Tok::Chars(_, t) => {
                self.append_text(t)?;
                Ok(Step::Done)
            }
            Tok::Comment => Ok(Step::Done),
            Tok::Start(tag) => {
                let breakout = matches!(
                    &*tag.name,
                    "b" | "big"
                        | "blockquote"
                        | "body"
                        | "br"
                        | "center"
                        | "code"
                        | "dd"
                        | "div"
                        | "dl"
                        | "dt"
                        | "em"
                        | "embed"
                        | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                        | "head"
                        | "hr"
                        | "i"
                        | "img"
                        | "li"
                        | "listing"
                        | "menu"
                        | "meta"
                        | "nobr"
                        | "ol"
                        | "p"
                        | "pre"
                        | "ruby"
                        | "s"
                        | "small"
                        | "span"
                        | "strong"
                        | "strike"
                        | "sub"
                        | "sup"
                        | "table"
                        | "tt"
                        | "u"
                        | "ul"
                        | "var"
                ) || (tag.name == "font"
                    && tag
                        .attrs
                        .iter()
                        .any(|a| matches!(&*a.name, "color" | "face" | "size")));
                if breakout {
                    self.foreign_breakout()?;
                    return self.step(self.mode, Tok::Start(tag));
                }
                let ns = self.cur().ns;
                let self_closing = tag.self_closing;
                self.push(tag.name, ns, tag.attrs)?;
                if self_closing {
                    self.pop()?;
                }
                Ok(Step::Done)
            }
            Tok::End(ref n) if n == "br" || n == "p" => {
                self.foreign_breakout()?;
                self.step(self.mode, tok)
            }
            Tok::End(name) => {
                let mut first = true;
                let mut i = self.stack.len() - 1;
                loop {
                    if i == 0 {
                        return Ok(Step::Done);
                    }
                    let node = &self.stack[i];
                    let html = node.ns == Ns::Html;
                    let eq = node.name.eq_ignore_ascii_case(&name);
                    if !first && html {
                        return self.step(self.mode, Tok::End(name));
                    }
                    if eq {
                        while self.stack.len() > i {
                            self.pop()?;
                        }
                        return Ok(Step::Done);
                    }
                    first = false;
                    i -= 1;
                }
            }
            Tok::Eof => Err(Bail("internal: EOF in foreign content")),
        }
    }

    fn foreign_breakout(&mut self) -> R {
        while let Some(n) = self.stack.last() {
            if n.ns == Ns::Html || is_svg_integration_point(n) {
                break;
            }
            self.pop()?;
        }
        Ok(())
    }
}
