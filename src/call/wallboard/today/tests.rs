use std::time::Duration;

use super::*;
use crate::cdr::{
    Arrival, Classification, Direction, InteractionId, InteractionRecord, InteractionType,
};

const Q1: QueueId = QueueId(1);
const Q2: QueueId = QueueId(2);
const P: ProjectId = ProjectId(1);

fn ms(text: &str) -> Millis {
    Millis(
        text.parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond()
            .try_into()
            .unwrap(),
    )
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A completed record of `queue` that arrived at `at` and ended as `how`.
fn record(id: u64, queue: QueueId, at: Millis, how: Disposition) -> InteractionRecord {
    let mut r = InteractionRecord::new(
        Arrival {
            id: InteractionId(id),
            interaction_type: InteractionType::Call,
            direction: Direction::Inbound,
            domain: "example.com".into(),
            remote_number: "100".into(),
            local_number: "200".into(),
        },
        at,
    );
    r.queue = Some(queue);
    r.project = Some(P);
    r.disposition = Some(how);
    r.terminate_moment = Some(at);
    r.classification = Some(match how {
        Disposition::Answered => Classification::AnsweredWithinServiceLevel,
        Disposition::Abandoned => Classification::Abandoned,
        Disposition::RedirectedByQueueTimeout => Classification::Redirected,
        _ => Classification::NotCounted,
    });
    r
}

fn answered(
    id: u64,
    at: Millis,
    wait: u64,
    talk: u64,
    acw: u64,
    within: bool,
) -> InteractionRecord {
    let mut r = record(id, Q1, at, Disposition::Answered);
    r.queue_wait_length = secs(wait);
    r.connected_length = secs(talk);
    r.acw_length = secs(acw);
    if !within {
        r.classification = Some(Classification::AnsweredOutsideServiceLevel);
    }
    r
}

#[test]
fn the_days_records_make_the_figures() {
    let t = ms("2026-06-10T10:00:00Z");
    let mut today = Today::default();
    today.add(&answered(1, t, 10, 100, 20, true));
    today.add(&answered(2, t, 30, 200, 40, false));
    let mut short = record(3, Q1, t, Disposition::Abandoned);
    short.classification = Some(Classification::ShortAbandon);
    today.add(&short);
    today.add(&record(4, Q1, t, Disposition::Abandoned));
    let mut exit = record(5, Q1, t, Disposition::AbandonedByQueueExit);
    exit.classification = Some(Classification::Abandoned);
    today.add(&exit);
    today.add(&record(6, Q1, t, Disposition::RedirectedByQueueTimeout));
    today.add(&record(7, Q1, t, Disposition::Failed));
    let mut coded = answered(8, t, 2, 0, 0, true);
    coded.verdict = Some(ResultCodeId(5));
    today.add(&coded);
    // Another queue's and unfinished or queue-less records count elsewhere or not.
    today.add(&record(9, Q2, t, Disposition::Abandoned));
    let mut open = record(10, Q1, t, Disposition::Answered);
    open.disposition = None;
    today.add(&open);
    let mut outbound = record(11, Q1, t, Disposition::Answered);
    outbound.queue = None;
    today.add(&outbound);

    let f = today.of(Q1, P, t);
    assert_eq!(f.answered, 3);
    assert_eq!(f.abandoned, 2);
    assert_eq!(f.short_abandons, 1);
    assert_eq!(f.abandoned_by_queue_exit, 1);
    assert_eq!(f.redirected_by_queue_timeout, 1);
    // Within: 1 and 8; counted: 1, 2, 8, the long abandon, the exit, the
    // redirect (and the short abandon only when included).
    assert_eq!(
        f.service_level,
        ServiceLevel {
            within: 2,
            counted: 7
        }
    );
    assert_eq!(
        f.service_level_without_short_abandons,
        ServiceLevel {
            within: 2,
            counted: 6
        }
    );
    assert_eq!(f.asa(), Some(secs(14)));
    assert_eq!(f.aht(), Some(secs(120)));
    assert_eq!(f.result_codes, BTreeMap::from([(ResultCodeId(5), 1)]));
    assert_eq!(today.of(Q2, P, t).abandoned, 1);
    assert_eq!(today.of(QueueId(3), P, t), DayFigures::default());
}

#[test]
fn nothing_answered_has_no_averages() {
    let f = DayFigures::default();
    assert_eq!(
        (f.asa(), f.aht(), f.service_level.ratio()),
        (None, None, None)
    );
}

#[test]
fn the_figures_start_again_at_local_midnight() {
    let mut today = Today::default();
    today.set_zone(P, Zone::named("Europe/Berlin").unwrap());
    // 21:30 UTC is 23:30 in Berlin (UTC+2 in June): 10 June.
    today.add(&record(
        1,
        Q1,
        ms("2026-06-10T21:30:00Z"),
        Disposition::Abandoned,
    ));
    assert_eq!(today.of(Q1, P, ms("2026-06-10T21:59:59Z")).abandoned, 1);
    assert_eq!(today.date(P, ms("2026-06-10T21:59:59Z")), "2026-06-10");
    // Berlin's midnight: 22:00 UTC. Nothing yet today.
    assert_eq!(today.of(Q1, P, ms("2026-06-10T22:00:00Z")).abandoned, 0);
    // A call that arrived before midnight and ends after it counts on the
    // day it arrived, which is over.
    today.add(&record(
        2,
        Q1,
        ms("2026-06-10T21:59:00Z"),
        Disposition::Abandoned,
    ));
    assert_eq!(today.of(Q1, P, ms("2026-06-10T22:01:00Z")).abandoned, 0);
    today.add(&record(
        3,
        Q1,
        ms("2026-06-10T22:00:30Z"),
        Disposition::Answered,
    ));
    let f = today.of(Q1, P, ms("2026-06-10T22:01:00Z"));
    assert_eq!((f.answered, f.abandoned), (1, 0));
    // Yesterday's late record does not come back into today.
    today.add(&record(
        4,
        Q1,
        ms("2026-06-10T21:00:00Z"),
        Disposition::Abandoned,
    ));
    assert_eq!(today.of(Q1, P, ms("2026-06-10T22:01:00Z")).abandoned, 0);
    // In UTC (another project's zone) the same instant is still 10 June.
    assert_eq!(
        today.earliest_start(ms("2026-06-10T22:01:00Z")),
        ms("2026-06-10T00:00:00Z")
    );
}

#[test]
fn an_answered_call_counts_from_the_answer_and_once() {
    let t = ms("2026-06-10T10:00:00Z");
    let mut today = Today::default();
    let mut call = answered(1, t, 10, 100, 0, true);
    call.disposition = None;
    call.classification = None;
    // Waiting: nothing yet.
    today.checkpoint(&call);
    assert_eq!(today.of(Q1, P, t).answered, 0);
    call.connection_moment = Some(Millis(t.0 + 10_000));
    today.checkpoint(&call);
    today.checkpoint(&call);
    let f = today.of(Q1, P, t);
    assert_eq!((f.answered, f.asa(), f.service_level.counted), (1, None, 0));
    today.add(&answered(1, t, 10, 100, 0, true));
    let f = today.of(Q1, P, t);
    assert_eq!((f.answered, f.asa()), (1, Some(secs(10))));
    assert_eq!(f.service_level.ratio(), Some(1.0));
    // An answered call of yesterday's that never completed is not today's.
    let mut old = answered(2, ms("2026-06-09T23:00:00Z"), 1, 1, 0, true);
    old.disposition = None;
    old.connection_moment = Some(old.init_moment);
    today.checkpoint(&old);
    assert_eq!(today.of(Q1, P, t).answered, 1);
}

#[test]
fn a_group_is_the_sum_of_its_queues() {
    let t = ms("2026-06-10T10:00:00Z");
    let mut today = Today::default();
    today.add(&answered(1, t, 10, 60, 0, true));
    let mut other = answered(2, t, 30, 120, 0, false);
    other.queue = Some(Q2);
    other.verdict = Some(ResultCodeId(1));
    today.add(&other);
    let mut group = today.of(Q1, P, t);
    group.merge(&today.of(Q2, P, t));
    assert_eq!(group.answered, 2);
    assert_eq!(group.asa(), Some(secs(20)));
    assert_eq!(group.aht(), Some(secs(90)));
    assert_eq!(group.service_level.ratio(), Some(0.5));
    assert_eq!(group.result_codes[&ResultCodeId(1)], 1);
}
