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
                // Section 16.6: Timer C starts with the first provisional and
                // is reset by every one but 100.
                let restart = status > 100 || self.timer_c.is_none();
                if self.cancel_wait.is_none() && restart {
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
    /// Ends the transaction at once (a transport error, section 17.1.4).
    pub fn abort(&mut self) {
        match self {
            ClientMachine::Invite(m) => m.terminate(),
            ClientMachine::NonInvite(m) => m.terminate(),
        }
    }

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
#[path = "client_tests.rs"]
mod tests;
