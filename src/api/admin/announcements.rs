//! How long a queue's periodic announcement plays, measured from the prompt
//! fragments in the media folder, so the admin API can warn when a queue's
//! announcement frequency leaves no pause between announcements.
//!
//! The position announcement is measured for a two-word position and wait
//! ("position ninety nine, about ninety nine minutes"), the longest common case.

use std::path::Path;

use crate::media::prompts::Prompt;
use crate::store::admin::queues::{AnnouncementLengths, QueueRules};

/// The prompt language measured.
const LANGUAGE: &str = "en";

/// The queue rules of a server whose media lives in `media_folder`; when a
/// fragment is missing or unreadable the lengths stay unknown (the store then
/// assumes its default).
pub fn queue_rules(media_folder: &Path) -> QueueRules {
    let measure = |prompts: &[Prompt]| -> Option<u64> {
        prompts
            .iter()
            .flat_map(Prompt::fragments)
            .map(|f| {
                wav_ms(
                    &media_folder
                        .join("prompts")
                        .join(LANGUAGE)
                        .join(format!("{f}.wav")),
                )
            })
            .sum()
    };
    let position = measure(&[Prompt::Position(99), Prompt::EstimatedWait { minutes: 99 }]);
    let queue_exit = measure(&[Prompt::PressOneForCallback]);
    let announcements = match (position, queue_exit) {
        (Some(position_ms), Some(queue_exit_ms)) => Some(AnnouncementLengths {
            position_ms,
            queue_exit_ms,
        }),
        _ => {
            tracing::warn!(folder = %media_folder.display(),
                "announcement prompts not found; assuming their length");
            None
        }
    };
    QueueRules {
        video_enabled: false,
        announcements,
    }
}

/// The playing time of a WAV file in milliseconds.
fn wav_ms(path: &Path) -> Option<u64> {
    let reader = hound::WavReader::open(path).ok()?;
    let rate = u64::from(reader.spec().sample_rate);
    (rate > 0).then(|| u64::from(reader.duration()) * 1000 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_prompts_are_measured() {
        let rules = queue_rules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("media"));
        let lengths = rules.announcements.expect("prompts in media/");
        assert!(
            (3_000..20_000).contains(&lengths.position_ms),
            "{lengths:?}"
        );
        assert!(
            (1_000..10_000).contains(&lengths.queue_exit_ms),
            "{lengths:?}"
        );
    }

    #[test]
    fn a_missing_folder_leaves_the_lengths_unknown() {
        assert!(queue_rules(Path::new("/nonexistent"))
            .announcements
            .is_none());
    }
}
