//! Logging for every command: journald's native protocol under systemd,
//! JSON lines or human lines otherwise; and the progress bar of `poll`,
//! which log lines are written above, never into.

use super::args::{Cli, Command};
use std::io::{IsTerminal, Write};

/// The progress bar of a running `poll` on a terminal; log lines are
/// written above it, never into it.
static PROGRESS: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Show `bar` (`Some`) while a `poll` runs, and no bar (`None`) after.
pub fn set_progress(bar: Option<indicatif::ProgressBar>) {
    *PROGRESS.lock().unwrap_or_else(|p| p.into_inner()) = bar;
}

/// Stderr for log lines, suspending the progress bar while a line is written.
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = PROGRESS.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match bar {
            Some(b) => b.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Logs: the journal's native fields and priorities when systemd connected
/// stderr to the journal; JSON lines when asked or when stderr is not a
/// terminal; human lines on a terminal. `$REGWATCH_LOG` sets the filter.
pub fn init(cli: &Cli) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::EnvFilter;
    // Outside the daemon a failed poll is told once, in the summary.
    let default = if matches!(cli.command, Command::Run { .. }) {
        "warn,regwatch=info"
    } else {
        "warn,regwatch=info,regwatch::events=error"
    };
    let filter =
        EnvFilter::try_from_env("REGWATCH_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    if crate::journal::stderr_is_journal() {
        match crate::journal::JournalLayer::connect(&crate::journal::socket_path()) {
            Ok(layer) => {
                let _ = tracing_subscriber::registry()
                    .with(filter)
                    .with(layer)
                    .try_init();
                return;
            }
            Err(e) => eprintln!(
                "warning: stderr is the journal but its socket cannot be reached ({e}): logging JSON lines instead"
            ),
        }
    }
    let json = cli.log_json
        || std::env::var("REGWATCH_LOG_FORMAT").is_ok_and(|v| v == "json")
        || (!std::io::stderr().is_terminal()
            && std::env::var("REGWATCH_LOG_FORMAT").map_or(true, |v| v != "human"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogWriter);
    if json {
        let _ = b.json().flatten_event(true).try_init();
    } else {
        let _ = b.with_ansi(cli.color.enabled()).try_init();
    }
}
