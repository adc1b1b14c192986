//! The command line as clap reads it: the global options, the commands and
//! their arguments. What a command does is in its own file; this is only
//! what may be typed.

use super::output::Format;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

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
    /// Log as JSON lines (default when stderr is not a terminal; under
    /// systemd the journal's own fields are used instead)
    #[arg(long, global = true)]
    pub log_json: bool,
    /// Colour on a terminal: auto (default; off with $NO_COLOR, forced with
    /// $CLICOLOR_FORCE), always or never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to stderr: `--color always|never` wins;
    /// otherwise NO_COLOR (any value) turns colour off, CLICOLOR_FORCE on,
    /// and else a terminal decides.
    pub fn enabled(self) -> bool {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE") => true,
            ColorChoice::Auto => std::io::stderr().is_terminal(),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a working starter config, taxonomy and example sources
    Init {
        /// Where (default: the current folder); must not hold them already
        dir: Option<PathBuf>,
    },
    /// The daemon: scheduler, fetch workers, notifier, HTTP server
    Run {
        /// Address to listen on, overriding [server].listen (port 0 picks a free port)
        #[arg(long, env = "REGWATCH_LISTEN")]
        listen: Option<String>,
    },
    /// Poll now (all enabled sources, or the named ones) and record changes
    #[command(
        after_help = "Examples:\n  regwatch poll\n  regwatch poll --source tr-resmi-gazete --source vn-customs\n  regwatch poll --format json"
    )]
    Poll {
        /// Poll only this source (repeat for several); default: every enabled source
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
    },
    /// Sources: list, check, test
    #[command(subcommand)]
    Sources(SourcesCmd),
    /// The change log
    Changes(ChangesArgs),
    /// One change with its diff, tags with evidence and matched cases
    Show {
        /// The change's number (as `changes` lists it)
        id: i64,
    },
    /// The pre-quote check: relevant changes for a product and destination
    #[command(
        after_help = "Examples:\n  regwatch check --country TR --hs 8517.62\n  regwatch check --country DE --hs 9018.19 --since 180d\n  regwatch check --country VN --category medical --format json"
    )]
    Check {
        /// The destination: ISO 3166-1 alpha-2 (TR, VN, MX, GB, DE, US), XI for Northern Ireland
        #[arg(long, value_name = "CC")]
        country: String,
        /// The product's HS code (repeat for several): 8517.62, 851762, 8517.62.00
        #[arg(long, value_name = "CODE")]
        hs: Vec<String>,
        /// A category of the taxonomy (electronics, telecom, medical)
        #[arg(long)]
        category: Option<String>,
        /// How far back: 30d, 12h, 2w, 6m or a date (2026-01-31)
        #[arg(long, default_value = "90d", value_name = "PERIOD")]
        since: String,
        /// Only changes nobody reviewed yet
        #[arg(long)]
        new: bool,
    },
    /// Classify texts: JSON lines {"title","text","lang"} on stdin, or --text
    #[command(
        after_help = "Examples:\n  regwatch classify --text \"GTİP 8517.62 telsiz ekipmanı uygunluk belgesi\"\n  echo '{\"title\":\"Quy định\",\"text\":\"mã HS 9018\",\"lang\":\"vi\"}' | regwatch classify"
    )]
    Classify {
        /// One text to tag (otherwise JSON lines on stdin)
        #[arg(long)]
        text: Option<String>,
        /// Its language: tr, vi, es, en (helps with dates and phrases)
        #[arg(long)]
        lang: Option<String>,
    },
    /// Open cases: import, list, close
    #[command(subcommand)]
    Cases(CasesCmd),
    /// Field reports: rules seen changing in practice before they are published
    #[command(subcommand)]
    Report(ReportCmd),
    /// Reviewers' corrections of tags (categories, HS codes, dates): export them for tuning the tagger
    #[command(subcommand)]
    Corrections(CorrectionsCmd),
    /// Mark a change reviewed, dismissed or new again, with a note (kept as an
    /// audit trail); with --case, whether it affects that case
    #[command(
        after_help = "Examples:\n  regwatch review 42 --state reviewed --note \"read, nothing for us\"\n  regwatch review 42 --case CASE-7 --state affects --note \"needs a new certificate\""
    )]
    Review {
        id: i64,
        /// reviewed, dismissed or new; with --case: affects, not_affected, done or open
        #[arg(long)]
        state: String,
        /// Mark the change for this one case (a disposition) instead of as a whole
        #[arg(long = "case", value_name = "CASE")]
        case_id: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Who reviews (default: $USER)
        #[arg(long)]
        by: Option<String>,
    },
    /// Build the digest now
    Digest {
        /// Only this channel (default: every digest channel)
        #[arg(long)]
        channel: Option<String>,
        /// Print the digest instead of queueing it
        #[arg(long)]
        preview: bool,
        /// With --preview: write each email digest's HTML part into this folder
        #[arg(long, value_name = "DIR", requires = "preview")]
        output: Option<PathBuf>,
    },
    /// Clients: their open cases and the changes hitting them; a draft notice to one
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  regwatch clients\n  regwatch clients \"Anadolu Telekom\" --new\n  regwatch clients notice \"Anadolu Telekom\" --since 30d --output notice.md\n  regwatch --format html clients notice \"Anadolu Telekom\" --output notice.html"
    )]
    Clients(ClientsArgs),
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
    #[command(after_help = "Example:\n  regwatch sources test tr-ticaret-duyurular")]
    Test {
        /// The source's id
        id: String,
    },
    /// Add a source to sources/<jurisdiction>.toml (validated first; comments and layout kept)
    #[command(
        after_help = "Example:\n  regwatch sources add --id tr-ticaret-duyurular --name 'Ticaret duyurular' --jurisdiction TR --language tr --kind page --url https://www.trade.gov.tr/duyurular --item 'ul.list > li'"
    )]
    Add(Box<super::sources_edit::SourceFields>),
    /// Change a source: only the keys given (and --unset ones) change
    #[command(
        after_help = "Example:\n  regwatch sources edit tr-ticaret-duyurular --schedule '0 7 * * 1-5' --unset timezone"
    )]
    Edit {
        /// The source's id
        #[arg(value_name = "ID")]
        source_id: String,
        #[command(flatten)]
        fields: Box<super::sources_edit::SourceFields>,
    },
    /// Stop polling a source for now (enabled = false, marked with who, when and why)
    Pause {
        /// The source's id
        id: String,
        /// Why, for colleagues
        #[arg(long)]
        reason: Option<String>,
    },
    /// Poll a paused or disabled source again
    Resume {
        /// The source's id
        id: String,
    },
}

#[derive(clap::Args, Debug, Default)]
pub struct ChangesArgs {
    /// How far back: 30d, 12h, 2w or a date (2026-01-31)
    #[arg(long, value_name = "PERIOD")]
    pub since: Option<String>,
    /// A destination: changes of every jurisdiction that covers it (EU rules cover DE)
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,
    /// A category of the taxonomy (electronics, telecom, medical)
    #[arg(long)]
    pub category: Option<String>,
    /// An HS code: changes naming it, its heading or subheadings, or its HS 2017/2022 equivalents
    #[arg(long, value_name = "CODE")]
    pub hs: Option<String>,
    /// Changes of one source (its id)
    #[arg(long, value_name = "ID")]
    pub source: Option<String>,
    /// Changes matched to one case (its id)
    #[arg(long = "case", value_name = "ID")]
    pub case_id: Option<String>,
    /// Words that must all appear (title, text or HS codes)
    #[arg(long, value_name = "TEXT")]
    pub query: Option<String>,
    /// At most this many, newest first
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Only changes nobody reviewed yet
    #[arg(long)]
    pub new: bool,
}

#[derive(Subcommand, Debug)]
pub enum CasesCmd {
    /// Import or update cases from CSV or JSON (idempotent by case id)
    #[command(
        after_help = "CSV columns: id,client,title,country,hs_codes,categories,keywords,status,link[,origin]\n(lists inside a cell separated by ;). Separated by , ; or tab, with or without a BOM, CRLF or LF,\nas spreadsheets save them; other columns are ignored (and named). JSON: an array of objects with the same keys.\nOne transaction: an import that fails changes nothing. Caps: [cases] max_file_bytes, max_rows, max_cell_bytes.\nExample:\n  regwatch cases import open-cases.csv --close-missing"
    )]
    Import {
        /// A CSV or JSON export of the case system
        file: PathBuf,
        /// Close open cases missing from this (full) export
        #[arg(long)]
        close_missing: bool,
    },
    /// List cases
    List {
        /// Closed cases too
        #[arg(long)]
        all: bool,
    },
    /// Close a case
    Close {
        /// The case's id
        id: String,
    },
    /// Every case as CSV, as `cases import` reads it (formula-safe: a cell
    /// starting with = + - @ tab or CR is written with a leading ')
    Export {
        /// Write here instead of standard output
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Record a field report
    #[command(
        after_help = "Example:\n  regwatch report add --country TR --hs 8517.13 --effective 2027-01-01 \\\n    --title \"Istanbul customs asks for BTK registration of phones\" --text \"Seen on three shipments this week\""
    )]
    Add(ReportArgs),
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The destination where it was seen (TR, VN, MX, …)
    #[arg(long, value_name = "CC")]
    pub country: String,
    /// HS codes it applies to (repeat for several)
    #[arg(long, value_name = "CODE")]
    pub hs: Vec<String>,
    /// When it takes effect, if known: YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub effective: Option<String>,
    /// What changed, in a line
    #[arg(long)]
    pub title: String,
    /// What was seen, in full
    #[arg(long)]
    pub text: String,
    /// Categories (repeat for several): electronics, telecom, medical
    #[arg(long)]
    pub category: Vec<String>,
    /// Who saw it (default: $USER)
    #[arg(long)]
    pub author: Option<String>,
    /// The language it is written in (tr, vi, es, en), for its English gist
    /// (default: read from its words)
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ClientsArgs {
    #[command(subcommand)]
    pub cmd: Option<ClientsCmd>,
    /// One client (its name as the cases give it; case is ignored)
    pub name: Option<String>,
    /// How far back: 90d (default), 30d, 2w or a date (2026-01-31)
    #[arg(long, value_name = "PERIOD")]
    pub since: Option<String>,
    /// Only changes nobody reviewed yet
    #[arg(long)]
    pub new: bool,
}

#[derive(Subcommand, Debug)]
pub enum ClientsCmd {
    /// A draft notice to a client: the changes hitting its open cases, bad
    /// news first, each with an empty "what we will do" (Markdown; --format html)
    Notice {
        /// The client
        name: String,
        /// How far back: 30d (default), 2w or a date (2026-01-31)
        #[arg(long, value_name = "PERIOD")]
        since: Option<String>,
        /// Write it to this file instead of printing it
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Print the last saved notice instead of a fresh draft
        #[arg(long, conflicts_with = "save")]
        saved: bool,
        /// Save the notice in this file (the edited text) as the client's, with who and when
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
        /// Who saves it (default: $USER)
        #[arg(long, requires = "save")]
        by: Option<String>,
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

#[derive(Subcommand, Debug)]
pub enum CorrectionsCmd {
    /// Every correction with its change, before and after, who, when and why
    /// (--format csv: formula-safe CSV; --format json: JSON lines)
    #[command(
        after_help = "Examples:\n  regwatch corrections export --format csv > corrections.csv\n  regwatch corrections export --format json > corrections.jsonl"
    )]
    Export,
}
