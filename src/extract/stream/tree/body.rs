//! The "in body" mode: start tags by group, end tags.

use std::borrow::Cow;

use super::*;

impl<'s, S: Sink<'s>> TreeBuilder<'s, S> {
    pub(super) fn step_in_body<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
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

    /// A start tag in body: the document's, the head's and the block elements.
    pub(super) fn start_in_body<'t>(&mut self, tag: Tag<'s>) -> R<Step<'t, 's>> {
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
            _ => self.start_formatting_in_body(tag),
        }
    }

    /// Formatting elements, markers and `<table>`.
    fn start_formatting_in_body<'t>(&mut self, tag: Tag<'s>) -> R<Step<'t, 's>> {
        use Step::Done;
        match &*tag.name {
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
            _ => self.start_void_or_raw_in_body(tag),
        }
    }

    /// Void elements and the elements whose text the tokenizer reads raw.
    fn start_void_or_raw_in_body<'t>(&mut self, tag: Tag<'s>) -> R<Step<'t, 's>> {
        use Step::Done;
        match &*tag.name {
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
            _ => self.start_form_or_foreign_in_body(tag),
        }
    }

    /// Form controls, ruby, foreign roots, ignored tags and everything else.
    fn start_form_or_foreign_in_body<'t>(&mut self, tag: Tag<'s>) -> R<Step<'t, 's>> {
        use Step::Done;
        match &*tag.name {
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

    pub(super) fn end_in_body<'t>(&mut self, name: Cow<'s, str>) -> R<Step<'t, 's>> {
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
}
