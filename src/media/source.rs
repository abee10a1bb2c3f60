//! Media sources: hold music and prompts, decoded once and shared by every listener
//! (ARCHITECTURE.md, "Concurrency and the hot paths").
//!
//! A file is decoded (WAV with `hound`; MP3, Ogg Vorbis and FLAC with `symphonia`),
//! mixed down to mono, resampled to 8 kHz with a windowed-sinc filter, and encoded
//! once per G.711 law (RFC 3551 section 4.5.14) into 20 ms frames of 160 bytes. A
//! [`MediaSource`] is immutable behind an `Arc`; a listener keeps only a frame index
//! (see [`super::player`]). [`MediaLibrary::load_dir`] loads a media folder and
//! reports each bad file with its path, keeping every good one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::g711::Law;

/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;
/// The rate everything is converted to.
pub const RATE: u32 = 8000;

/// A file that could not be loaded, with its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct SourceError {
    pub path: PathBuf,
    pub reason: String,
}

/// One decoded, encoded audio file.
#[derive(Debug)]
pub struct MediaSource {
    name: String,
    /// Linear 8 kHz mono samples, padded with silence to whole frames.
    pcm: Box<[i16]>,
    mu: Box<[u8]>,
    a: Box<[u8]>,
}

impl MediaSource {
    /// Builds a source from interleaved samples in [-1, 1] at any rate and channel
    /// count.
    pub fn from_interleaved(
        name: &str,
        samples: &[f32],
        rate: u32,
        channels: usize,
    ) -> MediaSource {
        let channels = channels.max(1);
        let mono: Vec<f32> = samples
            .chunks_exact(channels)
            .map(|c| c.iter().sum::<f32>() / channels as f32)
            .collect();
        let resampled = resample(&mono, rate, RATE);
        let frames = resampled.len().div_ceil(FRAME_SAMPLES).max(1);
        let mut pcm = vec![0i16; frames * FRAME_SAMPLES];
        for (o, s) in pcm.iter_mut().zip(&resampled) {
            *o = (s * 32767.0).round().clamp(-32768.0, 32767.0) as i16;
        }
        Self::from_pcm8k(name, pcm)
    }

    /// Builds a source from 8 kHz mono samples (padded to whole frames).
    pub fn from_pcm8k(name: &str, mut pcm: Vec<i16>) -> MediaSource {
        let frames = pcm.len().div_ceil(FRAME_SAMPLES).max(1);
        pcm.resize(frames * FRAME_SAMPLES, 0);
        let mut mu = vec![0u8; pcm.len()];
        let mut a = vec![0u8; pcm.len()];
        Law::Mu.encode_into(&pcm, &mut mu);
        Law::A.encode_into(&pcm, &mut a);
        MediaSource {
            name: name.to_owned(),
            pcm: pcm.into(),
            mu: mu.into(),
            a: a.into(),
        }
    }

    /// Decodes a file by its extension.
    pub fn open(path: &Path, name: &str) -> Result<MediaSource, SourceError> {
        let err = |reason: String| SourceError {
            path: path.to_owned(),
            reason,
        };
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !matches!(ext.as_str(), "wav" | "mp3" | "ogg" | "oga" | "flac") {
            return Err(err(format!("unsupported file type {ext:?}")));
        }
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        Self::decode(name, bytes, &ext, u64::MAX).map_err(err)
    }

    /// Decodes the audio file `bytes`, of the kind the file extension `ext`
    /// names (`wav`, `mp3`, `ogg`/`oga`, `flac`), refusing more than
    /// `max_secs` seconds of it without decoding the rest.
    pub fn decode(
        name: &str,
        bytes: Vec<u8>,
        ext: &str,
        max_secs: u64,
    ) -> Result<MediaSource, String> {
        let input = std::io::Cursor::new(bytes);
        let (samples, rate, channels) = match ext {
            "wav" => decode_wav(input, max_secs)?,
            "mp3" | "ogg" | "oga" | "flac" => decode_symphonia(input, ext, max_secs)?,
            other => return Err(format!("unsupported file type {other:?}")),
        };
        if samples.is_empty() {
            return Err("no audio in the file".into());
        }
        Ok(Self::from_interleaved(name, &samples, rate, channels))
    }

    /// The name it is known by (its path in the media folder, without extension).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of 20 ms frames.
    pub fn frames(&self) -> usize {
        self.pcm.len() / FRAME_SAMPLES
    }

    /// One encoded frame (160 bytes). Panics if `index >= frames()`.
    pub fn frame(&self, law: Law, index: usize) -> &[u8] {
        let r = index * FRAME_SAMPLES..(index + 1) * FRAME_SAMPLES;
        match law {
            Law::Mu => &self.mu[r],
            Law::A => &self.a[r],
        }
    }

    /// The linear 8 kHz samples (what a listener should hear, before G.711).
    pub fn pcm(&self) -> &[i16] {
        &self.pcm
    }
}

/// The refusal of audio longer than `max_secs`.
fn too_long(max_secs: u64) -> String {
    format!("longer than {max_secs} s")
}

fn decode_wav<R: std::io::Read>(input: R, max_secs: u64) -> Result<(Vec<f32>, u32, usize), String> {
    let mut r = hound::WavReader::new(input).map_err(|e| e.to_string())?;
    let spec = r.spec();
    if spec.sample_rate == 0 {
        return Err("a sample rate of 0".into());
    }
    if u64::from(r.duration()) > max_secs.saturating_mul(u64::from(spec.sample_rate)) {
        return Err(too_long(max_secs));
    }
    let samples: Result<Vec<f32>, _> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect()
        }
    };
    Ok((
        samples.map_err(|e| e.to_string())?,
        spec.sample_rate,
        spec.channels as usize,
    ))
}

fn decode_symphonia(
    input: std::io::Cursor<Vec<u8>>,
    ext: &str,
    max_secs: u64,
) -> Result<(Vec<f32>, u32, usize), String> {
    use symphonia::core::codecs::audio::AudioDecoderOptions;
    use symphonia::core::codecs::CodecParameters;
    use symphonia::core::errors::Error;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::{FormatOptions, TrackType};
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;

    let mss = MediaSourceStream::new(Box::new(input), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(ext);
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| e.to_string())?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or("no audio track")?;
    let track_id = track.id;
    let Some(CodecParameters::Audio(params)) = track.codec_params.clone() else {
        return Err("no audio codec parameters".into());
    };
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut chunk: Vec<f32> = Vec::new();
    let (mut rate, mut channels) = (params.sample_rate.unwrap_or(0), 0usize);
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.to_string()),
        };
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buf) => {
                rate = buf.spec().rate();
                channels = buf.spec().channels().count();
                buf.copy_to_vec_interleaved(&mut chunk);
                out.extend_from_slice(&chunk);
                let limit = max_secs.saturating_mul(u64::from(rate) * channels as u64);
                if out.len() as u64 > limit {
                    return Err(too_long(max_secs));
                }
            }
            // A damaged packet is skipped, as players do.
            Err(Error::DecodeError(_)) => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
    if rate == 0 || channels == 0 {
        return Err("no decodable audio".into());
    }
    Ok((out, rate, channels))
}

/// Converts `input` from `from` Hz to `to` Hz with a Hann-windowed sinc low-pass at
/// 0.9 of the lower Nyquist frequency (16 zero crossings each side).
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || input.is_empty() || from == 0 {
        return input.to_vec();
    }
    let ratio = to as f64 / from as f64;
    let cutoff = 0.9 * ratio.min(1.0); // in cycles per input sample x2
    let half_width = (16.0 / cutoff).ceil() as isize;
    let out_len = (input.len() as f64 * ratio).floor() as usize;
    let mut out = Vec::with_capacity(out_len);
    for n in 0..out_len {
        let t = n as f64 / ratio;
        let centre = t.floor() as isize;
        let mut acc = 0.0f64;
        let mut norm = 0.0f64;
        for k in centre - half_width + 1..=centre + half_width {
            if k < 0 || k as usize >= input.len() {
                continue;
            }
            let x = t - k as f64;
            let arg = std::f64::consts::PI * x * cutoff;
            let sinc = if arg.abs() < 1e-9 {
                1.0
            } else {
                arg.sin() / arg
            };
            let w = 0.5 + 0.5 * (std::f64::consts::PI * x / half_width as f64).cos();
            let h = sinc * w;
            acc += h * input[k as usize] as f64;
            norm += h;
        }
        out.push(if norm.abs() > 1e-9 {
            (acc / norm) as f32
        } else {
            0.0
        });
    }
    out
}

/// Every source of a media folder, by name (`music/hold`, `prompts/en/num-5`).
#[derive(Debug, Default, Clone)]
pub struct MediaLibrary {
    sources: BTreeMap<String, Arc<MediaSource>>,
}

impl MediaLibrary {
    /// Loads every audio file under `dir`. Files that fail are returned with their
    /// path and left out; the rest load.
    pub fn load_dir(dir: &Path) -> (MediaLibrary, Vec<SourceError>) {
        let mut lib = MediaLibrary::default();
        let mut errors = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            let entries = match std::fs::read_dir(&d) {
                Ok(e) => e,
                Err(e) => {
                    errors.push(SourceError {
                        path: d,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let ext = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !matches!(ext.as_str(), "wav" | "mp3" | "ogg" | "oga" | "flac") {
                    continue; // licences, notes
                }
                let rel = path.strip_prefix(dir).unwrap_or(&path).with_extension("");
                let name = rel.to_string_lossy().replace('\\', "/");
                match MediaSource::open(&path, &name) {
                    Ok(s) => {
                        lib.sources.insert(name, Arc::new(s));
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        for e in &errors {
            tracing::warn!(path = %e.path.display(), reason = %e.reason, "media file skipped");
        }
        tracing::info!(dir = %dir.display(), loaded = lib.len(), skipped = errors.len(), "media folder loaded");
        (lib, errors)
    }

    /// Adds or replaces a source.
    pub fn insert(&mut self, source: MediaSource) {
        self.insert_shared(Arc::new(source));
    }

    /// Adds or replaces a source already shared.
    pub fn insert_shared(&mut self, source: Arc<MediaSource>) {
        self.sources.insert(source.name().to_owned(), source);
    }

    /// Takes a source out; listeners playing it keep their copy.
    pub fn remove(&mut self, name: &str) -> Option<Arc<MediaSource>> {
        self.sources.remove(name)
    }

    pub fn get(&self, name: &str) -> Option<&Arc<MediaSource>> {
        self.sources.get(name)
    }

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
