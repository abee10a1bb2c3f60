//! Leaving the queue: queue exit (key 1, where the queue offers it) and
//! the queue timeout send the caller to the queue's exit target: another
//! queue (the first record is closed and a new one opened), a callback
//! request, or a goodbye prompt; a target that cannot be reached falls back
//! to the prompt and is counted, a voicemail box (the caller leaves a
//! message, then hears it was saved and is hung up), or an IVR menu (the
//! queue's part of the call, and its record, end there; the caller stays
//! connected and walks the menu under a record of its own).
//!
//! A callback asked for by DTMF keeps the caller's place: the request is
//! stored first, then the dispatch core puts the callback where the call
//! was (`CallbackRequested`), and the caller hears the confirmation once
//! dispatch has recorded the exit. A callback that cannot keep the place
//! (the queue timeout, or the caller gone meanwhile) joins at the back.

use super::*;
use crate::call::voicemail::deposit::Ending;

impl CallFlow {
    /// A stored callback whose caller has left the queue already (the queue
    /// timeout, a hang-up) joins the queue at the back.
    pub(super) fn queue_callback(&mut self, now: Millis, callback: CallId) {
        self.dispatch(acd::Event::CallbackArrived {
            call: callback,
            queue: self.queue.id,
            requested: now,
            attempts: 0,
        });
    }

    pub(super) fn store_callback(&mut self, now: Millis) {
        self.push(Action::StoreCallback {
            queue: self.queue.id,
            interaction: self.record.record().interaction_id.0,
            at: now,
        });
    }

    pub(super) fn asking_callback(&self) -> bool {
        matches!(self.phase, Phase::AskingCallback(_))
    }

    /// The queue timeout passed while the caller's callback request was on
    /// its way: the dispatch core no longer holds the call, so the callback
    /// joins at the back (the exit target is the same callback).
    pub(super) fn redirected_while_asking(&mut self, now: Millis) {
        self.count(Count::Redirects);
        self.drop_agents();
        match self.phase {
            Phase::AskingCallback(CallbackAsk::Storing) => self.phase = Phase::Moving,
            Phase::AskingCallback(CallbackAsk::Requested(callback)) => {
                self.queue_callback(now, callback);
                self.goodbye(now, Prompt::CallbackRegistered);
            }
            _ => self.goodbye(now, Prompt::Goodbye),
        }
    }

    /// The callback request is stored (`Some`) or not.
    pub(super) fn callback_stored(&mut self, now: Millis, callback: Option<CallId>) {
        match (self.phase, callback) {
            (Phase::AskingCallback(CallbackAsk::Storing), Some(callback)) => {
                // The caller hears the confirmation once dispatch has taken
                // the callback (the record's queue exit).
                self.phase = Phase::AskingCallback(CallbackAsk::Requested(callback));
                self.count(Count::CallbackRequests);
                self.dispatch(acd::Event::CallbackRequested {
                    call: self.id,
                    callback,
                });
            }
            (Phase::AskingCallback(CallbackAsk::Storing), None) => {
                self.phase = Phase::AskingCallback(CallbackAsk::Failed);
                self.count(Count::ExitFailures);
                tracing::error!("callback request not stored: the caller leaves with a prompt");
                self.dispatch(acd::Event::QueueExit { call: self.id });
            }
            (Phase::Moving, Some(callback)) => {
                self.count(Count::CallbackRequests);
                self.queue_callback(now, callback);
                self.goodbye(now, Prompt::CallbackRegistered);
            }
            (Phase::Moving, None) => {
                self.count(Count::ExitFailures);
                tracing::error!("callback request not stored: prompt and hang-up instead");
                self.goodbye(now, Prompt::Goodbye);
            }
            (Phase::Ended, Some(callback)) => {
                // The caller hung up while it was stored: they asked for it.
                self.queue_callback(now, callback);
            }
            _ => {}
        }
    }

    /// Sends the caller to an exit target.
    pub(super) fn go_to(&mut self, now: Millis, target: ExitTarget) {
        match target {
            ExitTarget::Queue(next) => {
                self.phase = Phase::Moving;
                self.push(Action::LookupQueue(next));
            }
            ExitTarget::Callback => {
                self.phase = Phase::Moving;
                self.store_callback(now);
            }
            ExitTarget::Prompt => self.goodbye(now, Prompt::Goodbye),
            ExitTarget::Menu(menu) => {
                self.drop_agents();
                self.end_with(now, CallEvent::SystemEnded, Some(menu));
            }
            ExitTarget::Voicemail(voicemail) => {
                self.phase = Phase::Voicemail;
                self.push(Action::LeaveVoicemail {
                    voicemail,
                    interaction: self.id.0,
                });
            }
            ExitTarget::Number(number) => {
                self.count(Count::ExitFailures);
                tracing::warn!(%number, "dialling out to an exit number is not supported: prompt and hang-up instead");
                self.goodbye(now, Prompt::Goodbye);
            }
        }
    }

    /// The caller's message is done: they hear how it went and are hung up.
    pub(super) fn voicemail_over(&mut self, now: Millis, ending: Option<Ending>) {
        if self.phase != Phase::Voicemail {
            return;
        }
        let prompt = match ending {
            Some(Ending::Saved) => Prompt::VoicemailSaved,
            Some(Ending::TooShort) => Prompt::Goodbye,
            None => {
                self.count(Count::ExitFailures);
                tracing::warn!("voicemail box unknown: prompt and hang-up instead");
                Prompt::Goodbye
            }
        };
        self.goodbye(now, prompt);
    }
}
