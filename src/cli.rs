//! Commands and output formats (table, JSON, CSV).

use crate::app::App;
use crate::classify::Tagger;
use crate::config::{self, Config, ConfigError, Source};
use crate::model::{Change, PollStatus};
use crate::poll;
use crate::services::changes::ChangeQuery;
use crate::services::check::{CheckQuery, CheckReport};
use crate::services::reports::FieldReport;
use crate::services::{self, ServiceError};
use crate::store::Store;
use crate::util::redact_url;
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

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

/// Bad input is bad usage (2); a missing thing or a failure is a runtime failure (1).
impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        let code = match e {
            ServiceError::Invalid(_) => 2,
            ServiceError::NotFound(_) | ServiceError::Internal(_) => 1,
        };
        Failure {
            code,
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

fn tagger(cfg: &Config) -> Result<Tagger, Failure> {
    Tagger::for_config(cfg).map_err(|e| Failure {
        code: 2,
        error: e.into(),
    })
}

async fn app(cfg: Config) -> Result<App, Failure> {
    let tagger = tagger(&cfg)?;
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
            let content = poll::test_source(&fetcher, src)
                .await
                .map_err(|e| Failure {
                    code: 1,
                    error: anyhow::anyhow!(
                        "source `{id}` ({}): {e:#}",
                        crate::util::redact(&src.def.url)
                    ),
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
                crate::server::router,
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
            let results = poll::poll_many(&app, chosen, progress).await;
            hand_to_outbox(&app).await;
            let mut ok = 0;
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
                };
                let status = r.status.name();
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
            let now = Utc::now();
            let minute = |t: Option<chrono::DateTime<Utc>>| {
                t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            };
            let mut rows = vec![];
            for (r, s) in services::sources::rows(&app, &sources)
                .await?
                .into_iter()
                .zip(&sources)
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
            );
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
            let changes = services::changes::list(&app, &q.filter()?).await?;
            print_changes(&changes, fmt);
            Ok(0)
        }
        Command::Show { id } => {
            let c = services::changes::one(&app, *id).await?;
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
            let q = CheckQuery {
                country: country.clone(),
                hs: hs.clone(),
                category: category.clone(),
                since: Some(since.clone()),
            };
            let report = services::check::check(&app, &q).await?;
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
            let cases = services::cases::list(&app, *all).await?;
            let rows: Vec<serde_json::Value> = cases
                .iter()
                .map(|c| serde_json::to_value(c).unwrap_or_default())
                .collect();
            print_rows(&rows, &services::cases::CASE_COLUMNS, fmt);
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
    let text = std::fs::read_to_string(file)
        .map_err(|e| usage(format!("{}: cannot read: {e}", file.display())))?;
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
        None => Tagger::load(Path::new("config/taxonomy.toml")).map_err(|e| Failure {
            code: 2,
            error: e.into(),
        })?,
    };
    let out = |title: &str, text: &str, lang: Option<&str>| {
        let c = tagger.taxonomy.classify(&regwatch_classify::Input {
            title,
            text,
            lang,
            hints: &[],
            ..Default::default()
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
                        .map(|c| crate::util::truncate(&cell(&r[*c]).replace('\n', " "), 60))
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
}
