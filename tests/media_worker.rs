//! The media worker over real UDP sockets on loopback: hold music as a caller hears
//! it, announcements that interrupt and resume the music, DTMF from SIPp's RFC 4733
//! captures and from in-band tones, latching and anti-hijack, hold and resume, port
//! exhaustion, muxed RTCP and the engine. Bridges are in `media_bridge.rs`.

mod common;

use common::media::{leg_socket, mu, peer, recv, recv_n, worker};
use std::path::Path;
use std::time::{Duration, Instant};

use switchboard::media::g711::Law;
use switchboard::media::goertzel;
use switchboard::media::leg::LegConfig;
use switchboard::media::player::PlayerEvent;
use switchboard::media::ports::{bind_rtp, PortPool};
use switchboard::media::rtp::{RtpHeader, RtpPacket};
use switchboard::media::sdp::Direction;
use switchboard::media::source::MediaLibrary;
use switchboard::media::worker::{Command, MediaEvent};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

fn library() -> MediaLibrary {
    let (lib, errors) =
        MediaLibrary::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("media"));
    assert!(errors.is_empty(), "{errors:?}");
    lib
}

async fn next_event(
    rx: &mut mpsc::Receiver<MediaEvent>,
    want: impl Fn(&MediaEvent) -> bool,
) -> Option<MediaEvent> {
    let until = Instant::now() + Duration::from_secs(3);
    while let Ok(Some(ev)) =
        tokio::time::timeout(until.saturating_duration_since(Instant::now()), rx.recv()).await
    {
        if want(&ev) {
            return Some(ev);
        }
    }
    None
}

#[tokio::test]
async fn a_caller_hears_the_hold_music_as_decoded() {
    let lib = library();
    let hold = lib.get("music/hold").unwrap().clone();
    let (w, _events) = worker();
    let (sock, _) = leg_socket();
    let (caller, caller_addr) = peer().await;
    w.send(Command::AddLeg {
        id: 1,
        socket: sock,
        lease: None,
        config: mu(caller_addr),
    })
    .await
    .unwrap();
    w.send(Command::PlayMusic {
        id: 1,
        source: hold.clone(),
        looping: true,
    })
    .await
    .unwrap();
    let packets = recv_n(&caller, 100).await;
    assert_eq!(packets.len(), 100);
    let first = RtpPacket::parse(&packets[0]).unwrap();
    assert!(first.marker);
    let mut err_energy = 0f64;
    let mut sig_energy = 0f64;
    for (k, raw) in packets.iter().enumerate() {
        let p = RtpPacket::parse(raw).unwrap();
        assert_eq!((p.payload_type, p.ssrc), (0, first.ssrc));
        assert_eq!(p.sequence, first.sequence.wrapping_add(k as u16));
        assert_eq!(p.timestamp, first.timestamp.wrapping_add(160 * k as u32));
        assert_eq!(
            p.payload,
            hold.frame(Law::Mu, k),
            "frame {k} is the source's frame {k}"
        );
        for (j, &b) in p.payload.iter().enumerate() {
            let want = hold.pcm()[k * 160 + j] as f64;
            err_energy += (Law::Mu.decode(b) as f64 - want).powi(2);
            sig_energy += want * want;
        }
    }
    let snr = 10.0 * (sig_energy / err_energy.max(1.0)).log10();
    assert!(
        snr > 30.0,
        "decoded music matches the source: SNR {snr:.1} dB"
    );
    let report = w.remove(1).await.unwrap();
    assert!(report.sent_packets >= 100);
}

#[tokio::test]
async fn an_announcement_interrupts_the_music_which_resumes_in_place() {
    let lib = library();
    let hold = lib.get("music/hold").unwrap().clone();
    let beep = lib.get("prompts/en/beep").unwrap().clone();
    let (w, mut events) = worker();
    let (sock, _) = leg_socket();
    let (caller, caller_addr) = peer().await;
    w.send(Command::AddLeg {
        id: 7,
        socket: sock,
        lease: None,
        config: mu(caller_addr),
    })
    .await
    .unwrap();
    w.send(Command::PlayMusic {
        id: 7,
        source: hold.clone(),
        looping: true,
    })
    .await
    .unwrap();
    let before = recv_n(&caller, 10).await;
    w.send(Command::Announce {
        id: 7,
        sources: vec![beep.clone()],
        tag: 42,
    })
    .await
    .unwrap();
    let after = recv_n(&caller, 10 + beep.frames() + 10).await;
    let all: Vec<RtpPacket> = before
        .iter()
        .chain(&after)
        .map(|p| RtpPacket::parse(p).unwrap())
        .collect();
    // Find where the beep starts; everything before is music from frame 0.
    let start = all
        .iter()
        .position(|p| p.payload == beep.frame(Law::Mu, 0))
        .expect("beep heard");
    for (k, p) in all[..start].iter().enumerate() {
        assert_eq!(p.payload, hold.frame(Law::Mu, k));
    }
    for f in 0..beep.frames() {
        assert_eq!(all[start + f].payload, beep.frame(Law::Mu, f));
    }
    let resume = &all[start + beep.frames()];
    assert_eq!(
        resume.payload,
        hold.frame(Law::Mu, start),
        "music resumes at the frame it left"
    );
    assert!(all[start].marker && resume.marker);
    assert!(all
        .windows(2)
        .all(|w| w[1].sequence == w[0].sequence.wrapping_add(1)));
    let done = next_event(&mut events, |e| matches!(e, MediaEvent::Playback { .. })).await;
    assert_eq!(
        done,
        Some(MediaEvent::Playback {
            leg: 7,
            event: PlayerEvent::AnnouncementDone { tag: 42 }
        })
    );
}

/// RTP payloads of a SIPp capture (pcap, Ethernet, IPv4, UDP).
fn pcap_rtp(path: &Path) -> Vec<Vec<u8>> {
    let d = std::fs::read(path).unwrap();
    let mut out = vec![];
    let mut off = 24;
    while off + 16 <= d.len() {
        let incl = u32::from_le_bytes(d[off + 8..off + 12].try_into().unwrap()) as usize;
        let pkt = &d[off + 16..off + 16 + incl];
        off += 16 + incl;
        let ip = &pkt[14..];
        let ihl = (ip[0] & 15) as usize * 4;
        out.push(ip[ihl + 8..].to_vec());
    }
    out
}

#[tokio::test]
async fn rfc4733_from_sipp_captures_gives_one_digit_per_key_press() {
    let dir = Path::new("/usr/share/sip-tester");
    if !dir.join("dtmf_2833_1.pcap").exists() {
        eprintln!("SIPp captures not installed; skipping");
        return;
    }
    let (w, mut events) = worker();
    let (sock, leg_addr) = leg_socket();
    let (phone, phone_addr) = peer().await;
    w.send(Command::AddLeg {
        id: 3,
        socket: sock,
        lease: None,
        config: mu(phone_addr),
    })
    .await
    .unwrap();
    let keys = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "star", "pound",
    ];
    for k in keys {
        for p in pcap_rtp(&dir.join(format!("dtmf_2833_{k}.pcap"))) {
            phone.send_to(&p, leg_addr).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let mut got = String::new();
    while let Some(MediaEvent::Digit { digit, .. }) =
        next_event(&mut events, |e| matches!(e, MediaEvent::Digit { .. })).await
    {
        got.push(digit.key);
        if got.len() == keys.len() {
            break;
        }
    }
    assert_eq!(got, "1234567890*#");
    // Nothing more comes (the duplicated end packets did not repeat a digit).
    assert!(
        next_event(&mut events, |e| matches!(e, MediaEvent::Digit { .. }))
            .await
            .is_none()
    );
    let r = w.remove(3).await.unwrap();
    // RFC 3550 A.1 counts duplicates as received; jumps between captures are
    // confirmed by their second packet, so one per jump is set aside.
    assert_eq!(r.received.packets + r.received.discarded, 12 * 10);
}

#[tokio::test]
async fn inband_tones_are_detected_when_no_events_were_negotiated() {
    let (w, mut events) = worker();
    let (sock, leg_addr) = leg_socket();
    let (phone, phone_addr) = peer().await;
    let config = LegConfig::new(Law::A, 8, None, Some(phone_addr));
    assert!(config.inband_dtmf);
    w.send(Command::AddLeg {
        id: 4,
        socket: sock,
        lease: None,
        config,
    })
    .await
    .unwrap();
    let mut n = 0usize;
    let mut seq = 0u16;
    for (key, ms) in [(Some('4'), 120), (None, 80), (Some('#'), 120), (None, 80)] {
        for _ in 0..ms / 20 {
            let mut pcm = [0i16; 160];
            if let Some(k) = key {
                goertzel::tone(k, 3000.0, n, &mut pcm);
            }
            let mut pkt = vec![0u8; 12 + 160];
            RtpHeader {
                marker: false,
                payload_type: 8,
                sequence: seq,
                timestamp: n as u32,
                ssrc: 5,
            }
            .write(&mut pkt);
            Law::A.encode_into(&pcm, &mut pkt[12..]);
            phone.send_to(&pkt, leg_addr).await.unwrap();
            n += 160;
            seq += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let mut got = String::new();
    while let Some(MediaEvent::Digit { digit, .. }) =
        next_event(&mut events, |e| matches!(e, MediaEvent::Digit { .. })).await
    {
        got.push(digit.key);
        if got.len() == 2 {
            break;
        }
    }
    assert_eq!(got, "4#");
}

#[tokio::test]
async fn latching_follows_the_nat_port_and_refuses_a_hijacker() {
    let lib = library();
    let (w, mut events) = worker();
    let (sock, leg_addr) = leg_socket();
    // The SDP names one port; the caller's NAT sends from another.
    let (sdp_port, sdp_addr) = peer().await;
    let (nat, nat_addr) = peer().await;
    let (hijacker, _) = peer().await;
    w.send(Command::AddLeg {
        id: 5,
        socket: sock,
        lease: None,
        config: mu(sdp_addr),
    })
    .await
    .unwrap();
    w.send(Command::PlayMusic {
        id: 5,
        source: lib.get("music/hold").unwrap().clone(),
        looping: true,
    })
    .await
    .unwrap();
    assert!(
        recv(&sdp_port).await.is_some(),
        "before latching, music goes to the SDP address"
    );
    let mut pkt = vec![0u8; 172];
    RtpHeader {
        marker: true,
        payload_type: 0,
        sequence: 1,
        timestamp: 0,
        ssrc: 77,
    }
    .write(&mut pkt);
    nat.send_to(&pkt, leg_addr).await.unwrap();
    let ev = next_event(&mut events, |e| matches!(e, MediaEvent::Latched { .. })).await;
    assert_eq!(
        ev,
        Some(MediaEvent::Latched {
            leg: 5,
            from: nat_addr
        })
    );
    assert!(
        recv(&nat).await.is_some(),
        "after latching, music follows the NAT mapping"
    );
    for i in 0..5u16 {
        RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: 100 + i,
            timestamp: 0,
            ssrc: 66,
        }
        .write(&mut pkt);
        hijacker.send_to(&pkt, leg_addr).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert!(recv(&hijacker).await.is_none(), "the hijacker gets nothing");
    let r = w.remove(5).await.unwrap();
    assert_eq!(
        (r.latch.accepted, r.latch.dropped_foreign, r.latch.latches),
        (1, 5, 1)
    );
}

#[tokio::test]
async fn hold_stops_our_audio_and_resume_continues_the_same_stream() {
    let lib = library();
    let (w, _events) = worker();
    let (sock, _) = leg_socket();
    let (caller, caller_addr) = peer().await;
    w.send(Command::AddLeg {
        id: 6,
        socket: sock,
        lease: None,
        config: mu(caller_addr),
    })
    .await
    .unwrap();
    w.send(Command::PlayMusic {
        id: 6,
        source: lib.get("music/hold").unwrap().clone(),
        looping: true,
    })
    .await
    .unwrap();
    let got = recv_n(&caller, 5).await;
    let a = RtpPacket::parse(&got[4]).unwrap();
    let (a_seq, a_ts, a_ssrc) = (a.sequence, a.timestamp, a.ssrc);
    // The caller puts us on hold (a=sendonly from them: we answer recvonly).
    w.send(Command::UpdateLeg {
        id: 6,
        remote: Some(caller_addr),
        direction: Direction::RecvOnly,
        codec: None,
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    while recv(&caller).await.is_some() {} // what was in flight
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(recv(&caller).await.is_none(), "silent while held");
    w.send(Command::UpdateLeg {
        id: 6,
        remote: Some(caller_addr),
        direction: Direction::SendRecv,
        codec: None,
    })
    .await
    .unwrap();
    let b = recv_n(&caller, 1).await;
    let b = RtpPacket::parse(&b[0]).unwrap();
    assert_eq!(b.ssrc, a_ssrc);
    assert!(b.sequence.wrapping_sub(a_seq) < 20, "sequence continues");
    assert!(b.marker, "marker at resume");
    let gap = b.timestamp.wrapping_sub(a_ts);
    assert!(
        (8 * 200..8 * 2000).contains(&gap),
        "timestamp follows the wall clock: {gap}"
    );
}

#[tokio::test]
async fn port_exhaustion_is_refused_and_ports_return() {
    let pool = PortPool::new(41_000, 41_003);
    let ip = "127.0.0.1".parse().unwrap();
    let a = bind_rtp(&pool, ip);
    let b = bind_rtp(&pool, ip);
    let Ok(first) = a else {
        return eprintln!("ports busy on this machine; skipping");
    };
    let Ok(_second) = b else {
        return eprintln!("ports busy on this machine; skipping");
    };
    let err = bind_rtp(&pool, ip).unwrap_err();
    assert_eq!(err.sip_status(), 503);
    drop(first);
    assert!(bind_rtp(&pool, ip).is_ok());
}

#[tokio::test]
async fn muxed_rtcp_reports_go_both_ways() {
    use switchboard::media::rtcp::{self, ReportBlock};
    use switchboard::media::rtp::is_rtcp;
    let lib = library();
    let (w, _events) = worker();
    let (sock, leg_addr) = leg_socket();
    let (caller, caller_addr) = peer().await;
    let mut config = mu(caller_addr);
    config.rtcp_mux = true;
    config.rtcp_interval = Duration::from_millis(200);
    w.send(Command::AddLeg {
        id: 8,
        socket: sock,
        lease: None,
        config,
    })
    .await
    .unwrap();
    w.send(Command::PlayMusic {
        id: 8,
        source: lib.get("music/hold").unwrap().clone(),
        looping: true,
    })
    .await
    .unwrap();
    // The caller sends a little audio so our report has a block about it.
    for i in 0..3u16 {
        let mut pkt = vec![0u8; 172];
        RtpHeader {
            marker: i == 0,
            payload_type: 0,
            sequence: i,
            timestamp: 160 * i as u32,
            ssrc: 0xc0ffee,
        }
        .write(&mut pkt);
        caller.send_to(&pkt, leg_addr).await.unwrap();
    }
    let mut sr = None;
    let mut our_ssrc = 0;
    for _ in 0..100 {
        let Some((p, _)) = recv(&caller).await else {
            break;
        };
        if is_rtcp(&p) {
            sr = Some(rtcp::parse_compound(&p).unwrap());
            break;
        }
        our_ssrc = RtpPacket::parse(&p).unwrap().ssrc;
    }
    let sr = sr.expect("an RTCP report within a few intervals");
    assert_eq!(sr.ssrc, our_ssrc);
    let info = sr.sender.expect("we send media, so a sender report");
    assert!(info.packets > 0);
    assert_eq!(sr.blocks.len(), 1);
    assert_eq!(
        (
            sr.blocks[0].ssrc,
            sr.blocks[0].extended_max_seq,
            sr.blocks[0].cumulative_lost
        ),
        (0xc0ffee, 2, 0)
    );
    // The caller answers with a receiver report echoing our SR.
    let block = ReportBlock {
        ssrc: our_ssrc,
        fraction_lost: 3,
        cumulative_lost: 4,
        extended_max_seq: 100,
        jitter: 12,
        last_sr: rtcp::ntp_middle(info.ntp),
        delay_since_last_sr: 0,
    };
    let mut buf = [0u8; 100];
    let n = rtcp::write_report(&mut buf, 0xc0ffee, None, &[block], "caller", false).unwrap();
    caller.send_to(&buf[..n], leg_addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let r = w.remove(8).await.unwrap();
    assert_eq!(r.rtcp_received, 1);
    let remote = r.remote.expect("the far end's view");
    assert_eq!(
        (remote.fraction_lost, remote.cumulative_lost, remote.jitter),
        (3, 4, 12)
    );
    assert!(
        remote.rtt.is_some_and(|d| d < Duration::from_secs(1)),
        "{:?}",
        remote.rtt
    );
    // The leg said goodbye.
    let mut bye = false;
    while let Some((p, _)) = recv(&caller).await {
        if is_rtcp(&p) && rtcp::parse_compound(&p).unwrap().bye {
            bye = true;
        }
    }
    assert!(bye);
}

#[tokio::test]
async fn the_engine_opens_legs_on_its_workers_and_refuses_when_ports_run_out() {
    use switchboard::media::engine::{EngineConfig, MediaEngine};
    let lib = library();
    let (tx, _rx) = mpsc::channel(64);
    let config = EngineConfig {
        workers: 2,
        ip: "127.0.0.1".parse().unwrap(),
        ports: (42_100, 42_105),
        realtime: false,
        webrtc_port: Some(0),
    };
    let engine = MediaEngine::start(&config, tx).unwrap();
    let (caller, caller_addr) = peer().await;
    let a = match engine.open_leg(1, mu(caller_addr), None) {
        Ok(a) => a,
        Err(e) => return eprintln!("ports busy on this machine ({e}); skipping"),
    };
    assert_eq!(a.port % 2, 0);
    let w = engine.worker(a.worker).unwrap();
    w.send(Command::PlayMusic {
        id: 1,
        source: lib.get("music/hold").unwrap().clone(),
        looping: true,
    })
    .await
    .unwrap();
    assert_eq!(recv_n(&caller, 3).await.len(), 3);
    let b = engine.open_leg(2, mu(caller_addr), Some(a.worker)).unwrap();
    assert_eq!(b.worker, a.worker, "a bridge's legs share a worker");
    let _c = engine.open_leg(3, mu(caller_addr), None).unwrap();
    let e = engine.open_leg(4, mu(caller_addr), None).unwrap_err();
    assert_eq!(e.sip_status(), 503);
    // Ending a leg gives its port back.
    w.remove(2).await.unwrap();
    assert!(engine.open_leg(5, mu(caller_addr), None).is_ok());
}

#[tokio::test]
async fn every_leg_on_hold_is_read_even_when_hundreds_receive_at_once() {
    let (w, _events) = worker();
    let (phone, phone_addr) = peer().await;
    let n = 800u64; // 200 per pacing phase, more than tokio's budget of 128
    let mut addrs = vec![];
    for id in 0..n {
        let (sock, addr) = leg_socket();
        w.send(Command::AddLeg {
            id,
            socket: sock,
            lease: None,
            config: mu(phone_addr),
        })
        .await
        .unwrap();
        addrs.push(addr);
    }
    // Every leg gets three packets before any tick can read them.
    let mut pkt = vec![0u8; 172];
    for seq in 0..3u16 {
        for a in &addrs {
            RtpHeader {
                marker: false,
                payload_type: 0,
                sequence: seq,
                timestamp: 160 * seq as u32,
                ssrc: 1,
            }
            .write(&mut pkt);
            phone.send_to(&pkt, a).await.unwrap();
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for id in 0..n {
        let r = w.remove(id).await.unwrap();
        assert_eq!(r.received.packets, 3, "leg {id}");
    }
}

#[tokio::test]
async fn without_rtcp_mux_reports_use_the_port_above() {
    use switchboard::media::ports::bind_rtp_pair;
    use switchboard::media::rtcp::{self, ReportBlock};
    let ip = "127.0.0.1".parse().unwrap();
    let (Ok((leg_rtp, leg_rtcp, _lease)), Ok((phone_rtp, phone_rtcp, _plase))) = (
        bind_rtp_pair(&PortPool::new(43_000, 43_099), ip),
        bind_rtp_pair(&PortPool::new(43_100, 43_199), ip),
    ) else {
        return eprintln!("ports busy on this machine; skipping");
    };
    let leg_rtcp_addr = leg_rtcp.local_addr().unwrap();
    let phone_rtp_addr = phone_rtp.local_addr().unwrap();
    let phone_rtcp = UdpSocket::from_std(phone_rtcp).unwrap();
    let (w, _events) = worker();
    let mut config = mu(phone_rtp_addr);
    config.rtcp_interval = Duration::from_millis(200);
    w.send(Command::AddLeg {
        id: 9,
        socket: leg_rtp,
        lease: None,
        config,
    })
    .await
    .unwrap();
    w.send(Command::AttachRtcp {
        id: 9,
        socket: Some(leg_rtcp),
    })
    .await
    .unwrap();
    // A receiver report arrives at the phone's port+1, from ours.
    let (report, from) = recv(&phone_rtcp).await.expect("RTCP on port+1");
    assert_eq!(from, leg_rtcp_addr);
    let r = rtcp::parse_compound(&report).unwrap();
    assert!(r.sender.is_none(), "nothing sent yet: a receiver report");
    // The phone's report about our stream is read from port+1 too.
    let block = ReportBlock {
        ssrc: r.ssrc,
        fraction_lost: 7,
        ..Default::default()
    };
    let mut buf = [0u8; 100];
    let n = rtcp::write_report(&mut buf, 0x5eed, None, &[block], "phone", false).unwrap();
    phone_rtcp.send_to(&buf[..n], leg_rtcp_addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let rep = w.remove(9).await.unwrap();
    assert_eq!(rep.rtcp_received, 1);
    assert_eq!(rep.remote.map(|r| r.fraction_lost), Some(7));
    drop(phone_rtp);
}
