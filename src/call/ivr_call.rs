//! The IVR call's task: the thin shell around the IVR core ([`Ivr`]) for
//! a caller whose route leads to a menu or a time condition (or straight to
//! a hang-up).
//!
//! The caller is answered at once, as a queue call is. The shell plays the
//! core's prompts through the media worker, feeds it the caller's keys
//! (RFC 4733 and in-band from the media worker, SIP INFO here) and the
//! prompts' ends, and wakes it at its deadline. When the walk reaches a
//! queue, the answered caller is handed to the queue call
//! ([`queue_call::run_answered`]) whose record carries IvrWaitLength and
//! IvrEvent. A walk that reaches a voicemail box hands the caller to a
//! [`Leaving`] here; after the message they hear it was saved and are hung
//! up. A walk that ends anywhere else ends the call here, with its own
//! record: a goodbye prompt and BYE, or the caller's hang-up.

mod connect;

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::cdr::{CallEvent, RecordBuilder};
use crate::media::player::PlayerEvent;
use crate::media::prompts::{self, Prompt};
use crate::media::worker::MediaEvent;
use crate::sip::message::{Method, Request, Response};
use crate::sip::tu::{DialogKey, NewCall, SipEvent};

use super::flow::RecordWrite;
use super::ivr::{Action, Destination, Input, Ivr, Visit};
use super::metrics::CallMetrics;
use super::queue_call::{self, Answered, Arrival};
use super::signalling::in_dialog;
use super::voicemail::{self, deposit::Ending, Leaving};
use super::{now, sleep_until, CallInput, Services};

/// How long the goodbye prompt may take before the BYE goes anyway.
const GOODBYE_LIMIT: Duration = Duration::from_secs(30);

/// The goodbye prompt's tag: the core's tags count up from 1.
const GOODBYE_TAG: u64 = u64::MAX;

/// What the caller hears before the server hangs up.
enum Last<'a> {
    /// A file of the media library.
    File(&'a str),
    Prompt(Prompt),
}

/// How the caller's part in the menus ended.
enum Ended {
    /// The walk sent the caller to `Destination`.
    Left(Destination),
    /// The caller hung up (BYE, CANCEL).
    HungUp,
    /// The caller never ACKed, or the SIP core is gone.
    Lost,
}

struct IvrCall {
    s: Arc<Services>,
    call: Answered,
    ivr: Ivr,
    record: RecordBuilder,
    acked: bool,
    /// The record's IvrEvent when it is not the walk's path.
    fixed_path: Option<String>,
}

/// Answers the caller and walks them from `start` (a menu).
pub async fn run(s: Arc<Services>, call: NewCall, start: Destination, arrival: Arrival) {
    let Some(answered) = queue_call::answer_caller(&s, call, &arrival, None).await else {
        return;
    };
    CallMetrics::bump(&s.metrics.ivr_calls);
    let id = answered.id;
    walk_to_end(s, answered, start, arrival, Walker::Caller(id)).await;
}

/// Walks a caller whose queue sent them to `menu` (its exit target): the
/// caller is answered already, and the walk has a record of its own.
pub(super) async fn run_after_queue(
    s: Arc<Services>,
    answered: Answered,
    menu: super::ivr::MenuId,
    arrival: Arrival,
) {
    CallMetrics::bump(&s.metrics.ivr_calls);
    let record = crate::acd::CallId(super::new_interaction_id());
    let start = Destination::Menu(menu);
    walk_to_end(s, answered, start, arrival, Walker::FromQueue(record)).await;
}

/// Walks the caller from `start` to the end of the call, then forgets the
/// call's id.
async fn walk_to_end(
    s: Arc<Services>,
    answered: Answered,
    start: Destination,
    arrival: Arrival,
    walker: Walker,
) {
    let menus = s.routing.get().menus().clone();
    let id = answered.id;
    let record = match walker {
        Walker::Caller(id) | Walker::FromQueue(id) => id,
    };
    let span = tracing::info_span!("ivr", id = record.0);
    walk(s.clone(), answered, start, arrival, menus, walker)
        .instrument(span)
        .await;
    s.registry.remove_call(id);
}

/// Whose walk it is, and so the id of its record.
#[derive(Clone, Copy)]
enum Walker {
    /// A new caller: the record has the call's id.
    Caller(crate::acd::CallId),
    /// A caller a queue sent on (who has ACKed long ago): a new record.
    FromQueue(crate::acd::CallId),
}

/// Answers a blacklisted caller, plays them the media library file
/// `prompt`, and hangs up; the record's IvrEvent says `blacklist`.
pub async fn run_prompt(s: Arc<Services>, call: NewCall, prompt: String, arrival: Arrival) {
    let Some(answered) = queue_call::answer_caller(&s, call, &arrival, None).await else {
        return;
    };
    let id = answered.id;
    let span = tracing::info_span!("blacklisted", id = id.0);
    async {
        let entered = now();
        let mut record = RecordBuilder::new(
            entered,
            queue_call::record_arrival(&s, id, &arrival),
            s.settings.records,
        );
        let _ = record.handle(entered, CallEvent::EnteredIvr);
        record.set_ivr_event("blacklist".into());
        super::records::write(&s, RecordWrite::Open, record.record()).await;
        let mut c = IvrCall {
            s: s.clone(),
            call: answered,
            ivr: Ivr::new(entered, Arc::default(), Destination::Hangup),
            record,
            acked: false,
            fixed_path: Some("blacklist".into()),
        };
        c.goodbye(Some(&prompt)).await;
        CallMetrics::bump(&s.metrics.ended);
    }
    .instrument(span)
    .await;
    s.registry.remove_call(id);
}

async fn walk(
    s: Arc<Services>,
    answered: Answered,
    start: Destination,
    arrival: Arrival,
    menus: Arc<super::ivr::Menus>,
    walker: Walker,
) {
    let (record_id, acked) = match walker {
        Walker::Caller(id) => (id, false),
        Walker::FromQueue(id) => (id, true),
    };
    let entered = now();
    let mut record = RecordBuilder::new(
        entered,
        queue_call::record_arrival(&s, record_id, &arrival),
        s.settings.records,
    );
    let _ = record.handle(entered, CallEvent::EnteredIvr);
    super::records::write(&s, RecordWrite::Open, record.record()).await;
    let mut c = IvrCall {
        s: s.clone(),
        call: answered,
        ivr: Ivr::new(entered, menus, start),
        record,
        acked,
        fixed_path: None,
    };
    let ended = c.walk().await;
    let path = c.ivr.path();
    tracing::debug!(id = record_id.0, %path, "IVR walk over");
    match ended {
        Ended::Left(Destination::Queue(q)) => match queue_of(&s, q) {
            Some(queue) => {
                let visit = Visit {
                    entered,
                    path,
                    acked: c.acked,
                };
                queue_call::run_answered(s, c.call, queue, arrival, Some(visit), record_id).await;
                return;
            }
            None => {
                tracing::warn!(queue = q.0, "IVR destination queue is gone: goodbye");
                CallMetrics::bump(&s.metrics.ivr_unreachable);
                c.goodbye(None).await;
            }
        },
        Ended::Left(Destination::Voicemail(b)) => {
            c.leave_voicemail(b, &arrival.caller_number).await
        }
        Ended::Left(Destination::Hangup | Destination::Menu(_) | Destination::Condition(_)) => {
            c.goodbye(None).await
        }
        Ended::Left(Destination::Extension(ext)) => {
            c.connect(connect::Target::Extension(ext), &arrival).await
        }
        Ended::Left(Destination::Number(number)) => {
            c.connect(connect::Target::Number(number), &arrival).await
        }
        Ended::HungUp => c.finish(CallEvent::CallerHungUp).await,
        Ended::Lost => c.finish(CallEvent::SystemEnded).await,
    }
    CallMetrics::bump(&s.metrics.ended);
}

fn queue_of(s: &Services, q: crate::acd::QueueId) -> Option<Arc<super::routing::QueueInfo>> {
    s.routing.get().queue(q)
}

impl IvrCall {
    /// Runs the core until the walk is over or the caller is gone.
    async fn walk(&mut self) -> Ended {
        loop {
            if let Some(left) = self.perform().await {
                return Ended::Left(left);
            }
            let deadline = self
                .ivr
                .poll_timeout()
                .map(|at| tokio::time::Instant::now() + at.since(now()));
            tokio::select! {
                event = self.call.events.recv() => match event {
                    Some(event) => {
                        if let Some(ended) = self.on_sip(event).await {
                            return ended;
                        }
                    }
                    None => return Ended::Lost,
                },
                input = self.call.inputs.recv() => match input {
                    Some((_, input)) => self.on_input(input),
                    None => return Ended::Lost,
                },
                _ = sleep_until(deadline) => self.ivr.handle_timeout(now()),
            }
        }
    }

    /// Carries out the core's actions; the destination once it leaves.
    async fn perform(&mut self) -> Option<Destination> {
        while let Some(action) = self.ivr.poll_action() {
            match action {
                Action::Play { name, tag } => {
                    let s = &self.s;
                    match s.library.get(&name) {
                        Some(source) => {
                            self.call.media.stop_playback(s).await;
                            self.call.media.announce(s, vec![source], tag).await;
                        }
                        None => {
                            tracing::warn!(prompt = %name, "IVR prompt not in the media library");
                            self.ivr.handle(now(), Input::PromptDone { tag });
                        }
                    }
                }
                Action::Leave(d) => {
                    self.record.set_ivr_event(self.ivr.path());
                    return Some(d);
                }
            }
        }
        None
    }

    fn on_input(&mut self, input: CallInput) {
        let input = match input {
            CallInput::Media(MediaEvent::Digit { digit, leg }) if leg == self.call.media.id => {
                Input::Digit(digit.key)
            }
            CallInput::Media(MediaEvent::Playback {
                event: PlayerEvent::AnnouncementDone { tag },
                leg,
            }) if leg == self.call.media.id => Input::PromptDone { tag },
            _ => return,
        };
        self.ivr.handle(now(), input);
    }

    /// The caller's requests: BYE ends the walk, INFO carries a key.
    async fn on_sip(&mut self, event: SipEvent) -> Option<Ended> {
        match event {
            SipEvent::Request { tx, request, .. } => {
                if !self.is_callers(&request) {
                    self.respond(tx, &request, 481, "Call/Transaction Does Not Exist")
                        .await;
                    return None;
                }
                match request.method {
                    Method::Bye => {
                        self.respond(tx, &request, 200, "OK").await;
                        return Some(Ended::HungUp);
                    }
                    Method::Info => {
                        let ct = request.content_type().unwrap_or("").to_owned();
                        let body = String::from_utf8_lossy(&request.body).into_owned();
                        match crate::media::dtmf::parse_info(&ct, &body, std::time::Instant::now())
                        {
                            Ok(digit) => {
                                self.respond(tx, &request, 200, "OK").await;
                                self.ivr.handle(now(), Input::Digit(digit.key));
                            }
                            Err(e) => self.respond(tx, &request, 415, &e.to_string()).await,
                        }
                    }
                    Method::Options => self.respond(tx, &request, 200, "OK").await,
                    // Hold and moved media wait for the queue; a menu keeps
                    // the media it answered with.
                    Method::Invite => self.respond(tx, &request, 488, "Not Acceptable Here").await,
                    _ => self.respond(tx, &request, 501, "Not Implemented").await,
                }
                None
            }
            SipEvent::Ack { request, .. } => {
                if self.is_callers(&request) {
                    self.acked = true;
                }
                None
            }
            SipEvent::Cancelled { .. } => Some(Ended::HungUp),
            SipEvent::ServerTimeout { .. } => {
                CallMetrics::bump(&self.s.metrics.ack_timeouts);
                Some(Ended::Lost)
            }
            _ => None,
        }
    }

    /// Hands the caller to voicemail box `box_id` until their message is
    /// done, then says how it went and hangs up; a box that is gone is a
    /// goodbye, counted.
    async fn leave_voicemail(&mut self, box_id: i64, caller_number: &str) {
        let s = self.s.clone();
        let interaction = self.record.record().interaction_id.0;
        let Some(mut leaving) =
            Leaving::start(&s, &self.call.media, box_id, caller_number, interaction).await
        else {
            CallMetrics::bump(&s.metrics.ivr_unreachable);
            return self.goodbye(None).await;
        };
        let ending = loop {
            let deadline = leaving
                .deadline()
                .map(|at| tokio::time::Instant::now() + at.since(now()));
            let ending = tokio::select! {
                event = self.call.events.recv() => match event {
                    Some(event) => match self.on_sip(event).await {
                        Some(Ended::Left(_)) | None => None,
                        Some(gone) => {
                            leaving.caller_gone(&s, &self.call.media).await;
                            let why = match gone {
                                Ended::HungUp => CallEvent::CallerHungUp,
                                _ => CallEvent::SystemEnded,
                            };
                            return self.finish(why).await;
                        }
                    },
                    None => {
                        leaving.caller_gone(&s, &self.call.media).await;
                        return self.finish(CallEvent::SystemEnded).await;
                    }
                },
                input = self.call.inputs.recv() => match input {
                    Some((_, CallInput::Media(MediaEvent::Digit { digit, leg })))
                        if leg == self.call.media.id =>
                    {
                        leaving.digit(&s, &self.call.media, digit.key).await
                    }
                    Some((_, CallInput::Media(MediaEvent::Playback {
                        event: PlayerEvent::AnnouncementDone { tag },
                        leg,
                    }))) if leg == self.call.media.id && voicemail::owns_tag(tag) => {
                        leaving.playback_done(&s, &self.call.media, tag).await
                    }
                    Some(_) => None,
                    None => {
                        leaving.caller_gone(&s, &self.call.media).await;
                        return self.finish(CallEvent::SystemEnded).await;
                    }
                },
                _ = sleep_until(deadline) => leaving.timeout(&s, &self.call.media).await,
            };
            if let Some(ending) = ending {
                break ending;
            }
        };
        let last = match ending {
            Ending::Saved => Prompt::VoicemailSaved,
            Ending::TooShort => Prompt::Goodbye,
        };
        self.last_words(Last::Prompt(last)).await;
    }

    /// Plays the goodbye prompt, or the media library file `prompt`
    /// (while the caller may still hang up), then sends BYE and completes
    /// the record.
    async fn goodbye(&mut self, prompt: Option<&str>) {
        let last = match prompt {
            Some(name) => Last::File(name),
            None => Last::Prompt(Prompt::Goodbye),
        };
        self.last_words(last).await;
    }

    async fn last_words(&mut self, last: Last<'_>) {
        let s = self.s.clone();
        let sources = match last {
            Last::File(name) => s
                .library
                .get(name)
                .map(|source| vec![source])
                .ok_or_else(|| format!("{name} is not in the media library")),
            Last::Prompt(prompt) => {
                prompts::resolve(&s.library.snapshot(), &s.settings.language, &[prompt])
                    .map_err(|e| e.to_string())
            }
        };
        let played = match sources {
            Ok(sources) => {
                self.call.media.stop_playback(&s).await;
                self.call.media.announce(&s, sources, GOODBYE_TAG).await;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "last prompt missing");
                false
            }
        };
        let limit = tokio::time::Instant::now() + GOODBYE_LIMIT;
        if played {
            loop {
                tokio::select! {
                    event = self.call.events.recv() => match event {
                        Some(SipEvent::Request { tx, request, .. })
                            if request.method == Method::Bye && self.is_callers(&request) =>
                        {
                            self.respond(tx, &request, 200, "OK").await;
                            return self.finish(CallEvent::CallerHungUp).await;
                        }
                        Some(SipEvent::Request { tx, request, .. }) => {
                            self.respond(tx, &request, 200, "OK").await;
                        }
                        Some(_) => {}
                        None => break,
                    },
                    input = self.call.inputs.recv() => match input {
                        Some((_, CallInput::Media(MediaEvent::Playback {
                            event: PlayerEvent::AnnouncementDone { tag: GOODBYE_TAG },
                            ..
                        }))) => break,
                        Some(_) => {}
                        None => break,
                    },
                    _ = tokio::time::sleep_until(limit) => break,
                }
            }
        }
        self.hang_up_caller().await;
    }

    /// Sends the caller BYE and completes the record, ended by the system.
    async fn hang_up_caller(&mut self) {
        let s = self.s.clone();
        let bye = in_dialog(&s.sip, &mut self.call.dialog, Method::Bye, &self.call.peer);
        let _ = s
            .core
            .send(bye, self.call.peer, self.call.owner.clone())
            .await;
        self.finish(CallEvent::SystemEnded).await;
    }

    /// Completes the record with `why` and frees the caller's media and
    /// dialog.
    async fn finish(&mut self, why: CallEvent) {
        let s = self.s.clone();
        let path = self.fixed_path.clone().unwrap_or_else(|| self.ivr.path());
        self.record.set_ivr_event(path);
        let _ = self.record.handle(now(), why);
        super::records::write(&s, RecordWrite::Complete, self.record.record()).await;
        self.call.media.close(&s).await;
        let key = DialogKey {
            call_id: self.call.dialog.id.call_id.clone(),
            local_tag: self.call.dialog.id.local_tag.clone(),
        };
        let _ = s.core.release(key).await;
    }

    fn is_callers(&self, request: &Request) -> bool {
        request.call_id().map(str::as_bytes) == Some(self.call.dialog.id.call_id.as_ref())
    }

    async fn respond(
        &self,
        tx: crate::sip::transaction::ServerTxId,
        request: &Request,
        status: u16,
        reason: &str,
    ) {
        let _ = self
            .s
            .core
            .respond(tx, Response::for_request(request, status, reason))
            .await;
    }
}
