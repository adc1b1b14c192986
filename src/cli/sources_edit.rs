//! `regwatch sources add | edit ID | pause ID | resume ID`: the web's
//! source pages on the command line, written by the same editor
//! (`sources_edit`) into `sources/*.toml` keeping comments and layout,
//! validated first, with an audit line naming the OS user.

use super::failure::{usage, Failure};
use super::output::{print_json, Format};
use super::setup::Offline;
use crate::clock::Clock;
use crate::sources_edit::{EditError, OneOrMany, SourceDraft, SourcesEditor, Stamp, Written};
use std::path::PathBuf;

/// The keys of a source as options. `add` needs id, name, jurisdiction,
/// kind and url; `edit` changes only what is given (and `--unset` clears).
#[derive(clap::Args, Debug, Default, Clone)]
pub struct SourceFields {
    /// The whole definition as JSON (the body of `POST /api/sources`), from a file or `-` for stdin; options given beside it win
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Short id, lowercase with dashes; never changes (add only)
    #[arg(long)]
    pub id: Option<String>,
    /// Name, as people call it
    #[arg(long)]
    pub name: Option<String>,
    /// Country or bloc: TR, VN, ES, EU, WTO… (chooses the file: sources/tr.toml)
    #[arg(long, value_name = "CC")]
    pub jurisdiction: Option<String>,
    /// Language of the site: tr, vi, es, en…
    #[arg(long)]
    pub language: Option<String>,
    /// feed | page | pdf | json
    #[arg(long)]
    pub kind: Option<String>,
    /// The address
    #[arg(long)]
    pub url: Option<String>,
    /// When to look, as crontab (`0 7 * * 1-5`)
    #[arg(long)]
    pub schedule: Option<String>,
    /// IANA time zone of the schedule (Europe/Istanbul)
    #[arg(long)]
    pub timezone: Option<String>,
    /// A category every change of this source gets (repeat for more)
    #[arg(long = "category", value_name = "CATEGORY")]
    pub categories: Vec<String>,
    /// `browser`: load the page in headless Chromium first
    #[arg(long)]
    pub render: Option<String>,
    /// With --render browser: wait until this CSS selector matches
    #[arg(long)]
    pub wait_for: Option<String>,
    /// An empty answer is normal
    #[arg(long)]
    pub may_be_empty: Option<bool>,
    /// Notes for colleagues
    #[arg(long)]
    pub notes: Option<String>,
    /// The part that matters (CSS selector; JSONPath for json)
    #[arg(long)]
    pub content: Option<String>,
    /// Each entry of the list
    #[arg(long)]
    pub item: Option<String>,
    /// Its title, inside an entry
    #[arg(long)]
    pub item_title: Option<String>,
    /// Its link, inside an entry
    #[arg(long)]
    pub item_link: Option<String>,
    /// A part to leave out (repeat for more)
    #[arg(long)]
    pub exclude: Vec<String>,
    /// A regex of lines that are noise (repeat for more)
    #[arg(long)]
    pub ignore: Vec<String>,
    /// Text that marks a blocked page (repeat for more)
    #[arg(long)]
    pub fail_if: Vec<String>,
    /// Open each new entry's link and read its text
    #[arg(long)]
    pub follow: Option<bool>,
    /// Remove a key (edit): schedule, timezone, extract.item, … (repeat for more)
    #[arg(long, value_name = "FIELD")]
    pub unset: Vec<String>,
}

impl SourceFields {
    /// The draft: `start` (the source as its file says it, for an edit;
    /// the JSON given; or empty) with every given option applied.
    fn apply(&self, mut d: SourceDraft) -> Result<SourceDraft, Failure> {
        let set = |v: &Option<String>, f: &mut String| {
            if let Some(v) = v {
                *f = v.clone();
            }
        };
        let set_opt = |v: &Option<String>, f: &mut Option<String>| {
            if let Some(v) = v {
                *f = Some(v.clone());
            }
        };
        set(&self.id, &mut d.id);
        set(&self.name, &mut d.name);
        set(&self.jurisdiction, &mut d.jurisdiction);
        set(&self.kind, &mut d.kind);
        set(&self.url, &mut d.url);
        set_opt(&self.language, &mut d.language);
        set_opt(&self.schedule, &mut d.schedule);
        set_opt(&self.timezone, &mut d.timezone);
        set_opt(&self.render, &mut d.render);
        set_opt(&self.wait_for, &mut d.wait_for);
        set_opt(&self.notes, &mut d.notes);
        if !self.categories.is_empty() {
            d.categories = self.categories.clone();
        }
        if let Some(b) = self.may_be_empty {
            d.may_be_empty = b;
        }
        let x = &mut d.extract;
        set_opt(&self.content, &mut x.content);
        set_opt(&self.item, &mut x.item);
        set_opt(&self.item_link, &mut x.item_link);
        if let Some(t) = &self.item_title {
            x.item_title = Some(OneOrMany::One(t.clone()));
        }
        if !self.exclude.is_empty() {
            x.exclude = self.exclude.clone();
        }
        if !self.ignore.is_empty() {
            x.ignore = self.ignore.clone();
        }
        if !self.fail_if.is_empty() {
            x.fail_if = self.fail_if.clone();
        }
        if let Some(b) = self.follow {
            x.follow = b;
        }
        for f in &self.unset {
            unset(&mut d, f)?;
        }
        Ok(d)
    }

    fn start(&self) -> Result<Option<SourceDraft>, Failure> {
        let Some(path) = &self.json else {
            return Ok(None);
        };
        let text = if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| usage(format!("cannot read the definition from stdin: {e}")))?;
            s
        } else {
            std::fs::read_to_string(path)
                .map_err(|e| usage(format!("{}: cannot read: {e}", path.display())))?
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            usage(format!(
                "{}: not a source definition: {e} (the keys are those of a [[source]] table, `extract` an object)",
                path.display()
            ))
        })
    }
}

/// Clear one key of a draft (`--unset FIELD`).
fn unset(d: &mut SourceDraft, field: &str) -> Result<(), Failure> {
    let x = &mut d.extract;
    match field {
        "language" => d.language = None,
        "schedule" => d.schedule = None,
        "timezone" => d.timezone = None,
        "categories" => d.categories.clear(),
        "render" => d.render = None,
        "wait_for" => d.wait_for = None,
        "may_be_empty" => d.may_be_empty = false,
        "redirect" => d.redirect = None,
        "notes" => d.notes = None,
        "extract.content" => x.content = None,
        "extract.exclude" => x.exclude.clear(),
        "extract.item" => x.item = None,
        "extract.item_title" => x.item_title = None,
        "extract.item_link" => x.item_link = None,
        "extract.item_text" => x.item_text = None,
        "extract.item_id" => x.item_id = None,
        "extract.ignore" => x.ignore.clear(),
        "extract.follow" => x.follow = false,
        "extract.follow_content" => x.follow_content = None,
        "extract.report" => x.report = None,
        "extract.fail_if" => x.fail_if.clear(),
        other => {
            return Err(usage(format!(
                "--unset {other}: not a key that can be removed (id, name, jurisdiction, kind and url are required; the others: {})",
                crate::sources_edit::field_names()
                    .into_iter()
                    .filter(|f| !["id", "name", "jurisdiction", "kind", "url", "enabled"].contains(&f.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }
    Ok(())
}

fn editor(o: &Offline) -> SourcesEditor {
    SourcesEditor::new(&o.config.sources.dir, o.config.schedule.clone())
}

/// Who writes: the OS user.
fn stamp() -> Stamp {
    let who = ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "cli".to_string());
    Stamp::new(who, Clock::from_env().now())
}

/// An edit error as the CLI says it: a field error is bad usage (2) naming
/// the option; the rest name the file.
fn failure(e: EditError) -> Failure {
    match e {
        EditError::Field { field, message } => usage(format!(
            "--{}: {message} (nothing was written)",
            field.trim_start_matches("extract.").replace('_', "-")
        )),
        EditError::UnknownId { .. } | EditError::Conflict { .. } => usage(e.to_string()),
        EditError::Invalid { .. } => {
            Failure::bad_config(anyhow::anyhow!("{e} (nothing was written)"))
        }
        EditError::Io { .. } => Failure {
            code: 1,
            error: anyhow::anyhow!(e),
        },
    }
}

fn report(w: &Written, fmt: Format) -> Result<u8, Failure> {
    if fmt == Format::Json {
        print_json(&serde_json::json!({
            "id": w.id, "file": w.file.display().to_string(), "action": w.action,
            "written": w.written, "changes": w.changes,
        }))?;
        return Ok(0);
    }
    if !w.written {
        println!(
            "source `{}`: nothing to change in {}",
            w.id,
            w.file.display()
        );
        return Ok(0);
    }
    println!(
        "source `{}`: {} in {}",
        w.id,
        serde_json::to_value(w.action)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        w.file.display()
    );
    for c in &w.changes {
        let show = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(none)".into())
        };
        println!("  {}: {} → {}", c.field, show(&c.old), show(&c.new));
    }
    println!("a running daemon picks this up on reload: `systemctl reload regwatch` (SIGHUP); the web's source pages reload it themselves");
    Ok(0)
}

/// `sources add`
pub fn add(o: &Offline, f: &SourceFields, fmt: Format) -> Result<u8, Failure> {
    let start = f.start()?.unwrap_or_default();
    let draft = f.apply(start)?;
    let cats = super::setup::tagger(&o.config)?.taxonomy.category_names();
    for c in &draft.categories {
        if !cats.contains(&c.to_lowercase()) {
            return Err(usage(format!(
                "--category {c}: not in the taxonomy ({}); nothing was written",
                cats.join(", ")
            )));
        }
    }
    let w = editor(o).add(&draft, &stamp()).map_err(failure)?;
    report(&w, fmt)
}

/// `sources edit ID`: the source as its file says it, with the options applied.
pub fn edit(o: &Offline, id: &str, f: &SourceFields, fmt: Format) -> Result<u8, Failure> {
    let ed = editor(o);
    let found = ed.read(id).map_err(failure)?;
    if f.id.as_deref().is_some_and(|i| i != id) {
        return Err(usage(format!(
            "--id: a source's id never changes (history hangs on it): keep `{id}`, or add a new source"
        )));
    }
    let start = match f.start()? {
        Some(mut d) => {
            d.id = id.to_string();
            d
        }
        None => found.draft.clone(),
    };
    let draft = f.apply(start)?;
    let w = ed
        .edit(id, &draft, Some(&found.draft), &stamp())
        .map_err(failure)?;
    report(&w, fmt)
}

/// `sources pause ID [--reason]`
pub fn pause(o: &Offline, id: &str, reason: Option<&str>, fmt: Format) -> Result<u8, Failure> {
    let w = editor(o).pause(id, reason, &stamp()).map_err(failure)?;
    report(&w, fmt)
}

/// `sources resume ID`
pub fn resume(o: &Offline, id: &str, fmt: Format) -> Result<u8, Failure> {
    let w = editor(o).resume(id, &stamp()).map_err(failure)?;
    report(&w, fmt)
}
