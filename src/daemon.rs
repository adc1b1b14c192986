//! `regwatch run`: scheduler, fetch workers, notifier and HTTP server in one process.

use crate::pipeline::App;
use std::path::PathBuf;

pub async fn run(_app: App, _config_path: PathBuf) -> anyhow::Result<()> {
    anyhow::bail!("the daemon is not implemented yet: use `regwatch poll` from cron meanwhile")
}
