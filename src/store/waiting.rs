//! The quiet polls waiting to be recorded in a group (see [`super::group`]),
//! kept by the store that groups them.

use sqlx::any::{AnyArguments, AnyRow};
use std::sync::Mutex;
use tokio::sync::oneshot;

pub(super) type Statements = Vec<(String, AnyArguments)>;
pub(super) type Answer = anyhow::Result<Vec<AnyRow>>;

/// The lists waiting for the next group, and whether a group is running.
#[derive(Default)]
pub(super) struct Waiting {
    state: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    lists: Vec<(Statements, oneshot::Sender<Answer>)>,
    running: bool,
}

impl Waiting {
    /// Queue a list; true when no group was running (the caller starts
    /// one).
    pub(super) fn push(&self, statements: Statements, answer: oneshot::Sender<Answer>) -> bool {
        let mut q = self.state.lock().unwrap_or_else(|e| e.into_inner());
        q.lists.push((statements, answer));
        !std::mem::replace(&mut q.running, true)
    }

    /// Every list waiting, or `None` (and no group running any more) when
    /// none is.
    pub(super) fn take(&self) -> Option<Vec<(Statements, oneshot::Sender<Answer>)>> {
        let mut q = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if q.lists.is_empty() {
            q.running = false;
            None
        } else {
            Some(std::mem::take(&mut q.lists))
        }
    }
}
