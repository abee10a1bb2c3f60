//! Call control: where SIP, media and the dispatch core meet (ARCHITECTURE.md).
//!
//! One task per call owns everything about it: the caller's dialog and media
//! leg, the agent legs it rings, and its interaction record. The dispatch
//! core is owned by one task ([`dispatch`]) fed through a bounded channel; it
//! tells each call what to do (ring an agent, stop ringing, announce,
//! redirect) through the call's own channel, found in the [`Registry`].
//!
//! A call's life, in the order the issue describes it:
//! - [`admission`]: an INVITE is taken only from a trunk (by source address,
//!   with digest when the trunk has credentials) or from an authenticated
//!   user; anything else gets 403 and is counted. The dialled number
//!   (Request-URI user, else To) picks the queue through the inbound routes
//!   or the queue numbers; an unknown number gets 404.
//! - [`queue_call`]: the caller is answered with the SDP answer and hears the
//!   queue's hold music; announcements interrupt it when dispatch says so;
//!   DTMF 1 leaves the queue where the queue offers it; agents are rung
//!   through [`agent_leg`] (every registered contact of the agent at once,
//!   the first answer wins); the answer bridges the media and stops the
//!   music; either side's BYE ends both legs.
//! - [`outbound_call`]: an agent's own call, out through a trunk or to a
//!   colleague's extension; the latter is the consultation an attended
//!   transfer ([`consult`]) hands over to the queue call.
//! - [`pickup_call`]: a member of a pickup group dials the pickup code and
//!   takes a queue call ringing a colleague's phone ([`pickup`]).
//! - [`click_dial_call`]: an agent on a desk phone dials from the panel:
//!   their phone is rung first, then the number ([`click_dial`]).
//! - The record ([`crate::cdr::RecordBuilder`]) is written when the call
//!   arrives and completed when the call and the agent's after-call work are
//!   over.

pub mod admission;
pub mod agent_leg;
pub mod agents;
pub mod callback;
pub mod callback_call;
pub mod click_dial;
pub mod click_dial_call;
pub mod consult;
pub mod day_turn;
pub mod dial;
pub mod dispatch;
pub mod flow;
pub mod follow_up;
pub mod follow_up_service;
pub mod history;
pub mod ivr;
pub mod ivr_call;
pub mod media;
pub mod metrics;
pub mod monitor;
pub mod outbound;
pub mod outbound_call;
pub mod outbound_target;
pub mod ownership;
pub mod pickup;
pub mod pickup_call;
pub mod queue_call;
pub mod recording;
pub mod records;
pub mod routing;
pub mod schedule;
pub mod signalling;
pub mod staffing;
pub mod two_legs;
pub mod voicemail;
pub mod wallboard;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::acd::{AgentId, CallId, ExitTarget};
use crate::cdr::{CallEvent, RecordConfig};
use crate::media::engine::MediaEngine;
use crate::media::leg::LegId;
use crate::media::library::LiveLibrary;
use crate::media::worker::MediaEvent;
use crate::sip::location::Location;
use crate::sip::tu::CoreHandle;
use crate::store::Store;

pub use admission::Authorize;
pub use dispatch::DispatchInput;
pub use metrics::CallMetrics;
pub use routing::{Routing, RoutingHandle};
pub use signalling::SipLocal;

/// What the dispatch task and the media events tell a call task.
#[derive(Debug)]
pub enum CallInput {
    /// Ring `agent` (registered at `aor`) for `ring_for`.
    Offer {
        agent: AgentId,
        aor: String,
        ring_for: Duration,
        auto_answer: bool,
    },
    /// Stop ringing `agent`; release the agent leg if it was answered.
    CancelOffer { agent: AgentId },
    /// Play the announcement to the waiting caller.
    Announce {
        position: Option<u32>,
        estimated_wait: Option<Duration>,
        queue_exit: bool,
    },
    /// The queue timeout passed: go to the exit target.
    Redirect { target: ExitTarget },
    /// A record event decided by the dispatch core (or the agent's result,
    /// which the dispatch task hands on before it ends the after-call work).
    Record(CallEvent),
    /// A digit or playback event of one of the call's media legs.
    Media(MediaEvent),
    /// The agent panel: the connected agent transfers the caller to
    /// `target` (a queue number or an agent's extension).
    Transfer {
        agent: AgentId,
        target: String,
        reply: tokio::sync::oneshot::Sender<flow::TransferVerdict>,
    },
    /// The agent panel: `agent` asks to record the call from now on (a
    /// queue that records on demand). Only a queue call answers; elsewhere
    /// the dropped reply refuses.
    RecordNow {
        agent: AgentId,
        reply: tokio::sync::oneshot::Sender<flow::RecordVerdict>,
    },
    /// An attended transfer of `agent`'s queue call replaces this internal
    /// call: hand the called agent's answered leg over, if its media sits on
    /// `worker` (the caller's), and hang up `agent`. Refused by dropping
    /// `reply`.
    HandOver {
        agent: AgentId,
        worker: usize,
        reply: tokio::sync::oneshot::Sender<consult::Handover>,
    },
    /// A supervisor asks to monitor the call (listen, whisper, barge), and
    /// may see the queues of `scope`. Only a queue call answers; elsewhere
    /// the dropped reply means "no such call".
    Monitor {
        request: monitor::MonitorRequest,
        scope: monitor::QueueScope,
        reply: tokio::sync::oneshot::Sender<monitor::MonitorVerdict>,
    },
    /// The dispatch core was rebuilt after a failure: say where the call
    /// stands, under which record id ([`flow::CallFlow::resume`]). Only a
    /// queue call answers; the dropped reply means "nothing to resume".
    Resume {
        reply: tokio::sync::oneshot::Sender<(CallId, flow::Resumed)>,
    },
    /// `agent` picked up the call from a colleague's ringing phone
    /// (dispatch has handed it to them): answer their INVITE, bridged to
    /// the caller. Only a queue call holds an offer to pick up.
    PickUp {
        agent: AgentId,
        call: Box<crate::sip::tu::NewCall>,
    },
    /// The supervisor monitoring the call changes the mode, or stops
    /// (`mode` none).
    MonitorChange {
        supervisor: AgentId,
        mode: Option<crate::media::mixer::MonitorMode>,
        reply: tokio::sync::oneshot::Sender<monitor::MonitorVerdict>,
    },
}

/// What the dispatch task tells call control's callback service: a callback
/// entry of the dispatch core has no caller on the line, so no call task of
/// its own until call control gives it one.
#[derive(Debug)]
pub enum CallbackInput {
    /// Ring `agent` (registered at `aor`) for `ring_for` with the callback
    /// `call`, attempt number `attempt` (1 is the first). Report the agent's
    /// answer, rejection or failure as for a call (`OfferAccepted`,
    /// `OfferRejected`, `OfferFailed`); once answered, dial the callback's
    /// number from the agent's leg and report `CallbackConnected` when the
    /// customer answers, or `CallbackUnreachable` (with `retry` unless the
    /// number is not worth trying again); `Hangup` when the connected call
    /// ends. Nothing answered: the offer stays pending until its agent
    /// timeout, so an offer is answered or reported failed.
    Offer {
        call: CallId,
        agent: AgentId,
        aor: String,
        ring_for: Duration,
        auto_answer: bool,
        attempt: u32,
    },
    /// What a call task would be told (`CancelOffer`, `Record`) for an id no
    /// call task holds: a callback's, when call control has not (yet) given
    /// it a task. Unknown ids are to be ignored.
    Call { call: CallId, input: CallInput },
    /// A callback's progress, for its stored request: `CallbackDialling`,
    /// `CallbackAttemptFailed`, and `LeftQueue` with `CallbackEnded`.
    Notice(crate::acd::Notice),
}

/// Settings every call uses.
#[derive(Debug, Clone)]
pub struct CallSettings {
    /// Our SIP domain, in From/To of the legs we place and in records.
    pub domain: String,
    /// The prompt language folder under `media/prompts/`.
    pub language: String,
    /// End a call whose media has been silent this long (no RTP); `None` never.
    pub rtp_timeout: Option<Duration>,
    pub records: RecordConfig,
    /// How long the caller may go without ACKing our 200 before the call is
    /// given up (RFC 3261 Timer H covers retransmissions; this is the TU's wait).
    pub ack_wait: Duration,
    /// Calls refused with 503 beyond this many at once.
    pub max_calls: usize,
    /// Where call recordings are written (`media.recordings_dir`).
    pub recordings_dir: std::path::PathBuf,
    /// SRTP towards desk phones we call (`media.srtp`).
    pub srtp: crate::media::sdp::SrtpMode,
    /// The codes a desk phone dials to pick up a colleague's call.
    pub pickup: pickup::Codes,
}

/// Which task owns which call and media leg.
#[derive(Default)]
pub struct Registry {
    /// Each record's id leads to the task of its call; a call that moved on
    /// to a new record (a transfer, another queue) is found under both while
    /// the first record's after-call work lasts.
    calls: Mutex<HashMap<CallId, mpsc::Sender<(CallId, CallInput)>>>,
    legs: Mutex<HashMap<LegId, CallId>>,
    /// The caller's number of each call, for the agent panel's offers.
    callers: Mutex<HashMap<CallId, String>>,
    /// The server is stopping: new calls are refused, calls in progress run on.
    draining: std::sync::atomic::AtomicBool,
    /// Call control's callback service, once it runs.
    callbacks: Mutex<Option<mpsc::Sender<CallbackInput>>>,
    /// Call control's click-to-dial service, once it runs.
    dialer: Mutex<Option<mpsc::Sender<click_dial_call::DialRequest>>>,
    /// Internal calls by the Call-ID of the calling agent's dialog, for the
    /// attended transfers that name them.
    consultations: Mutex<HashMap<String, consult::Consultation>>,
    /// The media worker of the caller each connected agent is bridged to.
    agent_workers: Mutex<HashMap<AgentId, usize>>,
    /// The last monitor of each call (by the call id the supervisor named),
    /// while the call lasts.
    monitors: Mutex<HashMap<CallId, monitor::MonitorStatus>>,
    /// Voicemail messages as they are kept, for the agent panels.
    pub voicemail: voicemail::Notices,
}

impl Registry {
    pub fn add_call(&self, call: CallId, tx: mpsc::Sender<(CallId, CallInput)>) {
        lock(&self.calls).insert(call, tx);
    }

    pub fn remove_call(&self, call: CallId) {
        lock(&self.calls).remove(&call);
        lock(&self.callers).remove(&call);
        lock(&self.monitors).remove(&call);
    }

    /// Notes where a monitor stands, for the API.
    pub fn publish_monitor(&self, status: monitor::MonitorStatus) {
        lock(&self.monitors).insert(status.call, status);
    }

    /// The last monitor of `call`, while the call lasts.
    pub fn monitor_of(&self, call: CallId) -> Option<monitor::MonitorStatus> {
        lock(&self.monitors).get(&call).cloned()
    }

    /// The monitor `supervisor` has ringing or active, if any.
    pub fn monitoring(&self, supervisor: AgentId) -> Option<monitor::MonitorStatus> {
        lock(&self.monitors)
            .values()
            .find(|m| m.supervisor == supervisor && m.is_live())
            .cloned()
    }

    /// Notes the caller's number of `call` (until the call is removed).
    pub fn set_caller(&self, call: CallId, number: &str) {
        lock(&self.callers).insert(call, number.to_owned());
    }

    /// The caller's number of `call`, if noted.
    pub fn caller(&self, call: CallId) -> Option<String> {
        lock(&self.callers).get(&call).cloned()
    }

    /// Removes `call`'s task if it is still the one behind `tx` (a later
    /// task of the same id, a callback's next attempt, stays).
    pub fn remove_task(&self, call: CallId, tx: &mpsc::Sender<(CallId, CallInput)>) {
        let mut calls = lock(&self.calls);
        if calls.get(&call).is_some_and(|t| t.same_channel(tx)) {
            calls.remove(&call);
        }
    }

    /// Forgets the caller's number of `call` (a callback that is over).
    pub fn forget_caller(&self, call: CallId) {
        lock(&self.callers).remove(&call);
    }

    /// Where inputs for `call` go, while its task runs.
    pub fn call(&self, call: CallId) -> Option<CallSender> {
        let tx = lock(&self.calls).get(&call).cloned()?;
        Some(CallSender { call, tx })
    }

    pub fn calls(&self) -> usize {
        lock(&self.calls).len()
    }

    /// Where inputs go for every call task running now, by record id (a
    /// task under two ids is listed twice).
    pub fn live_calls(&self) -> Vec<CallSender> {
        lock(&self.calls)
            .iter()
            .map(|(call, tx)| CallSender {
                call: *call,
                tx: tx.clone(),
            })
            .collect()
    }

    /// From now on new calls are refused (503): the server is stopping.
    pub fn start_draining(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn add_leg(&self, leg: LegId, call: CallId) {
        lock(&self.legs).insert(leg, call);
    }

    pub fn remove_leg(&self, leg: LegId) {
        lock(&self.legs).remove(&leg);
    }

    /// Hands `input` to the call without waiting; false when the call is gone
    /// or too far behind.
    pub fn tell(&self, call: CallId, input: CallInput) -> bool {
        match self.call(call) {
            Some(sender) => sender.try_send(input).is_ok(),
            None => false,
        }
    }

    /// Sets the service callback offers and progress go to.
    pub fn set_callbacks(&self, tx: mpsc::Sender<CallbackInput>) {
        *lock(&self.callbacks) = Some(tx);
    }

    /// Hands `input` to the callback service without waiting; false when
    /// there is none or it is too far behind.
    pub fn tell_callbacks(&self, input: CallbackInput) -> bool {
        lock(&self.callbacks)
            .as_ref()
            .is_some_and(|tx| tx.try_send(input).is_ok())
    }

    /// Sets the service the agent panel's dial requests go to.
    pub fn set_dialer(&self, tx: mpsc::Sender<click_dial_call::DialRequest>) {
        *lock(&self.dialer) = Some(tx);
    }

    /// Hands a click-to-dial to call control without waiting; false when
    /// the server is stopping, or has no dialer or one too far behind.
    pub fn dial(&self, request: click_dial_call::DialRequest) -> bool {
        !self.is_draining()
            && lock(&self.dialer)
                .as_ref()
                .is_some_and(|tx| tx.try_send(request).is_ok())
    }

    /// Notes an internal call an attended transfer may name.
    pub fn add_consultation(&self, c: consult::Consultation) {
        lock(&self.consultations).insert(c.call_id.clone(), c);
    }

    /// Forgets the internal call `call` (filed under `call_id`).
    pub fn remove_consultation(&self, call_id: &str, call: CallId) {
        let mut consultations = lock(&self.consultations);
        if consultations.get(call_id).is_some_and(|c| c.call == call) {
            consultations.remove(call_id);
        }
    }

    /// The internal call whose dialog `replaces` names.
    pub fn consultation(&self, replaces: &consult::Replaces) -> Option<consult::Consultation> {
        lock(&self.consultations)
            .get(&replaces.call_id)
            .filter(|c| c.is_named_by(replaces))
            .cloned()
    }

    /// `agent` talks to a caller whose media is on `worker`.
    pub fn set_agent_worker(&self, agent: AgentId, worker: usize) {
        lock(&self.agent_workers).insert(agent, worker);
    }

    /// `agent` no longer talks to the caller on `worker`.
    pub fn clear_agent_worker(&self, agent: AgentId, worker: usize) {
        let mut workers = lock(&self.agent_workers);
        if workers.get(&agent) == Some(&worker) {
            workers.remove(&agent);
        }
    }

    /// The media worker of the caller `agent` talks to, if any: an internal
    /// call of theirs opens its legs there, so that the agent it reaches can
    /// be bridged to that caller later.
    pub fn agent_worker(&self, agent: AgentId) -> Option<usize> {
        lock(&self.agent_workers).get(&agent).copied()
    }

    fn call_of_leg(&self, leg: LegId) -> Option<CallId> {
        lock(&self.legs).get(&leg).copied()
    }
}

/// The way to one call's task, for inputs about one of its records.
#[derive(Debug, Clone)]
pub struct CallSender {
    call: CallId,
    tx: mpsc::Sender<(CallId, CallInput)>,
}

impl CallSender {
    /// Hands `input` over without waiting.
    pub fn try_send(
        &self,
        input: CallInput,
    ) -> Result<(), mpsc::error::TrySendError<(CallId, CallInput)>> {
        self.tx.try_send((self.call, input))
    }

    /// Hands `input` over, waiting for room.
    pub async fn send(&self, input: CallInput) -> bool {
        self.tx.send((self.call, input)).await.is_ok()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Everything a call task needs, shared by all of them.
pub struct Services {
    pub core: CoreHandle,
    pub store: Store,
    pub records: records::RecordWriter,
    pub location: Arc<Location>,
    pub authorize: Arc<dyn Authorize>,
    pub media: Arc<MediaEngine>,
    /// The address RTP binds to (unspecified: the one routing to each peer).
    pub media_ip: std::net::IpAddr,
    /// The media library; announcements uploaded through the API join it
    /// while the server runs.
    pub library: Arc<LiveLibrary>,
    pub routing: Arc<RoutingHandle>,
    pub dispatch: mpsc::Sender<DispatchInput>,
    pub registry: Arc<Registry>,
    pub settings: CallSettings,
    pub sip: SipLocal,
    pub metrics: Arc<CallMetrics>,
    /// Told of every completed interaction record.
    pub wallboard: Arc<wallboard::Wallboard>,
    /// The projects whose new calls this node takes.
    pub ownership: Arc<ownership::Ownership>,
    next_leg: AtomicU64,
}

impl Services {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        core: CoreHandle,
        store: Store,
        location: Arc<Location>,
        authorize: Arc<dyn Authorize>,
        media: Arc<MediaEngine>,
        media_ip: std::net::IpAddr,
        library: Arc<LiveLibrary>,
        routing: Arc<RoutingHandle>,
        dispatch: mpsc::Sender<DispatchInput>,
        registry: Arc<Registry>,
        settings: CallSettings,
        sip: SipLocal,
        metrics: Arc<CallMetrics>,
        wallboard: Arc<wallboard::Wallboard>,
    ) -> Services {
        Services {
            core,
            records: records::RecordWriter::start(store.clone(), wallboard.clone()),
            wallboard,
            store,
            location,
            authorize,
            media,
            media_ip,
            library,
            routing,
            dispatch,
            registry,
            settings,
            sip,
            metrics,
            ownership: Arc::new(ownership::Ownership::alone()),
            next_leg: AtomicU64::new(1),
        }
    }

    /// As one node of several, taking new calls for `ownership`'s projects.
    pub fn with_ownership(mut self, ownership: Arc<ownership::Ownership>) -> Services {
        self.ownership = ownership;
        self
    }

    /// A media leg id unique in this process.
    pub fn new_leg_id(&self) -> LegId {
        self.next_leg.fetch_add(1, Ordering::Relaxed)
    }
}

/// Forwards the media engine's events to the calls that own the legs.
pub async fn route_media_events(registry: Arc<Registry>, mut events: mpsc::Receiver<MediaEvent>) {
    while let Some(event) = events.recv().await {
        let leg = match &event {
            MediaEvent::Digit { leg, .. }
            | MediaEvent::Playback { leg, .. }
            | MediaEvent::Latched { leg, .. }
            | MediaEvent::Lost { leg } => *leg,
        };
        if let Some(call) = registry.call_of_leg(leg) {
            registry.tell(call, CallInput::Media(event));
        }
    }
}

/// A new interaction id: random below 2^53, so ids stay unique across nodes
/// and restarts and survive a JSON number.
pub fn new_interaction_id() -> u64 {
    use rand::Rng;
    rand::thread_rng().gen_range(1..(1u64 << 53))
}

/// Sleeps until `deadline`, or for ever without one: the timer arm of a
/// task's select loop over a core's `poll_timeout`.
pub async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// The clock of call control's shells (and the agent panel's): wall-clock
/// milliseconds, as records need. The cores never read a clock: they take
/// `now` with every input, so their tests run on a virtual clock.
pub fn now() -> crate::acd::Millis {
    crate::acd::Millis(crate::sip::core::unix_ms())
}
