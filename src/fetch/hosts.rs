//! Per-host politeness: how many requests a host may have at once, when
//! the next may start, and how long the host asked us to wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Per-host politeness: a semaphore and a minimum interval between request
/// starts, shared by every source of a host.
#[derive(Default)]
pub(super) struct HostLimiter {
    hosts: Mutex<HashMap<String, Arc<HostSlot>>>,
}

pub(super) struct HostSlot {
    pub(super) sem: Arc<Semaphore>,
    pub(super) next_start: tokio::sync::Mutex<Instant>,
    /// Not before this: the host answered 429 or 503 with Retry-After.
    deferred_until: Mutex<Option<Instant>>,
}

impl HostSlot {
    /// How long the host still asked us to wait, if it did.
    pub(super) fn deferred_for(&self) -> Option<Duration> {
        let until = (*self
            .deferred_until
            .lock()
            .unwrap_or_else(|p| p.into_inner()))?;
        until.checked_duration_since(Instant::now())
    }

    pub(super) fn defer(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut u = self
            .deferred_until
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *u = Some(u.map_or(until, |old| old.max(until)));
    }
}

/// A host's turn: its concurrency slot, held for one request.
pub(super) struct HostPermit {
    pub(super) _permit: tokio::sync::OwnedSemaphorePermit,
    pub(super) slot: Arc<HostSlot>,
}

impl HostLimiter {
    pub(super) fn slot(&self, host: &str, concurrency: usize) -> Arc<HostSlot> {
        let mut m = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(HostSlot {
                    sem: Arc::new(Semaphore::new(concurrency)),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                    deferred_until: Mutex::new(None),
                })
            })
            .clone()
    }
}
