//! The sections of `regwatch.toml`: every key with its default. What a
//! `[[channel]]` holds is in `channel.rs`; secrets in `secrets.rs`.

use super::channel::ChannelConfig;
use super::secrets::Secret;
use super::values::HumanDuration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

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
    /// An import refuses a file larger than this (bytes).
    pub max_file_bytes: u64,
    /// An import refuses a file with more rows than this.
    pub max_rows: u64,
    /// A cell larger than this (bytes) makes its row bad.
    pub max_cell_bytes: usize,
}
impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig {
            // No link unless the team's case system is configured: an
            // example address must never appear in pages and digests.
            link: String::new(),
            backmatch_days: 90,
            max_file_bytes: 512 * 1024 * 1024,
            max_rows: 5_000_000,
            max_cell_bytes: 64 * 1024,
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

impl Config {
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
}
