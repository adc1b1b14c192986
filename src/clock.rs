//! The one clock: every date the program reasons about (detection times,
//! urgency, deadlines, digest periods, "since 30d", schedules) comes from
//! here, never from `Utc::now()` directly.
//!
//! Production uses the system clock. Tests pin it: a unit test builds a
//! [`Clock::fixed`] clock (and may [`Clock::advance`] it); a test that runs
//! the real binary sets `REGWATCH_CLOCK` in its environment:
//! - `REGWATCH_CLOCK=2026-06-01T00:00:00Z`: the clock starts at that instant
//!   when the process starts and runs on in real time;
//! - `REGWATCH_CLOCK=+365d` (or `-30d`, `+12h`): the system clock shifted, so
//!   the whole suite can be run as if it were a year later.
//!
//! The variable is a testing aid; a daemon under systemd never sets it, and
//! a value that cannot be read is reported once and ignored.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::{Arc, Mutex};

/// Where "now" comes from. Cheap to clone; clones share a fixed clock's time.
#[derive(Clone, Debug)]
pub struct Clock(Source);

#[derive(Clone, Debug)]
enum Source {
    /// The system clock plus a fixed offset (zero in production).
    System { offset: Duration },
    /// A clock that moves only when told to (tests).
    Fixed(Arc<Mutex<DateTime<Utc>>>),
}

/// The environment variable that pins or shifts the clock of a process.
pub const CLOCK_ENV: &str = "REGWATCH_CLOCK";

impl Clock {
    /// The system clock, unshifted.
    pub fn system() -> Clock {
        Clock(Source::System {
            offset: Duration::zero(),
        })
    }

    /// The system clock as `REGWATCH_CLOCK` sets it (see the module's
    /// documentation); the plain system clock when it is not set.
    pub fn from_env() -> Clock {
        match std::env::var(CLOCK_ENV) {
            Ok(v) if !v.trim().is_empty() => match Clock::parse(&v) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(value = %v, "{CLOCK_ENV} ignored: {e}");
                    Clock::system()
                }
            },
            _ => Clock::system(),
        }
    }

    /// `+365d`, `-12h`, `+90m` (a shift of the system clock) or an RFC 3339
    /// instant (where the clock starts now).
    pub fn parse(v: &str) -> Result<Clock, String> {
        let v = v.trim();
        if let Some(rest) = v.strip_prefix('+').or_else(|| v.strip_prefix('-')) {
            let sign = if v.starts_with('-') { -1 } else { 1 };
            let (n, unit) = rest.split_at(rest.len().saturating_sub(1));
            let n: i64 = n
                .parse()
                .map_err(|_| format!("`{v}` is not a shift such as +365d, -12h or +30m"))?;
            let offset = match unit {
                "d" => Duration::try_days(n),
                "h" => Duration::try_hours(n),
                "m" => Duration::try_minutes(n),
                "s" => Duration::try_seconds(n),
                _ => None,
            }
            .ok_or_else(|| format!("`{v}`: the unit is d, h, m or s"))?;
            return Ok(Clock(Source::System {
                offset: offset * sign,
            }));
        }
        let at = DateTime::parse_from_rfc3339(v)
            .map_err(|e| format!("`{v}` is neither a shift (+365d) nor an RFC 3339 instant: {e}"))?
            .with_timezone(&Utc);
        Ok(Clock(Source::System {
            offset: at - Utc::now(),
        }))
    }

    /// A clock standing still at `at` until [`Clock::advance`] or [`Clock::set`].
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Source::Fixed(Arc::new(Mutex::new(at))))
    }

    /// A fixed clock at midnight UTC of `y-m-d` (tests).
    pub fn at_date(y: i32, m: u32, d: u32) -> Clock {
        let at = NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or_default();
        Clock::fixed(at)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Source::System { offset } => Utc::now() + *offset,
            Source::Fixed(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Today's date in UTC.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Move a fixed clock forward (a system clock is not moved: time passes).
    pub fn advance(&self, by: Duration) {
        if let Source::Fixed(t) = &self.0 {
            let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
            *t += by;
        }
    }

    /// Set a fixed clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Source::Fixed(t) = &self.0 {
            *t.lock().unwrap_or_else(|p| p.into_inner()) = at;
        }
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::from_env()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let c = Clock::at_date(2026, 6, 1);
        let other = c.clone();
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        other.advance(Duration::days(2));
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 6, 3).unwrap());
    }

    #[test]
    fn shifts_and_origins() {
        let c = Clock::parse("+365d").unwrap();
        let d = c.now() - Utc::now();
        assert!((d - Duration::days(365)).num_seconds().abs() < 5, "{d}");
        let c = Clock::parse("-12h").unwrap();
        assert!(
            (Utc::now() - c.now() - Duration::hours(12))
                .num_seconds()
                .abs()
                < 5
        );
        let c = Clock::parse("2030-01-02T03:04:05Z").unwrap();
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2030, 1, 2).unwrap());
        assert!(Clock::parse("+3y").is_err());
        assert!(Clock::parse("tomorrow").is_err());
    }
}
