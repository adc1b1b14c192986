//! JSON over HTTP POST, for the channels that send so (Slack, Teams,
//! webhooks): 2xx is delivered, a redirect is an error to fix, a 429 or 5xx
//! carries its Retry-After. Errors never name the URL (it may be a secret).

use super::channel::SendError;
use std::sync::OnceLock;
use std::time::Duration;

/// The JSON POSTs of one channel: one client, made at its first send.
pub struct Poster {
    timeout: Duration,
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl Poster {
    pub fn new(timeout: Duration) -> Poster {
        Poster {
            timeout,
            client: OnceLock::new(),
        }
    }

    /// POST `body` as JSON with `headers`.
    pub async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<(), SendError> {
        let client = self
            .client
            .get_or_init(|| client(self.timeout).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(SendError::new)?;
        post(client, url, body, headers).await
    }
}

pub fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        // A redirected POST turns into a GET: treat a redirect as an error to fix.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("regwatch/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// POST a JSON body; 2xx is delivered, 429 carries its Retry-After.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> Result<(), SendError> {
    let mut req = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    // reqwest errors name the URL, and a Slack webhook URL is a secret.
    let resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| SendError::new(describe(e.without_url())))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = crate::util::retry_after(resp.headers());
    let text = resp.text().await.unwrap_or_default();
    let text = super::render::one_line(&super::render::cut(&text, 200).0);
    let mut e = SendError::new(if text.is_empty() {
        format!("the receiver answered HTTP {status}")
    } else {
        format!("the receiver answered HTTP {status}: {text}")
    });
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        e.retry_after = Some(retry_after.unwrap_or(Duration::from_secs(30)));
    } else if status.is_server_error() {
        e.retry_after = retry_after;
    }
    Err(e)
}

fn describe(e: reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "no answer from the receiver in time".to_string()
    } else if e.is_connect() {
        "cannot connect to the receiver".to_string()
    } else {
        "sending failed".to_string()
    };
    let mut src = std::error::Error::source(&e);
    while let Some(x) = src {
        s.push_str(&format!(": {x}"));
        src = x.source();
    }
    s
}
