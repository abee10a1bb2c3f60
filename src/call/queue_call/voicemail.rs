//! A queue call whose timeout exits to a voicemail box: the caller's keys,
//! the end of the voicemail prompts and the caller's end go to the
//! [`Leaving`] while it has the caller; its end goes back to the call core.

use super::super::voicemail::{self, Leaving};
use super::{now, Input, QueueCall};

impl QueueCall {
    /// Hands the caller to box `voicemail`; the core hears at once when
    /// there is no such box.
    pub(super) async fn leave_voicemail(
        &mut self,
        voicemail: u64,
        interaction: u64,
    ) -> Option<Input> {
        let leaving = Leaving::start(
            &self.s,
            &self.caller.media,
            voicemail as i64,
            &self.arrival.caller_number,
            interaction,
        )
        .await;
        match leaving {
            Some(l) => {
                self.voicemail = Some(l);
                None
            }
            None => Some(Input::VoicemailOver { ending: None }),
        }
    }

    /// When the message's own deadline is due.
    pub(super) fn voicemail_deadline(&self) -> Option<tokio::time::Instant> {
        let at = self.voicemail.as_ref()?.deadline()?;
        Some(tokio::time::Instant::now() + at.since(now()))
    }

    /// A caller's key or a prompt's end (`tag`) while leaving a message;
    /// false when no message is being left, or the tag is not voicemail's.
    pub(super) async fn voicemail_input(&mut self, digit: Option<char>, tag: Option<u64>) -> bool {
        let Some(leaving) = self.voicemail.as_mut().filter(|l| !l.is_done()) else {
            return false;
        };
        let ending = match (digit, tag) {
            (Some(key), _) => leaving.digit(&self.s, &self.caller.media, key).await,
            (None, Some(tag)) if voicemail::owns_tag(tag) => {
                leaving
                    .playback_done(&self.s, &self.caller.media, tag)
                    .await
            }
            _ => return false,
        };
        if let Some(ending) = ending {
            self.flow.handle(
                now(),
                Input::VoicemailOver {
                    ending: Some(ending),
                },
            );
        }
        true
    }

    pub(super) async fn voicemail_timeout(&mut self) {
        let Some(leaving) = self.voicemail.as_mut() else {
            return;
        };
        if let Some(ending) = leaving.timeout(&self.s, &self.caller.media).await {
            let ending = Some(ending);
            self.flow.handle(now(), Input::VoicemailOver { ending });
        }
    }

    /// The caller's leg is about to close: what was recorded is completed.
    pub(super) async fn voicemail_caller_gone(&mut self) {
        if let Some(mut leaving) = self.voicemail.take() {
            leaving.caller_gone(&self.s, &self.caller.media).await;
        }
    }
}
