//! `[[channel]]`: the keys every channel has (name, type, mode, schedule,
//! timezone, filter, retries, timeout, ...) are read here; the others are
//! the channel's own settings (`smtp_url`, `webhook_url`, `secret`, ...),
//! kept with the line of each for its type to read. Config is below
//! `notify` and knows no channel type: `notify::channels` reads the own
//! settings with [`ChannelConfig::settings`], and an error found there
//! still names this file, the line and the key.

use super::file::{ConfigError, TomlText};
use super::values::HumanDuration;
use crate::model::{Country, Strength};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ChannelMode {
    Digest,
    #[default]
    Immediate,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelFilter {
    /// Parsed when the config is loaded.
    pub countries: Vec<Country>,
    pub categories: Vec<String>,
    pub cases_only: bool,
    /// The weakest case match that counts for this channel (`cases_only`,
    /// and the cases an alert lists): direct, chapter, keyword (default),
    /// related or category. Weaker matches are shown on the change page only.
    pub min_match: Strength,
    /// Also deliver source-health alerts (down / recovered) to this channel.
    pub health: Option<bool>,
}

/// One `[[channel]]`: what every channel has, whatever its type; the
/// type's own settings are in `settings`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub name: String,
    /// `type = "…"`: the channel type that reads the own settings.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub mode: ChannelMode,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub filter: ChannelFilter,
    /// Send a digest even when the period had no change.
    #[serde(default)]
    pub send_empty: bool,
    /// Leave changes already reviewed or dismissed out of this channel's digests.
    #[serde(default)]
    pub skip_reviewed: bool,
    /// Retries before a delivery is left waiting for `notify retry` (it is never dropped).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i64,
    /// First retry delay; each failure doubles it (with jitter) up to `retry_max`.
    #[serde(default = "default_retry_base")]
    pub retry_base: HumanDuration,
    /// Longest delay between two retries; also the pace of retries once
    /// `max_attempts` is spent.
    #[serde(default = "default_retry_max")]
    pub retry_max: HumanDuration,
    /// Time allowed for one send (HTTP request or SMTP conversation).
    #[serde(default = "default_send_timeout")]
    pub timeout: HumanDuration,
    /// The other keys of the table: the channel type's own settings.
    #[serde(skip)]
    pub settings: ChannelSettings,
}

fn default_max_attempts() -> i64 {
    8
}
fn default_retry_base() -> HumanDuration {
    HumanDuration(Duration::from_secs(30))
}
fn default_retry_max() -> HumanDuration {
    HumanDuration(Duration::from_secs(3600))
}
fn default_send_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(30))
}

/// A channel's own settings: the keys of its table that not every channel
/// has, with `X_env` / `X_file` already resolved, and where each key was
/// written. Debug shows the keys, never the values.
#[derive(Clone, Default)]
pub struct ChannelSettings {
    table: toml::Table,
    /// The line of every key of the channel's table.
    lines: BTreeMap<String, usize>,
    /// The config file, and the line of the channel (its `name`).
    file: PathBuf,
    line: Option<usize>,
    /// Own keys named by `X_env` / `X_file` that have no value now, with why.
    unresolved: BTreeMap<String, String>,
}

impl fmt::Debug for ChannelSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelSettings")
            .field("keys", &self.table.keys().collect::<Vec<_>>())
            .field("unresolved", &self.unresolved.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A value a send needs, or why it has none: it was named by `X_env` /
/// `X_file` and could not be had, so only the sends fail, with this reason.
pub type Needed<T> = Result<T, String>;

impl ChannelConfig {
    /// Read the channel's own settings into its type's settings struct
    /// (give it `#[serde(deny_unknown_fields)]`). An error names the file,
    /// the line of the key and the key.
    pub fn settings<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let table = toml::Value::Table(self.settings.table.clone());
        serde_path_to_error::deserialize(table).map_err(|e| {
            let key = e.path().iter().find_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            });
            let msg = e.inner().message().trim().replace('\n', " ");
            let hint = if msg.starts_with("unknown field") {
                format!(
                    " (check the spelling; every channel also has {})",
                    common_keys().join(", ")
                )
            } else {
                String::new()
            };
            match key {
                Some(k) => self.invalid_key(&k, format!("`{k}`: {msg}{hint}")),
                None => self.invalid(format!("{msg}{hint}")),
            }
        })
    }

    /// An error about this channel, at its line.
    pub fn invalid(&self, message: impl fmt::Display) -> ConfigError {
        let s = &self.settings;
        ConfigError::invalid(
            &s.file,
            s.line,
            format!("channel `{}`: {message}", self.name),
        )
    }

    /// An error about one key of this channel, at the key's line (the
    /// channel's when the key is not written).
    pub fn invalid_key(&self, key: &str, message: impl fmt::Display) -> ConfigError {
        let s = &self.settings;
        let line = s.lines.get(key).copied().or(s.line);
        ConfigError::invalid(&s.file, line, format!("channel `{}`: {message}", self.name))
    }

    /// The config file the channel is in (relative paths in its settings
    /// may be relative to it).
    pub fn file(&self) -> &Path {
        &self.settings.file
    }

    /// Why `key` has no value, when it was named by `X_env` / `X_file`.
    pub fn unresolved(&self, key: &str) -> Option<&str> {
        self.settings.unresolved.get(key).map(String::as_str)
    }

    /// What a send that needs `key` says when it has no value.
    pub fn missing(&self, key: &str) -> String {
        match self.unresolved(key) {
            Some(why) => format!("the channel has no `{key}`: {why}"),
            None => format!("the channel has no `{key}`"),
        }
    }

    /// A setting the channel cannot send without: its value; or, when it
    /// was named by `X_env` / `X_file` and could not be had, why (the
    /// sends fail with it, read-only commands work); an error when it is
    /// not given at all (`fix` says what to write).
    pub fn needed<T>(
        &self,
        value: Option<T>,
        key: &str,
        fix: &str,
    ) -> Result<Needed<T>, ConfigError> {
        match value {
            Some(v) => Ok(Ok(v)),
            None if self.unresolved(key).is_some() => Ok(Err(self.missing(key))),
            None => Err(self.invalid(fix)),
        }
    }
}

/// The keys every `[[channel]]` has.
pub fn common_keys() -> &'static [&'static str] {
    keys_of::<ChannelConfig>()
}

/// Take each `[[channel]]` table's own settings out of `doc`, leaving the
/// common keys for serde: one [`ChannelSettings`] per channel, in order.
pub(crate) fn take_settings(
    file: &TomlText<'_>,
    doc: &mut DeTable<'_>,
    unresolved: &BTreeMap<String, String>,
) -> Result<Vec<ChannelSettings>, ConfigError> {
    let Some(DeValue::Array(channels)) = doc.get_mut("channel").map(Spanned::get_mut) else {
        return Ok(vec![]);
    };
    let mut out = vec![];
    for (i, ch) in channels.iter_mut().enumerate() {
        let span = ch.span();
        let DeValue::Table(t) = ch.get_mut() else {
            // Not a table: serde says so, with the line.
            out.push(ChannelSettings::default());
            continue;
        };
        let prefix = format!("channel[{i}].");
        let mut s = ChannelSettings {
            file: file.path.to_path_buf(),
            line: Some(file.line(&t.get_key_value("name").map_or(span, |(k, _)| k.span()))),
            lines: t
                .keys()
                .map(|k| (k.get_ref().to_string(), file.line(&k.span())))
                .collect(),
            unresolved: unresolved
                .iter()
                .filter_map(|(k, why)| Some((k.strip_prefix(&prefix)?.to_string(), why.clone())))
                .collect(),
            table: toml::Table::new(),
        };
        let own: Vec<String> = t
            .keys()
            .map(|k| k.get_ref().to_string())
            .filter(|k| !common_keys().contains(&k.as_str()))
            .collect();
        for key in own {
            let Some(v) = t.remove(key.as_str()) else {
                continue;
            };
            let value = toml::Value::deserialize(ValueDeserializer::from(v))
                .map_err(|e| file.de_error(&e))?;
            s.table.insert(key, value);
        }
        out.push(s);
    }
    Ok(out)
}

/// The keys a struct reads: the field names its `Deserialize` asks for.
fn keys_of<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Error, Visitor};
    struct Ask(Option<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for &mut Ask {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Error::custom("only the field names are asked for"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(Error::custom("only the field names are asked for"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut ask = Ask(None);
    let _ = T::deserialize(&mut ask);
    ask.0.unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn the_common_keys_are_the_fields_of_channel_config() {
        assert_eq!(
            super::common_keys(),
            [
                "name",
                "type",
                "mode",
                "schedule",
                "timezone",
                "filter",
                "send_empty",
                "skip_reviewed",
                "max_attempts",
                "retry_base",
                "retry_max",
                "timeout"
            ]
        );
    }

    #[test]
    fn own_settings_keep_their_lines_and_never_print_their_values() {
        std::env::set_var("RW_TEST_OWN_TOKEN", "t0p-secret");
        let text = "[[channel]]\nname = \"p\"\ntype = \"pager\"\nroute = 7\ntoken_env = \"RW_TEST_OWN_TOKEN\"\nkey_file = \"no-such-file\"\nmode = \"digest\"\n";
        let c = Config::from_str(Path::new("c.toml"), text).unwrap();
        let ch = &c.channels[0];
        assert_eq!(
            (ch.kind.as_str(), ch.mode),
            ("pager", super::ChannelMode::Digest)
        );
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        struct Pager {
            route: u32,
            token: crate::config::Secret,
        }
        let p: Pager = ch.settings().unwrap();
        assert_eq!((p.route, p.token.expose()), (7, "t0p-secret"));
        assert!(!format!("{c:?}").contains("t0p-secret"));
        assert!(
            ch.missing("key").contains("no-such-file"),
            "{}",
            ch.missing("key")
        );
        assert_eq!(
            ch.needed(None::<u8>, "key", "x").unwrap(),
            Err(ch.missing("key"))
        );
        assert!(ch.needed(None::<u8>, "other", "needs `other`").is_err());
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        struct Narrow {
            #[allow(dead_code)]
            token: crate::config::Secret,
        }
        let e = ch.settings::<Narrow>().unwrap_err().to_string();
        assert!(
            e.starts_with("c.toml:4: channel `p`: `route`: unknown field `route`")
                && e.contains("every channel also has name, type, mode"),
            "{e}"
        );
    }
}
