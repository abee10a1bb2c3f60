//! Pickup (pickup groups): a colleague's phone takes the caller while an
//! agent's phone rings with them. The dispatch core has already handed the
//! interaction to the picker ([`acd::Event::OfferPickedUp`]): it cancels the
//! ringing phones itself and its notices name the picker in the record. The
//! core here only moves the caller over: every agent leg still ringing is
//! hung up, the picker's INVITE is answered and bridged at once. A caller
//! who is no longer waiting (hung up, sent on) refuses it.

use super::*;

impl CallFlow {
    /// `agent` picked up the offer of record `call`; their INVITE waits for
    /// [`Action::AnswerPickup`] or [`Action::RefusePickup`].
    pub(super) fn picked_up(&mut self, call: CallId, agent: AgentId) {
        let waiting = matches!(
            self.phase,
            Phase::Waiting | Phase::Exiting | Phase::AskingCallback(_)
        );
        if call != self.id || !waiting {
            tracing::info!(%agent, "pickup of a caller who no longer waits: refused");
            self.push(Action::RefusePickup { agent });
            return;
        }
        // The picker's own phone may be among those ringing (every agent
        // rung at once): that leg goes too, before theirs is answered.
        for ring in std::mem::take(&mut self.ringing) {
            self.push(Action::HangUpAgent { agent: ring.agent });
        }
        self.count(Count::Pickups);
        self.phase = Phase::Connected(agent);
        self.agent = Some(Answered {
            agent,
            beeping: false,
            direct: false,
        });
        self.push(Action::AnswerPickup { agent });
        self.bridge(agent);
    }
}
