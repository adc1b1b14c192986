//! `type = "webhook"`: the change, digest or health event as JSON, POSTed
//! and signed: `X-Regwatch-Signature: sha256=<hex>` is HMAC-SHA256 of the
//! exact body bytes under the channel's `secret`.

use crate::config::{ChannelConfig, ConfigError, Needed, Secret};
use crate::notify::channel::{Alert, Channel, ChannelType, Message, Preview, SendError};
use crate::notify::http::Poster;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

pub const TYPE: ChannelType = ChannelType {
    name: "webhook",
    build,
};

/// A webhook channel's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    url: Option<Secret>,
    /// HMAC-SHA256 key for X-Regwatch-Signature.
    #[serde(default)]
    secret: Option<Secret>,
}

struct Webhook {
    name: String,
    url: Needed<Secret>,
    /// No secret: unsigned. A secret asked for but not there now: no send
    /// (never unsigned when a signing key was asked for).
    secret: Needed<Option<Secret>>,
    poster: Poster,
}

fn build(ch: &ChannelConfig) -> Result<Box<dyn Channel>, ConfigError> {
    let s: Settings = ch.settings()?;
    let secret = match (s.secret, ch.unresolved("secret")) {
        (None, Some(_)) => Err(ch.missing("secret")),
        (secret, _) => Ok(secret),
    };
    Ok(Box::new(Webhook {
        name: ch.name.clone(),
        url: ch.needed(s.url, "url", "a webhook channel needs `url`")?,
        secret,
        poster: Poster::new(ch.timeout.0),
    }))
}

impl Webhook {
    /// The `X-Regwatch-Event` and the body for `m`.
    fn body(&self, m: &Message<'_>) -> (&'static str, Value) {
        let time =
            |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        match m.alert {
            Alert::Change(c) => (
                "change",
                serde_json::to_value(c.as_ref()).unwrap_or_default(),
            ),
            Alert::Digest(d) => (
                "digest",
                json!({"type": "digest", "channel": self.name, "period_start": time(d.period_start),
                       "period_end": time(d.period_end), "changes": d.changes}),
            ),
            Alert::Health(h) => {
                let mut v = h.payload.clone();
                if let Value::Object(m) = &mut v {
                    m.insert("type".into(), json!("health"));
                }
                ("health", v)
            }
        }
    }
}

impl Channel for Webhook {
    fn deliver<'a>(&'a self, m: &'a Message<'_>) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let url = self.url.as_ref().map_err(|e| SendError::new(e.clone()))?;
            let secret = self
                .secret
                .as_ref()
                .map_err(|e| SendError::new(e.clone()))?;
            let (event, body) = self.body(m);
            let body = serde_json::to_vec(&body).unwrap_or_default();
            let mut headers = vec![
                ("Idempotency-Key", m.key.to_string()),
                ("X-Regwatch-Event", event.to_string()),
            ];
            if let Some(s) = secret {
                headers.push((
                    "X-Regwatch-Signature",
                    signature(s.expose().as_bytes(), &body),
                ));
            }
            self.poster.post(url.expose(), body, &headers).await
        })
    }

    fn preview(&self, m: &Message<'_>) -> Result<Preview, SendError> {
        Ok(Preview {
            text: serde_json::to_string_pretty(&self.body(m).1).unwrap_or_default(),
            html: None,
        })
    }
}

/// `sha256=<hex>` of HMAC-SHA256(body) under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
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
