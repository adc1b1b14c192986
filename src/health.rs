//! Source health: how one poll moves its source between up and down.
//!
//! Policy, pure: the store reads a source's [`Standing`] under the row lock
//! it records the poll with (so concurrent polls of a source each see the
//! one before), asks [`transition`], and records what it decided: the new
//! standing, and an alert on the health channels when the source went down
//! or came back. New health states (a source moved elsewhere, rate limited
//! until a time) are new verdicts and changes here, recorded the same way.

use crate::model::{HealthChange, PollOutcome};

/// What the store keeps of a source's health between polls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    /// Failed polls in a row, up to the last poll.
    pub consecutive_failures: i64,
    /// Announced down, and not yet back.
    pub down: bool,
}

/// What one poll says about its source's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The source answered and was read: changed, unchanged or not modified.
    Answered,
    /// Read, but held as suspect: a warning, which moves nothing.
    Held,
    /// The fetch or the extraction failed.
    Failed,
}

impl Verdict {
    pub fn of(outcome: &PollOutcome) -> Verdict {
        match outcome {
            PollOutcome::Failed { .. } => Verdict::Failed,
            PollOutcome::Suspect { .. } => Verdict::Held,
            PollOutcome::NotModified
            | PollOutcome::Unchanged { .. }
            | PollOutcome::Changed { .. } => Verdict::Answered,
        }
    }
}

/// The policy's decision for one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The standing to record.
    pub after: Standing,
    /// `WentDown` and `Recovered` are announced on the health channels.
    pub change: HealthChange,
    /// The run of failures in a row this poll extended or ended (what an
    /// announcement reports: the run that took the source down, or the one
    /// it came back from).
    pub run: i64,
}

/// How a poll with `verdict` moves a source that stood at `before`: the
/// `down_after`-th failure in a row takes it down (announced once, however
/// long the run goes on); the first answer after that brings it back; any
/// answer ends a run of failures; a held poll moves nothing.
pub fn transition(before: Standing, verdict: Verdict, down_after: i64) -> Transition {
    match verdict {
        Verdict::Failed => {
            let failures = before.consecutive_failures + 1;
            let goes_down = !before.down && failures >= down_after;
            Transition {
                after: Standing {
                    consecutive_failures: failures,
                    down: before.down || goes_down,
                },
                change: if goes_down {
                    HealthChange::WentDown
                } else {
                    HealthChange::Same
                },
                run: failures,
            }
        }
        Verdict::Held => Transition {
            after: before,
            change: HealthChange::Same,
            run: before.consecutive_failures,
        },
        Verdict::Answered => Transition {
            after: Standing::default(),
            change: if before.down {
                HealthChange::Recovered
            } else {
                HealthChange::Same
            },
            run: before.consecutive_failures,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(consecutive_failures: i64, down: bool) -> Standing {
        Standing {
            consecutive_failures,
            down,
        }
    }

    /// Replays verdicts from a healthy source; the changes, in order.
    fn replay(verdicts: &[Verdict], down_after: i64) -> (Standing, Vec<HealthChange>) {
        let mut s = Standing::default();
        let mut changes = vec![];
        for v in verdicts {
            let t = transition(s, *v, down_after);
            s = t.after;
            changes.push(t.change);
        }
        (s, changes)
    }

    use HealthChange::{Recovered, Same, WentDown};
    use Verdict::{Answered, Failed, Held};

    #[test]
    fn the_nth_failure_in_a_row_takes_a_source_down_once() {
        let (s, changes) = replay(&[Failed, Failed, Failed, Failed], 3);
        assert_eq!(changes, vec![Same, Same, WentDown, Same]);
        assert_eq!(s, at(4, true));
        let t = transition(at(2, false), Failed, 3);
        assert_eq!((t.change, t.run), (WentDown, 3));
    }

    #[test]
    fn one_failure_is_enough_when_so_configured() {
        let t = transition(Standing::default(), Failed, 1);
        assert_eq!(t.change, WentDown);
        assert_eq!(t.after, at(1, true));
    }

    #[test]
    fn an_answer_ends_a_run_of_failures_before_it_goes_down() {
        let (s, changes) = replay(&[Failed, Answered, Failed], 2);
        assert_eq!(changes, vec![Same, Same, Same]);
        assert_eq!(s, at(1, false));
    }

    #[test]
    fn the_first_answer_brings_a_down_source_back_and_reports_its_run() {
        let t = transition(at(5, true), Answered, 3);
        assert_eq!(t.change, Recovered);
        assert_eq!(t.after, Standing::default());
        assert_eq!(t.run, 5, "the run it came back from");
        let (_, changes) = replay(&[Failed, Failed, Answered, Answered], 2);
        assert_eq!(changes, vec![Same, WentDown, Recovered, Same]);
    }

    #[test]
    fn a_held_poll_moves_nothing() {
        for before in [at(0, false), at(1, false), at(4, true)] {
            let t = transition(before, Held, 2);
            assert_eq!(t.after, before);
            assert_eq!(t.change, Same);
        }
        // Nor does it interrupt a run of failures.
        let (s, changes) = replay(&[Failed, Held, Failed], 2);
        assert_eq!(changes, vec![Same, Same, WentDown]);
        assert_eq!(s, at(2, true));
    }

    #[test]
    fn verdicts_follow_the_outcome() {
        assert_eq!(Verdict::of(&PollOutcome::NotModified), Answered);
        assert_eq!(
            Verdict::of(&PollOutcome::Unchanged {
                etag: None,
                last_modified: None
            }),
            Answered
        );
        assert_eq!(
            Verdict::of(&PollOutcome::Failed { error: "x".into() }),
            Failed
        );
        assert_eq!(
            Verdict::of(&PollOutcome::Suspect {
                hash: "h".into(),
                reason: "r".into()
            }),
            Held
        );
    }
}

/// The store refusing writes (a full disk, a read-only or broken database
/// file): health of the whole daemon, not of one source. Kept per process,
/// since the store is shared by every context a reload makes; set by the
/// first write that fails, cleared by the first that succeeds again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StorageFailure {
    pub since: chrono::DateTime<chrono::Utc>,
    /// The store's last error, in a line.
    pub reason: String,
    /// Writes (poll records) refused since.
    pub failed_writes: u64,
    /// Whether the alert of the failure could be queued when it began (the
    /// store may refuse that too: then the recovery alert says so).
    pub alerted: bool,
}

fn storage_state() -> &'static std::sync::Mutex<Option<StorageFailure>> {
    static S: std::sync::OnceLock<std::sync::Mutex<Option<StorageFailure>>> =
        std::sync::OnceLock::new();
    S.get_or_init(Default::default)
}

/// Whether an error comes from the database (rather than a source, a
/// timeout or a bug).
pub fn is_storage_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<sqlx::Error>().is_some())
}

/// A write failed: true when this starts a failure (announce it).
pub fn storage_failed(now: chrono::DateTime<chrono::Utc>, reason: &str) -> bool {
    let mut s = storage_state().lock().unwrap_or_else(|p| p.into_inner());
    match s.as_mut() {
        Some(f) => {
            f.failed_writes += 1;
            f.reason = reason.to_string();
            false
        }
        None => {
            *s = Some(StorageFailure {
                since: now,
                reason: reason.to_string(),
                failed_writes: 1,
                alerted: false,
            });
            true
        }
    }
}

/// The failure's alert was queued.
pub fn storage_alerted() {
    if let Some(f) = storage_state()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_mut()
    {
        f.alerted = true;
    }
}

/// A write succeeded: the failure it ends, if one was going on.
pub fn storage_ok() -> Option<StorageFailure> {
    storage_state()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
}

/// The failure going on, if any.
pub fn storage_failure() -> Option<StorageFailure> {
    storage_state()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// The health alert's payload for the store failing (`down`) or writing
/// again (`recovered`), in the shape of a source's health alert, so every
/// channel renders it.
pub fn storage_alert(
    f: &StorageFailure,
    recovered_at: Option<chrono::DateTime<chrono::Utc>>,
) -> serde_json::Value {
    let since = f.since.format("%Y-%m-%d %H:%M:%S UTC");
    let (state, error, at) = match recovered_at {
        None => (
            "down",
            format!(
                "the database refuses writes: {}. Polls are not recorded until it accepts them again (free disk space, check the database file's permissions); nothing is lost: the next poll of each source then records what was missed",
                f.reason
            ),
            f.since,
        ),
        Some(t) => (
            "recovered",
            format!(
                "the database accepts writes again; it refused {} write(s) since {since}{}",
                f.failed_writes,
                if f.alerted { "" } else { " (the alert could not be queued then)" }
            ),
            t,
        ),
    };
    serde_json::json!({
        "source": "regwatch storage",
        "jurisdiction": "all sources",
        "state": state,
        "failures": f.failed_writes,
        "error": error,
        "at": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}
