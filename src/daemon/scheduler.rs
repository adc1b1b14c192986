//! The scheduler of `regwatch run`: one step asks the store which sources
//! are due (`next_poll_at`, written by every recorded poll from the source's
//! schedule plus jitter; never-polled sources are due now) and leases at
//! most as many as there are free workers. There is no per-source timer: the
//! store is the schedule, so a restart, a `regwatch poll` from the shell or a
//! second instance all see the same plan.
//!
//! Several instances may share one PostgreSQL database: a due source is only
//! polled after the store leased it to this instance
//! ([`Store::claim_due_sources`]), for twice the longest a poll may take. A
//! poll that outlives its budget is abandoned before the lease ends, so two
//! instances never poll one source at once; an instance that dies leaves
//! leases that expire, and the others take its sources over.

use crate::app::Sources;
use crate::config::{Config, Source};
pub use crate::poll::reconcile;
use crate::store::Store;
use crate::util::instance_id;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// A poll that could not be recorded (database trouble) is retried after this.
pub(crate) const RECORD_RETRY: i64 = 60;
/// Due sources leased to another instance are looked at again after this.
const CONTENDED_WAIT: i64 = 1;
/// Due rows read beyond the free workers, for sources skipped by a step.
const DUE_SLACK: usize = 16;
/// A pool more than half full waits for half its workers to be free (at
/// least one) before it asks the store again, or for [`GATHER_MS`] after its
/// last look: each finished poll used to cost a look of its own (the due
/// rows, every poll in flight among them, and a claim), about three store
/// statements per poll while catching up. (An eighth, a quarter and half
/// the pool were measured: docs/benchmarks.md, "Third measurement".)
const GATHER_SHARE: usize = 2;
/// The longest a due source waits for the pool to gather free workers.
const GATHER_MS: i64 = 50;

/// The longest one poll may take: every attempt's timeout, the backoffs
/// between attempts, and a margin for extraction and recording.
pub fn poll_budget(cfg: &Config) -> Duration {
    let f = &cfg.fetch;
    let attempts = f.retries.min(10) + 1;
    let backoff = f.retry_backoff.0 * ((1u32 << f.retries.min(10)) - 1);
    f.timeout.0 * attempts + backoff + Duration::from_secs(5)
}

/// How long a claimed source stays leased: twice the poll budget.
pub fn source_lease(cfg: &Config) -> chrono::Duration {
    chrono::Duration::from_std(poll_budget(cfg) * 2).unwrap_or(chrono::Duration::minutes(10))
}

/// What one scheduler step decided.
#[derive(Debug)]
pub enum StepOutcome {
    /// These sources are due and were marked in flight: start a poll for each.
    Dispatch(Vec<Source>),
    /// Every worker is busy; due sources wait for a free one.
    Full,
    /// Nothing to start; the earliest known due time, if any.
    Idle { next_due: Option<DateTime<Utc>> },
}

/// The scheduler's memory between steps: which polls run, and which sources
/// wait after a poll that could not be recorded.
#[derive(Debug)]
pub struct Scheduler {
    pub concurrency: usize,
    /// The lease owner: this instance.
    pub owner: String,
    /// How long a claimed source is leased to this instance.
    pub lease: chrono::Duration,
    in_flight: HashSet<String>,
    retry_at: HashMap<String, DateTime<Utc>>,
    /// Refused records in a row, per source (the retry pause grows with them).
    record_failures: HashMap<String, u32>,
    /// When this scheduler last asked the store for due sources.
    last_look: Option<DateTime<Utc>>,
}

impl Scheduler {
    pub fn new(concurrency: usize) -> Scheduler {
        Scheduler {
            concurrency: concurrency.max(1),
            owner: instance_id(),
            lease: chrono::Duration::minutes(10),
            in_flight: HashSet::new(),
            retry_at: HashMap::new(),
            record_failures: HashMap::new(),
            last_look: None,
        }
    }

    /// Lease sources as `owner` for `lease`.
    pub fn leasing(mut self, owner: impl Into<String>, lease: chrono::Duration) -> Scheduler {
        self.owner = owner.into();
        self.lease = lease;
        self
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Which enabled sources are due at `now` and may start, given free
    /// workers. The store is asked only for due sources (an indexed plan,
    /// with a limit), so a dispatch costs the same with 100 or 10,000
    /// sources.
    pub async fn step(
        &mut self,
        store: &Store,
        sources: &Sources,
        now: DateTime<Utc>,
    ) -> anyhow::Result<StepOutcome> {
        self.retry_at.retain(|_, t| *t > now);
        let free = self.concurrency.saturating_sub(self.in_flight.len());
        if free == 0 {
            return Ok(StepOutcome::Full);
        }
        // Nearly full: gather a few free workers (or a short while) so that
        // one look at the store starts several polls.
        if free < (self.concurrency / GATHER_SHARE).max(1) {
            if let Some(until) = self
                .last_look
                .map(|t| t + chrono::Duration::milliseconds(GATHER_MS))
            {
                if now < until {
                    return Ok(StepOutcome::Idle {
                        next_due: Some(until),
                    });
                }
            }
        }
        self.last_look = Some(now);
        // Room for the rows this step skips: its own polls in flight (their
        // leases are its own) and those waiting to be retried.
        let want = (free + self.in_flight.len() + self.retry_at.len() + DUE_SLACK) as i64;
        let mut due: Vec<String> = vec![];
        for (id, _) in store.due_sources(&self.owner, now, want).await? {
            if self.in_flight.contains(&id) || self.retry_at.contains_key(&id) {
                continue;
            }
            // Ids that are not enabled sources were parked by `reconcile`;
            // one that slipped through (removed meanwhile) is just skipped.
            if sources.get(&id).is_some_and(|s| s.def.enabled) {
                due.push(id);
            }
        }
        if due.is_empty() {
            let mut next = store.next_plan_after(now).await?;
            if let Some(r) = self.retry_at.values().min() {
                next = Some(next.map_or(*r, |n| n.min(*r)));
            }
            return Ok(StepOutcome::Idle { next_due: next });
        }
        // Longest-waiting first (the store's order); the store leases to this
        // instance only those still due and not leased to another one.
        let claimed = store
            .claim_due_sources(&self.owner, &due, now, self.lease, free as i64)
            .await?;
        if claimed.is_empty() {
            // Polled or being polled by another instance: look again soon.
            return Ok(StepOutcome::Idle {
                next_due: Some(now + chrono::Duration::seconds(CONTENDED_WAIT)),
            });
        }
        let chosen: Vec<Source> = claimed
            .iter()
            .filter_map(|id| sources.get(id).cloned())
            .collect();
        for s in &chosen {
            self.in_flight.insert(s.id().to_string());
        }
        Ok(StepOutcome::Dispatch(chosen))
    }

    /// A poll ended. `recorded` is false when the store could not record it:
    /// the source is then retried after a pause instead of at once, 2 s
    /// after the first such failure, doubling up to [`RECORD_RETRY`], so a
    /// store that comes back (space freed) is noticed within seconds.
    pub fn finished(&mut self, source_id: &str, recorded: bool, now: DateTime<Utc>) {
        self.in_flight.remove(source_id);
        if recorded {
            self.record_failures.remove(source_id);
            return;
        }
        let n = self
            .record_failures
            .entry(source_id.to_string())
            .or_insert(0);
        *n += 1;
        let wait = (2i64 << (*n - 1).min(6)).min(RECORD_RETRY);
        self.retry_at
            .insert(source_id.to_string(), now + chrono::Duration::seconds(wait));
    }

    /// The store writes again: every source held back by a refused record
    /// is polled at once, so its next poll records what the refused ones saw.
    pub fn storage_recovered(&mut self) {
        self.retry_at.clear();
        self.record_failures.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::clock::Clock;
    use std::path::Path;

    async fn app_with(sources_toml: &str) -> App {
        let cfg = Config::from_str(Path::new("t.toml"), "[schedule]\njitter = \"0s\"\n").unwrap();
        let sources =
            crate::config::parse_sources(Path::new("s.toml"), sources_toml, &cfg.schedule).unwrap();
        let store = Store::open("sqlite::memory:").await.unwrap();
        let ids: Vec<String> = sources.iter().map(|s| s.id().to_string()).collect();
        let app = App::with_sources(cfg, sources, store, crate::classify::Tagger::builtin())
            .unwrap()
            .with_clock(Clock::at_date(2026, 6, 1));
        app.store.sync_planned_sources(&ids).await.unwrap();
        app
    }

    /// `n` feed sources `s0`… of TR, polled once a year.
    fn numbered_sources(n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "[[source]]\nid = \"s{i}\"\nname = \"S{i}\"\njurisdiction = \"TR\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/{i}\"\nschedule = \"0 0 1 1 *\"\n"
                )
            })
            .collect()
    }

    const TWO: &str = r#"
[[source]]
id = "a"
name = "A"
jurisdiction = "TR"
kind = "feed"
url = "http://127.0.0.1:9/a"
schedule = "0 0 1 1 *"

[[source]]
id = "b"
name = "B"
jurisdiction = "VN"
kind = "feed"
url = "http://127.0.0.1:9/b"
schedule = "0 0 1 1 *"
enabled = true
"#;

    #[tokio::test]
    async fn never_polled_sources_are_due_and_the_pool_is_bounded() {
        let app = app_with(TWO).await;
        let now = app.now();
        let mut s = Scheduler::new(1);
        match s.step(&app.store, &app.sources, now).await.unwrap() {
            StepOutcome::Dispatch(v) => assert_eq!(v.len(), 1),
            o => panic!("{o:?}"),
        }
        assert!(matches!(
            s.step(&app.store, &app.sources, now).await.unwrap(),
            StepOutcome::Full
        ));
        // A finished poll that recorded its plan (next year) leaves only the other one due.
        app.store
            .set_next_poll("a", now + chrono::Duration::days(300))
            .await
            .unwrap();
        s.finished("a", true, now);
        match s.step(&app.store, &app.sources, now).await.unwrap() {
            StepOutcome::Dispatch(v) => assert_eq!(v[0].id(), "b"),
            o => panic!("{o:?}"),
        }
        app.store
            .set_next_poll("b", now + chrono::Duration::days(200))
            .await
            .unwrap();
        s.finished("b", true, now);
        match s.step(&app.store, &app.sources, now).await.unwrap() {
            StepOutcome::Idle { next_due } => assert_eq!(
                next_due,
                Some(
                    crate::store::parse_ts(&crate::store::ts(now + chrono::Duration::days(200)))
                        .unwrap()
                )
            ),
            o => panic!("{o:?}"),
        }
    }

    #[tokio::test]
    async fn a_dispatch_reads_only_the_due_sources() {
        let many = numbered_sources(3000);
        let app = app_with(&many).await;
        let now = app.now();
        // Every source polled and planned for next year, but three.
        let ids: Vec<&str> = app.sources.all().iter().map(|s| s.id()).collect();
        app.store
            .plan_every_source(now + chrono::Duration::days(300))
            .await
            .unwrap();
        for id in ["s7", "s1500", "s2999"] {
            app.store
                .set_next_poll(id, now - chrono::Duration::seconds(5))
                .await
                .unwrap();
        }
        assert_eq!(ids.len(), 3000);
        let mut s = Scheduler::new(16);
        let before = app.store.scheduler_rows_read();
        match s.step(&app.store, &app.sources, now).await.unwrap() {
            StepOutcome::Dispatch(v) => {
                let mut got: Vec<&str> = v.iter().map(|s| s.id()).collect();
                got.sort();
                assert_eq!(got, vec!["s1500", "s2999", "s7"]);
            }
            o => panic!("{o:?}"),
        }
        let read = app.store.scheduler_rows_read() - before;
        assert_eq!(read, 3, "a dispatch read {read} rows of 3000");
    }

    #[tokio::test]
    async fn a_nearly_full_pool_gathers_free_workers_before_it_looks_again() {
        let many = numbered_sources(60);
        let app = app_with(&many).await;
        let now = app.now();
        // Sixteen workers: a look starts polls once enough are free, or
        // 50 ms after the last look.
        let mut s = Scheduler::new(16);
        let gather = 16 / GATHER_SHARE;
        assert!(gather > 1);
        let first = match s.step(&app.store, &app.sources, now).await.unwrap() {
            StepOutcome::Dispatch(v) => v,
            o => panic!("{o:?}"),
        };
        assert_eq!(first.len(), 16);
        let planned = now + chrono::Duration::days(300);
        app.store
            .set_next_poll(first[0].id(), planned)
            .await
            .unwrap();
        s.finished(first[0].id(), true, now);
        let before = app.store.scheduler_rows_read();
        match s.step(&app.store, &app.sources, now).await.unwrap() {
            StepOutcome::Idle { next_due } => {
                assert_eq!(next_due, Some(now + chrono::Duration::milliseconds(50)))
            }
            o => panic!("one free worker of 16 should wait: {o:?}"),
        }
        assert_eq!(
            app.store.scheduler_rows_read(),
            before,
            "the store was asked"
        );
        // The short while passed: the one free worker starts a poll.
        let later = now + chrono::Duration::milliseconds(50);
        match s.step(&app.store, &app.sources, later).await.unwrap() {
            StepOutcome::Dispatch(v) => assert_eq!(v.len(), 1),
            o => panic!("{o:?}"),
        }
        // Enough free at once: started without waiting.
        for p in &first[1..=gather] {
            app.store.set_next_poll(p.id(), planned).await.unwrap();
            s.finished(p.id(), true, later);
        }
        match s.step(&app.store, &app.sources, later).await.unwrap() {
            StepOutcome::Dispatch(v) => assert_eq!(v.len(), gather),
            o => panic!("{o:?}"),
        }
    }

    #[tokio::test]
    async fn an_unrecorded_poll_waits_before_it_is_retried() {
        let app = app_with(TWO).await;
        let now = app.now();
        let mut s = Scheduler::new(4);
        assert!(
            matches!(s.step(&app.store, &app.sources, now).await.unwrap(), StepOutcome::Dispatch(v) if v.len() == 2)
        );
        s.finished("a", false, now);
        s.finished("b", false, now);
        assert!(matches!(
            s.step(&app.store, &app.sources, now).await.unwrap(),
            StepOutcome::Idle { next_due: Some(_) }
        ));
        let later = now + chrono::Duration::seconds(RECORD_RETRY + 1);
        assert!(
            matches!(s.step(&app.store, &app.sources, later).await.unwrap(), StepOutcome::Dispatch(v) if v.len() == 2)
        );
    }

    #[tokio::test]
    async fn the_pause_after_refused_records_grows_and_ends_when_the_store_recovers() {
        let app = app_with(TWO).await;
        let now = app.now();
        let mut s = Scheduler::new(4);
        let secs = chrono::Duration::seconds;
        assert!(matches!(
            s.step(&app.store, &app.sources, now).await.unwrap(),
            StepOutcome::Dispatch(v) if v.len() == 2
        ));
        // 2 s, then 4 s, 8 s, … up to RECORD_RETRY.
        for (i, wait) in [2, 4, 8, 16].into_iter().enumerate() {
            let t = now + secs(100 * i as i64);
            s.finished("a", false, t);
            s.finished("b", true, t);
            let early = s
                .step(&app.store, &app.sources, t + secs(wait - 1))
                .await
                .unwrap();
            assert!(
                matches!(&early, StepOutcome::Dispatch(v) if v.iter().all(|x| x.id() != "a")),
                "{early:?}"
            );
            s.finished("b", true, t);
            assert!(matches!(
                s.step(&app.store, &app.sources, t + secs(wait)).await.unwrap(),
                StepOutcome::Dispatch(v) if v.iter().any(|x| x.id() == "a")
            ));
        }
        s.finished("a", false, now + secs(1000));
        s.storage_recovered();
        assert!(matches!(
            s.step(&app.store, &app.sources, now + secs(1000)).await.unwrap(),
            StepOutcome::Dispatch(v) if v.iter().any(|x| x.id() == "a")
        ));
    }

    #[tokio::test]
    async fn a_plan_later_than_the_schedule_is_pulled_in() {
        let every_minute = TWO.replace("0 0 1 1 *", "* * * * *");
        let app = app_with(&every_minute).await;
        let now = app.now();
        app.store
            .set_next_poll("a", now + chrono::Duration::days(300))
            .await
            .unwrap();
        app.store
            .set_next_poll("b", now - chrono::Duration::seconds(10))
            .await
            .unwrap();
        assert_eq!(reconcile(&app, now).await.unwrap(), 1);
        let a = app.store.state("a").await.unwrap().next_poll_at.unwrap();
        assert!(a <= now + chrono::Duration::seconds(61));
    }
}
