//! Call recording as call control sees it: a queue's recording mode decides
//! whether a call is recorded when the caller and the agent are bridged, and
//! where the file goes. The media worker does the recording itself
//! ([`crate::media::recorder`]); the interaction record names the file
//! (`RecordingFile`, through [`CallEvent::Recorded`]).
//!
//! A queue call records with [`start`] right after bridging the caller to
//! the agent: it starts the recording when the queue records always, and
//! returns the event for the call's record. A queue with `on_demand` records
//! when the agent asks for it, through [`start_now`].
//!
//! [`CallEvent::Recorded`]: crate::cdr::CallEvent::Recorded

use std::path::{Path, PathBuf};

use super::media::MediaLeg;
use super::Services;
use crate::cdr::{CallEvent, InteractionId};
use crate::store::admin::queues::RecordingMode;

/// The file a call's recording goes to: one per interaction, named by its id,
/// in the recordings folder.
pub fn file_for(dir: &Path, interaction: InteractionId) -> PathBuf {
    dir.join(format!("interaction-{}.wav", interaction.0))
}

/// Where to record a call of a queue with `mode` as soon as it is bridged:
/// the file for `always`, none for `never` and `on_demand` (which waits for
/// the agent).
pub fn path_on_bridge(
    dir: &Path,
    mode: RecordingMode,
    interaction: InteractionId,
) -> Option<PathBuf> {
    match mode {
        RecordingMode::Always => Some(file_for(dir, interaction)),
        RecordingMode::Never | RecordingMode::OnDemand => None,
    }
}

/// Starts recording the bridged `caller` and `agent` when the queue's `mode`
/// says so; returns the event that names the file in the call's record.
pub async fn start(
    s: &Services,
    mode: RecordingMode,
    interaction: InteractionId,
    caller: &MediaLeg,
    agent: &MediaLeg,
) -> Option<CallEvent> {
    let path = path_on_bridge(&s.settings.recordings_dir, mode, interaction)?;
    Some(start_at(s, path, caller, agent).await)
}

/// Starts recording now, whatever the mode (an agent's request on an
/// `on_demand` queue); returns the event for the call's record.
pub async fn start_now(
    s: &Services,
    interaction: InteractionId,
    caller: &MediaLeg,
    agent: &MediaLeg,
) -> CallEvent {
    let path = file_for(&s.settings.recordings_dir, interaction);
    start_at(s, path, caller, agent).await
}

async fn start_at(s: &Services, path: PathBuf, caller: &MediaLeg, agent: &MediaLeg) -> CallEvent {
    let file = path.to_string_lossy().into_owned();
    caller.start_recording(s, agent, path).await;
    tracing::info!(%file, "recording the call");
    CallEvent::Recorded { file }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_always_records_on_bridge_one_file_per_interaction() {
        let dir = Path::new("/var/lib/switchboard/recordings");
        let id = InteractionId(1_234_567);
        assert_eq!(
            path_on_bridge(dir, RecordingMode::Always, id),
            Some(PathBuf::from(
                "/var/lib/switchboard/recordings/interaction-1234567.wav"
            ))
        );
        assert_eq!(path_on_bridge(dir, RecordingMode::Never, id), None);
        assert_eq!(path_on_bridge(dir, RecordingMode::OnDemand, id), None);
        assert_ne!(file_for(dir, id), file_for(dir, InteractionId(7)));
    }
}
