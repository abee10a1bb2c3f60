//! Voicemail: a caller leaves a message in a box (a queue's or a user's).
//!
//! [`Leaving`] is the entry point any destination uses once it holds an
//! answered caller leg: a queue's timeout today, an IVR menu's key tomorrow.
//! The owner of the call keeps its SIP dialog and hands over what concerns
//! the message (the caller's keys, the end of our prompts, their hang-up);
//! the decisions live in the sans-IO [`deposit`] core. When [`Leaving`]
//! reports the caller's part over, the owner plays the [`Ending`]'s prompt
//! and hangs up.
//!
//! The message is recorded by the media worker (mono, the caller alone, see
//! [`crate::media::recorder`]) to a hidden `.part` file in the box's folder
//! under the recordings folder (`voicemail/box-ID/`). Only once the worker
//! reports the file complete is it renamed to its `.wav` name and its row
//! written, so a crash never leaves a half file listed; a message shorter
//! than [`deposit::MIN_MESSAGE`] is deleted instead. A kept message is
//! announced on [`Notices`] (the agent panels) and, when the box has an
//! address, mailed with the WAV attached through the durable outbox (the
//! file is read when the mail is sent: a message deleted before then fails
//! that delivery, which the outbox shows).

pub mod deposit;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use self::deposit::{Action, Deposit, Ending, Input};
use super::media::MediaLeg;
use super::metrics::CallMetrics;
use super::{now, Services};
use crate::acd::Millis;
use crate::media::prompts::{self, Prompt};
use crate::media::recorder::Finished;
use crate::store::voicemail::{NewVoicemailMessage, VoicemailBox, VoicemailMessage};

/// The playback tags of the greeting and the tone, apart from the owner's.
const TAG_GREETING: u64 = 0x766d_0001;
const TAG_TONE: u64 = 0x766d_0002;

/// Whether a playback tag is one of a [`Leaving`]'s; its end goes to
/// [`Leaving::playback_done`].
pub fn owns_tag(tag: u64) -> bool {
    matches!(tag, TAG_GREETING | TAG_TONE)
}

/// The folder of a box's messages.
pub fn box_dir(recordings: &Path, box_id: i64) -> PathBuf {
    recordings.join("voicemail").join(format!("box-{box_id}"))
}

/// A kept message, as the agent panels hear of it.
#[derive(Debug, Clone)]
pub struct Notice {
    pub voicemail: VoicemailBox,
    pub message: VoicemailMessage,
}

/// New messages, for whoever listens (the agent panels).
pub struct Notices(broadcast::Sender<Arc<Notice>>);

impl Default for Notices {
    fn default() -> Self {
        Notices(broadcast::channel(64).0)
    }
}

impl Notices {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Notice>> {
        self.0.subscribe()
    }

    fn send(&self, notice: Notice) {
        let _ = self.0.send(Arc::new(notice));
    }
}

/// One caller leaving a message.
pub struct Leaving {
    deposit: Deposit,
    target: VoicemailBox,
    caller_number: String,
    interaction: u64,
}

impl Leaving {
    /// Starts the greeting on `leg` for a message in box `box_id`; `None`
    /// when there is no such box (the owner falls back to its goodbye).
    pub async fn start(
        s: &Arc<Services>,
        leg: &MediaLeg,
        box_id: i64,
        caller_number: &str,
        interaction: u64,
    ) -> Option<Leaving> {
        let target = match s.store.voicemail_box(box_id).await {
            Ok(Some(b)) => b,
            Ok(None) => {
                tracing::warn!(box_id, "no such voicemail box");
                return None;
            }
            Err(e) => {
                tracing::error!(box_id, error = %e, "voicemail box not readable");
                return None;
            }
        };
        let max = Duration::from_secs(target.max_message_secs.max(1) as u64);
        tracing::info!(box_id, "the caller leaves a voicemail message");
        let mut leaving = Leaving {
            deposit: Deposit::new(now(), max),
            target,
            caller_number: caller_number.to_owned(),
            interaction,
        };
        leaving.perform(s, leg).await;
        Some(leaving)
    }

    /// When [`Leaving::timeout`] is due.
    pub fn deadline(&self) -> Option<Millis> {
        self.deposit.poll_timeout()
    }

    /// A key the caller pressed.
    pub async fn digit(&mut self, s: &Arc<Services>, leg: &MediaLeg, key: char) -> Option<Ending> {
        self.deposit.handle(now(), Input::Digit(key));
        self.perform(s, leg).await
    }

    /// A playback of ours ([`owns_tag`]) ended.
    pub async fn playback_done(
        &mut self,
        s: &Arc<Services>,
        leg: &MediaLeg,
        tag: u64,
    ) -> Option<Ending> {
        let input = match tag {
            TAG_GREETING => Input::GreetingDone,
            TAG_TONE => Input::ToneDone,
            _ => return None,
        };
        self.deposit.handle(now(), input);
        self.perform(s, leg).await
    }

    /// The caller hung up, or the call ends: whatever was recorded is kept
    /// (when long enough) once the leg is closed.
    pub async fn caller_gone(&mut self, s: &Arc<Services>, leg: &MediaLeg) {
        self.deposit.handle(now(), Input::CallerGone);
        self.perform(s, leg).await;
    }

    pub async fn timeout(&mut self, s: &Arc<Services>, leg: &MediaLeg) -> Option<Ending> {
        self.deposit.handle_timeout(now());
        self.perform(s, leg).await
    }

    /// Whether the caller's part is over.
    pub fn is_done(&self) -> bool {
        self.deposit.is_done()
    }

    async fn perform(&mut self, s: &Arc<Services>, leg: &MediaLeg) -> Option<Ending> {
        let mut over = None;
        while let Some(action) = self.deposit.poll_action() {
            match action {
                Action::PlayGreeting => {
                    let greeting = self.greeting(s);
                    self.play(s, leg, greeting, TAG_GREETING).await;
                }
                Action::PlayTone => {
                    let tone = prompts::resolve(
                        &s.library.snapshot(),
                        &s.settings.language,
                        &[Prompt::Beep],
                    )
                    .unwrap_or_default();
                    self.play(s, leg, tone, TAG_TONE).await;
                }
                Action::StartRecording => self.record(s, leg).await,
                Action::StopRecording => leg.stop_recording(s).await,
                Action::Over(ending) => over = Some(ending),
            }
        }
        over
    }

    /// The box's own greeting when the media folder has it, else the
    /// built-in one.
    fn greeting(&self, s: &Services) -> Vec<Arc<crate::media::source::MediaSource>> {
        let lang = &s.settings.language;
        if let Some(name) = &self.target.greeting {
            // An uploaded announcement by its library name, or a prompt of
            // the language's folder.
            let own = (name.contains('/'))
                .then(|| s.library.get(name))
                .flatten()
                .or_else(|| s.library.get(&format!("prompts/{lang}/{name}")));
            if let Some(own) = own {
                return vec![own];
            }
            tracing::warn!(greeting = %name, "voicemail greeting not in the media folder: the built-in one plays");
        }
        prompts::resolve(&s.library.snapshot(), lang, &[Prompt::VoicemailGreeting])
            .unwrap_or_default()
    }

    async fn play(
        &mut self,
        s: &Arc<Services>,
        leg: &MediaLeg,
        sources: Vec<Arc<crate::media::source::MediaSource>>,
        tag: u64,
    ) {
        leg.stop_playback(s).await;
        if sources.is_empty() {
            tracing::warn!(tag, "voicemail prompt missing from the media folder");
            let input = if tag == TAG_GREETING {
                Input::GreetingDone
            } else {
                Input::ToneDone
            };
            // Decided on the next turn of `perform`'s loop.
            self.deposit.handle(now(), input);
            return;
        }
        leg.announce(s, sources, tag).await;
    }

    async fn record(&mut self, s: &Arc<Services>, leg: &MediaLeg) {
        let started_at = crate::store::admin::now_ms();
        let dir = box_dir(&s.settings.recordings_dir, self.target.id);
        let name = format!("{}-{started_at}", self.interaction);
        let part = dir.join(format!(".{name}.wav.part"));
        let file = dir.join(format!("{name}.wav"));
        let (done, finished) = tokio::sync::oneshot::channel();
        leg.stop_playback(s).await;
        leg.record_alone(s, part.clone(), done).await;
        let message = NewVoicemailMessage {
            box_id: self.target.id,
            caller_number: self.caller_number.clone(),
            interaction_id: Some(self.interaction),
            started_at,
            duration_ms: 0,
            file: file.to_string_lossy().into_owned(),
        };
        let (s, target) = (s.clone(), self.target.clone());
        tokio::spawn(async move {
            let finished = finished.await.ok();
            keep_or_discard(&s, finished, &part, &file, target, message).await;
        });
    }
}

/// Once the worker completed the file (`finished`; `None` when it could not
/// be written): keeps it as a message, or deletes it when too short.
async fn keep_or_discard(
    s: &Services,
    finished: Option<Finished>,
    part: &Path,
    file: &Path,
    target: VoicemailBox,
    mut message: NewVoicemailMessage,
) {
    let Some(f) = finished else {
        CallMetrics::bump(&s.metrics.voicemail_failures);
        tracing::error!(part = %part.display(), "voicemail message not written");
        let _ = tokio::fs::remove_file(part).await;
        return;
    };
    let length = message_length(f);
    if !deposit::keep(length) {
        CallMetrics::bump(&s.metrics.voicemail_discarded);
        tracing::info!(
            ms = length.as_millis() as u64,
            "voicemail message too short: not kept"
        );
        let _ = tokio::fs::remove_file(part).await;
        return;
    }
    message.duration_ms = length.as_millis() as i64;
    if let Err(e) = tokio::fs::rename(part, file).await {
        CallMetrics::bump(&s.metrics.voicemail_failures);
        tracing::error!(file = %file.display(), error = %e, "voicemail message not moved into place");
        let _ = tokio::fs::remove_file(part).await;
        return;
    }
    match s.store.add_voicemail_message(message).await {
        Ok(message) => {
            CallMetrics::bump(&s.metrics.voicemail_messages);
            tracing::info!(
                box_id = target.id,
                message_id = message.id,
                ms = message.duration_ms,
                "voicemail message kept"
            );
            if let Some(to) = target.email.clone() {
                mail(s, &target, &message, to).await;
            }
            s.registry.voicemail.send(Notice {
                voicemail: target,
                message,
            });
        }
        Err(e) => {
            CallMetrics::bump(&s.metrics.voicemail_failures);
            tracing::error!(error = %e, "voicemail message not stored: its file is removed");
            let _ = tokio::fs::remove_file(file).await;
        }
    }
}

/// Queues the mail of a new message to its box's address.
async fn mail(s: &Services, target: &VoicemailBox, m: &VoicemailMessage, to: String) {
    let caller = if m.caller_number.is_empty() {
        "an unknown caller"
    } else {
        m.caller_number.as_str()
    };
    let secs = (m.duration_ms + 500) / 1000;
    let mail = crate::store::outbox::MailInput {
        to: vec![to],
        subject: format!("Voicemail from {caller} ({secs} s) in {}", target.name),
        body: format!(
            "{caller} left a message of {secs} s in the voicemail box {}.\n\
             The recording is attached (WAV, 8 kHz mono).\n",
            target.name
        ),
        attachments: vec![m.file.clone()],
        interaction_id: m.interaction_id.map(|i| i as i64),
    };
    match s.store.enqueue_mail(mail).await {
        Ok(delivery) => tracing::info!(message_id = m.id, delivery, "voicemail message mailed"),
        Err(e) => {
            CallMetrics::bump(&s.metrics.voicemail_failures);
            tracing::error!(message_id = m.id, error = %e, "voicemail mail not queued");
        }
    }
}

/// The length of the audio in a completed file.
fn message_length(f: Finished) -> Duration {
    let per_sec = u64::from(f.samples_per_sec.max(1)) * 2;
    Duration::from_millis(u64::from(f.data_bytes) * 1000 / per_sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mono_file_lasts_its_bytes_over_16000_a_second() {
        let f = Finished {
            data_bytes: 16_000 * 5,
            samples_per_sec: 8_000,
        };
        assert_eq!(message_length(f), Duration::from_secs(5));
        assert!(owns_tag(TAG_GREETING) && owns_tag(TAG_TONE) && !owns_tag(2));
        assert_eq!(
            box_dir(Path::new("/data/recordings"), 7),
            PathBuf::from("/data/recordings/voicemail/box-7")
        );
    }
}
