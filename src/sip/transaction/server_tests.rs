//! Unit tests of the server state machines on a virtual clock: every timer
//! and transition of RFC 3261 figure 7 and 8, and RFC 6026 Accepted.
use super::*;
use std::time::Duration;

use ServerAction::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn run(m: &mut ServerMachine, t0: Instant, end: Duration) -> Vec<(Duration, ServerAction)> {
    let mut log = Vec::new();
    while let Some(at) = m.deadline().filter(|&at| at <= t0 + end) {
        let mut out = Vec::new();
        m.on_timeout(at, &mut out);
        log.extend(out.into_iter().map(|a| (at - t0, a)));
    }
    log
}

fn invite(reliable: bool) -> ServerMachine {
    ServerMachine::Invite(InviteServer::new(Timers::default(), reliable))
}

fn invite_state(m: &ServerMachine) -> InviteServerState {
    match m {
        ServerMachine::Invite(m) => m.state(),
        ServerMachine::NonInvite(_) => unreachable!(),
    }
}

fn ack(m: &mut ServerMachine, now: Instant) -> bool {
    match m {
        ServerMachine::Invite(m) => m.on_ack(now),
        ServerMachine::NonInvite(_) => unreachable!(),
    }
}

#[test]
fn retransmitted_invite_before_any_response_is_absorbed() {
    let t0 = Instant::now();
    let mut m = invite(false);
    let mut out = Vec::new();
    m.on_request(&mut out);
    assert!(out.is_empty());
    assert!(m.on_tu_response(t0, 100, &mut out));
    m.on_request(&mut out);
    assert_eq!(
        out,
        vec![SendResponse, SendResponse],
        "the 100 is sent, then resent"
    );
    assert_eq!(m.deadline(), None, "no timers in Proceeding");
}

#[test]
fn non_2xx_on_udp_retransmits_with_timer_g_until_timer_h() {
    let t0 = Instant::now();
    let mut m = invite(false);
    let mut out = Vec::new();
    assert!(m.on_tu_response(t0, 486, &mut out));
    assert!(
        !m.on_tu_response(t0, 200, &mut out),
        "a second final is discarded"
    );
    assert_eq!(out, vec![SendResponse]);
    let log = run(&mut m, t0, Duration::from_secs(100));
    let mut expected = vec![500, 1500, 3500];
    let mut t = 7500;
    while t < 32_000 {
        expected.push(t);
        t += 4000;
    }
    let mut expected: Vec<_> = expected
        .into_iter()
        .map(|t| (ms(t), SendResponse))
        .collect();
    expected.push((ms(32_000), Timeout));
    assert_eq!(log, expected);
    assert!(m.is_terminated());
}

#[test]
fn ack_confirms_then_timer_i_terminates() {
    let t0 = Instant::now();
    let mut m = invite(false);
    let mut out = Vec::new();
    m.on_tu_response(t0, 487, &mut out);
    out.clear();
    m.on_request(&mut out);
    assert_eq!(
        out,
        vec![SendResponse],
        "INVITE retransmission answered in Completed"
    );
    let log = run(&mut m, t0, ms(600));
    assert_eq!(log, vec![(ms(500), SendResponse)]);
    assert!(
        !ack(&mut m, t0 + ms(700)),
        "the ACK for a non-2xx is absorbed"
    );
    assert_eq!(invite_state(&m), InviteServerState::Confirmed);
    assert!(!ack(&mut m, t0 + ms(800)));
    out.clear();
    m.on_request(&mut out);
    assert!(out.is_empty(), "nothing is sent in Confirmed");
    let log = run(&mut m, t0, ms(5699));
    assert!(log.is_empty() && !m.is_terminated());
    run(&mut m, t0, ms(5700));
    assert!(m.is_terminated(), "Timer I = T4 after the ACK");
}

#[test]
fn non_2xx_on_tcp_has_no_timer_g_and_terminates_on_ack() {
    let t0 = Instant::now();
    let mut m = invite(true);
    let mut out = Vec::new();
    m.on_tu_response(t0, 404, &mut out);
    assert_eq!(m.deadline(), Some(t0 + ms(32_000)), "only Timer H");
    ack(&mut m, t0 + ms(10));
    assert!(m.is_terminated(), "Timer I is zero on reliable transports");
}

#[test]
fn accepted_retransmits_2xx_until_ack_and_lingers_until_timer_l() {
    let t0 = Instant::now();
    let mut m = invite(false);
    let mut out = Vec::new();
    m.on_tu_response(t0, 180, &mut out);
    m.on_tu_response(t0 + ms(1000), 200, &mut out);
    assert_eq!(invite_state(&m), InviteServerState::Accepted);
    let log = run(&mut m, t0, ms(4000));
    assert_eq!(
        log,
        vec![(ms(1500), SendResponse), (ms(2500), SendResponse)]
    );
    assert!(ack(&mut m, t0 + ms(4000)), "the 2xx ACK goes to the TU");
    let log = run(&mut m, t0, Duration::from_secs(32));
    assert!(log.is_empty(), "no more 2xx after the ACK: {log:?}");
    out.clear();
    m.on_request(&mut out);
    assert_eq!(
        out,
        vec![SendResponse],
        "a late INVITE copy gets the 2xx again"
    );
    let log = run(&mut m, t0, ms(33_000));
    assert!(log.is_empty(), "no Timeout when the ACK came");
    assert!(m.is_terminated(), "Timer L at 1 s + 32 s");
}

#[test]
fn accepted_without_ack_times_out_at_timer_l() {
    let t0 = Instant::now();
    let mut m = invite(true);
    let mut out = Vec::new();
    m.on_tu_response(t0, 200, &mut out);
    let log = run(&mut m, t0, Duration::from_secs(60));
    let sends = log.iter().filter(|(_, a)| *a == SendResponse).count();
    // 0.5, 1.5, 3.5, 7.5, then every 4 s up to 31.5: 10 retransmissions.
    assert_eq!(sends, 10);
    assert_eq!(log.last(), Some(&(ms(32_000), Timeout)));
}

#[test]
fn non_invite_trying_proceeding_completed_timer_j() {
    let t0 = Instant::now();
    let mut m = ServerMachine::NonInvite(NonInviteServer::new(Timers::default(), false));
    let mut out = Vec::new();
    m.on_request(&mut out);
    assert!(out.is_empty(), "retransmission discarded in Trying");
    m.on_tu_response(t0, 100, &mut out);
    m.on_request(&mut out);
    assert_eq!(out, vec![SendResponse, SendResponse]);
    out.clear();
    assert!(m.on_tu_response(t0, 200, &mut out));
    assert!(!m.on_tu_response(t0, 500, &mut out));
    m.on_request(&mut out);
    assert_eq!(out, vec![SendResponse, SendResponse]);
    assert_eq!(m.deadline(), Some(t0 + ms(32_000)), "Timer J = 64*T1");
    assert!(run(&mut m, t0, ms(31_999)).is_empty());
    run(&mut m, t0, ms(32_000));
    assert!(m.is_terminated());
}

#[test]
fn non_invite_on_tcp_terminates_on_final() {
    let t0 = Instant::now();
    let mut m = ServerMachine::NonInvite(NonInviteServer::new(Timers::default(), true));
    let mut out = Vec::new();
    m.on_tu_response(t0, 200, &mut out);
    assert_eq!(out, vec![SendResponse]);
    assert!(m.is_terminated());
}
