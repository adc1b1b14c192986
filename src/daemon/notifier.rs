//! The notifier loop of `regwatch run`: what is due in the outbox every few
//! seconds, digest periods every minute, until the daemon stops.

use crate::app::LiveApp;
use std::time::Duration;

/// How often the notifier delivers what is due in the outbox.
const DELIVER_EVERY: Duration = Duration::from_secs(5);
/// How often digest periods are closed.
const DIGEST_EVERY: Duration = Duration::from_secs(60);

pub(super) async fn run(live: LiveApp, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut warned = false;
    let mut last_digest: Option<tokio::time::Instant> = None;
    loop {
        let app = live.current();
        match crate::notify::deliver_due(&app, false).await {
            Ok(r) => {
                if r.delivered > 0 || !r.failed.is_empty() {
                    tracing::info!(
                        delivered = r.delivered,
                        failed = r.failed.len(),
                        waiting = r.waiting.len(),
                        "outbox pass"
                    );
                }
            }
            Err(e) if !warned => {
                warned = true;
                tracing::warn!(
                    error = format!("{e:#}"),
                    "alert delivery failed; alerts stay in the outbox"
                );
            }
            Err(e) => tracing::debug!(error = format!("{e:#}"), "alert delivery failed"),
        }
        if last_digest
            .map(|t| t.elapsed() >= DIGEST_EVERY)
            .unwrap_or(true)
        {
            last_digest = Some(tokio::time::Instant::now());
            match crate::notify::run_digests(&app, app.now()).await {
                Ok(n) if n > 0 => tracing::info!(digests = n, "digest periods closed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "digest run failed"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(DELIVER_EVERY) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}
