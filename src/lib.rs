//! regwatch: watches customs and regulatory sources and tells trade-compliance
//! teams, with evidence, what changed.
//!
//! The pipeline, top to bottom:
//! sources -> schedule -> fetch -> extract -> normalize -> diff -> classify -> match -> outbox -> notify

pub mod cases;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod diff;
pub mod extract;
pub mod fetch;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod notify;
pub mod pipeline;
pub mod schedule;
pub mod server;
pub mod starter;
pub mod store;
pub mod tagging;
