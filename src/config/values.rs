//! Values written the same way in every section: durations (`30s`, `5m`,
//! `1h`, `250ms` or a number of seconds), bounded so that clock arithmetic
//! cannot overflow.

use serde::Deserialize;
use std::time::Duration;

/// A duration written as `30s`, `5m`, `1h`, `250ms` or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) if n <= MAX_DURATION.as_secs() => Ok(HumanDuration(Duration::from_secs(n))),
            Raw::N(n) => Err(serde::de::Error::custom(format!(
                "{n} seconds is longer than the longest duration, {MAX_DURATION_TEXT}"
            ))),
            Raw::S(s) => parse_duration(&s)
                .map(HumanDuration)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// The longest duration a config may give: longer ones would overflow the
/// clock arithmetic they feed (deadlines, sleeps, leases).
pub const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);
const MAX_DURATION_TEXT: &str = "3650d (ten years)";

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration: write e.g. `30s`, `5m`, `1h` or `250ms`"))?;
    let d = match unit.trim() {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => Some(Duration::from_secs(n)),
        "m" | "min" => n.checked_mul(60).map(Duration::from_secs),
        "h" => n.checked_mul(3600).map(Duration::from_secs),
        "d" => n.checked_mul(86_400).map(Duration::from_secs),
        _ => {
            return Err(format!(
                "`{s}` is not a duration: write e.g. `30s`, `5m`, `1h` or `250ms`"
            ))
        }
    };
    d.filter(|d| *d <= MAX_DURATION)
        .ok_or_else(|| format!("`{s}` is longer than the longest duration, {MAX_DURATION_TEXT}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3650d").unwrap(), MAX_DURATION);
        for absurd in [
            "3651d",
            "99999999999999999d",
            "18446744073709551615h",
            "999999999999m",
        ] {
            let e = parse_duration(absurd).unwrap_err();
            assert!(e.contains("longest duration, 3650d"), "{absurd}: {e}");
        }
        assert!(parse_duration("soon").is_err());
    }
}
