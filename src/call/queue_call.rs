//! The queue call's task: the thin shell around the call core
//! ([`CallFlow`]) for one inbound call, from the answer to its completed
//! interaction records.
//!
//! The caller is answered at once (200 with our SDP answer). From then on
//! the task only translates: SIP events (matched to the caller's dialog or
//! to an agent leg), the dispatch core's inputs and media events become the
//! core's inputs; the core's actions become SIP requests and responses,
//! media commands, dispatch events and record writes. Every rule of the call
//! lives in the core, where it is tested without sockets or clocks.
//!
//! A transfer request (REFER from the connected agent's phone, RFC 3515, or
//! the agent panel) is resolved here, since that needs the routing snapshot
//! and the dispatch core's word on the target agent; the core decides what
//! it means for the call. A REFER the core accepts gets 202 and a final
//! NOTIFY of 200 (the caller has been taken over); one it refuses gets its
//! final error at once. A REFER whose Refer-To carries Replaces (attended
//! transfer, [`super::consult`]) takes the consulted agent's leg from the
//! internal call it names; when there is no such call it still gets 202, and
//! its NOTIFY says 481 (what an INVITE with that Replaces would have got),
//! since a 481 to the REFER itself would tell the phone that the caller's
//! dialog is gone (RFC 5057 section 5.1). A transfer to an external number
//! ([`external`]) gets 202 and a NOTIFY of 100 Trying at once, and its final
//! NOTIFY when the number answered (200) or failed (its status).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::Instrument;

use crate::acd::{AgentId, CallId};
use crate::cdr::{self, CallEvent};
use crate::media::g711::Law;
use crate::media::player::PlayerEvent;
use crate::media::worker::MediaEvent;
use crate::sip::dialog::Dialog;
use crate::sip::message::{Method, Request, Response};
use crate::sip::peer::Peer;
use crate::sip::transaction::ServerTxId;
use crate::sip::tu::{NewCall, Owner, SipEvent};

mod external;
mod monitor;
mod pickup;
mod playback;
mod sip;
mod transfer;
mod voicemail;

use super::agent_leg::{AgentLeg, Ring};
use super::dispatch::DispatchInput;
use super::flow::{
    Action, CallFlow, Count, Input, Playback, RecordVerdict, TransferTo, TransferVerdict,
};
use super::media::MediaLeg;
use super::metrics::CallMetrics;
use super::now;
use super::routing::QueueInfo;
use super::signalling::{answer, in_dialog};
use super::{new_interaction_id, sleep_until, CallInput, Services};

/// What admission learnt about the call.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub caller_number: String,
    pub dialled: String,
    /// The laws the caller's side may use, in its order of preference.
    pub laws: Vec<Law>,
    pub trunk: Option<String>,
}

struct Caller {
    peer: Peer,
    dialog: Dialog,
    media: MediaLeg,
}

/// Who waits for the answer to a transfer request.
enum Transferor {
    /// A REFER from the agent's phone, not answered yet.
    Refer {
        tx: ServerTxId,
        request: Box<Request>,
    },
    /// The agent panel.
    Panel(oneshot::Sender<TransferVerdict>),
    /// A REFER answered with 202, whose final NOTIFY is still to come.
    Accepted { request: Box<Request> },
}

struct QueueCall {
    s: Arc<Services>,
    /// The id the task was started under: its media legs are filed under it.
    task: CallId,
    owner: Owner,
    sip: mpsc::Receiver<SipEvent>,
    inputs: mpsc::Receiver<(CallId, CallInput)>,
    inputs_tx: mpsc::Sender<(CallId, CallInput)>,
    caller: Caller,
    arrival: Arrival,
    /// Agent legs, ringing or answered.
    legs: Vec<AgentLeg>,
    flow: CallFlow,
    /// Record ids this task answers for, besides `task`.
    ids: Vec<CallId>,
    transferor: Option<Transferor>,
    /// How the external number of a transfer leaves, once resolved.
    external_plan: Option<crate::call::outbound_target::TrunkPlan>,
    /// The external party's leg of a transfer.
    external: Option<external::ExternalLeg>,
    /// The agent panel's request to record, not answered yet.
    recorder: Option<oneshot::Sender<RecordVerdict>>,
    /// A supervisor listening, whispering or barging in.
    monitor: monitor::Supervision,
    /// The caller leaving a voicemail message, after a queue timeout.
    voicemail: Option<super::voicemail::Leaving>,
    /// The IVR menu the caller goes on to once the queue's part is over.
    menu_next: Option<u64>,
    /// Pickers' INVITEs, until the core answers or refuses them.
    pickers: Vec<(AgentId, NewCall)>,
    finished: bool,
}

/// Answers the caller and runs the call to its end.
pub async fn run(s: Arc<Services>, call: NewCall, queue: Arc<QueueInfo>, arrival: Arrival) {
    if let Some(answered) = answer_caller(&s, call, &arrival, Some(&queue)).await {
        let id = answered.id;
        run_answered(s, answered, queue, arrival, None, id).await;
    }
}

/// An inbound call answered (our 200 sent), with what its task owns: the
/// caller's dialog and media, its SIP events and its inputs, registered
/// under `id`.
pub(super) struct Answered {
    pub(super) id: CallId,
    pub(super) owner: Owner,
    pub(super) events: mpsc::Receiver<SipEvent>,
    pub(super) inputs: mpsc::Receiver<(CallId, CallInput)>,
    pub(super) inputs_tx: mpsc::Sender<(CallId, CallInput)>,
    pub(super) peer: Peer,
    pub(super) dialog: Dialog,
    pub(super) media: MediaLeg,
}

/// Answers the caller: opens the media, sends 200 and registers the call.
/// `None` when the call was refused (its answer sent); a refusal for want
/// of resources is an interaction of `queue`, failed, when there is one.
pub(super) async fn answer_caller(
    s: &Arc<Services>,
    call: NewCall,
    arrival: &Arrival,
    queue: Option<&QueueInfo>,
) -> Option<Answered> {
    let NewCall {
        tx,
        request,
        from,
        local_tag,
        events,
        owner,
    } = call;
    let id = CallId(new_interaction_id());
    let (inputs_tx, inputs) = mpsc::channel(256);
    s.registry.add_call(id, inputs_tx.clone());
    s.registry.set_caller(id, &arrival.caller_number);

    let offer = String::from_utf8_lossy(&request.body).into_owned();
    let media = if offer.trim().is_empty() {
        Err(super::media::MediaRefusal {
            status: 488,
            reason: "An SDP offer is required".into(),
        })
    } else {
        MediaLeg::answer(s, id.0, &offer, &arrival.laws, &from)
    };
    let (media, sdp) = match media {
        Ok(m) => m,
        Err(refusal) => {
            CallMetrics::bump(&s.metrics.refused_media);
            tracing::info!(status = refusal.status, reason = %refusal.reason, "caller's media refused");
            let mut resp = answer(&request, refusal.status, &local_tag, None, None);
            if refusal.status == 503 {
                resp.headers
                    .push(crate::sip::message::HeaderName::RetryAfter, "5");
                // The server could not take a call it should have: the
                // refusal is an interaction of the queue, failed.
                if let Some(queue) = queue {
                    store_refused(s, id, queue, arrival).await;
                }
            }
            let _ = s.core.respond(tx, resp).await;
            s.registry.remove_call(id);
            return None;
        }
    };
    let contact = s.sip.contact(&from, None);
    let ok = answer(&request, 200, &local_tag, Some(&contact), Some(&sdp));
    let dialog = match Dialog::from_uas(&request, &ok) {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(error = %e, "INVITE cannot make a dialog");
            let resp = answer(&request, 400, &local_tag, None, None);
            let _ = s.core.respond(tx, resp).await;
            media.close(s).await;
            s.registry.remove_call(id);
            return None;
        }
    };
    let _ = s.core.respond(tx, ok).await;
    CallMetrics::bump(&s.metrics.answered_callers);
    Some(Answered {
        id,
        owner,
        events,
        inputs,
        inputs_tx,
        peer: from,
        dialog,
        media,
    })
}

/// Runs an answered call in `queue` to its end under the record
/// `record_id` (the call's own id, unless an earlier part of the call had
/// it); `ivr` when the caller came through IVR menus first.
pub(super) async fn run_answered(
    s: Arc<Services>,
    answered: Answered,
    queue: Arc<QueueInfo>,
    arrival: Arrival,
    ivr: Option<super::ivr::Visit>,
    record_id: CallId,
) {
    let Answered {
        id,
        owner,
        events,
        inputs,
        inputs_tx,
        peer,
        dialog,
        media,
    } = answered;
    let span = tracing::info_span!("call", id = record_id.0, queue = %queue.name);
    let mut ids = Vec::new();
    if record_id != id {
        // Dispatch addresses the call by its record's id.
        s.registry.add_call(record_id, inputs_tx.clone());
        s.registry.set_caller(record_id, &arrival.caller_number);
        ids.push(record_id);
    }
    let record = record_arrival(&s, record_id, &arrival);
    let flow = match &ivr {
        None => CallFlow::new(
            now(),
            queue,
            record,
            s.settings.records,
            s.settings.ack_wait,
        ),
        Some(visit) => CallFlow::after_ivr(
            now(),
            queue,
            record,
            s.settings.records,
            s.settings.ack_wait,
            visit,
        ),
    };
    let mut call = QueueCall {
        caller: Caller {
            peer,
            dialog,
            media,
        },
        s: s.clone(),
        task: id,
        owner,
        sip: events,
        inputs,
        inputs_tx,
        arrival,
        legs: Vec::new(),
        flow,
        ids,
        transferor: None,
        external_plan: None,
        external: None,
        recorder: None,
        monitor: monitor::Supervision::default(),
        voicemail: None,
        menu_next: None,
        pickers: Vec::new(),
        finished: false,
    };
    async {
        call.perform().await;
        call.run().await;
        call.monitor_follow().await;
    }
    .instrument(span)
    .await;
    for id in call.ids.drain(..) {
        s.registry.remove_call(id);
    }
    if let Some(menu) = call.menu_next {
        // The caller stays connected: their dialog, media and channels go
        // on to the menu, still registered under the task's id.
        let answered = Answered {
            id,
            owner: call.owner,
            events: call.sip,
            inputs: call.inputs,
            inputs_tx: call.inputs_tx,
            peer: call.caller.peer,
            dialog: call.caller.dialog,
            media: call.caller.media,
        };
        let menu = super::ivr::MenuId(menu);
        return Box::pin(super::ivr_call::run_after_queue(
            s,
            answered,
            menu,
            call.arrival,
        ))
        .await;
    }
    s.registry.remove_call(id);
    CallMetrics::bump(&s.metrics.ended);
}

/// The record arrival of an inbound call under `id`.
pub(super) fn record_arrival(s: &Services, id: CallId, arrival: &Arrival) -> cdr::Arrival {
    cdr::Arrival {
        id: cdr::InteractionId(id.0),
        interaction_type: cdr::InteractionType::Call,
        direction: cdr::Direction::Inbound,
        domain: s.settings.domain.clone(),
        remote_number: arrival.caller_number.clone(),
        local_number: arrival.dialled.clone(),
    }
}

/// Writes the record of a call refused for want of resources (no RTP port,
/// media workers saturated): failed, ended by the system, in its queue.
async fn store_refused(s: &Services, id: CallId, queue: &QueueInfo, arrival: &Arrival) {
    let t = now();
    let mut record = cdr::RecordBuilder::new(t, record_arrival(s, id, arrival), s.settings.records);
    let _ = record.handle(t, CallEvent::entered_queue(&queue.config));
    let _ = record.handle(t, CallEvent::Failed);
    match s.records.complete(record.record()).await {
        Ok(_) => CallMetrics::bump(&s.metrics.records_completed),
        Err(e) => {
            CallMetrics::bump(&s.metrics.record_failures);
            tracing::error!(error = %e, "record of a refused call not written");
        }
    }
}

impl QueueCall {
    async fn run(&mut self) {
        let check_every = self.s.settings.rtp_timeout;
        let mut media_check = check_every.map(|every| {
            let mut t = tokio::time::interval_at(Instant::now() + every, every);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        let mut heard = (0u64, 0u64);
        while !self.finished {
            let deadline = self.flow.poll_timeout().map(|at| {
                let t = now();
                Instant::now() + at.since(t)
            });
            let voicemail_deadline = self.voicemail_deadline();
            tokio::select! {
                _ = tick(&mut media_check) => {
                    if self.media_lost(&mut heard).await {
                        self.flow.handle(now(), Input::MediaSilent);
                    }
                }
                event = self.sip.recv() => match event {
                    Some(event) => self.on_sip(event).await,
                    None => self.flow.handle(now(), Input::SipGone),
                },
                input = self.inputs.recv() => match input {
                    Some((call, input)) => self.on_input(call, input).await,
                    None => break,
                },
                _ = sleep_until(deadline) => self.flow.handle_timeout(now()),
                _ = sleep_until(self.monitor.deadline()) => self.monitor_timeout().await,
                _ = sleep_until(voicemail_deadline) => self.voicemail_timeout().await,
            }
            self.perform().await;
            self.monitor_follow().await;
        }
    }

    /// Carries out the core's actions, feeding back the answers of lookups.
    async fn perform(&mut self) {
        while let Some(action) = self.flow.poll_action() {
            if let Some(input) = self.act(action).await {
                self.flow.handle(now(), input);
            }
        }
    }

    /// Whether a leg that should be sending has sent nothing since the last
    /// check; `heard` keeps the packet counts of the caller and the agent.
    async fn media_lost(&mut self, heard: &mut (u64, u64)) -> bool {
        if !self.flow.is_live() {
            return false;
        }
        let mut lost = false;
        if self.caller.media.expects_audio() {
            if let Some(n) = self.caller.media.packets_received(&self.s).await {
                lost |= n == heard.0;
                heard.0 = n;
            }
        }
        let connected = self.flow.connected_agent();
        if let Some(leg) = self.legs.iter().find(|l| Some(l.agent) == connected) {
            if leg.media.expects_audio() {
                if let Some(n) = leg.media.packets_received(&self.s).await {
                    lost |= n == heard.1;
                    heard.1 = n;
                }
            }
        }
        lost
    }

    /// Resolves a transfer target (a queue, an agent, else an external
    /// number) and hands the request to the core.
    async fn transfer(&mut self, agent: AgentId, target: &str) {
        let next = CallId(new_interaction_id());
        let mut to = transfer::resolve(&self.s, target, next).await;
        if to == TransferTo::Unknown {
            let queue = self.flow.queue().clone();
            let (external, plan) = external::resolve(&self.s, agent, &queue, target).await;
            to = external;
            self.external_plan = plan;
        }
        self.flow.handle(now(), Input::Transfer { agent, to, next });
    }

    async fn on_input(&mut self, call: CallId, input: CallInput) {
        let input = match input {
            CallInput::Offer {
                agent,
                aor,
                ring_for: _,
                auto_answer,
            } => Input::Offer {
                call,
                agent,
                aor,
                auto_answer,
            },
            CallInput::CancelOffer { agent } => Input::CancelOffer { call, agent },
            CallInput::Announce {
                position,
                estimated_wait,
                queue_exit,
            } => Input::Announce {
                call,
                position,
                estimated_wait,
                queue_exit,
            },
            CallInput::Redirect { target } => Input::Redirect { call, target },
            CallInput::Record(event) => Input::Record { call, event },
            CallInput::Media(MediaEvent::Digit { digit, leg }) => {
                if leg != self.caller.media.id || self.voicemail_input(Some(digit.key), None).await
                {
                    return;
                }
                Input::Digit(digit.key)
            }
            CallInput::Media(MediaEvent::Playback {
                event: PlayerEvent::AnnouncementDone { tag },
                leg,
            }) if leg == self.caller.media.id && self.voicemail_input(None, Some(tag)).await => {
                return
            }
            CallInput::Media(MediaEvent::Playback {
                event: PlayerEvent::AnnouncementDone { tag },
                leg,
            }) => match Playback::from_tag(tag) {
                Some(Playback::Goodbye) if leg == self.caller.media.id => {
                    Input::PlaybackDone(Playback::Goodbye)
                }
                Some(Playback::Beep) => Input::PlaybackDone(Playback::Beep),
                _ => return,
            },
            CallInput::Media(MediaEvent::Lost { leg }) => {
                let connected = self.flow.connected_agent();
                let agents = self
                    .legs
                    .iter()
                    .any(|l| Some(l.agent) == connected && l.media.id == leg);
                if !agents {
                    return;
                }
                Input::AgentMediaLost
            }
            CallInput::Media(_) => return,
            // A queue call is no consultation to take an agent from; the
            // dropped reply refuses.
            CallInput::HandOver { .. } => return,
            CallInput::Resume { reply } => {
                if let Some(state) = self.flow.resume() {
                    let _ = reply.send((self.flow.id(), state));
                }
                return;
            }
            CallInput::Monitor { .. } | CallInput::MonitorChange { .. } => {
                return self.monitor_input(call, input).await;
            }
            CallInput::PickUp {
                agent,
                call: picker,
            } => {
                self.hold_picker(agent, *picker);
                Input::PickedUp { call, agent }
            }
            CallInput::RecordNow { agent, reply } => {
                self.recorder = Some(reply);
                Input::RecordNow { agent }
            }
            CallInput::Transfer {
                agent,
                target,
                reply,
            } => {
                if self.transferor.is_some() {
                    let _ = reply.send(TransferVerdict::NotNow);
                    return;
                }
                self.transferor = Some(Transferor::Panel(reply));
                self.transfer(agent, &target).await;
                return;
            }
        };
        self.flow.handle(now(), input);
    }

    /// Performs one action; some answer with an input for the core.
    async fn act(&mut self, action: Action) -> Option<Input> {
        let s = self.s.clone();
        match action {
            Action::PlayHoldMusic { queue } => {
                playback::hold_music(&s, &self.caller.media, &queue).await
            }
            Action::Announce {
                position,
                estimated_wait,
                queue_exit,
            } => {
                playback::announce(&s, &self.caller.media, position, estimated_wait, queue_exit)
                    .await
            }
            Action::Goodbye(prompt) => {
                let media = &self.caller.media;
                if !playback::prompt(&s, media, prompt, Playback::Goodbye, true).await {
                    return Some(Input::PlaybackDone(Playback::Goodbye));
                }
            }
            Action::Ring {
                agent,
                aor,
                auto_answer,
            } => return self.ring(agent, &aor, auto_answer).await,
            Action::HangUpAgent { agent } => {
                s.registry
                    .clear_agent_worker(agent, self.caller.media.worker);
                if let Some(mut leg) = self.take_leg(agent) {
                    leg.hang_up(&s).await;
                    leg.close(&s).await;
                }
            }
            Action::CloseAgent { agent } => {
                s.registry
                    .clear_agent_worker(agent, self.caller.media.worker);
                if let Some(mut leg) = self.take_leg(agent) {
                    leg.answered = None;
                    leg.close(&s).await;
                }
            }
            Action::Beep { agent } => {
                let leg = self.legs.iter().find(|l| l.agent == agent)?;
                let prompt = crate::media::prompts::Prompt::Beep;
                if !playback::prompt(&s, &leg.media, prompt, Playback::Beep, false).await {
                    return Some(Input::PlaybackDone(Playback::Beep));
                }
            }
            Action::Bridge { agent } => {
                if let Some(leg) = self.legs.iter().find(|l| l.agent == agent) {
                    self.caller.media.stop_playback(&s).await;
                    self.caller.media.bridge(&s, &leg.media).await;
                    s.registry.set_agent_worker(agent, self.caller.media.worker);
                }
            }
            Action::StartRecording { agent, interaction } => {
                let leg = self.legs.iter().find(|l| l.agent == agent)?;
                let id = cdr::InteractionId(interaction);
                let started =
                    super::recording::start_now(&s, id, &self.caller.media, &leg.media).await;
                if let CallEvent::Recorded { file } = started {
                    return Some(Input::Recording { file });
                }
            }
            Action::Unbridge => self.caller.media.unbridge(&s).await,
            Action::ByeCaller => {
                let bye = in_dialog(
                    &s.sip,
                    &mut self.caller.dialog,
                    Method::Bye,
                    &self.caller.peer,
                );
                let _ = s.core.send(bye, self.caller.peer, self.owner.clone()).await;
            }
            Action::CloseCaller => {
                self.voicemail_caller_gone().await;
                self.caller.media.close(&s).await;
                let key = crate::sip::tu::DialogKey {
                    call_id: self.caller.dialog.id.call_id.clone(),
                    local_tag: self.caller.dialog.id.local_tag.clone(),
                };
                let _ = s.core.release(key).await;
            }
            Action::Dispatch(event) => {
                if s.dispatch.send(DispatchInput::Acd(event)).await.is_err() {
                    tracing::error!("dispatch is gone");
                }
            }
            Action::Record(how, record) => super::records::write(&s, how, &record).await,
            Action::Listen(id) => {
                s.registry.add_call(id, self.inputs_tx.clone());
                s.registry.set_caller(id, &self.arrival.caller_number);
                self.ids.push(id);
            }
            Action::Forget(id) => {
                if id != self.task {
                    s.registry.remove_call(id);
                    self.ids.retain(|&i| i != id);
                }
            }
            Action::LeaveVoicemail {
                voicemail,
                interaction,
            } => return self.leave_voicemail(voicemail, interaction).await,
            Action::EnterMenu { menu } => self.menu_next = Some(menu),
            Action::LookupQueue(queue) => {
                let found = s.routing.get().queue(queue).filter(|q| {
                    let calls = q.takes_calls();
                    if !calls {
                        CallMetrics::bump(&s.metrics.text_queue_refused);
                        tracing::warn!(queue = %q.id, "exit target is a text queue: not entered");
                    }
                    calls
                });
                return Some(Input::QueueFound {
                    queue: found,
                    next: CallId(new_interaction_id()),
                });
            }
            Action::StoreCallback {
                queue,
                interaction,
                at,
            } => {
                let stored = s
                    .store
                    .save_callback_request(
                        i64::try_from(queue.0).unwrap_or(i64::MAX),
                        &self.arrival.caller_number,
                        interaction,
                        i64::try_from(at.0).unwrap_or(i64::MAX),
                    )
                    .await;
                let callback = match stored {
                    Ok(id) => {
                        let callback = u64::try_from(id).ok().map(CallId);
                        if let Some(callback) = callback {
                            // The agent offered it sees whom they call back.
                            s.registry.set_caller(callback, &self.arrival.caller_number);
                        }
                        callback
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "callback request not stored");
                        None
                    }
                };
                return Some(Input::CallbackStored { callback });
            }
            Action::TransferVerdict(verdict) => self.answer_transfer(verdict).await,
            Action::TransferPending => self.transfer_pending().await,
            Action::RingExternal { number: _ } => return self.ring_external().await,
            Action::BridgeExternal => {
                if let Some(ext) = &self.external {
                    self.caller.media.stop_playback(&s).await;
                    self.caller.media.bridge(&s, &ext.leg.media).await;
                }
            }
            Action::HangUpExternal => {
                if let Some(mut ext) = self.external.take() {
                    ext.leg.hang_up(&s).await;
                    ext.leg.close(&s).await;
                }
            }
            Action::CloseExternal => {
                if let Some(mut ext) = self.external.take() {
                    ext.leg.answered = None;
                    ext.leg.close(&s).await;
                }
            }
            Action::AnswerPickup { agent } => return self.answer_picker(agent).await,
            Action::RefusePickup { agent } => self.refuse_picker(agent).await,
            Action::RecordVerdict(verdict) => {
                if let Some(reply) = self.recorder.take() {
                    let _ = reply.send(verdict);
                }
            }
            Action::Count(count) => self.count(count),
            Action::Finished => self.finished = true,
        }
        None
    }

    /// Opens the media of an agent leg and rings the agent's contacts.
    async fn ring(&mut self, agent: AgentId, aor: &str, auto_answer: bool) -> Option<Input> {
        let s = self.s.clone();
        let missed = Some(Input::AgentMissed {
            agent,
            rejected: false,
        });
        let laws = match self.caller.media.negotiated {
            Some(n) => vec![n.law, other_law(n.law)],
            None => vec![Law::Mu, Law::A],
        };
        let opened = MediaLeg::offer_to_phone(
            &s,
            self.task.0,
            self.caller.media.worker,
            &laws,
            &self.caller.peer,
        );
        let (media, sdp) = match opened {
            Ok(m) => m,
            Err(refusal) => {
                CallMetrics::bump(&s.metrics.agent_media_refused);
                tracing::debug!(reason = %refusal.reason, "no media for the agent leg");
                return missed;
            }
        };
        let queue = self.flow.queue().clone();
        let ring = Ring {
            call: self.task.0,
            agent,
            aor,
            caller_number: &self.arrival.caller_number,
            queue_name: &queue.name,
            auto_answer,
            owner: &self.owner,
        };
        match AgentLeg::ring(&s, ring, media, sdp).await {
            Ok(leg) => {
                self.legs.push(leg);
                None
            }
            Err(media) => {
                tracing::info!(agent = %agent, "agent has no reachable contact");
                media.close(&s).await;
                missed
            }
        }
    }

    fn take_leg(&mut self, agent: AgentId) -> Option<AgentLeg> {
        let i = self.legs.iter().position(|l| l.agent == agent)?;
        Some(self.legs.swap_remove(i))
    }

    /// Answers whoever asked for the transfer.
    async fn answer_transfer(&mut self, verdict: TransferVerdict) {
        self.external_plan = None;
        match self.transferor.take() {
            Some(Transferor::Panel(reply)) => {
                let _ = reply.send(verdict);
            }
            Some(Transferor::Refer { tx, request }) => {
                let (status, reason) = transfer::status_of(verdict);
                let resp = Response::for_request(&request, status, reason);
                let _ = self.s.core.respond(tx, resp).await;
                if status == 202 {
                    let sipfrag = transfer::sipfrag_of(verdict);
                    self.notify_transferred(&request, &sipfrag, true).await;
                }
            }
            Some(Transferor::Accepted { request }) => {
                let sipfrag = transfer::sipfrag_of(verdict);
                self.notify_transferred(&request, &sipfrag, true).await;
            }
            None => {}
        }
    }

    /// The transfer is under way: a REFER gets its 202 and a NOTIFY of 100
    /// Trying now (RFC 3515 section 2.4.5); the panel waits for the verdict.
    async fn transfer_pending(&mut self) {
        let Some(Transferor::Refer { tx, request }) = self.transferor.take() else {
            return;
        };
        let resp = Response::for_request(&request, 202, "Accepted");
        let _ = self.s.core.respond(tx, resp).await;
        self.notify_transferred(&request, transfer::TRYING, false)
            .await;
        self.transferor = Some(Transferor::Accepted { request });
    }

    /// The final NOTIFY of an accepted REFER: the caller has been taken
    /// over (RFC 3515 section 2.4.5, a sipfrag of 200), or the consultation
    /// to replace was not there (481).
    async fn notify_transferred(&mut self, refer: &Request, sipfrag: &str, last: bool) {
        let Some(call_id) = refer.call_id() else {
            return;
        };
        let s = self.s.clone();
        let Some(leg) = self.legs.iter_mut().find(|l| l.is_dialog(call_id)) else {
            return;
        };
        let Some(answered) = leg.answered.as_mut() else {
            return;
        };
        let peer = answered.peer;
        let mut notify = in_dialog(&s.sip, &mut answered.dialog, Method::Notify, &peer);
        transfer::fill_notify(&mut notify, refer, sipfrag, last);
        let _ = s.core.send(notify, peer, self.owner.clone()).await;
    }

    fn count(&self, count: Count) {
        let m = &self.s.metrics;
        let counter = match count {
            Count::AgentMisses => &m.agent_misses,
            Count::AgentAnswers => &m.agent_answers,
            Count::AckTimeouts => &m.ack_timeouts,
            Count::QueueExits => &m.queue_exits,
            Count::Redirects => &m.redirects,
            Count::ExitFailures => &m.exit_failures,
            Count::CallbackRequests => &m.callback_requests,
            Count::MediaTimeouts => &m.media_timeouts,
            Count::Transfers => &m.transfers,
            Count::TransfersRefused => &m.transfers_refused,
            Count::Pickups => &m.pickups,
        };
        CallMetrics::bump(counter);
    }
}

/// The G.711 law that is not `law`.
pub(super) fn other_law(law: Law) -> Law {
    match law {
        Law::Mu => Law::A,
        Law::A => Law::Mu,
    }
}

async fn tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}
