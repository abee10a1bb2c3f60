//! Playback for one leg: hold music, announcements that interrupt it, and the
//! frame the pacing clock sends next (ARCHITECTURE.md: a listener holds only an
//! offset into a shared source).
//!
//! A [`Player`] holds `Arc`s of decoded sources and frame indexes, nothing else. An
//! announcement pauses the music where it is; when the announcement ends, the music
//! continues from that frame. Music loops or ends as asked. The player is sans-IO:
//! [`Player::next_frame`] is called once per 20 ms tick by whoever paces the leg, and
//! the first frame after a change is flagged so the RTP marker bit (RFC 3550 section
//! 5.1) can be set.

use std::collections::VecDeque;
use std::sync::Arc;

use super::g711::Law;
use super::source::MediaSource;

#[derive(Debug, Clone)]
struct Cursor {
    source: Arc<MediaSource>,
    frame: usize,
}

/// What the owner of the leg hears about its playback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayerEvent {
    /// The announcement started with [`Player::announce`] finished (tag given back).
    AnnouncementDone { tag: u64 },
    /// Music that does not loop reached its end.
    MusicEnded,
}

/// One leg's playback state.
#[derive(Debug, Default)]
pub struct Player {
    music: Option<Cursor>,
    looping: bool,
    announcement: VecDeque<Arc<MediaSource>>,
    current: Option<Cursor>,
    tag: u64,
    /// Set when the next frame comes from a different source than the last one.
    changed: bool,
    events: VecDeque<PlayerEvent>,
}

/// One frame to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub payload: &'a [u8],
    /// First frame after a change of what is playing.
    pub new_source: bool,
}

impl Player {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts music from its beginning (replacing any music). An announcement that
    /// is playing keeps playing; the music starts after it.
    pub fn play_music(&mut self, source: Arc<MediaSource>, looping: bool) {
        self.music = Some(Cursor { source, frame: 0 });
        self.looping = looping;
        if self.current.is_none() {
            self.changed = true;
        }
    }

    /// Stops music and forgets its position.
    pub fn stop_music(&mut self) {
        self.music = None;
    }

    /// Plays `sequence` now, interrupting music (which resumes at the same frame
    /// afterwards) or replacing an announcement already playing. `tag` comes back in
    /// [`PlayerEvent::AnnouncementDone`].
    pub fn announce(&mut self, sequence: impl IntoIterator<Item = Arc<MediaSource>>, tag: u64) {
        self.announcement = sequence.into_iter().collect();
        self.current = None;
        self.tag = tag;
        self.changed = true;
        self.start_next_fragment();
    }

    fn start_next_fragment(&mut self) {
        self.current = self
            .announcement
            .pop_front()
            .map(|source| Cursor { source, frame: 0 });
    }

    /// Stops everything.
    pub fn stop(&mut self) {
        self.music = None;
        self.current = None;
        self.announcement.clear();
    }

    /// True while something is playing.
    pub fn is_playing(&self) -> bool {
        self.current.is_some() || self.music.is_some()
    }

    /// True while an announcement is playing.
    pub fn is_announcing(&self) -> bool {
        self.current.is_some()
    }

    /// The music's current frame index, if music is set.
    pub fn music_position(&self) -> Option<usize> {
        self.music.as_ref().map(|c| c.frame)
    }

    /// The next 20 ms frame in `law`, advancing the position; `None` when silent.
    pub fn next_frame(&mut self, law: Law) -> Option<Frame<'_>> {
        // Finish an announcement fragment that has run out before choosing.
        while let Some(c) = &self.current {
            if c.frame < c.source.frames() {
                break;
            }
            self.start_next_fragment();
            if self.current.is_none() {
                self.events
                    .push_back(PlayerEvent::AnnouncementDone { tag: self.tag });
                self.changed = true;
            }
        }
        if self.current.is_none() {
            if let Some(m) = &mut self.music {
                if m.frame >= m.source.frames() {
                    if self.looping {
                        m.frame = 0;
                    } else {
                        self.music = None;
                        self.events.push_back(PlayerEvent::MusicEnded);
                    }
                }
            }
        }
        let new_source = std::mem::take(&mut self.changed);
        let cursor = match (&mut self.current, &mut self.music) {
            (Some(c), _) => c,
            (None, Some(m)) => m,
            (None, None) => {
                self.changed = true;
                return None;
            }
        };
        let i = cursor.frame;
        cursor.frame += 1;
        Some(Frame {
            payload: cursor.source.frame(law, i),
            new_source,
        })
    }

    /// The next event for the owner of the leg.
    pub fn poll_event(&mut self) -> Option<PlayerEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::source::FRAME_SAMPLES;

    /// A source whose frame i is filled with the µ-law byte `base + i`.
    fn marked(name: &str, frames: usize, base: u8) -> Arc<MediaSource> {
        // Tag frames through the PCM so both laws stay consistent.
        let pcm: Vec<i16> = (0..frames)
            .flat_map(|i| {
                std::iter::repeat_n(Law::Mu.decode(base.wrapping_add(i as u8)), FRAME_SAMPLES)
            })
            .collect();
        Arc::new(MediaSource::from_pcm8k(name, pcm))
    }

    fn first_byte(p: &mut Player) -> Option<(u8, bool)> {
        p.next_frame(Law::Mu).map(|f| (f.payload[0], f.new_source))
    }

    #[test]
    fn announcement_interrupts_music_which_resumes_in_place() {
        let music = marked("music", 10, 0x10);
        let mut p = Player::new();
        p.play_music(music.clone(), true);
        assert_eq!(first_byte(&mut p), Some((0x10, true)));
        assert_eq!(first_byte(&mut p), Some((0x11, false)));
        assert_eq!(first_byte(&mut p), Some((0x12, false)));
        p.announce([marked("a", 2, 0x40), marked("b", 1, 0x50)], 7);
        assert_eq!(first_byte(&mut p), Some((0x40, true)));
        assert_eq!(first_byte(&mut p), Some((0x41, false)));
        assert_eq!(
            first_byte(&mut p),
            Some((0x50, false)),
            "fragments run together"
        );
        assert_eq!(p.music_position(), Some(3));
        assert_eq!(
            first_byte(&mut p),
            Some((0x13, true)),
            "music resumes where it paused"
        );
        assert_eq!(
            p.poll_event(),
            Some(PlayerEvent::AnnouncementDone { tag: 7 })
        );
        // It loops.
        for _ in 0..6 {
            first_byte(&mut p);
        }
        assert_eq!(first_byte(&mut p), Some((0x10, false)));
        assert!(Arc::strong_count(&music) >= 2, "listeners share the source");
    }

    #[test]
    fn music_without_loop_ends_and_announcement_alone_goes_silent() {
        let mut p = Player::new();
        p.play_music(marked("m", 2, 1), false);
        assert!(first_byte(&mut p).is_some() && first_byte(&mut p).is_some());
        assert_eq!(first_byte(&mut p), None);
        assert_eq!(p.poll_event(), Some(PlayerEvent::MusicEnded));
        assert!(!p.is_playing());
        p.announce([marked("beep", 1, 9)], 1);
        assert_eq!(first_byte(&mut p), Some((9, true)));
        assert_eq!(first_byte(&mut p), None);
        assert_eq!(
            p.poll_event(),
            Some(PlayerEvent::AnnouncementDone { tag: 1 })
        );
        // A new announcement replaces a running one; stop silences everything.
        p.play_music(marked("m", 5, 0x20), true);
        p.announce([marked("x", 5, 0x30)], 2);
        first_byte(&mut p);
        p.announce([marked("y", 5, 0x60)], 3);
        assert_eq!(first_byte(&mut p), Some((0x60, true)));
        p.stop();
        assert_eq!(first_byte(&mut p), None);
    }

    #[test]
    fn every_law_is_served_from_the_same_position() {
        let mut p = Player::new();
        let s = marked("m", 3, 0x70);
        p.play_music(s.clone(), true);
        let a = p.next_frame(Law::A).unwrap().payload.to_vec();
        assert_eq!(a, s.frame(Law::A, 0));
    }
}
