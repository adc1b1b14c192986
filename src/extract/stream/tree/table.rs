//! The table modes: in table, table text, caption, column group, table body, row, cell.

use super::*;

impl<'s, S: Sink<'s>> TreeBuilder<'s, S> {
    pub(super) fn step_in_table<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
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
            Tok::Start(tag) if tag.name == "input" => self.input_in_table(tag),
            Tok::Start(tag) if tag.name == "form" => self.form_in_table(tag),
            Tok::Eof => self.step(Mode::InBody, Tok::Eof),
            _ => Err(Bail("element in a table outside its cells")),
        }
    }

    /// A hidden `<input>` stays in the table; any other would be fostered.
    fn input_in_table<'t>(&mut self, tag: Tag<'s>) -> R<Step<'t, 's>> {
        let hidden = tag
            .attrs
            .iter()
            .find(|a| a.name == "type")
            .is_some_and(|a| a.value.eq_ignore_ascii_case("hidden"));
        if hidden {
            self.insert_and_pop(tag)?;
            Ok(Step::Done)
        } else {
            Err(Bail("element in a table outside its cells"))
        }
    }

    /// A `<form>` in a table is inserted and closed at once.
    fn form_in_table<'t>(&mut self, tag: Tag<'s>) -> R<Step<'t, 's>> {
        if self.form.is_none() {
            let uid = self.push(tag.name, Ns::Html, tag.attrs)?;
            self.pop()?;
            self.form = Some(uid);
        }
        Ok(Step::Done)
    }

    pub(super) fn step_in_table_text<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess};
        match tok {
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
        }
    }

    pub(super) fn step_in_caption<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::Done;
        match tok {
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
        }
    }

    pub(super) fn step_in_column_group<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess, SplitWhitespace};
        match tok {
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
        }
    }

    pub(super) fn step_in_table_body<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess};
        match tok {
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
        }
    }

    pub(super) fn step_in_row<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess};
        match tok {
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
                if self.in_scope_named(Scope::Table, n) && self.in_scope_named(Scope::Table, "tr") {
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
        }
    }

    pub(super) fn step_in_cell<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        use Step::{Done, Reprocess};
        match tok {
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
            Tok::End(ref n) if matches!(&**n, "body" | "caption" | "col" | "colgroup" | "html") => {
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
        }
    }

    pub(super) fn caption_end<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
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

    pub(super) fn table_body_end<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        if self.in_scope(Scope::Table, |n| n.html_in(&["table", "tbody", "tfoot"])) {
            self.pop_until_current(&["tbody", "tfoot", "thead", "template", "html"])?;
            self.pop()?;
            Ok(Step::Reprocess(Mode::InTable, tok))
        } else {
            Ok(Step::Done)
        }
    }

    pub(super) fn row_end<'t>(&mut self, tok: Tok<'t, 's>) -> R<Step<'t, 's>> {
        if self.in_scope_named(Scope::Table, "tr") {
            self.pop_until_current(&["tr", "template", "html"])?;
            self.pop()?;
            Ok(Step::Reprocess(Mode::InTableBody, tok))
        } else {
            Ok(Step::Done)
        }
    }
}
