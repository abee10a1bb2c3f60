//! The working day turns per project: `DayStarted { project }` resets the
//! day counts of that project's agents and queues only, and break time used
//! earlier in the day comes back after a restart (`BreakUsedToday`).

use super::*;

/// A1 works in P (queue SALES), A2 in P2 (queue SUPPORT); each answered one
/// call and took a 100 s break. A1 is on a break again since t(1000) when
/// `logged_out` is false; otherwise A1 logged out at t(900).
fn worked_day(logged_out: bool) -> Rig {
    let mut r = Rig::new(vec![queue(SALES), QueueConfig::new(SUPPORT, P2)]);
    r.login(t(0), A1, &[SALES]);
    r.on(
        t(0),
        Event::AgentLogin {
            agent: A2,
            project: P2,
            status: AVAILABLE,
            queues: vec![SUPPORT],
        },
    );
    for (call, agent, queue, at) in [(c(1), A1, SALES, 0), (c(2), A2, SUPPORT, 300)] {
        r.arrive(t(at + 10), call, queue);
        r.accept(t(at + 12), call, agent);
        r.hangup(t(at + 60), call);
        r.status(t(at + 100), agent, BREAK);
        r.status(t(at + 200), agent, AVAILABLE);
    }
    if logged_out {
        r.on(t(900), Event::AgentLogout { agent: A1 });
    } else {
        r.status(t(1000), A1, LUNCH);
    }
    r.notices();
    r
}

/// What one agent's day looks like at a moment: break time used, calls today.
fn day(r: &Rig, agent: AgentId, now: Millis) -> (Duration, u32) {
    (
        r.acd.break_used(agent, now).expect("known agent"),
        r.acd.calls_today(agent).expect("known agent"),
    )
}

#[test]
fn the_day_turns_for_one_project_only() {
    struct Case {
        name: &'static str,
        logged_out: bool,
        turns: ProjectId,
        /// (break used, calls today) of A1 and A2 at t(1500).
        a1: (u64, u32),
        a2: (u64, u32),
        /// Offered today in SALES and SUPPORT.
        offered: (u64, u64),
    }
    let cases = [
        Case {
            name: "P turns: A1's break in progress counts from midnight",
            logged_out: false,
            turns: P,
            a1: (300, 0),
            a2: (100, 1),
            offered: (0, 1),
        },
        Case {
            name: "P2 turns: A1 keeps the day's counts",
            logged_out: false,
            turns: P2,
            a1: (100 + 500, 1),
            a2: (0, 0),
            offered: (1, 0),
        },
        Case {
            name: "P turns while A1 is logged out: their day still starts again",
            logged_out: true,
            turns: P,
            a1: (0, 0),
            a2: (100, 1),
            offered: (0, 1),
        },
    ];
    for case in cases {
        let mut r = worked_day(case.logged_out);
        r.on(
            t(1200),
            Event::DayStarted {
                project: case.turns,
            },
        );
        assert_eq!(
            r.notices(),
            vec![Notice::DayStarted {
                project: case.turns
            }],
            "{}",
            case.name
        );
        let at = t(1500);
        assert_eq!(
            day(&r, A1, at),
            (secs(case.a1.0), case.a1.1),
            "{}: A1",
            case.name
        );
        assert_eq!(
            day(&r, A2, at),
            (secs(case.a2.0), case.a2.1),
            "{}: A2",
            case.name
        );
        let offered = (
            r.metrics(SALES, at).counters.offered,
            r.metrics(SUPPORT, at).counters.offered,
        );
        assert_eq!(offered, case.offered, "{}: queue counters", case.name);
        r.acd.check_invariants();
    }
}

#[test]
fn break_time_used_earlier_today_comes_back_after_a_restart() {
    // The project allows 1800 s of breaks a day.
    struct Case {
        name: &'static str,
        /// Break time already counted in this engine before the restore.
        before: u64,
        restored: u64,
        /// Break time used and left at t(1000).
        used: u64,
        left: u64,
    }
    let cases = [
        Case {
            name: "a fresh engine takes the stored time",
            before: 0,
            restored: 600,
            used: 600,
            left: 1200,
        },
        Case {
            name: "time counted since is not lost to an older figure",
            before: 300,
            restored: 200,
            used: 300,
            left: 1500,
        },
        Case {
            name: "past the allowance: nothing left",
            before: 0,
            restored: 2000,
            used: 2000,
            left: 0,
        },
    ];
    for case in cases {
        let mut r = Rig::new(vec![queue(SALES)]);
        r.login(t(0), A1, &[SALES]);
        if case.before > 0 {
            r.status(t(10), A1, BREAK);
            r.status(t(10 + case.before), A1, AVAILABLE);
        }
        r.notices();
        r.on(
            t(900),
            Event::BreakUsedToday {
                agent: A1,
                used: secs(case.restored),
            },
        );
        assert_eq!(r.notices(), vec![], "{}: nothing to report", case.name);
        assert_eq!(r.acd.break_used(A1, t(1000)), Some(secs(case.used)));
        assert_eq!(
            r.acd.break_remaining(A1, t(1000)),
            Some(secs(case.left)),
            "{}",
            case.name
        );
    }
}

#[test]
fn a_restored_allowance_runs_out_at_the_right_moment_and_only_once() {
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.status(t(100), A1, LUNCH);
    r.on(
        t(100),
        Event::BreakUsedToday {
            agent: A1,
            used: secs(1700),
        },
    );
    r.notices();
    r.wait_until(t(200));
    assert!(r.notices().is_empty(), "exactly 1800 s used is allowed");
    r.wait_until(t(201));
    assert_eq!(
        r.notices(),
        vec![Notice::BreakAllowanceExceeded {
            agent: A1,
            project: P
        }]
    );

    // Stored past the allowance: already reported before the restart.
    let mut r = Rig::new(vec![queue(SALES)]);
    r.login(t(0), A1, &[SALES]);
    r.on(
        t(1),
        Event::BreakUsedToday {
            agent: A1,
            used: secs(1900),
        },
    );
    r.status(t(2), A1, BREAK);
    r.wait_until(t(5000));
    assert!(!r
        .notices()
        .iter()
        .any(|n| matches!(n, Notice::BreakAllowanceExceeded { .. })));
}

#[test]
fn only_a_logged_in_agent_takes_back_their_break_time() {
    let mut r = Rig::new(vec![queue(SALES)]);
    let restore = Event::BreakUsedToday {
        agent: A1,
        used: secs(60),
    };
    assert_eq!(
        r.acd.handle(t(0), restore.clone()),
        Err(AcdError::UnknownAgent(A1))
    );
    r.login(t(1), A1, &[SALES]);
    r.on(t(2), Event::AgentLogout { agent: A1 });
    assert_eq!(r.acd.handle(t(3), restore), Err(AcdError::NotLoggedIn(A1)));
    assert_eq!(r.acd.break_used(A1, t(3)), Some(Duration::ZERO));
}
