//! `regwatch run`: scheduler, fetch workers, notifier and HTTP server in one process.
//!
//! One tick loop asks the store which sources are due (`next_poll_at`, written by
//! every recorded poll from the source's schedule plus jitter; never-polled
//! sources are due now) and starts at most `[fetch].concurrency` polls. There is
//! no per-source timer: the store is the schedule, so a restart, a `regwatch
//! poll` from the shell or a second instance all see the same plan.
//! The scheduler is a step function ([`Scheduler::step`]) returning an outcome;
//! the loop only sleeps, waits for workers and handles signals.
//!
//! Several instances may share one PostgreSQL database: a due source is only
//! polled after the store leased it to this instance
//! ([`Store::claim_due_sources`]), for twice the longest a poll may take. A
//! poll that outlives its budget is abandoned before the lease ends, so two
//! instances never poll one source at once; an instance that dies leaves
//! leases that expire, and the others take its sources over.

use crate::app::App;
use crate::config::{Config, Source};
use crate::poll::{self, PollSummary};
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// How long the scheduler sleeps at most between two looks at the store.
const MAX_IDLE: Duration = Duration::from_secs(10);
/// How often the notifier delivers what is due in the outbox.
const DELIVER_EVERY: Duration = Duration::from_secs(5);
/// How often digest periods are closed.
const DIGEST_EVERY: Duration = Duration::from_secs(60);
/// After SIGTERM, in-flight polls get this long to finish; the rest are
/// abandoned (an unrecorded poll is simply redone at the next start).
const POLL_GRACE: Duration = Duration::from_millis(2500);
/// Then the HTTP server gets this long to close its connections.
const SERVER_GRACE: Duration = Duration::from_secs(1);
/// A poll that could not be recorded (database trouble) is retried after this.
const RECORD_RETRY: i64 = 60;
/// Due sources leased to another instance are looked at again after this.
const CONTENDED_WAIT: i64 = 1;
/// Due rows read beyond the free workers, for sources skipped by a step.
const DUE_SLACK: usize = 16;

/// The longest one poll may take: every attempt's timeout, the backoffs
/// between attempts, and a margin for extraction and recording.
pub fn poll_budget(cfg: &Config) -> Duration {
    let f = &cfg.fetch;
    let attempts = f.retries.min(10) + 1;
    let backoff = f.retry_backoff.0 * ((1u32 << f.retries.min(10)) - 1);
    f.timeout.0 * attempts + backoff + Duration::from_secs(5)
}

/// How long a claimed source stays leased: twice the poll budget.
pub fn source_lease(cfg: &Config) -> chrono::Duration {
    chrono::Duration::from_std(poll_budget(cfg) * 2).unwrap_or(chrono::Duration::minutes(10))
}

pub use crate::util::instance_id;

/// Options of `regwatch run` that are not in the config file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides `[server].listen` (`--listen` or `$REGWATCH_LISTEN`); port 0 picks a free port.
    pub listen: Option<String>,
}

/// Sources by id, for the scheduler (built once per load, not per
/// dispatch), over the same list the rest of the daemon reads: no source is
/// held twice.
pub struct SourceIndex {
    sources: Arc<Vec<Source>>,
    pos: HashMap<String, usize>,
}

impl SourceIndex {
    pub fn get(&self, id: &str) -> Option<&Source> {
        self.pos.get(id).map(|&i| &self.sources[i])
    }
}

/// Index sources by id.
pub fn index(sources: Arc<Vec<Source>>) -> SourceIndex {
    let pos = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id().to_string(), i))
        .collect();
    SourceIndex { sources, pos }
}

/// What the daemon currently runs with; replaced as a whole on SIGHUP.
pub struct Live {
    pub app: App,
    pub sources: Arc<Vec<Source>>,
    pub by_id: Arc<SourceIndex>,
}

/// The live state shared by the scheduler, the notifier and the HTTP handlers.
#[derive(Clone)]
pub struct Shared(Arc<RwLock<Live>>);

impl Shared {
    pub fn new(app: App, sources: Vec<Source>) -> Shared {
        let sources = Arc::new(sources);
        Shared(Arc::new(RwLock::new(Live {
            app,
            by_id: Arc::new(index(sources.clone())),
            sources,
        })))
    }
    pub fn by_id(&self) -> Arc<SourceIndex> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .by_id
            .clone()
    }
    pub fn app(&self) -> App {
        self.0.read().unwrap_or_else(|p| p.into_inner()).app.clone()
    }
    pub fn sources(&self) -> Arc<Vec<Source>> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .sources
            .clone()
    }
    fn replace(&self, live: Live) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = live;
    }
}

/// What one scheduler step decided.
#[derive(Debug)]
pub enum StepOutcome {
    /// These sources are due and were marked in flight: start a poll for each.
    Dispatch(Vec<Source>),
    /// Every worker is busy; due sources wait for a free one.
    Full,
    /// Nothing to start; the earliest known due time, if any.
    Idle { next_due: Option<DateTime<Utc>> },
}

/// The scheduler's memory between steps: which polls run, and which sources
/// wait after a poll that could not be recorded.
#[derive(Debug)]
pub struct Scheduler {
    pub concurrency: usize,
    /// The lease owner: this instance.
    pub owner: String,
    /// How long a claimed source is leased to this instance.
    pub lease: chrono::Duration,
    in_flight: HashSet<String>,
    retry_at: HashMap<String, DateTime<Utc>>,
}

impl Scheduler {
    pub fn new(concurrency: usize) -> Scheduler {
        Scheduler {
            concurrency: concurrency.max(1),
            owner: instance_id(),
            lease: chrono::Duration::minutes(10),
            in_flight: HashSet::new(),
            retry_at: HashMap::new(),
        }
    }

    /// Lease sources as `owner` for `lease`.
    pub fn leasing(mut self, owner: impl Into<String>, lease: chrono::Duration) -> Scheduler {
        self.owner = owner.into();
        self.lease = lease;
        self
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Which enabled sources are due at `now` and may start, given free
    /// workers. The store is asked only for due sources (an indexed plan,
    /// with a limit), so a dispatch costs the same with 100 or 10,000
    /// sources.
    pub async fn step(
        &mut self,
        store: &Store,
        sources: &SourceIndex,
        now: DateTime<Utc>,
    ) -> anyhow::Result<StepOutcome> {
        self.retry_at.retain(|_, t| *t > now);
        let free = self.concurrency.saturating_sub(self.in_flight.len());
        if free == 0 {
            return Ok(StepOutcome::Full);
        }
        // Room for the rows this step skips: its own polls in flight (their
        // leases are its own) and those waiting to be retried.
        let want = (free + self.in_flight.len() + self.retry_at.len() + DUE_SLACK) as i64;
        let mut due: Vec<String> = vec![];
        for (id, _) in store.due_sources(&self.owner, now, want).await? {
            if self.in_flight.contains(&id) || self.retry_at.contains_key(&id) {
                continue;
            }
            // Ids that are not enabled sources were parked by `reconcile`;
            // one that slipped through (removed meanwhile) is just skipped.
            if sources.get(&id).is_some_and(|s| s.def.enabled) {
                due.push(id);
            }
        }
        if due.is_empty() {
            let mut next = store.next_plan_after(now).await?;
            if let Some(r) = self.retry_at.values().min() {
                next = Some(next.map_or(*r, |n| n.min(*r)));
            }
            return Ok(StepOutcome::Idle { next_due: next });
        }
        // Longest-waiting first (the store's order); the store leases to this
        // instance only those still due and not leased to another one.
        let claimed = store
            .claim_due_sources(&self.owner, &due, now, self.lease, free as i64)
            .await?;
        if claimed.is_empty() {
            // Polled or being polled by another instance: look again soon.
            return Ok(StepOutcome::Idle {
                next_due: Some(now + chrono::Duration::seconds(CONTENDED_WAIT)),
            });
        }
        let chosen: Vec<Source> = claimed
            .iter()
            .filter_map(|id| sources.get(id).cloned())
            .collect();
        for s in &chosen {
            self.in_flight.insert(s.id().to_string());
        }
        Ok(StepOutcome::Dispatch(chosen))
    }

    /// A poll ended. `recorded` is false when the store could not record it:
    /// the source is then retried after a pause instead of at once.
    pub fn finished(&mut self, source_id: &str, recorded: bool, now: DateTime<Utc>) {
        self.in_flight.remove(source_id);
        if !recorded {
            self.retry_at.insert(
                source_id.to_string(),
                now + chrono::Duration::seconds(RECORD_RETRY),
            );
        }
    }
}

/// Bring stored plans in line with the schedules: a plan later than the
/// schedule's next run (the schedule was made more frequent, or the source
/// is new) is moved to the schedule's next run.
pub async fn reconcile(app: &App, sources: &[Source], now: DateTime<Utc>) -> anyhow::Result<usize> {
    let enabled: Vec<String> = sources
        .iter()
        .filter(|s| s.def.enabled)
        .map(|s| s.id().to_string())
        .collect();
    let parked = app.store.sync_planned_sources(&enabled).await?;
    if parked > 0 {
        tracing::debug!(
            parked,
            "sources not enabled in the configuration are not planned"
        );
    }
    let planned: HashMap<String, Option<DateTime<Utc>>> = app
        .store
        .health()
        .await?
        .into_iter()
        .map(|h| (h.id, h.next_poll_at))
        .collect();
    let jitter = chrono::Duration::from_std(app.config.schedule.jitter.0).unwrap_or_default();
    let mut moved = 0;
    for s in sources.iter().filter(|s| s.def.enabled) {
        let Some(Some(plan)) = planned.get(s.id()) else {
            continue;
        };
        let Some(next) = s.schedule.next_after(now) else {
            continue;
        };
        if *plan > next + jitter + chrono::Duration::seconds(1) {
            app.store
                .set_next_poll(s.id(), poll::next_due(app, s, now))
                .await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Load config, taxonomy and sources again (SIGHUP). The store and the
/// fetcher (per-host limits) are kept; `[storage]`, `[fetch]` and
/// `[server].listen` changes need a restart.
pub fn reload(current: &App, config_path: &Path) -> anyhow::Result<Live> {
    let cfg = Config::load(config_path)?;
    let sources = cfg.load_sources()?;
    let tagger = crate::classify::Tagger::for_config(&cfg)?;
    let app = App {
        config: Arc::new(cfg),
        store: current.store.clone(),
        fetcher: current.fetcher.clone(),
        tagger: Arc::new(tagger),
    };
    let sources = Arc::new(sources);
    Ok(Live {
        app,
        by_id: Arc::new(index(sources.clone())),
        sources,
    })
}

fn describe_reload(old: &[Source], new: &[Source]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let old_ids: HashMap<&str, &Source> = old.iter().map(|s| (s.id(), s)).collect();
    let new_ids: HashMap<&str, &Source> = new.iter().map(|s| (s.id(), s)).collect();
    let mut added: Vec<String> = new_ids
        .keys()
        .filter(|k| !old_ids.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    let mut removed: Vec<String> = old_ids
        .keys()
        .filter(|k| !new_ids.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    let mut changed: Vec<String> = new_ids
        .iter()
        .filter(|(k, s)| old_ids.get(*k).map(|o| o.def != s.def).unwrap_or(false))
        .map(|(k, _)| k.to_string())
        .collect();
    added.sort();
    removed.sort();
    changed.sort();
    (added, removed, changed)
}

/// Send a message to systemd's notify socket, when there is one
/// (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`). No libsystemd.
pub fn sd_notify(msg: &str) {
    use std::os::unix::net::UnixDatagram;
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str());
    let Ok(sock) = UnixDatagram::unbound() else {
        return;
    };
    let sent = if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name)
            .and_then(|a| sock.send_to_addr(msg.as_bytes(), &a))
    } else {
        sock.send_to(msg.as_bytes(), &path)
    };
    if let Err(e) = sent {
        tracing::debug!(error = %e, "could not notify systemd");
    }
}

/// Half the watchdog interval systemd asked for, if it asked.
fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.parse::<u32>().ok() != Some(std::process::id()) {
            return None;
        }
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// Connection limits of the HTTP server.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// The first request's headers must be complete this soon after connect.
    pub header_timeout: Duration,
    /// A connection with no request in flight is closed after this.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl ServerLimits {
    pub fn from_config(s: &crate::config::ServerConfig) -> ServerLimits {
        ServerLimits {
            header_timeout: s.header_timeout.0,
            idle_timeout: s.idle_timeout.0,
            max_connections: s.max_connections.max(1),
        }
    }
}

/// What the watchdog of one connection knows: requests in flight, and when
/// the connection last became idle (connect, or the end of a request).
struct ConnState {
    opened: Instant,
    in_flight: std::sync::atomic::AtomicUsize,
    served: std::sync::atomic::AtomicUsize,
    idle_since_ms: std::sync::atomic::AtomicU64,
}

impl ConnState {
    /// When this connection is due to be closed if it stays as it is.
    fn deadline(&self, limits: &ServerLimits) -> Option<Instant> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.in_flight.load(SeqCst) > 0 {
            return None;
        }
        let since = self.opened + Duration::from_millis(self.idle_since_ms.load(SeqCst));
        Some(if self.served.load(SeqCst) == 0 {
            since + limits.header_timeout
        } else {
            since + limits.idle_timeout
        })
    }
}

/// Serve `router` on `listener` until `shutdown`, then let open requests
/// finish (the caller bounds how long). Each connection must send its first
/// request's headers within `header_timeout`, and each later one within
/// `idle_timeout` of the previous answer (so an idle keep-alive connection
/// is closed then); at most `max_connections` are served at once,
/// the rest wait in the listen backlog, so slow clients cannot use up the
/// file descriptors.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use std::sync::atomic::Ordering::SeqCst;
    use tower::ServiceExt;

    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper starts this when it waits for a request's head, between
        // keep-alive requests too: the watchdog below holds the first request
        // to `header_timeout`, hyper every later one to the idle timeout.
        .header_read_timeout(limits.idle_timeout.max(limits.header_timeout));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(64)
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors or similar: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::new(ConnState {
            opened: Instant::now(),
            in_flight: Default::default(),
            served: Default::default(),
            idle_since_ms: Default::default(),
        });
        let svc_state = state.clone();
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let router = router.clone();
                let state = svc_state.clone();
                state.in_flight.fetch_add(1, SeqCst);
                async move {
                    let res = router.oneshot(req.map(axum::body::Body::new)).await;
                    state.served.fetch_add(1, SeqCst);
                    state
                        .idle_since_ms
                        .store(state.opened.elapsed().as_millis() as u64, SeqCst);
                    state.in_flight.fetch_sub(1, SeqCst);
                    res
                }
            });
        let builder = builder.clone();
        let mut stop = stop_rx.clone();
        conns.spawn(async move {
            let _permit = permit;
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let mut stopping = false;
            loop {
                let deadline = state.deadline(&limits);
                let wake = deadline
                    .map(|d| d.min(Instant::now() + Duration::from_secs(1)))
                    .unwrap_or_else(|| Instant::now() + Duration::from_millis(250));
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = stop.wait_for(|s| *s), if !stopping => {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    _ = tokio::time::sleep_until(wake.into()) => {
                        if state.deadline(&limits).is_some_and(|d| Instant::now() >= d) {
                            tracing::debug!(peer = %peer, served = state.served.load(SeqCst), "closing a slow or idle connection");
                            break;
                        }
                    }
                }
            }
        });
        // Reap finished connection tasks as we go.
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while conns.join_next().await.is_some() {}
    Ok(())
}

/// Where to listen: `--listen` / `$REGWATCH_LISTEN`, else `[server].listen`.
fn listen_addr(app: &App, opts: &RunOptions) -> String {
    opts.listen
        .clone()
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| app.config.server.listen.clone())
}

/// Run the daemon until SIGTERM or SIGINT. `router` builds the HTTP side
/// over the live state (the front end above the daemon supplies it).
pub async fn run(
    app: App,
    config_path: PathBuf,
    opts: RunOptions,
    router: impl FnOnce(Shared) -> axum::Router,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let sources = app.config.load_sources()?;
    let listen = listen_addr(&app, &opts);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| {
            format!("cannot listen on {listen}: change [server].listen or pass --listen ADDR")
        })?;
    let addr = listener.local_addr()?;
    let moved = reconcile(&app, &sources, Utc::now()).await?;
    let shared = Shared::new(app, sources);

    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    // HTTP server.
    let router = router(shared.clone());
    let limits = ServerLimits::from_config(&shared.app().config.server);
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.wait_for(|s| *s).await;
        };
        serve(listener, router, limits, shutdown).await
    });

    // Notifier: the outbox every few seconds, digests every minute.
    let notifier = tokio::spawn(notifier(shared.clone(), stop_rx.clone()));

    {
        let n = shared.sources().iter().filter(|s| s.def.enabled).count();
        tracing::info!(listen = %addr, sources = n, plans_moved = moved, "regwatch is running");
        // Tests and scripts read this line to learn the port.
        println!("listening on http://{addr}");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        sd_notify(&format!(
            "READY=1\nSTATUS=watching {n} source(s); http on {addr}"
        ));
    }

    let budget = poll_budget(&shared.app().config);
    let mut sched = Scheduler::new(shared.app().config.fetch.concurrency)
        .leasing(instance_id(), source_lease(&shared.app().config));
    tracing::debug!(owner = %sched.owner, lease_s = sched.lease.num_seconds(), "leasing due sources");
    let mut workers: JoinSet<(String, anyhow::Result<PollSummary>)> = JoinSet::new();
    let watchdog = watchdog_interval();
    let mut watchdog_tick = tokio::time::interval(watchdog.unwrap_or(Duration::from_secs(3600)));
    watchdog_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut polls_done: u64 = 0;

    loop {
        let live_sources = shared.by_id();
        let app = shared.app();
        let now = Utc::now();
        let wake = match sched.step(&app.store, &live_sources, now).await {
            Ok(StepOutcome::Dispatch(chosen)) => {
                for s in chosen {
                    let app = app.clone();
                    workers.spawn(async move {
                        use futures_util::FutureExt;
                        let id = s.id().to_string();
                        // Abandoned (nothing recorded) before the lease ends,
                        // so no other instance polls the source meanwhile.
                        let poll = std::panic::AssertUnwindSafe(poll::poll_source(&app, &s))
                            .catch_unwind();
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
        };
        if wake.is_zero() {
            // Dispatched: look again at once (more may be due than workers were free).
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            _ = sigterm.recv() => { tracing::info!("SIGTERM: shutting down"); break; }
            _ = sigint.recv() => { tracing::info!("SIGINT: shutting down"); break; }
            _ = sighup.recv() => {
                sd_notify("RELOADING=1");
                let old = shared.sources();
                match reload(&shared.app(), &config_path) {
                    Ok(live) => {
                        let (added, removed, changed) = describe_reload(&old, &live.sources);
                        let new_sources = live.sources.clone();
                        let new_app = live.app.clone();
                        shared.replace(live);
                        if let Err(e) = reconcile(&new_app, &new_sources, Utc::now()).await {
                            tracing::warn!(error = format!("{e:#}"), "could not re-plan the reloaded sources");
                        }
                        tracing::info!(sources = new_sources.len(), added = added.join(","), removed = removed.join(","), changed = changed.join(","), "configuration reloaded");
                    }
                    Err(e) => tracing::error!(error = format!("{e:#}"), "reload failed: keeping the previous configuration and sources"),
                }
                sd_notify(&format!("READY=1\nSTATUS=watching {} source(s); http on {addr}", shared.sources().len()));
            }
            Some(done) = workers.join_next(), if !workers.is_empty() => {
                polls_done += 1;
                match done {
                    Ok((id, Ok(_))) => sched.finished(&id, true, Utc::now()),
                    Ok((id, Err(e))) => {
                        tracing::error!(source = %id, error = format!("{e:#}"), "the poll could not be recorded; retrying in {RECORD_RETRY}s");
                        sched.finished(&id, false, Utc::now());
                    }
                    Err(e) => tracing::error!(error = %e, "a poll task was cancelled"),
                }
            }
            _ = tokio::time::sleep(wake) => {}
            _ = watchdog_tick.tick(), if watchdog.is_some() => {
                sd_notify(&format!("WATCHDOG=1\nSTATUS=watching {} source(s), {} poll(s) running, {polls_done} done since start", shared.sources().len(), sched.in_flight()));
            }
        }
    }

    // Shutdown: stop taking work, let polls finish within a bound, then stop.
    sd_notify("STOPPING=1\nSTATUS=shutting down");
    let _ = stop_tx.send(true);
    let running = workers.len();
    if running > 0 {
        tracing::info!(running, "waiting for in-flight polls");
        let drained = tokio::time::timeout(POLL_GRACE, async {
            while workers.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                abandoned = workers.len(),
                "in-flight polls abandoned; they are redone at the next start"
            );
            workers.abort_all();
        }
    }
    // Leases of abandoned polls: other instances may take the sources now.
    match shared.app().store.release_all_sources(&sched.owner).await {
        Ok(n) if n > 0 => tracing::info!(released = n, "source leases released"),
        Ok(_) => {}
        Err(e) => tracing::warn!(
            error = format!("{e:#}"),
            "could not release source leases; they expire"
        ),
    }
    match tokio::time::timeout(SERVER_GRACE, server).await {
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the HTTP server stopped with an error"),
        Err(_) => tracing::debug!("HTTP connections still open at exit"),
        _ => {}
    }
    let _ = tokio::time::timeout(Duration::from_millis(500), notifier).await;
    tracing::info!("stopped");
    Ok(())
}

async fn notifier(shared: Shared, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut warned = false;
    let mut last_digest: Option<tokio::time::Instant> = None;
    loop {
        let app = shared.app();
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
            match crate::notify::run_digests(&app, Utc::now()).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn app_with(sources_toml: &str) -> (App, Vec<Source>) {
        let cfg = Config::from_str(Path::new("t.toml"), "[schedule]\njitter = \"0s\"\n").unwrap();
        let sources =
            crate::config::parse_sources(Path::new("s.toml"), sources_toml, &cfg.schedule).unwrap();
        let store = Store::open("sqlite::memory:").await.unwrap();
        let app = App::new(cfg, store, crate::classify::Tagger::builtin()).unwrap();
        let ids: Vec<String> = sources.iter().map(|s| s.id().to_string()).collect();
        app.store.sync_planned_sources(&ids).await.unwrap();
        (app, sources)
    }

    const TWO: &str = r#"
[[source]]
id = "a"
name = "A"
jurisdiction = "TR"
kind = "feed"
url = "http://127.0.0.1:9/a"
schedule = "0 0 1 1 *"

[[source]]
id = "b"
name = "B"
jurisdiction = "VN"
kind = "feed"
url = "http://127.0.0.1:9/b"
schedule = "0 0 1 1 *"
enabled = true
"#;

    #[tokio::test]
    async fn never_polled_sources_are_due_and_the_pool_is_bounded() {
        let (app, sources) = app_with(TWO).await;
        let now = Utc::now();
        let mut s = Scheduler::new(1);
        match s
            .step(&app.store, &index(Arc::new(sources.clone())), now)
            .await
            .unwrap()
        {
            StepOutcome::Dispatch(v) => assert_eq!(v.len(), 1),
            o => panic!("{o:?}"),
        }
        assert!(matches!(
            s.step(&app.store, &index(Arc::new(sources.clone())), now)
                .await
                .unwrap(),
            StepOutcome::Full
        ));
        // A finished poll that recorded its plan (next year) leaves only the other one due.
        app.store
            .set_next_poll("a", now + chrono::Duration::days(300))
            .await
            .unwrap();
        s.finished("a", true, now);
        match s
            .step(&app.store, &index(Arc::new(sources.clone())), now)
            .await
            .unwrap()
        {
            StepOutcome::Dispatch(v) => assert_eq!(v[0].id(), "b"),
            o => panic!("{o:?}"),
        }
        app.store
            .set_next_poll("b", now + chrono::Duration::days(200))
            .await
            .unwrap();
        s.finished("b", true, now);
        match s
            .step(&app.store, &index(Arc::new(sources.clone())), now)
            .await
            .unwrap()
        {
            StepOutcome::Idle { next_due } => assert_eq!(
                next_due,
                Some(
                    crate::store::parse_ts(&crate::store::ts(now + chrono::Duration::days(200)))
                        .unwrap()
                )
            ),
            o => panic!("{o:?}"),
        }
    }

    #[tokio::test]
    async fn a_dispatch_reads_only_the_due_sources() {
        let many: String = (0..3000)
            .map(|i| {
                format!(
                    "[[source]]\nid = \"s{i}\"\nname = \"S{i}\"\njurisdiction = \"TR\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/{i}\"\nschedule = \"0 0 1 1 *\"\n"
                )
            })
            .collect();
        let (app, sources) = app_with(&many).await;
        let now = Utc::now();
        // Every source polled and planned for next year, but three.
        let ids: Vec<String> = sources.iter().map(|s| s.id().to_string()).collect();
        let later = crate::store::ts(now + chrono::Duration::days(300));
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE source_state SET next_poll_at = '{later}'"
        )))
        .execute(&app.store.pool)
        .await
        .unwrap();
        for id in ["s7", "s1500", "s2999"] {
            app.store
                .set_next_poll(id, now - chrono::Duration::seconds(5))
                .await
                .unwrap();
        }
        assert_eq!(ids.len(), 3000);
        let by_id = index(Arc::new(sources.clone()));
        let mut s = Scheduler::new(16);
        let before = app.store.scheduler_rows_read();
        match s.step(&app.store, &by_id, now).await.unwrap() {
            StepOutcome::Dispatch(v) => {
                let mut got: Vec<&str> = v.iter().map(|s| s.id()).collect();
                got.sort();
                assert_eq!(got, vec!["s1500", "s2999", "s7"]);
            }
            o => panic!("{o:?}"),
        }
        let read = app.store.scheduler_rows_read() - before;
        assert_eq!(read, 3, "a dispatch read {read} rows of 3000");
    }

    #[tokio::test]
    async fn an_unrecorded_poll_waits_before_it_is_retried() {
        let (app, sources) = app_with(TWO).await;
        let now = Utc::now();
        let mut s = Scheduler::new(4);
        assert!(
            matches!(s.step(&app.store, &index(Arc::new(sources.clone())), now).await.unwrap(), StepOutcome::Dispatch(v) if v.len() == 2)
        );
        s.finished("a", false, now);
        s.finished("b", false, now);
        assert!(matches!(
            s.step(&app.store, &index(Arc::new(sources.clone())), now)
                .await
                .unwrap(),
            StepOutcome::Idle { next_due: Some(_) }
        ));
        let later = now + chrono::Duration::seconds(RECORD_RETRY + 1);
        assert!(
            matches!(s.step(&app.store, &index(Arc::new(sources.clone())), later).await.unwrap(), StepOutcome::Dispatch(v) if v.len() == 2)
        );
    }

    #[tokio::test]
    async fn a_plan_later_than_the_schedule_is_pulled_in() {
        let every_minute = TWO.replace("0 0 1 1 *", "* * * * *");
        let (app, sources) = app_with(&every_minute).await;
        let now = Utc::now();
        app.store
            .set_next_poll("a", now + chrono::Duration::days(300))
            .await
            .unwrap();
        app.store
            .set_next_poll("b", now - chrono::Duration::seconds(10))
            .await
            .unwrap();
        assert_eq!(reconcile(&app, &sources, now).await.unwrap(), 1);
        let a = app.store.state("a").await.unwrap().next_poll_at.unwrap();
        assert!(a <= now + chrono::Duration::seconds(61));
    }

    #[test]
    fn reload_diff_names_added_removed_and_changed_sources() {
        let cfg = crate::config::ScheduleConfig::default();
        let old = crate::config::parse_sources(Path::new("s.toml"), TWO, &cfg).unwrap();
        let new_text = TWO
            .replace("\"b\"", "\"c\"")
            .replace("name = \"A\"", "name = \"A2\"");
        let new = crate::config::parse_sources(Path::new("s.toml"), &new_text, &cfg).unwrap();
        let (a, r, c) = describe_reload(&old, &new);
        assert_eq!(
            (a, r, c),
            (
                vec!["c".to_string()],
                vec!["b".to_string()],
                vec!["a".to_string()]
            )
        );
    }
}
