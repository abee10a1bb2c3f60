//! After-call work, result codes, breaks and text channel weights.

use super::*;

fn acw_queue(acw: u64) -> QueueConfig {
    let mut q = queue(SALES);
    q.after_call_work = secs(acw);
    q
}

#[test]
fn after_call_work_then_back_to_available() {
    let mut r = Rig::new(vec![acw_queue(30)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(1), c(1), A1);
    r.hangup(t(61), c(1));
    assert_eq!(r.presence(A1), Presence::AfterCallWork);
    r.arrive(t(62), c(2), SALES);
    assert_eq!(r.offers(), vec![(c(1), A1)]);
    r.wait_until(t(90));
    assert_eq!(r.offers(), vec![]);
    r.wait_until(t(91));
    assert_eq!(r.offers(), vec![(c(2), A1)]);
}

#[test]
fn no_after_call_work_closes_at_once() {
    let mut r = Rig::new(vec![acw_queue(0)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(1), c(1), A1);
    r.notices();
    r.hangup(t(61), c(1));
    assert_eq!(r.presence(A1), Presence::Available);
    let n = r.notices();
    assert!(n.contains(&Notice::WrapupStarted {
        agent: A1,
        call: c(1),
        talked: secs(60),
        until: t(61)
    }));
    assert!(n.contains(&Notice::WrapupEnded {
        agent: A1,
        call: c(1)
    }));
}

#[test]
fn result_code_extra_time_extends_after_call_work() {
    let mut r = Rig::new(vec![acw_queue(30)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(0), c(1), A1);
    r.hangup(t(10), c(1));
    r.on(
        t(20),
        Event::ResultCode {
            agent: A1,
            call: c(1),
            code: ResultCodeId(2),
        },
    );
    r.wait_until(t(40));
    assert_eq!(r.presence(A1), Presence::AfterCallWork);
    r.wait_until(t(100));
    assert_eq!(r.presence(A1), Presence::Available);
}

#[test]
fn result_code_chosen_during_the_call_counts_too() {
    let mut r = Rig::new(vec![acw_queue(0)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(0), c(1), A1);
    r.on(
        t(5),
        Event::ResultCode {
            agent: A1,
            call: c(1),
            code: ResultCodeId(2),
        },
    );
    r.hangup(t(10), c(1));
    assert_eq!(r.presence(A1), Presence::AfterCallWork);
    r.wait_until(t(70));
    assert_eq!(r.presence(A1), Presence::Available);
    assert_eq!(
        r.acd.handle(
            t(70),
            Event::ResultCode {
                agent: A1,
                call: c(1),
                code: ResultCodeId(9)
            }
        ),
        Err(AcdError::UnknownResultCode(ResultCodeId(9)))
    );
}

#[test]
fn status_chosen_during_after_call_work_applies_after_it() {
    let mut r = Rig::new(vec![acw_queue(30)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(0), c(1), A1);
    r.hangup(t(10), c(1));
    r.status(t(15), A1, LUNCH);
    assert_eq!(r.presence(A1), Presence::AfterCallWork);
    r.actions();
    r.wait_until(t(40));
    assert_eq!(r.acd.agent_presence(A1), Some((LUNCH, Presence::Break)));
    r.arrive(t(41), c(2), SALES);
    assert_eq!(r.offers(), vec![]);
}

#[test]
fn agent_may_close_after_call_work_early() {
    let mut r = Rig::new(vec![acw_queue(300)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(0), c(1), A1);
    r.hangup(t(10), c(1));
    r.arrive(t(11), c(2), SALES);
    r.actions();
    r.on(
        t(12),
        Event::WrapupDone {
            agent: A1,
            call: c(1),
        },
    );
    assert_eq!(r.offers(), vec![(c(2), A1)]);
}

#[test]
fn break_time_is_deducted_from_the_daily_allowance() {
    // The project allows 30 minutes.
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.status(t(100), A1, BREAK);
    r.status(t(100 + 600), A1, AVAILABLE);
    assert!(r.notices().contains(&Notice::BreakEnded {
        agent: A1,
        used_today: secs(600),
        remaining: secs(1200)
    }));
    r.status(t(1000), A1, LUNCH);
    // Moving between two Break statuses keeps counting one break.
    r.status(t(1300), A1, BREAK);
    assert_eq!(r.acd.break_remaining(A1, t(1300)), Some(secs(900)));
    r.wait_until(t(1000 + 1200));
    assert!(!r
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::BreakAllowanceExceeded { .. })));
    r.wait_until(t(1000 + 1201));
    let exceeded: Vec<_> = r
        .notices()
        .into_iter()
        .filter(|n| matches!(n, Notice::BreakAllowanceExceeded { .. }))
        .collect();
    assert_eq!(
        exceeded,
        vec![Notice::BreakAllowanceExceeded {
            agent: A1,
            project: P
        }]
    );
    assert_eq!(r.acd.break_remaining(A1, t(3000)), Some(secs(0)));
    assert_eq!(r.acd.break_used(A1, t(3000)), Some(secs(2600)));
    // Once a day: another break does not report again.
    r.status(t(3000), A1, AVAILABLE);
    r.status(t(3100), A1, BREAK);
    r.wait_until(t(9000));
    assert!(!r
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::BreakAllowanceExceeded { .. })));
    r.on(t(9000), Event::DayStarted { project: P });
    assert_eq!(r.acd.break_remaining(A1, t(9000)), Some(secs(1800)));
    r.wait_until(t(9000 + 1801));
    assert!(r
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::BreakAllowanceExceeded { .. })));
}

fn chat(weight: u8) -> QueueConfig {
    let mut q = QueueConfig::new(CHAT, P);
    q.channel = Channel::Text { weight };
    q
}

#[test]
fn text_sessions_fill_the_agent_up_to_capacity() {
    let mut r = Rig::new(vec![chat(33), queue(SALES)]);
    r.login(t(0), A1, &[CHAT, SALES]);
    for n in 1..=4 {
        r.arrive(t(n), c(n), CHAT);
    }
    assert_eq!(r.offers(), vec![(c(1), A1), (c(2), A1), (c(3), A1)]);
    for n in 1..=3 {
        r.accept(t(5), c(n), A1);
    }
    // Voice takes the whole agent, so it waits while any session is open.
    r.arrive(t(6), c(10), SALES);
    assert_eq!(r.offers(), vec![]);
    r.hangup(t(7), c(1));
    assert_eq!(r.offers(), vec![(c(4), A1)]);
    r.hangup(t(8), c(2));
    r.hangup(t(8), c(3));
    r.hangup(t(8), c(4));
    assert_eq!(r.offers(), vec![(c(10), A1)]);
    r.accept(t(9), c(10), A1);
    r.arrive(t(9), c(11), CHAT);
    assert_eq!(r.offers(), vec![]);
}

#[test]
fn channel_weight_sets_the_number_of_sessions() {
    for (weight, sessions) in [(100, 1), (50, 2), (33, 3), (25, 4)] {
        let mut r = Rig::new(vec![chat(weight)]);
        r.login(t(0), A1, &[CHAT]);
        for n in 0..6 {
            r.arrive(t(0), c(n), CHAT);
        }
        assert_eq!(r.offers().len(), sessions, "weight {weight}");
    }
}

#[test]
fn choosing_a_result_code_is_reported_with_the_new_end() {
    let mut r = Rig::new(vec![acw_queue(30)]);
    r.login(t(0), A1, &[SALES]);
    r.arrive(t(0), c(1), SALES);
    r.accept(t(0), c(1), A1);
    r.on(
        t(1),
        Event::ResultCode {
            agent: A1,
            call: c(1),
            code: ResultCodeId(1),
        },
    );
    r.hangup(t(10), c(1));
    r.on(
        t(11),
        Event::ResultCode {
            agent: A1,
            call: c(1),
            code: ResultCodeId(2),
        },
    );
    let chosen: Vec<_> = r
        .notices()
        .into_iter()
        .filter(|n| matches!(n, Notice::ResultCodeChosen { .. }))
        .collect();
    assert_eq!(
        chosen,
        vec![
            Notice::ResultCodeChosen {
                agent: A1,
                call: c(1),
                code: ResultCodeId(1),
                until: None
            },
            Notice::ResultCodeChosen {
                agent: A1,
                call: c(1),
                code: ResultCodeId(2),
                until: Some(t(100))
            },
        ]
    );
}

#[test]
fn a_larger_allowance_set_during_a_break_moves_the_exceeded_moment() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.status(t(0), A1, BREAK);
    let mut project = ProjectConfig::new(P);
    project.break_allowance = secs(3600);
    r.on(t(600), Event::ProjectConfigured(project));
    r.notices();
    r.wait_until(t(1801 + 10));
    assert!(!r
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::BreakAllowanceExceeded { .. })));
    r.wait_until(t(3601));
    assert!(r.notices().contains(&Notice::BreakAllowanceExceeded {
        agent: A1,
        project: P
    }));
}

/// Extra Time, as a table: the queue's after-call work, the codes chosen
/// (when, which), and when the work ends. The call is answered at 0 and
/// ends at 10; code 1 adds nothing, code 2 adds 60 s. A second caller waits
/// from 11: the agent is offered it exactly when the work ends, not before.
#[test]
fn extra_time_keeps_the_agent_from_the_next_call_until_it_ends() {
    struct Row {
        acw: u64,
        chosen: &'static [(u64, u64)],
        ends: u64,
    }
    let rows = [
        // No code: the queue's time.
        Row {
            acw: 30,
            chosen: &[],
            ends: 40,
        },
        // Chosen during the call, on a queue with no after-call work.
        Row {
            acw: 0,
            chosen: &[(5, 2)],
            ends: 70,
        },
        // Chosen in the work: counted from the end of the call.
        Row {
            acw: 30,
            chosen: &[(20, 2)],
            ends: 100,
        },
        // The last code chosen counts.
        Row {
            acw: 30,
            chosen: &[(5, 1), (20, 2)],
            ends: 100,
        },
        // Replaced by a code without extra time: back to the queue's time.
        Row {
            acw: 30,
            chosen: &[(15, 2), (20, 1)],
            ends: 40,
        },
        // Replaced after the queue's time has passed: the work ends at once.
        Row {
            acw: 30,
            chosen: &[(15, 2), (50, 1)],
            ends: 50,
        },
    ];
    for (i, row) in rows.iter().enumerate() {
        let mut r = Rig::new(vec![acw_queue(row.acw)]);
        r.login(t(0), A1, &[SALES]);
        r.arrive(t(0), c(1), SALES);
        r.accept(t(0), c(1), A1);
        let code = |r: &mut Rig, at: u64, code: u64| {
            r.on(
                t(at),
                Event::ResultCode {
                    agent: A1,
                    call: c(1),
                    code: ResultCodeId(code),
                },
            )
        };
        for &(at, chosen) in row.chosen.iter().filter(|(at, _)| *at < 10) {
            code(&mut r, at, chosen);
        }
        r.hangup(t(10), c(1));
        r.arrive(t(11), c(2), SALES);
        r.actions();
        let mut last = 11;
        for &(at, chosen) in row.chosen.iter().filter(|(at, _)| *at >= 10) {
            r.wait_until(t(at));
            assert_eq!(
                r.offers(),
                vec![],
                "row {i}: still in after-call work at {at}"
            );
            code(&mut r, at, chosen);
            last = at;
        }
        if row.ends > last {
            r.wait_until(t(row.ends - 1));
            assert_eq!(r.presence(A1), Presence::AfterCallWork, "row {i}");
            assert_eq!(r.offers(), vec![], "row {i}: still in after-call work");
        }
        r.wait_until(t(row.ends));
        assert_eq!(
            r.offers(),
            vec![(c(2), A1)],
            "row {i}: offered when it ends"
        );
    }
}
