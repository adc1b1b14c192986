//! The fetch policy with an HTTP proxy: the proxy resolves the names it is
//! given, so names are checked before they are handed over (`localhost`,
//! `*.localhost`, names that resolve here to internal addresses), and the
//! proxy's own address, here a name that resolves to loopback as the
//! README's `proxy.corp` resolves to an internal one, is exempt: redirects
//! and links to public places go through it.
//!
//! The proxy is a tiny forward proxy written here, on 127.0.0.1. Like a
//! corporate proxy it reaches internal hosts (127.0.0.1, localhost) when
//! asked, and answers for the "internet" (any other host) itself.

use crate::helpers::*;
use regwatch::fetch::{FetchOutcome, Fetcher, ProxySettings, Validators};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A forward proxy: absolute-form requests only (no CONNECT: no TLS in
/// these tests); every request target it was given, in order.
struct TinyProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl TinyProxy {
    fn start() -> TinyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(vec![]));
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(conn, &log));
            }
        });
        TinyProxy { port, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn saw(&self, needle: &str) -> bool {
        self.seen().iter().any(|t| t.contains(needle))
    }
}

fn read_head(s: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).ok()? == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.push(b[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn serve(mut client: TcpStream, log: &Mutex<Vec<String>>) {
    let Some(head) = read_head(&mut client) else {
        return;
    };
    let mut parts = head.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    log.lock().unwrap().push(format!("{method} {target}"));
    let Ok(u) = url::Url::parse(target) else {
        let _ = client.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    };
    let host = u.host_str().unwrap_or("").to_string();
    let port = u.port_or_known_default().unwrap_or(80);
    let internal = host == "127.0.0.1" || host == "localhost" || host.ends_with(".localhost");
    if internal {
        // Reach it, as a proxy inside the network would.
        let Ok(mut up) = TcpStream::connect(("127.0.0.1", port)) else {
            return;
        };
        let path = match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        };
        let _ = write!(
            up,
            "{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\nAccept-Encoding: identity\r\n\r\n"
        );
        let _ = std::io::copy(&mut up, &mut client);
    } else {
        let body = rss(&[("p", &format!("Proxied {host}"), "via the proxy")]);
        let _ = write!(
            client,
            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}

fn body(r: Result<FetchOutcome, regwatch::fetch::FetchError>) -> String {
    match r {
        Ok(FetchOutcome::Fetched(f)) => String::from_utf8_lossy(&f.body).into_owned(),
        other => panic!("expected a fetched body, got {other:?}"),
    }
}

fn refused(r: Result<FetchOutcome, regwatch::fetch::FetchError>) -> String {
    match r {
        Err(e @ regwatch::fetch::FetchError::Refused { .. }) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A name from the hosts file (not a localhost one) that maps to a
/// non-public address, if this machine has one (its own hostname usually).
fn private_name_from_hosts_file() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(ip) = words
            .next()
            .and_then(|w| w.parse::<std::net::IpAddr>().ok())
        else {
            continue;
        };
        if regwatch::fetch::non_public(ip).is_none() {
            continue;
        }
        if let Some(name) = words.find(|n| {
            let n = n.to_ascii_lowercase();
            n != "localhost"
                && !n.ends_with(".localhost")
                && !n.starts_with("localhost.")
                && !n.starts_with("ip6-")
                && n.contains(|c: char| c.is_ascii_alphabetic())
        }) {
            return Some(name.to_string());
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_proxy_names_are_checked_before_it_and_its_own_address_is_exempt() {
    let srv = FixtureServer::start().await;
    let fx = srv.addr.port();
    srv.set("/secret", Reply::xml(&rss(&[("s", "SECRET", "internal")])));
    let redirect = |path: &str, to: &str| {
        srv.set(path, Reply::status(302).header("location", to));
    };
    redirect("/public-ip", "http://93.184.215.14/news.xml");
    redirect("/public-name", "http://news.gazette.invalid/feed.xml");
    redirect("/localhost", &format!("http://localhost:{fx}/secret"));
    redirect(
        "/sub-localhost",
        &format!("http://intranet.localhost:{fx}/secret"),
    );
    let other = FixtureServer::start().await;
    redirect("/literal", &other.url("/secret"));
    let hosts_name = private_name_from_hosts_file();
    if let Some(n) = &hosts_name {
        redirect("/hosts-file", &format!("http://{n}:{fx}/secret?hosts"));
    }
    let proxy = TinyProxy::start();
    let setup = Setup::new("", "");
    let cfg = setup.config().fetch;
    // The proxy named by a name that resolves to an internal address.
    let fetcher = Fetcher::with_proxies(
        &cfg,
        ProxySettings {
            http: Some(format!("http://localhost:{}", proxy.port)),
            ..Default::default()
        },
    )
    .unwrap();
    let get = |path: &str| {
        let u = url::Url::parse(&srv.url(path)).unwrap();
        let f = fetcher.clone();
        async move { f.fetch(&u, &Validators::default()).await }
    };

    // The source's own URL goes through the proxy, and so do redirects to
    // public places: the proxy's own (internal) address is not refused.
    let b = body(get("/public-ip").await);
    assert!(b.contains("Proxied 93.184.215.14"), "{b}");
    assert!(
        proxy.saw(&format!("GET http://127.0.0.1:{fx}/public-ip")),
        "{:?}",
        proxy.seen()
    );
    let b = body(get("/public-name").await);
    assert!(b.contains("Proxied news.gazette.invalid"), "{b}");

    // Local names are refused before the proxy is asked for them.
    let e = refused(get("/localhost").await);
    assert_eq!(
        e,
        format!("redirect to localhost:{fx} refused: a local name (localhost); set [fetch].allow_private = true or allow_hosts to permit it")
    );
    let e = refused(get("/sub-localhost").await);
    assert!(
        e.starts_with(&format!(
            "redirect to intranet.localhost:{fx} refused: a local name"
        )),
        "{e}"
    );
    let e = refused(get("/literal").await);
    assert!(e.contains("a private address (loopback)"), "{e}");
    match &hosts_name {
        Some(n) => {
            let e = refused(get("/hosts-file").await);
            assert!(
                e.starts_with(&format!(
                    "redirect to {}:{fx} refused: it resolves to a",
                    n.to_ascii_lowercase()
                )),
                "{e}"
            );
        }
        None => eprintln!("no private name in /etc/hosts: that case is not exercised here"),
    }

    // Followed links are held to the same rules.
    let origin = url::Url::parse(&srv.url("/list")).unwrap();
    let link = url::Url::parse(&format!("http://localhost:{fx}/secret")).unwrap();
    let e = refused(fetcher.fetch_link(&link, &origin).await);
    assert!(
        e.starts_with(&format!("link to localhost:{fx} refused: a local name")),
        "{e}"
    );
    let public = url::Url::parse("http://93.184.215.14/notice/7").unwrap();
    assert!(body(fetcher.fetch_link(&public, &origin).await).contains("Proxied"));

    assert!(!proxy.saw("/secret"), "{:?}", proxy.seen());
    assert_eq!(srv.hits("/secret"), 0);
    assert_eq!(srv.hits("/secret?hosts"), 0);
    assert_eq!(other.hits("/secret"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environments_proxy_is_used_and_held_to_the_policy() {
    let srv = FixtureServer::start().await;
    let fx = srv.addr.port();
    srv.set("/secret", Reply::xml(&rss(&[("s", "SECRET", "internal")])));
    srv.set(
        "/public",
        Reply::status(302).header("location", "http://93.184.215.14/news.xml"),
    );
    srv.set(
        "/local",
        Reply::status(302).header("location", &format!("http://localhost:{fx}/secret")),
    );
    let proxy = TinyProxy::start();
    let sources = format!(
        "{}{}",
        source_toml("via-public", "feed", &srv.url("/public"), ""),
        source_toml("via-local", "feed", &srv.url("/local"), "")
    );
    let setup = Setup::new(&sources, "");
    let run = |id: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_regwatch"))
            .arg("--config")
            .arg(&setup.config_path)
            .args(["sources", "test", id])
            .current_dir(setup.root())
            .env("REGWATCH_LOG", "warn")
            .env("HTTP_PROXY", format!("http://localhost:{}", proxy.port))
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .unwrap()
    };
    let o = run("via-public");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("Proxied 93.184.215.14"), "{out}");
    let o = run("via-local");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "redirect to localhost:{fx} refused: a local name (localhost)"
        )),
        "{err}"
    );
    assert!(!proxy.saw("/secret"), "{:?}", proxy.seen());
    assert_eq!(srv.hits("/secret"), 0);
}
