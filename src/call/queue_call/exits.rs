//! The caller's side of the queue: hold music and announcements, joining a
//! queue, and the exit targets (another queue with a new record, a callback
//! request, or a prompt and hang-up; a failing target falls back to the
//! prompt, logged and counted).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::acd::{self, ExitTarget};
use crate::cdr::CallEvent;
use crate::media::prompts::{self, Prompt};
use crate::sip::core::unix_ms;

use super::super::metrics::CallMetrics;
use super::super::new_interaction_id;
use super::super::routing::QueueInfo;
use super::{now, Phase, QueueCall, PROMPT_LIMIT, TAG_ANNOUNCEMENT, TAG_GOODBYE};

impl QueueCall {
    pub(super) async fn play_hold_music(&self) {
        let name = &self.queue.hold_music;
        let music = self
            .s
            .library
            .get(name)
            .or_else(|| self.s.library.get(&format!("music/{name}")))
            .or_else(|| self.s.library.get("music/hold"));
        match music {
            Some(source) => self.caller.media.play_music(&self.s, source.clone()).await,
            None => {
                tracing::warn!(music = %self.queue.hold_music, "hold music not in the media folder")
            }
        }
    }

    pub(super) async fn announce(
        &self,
        position: Option<u32>,
        wait: Option<Duration>,
        queue_exit: bool,
    ) {
        let mut list = Vec::new();
        if let Some(p) = position {
            list.push(Prompt::Position(u64::from(p)));
        }
        if let Some(w) = wait {
            list.push(Prompt::EstimatedWait {
                minutes: w.as_secs().div_ceil(60),
            });
        }
        if queue_exit {
            list.push(Prompt::PressOneForCallback);
        }
        if list.is_empty() {
            list.push(Prompt::ThankYouForHolding);
        }
        match prompts::resolve(&self.s.library, &self.s.settings.language, &list) {
            Ok(sources) => {
                self.caller
                    .media
                    .announce(&self.s, sources, TAG_ANNOUNCEMENT)
                    .await
            }
            Err(e) => tracing::warn!(error = %e, "announcement not played"),
        }
    }

    /// Joins `queue`: records it, tells dispatch, plays its music.
    pub(super) async fn enter_queue(&mut self, queue: Arc<QueueInfo>, first: bool) {
        self.queue = queue.clone();
        self.phase = Phase::Waiting;
        self.note(CallEvent::entered_queue(&queue.config));
        if first {
            self.open_record().await;
        } else {
            self.checkpoint().await;
        }
        self.play_hold_music().await;
        self.dispatch(acd::Event::CallArrived {
            call: self.id,
            queue: queue.id,
        })
        .await;
    }

    /// Sends the caller to an exit target.
    pub(super) async fn go_to(&mut self, target: ExitTarget) {
        match target {
            ExitTarget::Queue(next) => match self.s.routing.get().queue(next) {
                Some(queue) if next != self.queue.id => {
                    // The first queue's record is over: it keeps its outcome.
                    self.note(CallEvent::SystemEnded);
                    self.store_completed().await;
                    self.record = super::new_record(
                        &self.s,
                        crate::acd::CallId(new_interaction_id()),
                        &self.arrival,
                        now(),
                    );
                    self.open_record().await;
                    self.enter_queue(queue, false).await;
                }
                _ => {
                    CallMetrics::bump(&self.s.metrics.exit_failures);
                    tracing::warn!(queue = %next, "exit queue unknown: prompt and hang-up instead");
                    self.goodbye(Prompt::Goodbye).await;
                }
            },
            ExitTarget::Callback => {
                let stored = self
                    .s
                    .store
                    .save_callback_request(
                        i64::try_from(self.queue.id.0).unwrap_or(0),
                        &self.arrival.caller_number,
                        self.record.record().interaction_id.0,
                        i64::try_from(unix_ms()).unwrap_or(0),
                    )
                    .await;
                match stored {
                    Ok(_) => {
                        CallMetrics::bump(&self.s.metrics.callback_requests);
                        self.goodbye(Prompt::CallbackRegistered).await;
                    }
                    Err(e) => {
                        CallMetrics::bump(&self.s.metrics.exit_failures);
                        tracing::error!(error = %e, "callback request not stored: prompt and hang-up instead");
                        self.goodbye(Prompt::Goodbye).await;
                    }
                }
            }
            ExitTarget::Prompt => self.goodbye(Prompt::Goodbye).await,
            ExitTarget::Number(number) => {
                CallMetrics::bump(&self.s.metrics.exit_failures);
                tracing::warn!(%number, "dialling out to an exit number is not supported: prompt and hang-up instead");
                self.goodbye(Prompt::Goodbye).await;
            }
        }
    }

    /// Plays a last prompt, then hangs up (on the system's side).
    pub(super) async fn goodbye(&mut self, prompt: Prompt) {
        self.phase = Phase::Goodbye;
        self.deadline = Some(Instant::now() + PROMPT_LIMIT);
        match prompts::resolve(&self.s.library, &self.s.settings.language, &[prompt]) {
            Ok(sources) => {
                self.caller.media.stop_playback(&self.s).await;
                self.caller
                    .media
                    .announce(&self.s, sources, TAG_GOODBYE)
                    .await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "goodbye prompt missing");
                self.deadline = Some(Instant::now());
            }
        }
    }
}
