//! The server-wide rules a queue is checked against, beyond the stored data:
//! whether video is enabled, the queue timeout minimum, and how long the
//! periodic announcements play (measured by the API layer from the prompts in
//! the media folder) so a too-frequent announcement can be warned about.

use super::queues::PositionAnnouncement;

/// The shortest queue timeout kept; shorter ones are raised to it.
pub const MIN_QUEUE_TIMEOUT_SECS: i64 = 30;
/// The gap a position announcement needs after it is played.
pub const ANNOUNCEMENT_GAP_SECS: i64 = 2;
/// The length assumed for a position announcement.
pub const DEFAULT_ANNOUNCEMENT_SECS: i64 = 6;

/// What the server allows beyond the stored data.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueRules {
    /// Whether video queues may be created.
    pub video_enabled: bool,
    /// How long the announcements take to play, when the media folder told us.
    pub announcements: Option<AnnouncementLengths>,
}

/// The playing time of each part of a periodic announcement, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnouncementLengths {
    /// Position and estimated wait, for a two-word position and wait.
    pub position_ms: u64,
    /// The queue-exit (callback) offer.
    pub queue_exit_ms: u64,
}

impl QueueRules {
    /// Seconds (rounded up) the announcement of `mode` plays; `None` for no
    /// announcement. [`DEFAULT_ANNOUNCEMENT_SECS`] when the lengths are unknown.
    pub fn announcement_secs(&self, mode: PositionAnnouncement) -> Option<i64> {
        let ms = match (mode, self.announcements) {
            (PositionAnnouncement::None, _) => return None,
            (_, None) => return Some(DEFAULT_ANNOUNCEMENT_SECS),
            (PositionAnnouncement::Position, Some(l)) => l.position_ms,
            (PositionAnnouncement::QueueExit, Some(l)) => l.queue_exit_ms,
            (PositionAnnouncement::Both, Some(l)) => l.position_ms + l.queue_exit_ms,
        };
        Some(ms.div_ceil(1000) as i64)
    }
}
