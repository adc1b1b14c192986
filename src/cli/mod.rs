//! The command line, the top floor: clap reads it (`args`), `main` sets up
//! logging and the runtime, and `dispatch` hands each command to its
//! function, one file per command group. A command builds what it answers
//! and prints it through `output` (table, JSON, CSV); it fails with a
//! [`Failure`] carrying the exit status.
//!
//! Commands that ask the store get the [`App`](crate::app::App) from
//! `setup`; `init`, `classify`, `sources check` and `sources test` run
//! without a store.

mod args;
mod cases;
mod changes;
mod classify;
mod clients;
mod corrections;
mod db;
mod failure;
mod init;
mod logging;
mod notify;
mod output;
mod poll;
mod reports;
mod setup;
mod sources;
mod sources_edit;

pub use args::{Cli, Command};
pub use failure::Failure;
pub use output::Format;

use crate::app::App;
use crate::daemon::{self, RunOptions};
use args::{CasesCmd, ClientsCmd, CorrectionsCmd, DbCmd, NotifyCmd, ReportCmd, SourcesCmd};
use clap::Parser;
use setup::{app, Offline};
use std::path::Path;
use std::process::ExitCode;

/// At most two malloc arenas (unless `MALLOC_ARENA_MAX` says otherwise):
/// glibc gives threads that allocate at the same time arenas of their own,
/// up to eight per core, and the daemon's runtime workers, blocking pool and
/// SQLite threads each kept freed memory in theirs. At 100,000 sources the
/// daemon's peak RSS went from 149–152 MB to 133–146 MB, with the same CPU
/// per poll (docs/benchmarks.md, "Third measurement").
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: sets one parameter of the allocator, before the runtime
        // starts any thread; no memory is touched.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

pub fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    logging::init(&cli);
    // The daemon spends its life waiting: two workers are plenty and keep RSS low
    // (documents over 32 KiB are parsed on the blocking pool). A one-shot `poll` is CPU work from
    // end to end: one thread (documents parsed on it, see
    // `poll::extract_fetched`), as handing each poll between workers cost
    // more CPU in the scheduler than the poll itself.
    let built = match cli.command {
        Command::Run { .. } => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(8)
            .enable_all()
            .build(),
        Command::Poll { .. } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let rt = match built {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let r = rt.block_on(dispatch(cli));
    // Work still on the blocking pool (a page being parsed, a store call
    // that hangs) does not hold the exit: SIGTERM's stop stays bounded.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    match r {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

/// Close the store of a command that wrote much (a poll pass, an import of
/// cases): on SQLite the last connection closed checkpoints the write-ahead
/// log into the database and removes it. A store merely dropped at exit is
/// not closed (the runtime stops first): `regwatch poll` left a log of 5 to
/// 7 MB beside an 11 MB store, a 1,000,000-case import one of 487 MB, until
/// the next open. Bounded: a connection that does not come back does not
/// hold the exit.
async fn close(app: &App) {
    let wait = std::time::Duration::from_secs(5);
    if tokio::time::timeout(wait, app.store.close()).await.is_err() {
        tracing::warn!(
            "the store did not close within 5 s; its write-ahead log stays until the next open"
        );
    }
}

/// Each command to its function, with what it needs: the App (opened here,
/// so a command that needs no store never opens one), its arguments and the
/// output format.
async fn dispatch(cli: Cli) -> Result<u8, Failure> {
    let asked = cli.format;
    let fmt = Format::resolve(asked);
    let config = cli.config.as_deref();
    if asked == Some(Format::Html)
        && !matches!(
            &cli.command,
            Command::Clients(args::ClientsArgs {
                cmd: Some(ClientsCmd::Notice { .. }),
                ..
            })
        )
    {
        return Err(failure::usage(
            "--format html is only for `clients notice`: use table, json or csv here",
        ));
    }
    match &cli.command {
        Command::Init { dir } => init::init(dir.as_deref().unwrap_or(Path::new("."))),
        Command::Classify { text, lang } => {
            classify::classify(config, text.as_deref(), lang.as_deref(), asked)
        }
        Command::Sources(SourcesCmd::Check) => sources::check(&Offline::load(config)?),
        Command::Sources(SourcesCmd::Test { id }) => {
            sources::test(&Offline::load(config)?, id, fmt).await
        }
        Command::Sources(SourcesCmd::Add(f)) => sources_edit::add(&Offline::load(config)?, f, fmt),
        Command::Sources(SourcesCmd::Edit { source_id, fields }) => {
            sources_edit::edit(&Offline::load(config)?, source_id, fields, fmt)
        }
        Command::Sources(SourcesCmd::Pause { id, reason }) => {
            sources_edit::pause(&Offline::load(config)?, id, reason.as_deref(), fmt)
        }
        Command::Sources(SourcesCmd::Resume { id }) => {
            sources_edit::resume(&Offline::load(config)?, id, fmt)
        }
        Command::Sources(SourcesCmd::List) => sources::list(&app(config).await?, fmt).await,
        Command::Run { listen } => run(app(config).await?, listen.clone()).await,
        Command::Poll { sources } => {
            let app = setup::sequential_app(config).await?;
            let done = poll::poll(&app, sources, asked).await;
            close(&app).await;
            done
        }
        Command::Changes(a) => changes::list(&app(config).await?, a, fmt).await,
        Command::Show { id } => changes::show(&app(config).await?, *id, fmt).await,
        Command::Check {
            country,
            hs,
            category,
            since,
            new,
        } => {
            let app = app(config).await?;
            changes::check(&app, country, hs, category.as_deref(), since, *new, fmt).await
        }
        Command::Cases(CasesCmd::Import {
            file,
            close_missing,
        }) => {
            let app = app(config).await?;
            let done = cases::import(&app, file, *close_missing).await;
            close(&app).await;
            done
        }
        Command::Cases(CasesCmd::List { all }) => cases::list(&app(config).await?, *all, fmt).await,
        Command::Cases(CasesCmd::Close { id }) => cases::close(&app(config).await?, id).await,
        Command::Cases(CasesCmd::Export { output }) => {
            cases::export(&app(config).await?, output.as_deref()).await
        }
        Command::Report(ReportCmd::Add(a)) => reports::add(&app(config).await?, a).await,
        Command::Corrections(CorrectionsCmd::Export) => {
            corrections::export(&app(config).await?, fmt).await
        }
        Command::Review {
            id,
            state,
            case_id: Some(case),
            note,
            by,
        } => {
            let app = app(config).await?;
            clients::dispose(&app, *id, case, state, note.as_deref(), by.as_deref(), fmt).await
        }
        Command::Review {
            id,
            state,
            case_id: None,
            note,
            by,
        } => {
            let app = app(config).await?;
            reports::review(&app, *id, state, note.as_deref(), by.as_deref(), fmt).await
        }
        Command::Clients(a) => clients::run(&app(config).await?, a, asked, fmt).await,
        Command::Digest {
            channel,
            preview,
            output,
        } => {
            let app = app(config).await?;
            notify::digest(&app, channel.as_deref(), *preview, output.as_deref()).await
        }
        Command::Notify(NotifyCmd::Retry) => notify::retry(&app(config).await?).await,
        Command::Db(DbCmd::Migrate) => db::migrate(&app(config).await?).await,
        Command::Db(DbCmd::Copy { to }) => db::copy(&app(config).await?, to).await,
    }
}

/// `regwatch run`: the daemon until SIGTERM or SIGINT, listening on
/// `listen` instead of `[server].listen` when given.
async fn run(app: App, listen: Option<String>) -> Result<u8, Failure> {
    let path = app.config.path.clone();
    daemon::run(app, path, RunOptions { listen }).await?;
    Ok(0)
}
