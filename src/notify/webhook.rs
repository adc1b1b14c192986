//! HTTP senders: Slack incoming webhooks and signed generic webhooks.

use super::SendError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// `sha256=<hex>` of HMAC-SHA256(body) under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
