//! `config/regwatch.toml` and `sources/*.toml`: load, defaults, secrets,
//! validate. Every error names the file, the line and the key, and says
//! what to do.
//!
//! - `file.rs`: a TOML file parsed with spans; lines and messages from them
//! - `secrets.rs`: `X_env` / `X_file`, and [`Secret`]
//! - `sections.rs`: the sections of `regwatch.toml` and their defaults
//! - `channel.rs`: what every `[[channel]]` has; its type's own settings,
//!   kept for `notify::channels` to read (config knows no channel type)
//! - `validate.rs`: what serde cannot say (ranges, addresses, schedules)
//! - `sources.rs`: `sources/*.toml`
//! - `values.rs`: durations

mod channel;
mod file;
mod secrets;
mod sections;
mod sources;
mod validate;
mod values;

pub use channel::{
    common_keys, ChannelConfig, ChannelFilter, ChannelMode, ChannelSettings, Needed,
};
pub use file::ConfigError;
pub use secrets::Secret;
pub use sections::{
    CasesConfig, Config, FetchConfig, HealthConfig, Role, ScheduleConfig, ServerConfig,
    SourcesConfig, StorageConfig, UserConfig,
};
pub use sources::{
    load_sources_dir, parse_sources, ExtractRules, RedirectRule, Render, Source, SourceDef,
};
pub use values::{parse_duration, HumanDuration, MAX_DURATION};

use file::TomlText;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Where the config file is: --config, $REGWATCH_CONFIG, config/regwatch.toml,
/// /etc/regwatch/regwatch.toml.
pub fn find_config(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Ok(p) = std::env::var("REGWATCH_CONFIG") {
        if !p.is_empty() {
            return Ok(PathBuf::from(p));
        }
    }
    let candidates = ["config/regwatch.toml", "/etc/regwatch/regwatch.toml"];
    for c in candidates {
        if Path::new(c).exists() {
            return Ok(PathBuf::from(c));
        }
    }
    Err(ConfigError::NotFound {
        tried: "--config, $REGWATCH_CONFIG, config/regwatch.toml, /etc/regwatch/regwatch.toml"
            .into(),
    })
}

impl Config {
    /// Load and validate `regwatch.toml` (the sources are loaded separately;
    /// the channels' own settings are checked by their types,
    /// `notify::check_channels`).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::read(path, e))?;
        Config::from_str(path, &text)
    }

    pub fn from_str(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let file = TomlText::new(path, text);
        let mut doc = file.parse()?;
        default_api_token_env(doc.get_mut());
        let mut found = secrets::Resolved::default();
        secrets::resolve(&file, doc.get_mut(), "", &mut found)?;
        let own = channel::take_settings(&file, doc.get_mut(), &found.unresolved)?;
        let mut cfg = Config::deserialize(toml::de::Deserializer::from(doc))
            .map_err(|e| file.de_error(&e))?;
        cfg.path = path.to_path_buf();
        cfg.plain_secrets = found.plain;
        cfg.unresolved = found.unresolved;
        for (ch, settings) in cfg.channels.iter_mut().zip(own) {
            ch.settings = settings;
        }
        validate::validate(&cfg, &file)?;
        Ok(cfg)
    }
}

/// `[server].api_token_env` defaults to REGWATCH_API_TOKEN: decided by the
/// keys the file sets, never by its text (a comment may name them).
fn default_api_token_env(doc: &mut DeTable<'_>) {
    let server = doc
        .entry(Spanned::new(0..0, "server".into()))
        .or_insert_with(|| Spanned::new(0..0, DeValue::Table(DeTable::new())));
    if let DeValue::Table(server) = server.get_mut() {
        if !server.keys().any(|k| k.get_ref().starts_with("api_token")) {
            server.insert(
                Spanned::new(0..0, "api_token_env".into()),
                Spanned::new(0..0, DeValue::String("REGWATCH_API_TOKEN".into())),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_user_one_name_one_token() {
        let two = |a: &str, b: &str| {
            format!("[[user]]\nname = \"{a}\"\ntoken = \"t-1\"\n\n[[user]]\nname = \"{b}\"\ntoken = \"{}\"\n", if a == b { "t-2" } else { "t-1" })
        };
        let e = Config::from_str(Path::new("c.toml"), &two("ayse", "ayse"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml:6") && e.contains("named `ayse`"), "{e}");
        let e = Config::from_str(Path::new("c.toml"), &two("ayse", "mehmet"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("the same token"), "{e}");
        assert!(!e.contains("t-1"), "the token itself is never shown: {e}");
        let ok = "[[user]]\nname = \"ayse\"\ntoken = \"t-1\"\n\n[[user]]\nname = \"mehmet\"\ntoken = \"t-2\"\n";
        assert!(Config::from_str(Path::new("c.toml"), ok).is_ok());
    }

    #[test]
    fn config_defaults_and_env_secrets() {
        std::env::set_var("RW_TEST_SLACK", "https://hooks.example/secret-token");
        let text = r#"
[[channel]]
name = "slack"
type = "slack"
webhook_url_env = "RW_TEST_SLACK"
"#;
        let c = Config::from_str(Path::new("c.toml"), text).unwrap();
        assert_eq!(c.fetch.max_bytes, 10_485_760);
        // The value reaches the channel's own settings, for its type to read.
        #[derive(serde::Deserialize)]
        struct Slack {
            webhook_url: Secret,
        }
        let sl: Slack = c.channels[0].settings().unwrap();
        assert_eq!(
            sl.webhook_url.expose(),
            "https://hooks.example/secret-token"
        );
        assert!(!format!("{c:?}").contains("secret-token"));
        assert!(c.plain_secrets.is_empty());
    }

    #[test]
    fn the_api_token_comes_from_regwatch_api_token_with_the_starter_config() {
        // The starter config names api_token_env only in a comment.
        std::env::set_var("REGWATCH_API_TOKEN", "t0ken-from-env");
        let c = Config::from_str(Path::new("c.toml"), crate::starter::CONFIG).unwrap();
        assert_eq!(
            c.server.api_token.as_ref().map(|t| t.expose()),
            Some("t0ken-from-env")
        );
        // A file that sets its own token source keeps it.
        let c = Config::from_str(
            Path::new("c.toml"),
            "[server]\napi_token_env = \"RW_TEST_NO_SUCH_VAR\"\n",
        )
        .unwrap();
        assert!(c.server.api_token.is_none());
        assert!(c.unresolved["server.api_token"].contains("RW_TEST_NO_SUCH_VAR"));
    }

    #[test]
    fn missing_channel_secrets_are_deferred_to_the_send() {
        let text = r#"
[[channel]]
name = "slack"
type = "slack"
webhook_url_env = "RW_TEST_UNSET_SLACK"

[[channel]]
name = "hook"
type = "webhook"
url = "https://cases.example/h"
secret_file = "no-such-credential"
"#;
        let c = Config::from_str(Path::new("c.toml"), text).unwrap();
        assert!(c.channels[0]
            .missing("webhook_url")
            .contains("RW_TEST_UNSET_SLACK"));
        assert!(c.channels[1]
            .missing("secret")
            .contains("no-such-credential"));
        assert!(c.unresolved["channel[1].secret"].contains("no-such-credential"));
        // (A channel with no webhook_url at all is still a configuration
        // error: its type says so, see notify::channels.)
    }

    #[test]
    fn config_errors_name_the_line_the_key_the_value_and_the_fix() {
        let base = "[storage]\nurl = \"sqlite://x.db\"\n\n[fetch]\nretries = 2\n";
        let e = |extra: &str| {
            Config::from_str(Path::new("c.toml"), &format!("{base}{extra}\n"))
                .unwrap_err()
                .to_string()
        };
        let t = e("timeout = \"30 seconds\"");
        assert!(
            t.starts_with("c.toml:6: [fetch].timeout = \"30 seconds\":"),
            "{t}"
        );
        assert!(t.contains("write e.g. `30s`"), "{t}");
        let t = e("concurrency = \"16\"");
        assert!(
            t.starts_with("c.toml:6: [fetch].concurrency = \"16\":"),
            "{t}"
        );
        assert!(t.contains("`concurrency = 16`"), "{t}");
        let t = e("[server]\nlisten = \"127.0.0.1:1\"\n[fetch]\ntimeout = \"3s\"");
        assert!(
            t.starts_with("c.toml:8:")
                && t.contains("`[fetch]` is defined twice (first on line 4)"),
            "{t}"
        );
        let t = e("retires = 3");
        assert!(
            t.starts_with("c.toml:6:")
                && t.contains("retires")
                && t.contains("config/regwatch.toml"),
            "{t}"
        );
        assert!(
            !t.contains("DESIGN.md"),
            "the hint names a file the user has: {t}"
        );
    }

    #[test]
    fn config_unknown_key_and_plain_secret() {
        let e = Config::from_str(Path::new("c.toml"), "[fetch]\ntimeuot = \"3s\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:2:"), "{e}");
        assert!(e.contains("timeuot"));
        let c = Config::from_str(
            Path::new("c.toml"),
            "[[channel]]\nname='w'\ntype='webhook'\nurl='http://127.0.0.1:1/'\nsecret='plain'\n",
        )
        .unwrap();
        assert_eq!(c.plain_secrets, vec!["channel[0].secret"]);
    }

    #[test]
    fn validation_errors_are_at_the_line_of_their_key() {
        let e = |t: &str| {
            Config::from_str(Path::new("c.toml"), t)
                .unwrap_err()
                .to_string()
        };
        let t = e("[fetch]\nretries = 1\n\n[server]\nlisten = \"x\"\n");
        assert!(
            t.starts_with("c.toml:5: [server].listen `x` is not an address"),
            "{t}"
        );
        let t = e("[fetch]\nretries = 1\nper_host_concurrency = 0\n");
        assert!(t.starts_with("c.toml:3:"), "{t}");
        let t = e("[[channel]]\nname = \"a\"\ntype = \"slack\"\n\n[[channel]]\nname = \"a\"\ntype = \"x\"\n");
        assert!(
            t.starts_with("c.toml:6: channel `a`: two channels have this name"),
            "{t}"
        );
    }
}
