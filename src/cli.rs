//! Commands and output formats (table, JSON, CSV).

use crate::config::{self, Config, ConfigError, Source};
use crate::model::{Case, Change};
use crate::pipeline::{self, App, PollStatus};
use crate::store::{ChangeFilter, Store};
use crate::tagging::Tagger;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "regwatch",
    version,
    about = "Tells trade-compliance teams, before customs does, that a rule changed"
)]
pub struct Cli {
    /// Config file (default: $REGWATCH_CONFIG, then config/regwatch.toml, then /etc/regwatch/regwatch.toml)
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Output format of commands that list things (default: table on a terminal, JSON otherwise)
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Log as JSON lines (for journald / log shippers)
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a working starter config, taxonomy and example sources
    Init { dir: Option<PathBuf> },
    /// The daemon: scheduler, fetch workers, notifier, HTTP server
    Run {
        /// Address to listen on, overriding [server].listen (port 0 picks a free port)
        #[arg(long, env = "REGWATCH_LISTEN")]
        listen: Option<String>,
    },
    /// Poll now (all enabled sources, or the named ones) and record changes
    Poll {
        #[arg(long = "source")]
        sources: Vec<String>,
    },
    /// Sources: list, check, test
    #[command(subcommand)]
    Sources(SourcesCmd),
    /// The change log
    Changes(ChangesArgs),
    /// One change with its diff, tags with evidence and matched cases
    Show { id: i64 },
    /// The pre-quote check: relevant changes for a product and destination
    Check {
        #[arg(long)]
        country: String,
        #[arg(long)]
        hs: Vec<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long, default_value = "90d")]
        since: String,
    },
    /// Classify texts: JSON lines {"title","text","lang"} on stdin, or --text
    Classify {
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        lang: Option<String>,
    },
    /// Open cases: import, list, close
    #[command(subcommand)]
    Cases(CasesCmd),
    /// Field reports: rules seen changing in practice before they are published
    #[command(subcommand)]
    Report(ReportCmd),
    /// Build the digest now
    Digest {
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        preview: bool,
    },
    /// The outbox
    #[command(subcommand)]
    Notify(NotifyCmd),
    /// Database
    #[command(subcommand)]
    Db(DbCmd),
}

#[derive(Subcommand, Debug)]
pub enum SourcesCmd {
    /// Sources with schedule, last poll, next poll and health
    List,
    /// Validate every source and config file without fetching
    Check,
    /// Fetch one source and print what would be extracted, storing nothing
    Test { id: String },
}

#[derive(clap::Args, Debug, Default)]
pub struct ChangesArgs {
    /// 30d, 12h, 2w or a date (2026-01-31)
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long)]
    pub country: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub hs: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long = "case")]
    pub case_id: Option<String>,
    #[arg(long)]
    pub query: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
}

#[derive(Subcommand, Debug)]
pub enum CasesCmd {
    /// Import or update cases from CSV or JSON (idempotent by case id)
    Import {
        file: PathBuf,
        /// Close open cases missing from this (full) export
        #[arg(long)]
        close_missing: bool,
    },
    /// List cases
    List {
        #[arg(long)]
        all: bool,
    },
    /// Close a case
    Close { id: String },
}

#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Record a field report
    Add {
        #[arg(long)]
        country: String,
        #[arg(long)]
        hs: Vec<String>,
        #[arg(long)]
        effective: Option<String>,
        #[arg(long)]
        title: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        category: Vec<String>,
        /// Who saw it (default: $USER)
        #[arg(long)]
        author: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum NotifyCmd {
    /// Deliver what waits in the outbox now
    Retry,
}

#[derive(Subcommand, Debug)]
pub enum DbCmd {
    /// Apply migrations
    Migrate,
    /// Copy every table of the configured store into a new, empty database
    /// (e.g. SQLite to PostgreSQL), keeping ids
    Copy {
        /// Target database: postgres://USER@HOST/DB or sqlite://PATH (migrated first; must be empty)
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// A failure with its exit status: 1 runtime, 2 bad usage or configuration.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        let code = if e.downcast_ref::<ConfigError>().is_some() {
            2
        } else {
            1
        };
        Failure { code, error: e }
    }
}
impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure {
            code: 2,
            error: e.into(),
        }
    }
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        error: anyhow::anyhow!(msg.into()),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_json);
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

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("REGWATCH_LOG")
        .unwrap_or_else(|_| EnvFilter::new("warn,regwatch=info"));
    let json = json
        || std::env::var("REGWATCH_LOG_FORMAT")
            .map(|v| v == "json")
            .unwrap_or(false);
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        let _ = b.json().flatten_event(true).try_init();
    } else {
        let _ = b.with_ansi(std::io::stderr().is_terminal()).try_init();
    }
}

fn load_config(cli: &Cli) -> Result<Config, Failure> {
    let path = config::find_config(cli.config.as_deref())?;
    Ok(Config::load(&path)?)
}

async fn app(cfg: Config) -> Result<App, Failure> {
    let tagger = Tagger::load(&cfg.taxonomy_file()).map_err(|e| Failure { code: 2, error: e })?;
    let store = Store::open(&cfg.storage.url).await?;
    Ok(App::new(cfg, store, tagger)?)
}

fn format(cli: &Cli) -> Format {
    cli.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    })
}

/// `30d`, `12h`, `2w`, `6m` (months) or a date.
pub fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| {
        format!("`{s}` is not a period: write e.g. 30d, 12h, 2w or a date 2026-01-31")
    })?;
    let d = match unit {
        "h" => chrono::Duration::hours(n),
        "d" | "" => chrono::Duration::days(n),
        "w" => chrono::Duration::weeks(n),
        "m" => chrono::Duration::days(30 * n),
        "y" => chrono::Duration::days(365 * n),
        _ => {
            return Err(format!(
                "`{s}` is not a period: write e.g. 30d, 12h, 2w or a date 2026-01-31"
            ))
        }
    };
    Ok(Utc::now() - d)
}

pub fn hs_filter(hs: &[String]) -> Result<Option<Vec<String>>, Failure> {
    if hs.is_empty() {
        return Ok(None);
    }
    let mut out = vec![];
    for h in hs {
        let n = regwatch_classify::normalize_hs(h).ok_or_else(|| {
            usage(format!(
                "--hs `{h}` is not an HS code: write e.g. 8517.62 or 851762"
            ))
        })?;
        out.push(regwatch_classify::hs_digits(&n));
        for eq in regwatch_classify::hs_equivalents(&n) {
            out.push(regwatch_classify::hs_digits(&eq));
        }
    }
    Ok(Some(out))
}

pub fn change_url(base: &str, id: i64) -> String {
    format!("{}/changes/{id}", base.trim_end_matches('/'))
}

pub fn with_urls(cfg: &Config, mut changes: Vec<Change>) -> Vec<Change> {
    for c in &mut changes {
        c.url = change_url(&cfg.server.base_url, c.id);
    }
    changes
}

async fn dispatch(cli: Cli) -> Result<u8, Failure> {
    let fmt = format(&cli);
    match &cli.command {
        Command::Init { dir } => init(dir.as_deref().unwrap_or(Path::new("."))),
        Command::Classify { text, lang } => classify(&cli, text.as_deref(), lang.as_deref()),
        Command::Sources(SourcesCmd::Check) => sources_check(&cli),
        Command::Sources(SourcesCmd::Test { id }) => {
            let cfg = load_config(&cli)?;
            let sources = cfg.load_sources()?;
            let src = find_source(&sources, id)?;
            let fetcher = crate::fetch::Fetcher::new(&cfg.fetch)?;
            let content = pipeline::test_source(&fetcher, src)
                .await
                .map_err(|e| Failure {
                    code: 1,
                    error: anyhow::anyhow!("source `{id}` ({}): {e:#}", src.def.url),
                })?;
            print_content(&content, fmt);
            Ok(0)
        }
        cmd => {
            let cfg = load_config(&cli)?;
            let app = app(cfg).await?;
            with_app(cmd, app, fmt).await
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

async fn with_app(cmd: &Command, app: App, fmt: Format) -> Result<u8, Failure> {
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
            let all = cfg.load_sources()?;
            let chosen: Vec<Source> = if sources.is_empty() {
                all.into_iter().filter(|s| s.def.enabled).collect()
            } else {
                let mut v = vec![];
                for id in sources {
                    v.push(find_source(&all, id)?.clone());
                }
                v
            };
            if chosen.is_empty() {
                return Err(usage(format!(
                    "no enabled source in {}: add one (see `regwatch init`)",
                    cfg.sources.dir.display()
                )));
            }
            let progress = std::io::stderr().is_terminal();
            let results = pipeline::poll_many(&app, chosen, progress).await;
            let _ = crate::notify::deliver_due(&app, false).await;
            let mut ok = 0;
            for r in &results {
                let (status, detail) = match &r.status {
                    PollStatus::Baseline => (
                        "baseline",
                        "first snapshot stored (no changes reported)".to_string(),
                    ),
                    PollStatus::Changed(n) => (
                        "changed",
                        format!(
                            "{n} change(s): {}",
                            r.change_ids
                                .iter()
                                .map(|i| format!("#{i}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    ),
                    PollStatus::Unchanged => ("unchanged", String::new()),
                    PollStatus::NotModified => ("not-modified", "304".to_string()),
                    PollStatus::Failed(e) => ("FAILED", e.clone()),
                };
                if !matches!(r.status, PollStatus::Failed(_)) {
                    ok += 1;
                }
                println!("{:<32} {:<13} {}", r.source, status, detail);
            }
            let changes: usize = results.iter().map(|r| r.change_ids.len()).sum();
            println!(
                "polled {} source(s): {} ok, {} failed, {} change(s) recorded",
                results.len(),
                ok,
                results.len() - ok,
                changes
            );
            Ok(if ok == 0 { 1 } else { 0 })
        }
        Command::Sources(SourcesCmd::List) => {
            let sources = cfg.load_sources()?;
            let health = app.store.health().await?;
            let now = Utc::now();
            let mut rows = vec![];
            for s in &sources {
                let h = health.iter().find(|h| h.id == s.id());
                let next = h
                    .and_then(|h| h.next_poll_at)
                    .or_else(|| s.schedule.next_after(now))
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                let state = match h {
                    None => "never polled".to_string(),
                    Some(h) if h.down => format!("DOWN ({} failures)", h.consecutive_failures),
                    Some(h) if h.consecutive_failures > 0 => {
                        format!("failing ({})", h.consecutive_failures)
                    }
                    Some(_) => "ok".to_string(),
                };
                rows.push(serde_json::json!({
                    "id": s.id(), "jurisdiction": s.def.jurisdiction, "kind": s.def.kind.as_str(),
                    "schedule": format!("{} {}", s.schedule.expr(), s.schedule.timezone()),
                    "enabled": s.def.enabled,
                    "last_poll": h.and_then(|h| h.last_poll_at).map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
                    "last_success": h.and_then(|h| h.last_success_at).map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
                    "next_poll": next, "health": state,
                    "last_error": h.and_then(|h| h.last_error.clone()),
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
            );
            Ok(0)
        }
        Command::Changes(a) => {
            let f = ChangeFilter {
                since: a
                    .since
                    .as_deref()
                    .map(parse_since)
                    .transpose()
                    .map_err(usage)?,
                country: a
                    .country
                    .as_deref()
                    .map(|c| crate::model::Country::parse(c).map(|c| c.to_string()))
                    .transpose()
                    .map_err(usage)?,
                category: a.category.clone(),
                hs: hs_filter(a.hs.as_slice())?,
                source: a.source.clone(),
                case_id: a.case_id.clone(),
                query: a.query.clone(),
                limit: Some(a.limit),
                ..Default::default()
            };
            let changes = with_urls(&cfg, app.store.changes(&f).await?);
            print_changes(&changes, fmt);
            Ok(0)
        }
        Command::Show { id } => {
            let Some(c) = app.store.change(*id).await? else {
                return Err(Failure {
                    code: 1,
                    error: anyhow::anyhow!("no change #{id}"),
                });
            };
            let c = with_urls(&cfg, vec![c]).remove(0);
            if fmt == Format::Json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&c).map_err(anyhow::Error::from)?
                );
            } else {
                print_change_detail(&c);
            }
            Ok(0)
        }
        Command::Check {
            country,
            hs,
            category,
            since,
        } => {
            let report = check(&app, country, hs, category.as_deref(), since).await?;
            if fmt == Format::Json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?
                );
            } else {
                print_check(&report);
            }
            Ok(0)
        }
        Command::Cases(CasesCmd::Import {
            file,
            close_missing,
        }) => cases_import(&app, file, *close_missing).await,
        Command::Cases(CasesCmd::List { all }) => {
            let cases = app
                .store
                .cases(if *all { None } else { Some("open") })
                .await?;
            let rows: Vec<serde_json::Value> = cases
                .iter()
                .map(|c| serde_json::to_value(c).unwrap_or_default())
                .collect();
            print_rows(&rows, &crate::cases::CASE_COLUMNS, fmt);
            Ok(0)
        }
        Command::Cases(CasesCmd::Close { id }) => {
            if app.store.close_case(id).await? {
                println!("case {id} closed");
                Ok(0)
            } else {
                Err(Failure {
                    code: 1,
                    error: anyhow::anyhow!("no case `{id}`"),
                })
            }
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
            let author = author
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown".into());
            let id = add_field_report(
                &app,
                country,
                hs,
                effective.as_deref(),
                title,
                text,
                category,
                &author,
            )
            .await?;
            let _ = crate::notify::deliver_due(&app, false).await;
            println!(
                "field report recorded as change #{id}: {}",
                change_url(&cfg.server.base_url, id)
            );
            Ok(0)
        }
        Command::Digest { channel, preview } => {
            let out = crate::notify::digest_now(&app, channel.as_deref(), *preview).await?;
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

fn redact_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(mut p) if p.password().is_some() => {
            let _ = p.set_password(Some("***"));
            p.to_string()
        }
        _ => u.to_string(),
    }
}

#[derive(serde::Serialize)]
pub struct CheckReport {
    pub country: String,
    pub hs_codes: Vec<String>,
    pub category: Option<String>,
    pub since: DateTime<Utc>,
    /// Changes whose effective date is still ahead, soonest first.
    pub upcoming: Vec<CheckItem>,
    /// Everything relevant, newest first.
    pub changes: Vec<CheckItem>,
}

#[derive(serde::Serialize)]
pub struct CheckItem {
    #[serde(flatten)]
    pub change: Change,
    pub why: String,
}

/// The pre-quote check: changes covering the destination that name an
/// overlapping HS code (heading level or deeper, both HS versions), or, when
/// asked, a category.
pub async fn check(
    app: &App,
    country: &str,
    hs: &[String],
    category: Option<&str>,
    since: &str,
) -> Result<CheckReport, Failure> {
    let dest = crate::model::Country::parse(country).map_err(usage)?;
    if hs.is_empty() && category.is_none() {
        return Err(usage(
            "give --hs CODE (and/or --category C): the check is for a product",
        ));
    }
    let since_t = parse_since(since).map_err(usage)?;
    let mut hs_norm = vec![];
    for h in hs {
        hs_norm.push(
            regwatch_classify::normalize_hs(h)
                .ok_or_else(|| usage(format!("--hs `{h}` is not an HS code")))?,
        );
    }
    let probe = Case {
        id: "check".into(),
        client: String::new(),
        title: String::new(),
        country: dest.to_string(),
        hs_codes: hs_norm.clone(),
        categories: category.map(|c| vec![c.to_lowercase()]).unwrap_or_default(),
        keywords: vec![],
        status: "open".into(),
        link: None,
    };
    // Narrow in SQL by destination and period, then match in Rust with reasons.
    let mut hs_digits_list: Vec<String> = vec![];
    for h in &hs_norm {
        let d = regwatch_classify::hs_digits(h);
        hs_digits_list.push(d[..d.len().min(4)].to_string());
        for e in regwatch_classify::hs_equivalents(h) {
            let d = regwatch_classify::hs_digits(&e);
            hs_digits_list.push(d[..d.len().min(4)].to_string());
        }
    }
    let mut candidates = vec![];
    let base = ChangeFilter {
        since: Some(since_t),
        country: Some(dest.to_string()),
        ..Default::default()
    };
    if !hs_digits_list.is_empty() {
        let f = ChangeFilter {
            hs: Some(hs_digits_list),
            ..base.clone()
        };
        candidates.extend(app.store.changes(&f).await?);
    }
    if let Some(c) = category {
        let f = ChangeFilter {
            category: Some(c.to_lowercase()),
            ..base.clone()
        };
        for ch in app.store.changes(&f).await? {
            if !candidates.iter().any(|x: &Change| x.id == ch.id) {
                candidates.push(ch);
            }
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.id));
    let today = Utc::now().date_naive();
    let mut changes = vec![];
    for ch in with_urls(&app.config, candidates) {
        let tags = crate::store::Tags {
            categories: ch.categories.clone(),
            hs_codes: ch.hs_codes.clone(),
            evidence: vec![],
            effective_date: ch.effective_date,
        };
        if let Some(why) = crate::cases::match_case(&ch.jurisdiction, &tags, "", "", &probe) {
            changes.push(CheckItem { change: ch, why });
        }
    }
    let mut upcoming: Vec<CheckItem> = changes
        .iter()
        .filter(|c| c.change.effective_date.map(|d| d >= today).unwrap_or(false))
        .map(|c| CheckItem {
            change: c.change.clone(),
            why: c.why.clone(),
        })
        .collect();
    upcoming.sort_by_key(|c| c.change.effective_date);
    Ok(CheckReport {
        country: dest.to_string(),
        hs_codes: hs_norm,
        category: category.map(str::to_string),
        since: since_t,
        upcoming,
        changes,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn add_field_report(
    app: &App,
    country: &str,
    hs: &[String],
    effective: Option<&str>,
    title: &str,
    text: &str,
    categories: &[String],
    author: &str,
) -> Result<i64, Failure> {
    let dest = crate::model::Country::parse(country).map_err(usage)?;
    if title.trim().is_empty() {
        return Err(usage("--title is empty: say in a line what changed"));
    }
    let mut tags = app.tagger.tag(title, text, None, categories);
    for h in hs {
        let n = regwatch_classify::normalize_hs(h)
            .ok_or_else(|| usage(format!("--hs `{h}` is not an HS code")))?;
        if !tags.hs_codes.contains(&n) {
            tags.hs_codes.push(n.clone());
        }
        for c in app.tagger.taxonomy.categories_for_hs(&n) {
            if !tags.categories.contains(&c) {
                tags.categories.push(c.clone());
                tags.evidence.push(crate::model::Evidence {
                    category: c,
                    via: "hs".into(),
                    matched: n.clone(),
                });
            }
        }
    }
    if let Some(e) = effective {
        tags.effective_date =
            Some(NaiveDate::parse_from_str(e, "%Y-%m-%d").map_err(|_| {
                usage(format!("--effective `{e}` is not a date: write 2026-12-31"))
            })?);
    }
    let new = crate::model::NewChange {
        kind: crate::model::ChangeKind::Added,
        item_key: None,
        title: crate::normalize::normalize_inline(title),
        link: None,
        excerpt: crate::diff::truncate(&crate::normalize::normalize_text(text), 600),
        diff: crate::diff::unified("", &crate::normalize::normalize_text(text)),
        text: crate::normalize::normalize_text(text),
    };
    let open = app.store.open_cases().await?;
    let cases = crate::cases::match_change(dest.as_str(), &tags, &new.title, &new.text, &open);
    let deliver_to = pipeline::immediate_routes(&app.config.channels, dest.as_str(), &tags, &cases);
    let rec = crate::store::ChangeRecord {
        change: new,
        tags,
        cases,
        deliver_to,
    };
    Ok(app
        .store
        .record_field_report(dest.as_str(), Utc::now(), &rec, author)
        .await?)
}

async fn cases_import(app: &App, file: &Path, close_missing: bool) -> Result<u8, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| usage(format!("{}: cannot read: {e}", file.display())))?;
    let is_json = file.extension().map(|e| e == "json").unwrap_or(false)
        || text.trim_start().starts_with('[');
    let cats = app.tagger.taxonomy.category_names();
    let tax = &app.tagger.taxonomy;
    let (good, bad) = crate::cases::parse_cases(
        &text,
        is_json,
        &cats,
        &|h| tax.categories_for_hs(h),
        &app.config.cases.link,
    )
    .map_err(|e| usage(format!("{}: {e}", file.display())))?;
    let mut updated = 0;
    let mut matched = 0;
    for c in &good {
        if app.store.upsert_case(c).await? {
            updated += 1;
            matched += backmatch_case(app, c).await?;
        }
    }
    let mut closed = 0;
    if close_missing && !bad.is_empty() {
        eprintln!(
            "{}: --close-missing skipped: with bad rows regwatch cannot tell a case missing from the export from one it could not read; fix the rows and import again",
            file.display()
        );
    } else if close_missing {
        for c in app.store.open_cases().await? {
            if !good.iter().any(|g| g.id == c.id) {
                app.store.close_case(&c.id).await?;
                closed += 1;
            }
        }
    }
    for b in &bad {
        eprintln!("{}: {}: {} (row skipped)", file.display(), b.row, b.reason);
    }
    println!(
        "{} case(s) read, {} new or updated, {} unchanged, {} bad row(s), {} closed, {} match(es) with recent changes",
        good.len(),
        updated,
        good.len() - updated,
        bad.len(),
        closed,
        matched
    );
    Ok(if bad.is_empty() { 0 } else { 1 })
}

/// Match a new or updated case against the changes of the last N days.
pub async fn backmatch_case(app: &App, c: &Case) -> anyhow::Result<usize> {
    app.store.clear_case_matches(&c.id).await?;
    if c.status != "open" {
        return Ok(0);
    }
    let since = Utc::now() - chrono::Duration::days(app.config.cases.backmatch_days);
    let f = ChangeFilter {
        since: Some(since),
        country: Some(c.country.clone()),
        ..Default::default()
    };
    let mut matches = vec![];
    for ch in app.store.changes(&f).await? {
        let tags = crate::store::Tags {
            categories: ch.categories.clone(),
            hs_codes: ch.hs_codes.clone(),
            evidence: vec![],
            effective_date: ch.effective_date,
        };
        if let Some(reason) =
            crate::cases::match_case(&ch.jurisdiction, &tags, &ch.title, &ch.excerpt, c)
        {
            matches.push((ch.id, reason));
        }
    }
    app.store.add_case_matches(&c.id, &matches).await
}

fn classify(cli: &Cli, text: Option<&str>, lang: Option<&str>) -> Result<u8, Failure> {
    let tagger = match config::find_config(cli.config.as_deref())
        .ok()
        .and_then(|p| Config::load(&p).ok())
    {
        Some(cfg) => {
            Tagger::load(&cfg.taxonomy_file()).map_err(|e| Failure { code: 2, error: e })?
        }
        None => {
            let local = Path::new("config/taxonomy.toml");
            if local.exists() {
                Tagger::load(local).map_err(|e| Failure { code: 2, error: e })?
            } else {
                Tagger::builtin()
            }
        }
    };
    let out = |title: &str, text: &str, lang: Option<&str>| {
        let c = tagger.taxonomy.classify(&regwatch_classify::Input {
            title,
            text,
            lang,
            hints: &[],
        });
        serde_json::json!({"categories": c.categories, "hs_codes": c.hs_codes, "evidence": c.evidence, "effective_date": c.effective_date})
    };
    if let Some(t) = text {
        println!("{}", out("", t, lang));
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
    let mut stdout = std::io::stdout().lock();
    let mut bad = 0;
    for (i, line) in std::io::BufRead::lines(stdin.lock()).enumerate() {
        let line = line.map_err(anyhow::Error::from)?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<In>(&line) {
            Ok(x) => {
                let body = if x.text.is_empty() { x.summary } else { x.text };
                let _ = writeln!(
                    stdout,
                    "{}",
                    out(&x.title, &body, x.lang.as_deref().or(lang))
                );
            }
            Err(e) => {
                bad += 1;
                eprintln!(
                    "stdin line {}: not a JSON object {{\"title\",\"text\",\"lang\"}}: {e}",
                    i + 1
                );
                let _ = writeln!(stdout, "{}", serde_json::json!({"error": e.to_string()}));
            }
        }
    }
    Ok(if bad > 0 { 1 } else { 0 })
}

fn sources_check(cli: &Cli) -> Result<u8, Failure> {
    let cfg = load_config(cli)?;
    let sources = cfg.load_sources()?;
    let tax = cfg.taxonomy_file();
    let taxonomy = if tax.exists() {
        regwatch_classify::Taxonomy::load(&tax).map_err(|e| Failure {
            code: 2,
            error: anyhow::anyhow!("{e}"),
        })?
    } else {
        eprintln!(
            "warning: {} not found: the built-in taxonomy is used",
            tax.display()
        );
        regwatch_classify::Taxonomy::builtin()
    };
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

// ---------- output ----------

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

fn print_rows(rows: &[serde_json::Value], cols: &[&str], fmt: Format) {
    match fmt {
        Format::Json => println!("{}", serde_json::to_string_pretty(rows).unwrap_or_default()),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            let _ = w.write_record(cols);
            for r in rows {
                let _ = w.write_record(cols.iter().map(|c| cell(&r[*c])));
            }
            let _ = w.flush();
        }
        Format::Table => {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    cols.iter()
                        .map(|c| crate::diff::truncate(&cell(&r[*c]).replace('\n', " "), 60))
                        .collect()
                })
                .collect();
            let mut widths: Vec<usize> = cols.iter().map(|c| c.chars().count()).collect();
            for r in &table {
                for (i, v) in r.iter().enumerate() {
                    widths[i] = widths[i].max(v.chars().count());
                }
            }
            let line = |vals: Vec<String>| {
                vals.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        format!(
                            "{v}{}",
                            " ".repeat(widths[i].saturating_sub(v.chars().count()))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            println!("{}", line(cols.iter().map(|c| c.to_uppercase()).collect()));
            for r in table {
                println!("{}", line(r));
            }
        }
    }
}

fn print_changes(changes: &[Change], fmt: Format) {
    if fmt == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(changes).unwrap_or_default()
        );
        return;
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
    print_rows(&rows, cols, fmt);
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

fn print_check(r: &CheckReport) {
    println!(
        "Pre-quote check: HS {} into {} since {}{}",
        if r.hs_codes.is_empty() {
            "-".into()
        } else {
            r.hs_codes.join(", ")
        },
        r.country,
        r.since.format("%Y-%m-%d"),
        r.category
            .as_deref()
            .map(|c| format!(", category {c}"))
            .unwrap_or_default()
    );
    if r.changes.is_empty() {
        println!("No recorded change matches. (Only sources regwatch watches are covered; see `regwatch sources list`.)");
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
    println!("\nAll relevant changes, newest first:");
    for c in &r.changes {
        println!(
            "  {}  #{} [{}] {}{}\n      why: {}\n      {}",
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

fn print_content(c: &crate::model::Content, fmt: Format) {
    if fmt == Format::Json {
        println!("{}", serde_json::to_string_pretty(c).unwrap_or_default());
        return;
    }
    match c {
        crate::model::Content::Items { items } => {
            println!("{} item(s):", items.len());
            for (i, it) in items.iter().enumerate() {
                println!("{:>3}. {}", i + 1, it.title);
                if let Some(l) = &it.link {
                    println!("     link: {l}");
                }
                let text = crate::diff::truncate(&it.text.replace('\n', " / "), 200);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let now = Utc::now();
        let t = parse_since("30d").unwrap();
        assert!((now - t).num_days() == 30 || (now - t).num_days() == 29);
        assert_eq!(
            parse_since("2026-01-31").unwrap().to_rfc3339(),
            "2026-01-31T00:00:00+00:00"
        );
        assert!(parse_since("lately").is_err());
    }
}
