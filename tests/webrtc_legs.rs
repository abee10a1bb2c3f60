//! Browser legs through the WebRTC hub, with a real str0m peer playing the
//! browser over real UDP: the answer's SDP, ICE-lite and DTLS-SRTP, audio both
//! ways across a bridge to a plain G.711 leg, the browser's RFC 4733 digits, and
//! a leg whose peer is gone.

mod common;

#[path = "common/webrtc_peer.rs"]
mod webrtc_peer;

use std::net::IpAddr;
use std::time::Duration;

use common::media::{mu, peer};
use switchboard::media::engine::{EngineConfig, MediaEngine};
use switchboard::media::g711::Law;
use switchboard::media::rtp::RtpPacket;
use switchboard::media::worker::{Command, MediaEvent};
use tokio::sync::mpsc;
use webrtc_peer::BrowserPeer;

const LOCALHOST: &str = "127.0.0.1";

fn engine(events: mpsc::Sender<MediaEvent>) -> MediaEngine {
    MediaEngine::start(
        &EngineConfig {
            workers: 1,
            ip: LOCALHOST.parse().unwrap(),
            ports: (43_000, 43_199),
            realtime: false,
            webrtc_port: Some(0),
        },
        events,
    )
    .expect("starting the media engine")
}

#[tokio::test]
async fn the_answer_is_ice_lite_g711_with_a_definite_dtls_role() {
    let (tx, _rx) = mpsc::channel(64);
    let engine = engine(tx);
    let ip: IpAddr = LOCALHOST.parse().unwrap();
    let (_browser, offer) = BrowserPeer::offer(ip).await;
    assert!(
        offer.contains("a=setup:actpass"),
        "a browser offers actpass"
    );
    let opened = engine
        .open_browser_leg(7, offer, ip, 0, Law::A)
        .await
        .expect("the offer is accepted");
    let answer = opened.answer;
    assert!(answer.contains("a=ice-lite"), "{answer}");
    assert!(answer.contains("a=rtcp-mux"), "{answer}");
    assert!(answer.contains("a=group:BUNDLE"), "{answer}");
    assert!(answer.contains("a=fingerprint:sha-256"), "{answer}");
    assert!(
        answer.contains("a=setup:passive") || answer.contains("a=setup:active"),
        "{answer}"
    );
    assert!(
        !answer.contains("actpass"),
        "never actpass in an answer: {answer}"
    );
    assert!(!answer.to_lowercase().contains("opus"), "{answer}");
    let m = answer.lines().find(|l| l.starts_with("m=audio")).unwrap();
    let port = engine.hub().port().to_string();
    assert!(
        answer.contains(&format!("{LOCALHOST} {port} typ host")),
        "the candidate names the hub's one port: {answer}"
    );
    // The law of the leg it will be bridged to comes first.
    assert_eq!(m.split_whitespace().nth(3), Some("8"), "{m}");
    assert_eq!(opened.codec.law, Law::A);
    assert_eq!(opened.codec.telephone_event, Some(101));
}

#[tokio::test]
async fn garbage_offers_are_refused_with_488() {
    let (tx, _rx) = mpsc::channel(64);
    let engine = engine(tx);
    let ip: IpAddr = LOCALHOST.parse().unwrap();
    let e = engine
        .open_browser_leg(1, "v=0\r\nthis is not sdp".into(), ip, 0, Law::Mu)
        .await
        .unwrap_err();
    assert_eq!(e.sip_status(), 488);
    let video_only = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        a=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n\
        a=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n\
        a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n\
        a=setup:actpass\r\na=rtcp-mux\r\na=sendrecv\r\na=rtpmap:96 VP8/90000\r\n";
    let e = engine
        .open_browser_leg(2, video_only.into(), ip, 0, Law::Mu)
        .await
        .unwrap_err();
    assert_eq!(e.sip_status(), 488, "{e}");
    // The hub is still serving.
    let (_b, offer) = BrowserPeer::offer(ip).await;
    assert!(engine
        .open_browser_leg(3, offer, ip, 0, Law::Mu)
        .await
        .is_ok());
}

#[tokio::test]
async fn audio_flows_both_ways_between_a_browser_and_a_g711_leg() {
    let (tx, mut events) = mpsc::channel(256);
    let engine = engine(tx);
    let ip: IpAddr = LOCALHOST.parse().unwrap();
    // The caller: a plain RTP endpoint.
    let (caller, caller_addr) = peer().await;
    let opened = engine.open_leg(1, mu(caller_addr), Some(0)).unwrap();
    let caller_leg = std::net::SocketAddr::new(ip, opened.port);
    // The agent: a browser.
    let (mut browser, offer) = BrowserPeer::offer(ip).await;
    browser.payload = vec![0x33; 160];
    let answer = engine
        .open_browser_leg(2, offer, ip, 0, Law::Mu)
        .await
        .unwrap()
        .answer;
    browser.answer(&answer).unwrap();
    assert_eq!(browser.audio_pt, 0);
    let w = engine.worker(0).unwrap();
    w.send(Command::Bridge { a: 1, b: 2 }).await.unwrap();

    // The caller talks: 100 frames over 2 s, while the browser runs.
    let talker = tokio::spawn(async move {
        let mut pkt = vec![0u8; 172];
        for seq in 0..100u16 {
            switchboard::media::rtp::RtpHeader {
                marker: seq == 0,
                payload_type: 0,
                sequence: 5000 + seq,
                timestamp: 160 * seq as u32,
                ssrc: 0xca11,
            }
            .write(&mut pkt);
            pkt[12..].fill(0x44);
            caller.send_to(&pkt, caller_leg).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // What reached the caller from the browser.
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        while let Ok(Ok((n, _))) =
            tokio::time::timeout(Duration::from_millis(300), caller.recv_from(&mut buf)).await
        {
            got.push(buf[..n].to_vec());
        }
        got
    });
    browser.run_for(Duration::from_millis(2600)).await;
    browser.press(1);
    browser.run_for(Duration::from_millis(400)).await;
    assert!(browser.connected, "ICE and DTLS came up");
    let from_browser = talker.await.unwrap();

    // Caller -> browser: decrypted by the browser, in its negotiated PCMU.
    assert!(
        browser.received >= 80,
        "the browser got {} of 100 frames",
        browser.received
    );
    assert!(browser.received_pts.iter().all(|&pt| pt == 0));
    assert_eq!(browser.lost(), 0, "no loss on loopback");
    // Browser -> caller: plain RTP in the caller's stream, payload intact.
    let audio: Vec<_> = from_browser
        .iter()
        .filter_map(|p| RtpPacket::parse(p).ok())
        .filter(|p| p.payload_type == 0)
        .collect();
    assert!(
        audio.len() >= 50,
        "the caller got {} frames from the browser",
        audio.len()
    );
    assert!(audio.iter().all(|p| p.payload == [0x33; 160]));
    let ssrcs: std::collections::HashSet<u32> = audio.iter().map(|p| p.ssrc).collect();
    assert_eq!(ssrcs.len(), 1, "one stream towards the caller");
    // The browser's key press, as the call sees any digit.
    let mut digit = None;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(500), events.recv()).await {
        if let MediaEvent::Digit { leg: 2, digit: d } = ev {
            digit = Some(d.key);
            break;
        }
    }
    assert_eq!(digit, Some('1'));
    // The leg's figures, then its end.
    let figures = engine.hub().figures(2).await.unwrap();
    assert!(figures.received.packets >= 50, "{figures:?}");
    assert!(figures.sent_packets >= 80, "{figures:?}");
    let report = engine.hub().report().await.unwrap();
    assert_eq!((report.legs, report.connected, report.panics), (1, 1, 0));
    assert_eq!(report.media_in_dropped, 0);
    engine.hub().remove(2).await.unwrap();
    w.remove(2).await;
    assert_eq!(engine.hub().report().await.unwrap().legs, 0);
}

#[tokio::test]
async fn a_browser_that_goes_away_is_reported_lost() {
    let (tx, mut events) = mpsc::channel(256);
    let engine = engine(tx);
    let ip: IpAddr = LOCALHOST.parse().unwrap();
    let (mut browser, offer) = BrowserPeer::offer(ip).await;
    let answer = engine
        .open_browser_leg(9, offer, ip, 0, Law::Mu)
        .await
        .unwrap()
        .answer;
    browser.answer(&answer).unwrap();
    browser.run_for(Duration::from_millis(1500)).await;
    assert!(browser.connected);
    // The tab closes: no more checks, no more media.
    drop(browser);
    let lost = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(ev) = events.recv().await {
            if ev == (MediaEvent::Lost { leg: 9 }) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(lost, Ok(true), "the hub noticed the browser had gone");
    assert_eq!(engine.hub().report().await.unwrap().legs, 0);
}
