//! The modes before the body (initial to after head), raw text, and after the body.

use std::borrow::Cow;

use super::*;

impl<'s, S: Sink<'s>> TreeBuilder<'s, S> {
    pub(super) fn step_initial<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match tok {
            Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
            Tok::Chars(Split::Whitespace, _) | Tok::Comment => Ok(Done),
            tok => {
                self.quirks = Quirks::Quirks;
                Ok(Reprocess(Mode::BeforeHtml, tok))
            }
        }
    }

    pub(super) fn step_before_html<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match tok {
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
        }
    }

    pub(super) fn step_before_head<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match tok {
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
        }
    }

    pub(super) fn step_in_head<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
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

    pub(super) fn step_after_head<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match tok {
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
        }
    }

    pub(super) fn step_text<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess};
        match tok {
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
        }
    }

    pub(super) fn end_raw(&mut self) -> R {
        self.pop()?;
        if std::mem::take(&mut self.pop_head_after_text) {
            self.pop()?;
        }
        Ok(())
    }

    pub(super) fn step_after_body<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match tok {
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
        }
    }

    pub(super) fn step_after_after_body<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match tok {
            Tok::Chars(Split::Unsplit, t) => Ok(SplitWhitespace(t)),
            Tok::Chars(Split::Whitespace, _) => self.step(Mode::InBody, tok),
            Tok::Comment => Ok(Done),
            Tok::Start(ref tag) if tag.name == "html" => self.step(Mode::InBody, tok),
            Tok::Eof => Ok(Done),
            tok => Ok(Reprocess(Mode::InBody, tok)),
        }
    }
}
