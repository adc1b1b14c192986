//! regwatch: watches customs and regulatory sources and tells trade-compliance
//! teams, with evidence, what changed.
//!
//! The pipeline, top to bottom:
//! sources -> schedule -> fetch -> extract -> normalize -> diff -> classify -> match -> outbox -> notify

pub mod config;
pub mod extract;
pub mod model;
pub mod normalize;
pub mod schedule;
