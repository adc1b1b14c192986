//! regwatch: watches customs and regulatory sources and tells trade-compliance
//! teams, with evidence, what changed.
//!
//! The rooms, top to bottom (see docs/architecture.md):
//! - front ends: `cli`, `server` (web pages, JSON API, Atom feed)
//! - `daemon`: the scheduler and notifier loops of `regwatch run`
//! - `notify`: the outbox's senders
//! - `services`: what the front ends ask (change log, check, reports, cases, health)
//! - `poll`: one poll, through the stages in pipeline order:
//!   source (`config`, `rules`) -> `schedule` -> `fetch` -> `extract` ->
//!   `normalize` -> `diff` -> `classify` -> `matching` -> `route` -> record (`store`)
//! - `app` (the shared context), `store`, `health` (the source-health policy
//!   the store records), `events` + `metrics`, `model`, `util`

pub mod app;
pub(crate) mod canon;
pub mod classify;
pub mod cli;
pub mod clock;
pub mod config;
pub(crate) mod daemon;
pub(crate) mod diff;
pub(crate) mod events;
pub mod extract;
pub mod fetch;
pub mod gist;
pub(crate) mod health;
pub(crate) mod journal;
pub mod matching;
pub(crate) mod metrics;
pub mod model;
pub mod normalize;
pub mod notify;
pub mod poll;
pub(crate) mod route;
pub mod rules;
pub mod schedule;
pub mod server;
pub mod services;
pub mod sources_edit;
pub mod starter;
pub mod store;
pub(crate) mod story;
pub mod util;
