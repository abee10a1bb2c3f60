//! The reports' query parameters: parsed, checked, and refused with a 422
//! naming each failing parameter.
//!
//! Moments (`from`, `to`) are a date `YYYY-MM-DD` (a local day of the
//! report's time zone: `from` its start, `to` its end, so `from=to=` one
//! date is that day), an RFC 3339 time (`2026-12-06T09:00:00Z`) or
//! milliseconds since the Unix epoch. Lists (`queue`, `agent`,
//! `disposition`, `classification`, `result_code`, `tag`) repeat the
//! parameter or separate values by commas. Lengths (`min_wait`,
//! `max_wait`, `min_talk`, `max_talk`) are seconds.

use crate::cdr::day::Zone;
use crate::cdr::{Classification, Disposition};
use crate::store::admin::FieldError;
use crate::store::reports::CdrFilter;

/// The longest range a report covers.
pub const MAX_DAYS: i64 = 366;

/// The parameters every report reads, before the time zone is known.
pub type Pairs = Vec<(String, String)>;

/// Collects the failing fields while parsing.
#[derive(Default)]
pub struct Checker {
    pub errors: Vec<FieldError>,
}

impl Checker {
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }
}

/// Every value of `name`, comma-separated values split.
pub fn values<'a>(pairs: &'a Pairs, name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The one value of `name`, if given (the last one wins).
pub fn value<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The ids given as `name`.
pub fn ids(pairs: &Pairs, name: &str, check: &mut Checker) -> Vec<i64> {
    let mut out = Vec::new();
    for v in values(pairs, name) {
        match v.parse::<i64>() {
            Ok(id) if id > 0 => out.push(id),
            _ => check.fail(name, format!("{v:?} is not an id")),
        }
    }
    out
}

/// A moment: a local date (its start, or its end when `end`), an RFC 3339
/// time, or milliseconds since the epoch.
fn moment(text: &str, zone: &Zone, end: bool) -> Option<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    if text.len() == "YYYY-MM-DD".len() {
        let day = zone.day_of(text)?;
        return Some(if end { day.end } else { day.start });
    }
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// The range `[from, to)`: today in `zone` when neither is given; a missing
/// end is the end of the day the start falls in.
pub fn range(pairs: &Pairs, zone: &Zone, now: i64, check: &mut Checker) -> (i64, i64) {
    let today = zone.day_at(now);
    let mut parse = |name: &str, end: bool| -> Option<i64> {
        let text = value(pairs, name)?;
        let m = moment(text, zone, end);
        if m.is_none() {
            check.fail(
                name,
                "a date (YYYY-MM-DD), an RFC 3339 time or milliseconds since the epoch",
            );
        }
        m
    };
    let from = parse("from", false);
    let to = parse("to", true);
    let from = from.unwrap_or(today.start);
    let to = to.unwrap_or_else(|| zone.day_at(from).end);
    if to <= from {
        check.fail("to", "must be after from");
    } else if to - from > MAX_DAYS * 86_400_000 {
        check.fail("to", format!("a report covers at most {MAX_DAYS} days"));
    }
    (from, to)
}

/// Seconds (decimals allowed) as milliseconds.
fn seconds(pairs: &Pairs, name: &str, check: &mut Checker) -> Option<i64> {
    let text = value(pairs, name)?;
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=1e9).contains(&s) => Some((s * 1000.0).round() as i64),
        _ => {
            check.fail(name, "a number of seconds, 0 or more");
            None
        }
    }
}

/// The names in `name` that `known` accepts.
fn names(
    pairs: &Pairs,
    name: &str,
    known: impl Fn(&str) -> bool,
    list: &str,
    check: &mut Checker,
) -> Vec<String> {
    let mut out = Vec::new();
    for v in values(pairs, name) {
        if known(v) {
            out.push(v.to_owned());
        } else {
            check.fail(name, format!("{v:?} is none of: {list}"));
        }
    }
    out
}

/// The parameters the Call Detail Report's filter takes.
pub const CDR_PARAMETERS: &[&str] = &[
    "from",
    "to",
    "queue",
    "agent",
    "disposition",
    "classification",
    "result_code",
    "tag",
    "caller",
    "min_wait",
    "max_wait",
    "min_talk",
    "max_talk",
];

/// The Call Detail Report's filter from the parameters.
pub fn cdr_filter(pairs: &Pairs, zone: &Zone, now: i64, check: &mut Checker) -> CdrFilter {
    let (from, to) = range(pairs, zone, now, check);
    let caller = value(pairs, "caller").map(str::to_owned);
    if caller.as_ref().is_some_and(|c| c.len() > 64) {
        check.fail("caller", "at most 64 characters");
    }
    let filter = CdrFilter {
        from,
        to,
        queues: ids(pairs, "queue", check),
        agents: ids(pairs, "agent", check),
        dispositions: names(
            pairs,
            "disposition",
            |v| Disposition::parse(v).is_some(),
            "answered, abandoned, abandoned by queue exit, redirected by queue timeout, \
             failed, interrupted",
            check,
        ),
        classifications: names(
            pairs,
            "classification",
            |v| Classification::parse(v).is_some(),
            "answered within service level, answered outside service level, abandoned, \
             short abandon, redirected, not counted",
            check,
        ),
        result_codes: ids(pairs, "result_code", check),
        tags: ids(pairs, "tag", check),
        caller,
        min_wait_ms: seconds(pairs, "min_wait", check),
        max_wait_ms: seconds(pairs, "max_wait", check),
        min_talk_ms: seconds(pairs, "min_talk", check),
        max_talk_ms: seconds(pairs, "max_talk", check),
    };
    for (min, max, field) in [
        (filter.min_wait_ms, filter.max_wait_ms, "max_wait"),
        (filter.min_talk_ms, filter.max_talk_ms, "max_talk"),
    ] {
        if let (Some(lo), Some(hi)) = (min, max) {
            if hi < lo {
                check.fail(field, "must not be less than the minimum");
            }
        }
    }
    filter
}

/// The paging of a list: `limit` (1 to `max`, `default` when absent) and
/// `offset`.
pub fn paging(pairs: &Pairs, default: i64, max: i64, check: &mut Checker) -> (i64, i64) {
    let mut number =
        |name: &str, fallback: i64, ok: &dyn Fn(i64) -> bool, why: &str| match value(pairs, name)
            .map(str::parse::<i64>)
        {
            None => fallback,
            Some(Ok(n)) if ok(n) => n,
            _ => {
                check.fail(name, why.to_owned());
                fallback
            }
        };
    let limit = number(
        "limit",
        default,
        &|n| (1..=max).contains(&n),
        &format!("from 1 to {max}"),
    );
    let offset = number("offset", 0, &|n| n >= 0, "0 or more");
    (limit, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Pairs {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fields(c: &Checker) -> Vec<&str> {
        c.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_date_is_a_local_day_and_nothing_is_today() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        let mut c = Checker::default();
        let day = berlin.day_of("2026-12-06").unwrap();
        let (from, to) = range(
            &pairs(&[("from", "2026-12-06"), ("to", "2026-12-06")]),
            &berlin,
            0,
            &mut c,
        );
        assert_eq!((from, to), (day.start, day.end));
        let (from, to) = range(&pairs(&[]), &berlin, day.start + 5, &mut c);
        assert_eq!((from, to), (day.start, day.end));
        let (from, _) = range(
            &pairs(&[("from", "2026-12-06T09:00:00Z")]),
            &berlin,
            0,
            &mut c,
        );
        assert_eq!(from, day.start + 10 * 3_600_000);
        assert!(c.errors.is_empty());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let mut c = Checker::default();
        let f = cdr_filter(
            &pairs(&[
                ("from", "yesterday"),
                ("queue", "1,x"),
                ("disposition", "answered,lost"),
                ("classification", "short abandon"),
                ("min_wait", "-3"),
                ("min_talk", "10"),
                ("max_talk", "5"),
            ]),
            &Zone::utc(),
            0,
            &mut c,
        );
        assert_eq!(
            fields(&c),
            ["from", "queue", "disposition", "min_wait", "max_talk"]
        );
        assert_eq!(f.queues, [1]);
        assert_eq!(f.dispositions, ["answered"]);
        assert_eq!(f.classifications, ["short abandon"]);
        let mut c = Checker::default();
        range(
            &pairs(&[("from", "2026-12-06"), ("to", "2026-12-01")]),
            &Zone::utc(),
            0,
            &mut c,
        );
        assert_eq!(fields(&c), ["to"]);
        let mut c = Checker::default();
        assert_eq!(
            paging(&pairs(&[("limit", "0"), ("offset", "-1")]), 50, 500, &mut c),
            (50, 0)
        );
        assert_eq!(fields(&c), ["limit", "offset"]);
    }
}
