//! Alerts from the command line: `digest`, `notify retry`, and handing the
//! alerts of `poll` and `report add` to the outbox before the command ends.

use super::failure::{usage, Failure};
use crate::app::App;
use crate::notify;
use std::path::Path;
use std::time::Duration;

/// How long `poll` and `report` wait for their alerts to go out.
pub const DELIVERY_WAIT: Duration = Duration::from_secs(5);

/// Send what is due, waiting at most [`DELIVERY_WAIT`]; what is not sent by
/// then stays queued for the daemon or `regwatch notify retry`, and we say so.
pub async fn hand_to_outbox(app: &App) {
    match notify::deliver_due_within(app, DELIVERY_WAIT).await {
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

/// `digest`: build the digest of one channel or of every digest channel
/// now; queue it, or with `preview` print it (and write email HTML parts
/// into `output`).
pub async fn digest(
    app: &App,
    channel: Option<&str>,
    preview: bool,
    output: Option<&Path>,
) -> Result<u8, Failure> {
    if let Some(dir) = output {
        std::fs::create_dir_all(dir)
            .map_err(|e| usage(format!("--output {}: cannot create it: {e}", dir.display())))?;
    }
    let out = notify::digest_now(app, channel, preview, output).await?;
    println!("{out}");
    Ok(0)
}

/// `notify retry`: deliver what waits in the outbox now; 1 when a delivery failed.
pub async fn retry(app: &App) -> Result<u8, Failure> {
    let r = notify::deliver_due(app, true).await?;
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
