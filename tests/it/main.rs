//! The one integration-test binary: real HTTP over 127.0.0.1, real SQLite
//! files, real SMTP, the real `regwatch` binary where a test needs a process.

#[macro_use]
mod helpers;

mod browser;
mod case_index;
mod cases;
mod catalogue;
mod core_poll;
mod daemon;
mod emptiness;
mod exactly_once;
mod fetch_policy;
mod fetch_proxy;
mod gist;
mod harden2;
mod hostile_queries;
mod listen_pressure;
mod multi;
mod notify;
mod officer_a;
mod officer_a_browser;
mod officer_b;
mod redaction;
mod render;
mod render_sockets;
mod rendering;
mod round_trips;
mod screens;
mod server_limits;
mod sites;
mod sources_edit;
mod store;
mod story;
mod suggest;
mod tags;
mod ux;
mod web_sessions;
mod web_sources;
mod web_sources_browser;

/// A URL cut for an assertion message.
pub fn util_trunc(s: &str) -> String {
    s.chars().take(200).collect()
}
