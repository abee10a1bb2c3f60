//! Time conditions: whether a project is open at a moment, from a weekly
//! schedule (open intervals per weekday, in minutes of the local day) and
//! holidays (dates closed all day), read in the project's time zone.
//!
//! Evaluation is a pure function of the schedule and the moment, so daylight
//! saving changes, midnight and holidays are tested without a clock. Wall
//! time is what counts: an interval 09:00-17:00 opens at nine o'clock local
//! time whatever the offset that day. An interval may end at 24:00 (1440);
//! one that runs past midnight is two intervals, one on each day.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Minutes of the local day, 0..=1440.
pub type Minute = u16;

/// A weekly schedule with holidays, in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Monday first: the open intervals `[from, to)` of each weekday.
    pub weekly: [Vec<(Minute, Minute)>; 7],
    /// Dates closed all day.
    pub holidays: Vec<Date>,
    pub zone: TimeZone,
}

impl Schedule {
    /// Whether the schedule is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = at.to_zoned(self.zone.clone());
        if self.holidays.contains(&local.date()) {
            return false;
        }
        let day = weekday_index(local.weekday());
        let minute = Minute::from(local.hour().unsigned_abs()) * 60
            + Minute::from(local.minute().unsigned_abs());
        self.weekly[day]
            .iter()
            .any(|&(from, to)| from <= minute && minute < to)
    }
}

/// Monday 0 .. Sunday 6.
pub fn weekday_index(day: Weekday) -> usize {
    usize::from(day.to_monday_zero_offset().unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office(zone: &str) -> Schedule {
        let nine_to_five = vec![(9 * 60, 17 * 60)];
        Schedule {
            weekly: [
                nine_to_five.clone(),
                nine_to_five.clone(),
                nine_to_five.clone(),
                nine_to_five.clone(),
                nine_to_five,
                vec![(22 * 60, 1440)],
                vec![(0, 2 * 60)],
            ],
            holidays: vec!["2026-12-25".parse().unwrap()],
            zone: TimeZone::get(zone).unwrap(),
        }
    }

    fn open(s: &Schedule, at: &str) -> bool {
        s.is_open(at.parse().unwrap())
    }

    #[test]
    fn weekdays_holidays_and_midnight() {
        let s = office("UTC");
        let table = [
            ("2026-12-07T08:59:59Z", false, "Monday before nine"),
            ("2026-12-07T09:00:00Z", true, "Monday at nine"),
            ("2026-12-07T16:59:59Z", true, "Monday before five"),
            (
                "2026-12-07T17:00:00Z",
                false,
                "the interval's end is closed",
            ),
            ("2026-12-25T10:00:00Z", false, "a holiday on a Friday"),
            ("2026-12-24T10:00:00Z", true, "the day before"),
            ("2026-12-12T23:59:59Z", true, "Saturday night, to 24:00"),
            ("2026-12-13T00:00:00Z", true, "past midnight into Sunday"),
            ("2026-12-13T01:59:00Z", true, "Sunday before two"),
            ("2026-12-13T02:00:00Z", false, "Sunday at two"),
            ("2026-12-12T10:00:00Z", false, "Saturday daytime"),
        ];
        for (at, expected, what) in table {
            assert_eq!(open(&s, at), expected, "{what} ({at})");
        }
    }

    #[test]
    fn wall_time_counts_across_daylight_saving_changes() {
        let s = office("Europe/Berlin");
        // Berlin is UTC+1 in winter, UTC+2 from 2026-03-29 02:00 local.
        let table = [
            ("2026-03-27T07:59:59Z", false, "Friday 08:59 CET"),
            ("2026-03-27T08:00:00Z", true, "Friday 09:00 CET"),
            ("2026-03-30T07:00:00Z", true, "Monday 09:00 CEST"),
            ("2026-03-30T06:59:59Z", false, "Monday 08:59 CEST"),
            ("2026-03-30T15:00:00Z", false, "Monday 17:00 CEST"),
            // Sunday 00:00-02:00 local: the clocks jump from 02:00 to 03:00.
            ("2026-03-28T23:30:00Z", true, "Sunday 00:30 CET"),
            ("2026-03-29T00:59:59Z", true, "Sunday 01:59 CET"),
            ("2026-03-29T01:00:00Z", false, "Sunday 03:00 CEST"),
            // Back in autumn: 02:00-03:00 local happens twice on Sunday.
            ("2026-10-24T23:30:00Z", true, "Sunday 01:30 CEST"),
            ("2026-10-25T00:30:00Z", false, "Sunday 02:30 CEST"),
        ];
        for (at, expected, what) in table {
            assert_eq!(open(&s, at), expected, "{what} ({at})");
        }
    }

    #[test]
    fn a_holiday_is_the_local_date() {
        let s = office("America/New_York");
        // 2026-12-25 03:00 UTC is still the 24th, 22:00, in New York.
        assert!(!open(&s, "2026-12-25T03:00:00Z"));
        assert!(open(&s, "2026-12-24T15:00:00Z"), "Thursday 10:00 EST");
        assert!(!open(&s, "2026-12-25T15:00:00Z"), "Christmas 10:00 EST");
    }
}
