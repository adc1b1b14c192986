//! Writing sources back to `sources/*.toml` the way `cargo add` edits a
//! manifest: the web's source pages (`/sources/new`, `/sources/{id}/edit`,
//! `POST /api/sources`, `PUT /api/sources/{id}`, `POST
//! /api/sources/{id}/pause`) and the CLI's `sources add|edit|pause|resume`
//! all go through [`SourcesEditor`].
//!
//! - **Layout kept.** A new source is appended to its jurisdiction's file:
//!   everything before it stays byte for byte. An edit changes, inside that
//!   source's tables only, the keys whose value changes (`toml_edit`): other
//!   sources, comments, blank lines, key order and quoting are untouched,
//!   and a changed value keeps its comments. The editor checks this before
//!   writing: text outside the edited block that would change is an error.
//! - **Validated first.** The directory as it would be after the write is
//!   loaded with the project's own parser (`config::parse_sources`, ids
//!   unique across files), as `regwatch sources check` and the daemon load
//!   it. An error in the edited source comes back on its field
//!   ([`EditError::Field`]); nothing is written.
//! - **Atomic, serialized.** Read-modify-write runs under an advisory lock
//!   (`flock`) on `<dir>/.regwatch-edit.lock`, re-reading the file inside it,
//!   so two edits at once (of one file or of two) never lose one another.
//!   The new text goes to `.<file>.tmp` beside the file, is fsynced and
//!   renamed over it.
//! - **Audited.** Every write appends one JSON line to the audit log
//!   (`<dir>/.audit.log` by default): who, when (RFC 3339), what (action,
//!   source, file, each changed key with its old and new value; URLs with
//!   their credentials masked).
//! - **Escaped.** Values reach the file through `toml_edit`'s value types
//!   and the TOML writer's quoting: quotes, backslashes, newlines and
//!   control characters cannot end a string or start a table.
//!
//! The editor does not reload the daemon: the caller does, after a write
//! (see docs/editing-sources.md).

mod draft;
mod fsio;
mod patch;
mod validate;

pub use draft::{ExtractDraft, OneOrMany, SourceDraft};
pub use validate::field_names;

use chrono::{DateTime, SecondsFormat, Utc};
use draft::{Field, Val, FIELDS};
use patch::{KeyChange, PAUSE_MARK};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Table};

use crate::config::ScheduleConfig;
use crate::model::{Country, SourceId};

/// Why a write was refused. Nothing was written in any case but `Io` after
/// the rename (its message says so).
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// A field of the draft is wrong: show `message` beside `field`
    /// (`name`, `url`, `extract.item`, … as [`field_names`] lists them).
    #[error("{field}: {message}")]
    Field { field: String, message: String },
    /// No source has this id.
    #[error("no source `{id}` in {dir}")]
    UnknownId { id: String, dir: String },
    /// Someone else changed these fields of the source since the form was
    /// opened ([`SourcesEditor::edit`] with a `base`).
    #[error("source `{id}`: {} changed in the file since this form was opened; reload it and edit again", .fields.join(", "))]
    Conflict { id: String, fields: Vec<String> },
    /// A file or a source other than the edited one does not load: it must
    /// be fixed first (the daemon would not load it either).
    #[error("{file}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

impl EditError {
    fn io(path: &Path, e: std::io::Error) -> EditError {
        EditError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
    fn field(field: &str, message: impl Into<String>) -> EditError {
        EditError::Field {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Who writes, and when (the caller's clock: `App::now()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// A user name, `token` for the API token, or the OS user for the CLI.
    pub who: String,
    pub at: DateTime<Utc>,
}

impl Stamp {
    pub fn new(who: impl Into<String>, at: DateTime<Utc>) -> Stamp {
        Stamp {
            who: who.into(),
            at,
        }
    }
    fn at_text(&self) -> String {
        self.at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Add,
    Edit,
    Pause,
    Resume,
    Enable,
    Disable,
}

/// One changed key: `None` means absent (or its default value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `name`, `extract.item`, …
    pub field: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub at: String,
    pub who: String,
    pub action: Action,
    pub id: String,
    pub file: String,
    pub changes: Vec<FieldChange>,
}

/// The outcome of a write.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub id: String,
    pub file: PathBuf,
    pub action: Action,
    /// False when the draft changed nothing: then no file and no audit
    /// line were written, and there is nothing to reload.
    pub written: bool,
    pub changes: Vec<FieldChange>,
}

/// Whether a source runs, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum SourceState {
    Enabled,
    /// `enabled = false` with no pause mark.
    Disabled,
    /// `enabled = false  # paused by NAME on RFC3339[: REASON]`.
    Paused {
        by: String,
        since: String,
        reason: Option<String>,
    },
}

/// A source as it is in its file: what the edit form starts from.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub draft: SourceDraft,
    pub file: PathBuf,
    pub state: SourceState,
}

/// Edits the sources files of one directory.
#[derive(Debug, Clone)]
pub struct SourcesEditor {
    dir: PathBuf,
    schedule: ScheduleConfig,
    audit_log: PathBuf,
}

/// Longest value kept in an audit line (notes can be long).
const AUDIT_VALUE_CHARS: usize = 300;

fn audit_value(field: &Field, v: &Val) -> serde_json::Value {
    let cut = |s: &str| -> String {
        let s = if field.key == "url" {
            crate::util::redact_url(s)
        } else {
            s.to_string()
        };
        if s.chars().count() > AUDIT_VALUE_CHARS {
            let mut t: String = s.chars().take(AUDIT_VALUE_CHARS).collect();
            t.push('…');
            t
        } else {
            s
        }
    };
    match v {
        Val::Str(s) | Val::Other(s) => serde_json::Value::String(cut(s)),
        Val::List(l) => serde_json::Value::Array(
            l.iter()
                .map(|s| serde_json::Value::String(cut(s)))
                .collect(),
        ),
        Val::Bool(_) => v.to_json(),
    }
}

fn field_changes(changes: &[KeyChange]) -> Vec<FieldChange> {
    changes
        .iter()
        .map(|c| FieldChange {
            field: c.field.name(),
            old: c.old.as_ref().map(|v| audit_value(c.field, v)),
            new: c.new.as_ref().map(|v| audit_value(c.field, v)),
        })
        .collect()
}

/// The `[[source]]` tables of a parsed file.
fn source_tables(doc: &mut DocumentMut) -> Option<&mut toml_edit::ArrayOfTables> {
    doc.get_mut("source").and_then(Item::as_array_of_tables_mut)
}

fn find_table<'a>(doc: &'a mut DocumentMut, id: &str) -> Option<&'a mut Table> {
    source_tables(doc)?
        .iter_mut()
        .find(|t| t.get("id").and_then(Item::as_str) == Some(id))
}

fn parse_doc(file: &Path, text: &str) -> Result<DocumentMut, EditError> {
    text.parse::<DocumentMut>().map_err(|e| EditError::Invalid {
        file: file.display().to_string(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
        message: e.message().trim().to_string(),
    })
}

/// The draft as the file should say it: the jurisdiction as the loader
/// reads it (`tr` and `TR` are one; `UK` is `GB`), when it is one.
fn canonical(draft: &SourceDraft) -> SourceDraft {
    let mut d = draft.clone();
    if let Ok(c) = Country::parse(&d.jurisdiction) {
        d.jurisdiction = c.as_str().to_string();
    }
    d
}

/// The pause mark of a source's `enabled` comment: (by, since, reason).
fn parse_pause(comment: &str) -> Option<(String, String, Option<String>)> {
    let re = regex::Regex::new(
        r"^# paused by (.*?) on (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)(?:: (.*))?$",
    )
    .ok()?;
    let c = re.captures(comment.trim())?;
    Some((
        c[1].to_string(),
        c[2].to_string(),
        c.get(3).map(|m| m.as_str().to_string()),
    ))
}

fn state_of(t: &Table) -> SourceState {
    let enabled = t.get("enabled").and_then(Item::as_bool).unwrap_or(true);
    if enabled {
        return SourceState::Enabled;
    }
    match patch::enabled_comment(t).as_deref().and_then(parse_pause) {
        Some((by, since, reason)) => SourceState::Paused { by, since, reason },
        None => SourceState::Disabled,
    }
}

fn enabled_field() -> &'static Field {
    FIELDS
        .iter()
        .find(|f| f.key == "enabled")
        .unwrap_or(&FIELDS[0])
}

impl SourcesEditor {
    /// An editor of the sources in `dir` (`config.sources.dir`), validating
    /// schedules against `schedule` (`config.schedule`) as the loader does.
    /// The audit log is `<dir>/.audit.log` unless [`Self::with_audit_log`].
    pub fn new(dir: impl Into<PathBuf>, schedule: ScheduleConfig) -> SourcesEditor {
        let dir = dir.into();
        SourcesEditor {
            audit_log: dir.join(".audit.log"),
            dir,
            schedule,
        }
    }

    /// Append audit lines to `path` instead.
    pub fn with_audit_log(mut self, path: impl Into<PathBuf>) -> SourcesEditor {
        self.audit_log = path.into();
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn audit_log(&self) -> &Path {
        &self.audit_log
    }

    /// The file a new source of `jurisdiction` goes to: `<dir>/<cc>.toml`
    /// (`tr.toml`, `eu.toml`, `wto.toml`).
    pub fn file_for(&self, jurisdiction: &str) -> Result<PathBuf, EditError> {
        let c = Country::parse(jurisdiction).map_err(|m| EditError::field("jurisdiction", m))?;
        Ok(self
            .dir
            .join(format!("{}.toml", c.as_str().to_ascii_lowercase())))
    }

    /// The file that defines source `id`, with its text.
    fn locate(&self, id: &str) -> Result<Option<(PathBuf, String)>, EditError> {
        let mut found: Option<(PathBuf, String)> = None;
        for file in validate::source_files(&self.dir)? {
            let text = std::fs::read_to_string(&file).map_err(|e| EditError::io(&file, e))?;
            if !text.contains(id) {
                continue;
            }
            let mut doc = parse_doc(&file, &text)?;
            if find_table(&mut doc, id).is_some() {
                if let Some((prev, _)) = &found {
                    return Err(EditError::Invalid {
                        file: file.display().to_string(),
                        line: None,
                        message: format!(
                            "source `{id}` is also defined in {}: ids must be unique",
                            prev.display()
                        ),
                    });
                }
                found = Some((file, text));
            }
        }
        Ok(found)
    }

    /// Source `id` as its file says it, for an edit form.
    pub fn read(&self, id: &str) -> Result<Found, EditError> {
        let Some((file, text)) = self.locate(id)? else {
            return Err(self.unknown(id));
        };
        let mut doc = parse_doc(&file, &text)?;
        let t = find_table(&mut doc, id).ok_or_else(|| self.unknown(id))?;
        Ok(Found {
            draft: SourceDraft::from_values(&patch::current(t)),
            state: state_of(t),
            file,
        })
    }

    fn unknown(&self, id: &str) -> EditError {
        EditError::UnknownId {
            id: id.to_string(),
            dir: self.dir.display().to_string(),
        }
    }

    /// Check a draft as [`Self::add`] would (or, with `editing`, as
    /// [`Self::edit`] of that source would), writing nothing: for a form's
    /// "check" button or a preview.
    pub fn check(&self, draft: &SourceDraft, editing: Option<&str>) -> Result<(), EditError> {
        let _lock = fsio::DirLock::acquire(&self.dir)?;
        match editing {
            None => self.compose_add(draft).map(|_| ()),
            Some(id) => self.compose_edit(id, draft, None).map(|_| ()),
        }
    }

    /// The source a draft describes, compiled as the loader compiles it
    /// (rules, schedule), without writing or locking anything: what a
    /// "Preview" fetches with. Errors come back on the draft's field. The
    /// id may still be empty (a form being filled): `preview` stands in.
    pub fn source_of(&self, draft: &SourceDraft) -> Result<crate::config::Source, EditError> {
        let mut draft = canonical(draft);
        if draft.id.trim().is_empty() {
            draft.id = "preview".into();
        }
        SourceId::parse(&draft.id).map_err(|m| EditError::field("id", m))?;
        let file = self.file_for(&draft.jurisdiction)?;
        let text = patch::new_block(&draft.values());
        let path = file.display().to_string();
        match crate::config::parse_sources(&file, &text, &self.schedule) {
            Ok(mut v) if v.len() == 1 => Ok(v.remove(0)),
            Ok(_) => Err(EditError::field("id", "the draft is not one source")),
            Err(crate::config::ConfigError::Invalid { line, message, .. }) => {
                Err(validate::map_error(&text, &draft.id, line, message, &path))
            }
            Err(e) => Err(EditError::Invalid {
                file: path,
                line: None,
                message: e.to_string(),
            }),
        }
    }

    /// Add a new source: a `[[source]]` block appended to its
    /// jurisdiction's file (created, with a header comment, if absent).
    /// Refused when the id is taken in any file.
    pub fn add(&self, draft: &SourceDraft, stamp: &Stamp) -> Result<Written, EditError> {
        let _lock = fsio::DirLock::acquire(&self.dir)?;
        let plan = self.compose_add(draft)?;
        self.commit(plan, Action::Add, stamp)
    }

    /// Change source `id` to `draft`: only the keys whose value differs are
    /// written, inside that source's tables; a key the draft leaves out (or
    /// sets to its default) is removed. The id never changes, and the
    /// source stays in its file.
    ///
    /// With `base` (the draft the form was opened with), only the fields
    /// the user changed (`draft` ≠ `base`) are written, and if any of them
    /// was changed in the file meanwhile the edit is refused
    /// ([`EditError::Conflict`]): a concurrent edit of other fields, by the
    /// web, the CLI or a text editor, is kept.
    pub fn edit(
        &self,
        id: &str,
        draft: &SourceDraft,
        base: Option<&SourceDraft>,
        stamp: &Stamp,
    ) -> Result<Written, EditError> {
        let _lock = fsio::DirLock::acquire(&self.dir)?;
        let plan = self.compose_edit(id, draft, base)?;
        self.commit(plan, Action::Edit, stamp)
    }

    /// `enabled = true` (the key removed: it is the default) or
    /// `enabled = false` (a disable: no pause mark).
    pub fn set_enabled(
        &self,
        id: &str,
        enabled: bool,
        stamp: &Stamp,
    ) -> Result<Written, EditError> {
        let action = if enabled {
            Action::Enable
        } else {
            Action::Disable
        };
        self.switch(id, enabled, None, action, stamp)
    }

    /// Pause: `enabled = false  # paused by WHO on WHEN[: REASON]`. The
    /// daemon sees a disabled source; the UI tells a pause from a disable
    /// by the mark ([`Found::state`]).
    pub fn pause(
        &self,
        id: &str,
        reason: Option<&str>,
        stamp: &Stamp,
    ) -> Result<Written, EditError> {
        let mut mark = format!(
            "{PAUSE_MARK}{} on {}",
            patch::comment_safe(&stamp.who),
            stamp.at_text()
        );
        if let Some(r) = reason.map(patch::comment_safe).filter(|r| !r.is_empty()) {
            mark.push_str(": ");
            mark.push_str(&r);
        }
        self.switch(id, false, Some(mark), Action::Pause, stamp)
    }

    /// Resume a paused (or disabled) source: the `enabled` key and its mark
    /// are removed.
    pub fn resume(&self, id: &str, stamp: &Stamp) -> Result<Written, EditError> {
        self.switch(id, true, None, Action::Resume, stamp)
    }

    fn switch(
        &self,
        id: &str,
        enabled: bool,
        mark: Option<String>,
        action: Action,
        stamp: &Stamp,
    ) -> Result<Written, EditError> {
        let _lock = fsio::DirLock::acquire(&self.dir)?;
        let Some((file, old)) = self.locate(id)? else {
            return Err(self.unknown(id));
        };
        let mut doc = parse_doc(&file, &old)?;
        let t = find_table(&mut doc, id).ok_or_else(|| self.unknown(id))?;
        let was = state_of(t);
        if action == Action::Pause && was != SourceState::Enabled {
            // Already off (paused, or disabled with its own comment, which
            // a mark would replace): nothing to do.
            return Ok(Written {
                id: id.to_string(),
                file,
                action,
                written: false,
                changes: vec![],
            });
        }
        let field = enabled_field();
        let new = (!enabled).then_some(Val::Bool(false));
        let changes = patch::apply(t, &[(field, new)]);
        let mut changes = field_changes(&changes);
        if mark.is_some() || matches!(was, SourceState::Paused { .. }) {
            // A pause marks the line; a disable clears a pause's mark (and
            // only a pause's: a comment of the user's stays).
            patch::set_enabled_comment(t, mark.as_deref());
        }
        let is = state_of(t);
        if changes.is_empty() && was != is {
            // Only the mark changed (a disabled source paused, or a
            // paused one disabled).
            changes.push(FieldChange {
                field: "enabled".into(),
                old: Some(serde_json::Value::Bool(false)),
                new: Some(serde_json::Value::Bool(false)),
            });
        }
        let new_text = doc.to_string();
        let plan = Plan {
            id: id.to_string(),
            file,
            old: Some(old),
            new_text,
            changes,
        };
        self.check_plan(&plan)?;
        self.commit(plan, action, stamp)
    }

    fn compose_add(&self, draft: &SourceDraft) -> Result<Plan, EditError> {
        let draft = &canonical(draft);
        SourceId::parse(&draft.id).map_err(|m| EditError::field("id", m))?;
        let file = self.file_for(&draft.jurisdiction)?;
        let country =
            Country::parse(&draft.jurisdiction).map_err(|m| EditError::field("jurisdiction", m))?;
        if let Some((other, _)) = self.locate(&draft.id)? {
            return Err(EditError::field(
                "id",
                format!(
                    "source id `{}` is already defined in {}: ids never change and must be unique; choose another",
                    draft.id,
                    other.display()
                ),
            ));
        }
        let old = match std::fs::read_to_string(&file) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(EditError::io(&file, e)),
        };
        let values = draft.values();
        let block = patch::new_block(&values);
        let mut text = match &old {
            Some(t) => t.clone(),
            None => format!(
                "# Sources of jurisdiction {} (one file per jurisdiction; keys in docs/sources.md).\n",
                country.as_str()
            ),
        };
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.trim().is_empty() {
            text.push('\n');
        }
        text.push_str(&block);
        // What the file will say is exactly the draft (escaping included).
        let mut doc = parse_doc(&file, &text)?;
        let back = find_table(&mut doc, &draft.id).map(|t| patch::current(t));
        if back.as_deref() != Some(values.as_slice()) {
            return Err(EditError::Invalid {
                file: file.display().to_string(),
                line: None,
                message: format!("source `{}` would not read back as written (a bug in the editor); nothing written", draft.id),
            });
        }
        let changes = values
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(field, v)| KeyChange {
                field,
                old: None,
                new: v.clone(),
            })
            .collect::<Vec<_>>();
        let plan = Plan {
            id: draft.id.clone(),
            file,
            old,
            new_text: text,
            changes: field_changes(&changes),
        };
        self.check_plan(&plan)?;
        Ok(plan)
    }

    fn compose_edit(
        &self,
        id: &str,
        draft: &SourceDraft,
        base: Option<&SourceDraft>,
    ) -> Result<Plan, EditError> {
        let draft = &canonical(draft);
        let base = base.map(canonical);
        let base = base.as_ref();
        if draft.id != id {
            return Err(EditError::field(
                "id",
                format!("a source's id never changes (history hangs on it): keep `{id}`, or add a new source"),
            ));
        }
        let Some((file, old)) = self.locate(id)? else {
            return Err(self.unknown(id));
        };
        let mut doc = parse_doc(&file, &old)?;
        let t = find_table(&mut doc, id).ok_or_else(|| self.unknown(id))?;
        let mut wanted = draft.values();
        if let Some(base) = base {
            let base_values = base.values();
            let now = patch::current(t);
            let mut conflicts = vec![];
            wanted = wanted
                .into_iter()
                .zip(base_values)
                .zip(now)
                .filter_map(|(((field, want), (_, was)), (_, is))| {
                    if want == was {
                        return None;
                    }
                    if is != was && is != want {
                        conflicts.push(field.name());
                    }
                    Some((field, want))
                })
                .collect();
            if !conflicts.is_empty() {
                return Err(EditError::Conflict {
                    id: id.to_string(),
                    fields: conflicts,
                });
            }
        }
        let changes = patch::apply(t, &wanted);
        let new_text = doc.to_string();
        let plan = Plan {
            id: id.to_string(),
            file,
            old: Some(old),
            new_text,
            changes: field_changes(&changes),
        };
        self.check_plan(&plan)?;
        Ok(plan)
    }

    /// Before any write: nothing outside the source's block changes, and
    /// the directory loads.
    fn check_plan(&self, plan: &Plan) -> Result<(), EditError> {
        if plan.old.as_deref() == Some(plan.new_text.as_str()) {
            return Ok(());
        }
        if let Some(old) = &plan.old {
            let outside_kept = match (
                validate::block_of(old, &plan.id),
                validate::block_of(&plan.new_text, &plan.id),
            ) {
                (Some(a), Some(b)) => {
                    old[..a.range.start] == plan.new_text[..b.range.start]
                        && old[a.range.end..] == plan.new_text[b.range.end..]
                }
                // A new source: the old text is kept as the start.
                (None, Some(b)) => plan.new_text[..b.range.start].starts_with(old.trim_end()),
                _ => false,
            };
            if !outside_kept {
                return Err(EditError::Invalid {
                    file: plan.file.display().to_string(),
                    line: None,
                    message: format!(
                        "writing source `{}` would change text outside it (a bug in the editor); nothing written",
                        plan.id
                    ),
                });
            }
        }
        validate::validate(
            &self.dir,
            &plan.file,
            &plan.new_text,
            &plan.id,
            &self.schedule,
        )
    }

    /// Write the plan's text atomically, then its audit line.
    fn commit(&self, plan: Plan, action: Action, stamp: &Stamp) -> Result<Written, EditError> {
        let mut written = Written {
            id: plan.id.clone(),
            file: plan.file.clone(),
            action,
            written: false,
            changes: plan.changes.clone(),
        };
        if plan.old.as_deref() == Some(plan.new_text.as_str()) {
            return Ok(written);
        }
        let entry = AuditEntry {
            at: stamp.at_text(),
            who: stamp.who.clone(),
            action,
            id: plan.id.clone(),
            file: plan.file.display().to_string(),
            changes: plan.changes.clone(),
        };
        // Opened before the write, so a log that cannot be written stops
        // the write rather than leaving it unaudited.
        let mut log = fsio::AuditLog::open(&self.audit_log)?;
        fsio::write_atomic(&plan.file, &plan.new_text)?;
        log.append(&entry).map_err(|e| EditError::Io {
            path: self.audit_log.display().to_string(),
            message: format!(
                "{} was written, but its audit line could not be: {e}",
                plan.file.display()
            ),
        })?;
        written.written = true;
        Ok(written)
    }
}

/// A write ready to commit.
struct Plan {
    id: String,
    file: PathBuf,
    /// The file's text now (`None`: a new file).
    old: Option<String>,
    new_text: String,
    changes: Vec<FieldChange>,
}

/// Read the audit log (for a history page or a test).
pub fn read_audit_log(path: &Path) -> Result<Vec<AuditEntry>, EditError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(EditError::io(path, e)),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_marks_parse_back() {
        assert_eq!(
            parse_pause("# paused by Ayşe on 2026-12-02T10:00:00Z: site down"),
            Some((
                "Ayşe".into(),
                "2026-12-02T10:00:00Z".into(),
                Some("site down".into())
            ))
        );
        assert_eq!(
            parse_pause("# paused by a on b on 2026-12-02T10:00:00Z"),
            Some(("a on b".into(), "2026-12-02T10:00:00Z".into(), None))
        );
        assert_eq!(parse_pause("# off: the site blocks us"), None);
    }
}
