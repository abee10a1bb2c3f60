//! What the caller hears while the call core decides: the queue's hold
//! music, the announcements, and the prompts before a hang-up.

use std::time::Duration;

use crate::media::prompts::{self, Prompt};

use super::super::flow::Playback;
use super::super::media::MediaLeg;
use super::super::routing::QueueInfo;
use super::super::Services;

/// Loops the queue's hold music (the folder's default when it is missing).
pub(super) async fn hold_music(s: &Services, leg: &MediaLeg, queue: &QueueInfo) {
    let name = &queue.hold_music;
    let music = s
        .library
        .get(name)
        .or_else(|| s.library.get(&format!("music/{name}")))
        .or_else(|| s.library.get("music/hold"));
    match music {
        Some(source) => leg.play_music(s, source).await,
        None => tracing::warn!(music = %queue.hold_music, "hold music not in the media folder"),
    }
}

/// The announcement: the caller's position, the estimated wait and the
/// queue-exit menu, as the queue has them; "thank you for holding" when it
/// has none of them.
pub(super) async fn announce(
    s: &Services,
    leg: &MediaLeg,
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
    match prompts::resolve(&s.library.snapshot(), &s.settings.language, &list) {
        Ok(sources) => leg.announce(s, sources, Playback::Announcement.tag()).await,
        Err(e) => tracing::warn!(error = %e, "announcement not played"),
    }
}

/// Plays `prompt` tagged `tag` on `leg` (stopping its music first when
/// `stop` is set); false when the prompt is missing and nothing plays.
pub(super) async fn prompt(
    s: &Services,
    leg: &MediaLeg,
    prompt: Prompt,
    tag: Playback,
    stop: bool,
) -> bool {
    match prompts::resolve(&s.library.snapshot(), &s.settings.language, &[prompt]) {
        Ok(sources) => {
            if stop {
                leg.stop_playback(s).await;
            }
            leg.announce(s, sources, tag.tag()).await;
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, ?tag, "prompt missing");
            false
        }
    }
}
