//! What a command starts from: the config file, its sources, the tagger,
//! and the App with its store. Most commands take the App; `sources check`
//! and `sources test` run without a store and take [`Offline`].

use super::failure::{usage, Failure};
use crate::app::{App, Sources};
use crate::classify::Tagger;
use crate::config::{self, Config, Source};
use crate::store::Store;
use std::path::Path;

/// The config file: `explicit` (`--config`), else $REGWATCH_CONFIG, else the
/// default places.
pub fn config(explicit: Option<&Path>) -> Result<Config, Failure> {
    let path = config::find_config(explicit)?;
    let cfg = Config::load(&path)?;
    // Each channel's own settings are read by its type, in notify.
    crate::notify::check_channels(&cfg)?;
    Ok(cfg)
}

/// The tagger of `cfg`'s taxonomy; a taxonomy that does not load is bad
/// configuration (exit status 2).
pub fn tagger(cfg: &Config) -> Result<Tagger, Failure> {
    Tagger::for_config(cfg).map_err(Failure::bad_config)
}

/// The context of a command that asks the store: the config, its tagger,
/// the store, and the sources (loaded by the App).
pub async fn app(explicit: Option<&Path>) -> Result<App, Failure> {
    app_of(explicit, false).await
}

/// [`app`] for a command that asks its store one thing at a time, on one
/// thread (the one-shot `regwatch poll`; see [`Store::open_sequential`]).
pub async fn sequential_app(explicit: Option<&Path>) -> Result<App, Failure> {
    app_of(explicit, true).await
}

async fn app_of(explicit: Option<&Path>, sequential: bool) -> Result<App, Failure> {
    let cfg = config(explicit)?;
    let tagger = tagger(&cfg)?;
    let store = match sequential {
        true => Store::open_sequential(&cfg.storage.url).await?,
        false => Store::open(&cfg.storage.url).await?,
    };
    Ok(App::new(cfg, store, tagger)?)
}

/// The context of a command that runs without a store: the config and its
/// sources, loaded the way the App loads them.
pub struct Offline {
    pub config: Config,
    pub sources: Sources,
}

impl Offline {
    pub fn load(explicit: Option<&Path>) -> Result<Offline, Failure> {
        let config = config(explicit)?;
        let sources = Sources::new(config.load_sources()?);
        Ok(Offline { config, sources })
    }
}

/// The source `id`, or bad usage naming the known ids.
pub fn source<'a>(sources: &'a Sources, id: &str) -> Result<&'a Source, Failure> {
    sources.get(id).ok_or_else(|| {
        let ids: Vec<&str> = sources.all().iter().map(|s| s.id()).collect();
        usage(format!(
            "no source `{id}`: known ids are {}",
            ids.join(", ")
        ))
    })
}
