//! The store: one API over SQLite and PostgreSQL for a source's polls and
//! snapshots, the change log and its stories, reviews and cases, the outbox
//! and source leases. Runtime-checked queries through sqlx's `Any` driver,
//! so every query is written once; the few places where the backends differ
//! branch on [`Backend`]. Migrations per backend, embedded and applied at
//! start.
//!
//! By concern, each adding its part of [`Store`]'s API: `db` (backends,
//! connection, the pool, which stays in here), `polls` (a source's state,
//! recording a poll, health rows) with `poll_record` (what a poll reads and
//! hands over) and `poll_writes` (the statements a record writes), `batch`
//! (statement lists sent as one command), `group` and `waiting` (the
//! one-shot pass's quiet polls recorded together), `snapshots` (the content a poll read),
//! `changes` (the change log), `stories` (changes that report one act),
//! `reviews`, `cases`, `outbox`, `leases` (the plan, and who polls what),
//! `copy` (`regwatch db copy`).

pub use crate::health::Standing;
pub use crate::model::{ChangeRecord, HealthChange as Health, PollOutcome, Tags};
pub use changes::ChangeFilter;
pub use db::{parse_ts, ts, Backend, Store};
pub use one_statement::ReadAhead;
pub use poll_record::{PassStart, PollRecord, PollResult, PollStart, SourceState, StoryCandidates};

mod batch;
pub mod cases;
mod changes;
pub mod copy;
pub mod corrections;
mod db;
pub mod dispositions;
mod gists;
mod group;
pub mod history;
pub mod leases;
mod liveness;
mod one_statement;
pub mod outbox;
mod poll_record;
mod poll_writes;
mod polls;
mod reviews;
mod snapshots;
mod stories;
mod waiting;
