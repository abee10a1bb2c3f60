//! The picker's INVITE (pickup groups, [`crate::call::pickup`]): answered
//! with a media leg on the caller's worker, so that the core's bridge can
//! join them, and kept as the picker's agent leg; or refused when the core
//! says the caller no longer waits.

use super::QueueCall;
use crate::acd::AgentId;
use crate::call::agent_leg::AgentLeg;
use crate::call::flow::Input;
use crate::call::media::MediaLeg;
use crate::call::metrics::CallMetrics;
use crate::call::pickup::Refusal;
use crate::call::pickup_call;
use crate::call::signalling::answer;
use crate::media::g711::Law;
use crate::sip::dialog::Dialog;
use crate::sip::peer::Transport;
use crate::sip::tu::{DialogKey, NewCall};

impl QueueCall {
    /// Keeps the picker's INVITE until the core says what becomes of it.
    pub(super) fn hold_picker(&mut self, agent: AgentId, call: NewCall) {
        self.pickers.push((agent, call));
    }

    fn take_picker(&mut self, agent: AgentId) -> Option<NewCall> {
        let i = self.pickers.iter().position(|(a, _)| *a == agent)?;
        Some(self.pickers.swap_remove(i).1)
    }

    /// Refuses `agent`'s pickup: the caller no longer waits.
    pub(super) async fn refuse_picker(&mut self, agent: AgentId) {
        if let Some(call) = self.take_picker(agent) {
            let user = agent.to_string();
            pickup_call::refuse(&self.s, &call, &user, Refusal::Gone).await;
        }
    }

    /// Answers `agent`'s INVITE with a leg on the caller's media worker;
    /// a leg that cannot be opened is refused, and for the core the picker
    /// has hung up.
    pub(super) async fn answer_picker(&mut self, agent: AgentId) -> Option<Input> {
        let s = self.s.clone();
        let gone = Some(Input::AgentHungUp { agent });
        let NewCall {
            tx,
            request,
            from,
            local_tag,
            events: _,
            owner: _,
        } = self.take_picker(agent)?;
        let offer = String::from_utf8_lossy(&request.body).into_owned();
        let worker = self.caller.media.worker;
        let law = self.caller.media.negotiated.map(|n| n.law);
        let opened = if matches!(from.transport, Transport::Ws | Transport::Wss) {
            let law = law.unwrap_or(Law::Mu);
            MediaLeg::browser(&s, self.task.0, worker, &offer, law, &from).await
        } else {
            let laws = match law {
                Some(law) => vec![law, super::other_law(law)],
                None => vec![Law::Mu, Law::A],
            };
            MediaLeg::answer_on(&s, self.task.0, &offer, &laws, &from, Some(worker))
        };
        let (media, sdp) = match opened {
            Ok(opened) => opened,
            Err(refusal) => {
                CallMetrics::bump(&s.metrics.agent_media_refused);
                tracing::warn!(%agent, status = refusal.status, reason = %refusal.reason, "picker's media refused");
                let resp = answer(&request, refusal.status, &local_tag, None, None);
                let _ = s.core.respond(tx, resp).await;
                return gone;
            }
        };
        let contact = s.sip.contact(&from, None);
        let ok = answer(&request, 200, &local_tag, Some(&contact), Some(&sdp));
        let dialog = match Dialog::from_uas(&request, &ok) {
            Ok(d) => d,
            Err(e) => {
                tracing::info!(error = %e, "picker's INVITE cannot make a dialog");
                let resp = answer(&request, 400, &local_tag, None, None);
                let _ = s.core.respond(tx, resp).await;
                media.close(&s).await;
                return gone;
            }
        };
        let key = DialogKey {
            call_id: dialog.id.call_id.clone(),
            local_tag: dialog.id.local_tag.clone(),
        };
        // The picker's ACK, BYE and re-INVITEs come to this call from now on.
        let _ = s.core.claim(key.clone(), self.owner.clone()).await;
        let _ = s.core.respond(tx, ok).await;
        let leg = AgentLeg::from_phone(agent, self.task.0, media, dialog, from, key, &self.owner);
        self.legs.push(leg);
        None
    }
}
