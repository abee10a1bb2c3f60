//! Monitors as tables: inputs in, the core's actions out, on a virtual clock.

use super::*;
use MonitorAction as A;
use MonitorInput as I;

const AGENT: AgentId = AgentId(7);
const OTHER: AgentId = AgentId(8);
const SUP: AgentId = AgentId(30);
const ID: MonitorId = MonitorId(55);
const CALL: CallId = CallId(900);

fn t(secs: u64) -> Millis {
    Millis::from_secs(1_000 + secs)
}

fn request(mode: MonitorMode) -> MonitorRequest {
    MonitorRequest {
        id: ID,
        call: CALL,
        supervisor: SUP,
        aor: Some("1003".into()),
        mode,
    }
}

fn ask(mode: MonitorMode) -> MonitorInput {
    I::Ask {
        request: request(mode),
        connected: Some(AGENT),
        in_scope: true,
    }
}

fn status(mode: MonitorMode, state: MonitorState) -> MonitorAction {
    A::Publish(MonitorStatus {
        id: ID,
        call: CALL,
        supervisor: SUP,
        mode,
        state,
    })
}

fn drain(flow: &mut MonitorFlow) -> Vec<MonitorAction> {
    std::iter::from_fn(|| flow.poll_action()).collect()
}

/// A monitor whose phone answered in `mode`.
fn joined(mode: MonitorMode) -> MonitorFlow {
    let mut m = MonitorFlow::new();
    m.handle(t(0), ask(mode));
    m.handle(t(2), I::PhoneAnswered);
    drain(&mut m);
    m
}

#[test]
fn a_supervisor_is_rung_then_joined_in_the_mode_asked_for() {
    let mut m = MonitorFlow::new();
    m.handle(t(0), ask(MonitorMode::Listen));
    assert_eq!(
        drain(&mut m),
        vec![
            A::Ring {
                supervisor: SUP,
                aor: "1003".into()
            },
            A::Answer(MonitorVerdict::Ringing(ID)),
            status(MonitorMode::Listen, MonitorState::Ringing),
        ]
    );
    assert_eq!(m.poll_timeout(), Some(t(30)));
    assert_eq!(m.agent(), Some(AGENT));
    m.handle(t(3), I::PhoneAnswered);
    assert_eq!(
        drain(&mut m),
        vec![
            A::Join {
                agent: AGENT,
                mode: MonitorMode::Listen
            },
            A::Count(MonitorCount::Started),
            status(MonitorMode::Listen, MonitorState::Active),
        ]
    );
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn refusals_ring_nobody() {
    // (connected, in scope, has a phone, already monitoring, verdict)
    let table = [
        (None, true, true, false, MonitorVerdict::NotConnected),
        (Some(AGENT), false, true, false, MonitorVerdict::OutOfScope),
        (None, false, true, false, MonitorVerdict::OutOfScope),
        (Some(AGENT), false, false, false, MonitorVerdict::OutOfScope),
        (Some(AGENT), true, false, false, MonitorVerdict::NoPhone),
        (None, true, false, false, MonitorVerdict::NotConnected),
        (Some(AGENT), true, true, true, MonitorVerdict::Busy),
    ];
    for (connected, in_scope, phone, busy, verdict) in table {
        let mut m = if busy {
            joined(MonitorMode::Listen)
        } else {
            MonitorFlow::new()
        };
        let mut second = request(MonitorMode::Barge);
        second.id = MonitorId(56);
        if !phone {
            second.aor = None;
        }
        m.handle(
            t(5),
            I::Ask {
                request: second,
                connected,
                in_scope,
            },
        );
        assert_eq!(
            drain(&mut m),
            vec![A::Answer(verdict)],
            "{connected:?} {in_scope} {busy}"
        );
        assert_eq!(m.is_active(), busy);
    }
}

#[test]
fn a_phone_that_refuses_or_never_answers_fails_the_monitor() {
    for status_code in [486, 480, 603] {
        let mut m = MonitorFlow::new();
        m.handle(t(0), ask(MonitorMode::Whisper));
        drain(&mut m);
        m.handle(
            t(1),
            I::PhoneFailed {
                status: status_code,
            },
        );
        assert_eq!(
            drain(&mut m),
            vec![
                A::Close,
                A::Count(MonitorCount::Failed),
                status(
                    MonitorMode::Whisper,
                    MonitorState::Failed {
                        status: status_code
                    }
                ),
            ]
        );
        assert!(!m.is_active());
    }
    let mut m = MonitorFlow::new();
    m.handle(t(0), ask(MonitorMode::Listen));
    drain(&mut m);
    m.handle_timeout(t(29));
    assert_eq!(drain(&mut m), vec![]);
    m.handle_timeout(t(30));
    assert_eq!(
        drain(&mut m),
        vec![
            A::HangUp,
            A::Count(MonitorCount::Failed),
            status(MonitorMode::Listen, MonitorState::Failed { status: 408 }),
        ]
    );
    // A late answer after the failure changes nothing.
    m.handle(t(31), I::PhoneAnswered);
    assert_eq!(drain(&mut m), vec![]);
}

#[test]
fn the_mode_changes_without_ringing_again() {
    let mut m = joined(MonitorMode::Listen);
    m.handle(
        t(10),
        I::ChangeMode {
            mode: MonitorMode::Whisper,
        },
    );
    assert_eq!(
        drain(&mut m),
        vec![
            A::SetMode(MonitorMode::Whisper),
            A::Answer(MonitorVerdict::Changed),
            status(MonitorMode::Whisper, MonitorState::Active),
        ]
    );
    m.handle(
        t(11),
        I::ChangeMode {
            mode: MonitorMode::Barge,
        },
    );
    assert_eq!(drain(&mut m)[0], A::SetMode(MonitorMode::Barge));
    // While ringing, the mode is only remembered: the join uses it.
    let mut m = MonitorFlow::new();
    m.handle(t(0), ask(MonitorMode::Listen));
    drain(&mut m);
    m.handle(
        t(1),
        I::ChangeMode {
            mode: MonitorMode::Barge,
        },
    );
    assert_eq!(
        drain(&mut m),
        vec![
            A::Answer(MonitorVerdict::Changed),
            status(MonitorMode::Barge, MonitorState::Ringing),
        ]
    );
    m.handle(t(2), I::PhoneAnswered);
    assert_eq!(
        drain(&mut m)[0],
        A::Join {
            agent: AGENT,
            mode: MonitorMode::Barge
        }
    );
    // Nothing to change or stop without a monitor.
    let mut m = MonitorFlow::new();
    m.handle(t(0), I::Stop);
    m.handle(
        t(0),
        I::ChangeMode {
            mode: MonitorMode::Barge,
        },
    );
    assert_eq!(
        drain(&mut m),
        vec![
            A::Answer(MonitorVerdict::NotMonitored),
            A::Answer(MonitorVerdict::NotMonitored)
        ]
    );
}

#[test]
fn the_supervisor_hanging_up_ends_the_monitor_only() {
    let mut m = joined(MonitorMode::Barge);
    m.handle(t(20), I::PhoneHungUp);
    assert_eq!(
        drain(&mut m),
        vec![
            A::Leave,
            A::Close,
            status(MonitorMode::Barge, MonitorState::Ended),
        ]
    );
    // Stopping from the API hangs the phone up.
    let mut m = joined(MonitorMode::Listen);
    m.handle(t(20), I::Stop);
    assert_eq!(
        drain(&mut m),
        vec![
            A::Leave,
            A::HangUp,
            status(MonitorMode::Listen, MonitorState::Ended),
            A::Answer(MonitorVerdict::Stopped),
        ]
    );
    assert!(!m.is_active());
}

#[test]
fn the_call_leaving_its_agent_hangs_the_supervisor_up() {
    // (joined?, the agent the call is bridged to now, ends)
    let table = [
        (true, Some(AGENT), false),
        (true, None, true),
        (true, Some(OTHER), true),
        (false, None, true),
        (false, Some(AGENT), false),
    ];
    for (answered, now_with, ends) in table {
        let mut m = MonitorFlow::new();
        m.handle(t(0), ask(MonitorMode::Listen));
        if answered {
            m.handle(t(1), I::PhoneAnswered);
        }
        drain(&mut m);
        m.handle(t(9), I::Connected(now_with));
        let actions = drain(&mut m);
        let expected = match (ends, answered) {
            (false, _) => vec![],
            (true, true) => vec![
                A::Leave,
                A::HangUp,
                status(MonitorMode::Listen, MonitorState::Ended),
            ],
            (true, false) => vec![A::HangUp, status(MonitorMode::Listen, MonitorState::Ended)],
        };
        assert_eq!(actions, expected, "{answered} {now_with:?}");
        assert_eq!(m.is_active(), !ends);
    }
}
