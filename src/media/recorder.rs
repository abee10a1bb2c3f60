//! Call recording: both sides of a bridge in one stereo WAV file (RIFF/WAVE,
//! PCM 16-bit, 8 kHz, two channels; left is leg `a`, the caller, right is leg
//! `b`, the agent), written by a thread of its own so the worker never waits for
//! a disk.
//!
//! The worker copies what each recorded leg *receives* (plain RTP, from a phone
//! or from the WebRTC hub for a browser leg), decoded from its G.711 law, into
//! the recording's [`Assembler`]; once per pacing period (20 ms) the assembler
//! gives one stereo frame, a side that sent nothing in that period filled with
//! silence, so the channels stay aligned to the worker's clock whatever each
//! side does. The frame goes to the writer through a bounded channel; a full
//! channel drops the frame and counts it (ARCHITECTURE.md: overload is refused,
//! never queued without bound).
//!
//! Jitter is handled simply: each side is a queue of samples. A frame takes up
//! to 160 samples from each queue and pads the rest with silence. A packet that
//! arrives just after the period it belongs to leaves one frame of silence and
//! then stays queued, so that side from then on runs one frame (20 ms) behind,
//! which absorbs later jitter up to a period. A queue never holds more than
//! [`MAX_QUEUED`] samples: a burst beyond that drops its oldest audio, so the
//! two channels are never more than 60 ms apart.
//!
//! One leg alone may be recorded too (a voicemail message): its file is mono,
//! the caller's side only, and whoever started it may ask to be told when the
//! file is complete ([`Finished`]), to move it into place.
//!
//! The file is written with placeholder sizes (`0xFFFFFFFF`, "to the end of
//! the file", which streaming readers accept) and the sizes are patched when
//! the recording stops or the worker ends. A file left by a crash is repaired
//! by setting the RIFF size (bytes 4..8) to the file length less 8 and the
//! data size (bytes 40..44) to the file length less 44, rounded down to a
//! whole stereo sample (4 bytes).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use super::bridge::LegCodec;
use super::leg::LegId;
use super::rtp::RtpPacket;
use super::source::FRAME_SAMPLES;

/// One stereo frame: 20 ms, left and right samples interleaved.
pub const STEREO_FRAME: usize = 2 * FRAME_SAMPLES;
/// The most samples one side may hold waiting for its frame (three frames).
pub const MAX_QUEUED: usize = 3 * FRAME_SAMPLES;
/// Frames that may wait for the writer, over every recording of a worker:
/// about five seconds of one call, a tenth of a second of fifty.
pub const WRITER_QUEUE: usize = 256;
/// The length of the header [`wav_header`] writes.
pub const HEADER_LEN: usize = 44;
const SAMPLE_RATE: u32 = 8000;
const CHANNELS: u16 = 2;
const BYTES_PER_SAMPLE: u16 = 2;

/// Which channel a leg's audio goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Leg `a`, the caller.
    Left = 0,
    /// Leg `b`, the agent.
    Right = 1,
}

/// Joins the audio of two sides into time-aligned stereo frames (pure: no
/// clock, no I/O; the worker calls [`Assembler::frame`] once per period).
#[derive(Debug, Default)]
pub struct Assembler {
    sides: [VecDeque<i16>; 2],
    /// Samples dropped because a side ran too far ahead.
    pub overrun: u64,
}

impl Assembler {
    pub fn new() -> Self {
        Assembler {
            sides: [
                VecDeque::with_capacity(MAX_QUEUED + FRAME_SAMPLES),
                VecDeque::with_capacity(MAX_QUEUED + FRAME_SAMPLES),
            ],
            overrun: 0,
        }
    }

    /// Queues received samples for `side`.
    pub fn push(&mut self, side: Side, samples: impl IntoIterator<Item = i16>) {
        let q = &mut self.sides[side as usize];
        q.extend(samples);
        if q.len() > MAX_QUEUED {
            let extra = q.len() - MAX_QUEUED;
            q.drain(..extra);
            self.overrun += extra as u64;
        }
    }

    /// The next 20 ms stereo frame: up to a frame of each side's queue, the
    /// rest silence.
    pub fn frame(&mut self, out: &mut [i16; STEREO_FRAME]) {
        out.fill(0);
        for (ch, q) in self.sides.iter_mut().enumerate() {
            let n = q.len().min(FRAME_SAMPLES);
            for (i, s) in q.drain(..n).enumerate() {
                out[2 * i + ch] = s;
            }
        }
    }
}

/// The 44-byte header of a PCM 16-bit 8 kHz stereo WAV file holding
/// `data_len` bytes of samples; `None` writes the placeholder sizes of a file
/// still being written.
pub fn wav_header(data_len: Option<u32>) -> [u8; HEADER_LEN] {
    wav_header_for(CHANNELS, data_len)
}

/// [`wav_header`] for a file of `channels` channels.
pub fn wav_header_for(channels: u16, data_len: Option<u32>) -> [u8; HEADER_LEN] {
    let (riff, data) = match data_len {
        Some(n) => (n.saturating_add(36), n),
        None => (u32::MAX, u32::MAX),
    };
    let block = channels * BYTES_PER_SAMPLE;
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&riff.to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&SAMPLE_RATE.to_le_bytes());
    h[28..32].copy_from_slice(&(SAMPLE_RATE * block as u32).to_le_bytes());
    h[32..34].copy_from_slice(&block.to_le_bytes());
    h[34..36].copy_from_slice(&(BYTES_PER_SAMPLE * 8).to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

/// How a recording's file ended, told to whoever asked at its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// Bytes of samples in the file (after its 44-byte header).
    pub data_bytes: u32,
    /// Samples per second of audio, over every channel: 8,000 for a mono
    /// file, 16,000 for stereo (so `data_bytes / 2 / rate` is the length in
    /// seconds).
    pub samples_per_sec: u32,
}

/// Where a completed recording is told of; dropped unsent when the file
/// could not be created or written.
pub type FinishedTx = tokio::sync::oneshot::Sender<Finished>;

/// The recording figures of a worker and its writer.
#[derive(Debug, Default)]
pub struct RecorderCounters {
    /// Stereo frames written to files.
    pub frames_written: AtomicU64,
    /// Files completed (sizes patched and closed).
    pub files: AtomicU64,
    /// Files that could not be created or written.
    pub errors: AtomicU64,
}

/// What the worker sends its writer thread. A frame travels by value: no
/// allocation per frame on the worker, and the queue's slots (all frame-sized,
/// 256 of them) take about 160 KiB.
#[allow(clippy::large_enum_variant)]
enum Job {
    Open {
        id: u64,
        path: PathBuf,
        channels: u16,
        done: Option<FinishedTx>,
    },
    Frame {
        id: u64,
        samples: [i16; STEREO_FRAME],
    },
    Close {
        id: u64,
    },
}

/// One recording in progress, as the worker keeps it.
struct Active {
    id: u64,
    a: LegId,
    b: LegId,
    assembler: Assembler,
}

/// A worker's recordings: which legs are tapped, their assemblers, and the
/// way to the writer thread (started with the first recording).
#[derive(Default)]
pub struct Recordings {
    /// By leg `a`.
    active: HashMap<LegId, Active>,
    /// Every recorded leg: the recording's leg `a` and its side.
    taps: HashMap<LegId, (LegId, Side)>,
    writer: Option<SyncSender<Job>>,
    /// Opens and closes that found the writer's queue full, in order; frames
    /// wait behind them (dropped and counted) so the writer sees every file's
    /// jobs in order.
    backlog: VecDeque<Job>,
    next_id: u64,
    /// Frames the writer's full queue refused.
    pub dropped: u64,
    pub counters: Arc<RecorderCounters>,
}

impl Recordings {
    /// Starts recording the bridge of `a` (left) and `b` (right) into `path`.
    /// A leg already recorded stops its recording first.
    pub fn start(&mut self, a: LegId, b: LegId, path: PathBuf) {
        if a == b {
            return;
        }
        self.stop(a);
        self.stop(b);
        self.next_id += 1;
        let id = self.next_id;
        self.active.insert(
            a,
            Active {
                id,
                a,
                b,
                assembler: Assembler::new(),
            },
        );
        self.taps.insert(a, (a, Side::Left));
        self.taps.insert(b, (a, Side::Right));
        self.control(Job::Open {
            id,
            path,
            channels: CHANNELS,
            done: None,
        });
    }

    /// Records what leg `a` receives, alone, into a mono file at `path`;
    /// `done` hears when the file is complete. A leg already recorded stops
    /// its recording first.
    pub fn start_alone(&mut self, a: LegId, path: PathBuf, done: Option<FinishedTx>) {
        self.stop(a);
        self.next_id += 1;
        let id = self.next_id;
        self.active.insert(
            a,
            Active {
                id,
                a,
                b: a,
                assembler: Assembler::new(),
            },
        );
        self.taps.insert(a, (a, Side::Left));
        self.control(Job::Open {
            id,
            path,
            channels: 1,
            done,
        });
    }

    /// Stops the recording `leg` is in (either side), completing its file.
    pub fn stop(&mut self, leg: LegId) {
        let Some(&(a, _)) = self.taps.get(&leg) else {
            return;
        };
        if let Some(r) = self.active.remove(&a) {
            self.taps.remove(&r.a);
            self.taps.remove(&r.b);
            self.control(Job::Close { id: r.id });
        }
    }

    /// Whether any leg is recorded (a cheap test before looking a packet up).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.taps.is_empty()
    }

    /// Copies the audio of one RTP packet `leg` received (with `codec`) into
    /// its recording, when it is recorded. Other payloads (RFC 4733 events,
    /// comfort noise) are left out.
    pub fn capture(&mut self, leg: LegId, codec: LegCodec, packet: &[u8]) {
        let Some(&(a, side)) = self.taps.get(&leg) else {
            return;
        };
        let Ok(p) = RtpPacket::parse(packet) else {
            return;
        };
        if p.payload_type != codec.payload_type {
            return;
        }
        if let Some(r) = self.active.get_mut(&a) {
            let law = codec.law;
            r.assembler
                .push(side, p.payload.iter().map(|&b| law.decode(b)));
        }
    }

    /// One pacing period, `periods` of them after a late wake-up: a stereo
    /// frame per recording and period goes to the writer.
    pub fn tick(&mut self, periods: u32) {
        if self.active.is_empty() && self.backlog.is_empty() {
            return;
        }
        self.flush_backlog();
        let mut samples = [0i16; STEREO_FRAME];
        for _ in 0..periods {
            for r in self.active.values_mut() {
                r.assembler.frame(&mut samples);
                let sent = match (&self.writer, self.backlog.is_empty()) {
                    (Some(w), true) => w.try_send(Job::Frame { id: r.id, samples }).is_ok(),
                    _ => false,
                };
                if !sent {
                    self.dropped += 1;
                }
            }
        }
    }

    /// Legs being recorded now (two per recording).
    pub fn recorded_legs(&self) -> usize {
        self.taps.len()
    }

    fn control(&mut self, job: Job) {
        if self.writer.is_none() {
            match spawn_writer(self.counters.clone()) {
                Ok(tx) => self.writer = Some(tx),
                Err(e) => {
                    tracing::error!(error = %e, "no recording writer thread: nothing is recorded");
                    self.counters.errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
        self.backlog.push_back(job);
        self.flush_backlog();
    }

    fn flush_backlog(&mut self) {
        let Some(w) = &self.writer else {
            self.backlog.clear();
            return;
        };
        while let Some(job) = self.backlog.pop_front() {
            match w.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(job)) => {
                    self.backlog.push_front(job);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.backlog.clear();
                    self.writer = None;
                    return;
                }
            }
        }
    }
}

fn spawn_writer(counters: Arc<RecorderCounters>) -> std::io::Result<SyncSender<Job>> {
    let (tx, rx) = sync_channel(WRITER_QUEUE);
    std::thread::Builder::new()
        .name("recorder".into())
        .spawn(move || write_files(rx, &counters))?;
    Ok(tx)
}

/// A file being written and the sample bytes in it so far.
struct Open {
    file: BufWriter<File>,
    data_len: u32,
    channels: u16,
    done: Option<FinishedTx>,
}

/// The writer thread: runs until the worker (its only sender) is gone, then
/// completes every file still open.
fn write_files(rx: Receiver<Job>, counters: &RecorderCounters) {
    let mut files: HashMap<u64, Open> = HashMap::new();
    let mut bytes = [0u8; 2 * STEREO_FRAME];
    for job in rx {
        match job {
            Job::Open {
                id,
                path,
                channels,
                done,
            } => match create(&path, channels) {
                Ok(file) => {
                    files.insert(
                        id,
                        Open {
                            file,
                            data_len: 0,
                            channels,
                            done,
                        },
                    );
                }
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "recording not started");
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                }
            },
            Job::Frame { id, samples } => {
                let Some(open) = files.get_mut(&id) else {
                    continue;
                };
                let n = if open.channels == 1 {
                    // The left channel alone: every other sample.
                    for (b, s) in bytes.chunks_exact_mut(2).zip(samples.iter().step_by(2)) {
                        b.copy_from_slice(&s.to_le_bytes());
                    }
                    STEREO_FRAME
                } else {
                    for (b, s) in bytes.chunks_exact_mut(2).zip(samples) {
                        b.copy_from_slice(&s.to_le_bytes());
                    }
                    bytes.len()
                };
                match open.file.write_all(&bytes[..n]) {
                    Ok(()) => {
                        open.data_len = open.data_len.saturating_add(n as u32);
                        counters.frames_written.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "recording write failed: the file ends here");
                        counters.errors.fetch_add(1, Ordering::Relaxed);
                        files.remove(&id);
                    }
                }
            }
            Job::Close { id } => {
                if let Some(open) = files.remove(&id) {
                    finish(open, counters);
                }
            }
        }
    }
    for (_, open) in files.drain() {
        finish(open, counters);
    }
}

fn create(path: &std::path::Path, channels: u16) -> std::io::Result<BufWriter<File>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = BufWriter::with_capacity(
        32 * 1024,
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?,
    );
    file.write_all(&wav_header_for(channels, None))?;
    Ok(file)
}

/// Patches the sizes into the header and closes the file.
fn finish(mut open: Open, counters: &RecorderCounters) {
    let header = wav_header_for(open.channels, Some(open.data_len));
    let done = open.file.flush().and_then(|()| {
        let f = open.file.get_mut();
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&header)?;
        f.sync_data()
    });
    match done {
        Ok(()) => {
            counters.files.fetch_add(1, Ordering::Relaxed);
            if let Some(done) = open.done.take() {
                let _ = done.send(Finished {
                    data_bytes: open.data_len,
                    samples_per_sec: SAMPLE_RATE * u32::from(open.channels),
                });
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "recording not completed: its header needs repair");
            counters.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::g711::Law;
    use crate::media::rtp::RtpHeader;

    fn left(frame: &[i16; STEREO_FRAME]) -> Vec<i16> {
        frame.iter().step_by(2).copied().collect()
    }

    fn right(frame: &[i16; STEREO_FRAME]) -> Vec<i16> {
        frame.iter().skip(1).step_by(2).copied().collect()
    }

    #[test]
    fn each_side_lands_in_its_channel_in_step() {
        let mut asm = Assembler::new();
        let mut f = [0i16; STEREO_FRAME];
        for k in 0..3i16 {
            asm.push(Side::Left, (0..160).map(|i| 1000 + k * 10 + (i % 2)));
            asm.push(Side::Right, (0..160).map(|_| -2000 - k));
            asm.frame(&mut f);
            assert!(left(&f)
                .iter()
                .all(|&s| s == 1000 + k * 10 || s == 1001 + k * 10));
            assert!(right(&f).iter().all(|&s| s == -2000 - k));
        }
    }

    #[test]
    fn a_silent_side_is_filled_with_silence_and_the_other_keeps_its_time() {
        let mut asm = Assembler::new();
        let mut f = [0i16; STEREO_FRAME];
        // The agent says nothing for two periods, then one frame.
        for k in 0..3i16 {
            asm.push(Side::Left, vec![100 + k; 160]);
            if k == 2 {
                asm.push(Side::Right, vec![-7; 160]);
            }
            asm.frame(&mut f);
            assert_eq!(left(&f), vec![100 + k; 160], "period {k}");
            let expect = if k == 2 { -7 } else { 0 };
            assert_eq!(right(&f), vec![expect; 160], "period {k}");
        }
        // Nobody speaks: a whole frame of silence, still one per period.
        asm.frame(&mut f);
        assert!(f.iter().all(|&s| s == 0));
    }

    #[test]
    fn a_late_packet_is_played_one_period_later_and_a_burst_is_bounded() {
        let mut asm = Assembler::new();
        let mut f = [0i16; STEREO_FRAME];
        asm.frame(&mut f); // the packet of this period is late
        assert!(f.iter().all(|&s| s == 0));
        asm.push(Side::Left, vec![1; 160]);
        asm.push(Side::Left, vec![2; 160]);
        asm.frame(&mut f);
        assert_eq!(left(&f), vec![1; 160]);
        asm.push(Side::Left, vec![3; 160]);
        asm.frame(&mut f);
        assert_eq!(left(&f), vec![2; 160]);
        // A burst of ten packets keeps only the newest three frames.
        for k in 10..20 {
            asm.push(Side::Left, vec![k; 160]);
        }
        assert_eq!(asm.overrun, 160 * 8);
        for k in 17..20 {
            asm.frame(&mut f);
            assert_eq!(left(&f), vec![k; 160]);
        }
        // A short packet (10 ms) fills half a frame; the rest is silence.
        asm.push(Side::Right, vec![9; 80]);
        asm.frame(&mut f);
        let r = right(&f);
        assert_eq!((&r[..80], &r[80..]), (&[9; 80][..], &[0; 80][..]));
    }

    #[test]
    fn the_header_is_a_stereo_8khz_16_bit_pcm_wave() {
        let h = wav_header(Some(6400));
        let expect: [u8; 44] = [
            b'R', b'I', b'F', b'F', 0x24, 0x19, 0, 0, // 6400 + 36
            b'W', b'A', b'V', b'E', b'f', b'm', b't', b' ', 16, 0, 0, 0, // fmt size
            1, 0, 2, 0, // PCM, two channels
            0x40, 0x1f, 0, 0, // 8000 Hz
            0x00, 0x7d, 0, 0, // 32000 bytes a second
            4, 0, 16, 0, // block align, bits
            b'd', b'a', b't', b'a', 0x00, 0x19, 0, 0, // 6400
        ];
        assert_eq!(h, expect);
        let open = wav_header(None);
        assert_eq!(&open[4..8], &[0xff; 4]);
        assert_eq!(&open[40..44], &[0xff; 4]);
        assert_eq!(&open[8..40], &expect[8..40]);
    }

    fn rtp(pt: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        RtpHeader {
            marker: false,
            payload_type: pt,
            sequence: 1,
            timestamp: 160,
            ssrc: 5,
        }
        .write(&mut v);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn recordings_decode_each_law_and_write_a_file_a_wav_reader_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("call.wav");
        let mut rec = Recordings::default();
        let mu = LegCodec {
            law: Law::Mu,
            payload_type: 0,
            telephone_event: Some(101),
        };
        let a = LegCodec {
            law: Law::A,
            payload_type: 8,
            telephone_event: None,
        };
        rec.start(1, 2, path.clone());
        assert_eq!(rec.recorded_legs(), 2);
        for _ in 0..5 {
            rec.capture(1, mu, &rtp(0, &[Law::Mu.encode(4000); 160]));
            // An event is not audio.
            rec.capture(1, mu, &rtp(101, &[1, 0, 0, 160]));
            rec.capture(2, a, &rtp(8, &[Law::A.encode(-3000); 160]));
            // A leg that is not recorded.
            rec.capture(3, a, &rtp(8, &[0; 160]));
            rec.tick(1);
        }
        rec.tick(2); // a late wake-up: two frames of silence
        rec.stop(2);
        assert!(rec.is_empty());
        let counters = rec.counters.clone();
        drop(rec); // the writer ends once its sender is gone
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while counters.files.load(Ordering::Relaxed) == 0 {
            assert!(std::time::Instant::now() < deadline, "file not completed");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(counters.frames_written.load(Ordering::Relaxed), 7);
        let mut reader = hound::WavReader::open(&path).unwrap();
        let spec = reader.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (2, 8000, 16)
        );
        let s: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(s.len(), 7 * STEREO_FRAME);
        let l = Law::Mu.decode(Law::Mu.encode(4000));
        let r = Law::A.decode(Law::A.encode(-3000));
        for (i, pair) in s.chunks_exact(2).enumerate() {
            let expect = if i < 5 * 160 { [l, r] } else { [0, 0] };
            assert_eq!(pair, expect, "sample {i}");
        }
    }
}
