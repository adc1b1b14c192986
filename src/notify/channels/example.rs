//! `type = "example"`: a whole channel type in one file, as
//! docs/architecture.md shows it (compiled into the tests only). It posts
//! `{"text": "…"}`, one line per alert, the way many chat webhooks take a
//! message.

use crate::config::{ChannelConfig, ConfigError, Needed, Secret};
use crate::notify::channel::{Alert, Channel, ChannelType, Message, Preview, SendError};
use crate::notify::http::Poster;
use futures_util::future::BoxFuture;
use serde::Deserialize;

pub const TYPE: ChannelType = ChannelType {
    name: "example",
    build,
};

/// The channel's own keys: a key it does not know is an error naming the
/// key and its line. `webhook_url` is a secret by its name: give it as
/// `webhook_url_env` or `webhook_url_file`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    webhook_url: Option<Secret>,
    #[serde(default)]
    prefix: String,
}

struct Example {
    webhook_url: Needed<Secret>,
    prefix: String,
    poster: Poster,
}

fn build(ch: &ChannelConfig) -> Result<Box<dyn Channel>, ConfigError> {
    let s: Settings = ch.settings()?;
    Ok(Box::new(Example {
        webhook_url: ch.needed(s.webhook_url, "webhook_url", "needs `webhook_url`")?,
        prefix: s.prefix,
        poster: Poster::new(ch.timeout.0),
    }))
}

impl Example {
    fn text(&self, m: &Message<'_>) -> String {
        let line = match m.alert {
            Alert::Change(c) => format!("{} {} {}", c.jurisdiction, c.title, c.url),
            Alert::Digest(d) => {
                format!("{} changes {}", d.changes.len(), m.log_url(d.period_start))
            }
            Alert::Health(h) => format!("source {} is {}", h.source, h.state),
        };
        format!("{}{line}", self.prefix)
    }
}

impl Channel for Example {
    fn deliver<'a>(&'a self, m: &'a Message<'_>) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let url = self
                .webhook_url
                .as_ref()
                .map_err(|e| SendError::new(e.clone()))?;
            let body = serde_json::json!({ "text": self.text(m) }).to_string();
            let headers = [("Idempotency-Key", m.key.to_string())];
            self.poster
                .post(url.expose(), body.into_bytes(), &headers)
                .await
        })
    }

    fn preview(&self, m: &Message<'_>) -> Result<Preview, SendError> {
        Ok(Preview {
            text: self.text(m),
            html: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::app::App;
    use crate::config::Config;
    use crate::services::reports::{add, FieldReport};
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    type Received = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

    /// A local receiver: answers 503 (with Retry-After: 0) to the first
    /// POST, 200 to the others, and keeps them all.
    async fn receiver() -> (String, Received) {
        let got: Received = Arc::default();
        let keep = got.clone();
        let route = axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let mut got = keep.lock().unwrap();
                got.push((key, body.0));
                if got.len() == 1 {
                    (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        [("retry-after", "0")],
                    )
                } else {
                    (axum::http::StatusCode::OK, [("retry-after", "0")])
                }
            },
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/in", l.local_addr().unwrap());
        let app = axum::Router::new().route("/in", route);
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (url, got)
    }

    /// The example type, added as one file and one line in `channels/mod.rs`,
    /// gets the rest from the outbox: its settings checked at load with the
    /// file and line, its secret from the environment, routing, retries with
    /// the same idempotency key, and the digest preview.
    #[tokio::test]
    async fn a_channel_added_as_one_file_and_one_line_is_delivered_through_the_outbox() {
        let (url, got) = receiver().await;
        std::env::set_var("RW_TEST_EXAMPLE_URL", &url);
        let text = "[server]\nbase_url = \"http://rw.example\"\n\n[[channel]]\nname = \"chat\"\ntype = \"example\"\nwebhook_url_env = \"RW_TEST_EXAMPLE_URL\"\nprefix = \"regwatch: \"\n";
        let cfg = Config::from_str(Path::new("c.toml"), text).unwrap();
        crate::notify::check_channels(&cfg).unwrap();
        let store = crate::store::Store::open("sqlite::memory:").await.unwrap();
        let app = App::with_sources(cfg, vec![], store, crate::classify::Tagger::builtin())
            .unwrap()
            .with_clock(crate::clock::Clock::at_date(2026, 6, 1));
        let report = FieldReport {
            country: "TR".into(),
            hs: vec!["8517.62".into()],
            title: "Telsiz ekipmanı kuralı".into(),
            text: "8517.62 uygunluk belgesi".into(),
            ..Default::default()
        };
        let id = add(&app, &report).await.unwrap();
        let first = crate::notify::deliver_due(&app, true).await.unwrap();
        assert_eq!((first.delivered, first.failed.len()), (0, 1), "{first:?}");
        let second = crate::notify::deliver_due(&app, true).await.unwrap();
        assert_eq!(second.delivered, 1, "{second:?}");
        let got = got.lock().unwrap().clone();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], got[1], "the same message and key on every attempt");
        assert_eq!(got[1].0, format!("change:{id}:chat"));
        assert_eq!(
            got[1].1["text"],
            format!("regwatch: TR Telsiz ekipmanı kuralı http://rw.example/changes/{id}")
        );
        let preview = crate::notify::digest_now(&app, Some("chat"), true, None)
            .await
            .unwrap();
        assert!(
            preview.starts_with("# channel chat (example), 1 change(s)")
                && preview.contains("regwatch: 1 changes http://rw.example/?since="),
            "{preview}"
        );
    }

    #[test]
    fn its_settings_are_checked_at_load_with_the_file_and_line() {
        let text = "[[channel]]\nname = \"chat\"\ntype = \"example\"\nwebhook_url = \"http://127.0.0.1:9/in\"\nprefx = \"x\"\n";
        let check = |t: &str| {
            let cfg = Config::from_str(Path::new("c.toml"), t).unwrap();
            crate::notify::check_channels(&cfg).map_err(|e| e.to_string())
        };
        let e = check(text).unwrap_err();
        assert!(
            e.starts_with("c.toml:5: channel `chat`: `prefx`: unknown field `prefx`"),
            "{e}"
        );
        let no_url = text
            .replace("webhook_url = \"http://127.0.0.1:9/in\"\n", "")
            .replace("prefx", "prefix");
        let e = check(&no_url).unwrap_err();
        assert!(
            e.starts_with("c.toml:2: channel `chat`: needs `webhook_url`"),
            "{e}"
        );
        // Named by an unset variable: loading works, the send fails with why.
        let unset = text
            .replace("webhook_url =", "webhook_url_env =")
            .replace("\"http://127.0.0.1:9/in\"", "\"RW_TEST_EXAMPLE_UNSET\"")
            .replace("prefx", "prefix");
        assert!(check(&unset).is_ok());
    }

    /// docs/architecture.md shows this file as it is, and its registration.
    #[test]
    fn the_architecture_doc_shows_this_file() {
        let doc = include_str!("../../../docs/architecture.md");
        let file = include_str!("example.rs");
        let code = &file[..file.find("#[cfg(test)]").unwrap()];
        assert!(doc.contains(code.trim_end()), "docs/architecture.md: copy src/notify/channels/example.rs (up to its tests) into the section on channels");
        assert!(doc.contains("    example::TYPE,"));
    }
}
