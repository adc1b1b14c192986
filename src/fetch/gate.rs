//! The fetch policy as a forward proxy, for the browser of `render =
//! "browser"`. The DevTools `Fetch` domain pauses a page's HTTP requests, but
//! not its WebSockets (nor WebTransport, nor WebRTC's TCP fallback): those
//! would reach any host and port. So each rendered page gets its own
//! browser context whose proxy is a gate on 127.0.0.1 that admits a
//! connection only when the policy does: the page's own origin (host and
//! port, whatever it resolves to), hosts `allow_hosts` names, else public
//! addresses only. Every connection the browser opens for the page, of any
//! scheme, goes through it (`CONNECT` for https, wss and ws; absolute-form
//! requests for http), and is decided before a byte reaches the target.
//! Names are resolved here and the connection is made to the address that
//! was judged (no second lookup to rebind); with an upstream proxy in the
//! environment, names are checked as the fetcher checks them and the
//! request is handed to that proxy.

use super::policy::{non_public, proxied_name_refused, AddressPolicy};
use super::proxy::Proxies;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest request or response head relayed.
const MAX_HEAD: usize = 64 * 1024;
/// How long a client may take to send its request head, and a target to
/// accept a connection.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// What the gates of one fetcher share: the policy and the upstream proxies.
pub(crate) struct Gates {
    pub(crate) policy: Arc<AddressPolicy>,
    pub(crate) proxies: Arc<Proxies>,
}

/// A gate for one page: its address (the browser context's proxy) and what
/// it refused. Closed, with every connection through it, when dropped.
pub(crate) struct Gate {
    pub(crate) addr: SocketAddr,
    blocked: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Gate {
    /// The connections refused so far (`scheme://host:port`, or `host:port`
    /// for a tunnel).
    pub(crate) fn blocked(&self) -> Vec<String> {
        self.blocked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Where a connection may go, as decided.
enum Route {
    /// These addresses, in order.
    Direct(Vec<SocketAddr>),
    /// Through the upstream proxy at this URL.
    Upstream(url::Url),
}

impl Gates {
    /// The gates of `cfg`'s policy, with these upstream proxies.
    pub(crate) fn new(cfg: &crate::config::FetchConfig, proxies: super::ProxySettings) -> Gates {
        Gates {
            policy: Arc::new(AddressPolicy::new(cfg)),
            proxies: Arc::new(Proxies::new(proxies)),
        }
    }

    /// Whether a page at `own` may request `u` (the `Fetch` domain's
    /// check, before the request is sent): its own origin, inline data,
    /// or what the gate would admit.
    pub(crate) async fn page_may_fetch(&self, own: &url::Url, u: &str) -> bool {
        let Ok(u) = url::Url::parse(u) else {
            return false;
        };
        match u.scheme() {
            "data" | "blob" | "about" => return true,
            "http" | "https" | "ws" | "wss" => {}
            _ => return false,
        }
        if u.origin() == own.origin() {
            return true;
        }
        let Some(port) = u.port_or_known_default() else {
            return false;
        };
        self.decide(own, u.scheme(), &host_of(&u), port)
            .await
            .is_ok()
    }

    /// Open a gate for a page whose own origin is `origin`'s.
    pub(crate) async fn open(self: &Arc<Self>, origin: &url::Url) -> std::io::Result<Gate> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let blocked = Arc::new(Mutex::new(vec![]));
        let gates = self.clone();
        let own = origin.clone();
        let log = blocked.clone();
        let task = tokio::spawn(async move {
            // Dropped with the task: every connection ends with the gate.
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (gates, own, log) = (gates.clone(), own.clone(), log.clone());
                conns.spawn(async move {
                    if let Err(e) = gates.relay(stream, &own, &log).await {
                        tracing::debug!(error = %e, "browser gate: connection ended");
                    }
                });
                while conns.try_join_next().is_some() {}
            }
        });
        Ok(Gate {
            addr,
            blocked,
            task,
        })
    }

    /// Whether the page at `own` may reach `host:port` (`scheme` as far as
    /// known), and how; the reason when it may not.
    async fn decide(
        &self,
        own: &url::Url,
        scheme: &str,
        host: &str,
        port: u16,
    ) -> Result<Route, String> {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let own_host = own
            .host_str()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let own_origin = host == own_host && Some(port) == own.port_or_known_default();
        let target = url::Url::parse(&format!(
            "{scheme}://{}:{port}/",
            if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            }
        ))
        .map_err(|_| format!("`{host}` is not a host"))?;
        let allowed = own_origin || self.policy.allows_host(&host);
        if let Some(up) = self.proxies.for_url(&target) {
            if !allowed {
                if let Ok(ip) = host.parse::<IpAddr>() {
                    if let Some(r) = non_public(ip) {
                        return Err(r.to_string());
                    }
                } else if let Some(r) = proxied_name_refused(&host, port).await {
                    return Err(r);
                }
            }
            let up =
                url::Url::parse(&up).map_err(|_| "the upstream proxy is not a URL".to_string())?;
            return Ok(Route::Upstream(up));
        }
        if !allowed && (host == "localhost" || host.ends_with(".localhost")) {
            return Err("a local name (localhost)".into());
        }
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| format!("{host} does not resolve: {e}"))?
                .collect(),
        };
        if allowed {
            return Ok(Route::Direct(addrs));
        }
        let public: Vec<SocketAddr> = addrs
            .iter()
            .copied()
            .filter(|a| non_public(a.ip()).is_none())
            .collect();
        match (public.is_empty(), addrs.first()) {
            (false, _) => Ok(Route::Direct(public)),
            (true, Some(a)) => Err(format!(
                "{} ({})",
                non_public(a.ip()).unwrap_or("not public"),
                a.ip()
            )),
            (true, None) => Err(format!("{host} has no address")),
        }
    }

    /// One connection from the browser: its first request head says where
    /// to; refused with 403, or relayed.
    async fn relay(
        &self,
        mut client: TcpStream,
        own: &url::Url,
        blocked: &Mutex<Vec<String>>,
    ) -> std::io::Result<()> {
        let (head, rest) = tokio::time::timeout(STEP_TIMEOUT, read_head(&mut client))
            .await
            .map_err(|_| std::io::Error::other("no request head in time"))??;
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or("");
        let mut words = request_line.split(' ');
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let (scheme, host, port, origin_form) = request_target(method, target)?;
        let route = match self.decide(own, &scheme, &host, port).await {
            Ok(r) => r,
            Err(reason) => {
                let what = match &origin_form {
                    Some(_) => format!("{scheme}://{host}:{port}"),
                    None => format!("{host}:{port}"),
                };
                tracing::debug!(target = %what, reason = %reason, "browser gate: refused");
                blocked.lock().unwrap_or_else(|p| p.into_inner()).push(what);
                client
                    .write_all(
                        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await?;
                return Ok(());
            }
        };
        let headers = forwarded_headers(lines);
        let version = words.next().unwrap_or("HTTP/1.1");
        match route {
            Route::Direct(addrs) => {
                let mut up = connect(&addrs).await?;
                match origin_form {
                    None => {
                        client
                            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                            .await?;
                        up.write_all(&rest).await?;
                        tokio::io::copy_bidirectional(&mut client, &mut up).await?;
                    }
                    Some(path) => {
                        let mut head = vec![format!("{method} {path} {version}")];
                        head.extend(headers);
                        head.push("Connection: close".into());
                        up.write_all(head_bytes(&head).as_slice()).await?;
                        up.write_all(&rest).await?;
                        one_response(&mut client, &mut up).await?;
                    }
                }
            }
            Route::Upstream(proxy) => {
                let host_port = proxy_addr(&proxy)?;
                let mut up = tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect(host_port))
                    .await
                    .map_err(|_| std::io::Error::other("the upstream proxy does not answer"))??;
                let mut head = vec![request_line.to_string()];
                head.extend(headers);
                head.extend(proxy_auth(&proxy));
                if origin_form.is_some() {
                    // One request per connection, so each is judged.
                    head.push("Connection: close".into());
                    head.push("Proxy-Connection: close".into());
                }
                up.write_all(head_bytes(&head).as_slice()).await?;
                up.write_all(&rest).await?;
                match origin_form {
                    None => {
                        tokio::io::copy_bidirectional(&mut client, &mut up).await?;
                    }
                    Some(_) => one_response(&mut client, &mut up).await?,
                }
            }
        }
        Ok(())
    }
}

/// Where a proxy request goes: scheme, host, port, and the origin-form path
/// for a plain request (`None` for a CONNECT tunnel: https, wss, or ws
/// through a tunnel, whose scheme is not said).
fn request_target(
    method: &str,
    target: &str,
) -> std::io::Result<(String, String, u16, Option<String>)> {
    if method.eq_ignore_ascii_case("CONNECT") {
        let u = url::Url::parse(&format!("https://{target}/"))
            .map_err(|_| std::io::Error::other("a bad CONNECT target"))?;
        let port = u.port_or_known_default().unwrap_or(443);
        return Ok(("https".to_string(), host_of(&u), port, None));
    }
    let u = url::Url::parse(target)
        .map_err(|_| std::io::Error::other("not an absolute-form request"))?;
    let path = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    };
    let port = u.port_or_known_default().unwrap_or(80);
    Ok((u.scheme().to_string(), host_of(&u), port, Some(path)))
}

/// The browser's headers, less those about its link to this proxy.
fn forwarded_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    lines
        .filter(|l| !l.is_empty())
        .filter(|l| {
            let name = l
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            !matches!(
                name.as_str(),
                "proxy-connection" | "proxy-authorization" | "connection" | "keep-alive"
            )
        })
        .map(str::to_string)
        .collect()
}

/// A head's lines as sent: each ended by CRLF, then the blank line.
fn head_bytes(lines: &[String]) -> Vec<u8> {
    let mut out = lines.join("\r\n");
    out.push_str("\r\n\r\n");
    out.into_bytes()
}

/// The host of a URL without brackets.
fn host_of(u: &url::Url) -> String {
    match u.host() {
        Some(url::Host::Ipv6(a)) => a.to_string(),
        Some(h) => h.to_string(),
        None => String::new(),
    }
}

/// `host:port` of the upstream proxy.
fn proxy_addr(proxy: &url::Url) -> std::io::Result<String> {
    let host = proxy
        .host_str()
        .ok_or_else(|| std::io::Error::other("the upstream proxy has no host"))?;
    Ok(format!(
        "{host}:{}",
        proxy.port_or_known_default().unwrap_or(80)
    ))
}

/// The `Proxy-Authorization` line for a proxy URL with credentials.
fn proxy_auth(proxy: &url::Url) -> Option<String> {
    use base64::Engine;
    if proxy.username().is_empty() {
        return None;
    }
    // A URL's userinfo is percent-encoded.
    let decode = |s: &str| {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'%', Some(v)) => {
                    out.push(v);
                    i += 3;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    let creds = format!(
        "{}:{}",
        decode(proxy.username()),
        decode(proxy.password().unwrap_or(""))
    );
    Some(format!(
        "Proxy-Authorization: Basic {}",
        base64::engine::general_purpose::STANDARD.encode(creds)
    ))
}

/// Connect to the first address that answers.
async fn connect(addrs: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::other("no address");
    for a in addrs {
        match tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect(a)).await {
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(e)) => last = e,
            Err(_) => last = std::io::Error::other("connect timed out"),
        }
    }
    Err(last)
}

/// Read a head (up to the blank line); the head and any bytes read past it.
async fn read_head<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            buf.truncate(end);
            return Ok((String::from_utf8_lossy(&buf).into_owned(), rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(std::io::Error::other("the head is too large"));
        }
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("closed before the end of the head"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Relay one response to the browser, marked `Connection: close` so the
/// browser never sends a second request (for another host) on this
/// connection. The request's body keeps flowing up meanwhile.
async fn one_response(client: &mut TcpStream, up: &mut TcpStream) -> std::io::Result<()> {
    let (mut client_r, mut client_w) = client.split();
    let (mut up_r, mut up_w) = up.split();
    let upload = async {
        let _ = tokio::io::copy(&mut client_r, &mut up_w).await;
        // The answer decides when the exchange is over.
        std::future::pending::<()>().await
    };
    let download = async {
        let (head, rest) = read_head(&mut up_r).await?;
        let mut lines: Vec<String> = head
            .split("\r\n")
            .filter(|l| {
                let name = l
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                !matches!(
                    name.as_str(),
                    "connection" | "keep-alive" | "proxy-connection"
                )
            })
            .map(str::to_string)
            .collect();
        lines.push("Connection: close".into());
        client_w.write_all(&head_bytes(&lines)).await?;
        client_w.write_all(&rest).await?;
        tokio::io::copy(&mut up_r, &mut client_w).await?;
        client_w.shutdown().await
    };
    tokio::select! {
        r = download => r,
        _ = upload => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FetchConfig;

    /// Send `head` through the gate; everything it answers.
    async fn ask(gate: &Gate, head: &str) -> String {
        let mut s = TcpStream::connect(gate.addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn the_gate_admits_the_own_origin_and_refuses_internal_targets() {
        // The page's own origin: a local service that echoes.
        let own = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let own_addr = own.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = own.accept().await {
                tokio::spawn(async move {
                    let (head, _) = read_head(&mut s).await.unwrap();
                    let line = head.lines().next().unwrap_or("").to_string();
                    let body = format!("saw {line}");
                    let _ = s
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nKeep-Alive: timeout=5\r\n\r\n{body}",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .await;
                });
            }
        });
        let gates = Arc::new(Gates::new(
            &FetchConfig::default(),
            super::super::ProxySettings::none(),
        ));
        let page = url::Url::parse(&format!("http://{own_addr}/list")).unwrap();
        let gate = gates.open(&page).await.unwrap();
        let r = ask(
            &gate,
            &format!("GET http://{own_addr}/items.json?x=1 HTTP/1.1\r\nHost: {own_addr}\r\nProxy-Connection: keep-alive\r\n\r\n"),
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains("Connection: close\r\n"), "{r}");
        assert!(!r.contains("Keep-Alive"), "{r}");
        assert!(r.ends_with("saw GET /items.json?x=1 HTTP/1.1"), "{r}");
        for head in [
            "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n".to_string(),
            "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n".to_string(),
            "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n".to_string(),
            "GET http://169.254.169.254/latest/meta-data HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n"
                .to_string(),
            format!(
                "GET http://localhost:{}/ HTTP/1.1\r\nHost: x\r\n\r\n",
                own_addr.port()
            ),
        ] {
            let r = ask(&gate, &head).await;
            assert!(r.starts_with("HTTP/1.1 403 Forbidden"), "{head}: {r}");
        }
        let blocked = gate.blocked();
        assert_eq!(blocked.len(), 5, "{blocked:?}");
        assert_eq!(blocked[0], "127.0.0.1:1");
        assert_eq!(blocked[3], "http://169.254.169.254:80");
    }

    #[tokio::test]
    async fn behind_an_upstream_proxy_names_are_checked_then_handed_to_it() {
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let up_port = upstream.local_addr().unwrap().port();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = upstream.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let (head, _) = read_head(&mut s).await.unwrap();
                    let _ = tx.send(head);
                    let _ = s
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
                        .await;
                });
            }
        });
        // The upstream proxy is named by a name that resolves to loopback:
        // exempt, as the proxy's own address.
        let gates = Arc::new(Gates::new(
            &FetchConfig::default(),
            super::super::ProxySettings {
                http: Some(format!("http://user:p%40ss@localhost:{up_port}")),
                ..Default::default()
            },
        ));
        let page = url::Url::parse("http://gazette.example/list").unwrap();
        let gate = gates.open(&page).await.unwrap();
        let r = ask(
            &gate,
            "GET http://93.184.215.14/news HTTP/1.1\r\nHost: 93.184.215.14\r\nProxy-Connection: keep-alive\r\n\r\n",
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(
            r.contains("Connection: close\r\n") && !r.contains("keep-alive"),
            "{r}"
        );
        let head = rx.recv().await.unwrap();
        assert!(
            head.starts_with("GET http://93.184.215.14/news HTTP/1.1\r\n"),
            "{head}"
        );
        // user:p@ss
        assert!(
            head.contains("Proxy-Authorization: Basic dXNlcjpwQHNz"),
            "{head}"
        );
        assert!(head.contains("Connection: close"), "{head}");
        assert!(!head.contains("keep-alive"), "{head}");
        // Local names never reach the upstream proxy.
        for head in [
            "GET http://localhost:8080/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "GET http://intranet.localhost/ HTTP/1.1\r\nHost: intranet.localhost\r\n\r\n",
            "GET http://10.1.2.3/ HTTP/1.1\r\nHost: 10.1.2.3\r\n\r\n",
        ] {
            let r = ask(&gate, head).await;
            assert!(r.starts_with("HTTP/1.1 403 Forbidden"), "{head}: {r}");
        }
        assert!(
            rx.try_recv().is_err(),
            "the upstream proxy was asked for an internal target"
        );
    }
}
