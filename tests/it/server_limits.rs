//! The HTTP server under hostile clients: slow headers, idle keep-alive,
//! too many connections, huge announced bodies, panicking handlers, and the
//! security headers of every response.

use crate::daemon::{spawn_daemon, spawn_daemon_env, TempDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Wait until the server closes `s`; how long that took, or None past `limit`.
fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while t0.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return Some(t0.elapsed()),
            Ok(_) => continue, // e.g. a 408 before the close
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(t0.elapsed()), // reset
        }
    }
    None
}

/// Send `head` on a fresh connection and read the status line of the answer.
fn raw_status(addr: &str, head: &str) -> (u16, Duration) {
    let t0 = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = vec![0u8; 1024];
    let n = s.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (code, t0.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_and_idle_connections_are_closed_and_healthz_keeps_answering() {
    let dir = TempDir::new("slowloris");
    let d = spawn_daemon(
        &dir.0,
        "",
        "header_timeout = \"1s\"\nidle_timeout = \"2s\"\nmax_connections = 64",
    );
    let a = addr(&d.base);
    // 40 slow clients: half send half a request, half send nothing at all.
    let mut slow: Vec<TcpStream> = (0..40)
        .map(|i| {
            let mut s = TcpStream::connect(&a).unwrap();
            if i % 2 == 0 {
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .unwrap();
            }
            s
        })
        .collect();
    let t0 = Instant::now();
    let r = reqwest::get(format!("{}/healthz", d.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "healthz answers while 40 slow clients hang: {:?}",
        t0.elapsed()
    );
    for (i, s) in slow.iter_mut().enumerate() {
        let t = closed_within(s, Duration::from_secs(4));
        assert!(t.is_some(), "slow connection {i} still open after 4s");
    }
    // An idle keep-alive connection is closed after idle_timeout.
    let mut ka = TcpStream::connect(&a).unwrap();
    ka.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    ka.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let n = ka.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let t = closed_within(&mut ka, Duration::from_secs(5)).expect("idle connection closed");
    assert!(
        t >= Duration::from_millis(1500),
        "not before idle_timeout: {t:?}"
    );
    let r = reqwest::get(format!("{}/healthz", d.base)).await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_a_new_connection_displaces_the_oldest_that_sends_nothing() {
    let dir = TempDir::new("conncap");
    let d = spawn_daemon(
        &dir.0,
        "",
        "header_timeout = \"30s\"\nidle_timeout = \"30s\"\nmax_connections = 4",
    );
    let a = addr(&d.base);
    let mut held: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(&a).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            std::thread::sleep(Duration::from_millis(50));
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // Four half-open connections hold every slot; a fifth does not wait the
    // 30 s header timeout behind them.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let r = client
        .get(format!("{}/healthz", d.base))
        .send()
        .await
        .expect("served at once");
    assert_eq!(r.status(), 200);
    // The oldest of the four made room; the newest is still open.
    assert!(closed_within(&mut held[0], Duration::from_secs(3)).is_some());
    assert!(closed_within(&mut held[3], Duration::from_millis(500)).is_none());
}

#[tokio::test]
async fn huge_announced_bodies_are_refused_before_reading() {
    let dir = TempDir::new("bigbody");
    let d = spawn_daemon_env(
        &dir.0,
        "",
        "",
        &[("REGWATCH_API_TOKEN", "s3cret-token".to_string())],
    );
    let a = addr(&d.base);
    let post = |auth: &str| {
        format!("POST /api/cases HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 10000000000\r\n{auth}\r\n")
    };
    // No token: 401 before a byte of the body is read.
    let (code, took) = raw_status(&a, &post(""));
    assert_eq!(code, 401);
    assert!(took < Duration::from_secs(1), "{took:?}");
    let (code, _) = raw_status(&a, &post("Authorization: Bearer wrong\r\n"));
    assert_eq!(code, 401);
    // The right token: 413 at once, from the announced length.
    let (code, took) = raw_status(&a, &post("Authorization: Bearer s3cret-token\r\n"));
    assert_eq!(code, 413);
    assert!(took < Duration::from_secs(1), "{took:?}");
    let (code, _) = raw_status(
        &a,
        "POST /api/reports HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\nAuthorization: Bearer s3cret-token\r\n\r\n",
    );
    assert_eq!(code, 413);
}

#[tokio::test]
async fn every_response_has_the_security_headers_and_pages_nothing_inline() {
    let dir = TempDir::new("sechdr");
    let d = spawn_daemon(&dir.0, "", "");
    for path in [
        "/",
        "/sources",
        "/changes/1",
        "/feed.atom",
        "/healthz",
        "/metrics",
        "/api/changes",
        "/api/changes/1",
        "/api/sources",
        "/api/cases",
        "/api/check?hs=8517.62&country=TR",
        "/no-such-page",
        "/style.css",
    ] {
        let r = reqwest::get(format!("{}{path}", d.base)).await.unwrap();
        let h = r.headers().clone();
        let get = |k: &str| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{path}: no {k}"))
                .to_string()
        };
        let csp = get("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(get("x-frame-options"), "DENY", "{path}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{path}");
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        if path == "/" || path == "/sources" {
            assert_eq!(status, 200, "{path}");
            assert!(!body.contains("<style"), "{path}: inline style");
            assert!(!body.contains("<script"), "{path}: inline script");
            assert!(!body.contains(" style="), "{path}: style attribute");
            assert!(body.contains("href=\"/style.css\""), "{path}");
        }
        if path == "/style.css" {
            assert_eq!(status, 200);
            assert!(body.contains("pre.diff"), "the stylesheet is served");
        }
    }
    // POST without a token is refused with the headers too.
    let r = reqwest::Client::new()
        .post(format!("{}/api/cases", d.base))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no token is configured: writes are off");
    assert!(r.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_not_a_dropped_connection() {
    use axum::routing::get;
    let router = regwatch::server::harden(
        axum::Router::new()
            .route(
                "/boom",
                get(|| async {
                    panic!("handler bug");
                    #[allow(unreachable_code)]
                    "never"
                }),
            )
            .route("/ok", get(|| async { "ok" })),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let limits = regwatch::server::listen::ServerLimits {
        header_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(5),
        max_connections: 8,
    };
    let server = tokio::spawn(regwatch::server::listen::serve(
        listener,
        router,
        limits,
        async {
            let _ = rx.await;
        },
    ));
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client.get(format!("{base}/boom")).send().await.unwrap();
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        let body = r.text().await.unwrap();
        assert!(body.contains("internal error"), "{body}");
        assert!(
            !body.contains("handler bug"),
            "the panic is not shown: {body}"
        );
    }
    let r = client.get(format!("{base}/ok")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let _ = tx.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("graceful shutdown")
        .unwrap()
        .unwrap();
}
