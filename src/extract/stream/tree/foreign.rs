//! Foreign content (SVG): html5ever's rules for tokens inside an `<svg>`.

use std::borrow::Cow;

use super::*;

impl<'s, S: Sink<'s>> TreeBuilder<'s, S> {
    pub(super) fn is_foreign(&self, tok: &Tok<'_, 's>) -> bool {
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

    pub(super) fn step_foreign<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
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
            Tok::Start(tag) => self.foreign_start(tag),
            Tok::End(ref n) if n == "br" || n == "p" => {
                self.foreign_breakout()?;
                self.step(self.mode, tok)
            }
            Tok::End(name) => self.foreign_end(name),
            Tok::Eof => Err(Bail("internal: EOF in foreign content")),
        }
    }

    /// A start tag in foreign content: an HTML element that breaks out of
    /// the SVG, else an element in the current node's namespace.
    fn foreign_start<'t>(&mut self, tag: Tag<'s>) -> R<Step<'t, 's>> {
        if breaks_out(&tag) {
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

    /// An end tag in foreign content: closes the matching foreign element,
    /// or goes to the current mode's rules at the first HTML element.
    fn foreign_end<'t>(&mut self, name: Cow<'s, str>) -> R<Step<'t, 's>> {
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

    pub(super) fn foreign_breakout(&mut self) -> R {
        while let Some(n) = self.stack.last() {
            if n.ns == Ns::Html || is_svg_integration_point(n) {
                break;
            }
            self.pop()?;
        }
        Ok(())
    }
}

/// The HTML start tags that end foreign content (html5ever's list).
fn breaks_out(tag: &Tag<'_>) -> bool {
    matches!(
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
            .any(|a| matches!(&*a.name, "color" | "face" | "size")))
}
