//! Every channel type, by the `type = "…"` that selects it. A new channel
//! is one file here that implements [`Channel`] (its own settings, its
//! message, its send) and one line in [`TYPES`]; the outbox, retries,
//! idempotency keys, digests and `sources check` come with it.

pub mod email;
#[cfg(test)]
mod example;
pub mod slack;
pub mod teams;
pub mod webhook;

use super::channel::{Channel, ChannelType};
use crate::config::{ChannelConfig, Config, ConfigError};

pub const TYPES: &[ChannelType] = &[
    email::TYPE,
    slack::TYPE,
    teams::TYPE,
    webhook::TYPE,
    #[cfg(test)]
    example::TYPE,
];

/// The channel a `[[channel]]` table describes, made by its type from its
/// own settings. Errors name the file, the line and the key.
pub fn build(ch: &ChannelConfig) -> Result<Box<dyn Channel>, ConfigError> {
    match TYPES.iter().find(|t| t.name == ch.kind) {
        Some(t) => (t.build)(ch),
        None => {
            let names: Vec<&str> = TYPES.iter().map(|t| t.name).collect();
            Err(ch.invalid_key(
                "type",
                format!(
                    "`type = \"{}\"` is not a channel type: write one of {}",
                    ch.kind,
                    names.join(", ")
                ),
            ))
        }
    }
}

/// Every channel of `config` can be made: its type exists and its own
/// settings are right (secrets given as `X_env` / `X_file` that are not
/// there now only fail the sends). Nothing is sent.
pub fn check(config: &Config) -> Result<(), ConfigError> {
    for ch in &config.channels {
        build(ch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    pub(super) const TWO: &str = r#"
[[channel]]
name = "digest"
type = "email"
smtp_url = "smtp://127.0.0.1:2525"
from = "regwatch <rw@example.com>"
to = ["a@example.com", "B <b@example.com>"]
mode = "digest"

[[channel]]
name = "hook"
type = "webhook"
url = "https://cases.example/hook"
"#;

    fn check(text: &str) -> Result<Config, String> {
        let cfg = Config::from_str(Path::new("c.toml"), text).map_err(|e| e.to_string())?;
        super::check(&cfg).map_err(|e| e.to_string())?;
        Ok(cfg)
    }

    #[test]
    fn channels_are_parsed_by_kind() {
        let c = check(TWO).unwrap();
        assert_eq!(c.channels[1].kind, "webhook");
        // A key of another kind, a typo, a bad address: named, with the line.
        let e = check(&TWO.replace("url = \"https", "webhook_url = \"https")).unwrap_err();
        assert!(
            e.starts_with("c.toml:13:") && e.contains("webhook_url"),
            "{e}"
        );
        let e = check(&TWO.replace("a@example.com", "not an address")).unwrap_err();
        assert!(
            e.starts_with("c.toml:7:") && e.contains("not an address"),
            "{e}"
        );
        let e = check(&TWO.replace("type = \"webhook\"", "type = \"pager\"")).unwrap_err();
        assert!(e.starts_with("c.toml:12:") && e.contains("pager"), "{e}");
    }

    #[test]
    fn a_channel_without_what_it_sends_to_is_a_configuration_error() {
        let e = check("[[channel]]\nname = \"s\"\ntype = \"slack\"\n").unwrap_err();
        assert!(
            e.starts_with("c.toml:2:") && e.contains("webhook_url"),
            "{e}"
        );
        // Named by a variable that is not set now: only the sends fail.
        check("[[channel]]\nname = \"s\"\ntype = \"slack\"\nwebhook_url_env = \"RW_TEST_UNSET_SLACK_2\"\n")
            .unwrap();
        let e = check(&TWO.replace("smtp://127.0.0.1:2525", "http://127.0.0.1:2525")).unwrap_err();
        assert!(e.starts_with("c.toml:5:") && e.contains("smtp://"), "{e}");
    }

    /// SIGHUP: a channel its type refuses keeps the running configuration.
    #[tokio::test]
    async fn a_reload_with_a_bad_channel_keeps_the_running_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regwatch.toml");
        let sources = dir.path().join("sources");
        std::fs::create_dir(&sources).unwrap();
        let text = format!("[sources]\ndir = \"{}\"\n{TWO}", sources.display());
        std::fs::write(&path, &text).unwrap();
        let cfg = Config::load(&path).unwrap();
        let store = crate::store::Store::open("sqlite::memory:").await.unwrap();
        let app = crate::app::App::new(cfg, store, crate::classify::Tagger::builtin()).unwrap();
        let live = crate::app::LiveApp::new(app);
        std::fs::write(
            &path,
            text.replace("url = \"https", "webhook_url = \"https"),
        )
        .unwrap();
        let e = live.reload(&path, super::check).err().unwrap();
        assert!(format!("{e:#}").contains("webhook_url"), "{e:#}");
        assert_eq!(live.current().config.channels.len(), 2);
        std::fs::write(
            &path,
            text.replace("name = \"hook\"", "name = \"case-system\""),
        )
        .unwrap();
        let (now, _) = live.reload(&path, super::check).unwrap();
        assert_eq!(now.config.channels[1].name, "case-system");
    }
}
