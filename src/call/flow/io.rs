//! What goes into the queue call's core and what comes out of it: the
//! [`Input`]s the shell feeds it, the [`Action`]s it answers with, and the
//! verdicts, writes and counters those carry.

use std::sync::Arc;
use std::time::Duration;

use crate::acd::{self, AgentId, CallId, ExitTarget, Millis, QueueId};
use crate::cdr::{CallEvent, InteractionRecord};
use crate::media::prompts::Prompt;

use super::super::routing::QueueInfo;

/// Which of the call's prompts ended (the playback tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playback {
    Announcement,
    Goodbye,
    /// The auto-answer beep on the agent's leg.
    Beep,
}

impl Playback {
    pub fn tag(self) -> u64 {
        match self {
            Playback::Announcement => 1,
            Playback::Goodbye => 2,
            Playback::Beep => 3,
        }
    }

    pub fn from_tag(tag: u64) -> Option<Playback> {
        match tag {
            1 => Some(Playback::Announcement),
            2 => Some(Playback::Goodbye),
            3 => Some(Playback::Beep),
            _ => None,
        }
    }
}

/// Where a connected agent sends the caller (resolved by the shell).
#[derive(Debug, Clone, PartialEq)]
pub enum TransferTo {
    /// Into a queue: the caller waits there under a new record.
    Queue(Arc<QueueInfo>),
    /// To another agent, rung directly. `accepted` is the dispatch core's
    /// word: the agent is logged in, free, and Available or in a
    /// Transferable status (it has started the transfer under the new
    /// record's id when it said yes).
    Agent {
        agent: AgentId,
        aor: String,
        accepted: bool,
    },
    /// The agent the transferring agent consulted (attended transfer): their
    /// answered leg is the call's now, and dispatch holds them for the
    /// transfer under the new record's id.
    Consulted { agent: AgentId },
    /// The consultation the REFER's Replaces names is not there (never was,
    /// or either side hung up), or could not be taken over.
    NoConsultation,
    /// A number no queue or extension takes that an outbound route of the
    /// project takes (and the agent may use): dialled on the caller's
    /// behalf ([`external`]).
    External { number: String },
    /// Routes take the number, but the agent's Dial Plan permission lets
    /// them use none.
    ExternalNotAllowed,
    /// Nothing the server can reach by that name.
    Unknown,
}

/// The answer to a transfer request, for the REFER's response or its
/// final NOTIFY (RFC 3515 section 2.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferVerdict {
    /// The caller is on their way (the REFER's 202 and a NOTIFY of 200).
    Accepted,
    /// The target may not take it now (403).
    Forbidden,
    /// No such target (404).
    NotFound,
    /// The call is not connected to the transferring agent (481).
    NotNow,
    /// The consultation to replace does not exist: the REFER is accepted
    /// and its NOTIFY reports 481, as the INVITE with Replaces a phone would
    /// have sent would have been answered (RFC 5589 section 7, RFC 3891
    /// section 3). The dialog the REFER came in goes on.
    NoDialog,
    /// The external number was dialled and did not answer: busy, no
    /// answer, refused (`status`: its final response, 408 for none). The
    /// caller stays with the agent.
    Failed { status: u16 },
}

/// The answer to the connected agent's request to record the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordVerdict {
    /// The recording starts now (or as soon as the auto-answer beep ends).
    Started,
    /// The one asking is not connected to the call.
    NotConnected,
    /// The call is being recorded already (asked before, or the queue
    /// records every call).
    AlreadyRecording,
    /// The queue records no call.
    NotAllowed,
}

/// Where a call stands for a rebuilt dispatch core ([`super::CallFlow::resume`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumed {
    /// Waiting in `queue` since `arrived`.
    Waiting { queue: QueueId, arrived: Millis },
    /// With `agent` (talking, or ringing them as a transfer).
    WithAgent { agent: AgentId },
}

/// What the call task tells the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The caller ACKed our 200.
    CallerAcked,
    /// The caller sent BYE (or CANCEL before our 200 reached them).
    CallerHungUp,
    /// Our 200 was retransmitted until Timer H without an ACK.
    CallerNeverAcked,
    /// The connected agent sent BYE.
    AgentHungUp { agent: AgentId },
    /// The connected agent put the call on hold or took it off (re-INVITE).
    AgentHold { on_hold: bool },
    /// A ringing agent answered; `browser` when a browser took it (it plays
    /// the auto-answer beep itself).
    AgentAnswered { agent: AgentId, browser: bool },
    /// A ringing agent leg failed, was refused, or could not be opened.
    AgentMissed { agent: AgentId, rejected: bool },
    /// A key the caller pressed (RFC 4733 or INFO).
    Digit(char),
    /// The caller's media (or the connected agent's) has been silent for the
    /// RTP timeout.
    MediaSilent,
    /// The connected agent's browser leg is gone.
    AgentMediaLost,
    /// A prompt on one of the call's legs ended.
    PlaybackDone(Playback),
    /// The SIP core is gone: the call cannot go on.
    SipGone,
    /// Dispatch, for record `call`: ring `agent` at `aor`.
    Offer {
        call: CallId,
        agent: AgentId,
        aor: String,
        auto_answer: bool,
    },
    /// Dispatch: stop ringing `agent`, or release them if they answered.
    CancelOffer { call: CallId, agent: AgentId },
    /// Dispatch: play the announcement to the waiting caller.
    Announce {
        call: CallId,
        position: Option<u32>,
        estimated_wait: Option<Duration>,
        queue_exit: bool,
    },
    /// Dispatch: the queue timeout passed.
    Redirect { call: CallId, target: ExitTarget },
    /// Dispatch: a record event for record `call` (or the agent's result).
    Record { call: CallId, event: CallEvent },
    /// The shell's answer to [`Action::LookupQueue`]; `next` is the id of the
    /// record the new queue opens.
    QueueFound {
        queue: Option<Arc<QueueInfo>>,
        next: CallId,
    },
    /// The shell's answer to [`Action::StoreCallback`]: the stored
    /// request's id (the callback's id in the dispatch core), or `None` when
    /// it could not be stored.
    CallbackStored { callback: Option<CallId> },
    /// The shell's answer to [`Action::StartRecording`]: the file the
    /// bridge is being recorded to.
    Recording { file: String },
    /// `agent` asks to record the call from now on (the agent panel); the
    /// core answers with [`Action::RecordVerdict`].
    RecordNow { agent: AgentId },
    /// The connected agent sends the caller on (a blind transfer); `next`
    /// is the id of the record the transfer opens.
    Transfer {
        agent: AgentId,
        to: TransferTo,
        next: CallId,
    },
    /// The external party of a transfer answered.
    ExternalAnswered,
    /// The external party's leg ended without an answer (`status`: its
    /// final response; 0 when none came or it could not be sent).
    ExternalMissed { status: u16 },
    /// The external party hung up after answering.
    ExternalHungUp,
    /// Dispatch handed record `call` to `agent`, who picked it up from a
    /// colleague's ringing phone (pickup groups); their INVITE waits.
    PickedUp { call: CallId, agent: AgentId },
    /// The caller's message is done (`#` or its longest length); `None`
    /// when no message could be left (no such box).
    VoicemailOver {
        ending: Option<crate::call::voicemail::deposit::Ending>,
    },
}

/// What the call task must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Loop the queue's hold music to the caller.
    PlayHoldMusic { queue: Arc<QueueInfo> },
    /// Interrupt the music with the announcement.
    Announce {
        position: Option<u32>,
        estimated_wait: Option<Duration>,
        queue_exit: bool,
    },
    /// Stop the caller's playback and play a last prompt; report
    /// [`Playback::Goodbye`] when it ends (or at once when it cannot play).
    Goodbye(Prompt),
    /// Open an agent leg and ring it; report [`Input::AgentAnswered`] or
    /// [`Input::AgentMissed`].
    Ring {
        agent: AgentId,
        aor: String,
        auto_answer: bool,
    },
    /// End an agent leg: CANCEL or BYE as it stands, then free it.
    HangUpAgent { agent: AgentId },
    /// Free an agent leg whose dialog is already over (it failed, refused,
    /// or the agent sent BYE).
    CloseAgent { agent: AgentId },
    /// Play the auto-answer beep on the agent's leg; report
    /// [`Playback::Beep`] when it ends (or at once when it cannot play).
    Beep { agent: AgentId },
    /// Stop the caller's playback and bridge the caller with the agent.
    Bridge { agent: AgentId },
    /// Record the bridge of the caller and `agent` for the record
    /// `interaction`; answer with [`Input::Recording`].
    StartRecording { agent: AgentId, interaction: u64 },
    /// Take the caller out of the bridge.
    Unbridge,
    /// Send BYE to the caller.
    ByeCaller,
    /// Free the caller's media and dialog.
    CloseCaller,
    /// Tell the dispatch core.
    Dispatch(acd::Event),
    /// Write a record: a new row, a checkpoint, or its completion.
    Record(RecordWrite, Box<InteractionRecord>),
    /// From now on inputs for `call` reach this call (a new record's id).
    Listen(CallId),
    /// Inputs for `call` may stop (its record is complete).
    Forget(CallId),
    /// Find the queue the caller is sent to; answer with [`Input::QueueFound`].
    LookupQueue(QueueId),
    /// Store a callback request for the caller in `queue`; answer with
    /// [`Input::CallbackStored`].
    StoreCallback {
        queue: QueueId,
        interaction: u64,
        at: Millis,
    },
    /// Answer the transfer request.
    TransferVerdict(TransferVerdict),
    /// The transfer request is taken and under way (a REFER's 202 and a
    /// NOTIFY of 100 Trying); its [`Action::TransferVerdict`] follows.
    TransferPending,
    /// Dial `number` through the outbound route the transfer resolved,
    /// on the caller's behalf; report [`Input::ExternalAnswered`] or
    /// [`Input::ExternalMissed`].
    RingExternal { number: String },
    /// Stop the caller's playback and bridge the caller with the external
    /// party.
    BridgeExternal,
    /// CANCEL or BYE the external leg, as it stands, and free it.
    HangUpExternal,
    /// Free the external leg, whose dialog is over.
    CloseExternal,
    /// Hand the caller to voicemail box `voicemail` for a message under the
    /// record `interaction`; report [`Input::VoicemailOver`].
    LeaveVoicemail { voicemail: u64, interaction: u64 },
    /// The queue's part of the call is over: take the caller, still
    /// connected, through IVR menu `menu` (instead of BYE and closing).
    EnterMenu { menu: u64 },
    /// Answer the picker's INVITE (200 with the SDP answer of a leg on the
    /// caller's media worker): the agent leg of `agent` from now on. A leg
    /// that cannot be opened reports [`Input::AgentHungUp`].
    AnswerPickup { agent: AgentId },
    /// Refuse the picker's INVITE: the caller no longer waits.
    RefusePickup { agent: AgentId },
    /// Answer the request to record the call.
    RecordVerdict(RecordVerdict),
    /// Count it.
    Count(Count),
    /// The call is over and its records written: the task may end.
    Finished,
}

/// How a record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordWrite {
    Open,
    Checkpoint,
    Complete,
}

/// The call counters the core decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    AgentMisses,
    AgentAnswers,
    AckTimeouts,
    QueueExits,
    Redirects,
    ExitFailures,
    CallbackRequests,
    MediaTimeouts,
    Transfers,
    TransfersRefused,
    Pickups,
}
