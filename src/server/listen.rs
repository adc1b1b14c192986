//! The connection server under the routes: hyper over a TCP listener, with
//! the limits that keep slow or idle clients from holding the daemon's
//! descriptors (a header timeout, an idle timeout, a connection cap).

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
