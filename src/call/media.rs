//! A call's media legs: SDP offer/answer joined to the media engine.
//!
//! The caller's leg is opened from their offer (RFC 3264: we answer with one
//! G.711 law the trunk allows, telephone-event when offered); an agent's leg
//! is opened before ringing, with our offer, on the caller's worker so the two
//! can be bridged. The SDP carries the address the peer reaches us at.
//!
//! SRTP (SDES, RFC 4568): an offer in `RTP/SAVP` is answered with SRTP under a
//! fresh key of ours, from trunks and phones alike; the legs we offer to desk
//! phones (agents, supervisors) are `RTP/SAVP` when `media.srtp` is `require`.
//! Browser legs have DTLS-SRTP of their own.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use crate::media::engine::OpenedLeg;
use crate::media::g711::Law;
use crate::media::latch::LatchPolicy;
use crate::media::leg::{LegConfig, LegId};
use crate::media::sdp::{self, Direction, LocalMedia, LocalSrtp, Negotiated, Origin, SrtpMode};
use crate::media::source::MediaSource;
use crate::media::srtp::MasterKey;
use crate::media::worker::Command;
use crate::sip::peer::Peer;

use super::Services;

/// One media leg of a call.
#[derive(Debug)]
pub struct MediaLeg {
    pub id: LegId,
    pub worker: usize,
    pub local: LocalMedia,
    pub origin: Origin,
    /// What was agreed, once it is (at once for the caller, at the answer for an agent).
    pub negotiated: Option<Negotiated>,
    /// A browser leg (in the WebRTC hub, with a stand-in on `worker`): what the
    /// browser negotiated.
    pub browser: Option<crate::media::bridge::LegCodec>,
}

/// Why media could not be set up; the SIP status to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRefusal {
    pub status: u16,
    pub reason: String,
}

fn refused(status: u16, why: impl std::fmt::Display) -> MediaRefusal {
    MediaRefusal {
        status,
        reason: why.to_string(),
    }
}

fn media_ip(s: &Services, peer: &Peer) -> IpAddr {
    let bound = s.media_ip;
    if bound.is_unspecified() {
        s.sip.local_ip_towards(peer.addr.ip())
    } else {
        bound
    }
}

/// Our SDES side: a fresh key per leg.
fn local_srtp(mode: SrtpMode) -> Option<LocalSrtp> {
    Some(LocalSrtp {
        key: MasterKey::random(),
        mode,
    })
}

fn new_origin() -> Origin {
    Origin {
        session_id: rand::random::<u32>() as u64,
        version: 0,
    }
}

impl MediaLeg {
    /// Opens the caller's leg from their SDP offer and writes our answer.
    pub fn answer(
        s: &Services,
        call: u64,
        offer: &str,
        laws: &[Law],
        signalling: &Peer,
    ) -> Result<(MediaLeg, String), MediaRefusal> {
        MediaLeg::answer_on(s, call, offer, laws, signalling, None)
    }

    /// [`MediaLeg::answer`] on `worker` (or the next worker in turn).
    pub fn answer_on(
        s: &Services,
        call: u64,
        offer: &str,
        laws: &[Law],
        signalling: &Peer,
        worker: Option<usize>,
    ) -> Result<(MediaLeg, String), MediaRefusal> {
        let offer = sdp::parse(offer).map_err(|e| refused(e.sip_status(), e))?;
        let mut local = LocalMedia {
            address: media_ip(s, signalling),
            port: 0,
            laws: laws.to_vec(),
            telephone_event: true,
            srtp: local_srtp(SrtpMode::Accept),
        };
        let negotiated = sdp::answer(&offer, &local, Direction::SendRecv)
            .map_err(|e| refused(e.sip_status(), e))?;
        let id = s.new_leg_id();
        let config = leg_config(&negotiated, signalling);
        let opened = s
            .media
            .open_leg(id, config, worker)
            .map_err(|e| refused(e.sip_status(), e))?;
        s.registry.add_leg(id, crate::acd::CallId(call));
        local.port = opened.port;
        let mut origin = new_origin();
        let answer = sdp::write_answer(&offer, &negotiated, &local, &mut origin);
        Ok((
            MediaLeg {
                id,
                worker: opened.worker,
                local,
                origin,
                negotiated: Some(negotiated),
                browser: None,
            },
            answer,
        ))
    }

    /// Opens a browser agent's leg from the WebRTC offer in its 2xx and writes
    /// our answer (for the ACK). It joins the caller's `worker`; `law` is the
    /// caller's, offered first so the bridge does not transcode.
    pub async fn browser(
        s: &Services,
        call: u64,
        worker: usize,
        offer: &str,
        law: Law,
        signalling: &Peer,
    ) -> Result<(MediaLeg, String), MediaRefusal> {
        let id = s.new_leg_id();
        let address = media_ip(s, signalling);
        let opened = s
            .media
            .open_browser_leg(id, offer.to_owned(), address, worker, law)
            .await
            .map_err(|e| refused(e.sip_status(), e))?;
        s.registry.add_leg(id, crate::acd::CallId(call));
        let local = LocalMedia {
            address,
            port: s.media.hub().port(),
            laws: vec![opened.codec.law],
            telephone_event: opened.codec.telephone_event.is_some(),
            srtp: None,
        };
        Ok((
            MediaLeg {
                id,
                worker,
                local,
                origin: new_origin(),
                negotiated: None,
                browser: Some(opened.codec),
            },
            opened.answer,
        ))
    }

    /// Opens a leg on `worker` and writes our offer for it, in plain RTP.
    pub fn offer(
        s: &Services,
        call: u64,
        worker: usize,
        laws: &[Law],
        signalling: &Peer,
    ) -> Result<(MediaLeg, String), MediaRefusal> {
        MediaLeg::offer_with(s, call, worker, laws, signalling, SrtpMode::Accept)
    }

    /// [`MediaLeg::offer`] for a desk phone (an agent's or a supervisor's):
    /// SRTP as `media.srtp` says.
    pub fn offer_to_phone(
        s: &Services,
        call: u64,
        worker: usize,
        laws: &[Law],
        signalling: &Peer,
    ) -> Result<(MediaLeg, String), MediaRefusal> {
        MediaLeg::offer_with(s, call, worker, laws, signalling, s.settings.srtp)
    }

    fn offer_with(
        s: &Services,
        call: u64,
        worker: usize,
        laws: &[Law],
        signalling: &Peer,
        srtp: SrtpMode,
    ) -> Result<(MediaLeg, String), MediaRefusal> {
        let id = s.new_leg_id();
        let mut config = LegConfig::new(laws[0], laws[0].payload_type(), None, None);
        config.signalling_ip = Some(signalling.addr.ip());
        config.rtcp_mux = true;
        let OpenedLeg { port, worker, .. } = s
            .media
            .open_leg(id, config, Some(worker))
            .map_err(|e| refused(e.sip_status(), e))?;
        s.registry.add_leg(id, crate::acd::CallId(call));
        let local = LocalMedia {
            address: media_ip(s, signalling),
            port,
            laws: laws.to_vec(),
            telephone_event: true,
            srtp: local_srtp(srtp),
        };
        let mut origin = new_origin();
        let offer = sdp::write_offer(&local, Direction::SendRecv, &mut origin);
        Ok((
            MediaLeg {
                id,
                worker,
                local,
                origin,
                negotiated: None,
                browser: None,
            },
            offer,
        ))
    }

    /// Takes the answer to our offer and points the leg at the peer.
    pub async fn accept(&mut self, s: &Services, answer: &str) -> Result<(), MediaRefusal> {
        let answer = sdp::parse(answer).map_err(|e| refused(e.sip_status(), e))?;
        let n = sdp::accept_answer(&answer, &self.local, Direction::SendRecv)
            .map_err(|e| refused(e.sip_status(), e))?;
        // An answer after early media (a 18x's SDP, then the 2xx's) takes
        // the RTCP port only once.
        let unmuxed = self.negotiated.is_some_and(|o| !o.rtcp_mux);
        self.negotiated = Some(n);
        if !n.rtcp_mux && !unmuxed && self.browser.is_none() {
            self.unmux_rtcp(s).await;
        }
        self.rekey(s, &n).await;
        self.update(s, &n, true).await;
        Ok(())
    }

    /// Our offer had `a=rtcp-mux` and the answer declined it: RTCP goes to
    /// and comes from the ports above the RTP ports (RFC 5761 section
    /// 5.1.3). Ours is free, as the port pool hands out even ports only.
    async fn unmux_rtcp(&self, s: &Services) {
        let at = SocketAddr::new(s.media_ip, self.local.port.wrapping_add(1));
        let socket = match std::net::UdpSocket::bind(at) {
            Ok(socket) => Some(socket),
            Err(e) => {
                tracing::warn!(leg = self.id, %at, error = %e, "no RTCP port for a peer without rtcp-mux: RTCP off for this leg");
                None
            }
        };
        self.command(
            s,
            Command::AttachRtcp {
                id: self.id,
                socket,
            },
        )
        .await;
    }

    /// Gives the leg the SRTP keys `n` agreed (or plain RTP), before it is
    /// pointed at the peer; the worker keeps its contexts when they are the same.
    async fn rekey(&self, s: &Services, n: &Negotiated) {
        let srtp = n.srtp.map(|sdes| sdes.params);
        self.command(s, Command::Rekey { id: self.id, srtp }).await;
    }

    /// Points the leg at what `n` agreed (address, direction, and the codec
    /// when it changed).
    async fn update(&self, s: &Services, n: &Negotiated, codec_changed: bool) {
        self.command(
            s,
            Command::UpdateLeg {
                id: self.id,
                remote: n.remote,
                direction: n.direction,
                codec: codec_changed.then_some(crate::media::bridge::LegCodec {
                    law: n.law,
                    payload_type: n.payload_type,
                    telephone_event: n.telephone_event,
                }),
            },
        )
        .await;
    }

    /// A new offer from the peer in the dialog (re-INVITE: hold, resume, moved
    /// media). Returns our answer and the direction the peer asked for.
    pub async fn reoffer(
        &mut self,
        s: &Services,
        offer: &str,
    ) -> Result<(String, Direction), MediaRefusal> {
        if self.browser.is_some() {
            let opened = s
                .media
                .hub()
                .reoffer(self.id, offer.to_owned())
                .await
                .map_err(|e| refused(e.sip_status(), e))?;
            return Ok((opened.answer, offered_direction(offer)));
        }
        let parsed = sdp::parse(offer).map_err(|e| refused(e.sip_status(), e))?;
        let n = sdp::answer(&parsed, &self.local, Direction::SendRecv)
            .map_err(|e| refused(e.sip_status(), e))?;
        let codec_changed = self
            .negotiated
            .map(|old| old.law != n.law || old.payload_type != n.payload_type)
            .unwrap_or(true);
        self.negotiated = Some(n);
        self.rekey(s, &n).await;
        self.update(s, &n, codec_changed).await;
        let answer = sdp::write_answer(&parsed, &n, &self.local, &mut self.origin);
        let peer_direction = parsed
            .media
            .get(n.media_index)
            .map(|m| m.direction)
            .unwrap_or_default();
        Ok((answer, peer_direction))
    }

    pub async fn play_music(&self, s: &Services, source: Arc<MediaSource>) {
        self.command(
            s,
            Command::PlayMusic {
                id: self.id,
                source,
                looping: true,
            },
        )
        .await;
    }

    pub async fn announce(&self, s: &Services, sources: Vec<Arc<MediaSource>>, tag: u64) {
        self.command(
            s,
            Command::Announce {
                id: self.id,
                sources,
                tag,
            },
        )
        .await;
    }

    pub async fn stop_playback(&self, s: &Services) {
        self.command(s, Command::StopPlayback { id: self.id }).await;
    }

    pub async fn bridge(&self, s: &Services, other: &MediaLeg) {
        self.command(
            s,
            Command::Bridge {
                a: self.id,
                b: other.id,
            },
        )
        .await;
    }

    pub async fn unbridge(&self, s: &Services) {
        self.command(s, Command::Unbridge { id: self.id }).await;
    }

    /// Mixes this leg (the caller) and `agent`, bridged on one worker, with
    /// `supervisor`, a leg on the same worker (see [`crate::media::mixer`]).
    pub async fn monitor(
        &self,
        s: &Services,
        agent: &MediaLeg,
        supervisor: &MediaLeg,
        mode: crate::media::mixer::MonitorMode,
    ) {
        let cmd = Command::Monitor {
            caller: self.id,
            agent: agent.id,
            supervisor: supervisor.id,
            mode,
        };
        self.command(s, cmd).await;
    }

    /// Changes the mode of the mix this leg is in.
    pub async fn monitor_mode(&self, s: &Services, mode: crate::media::mixer::MonitorMode) {
        self.command(s, Command::MonitorMode { id: self.id, mode })
            .await;
    }

    /// Ends the mix this leg is in (the bridge goes on as a relay).
    pub async fn unmonitor(&self, s: &Services) {
        self.command(s, Command::Unmonitor { id: self.id }).await;
    }

    /// Records this leg (left channel) and `other` (right channel), which
    /// must be bridged on the same worker, into a new WAV file at `path`
    /// (see [`crate::media::recorder`]). The worker writes it from its own
    /// thread; removing either leg completes the file.
    pub async fn start_recording(&self, s: &Services, other: &MediaLeg, path: PathBuf) {
        self.command(
            s,
            Command::StartRecording {
                a: self.id,
                b: other.id,
                path,
            },
        )
        .await;
    }

    /// Records what this leg receives, alone, into a new mono WAV file at
    /// `path`; `done` hears when the file is complete (stopping the recording
    /// or closing the leg completes it). Dropped unsent when it could not be
    /// written.
    pub async fn record_alone(
        &self,
        s: &Services,
        path: PathBuf,
        done: crate::media::recorder::FinishedTx,
    ) {
        self.command(
            s,
            Command::RecordAlone {
                id: self.id,
                path,
                done: Some(done),
            },
        )
        .await;
    }

    /// Completes the recording this leg is in, if any.
    pub async fn stop_recording(&self, s: &Services) {
        self.command(s, Command::StopRecording { id: self.id })
            .await;
    }

    /// RTP packets received so far; `None` when the worker could not say.
    pub async fn packets_received(&self, s: &Services) -> Option<u64> {
        if self.browser.is_some() {
            return s
                .media
                .hub()
                .figures(self.id)
                .await
                .map(|r| r.received.packets);
        }
        let worker = s.media.worker(self.worker)?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        worker
            .try_send(Command::LegFigures { id: self.id, reply })
            .ok()?;
        answer.await.ok().map(|r| r.received.packets)
    }

    /// Whether the peer is expected to send audio now (not on hold).
    pub fn expects_audio(&self) -> bool {
        self.negotiated.is_some_and(|n| n.direction.receives())
    }

    /// Removes the leg from its worker and frees its port. Unlike the other
    /// commands this one waits for room in the worker's queue: a removal that
    /// was dropped would leak the port.
    pub async fn close(&self, s: &Services) {
        s.registry.remove_leg(self.id);
        self.command(
            s,
            Command::RemoveLeg {
                id: self.id,
                reply: None,
            },
        )
        .await;
        if self.browser.is_some() {
            s.media.hub().remove(self.id).await;
        }
    }

    /// Sends a command to the leg's worker, waiting for room in its bounded
    /// queue: the call's own commands are never dropped (a lost removal would
    /// leak the port, a lost bridge silence the call). New legs are refused
    /// instead when the worker is saturated ([`MediaEngine::open_leg`]).
    ///
    /// [`MediaEngine::open_leg`]: crate::media::engine::MediaEngine::open_leg
    async fn command(&self, s: &Services, command: Command) {
        let Some(worker) = s.media.worker(self.worker) else {
            return;
        };
        if worker.send(command).await.is_err() {
            tracing::warn!(leg = self.id, "media worker gone: command not delivered");
        }
    }
}

/// The direction a WebRTC offer's audio asks for (RFC 3264 section 6.1).
fn offered_direction(offer: &str) -> Direction {
    let audio = offer
        .split("m=")
        .find(|m| m.starts_with("audio "))
        .unwrap_or(offer);
    audio
        .lines()
        .find_map(|l| match l.trim() {
            "a=sendonly" => Some(Direction::SendOnly),
            "a=recvonly" => Some(Direction::RecvOnly),
            "a=inactive" => Some(Direction::Inactive),
            "a=sendrecv" => Some(Direction::SendRecv),
            _ => None,
        })
        .unwrap_or_default()
}

fn leg_config(n: &Negotiated, signalling: &Peer) -> LegConfig {
    let mut config = LegConfig::new(n.law, n.payload_type, n.telephone_event, n.remote);
    config.signalling_ip = Some(signalling.addr.ip());
    config.latch = LatchPolicy::KnownPeer;
    config.direction = n.direction;
    config.rtcp_mux = n.rtcp_mux;
    config.srtp = n.srtp.map(|sdes| sdes.params);
    config
}
