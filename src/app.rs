//! The context every front end and the poll share: configuration, sources
//! (with their compiled rules), store, fetcher, tagger and clock; and the
//! live handle the daemon replaces as a whole when the configuration is
//! reloaded.

use crate::classify::Tagger;
use crate::clock::Clock;
use crate::config::{Config, Source};
use crate::fetch::Fetcher;
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

/// The configured sources, in file order, with an index by id.
#[derive(Debug, Default)]
pub struct Sources {
    list: Vec<Source>,
    pos: HashMap<String, usize>,
}

impl Sources {
    pub fn new(list: Vec<Source>) -> Sources {
        let pos = list
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id().to_string(), i))
            .collect();
        Sources { list, pos }
    }

    pub fn get(&self, id: &str) -> Option<&Source> {
        self.pos.get(id).map(|&i| &self.list[i])
    }

    pub fn all(&self) -> &[Source] {
        &self.list
    }

    pub fn enabled(&self) -> impl Iterator<Item = &Source> {
        self.list.iter().filter(|s| s.def.enabled)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Ids added, removed and changed from `old` to `self`, each sorted.
    pub fn diff(&self, old: &Sources) -> SourcesDiff {
        let mut d = SourcesDiff::default();
        for s in &self.list {
            match old.get(s.id()) {
                None => d.added.push(s.id().to_string()),
                Some(o) if o.def != s.def => d.changed.push(s.id().to_string()),
                Some(_) => {}
            }
        }
        for s in &old.list {
            if self.get(s.id()).is_none() {
                d.removed.push(s.id().to_string());
            }
        }
        d.added.sort();
        d.removed.sort();
        d.changed.sort();
        d
    }
}

/// What a reload changed in the sources.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SourcesDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

/// Everything a poll or a service needs, shared by the CLI, the daemon and
/// the HTTP server. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub sources: Arc<Sources>,
    pub store: Store,
    pub fetcher: Fetcher,
    pub tagger: Arc<Tagger>,
    pub clock: Clock,
}

impl App {
    /// The context of `config`: its sources are loaded (and their rules
    /// compiled) here, once; the clock is the system's unless
    /// `REGWATCH_CLOCK` pins it (tests).
    pub fn new(config: Config, store: Store, tagger: Tagger) -> anyhow::Result<App> {
        let sources = config.load_sources()?;
        App::with_sources(config, sources, store, tagger)
    }

    /// The context with sources given rather than loaded from the config's folder.
    pub fn with_sources(
        config: Config,
        sources: Vec<Source>,
        store: Store,
        tagger: Tagger,
    ) -> anyhow::Result<App> {
        let clock = Clock::from_env();
        let fetcher = Fetcher::new(&config.fetch)?;
        Ok(App {
            config: Arc::new(config),
            sources: Arc::new(Sources::new(sources)),
            store,
            fetcher,
            tagger: Arc::new(tagger),
            clock,
        })
    }

    /// The same context reading time from `clock` (tests pin it).
    pub fn with_clock(mut self, clock: Clock) -> App {
        self.clock = clock;
        self
    }

    /// The config file and sources again (a reload). The store, the fetcher
    /// (and its per-host limits) and the clock are kept: `[storage]`,
    /// `[fetch]` and `[server].listen` changes need a restart.
    pub fn reloaded(&self, config_path: &Path) -> anyhow::Result<App> {
        let config = Config::load(config_path)?;
        let sources = config.load_sources()?;
        let tagger = Tagger::for_config(&config)?;
        Ok(App {
            config: Arc::new(config),
            sources: Arc::new(Sources::new(sources)),
            store: self.store.clone(),
            fetcher: self.fetcher.clone(),
            tagger: Arc::new(tagger),
            clock: self.clock.clone(),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn health_channels(&self) -> Vec<String> {
        self.config
            .channels
            .iter()
            .filter(|c| c.filter.health.unwrap_or(true))
            .map(|c| c.name.clone())
            .collect()
    }
}

/// The context the daemon currently runs with, shared by its scheduler,
/// notifier and HTTP handlers; replaced as a whole by a reload, so a
/// request or a poll always sees one consistent configuration.
#[derive(Clone)]
pub struct LiveApp(Arc<RwLock<App>>, Arc<Mutex<Option<std::time::Instant>>>);

/// How long a successful write probe of `/healthz` stands for the next ones.
const WRITE_PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

impl LiveApp {
    pub fn new(app: App) -> LiveApp {
        LiveApp(Arc::new(RwLock::new(app)), Default::default())
    }

    /// The context as it is now.
    pub fn current(&self) -> App {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether the store takes a write (`/healthz`): a successful probe
    /// stands for a few seconds, so polling the endpoint does not write on
    /// every request; a failed one is tried again at the next request.
    pub async fn store_takes_writes(&self) -> anyhow::Result<()> {
        let fresh =
            |at: &Option<std::time::Instant>| at.is_some_and(|t| t.elapsed() < WRITE_PROBE_EVERY);
        if fresh(&self.1.lock().unwrap_or_else(|p| p.into_inner())) {
            return Ok(());
        }
        let app = self.current();
        app.store
            .probe_write(&crate::util::instance_id(), app.now())
            .await?;
        *self.1.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
        Ok(())
    }

    /// Load the configuration and sources again, `check` what this context
    /// cannot judge (the channels' own settings, read by `notify` above it),
    /// and switch to them; on an error the running configuration stays.
    pub fn reload(
        &self,
        config_path: &Path,
        check: impl FnOnce(&Config) -> Result<(), crate::config::ConfigError>,
    ) -> anyhow::Result<(App, SourcesDiff)> {
        let old = self.current();
        let new = old.reloaded(config_path)?;
        check(&new.config)?;
        let diff = new.sources.diff(&old.sources);
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = new.clone();
        Ok((new, diff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_names_added_removed_and_changed_sources() {
        const TWO: &str = "[[source]]\nid = \"a\"\nname = \"A\"\njurisdiction = \"TR\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/a\"\n\n\
                           [[source]]\nid = \"b\"\nname = \"B\"\njurisdiction = \"VN\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/b\"\n";
        let cfg = crate::config::ScheduleConfig::default();
        let parse = |t: &str| {
            Sources::new(crate::config::parse_sources(Path::new("s.toml"), t, &cfg).unwrap())
        };
        let old = parse(TWO);
        let new = parse(
            &TWO.replace("\"b\"", "\"c\"")
                .replace("name = \"A\"", "name = \"A2\""),
        );
        assert_eq!(
            new.diff(&old),
            SourcesDiff {
                added: vec!["c".into()],
                removed: vec!["b".into()],
                changed: vec!["a".into()],
            }
        );
        assert_eq!(new.get("c").map(|s| s.id()), Some("c"));
        assert!(new.get("b").is_none());
    }
}
