//! The stack of open elements and the list of active formatting elements.

use std::borrow::Cow;

use super::*;

impl<'s, S: Sink<'s>> TreeBuilder<'s, S> {
    // ---- stack operations ----

    pub(super) fn cur(&self) -> &Node<'s> {
        self.stack.last().expect("the stack has the html element")
    }

    pub(super) fn cur_html(&self, name: &str) -> bool {
        self.stack.last().is_some_and(|n| n.html(name))
    }

    pub(super) fn cur_html_in(&self, set: &[&str]) -> bool {
        self.stack.last().is_some_and(|n| n.html_in(set))
    }

    pub(super) fn in_scope(&self, scope: Scope, pred: impl Fn(&Node<'s>) -> bool) -> bool {
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

    pub(super) fn in_scope_named(&self, scope: Scope, name: &str) -> bool {
        self.in_scope(scope, |n| n.html(name))
    }

    pub(super) fn push(&mut self, name: Cow<'s, str>, ns: Ns, attrs: Vec<Attr<'s>>) -> R<u32> {
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

    pub(super) fn pop(&mut self) -> R<Node<'s>> {
        self.sink.close(&self.stack)?;
        let node = self.stack.pop().expect("pop of an empty stack");
        // A formatting element closed while still listed: keep what a
        // reconstruction would clone (the entry already has it).
        Ok(node)
    }

    pub(super) fn insert(&mut self, tag: Tag<'s>) -> R<u32> {
        self.push(tag.name, Ns::Html, tag.attrs)
    }

    pub(super) fn insert_and_pop(&mut self, tag: Tag<'s>) -> R {
        self.push(tag.name, Ns::Html, tag.attrs)?;
        self.pop()?;
        Ok(())
    }

    pub(super) fn insert_phantom(&mut self, name: &'static str) -> R<u32> {
        self.push(Cow::Borrowed(name), Ns::Html, Vec::new())
    }

    pub(super) fn append_text(&mut self, text: &str) -> R {
        self.sink.text(&self.stack, text)
    }

    pub(super) fn pop_until(&mut self, pred: impl Fn(&Node<'s>) -> bool) -> R<usize> {
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

    pub(super) fn pop_until_named(&mut self, name: &str) -> R<usize> {
        self.pop_until(|n| n.html(name))
    }

    pub(super) fn pop_until_current(&mut self, set: &[&str]) -> R {
        while !self.cur_html_in(set) {
            self.pop()?;
        }
        Ok(())
    }

    pub(super) fn generate_implied_end(&mut self, except: Option<&str>) -> R {
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

    pub(super) fn close_p_element(&mut self) -> R {
        self.generate_implied_end(Some("p"))?;
        self.pop_until_named("p")?;
        Ok(())
    }

    pub(super) fn close_p_in_button_scope(&mut self) -> R {
        if self.in_scope_named(Scope::Button, "p") {
            self.close_p_element()?;
        }
        Ok(())
    }

    /// Remove an element from the stack: only possible here when it is the
    /// current node.
    pub(super) fn remove_from_stack(&mut self, uid: u32) -> R {
        match self.stack.iter().rposition(|n| n.uid == uid) {
            None => Ok(()),
            Some(i) if i + 1 == self.stack.len() => self.pop().map(|_| ()),
            Some(_) => Err(Bail("an element removed below the current node")),
        }
    }

    // ---- active formatting elements ----

    pub(super) fn is_open(&self, uid: u32) -> bool {
        self.stack.iter().rev().any(|n| n.uid == uid)
    }

    pub(super) fn reconstruct(&mut self) -> R {
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

    pub(super) fn create_formatting(&mut self, tag: Tag<'s>) -> R {
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

    pub(super) fn clear_afe_to_marker(&mut self) {
        while let Some(f) = self.afe.pop() {
            if matches!(f, Fmt::Marker) {
                break;
            }
        }
    }

    /// The last listed formatting element named `name` after the last marker.
    pub(super) fn afe_find(&self, name: &str) -> Option<(usize, u32)> {
        for (i, f) in self.afe.iter().enumerate().rev() {
            match f {
                Fmt::Marker => return None,
                Fmt::El { uid, name: n, .. } if *n == name => return Some((i, *uid)),
                _ => {}
            }
        }
        None
    }

    pub(super) fn afe_position(&self, uid: u32) -> Option<usize> {
        self.afe
            .iter()
            .position(|f| matches!(f, Fmt::El { uid: u, .. } if *u == uid))
    }

    /// The adoption agency algorithm, as far as it closes elements at the
    /// top of the stack.
    pub(super) fn adoption_agency(&mut self, subject: &str) -> R {
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

    pub(super) fn process_end_tag_in_body(&mut self, name: &str) -> R {
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

    pub(super) fn reset_insertion_mode(&self) -> Mode {
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

    pub(super) fn close_the_cell(&mut self) -> R {
        self.generate_implied_end(None)?;
        self.pop_until(|n| n.html_in(&["td", "th"]))?;
        self.clear_afe_to_marker();
        Ok(())
    }

    pub(super) fn enter_raw(&mut self, tag: Tag<'s>, kind: RawKind) -> R<Step<'static, 's>> {
        self.insert(tag)?;
        self.orig_mode = Some(self.mode);
        self.mode = Mode::Text;
        self.switch = Some(kind);
        Ok(Step::Done)
    }
}
