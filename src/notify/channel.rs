//! What a channel is: one trait. Each channel type (a file of `channels/`)
//! reads its own settings, builds its own message and sends it; the outbox
//! pass and the digests only hand it a [`Message`], never asking which type
//! it is.

use crate::config::{ChannelConfig, ConfigError};
use crate::model::{Change, Strength};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// A channel ready to send: built from its `[[channel]]` table by its type.
pub trait Channel: Send + Sync {
    /// Build this channel's message for `m` and send it: `Ok` once the
    /// receiver acknowledged it (an HTTP 2xx, an SMTP server's acceptance).
    fn deliver<'a>(&'a self, m: &'a Message<'_>) -> BoxFuture<'a, Result<(), SendError>>;

    /// The message `deliver` would send, for a person to read
    /// (`regwatch digest --preview`). Nothing is sent.
    fn preview(&self, m: &Message<'_>) -> Result<Preview, SendError>;
}

/// A channel type: the `type = "…"` that selects it, and how a channel of
/// it is made from its `[[channel]]` table. Registered in `channels/mod.rs`.
pub struct ChannelType {
    pub name: &'static str,
    /// Read the channel's own settings ([`ChannelConfig::settings`]) and
    /// make the channel. Errors name the file, the line and the key, so
    /// `regwatch sources check` reports them without sending anything.
    pub build: fn(&ChannelConfig) -> Result<Box<dyn Channel>, ConfigError>,
}

/// One message to send: what it is about, and what every channel needs to
/// tell it.
pub struct Message<'a> {
    pub alert: &'a Alert,
    /// The same for every attempt of one delivery (`change:<id>:<channel>`):
    /// a receiver that keeps it drops a copy sent again after a crash.
    pub key: &'a str,
    /// `[server].base_url`, for links to regwatch's pages.
    pub base_url: &'a str,
}

impl Message<'_> {
    /// The web change log from `start`.
    pub fn log_url(&self, start: DateTime<Utc>) -> String {
        format!(
            "{}/?since={}",
            self.base_url.trim_end_matches('/'),
            start.format("%Y-%m-%d")
        )
    }
}

/// What a message is about, loaded from the store when it is sent.
#[derive(Debug, Clone)]
pub enum Alert {
    /// One change (an immediate channel).
    Change(Box<Change>),
    /// A digest period and its changes, oldest first.
    Digest(Digest),
    /// A source went down or recovered.
    Health(Health),
}

impl Alert {
    /// Keep only the case matches of `min` strength or stronger: an alert
    /// lists the cases its channel counts.
    pub fn keep_cases(&mut self, min: Strength) {
        match self {
            Alert::Change(c) => c.cases.retain(|m| m.strength.at_least(min)),
            Alert::Digest(d) => d
                .changes
                .iter_mut()
                .for_each(|c| c.cases.retain(|m| m.strength.at_least(min))),
            Alert::Health(_) => {}
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Digest {
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub changes: Vec<Change>,
    /// The sources that are down as the digest is sent (bad news first).
    pub failing: Vec<DownSource>,
    /// The channel's IANA timezone: times in the message are in it.
    pub timezone: String,
    /// Per client, the changes of the period that hit its open cases.
    pub clients: Vec<ClientHits>,
}

/// A source that could not be polled, as a digest reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DownSource {
    pub id: String,
    pub name: String,
    /// Failing since (None: never polled successfully).
    pub since: Option<DateTime<Utc>>,
    /// The error in a few words.
    pub error: String,
}

/// One client's share of a digest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientHits {
    pub name: String,
    /// The changes (ids) hitting its open cases.
    pub changes: Vec<i64>,
    /// Its open cases they hit.
    pub cases: Vec<String>,
    /// Of the changes, how many are high urgency.
    pub high: usize,
}

/// A `health` delivery's payload, as queued by the store.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Health {
    pub source: String,
    pub jurisdiction: String,
    pub state: String,
    pub failures: i64,
    pub error: String,
    pub at: String,
    /// The payload as queued (a webhook sends it as it is).
    #[serde(skip)]
    pub payload: Value,
}

impl Health {
    pub fn from_payload(p: &Value) -> Health {
        let s = |k: &str| {
            p.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Health {
            source: s("source"),
            jurisdiction: s("jurisdiction"),
            state: s("state"),
            failures: p.get("failures").and_then(Value::as_i64).unwrap_or(0),
            error: crate::util::redact_urls_in(&s("error")),
            at: s("at"),
            payload: p.clone(),
        }
    }

    pub fn is_down(&self) -> bool {
        self.state == "down"
    }
}

/// A message as a person reads it before it is sent: its text (JSON
/// pretty-printed, or an email's subject and text part) and an HTML part,
/// if the channel sends one.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    pub text: String,
    pub html: Option<String>,
}

/// Why one send failed, and when the receiver asked us to come back.
#[derive(Debug, Clone)]
pub struct SendError {
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl SendError {
    pub fn new(m: impl Into<String>) -> SendError {
        SendError {
            message: m.into(),
            retry_after: None,
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SendError {}

impl From<anyhow::Error> for SendError {
    fn from(e: anyhow::Error) -> Self {
        SendError::new(format!("{e:#}"))
    }
}
