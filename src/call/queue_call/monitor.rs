//! The queue call's side of a supervisor's monitor (listen, whisper, barge):
//! the shell around [`MonitorFlow`], which decides. The supervisor's phone
//! is rung like an agent's ([`AgentLeg`]: every registered contact, the first
//! answer wins), with its media leg on the caller's worker, where the mix
//! runs ([`crate::media::mixer`]); its dialog's requests and responses are
//! told apart from the agents' by their transactions and Call-ID.

use tokio::sync::oneshot;

use super::{now, AgentLeg, CallInput, QueueCall, Ring};
use crate::acd::{AgentId, CallId, Millis};
use crate::call::agent_leg::Progress;
use crate::call::media::MediaLeg;
use crate::call::metrics::CallMetrics;
use crate::call::monitor::{
    MonitorAction, MonitorCount, MonitorFlow, MonitorInput, MonitorVerdict,
};
use crate::media::g711::Law;
use crate::sip::message::{Method, Request, Response};
use crate::sip::peer::Peer;
use crate::sip::transaction::{ClientTxId, ServerTxId};

/// The monitor of a queue call: its core, the supervisor's leg, and the
/// request waiting for its answer.
#[derive(Default)]
pub(super) struct Supervision {
    flow: MonitorFlow,
    leg: Option<AgentLeg>,
    reply: Option<oneshot::Sender<MonitorVerdict>>,
}

impl Supervision {
    /// Whether `tx` is one of the supervisor leg's INVITEs.
    pub fn owns(&self, tx: ClientTxId) -> bool {
        self.leg.as_ref().is_some_and(|l| l.owns(tx))
    }

    /// Whether an in-dialog request with this Call-ID is the supervisor's.
    pub fn is_dialog(&self, call_id: &str) -> bool {
        self.leg.as_ref().is_some_and(|l| l.is_dialog(call_id))
    }

    /// When the ring limit passes, on the task's clock.
    pub fn deadline(&self) -> Option<tokio::time::Instant> {
        self.flow
            .poll_timeout()
            .map(|at: Millis| tokio::time::Instant::now() + at.since(now()))
    }
}

impl QueueCall {
    /// A supervisor's request from the API.
    pub(super) async fn monitor_input(&mut self, call: CallId, input: CallInput) {
        if !self.flow.is_live() {
            // The call is over (its records may still be open): the
            // dropped reply tells the API there is no such call.
            return;
        }
        let (input, reply) = match input {
            CallInput::Monitor {
                request,
                scope,
                reply,
            } => {
                let in_scope = scope.sees(self.flow.queue().id);
                let connected = self.flow.connected_agent();
                let mut request = request;
                request.call = call;
                let input = MonitorInput::Ask {
                    request,
                    connected,
                    in_scope,
                };
                (input, reply)
            }
            CallInput::MonitorChange {
                supervisor,
                mode,
                reply,
            } => {
                let theirs = self
                    .s
                    .registry
                    .monitor_of(call)
                    .is_some_and(|m| m.supervisor == supervisor && m.is_live());
                if !theirs {
                    let _ = reply.send(MonitorVerdict::NotMonitored);
                    return;
                }
                let input = match mode {
                    Some(mode) => MonitorInput::ChangeMode { mode },
                    None => MonitorInput::Stop,
                };
                (input, reply)
            }
            _ => return,
        };
        self.monitor.reply = Some(reply);
        self.monitor.flow.handle(now(), input);
        self.perform_monitor().await;
    }

    /// A response to one of the supervisor leg's INVITEs.
    pub(super) async fn on_monitor_response(&mut self, tx: ClientTxId, response: &Response) {
        let s = self.s.clone();
        let Some(leg) = self.monitor.leg.as_mut() else {
            return;
        };
        let progress = leg.on_response(&s, tx, response).await;
        self.on_monitor_progress(progress).await;
    }

    /// One of the supervisor leg's INVITEs got no response.
    pub(super) async fn on_monitor_failure(&mut self, tx: ClientTxId) {
        let Some(leg) = self.monitor.leg.as_mut() else {
            return;
        };
        let progress = leg.on_failure(tx);
        self.on_monitor_progress(progress).await;
    }

    async fn on_monitor_progress(&mut self, progress: Progress) {
        let status = self.monitor.leg.as_ref().map_or(0, AgentLeg::final_status);
        let input = match progress {
            Progress::Nothing => return,
            Progress::Answered => MonitorInput::PhoneAnswered,
            Progress::BadAnswer => MonitorInput::PhoneFailed { status: 488 },
            Progress::Rejected | Progress::Failed => MonitorInput::PhoneFailed { status },
        };
        self.monitor.flow.handle(now(), input);
        self.perform_monitor().await;
    }

    /// A request in the supervisor's dialog: BYE ends the monitor.
    pub(super) async fn on_monitor_request(
        &mut self,
        tx: ServerTxId,
        request: Request,
        from: Peer,
    ) {
        match request.method {
            Method::Bye => {
                self.respond(tx, &request, 200, "OK").await;
                self.monitor.flow.handle(now(), MonitorInput::PhoneHungUp);
                self.perform_monitor().await;
            }
            Method::Invite => {
                let offer = String::from_utf8_lossy(&request.body).into_owned();
                let s = self.s.clone();
                let Some(leg) = self.monitor.leg.as_mut() else {
                    return;
                };
                match leg.media.reoffer(&s, &offer).await {
                    Ok((sdp, _)) => {
                        let contact = s.sip.contact(&from, None);
                        let resp = super::answer(&request, 200, "", Some(&contact), Some(&sdp));
                        let _ = s.core.respond(tx, resp).await;
                    }
                    Err(refusal) => {
                        self.respond(tx, &request, refusal.status, &refusal.reason)
                            .await
                    }
                }
            }
            Method::Options => self.respond(tx, &request, 200, "OK").await,
            _ => self.respond(tx, &request, 501, "Not Implemented").await,
        }
    }

    /// After the call's own actions: a call that left the monitored agent
    /// (hung up, transferred, over) ends the monitor.
    pub(super) async fn monitor_follow(&mut self) {
        if !self.monitor.flow.is_active() {
            return;
        }
        let connected = self.flow.connected_agent().filter(|_| !self.finished);
        if connected != self.monitor.flow.agent() {
            self.monitor
                .flow
                .handle(now(), MonitorInput::Connected(connected));
            self.perform_monitor().await;
        }
    }

    /// The ring limit passed.
    pub(super) async fn monitor_timeout(&mut self) {
        self.monitor.flow.handle_timeout(now());
        self.perform_monitor().await;
    }

    async fn perform_monitor(&mut self) {
        let s = self.s.clone();
        while let Some(action) = self.monitor.flow.poll_action() {
            match action {
                MonitorAction::Answer(verdict) => {
                    if let Some(reply) = self.monitor.reply.take() {
                        let _ = reply.send(verdict);
                    }
                }
                MonitorAction::Ring { aor, supervisor } => {
                    if let Err(status) = self.ring_supervisor(supervisor, &aor).await {
                        self.monitor
                            .flow
                            .handle(now(), MonitorInput::PhoneFailed { status });
                    }
                }
                MonitorAction::Join { agent, mode } => {
                    let agent_leg = self.legs.iter().find(|l| l.agent == agent);
                    if let (Some(a), Some(sup)) = (agent_leg, &self.monitor.leg) {
                        self.caller
                            .media
                            .monitor(&s, &a.media, &sup.media, mode)
                            .await;
                    }
                }
                MonitorAction::SetMode(mode) => self.caller.media.monitor_mode(&s, mode).await,
                MonitorAction::Leave => self.caller.media.unmonitor(&s).await,
                MonitorAction::HangUp => {
                    if let Some(mut leg) = self.monitor.leg.take() {
                        leg.hang_up(&s).await;
                        leg.close(&s).await;
                    }
                }
                MonitorAction::Close => {
                    if let Some(mut leg) = self.monitor.leg.take() {
                        leg.answered = None;
                        leg.close(&s).await;
                    }
                }
                MonitorAction::Publish(status) => {
                    tracing::info!(
                        monitor = status.id.0,
                        supervisor = %status.supervisor,
                        mode = status.mode.name(),
                        state = ?status.state,
                        "monitor"
                    );
                    s.registry.publish_monitor(status);
                }
                MonitorAction::Count(count) => CallMetrics::bump(match count {
                    MonitorCount::Started => &s.metrics.monitors_started,
                    MonitorCount::Failed => &s.metrics.monitors_failed,
                }),
            }
        }
    }

    /// Opens the supervisor's media leg on the caller's worker and rings
    /// their phones; the status to fail with when none could be rung (480:
    /// no reachable contact, 503: no media).
    async fn ring_supervisor(&mut self, supervisor: AgentId, aor: &str) -> Result<(), u16> {
        let s = self.s.clone();
        let laws = match self.caller.media.negotiated {
            Some(n) => vec![n.law, super::other_law(n.law)],
            None => vec![Law::Mu, Law::A],
        };
        let (media, sdp) = MediaLeg::offer_to_phone(
            &s,
            self.task.0,
            self.caller.media.worker,
            &laws,
            &self.caller.peer,
        )
        .map_err(|_| 503u16)?;
        let queue = self.flow.queue().clone();
        let ring = Ring {
            call: self.task.0,
            agent: supervisor,
            aor,
            caller_number: &self.arrival.caller_number,
            queue_name: &queue.name,
            auto_answer: false,
            owner: &self.owner,
        };
        match AgentLeg::ring(&s, ring, media, sdp).await {
            Ok(leg) => {
                self.monitor.leg = Some(leg);
                Ok(())
            }
            Err(media) => {
                media.close(&s).await;
                Err(480)
            }
        }
    }
}
