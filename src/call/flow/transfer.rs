//! A connected agent sends the caller on (RFC 3515 REFER, or the agent
//! panel): to a queue (a new record with the transfer noted), to another
//! agent in a Transferable status (rung directly; no answer puts the caller
//! back in the queue), or to the agent the transferring agent consulted (an
//! attended transfer, RFC 5589 section 7). The agent's part then ends and
//! their after-call work starts. A number outside is [`super::external`]'s.

use super::*;

impl CallFlow {
    /// The connected agent sends the caller on.
    pub(super) fn transfer(&mut self, now: Millis, agent: AgentId, to: TransferTo, next: CallId) {
        let reserved = matches!(
            to,
            TransferTo::Agent { accepted: true, .. } | TransferTo::Consulted { .. }
        );
        let refusal = if self.connected_agent() != Some(agent) || self.external.is_some() {
            Some(TransferVerdict::NotNow)
        } else {
            match &to {
                TransferTo::Unknown => Some(TransferVerdict::NotFound),
                TransferTo::ExternalNotAllowed => Some(TransferVerdict::Forbidden),
                TransferTo::NoConsultation => Some(TransferVerdict::NoDialog),
                TransferTo::Consulted { agent: to } if *to == agent => {
                    Some(TransferVerdict::Forbidden)
                }
                TransferTo::Agent {
                    accepted: false, ..
                } => Some(TransferVerdict::Forbidden),
                TransferTo::Agent { agent: to, .. } if *to == agent => {
                    Some(TransferVerdict::Forbidden)
                }
                _ => None,
            }
        };
        if let Some(verdict) = refusal {
            match to {
                TransferTo::Consulted { agent: to } if self.connected_agent() != Some(to) => {
                    // The consulted agent's leg was taken over for nothing:
                    // the consultation is over either way.
                    self.push(Action::HangUpAgent { agent: to });
                }
                _ => {}
            }
            if reserved {
                // Dispatch reserved the target agent for a transfer that
                // will not happen: free them.
                self.dispatch(acd::Event::Hangup { call: next });
            }
            self.count(Count::TransfersRefused);
            self.push(Action::TransferVerdict(verdict));
            return;
        }
        match to {
            TransferTo::Unknown | TransferTo::NoConsultation | TransferTo::ExternalNotAllowed => {}
            TransferTo::External { number } => self.start_external(now, agent, number),
            TransferTo::Queue(queue) => {
                self.transfer_out(now, queue.id.to_string(), next, TransferType::Blind);
                self.enter_queue(now, queue, RecordWrite::Checkpoint);
            }
            TransferTo::Agent { agent: to, aor, .. } => {
                self.transfer_out(now, to.to_string(), next, TransferType::Blind);
                // The new record is the queue's, answered by the agent the
                // transfer went to; the caller hears the music while it rings.
                let queue = self.queue.clone();
                self.note(now, CallEvent::entered_queue(&queue.config));
                self.note(now, CallEvent::Offered { agent: to });
                self.write(RecordWrite::Checkpoint);
                self.push(Action::PlayHoldMusic { queue });
                self.phase = Phase::Transferring(to);
                self.ring_deadline = Some(now + self.queue.config.agent_timeout);
                self.ringing.push(Ringing {
                    agent: to,
                    auto_answer: false,
                });
                self.push(Action::Ring {
                    agent: to,
                    aor,
                    auto_answer: false,
                });
            }
            TransferTo::Consulted { agent: to } => {
                self.transfer_out(now, to.to_string(), next, TransferType::Attended);
                // The new record is the queue's, answered by the consulted
                // agent at once: they are talking already.
                let queue = self.queue.clone();
                self.note(now, CallEvent::entered_queue(&queue.config));
                self.note(now, CallEvent::Offered { agent: to });
                self.note(now, CallEvent::AgentAnswered { agent: to });
                self.write(RecordWrite::Checkpoint);
                self.phase = Phase::Connected(to);
                self.agent = Some(Answered {
                    agent: to,
                    beeping: false,
                    direct: true,
                });
                self.bridge(to);
            }
        }
    }

    /// The transferring agent's part ends: their leg is hung up, their record
    /// notes the transfer and waits for their after-call work, and a new
    /// record starts for the caller under `next`.
    pub(super) fn transfer_out(
        &mut self,
        now: Millis,
        target: String,
        next: CallId,
        kind: TransferType,
    ) {
        self.count(Count::Transfers);
        self.push(Action::TransferVerdict(TransferVerdict::Accepted));
        let direct = self.agent.is_some_and(|a| a.direct);
        self.note(now, CallEvent::Transferred { target, kind });
        self.note(now, CallEvent::AgentHungUp);
        if direct {
            self.note(now, CallEvent::AcwEnded);
        }
        self.drop_agents();
        self.dispatch(acd::Event::Hangup { call: self.id });
        let acw = self.queue.config.after_call_work;
        self.next_record(now, next, Some(acw));
    }

    /// The agent a transfer rang did not take it: the caller waits in the
    /// queue for anyone, under the same record.
    pub(super) fn transfer_missed(&mut self, now: Millis, agent: AgentId) {
        self.ring_deadline = None;
        self.ringing.retain(|r| r.agent != agent);
        self.note(now, CallEvent::OfferMissed { agent });
        // Dispatch ends the transfer, then queues the call like any other.
        self.dispatch(acd::Event::Hangup { call: self.id });
        self.phase = Phase::Waiting;
        self.queued_at = now;
        self.dispatch(acd::Event::CallArrived {
            call: self.id,
            queue: self.queue.id,
        });
    }
}
