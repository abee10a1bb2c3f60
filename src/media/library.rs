//! The media library as the running server holds it: swapped whole when an
//! announcement is uploaded or deleted, so a new prompt plays at once without
//! a restart, while readers (every call that starts a prompt) take a cheap
//! snapshot and never wait for a decode.
//!
//! Writers copy the map of names (each source stays shared behind its `Arc`),
//! change the copy and publish it; a listener already playing a removed
//! source keeps its own `Arc` until its playback ends.

use std::sync::{Arc, RwLock};

use super::source::{MediaLibrary, MediaSource, RATE};

/// A [`MediaLibrary`] that can change while the server runs.
#[derive(Debug, Default)]
pub struct LiveLibrary {
    current: RwLock<Arc<MediaLibrary>>,
}

impl LiveLibrary {
    pub fn new(library: MediaLibrary) -> LiveLibrary {
        LiveLibrary {
            current: RwLock::new(Arc::new(library)),
        }
    }

    /// The library as it is now; later changes do not show in it.
    pub fn snapshot(&self) -> Arc<MediaLibrary> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The source named `name`, if the library has it now.
    pub fn get(&self, name: &str) -> Option<Arc<MediaSource>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// Adds or replaces a source.
    pub fn insert(&self, source: Arc<MediaSource>) {
        self.change(|lib| lib.insert_shared(source));
    }

    /// Takes a source out; whether it was there.
    pub fn remove(&self, name: &str) -> bool {
        let mut found = false;
        self.change(|lib| found = lib.remove(name).is_some());
        found
    }

    fn change(&self, edit: impl FnOnce(&mut MediaLibrary)) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        let mut next = MediaLibrary::clone(&current);
        edit(&mut next);
        *current = Arc::new(next);
    }
}

/// `source` as a WAV file: mono, PCM 16-bit, 8 kHz (what it plays, before
/// G.711).
pub fn wav_bytes(source: &MediaSource) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::with_capacity(44 + source.pcm().len() * 2));
    // Writing to memory fails only on a length past 4 GiB, which a source
    // of 8 kHz samples never reaches.
    if let Ok(mut w) = hound::WavWriter::new(&mut out, spec) {
        let mut samples = w.get_i16_writer(source.pcm().len() as u32);
        for s in source.pcm() {
            samples.write_sample(*s);
        }
        let _ = samples.flush();
        let _ = w.finalize();
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(name: &str, frames: usize) -> Arc<MediaSource> {
        let pcm = (0..frames * 160)
            .map(|i| ((i as f32 * 0.3).sin() * 8000.0) as i16)
            .collect();
        Arc::new(MediaSource::from_pcm8k(name, pcm))
    }

    #[test]
    fn a_snapshot_keeps_what_it_saw_and_the_next_read_sees_the_change() {
        let live = LiveLibrary::default();
        let before = live.snapshot();
        live.insert(tone("uploads/1/2", 5));
        assert!(before.get("uploads/1/2").is_none());
        assert_eq!(live.get("uploads/1/2").unwrap().frames(), 5);
        let playing = live.get("uploads/1/2").unwrap();
        assert!(live.remove("uploads/1/2"));
        assert!(!live.remove("uploads/1/2"));
        assert!(live.get("uploads/1/2").is_none());
        // A listener keeps its copy.
        assert_eq!(playing.frames(), 5);
    }

    #[test]
    fn the_wav_holds_every_sample_at_8_khz() {
        let source = tone("t", 3);
        let bytes = wav_bytes(&source);
        let mut r = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(r.spec().sample_rate, 8000);
        assert_eq!(r.spec().channels, 1);
        let back: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(back, source.pcm());
    }
}
