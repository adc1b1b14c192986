//! The connection server under the routes: hyper over a TCP listener, with
//! the limits that keep slow or idle clients from holding the daemon's
//! descriptors (a header timeout, an idle timeout, a connection cap).
//!
//! At the cap, a new connection does not wait behind connections that send
//! nothing: the one that has waited longest with no request in flight (one
//! that never finished its first request's headers first, then an idle
//! keep-alive one) is closed to make room. Connections with a request in
//! flight are never cut; when every slot is busy, new ones wait.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

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
    /// Asked to close to make room for a new connection (as soon as no
    /// request is in flight).
    evicted: std::sync::atomic::AtomicBool,
    /// Wakes the connection's watchdog when it is evicted.
    wake: tokio::sync::Notify,
}

impl ConnState {
    fn new() -> ConnState {
        ConnState {
            opened: Instant::now(),
            in_flight: Default::default(),
            served: Default::default(),
            idle_since_ms: Default::default(),
            evicted: Default::default(),
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Since when the connection has had no request in flight, or None
    /// while one is.
    fn waiting_since(&self) -> Option<Instant> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.in_flight.load(SeqCst) > 0 {
            return None;
        }
        Some(self.opened + Duration::from_millis(self.idle_since_ms.load(SeqCst)))
    }

    /// When this connection is due to be closed if it stays as it is.
    fn deadline(&self, limits: &ServerLimits) -> Option<Instant> {
        use std::sync::atomic::Ordering::SeqCst;
        let since = self.waiting_since()?;
        if self.evicted.load(SeqCst) {
            return Some(since);
        }
        Some(if self.served.load(SeqCst) == 0 {
            since + limits.header_timeout
        } else {
            since + limits.idle_timeout
        })
    }
}

/// The open connections, to find one to close when all slots are taken.
#[derive(Default)]
struct Registry {
    next: std::sync::atomic::AtomicU64,
    conns: std::sync::Mutex<std::collections::HashMap<u64, Arc<ConnState>>>,
}

impl Registry {
    fn add(self: &Arc<Self>, state: Arc<ConnState>) -> Registered {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, state);
        Registered {
            registry: self.clone(),
            id,
        }
    }

    /// Ask the connection that has waited longest with no request in
    /// flight to close: one still waiting for its first request's headers
    /// before an idle keep-alive one. False when every connection is busy.
    fn evict_one(&self) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        let conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        let victim = conns
            .values()
            .filter(|c| !c.evicted.load(SeqCst))
            .filter_map(|c| Some(((c.served.load(SeqCst) > 0, c.waiting_since()?), c)))
            .min_by_key(|(key, _)| *key)
            .map(|(_, c)| c.clone());
        match victim {
            Some(c) => {
                c.evicted.store(true, SeqCst);
                c.wake.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A connection's place in the registry, given up when it ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry
            .conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// Serve `router` on `listener` until `shutdown`, then let open requests
/// finish (the caller bounds how long). Each connection must send its first
/// request's headers within `header_timeout`, and each later one within
/// `idle_timeout` of the previous answer (so an idle keep-alive connection
/// is closed then); at most `max_connections` are served at once, so slow
/// clients cannot use up the file descriptors. At the cap, the connection
/// that has waited longest with no request in flight is closed to make room
/// for a new one; when all are busy, new ones wait in the listen backlog.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let builder = Arc::new(http_builder(&limits));
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let registry = Arc::new(Registry::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    'accept: loop {
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
        // A slot for it; at the cap, make one by closing a connection that
        // sends nothing, or wait for a busy one to end.
        let permit = loop {
            if let Ok(p) = permits.clone().try_acquire_owned() {
                break p;
            }
            registry.evict_one();
            tokio::select! {
                _ = &mut shutdown => break 'accept,
                p = permits.clone().acquire_owned() => break p.expect("the semaphore is never closed"),
                // The one asked to close may have started a request since.
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        };
        let conn = Connection {
            stream,
            peer,
            limits,
            permit,
            registry: registry.clone(),
        };
        conns.spawn(conn.serve(router.clone(), builder.clone(), stop_rx.clone()));
        // Reap finished connection tasks as we go.
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while conns.join_next().await.is_some() {}
    Ok(())
}

type HttpBuilder = hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>;

/// HTTP/1 and HTTP/2 with the limits' timeouts.
fn http_builder(limits: &ServerLimits) -> HttpBuilder {
    use hyper_util::rt::{TokioExecutor, TokioTimer};
    let mut builder = HttpBuilder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper starts this when it waits for a request's head, between
        // keep-alive requests too: the watchdog of `Connection::serve` holds
        // the first request to `header_timeout`, hyper every later one to
        // the idle timeout.
        .header_read_timeout(limits.idle_timeout.max(limits.header_timeout));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(64)
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.header_timeout);
    builder
}

/// One accepted connection, holding one of the `max_connections` permits.
struct Connection {
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    limits: ServerLimits,
    permit: tokio::sync::OwnedSemaphorePermit,
    registry: Arc<Registry>,
}

impl Connection {
    /// Serve requests until the client is done, too slow or idle, or the
    /// server stops (then open requests finish).
    async fn serve(
        self,
        router: axum::Router,
        builder: Arc<HttpBuilder>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        use hyper_util::rt::TokioIo;
        use std::sync::atomic::Ordering::SeqCst;
        let Connection {
            stream,
            peer,
            limits,
            permit: _permit,
            registry,
        } = self;
        let _ = stream.set_nodelay(true);
        let state = Arc::new(ConnState::new());
        let _registered = registry.add(state.clone());
        let service = counted_service(router, state.clone(), peer);
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
                _ = state.wake.notified() => {}
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
            if state.deadline(&limits).is_some_and(|d| Instant::now() >= d) {
                if state.evicted.load(SeqCst) {
                    tracing::debug!(peer = %peer, served = state.served.load(SeqCst), "closing a waiting connection to make room for a new one");
                } else {
                    tracing::debug!(peer = %peer, served = state.served.load(SeqCst), "closing a slow or idle connection");
                }
                break;
            }
        }
    }
}

/// The router as a hyper service that keeps the connection's watchdog
/// informed: requests in flight, requests served, when it became idle.
/// Each request carries its peer's address (`ConnectInfo`).
fn counted_service(
    router: axum::Router,
    state: Arc<ConnState>,
    peer: std::net::SocketAddr,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl std::future::Future<
        Output = Result<axum::response::Response, std::convert::Infallible>,
    > + Send,
> + Clone {
    use std::sync::atomic::Ordering::SeqCst;
    use tower::ServiceExt;
    hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let router = router.clone();
        let state = state.clone();
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
    })
}
