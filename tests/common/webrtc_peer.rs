//! A browser's media side for tests and the load tool: a str0m peer connection
//! (full ICE, controlling, DTLS-SRTP) that offers PCMU/PCMA and telephone-event,
//! sends a 20 ms G.711 frame every period once connected, and counts what it
//! receives. It plays the part Chromium plays in the browser tests, where a real
//! browser would be too heavy (hundreds of legs at once).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Direction, Frequency, MediaKind, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

pub const TELEPHONE_EVENT: u8 = 101;

/// One simulated browser leg.
pub struct BrowserPeer {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mid: Mid,
    pending: Option<SdpPendingOffer>,
    pub connected: bool,
    /// The payload type the answer chose for audio (0 or 8).
    pub audio_pt: u8,
    seq: u64,
    timestamp: u32,
    next_frame: Option<Instant>,
    /// What we sent and received, in RTP packets.
    pub sent: u64,
    pub received: u64,
    /// Payload types of received packets (audio, telephone-event), in order of arrival.
    pub received_pts: Vec<u8>,
    /// Highest extended sequence number seen and the first, to count losses.
    first_seq: Option<u64>,
    max_seq: u64,
    /// The payload bytes to send in each frame.
    pub payload: Vec<u8>,
    /// When set, the peer sends audio only after this.
    pub send_audio: bool,
    pub closed: bool,
}

impl BrowserPeer {
    /// A new peer on 127.0.0.1 and its SDP offer.
    pub async fn offer(ip: std::net::IpAddr) -> (BrowserPeer, String) {
        let socket = UdpSocket::bind((ip, 0))
            .await
            .expect("binding the peer's socket");
        let local = socket.local_addr().unwrap();
        let mut config = Rtc::builder()
            .set_rtp_mode(true)
            .clear_codecs()
            .enable_pcmu(true, false)
            .enable_pcma(true, false);
        config.codec_config().add_config(
            Pt::from(TELEPHONE_EVENT),
            None,
            Codec::Tele,
            Frequency::EIGHT_KHZ,
            None,
            FormatParams::default(),
        );
        let mut rtc = config.build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
        let mut api = rtc.sdp_api();
        let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = api.apply().expect("an offer");
        (
            BrowserPeer {
                rtc,
                socket,
                local,
                mid,
                pending: Some(pending),
                connected: false,
                audio_pt: 0,
                seq: 1000,
                timestamp: rand::random(),
                next_frame: None,
                sent: 0,
                received: 0,
                received_pts: Vec::new(),
                first_seq: None,
                max_seq: 0,
                payload: vec![0x55; 160],
                send_audio: true,
                closed: false,
            },
            offer.to_sdp_string(),
        )
    }

    /// Takes the server's answer.
    pub fn answer(&mut self, answer: &str) -> Result<(), String> {
        let parsed = SdpAnswer::from_sdp_string(answer).map_err(|e| e.to_string())?;
        let pending = self.pending.take().ok_or("no offer pending")?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, parsed)
            .map_err(|e| e.to_string())?;
        self.audio_pt = answer
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|m| m.split_whitespace().nth(2))
            .and_then(|pt| pt.parse().ok())
            .unwrap_or(0);
        Ok(())
    }

    /// Packets lost on the way to us, by sequence gaps.
    pub fn lost(&self) -> u64 {
        match self.first_seq {
            Some(first) => (self.max_seq - first + 1).saturating_sub(self.received),
            None => 0,
        }
    }

    /// Runs the peer for `period`: network, timers, and one frame every 20 ms.
    pub async fn run_for(&mut self, period: Duration) {
        let until = Instant::now() + period;
        let mut buf = vec![0u8; 2000];
        while Instant::now() < until && !self.closed {
            let wait = self.drain();
            let wake = wait.min(until).min(self.next_frame.unwrap_or(until));
            let timeout = wake.saturating_duration_since(Instant::now());
            match tokio::time::timeout(timeout, self.socket.recv_from(&mut buf)).await {
                Ok(Ok((n, from))) => {
                    if let Ok(r) = Receive::new(Protocol::Udp, from, self.local, &buf[..n]) {
                        let _ = self.rtc.handle_input(Input::Receive(Instant::now(), r));
                    }
                }
                Ok(Err(_)) => break,
                Err(_) => {
                    let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                }
            }
            self.send_due_frames();
        }
    }

    /// Sends one RFC 4733 event (a key press of 100 ms, three end packets).
    pub fn press(&mut self, event: u8) {
        let ts = self.timestamp;
        for (i, duration) in [160u16, 480, 800, 800, 800, 800].into_iter().enumerate() {
            let end = i >= 3;
            let payload = [
                event,
                if end { 0x80 | 10 } else { 10 },
                (duration >> 8) as u8,
                duration as u8,
            ];
            self.write(TELEPHONE_EVENT, ts, i == 0, payload.to_vec());
        }
        self.timestamp = self.timestamp.wrapping_add(800);
    }

    fn send_due_frames(&mut self) {
        if !self.connected || !self.send_audio {
            return;
        }
        let now = Instant::now();
        let next = *self.next_frame.get_or_insert(now);
        if now < next {
            return;
        }
        let ts = self.timestamp;
        self.timestamp = self.timestamp.wrapping_add(160);
        let payload = self.payload.clone();
        self.write(self.audio_pt, ts, false, payload);
        self.next_frame = Some(next + Duration::from_millis(20));
    }

    fn write(&mut self, pt: u8, ts: u32, marker: bool, payload: Vec<u8>) {
        let seq = self.seq;
        self.seq += 1;
        let mut api = self.rtc.direct_api();
        let Some(stream) = api.stream_tx_by_mid(self.mid, None) else {
            return;
        };
        stream.write_rtp(
            RtpWrite::new(Pt::from(pt), SeqNo::from(seq), ts, Instant::now(), payload)
                .marker(marker),
        );
        self.sent += 1;
    }

    /// Sends what str0m has queued and handles its events; returns when it next
    /// wants the clock.
    fn drain(&mut self) -> Instant {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Transmit(t)) => {
                    let _ = self.socket.try_send_to(&t.contents, t.destination);
                }
                Ok(Output::Timeout(at)) => return at,
                Ok(Output::Event(Event::Connected)) => self.connected = true,
                Ok(Output::Event(Event::RtpPacket(p))) => {
                    self.received += 1;
                    self.received_pts.push(*p.header.payload_type);
                    let seq = *p.seq_no;
                    self.first_seq.get_or_insert(seq);
                    self.max_seq = self.max_seq.max(seq);
                }
                Ok(Output::Event(_)) => {}
                Err(_) => {
                    self.closed = true;
                    return Instant::now() + Duration::from_millis(20);
                }
            }
        }
    }

    pub fn close(&mut self) {
        self.rtc.disconnect();
        self.drain();
    }
}
