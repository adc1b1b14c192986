//! `regwatch run`: scheduler, fetch workers, notifier and HTTP server in one
//! process.
//!
//! One loop asks the scheduler ([`scheduler::Scheduler::step`]) what may
//! start, starts those polls as workers with a time budget, and otherwise
//! only sleeps, reaps workers and handles signals: SIGHUP reloads the
//! configuration (the live context of [`LiveApp`] is replaced as a whole),
//! SIGTERM drains. The notifier ([`notifier`]) and the HTTP server
//! ([`crate::server`]) run beside it over the same live context.

mod guard;
mod notifier;
pub mod scheduler;
mod systemd;

use crate::app::{App, LiveApp};
use crate::config::Source;
use crate::poll::{self, PollSummary};
use crate::server::listen::{serve, ServerLimits};
use anyhow::Context;
use scheduler::{poll_budget, reconcile, source_lease, Scheduler, StepOutcome, RECORD_RETRY};
use std::path::PathBuf;
use std::time::Duration;
use systemd::{sd_notify, watchdog_interval};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use crate::util::instance_id;

/// How long the scheduler sleeps at most between two looks at the store.
const MAX_IDLE: Duration = Duration::from_secs(10);
/// After SIGTERM, in-flight polls get this long to finish; the rest are
/// abandoned (an unrecorded poll is simply redone at the next start).
const POLL_GRACE: Duration = Duration::from_millis(2500);
/// Then the HTTP server gets this long to close its connections.
const SERVER_GRACE: Duration = Duration::from_secs(1);
/// And the store this long to release the source leases. With the 0.5 s
/// left to the notifier, SIGTERM ends the process within about 5 s
/// whatever is in flight (docs/daemon.md).
const RELEASE_GRACE: Duration = Duration::from_secs(1);

/// Options of `regwatch run` that are not in the config file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides `[server].listen` (`--listen` or `$REGWATCH_LISTEN`); port 0 picks a free port.
    pub listen: Option<String>,
}

/// Where to listen: `--listen` / `$REGWATCH_LISTEN`, else `[server].listen`.
fn listen_addr(app: &App, opts: &RunOptions) -> String {
    opts.listen
        .clone()
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| app.config.server.listen.clone())
}

/// A poll worker's result: the source and how its poll ended.
type Worker = (String, anyhow::Result<PollSummary>);

/// The signals the loop answers.
struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

/// The running daemon's loop state.
struct Daemon {
    live: LiveApp,
    config_path: PathBuf,
    addr: std::net::SocketAddr,
    sched: Scheduler,
    workers: JoinSet<Worker>,
    budget: Duration,
    polls_done: u64,
    /// What the configuration's files held at the last load.
    loaded: guard::Loaded,
}

/// Run the daemon until SIGTERM or SIGINT.
pub async fn run(app: App, config_path: PathBuf, opts: RunOptions) -> anyhow::Result<()> {
    let listen = listen_addr(&app, &opts);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| {
            format!("cannot listen on {listen}: change [server].listen or pass --listen ADDR")
        })?;
    let addr = listener.local_addr()?;
    let moved = reconcile(&app, app.now()).await?;
    let live = LiveApp::new(app.clone());
    let mut signals = Signals {
        term: signal(SignalKind::terminate())?,
        int: signal(SignalKind::interrupt())?,
        hup: signal(SignalKind::hangup())?,
    };
    let (stop_tx, stop_rx) = watch::channel(false);

    let limits = ServerLimits::from_config(&app.config.server);
    let router = crate::server::router(live.clone());
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        serve(listener, router, limits, async move {
            let _ = server_stop.wait_for(|s| *s).await;
        })
        .await
    });
    let notifier = tokio::spawn(notifier::run(live.clone(), stop_rx));

    let n = app.sources.enabled().count();
    tracing::info!(listen = %addr, sources = n, plans_moved = moved, "regwatch is running");
    // Tests and scripts read this line to learn the port.
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    sd_notify(&format!(
        "READY=1\nSTATUS=watching {n} source(s); http on {addr}"
    ));

    let mut daemon = Daemon {
        sched: Scheduler::new(app.config.fetch.concurrency)
            .leasing(instance_id(), source_lease(&app.config)),
        budget: poll_budget(&app.config),
        loaded: guard::Loaded::take(&config_path, &app),
        live,
        config_path,
        addr,
        workers: JoinSet::new(),
        polls_done: 0,
    };
    tracing::debug!(owner = %daemon.sched.owner, lease_s = daemon.sched.lease.num_seconds(), "leasing due sources");
    daemon.run_loop(&mut signals).await;

    // Shutdown: stop taking work, let polls finish within a bound, then stop.
    sd_notify("STOPPING=1\nSTATUS=shutting down");
    let _ = stop_tx.send(true);
    daemon.drain().await;
    match tokio::time::timeout(SERVER_GRACE, server).await {
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the HTTP server stopped with an error"),
        Err(_) => tracing::debug!("HTTP connections still open at exit"),
        _ => {}
    }
    let _ = tokio::time::timeout(Duration::from_millis(500), notifier).await;
    tracing::info!("stopped");
    Ok(())
}

/// Queue the store's health alert on every health channel, if the store
/// takes it (a failing store may not: the recovery alert then says so).
async fn storage_alert(
    app: App,
    f: crate::health::StorageFailure,
    recovered_at: Option<chrono::DateTime<chrono::Utc>>,
) {
    let payload = crate::health::storage_alert(&f, recovered_at);
    let state = if recovered_at.is_some() {
        "recovered"
    } else {
        "down"
    };
    let mut queued = true;
    for ch in app.health_channels() {
        let key = format!(
            "health:storage:{state}:{}:{ch}",
            f.since.format("%Y%m%dT%H%M%S%.6f")
        );
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            app.store
                .enqueue(&ch, "health", None, &payload, &key, app.now()),
        )
        .await;
        if !matches!(r, Ok(Ok(()))) {
            queued = false;
            tracing::warn!(channel = %ch, state, "could not queue the storage health alert");
        }
    }
    if queued && recovered_at.is_none() {
        crate::health::storage_alerted();
    }
}

impl Daemon {
    /// Schedule, reap and answer signals until SIGTERM or SIGINT.
    async fn run_loop(&mut self, signals: &mut Signals) {
        let watchdog = watchdog_interval();
        let mut watchdog_tick =
            tokio::time::interval(watchdog.unwrap_or(Duration::from_secs(3600)));
        watchdog_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // A step claims due sources in the store: a store that hangs (a
            // lock held, a disk that does not answer) must not hold SIGTERM.
            let wake = tokio::select! {
                w = self.step() => w,
                _ = signals.term.recv() => { tracing::info!("SIGTERM: shutting down"); return; }
                _ = signals.int.recv() => { tracing::info!("SIGINT: shutting down"); return; }
            };
            if wake.is_zero() {
                // Dispatched: look again at once (more may be due than workers were free).
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                _ = signals.term.recv() => { tracing::info!("SIGTERM: shutting down"); return; }
                _ = signals.int.recv() => { tracing::info!("SIGINT: shutting down"); return; }
                _ = signals.hup.recv() => self.reload().await,
                Some(done) = self.workers.join_next(), if !self.workers.is_empty() => {
                    self.finished(done);
                }
                _ = tokio::time::sleep(wake) => {}
                _ = watchdog_tick.tick(), if watchdog.is_some() => {
                    sd_notify(&format!(
                        "WATCHDOG=1\nSTATUS=watching {} source(s), {} poll(s) running, {} done since start",
                        self.live.current().sources.len(),
                        self.sched.in_flight(),
                        self.polls_done
                    ));
                }
            }
        }
    }

    /// One scheduler step: start what may start; how long to wait before
    /// the next look (zero after a dispatch).
    async fn step(&mut self) -> Duration {
        let app = self.live.current();
        let now = app.now();
        match self.sched.step(&app.store, &app.sources, now).await {
            Ok(StepOutcome::Dispatch(chosen)) => {
                for s in chosen {
                    self.spawn_poll(app.clone(), s);
                }
                Duration::ZERO
            }
            Ok(StepOutcome::Full) => MAX_IDLE,
            Ok(StepOutcome::Idle { next_due }) => next_due
                .and_then(|t| (t - now).to_std().ok())
                .map(|d| d.min(MAX_IDLE))
                .unwrap_or(MAX_IDLE),
            Err(e) => {
                tracing::error!(
                    error = format!("{e:#}"),
                    "the scheduler cannot read the store; retrying"
                );
                MAX_IDLE
            }
        }
    }

    /// Poll `s` as a worker, abandoned (nothing recorded) when it outlives
    /// its budget, before its lease ends, so no other instance polls the
    /// source meanwhile.
    fn spawn_poll(&mut self, app: App, s: Source) {
        let budget = self.budget;
        self.workers.spawn(async move {
            use futures_util::FutureExt;
            let id = s.id().to_string();
            let poll = std::panic::AssertUnwindSafe(poll::poll_source(&app, &s)).catch_unwind();
            let r = match tokio::time::timeout(budget, poll).await {
                Ok(r) => r.unwrap_or_else(|_| Err(anyhow::anyhow!("the poll panicked"))),
                Err(_) => Err(anyhow::anyhow!(
                    "the poll took longer than {}s ([fetch].timeout × attempts); abandoned",
                    budget.as_secs()
                )),
            };
            (id, r)
        });
    }

    /// A worker ended. A poll the store refused to record makes the whole
    /// daemon unhealthy (`/healthz` 503, every source "storage failing")
    /// until a poll is recorded again; both ends are announced on the
    /// health channels when the store takes the alert.
    fn finished(&mut self, done: Result<Worker, tokio::task::JoinError>) {
        self.polls_done += 1;
        let app = self.live.current();
        let now = app.now();
        match done {
            Ok((id, Ok(_))) => {
                self.sched.finished(&id, true, now);
                if let Some(f) = crate::health::storage_ok() {
                    self.sched.storage_recovered();
                    tracing::warn!(
                        since = %f.since,
                        failed_writes = f.failed_writes,
                        "the store accepts writes again"
                    );
                    tokio::spawn(storage_alert(app, f, Some(now)));
                }
            }
            Ok((id, Err(e))) => {
                tracing::error!(source = %id, error = format!("{e:#}"), "the poll could not be recorded; retrying in {RECORD_RETRY}s");
                self.sched.finished(&id, false, now);
                if crate::health::is_storage_error(&e) {
                    let reason = crate::util::truncate(&format!("{e:#}"), 300);
                    if crate::health::storage_failed(now, &reason) {
                        if let Some(f) = crate::health::storage_failure() {
                            tokio::spawn(storage_alert(app, f, None));
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "a poll task was cancelled"),
        }
    }

    /// SIGHUP: load the configuration and sources again; on an error the
    /// running ones stay.
    async fn reload(&mut self) {
        sd_notify("RELOADING=1");
        let old = self.live.current();
        if let Some(why) = self.loaded.check(&self.config_path, &old) {
            tracing::error!(
                reason = %why,
                "reload refused: keeping the previous configuration and sources"
            );
            sd_notify(&format!(
                "READY=1\nSTATUS=watching {} source(s); http on {}; last reload refused: {why}",
                old.sources.len(),
                self.addr
            ));
            return;
        }
        let had = (old.config.users.len(), old.config.channels.len());
        match self.live.reload(&self.config_path, |c| {
            crate::notify::check_channels(c)?;
            guard::lost_everything(&self.config_path, had, c).map_or(Ok(()), |why| {
                Err(crate::config::ConfigError::invalid(
                    &self.config_path,
                    None,
                    why,
                ))
            })
        }) {
            Ok((app, diff)) => {
                self.loaded = guard::Loaded::take(&self.config_path, &app);
                if let Err(e) = reconcile(&app, app.now()).await {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "could not re-plan the reloaded sources"
                    );
                }
                tracing::info!(
                    sources = app.sources.len(),
                    added = diff.added.join(","),
                    removed = diff.removed.join(","),
                    changed = diff.changed.join(","),
                    "configuration reloaded"
                );
            }
            Err(e) => tracing::error!(
                error = format!("{e:#}"),
                "reload failed: keeping the previous configuration and sources"
            ),
        }
        sd_notify(&format!(
            "READY=1\nSTATUS=watching {} source(s); http on {}",
            self.live.current().sources.len(),
            self.addr
        ));
    }

    /// After SIGTERM: in-flight polls get [`POLL_GRACE`], then are abandoned
    /// and their leases released.
    async fn drain(&mut self) {
        let running = self.workers.len();
        if running > 0 {
            tracing::info!(running, "waiting for in-flight polls");
            let workers = &mut self.workers;
            let drained = tokio::time::timeout(POLL_GRACE, async {
                while workers.join_next().await.is_some() {}
            })
            .await;
            if drained.is_err() {
                tracing::warn!(
                    abandoned = self.workers.len(),
                    "in-flight polls abandoned; they are redone at the next start"
                );
                self.workers.abort_all();
            }
        }
        // Leases of abandoned polls: other instances may take the sources now.
        // Bounded too: a store that hangs (a full disk, a lock) does not
        // hold the stop; unreleased leases simply expire.
        let release = tokio::time::timeout(
            RELEASE_GRACE,
            self.live
                .current()
                .store
                .release_all_sources(&self.sched.owner),
        )
        .await;
        match release {
            Ok(Ok(n)) if n > 0 => tracing::info!(released = n, "source leases released"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(
                error = format!("{e:#}"),
                "could not release source leases; they expire"
            ),
            Err(_) => {
                tracing::warn!("the store did not release the source leases in time; they expire")
            }
        }
    }
}
