//! Bridges over real UDP sockets on loopback: relaying with SSRC/sequence/timestamp
//! rewrite and PCMU<->PCMA transcoding (RFC 3550 section 7, RFC 3551), the caller's
//! music resuming in place when the agent leaves, and a codec change by re-INVITE.

mod common;

use common::media::{leg_socket, mu, peer, recv, recv_n, worker};
use std::sync::Arc;
use std::time::Duration;

use switchboard::media::g711::Law;
use switchboard::media::leg::LegConfig;
use switchboard::media::rtp::{RtpHeader, RtpPacket};
use switchboard::media::sdp::Direction;
use switchboard::media::source::MediaSource;
use switchboard::media::worker::Command;

#[tokio::test]
async fn a_bridge_relays_and_transcodes_between_pcmu_and_pcma() {
    let (w, _events) = worker();
    let (caller_leg, caller_leg_addr) = leg_socket();
    let (agent_leg, agent_leg_addr) = leg_socket();
    let (caller, caller_addr) = peer().await;
    let (agent, agent_addr) = peer().await;
    w.send(Command::AddLeg {
        id: 10,
        socket: caller_leg,
        lease: None,
        config: mu(caller_addr),
    })
    .await
    .unwrap();
    let agent_cfg = LegConfig::new(Law::A, 8, Some(96), Some(agent_addr));
    w.send(Command::AddLeg {
        id: 11,
        socket: agent_leg,
        lease: None,
        config: agent_cfg,
    })
    .await
    .unwrap();
    // Music to the caller first, then the agent answers.
    let src = Arc::new(MediaSource::from_pcm8k("m", vec![1000; 16_000]));
    w.send(Command::PlayMusic {
        id: 10,
        source: src,
        looping: true,
    })
    .await
    .unwrap();
    let got = recv_n(&caller, 3).await;
    let music = RtpPacket::parse(&got[2]).unwrap();
    let (m_ssrc, m_seq) = (music.ssrc, music.sequence);
    w.send(Command::Bridge { a: 10, b: 11 }).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    while recv(&caller).await.is_some() {}
    let payload: Vec<u8> = (0..160).map(|i| i as u8).collect();
    for i in 0..5u16 {
        let mut pkt = vec![0u8; 12];
        RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: 9000 + i,
            timestamp: 123 + 160 * i as u32,
            ssrc: 0xca11,
        }
        .write(&mut pkt);
        pkt.extend_from_slice(&payload);
        caller.send_to(&pkt, caller_leg_addr).await.unwrap();
        let mut back = vec![0u8; 12];
        RtpHeader {
            marker: false,
            payload_type: 8,
            sequence: 5 + i,
            timestamp: 9 + 160 * i as u32,
            ssrc: 0xa6e,
        }
        .write(&mut back);
        back.extend_from_slice(&payload);
        agent.send_to(&back, agent_leg_addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let to_agent = recv_n(&agent, 5).await;
    assert_eq!(to_agent.len(), 5);
    for raw in &to_agent {
        let p = RtpPacket::parse(raw).unwrap();
        assert_eq!(p.payload_type, 8);
        assert_ne!(
            p.ssrc, 0xca11,
            "the agent sees our stream, not the caller's"
        );
        for (j, &b) in p.payload.iter().enumerate() {
            assert_eq!(
                b,
                switchboard::media::g711::encode_a(switchboard::media::g711::decode_mu(j as u8))
            );
        }
    }
    let to_caller = recv_n(&caller, 5).await;
    let first = RtpPacket::parse(&to_caller[0]).unwrap();
    assert_eq!(
        (first.payload_type, first.ssrc),
        (0, m_ssrc),
        "the caller's stream stays one stream"
    );
    assert!(first.sequence.wrapping_sub(m_seq) < 10 && first.marker);
}

#[tokio::test]
async fn unbridging_gives_the_caller_back_the_music_where_it_was() {
    let (w, _events) = worker();
    let (caller_leg, _) = leg_socket();
    let (agent_leg, _) = leg_socket();
    let (caller, caller_addr) = peer().await;
    let (_agent, agent_addr) = peer().await;
    w.send(Command::AddLeg {
        id: 20,
        socket: caller_leg,
        lease: None,
        config: mu(caller_addr),
    })
    .await
    .unwrap();
    w.send(Command::AddLeg {
        id: 21,
        socket: agent_leg,
        lease: None,
        config: mu(agent_addr),
    })
    .await
    .unwrap();
    // Music whose frame k is the constant µ-law byte k.
    let pcm: Vec<i16> = (0..200u32)
        .flat_map(|k| std::iter::repeat_n(Law::Mu.decode(k as u8), 160))
        .collect();
    let music = Arc::new(MediaSource::from_pcm8k("steps", pcm));
    w.send(Command::PlayMusic {
        id: 20,
        source: music,
        looping: true,
    })
    .await
    .unwrap();
    let before = recv_n(&caller, 5).await;
    w.send(Command::Bridge { a: 20, b: 21 }).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut last_music = before
        .last()
        .map(|p| RtpPacket::parse(p).unwrap().payload[0])
        .unwrap();
    while let Some((p, _)) = recv(&caller).await {
        last_music = RtpPacket::parse(&p).unwrap().payload[0];
    }
    w.send(Command::Unbridge { id: 20 }).await.unwrap();
    let after = recv_n(&caller, 1).await;
    let p = RtpPacket::parse(&after[0]).unwrap();
    assert_eq!(
        p.payload[0],
        last_music.wrapping_add(1),
        "the music continues from where the agent took over"
    );
    assert!(p.marker);
}

#[tokio::test]
async fn a_reinvite_to_the_other_law_changes_what_the_bridge_sends() {
    use switchboard::media::bridge::LegCodec;
    let (w, _events) = worker();
    let (caller_leg, caller_leg_addr) = leg_socket();
    let (agent_leg, _) = leg_socket();
    let (caller, caller_addr) = peer().await;
    let (agent, agent_addr) = peer().await;
    w.send(Command::AddLeg {
        id: 30,
        socket: caller_leg,
        lease: None,
        config: mu(caller_addr),
    })
    .await
    .unwrap();
    w.send(Command::AddLeg {
        id: 31,
        socket: agent_leg,
        lease: None,
        config: mu(agent_addr),
    })
    .await
    .unwrap();
    w.send(Command::Bridge { a: 30, b: 31 }).await.unwrap();
    let send = |seq: u16| {
        let mut pkt = vec![0u8; 12];
        RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: seq,
            timestamp: 160 * seq as u32,
            ssrc: 9,
        }
        .write(&mut pkt);
        pkt.extend_from_slice(&[0x10; 160]);
        pkt
    };
    caller.send_to(&send(1), caller_leg_addr).await.unwrap();
    let p = recv_n(&agent, 1).await;
    assert_eq!(
        RtpPacket::parse(&p[0]).unwrap().payload_type,
        0,
        "PCMU end to end: no transcoding"
    );
    // The agent's phone moves to PCMA in a re-INVITE.
    let pcma = LegCodec {
        law: Law::A,
        payload_type: 8,
        telephone_event: Some(101),
    };
    w.send(Command::UpdateLeg {
        id: 31,
        remote: Some(agent_addr),
        direction: Direction::SendRecv,
        codec: Some(pcma),
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    caller.send_to(&send(2), caller_leg_addr).await.unwrap();
    let p = recv_n(&agent, 1).await;
    let p = RtpPacket::parse(&p[0]).unwrap();
    assert_eq!(p.payload_type, 8);
    assert_eq!(
        p.payload[0],
        switchboard::media::g711::encode_a(switchboard::media::g711::decode_mu(0x10))
    );
}
