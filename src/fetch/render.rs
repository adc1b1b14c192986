//! Pages built by JavaScript (`render = "browser"`): the page is loaded in
//! headless Chromium, driven over the DevTools protocol (one WebSocket per
//! render), and the DOM it builds is handed back as HTML for the page
//! extractor. The browser starts on first use and again if it died; at most
//! `[fetch].browser_concurrency` pages render at once, each within
//! `[fetch].timeout` and `[fetch].max_bytes`.
//!
//! Every connection the page makes is held to the fetch policy (its own
//! origin, `allow_hosts`, else public addresses only), twice: HTTP requests
//! are paused (the `Fetch` domain) and refused before they are sent, and
//! the page runs in a browser context of its own whose proxy is a gate on
//! 127.0.0.1 (`fetch::gate`) that admits each connection, of any scheme,
//! only when the policy does. The gate is what stops WebSockets, which the
//! `Fetch` domain never sees; QUIC is off and WebRTC may not use UDP
//! outside the proxy, so nothing leaves around it. A page cannot make the
//! browser reach loopback, private or link-local services.

use super::gate::Gates;
use crate::config::FetchConfig;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, Semaphore};
use tokio_tungstenite::tungstenite::Message;

/// After the load event (and with no `wait_for`), the page is done when the
/// network has been quiet this long.
const SETTLE: Duration = Duration::from_millis(500);
/// How long the browser may take to start and print its DevTools address.
const START_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum RenderError {
    #[error("render = \"browser\" needs chromium: apt-get install chromium ([fetch].browser = \"{0}\" was not found)")]
    Missing(String),
    #[error("the browser `{0}` did not start: {1}")]
    Start(String, String),
    #[error("the browser failed: {0}")]
    Protocol(String),
    #[error("the browser could not load the page: {0}")]
    Navigate(String),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("timed out after {0:?} rendering the page")]
    Timeout(Duration),
    #[error("`wait_for` selector `{0}` matched nothing within {1:?} of rendering")]
    WaitFor(String, Duration),
    #[error("the rendered page is larger than the cap of {0} bytes: raise [fetch].max_bytes if this is expected")]
    TooLarge(u64),
}

/// A rendered page.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub status: u16,
    pub html: String,
    pub final_url: url::Url,
    /// Requests and connections the page made that were refused by the
    /// fetch policy (private addresses).
    pub blocked: Vec<String>,
}

/// The browser, shared by every poll of a process (cheap to clone).
#[derive(Clone)]
pub struct Browser {
    inner: Arc<Inner>,
}

struct Inner {
    program: String,
    user_agent: String,
    timeout: Duration,
    max_bytes: u64,
    slots: Semaphore,
    running: Mutex<Option<Running>>,
    /// The fetch policy, as the proxy of each page's browser context.
    gates: Arc<Gates>,
}

struct Running {
    child: Option<Child>,
    ws: String,
    profile: PathBuf,
}

impl Drop for Running {
    /// Stop the browser and remove its profile once it has exited (it
    /// writes there until then), off the async threads.
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = child.start_kill();
        let profile = std::mem::take(&mut self.profile);
        std::thread::spawn(move || {
            for _ in 0..100 {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if !profile.as_os_str().is_empty() {
                let _ = std::fs::remove_dir_all(&profile);
            }
        });
    }
}

static PROFILES: AtomicUsize = AtomicUsize::new(0);

impl Browser {
    /// The browser of `cfg`, held to its fetch policy, with the
    /// environment's proxies upstream.
    pub fn new(cfg: &FetchConfig) -> Browser {
        Browser::with_gates(
            cfg,
            Arc::new(Gates::new(
                cfg,
                crate::fetch::proxy::ProxySettings::from_env(),
            )),
        )
    }

    pub(crate) fn with_gates(cfg: &FetchConfig, gates: Arc<Gates>) -> Browser {
        Browser {
            inner: Arc::new(Inner {
                program: cfg.browser.clone(),
                user_agent: cfg.user_agent.clone(),
                timeout: cfg.timeout.0,
                max_bytes: cfg.max_bytes,
                slots: Semaphore::new(cfg.browser_concurrency.max(1)),
                running: Mutex::new(None),
                gates,
            }),
        }
    }

    /// Load `url`, wait (for `wait_for`, or for the load event and a quiet
    /// network), and return the DOM as HTML.
    pub async fn render(
        &self,
        url: &url::Url,
        wait_for: Option<&str>,
    ) -> Result<Rendered, RenderError> {
        let _permit = self
            .inner
            .slots
            .acquire()
            .await
            .expect("semaphore never closed");
        // Starting the browser is not the page's time.
        let ws = self.endpoint(false).await?;
        let budget = self.inner.timeout;
        let deadline = Instant::now() + budget;
        let gate =
            self.inner.gates.open(url).await.map_err(|e| {
                RenderError::Protocol(format!("the page's proxy did not start: {e}"))
            })?;
        let run = async {
            let conn = match tokio_tungstenite::connect_async(ws.as_str()).await {
                Ok((c, _)) => c,
                // The browser went away between polls: start it again, once.
                Err(_) => {
                    let ws = self.endpoint(true).await?;
                    tokio_tungstenite::connect_async(ws.as_str())
                        .await
                        .map_err(|e| RenderError::Protocol(format!("DevTools connection: {e}")))?
                        .0
                }
            };
            let mut cdp = Cdp {
                ws: conn,
                next: 0,
                events: VecDeque::new(),
                session: None,
                own: url.clone(),
                gates: self.inner.gates.clone(),
                inflight: HashSet::new(),
                last_net: Instant::now(),
                blocked: vec![],
            };
            // A context of its own: its own cookies and cache, and every
            // connection through the page's gate (loopback included: the
            // browser's implicit bypass of it is removed).
            let context = cdp
                .call(
                    "Target.createBrowserContext",
                    json!({
                        "disposeOnDetach": true,
                        "proxyServer": format!("http://{}", gate.addr),
                        "proxyBypassList": "<-loopback>",
                    }),
                )
                .await?["browserContextId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let target = cdp
                .call(
                    "Target.createTarget",
                    json!({"url": "about:blank", "browserContextId": context}),
                )
                .await?["targetId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let res = cdp.page(&target, url, wait_for, deadline, budget).await;
            cdp.session = None;
            let _ = cdp
                .call("Target.closeTarget", json!({"targetId": target}))
                .await;
            let _ = cdp
                .call(
                    "Target.disposeBrowserContext",
                    json!({"browserContextId": context}),
                )
                .await;
            res
        };
        let mut rendered = tokio::time::timeout(budget + Duration::from_secs(2), run)
            .await
            .map_err(|_| RenderError::Timeout(budget))??;
        rendered.blocked.extend(gate.blocked());
        drop(gate);
        if rendered.html.len() as u64 > self.inner.max_bytes {
            return Err(RenderError::TooLarge(self.inner.max_bytes));
        }
        for b in &rendered.blocked {
            tracing::info!(url = %crate::util::redact(url), blocked = %b, "the page asked the browser for a private address; refused");
        }
        Ok(rendered)
    }

    /// The process id of the running browser, if one is running (for
    /// operators' diagnostics and tests).
    pub async fn pid(&self) -> Option<u32> {
        let mut running = self.inner.running.lock().await;
        let c = running.as_mut()?.child.as_mut()?;
        match c.try_wait() {
            Ok(None) => c.id(),
            _ => None,
        }
    }

    /// The DevTools address of the running browser, starting it when it is
    /// not running (or `restart`).
    async fn endpoint(&self, restart: bool) -> Result<String, RenderError> {
        let mut running = self.inner.running.lock().await;
        if let Some(r) = running.as_mut() {
            let alive = r
                .child
                .as_mut()
                .is_some_and(|c| matches!(c.try_wait(), Ok(None)));
            if alive && !restart {
                return Ok(r.ws.clone());
            }
            if !alive {
                tracing::warn!(
                    browser = %self.inner.program,
                    "the browser exited; starting it again"
                );
            }
        }
        *running = None;
        let r = self.launch().await?;
        let ws = r.ws.clone();
        *running = Some(r);
        Ok(ws)
    }

    async fn launch(&self) -> Result<Running, RenderError> {
        let program = &self.inner.program;
        let n = PROFILES.fetch_add(1, Ordering::Relaxed);
        let profile =
            std::env::temp_dir().join(format!("regwatch-browser-{}-{n}", std::process::id()));
        let mut cmd = Command::new(program);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            // Nothing around the page's proxy: no QUIC (HTTP/3,
            // WebTransport), and WebRTC only over the proxy, never UDP.
            "--disable-quic",
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--user-agent={}", self.inner.user_agent))
        .arg("about:blank")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                RenderError::Missing(program.clone())
            } else {
                RenderError::Start(program.clone(), e.to_string())
            }
        })?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let mut said = String::new();
        let found = tokio::time::timeout(START_TIMEOUT, async {
            while let Ok(Some(l)) = lines.next_line().await {
                if let Some(i) = l.find("ws://") {
                    return Some(l[i..].trim().to_string());
                }
                if said.len() < 2000 {
                    said.push_str(&l);
                    said.push('\n');
                }
            }
            None
        })
        .await;
        let running = |ws: String, child: Child| Running {
            child: Some(child),
            ws,
            profile,
        };
        match found {
            Ok(Some(ws)) => {
                // Keep reading stderr, or the browser blocks on a full pipe.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                tracing::info!(browser = %program, "browser started");
                Ok(running(ws, child))
            }
            Ok(None) => {
                drop(running(String::new(), child));
                Err(RenderError::Start(
                    program.clone(),
                    format!("it exited without a DevTools address: {}", said.trim()),
                ))
            }
            Err(_) => {
                drop(running(String::new(), child));
                Err(RenderError::Start(
                    program.clone(),
                    format!("no DevTools address within {START_TIMEOUT:?}"),
                ))
            }
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One DevTools connection: commands and their answers, the page's events,
/// and the gate every request of the page passes.
struct Cdp {
    ws: Ws,
    next: u64,
    events: VecDeque<Value>,
    session: Option<String>,
    /// The page's own URL (its origin may be reached at any address).
    own: url::Url,
    gates: Arc<Gates>,
    inflight: HashSet<String>,
    last_net: Instant,
    blocked: Vec<String>,
}

impl Cdp {
    async fn send(&mut self, method: &str, params: Value) -> Result<u64, RenderError> {
        self.next += 1;
        let mut msg = json!({"id": self.next, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .await
            .map_err(|e| RenderError::Protocol(format!("DevTools send: {e}")))?;
        Ok(self.next)
    }

    async fn call(&mut self, method: &str, params: Value) -> Result<Value, RenderError> {
        let id = self.send(method, params).await?;
        loop {
            let m = self.recv().await?;
            if m["id"].as_u64() == Some(id) {
                if let Some(e) = m.get("error") {
                    return Err(RenderError::Protocol(format!(
                        "{method}: {}",
                        e["message"].as_str().unwrap_or("error")
                    )));
                }
                return Ok(m["result"].clone());
            }
            if m.get("method").is_some() {
                self.events.push_back(m);
            }
        }
    }

    /// The next message, after answering paused requests and counting the
    /// page's requests in flight.
    async fn recv(&mut self) -> Result<Value, RenderError> {
        loop {
            let m = match self.ws.next().await {
                Some(Ok(Message::Text(t))) => serde_json::from_str::<Value>(t.as_str())
                    .map_err(|e| RenderError::Protocol(format!("DevTools message: {e}")))?,
                Some(Ok(Message::Close(_))) | None => {
                    return Err(RenderError::Protocol(
                        "the browser closed the DevTools connection".into(),
                    ))
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(RenderError::Protocol(format!("DevTools: {e}"))),
            };
            let p = &m["params"];
            match m["method"].as_str() {
                Some("Fetch.requestPaused") => {
                    let id = p["requestId"].as_str().unwrap_or_default().to_string();
                    let u = p["request"]["url"].as_str().unwrap_or_default().to_string();
                    self.last_net = Instant::now();
                    if self.gates.page_may_fetch(&self.own, &u).await {
                        self.send("Fetch.continueRequest", json!({"requestId": id}))
                            .await?;
                    } else {
                        self.blocked.push(u);
                        self.send(
                            "Fetch.failRequest",
                            json!({"requestId": id, "errorReason": "BlockedByClient"}),
                        )
                        .await?;
                    }
                    continue;
                }
                Some("Network.requestWillBeSent") => {
                    self.last_net = Instant::now();
                    if let Some(id) = p["requestId"].as_str() {
                        self.inflight.insert(id.to_string());
                    }
                }
                Some("Network.loadingFinished") | Some("Network.loadingFailed") => {
                    self.last_net = Instant::now();
                    if let Some(id) = p["requestId"].as_str() {
                        self.inflight.remove(id);
                    }
                }
                _ => {}
            }
            return Ok(m);
        }
    }

    /// The next event, waiting at most until `until`.
    async fn event_until(&mut self, until: Instant) -> Result<Option<Value>, RenderError> {
        if let Some(e) = self.events.pop_front() {
            return Ok(Some(e));
        }
        let wait = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(wait, self.recv()).await {
            Ok(m) => m.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Read (and answer) what the browser says for `d`.
    async fn pump(&mut self, d: Duration) -> Result<(), RenderError> {
        let until = Instant::now() + d;
        while Instant::now() < until {
            self.event_until(until).await?;
        }
        Ok(())
    }

    async fn eval(&mut self, expression: &str) -> Result<Value, RenderError> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await?;
        if let Some(x) = r.get("exceptionDetails") {
            return Err(RenderError::Protocol(format!(
                "evaluating the page: {}",
                x["text"].as_str().unwrap_or("exception")
            )));
        }
        Ok(r["result"]["value"].clone())
    }

    async fn page(
        &mut self,
        target: &str,
        url: &url::Url,
        wait_for: Option<&str>,
        deadline: Instant,
        budget: Duration,
    ) -> Result<Rendered, RenderError> {
        let session = self
            .call(
                "Target.attachToTarget",
                json!({"targetId": target, "flatten": true}),
            )
            .await?["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.session = Some(session);
        self.call(
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": "*", "requestStage": "Request"}]}),
        )
        .await?;
        self.call("Network.enable", json!({})).await?;
        self.call("Page.enable", json!({})).await?;
        let nav = self
            .call("Page.navigate", json!({"url": url.as_str()}))
            .await?;
        if let Some(e) = nav["errorText"].as_str().filter(|e| !e.is_empty()) {
            return Err(RenderError::Navigate(e.to_string()));
        }
        let frame = nav["frameId"].as_str().unwrap_or_default().to_string();
        let mut status = None;
        loop {
            let Some(ev) = self.event_until(deadline).await? else {
                return Err(RenderError::Timeout(budget));
            };
            let p = &ev["params"];
            match ev["method"].as_str() {
                Some("Network.responseReceived")
                    if status.is_none()
                        && p["type"] == "Document"
                        && (frame.is_empty() || p["frameId"] == frame.as_str()) =>
                {
                    status = p["response"]["status"].as_u64().map(|s| s as u16);
                }
                Some("Page.loadEventFired") => break,
                _ => {}
            }
        }
        self.events.clear();
        let status = status.unwrap_or(200);
        if status >= 400 {
            return Err(RenderError::Status(status));
        }
        match wait_for {
            Some(sel) => {
                let probe = format!("document.querySelector({}) !== null", json!(sel));
                loop {
                    if self.eval(&probe).await? == json!(true) {
                        break;
                    }
                    if Instant::now() >= deadline {
                        return Err(RenderError::WaitFor(sel.to_string(), budget));
                    }
                    self.pump(Duration::from_millis(100)).await?;
                    self.events.clear();
                }
            }
            None => {
                // Network idle: nothing in flight, and quiet for SETTLE (the
                // page's scripts build the list from what they fetched).
                loop {
                    let quiet = self.last_net.elapsed();
                    if (self.inflight.is_empty() && quiet >= SETTLE) || Instant::now() >= deadline {
                        break;
                    }
                    self.pump(Duration::from_millis(100)).await?;
                    self.events.clear();
                }
            }
        }
        let html = self
            .eval("document.documentElement ? document.documentElement.outerHTML : ''")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string();
        let href = self.eval("location.href").await?;
        let final_url = href
            .as_str()
            .and_then(|h| url::Url::parse(h).ok())
            .unwrap_or_else(|| url.clone());
        Ok(Rendered {
            status,
            html: format!("<!DOCTYPE html>\n{html}"),
            final_url,
            blocked: std::mem::take(&mut self.blocked),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_own_origin_or_public_addresses() {
        let gates = Gates::new(
            &FetchConfig::default(),
            crate::fetch::proxy::ProxySettings::none(),
        );
        let own = url::Url::parse("http://127.0.0.1:8000/list").unwrap();
        let allowed = |own: &url::Url, u: &str| {
            let (gates, own, u) = (&gates, own.clone(), u.to_string());
            async move { gates.page_may_fetch(&own, &u).await }
        };
        assert!(allowed(&own, "http://127.0.0.1:8000/items.json").await);
        assert!(!allowed(&own, "http://127.0.0.1:8001/secret").await);
        assert!(!allowed(&own, "http://localhost:8000/").await);
        assert!(!allowed(&own, "http://10.0.0.5/").await);
        assert!(!allowed(&own, "http://169.254.169.254/latest/meta-data").await);
        assert!(!allowed(&own, "http://[::1]:8000/").await);
        assert!(!allowed(&own, "file:///etc/passwd").await);
        assert!(allowed(&own, "https://93.184.215.14/").await);
        assert!(allowed(&own, "data:text/plain,hi").await);
    }
}
