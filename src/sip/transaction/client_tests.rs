//! Unit tests of the client state machines on a virtual clock: every timer
//! and transition of RFC 3261 figure 5 and 6, and RFC 6026 Accepted.
use super::*;
use std::time::Duration;

use ClientAction::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Steps the clock from deadline to deadline until `end`, recording each
/// action with the time (since `t0`) it happened.
fn run<M>(
    m: &mut M,
    t0: Instant,
    end: Duration,
    deadline: impl Fn(&M) -> Option<Instant>,
    fire: impl Fn(&mut M, Instant, &mut Vec<ClientAction>),
) -> Vec<(Duration, ClientAction)> {
    let mut log = Vec::new();
    while let Some(at) = deadline(m).filter(|&at| at <= t0 + end) {
        let mut out = Vec::new();
        fire(m, at, &mut out);
        log.extend(out.into_iter().map(|a| (at - t0, a)));
    }
    log
}

fn run_invite(m: &mut InviteClient, t0: Instant, end: Duration) -> Vec<(Duration, ClientAction)> {
    run(m, t0, end, InviteClient::deadline, InviteClient::on_timeout)
}

fn run_non_invite(
    m: &mut NonInviteClient,
    t0: Instant,
    end: Duration,
) -> Vec<(Duration, ClientAction)> {
    run(
        m,
        t0,
        end,
        NonInviteClient::deadline,
        NonInviteClient::on_timeout,
    )
}

#[test]
fn invite_on_udp_retransmits_with_timer_a_and_times_out_with_timer_b() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = InviteClient::start(t0, Timers::default(), false, &mut out);
    assert_eq!(out, vec![SendRequest]);
    let log = run_invite(&mut m, t0, Duration::from_secs(100));
    // Timer A doubles with no cap: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; B at 32 s.
    let expected: Vec<_> = [500, 1500, 3500, 7500, 15500, 31500]
        .into_iter()
        .map(|t| (ms(t), SendRequest))
        .chain([(ms(32000), Timeout)])
        .collect();
    assert_eq!(log, expected);
    assert!(m.is_terminated());
    assert_eq!(m.deadline(), None);
}

#[test]
fn invite_on_tcp_sends_once_and_times_out_at_64_t1() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = InviteClient::start(t0, Timers::default(), true, &mut out);
    let log = run_invite(&mut m, t0, Duration::from_secs(100));
    assert_eq!(log, vec![(ms(32000), Timeout)]);
}

#[test]
fn provisional_stops_timers_a_and_b() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = InviteClient::start(t0, Timers::default(), false, &mut out);
    out.clear();
    let log = run_invite(&mut m, t0, ms(600));
    assert_eq!(log, vec![(ms(500), SendRequest)]);
    m.on_response(t0 + ms(700), 180, &mut out);
    assert_eq!(out, vec![PassUp]);
    assert_eq!(m.state(), InviteClientState::Proceeding);
    assert!(m.may_cancel());
    // Only Timer C is left running: at 180 s it asks for a CANCEL, and the
    // INVITE gives up 64*T1 later.
    let log = run_invite(&mut m, t0, Duration::from_secs(400));
    assert_eq!(
        log,
        vec![(ms(180_700), Cancel), (ms(212_700), Timeout)],
        "{log:?}"
    );
}

#[test]
fn non_2xx_final_is_acked_and_retransmissions_reacked_until_timer_d() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = InviteClient::start(t0, Timers::default(), false, &mut out);
    out.clear();
    m.on_response(t0 + ms(100), 100, &mut out);
    m.on_response(t0 + ms(200), 486, &mut out);
    assert_eq!(out, vec![PassUp, SendAck, PassUp]);
    assert_eq!(m.state(), InviteClientState::Completed);
    out.clear();
    m.on_response(t0 + ms(700), 486, &mut out);
    assert_eq!(
        out,
        vec![SendAck],
        "a retransmitted final is re-ACKed, not passed up"
    );
    out.clear();
    m.on_response(t0 + ms(800), 200, &mut out);
    m.on_response(t0 + ms(800), 180, &mut out);
    assert!(out.is_empty());
    let log = run_invite(&mut m, t0, Duration::from_secs(100));
    assert!(log.is_empty());
    assert!(m.is_terminated(), "Timer D fired at 32.2 s");
}

#[test]
fn non_2xx_final_on_reliable_transport_terminates_at_once() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = InviteClient::start(t0, Timers::default(), true, &mut out);
    out.clear();
    m.on_response(t0, 603, &mut out);
    assert_eq!(out, vec![SendAck, PassUp]);
    assert!(m.is_terminated());
}

#[test]
fn accepted_passes_every_2xx_up_until_timer_m() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = InviteClient::start(t0, Timers::default(), false, &mut out);
    out.clear();
    m.on_response(t0 + ms(50), 200, &mut out);
    assert_eq!(m.state(), InviteClientState::Accepted);
    m.on_response(t0 + ms(550), 200, &mut out);
    m.on_response(t0 + ms(600), 486, &mut out);
    assert_eq!(
        out,
        vec![PassUp, PassUp],
        "2xx retransmissions go up, others are dropped"
    );
    let log = run_invite(&mut m, t0, ms(32_049));
    assert!(log.is_empty());
    assert!(!m.is_terminated());
    let log = run_invite(&mut m, t0, ms(32_050));
    assert!(log.is_empty());
    assert!(m.is_terminated());
}

#[test]
fn cancelled_invite_waits_64_t1_for_its_final_response() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = InviteClient::start(t0, Timers::default(), true, &mut out);
    m.on_response(t0 + ms(10), 180, &mut out);
    m.on_cancel_sent(t0 + ms(1000));
    out.clear();
    let log = run_invite(&mut m, t0, Duration::from_secs(40));
    assert_eq!(log, vec![(ms(33_000), Timeout)]);
    assert!(m.is_terminated());
}

#[test]
fn cancelled_invite_completes_normally_on_487() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = InviteClient::start(t0, Timers::default(), false, &mut out);
    m.on_response(t0, 180, &mut out);
    m.on_cancel_sent(t0);
    out.clear();
    m.on_response(t0 + ms(100), 487, &mut out);
    assert_eq!(out, vec![SendAck, PassUp]);
    let log = run_invite(&mut m, t0, Duration::from_secs(40));
    assert!(log.is_empty(), "no Timeout once the 487 arrived: {log:?}");
    assert!(m.is_terminated());
}

#[test]
fn non_invite_on_udp_follows_timer_e_and_f() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = NonInviteClient::start(t0, Timers::default(), false, &mut out);
    assert_eq!(out, vec![SendRequest]);
    let log = run_non_invite(&mut m, t0, Duration::from_secs(100));
    // Intervals 0.5, 1, 2, 4, 4, 4 ... s: sends at 0.5, 1.5, 3.5, 7.5, 11.5 ...
    let mut expected = vec![500, 1500, 3500];
    let mut t = 7500;
    while t < 32_000 {
        expected.push(t);
        t += 4000;
    }
    let mut expected: Vec<_> = expected.into_iter().map(|t| (ms(t), SendRequest)).collect();
    expected.push((ms(32_000), Timeout));
    assert_eq!(log, expected);
    assert_eq!(log.len() - 1, 10, "ten retransmissions before Timer F");
    assert!(m.is_terminated());
}

#[test]
fn non_invite_in_proceeding_retransmits_every_t2() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = NonInviteClient::start(t0, Timers::default(), false, &mut out);
    out.clear();
    m.on_response(t0 + ms(100), 100, &mut out);
    assert_eq!(out, vec![PassUp]);
    let log = run_non_invite(&mut m, t0, ms(13_000));
    // The running E fires at 0.5 s, then every T2.
    let times: Vec<_> = log.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![ms(500), ms(4500), ms(8500), ms(12_500)]);
}

#[test]
fn non_invite_final_then_timer_k() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = NonInviteClient::start(t0, Timers::default(), false, &mut out);
    out.clear();
    m.on_response(t0 + ms(100), 200, &mut out);
    m.on_response(t0 + ms(600), 200, &mut out);
    assert_eq!(out, vec![PassUp], "retransmitted final absorbed");
    assert_eq!(m.state(), NonInviteClientState::Completed);
    let log = run_non_invite(&mut m, t0, ms(5099));
    assert!(log.is_empty() && !m.is_terminated());
    run_non_invite(&mut m, t0, ms(5100));
    assert!(m.is_terminated(), "Timer K = T4 after the final");
}

#[test]
fn non_invite_on_tcp_terminates_on_final() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut m = NonInviteClient::start(t0, Timers::default(), true, &mut out);
    out.clear();
    assert_eq!(m.deadline(), Some(t0 + ms(32_000)), "only Timer F");
    m.on_response(t0, 404, &mut out);
    assert_eq!(out, vec![PassUp]);
    assert!(m.is_terminated());
}
