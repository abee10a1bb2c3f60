//! An IVR walk that ends at an agent's extension or at an external number:
//! the caller, answered already, is connected to a leg rung for them.
//!
//! - An extension rings the agent's registered phones once dispatch holds
//!   the agent for the call, as for an agent's internal call (logged in,
//!   free, Available or in a Transferable status); an agent dispatch does
//!   not give is busy. The hold ends with the call.
//! - A number leaves through the first outbound route of the call's project
//!   that takes it. Menus are the administrator's, so no Dial Plan
//!   permission applies; the caller ID presented is the route's, else the
//!   queue's or project's, else the caller's own number.
//! - While the leg rings the caller hears the hold music. No answer within
//!   [`RING_LIMIT`], a refusal or a failure: the caller hears goodbye and is
//!   hung up.
//! - Answered: the two are bridged, and whoever hangs up first ends the
//!   other's leg.
//!
//! The record is the walk's: its IvrEvent ends with the target and how it
//! went (`extension-1001:answered`, `external-+15550199:busy`).

use tokio::time::Instant;

use super::{Ended, IvrCall};
use crate::acd::{AgentId, CallId};
use crate::call::agent_leg::{AgentLeg, Progress, Ring};
use crate::call::dial::RING_LIMIT;
use crate::call::dispatch::DispatchInput;
use crate::call::media::MediaLeg;
use crate::call::metrics::CallMetrics;
use crate::call::outbound_target::{plan, ring_out, DialFrom};
use crate::call::queue_call::{other_law, Arrival};
use crate::call::two_legs::{answer_in_dialog, HungUp};
use crate::call::{new_interaction_id, CallInput};
use crate::cdr::CallEvent;
use crate::media::g711::Law;
use crate::sip::transaction::TxId;
use crate::sip::tu::SipEvent;

/// The agent a leg to a number is filed under: none of ours.
const NOBODY: AgentId = AgentId(0);

/// Where the walk connects the caller.
pub(super) enum Target {
    Extension(String),
    Number(String),
}

/// How the connection went, as the record's IvrEvent says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Answered,
    /// Refused (busy, declined), or an agent dispatch would not give.
    Busy,
    NoAnswer,
    /// No route, no contact, no media, or every attempt failed.
    Unreachable,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Busy => "busy",
            Outcome::NoAnswer => "no-answer",
            Outcome::Unreachable => "unreachable",
        }
    }
}

/// How the ringing ended.
enum Rung {
    Answered(Box<AgentLeg>),
    Missed(Outcome),
    /// The caller hung up, or the call was lost, meanwhile.
    CallerGone(Ended),
}

impl IvrCall {
    /// Connects the caller to `target` and runs the call to its end.
    pub(super) async fn connect(&mut self, target: Target, arrival: &Arrival) {
        let s = self.s.clone();
        let (label, mut hold) = (target_label(&target), None);
        let leg = match target {
            Target::Extension(ext) => self.ring_extension(&ext, arrival, &mut hold).await,
            Target::Number(number) => self.ring_number(&number, arrival).await,
        };
        let rung = match leg {
            Ok(leg) => self.until_answered(leg).await,
            Err(outcome) => Rung::Missed(outcome),
        };
        let outcome = match &rung {
            Rung::Answered(_) => Outcome::Answered,
            Rung::Missed(o) => *o,
            Rung::CallerGone(_) => Outcome::NoAnswer,
        };
        tracing::info!(target = %label, outcome = outcome.as_str(), "IVR connection");
        self.fixed_path = Some(format!("{},{label}:{}", self.ivr.path(), outcome.as_str()));
        match rung {
            Rung::Answered(leg) => self.talk(*leg).await,
            Rung::Missed(_) => {
                CallMetrics::bump(&s.metrics.ivr_unreachable);
                self.goodbye(None).await;
            }
            Rung::CallerGone(Ended::HungUp) => self.finish(CallEvent::CallerHungUp).await,
            Rung::CallerGone(_) => self.finish(CallEvent::SystemEnded).await,
        }
        if let Some(reservation) = hold {
            let hangup = crate::acd::Event::Hangup { call: reservation };
            let _ = s.dispatch.send(DispatchInput::Acd(hangup)).await;
        }
    }

    /// Asks dispatch to hold the agent at `ext` (`hold` is the hold's id
    /// once given) and rings their phones next to the caller's media.
    async fn ring_extension(
        &mut self,
        ext: &str,
        arrival: &Arrival,
        hold: &mut Option<CallId>,
    ) -> Result<AgentLeg, Outcome> {
        let s = self.s.clone();
        let (agent, aor) = {
            let routing = s.routing.get();
            let agent = routing.agent_of(ext).ok_or(Outcome::Unreachable)?;
            let aor = routing
                .aor_of(agent)
                .ok_or(Outcome::Unreachable)?
                .to_owned();
            (agent, aor)
        };
        let reservation = CallId(new_interaction_id());
        let (reply, answer) = tokio::sync::oneshot::channel();
        let asked = s
            .dispatch
            .send(DispatchInput::StartTransfer {
                call: reservation,
                agent,
                reply,
            })
            .await
            .is_ok();
        if !(asked && answer.await.unwrap_or(false)) {
            return Err(Outcome::Busy);
        }
        *hold = Some(reservation);
        let laws = match self.call.media.negotiated {
            Some(n) => vec![n.law, other_law(n.law)],
            None => vec![Law::Mu, Law::A],
        };
        let worker = self.call.media.worker;
        let (media, sdp) =
            MediaLeg::offer_to_phone(&s, self.call.id.0, worker, &laws, &self.call.peer)
                .map_err(|_| Outcome::Unreachable)?;
        let ring = Ring {
            call: self.call.id.0,
            agent,
            aor: &aor,
            caller_number: &arrival.caller_number,
            queue_name: "",
            auto_answer: false,
            owner: &self.call.owner,
        };
        match AgentLeg::ring(&s, ring, media, sdp).await {
            Ok(leg) => Ok(leg),
            Err(media) => {
                media.close(&s).await;
                Err(Outcome::Unreachable)
            }
        }
    }

    /// Dials `number` through the project's outbound routes.
    async fn ring_number(&mut self, number: &str, arrival: &Arrival) -> Result<AgentLeg, Outcome> {
        let s = self.s.clone();
        let routing = s.routing.get();
        let project = routing
            .project_of_number(&arrival.dialled)
            .ok_or(Outcome::Unreachable)?;
        let planned = plan(&routing, project, number, None, |_| true).await;
        drop(routing);
        let planned = planned.map_err(|why| {
            tracing::info!(%number, ?why, "IVR number not reachable through the outbound routes");
            Outcome::Unreachable
        })?;
        let from = DialFrom {
            call: self.call.id.0,
            agent: NOBODY,
            number: &arrival.caller_number,
            media: &self.call.media,
            owner: &self.call.owner,
        };
        ring_out(&s, &planned, from)
            .await
            .ok_or(Outcome::Unreachable)
    }

    /// Plays the hold music until `leg` answers, fails or rings too long.
    async fn until_answered(&mut self, mut leg: AgentLeg) -> Rung {
        let s = self.s.clone();
        if let Some(music) = s.library.get("music/hold") {
            self.call.media.play_music(&s, music.clone()).await;
        }
        let deadline = Instant::now() + RING_LIMIT;
        let mut status = 0;
        loop {
            let progress = tokio::select! {
                event = self.call.events.recv() => match event {
                    Some(SipEvent::Response { tx, response }) if leg.owns(tx) => {
                        if response.status >= 300 {
                            status = response.status;
                        }
                        leg.on_response(&s, tx, &response).await
                    }
                    Some(SipEvent::Timeout { tx } | SipEvent::TransportError { tx: TxId::Client(tx) })
                        if leg.owns(tx) =>
                    {
                        leg.on_failure(tx)
                    }
                    Some(event) => match self.in_call(event, &mut leg).await {
                        Some(gone) => {
                            leg.hang_up(&s).await;
                            leg.close(&s).await;
                            return gone;
                        }
                        None => Progress::Nothing,
                    },
                    None => {
                        leg.hang_up(&s).await;
                        leg.close(&s).await;
                        return Rung::CallerGone(Ended::Lost);
                    }
                },
                input = self.call.inputs.recv() => match input {
                    Some(_) => Progress::Nothing,
                    None => Progress::Failed,
                },
                _ = tokio::time::sleep_until(deadline) => {
                    leg.hang_up(&s).await;
                    leg.close(&s).await;
                    return Rung::Missed(Outcome::NoAnswer);
                }
            };
            match progress {
                Progress::Nothing => {}
                Progress::Answered => {
                    self.call.media.stop_playback(&s).await;
                    self.call.media.bridge(&s, &leg.media).await;
                    return Rung::Answered(Box::new(leg));
                }
                Progress::Rejected | Progress::BadAnswer | Progress::Failed => {
                    leg.close(&s).await;
                    let busy = progress == Progress::Rejected || matches!(status, 486 | 600 | 603);
                    return Rung::Missed(if busy {
                        Outcome::Busy
                    } else {
                        Outcome::Unreachable
                    });
                }
            }
        }
    }

    /// The caller and the answered `leg` talk until one of them hangs up.
    async fn talk(&mut self, mut leg: AgentLeg) {
        let s = self.s.clone();
        loop {
            tokio::select! {
                event = self.call.events.recv() => match event {
                    Some(SipEvent::Response { tx, response }) if leg.owns(tx) => {
                        // A 2xx retransmission is ACKed again.
                        let _ = leg.on_response(&s, tx, &response).await;
                    }
                    Some(event) => match self.in_call(event, &mut leg).await {
                        Some(Rung::CallerGone(why)) => {
                            self.call.media.unbridge(&s).await;
                            leg.hang_up(&s).await;
                            leg.close(&s).await;
                            let why = match why {
                                Ended::HungUp => CallEvent::CallerHungUp,
                                _ => CallEvent::SystemEnded,
                            };
                            return self.finish(why).await;
                        }
                        Some(_) => {
                            // The far end hung up: their dialog is over.
                            self.call.media.unbridge(&s).await;
                            leg.answered = None;
                            leg.close(&s).await;
                            return self.hang_up_caller().await;
                        }
                        None => {}
                    },
                    None => {
                        leg.hang_up(&s).await;
                        leg.close(&s).await;
                        return self.finish(CallEvent::SystemEnded).await;
                    }
                },
                input = self.call.inputs.recv() => {
                    if input.is_none() {
                        leg.hang_up(&s).await;
                        leg.close(&s).await;
                        return self.finish(CallEvent::SystemEnded).await;
                    }
                    // Keys and prompt ends mean nothing while they talk.
                    let _: Option<(CallId, CallInput)> = input;
                }
            }
        }
    }

    /// A SIP event of the caller's dialog or `leg`'s: the caller's go to
    /// the walk's handling (their BYE or CANCEL ends the call:
    /// `CallerGone`); the leg's are answered here (their BYE: `Missed`).
    async fn in_call(&mut self, event: SipEvent, leg: &mut AgentLeg) -> Option<Rung> {
        match event {
            SipEvent::Request { tx, request, from } if !self.is_callers(&request) => {
                let s = self.s.clone();
                match answer_in_dialog(&s, tx, request, from, Some(leg), None).await {
                    Some(HungUp::Agent | HungUp::Other) => Some(Rung::Missed(Outcome::Answered)),
                    None => None,
                }
            }
            event => match self.on_sip(event).await {
                Some(Ended::Left(_)) | None => None,
                Some(gone) => Some(Rung::CallerGone(gone)),
            },
        }
    }
}

fn target_label(target: &Target) -> String {
    match target {
        Target::Extension(ext) => format!("extension-{ext}"),
        Target::Number(number) => format!("external-{number}"),
    }
}
