//! The interaction record: one per interaction, with the field names of the
//! product's finish_interaction payload.
//!
//! The JSON form is the payload itself: every field carries its product name
//! (`Agent`, `InteractionID`, `QueueWaitLength`, ...). Moments are milliseconds
//! since the Unix epoch (a [`Millis`] whose epoch is 1970-01-01T00:00:00Z);
//! lengths are seconds with millisecond precision. A record that is still open
//! (the call has not ended) has no `TerminateMoment`, `Disposition`,
//! `TerminateSide` or `Classification` yet.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::acd::{AgentId, CallId, Millis, ProjectId, QueueId, ResultCodeId};

/// An Interaction's id, unique across nodes. The dispatch core knows the same
/// number as the call's [`CallId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InteractionId(pub u64);

impl From<CallId> for InteractionId {
    fn from(call: CallId) -> Self {
        InteractionId(call.0)
    }
}

impl std::fmt::Display for InteractionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "interaction-{}", self.0)
    }
}

/// Implements the string form shared by the JSON payload and the stored row.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// The name used in the payload and in the stored row.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The inverse of [`Self::as_str`].
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

named_enum!(
    /// What kind of interaction this is.
    InteractionType {
        Call = "call",
        Text = "text",
    }
);

named_enum!(
    /// Which way the interaction went, seen from the contact center.
    Direction {
        Inbound = "inbound",
        Outbound = "outbound",
        Internal = "internal",
    }
);

named_enum!(
    /// How the interaction was sent elsewhere.
    TransferType {
        /// The agent sent the caller on without staying.
        Blind = "blind",
        /// The agent spoke to the target before handing over.
        Attended = "attended",
        /// The queue timeout sent the caller to the queue's exit target.
        QueueTimeout = "queue timeout",
        /// The caller left the queue by DTMF and went to its exit target.
        QueueExit = "queue exit",
    }
);

named_enum!(
    /// Who ended the interaction.
    TerminateSide {
        Caller = "caller",
        Agent = "agent",
        /// The server (a prompt and hang-up, lost media, shutdown, a failure).
        System = "system",
    }
);

named_enum!(
    /// How the interaction ended for its queue; each record has exactly one.
    Disposition {
        Answered = "answered",
        /// The caller hung up before an agent answered.
        Abandoned = "abandoned",
        /// The caller left the queue by DTMF (the record carries the queue-exit tag).
        AbandonedByQueueExit = "abandoned by queue exit",
        /// The queue timeout sent the caller to the exit target.
        RedirectedByQueueTimeout = "redirected by queue timeout",
        /// The call could not be handled (no media, a refused session, ...).
        Failed = "failed",
        /// The server stopped while the call was in progress; the record was
        /// closed at the next start-up.
        Interrupted = "interrupted",
    }
);

named_enum!(
    /// Where the record counts in service-level reporting.
    Classification {
        /// Answered within the queue's service level.
        AnsweredWithinServiceLevel = "answered within service level",
        AnsweredOutsideServiceLevel = "answered outside service level",
        /// Left the queue unanswered after the short-abandon time.
        Abandoned = "abandoned",
        /// Left the queue unanswered within the short-abandon time.
        ShortAbandon = "short abandon",
        /// Sent on by the queue timeout.
        Redirected = "redirected",
        /// Never waited in a queue, failed or interrupted: not counted.
        NotCounted = "not counted",
    }
);

/// Product tags a record may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tag {
    /// The caller left the queue by pressing the queue-exit key.
    #[serde(rename = "queue-exit")]
    QueueExit,
}

/// One interaction, in the finish_interaction field names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InteractionRecord {
    #[serde(rename = "Agent", with = "ids::opt_agent")]
    pub agent: Option<AgentId>,
    #[serde(rename = "InteractionID")]
    pub interaction_id: InteractionId,
    #[serde(rename = "InteractionType")]
    pub interaction_type: InteractionType,
    #[serde(rename = "Domain")]
    pub domain: String,
    #[serde(rename = "Queue", with = "ids::opt_queue")]
    pub queue: Option<QueueId>,
    #[serde(rename = "Project", with = "ids::opt_project")]
    pub project: Option<ProjectId>,
    #[serde(rename = "Direction")]
    pub direction: Direction,
    #[serde(rename = "InitMoment", with = "moment")]
    pub init_moment: Millis,
    #[serde(rename = "ConnectionMoment", with = "moment::opt")]
    pub connection_moment: Option<Millis>,
    #[serde(rename = "TerminateMoment", with = "moment::opt")]
    pub terminate_moment: Option<Millis>,
    /// From InitMoment to TerminateMoment.
    #[serde(rename = "CallDuration", with = "length")]
    pub call_duration: Duration,
    #[serde(rename = "RemoteNumber")]
    pub remote_number: String,
    #[serde(rename = "LocalNumber")]
    pub local_number: String,
    /// How long the interaction rang at least one agent, over all its offers.
    #[serde(rename = "AlertLength", with = "length")]
    pub alert_length: Duration,
    #[serde(rename = "IvrWaitLength", with = "length")]
    pub ivr_wait_length: Duration,
    /// The path the caller took through IVR menus: one step per menu, such
    /// as `Main:2,Sales:timeout,Sales:fallback`.
    #[serde(rename = "IvrEvent", default)]
    pub ivr_event: Option<String>,
    /// From QueueWaitStart until answer or departure from the queue.
    #[serde(rename = "QueueWaitLength", with = "length")]
    pub queue_wait_length: Duration,
    #[serde(rename = "QueueWaitStart", with = "moment::opt")]
    pub queue_wait_start: Option<Millis>,
    #[serde(rename = "QueueWaitEnd", with = "moment::opt")]
    pub queue_wait_end: Option<Millis>,
    /// From ConnectionMoment until the agent's part ended (hang-up or transfer),
    /// hold included.
    #[serde(rename = "ConnectedLength", with = "length")]
    pub connected_length: Duration,
    #[serde(rename = "HoldLength", with = "length")]
    pub hold_length: Duration,
    #[serde(rename = "ACWLength", with = "length")]
    pub acw_length: Duration,
    #[serde(rename = "TransferTarget")]
    pub transfer_target: Option<String>,
    #[serde(rename = "TransferType")]
    pub transfer_type: Option<TransferType>,
    #[serde(rename = "Disposition")]
    pub disposition: Option<Disposition>,
    #[serde(rename = "TerminateSide")]
    pub terminate_side: Option<TerminateSide>,
    #[serde(rename = "Classification")]
    pub classification: Option<Classification>,
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
    /// The result code the agent closed the interaction with; none when the
    /// after-call work ended by its timer without a submission.
    #[serde(rename = "Verdict", with = "ids::opt_result_code")]
    pub verdict: Option<ResultCodeId>,
    #[serde(rename = "Note")]
    pub note: Option<String>,
    /// When to act on the result (a callback, say), as the agent entered it:
    /// `YYYY-MM-DDTHH:MM`, the contact center's local time.
    #[serde(rename = "ActionDate")]
    pub action_date: Option<String>,
    /// The tags the agent chose (administered tags, by id), in id order.
    #[serde(rename = "UserTags")]
    pub user_tags: Vec<u64>,
    /// The file the call's recording went to (both sides, stereo WAV), when
    /// it was recorded.
    #[serde(rename = "RecordingFile", default)]
    pub recording_file: Option<String>,
    /// An outbound call: from the dialling until the remote party answered
    /// (or the attempt ended).
    #[serde(rename = "DialingLength", with = "length", default)]
    pub dialing_length: Duration,
}

impl InteractionRecord {
    /// A record as it stands when the interaction arrives.
    pub fn new(arrival: Arrival, now: Millis) -> Self {
        InteractionRecord {
            agent: None,
            interaction_id: arrival.id,
            interaction_type: arrival.interaction_type,
            domain: arrival.domain,
            queue: None,
            project: None,
            direction: arrival.direction,
            init_moment: now,
            connection_moment: None,
            terminate_moment: None,
            call_duration: Duration::ZERO,
            remote_number: arrival.remote_number,
            local_number: arrival.local_number,
            alert_length: Duration::ZERO,
            ivr_wait_length: Duration::ZERO,
            ivr_event: None,
            queue_wait_length: Duration::ZERO,
            queue_wait_start: None,
            queue_wait_end: None,
            connected_length: Duration::ZERO,
            hold_length: Duration::ZERO,
            acw_length: Duration::ZERO,
            transfer_target: None,
            transfer_type: None,
            disposition: None,
            terminate_side: None,
            classification: None,
            tags: Vec::new(),
            verdict: None,
            note: None,
            action_date: None,
            user_tags: Vec::new(),
            recording_file: None,
            dialing_length: Duration::ZERO,
        }
    }

    /// Whether the caller left by the queue-exit key.
    pub fn queue_exit(&self) -> bool {
        self.tags.contains(&Tag::QueueExit)
    }

    /// The stored answered-within-service-level flag.
    pub fn answered_within_service_level(&self) -> bool {
        self.classification == Some(Classification::AnsweredWithinServiceLevel)
    }

    /// The stored short-abandon flag.
    pub fn short_abandon(&self) -> bool {
        self.classification == Some(Classification::ShortAbandon)
    }
}

/// What is known when an interaction arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub id: InteractionId,
    pub interaction_type: InteractionType,
    pub direction: Direction,
    /// The SIP domain (or tenant) the interaction arrived on.
    pub domain: String,
    /// The caller's number for inbound calls.
    pub remote_number: String,
    /// The dialled number for inbound calls.
    pub local_number: String,
}

/// Moments as integer milliseconds since the Unix epoch.
mod moment {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::acd::Millis;

    pub fn serialize<S: Serializer>(m: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(m.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
        u64::deserialize(d).map(Millis)
    }

    pub mod opt {
        use super::*;

        pub fn serialize<S: Serializer>(m: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
            match m {
                Some(m) => s.serialize_some(&m.0),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
            Option::<u64>::deserialize(d).map(|m| m.map(Millis))
        }
    }
}

/// Lengths as seconds, with millisecond precision.
mod length {
    use std::time::Duration;

    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_millis() as f64 / 1000.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        if !secs.is_finite() || secs < 0.0 {
            return Err(D::Error::custom("a length must be a non-negative number"));
        }
        Ok(Duration::from_millis((secs * 1000.0).round() as u64))
    }
}

/// The dispatch core's ids as plain numbers (or null).
mod ids {
    macro_rules! opt_id {
        ($module:ident, $id:ident) => {
            pub mod $module {
                use serde::{Deserialize, Deserializer, Serializer};

                use crate::acd::$id;

                pub fn serialize<S: Serializer>(id: &Option<$id>, s: S) -> Result<S::Ok, S::Error> {
                    match id {
                        Some(id) => s.serialize_some(&id.0),
                        None => s.serialize_none(),
                    }
                }

                pub fn deserialize<'de, D: Deserializer<'de>>(
                    d: D,
                ) -> Result<Option<$id>, D::Error> {
                    Option::<u64>::deserialize(d).map(|id| id.map($id))
                }
            }
        };
    }

    opt_id!(opt_agent, AgentId);
    opt_id!(opt_queue, QueueId);
    opt_id!(opt_project, ProjectId);
    opt_id!(opt_result_code, ResultCodeId);
}
