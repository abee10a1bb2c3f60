//! The worker's relay path: bridging two legs (or a leg and a browser leg's
//! stand-in), and reading a bridged leg's socket as soon as it is ready, each
//! packet rewritten in the receive buffer and sent on at once
//! ([`super::super::bridge`]), with no copy and no allocation.

use std::ops::Range;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::super::bridge::Relay;
use super::super::leg::Leg;
use super::super::leg::{LegId, Received};
use super::super::net::send_one;
use super::super::net::MAX_DATAGRAM;
use super::super::readiness::SocketWaker;
use super::super::srtp::MAX_RTP_OVERHEAD;
use super::{pair, MediaEvent, Packet, Slot, Worker, WorkerReport};

/// Sends `buf[range]`, a packet rewritten into `dst`'s stream, to `dst`'s
/// peer: protected first when `dst` is keyed, in the room after the range.
fn send_relayed(dst: &mut Leg, buf: &mut [u8], range: Range<usize>, report: &mut WorkerReport) {
    let (true, Some(to)) = (dst.config.direction.sends(), dst.latch.remote()) else {
        report.relay_dropped += 1;
        return;
    };
    let Ok(len) = dst.protect_rtp(&mut buf[range.start..], range.len()) else {
        report.relay_dropped += 1;
        return;
    };
    match send_one(dst.fd, &buf[range.start..range.start + len], &to) {
        Ok(()) => report.relayed += 1,
        Err(_) => report.send_errors += 1,
    }
}

impl Worker {
    pub(super) fn bridge(&mut self, a: LegId, b: LegId) {
        if self.externals.contains_key(&b) {
            return self.bridge_external(a, b);
        }
        if self.externals.contains_key(&a) {
            return self.bridge_external(b, a);
        }
        let (Some(&i), Some(&j)) = (self.index.get(&a), self.index.get(&b)) else {
            return;
        };
        if i == j {
            return;
        }
        self.unbridge(a);
        self.unbridge(b);
        let (la, lb) = pair(&mut self.legs, i, j);
        la.peer = Some((b, Relay::new(la.config.codec, lb.config.codec)));
        lb.peer = Some((a, Relay::new(lb.config.codec, la.config.codec)));
        for leg in [la, lb] {
            leg.out.source_changed();
            let sw = SocketWaker::new(leg.id, self.ready.clone());
            leg.ready_waker = Some((sw.clone(), Waker::from(sw)));
        }
        // Reading once registers each socket under its own waker (and relays what
        // may already be waiting).
        let now = Instant::now();
        self.drain(i, now);
        self.drain(j, now);
    }

    /// Bridges leg `a` to the browser leg `b` in the hub.
    fn bridge_external(&mut self, a: LegId, b: LegId) {
        let Some(&i) = self.index.get(&a) else {
            return;
        };
        self.unbridge(a);
        self.unbridge(b);
        let ready = self.ready.clone();
        let leg = &mut self.legs[i.0 as usize][i.1];
        let Some(ext) = self.externals.get_mut(&b) else {
            return;
        };
        leg.peer = Some((b, Relay::new(leg.config.codec, ext.codec)));
        ext.peer = Some((a, Relay::new(ext.codec, leg.config.codec)));
        ext.out.source_changed();
        leg.out.source_changed();
        let sw = SocketWaker::new(leg.id, ready);
        leg.ready_waker = Some((sw.clone(), Waker::from(sw)));
        self.drain(i, Instant::now());
    }

    /// A packet from a browser leg (decrypted by the hub): relayed to the leg it
    /// is bridged to, as part of that leg's stream.
    pub(super) fn on_injected(&mut self, mut p: Packet, now: Instant) {
        let Some(ext) = self.externals.get_mut(&p.leg) else {
            self.report.relay_dropped += 1;
            return;
        };
        if !self.recordings.is_empty() {
            self.recordings.capture(p.leg, ext.codec, &p.data);
        }
        if !self.mixes.is_empty() && self.mixes.capture(p.leg, ext.codec, &p.data) {
            return;
        }
        let Some((peer, relay)) = ext.peer.as_mut() else {
            self.report.relay_dropped += 1;
            return;
        };
        let Some(&(ph, k)) = self.index.get(peer) else {
            self.report.relay_dropped += 1;
            return;
        };
        let dst = &mut self.legs[ph as usize][k];
        match relay.rewrite(&mut p.data, &mut dst.out, now) {
            Ok(range) if dst.srtp.is_some() => {
                // The hub's packet has no room for a tag: protect a copy.
                let mut copy = [0u8; MAX_DATAGRAM];
                match copy.get_mut(..range.len()) {
                    Some(c) if range.len() + MAX_RTP_OVERHEAD <= MAX_DATAGRAM => {
                        c.copy_from_slice(&p.data[range.clone()]);
                        send_relayed(dst, &mut copy, 0..range.len(), &mut self.report);
                    }
                    _ => self.report.relay_dropped += 1,
                }
            }
            Ok(range) => send_relayed(dst, &mut p.data, range, &mut self.report),
            Err(_) => self.report.relay_dropped += 1,
        }
    }

    /// Re-derives both rewrites of the bridge `id` is in, after a codec change.
    pub(super) fn rebuild_relays(&mut self, id: LegId) {
        let Some(&a) = self.index.get(&id) else {
            return;
        };
        let Some(peer) = self.legs[a.0 as usize][a.1].peer.as_ref().map(|(p, _)| *p) else {
            return;
        };
        let Some(&b) = self.index.get(&peer) else {
            return;
        };
        let (la, lb) = pair(&mut self.legs, a, b);
        la.peer = Some((peer, Relay::new(la.config.codec, lb.config.codec)));
        lb.peer = Some((id, Relay::new(lb.config.codec, la.config.codec)));
    }

    pub(super) fn unbridge(&mut self, id: LegId) {
        let peer = match self.externals.get_mut(&id) {
            Some(ext) => ext.peer.take().map(|(p, _)| p),
            None => self.leg(id).and_then(|l| l.peer.take()).map(|(p, _)| p),
        };
        let Some(peer) = peer else {
            return;
        };
        for leg_id in [id, peer] {
            if let Some(ext) = self.externals.get_mut(&leg_id) {
                ext.peer = None;
                continue;
            }
            if let Some(leg) = self.leg(leg_id) {
                if let Some((sw, _)) = leg.ready_waker.take() {
                    sw.deactivate();
                }
                leg.peer = None;
                leg.out.source_changed();
            }
        }
    }

    /// Reads everything waiting on leg `i`; relays media when it is bridged.
    pub(super) fn drain(&mut self, s: Slot, now: Instant) {
        let leg = &self.legs[s.0 as usize][s.1];
        let (socket, fd) = (leg.socket.clone(), leg.fd);
        // A bridged leg's socket stays registered under its own waker; a leg on
        // hold is only looked at by the clock.
        let waker = leg.ready_waker.as_ref().map(|(_, w)| w.clone());
        let mut cx = Context::from_waker(waker.as_ref().unwrap_or(Waker::noop()));
        // Ready only if the reactor saw a packet arrive: idle sockets cost no
        // syscall. A short read empties the socket, so readiness is cleared then
        // (an arrival after the read re-arms it) instead of by a read that fails.
        while let Poll::Ready(Ok(mut guard)) = socket.poll_read_ready(&mut cx) {
            let n = match self.recv.recv(fd) {
                Ok(n) if n == self.recv.capacity() => n,
                Ok(n) => {
                    guard.clear_ready();
                    n
                }
                Err(_) => {
                    guard.clear_ready();
                    break;
                }
            };
            drop(guard);
            if n == 0 {
                break;
            }
            for k in 0..n {
                let Some((full, len, from)) = self.recv.get_full_mut(k) else {
                    continue;
                };
                let leg = &mut self.legs[s.0 as usize][s.1];
                let len = match leg.unprotect(&mut full[..len]) {
                    Ok(len) => len,
                    Err(e) => {
                        self.report.srtp_refused(e);
                        continue;
                    }
                };
                let buf = &mut full[..len];
                let got = leg.receive(buf, from, now);
                if got == Received::Rtcp {
                    self.report.rtcp_received += 1;
                }
                if let Received::Media { latched_now } = got {
                    // Recorded as received, before the relay rewrites it in place.
                    if !self.recordings.is_empty() {
                        self.recordings.capture(leg.id, leg.config.codec, buf);
                    }
                    if latched_now {
                        let id = leg.id;
                        if self
                            .events
                            .try_send(MediaEvent::Latched { leg: id, from })
                            .is_err()
                        {
                            self.report.events_dropped += 1;
                        }
                    }
                    let leg = &self.legs[s.0 as usize][s.1];
                    if !self.mixes.is_empty() && self.mixes.capture(leg.id, leg.config.codec, buf) {
                        continue;
                    }
                    let Some(peer) = self.legs[s.0 as usize][s.1].peer.as_ref().map(|(p, _)| *p)
                    else {
                        continue;
                    };
                    let Some(&j) = self.index.get(&peer) else {
                        self.relay_to_hub(s, peer, k, len, now);
                        continue;
                    };
                    let (src, dst) = pair(&mut self.legs, s, j);
                    let relay = &mut src.peer.as_mut().expect("bridged").1;
                    match relay.rewrite(&mut full[..len], &mut dst.out, now) {
                        // The rest of the receive buffer is room for a tag.
                        Ok(range) => send_relayed(dst, full, range, &mut self.report),
                        Err(_) => self.report.relay_dropped += 1,
                    }
                }
            }
        }
        self.flush_digits(s, now);
    }

    /// Relays the `k`th received datagram of leg `s` to the browser leg `peer`.
    /// `len` is its length once unprotected.
    fn relay_to_hub(&mut self, s: Slot, peer: LegId, k: usize, len: usize, now: Instant) {
        let Some(ext) = self.externals.get_mut(&peer) else {
            self.report.relay_dropped += 1;
            return;
        };
        let Some((full, _, _)) = self.recv.get_full_mut(k) else {
            return;
        };
        let buf = &mut full[..len];
        let src = &mut self.legs[s.0 as usize][s.1];
        let relay = &mut src.peer.as_mut().expect("bridged").1;
        match relay.rewrite(buf, &mut ext.out, now) {
            Ok(range) => {
                let packet = Packet {
                    leg: peer,
                    data: buf[range].to_vec(),
                };
                match ext.hub.try_send(packet) {
                    Ok(()) => self.report.relayed += 1,
                    Err(_) => self.report.relay_dropped += 1,
                }
            }
            Err(_) => self.report.relay_dropped += 1,
        }
    }
}
