//! Commands and output formats (table, JSON, CSV).

mod args;
mod failure;
mod logging;
mod output;

use args::{CasesCmd, DbCmd, NotifyCmd, ReportCmd, SourcesCmd};
pub use args::{Cli, Command};
use logging::set_progress;

use failure::usage;
pub use failure::Failure;
pub use output::Format;
use output::{print_csv, print_json, print_json_line, print_rows, JsonLines};

use crate::app::App;
use crate::classify::Tagger;
use crate::config::{self, Config, Source};
use crate::model::{Change, PollStatus};
use crate::poll;
use crate::services::changes::ChangeQuery;
use crate::services::check::{CheckQuery, CheckReport};
use crate::services::reports::FieldReport;
use crate::services::{self, ServiceError};
use crate::store::Store;
use crate::util::redact_url;
use chrono::Utc;
use clap::Parser;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli);
    // The daemon spends its life waiting: two workers are plenty and keep RSS low
    // (parsing runs on the blocking pool).
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if matches!(cli.command, Command::Run { .. }) {
        builder.worker_threads(2).max_blocking_threads(8);
    }
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

fn load_config(cli: &Cli) -> Result<Config, Failure> {
    let path = config::find_config(cli.config.as_deref())?;
    Ok(Config::load(&path)?)
}

fn tagger(cfg: &Config) -> Result<Tagger, Failure> {
    Tagger::for_config(cfg).map_err(Failure::bad_config)
}

async fn app(cfg: Config) -> Result<App, Failure> {
    let tagger = tagger(&cfg)?;
    let store = Store::open(&cfg.storage.url).await?;
    Ok(App::new(cfg, store, tagger)?)
}

async fn dispatch(cli: Cli) -> Result<u8, Failure> {
    let fmt = Format::resolve(cli.format);
    match &cli.command {
        Command::Init { dir } => init(dir.as_deref().unwrap_or(Path::new("."))),
        Command::Classify { text, lang } => classify(&cli, text.as_deref(), lang.as_deref()),
        Command::Sources(SourcesCmd::Check) => sources_check(&cli),
        Command::Sources(SourcesCmd::Test { id }) => {
            let cfg = load_config(&cli)?;
            let sources = cfg.load_sources()?;
            let src = find_source(&sources, id)?;
            let fetcher = crate::fetch::Fetcher::new(&cfg.fetch)?;
            let content = poll::test_source(&fetcher, src, crate::clock::Clock::from_env().now())
                .await
                .map_err(|e| Failure {
                    code: 1,
                    error: anyhow::anyhow!(
                        "source `{id}` ({}): {e:#}",
                        crate::util::redact(&src.def.url)
                    ),
                })?;
            if src.def.render.is_some() && fmt != Format::Json && fmt != Format::Csv {
                println!(
                    "rendered in the browser ([fetch].browser = \"{}\"), the DOM after its scripts ran:",
                    cfg.fetch.browser
                );
            }
            print_content(&content, fmt)?;
            Ok(0)
        }
        cmd => {
            let cfg = load_config(&cli)?;
            let app = app(cfg).await?;
            with_app(cmd, app, fmt, cli.format).await
        }
    }
}

fn find_source<'a>(sources: &'a [Source], id: &str) -> Result<&'a Source, Failure> {
    sources.iter().find(|s| s.id() == id).ok_or_else(|| {
        let ids: Vec<&str> = sources.iter().map(|s| s.id()).collect();
        usage(format!(
            "no source `{id}`: known ids are {}",
            ids.join(", ")
        ))
    })
}

async fn with_app(
    cmd: &Command,
    app: App,
    fmt: Format,
    cli_format: Option<Format>,
) -> Result<u8, Failure> {
    let cfg = app.config.clone();
    match cmd {
        Command::Run { listen } => {
            let path = cfg.path.clone();
            crate::daemon::run(
                app,
                path,
                crate::daemon::RunOptions {
                    listen: listen.clone(),
                },
            )
            .await?;
            Ok(0)
        }
        Command::Db(DbCmd::Migrate) => {
            app.store.migrate().await?;
            println!("migrations applied to {}", redact_url(&cfg.storage.url));
            Ok(0)
        }
        Command::Db(DbCmd::Copy { to }) => {
            use anyhow::Context as _;
            let target = Store::open(to)
                .await
                .with_context(|| format!("opening the target database {}", redact_url(to)))?;
            let counts = app.store.copy_to(&target).await.with_context(|| {
                format!(
                    "copying {} to {}",
                    redact_url(&cfg.storage.url),
                    redact_url(to)
                )
            })?;
            target.close().await;
            let total: u64 = counts.iter().map(|c| c.1).sum();
            for (table, n) in &counts {
                println!("{table:<18} {n:>9}");
            }
            println!(
                "copied {total} rows from {} to {}",
                redact_url(&cfg.storage.url),
                redact_url(to)
            );
            Ok(0)
        }
        Command::Poll { sources } => {
            let all = app.sources.all();
            let chosen: Vec<Source> = if sources.is_empty() {
                app.sources.enabled().cloned().collect()
            } else {
                let mut v = vec![];
                for id in sources {
                    v.push(find_source(all, id)?.clone());
                }
                v
            };
            if chosen.is_empty() {
                return Err(usage(format!(
                    "no enabled source in {}: add one (see `regwatch init`)",
                    cfg.sources.dir.display()
                )));
            }
            let bar = std::io::stderr().is_terminal().then(|| {
                let b = indicatif::ProgressBar::new(chosen.len() as u64);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "  polling {pos}/{len} {wide_bar} {elapsed}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                set_progress(Some(b.clone()));
                b
            });
            let results = poll::poll_many(&app, chosen, |done, _| {
                if let Some(b) = &bar {
                    b.set_position(done as u64);
                }
            })
            .await;
            if let Some(b) = bar {
                b.finish_and_clear();
                set_progress(None);
            }
            hand_to_outbox(&app).await;
            let mut ok = 0;
            let mut rows = vec![];
            for r in &results {
                let detail = match &r.status {
                    PollStatus::Baseline => {
                        "first snapshot stored (no changes reported)".to_string()
                    }
                    PollStatus::Changed(n) => format!(
                        "{n} change(s): {}",
                        r.change_ids
                            .iter()
                            .map(|i| format!("#{i}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                    PollStatus::Unchanged => String::new(),
                    PollStatus::NotModified => "304".to_string(),
                    PollStatus::Failed(e) => e.clone(),
                    PollStatus::Suspect(w) => w.clone(),
                };
                if !matches!(r.status, PollStatus::Failed(_)) {
                    ok += 1;
                }
                rows.push(serde_json::json!({
                    "source": r.source, "outcome": r.status.name(), "changes": r.change_ids,
                    "detail": detail, "elapsed_ms": r.elapsed_ms,
                }));
            }
            let changes: usize = results.iter().map(|r| r.change_ids.len()).sum();
            let summary = format!(
                "polled {} source(s): {} ok, {} failed, {} change(s) recorded",
                results.len(),
                ok,
                results.len() - ok,
                changes
            );
            // The summary is for people unless a format is asked for.
            match cli_format {
                Some(Format::Json) => print_json_line(
                    &serde_json::json!({"sources": rows, "polled": results.len(), "ok": ok,
                        "failed": results.len() - ok, "changes": changes}),
                ),
                Some(Format::Csv) => print_csv(
                    &rows,
                    &["source", "outcome", "changes", "detail", "elapsed_ms"],
                ),
                _ => {
                    for r in &rows {
                        println!(
                            "{:<32} {:<13} {}",
                            r["source"].as_str().unwrap_or(""),
                            r["outcome"].as_str().unwrap_or(""),
                            r["detail"].as_str().unwrap_or("")
                        );
                    }
                    println!("{summary}");
                }
            }
            Ok(if ok == 0 { 1 } else { 0 })
        }
        Command::Sources(SourcesCmd::List) => {
            let sources = app.sources.all();
            let now = app.now();
            let minute = |t: Option<chrono::DateTime<Utc>>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            };
            let mut rows = vec![];
            for (r, s) in services::sources::rows(&app)
                .await?
                .into_iter()
                .zip(sources)
            {
                let health = if r.consecutive_failures > 0 {
                    format!("{} ({} failures)", r.health.label(), r.consecutive_failures)
                } else {
                    r.health.label().to_string()
                };
                rows.push(serde_json::json!({
                    "id": r.id, "jurisdiction": r.jurisdiction, "kind": r.kind,
                    "schedule": format!("{} {}", r.schedule, r.timezone),
                    "enabled": r.enabled,
                    "last_poll": minute(r.last_poll),
                    "last_success": minute(r.last_success),
                    "next_poll": minute(r.next_poll.or_else(|| s.schedule.next_after(now))),
                    "health": health,
                    "last_error": r.last_error,
                }));
            }
            print_rows(
                &rows,
                &[
                    "id",
                    "jurisdiction",
                    "kind",
                    "schedule",
                    "last_poll",
                    "next_poll",
                    "health",
                    "last_error",
                ],
                fmt,
            )?;
            Ok(0)
        }
        Command::Changes(a) => {
            let q = ChangeQuery {
                since: a.since.clone(),
                country: a.country.clone(),
                category: a.category.clone(),
                // `--hs 8517.62,8471.30` as the API's `hs=` takes it.
                hs: a
                    .hs
                    .iter()
                    .flat_map(|h| h.split([',', ' ']))
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_string)
                    .collect(),
                source: a.source.clone(),
                case_id: a.case_id.clone(),
                query: a.query.clone(),
                limit: Some(a.limit),
                cursor: None,
            };
            let changes = services::changes::list_checked(&app, &q.checked(&app)?).await?;
            print_changes(&changes, fmt)?;
            Ok(0)
        }
        Command::Show { id } => {
            let c = services::changes::one(&app, *id).await?;
            match fmt {
                Format::Json => print_json(&c)?,
                Format::Csv => print_changes(std::slice::from_ref(&c), Format::Csv)?,
                Format::Table => print_change_detail(&c),
            }
            Ok(0)
        }
        Command::Check {
            country,
            hs,
            category,
            since,
        } => {
            let q = CheckQuery {
                country: country.clone(),
                hs: hs.clone(),
                category: category.clone(),
                since: Some(since.clone()),
            };
            let report = services::check::check(&app, &q).await?;
            match fmt {
                Format::Json => print_json(&report)?,
                Format::Csv => {
                    let rows: Vec<serde_json::Value> = report
                        .changes
                        .iter()
                        .map(|c| serde_json::json!({
                            "id": c.change.id, "detected": c.change.detected_at.format("%Y-%m-%d %H:%M").to_string(),
                            "country": c.change.jurisdiction, "source": c.change.source, "title": c.change.title,
                            "effective": c.change.effective_date.map(|d| d.to_string()),
                            "strength": c.strength.as_str(), "why": c.why, "url": c.change.url,
                        }))
                        .collect();
                    print_csv(
                        &rows,
                        &[
                            "id",
                            "detected",
                            "country",
                            "source",
                            "title",
                            "effective",
                            "strength",
                            "why",
                            "url",
                        ],
                    );
                }
                Format::Table => print_check(&report),
            }
            // Never an all-clear when nothing could be checked.
            if report.coverage.blind() {
                if fmt != Format::Table {
                    eprintln!("{}", report.coverage.summary());
                }
                return Ok(1);
            }
            Ok(0)
        }
        Command::Cases(CasesCmd::Import {
            file,
            close_missing,
        }) => cases_import(&app, file, *close_missing).await,
        Command::Cases(CasesCmd::List { all }) => {
            let cases = services::cases::list(&app, *all).await?;
            let rows: Vec<serde_json::Value> = cases
                .iter()
                .map(|c| serde_json::to_value(c).unwrap_or_default())
                .collect();
            print_rows(&rows, &services::cases::CASE_COLUMNS, fmt)?;
            Ok(0)
        }
        Command::Review {
            id,
            state,
            note,
            by,
        } => {
            let by = by
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_default();
            let c = services::reviews::mark(&app, *id, state, &by, note.as_deref()).await?;
            match fmt {
                Format::Json => print_json(&c.review)?,
                _ => println!(
                    "change #{id} marked {} by {} at {}{}",
                    c.review.state,
                    c.review.by.as_deref().unwrap_or("-"),
                    c.review.at.as_deref().unwrap_or("-"),
                    c.review
                        .note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ),
            }
            Ok(0)
        }
        Command::Cases(CasesCmd::Close { id }) => {
            services::cases::close(&app, id).await?;
            println!("case {id} closed");
            Ok(0)
        }
        Command::Report(ReportCmd::Add {
            country,
            hs,
            effective,
            title,
            text,
            category,
            author,
        }) => {
            let report = FieldReport {
                country: country.clone(),
                hs: hs.clone(),
                effective: effective.clone(),
                title: title.clone(),
                text: text.clone(),
                categories: category.clone(),
                author: author.clone().or_else(|| std::env::var("USER").ok()),
            };
            let id = services::reports::add(&app, &report).await?;
            hand_to_outbox(&app).await;
            println!(
                "field report recorded as change #{id}: {}",
                cfg.server.change_url(id)
            );
            Ok(0)
        }
        Command::Digest {
            channel,
            preview,
            output,
        } => {
            if let Some(dir) = output {
                std::fs::create_dir_all(dir).map_err(|e| {
                    usage(format!("--output {}: cannot create it: {e}", dir.display()))
                })?;
            }
            let out =
                crate::notify::digest_now(&app, channel.as_deref(), *preview, output.as_deref())
                    .await?;
            println!("{out}");
            Ok(0)
        }
        Command::Notify(NotifyCmd::Retry) => {
            let r = crate::notify::deliver_due(&app, true).await?;
            println!("delivered {}", r.delivered);
            for (id, ch, e) in &r.failed {
                println!("failed    #{id} to {ch}: {e}");
            }
            for d in &r.waiting {
                println!(
                    "waiting   #{} {} to {} (attempts {}, last error: {})",
                    d.id,
                    d.kind,
                    d.channel,
                    d.attempts,
                    d.last_error.as_deref().unwrap_or("-")
                );
            }
            Ok(if r.failed.is_empty() { 0 } else { 1 })
        }
        Command::Init { .. } | Command::Classify { .. } | Command::Sources(_) => {
            unreachable!("handled before the store is opened")
        }
    }
}

/// How long `poll` and `report` wait for their alerts to go out.
pub const DELIVERY_WAIT: Duration = Duration::from_secs(5);

/// Send what is due, waiting at most [`DELIVERY_WAIT`]; what is not sent by
/// then stays queued for the daemon or `regwatch notify retry`, and we say so.
async fn hand_to_outbox(app: &App) {
    match crate::notify::deliver_due_within(app, DELIVERY_WAIT).await {
        Ok(Some(r)) => {
            for (id, ch, e) in &r.failed {
                eprintln!("alert #{id} to {ch} failed: {e} (it is retried later)");
            }
        }
        Ok(None) => eprintln!(
            "alerts still sending after {}s: the rest stay queued for the daemon (`regwatch run`) or `regwatch notify retry`",
            DELIVERY_WAIT.as_secs()
        ),
        Err(e) => eprintln!("alerts stay queued: the outbox could not be read ({e:#})"),
    }
}

async fn cases_import(app: &App, file: &Path, close_missing: bool) -> Result<u8, Failure> {
    let bytes =
        std::fs::read(file).map_err(|e| usage(format!("{}: cannot read: {e}", file.display())))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let col = at - before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        usage(format!(
            "{}:{line}: column {col}: not UTF-8 text (byte 0x{:02X}): save the export as UTF-8 (in Excel: \"CSV UTF-8\"; in LibreOffice: character set Unicode (UTF-8)) and import again",
            file.display(),
            e.as_bytes()[at]
        ))
    })?;
    let is_json =
        file.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('[');
    let r = services::cases::import(app, &text, is_json, close_missing)
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(m) => usage(format!("{}: {m}", file.display())),
            e => e.into(),
        })?;
    if r.close_refused {
        eprintln!(
            "{}: --close-missing skipped: with bad rows regwatch cannot tell a case missing from the export from one it could not read; fix the rows and import again",
            file.display()
        );
    }
    for b in &r.bad {
        eprintln!("{}: {}: {} (row skipped)", file.display(), b.row, b.reason);
    }
    println!(
        "{} case(s) read, {} new or updated, {} unchanged, {} bad row(s), {} closed, {} match(es) with recent changes",
        r.read,
        r.updated.len(),
        r.read - r.updated.len(),
        r.bad.len(),
        r.closed,
        r.matched
    );
    Ok(if r.bad.is_empty() { 0 } else { 1 })
}

fn classify(cli: &Cli, text: Option<&str>, lang: Option<&str>) -> Result<u8, Failure> {
    let tagger = match config::find_config(cli.config.as_deref())
        .ok()
        .and_then(|p| Config::load(&p).ok())
    {
        Some(cfg) => tagger(&cfg)?,
        None => Tagger::load(Path::new("config/taxonomy.toml")).map_err(Failure::bad_config)?,
    };
    let out = |title: &str, text: &str, lang: Option<&str>| {
        let c = tagger.taxonomy.classify(&regwatch_classify::Input {
            title,
            text,
            lang,
            hints: &[],
            ..Default::default()
        });
        serde_json::json!({"categories": c.categories, "hs_codes": c.hs_codes, "evidence": c.evidence,
            "effective_date": c.effective_date, "deadline": c.deadline,
            "excluded_hs_codes": c.excluded_hs_codes, "chapters": c.chapters})
    };
    // JSON lines unless a table or CSV is asked for.
    let cols = [
        "categories",
        "hs_codes",
        "effective_date",
        "deadline",
        "evidence",
    ];
    let evidence_cell = |v: &mut serde_json::Value| {
        let e: Vec<String> = v["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                format!(
                    "{} via {}: {}",
                    e["category"].as_str().unwrap_or(""),
                    e["via"].as_str().unwrap_or(""),
                    e["match"].as_str().unwrap_or("")
                )
            })
            .collect();
        v["evidence"] = serde_json::json!(e);
    };
    if let Some(t) = text {
        let mut v = out("", t, lang);
        match cli.format {
            Some(f @ (Format::Table | Format::Csv)) => {
                evidence_cell(&mut v);
                print_rows(&[v], &cols, f)?;
            }
            _ => print_json_line(&v),
        }
        return Ok(0);
    }
    #[derive(serde::Deserialize)]
    struct In {
        #[serde(default)]
        title: String,
        #[serde(default)]
        text: String,
        #[serde(default)]
        summary: String,
        #[serde(default)]
        lang: Option<String>,
    }
    let stdin = std::io::stdin();
    let mut stdout = JsonLines::stdout();
    let mut bad = 0;
    let table = matches!(cli.format, Some(Format::Table | Format::Csv));
    let mut rows = vec![];
    for (i, line) in std::io::BufRead::lines(stdin.lock()).enumerate() {
        let line = line.map_err(anyhow::Error::from)?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<In>(&line) {
            Ok(x) => {
                let body = if x.text.is_empty() { x.summary } else { x.text };
                let mut v = out(&x.title, &body, x.lang.as_deref().or(lang));
                if table {
                    evidence_cell(&mut v);
                    rows.push(v);
                } else {
                    stdout.write(&v);
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!(
                    "stdin line {}: not a JSON object {{\"title\",\"text\",\"lang\"}}: {e}",
                    i + 1
                );
                if !table {
                    stdout.write(&serde_json::json!({"error": e.to_string()}));
                }
            }
        }
    }
    drop(stdout);
    if let Some(f @ (Format::Table | Format::Csv)) = cli.format {
        print_rows(&rows, &cols, f)?;
    }
    Ok(if bad > 0 { 1 } else { 0 })
}

fn sources_check(cli: &Cli) -> Result<u8, Failure> {
    let cfg = load_config(cli)?;
    let sources = cfg.load_sources()?;
    let tax = cfg.taxonomy_file();
    if !tax.exists() {
        eprintln!(
            "warning: {} not found: the built-in taxonomy is used",
            tax.display()
        );
    }
    let taxonomy = tagger(&cfg)?.taxonomy;
    let cats = taxonomy.category_names();
    for s in &sources {
        for c in &s.def.categories {
            if !cats.contains(&c.to_lowercase()) {
                return Err(usage(format!(
                    "{}: source `{}`: category `{c}` is not in the taxonomy ({})",
                    s.file.display(),
                    s.id(),
                    cats.join(", ")
                )));
            }
        }
    }
    for ch in &cfg.channels {
        for c in &ch.filter.categories {
            if !cats.contains(&c.to_lowercase()) {
                return Err(usage(format!(
                    "{}: channel `{}`: filter category `{c}` is not in the taxonomy",
                    cfg.path.display(),
                    ch.name
                )));
            }
        }
    }
    if cfg.fetch.user_agent.contains("compliance@example.com") {
        eprintln!(
            "warning: {}: [fetch].user_agent still names compliance@example.com: say who you are (a team address), as authorities block anonymous or fake robots",
            cfg.path.display()
        );
    }
    for (key, why) in &cfg.unresolved {
        eprintln!(
            "warning: {}: `{key}` has no value ({why}): what needs it (a channel's sends, API writes) fails until it is set",
            cfg.path.display()
        );
    }
    for key in &cfg.plain_secrets {
        eprintln!(
            "warning: {}: `{key}` is a secret written in the file: prefer `{key}_env` (an environment variable) or `{key}_file` (a systemd credential)",
            cfg.path.display()
        );
    }
    let enabled = sources.iter().filter(|s| s.def.enabled).count();
    let mut by: std::collections::BTreeMap<String, usize> = Default::default();
    for s in &sources {
        *by.entry(s.def.jurisdiction.to_string()).or_default() += 1;
    }
    let per: Vec<String> = by.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "ok: {} and {} source(s) in {} ({} enabled; {}), taxonomy with {} categories, {} channel(s)",
        cfg.path.display(),
        sources.len(),
        cfg.sources.dir.display(),
        enabled,
        per.join(", "),
        cats.len(),
        cfg.channels.len()
    );
    Ok(0)
}

fn init(dir: &Path) -> Result<u8, Failure> {
    let files: [(&str, &str); 3] = [
        ("config/regwatch.toml", crate::starter::CONFIG),
        (
            "config/taxonomy.toml",
            regwatch_classify::Taxonomy::builtin_source(),
        ),
        ("sources/example.toml", crate::starter::SOURCES),
    ];
    for (rel, _) in &files {
        let p = dir.join(rel);
        if p.exists() {
            return Err(usage(format!(
                "{} already exists: init writes only into an empty folder",
                p.display()
            )));
        }
    }
    for (rel, body) in &files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&p, body)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
        println!("wrote {}", p.display());
    }
    println!("next: `regwatch sources check`, then `regwatch poll`, then `regwatch changes`");
    Ok(0)
}

fn print_changes(changes: &[Change], fmt: Format) -> Result<(), Failure> {
    if fmt == Format::Json {
        return print_json(changes);
    }
    let rows: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id, "detected": c.detected_at.format("%Y-%m-%d %H:%M").to_string(), "source": c.source,
                "country": c.jurisdiction, "kind": c.kind.as_str(), "title": c.title,
                "categories": c.categories, "hs_codes": c.hs_codes,
                "effective": c.effective_date.map(|d| d.to_string()),
                "cases": c.cases.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), "link": c.link, "url": c.url,
            })
        })
        .collect();
    let cols: &[&str] = if fmt == Format::Csv {
        &[
            "id",
            "detected",
            "source",
            "country",
            "kind",
            "title",
            "categories",
            "hs_codes",
            "effective",
            "cases",
            "link",
            "url",
        ]
    } else {
        &[
            "id",
            "detected",
            "country",
            "source",
            "kind",
            "title",
            "categories",
            "hs_codes",
            "cases",
        ]
    };
    print_rows(&rows, cols, fmt)
}

fn print_change_detail(c: &Change) {
    println!(
        "#{} {} [{}] {}",
        c.id,
        c.kind.as_str(),
        c.jurisdiction,
        c.title
    );
    println!("source:    {}", c.source);
    println!("detected:  {}", c.detected_at.to_rfc3339());
    if let Some(d) = c.effective_date {
        println!("effective: {d}");
    }
    if let Some(l) = &c.link {
        println!("link:      {l}");
    }
    println!("page:      {}", c.url);
    if let Some(a) = &c.author {
        println!("reported by: {a}");
    }
    println!(
        "categories: {}",
        if c.categories.is_empty() {
            "-".into()
        } else {
            c.categories.join(", ")
        }
    );
    println!(
        "hs codes:   {}",
        if c.hs_codes.is_empty() {
            "-".into()
        } else {
            c.hs_codes.join(", ")
        }
    );
    for e in &c.evidence {
        println!(
            "  evidence: {} via {}: \"{}\"",
            e.category, e.via, e.matched
        );
    }
    for m in &c.cases {
        println!(
            "  case {}: {}{}",
            m.id,
            m.reason,
            m.link
                .as_deref()
                .map(|l| format!(" <{l}>"))
                .unwrap_or_default()
        );
    }
    println!("\n{}", c.diff);
}

fn print_coverage(c: &crate::services::sources::Coverage) {
    println!("Coverage: {}", c.summary());
    let since = |t: Option<chrono::DateTime<Utc>>| match t {
        Some(t) => format!("since {}", t.format("%Y-%m-%d %H:%M UTC")),
        None => "never polled successfully".to_string(),
    };
    for g in &c.failing {
        println!(
            "  FAILING {} {}: {}",
            g.id,
            since(g.since),
            crate::util::truncate(g.error.as_deref().unwrap_or("unknown error"), 200)
        );
    }
    for g in &c.stale {
        println!(
            "  STALE   {} {}",
            g.id,
            match g.since {
                Some(t) => format!("last success {}", t.format("%Y-%m-%d %H:%M UTC")),
                None => "never polled successfully".to_string(),
            }
        );
    }
}

fn print_check(r: &CheckReport) {
    println!(
        "Pre-quote check: HS {} into {} since {}{}",
        if r.hs_codes.is_empty() {
            "-".into()
        } else {
            r.hs_codes
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
        r.country,
        r.since.format("%Y-%m-%d"),
        r.category
            .as_deref()
            .map(|c| format!(", category {c}"))
            .unwrap_or_default()
    );
    print_coverage(&r.coverage);
    if r.changes.is_empty() {
        if r.coverage.blind() {
            println!("\nNo recorded change matches, but nothing could be checked: see the sources above.");
        } else if !r.coverage.failing.is_empty() || !r.coverage.stale.is_empty() {
            println!("\nNo recorded change matches in the sources that answered; the failing and stale ones above may hold some.");
        } else {
            println!("\nNo recorded change matches. (Only sources regwatch watches are covered; see `regwatch sources list`.)");
        }
        return;
    }
    if !r.upcoming.is_empty() {
        println!("\nTaking effect soon:");
        for c in &r.upcoming {
            println!(
                "  {}  #{} [{}] {}\n      why: {}",
                c.change
                    .effective_date
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                c.change.id,
                c.change.jurisdiction,
                c.change.title,
                c.why
            );
        }
    }
    println!("\nAll relevant changes, most urgent first:");
    for c in &r.changes {
        let urgent = if c.change.urgency_reasons.is_empty() {
            String::new()
        } else {
            format!("\n      urgent: {}", c.change.urgency_reasons.join("; "))
        };
        println!(
            "  {:<6}  {}  #{} [{}] {}{}{urgent}\n      why: {}\n      {}",
            c.change.urgency.as_str().to_uppercase(),
            c.change.detected_at.format("%Y-%m-%d"),
            c.change.id,
            c.change.source,
            c.change.title,
            c.change
                .effective_date
                .map(|d| format!(" (effective {d})"))
                .unwrap_or_default(),
            c.why,
            c.change.url
        );
    }
}

fn print_content(c: &crate::model::Content, fmt: Format) -> Result<(), Failure> {
    if fmt == Format::Json {
        return print_json(c);
    }
    if fmt == Format::Csv {
        let rows: Vec<serde_json::Value> = match c {
            crate::model::Content::Items { items } => items
                .iter()
                .map(|it| serde_json::json!({"key": it.key, "title": it.title, "link": it.link, "text": it.text}))
                .collect(),
            crate::model::Content::Text { text } => vec![serde_json::json!({"text": text})],
        };
        print_csv(&rows, &["key", "title", "link", "text"]);
        return Ok(());
    }
    match c {
        crate::model::Content::Items { items } => {
            println!("{} item(s):", items.len());
            for (i, it) in items.iter().enumerate() {
                println!("{:>3}. {}", i + 1, it.title);
                if let Some(l) = &it.link {
                    println!("     link: {l}");
                }
                let text = crate::util::truncate(&it.text.replace('\n', " / "), 200);
                if !text.is_empty() && text != it.title {
                    println!("     text: {text}");
                }
                println!("     key:  {}", it.key);
            }
        }
        crate::model::Content::Text { text } => {
            println!(
                "text block ({} characters):\n{}",
                text.chars().count(),
                text
            );
        }
    }
    Ok(())
}
