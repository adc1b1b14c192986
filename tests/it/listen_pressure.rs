//! The connection server at its connection cap: connections that send
//! nothing do not keep a real request waiting for the header timeout, and
//! connections with a request in flight are never cut to make room.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The daemon's connection server over a small router: `/ok` at once,
/// `/slow` after 1.5 s.
async fn serve(limits: regwatch::server::listen::ServerLimits) -> String {
    use axum::routing::get;
    let router = regwatch::server::harden(
        axum::Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    "slow"
                }),
            ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(regwatch::server::listen::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Whether the server has closed `s` (reads 0 or fails), waiting up to `limit`.
fn closed(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 256];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_do_not_keep_a_real_request_waiting() {
    // The header timeout is far longer than the client will wait.
    let addr = serve(regwatch::server::listen::ServerLimits {
        header_timeout: Duration::from_secs(300),
        idle_timeout: Duration::from_secs(300),
        max_connections: 8,
    })
    .await;
    // Many more half-open connections than slots: half send part of a
    // request's headers, half nothing.
    let mut held: Vec<TcpStream> = (0..40)
        .map(|i| {
            let mut s = TcpStream::connect(&addr).unwrap();
            if i % 2 == 0 {
                s.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .unwrap();
            }
            s
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let r = client
        .get(format!("http://{addr}/ok"))
        .send()
        .await
        .expect("a real request is answered while half-open connections fill every slot");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    // The oldest of them were closed to make room.
    assert!(
        closed(&mut held[0], Duration::from_secs(5)),
        "the oldest half-open connection is still open"
    );
    // A second request is answered as well.
    let r = client
        .get(format!("http://{addr}/ok"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_connections_are_never_cut_to_make_room() {
    let addr = serve(regwatch::server::listen::ServerLimits {
        header_timeout: Duration::from_secs(300),
        idle_timeout: Duration::from_secs(300),
        max_connections: 2,
    })
    .await;
    // Both slots busy with requests in flight (one client each, so two
    // connections).
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let c = reqwest::Client::new();
                let r = c.get(format!("http://{addr}/slow")).send().await?;
                r.text().await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A third waits for one of them, and is answered.
    let r = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .get(format!("http://{addr}/ok"))
        .send()
        .await
        .expect("answered once a slot is free");
    assert_eq!(r.status(), 200);
    for s in slow {
        assert_eq!(
            s.await.unwrap().expect("a request in flight was cut"),
            "slow"
        );
    }
}
