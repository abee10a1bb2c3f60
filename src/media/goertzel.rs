//! In-band DTMF detection (ITU-T Q.23 frequencies, Q.24 acceptance ranges) with the
//! Goertzel algorithm, for trunks that send key presses as tones in G.711 audio
//! rather than as RFC 4733 events.
//!
//! Audio is examined in blocks of 205 samples (25.6 ms at 8 kHz, the classic size
//! whose bins fall close to all eight frequencies). A block holds a key when one low
//! and one high frequency carry almost all of the block's energy, within the twist
//! limits, above a minimum level. A key is reported once when two consecutive blocks
//! agree (so at least ~40 ms of tone, as Q.24 asks), and a new press needs two
//! blocks without it first. Speech and music spread their energy and do not pass.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::dtmf::{Digit, DtmfSource};

/// Samples per analysis block.
pub const BLOCK: usize = 205;
const LOW: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const HIGH: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Share of the block's energy the two tones must carry.
const PURITY: f32 = 0.6;
/// Mean square level below which a block is silence (about -38 dBm0 per tone).
const MIN_MEAN_SQUARE: f32 = 60_000.0;
/// Allowed high/low power ratio: 8 dB normal twist, 6 dB reverse twist.
const TWIST: (f32, f32) = (0.158, 3.98);
const BLOCK_TIME: Duration = Duration::from_micros(25_625);

fn coefficients(freqs: &[f32; 4]) -> [f32; 4] {
    freqs.map(|f| 2.0 * (2.0 * std::f32::consts::PI * f / 8000.0).cos())
}

/// Goertzel power of one frequency over a block.
fn power(coeff: f32, block: &[f32]) -> f32 {
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in block {
        let s = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

/// In-band detector for one leg's received audio.
#[derive(Debug)]
pub struct InbandDetector {
    low: [f32; 4],
    high: [f32; 4],
    block: [f32; BLOCK],
    filled: usize,
    /// Time of the first sample in `block`.
    block_start: Option<Instant>,
    /// Key seen in the previous block.
    previous: Option<char>,
    /// Key reported and not yet released, and the time its tone began.
    current: Option<char>,
    candidate_at: Option<Instant>,
    silent_blocks: u32,
    digits: VecDeque<Digit>,
}

impl Default for InbandDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl InbandDetector {
    pub fn new() -> Self {
        InbandDetector {
            low: coefficients(&LOW),
            high: coefficients(&HIGH),
            block: [0.0; BLOCK],
            filled: 0,
            block_start: None,
            previous: None,
            current: None,
            candidate_at: None,
            silent_blocks: 0,
            digits: VecDeque::new(),
        }
    }

    /// Feeds linear samples received at `now` (the time of the first sample).
    pub fn handle_samples(&mut self, now: Instant, samples: &[i16]) {
        for (i, &s) in samples.iter().enumerate() {
            if self.filled == 0 {
                self.block_start = Some(now + Duration::from_micros(i as u64 * 125));
            }
            self.block[self.filled] = s as f32;
            self.filled += 1;
            if self.filled == BLOCK {
                self.filled = 0;
                let key = self.classify();
                self.step(key);
            }
        }
    }

    /// Which key, if any, the current block holds.
    fn classify(&self) -> Option<char> {
        let energy: f32 = self.block.iter().map(|x| x * x).sum();
        if energy / (BLOCK as f32) < MIN_MEAN_SQUARE {
            return None;
        }
        let lows = self.low.map(|c| power(c, &self.block));
        let highs = self.high.map(|c| power(c, &self.block));
        let best = |p: &[f32; 4]| {
            let (i, &v) = p
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .expect("four");
            let second = p
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, &x)| x)
                .fold(0.0, f32::max);
            (i, v, second)
        };
        let (li, lp, l2) = best(&lows);
        let (hi, hp, h2) = best(&highs);
        // A pure tone of amplitude A gives power (A*N/2)^2 and energy N*A^2/2.
        let share = 2.0 * (lp + hp) / (energy * BLOCK as f32);
        let twist = hp / lp.max(1.0);
        let clean = l2 < lp * 0.1 && h2 < hp * 0.1;
        (share > PURITY && (TWIST.0..=TWIST.1).contains(&twist) && clean).then(|| KEYPAD[li][hi])
    }

    fn step(&mut self, key: Option<char>) {
        let start = self.block_start.unwrap_or_else(Instant::now);
        if key.is_some() && key != self.previous {
            self.candidate_at = Some(start);
        }
        if key.is_some() && key == self.current {
            self.silent_blocks = 0;
        } else {
            self.silent_blocks += 1;
            if self.silent_blocks >= 2 {
                self.current = None;
            }
            if let (Some(k), None) = (key, self.current) {
                if key == self.previous {
                    self.current = key;
                    self.silent_blocks = 0;
                    self.digits.push_back(Digit {
                        key: k,
                        at: self.candidate_at.unwrap_or(start),
                        duration: None,
                        source: DtmfSource::InBand,
                    });
                }
            }
        }
        self.previous = key;
    }

    /// Time one analysis block covers.
    pub fn block_time() -> Duration {
        BLOCK_TIME
    }

    /// The next digit detected.
    pub fn poll_digit(&mut self) -> Option<Digit> {
        self.digits.pop_front()
    }
}

/// Writes a DTMF tone pair for `key` into `out` (amplitude per tone), starting at
/// sample index `phase`. Used by tests and by the tone generator of tools.
pub fn tone(key: char, amplitude: f32, phase: usize, out: &mut [i16]) -> bool {
    let Some((r, c)) = KEYPAD
        .iter()
        .enumerate()
        .find_map(|(r, row)| row.iter().position(|&k| k == key).map(|c| (r, c)))
    else {
        return false;
    };
    let w = |f: f32, n: usize| (2.0 * std::f32::consts::PI * f * n as f32 / 8000.0).sin();
    for (i, o) in out.iter_mut().enumerate() {
        let n = phase + i;
        *o = (amplitude * (w(LOW[r], n) + w(HIGH[c], n))).round() as i16;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::g711::Law;

    /// Sends `script` (key or silence, ms) through G.711 in 20 ms frames.
    fn run(script: &[(Option<char>, u64)], amplitude: f32, law: Law) -> Vec<char> {
        let mut det = InbandDetector::new();
        let t0 = Instant::now();
        let mut n = 0usize;
        let mut frame = [0i16; 160];
        let mut encoded = [0u8; 160];
        for &(key, ms) in script {
            for _ in 0..ms / 20 {
                match key {
                    Some(k) => {
                        tone(k, amplitude, n, &mut frame);
                    }
                    None => frame.fill(0),
                }
                law.encode_into(&frame, &mut encoded);
                law.decode_into(&encoded, &mut frame);
                det.handle_samples(t0 + Duration::from_micros(n as u64 * 125), &frame);
                n += 160;
            }
        }
        std::iter::from_fn(|| det.poll_digit())
            .map(|d| d.key)
            .collect()
    }

    #[test]
    fn every_key_once_per_press() {
        let keys = "123A456B789C*0#D";
        let mut script = vec![];
        for k in keys.chars() {
            script.push((Some(k), 100));
            script.push((None, 60));
        }
        let got: String = run(&script, 4000.0, Law::Mu).into_iter().collect();
        assert_eq!(got, keys);
        let got: String = run(&script, 1500.0, Law::A).into_iter().collect();
        assert_eq!(got, keys);
    }

    #[test]
    fn a_long_press_is_one_digit_and_repeats_need_a_gap() {
        let got = run(
            &[(Some('5'), 1000), (None, 60), (Some('5'), 80), (None, 40)],
            4000.0,
            Law::Mu,
        );
        assert_eq!(got, ['5', '5']);
    }

    #[test]
    fn too_short_quiet_or_single_tones_are_not_keys() {
        assert!(run(&[(Some('7'), 20), (None, 100)], 4000.0, Law::Mu).is_empty());
        assert!(run(&[(Some('7'), 200)], 30.0, Law::Mu).is_empty());
        // One frequency alone (a dial tone or music note) is not a key.
        let mut det = InbandDetector::new();
        let t0 = Instant::now();
        let samples: Vec<i16> = (0..8000)
            .map(|n| {
                (6000.0 * (2.0 * std::f32::consts::PI * 697.0 * n as f32 / 8000.0).sin()) as i16
            })
            .collect();
        det.handle_samples(t0, &samples);
        assert_eq!(det.poll_digit(), None);
    }

    #[test]
    fn hold_music_does_not_trigger() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/media/music/hold.wav");
        let mut reader = hound::WavReader::open(path).unwrap();
        let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
        let mut det = InbandDetector::new();
        det.handle_samples(Instant::now(), &samples);
        assert_eq!(det.poll_digit(), None);
    }
}
