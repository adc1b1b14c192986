//! What serde cannot say about `regwatch.toml`: values out of range,
//! addresses and schedules that do not parse, channel names used twice.
//! Each error is at the line of the key it is about. A channel's own
//! settings are its type's to check (`notify::channels`).

use super::channel::ChannelMode;
use super::file::{ConfigError, TomlText};
use super::sections::Config;
use crate::schedule::Schedule;

pub(crate) fn validate(cfg: &Config, file: &TomlText<'_>) -> Result<(), ConfigError> {
    let err = |path: &[&str], msg: String| ConfigError::invalid(file.path, file.line_of(path), msg);
    storage_and_fetch(cfg, &err)?;
    server(cfg, &err)?;
    if !(0..=3650).contains(&cfg.cases.backmatch_days) {
        return Err(err(
            &["cases", "backmatch_days"],
            "[cases].backmatch_days must be between 0 and 3650".into(),
        ));
    }
    users(cfg, &err)?;
    let c = &cfg.cases;
    for (key, ok) in [
        ("max_file_bytes", c.max_file_bytes > 0),
        ("max_rows", c.max_rows > 0),
        ("max_cell_bytes", c.max_cell_bytes >= 256),
    ] {
        if !ok {
            return Err(err(
                &["cases", key],
                format!("[cases].{key} is too small: remove it for the default, or give a larger number"),
            ));
        }
    }
    channels(cfg)
}

type Err<'a> = dyn Fn(&[&str], String) -> ConfigError + 'a;

/// A user is one person: two `[[user]]` with one name, or one token for
/// two identities (two users, or a user and the `[server]` API token),
/// would make reviews and audit lines name the wrong person.
fn users(cfg: &Config, err: &Err<'_>) -> Result<(), ConfigError> {
    let api = cfg
        .server
        .api_token
        .as_ref()
        .map(|t| t.expose().trim().to_string())
        .filter(|t| !t.is_empty());
    for (i, u) in cfg.users.iter().enumerate() {
        let at = i.to_string();
        if let Some(j) = cfg.users[..i].iter().position(|o| o.name == u.name) {
            return Err(err(
                &["user", &at, "name"],
                format!(
                    "two [[user]] are named `{}` (the {} and the {}): a name is one person; rename one",
                    u.name,
                    ordinal(j + 1),
                    ordinal(i + 1)
                ),
            ));
        }
        let Some(tok) = u
            .token
            .as_ref()
            .map(|t| t.expose().trim().to_string())
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        if let Some(o) = cfg.users[..i]
            .iter()
            .find(|o| o.token.as_ref().is_some_and(|t| t.expose().trim() == tok))
        {
            return Err(err(
                &["user", &at, "name"],
                format!(
                    "`{}` and `{}` have the same token: a token identifies one person; give each their own",
                    o.name, u.name
                ),
            ));
        }
        if api.as_deref() == Some(tok.as_str()) {
            return Err(err(
                &["user", &at, "name"],
                format!(
                    "`{}` has the [server] API token as their token: give them their own",
                    u.name
                ),
            ));
        }
    }
    Ok(())
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}

fn storage_and_fetch(cfg: &Config, err: &Err<'_>) -> Result<(), ConfigError> {
    let url = &cfg.storage.url;
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(err(
            &["storage", "url"],
            "[storage].url must start with `sqlite://` (e.g. sqlite://data/regwatch.db) or `postgres://`".into(),
        ));
    }
    Schedule::parse(&cfg.schedule.default, &cfg.schedule.timezone)
        .map_err(|e| err(&["schedule", "default"], format!("[schedule]: {e}")))?;
    let f = &cfg.fetch;
    if f.concurrency == 0 || f.per_host_concurrency == 0 {
        let key = if f.concurrency == 0 {
            "concurrency"
        } else {
            "per_host_concurrency"
        };
        return Err(err(
            &["fetch", key],
            "[fetch] concurrency values must be at least 1".into(),
        ));
    }
    if f.browser_concurrency == 0 {
        return Err(err(
            &["fetch", "browser_concurrency"],
            "[fetch].browser_concurrency must be at least 1".into(),
        ));
    }
    if f.max_bytes < 1024 {
        return Err(err(
            &["fetch", "max_bytes"],
            "[fetch].max_bytes must be at least 1024".into(),
        ));
    }
    Ok(())
}

fn server(cfg: &Config, err: &Err<'_>) -> Result<(), ConfigError> {
    let s = &cfg.server;
    let zero = [
        ("max_connections", s.max_connections == 0),
        ("header_timeout", s.header_timeout.0.is_zero()),
        ("idle_timeout", s.idle_timeout.0.is_zero()),
    ];
    if let Some((key, _)) = zero.iter().find(|(_, z)| *z) {
        return Err(err(
            &["server", key],
            "[server] max_connections, header_timeout and idle_timeout must be above 0".into(),
        ));
    }
    s.listen.parse::<std::net::SocketAddr>().map_err(|_| {
        err(
            &["server", "listen"],
            format!(
                "[server].listen `{}` is not an address: write e.g. 127.0.0.1:8080",
                s.listen
            ),
        )
    })?;
    url::Url::parse(&s.base_url)
        .map_err(|e| err(&["server", "base_url"], format!("[server].base_url: {e}")))?;
    Ok(())
}

/// What every channel has: a name of its own, a schedule that parses.
fn channels(cfg: &Config) -> Result<(), ConfigError> {
    let mut names = std::collections::HashSet::new();
    for ch in &cfg.channels {
        if !names.insert(ch.name.as_str()) {
            return Err(ch.invalid("two channels have this name: names must be unique"));
        }
        if ch.mode == ChannelMode::Digest || ch.schedule.is_some() {
            let s = ch.schedule.as_deref().unwrap_or("0 7 * * 1-5");
            let tz = ch.timezone.as_deref().unwrap_or(&cfg.schedule.timezone);
            Schedule::parse(s, tz).map_err(|e| ch.invalid(e))?;
        }
    }
    Ok(())
}
