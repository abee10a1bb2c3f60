//! The dispatch core's notices, as record events.
//!
//! Call control forwards every [`Notice`] of the dispatch core; those that
//! concern an interaction's record become a [`CallEvent`] here, so the record
//! sees offers, misses, the queue outcome and the end of after-call work
//! exactly as the dispatch core decided them. What only call control sees
//! (the IVR, entering a queue, hold, transfers, who hung up, failures) it feeds
//! itself; [`CallEvent::entered_queue`] builds the queue entry from the
//! queue's configuration.
//!
//! A caller's hang-up in the queue is not taken from the notice: call control
//! feeds [`CallEvent::CallerHungUp`] when the caller's BYE arrives, which both
//! ends the call and decides the outcome (abandoned).

use crate::acd::{AbandonReason, ExitTarget, Notice, Outcome, QueueConfig};

use super::builder::CallEvent;
use super::record::InteractionId;

impl CallEvent {
    /// The call joined the queue `queue` describes.
    pub fn entered_queue(queue: &QueueConfig) -> CallEvent {
        CallEvent::EnteredQueue {
            queue: queue.id,
            project: queue.project,
            service_level: queue.service_level,
        }
    }

    /// The record event a dispatch-core notice stands for, and whose record
    /// it belongs to; `None` for notices that change no record.
    pub fn from_notice(notice: &Notice) -> Option<(InteractionId, CallEvent)> {
        let (call, event) = match notice {
            Notice::Offered { call, agent } => (call, CallEvent::Offered { agent: *agent }),
            Notice::OfferMissed { call, agent, .. } => {
                (call, CallEvent::OfferMissed { agent: *agent })
            }
            Notice::LeftQueue { call, outcome, .. } => match outcome {
                Outcome::Answered { agent } => (call, CallEvent::AgentAnswered { agent: *agent }),
                Outcome::Abandoned(AbandonReason::QueueExit) => {
                    (call, CallEvent::QueueExit { target: None })
                }
                Outcome::Abandoned(AbandonReason::Hangup) => return None,
                Outcome::Redirected(target) => (
                    call,
                    CallEvent::QueueTimeout {
                        target: exit_target(target),
                    },
                ),
                // The caller's record ends as a queue exit to the callback.
                Outcome::CallbackRequested { .. } => (
                    call,
                    CallEvent::QueueExit {
                        target: Some(exit_target(&ExitTarget::Callback)),
                    },
                ),
                // A callback's own record is call control's (it dialled it).
                Outcome::CallbackEnded(_) => return None,
            },
            Notice::WrapupEnded { call, .. } => (call, CallEvent::AcwEnded),
            _ => return None,
        };
        Some((InteractionId::from(*call), event))
    }
}

/// How a queue's exit target reads in TransferTarget: `queue-7`, the number
/// dialled, `callback` or `prompt`.
pub fn exit_target(target: &ExitTarget) -> String {
    match target {
        ExitTarget::Queue(queue) => queue.to_string(),
        ExitTarget::Number(number) => number.clone(),
        ExitTarget::Callback => "callback".to_owned(),
        ExitTarget::Prompt => "prompt".to_owned(),
        ExitTarget::Voicemail(b) => format!("voicemail-{b}"),
        ExitTarget::Menu(m) => format!("menu-{m}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::acd::{AgentId, CallId, Miss, ProjectId, QueueId};

    #[test]
    fn notices_that_concern_a_record() {
        let (call, agent, queue) = (CallId(9), AgentId(3), QueueId(2));
        let id = InteractionId(9);
        let left = |outcome| Notice::LeftQueue {
            call,
            queue,
            outcome,
            waited: Duration::from_secs(4),
        };
        let cases = [
            (
                Notice::Offered { call, agent },
                Some(CallEvent::Offered { agent }),
            ),
            (
                Notice::OfferMissed {
                    call,
                    agent,
                    miss: Miss::Timeout,
                },
                Some(CallEvent::OfferMissed { agent }),
            ),
            (
                left(Outcome::Answered { agent }),
                Some(CallEvent::AgentAnswered { agent }),
            ),
            (
                left(Outcome::Abandoned(AbandonReason::QueueExit)),
                Some(CallEvent::QueueExit { target: None }),
            ),
            (left(Outcome::Abandoned(AbandonReason::Hangup)), None),
            (
                left(Outcome::CallbackRequested {
                    callback: CallId(10),
                }),
                Some(CallEvent::QueueExit {
                    target: Some("callback".into()),
                }),
            ),
            (
                left(Outcome::CallbackEnded(crate::acd::CallbackEnd::Expired)),
                None,
            ),
            (
                left(Outcome::Redirected(ExitTarget::Queue(QueueId(5)))),
                Some(CallEvent::QueueTimeout {
                    target: "queue-5".into(),
                }),
            ),
            (
                left(Outcome::Redirected(ExitTarget::Number("+15550123".into()))),
                Some(CallEvent::QueueTimeout {
                    target: "+15550123".into(),
                }),
            ),
            (
                left(Outcome::Redirected(ExitTarget::Callback)),
                Some(CallEvent::QueueTimeout {
                    target: "callback".into(),
                }),
            ),
            (
                left(Outcome::Redirected(ExitTarget::Prompt)),
                Some(CallEvent::QueueTimeout {
                    target: "prompt".into(),
                }),
            ),
            (
                Notice::WrapupEnded { agent, call },
                Some(CallEvent::AcwEnded),
            ),
            (
                Notice::Queued {
                    call,
                    queue,
                    position: 1,
                },
                None,
            ),
            (Notice::AgentLoggedOut { agent }, None),
        ];
        for (notice, expected) in cases {
            assert_eq!(
                CallEvent::from_notice(&notice),
                expected.map(|event| (id, event)),
                "{notice:?}"
            );
        }
    }

    #[test]
    fn queue_entry_from_the_queue_configuration() {
        let mut queue = QueueConfig::new(QueueId(2), ProjectId(4));
        queue.service_level = Duration::from_secs(30);
        assert_eq!(
            CallEvent::entered_queue(&queue),
            CallEvent::EnteredQueue {
                queue: QueueId(2),
                project: ProjectId(4),
                service_level: Duration::from_secs(30),
            }
        );
    }
}
