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

mod body;
mod foreign;
mod head;
mod stack;
mod table;

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

    /// A parse error that makes no token (`</>`): html5ever's tree builder
    /// still takes it as one, so a newline right after `<pre>` and this
    /// error is kept.
    pub fn tokenless_error(&mut self) {
        self.ignore_lf = false;
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

    // ---- the insertion modes ----

    fn step<'t>(&mut self, mode: Mode, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        match mode {
            Mode::Initial => self.step_initial(tok),
            Mode::BeforeHtml => self.step_before_html(tok),
            Mode::BeforeHead => self.step_before_head(tok),
            Mode::InHead => self.step_in_head(tok),
            Mode::AfterHead => self.step_after_head(tok),
            Mode::InBody => self.step_in_body(tok),
            Mode::Text => self.step_text(tok),
            Mode::InTable => self.step_in_table(tok),
            Mode::InTableText => self.step_in_table_text(tok),
            Mode::InCaption => self.step_in_caption(tok),
            Mode::InColumnGroup => self.step_in_column_group(tok),
            Mode::InTableBody => self.step_in_table_body(tok),
            Mode::InRow => self.step_in_row(tok),
            Mode::InCell => self.step_in_cell(tok),
            Mode::AfterBody => self.step_after_body(tok),
            Mode::AfterAfterBody => self.step_after_after_body(tok),
        }
    }
}
