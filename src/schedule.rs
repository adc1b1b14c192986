//! Crontab schedules: the one place where crontab's meaning is translated into
//! the `cron` crate's form (seconds first, Sunday = 1).

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::str::FromStr;

#[derive(Debug, Clone)]
pub struct Schedule {
    expr: String,
    /// Shared by the sources with the same line (a parsed schedule holds a
    /// set per field: a few kilobytes, times 10,000 sources).
    inner: std::sync::Arc<cron::Schedule>,
    tz: Tz,
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr && self.tz == other.tz
    }
}

impl Schedule {
    /// Parse a 5-field crontab line (minute hour dom month dow) or the 6-field form
    /// with seconds first, in the given IANA timezone.
    pub fn parse(expr: &str, tz: &str) -> Result<Schedule, String> {
        let tz: Tz = Tz::from_str(tz.trim()).map_err(|_| {
            format!("`{tz}` is not an IANA timezone: use a name such as `Europe/Istanbul` or `UTC`")
        })?;
        check_bounds(expr)?;
        let translated = translate(expr)?;
        // The crate's own message speaks of its 6-field form: say it in crontab's terms.
        let inner = cron::Schedule::from_str(&translated).map_err(|_| {
            format!("`{}` is not a valid crontab schedule: use 5 fields (minute hour day month weekday), e.g. `*/30 * * * *` or `0 7 * * 1-5`", expr.trim())
        })?;
        Ok(Schedule {
            expr: expr.trim().to_string(),
            inner: std::sync::Arc::new(inner),
            tz,
        })
    }

    /// Whether two schedules share one parsed copy (not only the same line).
    pub fn shares_parse_with(&self, other: &Schedule) -> bool {
        std::sync::Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub fn expr(&self) -> &str {
        &self.expr
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The first due time strictly after `after`; `None` when there is none
    /// that the calendar can hold (the cron crate's date arithmetic panics
    /// near the end of chrono's range: that is caught and is `None` too).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if after.naive_utc().date() > chrono::NaiveDate::from_ymd_opt(LAST_YEAR, 1, 1)? {
            return None;
        }
        let local = self.tz.from_utc_datetime(&after.naive_utc());
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.inner
                .after(&local)
                .next()
                .map(|t| t.with_timezone(&Utc))
        }))
        .ok()
        .flatten()
    }
}

/// The fields of a crontab line, with their names and bounds as crontab's
/// manual gives them.
const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

fn plural(name: &str) -> String {
    match name {
        "day of month" => "days of the month".into(),
        "day of week" => "days of the week".into(),
        n => format!("{n}s"),
    }
}

/// Numbers out of their field's range, said in crontab's terms ("hour `25`
/// is out of range: hours are 0-23"), for the line as the user wrote it.
fn check_bounds(expr: &str) -> Result<(), String> {
    let all: Vec<&str> = expr.split_whitespace().collect();
    let (fields, seconds): (&[&str], Option<&str>) = match all.len() {
        5 => (&all[..], None),
        6 => (&all[1..], Some(all[0])),
        _ => return Ok(()),
    };
    let mut named: Vec<(&str, u32, u32, &str)> = FIELDS
        .iter()
        .zip(fields)
        .map(|((n, lo, hi), f)| (*n, *lo, *hi, *f))
        .collect();
    if let Some(sec) = seconds {
        named.insert(0, ("second", 0, 59, sec));
    }
    for (name, lo, hi, field) in named {
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            if let Some(s) = step {
                match s.parse::<u32>() {
                    Ok(n) if n >= 1 => {}
                    _ => {
                        return Err(format!(
                            "`{}`: {name} `{field}`: the step `/{s}` must be a number from 1",
                            expr.trim()
                        ))
                    }
                }
            }
            for n in range.split('-') {
                if let Ok(v) = n.parse::<u32>() {
                    if v < lo || v > hi {
                        return Err(format!(
                            "`{}`: {name} `{v}` is out of range: {} are {lo}-{hi}{}",
                            expr.trim(),
                            plural(name),
                            if name == "day of week" {
                                " (0 and 7 are Sunday)"
                            } else {
                                ""
                            }
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}
/// No due time is computed past this year: far enough for any schedule,
/// short of the end of chrono's calendar.
const LAST_YEAR: i32 = 9000;

/// Translate crontab (5 fields) or 6-field (seconds first) into the cron crate's
/// syntax. Day-of-week numbers are crontab's: 0 or 7 = Sunday, 1 = Monday.
pub fn translate(expr: &str) -> Result<String, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let mut fields: Vec<String> = match fields.len() {
        5 => std::iter::once("0")
            .chain(fields.iter().copied())
            .map(String::from)
            .collect(),
        6 => fields.iter().map(|s| s.to_string()).collect(),
        0 => return Err("the schedule is empty: use crontab's 5 fields, e.g. `*/30 * * * *`".into()),
        n => {
            return Err(format!(
                "`{expr}` has {n} fields: use crontab's 5 (minute hour day month weekday) or 6 with seconds first"
            ))
        }
    };
    // The crate rejects `?`-less "*" combos fine; only day-of-week needs renumbering.
    fields[5] = translate_dow(&fields[5])
        .map_err(|e| format!("`{expr}`: day of week `{}`: {e}", fields[5]))?;
    Ok(fields.join(" "))
}

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn translate_dow(field: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        let range_out = if range == "*" || range == "?" {
            range.to_string()
        } else if let Some((a, b)) = range.split_once('-') {
            let a = day(a)?;
            let b = day(b)?;
            // crontab allows 7 as Sunday at the end of a range: 5-7 = Fri..Sun.
            if b == 0 && a > 0 {
                format!("{}-SAT,SUN", DAY_NAMES[a])
            } else if a > b {
                return Err("a range must go from the earlier to the later day".into());
            } else {
                format!("{}-{}", DAY_NAMES[a], DAY_NAMES[b])
            }
        } else {
            DAY_NAMES[day(range)?].to_string()
        };
        match step {
            Some(s) => {
                if range_out.contains(',') {
                    return Err("a step over a range ending on Sunday (7) is not supported".into());
                }
                out.push(format!("{range_out}/{s}"))
            }
            None => out.push(range_out),
        }
    }
    Ok(out.join(","))
}

/// A crontab day: 0-7 (0 and 7 are Sunday) or a three-letter name.
fn day(s: &str) -> Result<usize, String> {
    if let Ok(n) = s.parse::<usize>() {
        return match n {
            0..=6 => Ok(n),
            7 => Ok(0),
            _ => Err(format!(
                "`{s}` is not a day: use 0-7 (0 and 7 are Sunday) or MON..SUN"
            )),
        };
    }
    let up = s.to_ascii_uppercase();
    DAY_NAMES
        .iter()
        .position(|d| up.starts_with(d) && up.len() >= 3)
        .ok_or_else(|| format!("`{s}` is not a day: use 0-7 (0 and 7 are Sunday) or MON..SUN"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_fields_are_told_in_crontabs_terms() {
        let e = Schedule::parse("0 25 * * *", "UTC").unwrap_err();
        assert_eq!(e, "`0 25 * * *`: hour `25` is out of range: hours are 0-23");
        let e = Schedule::parse("60 * * * *", "UTC").unwrap_err();
        assert!(e.contains("minute `60`") && e.contains("0-59"), "{e}");
        let e = Schedule::parse("0 7 * * 8", "UTC").unwrap_err();
        assert!(e.contains("0-7 (0 and 7 are Sunday)"), "{e}");
        let e = Schedule::parse("0 7 32 * *", "UTC").unwrap_err();
        assert!(e.contains("day of month `32`") && e.contains("1-31"), "{e}");
        let e = Schedule::parse("*/0 * * * *", "UTC").unwrap_err();
        assert!(e.contains("step"), "{e}");
        // Never the internal 6-field form.
        let e = Schedule::parse("0 7 * JANX *", "UTC").unwrap_err();
        assert!(e.starts_with("`0 7 * JANX *`"), "{e}");
        assert!(!e.contains("0 0 7"), "{e}");
        assert!(Schedule::parse("0 7 * * 1-5", "Europe/Istanbul").is_ok());
    }
    use chrono::{Datelike, Timelike, Weekday};

    /// Found by the property test: the cron crate panics ("DateTime +
    /// TimeDelta overflowed") when asked for a time after the calendar's end.
    #[test]
    fn no_due_time_past_the_calendar_is_none_not_a_panic() {
        let s = Schedule::parse("*/30 * * * *", "Europe/Istanbul").unwrap();
        assert_eq!(s.next_after(DateTime::<Utc>::MAX_UTC), None);
        let late = chrono::NaiveDate::from_ymd_opt(LAST_YEAR + 1, 6, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        assert_eq!(s.next_after(late), None);
        let t0 = std::time::Instant::now();
        let never = Schedule::parse("0 0 31 2 *", "UTC").unwrap();
        assert_eq!(
            never.next_after(crate::clock::Clock::at_date(2026, 6, 1).now()),
            None,
            "February has no 31st"
        );
        assert!(t0.elapsed() < std::time::Duration::from_secs(5));
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekdays_mean_monday_to_friday() {
        let s = Schedule::parse("0 7 * * 1-5", "UTC").unwrap();
        // 2026-11-27 is a Friday; the next weekday 07:00 after Friday 08:00 is Monday.
        let next = s.next_after(at("2026-11-27T08:00:00Z")).unwrap();
        assert_eq!(next.weekday(), Weekday::Mon);
        assert_eq!(next.hour(), 7);
        let mut t = at("2026-11-22T00:00:00Z");
        let mut days = vec![];
        for _ in 0..5 {
            t = s.next_after(t).unwrap();
            days.push(t.weekday());
        }
        assert_eq!(
            days,
            vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri
            ]
        );
    }

    #[test]
    fn zero_and_seven_are_sunday() {
        for e in ["0 12 * * 0", "0 12 * * 7", "0 12 * * sun"] {
            let s = Schedule::parse(e, "UTC").unwrap();
            let next = s.next_after(at("2026-11-25T00:00:00Z")).unwrap();
            assert_eq!(next.weekday(), Weekday::Sun, "{e}");
        }
        let s = Schedule::parse("0 12 * * 5-7", "UTC").unwrap();
        let mut t = at("2026-11-23T00:00:00Z");
        let mut days = vec![];
        for _ in 0..3 {
            t = s.next_after(t).unwrap();
            days.push(t.weekday());
        }
        assert_eq!(days, vec![Weekday::Fri, Weekday::Sat, Weekday::Sun]);
    }

    #[test]
    fn six_fields_have_seconds_first() {
        let s = Schedule::parse("*/5 * * * * *", "UTC").unwrap();
        let next = s.next_after(at("2026-11-25T00:00:01Z")).unwrap();
        assert_eq!(next, at("2026-11-25T00:00:05Z"));
    }

    #[test]
    fn timezone_is_honoured() {
        // 00:15 in Istanbul (UTC+3) is 21:15 UTC the day before.
        let s = Schedule::parse("15 0 * * *", "Europe/Istanbul").unwrap();
        let next = s.next_after(at("2026-11-25T12:00:00Z")).unwrap();
        assert_eq!(next, at("2026-11-25T21:15:00Z"));
    }

    #[test]
    fn every_thirty_minutes() {
        let s = Schedule::parse("*/30 * * * *", "UTC").unwrap();
        assert_eq!(
            s.next_after(at("2026-11-25T10:01:00Z")).unwrap(),
            at("2026-11-25T10:30:00Z")
        );
    }

    #[test]
    fn errors_say_what_to_do() {
        assert!(Schedule::parse("* * *", "UTC").unwrap_err().contains("5"));
        assert!(Schedule::parse("0 7 * * 8", "UTC")
            .unwrap_err()
            .contains("0-7"));
        assert!(Schedule::parse("61 * * * *", "UTC").is_err());
        assert!(Schedule::parse("0 7 * * *", "Mars/Olympus")
            .unwrap_err()
            .contains("IANA"));
    }
}
