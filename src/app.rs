//! The context every front end and the poll share: configuration, store,
//! fetcher and tagger.

use crate::classify::Tagger;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::store::Store;
use std::sync::Arc;

/// Everything a poll or a service needs, shared by the CLI, the daemon and the HTTP server.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub store: Store,
    pub fetcher: Fetcher,
    pub tagger: Arc<Tagger>,
}

impl App {
    pub fn new(config: Config, store: Store, tagger: Tagger) -> anyhow::Result<App> {
        let fetcher = Fetcher::new(&config.fetch)?;
        Ok(App {
            config: Arc::new(config),
            store,
            fetcher,
            tagger: Arc::new(tagger),
        })
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
