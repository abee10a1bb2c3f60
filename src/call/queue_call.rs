//! The queue call: one task per inbound call, from the answer to the
//! completed interaction record.
//!
//! The caller is answered at once (200 with our SDP answer) and hears the
//! queue's hold music. The dispatch core decides everything else and says so
//! through [`CallInput`]s: announcements (which interrupt the music), offers
//! (ring the agent, [`AgentLeg`]), the end of an offer, and the queue
//! timeout's redirect. The call reports back what only it sees: the answer,
//! a refusal or failure of the agent's phone, DTMF 1 for queue exit, and
//! hang-ups. Both legs end together; the agent's after-call work follows,
//! and the record is completed when that is over too.
//!
//! Exit targets: another queue (the first queue's record is closed with its
//! outcome and a new record starts for the next queue), a callback request
//! (stored for the callback work that follows, then a prompt and hang-up),
//! or a prompt and hang-up. A target that fails falls back to the prompt and
//! hang-up, logged and counted.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use crate::acd::{self, AgentId, CallId, Millis};
use crate::cdr::{self, CallEvent, RecordBuilder};
use crate::media::g711::Law;
use crate::media::player::PlayerEvent;
use crate::media::prompts::{self, Prompt};
use crate::media::sdp::Direction;
use crate::media::worker::MediaEvent;
use crate::sip::core::unix_ms;
use crate::sip::dialog::Dialog;
use crate::sip::message::{Method, Request, Response};
use crate::sip::peer::Peer;
use crate::sip::transaction::{ServerTxId, TxId};
use crate::sip::tu::{NewCall, Owner, SipEvent};

mod exits;

use super::agent_leg::{AgentLeg, Progress, Ring};
use super::dispatch::DispatchInput;
use super::media::MediaLeg;
use super::metrics::CallMetrics;
use super::routing::QueueInfo;
use super::signalling::{answer, in_dialog};
use super::{new_interaction_id, CallInput, Services};

/// What admission learnt about the call.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub caller_number: String,
    pub dialled: String,
    /// The laws the caller's side may use, in its order of preference.
    pub laws: Vec<Law>,
    pub trunk: Option<String>,
}

/// Playback tags: which announcement finished.
const TAG_ANNOUNCEMENT: u64 = 1;
const TAG_GOODBYE: u64 = 2;
const TAG_BEEP: u64 = 3;

/// How long after its end a call waits for the agent's after-call work to be
/// reported over before it writes the record as it stands.
const ACW_GRACE: Duration = Duration::from_secs(30);
/// How long a goodbye prompt may take before the call hangs up anyway.
const PROMPT_LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// In a queue (ringing an agent or not).
    Waiting,
    /// Left the queue by DTMF; waiting for dispatch to record it.
    Exiting,
    /// Talking to an agent.
    Connected(AgentId),
    /// Playing a last prompt before hanging up.
    Goodbye,
    /// Both legs are over; the record waits for after-call work.
    Ended,
}

struct Caller {
    peer: Peer,
    dialog: Dialog,
    media: MediaLeg,
    acked: bool,
}

struct QueueCall {
    s: Arc<Services>,
    id: CallId,
    owner: Owner,
    sip: mpsc::Receiver<SipEvent>,
    inputs: mpsc::Receiver<CallInput>,
    caller: Caller,
    arrival: Arrival,
    queue: Arc<QueueInfo>,
    record: RecordBuilder,
    /// Agents being rung now (several at once with Ring All).
    ringing: Vec<AgentLeg>,
    /// The agent who answered.
    agent: Option<AgentLeg>,
    phase: Phase,
    /// When to act if nothing else happens: the ACK wait, the goodbye limit,
    /// the after-call-work grace.
    deadline: Option<Instant>,
    /// The record is written; the task ends.
    finished: bool,
}

fn now() -> Millis {
    Millis(unix_ms())
}

/// Answers the caller and runs the call to its end.
pub async fn run(s: Arc<Services>, call: NewCall, queue: Arc<QueueInfo>, arrival: Arrival) {
    let NewCall {
        tx,
        request,
        from,
        local_tag,
        events,
        owner,
    } = call;
    let id = CallId(new_interaction_id());
    let span = tracing::info_span!("call", id = id.0, queue = %queue.name);
    let (inputs_tx, inputs) = mpsc::channel(256);
    s.registry.add_call(id, inputs_tx);
    s.registry.set_caller(id, &arrival.caller_number);

    let offer = String::from_utf8_lossy(&request.body).into_owned();
    let media = if offer.trim().is_empty() {
        Err(super::media::MediaRefusal {
            status: 488,
            reason: "An SDP offer is required".into(),
        })
    } else {
        MediaLeg::answer(&s, id.0, &offer, &arrival.laws, &from)
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
                store_refused(&s, id, &queue, &arrival).await;
            }
            let _ = s.core.respond(tx, resp).await;
            s.registry.remove_call(id);
            return;
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
            media.close(&s).await;
            s.registry.remove_call(id);
            return;
        }
    };
    let _ = s.core.respond(tx, ok).await;
    CallMetrics::bump(&s.metrics.answered_callers);

    let t = now();
    let record = new_record(&s, id, &arrival, t);
    let mut call = QueueCall {
        caller: Caller {
            peer: from,
            dialog,
            media,
            acked: false,
        },
        s: s.clone(),
        id,
        owner,
        sip: events,
        inputs,
        arrival,
        queue: queue.clone(),
        record,
        ringing: Vec::new(),
        agent: None,
        phase: Phase::Waiting,
        deadline: Some(Instant::now() + s.settings.ack_wait),
        finished: false,
    };
    async {
        call.enter_queue(queue, true).await;
        call.run().await;
    }
    .instrument(span)
    .await;
    s.registry.remove_call(id);
    CallMetrics::bump(&s.metrics.ended);
}

/// A new inbound call's record, opened at `t` under `id`.
pub(super) fn new_record(s: &Services, id: CallId, arrival: &Arrival, t: Millis) -> RecordBuilder {
    RecordBuilder::new(
        t,
        cdr::Arrival {
            id: cdr::InteractionId(id.0),
            interaction_type: cdr::InteractionType::Call,
            direction: cdr::Direction::Inbound,
            domain: s.settings.domain.clone(),
            remote_number: arrival.caller_number.clone(),
            local_number: arrival.dialled.clone(),
        },
        s.settings.records,
    )
}

/// Writes the record of a call refused for want of resources (no RTP port,
/// media workers saturated): failed, ended by the system, in its queue.
async fn store_refused(s: &Services, id: CallId, queue: &QueueInfo, arrival: &Arrival) {
    let t = now();
    let mut record = new_record(s, id, arrival, t);
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
        loop {
            let deadline = self.deadline;
            tokio::select! {
                _ = tick(&mut media_check) => {
                    if self.media_lost(&mut heard).await {
                        CallMetrics::bump(&self.s.metrics.media_timeouts);
                        tracing::info!("no RTP for the configured time: call ended");
                        self.end(CallEvent::SystemEnded).await;
                    }
                }
                event = self.sip.recv() => match event {
                    Some(event) => self.on_sip(event).await,
                    None => {
                        tracing::warn!("SIP core gone");
                        self.end(CallEvent::SystemEnded).await;
                    }
                },
                input = self.inputs.recv() => match input {
                    Some(input) => self.on_input(input).await,
                    None => break,
                },
                _ = sleep_until(deadline) => self.on_deadline().await,
            }
            if self.phase == Phase::Ended && self.record.is_complete() && !self.finished {
                self.store_completed().await;
                self.finished = true;
            }
            if self.finished {
                break;
            }
        }
    }

    /// Whether a leg that should be sending has sent nothing since the last
    /// check; `heard` keeps the packet counts of the caller and the agent.
    async fn media_lost(&mut self, heard: &mut (u64, u64)) -> bool {
        if matches!(self.phase, Phase::Ended) {
            return false;
        }
        let mut lost = false;
        if self.caller.media.expects_audio() {
            if let Some(n) = self.caller.media.packets_received(&self.s).await {
                lost |= n == heard.0;
                heard.0 = n;
            }
        }
        if let (Phase::Connected(_), Some(agent)) = (self.phase, &self.agent) {
            if agent.media.expects_audio() {
                if let Some(n) = agent.media.packets_received(&self.s).await {
                    lost |= n == heard.1;
                    heard.1 = n;
                }
            }
        }
        lost
    }

    async fn on_sip(&mut self, event: SipEvent) {
        match event {
            SipEvent::Request { tx, request, from } => self.on_request(tx, request, from).await,
            SipEvent::Ack { request, .. } => {
                let ours = request.call_id().map(str::as_bytes)
                    == Some(self.caller.dialog.id.call_id.as_ref());
                if ours && !self.caller.acked {
                    self.caller.acked = true;
                    if matches!(self.phase, Phase::Waiting | Phase::Connected(_)) {
                        self.deadline = None;
                    }
                }
            }
            SipEvent::Cancelled { .. } => {
                // Our 200 went out at once; a CANCEL that still matched means
                // the caller gave up before hearing it.
                self.end(CallEvent::CallerHungUp).await;
            }
            SipEvent::ServerTimeout { .. } => {
                if !self.caller.acked && !matches!(self.phase, Phase::Ended) {
                    CallMetrics::bump(&self.s.metrics.ack_timeouts);
                    tracing::info!("the caller never acknowledged the answer");
                    self.end(CallEvent::Failed).await;
                }
            }
            SipEvent::Response { tx, response } => {
                if let Some(agent) = self.agent.as_mut().filter(|a| a.owns(tx)) {
                    // A retransmitted 2xx of the connected agent: ACK again.
                    agent.on_response(&self.s, tx, &response).await;
                    return;
                }
                let Some(i) = self.ringing.iter().position(|a| a.owns(tx)) else {
                    return;
                };
                let progress = self.ringing[i].on_response(&self.s, tx, &response).await;
                self.on_agent_progress(i, progress).await;
            }
            SipEvent::Timeout { tx }
            | SipEvent::TransportError {
                tx: TxId::Client(tx),
            } => {
                let Some(i) = self.ringing.iter().position(|a| a.owns(tx)) else {
                    return;
                };
                let progress = self.ringing[i].on_failure(tx);
                self.on_agent_progress(i, progress).await;
            }
            SipEvent::TransportError {
                tx: TxId::Server(_),
            } => {}
        }
    }

    async fn on_request(&mut self, tx: ServerTxId, request: Request, from: Peer) {
        let from_caller =
            request.call_id().map(str::as_bytes) == Some(self.caller.dialog.id.call_id.as_ref());
        let from_agent = !from_caller
            && self
                .agent
                .as_ref()
                .is_some_and(|a| request.call_id().is_some_and(|c| a.is_dialog(c)));
        if !from_caller && !from_agent {
            let resp = Response::for_request(&request, 481, "Call/Transaction Does Not Exist");
            let _ = self.s.core.respond(tx, resp).await;
            return;
        }
        match request.method {
            Method::Bye => {
                let _ = self
                    .s
                    .core
                    .respond(tx, Response::for_request(&request, 200, "OK"))
                    .await;
                if from_caller {
                    self.end(CallEvent::CallerHungUp).await;
                } else {
                    self.end(CallEvent::AgentHungUp).await;
                }
            }
            Method::Info => {
                let ct = request.content_type().unwrap_or("").to_owned();
                let body = String::from_utf8_lossy(&request.body).into_owned();
                match crate::media::dtmf::parse_info(&ct, &body, std::time::Instant::now()) {
                    Ok(digit) => {
                        let _ = self
                            .s
                            .core
                            .respond(tx, Response::for_request(&request, 200, "OK"))
                            .await;
                        if from_caller {
                            self.on_digit(digit.key).await;
                        }
                    }
                    Err(e) => {
                        let resp = Response::for_request(&request, 415, &e.to_string());
                        let _ = self.s.core.respond(tx, resp).await;
                    }
                }
            }
            Method::Invite => self.on_reinvite(tx, request, from_caller, from).await,
            Method::Options => {
                let _ = self
                    .s
                    .core
                    .respond(tx, Response::for_request(&request, 200, "OK"))
                    .await;
            }
            _ => {
                let resp = Response::for_request(&request, 501, "Not Implemented");
                let _ = self.s.core.respond(tx, resp).await;
            }
        }
    }

    /// A re-INVITE: hold, resume or moved media (RFC 3264 section 8).
    async fn on_reinvite(
        &mut self,
        tx: ServerTxId,
        request: Request,
        from_caller: bool,
        from: Peer,
    ) {
        let offer = String::from_utf8_lossy(&request.body).into_owned();
        let leg = if from_caller {
            Some(&mut self.caller.media)
        } else {
            self.agent.as_mut().map(|a| &mut a.media)
        };
        let Some(leg) = leg else { return };
        if offer.trim().is_empty() {
            let resp = Response::for_request(&request, 488, "An SDP offer is required");
            let _ = self.s.core.respond(tx, resp).await;
            return;
        }
        match leg.reoffer(&self.s, &offer).await {
            Ok((sdp, direction)) => {
                let local_tag = if from_caller {
                    self.caller.dialog.id.local_tag.clone()
                } else {
                    String::new()
                };
                let contact = self.s.sip.contact(&from, None);
                let resp = answer(&request, 200, &local_tag, Some(&contact), Some(&sdp));
                let _ = self.s.core.respond(tx, resp).await;
                if !from_caller {
                    let on_hold = !direction.sends();
                    let event = if on_hold {
                        CallEvent::HoldStarted
                    } else {
                        CallEvent::HoldEnded
                    };
                    self.note(event);
                }
                if from_caller && direction == Direction::Inactive {
                    tracing::debug!("caller put the call on hold");
                }
            }
            Err(refusal) => {
                let resp = Response::for_request(&request, refusal.status, &refusal.reason);
                let _ = self.s.core.respond(tx, resp).await;
            }
        }
    }

    async fn on_input(&mut self, input: CallInput) {
        match input {
            CallInput::Offer {
                agent,
                aor,
                ring_for: _,
                auto_answer,
            } => self.offer(agent, &aor, auto_answer).await,
            CallInput::CancelOffer { agent } => {
                if let Some(i) = self.ringing.iter().position(|a| a.agent == agent) {
                    // The agent timeout passed, another agent answered, or
                    // the caller left.
                    CallMetrics::bump(&self.s.metrics.agent_misses);
                    let mut leg = self.ringing.swap_remove(i);
                    leg.hang_up(&self.s).await;
                    leg.close(&self.s).await;
                } else if self.agent.as_ref().is_some_and(|a| a.agent == agent) {
                    // Dispatch withdrew an offer the phone had already
                    // answered: the caller waits on.
                    self.drop_agent().await;
                    self.phase = Phase::Waiting;
                    self.play_hold_music().await;
                }
            }
            CallInput::Announce {
                position,
                estimated_wait,
                queue_exit,
            } => {
                if self.phase == Phase::Waiting {
                    self.announce(position, estimated_wait, queue_exit).await;
                }
            }
            CallInput::Redirect { target } => {
                CallMetrics::bump(&self.s.metrics.redirects);
                self.drop_agent().await;
                self.go_to(target).await;
            }
            CallInput::Record(event) => self.on_record(event).await,
            CallInput::Media(MediaEvent::Digit { digit, leg }) => {
                if leg == self.caller.media.id {
                    self.on_digit(digit.key).await;
                }
            }
            CallInput::Media(MediaEvent::Playback {
                event: PlayerEvent::AnnouncementDone { tag },
                leg,
            }) => {
                if tag == TAG_GOODBYE && leg == self.caller.media.id && self.phase == Phase::Goodbye
                {
                    self.end(CallEvent::SystemEnded).await;
                } else if tag == TAG_BEEP {
                    self.finish_beep().await;
                }
            }
            CallInput::Media(MediaEvent::Lost { leg }) => {
                let agents = self.agent.as_ref().is_some_and(|a| a.media.id == leg);
                if agents && matches!(self.phase, Phase::Connected(_)) {
                    tracing::info!("the agent's browser went away: call ended");
                    self.end(CallEvent::AgentHungUp).await;
                }
            }
            CallInput::Media(_) => {}
        }
    }

    /// A record event the dispatch core decided.
    async fn on_record(&mut self, event: CallEvent) {
        let event = match event {
            CallEvent::QueueExit { target: None } => CallEvent::QueueExit {
                target: self.queue.exit.as_ref().map(cdr::exit_target),
            },
            other => other,
        };
        let exit = matches!(event, CallEvent::QueueExit { .. });
        let answered = matches!(event, CallEvent::AgentAnswered { .. });
        self.note(event);
        if answered {
            self.checkpoint().await;
        }
        if exit && self.phase == Phase::Exiting {
            CallMetrics::bump(&self.s.metrics.queue_exits);
            self.drop_agent().await;
            match self.queue.exit.clone() {
                Some(target) => self.go_to(target).await,
                None => self.goodbye(Prompt::Goodbye).await,
            }
        }
    }

    async fn on_digit(&mut self, key: char) {
        tracing::debug!(%key, "caller pressed a key");
        if key == '1'
            && self.phase == Phase::Waiting
            && self.queue.config.announcements.queue_exit()
        {
            self.phase = Phase::Exiting;
            self.dispatch(acd::Event::QueueExit { call: self.id }).await;
        }
    }

    async fn offer(&mut self, agent: AgentId, aor: &str, auto_answer: bool) {
        if self.phase != Phase::Waiting || self.ringing.iter().any(|a| a.agent == agent) {
            // Already answered, leaving, or ringing that agent: a stale offer.
            self.dispatch(acd::Event::OfferFailed {
                call: self.id,
                agent,
            })
            .await;
            return;
        }
        let s = self.s.clone();
        let laws = match self.caller.media.negotiated {
            Some(n) => vec![n.law, other_law(n.law)],
            None => vec![Law::Mu, Law::A],
        };
        let opened = MediaLeg::offer(
            &s,
            self.id.0,
            self.caller.media.worker,
            &laws,
            &self.caller.peer,
        );
        let (media, sdp) = match opened {
            Ok(m) => m,
            Err(refusal) => {
                CallMetrics::bump(&self.s.metrics.agent_media_refused);
                tracing::debug!(reason = %refusal.reason, "no media for the agent leg");
                self.offer_missed(agent, false).await;
                return;
            }
        };
        let ring = Ring {
            call: self.id.0,
            agent,
            aor,
            caller_number: &self.arrival.caller_number,
            queue_name: &self.queue.name,
            auto_answer,
            owner: &self.owner,
        };
        match AgentLeg::ring(&s, ring, media, sdp).await {
            Ok(leg) => self.ringing.push(leg),
            Err(media) => {
                tracing::info!(agent = %agent, "agent has no reachable contact");
                media.close(&s).await;
                self.offer_missed(agent, false).await;
            }
        }
    }

    async fn offer_missed(&mut self, agent: AgentId, rejected: bool) {
        CallMetrics::bump(&self.s.metrics.agent_misses);
        let call = self.id;
        self.dispatch(if rejected {
            acd::Event::OfferRejected { call, agent }
        } else {
            acd::Event::OfferFailed { call, agent }
        })
        .await;
    }

    /// What the `i`th ringing agent leg's latest response means for the call.
    async fn on_agent_progress(&mut self, i: usize, progress: Progress) {
        let agent = self.ringing[i].agent;
        match progress {
            Progress::Nothing => {}
            Progress::Answered if self.phase != Phase::Waiting => {
                // Another agent answered first (or the caller is leaving).
                let mut leg = self.ringing.swap_remove(i);
                leg.hang_up(&self.s).await;
                leg.close(&self.s).await;
            }
            Progress::Answered => {
                CallMetrics::bump(&self.s.metrics.agent_answers);
                self.agent = Some(self.ringing.swap_remove(i));
                self.phase = Phase::Connected(agent);
                // A browser plays the auto-answer beep itself.
                let beep = self
                    .agent
                    .as_ref()
                    .is_some_and(|a| a.auto_answer && !a.is_browser());
                if beep {
                    self.start_beep().await;
                } else {
                    self.bridge().await;
                }
                self.dispatch(acd::Event::OfferAccepted {
                    call: self.id,
                    agent,
                })
                .await;
            }
            Progress::BadAnswer | Progress::Failed | Progress::Rejected => {
                self.ringing.swap_remove(i).close(&self.s).await;
                self.offer_missed(agent, progress == Progress::Rejected)
                    .await;
            }
        }
    }

    async fn start_beep(&mut self) {
        let Some(agent) = &mut self.agent else { return };
        match prompts::resolve(&self.s.library, &self.s.settings.language, &[Prompt::Beep]) {
            Ok(sources) => {
                agent.beeping = true;
                agent.media.announce(&self.s, sources, TAG_BEEP).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "no beep to play");
                self.bridge().await;
            }
        }
    }

    async fn finish_beep(&mut self) {
        if self.agent.as_ref().is_some_and(|a| a.beeping) {
            if let Some(a) = &mut self.agent {
                a.beeping = false;
            }
            self.bridge().await;
        }
    }

    async fn bridge(&mut self) {
        if let Some(agent) = &self.agent {
            self.caller.media.stop_playback(&self.s).await;
            self.caller.media.bridge(&self.s, &agent.media).await;
        }
    }

    /// Ends and frees every agent leg, ringing or answered.
    async fn drop_agent(&mut self) {
        for mut leg in std::mem::take(&mut self.ringing) {
            leg.hang_up(&self.s).await;
            leg.close(&self.s).await;
        }
        if let Some(mut leg) = self.agent.take() {
            self.caller.media.unbridge(&self.s).await;
            leg.hang_up(&self.s).await;
            leg.close(&self.s).await;
        }
    }

    async fn on_deadline(&mut self) {
        self.deadline = None;
        match self.phase {
            Phase::Ended => {
                tracing::warn!("after-call work never reported over: record written as it stands");
                self.store_completed().await;
                self.finished = true;
            }
            Phase::Goodbye => self.end(CallEvent::SystemEnded).await,
            _ if !self.caller.acked => {
                CallMetrics::bump(&self.s.metrics.ack_timeouts);
                self.end(CallEvent::Failed).await;
            }
            _ => {}
        }
    }

    /// Ends both legs. `why` says who ended it, for the record.
    async fn end(&mut self, why: CallEvent) {
        if self.phase == Phase::Ended {
            return;
        }
        let caller_left = why == CallEvent::CallerHungUp;
        let agent_left = why == CallEvent::AgentHungUp;
        self.phase = Phase::Ended;
        self.note(why);
        if !caller_left {
            let bye = in_dialog(
                &self.s.sip,
                &mut self.caller.dialog,
                Method::Bye,
                &self.caller.peer,
            );
            let _ = self
                .s
                .core
                .send(bye, self.caller.peer, self.owner.clone())
                .await;
        }
        if agent_left {
            if let Some(mut leg) = self.agent.take() {
                // The agent's BYE ended their dialog already.
                leg.answered = None;
                leg.close(&self.s).await;
            }
        }
        self.drop_agent().await;
        self.caller.media.close(&self.s).await;
        let _ = self
            .s
            .core
            .release(crate::sip::tu::DialogKey {
                call_id: self.caller.dialog.id.call_id.clone(),
                local_tag: self.caller.dialog.id.local_tag.clone(),
            })
            .await;
        self.dispatch(acd::Event::Hangup { call: self.id }).await;
        let grace = self.queue.config.after_call_work + ACW_GRACE;
        self.deadline = Some(Instant::now() + grace);
    }

    fn note(&mut self, event: CallEvent) {
        if let Err(ignored) = self.record.handle(now(), event) {
            tracing::debug!(%ignored, "record event not applied");
        }
    }

    async fn dispatch(&self, event: acd::Event) {
        if self
            .s
            .dispatch
            .send(DispatchInput::Acd(event))
            .await
            .is_err()
        {
            tracing::error!("dispatch is gone");
        }
    }

    async fn open_record(&self) {
        if let Err(e) = self.s.records.open(self.record.record()).await {
            CallMetrics::bump(&self.s.metrics.record_failures);
            tracing::error!(error = %e, "interaction record not written");
        }
    }

    async fn checkpoint(&self) {
        if let Err(e) = self.s.records.checkpoint(self.record.record()).await {
            CallMetrics::bump(&self.s.metrics.record_failures);
            tracing::error!(error = %e, "interaction record not updated");
        }
    }

    async fn store_completed(&self) {
        match self.s.records.complete(self.record.record()).await {
            Ok(_) => CallMetrics::bump(&self.s.metrics.records_completed),
            Err(e) => {
                CallMetrics::bump(&self.s.metrics.record_failures);
                tracing::error!(error = %e, "interaction record not completed");
            }
        }
    }
}

fn other_law(law: Law) -> Law {
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

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
