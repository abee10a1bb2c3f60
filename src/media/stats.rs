//! Reception statistics of one leg, RFC 3550 appendix A.1 (sequence number
//! validity), A.3 (expected and lost packets, fraction lost) and A.8 (interarrival
//! jitter).
//!
//! [`ReceiveStats`] follows one source at a time. When the far end changes SSRC (a
//! re-INVITE, a transfer on the far side) the per-source counters restart, while
//! [`LegStats`] — what the interaction record keeps — sums packets, octets and loss
//! over every source the leg heard. Unlike A.1 there is no probation: a softswitch
//! answers one negotiated peer and must count its first packet.

use std::time::Instant;

const SEQ_MOD: u32 = 1 << 16;
/// A.1: a forward jump larger than this is a restart, not loss.
const MAX_DROPOUT: u16 = 3000;
/// A.1: a backward jump smaller than this is a late or duplicate packet.
const MAX_MISORDER: u16 = 100;

/// Statistics of the source currently heard on a leg, and totals for the leg.
#[derive(Debug, Clone, Default)]
pub struct ReceiveStats {
    source: Option<SourceState>,
    /// Arrival-time origin for the jitter computation.
    epoch: Option<Instant>,
    totals: LegStats,
    /// Loss of sources heard before the current one.
    lost_before: i64,
}

#[derive(Debug, Clone)]
struct SourceState {
    ssrc: u32,
    base_seq: u32,
    max_seq: u16,
    cycles: u32,
    bad_seq: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    transit: Option<i64>,
    /// Jitter in timestamp units, scaled by 16 as A.8 keeps it.
    jitter_x16: u32,
}

impl SourceState {
    fn new(ssrc: u32, seq: u16) -> Self {
        SourceState {
            ssrc,
            base_seq: seq as u32,
            max_seq: seq,
            cycles: 0,
            bad_seq: SEQ_MOD + 1,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_x16: 0,
        }
    }

    /// A.1 `update_seq`; false when the packet should not be counted.
    fn update_seq(&mut self, seq: u16) -> bool {
        let udelta = seq.wrapping_sub(self.max_seq);
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles += SEQ_MOD;
            }
            self.max_seq = seq;
        } else if udelta as u32 <= SEQ_MOD - MAX_MISORDER as u32 {
            // A very large jump: believe it only when the next packet follows it.
            if seq as u32 == self.bad_seq {
                let (transit, jitter) = (self.transit, self.jitter_x16);
                *self = SourceState::new(self.ssrc, seq);
                self.transit = transit;
                self.jitter_x16 = jitter;
            } else {
                self.bad_seq = (seq as u32 + 1) & (SEQ_MOD - 1);
                return false;
            }
        }
        // else: duplicate or reordered, counted but not moving max_seq.
        self.received += 1;
        true
    }

    fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(self.max_seq as u32)
    }

    fn expected(&self) -> u64 {
        (self.extended_max() as u64 + 1).saturating_sub(self.base_seq as u64)
    }

    fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }
}

/// What the interaction record keeps about a leg's incoming audio.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegStats {
    /// Packets counted (after A.1 validation), over every source.
    pub packets: u64,
    /// Payload octets of those packets.
    pub octets: u64,
    /// Packets lost, over every source (negative with duplicates, as A.3 allows).
    pub lost: i64,
    /// Current interarrival jitter, microseconds.
    pub jitter_us: u32,
    /// Largest jitter seen, microseconds.
    pub max_jitter_us: u32,
    /// Packets refused by sequence validation (restarts not yet confirmed).
    pub discarded: u64,
}

impl ReceiveStats {
    /// Records one packet that arrived at `now`, on a payload clocked at
    /// `clock_rate` Hz. Returns false when A.1 says not to count it (an
    /// unconfirmed large sequence jump).
    pub fn record(
        &mut self,
        seq: u16,
        timestamp: u32,
        ssrc: u32,
        payload_len: usize,
        now: Instant,
        clock_rate: u32,
    ) -> bool {
        let epoch = *self.epoch.get_or_insert(now);
        let (src, first) = match &mut self.source {
            Some(s) if s.ssrc == ssrc => (s, false),
            other => {
                if let Some(old) = other.as_ref() {
                    self.lost_before += old.lost();
                }
                *other = Some(SourceState::new(ssrc, seq));
                (other.as_mut().expect("just set"), true)
            }
        };
        // A.1 init_seq: the first packet of a source counts without a sequence check.
        if first {
            src.received = 1;
        } else if !src.update_seq(seq) {
            self.totals.discarded += 1;
            return false;
        }
        // A.8: transit = arrival - timestamp in timestamp units; jitter follows |D|.
        let arrival =
            now.saturating_duration_since(epoch).as_micros() as i64 * clock_rate as i64 / 1_000_000;
        let transit = arrival - timestamp as i64;
        if let Some(prev) = src.transit {
            // Timestamps wrap at 2^32: take the short way round.
            let d = (transit - prev + (1 << 31)).rem_euclid(1 << 32) - (1 << 31);
            let d = d.unsigned_abs().min(u32::MAX as u64 / 2) as u32;
            let j = src.jitter_x16;
            src.jitter_x16 = j.wrapping_add(d).wrapping_sub((j + 8) >> 4);
        }
        src.transit = Some(transit);
        let jitter_us =
            ((src.jitter_x16 >> 4) as u64 * 1_000_000 / clock_rate.max(1) as u64) as u32;
        self.totals.packets += 1;
        self.totals.octets += payload_len as u64;
        self.totals.jitter_us = jitter_us;
        self.totals.max_jitter_us = self.totals.max_jitter_us.max(jitter_us);
        true
    }

    /// The SSRC currently heard, if any packet has arrived.
    pub fn ssrc(&self) -> Option<u32> {
        self.source.as_ref().map(|s| s.ssrc)
    }

    /// Extended highest sequence number received from the current source (A.1).
    pub fn extended_max(&self) -> u32 {
        self.source.as_ref().map_or(0, |s| s.extended_max())
    }

    /// Cumulative packets lost from the current source (A.3).
    pub fn lost(&self) -> i64 {
        self.source.as_ref().map_or(0, |s| s.lost())
    }

    /// Interarrival jitter of the current source, timestamp units (A.8).
    pub fn jitter(&self) -> u32 {
        self.source.as_ref().map_or(0, |s| s.jitter_x16 >> 4)
    }

    /// Fraction of packets lost since the last call, in 1/256 (A.3), for an RTCP
    /// report block; starts the next interval.
    pub fn take_fraction_lost(&mut self) -> u8 {
        let Some(s) = self.source.as_mut() else {
            return 0;
        };
        let expected = s.expected();
        let expected_interval = expected.saturating_sub(s.expected_prior);
        let received_interval = s.received.saturating_sub(s.received_prior);
        s.expected_prior = expected;
        s.received_prior = s.received;
        let lost = expected_interval as i64 - received_interval as i64;
        if expected_interval == 0 || lost <= 0 {
            0
        } else {
            ((lost << 8) / expected_interval as i64).min(255) as u8
        }
    }

    /// Totals for the interaction record.
    pub fn leg(&self) -> LegStats {
        LegStats {
            lost: self.lost_before + self.lost(),
            ..self.totals
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn feed(st: &mut ReceiveStats, t0: Instant, seqs: &[u16]) {
        for &s in seqs {
            let t = t0 + Duration::from_millis(20 * s as u64);
            st.record(s, 160 * s as u32, 42, 160, t, 8000);
        }
    }

    #[test]
    fn counts_loss_and_no_jitter_on_a_perfect_clock() {
        let mut st = ReceiveStats::default();
        let t0 = Instant::now();
        let seqs: Vec<u16> = (0..100).filter(|s| s % 10 != 3).collect();
        feed(&mut st, t0, &seqs);
        assert_eq!(st.lost(), 10);
        assert_eq!(st.extended_max(), 99);
        assert_eq!(st.jitter(), 0);
        let leg = st.leg();
        assert_eq!((leg.packets, leg.octets, leg.lost), (90, 90 * 160, 10));
        assert_eq!(st.take_fraction_lost(), (10 * 256 / 100) as u8);
        assert_eq!(st.take_fraction_lost(), 0);
    }

    #[test]
    fn sequence_wrap_counts_a_cycle_and_late_packets_do_not() {
        let mut st = ReceiveStats::default();
        let t0 = Instant::now();
        let mut seq = 65530u16;
        for i in 0..12u32 {
            st.record(
                seq,
                i * 160,
                1,
                160,
                t0 + Duration::from_millis(20 * i as u64),
                8000,
            );
            seq = seq.wrapping_add(1);
        }
        assert_eq!(st.extended_max(), 65536 + 5);
        assert_eq!(st.lost(), 0);
        // A late duplicate from before the wrap.
        st.record(
            65533,
            3 * 160,
            1,
            160,
            t0 + Duration::from_millis(300),
            8000,
        );
        assert_eq!(st.extended_max(), 65536 + 5);
        assert_eq!(st.lost(), -1);
    }

    #[test]
    fn a_big_jump_is_believed_only_when_confirmed() {
        let mut st = ReceiveStats::default();
        let t0 = Instant::now();
        feed(&mut st, t0, &[0, 1, 2]);
        assert!(!st.record(20_000, 0, 42, 160, t0, 8000));
        assert!(st.record(20_001, 160, 42, 160, t0, 8000));
        assert_eq!(st.lost(), 0);
        assert_eq!(st.leg().discarded, 1);
    }

    #[test]
    fn jitter_follows_a8_on_alternating_delay() {
        // Every other packet arrives 10 ms (80 units) late: |D| = 80 each time,
        // so J converges to 80.
        let mut st = ReceiveStats::default();
        let t0 = Instant::now();
        for i in 0..500u32 {
            let late = if i % 2 == 1 { 10 } else { 0 };
            let t = t0 + Duration::from_millis(20 * i as u64 + late);
            st.record(i as u16, i * 160, 7, 160, t, 8000);
        }
        assert!((78..=80).contains(&st.jitter()), "jitter {}", st.jitter());
        assert!((9_700..=10_000).contains(&st.leg().jitter_us));
    }

    #[test]
    fn a_new_ssrc_restarts_the_source_but_keeps_leg_totals() {
        let mut st = ReceiveStats::default();
        let t0 = Instant::now();
        feed(&mut st, t0, &[0, 1, 3, 4]); // one lost
        st.record(9000, 5, 99, 160, t0 + Duration::from_millis(200), 8000);
        st.record(9002, 325, 99, 160, t0 + Duration::from_millis(240), 8000);
        assert_eq!(st.ssrc(), Some(99));
        assert_eq!(st.lost(), 1);
        let leg = st.leg();
        assert_eq!((leg.packets, leg.lost), (6, 2));
    }
}
