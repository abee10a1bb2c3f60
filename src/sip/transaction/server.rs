//! Server transaction state machines: INVITE (RFC 3261 section 17.2.1,
//! figure 7, with the Accepted state of RFC 6026 section 7.1) and non-INVITE
//! (section 17.2.2, figure 8).
//!
//! Like the client machines they see no messages: the layer tells them that a
//! retransmission of their request arrived, that the TU passed a response with
//! some status, that an ACK matched, or that time passed, and they answer with
//! [`ServerAction`]s. The layer keeps the bytes of the last response sent, which
//! is what `SendResponse` retransmits.
//!
//! One deliberate extension of RFC 3261: the INVITE server transaction itself
//! retransmits a 2xx (section 13.3.1.4 gives that job to the UAS core) from the
//! RFC 6026 Accepted state, with the Timer G schedule (T1 doubling to T2), until
//! the ACK arrives or Timer L (64*T1) fires. Like section 13.3.1.4 it does so
//! on every transport: a reliable first hop does not make the path to the UAC
//! reliable.

use std::time::Instant;

use super::timer::{earliest, Backoff, Timers};

/// What a server machine asks the layer to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServerAction {
    /// Transmit the last response the TU passed (again).
    SendResponse,
    /// Timer H fired with no ACK for a non-2xx, or Timer L with no ACK for a 2xx.
    Timeout,
}

/// States of the INVITE server transaction (figure 7 and RFC 6026 figure 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteServerState {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}

/// States of the non-INVITE server transaction (figure 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonInviteServerState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

/// The INVITE server transaction.
#[derive(Debug, Clone)]
pub(crate) struct InviteServer {
    state: InviteServerState,
    timers: Timers,
    reliable: bool,
    /// A provisional response has been sent (so a retransmitted INVITE in
    /// Proceeding is answered with it).
    has_response: bool,
    timer_g: Option<Backoff>,
    timer_h: Option<Instant>,
    timer_i: Option<Instant>,
    timer_l: Option<Instant>,
    /// 2xx retransmission in Accepted, until the ACK.
    timer_2xx: Option<Backoff>,
    acked: bool,
}

impl InviteServer {
    /// Enters Proceeding. The layer passes the request to the TU and answers
    /// 100 Trying through [`InviteServer::on_tu_response`].
    pub fn new(timers: Timers, reliable: bool) -> Self {
        InviteServer {
            state: InviteServerState::Proceeding,
            timers,
            reliable,
            has_response: false,
            timer_g: None,
            timer_h: None,
            timer_i: None,
            timer_l: None,
            timer_2xx: None,
            acked: false,
        }
    }

    pub fn state(&self) -> InviteServerState {
        self.state
    }

    pub fn is_terminated(&self) -> bool {
        self.state == InviteServerState::Terminated
    }

    /// No final response has been sent yet: a CANCEL still has an effect.
    pub fn is_pending(&self) -> bool {
        self.state == InviteServerState::Proceeding
    }

    /// A retransmission of the INVITE matched.
    pub fn on_request(&mut self, out: &mut Vec<ServerAction>) {
        match self.state {
            InviteServerState::Proceeding if self.has_response => {
                out.push(ServerAction::SendResponse)
            }
            InviteServerState::Completed | InviteServerState::Accepted => {
                out.push(ServerAction::SendResponse)
            }
            _ => {}
        }
    }

    /// The TU passed a response. Returns false when the machine discards it
    /// (a second final response, or anything after Completed); the layer then
    /// keeps the previous one as "last response".
    pub fn on_tu_response(
        &mut self,
        now: Instant,
        status: u16,
        out: &mut Vec<ServerAction>,
    ) -> bool {
        use InviteServerState::*;
        match (self.state, status) {
            (Proceeding, 100..=199) => {
                self.has_response = true;
            }
            (Proceeding, 200..=299) => {
                self.state = Accepted;
                self.timer_2xx = Some(Backoff::start(now, self.timers.t1, Some(self.timers.t2)));
                self.timer_l = Some(now + self.timers.t1x64());
            }
            (Accepted, 200..=299) => {}
            (Proceeding, 300..=699) => {
                self.state = Completed;
                if !self.reliable {
                    self.timer_g = Some(Backoff::start(now, self.timers.t1, Some(self.timers.t2)));
                }
                self.timer_h = Some(now + self.timers.t1x64());
            }
            _ => return false,
        }
        out.push(ServerAction::SendResponse);
        true
    }

    /// An ACK matched: in Completed it is the ACK for our non-2xx (absorbed,
    /// Confirmed); in Accepted it acknowledges our 2xx (2xx retransmission
    /// stops). Returns true when the ACK is for a 2xx and belongs to the TU.
    pub fn on_ack(&mut self, now: Instant) -> bool {
        match self.state {
            InviteServerState::Completed => {
                self.timer_g = None;
                self.timer_h = None;
                if self.reliable {
                    self.state = InviteServerState::Terminated;
                } else {
                    self.state = InviteServerState::Confirmed;
                    self.timer_i = Some(now + self.timers.t4);
                }
                false
            }
            InviteServerState::Accepted => {
                self.acked = true;
                self.timer_2xx = None;
                true
            }
            _ => false,
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        earliest([
            self.timer_g.map(|g| g.at),
            self.timer_h,
            self.timer_i,
            self.timer_l,
            self.timer_2xx.map(|g| g.at),
        ])
    }

    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<ServerAction>) {
        while let Some(at) = self.deadline().filter(|&at| at <= now) {
            if let Some(g) = self.timer_g.as_mut().filter(|g| g.at == at) {
                g.advance();
                out.push(ServerAction::SendResponse);
            } else if let Some(g) = self.timer_2xx.as_mut().filter(|g| g.at == at) {
                g.advance();
                out.push(ServerAction::SendResponse);
            } else if self.timer_h == Some(at) {
                out.push(ServerAction::Timeout);
                self.terminate();
            } else if self.timer_l == Some(at) {
                if !self.acked {
                    out.push(ServerAction::Timeout);
                }
                self.terminate();
            } else {
                // Timer I.
                self.terminate();
            }
        }
    }

    fn terminate(&mut self) {
        self.timer_g = None;
        self.timer_h = None;
        self.timer_i = None;
        self.timer_l = None;
        self.timer_2xx = None;
        self.state = InviteServerState::Terminated;
    }
}

/// The non-INVITE server transaction.
#[derive(Debug, Clone)]
pub(crate) struct NonInviteServer {
    state: NonInviteServerState,
    timers: Timers,
    reliable: bool,
    timer_j: Option<Instant>,
}

impl NonInviteServer {
    /// Enters Trying; the layer passes the request to the TU.
    pub fn new(timers: Timers, reliable: bool) -> Self {
        NonInviteServer {
            state: NonInviteServerState::Trying,
            timers,
            reliable,
            timer_j: None,
        }
    }

    pub fn state(&self) -> NonInviteServerState {
        self.state
    }

    pub fn is_terminated(&self) -> bool {
        self.state == NonInviteServerState::Terminated
    }

    /// A retransmission of the request matched: discarded in Trying, answered
    /// with the last response otherwise.
    pub fn on_request(&mut self, out: &mut Vec<ServerAction>) {
        if matches!(
            self.state,
            NonInviteServerState::Proceeding | NonInviteServerState::Completed
        ) {
            out.push(ServerAction::SendResponse);
        }
    }

    pub fn on_tu_response(
        &mut self,
        now: Instant,
        status: u16,
        out: &mut Vec<ServerAction>,
    ) -> bool {
        use NonInviteServerState::*;
        match (self.state, status) {
            (Trying | Proceeding, 100..=199) => self.state = Proceeding,
            (Trying | Proceeding, 200..=699) => {
                if self.reliable {
                    self.state = Terminated;
                } else {
                    self.state = Completed;
                    self.timer_j = Some(now + self.timers.t1x64());
                }
            }
            _ => return false,
        }
        out.push(ServerAction::SendResponse);
        true
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.timer_j
    }

    pub fn on_timeout(&mut self, now: Instant, _out: &mut Vec<ServerAction>) {
        if self.timer_j.is_some_and(|j| j <= now) {
            self.timer_j = None;
            self.state = NonInviteServerState::Terminated;
        }
    }
}

/// Either server machine, so the layer can hold them in one table.
#[derive(Debug, Clone)]
pub(crate) enum ServerMachine {
    Invite(InviteServer),
    NonInvite(NonInviteServer),
}

/// The state of a server transaction, for inspection and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    Invite(InviteServerState),
    NonInvite(NonInviteServerState),
}

impl ServerMachine {
    /// Ends the transaction at once (a transport error, section 17.2.4).
    pub fn abort(&mut self) {
        match self {
            ServerMachine::Invite(m) => m.terminate(),
            ServerMachine::NonInvite(m) => {
                m.timer_j = None;
                m.state = NonInviteServerState::Terminated;
            }
        }
    }

    pub fn state(&self) -> ServerState {
        match self {
            ServerMachine::Invite(m) => ServerState::Invite(m.state()),
            ServerMachine::NonInvite(m) => ServerState::NonInvite(m.state()),
        }
    }

    pub fn on_request(&mut self, out: &mut Vec<ServerAction>) {
        match self {
            ServerMachine::Invite(m) => m.on_request(out),
            ServerMachine::NonInvite(m) => m.on_request(out),
        }
    }

    pub fn on_tu_response(
        &mut self,
        now: Instant,
        status: u16,
        out: &mut Vec<ServerAction>,
    ) -> bool {
        match self {
            ServerMachine::Invite(m) => m.on_tu_response(now, status, out),
            ServerMachine::NonInvite(m) => m.on_tu_response(now, status, out),
        }
    }

    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<ServerAction>) {
        match self {
            ServerMachine::Invite(m) => m.on_timeout(now, out),
            ServerMachine::NonInvite(m) => m.on_timeout(now, out),
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        match self {
            ServerMachine::Invite(m) => m.deadline(),
            ServerMachine::NonInvite(m) => m.deadline(),
        }
    }

    pub fn is_terminated(&self) -> bool {
        match self {
            ServerMachine::Invite(m) => m.is_terminated(),
            ServerMachine::NonInvite(m) => m.is_terminated(),
        }
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
