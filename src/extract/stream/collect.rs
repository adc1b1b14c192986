//! The extraction of `page::extract`, done as the document streams by:
//! roots (`content`), exclusions, items and their title, link and text,
//! each element's text rendered as `page::element_text` renders it.
//!
//! `element_text(el)` is the text of the text nodes below `el` that no
//! excluded or skipped (`script`, `style`, …) element between `el` and the
//! text hides, with a line break before and after every block element that
//! is shown; text collapses unless a `pre` is among its ancestors. Every
//! element whose text is wanted gets a buffer ("context") that takes the
//! text and breaks that reach it, and is normalized when the element closes.

use super::select::Sel;
use super::tree::{Bail, Node, Ns, Sink, R};
use super::{Plan, ANCHOR, BASE, BODY, HEADING};
use crate::extract::html::{BLOCK, SKIP};
use crate::normalize::{collapse_spaces, normalize_inline, normalize_text};
use selectors::matching::SelectorCaches;

/// What the text of a context is for.
#[derive(Clone, Copy)]
enum Dest {
    /// The text of a root (text mode), its slot.
    Root(usize),
    /// The whole text of an item.
    ItemAll(usize),
    /// The element `item_title` selected.
    Title(usize),
    /// The first heading or link of an item without `item_title`.
    Heading(usize),
    /// One element `item_text` selected, its slot among the item's.
    Text(usize, usize),
}

struct Ctx {
    /// Stack index of the element.
    node: usize,
    buf: String,
    dest: Dest,
}

#[derive(Clone, Copy, Default)]
struct Frame {
    /// Index of the nearest hidden (excluded or skipped) element at or
    /// above this one.
    last_hidden: Option<usize>,
    /// This element or an ancestor matched `exclude`.
    excluded: bool,
    /// A strict ancestor is a root.
    root_above: bool,
    /// This element is a root.
    root: bool,
    /// `pre` elements at or above.
    pre: u32,
    block: bool,
    /// The item that this element is, its slot.
    item: Option<usize>,
}

#[derive(Default)]
pub struct ItemOut {
    all: Option<String>,
    /// `Some` once decided: the title element's text.
    title: Option<String>,
    title_started: bool,
    heading: Option<String>,
    heading_started: bool,
    /// `Some` once decided: the link element's `href` or `src`.
    link: Option<Option<String>>,
    texts: Vec<String>,
}

pub struct Collect<'p> {
    plan: &'p Plan,
    caches: SelectorCaches,
    frames: Vec<Frame>,
    ctxs: Vec<Ctx>,
    /// Open items (slots), innermost last.
    open_items: Vec<usize>,
    pub items: Vec<ItemOut>,
    pub roots: usize,
    pub root_texts: Vec<String>,
    /// The first `base[href]`, decoded.
    pub base: Option<String>,
    base_seen: bool,
}

impl<'p> Collect<'p> {
    pub fn new(plan: &'p Plan) -> Self {
        Collect {
            plan,
            caches: SelectorCaches::default(),
            frames: Vec::with_capacity(64),
            ctxs: Vec::new(),
            open_items: Vec::new(),
            items: Vec::new(),
            roots: 0,
            root_texts: Vec::new(),
            base: None,
            base_seen: false,
        }
    }

    fn m(&mut self, sel: &Sel, stack: &[Node<'_>]) -> bool {
        sel.matches(stack, &mut self.caches)
    }

    fn push_ctx(&mut self, node: usize, dest: Dest) {
        self.ctxs.push(Ctx {
            node,
            buf: String::new(),
            dest,
        });
    }

    /// A line break from a block element at `idx` reaches the contexts
    /// above it that nothing hidden separates from it.
    fn newline(&mut self, idx: usize, last_hidden: Option<usize>) {
        for c in &mut self.ctxs {
            if c.node < idx && last_hidden.is_none_or(|h| h <= c.node) {
                c.buf.push('\n');
            }
        }
    }

    fn finish(&mut self, ctx: Ctx) {
        let text = normalize_text(&ctx.buf);
        match ctx.dest {
            Dest::Root(slot) => self.root_texts[slot] = text,
            Dest::ItemAll(slot) => self.items[slot].all = Some(text),
            Dest::Title(slot) => self.items[slot].title = Some(normalize_inline(&text)),
            Dest::Heading(slot) => self.items[slot].heading = Some(normalize_inline(&text)),
            Dest::Text(slot, i) => self.items[slot].texts[i] = text,
        }
    }
}

impl Collect<'_> {
    /// The item selectors (title or heading, link, text) of the open items
    /// the element at the top of `stack` is inside; true if one matched.
    fn open_item_parts(&mut self, stack: &[Node<'_>]) -> bool {
        let plan = self.plan;
        let idx = stack.len() - 1;
        let node = &stack[idx];
        let mut matched = false;
        for k in 0..self.open_items.len() {
            let slot = self.open_items[k];
            if let Some(s) = &plan.title {
                if !self.items[slot].title_started && s.matches(stack, &mut self.caches) {
                    matched = true;
                    self.items[slot].title_started = true;
                    self.push_ctx(idx, Dest::Title(slot));
                }
            } else if !self.items[slot].heading_started && self.m(&HEADING, stack) {
                matched = true;
                self.items[slot].heading_started = true;
                self.push_ctx(idx, Dest::Heading(slot));
            }
            if self.items[slot].link.is_none() {
                let sel = plan.link.as_ref().unwrap_or(&ANCHOR);
                if sel.matches(stack, &mut self.caches) {
                    matched = true;
                    self.items[slot].link = Some(link_of(node));
                }
            }
            if let Some(s) = &plan.text {
                if s.matches(stack, &mut self.caches) {
                    matched = true;
                    let i = self.items[slot].texts.len();
                    self.items[slot].texts.push(String::new());
                    self.push_ctx(idx, Dest::Text(slot, i));
                }
            }
        }
        matched
    }

    /// The element at the top of `stack` opens an item if the item selector
    /// matches it (the caller knows it is inside a root and not excluded).
    fn open_item(&mut self, stack: &[Node<'_>]) -> bool {
        let plan = self.plan;
        let idx = stack.len() - 1;
        let node = &stack[idx];
        let name = &*node.name;
        let Some(item_sel) = &plan.item else {
            return false;
        };
        if !item_sel.matches(stack, &mut self.caches) {
            return false;
        }
        let slot = self.items.len();
        let mut out = ItemOut::default();
        // An `a` that is itself the link.
        let self_link = match &plan.link {
            Some(s) => name == "a" && s.matches(stack, &mut self.caches),
            None => name == "a" && node.attr("href").is_some(),
        };
        if self_link {
            out.link = Some(link_of(node));
        }
        self.items.push(out);
        self.push_ctx(idx, Dest::ItemAll(slot));
        self.open_items.push(slot);
        if let Some(f) = self.frames.last_mut() {
            f.item = Some(slot);
        }
        true
    }
}

impl<'s> Sink<'s> for Collect<'_> {
    fn open(&mut self, stack: &[Node<'s>]) -> R<bool> {
        let plan = self.plan;
        let idx = stack.len() - 1;
        let node = &stack[idx];
        let parent = self.frames.last().copied().unwrap_or_default();
        let name = &*node.name;
        let mut matched = false;

        let excluded_here = plan
            .exclude
            .iter()
            .any(|s| s.matches(stack, &mut self.caches));
        matched |= excluded_here;
        let hidden = excluded_here || SKIP.contains(&name);
        let excluded = parent.excluded || excluded_here;
        let root_above = parent.root_above || parent.root;
        let root = !excluded && self.m(plan.content.as_ref().unwrap_or(&BODY), stack);
        matched |= root;
        if !self.base_seen && self.m(&BASE, stack) {
            matched = true;
            self.base_seen = true;
            self.base = node.attr("href").map(str::to_string);
        }
        let frame = Frame {
            last_hidden: if hidden {
                Some(idx)
            } else {
                parent.last_hidden
            },
            excluded,
            root_above,
            root,
            pre: parent.pre + u32::from(name == "pre"),
            block: BLOCK.contains(&name),
            item: None,
        };
        if frame.block {
            self.newline(idx, frame.last_hidden);
        }
        self.frames.push(frame);

        matched |= self.open_item_parts(stack);

        if root {
            self.roots += 1;
            if plan.item.is_none() {
                let slot = self.root_texts.len();
                self.root_texts.push(String::new());
                self.push_ctx(idx, Dest::Root(slot));
            }
        }
        if root_above && !excluded {
            matched |= self.open_item(stack);
        }
        if matched && (node.ns != Ns::Html) {
            return Err(Bail("a selector matches inside SVG"));
        }
        if node.ns != Ns::Html && plan.case_or_ns {
            return Err(Bail("SVG with case-sensitive selectors"));
        }
        Ok(matched)
    }

    fn close(&mut self, stack: &[Node<'s>]) -> R {
        let idx = stack.len() - 1;
        let frame = self.frames.pop().unwrap_or_default();
        while self.ctxs.last().is_some_and(|c| c.node == idx) {
            if let Some(c) = self.ctxs.pop() {
                self.finish(c);
            }
        }
        if frame.block {
            self.newline(idx, frame.last_hidden);
        }
        if frame.item.is_some() {
            self.open_items.pop();
        }
        Ok(())
    }

    fn text(&mut self, _stack: &[Node<'s>], text: &str) -> R {
        if self.ctxs.is_empty() {
            return Ok(());
        }
        let frame = self.frames.last().copied().unwrap_or_default();
        let lh = frame.last_hidden;
        for c in &mut self.ctxs {
            if lh.is_none_or(|h| h <= c.node) {
                if frame.pre > 0 {
                    c.buf.push_str(text);
                } else {
                    collapse_spaces(text, &mut c.buf);
                }
            }
        }
        Ok(())
    }
}

/// The link of an element: `href`, else `src`.
fn link_of(node: &Node<'_>) -> Option<String> {
    node.attr("href")
        .or_else(|| node.attr("src"))
        .map(str::to_string)
}

impl ItemOut {
    /// (title, raw link, text) as `page::extract` computes them.
    pub fn parts(self, plan: &Plan) -> (String, Option<String>, String) {
        let all = self.all.unwrap_or_default();
        let title = match plan.title {
            Some(_) => self.title.unwrap_or_default(),
            None => self
                .heading
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| all.lines().next().unwrap_or("").to_string()),
        };
        let text = match plan.text {
            Some(_) => self.texts.join("\n"),
            None => all,
        };
        (title, self.link.flatten(), text)
    }
}
