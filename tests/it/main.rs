//! The one integration-test binary: real HTTP over 127.0.0.1, real SQLite
//! files, real SMTP, the real `regwatch` binary where a test needs a process.

mod browser;
mod cases;
mod catalogue;
mod core_poll;
mod daemon;
mod emptiness;
mod exactly_once;
mod helpers;
mod multi;
mod notify;
mod render;
mod rendering;
mod screens;
mod store;
mod ux;
