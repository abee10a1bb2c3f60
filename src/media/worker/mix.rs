//! The worker's side of monitored calls ([`crate::media::mixer`]): which legs
//! are mixed, and the mixing itself on the pacing clock.
//!
//! A monitored call's caller and agent stay bridged (their relays are kept,
//! so hold, resume and codec changes work as before), but what they receive
//! is decoded into the call's [`Mixer`] instead of being relayed; the
//! supervisor's leg, never bridged, is read on its phase's tick. Each mix is
//! served once per period on the tick of its supervisor leg's phase, so the
//! mixing is spread over the phases like the legs are, with no task or timer
//! of its own: every party gets one frame, in its own law and RTP stream. A
//! caller or agent whose bridge is undone (on hold) hears what its player
//! plays instead; its audio still reaches the supervisor.

use std::collections::HashMap;
use std::time::Instant;

use super::super::bridge::LegCodec;
use super::super::leg::LegId;
use super::super::mixer::{Mixer, MonitorMode, Party};
use super::super::net::send_one;
use super::super::rtp::{RtpPacket, HEADER_LEN};
use super::super::source::FRAME_SAMPLES;
use super::super::srtp::MAX_RTP_OVERHEAD;
use super::{Packet, Worker, TICK};

/// One monitored call.
struct Mix {
    legs: [LegId; 3],
    /// The phase whose tick serves the mix (the supervisor leg's).
    phase: u8,
    mixer: Mixer,
}

/// Every monitored call of a worker.
#[derive(Default)]
pub(super) struct Mixes {
    /// By the supervisor's leg.
    mixes: HashMap<LegId, Mix>,
    /// Each mixed leg: its mix (by supervisor leg) and its party.
    taps: HashMap<LegId, (LegId, Party)>,
    /// Frames sent by the mixes (one per party and period).
    pub frames: u64,
}

impl Mixes {
    /// Whether no call is mixed (a cheap test before looking a packet up).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.taps.is_empty()
    }

    pub fn len(&self) -> usize {
        self.mixes.len()
    }

    /// Takes the audio of one RTP packet `leg` received (with `codec`) into
    /// its mix; false when the leg is not mixed. A mixed leg's other
    /// payloads (RFC 4733 events, comfort noise) are consumed too: they
    /// would interleave relayed timestamps with the mix's.
    pub fn capture(&mut self, leg: LegId, codec: LegCodec, packet: &[u8]) -> bool {
        let Some(&(sup, party)) = self.taps.get(&leg) else {
            return false;
        };
        if let (Ok(p), Some(mix)) = (RtpPacket::parse(packet), self.mixes.get_mut(&sup)) {
            if p.payload_type == codec.payload_type {
                mix.mixer.push(party, codec.law, p.payload);
            }
        }
        true
    }

    /// Removes the mix `leg` is in (any party); its legs, for the caller to
    /// re-anchor their streams.
    fn remove(&mut self, leg: LegId) -> Option<[LegId; 3]> {
        let &(sup, _) = self.taps.get(&leg)?;
        let mix = self.mixes.remove(&sup)?;
        for l in mix.legs {
            self.taps.remove(&l);
        }
        Some(mix.legs)
    }
}

impl Worker {
    fn knows(&self, id: LegId) -> bool {
        self.index.contains_key(&id) || self.externals.contains_key(&id)
    }

    /// Starts mixing the bridge of `caller` and `agent` with `supervisor`.
    /// A leg mixed already leaves its mix first.
    pub(super) fn monitor(
        &mut self,
        caller: LegId,
        agent: LegId,
        supervisor: LegId,
        mode: MonitorMode,
    ) {
        let legs = [caller, agent, supervisor];
        if !legs.iter().all(|&l| self.knows(l))
            || caller == agent
            || supervisor == caller
            || supervisor == agent
        {
            return;
        }
        for l in legs {
            self.unmonitor(l);
        }
        let phase = self.index.get(&supervisor).map_or(0, |s| s.0);
        self.mixes.mixes.insert(
            supervisor,
            Mix {
                legs,
                phase,
                mixer: Mixer::new(mode),
            },
        );
        for party in Party::ALL {
            self.mixes
                .taps
                .insert(legs[party as usize], (supervisor, party));
        }
        self.restart_streams(&legs);
    }

    /// Changes what the parties of the mix `leg` is in hear.
    pub(super) fn monitor_mode(&mut self, leg: LegId, mode: MonitorMode) {
        if let Some(&(sup, _)) = self.mixes.taps.get(&leg) {
            if let Some(mix) = self.mixes.mixes.get_mut(&sup) {
                mix.mixer.mode = mode;
            }
        }
    }

    /// Ends the mix `leg` is in: the caller and agent are relayed again.
    pub(super) fn unmonitor(&mut self, leg: LegId) {
        if let Some(legs) = self.mixes.remove(leg) {
            self.restart_streams(&legs);
        }
    }

    /// Between relayed packets and mixed frames the outgoing timestamps jump:
    /// each stream re-anchors (RFC 3550 section 5.1, marker bit).
    fn restart_streams(&mut self, legs: &[LegId]) {
        for &l in legs {
            if let Some(&(p, i)) = self.index.get(&l) {
                self.legs[p as usize][i].out.source_changed();
            } else if let Some(ext) = self.externals.get_mut(&l) {
                ext.out.source_changed();
            }
        }
    }

    /// Serves the mixes of `phase`: `due` periods from `deadline` on, one
    /// frame per party and period.
    pub(super) fn mix_tick(&mut self, phase: u8, deadline: Instant, due: u32) {
        const LEN: usize = HEADER_LEN + FRAME_SAMPLES;
        let mut datagram = [0u8; LEN + MAX_RTP_OVERHEAD];
        let mut payload = [0u8; FRAME_SAMPLES];
        for mix in self.mixes.mixes.values_mut() {
            if mix.phase != phase {
                continue;
            }
            for f in 0..due {
                let at = deadline + TICK * f;
                mix.mixer.next_period();
                for party in Party::ALL {
                    let id = mix.legs[party as usize];
                    let bridged_only = party != Party::Supervisor;
                    if let Some(&(p, i)) = self.index.get(&id) {
                        let leg = &mut self.legs[p as usize][i];
                        if (bridged_only && leg.peer.is_none()) || !leg.config.direction.sends() {
                            continue;
                        }
                        let Some(to) = leg.latch.remote() else {
                            continue;
                        };
                        let codec = leg.config.codec;
                        mix.mixer.output(party, codec.law, &mut payload);
                        let header =
                            leg.out
                                .next_local(codec.payload_type, FRAME_SAMPLES as u32, at);
                        header.write(&mut datagram[..HEADER_LEN]);
                        datagram[HEADER_LEN..LEN].copy_from_slice(&payload);
                        let Ok(n) = leg.protect_rtp(&mut datagram, LEN) else {
                            self.report.send_errors += 1;
                            continue;
                        };
                        match send_one(leg.fd, &datagram[..n], &to) {
                            Ok(()) => self.report.packets_sent += 1,
                            Err(_) => self.report.send_errors += 1,
                        }
                        leg.out.count_sent(FRAME_SAMPLES);
                        self.mixes.frames += 1;
                    } else if let Some(ext) = self.externals.get_mut(&id) {
                        if bridged_only && ext.peer.is_none() {
                            continue;
                        }
                        let codec = ext.codec;
                        mix.mixer.output(party, codec.law, &mut payload);
                        let header =
                            ext.out
                                .next_local(codec.payload_type, FRAME_SAMPLES as u32, at);
                        let mut data = vec![0u8; HEADER_LEN + FRAME_SAMPLES];
                        header.write(&mut data[..HEADER_LEN]);
                        data[HEADER_LEN..].copy_from_slice(&payload);
                        ext.out.count_sent(FRAME_SAMPLES);
                        match ext.hub.try_send(Packet { leg: id, data }) {
                            Ok(()) => self.mixes.frames += 1,
                            Err(_) => self.report.relay_dropped += 1,
                        }
                    }
                }
            }
        }
    }
}
