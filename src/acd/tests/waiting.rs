//! Waiting callers: announcements, queue exit, queue timeout, estimated wait
//! and the live metrics.

use super::*;

fn announced(r: &mut Rig) -> Vec<(CallId, Option<u32>, bool)> {
    r.actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::Announce {
                call,
                position,
                queue_exit,
                ..
            } => Some((call, position, queue_exit)),
            _ => None,
        })
        .collect()
}

#[test]
fn position_announcements_come_at_the_queue_frequency() {
    let mut q = queue(SALES);
    q.announcements = AnnouncementMode::Position;
    q.announce_every = secs(30);
    let mut r = Rig::new(vec![q]);
    r.arrive(t(0), c(1), SALES);
    r.arrive(t(10), c(2), SALES);
    r.wait_until(t(29));
    assert_eq!(announced(&mut r), vec![]);
    r.wait_until(t(30));
    assert_eq!(announced(&mut r), vec![(c(1), Some(1), false)]);
    r.wait_until(t(40));
    assert_eq!(announced(&mut r), vec![(c(2), Some(2), false)]);
    r.hangup(t(45), c(1));
    r.wait_until(t(70));
    assert_eq!(announced(&mut r), vec![(c(2), Some(1), false)]);
    r.hangup(t(71), c(2));
    assert_eq!(r.acd.poll_timeout(), None, "no timers outlive the calls");
}

#[test]
fn queue_exit_announcement_and_both() {
    let mut q = queue(SALES);
    q.announcements = AnnouncementMode::QueueExit;
    let mut s = queue(SUPPORT);
    s.announcements = AnnouncementMode::Both;
    let mut r = Rig::new(vec![q, s]);
    r.arrive(t(0), c(1), SALES);
    r.arrive(t(0), c(2), SUPPORT);
    r.wait_until(t(30));
    assert_eq!(
        announced(&mut r),
        vec![(c(1), None, true), (c(2), Some(1), true)]
    );
}

#[test]
fn estimated_wait_grows_with_position() {
    let mut q = queue(SALES);
    q.announcements = AnnouncementMode::Position;
    q.expected_handle_time = secs(120);
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    r.login(t(0), A2, &[SALES]);
    for n in 1..=6 {
        r.arrive(t(0), c(n), SALES);
    }
    r.accept(t(0), c(1), A1);
    r.accept(t(0), c(2), A2);
    // Two agents busy, a 120 s handle time: one frees every 60 s.
    assert_eq!(r.acd.estimated_wait(SALES, 1), Some(secs(60)));
    assert_eq!(r.acd.estimated_wait(SALES, 4), Some(secs(240)));
    r.wait_until(t(30));
    let waits: Vec<_> = r
        .actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::Announce { estimated_wait, .. } => estimated_wait,
            _ => None,
        })
        .collect();
    assert_eq!(waits, vec![secs(60), secs(120), secs(180), secs(240)]);
    // Staffing counts agents logged in and working.
    r.on(t(40), Event::AgentLogout { agent: A2 });
    assert_eq!(r.acd.estimated_wait(SALES, 1), Some(secs(120)));
    r.on(t(40), Event::AgentLogout { agent: A1 });
    assert_eq!(r.acd.estimated_wait(SALES, 1), None);
}

#[test]
fn handle_times_feed_the_estimate() {
    let mut q = queue(SALES);
    q.expected_handle_time = secs(100);
    let mut r = Rig::new(vec![q]);
    r.login(t(0), A1, &[SALES]);
    for n in 0..1000 {
        let start = t(n * 1000);
        r.arrive(start, c(n), SALES);
        r.accept(start, c(n), A1);
        r.hangup(start + secs(300), c(n));
    }
    r.arrive(t(1_000_000), c(9000), SALES);
    r.arrive(t(1_000_000), c(9001), SALES);
    r.accept(t(1_000_000), c(9000), A1);
    let wait = r.acd.estimated_wait(SALES, 1).unwrap();
    assert!(wait > secs(290) && wait <= secs(300), "{wait:?}");
}

#[test]
fn queue_exit_leaves_as_abandoned_with_the_queue_exit_tag_exactly_once() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.arrive(t(0), c(1), SALES);
    r.notices();
    r.on(t(5), Event::QueueExit { call: c(1) });
    r.on(t(5), Event::QueueExit { call: c(1) });
    r.hangup(t(6), c(1));
    assert_eq!(
        r.outcomes(),
        vec![(c(1), Outcome::Abandoned(AbandonReason::QueueExit))]
    );
    let m = r.metrics(SALES, t(6));
    assert_eq!((m.counters.abandoned, m.counters.queue_exits), (1, 1));
}

#[test]
fn queue_timeout_redirects_to_the_exit_target() {
    let mut q = queue(SALES);
    q.queue_timeout = Some((secs(60), ExitTarget::Number("voicemail".into())));
    let mut r = Rig::new(vec![q]);
    r.arrive(t(0), c(1), SALES);
    r.arrive(t(30), c(2), SALES);
    r.login(t(50), A1, &[SALES]);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    r.notices();
    r.wait_until(t(60));
    let target = ExitTarget::Number("voicemail".into());
    assert_eq!(
        r.actions(),
        vec![
            Action::Redirect {
                call: c(1),
                target: target.clone()
            },
            Action::CancelOffer {
                call: c(1),
                agent: A1
            },
            offer(c(2), A1),
        ]
    );
    assert_eq!(r.outcomes(), vec![(c(1), Outcome::Redirected(target))]);
    r.accept(t(61), c(2), A1);
    assert_eq!(r.outcomes(), vec![(c(2), Outcome::Answered { agent: A1 })]);
    r.wait_until(t(100));
    assert_eq!(r.outcomes(), vec![], "an answered call does not time out");
    assert_eq!(r.metrics(SALES, t(100)).counters.redirected, 1);
}

#[test]
fn live_metrics_per_queue_and_group() {
    let mut sales = queue(SALES);
    sales.service_level = secs(20);
    let mut r = Rig::new(vec![sales, queue(SUPPORT)]);
    r.login(t(0), A1, &[SALES]);
    r.login(t(0), A2, &[SALES, SUPPORT]);
    r.status(t(0), A2, BREAK);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(10), c(1), A1); // within 20 s
    r.arrive(t(20), c(2), SALES);
    r.arrive(t(25), c(3), SUPPORT);
    r.hangup(t(30), c(2)); // abandoned
    r.arrive(t(40), c(4), SALES);
    let m = r.metrics(SALES, t(70));
    assert_eq!(m.waiting, 1);
    assert_eq!(m.longest_wait, secs(30));
    assert_eq!(m.agents.get(&Presence::InCall), Some(&1));
    assert_eq!(m.agents.get(&Presence::Break), Some(&1));
    assert_eq!(m.statuses.get(&AVAILABLE), Some(&1));
    assert_eq!(m.statuses.get(&BREAK), Some(&1));
    assert_eq!(m.counters.offered, 3);
    assert_eq!(m.counters.answered, 1);
    assert_eq!(m.counters.abandoned, 1);
    assert_eq!(m.service_level, Some(0.5));
    let g = r.acd.group_metrics(QueueGroupId(1), t(70)).unwrap();
    assert_eq!(g.waiting, 2);
    assert_eq!(g.longest_wait, secs(45));
    assert_eq!(g.counters.offered, 4);
    r.on(t(80), Event::DayStarted { project: P });
    assert_eq!(r.metrics(SALES, t(80)).counters, QueueCounters::default());
}

#[test]
fn calls_being_offered_count_in_queue_and_in_the_longest_wait() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.arrive(t(0), c(1), SALES);
    r.arrive(t(5), c(2), SALES);
    r.login(t(10), A1, &[SALES]);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    let m = r.metrics(SALES, t(12));
    assert_eq!((m.waiting, m.in_queue), (1, 2));
    assert_eq!(m.longest_wait, secs(12));
    assert_eq!(m.agents.get(&Presence::Ringing), Some(&1));
}

#[test]
fn a_late_input_runs_the_timers_due_before_it() {
    let mut q = queue(SALES);
    q.queue_timeout = Some((secs(60), ExitTarget::Queue(SUPPORT)));
    let mut r = Rig::new(vec![q, queue(SUPPORT)]);
    r.arrive(t(0), c(1), SALES);
    // The shell did not wake at 60 s; the login at 61 s comes after the
    // timeout, so the call has already left.
    r.login(t(61), A1, &[SALES]);
    assert_eq!(
        r.actions(),
        vec![Action::Redirect {
            call: c(1),
            target: ExitTarget::Queue(SUPPORT)
        }]
    );
}

#[test]
fn a_call_sent_on_to_another_queue_queues_there_anew() {
    let mut q = queue(SALES);
    q.queue_timeout = Some((secs(60), ExitTarget::Queue(SUPPORT)));
    q.announcements = AnnouncementMode::Position;
    let mut r = Rig::new(vec![q, queue(SUPPORT)]);
    r.arrive(t(0), c(1), SALES);
    r.wait_until(t(60));
    assert!(r.actions().contains(&Action::Redirect {
        call: c(1),
        target: ExitTarget::Queue(SUPPORT)
    }));
    r.arrive(t(60), c(1), SUPPORT);
    r.login(t(70), A1, &[SUPPORT]);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    r.accept(t(71), c(1), A1);
    r.wait_until(t(200));
    assert_eq!(
        r.actions(),
        vec![],
        "nothing left over from the first queue"
    );
    assert_eq!(
        r.outcomes(),
        vec![
            (c(1), Outcome::Redirected(ExitTarget::Queue(SUPPORT))),
            (c(1), Outcome::Answered { agent: A1 })
        ]
    );
}

#[test]
fn a_call_sent_on_keeps_its_overall_place_in_the_exit_queue() {
    let mut q = queue(SALES);
    q.queue_timeout = Some((secs(60), ExitTarget::Queue(SUPPORT)));
    let mut r = Rig::new(vec![q, queue(SUPPORT)]);
    r.arrive(t(0), c(1), SALES);
    r.arrive(t(30), c(2), SUPPORT);
    r.wait_until(t(60));
    r.arrive(t(60), c(1), SUPPORT);
    // c1 has waited since 0 s, c2 since 30 s: c1 is first overall.
    assert_eq!(r.acd.position(c(1)), Some(1));
    assert_eq!(r.acd.position(c(2)), Some(2));
    r.login(t(61), A1, &[SUPPORT]);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
}
