//! A project's working day: from local midnight to the next one in the
//! project's time zone (an IANA name such as `Europe/Berlin`; `UTC` by
//! default). "Today" on the wallboard, the break allowance and calls-today of
//! the dispatch core, and the day buckets of reports all follow it. A day is
//! 23 or 25 hours long where daylight-saving time starts or ends.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Why a time-zone name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a time zone of the IANA database (such as Europe/Berlin or UTC)")]
pub struct UnknownZone(pub String);

/// A time zone, by its IANA name.
#[derive(Clone, Debug, PartialEq)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// The zone named `name`, looked up in the time-zone database.
    pub fn named(name: &str) -> Result<Zone, UnknownZone> {
        let tz = TimeZone::get(name).map_err(|_| UnknownZone(name.to_owned()))?;
        Ok(Zone {
            name: name.to_owned(),
            tz,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The day `at` (milliseconds since the Unix epoch) falls in.
    pub fn day_at(&self, at: i64) -> Day {
        let instant =
            Timestamp::from_millisecond(at.clamp(MIN_MS, MAX_MS)).unwrap_or(Timestamp::UNIX_EPOCH);
        let local = instant.to_zoned(self.tz.clone());
        let date = local.date();
        let start = local
            .start_of_day()
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(at);
        let end = date
            .tomorrow()
            .ok()
            .and_then(|d| d.to_zoned(self.tz.clone()).ok())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(start + DAY_MS);
        Day {
            date: date.to_string(),
            start,
            end,
        }
    }

    /// The day named `date` (`YYYY-MM-DD`) in this zone; `None` when `date`
    /// is not a date.
    pub fn day_of(&self, date: &str) -> Option<Day> {
        let date: jiff::civil::Date = date.parse().ok()?;
        let start = date.to_zoned(self.tz.clone()).ok()?;
        Some(self.day_at(start.timestamp().as_millisecond()))
    }
}

/// One local day: `[start, end)` in milliseconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    /// The local date, `YYYY-MM-DD`.
    pub date: String,
    pub start: i64,
    pub end: i64,
}

impl Day {
    pub fn contains(&self, at: i64) -> bool {
        (self.start..self.end).contains(&at)
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;
// Timestamps jiff represents (years -9999 to 9999), kept well inside.
const MIN_MS: i64 = -300_000_000_000_000;
const MAX_MS: i64 = 250_000_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn a_day_runs_from_local_midnight_to_the_next() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        // 23:30 UTC on 10 June is 01:30 on 11 June in Berlin (UTC+2).
        let day = berlin.day_at(ms("2026-06-10T23:30:00Z"));
        assert_eq!(day.date, "2026-06-11");
        assert_eq!(day.start, ms("2026-06-10T22:00:00Z"));
        assert_eq!(day.end, ms("2026-06-11T22:00:00Z"));
        assert!(day.contains(ms("2026-06-10T22:00:00Z")));
        assert!(!day.contains(ms("2026-06-11T22:00:00Z")));
        let utc = Zone::utc().day_at(ms("2026-06-10T23:30:00Z"));
        assert_eq!(utc.date, "2026-06-10");
        assert_eq!(utc.end - utc.start, DAY_MS);
    }

    #[test]
    fn the_days_clocks_change_are_23_and_25_hours_long() {
        let ny = Zone::named("America/New_York").unwrap();
        let spring = ny.day_of("2026-03-08").unwrap();
        assert_eq!(spring.end - spring.start, 23 * 3600 * 1000);
        let autumn = ny.day_of("2026-11-01").unwrap();
        assert_eq!(autumn.end - autumn.start, 25 * 3600 * 1000);
        assert_eq!(ny.day_at(autumn.end).date, "2026-11-02");
    }

    #[test]
    fn unknown_zones_and_dates_are_refused() {
        assert_eq!(
            Zone::named("Mars/Olympus"),
            Err(UnknownZone("Mars/Olympus".into()))
        );
        assert!(Zone::utc().day_of("2026-02-30").is_none());
        assert!(Zone::utc().day_of("yesterday").is_none());
        // Far-off instants do not panic.
        assert!(!Zone::utc().day_at(i64::MAX).date.is_empty());
        assert!(!Zone::utc().day_at(i64::MIN).date.is_empty());
    }
}
