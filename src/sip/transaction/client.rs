//! Client transaction state machines: INVITE (RFC 3261 section 17.1.1,
//! figure 5, with the Accepted state of RFC 6026 section 7.2) and non-INVITE
//! (section 17.1.2, figure 6).
//!
//! The machines know nothing of messages or sockets. They are told the status
//! code of each response that matched them (section 17.1.3 matching is done by
//! the layer) and the current time, and answer with [`ClientAction`]s that the
//! layer turns into transmissions and events: "send the request again", "send
//! the ACK", "pass this response up", "tell the TU it timed out". A machine that
//! reaches Terminated is removed by the layer at once.

use std::time::Instant;

use super::timer::{earliest, Backoff, Timers};

/// What a client machine asks the layer to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAction {
    /// Transmit the request (first time or Timer A / E retransmission).
    SendRequest,
    /// Transmit the ACK for the non-2xx final response (section 17.1.1.3).
    SendAck,
    /// Pass the response in hand up to the TU.
    PassUp,
    /// Timer B or F fired, or a cancelled INVITE got no final response in
    /// 64*T1 (section 9.1): tell the TU.
    Timeout,
    /// Timer C fired in Proceeding: send a CANCEL for this INVITE.
    Cancel,
}

/// States of the INVITE client transaction (figure 5 and RFC 6026 figure 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteClientState {
    Calling,
    Proceeding,
    Completed,
    Accepted,
    Terminated,
}

/// States of the non-INVITE client transaction (figure 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonInviteClientState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

/// The INVITE client transaction.
#[derive(Debug, Clone)]
pub(crate) struct InviteClient {
    state: InviteClientState,
    timers: Timers,
    reliable: bool,
    timer_a: Option<Backoff>,
    timer_b: Option<Instant>,
    timer_c: Option<Instant>,
    timer_d: Option<Instant>,
    timer_m: Option<Instant>,
    /// Section 9.1: once a CANCEL is sent, give up on a final response after
    /// 64*T1.
    cancel_wait: Option<Instant>,
}

impl InviteClient {
    /// Enters Calling and sends the INVITE: Timer A (unreliable only) and
    /// Timer B start.
    pub fn start(
        now: Instant,
        timers: Timers,
        reliable: bool,
        out: &mut Vec<ClientAction>,
    ) -> Self {
        out.push(ClientAction::SendRequest);
        InviteClient {
            state: InviteClientState::Calling,
            timers,
            reliable,
            timer_a: (!reliable).then(|| Backoff::start(now, timers.t1, None)),
            timer_b: Some(now + timers.t1x64()),
            timer_c: None,
            timer_d: None,
            timer_m: None,
            cancel_wait: None,
        }
    }

    pub fn state(&self) -> InviteClientState {
        self.state
    }

    pub fn is_terminated(&self) -> bool {
        self.state == InviteClientState::Terminated
    }

    /// True once a provisional response has arrived and no final one yet: the
    /// only time a CANCEL may be sent (section 9.1).
    pub fn may_cancel(&self) -> bool {
        self.state == InviteClientState::Proceeding
    }

    /// True while no final response has arrived.
    pub fn is_pending(&self) -> bool {
        matches!(
            self.state,
            InviteClientState::Calling | InviteClientState::Proceeding
        )
    }

    /// A response with this status matched the transaction.
    pub fn on_response(&mut self, now: Instant, status: u16, out: &mut Vec<ClientAction>) {
        use InviteClientState::*;
        match (self.state, status) {
            (Calling | Proceeding, 100..=199) => {
                self.state = Proceeding;
                self.timer_a = None;
                self.timer_b = None;
                if self.cancel_wait.is_none() {
                    self.timer_c = Some(now + self.timers.c);
                }
                out.push(ClientAction::PassUp);
            }
            (Calling | Proceeding, 200..=299) => {
                self.clear_running();
                self.state = Accepted;
                self.timer_m = Some(now + self.timers.t1x64());
                out.push(ClientAction::PassUp);
            }
            (Accepted, 200..=299) => out.push(ClientAction::PassUp),
            (Calling | Proceeding, 300..=699) => {
                self.clear_running();
                out.push(ClientAction::SendAck);
                out.push(ClientAction::PassUp);
                if self.reliable {
                    self.state = Terminated;
                } else {
                    self.state = Completed;
                    self.timer_d = Some(now + self.timers.timer_d());
                }
            }
            (Completed, 300..=699) => out.push(ClientAction::SendAck),
            _ => {}
        }
    }

    /// The layer sent a CANCEL for this INVITE: stop Timer C and wait at most
    /// 64*T1 more for the final response.
    pub fn on_cancel_sent(&mut self, now: Instant) {
        if self.is_pending() && self.cancel_wait.is_none() {
            self.timer_c = None;
            self.cancel_wait = Some(now + self.timers.t1x64());
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        earliest([
            self.timer_a.map(|a| a.at),
            self.timer_b,
            self.timer_c,
            self.timer_d,
            self.timer_m,
            self.cancel_wait,
        ])
    }

    /// Fires every timer due at `now`, in time order.
    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<ClientAction>) {
        while let Some(at) = self.deadline().filter(|&at| at <= now) {
            if self.timer_a.is_some_and(|a| a.at == at) {
                out.push(ClientAction::SendRequest);
                if let Some(a) = self.timer_a.as_mut() {
                    a.advance();
                }
            } else if self.timer_b == Some(at) || self.cancel_wait == Some(at) {
                out.push(ClientAction::Timeout);
                self.terminate();
            } else if self.timer_c == Some(at) {
                out.push(ClientAction::Cancel);
                self.timer_c = None;
                self.cancel_wait = Some(at + self.timers.t1x64());
            } else {
                // Timer D (Completed) or Timer M (Accepted).
                self.terminate();
            }
        }
    }

    fn clear_running(&mut self) {
        self.timer_a = None;
        self.timer_b = None;
        self.timer_c = None;
        self.cancel_wait = None;
    }

    fn terminate(&mut self) {
        self.clear_running();
        self.timer_d = None;
        self.timer_m = None;
        self.state = InviteClientState::Terminated;
    }
}

/// The non-INVITE client transaction.
#[derive(Debug, Clone)]
pub(crate) struct NonInviteClient {
    state: NonInviteClientState,
    timers: Timers,
    reliable: bool,
    timer_e: Option<Backoff>,
    timer_f: Option<Instant>,
    timer_k: Option<Instant>,
}

impl NonInviteClient {
    /// Enters Trying and sends the request: Timer E (unreliable only) and
    /// Timer F start.
    pub fn start(
        now: Instant,
        timers: Timers,
        reliable: bool,
        out: &mut Vec<ClientAction>,
    ) -> Self {
        out.push(ClientAction::SendRequest);
        NonInviteClient {
            state: NonInviteClientState::Trying,
            timers,
            reliable,
            timer_e: (!reliable).then(|| Backoff::start(now, timers.t1, Some(timers.t2))),
            timer_f: Some(now + timers.t1x64()),
            timer_k: None,
        }
    }

    pub fn state(&self) -> NonInviteClientState {
        self.state
    }

    pub fn is_terminated(&self) -> bool {
        self.state == NonInviteClientState::Terminated
    }

    pub fn on_response(&mut self, now: Instant, status: u16, out: &mut Vec<ClientAction>) {
        use NonInviteClientState::*;
        match (self.state, status) {
            (Trying | Proceeding, 100..=199) => {
                self.state = Proceeding;
                out.push(ClientAction::PassUp);
            }
            (Trying | Proceeding, 200..=699) => {
                self.timer_e = None;
                self.timer_f = None;
                out.push(ClientAction::PassUp);
                if self.reliable {
                    self.state = Terminated;
                } else {
                    self.state = Completed;
                    self.timer_k = Some(now + self.timers.t4);
                }
            }
            _ => {}
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        earliest([self.timer_e.map(|e| e.at), self.timer_f, self.timer_k])
    }

    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<ClientAction>) {
        while let Some(at) = self.deadline().filter(|&at| at <= now) {
            if self.timer_e.is_some_and(|e| e.at == at) {
                out.push(ClientAction::SendRequest);
                let proceeding = self.state == NonInviteClientState::Proceeding;
                let t2 = self.timers.t2;
                if let Some(e) = self.timer_e.as_mut() {
                    if proceeding {
                        e.advance_by(t2);
                    } else {
                        e.advance();
                    }
                }
            } else if self.timer_f == Some(at) {
                out.push(ClientAction::Timeout);
                self.terminate();
            } else {
                // Timer K.
                self.terminate();
            }
        }
    }

    fn terminate(&mut self) {
        self.timer_e = None;
        self.timer_f = None;
        self.timer_k = None;
        self.state = NonInviteClientState::Terminated;
    }
}

/// Either client machine, so the layer can hold them in one table.
#[derive(Debug, Clone)]
pub(crate) enum ClientMachine {
    Invite(InviteClient),
    NonInvite(NonInviteClient),
}

/// The state of a client transaction, for inspection and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    Invite(InviteClientState),
    NonInvite(NonInviteClientState),
}

impl ClientMachine {
    pub fn state(&self) -> ClientState {
        match self {
            ClientMachine::Invite(m) => ClientState::Invite(m.state()),
            ClientMachine::NonInvite(m) => ClientState::NonInvite(m.state()),
        }
    }

    pub fn on_response(&mut self, now: Instant, status: u16, out: &mut Vec<ClientAction>) {
        match self {
            ClientMachine::Invite(m) => m.on_response(now, status, out),
            ClientMachine::NonInvite(m) => m.on_response(now, status, out),
        }
    }

    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<ClientAction>) {
        match self {
            ClientMachine::Invite(m) => m.on_timeout(now, out),
            ClientMachine::NonInvite(m) => m.on_timeout(now, out),
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        match self {
            ClientMachine::Invite(m) => m.deadline(),
            ClientMachine::NonInvite(m) => m.deadline(),
        }
    }

    pub fn is_terminated(&self) -> bool {
        match self {
            ClientMachine::Invite(m) => m.is_terminated(),
            ClientMachine::NonInvite(m) => m.is_terminated(),
        }
    }
}

#[cfg(test)]
mod tests {
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

    fn run_invite(
        m: &mut InviteClient,
        t0: Instant,
        end: Duration,
    ) -> Vec<(Duration, ClientAction)> {
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
}
