//! `config/regwatch.toml` and `sources/*.toml`: load, defaults, secrets, validate.
//!
//! Every error names the file, the line and the key, and says what to do.

use crate::model::{ChangeKind, Country, SourceId, SourceKind};
use crate::rules::CompiledRules;
use crate::schedule::Schedule;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}{line}: {message}", line = fmt_line(*.line))]
    Invalid {
        path: String,
        line: Option<usize>,
        message: String,
    },
    #[error("no configuration found (looked at {tried}): run `regwatch init` to write one, or pass --config PATH")]
    NotFound { tried: String },
}

fn fmt_line(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

impl ConfigError {
    fn invalid(path: &Path, line: Option<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: path.display().to_string(),
            line,
            message: message.into(),
        }
    }
}

/// A secret value: never printed by Debug or Display.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A duration written as `30s`, `5m`, `1h`, `250ms` or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) if n <= MAX_DURATION.as_secs() => Ok(HumanDuration(Duration::from_secs(n))),
            Raw::N(n) => Err(serde::de::Error::custom(format!(
                "{n} seconds is longer than the longest duration, {MAX_DURATION_TEXT}"
            ))),
            Raw::S(s) => parse_duration(&s)
                .map(HumanDuration)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// The longest duration a config may give: longer ones would overflow the
/// clock arithmetic they feed (deadlines, sleeps, leases).
pub const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);
const MAX_DURATION_TEXT: &str = "3650d (ten years)";

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration: write e.g. `30s`, `5m`, `1h` or `250ms`"))?;
    let d = match unit.trim() {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => Some(Duration::from_secs(n)),
        "m" | "min" => n.checked_mul(60).map(Duration::from_secs),
        "h" => n.checked_mul(3600).map(Duration::from_secs),
        "d" => n.checked_mul(86_400).map(Duration::from_secs),
        _ => {
            return Err(format!(
                "`{s}` is not a duration: write e.g. `30s`, `5m`, `1h` or `250ms`"
            ))
        }
    };
    d.filter(|d| *d <= MAX_DURATION)
        .ok_or_else(|| format!("`{s}` is longer than the longest duration, {MAX_DURATION_TEXT}"))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub storage: StorageConfig,
    pub sources: SourcesConfig,
    pub fetch: FetchConfig,
    pub schedule: ScheduleConfig,
    pub server: ServerConfig,
    pub cases: CasesConfig,
    pub health: HealthConfig,
    #[serde(rename = "channel")]
    pub channels: Vec<ChannelConfig>,
    /// `[[user]] name, token_env, role`: who may do what on the web and the API.
    #[serde(rename = "user")]
    pub users: Vec<UserConfig>,
    #[serde(skip)]
    pub path: PathBuf,
    /// Secret-looking settings given as plain values (warned about by `sources check`).
    #[serde(skip)]
    pub plain_secrets: Vec<String>,
    /// Settings given as `X_env` / `X_file` whose value could not be had,
    /// by key path (`channel[0].webhook_url`), with why. Only what needs
    /// them fails (a send, a write), with this reason.
    #[serde(skip)]
    pub unresolved: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            storage: Default::default(),
            sources: Default::default(),
            fetch: Default::default(),
            schedule: Default::default(),
            server: Default::default(),
            cases: Default::default(),
            health: Default::default(),
            channels: vec![],
            users: vec![],
            path: PathBuf::from("config/regwatch.toml"),
            plain_secrets: vec![],
            unresolved: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    pub url: String,
}
impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            url: "sqlite://data/regwatch.db".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    pub dir: PathBuf,
    /// The taxonomy file (default: `taxonomy.toml` beside regwatch.toml).
    pub taxonomy: Option<PathBuf>,
}
impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            dir: PathBuf::from("sources"),
            taxonomy: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    pub user_agent: String,
    pub timeout: HumanDuration,
    pub max_bytes: u64,
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub per_host_interval: HumanDuration,
    pub retries: u32,
    pub max_redirects: usize,
    /// Base of the exponential backoff between retries.
    pub retry_backoff: HumanDuration,
    /// Honour robots.txt (disallowed URLs are a failed poll with the reason).
    pub robots_txt: bool,
    /// The browser for `render = "browser"`: a path or a name on PATH.
    pub browser: String,
    /// How many pages the browser renders at once.
    pub browser_concurrency: usize,
    /// Let redirects and followed links reach loopback, private, link-local
    /// and other non-public addresses. A source's own URL (and its own
    /// origin) may point anywhere regardless.
    pub allow_private: bool,
    /// Hosts (names or IP addresses) that redirects and followed links may
    /// reach even when they are not public.
    pub allow_hosts: Vec<String>,
}
impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: "regwatch/0.1 (+mailto:compliance@example.com)".into(),
            timeout: HumanDuration(Duration::from_secs(30)),
            max_bytes: 10_485_760,
            concurrency: 16,
            per_host_concurrency: 2,
            per_host_interval: HumanDuration(Duration::from_secs(1)),
            retries: 3,
            max_redirects: 5,
            retry_backoff: HumanDuration(Duration::from_millis(500)),
            robots_txt: true,
            browser: "chromium".into(),
            browser_concurrency: 2,
            allow_private: false,
            allow_hosts: vec![],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    pub default: String,
    pub timezone: String,
    /// Random delay added to each due time, so many sources on `*/30` spread out.
    pub jitter: HumanDuration,
}
impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            default: "*/30 * * * *".into(),
            timezone: "UTC".into(),
            jitter: HumanDuration(Duration::from_secs(30)),
        }
    }
}

/// What a user may do: viewers read, reviewers also mark changes, admins
/// also manage cases and field reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Viewer,
    Reviewer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

/// One `[[user]]`: a name, a token (from `token_env` or `token_file`), a role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    #[serde(default)]
    pub token: Option<Secret>,
    #[serde(default)]
    pub role: Role,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    pub base_url: String,
    pub api_token: Option<Secret>,
    /// A connection must deliver its first request's headers this soon
    /// after it opens (slow-header clients are cut off).
    pub header_timeout: HumanDuration,
    /// A keep-alive connection with no request in flight is closed after this.
    pub idle_timeout: HumanDuration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
}
impl ServerConfig {
    /// The web page of one change, for links in alerts and lists.
    pub fn change_url(&self, id: i64) -> String {
        format!("{}/changes/{id}", self.base_url.trim_end_matches('/'))
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            api_token: None,
            header_timeout: HumanDuration(Duration::from_secs(10)),
            idle_timeout: HumanDuration(Duration::from_secs(60)),
            max_connections: 256,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    pub link: String,
    /// How far back a new or updated case is matched against changes.
    pub backmatch_days: i64,
}
impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig {
            link: "https://cases.example.com/case/{id}".into(),
            backmatch_days: 90,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// Consecutive failed polls before a source is reported down.
    pub failures_before_alert: i64,
}
impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            failures_before_alert: 3,
        }
    }
}

/// What a channel is, with the settings of its kind (`type = "email"`, …).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ChannelKind {
    Email(EmailChannel),
    Slack(SlackChannel),
    Webhook(WebhookChannel),
    Teams(TeamsChannel),
}

impl ChannelKind {
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Email(_) => "email",
            ChannelKind::Slack(_) => "slack",
            ChannelKind::Webhook(_) => "webhook",
            ChannelKind::Teams(_) => "teams",
        }
    }
}

/// `type = "email"`: SMTP, multipart text + HTML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChannel {
    #[serde(default)]
    pub smtp_url: Option<Secret>,
    #[serde(default)]
    pub smtp_user: Option<String>,
    #[serde(default)]
    pub smtp_password: Option<Secret>,
    /// Parsed when the config is loaded.
    #[serde(default, deserialize_with = "mailbox")]
    pub from: Option<lettre::message::Mailbox>,
    #[serde(default, deserialize_with = "mailboxes")]
    pub to: Vec<lettre::message::Mailbox>,
    /// A folder with digest.txt / digest.html overriding the built-in templates.
    #[serde(default)]
    pub templates: Option<PathBuf>,
}

/// `type = "slack"`: an incoming webhook, Block Kit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackChannel {
    #[serde(default)]
    pub webhook_url: Option<Secret>,
}

/// `type = "teams"`: a Microsoft Teams Workflows incoming webhook, Adaptive Card.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamsChannel {
    #[serde(default)]
    pub webhook_url: Option<Secret>,
}

/// `type = "webhook"`: a signed JSON POST.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookChannel {
    #[serde(default)]
    pub url: Option<Secret>,
    /// HMAC-SHA256 key for X-Regwatch-Signature.
    #[serde(default)]
    pub secret: Option<Secret>,
}

fn parse_mailbox(key: &str, s: &str) -> Result<lettre::message::Mailbox, String> {
    s.parse()
        .map_err(|e| format!("key `{key}`: `{s}` is not an address ({e}): write e.g. regwatch <regwatch@example.com>"))
}

fn mailbox<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<lettre::message::Mailbox>, D::Error> {
    let s = String::deserialize(d)?;
    parse_mailbox("from", &s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn mailboxes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<lettre::message::Mailbox>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| parse_mailbox("to", s).map_err(serde::de::Error::custom))
        .collect()
}

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
    pub min_match: crate::model::Strength,
    /// Also deliver source-health alerts (down / recovered) to this channel.
    pub health: Option<bool>,
}

/// One `[[channel]]`: what is common to every kind, and the kind with its
/// own settings. Unknown keys are refused by the kind's table.
#[derive(Debug, Clone, Deserialize)]
pub struct ChannelConfig {
    pub name: String,
    #[serde(flatten)]
    pub kind: ChannelKind,
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

pub use crate::rules::ExtractRules;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    pub id: SourceId,
    pub name: String,
    pub jurisdiction: Country,
    #[serde(default = "default_language")]
    pub language: String,
    pub kind: SourceKind,
    pub url: url::Url,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub extract: ExtractRules,
    /// An empty result is a valid answer (a filtered query on a quiet day).
    /// Otherwise zero items after a non-empty snapshot is a failed poll.
    #[serde(default)]
    pub may_be_empty: bool,
    /// `render = "browser"` (pages only): load the page in headless Chromium
    /// and extract the DOM it builds, for pages whose list is made by JavaScript.
    #[serde(default)]
    pub render: Option<Render>,
    /// With `render`: wait until this CSS selector matches (default: the
    /// load event, then network quiet).
    #[serde(default)]
    pub wait_for: Option<String>,
    /// Free-form note for people (what the source covers, known quirks).
    #[serde(default)]
    pub notes: Option<String>,
}

/// How a page is turned into a document before extraction.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Render {
    /// Headless Chromium, driven over the DevTools protocol.
    Browser,
}

fn default_language() -> String {
    "en".into()
}
fn yes() -> bool {
    true
}

/// A validated source with its schedule resolved.
#[derive(Debug, Clone)]
pub struct Source {
    pub def: SourceDef,
    pub schedule: Schedule,
    pub file: PathBuf,
    /// `def.extract`, compiled once at load.
    pub rules: std::sync::Arc<CompiledRules>,
}

impl Source {
    pub fn id(&self) -> &str {
        self.def.id.as_str()
    }
    pub fn reports(&self, kind: ChangeKind) -> bool {
        self.rules.reports(kind)
    }
}

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

/// The line (1-based) of the first `key =` in `text`, searching from `from_line`.
fn line_of_key(text: &str, key: &str, from_line: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .map(|rest| {
                    let r = rest.trim_start();
                    r.starts_with('=')
                })
                .unwrap_or(false)
        })
        .map(|(i, _)| i + 1)
}

/// The line where the source with `id` is defined.
fn line_of_source(text: &str, id: &str) -> Option<usize> {
    let needle1 = format!("\"{id}\"");
    let needle2 = format!("'{id}'");
    text.lines()
        .enumerate()
        .find(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("id") && (t.contains(&needle1) || t.contains(&needle2))
        })
        .map(|(i, _)| i + 1)
}

/// The line of each `id = "…"` in a sources file (the first, if repeated).
fn source_id_lines(text: &str) -> HashMap<&str, usize> {
    let mut lines = HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let Some(rest) = l.trim_start().strip_prefix("id") else {
            continue;
        };
        let Some(v) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let v = v.trim_start();
        let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = v[1..].find(q) {
            lines.entry(&v[1..1 + end]).or_insert(i + 1);
        }
    }
    lines
}

/// Turn a toml/serde error message into one that names the line when the
/// message names a key.
/// The line of `key` inside the table a dotted path names (`fetch.timeout`,
/// `channel[1].smtp_url`, `source.extract.item`), searching from `from_line`.
fn line_of_path(text: &str, path: &str, from_line: usize) -> Option<usize> {
    let parts: Vec<&str> = path.split('.').collect();
    let (key, tables) = parts.split_last()?;
    let mut start = from_line;
    if let Some(first) = tables.first() {
        let (name, index) = match first.split_once('[') {
            Some((n, i)) => (n, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (*first, None),
        };
        let header = tables
            .iter()
            .map(|t| t.split('[').next().unwrap_or(t))
            .collect::<Vec<_>>()
            .join(".");
        let headers: Vec<usize> = text
            .lines()
            .enumerate()
            .skip(from_line.saturating_sub(1))
            .filter(|(_, l)| {
                let t = l.trim();
                t == format!("[{header}]")
                    || t == format!("[[{header}]]")
                    || t == format!("[[{name}]]")
            })
            .map(|(i, _)| i + 1)
            .collect();
        if let Some(h) = headers.get(index.unwrap_or(0)).or(headers.first()) {
            start = *h;
        }
    }
    line_of_key(text, key, start)
}

/// The table and key a dotted path names, as a person reads it: `[fetch].timeout`.
fn display_path(path: &str) -> String {
    match path.rsplit_once('.') {
        Some((table, key)) => format!("[{table}].{key}"),
        None => format!("`{path}`"),
    }
}

/// Turn a toml/serde error message into one that names the line, the
/// table.key, the bad value and the fix.
fn serde_error(path: &Path, text: &str, err: impl fmt::Display, from_line: usize) -> ConfigError {
    let msg = err.to_string().trim().replace('\n', " ");
    let key_re = regex::Regex::new(r"(?:unknown field|missing field|key) `([^`]+)`").ok();
    let path_re = regex::Regex::new(r" in `([^`]+)`$").ok();
    let key_path = path_re
        .as_ref()
        .and_then(|re| re.captures(&msg).map(|c| c[1].to_string()));
    let (line, msg) = match key_path.filter(|kp| kp.contains('.')) {
        Some(kp) => {
            let body = path_re
                .as_ref()
                .map(|re| re.replace(&msg, "").to_string())
                .unwrap_or_else(|| msg.clone());
            let line = line_of_path(text, &kp, from_line);
            let written = line
                .and_then(|l| text.lines().nth(l - 1))
                .and_then(|l| l.split_once('=').map(|(_, v)| v.trim().to_string()));
            let fix = if body.starts_with("invalid type: string") && body.contains("expected u") {
                format!(
                    "; write a number without quotes, e.g. `{} = {}`",
                    kp.rsplit('.').next().unwrap_or(&kp),
                    written.as_deref().unwrap_or("\"1\"").trim_matches('"')
                )
            } else {
                String::new()
            };
            let what = match &written {
                Some(w) => format!("{} = {w}: ", display_path(&kp)),
                None => format!("{}: ", display_path(&kp)),
            };
            (line, format!("{what}{body}{fix}"))
        }
        None => {
            let key = key_re
                .as_ref()
                .and_then(|re| re.captures(&msg).map(|c| c[1].to_string()));
            let line = key.as_deref().and_then(|k| {
                let last = k.rsplit('.').next().unwrap_or(k);
                line_of_key(text, last, from_line)
            });
            let hint = if msg.contains("unknown field") {
                " (check the spelling: every key is shown, commented, in config/regwatch.toml as `regwatch init` writes it, and in docs/sources.md)"
            } else {
                ""
            };
            (line, format!("{msg}{hint}"))
        }
    };
    ConfigError::invalid(path, line.or(Some(from_line).filter(|l| *l > 1)), msg)
}

/// A large sources file parsed one `[[source]]` at a time: the TOML parser
/// holds a token list many times the size of what it parses, which made
/// loading 10,000 sources peak at tens of megabytes. `None` (parse the
/// whole file instead, for its exact error messages) when the file is small
/// or anything is unusual: a line `[[source]]` inside a multi-line string,
/// another table, a piece that does not parse.
fn parse_by_source(text: &str) -> Option<toml::Table> {
    const WHOLE_BELOW: usize = 64 * 1024;
    if text.len() < WHOLE_BELOW {
        return None;
    }
    let mut starts = vec![0];
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == "[[source]]" && at > 0 {
            starts.push(at);
        }
        at += line.len();
    }
    starts.push(text.len());
    let mut sources = Vec::with_capacity(starts.len());
    for w in starts.windows(2) {
        let mut piece = text[w[0]..w[1]].parse::<toml::Table>().ok()?;
        match piece.remove("source") {
            Some(toml::Value::Array(a)) => sources.extend(a),
            None if piece.is_empty() => {}
            _ => return None,
        }
        if !piece.is_empty() {
            return None;
        }
    }
    let mut table = toml::Table::new();
    table.insert("source".into(), toml::Value::Array(sources));
    Some(table)
}

fn parse_table(path: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>().map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let mut msg = e.message().trim().to_string();
        // "duplicate key" alone does not say which: name the table or key.
        if msg.starts_with("duplicate key") {
            if let Some(l) = line.and_then(|l| text.lines().nth(l - 1)) {
                let t = l.trim();
                let name = t.split('=').next().unwrap_or(t).trim();
                let first = text
                    .lines()
                    .position(|x| {
                        x.trim() == t || (x.trim().starts_with(name) && !t.starts_with('['))
                    })
                    .map(|i| i + 1);
                msg = match first {
                    Some(f) if Some(f) != line => format!(
                        "`{name}` is defined twice (first on line {f}): merge the two into one"
                    ),
                    _ => format!("`{name}` is defined twice: keep one"),
                };
            }
        }
        ConfigError::invalid(path, line, msg)
    })
}

/// Replace every `X_env` / `X_file` key by `X` with the value it points to.
/// Keys that stay unset when the variable is missing are simply absent.
fn resolve_indirect(
    table: &mut toml::Table,
    prefix: &str,
    path: &Path,
    text: &str,
    plain_secrets: &mut Vec<String>,
    unresolved: &mut BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    let keys: Vec<String> = table.keys().cloned().collect();
    for key in keys {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if let Some(base) = key.strip_suffix("_env") {
            let Some(toml::Value::String(var)) = table.remove(&key) else {
                return Err(ConfigError::invalid(
                    path,
                    line_of_key(text, &key, 1),
                    format!("`{full}` must be the name of an environment variable, as a string"),
                ));
            };
            if table.contains_key(base) {
                return Err(ConfigError::invalid(
                    path,
                    line_of_key(text, &key, 1),
                    format!("both `{base}` and `{key}` are set: keep one"),
                ));
            }
            match std::env::var(&var) {
                Ok(v) if !v.trim().is_empty() => {
                    table.insert(
                        base.to_string(),
                        toml::Value::String(v.trim_end().to_string()),
                    );
                }
                _ => {
                    unresolved.insert(
                        full_base(prefix, base),
                        format!("the environment variable {var} (named by `{full}`) is not set"),
                    );
                }
            }
        } else if let Some(base) = key.strip_suffix("_file") {
            let Some(toml::Value::String(file)) = table.remove(&key) else {
                return Err(ConfigError::invalid(
                    path,
                    line_of_key(text, &key, 1),
                    format!("`{full}` must be a file path, as a string"),
                ));
            };
            let mut p = PathBuf::from(&file);
            if p.is_relative() {
                if let Ok(dir) = std::env::var("CREDENTIALS_DIRECTORY") {
                    p = Path::new(&dir).join(p);
                }
            }
            // Read now, but a file that cannot be read (a systemd credential
            // outside the service) only fails the sends that need it.
            match std::fs::read_to_string(&p) {
                Ok(v) => {
                    table.insert(
                        base.to_string(),
                        toml::Value::String(v.trim_end().to_string()),
                    );
                }
                Err(e) => {
                    unresolved.insert(
                        full_base(prefix, base),
                        format!("`{full}`: cannot read {}: {e}", p.display()),
                    );
                }
            }
        } else {
            match table.get_mut(&key) {
                Some(toml::Value::Table(t)) => {
                    resolve_indirect(t, &full, path, text, plain_secrets, unresolved)?
                }
                Some(toml::Value::Array(a)) => {
                    for (i, v) in a.iter_mut().enumerate() {
                        if let toml::Value::Table(t) = v {
                            resolve_indirect(
                                t,
                                &format!("{full}[{i}]"),
                                path,
                                text,
                                plain_secrets,
                                unresolved,
                            )?;
                        }
                    }
                }
                Some(toml::Value::String(_)) if is_secret_key(&key) => {
                    plain_secrets.push(full);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn full_base(prefix: &str, base: &str) -> String {
    if prefix.is_empty() {
        base.to_string()
    } else {
        format!("{prefix}.{base}")
    }
}

fn is_secret_key(key: &str) -> bool {
    matches!(
        key,
        "smtp_password" | "secret" | "webhook_url" | "api_token" | "password"
    )
}

impl Config {
    /// Load and validate `regwatch.toml` (the sources are loaded separately).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            source: e,
        })?;
        Config::from_str(path, &text)
    }

    pub fn from_str(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut table = parse_table(path, text)?;
        // `[server].api_token_env` defaults to REGWATCH_API_TOKEN: decided by
        // the keys the file sets, never by its text (a comment may name them).
        if let toml::Value::Table(server) = table
            .entry("server")
            .or_insert_with(|| toml::Value::Table(Default::default()))
        {
            if !server.keys().any(|k| k.starts_with("api_token")) {
                server.insert("api_token_env".into(), "REGWATCH_API_TOKEN".into());
            }
        }
        let mut plain = vec![];
        let mut unresolved = BTreeMap::new();
        resolve_indirect(&mut table, "", path, text, &mut plain, &mut unresolved)?;
        let mut cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e| serde_error(path, text, e, 1))?;
        cfg.path = path.to_path_buf();
        cfg.plain_secrets = plain;
        cfg.unresolved = unresolved;
        cfg.validate(text)?;
        Ok(cfg)
    }

    fn validate(&self, text: &str) -> Result<(), ConfigError> {
        let p = &self.path;
        let err = |key: &str, msg: String| ConfigError::invalid(p, line_of_key(text, key, 1), msg);
        if !(self.storage.url.starts_with("sqlite:")
            || self.storage.url.starts_with("postgres://")
            || self.storage.url.starts_with("postgresql://"))
        {
            return Err(err(
                "url",
                "[storage].url must start with `sqlite://` (e.g. sqlite://data/regwatch.db) or `postgres://`".into(),
            ));
        }
        Schedule::parse(&self.schedule.default, &self.schedule.timezone)
            .map_err(|e| err("default", format!("[schedule]: {e}")))?;
        if self.fetch.concurrency == 0 || self.fetch.per_host_concurrency == 0 {
            return Err(err(
                "concurrency",
                "[fetch] concurrency values must be at least 1".into(),
            ));
        }
        if self.fetch.browser_concurrency == 0 {
            return Err(err(
                "browser_concurrency",
                "[fetch].browser_concurrency must be at least 1".into(),
            ));
        }
        if !(0..=3650).contains(&self.cases.backmatch_days) {
            return Err(err(
                "backmatch_days",
                "[cases].backmatch_days must be between 0 and 3650".into(),
            ));
        }
        if self.server.max_connections == 0
            || self.server.header_timeout.0.is_zero()
            || self.server.idle_timeout.0.is_zero()
        {
            return Err(err(
                "max_connections",
                "[server] max_connections, header_timeout and idle_timeout must be above 0".into(),
            ));
        }
        if self.fetch.max_bytes < 1024 {
            return Err(err(
                "max_bytes",
                "[fetch].max_bytes must be at least 1024".into(),
            ));
        }
        self.server
            .listen
            .parse::<std::net::SocketAddr>()
            .map_err(|_| {
                err(
                    "listen",
                    format!(
                        "[server].listen `{}` is not an address: write e.g. 127.0.0.1:8080",
                        self.server.listen
                    ),
                )
            })?;
        url::Url::parse(&self.server.base_url)
            .map_err(|e| err("base_url", format!("[server].base_url: {e}")))?;
        let mut names = std::collections::HashSet::new();
        for (i, ch) in self.channels.iter().enumerate() {
            let line = line_of_name(text, &ch.name);
            // A secret named by `X_env`/`X_file` that is not there now fails
            // only the sends that need it (read-only commands work without).
            let deferred = |key: &str| self.unresolved.contains_key(&format!("channel[{i}].{key}"));
            let cerr =
                |m: String| ConfigError::invalid(p, line, format!("channel `{}`: {m}", ch.name));
            if !names.insert(ch.name.clone()) {
                return Err(cerr(
                    "two channels have this name: names must be unique".into(),
                ));
            }
            if ch.mode == ChannelMode::Digest || ch.schedule.is_some() {
                let s = ch.schedule.as_deref().unwrap_or("0 7 * * 1-5");
                let tz = ch.timezone.as_deref().unwrap_or(&self.schedule.timezone);
                Schedule::parse(s, tz).map_err(cerr)?;
            }
            match &ch.kind {
                ChannelKind::Email(e) => {
                    let scheme = match &e.smtp_url {
                        Some(u) => u.expose().split("://").next().unwrap_or(""),
                        None if deferred("smtp_url") => "smtp",
                        None => return Err(cerr("an email channel needs `smtp_url` (e.g. smtp://localhost:25 or smtps://mail.example.com)".into())),
                    };
                    if !["smtp", "smtps"].contains(&scheme) {
                        return Err(cerr(
                            "`smtp_url` must start with smtp:// or smtps://".into(),
                        ));
                    }
                    if e.from.is_none() {
                        return Err(cerr("an email channel needs `from`".into()));
                    }
                    if e.to.is_empty() {
                        return Err(cerr(
                            "an email channel needs at least one address in `to`".into(),
                        ));
                    }
                }
                ChannelKind::Slack(sl) => {
                    if sl.webhook_url.is_none() && !deferred("webhook_url") {
                        return Err(cerr("a slack channel needs `webhook_url` (better: `webhook_url_env` naming an environment variable that is set)".into()));
                    }
                }
                ChannelKind::Teams(t) => {
                    if t.webhook_url.is_none() && !deferred("webhook_url") {
                        return Err(cerr("a teams channel needs `webhook_url` (the Workflows webhook; better: `webhook_url_env` naming an environment variable)".into()));
                    }
                }
                ChannelKind::Webhook(w) => {
                    if w.url.is_none() && !deferred("url") {
                        return Err(cerr("a webhook channel needs `url`".into()));
                    }
                }
            }
        }
        Ok(())
    }

    /// Why the channel's `key` has no value, when it was named by `X_env` / `X_file`.
    pub fn missing_secret(&self, channel: &str, key: &str) -> String {
        let i = self.channels.iter().position(|c| c.name == channel);
        let why = i.and_then(|i| self.unresolved.get(&format!("channel[{i}].{key}")));
        match why {
            Some(w) => format!("the channel has no `{key}`: {w}"),
            None => format!("the channel has no `{key}`"),
        }
    }

    /// The taxonomy file: `[sources].taxonomy`, else `taxonomy.toml` beside the config.
    pub fn taxonomy_file(&self) -> PathBuf {
        if let Some(t) = &self.sources.taxonomy {
            return t.clone();
        }
        self.path
            .parent()
            .map(|d| d.join("taxonomy.toml"))
            .unwrap_or_else(|| PathBuf::from("config/taxonomy.toml"))
    }

    /// Load the sources directory.
    pub fn load_sources(&self) -> Result<Vec<Source>, ConfigError> {
        load_sources_dir(&self.sources.dir, &self.schedule)
    }
}

fn line_of_name(text: &str, name: &str) -> Option<usize> {
    let n1 = format!("\"{name}\"");
    text.lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("name") && l.contains(&n1))
        .map(|(i, _)| i + 1)
}

/// Load every `*.toml` in `dir` (sorted), validate each source, and reject
/// duplicate ids across files.
pub fn load_sources_dir(dir: &Path, sched: &ScheduleConfig) -> Result<Vec<Source>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ConfigError::Read {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "toml").unwrap_or(false))
        .collect();
    files.sort();
    let mut out: Vec<Source> = vec![];
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| ConfigError::Read {
            path: file.display().to_string(),
            source: e,
        })?;
        for s in parse_sources(&file, &text, sched)? {
            if let Some(prev) = seen.get(s.id()) {
                return Err(ConfigError::invalid(
                    &file,
                    line_of_source(&text, s.id()),
                    format!(
                        "source id `{}` is already defined in {}: ids must be unique",
                        s.id(),
                        prev.display()
                    ),
                ));
            }
            seen.insert(s.id().to_string(), file.clone());
            out.push(s);
        }
    }
    Ok(out)
}

/// Parse and validate one sources file.
pub fn parse_sources(
    file: &Path,
    text: &str,
    sched: &ScheduleConfig,
) -> Result<Vec<Source>, ConfigError> {
    let mut table = match parse_by_source(text) {
        Some(t) => t,
        None => parse_table(file, text)?,
    };
    // Deserialize each source separately so an error can name its line.
    let mut defs = vec![];
    let raw_sources = match table.remove("source") {
        None => vec![],
        Some(toml::Value::Array(a)) => a,
        Some(_) => {
            return Err(ConfigError::invalid(
                file,
                line_of_key(text, "source", 1),
                "`source` must be an array of tables: write `[[source]]`",
            ))
        }
    };
    for k in table.keys() {
        if k != "source" {
            return Err(ConfigError::invalid(
                file,
                line_of_key(text, k, 1),
                format!("unknown key `{k}`: a sources file holds only `[[source]]` tables"),
            ));
        }
    }
    // One pass for every source's line: searching the text once per source
    // made loading 10,000 sources take seconds.
    let id_lines = source_id_lines(text);
    let mut search_from = 1;
    for raw in raw_sources {
        let id = raw.get("id").and_then(|v| v.as_str()).unwrap_or_default();
        let line = id_lines.get(id).copied().unwrap_or(search_from);
        search_from = line;
        let def: SourceDef = raw
            .try_into()
            .map_err(|e| serde_error(file, text, e, line))?;
        defs.push((line, def));
    }
    let mut ids = std::collections::HashSet::new();
    let mut out = vec![];
    // Sources with the same schedule, or the same extraction rules, share
    // one parsed copy: most of a large config repeats a handful of each.
    let mut schedules: HashMap<(String, String), Schedule> = HashMap::new();
    let mut compiled: HashMap<String, std::sync::Arc<CompiledRules>> = HashMap::new();
    for (line, def) in defs {
        let key_line = |k: &str| line_of_key(text, k, line).or(Some(line));
        let err = |k: &str, m: String| {
            ConfigError::invalid(file, key_line(k), format!("source `{}`: {m}", def.id))
        };
        if !ids.insert(def.id.clone()) {
            return Err(err(
                "id",
                "this id is defined twice in this file: ids must be unique".into(),
            ));
        }
        if !matches!(def.url.scheme(), "http" | "https") {
            return Err(err(
                "url",
                format!(
                    "url `{}` must be http:// or https://",
                    crate::util::redact(&def.url)
                ),
            ));
        }
        let schedule_expr = def
            .schedule
            .clone()
            .unwrap_or_else(|| sched.default.clone());
        let tz = def
            .timezone
            .clone()
            .unwrap_or_else(|| sched.timezone.clone());
        let schedule = match schedules.get(&(schedule_expr.clone(), tz.clone())) {
            Some(s) => s.clone(),
            None => {
                let s = Schedule::parse(&schedule_expr, &tz).map_err(|e| {
                    let key = if e.contains("IANA") {
                        "timezone"
                    } else {
                        "schedule"
                    };
                    err(key, e)
                })?;
                schedules.insert((schedule_expr, tz), s.clone());
                s
            }
        };
        validate_def(&def).map_err(|(k, m)| err(k, m))?;
        let rules_key = format!("{:?} {:?}", def.kind, def.extract);
        let rules = match compiled.get(&rules_key) {
            Some(r) => r.clone(),
            None => {
                let r = std::sync::Arc::new(
                    CompiledRules::compile(def.kind, &def.extract)
                        .map_err(|e| err(e.key, e.message))?,
                );
                compiled.insert(rules_key, r.clone());
                r
            }
        };
        out.push(Source {
            def,
            schedule,
            file: file.to_path_buf(),
            rules,
        });
    }
    Ok(out)
}

fn validate_def(def: &SourceDef) -> Result<(), (&'static str, String)> {
    if def.language.is_empty() {
        return Err((
            "language",
            "`language` must be a BCP 47 tag such as tr, vi, es or en".into(),
        ));
    }
    if def.name.trim().is_empty() {
        return Err((
            "name",
            "`name` must say what the source is, for people".into(),
        ));
    }
    if def.render.is_some() && def.kind != SourceKind::Page {
        return Err((
            "render",
            format!(
                "`render = \"browser\"` applies to kind = \"page\" only, not \"{}\"",
                def.kind.as_str()
            ),
        ));
    }
    if let Some(w) = &def.wait_for {
        if def.render.is_none() {
            return Err((
                "wait_for",
                "`wait_for` needs `render = \"browser\"` (a fetched page is complete when it arrives)".into(),
            ));
        }
        crate::rules::Css::parse("wait_for", w).map_err(|e| (e.key, e.message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_sources_line_is_found_in_one_pass() {
        let text =
            "# x\n[[source]]\nid = \"a\"\n\n[[source]]\n  id='b' # two\nidle = \"c\"\nid = \"a\"\n";
        let lines = super::source_id_lines(text);
        assert_eq!(lines.get("a"), Some(&3));
        assert_eq!(lines.get("b"), Some(&6));
        assert_eq!(lines.get("c"), None);
    }

    /// Sources that repeat a schedule or extraction rules share one parsed copy.
    #[test]
    fn repeated_schedules_and_rules_are_shared() {
        let mut text = String::new();
        for i in 0..3 {
            text.push_str(&format!("[[source]]\nid = \"s{i}\"\nname = \"S\"\njurisdiction = \"TR\"\nkind = \"feed\"\nurl = \"https://a.example/{i}\"\nschedule = \"0 * * * *\"\n\n"));
        }
        let s = super::parse_sources(
            std::path::Path::new("s.toml"),
            &text,
            &super::ScheduleConfig::default(),
        )
        .unwrap();
        assert!(std::sync::Arc::ptr_eq(&s[0].rules, &s[2].rules));
        assert!(s[0].schedule.shares_parse_with(&s[2].schedule));
        // Parsed apart, the same line is equal but not shared.
        let apart = crate::schedule::Schedule::parse("0 * * * *", "UTC").unwrap();
        assert_eq!(apart, s[0].schedule);
        assert!(!apart.shares_parse_with(&s[0].schedule));
    }

    /// A large file is parsed a source at a time, with the same result as
    /// whole; anything unusual goes the whole-file way.
    #[test]
    fn large_files_parse_by_source_like_whole() {
        let mut text = String::from("# sources\n");
        for i in 0..800 {
            text.push_str(&format!("[[source]]\nid = \"s{i}\"\nname = \"S\"\njurisdiction = \"TR\"\nkind = \"page\"\nurl = \"https://a.example/{i}\"\n[source.extract]\nitem = \"li\"\n\n"));
        }
        assert!(text.len() > 64 * 1024);
        let whole = text.parse::<toml::Table>().unwrap();
        assert_eq!(super::parse_by_source(&text), Some(whole));
        let odd = format!("{text}note = \"\"\"\n[[source]]\n\"\"\"\n");
        assert_eq!(super::parse_by_source(&odd), None);
        let other = format!("{text}[fetch]\ntimeout = \"1s\"\n");
        assert_eq!(super::parse_by_source(&other), None);
    }
    use super::*;

    fn sched() -> ScheduleConfig {
        ScheduleConfig::default()
    }

    const GOOD: &str = r##"
[[source]]
id = "tr-resmi-gazete"
name = "Resmî Gazete"
jurisdiction = "TR"
language = "tr"
kind = "page"
url = "https://www.resmigazete.gov.tr/"
schedule = "15 0 * * *"
timezone = "Europe/Istanbul"
[source.extract]
content = "#html-content"
exclude = [".date-now", "nav"]
item = "li"
ignore = ['Güncelleme: .*']
fail_if = ["Request Rejected"]
"##;

    #[test]
    fn parses_design_example() {
        let s = parse_sources(Path::new("sources/tr.toml"), GOOD, &sched()).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].id(), "tr-resmi-gazete");
        assert_eq!(s[0].def.extract.fail_if, vec!["Request Rejected"]);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let bad = GOOD.replace("schedule = ", "scheduel = ");
        let e = parse_sources(Path::new("sources/tr.toml"), &bad, &sched())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sources/tr.toml:9:"), "{e}");
        assert!(e.contains("scheduel"), "{e}");
    }

    #[test]
    fn bad_cron_selector_regex_url_are_errors_with_lines() {
        let cases = [
            (GOOD.replace("15 0 * * *", "15 0 * *"), ":9:", "fields"),
            (
                GOOD.replace("\"#html-content\"", "\"#html[\""),
                ":12:",
                "content",
            ),
            (
                GOOD.replace("'Güncelleme: .*'", "'(unclosed'"),
                ":15:",
                "regex",
            ),
            (
                GOOD.replace("https://www.resmigazete.gov.tr/", "ftp://x/"),
                ":8:",
                "http",
            ),
            (
                GOOD.replace("Europe/Istanbul", "Europe/Ankara"),
                ":10:",
                "IANA",
            ),
        ];
        for (text, line, word) in cases {
            let e = parse_sources(Path::new("s.toml"), &text, &sched())
                .unwrap_err()
                .to_string();
            assert!(e.contains(line), "{e}");
            assert!(e.contains(word), "{e}");
        }
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let two = format!("{GOOD}\n{}", GOOD.replace("Resmî Gazete", "Other"));
        let e = parse_sources(Path::new("s.toml"), &two, &sched())
            .unwrap_err()
            .to_string();
        assert!(e.contains("twice"), "{e}");
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
        let ChannelKind::Slack(sl) = &c.channels[0].kind else {
            panic!("{:?}", c.channels[0].kind)
        };
        assert_eq!(
            sl.webhook_url.as_ref().unwrap().expose(),
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
        assert!(c
            .missing_secret("slack", "webhook_url")
            .contains("RW_TEST_UNSET_SLACK"));
        assert!(c
            .missing_secret("hook", "secret")
            .contains("no-such-credential"));
        // A channel with no webhook_url at all is still a config error.
        let e = Config::from_str(
            Path::new("c.toml"),
            "[[channel]]\nname = \"s\"\ntype = \"slack\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("webhook_url"), "{e}");
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
    fn source_errors_name_the_line_in_the_users_terms() {
        let bad_cron = GOOD.replace("schedule = \"15 0 * * *\"", "schedule = \"0 25 * * *\"");
        let e = parse_sources(Path::new("sources/tr.toml"), &bad_cron, &sched())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sources/tr.toml:9:"), "{e}");
        assert!(
            e.contains("`0 25 * * *`: hour `25` is out of range: hours are 0-23"),
            "{e}"
        );
        let bad_sel = GOOD.replace("item = \"li\"", "item = \"a[\"");
        let e = parse_sources(Path::new("sources/tr.toml"), &bad_sel, &sched())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sources/tr.toml:14:"), "{e}");
        assert!(
            e.contains("`item` CSS selector `a[` is invalid") && !e.contains("developer"),
            "{e}"
        );
    }

    #[test]
    fn channels_are_parsed_by_kind() {
        let text = r#"
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
        let c = Config::from_str(Path::new("c.toml"), text).unwrap();
        let ChannelKind::Email(e) = &c.channels[0].kind else {
            panic!()
        };
        assert_eq!(e.to.len(), 2);
        assert_eq!(e.from.as_ref().unwrap().email.to_string(), "rw@example.com");
        assert_eq!(c.channels[1].kind.name(), "webhook");
        // A key of another kind, a typo, a bad address: named, with the line.
        let e = Config::from_str(
            Path::new("c.toml"),
            &text.replace("url = \"https", "webhook_url = \"https"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("webhook_url"), "{e}");
        let e = Config::from_str(
            Path::new("c.toml"),
            &text.replace("a@example.com", "not an address"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("c.toml:7:") && e.contains("not an address"),
            "{e}"
        );
        let e = Config::from_str(
            Path::new("c.toml"),
            &text.replace("type = \"webhook\"", "type = \"pager\""),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("pager"), "{e}");
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
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3650d").unwrap(), MAX_DURATION);
        for absurd in [
            "3651d",
            "99999999999999999d",
            "18446744073709551615h",
            "999999999999m",
        ] {
            let e = parse_duration(absurd).unwrap_err();
            assert!(e.contains("longest duration, 3650d"), "{absurd}: {e}");
        }
        assert!(parse_duration("soon").is_err());
    }
}
